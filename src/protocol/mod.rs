//! The Bitrix24 REST edge: routes, request decoding, authentication and the
//! response envelopes. It knows HTTP and the Bitrix protocol, never SQL.
//!
//! Every `/rest` route goes through [`entry`]: read the body (bounded), build
//! [`Params`] from query and body, authenticate, look the method up in the
//! registry, run it, and wrap the answer.

pub mod auth;
pub mod envelope;
pub mod error;
pub mod limits;
pub mod live;
pub mod oauth;
pub mod params;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use futures_util::stream;

use self::auth::Presented;
use self::envelope::{bytes_response, json_response, success_body, Reply, Timing};
use self::error::ApiError;
use self::params::{scalar_text, Params, ParamsError};
use crate::methods::ctx::Ctx;
use crate::methods::{registry, table};
use crate::state::AppState;

/// The `/rest` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token/", any(oauth::token))
        .route("/oauth/token", any(oauth::token))
        .route("/oauth/authorize/", any(oauth::authorize))
        .route("/oauth/authorize", any(oauth::authorize))
        .route("/rest/app.info/", any(oauth::server_app_info))
        .route("/rest/download.json", any(download))
        .route("/upload/avatar/{name}", any(avatar))
        .route("/live", axum::routing::get(live::live))
        .route("/rest/{method}", any(oauth_entry))
        // b24jssdk's OAuth client joins `client_endpoint` (`.../rest/`) and
        // `/METHOD`: portals answer `/rest//METHOD` as `/rest/METHOD`.
        .route("/rest//{method}", any(oauth_entry))
        .route("/rest/{user}/{token}/{method}", any(webhook_entry))
}

/// Any other path: a JSON 404, never an HTML page.
pub async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &envelope::error_body(&ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Not found: REST methods live under /rest/",
        )),
    )
}

