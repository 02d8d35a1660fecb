//! Dispatch: finds a method in the table a [`Ctx`] carries, checks its
//! scope, runs it, and accounts its run time (`operating`).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::ctx::{Ctx, Method};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// The server's table by lowercase name: every request looks its method up
/// (twice: before the credential, and to dispatch), so not by a scan of
/// the table's hundreds of names.
static INDEX: LazyLock<HashMap<String, &'static Method>> = LazyLock::new(|| {
    super::table::METHODS
        .iter()
        .map(|m| (m.name.to_ascii_lowercase(), m))
        .collect()
});

/// Finds a method by name, ignoring case and a `.json` suffix.
pub fn find(methods: &'static [Method], name: &str) -> Option<&'static Method> {
    let name = name.strip_suffix(".json").unwrap_or(name);
    if std::ptr::eq(methods, super::table::METHODS) {
        return if name.bytes().any(|b| b.is_ascii_uppercase()) {
            INDEX.get(&name.to_ascii_lowercase()).copied()
        } else {
            INDEX.get(name).copied()
        };
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_found_in_any_case_and_with_json() {
        for m in super::super::table::METHODS {
            let upper = m.name.to_ascii_uppercase();
            for name in [m.name.to_owned(), upper.clone(), format!("{}.json", m.name)] {
                let found = find(super::super::table::METHODS, &name).map(|f| f.name);
                assert_eq!(found, Some(m.name), "{name}");
            }
        }
        assert!(find(super::super::table::METHODS, "no.such.method").is_none());
        assert!(find(super::super::table::METHODS, "").is_none());
    }
}
