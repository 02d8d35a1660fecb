//! An application's own events: ONAPPINSTALL, POSTed to its handler when it
//! is installed, with the installing administrator's access token and
//! refresh token (the installation callback of settings/oauth/simple-way.md),
//! and ONAPPUNINSTALL when it is deleted, with no token at all (only
//! `application_token` tells the handler it is genuine).
//!
//! These go out once, at once, from the command that installs or deletes:
//! the tokens of ONAPPINSTALL are never stored in the clear, so the event
//! cannot wait in the outbox for a retry.

use std::time::Duration;

use serde_json::{json, Value};

use super::form;
use super::payload::{auth_block, IssuedToken, Portal};
use crate::domain::applications::{Application, IssuedTokens};

/// The ONAPPINSTALL payload for `tokens` of `app`'s installation: the
/// `auth` every event carries (its `application_token` that of this
/// installation), with the refresh token that only this event brings.
pub fn install_payload(portal: &Portal, app: &Application, tokens: &IssuedTokens) -> Value {
    let issued = IssuedToken {
        access_token: tokens.access_token.0.clone(),
        expires: tokens.expires.0,
        user_id: tokens.user.0,
        scope: tokens.scopes.to_list(),
    };
    let application_token = portal.app_tokens.token(&app.token_subject());
    let mut auth = auth_block(&issued, portal, None, &application_token);
    auth.insert(
        "refresh_token".into(),
        tokens.refresh_token.0.clone().into(),
    );
    json!({
        "event": "ONAPPINSTALL",
        "data": {
            "VERSION": "1",
            "ACTIVE": "Y",
            "INSTALLED": "Y",
            "LANGUAGE_ID": "en",
        },
        "ts": chrono::Utc::now().timestamp().to_string(),
        "auth": Value::Object(auth),
    })
}

/// The ONAPPUNINSTALL payload: the application's data is gone (`CLEAN` 1).
pub fn uninstall_payload(portal: &Portal, app: &Application) -> Value {
    json!({
        "event": "ONAPPUNINSTALL",
        "data": {"LANGUAGE_ID": "en", "CLEAN": "1"},
        "ts": chrono::Utc::now().timestamp().to_string(),
        "auth": {
            "domain": portal.domain,
            "server_endpoint": portal.client_endpoint,
            "status": "L",
            "client_endpoint": portal.client_endpoint,
            "member_id": portal.member_id,
            "application_token": portal.app_tokens.token(&app.token_subject()),
        },
    })
}

/// POSTs `payload` form-encoded to `url`, as event deliveries are; the
/// handler's HTTP status, or why there is none.
pub async fn post(url: &str, payload: &Value) -> Result<u16, String> {
    let client = super::http_client(Duration::from_secs(10), false).map_err(|e| e.to_string())?;
    let res = client
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form::encode(payload))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(res.status().as_u16())
}
