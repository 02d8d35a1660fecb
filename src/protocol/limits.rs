//! The request limits of ../shared/reference/b24restdocs/limits.md, per
//! webhook or application (a caller's [`MeterKey`]):
//!
//! - request intensity, a leaky bucket: each HTTP request adds one, the
//!   counter drains `drain` a second, and past `threshold` a request answers
//!   503 `QUERY_LIMIT_EXCEEDED` (only when a rate limit is configured);
//! - accumulated run time per method (`operating`), always accounted: ten
//!   one-minute baskets, each dropped ten minutes after its first call
//!   (`operating_reset_at`); past the configured limit, the next call of that
//!   method answers 429 `OPERATION_TIME_LIMIT`. `batch` itself is not
//!   accounted; its commands are, each as its own method.
//!
//! Both live in this process: behind a load balancer each node keeps its own
//! counters (docs/security.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;

use super::error::ApiError;
use crate::config::{Limits, RateLimit};

/// Whose counters a request moves: one webhook, or one application.
pub type MeterKey = u64;

/// How long a basket counts: ten minutes.
const WINDOW_SECS: f64 = 600.0;
/// One basket per minute.
const BASKET_SECS: f64 = 60.0;
const BASKETS: usize = 10;
/// Entries kept before the expired ones are dropped (and, if that is not
/// enough, all of them: memory stays bounded whatever the callers do).
const MAX_ENTRIES: usize = 100_000;

/// A method's accumulated run time as the `time` object reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operating {
    pub seconds: f64,
    pub reset_at: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Basket {
    /// When its first call started (Unix seconds); 0 for an empty basket.
    started: f64,
    seconds: f64,
}

#[derive(Debug, Default)]
struct Baskets([Basket; BASKETS]);

impl Baskets {
    fn live(&self, now: f64) -> impl Iterator<Item = &Basket> {
        self.0
            .iter()
            .filter(move |b| b.started > 0.0 && b.started + WINDOW_SECS > now)
    }

    fn operating(&self, now: f64) -> Operating {
        let seconds = self.live(now).map(|b| b.seconds).sum();
        let oldest = self
            .live(now)
            .map(|b| b.started)
            .fold(f64::INFINITY, f64::min);
        let reset = if oldest.is_finite() { oldest } else { now } + WINDOW_SECS;
        Operating {
            seconds,
            reset_at: reset.floor() as i64,
        }
    }

    /// Adds `seconds` of a call that started at `start`.
    fn add(&mut self, start: f64, seconds: f64) {
        let newest = self
            .0
            .iter_mut()
            .filter(|b| b.started > 0.0)
            .max_by(|a, b| a.started.total_cmp(&b.started));
        match newest {
            Some(b) if b.started + BASKET_SECS > start => b.seconds += seconds,
            _ => {
                // A new minute: it takes the place of the oldest basket.
                if let Some(slot) = self
                    .0
                    .iter_mut()
                    .min_by(|a, b| a.started.total_cmp(&b.started))
                {
                    *slot = Basket {
                        started: start,
                        seconds,
                    };
                }
            }
        }
    }

    fn expired(&self, now: f64) -> bool {
        self.live(now).next().is_none()
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: f64,
}

/// The counters of one server process.
#[derive(Debug)]
pub struct Meter {
    rate: Option<RateLimit>,
    operating_limit: Option<f64>,
    buckets: Mutex<HashMap<MeterKey, Bucket>>,
    methods: Mutex<HashMap<(MeterKey, &'static str), Baskets>>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Meter {
    pub fn new(limits: &Limits) -> Self {
        Meter {
            rate: limits.rate,
            operating_limit: limits.operating_limit,
            buckets: Mutex::new(HashMap::new()),
            methods: Mutex::new(HashMap::new()),
        }
    }

    /// One more HTTP request from `key`: refused with 503
    /// `QUERY_LIMIT_EXCEEDED` while the bucket is over the threshold.
    pub fn admit(&self, key: MeterKey) -> Result<(), ApiError> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        self.admit_at(key, rate, unix_now())
    }

