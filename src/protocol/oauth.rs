//! The OAuth 2.0 endpoints (docs settings/oauth/): b24im is both the portal
//! and the authorization server.
//!
//! - `GET /oauth/authorize/?client_id=..&state=..`: a page where the user
//!   signs in, then the redirect to the application with `code`, `state`,
//!   `domain`, `member_id`, `scope` and `server_domain`. In local mode
//!   (`--dev-login`, on by default on a loopback listener) the page lists the
//!   users to act as; otherwise the user proves who they are with one of
//!   their webhooks or access tokens. Errors are shown on the page, never
//!   sent to the application, as portals do.
//! - `GET|POST /oauth/token/` with `grant_type=authorization_code` or
//!   `refresh_token`: the token answer, or `{error, error_description}`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::Presented;
use super::envelope::json_response;
use super::error::ApiError;
use super::params::Params;
use crate::domain::applications::{Application, IssuedTokens};
use crate::domain::cases;
use crate::domain::cases::applications::TokenRequest;
use crate::domain::user_query::UserQuery;
use crate::domain::users::display_name;
use crate::domain::UserId;
use crate::listen::Peer;
use crate::state::AppState;

/// Which listener a request came in on, set by the server on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme(pub &'static str);

/// Bodies of the OAuth endpoints are small forms.
const BODY_LIMIT: usize = 16 * 1024;

/// The query string and a form or JSON body, merged (the body wins).
async fn params_of(request: Request) -> Result<(Params, HeaderMap, &'static str), ApiError> {
    let scheme = request.extensions().get::<Scheme>().map_or("http", |s| s.0);
    let (parts, body) = request.into_parts();
    let mut params = Params::parse_query(parts.uri.query().unwrap_or_default().as_bytes())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()))?;
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::param("invalid_request", "The request body is too large"))?;
    if !bytes.is_empty() {
        let json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        let body = if json {
            Params::parse_json(&bytes)
        } else {
            Params::parse_query(&bytes)
        }
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()))?;
        params.merge(body);
    }
    Ok((params, parts.headers, scheme))
}

/// `scheme://host[:port]` the client reached us at (its `Host` header), or
/// the configured public URL.
fn base_of(state: &AppState, headers: &HeaderMap, scheme: &str) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() && !host.contains(['/', ' ', '@']) => {
            format!("{scheme}://{host}")
        }
        _ => state
            .config
            .delivery
            .public_url
            .trim_end_matches('/')
            .to_owned(),
    }
}

async fn member_id(state: &AppState) -> Result<String, ApiError> {
    Ok(crate::events::member_id(state.store.as_ref()).await?)
}

/// `/oauth/token/`.
pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    match token_inner(&state, request).await {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => e.into_response(),
    }
}

async fn token_inner(state: &AppState, request: Request) -> Result<serde_json::Value, ApiError> {
    let (p, headers, scheme) = params_of(request).await?;
    let grant_type = p.str("grant_type").unwrap_or_default();
    let grant = match grant_type.as_str() {
        "authorization_code" => p.str("code"),
        _ => p.str("refresh_token"),
    };
    let tokens = cases::applications::exchange(
        state.store.as_ref(),
        TokenRequest {
            grant_type,
            client_id: p.str("client_id").unwrap_or_default(),
            client_secret: p.str("client_secret").unwrap_or_default(),
            grant: grant.unwrap_or_default(),
        },
    )
    .await?;
    let base = base_of(state, &headers, scheme);
    Ok(token_body(&tokens, &base, &member_id(state).await?))
}

/// The token answer (settings/oauth/auto-renewal.md), with `expires` and
/// `user_id` in both grants: SDKs read them.
pub fn token_body(t: &IssuedTokens, base: &str, member_id: &str) -> serde_json::Value {
    json!({
        "access_token": t.access_token.0,
        "expires": t.expires.0,
        "expires_in": (t.expires.0 - t.issued.0).max(0),
        "scope": t.scopes.to_list(),
        "domain": crate::config::host_of(base),
        "server_endpoint": format!("{base}/rest/"),
        "status": "L",
        "client_endpoint": format!("{base}/rest/"),
        "member_id": member_id,
        "user_id": t.user.0,
        "refresh_token": t.refresh_token.0,
    })
}

