//! Methods about the API itself and the caller: `methods`, `scope`,
//! `server.time`, `profile`, `user.current`, `user.fields`, `method.get`,
//! `feature.get`, `events`, `app.info`.

use serde_json::{json, Value};

use super::ctx::Ctx;

use super::views;
use crate::domain::cases;
use crate::domain::credentials::{CredentialKind, KNOWN_SCOPES};
use crate::domain::events::EventKind;
use crate::domain::Timestamp;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::{scalar_text, Params};

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
    let row = views::rest_user(
        &u,
        views::UserFields::for_scopes(&cx.caller.scopes),
        Timestamp::now(),
    );
    let mut rows = super::user_field::with_values(cx, std::slice::from_ref(&u), vec![row]).await?;
    Ok(Reply::value(rows.pop().unwrap_or(Value::Null)))
}

/// `method.get`: whether a method exists (`isExisting`) and whether this
/// credential may call it (`isAvailable`: the method exists and its scope is
/// granted). As the page says of portals, only the lowercase key `name` is
/// read and only the lowercase method name matches (`User.Get` does not);
/// no name answers `false` twice. No errors of its own.
pub async fn method_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let name = p
        .as_map()
        .get("name")
        .and_then(scalar_text)
        .unwrap_or_default();
    let method = cx.methods.iter().find(|m| m.name == name);
    Ok(Reply::value(json!({
        "isExisting": method.is_some(),
        "isAvailable": method.is_some_and(|m| m.scope.allows(&cx.caller)),
    })))
}

/// `feature.get`: whether the portal has a feature (`{"value": "Y"|"N"}`).
/// b24im has both codes the page names: offline events kept after reading
/// (`rest_offline_extended`, `clear=0`) and `auth_connector` in events
/// (`rest_auth_connector`). Other codes answer `N` (the page allows any
/// answer for an unknown code; `N` is the true one here). No `CODE`, an
/// empty one or `0`: `CODE_EMPTY`.
pub async fn feature_get(_cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let code = p.str("CODE").unwrap_or_default();
    if code.is_empty() || code == "0" {
        return Err(ApiError::param("CODE_EMPTY", "CODE can't be empty"));
    }
    let has = matches!(
        code.as_str(),
        "rest_offline_extended" | "rest_auth_connector"
    );
    Ok(Reply::value(json!({"value": if has { "Y" } else { "N" }})))
}

/// `events`: the events an application may bind with `event.bind`
/// (docs api-reference/events/events.md; the page's example is a list of
/// names, as here). `SCOPE` gives one scope's events; otherwise those of the
/// caller's scopes, or every one with `FULL`.
pub async fn events(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let scope = p
        .str("SCOPE")
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase());
    let full = p.flag("FULL").unwrap_or(false);
    let names: Vec<Value> = EventKind::BINDABLE
        .iter()
        .filter(|k| match &scope {
            Some(s) => k.scope() == s,
            None => full || cx.caller.scopes.contains(k.scope()),
        })
        .map(|k| Value::from(k.name()))
        .collect();
    Ok(Reply::value(names))
}

/// `app.info`: the application the call acts for (docs, upstream
/// api-reference/common/system/app-info.md). b24im's applications are the
/// client ids its tokens act for (bots' applications, OAuth installs): a
/// local (`L`) application, installed, on a self-hosted portal, with the
/// local id b24im gave it on first use.
///
/// A webhook is answered as portals answer it (the page's `ACCESS_DENIED`
/// is not what they send): its granted scopes and the license, no `ID`
/// (b24pysdk tells the two shapes apart by `ID`). A token of no
/// application (the CLI's, the web client's): 403 `ACCESS_DENIED`.
pub async fn app_info(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    if cx.caller.kind == CredentialKind::Webhook {
        let scopes: Vec<Value> = cx
            .caller
            .scopes
            .names()
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect();
        return Ok(Reply::value(json!({"SCOPE": scopes, "LICENSE": LICENSE})));
    }
    let Some(client_id) = cx.caller.client_id.clone().filter(|c| !c.is_empty()) else {
        return Err(crate::domain::Error::ApplicationRequired.into());
    };
    let id = cases::credentials::application_id(cx.store(), &client_id).await?;
    Ok(Reply::value(json!({
        "ID": id,
        "CODE": crate::domain::applications::shown_client_id(&client_id),
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": true,
        "PAYMENT_EXPIRED": "N",
        "DAYS": null,
        "LANGUAGE_ID": "en",
        "LICENSE": LICENSE,
        "LICENSE_TYPE": "selfhosted",
        "LICENSE_FAMILY": "selfhosted",
    })))
}

/// A self-hosted portal's license, in English (`app.info`).
const LICENSE: &str = "en_selfhosted";

/// `user.fields`: docs api-reference/user/user-fields.md. The standard
/// fields and their titles, in the page's order, then each `UF_USR_*`
/// field with its `EDIT_FORM_LABEL` (as portals answer; the page says
/// custom fields are not listed).
pub async fn user_fields(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let mut m: serde_json::Map<String, Value> = views::USER_FIELDS
        .iter()
        .map(|(name, title)| ((*name).to_owned(), Value::from(*title)))
        .collect();
    m.extend(super::user_field::field_titles(cx).await?);
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
