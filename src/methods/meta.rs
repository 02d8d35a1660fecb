//! Methods about the API itself and the caller: `methods`, `scope`,
//! `server.time`, `profile`, `user.current`, `user.fields`.

use serde_json::{json, Value};

use super::ctx::Ctx;

use super::views;
use crate::domain::cases;
use crate::domain::credentials::KNOWN_SCOPES;
use crate::domain::Timestamp;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// `methods`: the methods this credential may call; `full=true` lists all,
/// `scope=NAME` those of one scope.
pub async fn methods(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let full = p.flag("full").unwrap_or(false);
    let scope = p.str("scope").map(|s| s.to_ascii_lowercase());
    let names: Vec<Value> = cx
        .methods
        .iter()
        .filter(|m| match &scope {
            Some(s) => m.scope.name() == s,
            None => full || m.scope.allows(&cx.caller),
        })
        .map(|m| Value::from(m.name))
        .collect();
    Ok(Reply::value(names))
}

/// `scope`: the scopes this credential holds; `full=true` lists all known ones.
pub async fn scope(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let names: Vec<Value> = if p.flag("full").unwrap_or(false) {
        KNOWN_SCOPES.iter().map(|s| Value::from(*s)).collect()
    } else {
        cx.caller
            .scopes
            .names()
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect()
    };
    Ok(Reply::value(names))
}

/// `server.time`: the server's current time, ISO 8601 with offset.
pub async fn server_time(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(iso_date(Timestamp::now())))
}

/// `profile`: the caller's basic profile.
pub async fn profile(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let u = cases::users::get(cx.store(), cx.user(), None).await?;
    let offset = chrono::Local::now().offset().local_minus_utc();
    Ok(Reply::value(json!({
        "ID": u.id.0.to_string(),
        "ADMIN": u.admin,
        "NAME": u.first_name,
        "LAST_NAME": u.last_name,
        "PERSONAL_GENDER": "",
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": offset,
    })))
}

/// `user.current`: docs api-reference/user/user-current.md
pub async fn user_current(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let u = cases::users::get(cx.store(), cx.user(), None).await?;
    Ok(Reply::value(views::rest_user(&u)))
}

/// `user.fields`: docs api-reference/user/user-fields.md. The standard
/// fields and their titles, in the page's order; custom fields are not
/// supported (the page says the same of portals).
pub async fn user_fields(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let m: serde_json::Map<String, Value> = views::USER_FIELDS
        .iter()
        .map(|(name, title)| ((*name).to_owned(), Value::from(*title)))
        .collect();
    Ok(Reply::value(Value::Object(m)))
}

/// `im.revision.get`: docs api-reference/chats/im-revision-get.md
/// The revisions of the messenger API that b24im implements: those of the
/// portal version its docs describe (the page's example), which clients
/// compare to decide what they may call.
pub async fn revision(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(json!({
        "rest": IM_REVISION_REST,
        "web": IM_REVISION_WEB,
        "mobile": IM_REVISION_MOBILE,
        "desktop": IM_REVISION_DESKTOP,
        "im_revision_mobile": IM_REVISION_MOBILE,
    })))
}

const IM_REVISION_REST: i64 = 32;
const IM_REVISION_WEB: i64 = 130;
const IM_REVISION_MOBILE: i64 = 22;
const IM_REVISION_DESKTOP: i64 = 6;