/// A signed download link (`im.v2.File.download`, the `url*` of files):
/// the file's content, or a JSON 404 when the link is bad, expired, or its
/// user may no longer read the file.
async fn download(State(state): State<AppState>, request: Request) -> Response {
    let token = request
        .uri()
        .query()
        .and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .map(|t| {
                    percent_encoding::percent_decode_str(t)
                        .decode_utf8_lossy()
                        .into_owned()
                })
        })
        .unwrap_or_default();
    let gone = || {
        json_response(
            StatusCode::NOT_FOUND,
            &envelope::error_body(&ApiError::new(
                StatusCode::NOT_FOUND,
                "FILE_NOT_FOUND",
                "File not found",
            )),
        )
    };
    match crate::domain::cases::files::open_link(state.store.as_ref(), &token).await {
        Ok(Some((file, bytes))) => {
            let name: String = file
                .name
                .chars()
                .map(|c| if c == '"' || c == '\\' { '_' } else { c })
                .collect();
            let ascii: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii() && !c.is_ascii_control() {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let encoded =
                percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
            let disposition =
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
            let mut response = Response::new(axum::body::Body::from(bytes));
            let headers = response.headers_mut();
            if let Ok(v) = axum::http::HeaderValue::from_str(content_type(&file.extension())) {
                headers.insert(axum::http::header::CONTENT_TYPE, v);
            }
            if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
                headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
            }
            // A bearer link: no shared cache keeps it, no browser guesses
            // another type than the one given.
            headers.insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("private, no-store"),
            );
            headers.insert(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                axum::http::HeaderValue::from_static("nosniff"),
            );
            response
        }
        Ok(None) => gone(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A chat's picture, to anyone who has its address (as portals serve
/// their upload folder); a JSON 404 for anything else.
async fn avatar(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match crate::domain::cases::chats::avatar(state.store.as_ref(), &name).await {
        Ok(Some(bytes)) => {
            let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
            let mut response = Response::new(axum::body::Body::from(bytes));
            let headers = response.headers_mut();
            if let Ok(v) = axum::http::HeaderValue::from_str(content_type(ext)) {
                headers.insert(axum::http::header::CONTENT_TYPE, v);
            }
            headers.insert(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                axum::http::HeaderValue::from_static("nosniff"),
            );
            response
        }
        Ok(None) => not_found().await,
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The media type of a file by its extension (a download is an attachment
/// either way).
fn content_type(extension: &str) -> &'static str {
    match extension {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" | "csv" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

async fn oauth_entry(
    State(state): State<AppState>,
    Path(method): Path<String>,
    request: Request,
) -> Response {
    entry(state, None, method, request).await
}

async fn webhook_entry(
    State(state): State<AppState>,
    Path((user, token, method)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    entry(state, Some((user, token)), method, request).await
}

/// Takes the request apart (its parts are moved, not copied) and answers it.
async fn entry(
    state: AppState,
    webhook: Option<(String, String)>,
    method: String,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (http_method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let timing = Timing::start();
    let started = std::time::Instant::now();
    let outcome = handle(&state, webhook, &method, &http_method, &uri, &headers, body).await;
    let response = match outcome {
        Ok(reply) => bytes_response(StatusCode::OK, success_body(&reply, &timing)),
        Err(e) => e.into_response(),
    };
    tracing::info!(
        method = %method,
        http = %http_method,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    state: &AppState,
    webhook: Option<(String, String)>,
    method: &str,
    http_method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Reply, ApiError> {
    if *http_method != Method::GET && *http_method != Method::POST && *http_method != Method::HEAD {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "Use GET or POST",
        ));
    }
    let limit = state.config.body_limit;
    // A body declared larger than the limit is refused before it is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    let bytes =
        match tokio::time::timeout(state.config.limits.body_timeout, to_bytes(body, limit)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => return Err(ApiError::too_large(limit)),
            Err(_) => return Err(ApiError::body_timeout(state.config.limits.body_timeout)),
        };

    let mut params = Params::parse_query(uri.query().unwrap_or("").as_bytes())?;
    params.merge(parse_body(headers, bytes).await?);

    // A method that does not exist is answered before any credential is
    // looked at, as portals do (404, not 401).
    if registry::find(table::METHODS, method).is_none() {
        return Err(ApiError::method_not_found());
    }
    // Taken out of the parameters on every route; a webhook in the path
    // is the credential when there is one.
    let token = presented_token(headers, &mut params);
    let presented = match webhook {
        Some((user, token)) => Presented::Webhook { user, token },
        None => token,
    };
    let caller = state.auth.authenticate(presented).await?;
    state.meter.admit(caller.meter)?;

    let cx = Ctx {
        state: state.clone(),
        caller,
        methods: table::METHODS,
    };
    registry::dispatch(&cx, method, &params).await
}

/// The access token a request presents, as portals look for one:
/// `Authorization: Bearer` first, then the `auth` parameter, then
/// `access_token` (query, form or JSON body). An empty one counts as none.
/// Both parameters are taken out of the method's parameters either way.
fn presented_token(headers: &HeaderMap, params: &mut Params) -> Presented {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let v = v.trim_start();
            let (scheme, rest) = v.split_at(v.find(char::is_whitespace)?);
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let mut param = |name: &str| {
        params
            .take(name)
            .as_ref()
            .and_then(scalar_text)
            .filter(|t| !t.is_empty())
    };
    let auth = param("auth");
    let access_token = param("access_token");
    match bearer.or(auth).or(access_token) {
        Some(token) => Presented::AccessToken(token),
        None => Presented::Nothing,
    }
}

/// Decodes a body by its `Content-Type`; without one, a body that looks like a
/// JSON object is JSON and anything else is a form.
async fn parse_body(headers: &HeaderMap, bytes: axum::body::Bytes) -> Result<Params, ApiError> {
    if bytes.is_empty() {
        return Ok(Params::default());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        return Ok(Params::parse_json(&bytes)?);
    }
    if content_type.starts_with("multipart/form-data") {
        return parse_multipart(&content_type, bytes).await;
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(Params::parse_query(&bytes)?);
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        Ok(Params::parse_json(&bytes)?)
    } else {
        Ok(Params::parse_query(&bytes)?)
    }
}

async fn parse_multipart(content_type: &str, bytes: axum::body::Bytes) -> Result<Params, ApiError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| ParamsError::MalformedMultipart)?;
    let body = stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut pairs = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| ParamsError::MalformedMultipart)?
    {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        // Files are not supported; their parts are skipped.
        if field.file_name().is_some() {
            continue;
        }
        let value = field
            .bytes()
            .await
            .map_err(|_| ParamsError::MalformedMultipart)?;
        let value = String::from_utf8(value.to_vec()).map_err(|_| ParamsError::InvalidUtf8)?;
        pairs.push((name, value));
        if pairs.len() > params::MAX_FIELDS {
            return Err(ParamsError::TooManyFields.into());
        }
    }
    Ok(Params::from_pairs(pairs)?)
}