    fn admit_at(&self, key: MeterKey, rate: RateLimit, now: f64) -> Result<(), ApiError> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_ENTRIES && !buckets.contains_key(&key) {
            buckets.retain(|_, b| b.level - (now - b.at) * rate.drain > 0.0);
            if buckets.len() >= MAX_ENTRIES {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            level: 0.0,
            at: now,
        });
        let level = (bucket.level - (now - bucket.at).max(0.0) * rate.drain).max(0.0);
        bucket.at = now;
        if level + 1.0 > rate.threshold {
            // A refused request does not fill the bucket further.
            bucket.level = level;
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "QUERY_LIMIT_EXCEEDED",
                "Too many requests",
            ));
        }
        bucket.level = level + 1.0;
        Ok(())
    }

    /// Before a method runs: 429 `OPERATION_TIME_LIMIT` while its
    /// accumulated time for `key` is over the limit.
    pub fn check(&self, key: MeterKey, method: &'static str) -> Result<(), ApiError> {
        let Some(limit) = self.operating_limit else {
            return Ok(());
        };
        let now = unix_now();
        let over = self
            .methods
            .lock()
            .ok()
            .and_then(|m| {
                m.get(&(key, method))
                    .map(|b| b.operating(now).seconds > limit)
            })
            .unwrap_or(false);
        if over {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "OPERATION_TIME_LIMIT",
                "Method is blocked due to operation time limit.",
            ));
        }
        Ok(())
    }

    /// After a method ran for `seconds` from `start` (Unix seconds): adds it,
    /// and answers what the `time` object reports.
    pub fn record(
        &self,
        key: MeterKey,
        method: &'static str,
        start: f64,
        seconds: f64,
    ) -> Operating {
        let now = start + seconds;
        let Ok(mut methods) = self.methods.lock() else {
            return Operating {
                seconds,
                reset_at: (now + WINDOW_SECS) as i64,
            };
        };
        if methods.len() >= MAX_ENTRIES && !methods.contains_key(&(key, method)) {
            methods.retain(|_, b| !b.expired(now));
            if methods.len() >= MAX_ENTRIES {
                methods.clear();
            }
        }
        let baskets = methods.entry((key, method)).or_default();
        baskets.add(start, seconds);
        baskets.operating(now)
    }

    /// The current time, as `record` takes it.
    pub fn now() -> f64 {
        unix_now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: Option<RateLimit>, operating: Option<f64>) -> Limits {
        Limits {
            rate,
            operating_limit: operating,
            ..Limits::default()
        }
    }

    #[test]
    fn the_bucket_lets_a_burst_through_then_drains() {
        let rate = RateLimit {
            threshold: 50.0,
            drain: 2.0,
        };
        let m = Meter::new(&limits(Some(rate), None));
        let t = 1_000_000.0;
        for i in 0..50 {
            assert!(m.admit_at(7, rate, t).is_ok(), "request {i}");
        }
        let refused = m.admit_at(7, rate, t).unwrap_err();
        assert_eq!(
            (refused.status.as_u16(), refused.code.as_ref()),
            (503, "QUERY_LIMIT_EXCEEDED")
        );
        // Another webhook has its own bucket.
        assert!(m.admit_at(8, rate, t).is_ok());
        // Half a second drains one request: one more goes through, not two.
        assert!(m.admit_at(7, rate, t + 0.5).is_ok());
        assert!(m.admit_at(7, rate, t + 0.5).is_err());
        // At the drain rate it never refuses.
        for i in 1..=100 {
            assert!(m.admit_at(7, rate, t + 0.5 + f64::from(i) * 0.5).is_ok());
        }
    }

    #[test]
    fn operating_adds_up_per_method_and_resets_ten_minutes_after_a_basket_began() {
        let m = Meter::new(&limits(None, Some(1.0)));
        let t = 2_000_000.0;
        let first = m.record(1, "im.message.like", t, 0.4);
        assert_eq!(first.seconds, 0.4);
        assert_eq!(first.reset_at, (t + 600.0) as i64);
        let second = m.record(1, "im.message.like", t + 30.0, 0.4);
        assert!((second.seconds - 0.8).abs() < 1e-9);
        assert_eq!(second.reset_at, (t + 600.0) as i64, "the oldest basket's");
        // Another minute: a new basket; the reset still follows the oldest.
        let third = m.record(1, "im.message.like", t + 90.0, 0.4);
        assert!((third.seconds - 1.2).abs() < 1e-9);
        assert_eq!(third.reset_at, (t + 600.0) as i64);
        // Other methods and other callers have their own accounts.
        assert_eq!(m.record(1, "im.message.add", t, 0.1).seconds, 0.1);
        assert_eq!(m.record(2, "im.message.like", t, 0.1).seconds, 0.1);
        // After the first basket lapses, only the later one counts.
        let later = m.record(1, "im.message.like", t + 601.0, 0.0);
        assert!((later.seconds - 0.4).abs() < 1e-9, "{later:?}");
        assert_eq!(later.reset_at, (t + 690.0) as i64);
    }

    #[test]
    fn a_method_over_its_time_is_refused_until_baskets_lapse() {
        let m = Meter::new(&limits(None, Some(1.0)));
        let now = unix_now();
        m.record(3, "user.get", now, 1.5);
        let e = m.check(3, "user.get").unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code.as_ref()),
            (429, "OPERATION_TIME_LIMIT")
        );
        assert!(m.check(3, "im.message.like").is_ok(), "other methods run");
        assert!(m.check(4, "user.get").is_ok(), "other callers run");
        let m = Meter::new(&limits(None, Some(1.0)));
        m.record(3, "user.get", now - 700.0, 1.5);
        assert!(m.check(3, "user.get").is_ok(), "lapsed");
    }

    #[test]
    fn ten_baskets_at_most() {
        let mut b = Baskets::default();
        for minute in 0..25 {
            b.add(1000.0 + f64::from(minute) * 61.0, 1.0);
        }
        assert_eq!(b.0.iter().filter(|x| x.started > 0.0).count(), BASKETS);
        let now = 1000.0 + 24.0 * 61.0;
        // Only the baskets begun in the last ten minutes count.
        assert_eq!(b.operating(now).seconds, 10.0);
    }
}