/// `/rest/app.info/` with `auth=TOKEN`: `app.info` as the authorization
/// server answers it (what b24pysdk's `BitrixApp.get_app_info` reads): the
/// token's application, scopes, expiry and user, and the installation.
/// The portal's own `app.info` (`/rest/app.info`, `.json`) is a method.
pub async fn server_app_info(State(state): State<AppState>, request: Request) -> Response {
    let timing = super::envelope::Timing::start();
    match server_app_info_inner(&state, request).await {
        Ok(result) => super::envelope::bytes_response(
            StatusCode::OK,
            super::envelope::success_body(&super::envelope::Reply::value(result), &timing),
        ),
        Err(e) => e.into_response(),
    }
}

async fn server_app_info_inner(
    state: &AppState,
    request: Request,
) -> Result<serde_json::Value, ApiError> {
    use crate::domain::credentials::{CredentialKind, TokenHash};
    let (p, headers, scheme) = params_of(request).await?;
    let token = p.str("auth").unwrap_or_default();
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::no_auth());
    }
    let credential = state
        .store
        .credential(TokenHash::of(&token))
        .await?
        .filter(|c| c.kind == CredentialKind::AccessToken)
        .ok_or_else(ApiError::no_auth)?;
    if credential.is_expired(crate::domain::Timestamp::now()) {
        return Err(ApiError::expired_token());
    }
    let client_id = credential.client_id.clone().ok_or_else(|| {
        ApiError::param(
            "ACCESS_DENIED",
            "Access denied! Application context required",
        )
    })?;
    let installed = state
        .store
        .application(client_id.clone())
        .await?
        .is_some_and(|a| a.installed() || !a.is_oauth());
    let base = base_of(state, &headers, scheme);
    let expires = credential.expires_at.map_or(0, |t| t.0);
    Ok(json!({
        "client_id": crate::domain::applications::shown_client_id(&client_id),
        "scope": credential.scopes.to_list(),
        "expires": super::envelope::iso_date(crate::domain::Timestamp(expires)),
        "install": {
            "installed": installed,
            "version": 1,
            "status": "L",
            "scope": credential.scopes.to_list(),
            "domain": crate::config::host_of(&base),
            "uri": base,
            "client_endpoint": format!("{base}/rest/"),
            "member_id": member_id(state).await?,
            "member_type": "PORTAL",
        },
        "user_id": credential.user.0,
    }))
}

/// `/oauth/authorize/`: the sign-in page (GET), or the choice made on it
/// (POST) and the redirect. Every POST carries the page's own anti-forgery
/// token (a cookie the page set, and the same value in the form), so no
/// other site can sign a browser in; the pages may not be framed.
pub async fn authorize(State(state): State<AppState>, request: Request) -> Response {
    let post = request.method() == axum::http::Method::POST;
    let peer = request.extensions().get::<Peer>().copied();
    let (p, headers, scheme) = match params_of(request).await {
        Ok(x) => x,
        Err(e) => return page(StatusCode::BAD_REQUEST, &e.description),
    };
    let client_id = p.str("client_id").unwrap_or_default();
    let state_param = p.str("state").unwrap_or_default();
    let app = match state.store.application(client_id.clone()).await {
        Ok(Some(app)) if app.is_oauth() && app.installed() => app,
        Ok(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "No such application, or it is not installed (b24im app install).",
            )
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let dev_login = state.config.dev_login && local_request(peer, &headers);
    let tokens = match crate::events::app_tokens(state.store.as_ref()).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // Who signs in: a user picked from the list (local mode), or the owner
    // of the webhook or access token given; both only by POST, from the page.
    let user = if post {
        if !forgery_token_matches(&headers, &p, &tokens) {
            return page(
                StatusCode::FORBIDDEN,
                "This sign-in did not come from this server's own page: open it again.",
            );
        }
        match who(&state, &p, &app, dev_login).await {
            Ok(user) => user,
            Err(message) => return page(StatusCode::FORBIDDEN, &message),
        }
    } else {
        None
    };
    let Some((user, parent)) = user else {
        return sign_in_page(
            &state,
            &app,
            &state_param,
            dev_login,
            (scheme, &headers, &tokens),
        )
        .await;
    };
    let Some(target) = Some(app.return_url()).filter(|u| !u.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "The application has no redirect URI or handler to return to.",
        );
    };
    let code = match cases::applications::authorize(state.store.as_ref(), &client_id, user, parent)
        .await
    {
        Ok(Some((_, code))) => code,
        Ok(None) => return page(StatusCode::FORBIDDEN, "That user may not sign in."),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let member = match member_id(&state).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let base = base_of(&state, &headers, scheme);
    let query = [
        ("code", code.0.as_str()),
        ("state", state_param.as_str()),
        ("domain", crate::config::host_of(&base)),
        ("member_id", member.as_str()),
        ("scope", &app.scopes.to_list()),
        ("server_domain", crate::config::host_of(&base)),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let sep = if target.contains('?') { '&' } else { '?' };
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("{target}{sep}{query}"))],
    )
        .into_response()
}

