//! Event delivery: outbox entries, after their change committed, POSTed to
//! their handlers as Bitrix24 posts them.
//!
//! - At least once: an event leaves the outbox only when its handler answered
//!   2xx. A failure or a timeout schedules a retry with backoff; after the
//!   last attempt the event is kept as `dead` (`b24im events list --state
//!   dead`, `b24im events replay`).
//! - Stable ids: every attempt carries the event's id in `X-B24im-Event-Id`,
//!   so a receiver can drop duplicates.
//! - Crash-safe: events are leased, not removed, while in flight; a process
//!   killed mid-delivery leaves them to be delivered after the lease ends.
//! - Never in a like's way: delivery runs on its own tasks with bounded
//!   concurrency and a timeout per attempt.

pub mod app;
pub mod form;
pub mod payload;
pub mod reach;
pub mod worker;

pub use worker::{spawn, DeliveryConfig, StartError};

/// The HTTP client events are POSTed with: no redirects followed, each
/// attempt bounded by `timeout`, introduced as Bitrix24's sender; with
/// `public_only`, names resolve to public addresses only (reach.rs).
pub fn http_client(
    timeout: std::time::Duration,
    public_only: bool,
) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Bitrix24 Webhook Engine");
    if public_only {
        // No proxy either: a proxy would resolve (and reach) for us.
        builder
            .dns_resolver(std::sync::Arc::new(reach::PublicOnly))
            .no_proxy()
            .build()
    } else {
        builder.build()
    }
}

/// The portal's `member_id` (32 letters and digits), made on first use and
/// fixed for the life of the data directory.
pub async fn member_id(
    store: &dyn crate::domain::store::Store,
) -> Result<String, crate::domain::store::StoreError> {
    use crate::domain::credentials::Secret;
    store
        .setting(
            "member_id".into(),
            Secret::webhook().0 + &Secret::webhook().0,
        )
        .await
}

/// The secret applications' `application_token`s are keyed by (64 letters
/// and digits), made on first use and kept in the data store, never shown.
pub async fn app_tokens(
    store: &dyn crate::domain::store::Store,
) -> Result<payload::AppTokens, crate::domain::store::StoreError> {
    use crate::domain::credentials::Secret;
    let secret = store
        .setting(
            "application_token_key".into(),
            Secret::access_token().0 + &Secret::webhook().0,
        )
        .await?;
    Ok(payload::AppTokens::new(&secret))
}

/// What the `auth` of events says about this server, reached at `public_url`.
pub async fn portal(
    store: &dyn crate::domain::store::Store,
    public_url: &str,
) -> Result<payload::Portal, crate::domain::store::StoreError> {
    Ok(payload::Portal::new(
        public_url,
        member_id(store).await?,
        app_tokens(store).await?,
    ))
}
