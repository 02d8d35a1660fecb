//! Application use cases: add, install, authorize a user, exchange a code
//! or a refresh token for new tokens, delete.

use crate::domain::applications::*;
use crate::domain::credentials::{Scopes, Secret, TokenHash, ACCESS_TOKEN_TTL_SECS};
use crate::domain::store::Store;
use crate::domain::{Error, Timestamp, UserId};

/// `app add`: a new OAuth application, and its client secret (shown once).
pub async fn add(
    store: &dyn Store,
    name: &str,
    scopes: Scopes,
    handler: &str,
    redirect_uri: &str,
) -> Result<(Application, Secret), String> {
    let now = Timestamp::now();
    let (new, secret) = NewApplication::generate(name, scopes, handler, redirect_uri, now)?;
    let client_id = new.client_id.clone();
    store
        .create_application(new)
        .await
        .map_err(|e| e.to_string())?;
    let app = store
        .application(client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the new application is gone")?;
    Ok((app, secret))
}

/// `app install --user ID`: the application is installed by that
/// administrator, who gets its first access token (living `access_ttl`
/// seconds, at most an hour) and refresh token. `None`: no such
/// application, or `user` is no active administrator.
pub async fn install(
    store: &dyn Store,
    client_id: &str,
    user: UserId,
    access_ttl: i64,
) -> Result<Option<(Application, IssuedTokens)>, Error> {
    let now = Timestamp::now();
    let (mut pair, access, refresh) = TokenPair::issue(now);
    pair.access_expires = Timestamp(now.0 + access_ttl.clamp(1, ACCESS_TOKEN_TTL_SECS));
    let expires = pair.access_expires;
    let Some(app) = store
        .install_application(client_id.to_owned(), user, pair, now)
        .await?
    else {
        return Ok(None);
    };
    let tokens = IssuedTokens {
        access_token: access,
        refresh_token: refresh,
        issued: now,
        expires,
        user,
        scopes: app.scopes.clone(),
        client_id: app.client_id.clone(),
    };
    Ok(Some((app, tokens)))
}

/// `/oauth/authorize/`: `user` grants the installed application access; an
/// authorization code for it (good for [`CODE_TTL_SECS`], once), made with
/// the credential `parent` if the user signed in with one (the session ends
/// with it). `None`: the application is not installed, or `user` is no
/// active person.
pub async fn authorize(
    store: &dyn Store,
    client_id: &str,
    user: UserId,
    parent: Option<i64>,
) -> Result<Option<(Grant, Secret)>, Error> {
    let now = Timestamp::now();
    let code = Secret::access_token();
    let grant = store
        .create_code(
            client_id.to_owned(),
            user,
            code.hash(),
            (now, Timestamp(now.0 + CODE_TTL_SECS)),
            parent,
        )
        .await?;
    Ok(grant.map(|g| (g, code)))
}

/// What `/oauth/token/` was asked.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: String,
    /// `code` or `refresh_token`, whichever the grant type names.
    pub grant: String,
}

/// `/oauth/token/`: an authorization code or a refresh token, with the
/// application's credentials, exchanged for a new access token and a new
/// refresh token; the code or refresh token is used up.
pub async fn exchange(store: &dyn Store, req: TokenRequest) -> Result<IssuedTokens, Error> {
    let kind = match req.grant_type.as_str() {
        "authorization_code" => GrantKind::Code,
        "refresh_token" => GrantKind::Refresh,
        "" => return Err(OAuthError::InvalidRequest.into()),
        _ => return Err(OAuthError::UnsupportedGrantType.into()),
    };
    if req.client_id.is_empty() || req.grant.is_empty() || req.grant.len() > 256 {
        return Err(OAuthError::InvalidRequest.into());
    }
    let app = store.application(req.client_id.clone()).await?;
    match app {
        Some(app) if app.secret_matches(&req.client_secret) && app.installed() => {}
        _ => return Err(OAuthError::InvalidClient.into()),
    }
    let now = Timestamp::now();
    let (pair, access, refresh) = TokenPair::issue(now);
    let expires = pair.access_expires;
    let grant = store
        .redeem_grant(kind, TokenHash::of(&req.grant), req.client_id, pair, now)
        .await?
        .ok_or(OAuthError::InvalidGrant)?;
    Ok(IssuedTokens {
        access_token: access,
        refresh_token: refresh,
        issued: now,
        expires,
        user: grant.user,
        scopes: grant.scopes,
        client_id: grant.client_id,
    })
}

/// `app delete`: the application and all it had; what it was, if it was.
pub async fn delete(store: &dyn Store, client_id: &str) -> Result<Option<Application>, Error> {
    Ok(store
        .delete_application(client_id.to_owned(), Timestamp::now())
        .await?)
}