/// Whether a request may use local mode (pick a user from the list): it
/// came from this machine (a loopback peer), named this machine (a `Host`
/// that is a loopback address or a `localhost` name, so no other name
/// that resolves here, as in DNS rebinding, gets an answer), and passed
/// no proxy (no header any proxy adds: behind one, every client looks
/// local).
fn local_request(peer: Option<Peer>, headers: &HeaderMap) -> bool {
    peer.is_some_and(|Peer(addr)| addr.ip().is_loopback())
        && headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(loopback_host)
        && !headers.keys().any(|name| proxy_header(name.as_str()))
        && !cross_site(headers)
}

/// Whether another site's page made the request other than by taking the
/// browser there (a script's `fetch`, which CORS would let read the list; a
/// form of its own): `Sec-Fetch-*` say so, or an `Origin` that is not this
/// server's. An application that sends the user here (a navigation) is the
/// OAuth flow itself: the user still picks.
fn cross_site(headers: &HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let elsewhere = value("sec-fetch-site").is_some_and(|s| s != "same-origin" && s != "none");
    if elsewhere && value("sec-fetch-mode").is_some_and(|m| m != "navigate") {
        return true;
    }
    match (value("origin"), value("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_none_or(|(_, rest)| rest.trim_end_matches('/') != host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// `host[:port]` names this machine: `localhost`, `*.localhost` or a
/// loopback address.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    crate::config::is_loopback_name(name)
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A header proxies and CDNs add (lowercase, as `http` keeps names).
fn proxy_header(name: &str) -> bool {
    name == "forwarded"
        || name == "via"
        || name.starts_with("x-forwarded")
        || name.contains("forwarded-for")
        || name.ends_with("-ip")
        || name.starts_with("x-envoy-")
        || name == "x-original-url"
        || name == "x-rewrite-url"
        || name.starts_with("cf-")
        || name.starts_with("fastly-")
        || name.starts_with("akamai-")
}

/// The anti-forgery cookie the sign-in page sets; its value is in the page's
/// forms too. The value is a nonce and the server's HMAC of it, so a cookie
/// another page planted (cookies ignore ports: any page on this machine can
/// set one) is not a value the server made.
const FORGERY_COOKIE: &str = "b24im_signin";

/// A new anti-forgery value: `nonce.mac`.
fn forgery_value(tokens: &crate::events::payload::AppTokens) -> String {
    let nonce = crate::domain::credentials::Secret::webhook().0;
    let mac = tokens.token(&format!("sign-in:{nonce}"));
    format!("{nonce}.{mac}")
}

/// Whether `value` is one the server made.
fn forgery_value_ok(value: &str, tokens: &crate::events::payload::AppTokens) -> bool {
    use subtle::ConstantTimeEq;
    let Some((nonce, mac)) = value.split_once('.') else {
        return false;
    };
    let want = tokens.token(&format!("sign-in:{nonce}"));
    !nonce.is_empty() && bool::from(want.as_bytes().ct_eq(mac.as_bytes()))
}

/// The value of the anti-forgery cookie a request carries, if any.
fn forgery_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == FORGERY_COOKIE)
        .map(|(_, value)| value)
}

/// Whether a POST carries the page's anti-forgery token: the cookie the page
/// set and the same value in the form. Another site can make a browser POST
/// here, but cannot read the value, and the cookie is `SameSite=Strict`.
fn forgery_token_matches(
    headers: &HeaderMap,
    p: &Params,
    tokens: &crate::events::payload::AppTokens,
) -> bool {
    use subtle::ConstantTimeEq;
    let (Some(cookie), Some(field)) = (forgery_cookie(headers), p.str("csrf")) else {
        return false;
    };
    forgery_value_ok(cookie, tokens) && bool::from(cookie.as_bytes().ct_eq(field.as_bytes()))
}

/// The user who signs in, and the credential the sign-in was made with (the
/// session it starts ends with it): `user_id` (local mode only; none), or
/// the owner of the credential in `credential` (a webhook URL or secret, or
/// an access token), which must hold every scope the application gets, so a
/// sign-in never gives more than the credential had.
async fn who(
    state: &AppState,
    p: &Params,
    app: &Application,
    dev_login: bool,
) -> Result<Option<(UserId, Option<i64>)>, String> {
    if let Some(id) = p.positive_id("user_id") {
        if !dev_login {
            return Err(
                "Signing in by picking a user is off here (it is only for a local \
                        server, from its own machine)."
                    .into(),
            );
        }
        return Ok(Some((UserId(id), None)));
    }
    let Some(given) = p.str("credential").map(|c| c.trim().to_owned()) else {
        return Ok(None);
    };
    let presented = match given.find("/rest/") {
        Some(i) => {
            let mut parts = given[i + "/rest/".len()..].split('/');
            Presented::Webhook {
                user: parts.next().unwrap_or_default().to_owned(),
                token: parts.next().unwrap_or_default().to_owned(),
            }
        }
        None => Presented::AccessToken(given),
    };
    match state.auth.authenticate(presented).await {
        // A token an application holds proves nothing about who is here.
        Ok(caller) if caller.client_id.is_some() || caller.ties != Default::default() => {
            Err("Not signed in: sign in with one of your webhooks or your own access token.".into())
        }
        Ok(caller) => {
            let missing: Vec<&str> = app
                .scopes
                .names()
                .iter()
                .map(String::as_str)
                .filter(|s| !caller.scopes.contains(s))
                .collect();
            if missing.is_empty() {
                Ok(Some((caller.user, Some(caller.credential))))
            } else {
                Err(format!(
                    "Not signed in: {} asks for {}, and this credential does not have {}.",
                    app.name,
                    app.scopes.to_list(),
                    missing.join(",")
                ))
            }
        }
        Err(e) => Err(format!("Not signed in: {}.", e.description)),
    }
}

async fn sign_in_page(
    state: &AppState,
    app: &Application,
    state_param: &str,
    dev_login: bool,
    (scheme, headers, tokens): (&str, &HeaderMap, &crate::events::payload::AppTokens),
) -> Response {
    // The anti-forgery value: the browser's own if the server made it, else new.
    let token = forgery_cookie(headers)
        .filter(|v| forgery_value_ok(v, tokens))
        .map_or_else(|| forgery_value(tokens), str::to_owned);
    let mut body = format!(
        "<h1>Sign in to {}</h1><p>The application asks for: {}.</p>",
        html(&app.name),
        html(&app.scopes.to_list())
    );
    let hidden = format!(
        "<input type=hidden name=client_id value=\"{}\"><input type=hidden name=state value=\"{}\">\
         <input type=hidden name=csrf value=\"{}\">",
        html(&app.client_id),
        html(state_param),
        html(&token)
    );
    if dev_login {
        let users = match state.store.find_users(UserQuery::default()).await {
            Ok(page) => page.users,
            Err(e) => return ApiError::from(e).into_response(),
        };
        body.push_str("<h2>Act as</h2><ul>");
        for u in users {
            body.push_str(&format!(
                "<li><form method=post action=\"/oauth/authorize/\">{hidden}\
                 <input type=hidden name=user_id value={id}>\
                 <button type=submit>{name} (user {id})</button></form></li>",
                id = u.id.0,
                name = html(&display_name(&u.first_name, &u.last_name)),
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<h2>Sign in with a webhook or access token</h2>\
         <form method=post action=\"/oauth/authorize/\">{hidden}\
         <input name=credential size=60 placeholder=\"https://host/rest/1/secret/\">\
         <button type=submit>Sign in</button></form>"
    ));
    let secure = if scheme == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{FORGERY_COOKIE}={token}; Path=/oauth/authorize/; HttpOnly; SameSite=Strict{secure}"
    );
    let mut response = page_with(StatusCode::OK, "Sign in", &body);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn page(status: StatusCode, message: &str) -> Response {
    page_with(status, "b24im", &format!("<p>{}</p>", html(message)))
}

fn page_with(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>{}</title>\
         <link rel=stylesheet href=\"/app.css\"></head><body><div class=signin>{body}</div></body></html>",
        html(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Never inside another site's frame (clickjacking the sign-in).
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

/// Text made safe inside HTML and attribute values.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_local() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        let here = Peer("127.0.0.1:50000".parse().unwrap());
        assert!(local_request(Some(here), &headers));
        let there = Peer("192.0.2.7:50000".parse().unwrap());
        assert!(!local_request(Some(there), &headers), "another machine");
        assert!(!local_request(None, &headers));
        for host in ["localhost:8080", "[::1]:8443", "app.localhost", "127.0.0.2"] {
            assert!(loopback_host(host), "{host}");
        }
        for host in [
            "rebind.example:8080",
            "127.0.0.1.nip.io",
            "[2001:db8::1]:80",
            "",
        ] {
            assert!(!loopback_host(host), "{host}");
        }
        for name in [
            "x-real-ip",
            "via",
            "x-forwarded-host",
            "true-client-ip",
            "cf-connecting-ip",
        ] {
            assert!(proxy_header(name), "{name}");
        }
        assert!(!proxy_header("user-agent") && !proxy_header("cookie"));
        // Another site's script, not a navigation to the page.
        let mut fetched = headers.clone();
        fetched.insert("sec-fetch-site", "cross-site".parse().unwrap());
        fetched.insert("sec-fetch-mode", "cors".parse().unwrap());
        assert!(!local_request(Some(here), &fetched));
        let mut sent_here = headers.clone();
        sent_here.insert("sec-fetch-site", "cross-site".parse().unwrap());
        sent_here.insert("sec-fetch-mode", "navigate".parse().unwrap());
        assert!(local_request(Some(here), &sent_here), "the OAuth redirect");
        let mut foreign = headers.clone();
        foreign.insert("origin", "http://evil.example".parse().unwrap());
        assert!(!local_request(Some(here), &foreign));
        let mut own = headers.clone();
        own.insert("origin", "http://127.0.0.1:8080".parse().unwrap());
        assert!(local_request(Some(here), &own));
    }

    #[test]
    fn only_the_servers_own_anti_forgery_values_pass() {
        let tokens = crate::events::payload::AppTokens::new("secret");
        let made = forgery_value(&tokens);
        assert!(forgery_value_ok(&made, &tokens));
        assert!(!forgery_value_ok("planted.0000", &tokens));
        let (nonce, _) = made.split_once('.').unwrap();
        assert!(!forgery_value_ok(&format!("{nonce}.x"), &tokens));
        assert!(!forgery_value_ok(
            &made,
            &crate::events::payload::AppTokens::new("other")
        ));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
