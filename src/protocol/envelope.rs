//! The Bitrix24 response envelopes: `{result, time, total?, next?}` on success,
//! `{error, error_description}` on failure, and the `time` object every
//! success carries (the official SDKs read all of its keys).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Local, SecondsFormat, TimeZone};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use crate::domain::Timestamp;

/// How long Bitrix24's `operating` window lasts; `operating_reset_at` points
/// to its end.
const OPERATING_WINDOW_SECS: f64 = 600.0;

/// What a method answers: its result, plus paging for list methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub result: Value,
    pub total: Option<i64>,
    pub next: Option<i64>,
}

impl Reply {
    pub fn value(result: impl Into<Value>) -> Self {
        Reply {
            result: result.into(),
            total: None,
            next: None,
        }
    }
}

/// When a request (or a batch command) started.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    wall: SystemTime,
    mono: Instant,
}

impl Timing {
    pub fn start() -> Self {
        Timing {
            wall: SystemTime::now(),
            mono: Instant::now(),
        }
    }

    /// The complete `time` object, as of now.
    pub fn time(&self) -> Value {
        let start = unix_seconds(self.wall);
        let duration = self.mono.elapsed().as_secs_f64();
        let finish = start + duration;
        json!({
            "start": start,
            "finish": finish,
            "duration": duration,
            "processing": duration,
            "date_start": iso_from_f64(start),
            "date_finish": iso_from_f64(finish),
            "operating_reset_at": (start + OPERATING_WINDOW_SECS).floor() as i64,
            "operating": 0,
        })
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn iso_from_f64(secs: f64) -> String {
    iso_date(Timestamp(secs.floor() as i64))
}

/// ISO 8601 with the server's offset, e.g. `2026-03-04T10:18:24+03:00`: the
/// `datetime` type of the Bitrix24 docs.
pub fn iso_date(t: Timestamp) -> String {
    let local: DateTime<Local> = Local
        .timestamp_opt(t.0, 0)
        .single()
        .unwrap_or_else(|| DateTime::<Local>::from(UNIX_EPOCH));
    local.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The success body of one call.
pub fn success_body(reply: Reply, timing: &Timing) -> Value {
    let mut body = Map::new();
    body.insert("result".into(), reply.result);
    if let Some(next) = reply.next {
        body.insert("next".into(), next.into());
    }
    if let Some(total) = reply.total {
        body.insert("total".into(), total.into());
    }
    body.insert("time".into(), timing.time());
    Value::Object(body)
}

/// The error body.
pub fn error_body(err: &ApiError) -> Value {
    json!({"error": err.code, "error_description": err.description})
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &error_body(&self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_has_every_key_the_sdks_read() {
        let t = Timing::start().time();
        for key in [
            "start",
            "finish",
            "duration",
            "processing",
            "date_start",
            "date_finish",
            "operating_reset_at",
            "operating",
        ] {
            assert!(t.get(key).is_some(), "{key}");
        }
        assert!(t["operating_reset_at"].is_i64());
        assert!(t["finish"].as_f64() >= t["start"].as_f64());
    }

    #[test]
    fn dates_carry_an_offset() {
        let s = iso_date(Timestamp(1_772_608_704));
        assert_eq!(s.len(), "2026-03-04T10:18:24+03:00".len(), "{s}");
        assert!(chrono::DateTime::parse_from_rfc3339(&s).is_ok());
    }
}
