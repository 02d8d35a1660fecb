//! The Bitrix24 response envelopes: `{result, time, total?, next?}` on success,
//! `{error, error_description}` on failure, and the `time` object every
//! success carries (the official SDKs read all of its keys).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Local, SecondsFormat, TimeZone};
use serde_json::{json, Value};

use super::error::ApiError;
use super::limits::Operating;
use crate::domain::Timestamp;

/// How long Bitrix24's `operating` window lasts; `operating_reset_at` points
/// to its end.
const OPERATING_WINDOW_SECS: f64 = 600.0;

/// What a method answers: its result, plus paging for list methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub result: Payload,
    pub total: Option<i64>,
    pub next: Option<i64>,
    /// The method's accumulated run time for this caller, set by the registry.
    pub operating: Option<Operating>,
}

/// A method's `result`: a `Value`, or JSON text a method wrote straight
/// from its rows (a big answer read often, `im.dialog.messages.get`, skips
/// building a tree only to serialise it).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Value(Value),
    /// One JSON value, already serialised.
    Written(String),
}

impl Payload {
    /// The result as a `Value` (`batch` nests it and looks into it).
    pub fn into_value(self) -> Value {
        match self {
            Payload::Value(v) => v,
            Payload::Written(text) => serde_json::from_str(&text).unwrap_or_default(),
        }
    }
}

impl Reply {
    pub fn value(result: impl Into<Value>) -> Self {
        Reply {
            result: Payload::Value(result.into()),
            total: None,
            next: None,
            operating: None,
        }
    }

    /// A result already serialised by the method, e.g. with
    /// `serde_json::to_string` of a `Serialize` view.
    pub fn written(json: String) -> Self {
        Reply {
            result: Payload::Written(json),
            total: None,
            next: None,
            operating: None,
        }
    }

    /// A page of a list method, with `total` and `next` as the SDKs read them.
    pub fn page(result: Value, total: Option<i64>, next: Option<i64>) -> Self {
        Reply {
            result: Payload::Value(result),
            total,
            next,
            operating: None,
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
        self.now(None).to_value()
    }

    fn now(&self, operating: Option<Operating>) -> Time {
        let start = unix_seconds(self.wall);
        let duration = self.mono.elapsed().as_secs_f64();
        let finish = start + duration;
        Time {
            start,
            finish,
            duration,
            processing: duration,
            date_start: iso_from_f64(start),
            date_finish: iso_from_f64(finish),
            operating_reset_at: operating
                .map_or((start + OPERATING_WINDOW_SECS).floor() as i64, |o| {
                    o.reset_at
                }),
            operating: operating.map_or(0.0, |o| o.seconds),
        }
    }
}

/// The `time` object, in the order its keys are written. Rendered as a
/// `Value` (batch nests it) or straight into a body, by the one derive.
#[derive(serde::Serialize)]
struct Time {
    start: f64,
    finish: f64,
    duration: f64,
    processing: f64,
    date_start: String,
    date_finish: String,
    operating_reset_at: i64,
    /// Seconds this method has run for the caller in the window: a double
    /// (data-types.md), as portals send it.
    operating: f64,
}

impl Time {
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
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
    // Every answer's `time` formats the current second, twice: finding the
    // local offset is the costly part, so each thread keeps its last one.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const {
            std::cell::RefCell::new((i64::MIN, String::new()))
        };
    }
    LAST.with_borrow_mut(|(second, text)| {
        if *second != t.0 {
            let local: DateTime<Local> = Local
                .timestamp_opt(t.0, 0)
                .single()
                .unwrap_or_else(|| DateTime::<Local>::from(UNIX_EPOCH));
            *text = local.to_rfc3339_opts(SecondsFormat::Secs, false);
            *second = t.0;
        }
        text.clone()
    })
}

/// The success body of one call, serialised: `result`, `next`, `total`,
/// `time`, in that order.
pub fn success_body(reply: &Reply, timing: &Timing) -> Vec<u8> {
    let mut out = Vec::with_capacity(match &reply.result {
        Payload::Written(text) => text.len() + 320,
        Payload::Value(_) => 320,
    });
    let written = (|| -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"result\":");
        match &reply.result {
            Payload::Value(v) => serde_json::to_writer(&mut out, v)?,
            Payload::Written(text) => out.extend_from_slice(text.as_bytes()),
        }
        if let Some(next) = reply.next {
            out.extend_from_slice(format!(",\"next\":{next}").as_bytes());
        }
        if let Some(total) = reply.total {
            out.extend_from_slice(format!(",\"total\":{total}").as_bytes());
        }
        out.extend_from_slice(b",\"time\":");
        timing.now(reply.operating).write(&mut out)?;
        out.push(b'}');
        Ok(())
    })();
    match written {
        Ok(()) => out,
        Err(_) => b"{}".to_vec(),
    }
}

/// The error body.
pub fn error_body(err: &ApiError) -> Value {
    let mut body = json!({"error": err.code, "error_description": err.description});
    if let (Some(name), Some(map)) = (err.argument, body.as_object_mut()) {
        map.insert("argument".into(), Value::from(name));
    }
    body
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    bytes_response(
        status,
        serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
    )
}

/// A JSON body already serialised.
pub fn bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &error_body(&self));
        if self.status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
            // Rate limits and a database that is away: both pass within a second or so.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
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
    fn the_written_time_is_the_value_serialised() {
        let time = Time {
            start: 1_772_608_704.123_456_7,
            finish: 1_772_608_704.125,
            duration: 0.001_543_3,
            processing: 0.001_543_3,
            date_start: iso_date(Timestamp(1_772_608_704)),
            date_finish: iso_date(Timestamp(1_772_608_705)),
            operating_reset_at: 1_772_609_304,
            operating: 0.0,
        };
        let mut written = Vec::new();
        time.write(&mut written).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            serde_json::to_string(&time.to_value()).unwrap()
        );
    }

    #[test]
    fn a_success_body_has_result_next_total_time_in_order() {
        let reply = Reply {
            operating: None,
            result: Payload::Value(json!({"b": [1, "two", null], "a": "\"quoted\" ünïcode"})),
            next: Some(50),
            total: Some(-7),
        };
        let text = String::from_utf8(success_body(&reply, &Timing::start())).unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["result", "next", "total", "time"]);
        assert_eq!(body["result"], reply.result.clone().into_value());
        assert_eq!(
            (body["next"].as_i64(), body["total"].as_i64()),
            (Some(50), Some(-7))
        );
        let time: Vec<&String> = body["time"].as_object().unwrap().keys().collect();
        let expected: Vec<String> = Timing::start()
            .time()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(time, expected.iter().collect::<Vec<_>>());
        let plain = success_body(&Reply::value(true), &Timing::start());
        assert!(plain.starts_with(b"{\"result\":true,\"time\":{\"start\":"));
    }

    #[test]
    fn the_date_cache_answers_each_second_for_itself() {
        let a = iso_date(Timestamp(1_772_608_704));
        let b = iso_date(Timestamp(1_772_608_705));
        assert_ne!(a, b);
        assert_eq!(iso_date(Timestamp(1_772_608_704)), a);
    }

    #[test]
    fn dates_carry_an_offset() {
        let s = iso_date(Timestamp(1_772_608_704));
        assert_eq!(s.len(), "2026-03-04T10:18:24+03:00".len(), "{s}");
        assert!(chrono::DateTime::parse_from_rfc3339(&s).is_ok());
    }
}
