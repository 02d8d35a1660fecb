//! Dispatch: finds a method in the table a [`Ctx`] carries, checks its
//! scope, runs it, and accounts its run time (`operating`).

use super::ctx::{Ctx, Method};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// Finds a method by name, ignoring case and a `.json` suffix.
pub fn find(methods: &'static [Method], name: &str) -> Option<&'static Method> {
    let name = name.strip_suffix(".json").unwrap_or(name);
    methods.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// Looks up, checks the scope, and runs a method.
/// Every method but `batch` (whose commands count one by one) has its run
/// time accounted per caller (`operating`, see `limits`).
pub async fn dispatch(cx: &Ctx, name: &str, params: &Params) -> Result<Reply, ApiError> {
    let method = find(cx.methods, name).ok_or_else(ApiError::method_not_found)?;
    if !method.scope.allows(&cx.caller) {
        return Err(ApiError::insufficient_scope());
    }
    if let Some(chat) = cx.caller.ties.chat {
        super::confine::check(cx, method.name, params, chat).await?;
    }
    if method.name == "batch" {
        return (method.handler)(cx, params).await;
    }
    let meter = &cx.state.meter;
    meter.check(cx.caller.meter, method.name)?;
    let start = crate::protocol::limits::Meter::now();
    let clock = std::time::Instant::now();
    let outcome = (method.handler)(cx, params).await;
    let operating = meter.record(
        cx.caller.meter,
        method.name,
        start,
        clock.elapsed().as_secs_f64(),
    );
    outcome.map(|mut reply| {
        reply.operating = Some(operating);
        reply
    })
}
