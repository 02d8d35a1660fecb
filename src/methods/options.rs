//! `app.option.get|set` and `user.option.get|set`: docs
//! api-reference/common/settings/. An application's options, and its
//! options for the calling user, kept as the JSON the client sent.
//!
//! As on portals (where the pages differ, the portal is followed):
//! - only a credential that acts for an application may call them: a
//!   webhook, or a token of no application, answers 403 `ACCESS_DENIED`
//!   "Access denied! Application context required" (the pages say 400
//!   `AccessException`);
//! - the parameter names `option` and `options` are lowercase and read as
//!   written (`OPTION` is not `option`);
//! - without `options`, `set` takes the whole parameter map as the options
//!   (`{"data": "value"}` works), less what clients add to every call;
//! - no options: 400 `ERROR_ARGUMENT` "Argument 'options' is null or
//!   empty" with `"argument": "options"`;
//! - `app.option.set` is for administrators (403 otherwise);
//! - nothing stored reads as `[]` (a PHP empty array), an unknown `option`
//!   as `null`.
//!
//! A token a bot's event handed out acts in the event's chat alone
//! (`confine.rs`): it is refused here, so only a full application token
//! reads or writes an application's options.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::options::{OptionEntry, OptionsOwner};
use crate::domain::Error;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{scalar_text, Params};

/// `app.option.get`: docs api-reference/common/settings/app-option-get.md
pub async fn app_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let app = application(cx)?;
    get(cx, OptionsOwner::App(app), p).await
}

/// `app.option.set`: docs api-reference/common/settings/app-option-set.md
pub async fn app_set(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let app = application(cx)?;
    let options = given_options(p)?;
    cases::options::set_app(cx.store(), app, cx.user(), options).await?;
    Ok(Reply::value(true))
}

/// `user.option.get`: docs api-reference/common/settings/user-option-get.md
pub async fn user_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let app = application(cx)?;
    get(cx, OptionsOwner::User(app, cx.user()), p).await
}

/// `user.option.set`: docs api-reference/common/settings/user-option-set.md
pub async fn user_set(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let app = application(cx)?;
    let options = given_options(p)?;
    cases::options::set_user(cx.store(), app, cx.user(), options).await?;
    Ok(Reply::value(true))
}

/// The application the caller's credential acts for.
fn application(cx: &Ctx) -> Result<String, ApiError> {
    cx.caller
        .client_id
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::ApplicationRequired.into())
}

/// Every option (an object; `[]` when none), or the one `option` names
/// (`null` when unknown).
async fn get(cx: &Ctx, owner: OptionsOwner, p: &Params) -> Result<Reply, ApiError> {
    let name = match p.as_map().get("option") {
        None | Some(Value::Null) => None,
        // An array or object names no option a client could have set.
        Some(v) => match scalar_text(v) {
            Some(name) => Some(name),
            None => return Ok(Reply::value(Value::Null)),
        },
    };
    let one = name.is_some();
    let entries = cases::options::get(cx.store(), owner, name).await?;
    if one {
        return Ok(Reply::value(
            entries.into_iter().next().map_or(Value::Null, decode),
        ));
    }
    if entries.is_empty() {
        return Ok(Reply::value(Value::Array(Vec::new())));
    }
    let map: Map<String, Value> = entries
        .into_iter()
        .map(|e| (e.name.clone(), decode(e)))
        .collect();
    Ok(Reply::value(Value::Object(map)))
}

/// A stored value as the client sent it.
fn decode(entry: OptionEntry) -> Value {
    serde_json::from_str(&entry.json).unwrap_or_else(|e| {
        tracing::error!(name = %entry.name, error = %e, "an option's stored value is not JSON");
        Value::Null
    })
}

/// What clients add to every call, never an option of the application's
/// (when `options` is absent and the whole map is taken): paging, the
/// OAuth `state`, b24jssdk's request id, fast-bitrix24's batch order.
fn client_extra(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "start" | "state" | "__order" | "options")
        || lower.starts_with("bx24_")
}

/// The options `set` was given, in the order given: `options` (an object,
/// or a list as PHP keys it: "0", "1", ...), else the whole map.
fn given_options(p: &Params) -> Result<Vec<OptionEntry>, ApiError> {
    let pairs: Vec<(String, &Value)> = match p.as_map().get("options") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        Some(Value::Null) | None => p
            .as_map()
            .iter()
            .filter(|(k, _)| !client_extra(k))
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        // A string or a number is no set of options.
        Some(_) => Vec::new(),
    };
    if pairs.is_empty() {
        return Err(ApiError::argument_null("options"));
    }
    Ok(pairs
        .into_iter()
        .map(|(name, v)| OptionEntry {
            // NUL cannot be kept in a PostgreSQL text; nothing else changes.
            name: name.replace('\0', "\u{FFFD}"),
            json: v.to_string(),
        })
        .collect())
}
