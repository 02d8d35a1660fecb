//! `batch`: up to 50 commands in one call, each a `method?query` string in PHP
//! bracket syntax, run in order through the registry (never over HTTP).
//! Later commands may refer to earlier results as `$result[key][field]...`.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::registry;
use crate::protocol::envelope::{self, Reply, Timing};
use crate::protocol::error::ApiError;
use crate::protocol::params::{scalar_text, truthy, Params};
use axum::http::StatusCode;

/// The most commands one batch runs; the rest fail with `ERROR_BATCH_LENGTH_EXCEEDED`.
pub const MAX_COMMANDS: usize = 50;

/// `batch`: docs settings/how-to-call-rest-api/batch.md
pub async fn run(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let halt = p.get("halt").is_some_and(truthy);
    let commands: Vec<(String, Value)> = match p.get("cmd") {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };

    // The results, in order: also what `$result[...]` refers to.
    let mut done: Map<String, Value> = Map::new();
    let mut errors: Vec<(String, Value)> = Vec::new();
    let mut totals: Vec<(String, Value)> = Vec::new();
    let mut nexts: Vec<(String, Value)> = Vec::new();
    let mut times: Vec<(String, Value)> = Vec::new();
    // What the answer may still hold: past it, the rest is not run.
    let mut room = cx.state.config.limits.batch_answer;

    for (index, (key, command)) in commands.into_iter().enumerate() {
        let timing = Timing::start();
        let outcome = if index >= MAX_COMMANDS {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ERROR_BATCH_LENGTH_EXCEEDED",
                "Max batch length exceeded",
            ))
        } else if room == 0 {
            Err(answer_too_large(cx, false))
        } else {
            run_one(cx, &command, &done).await.and_then(|reply| {
                // A result the method wrote as text is nested as a value.
                let result = reply.result.into_value();
                let size = json_size(&result, room);
                if size > room {
                    room = 0;
                    return Err(answer_too_large(cx, true));
                }
                room -= size;
                Ok((result, reply.total, reply.next))
            })
        };
        match outcome {
            Ok((result, total, next)) => {
                if let Some(total) = total {
                    totals.push((key.clone(), total.into()));
                }
                if let Some(next) = next {
                    nexts.push((key.clone(), next.into()));
                }
                times.push((key.clone(), timing.time()));
                done.insert(key, result);
            }
            Err(e) => {
                errors.push((key, envelope::error_body(&e)));
                if halt {
                    break;
                }
            }
        }
    }

    let mut out = Map::new();
    out.insert("result".into(), php_array(done.into_iter().collect()));
    out.insert("result_error".into(), php_array(errors));
    out.insert("result_total".into(), php_array(totals));
    out.insert("result_next".into(), php_array(nexts));
    out.insert("result_time".into(), php_array(times));
    Ok(Reply::value(Value::Object(out)))
}

/// The batch's answer reached `--batch-answer-limit`: the command whose
/// result would pass it (`ran`) ran, and its result is not sent; the
/// commands after it are not run. Memory per request stays bounded whatever
/// a batch asks for.
fn answer_too_large(cx: &Ctx, ran: bool) -> ApiError {
    let limit = cx.state.config.limits.batch_answer;
    let description = if ran {
        format!(
            "This command ran, but its result would take the batch's answer past its limit \
             of {limit} bytes; read it in another call"
        )
    } else {
        format!(
            "Not run: the batch's answer reached its limit of {limit} bytes; run it in \
             another call"
        )
    };
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "ERROR_BATCH_ANSWER_TOO_LARGE",
        description,
    )
}

async fn run_one(cx: &Ctx, command: &Value, done: &Map<String, Value>) -> Result<Reply, ApiError> {
    let Some(command) = command.as_str() else {
        return Err(ApiError::param(
            "INVALID_REQUEST",
            "A batch command must be a string 'method?parameters'",
        ));
    };
    let (method, query) = command.split_once('?').unwrap_or((command, ""));
    let method = method.trim();
    let Some(found) = registry::find(cx.methods, method) else {
        return Err(ApiError::method_not_found());
    };
    if !found.batchable {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        ));
    }
    let mut params = Params::parse_query(query.as_bytes())?;
    // Commands run as the batch's caller; credentials inside a command mean nothing.
    params.take("auth");
    let mut budget = Budget::new(cx.state.config.limits.batch_expansion);
    let mut substituted = Map::new();
    for (k, v) in params.as_map() {
        substituted.insert(k.clone(), substitute(v, done, &mut budget)?);
    }
    registry::dispatch(cx, method, &Params::new(substituted)).await
}

/// How many bytes `$result[...]` references may add to one command: each
/// expansion is counted as it is made, so a command that repeats a large
/// result thousands of times fails at the limit instead of filling memory.
struct Budget {
    limit: usize,
    left: usize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget { limit, left: limit }
    }

    fn spend(&mut self, bytes: usize) -> Result<(), ApiError> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ERROR_BATCH_EXPANSION_EXCEEDED",
                format!(
                    "References to earlier results expand this command past {} bytes",
                    self.limit
                ),
            )),
        }
    }
}

/// The size of `v` written as JSON, counted only up to `cap` (the walk stops
/// there): what a whole-value reference costs the budget.
fn json_size(v: &Value, cap: usize) -> usize {
    let mut size = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        if size > cap {
            break;
        }
        size += match v {
            Value::String(s) => s.len() + 2,
            Value::Number(_) => 20,
            Value::Bool(_) | Value::Null => 5,
            Value::Array(items) => {
                stack.extend(items);
                2 + items.len()
            }
            Value::Object(map) => {
                for (k, v) in map {
                    size += k.len() + 3;
                    stack.push(v);
                }
                2
            }
        };
    }
    size
}

/// Replaces `$result[key][field]...` references in string values with what
/// earlier commands answered. A value that is exactly one reference takes the
/// referenced value whole (a list stays a list); references inside longer text
/// are written out as text. Unresolvable references are left as they are.
fn substitute(
    v: &Value,
    done: &Map<String, Value>,
    budget: &mut Budget,
) -> Result<Value, ApiError> {
    Ok(match v {
        Value::String(s) if s.contains("$result[") => {
            if let Some((path, rest)) = parse_reference(s) {
                if rest.is_empty() && s.starts_with("$result[") {
                    if let Some(found) = resolve(&path, done) {
                        budget.spend(json_size(found, budget.left))?;
                        return Ok(found.clone());
                    }
                }
            }
            Value::String(substitute_text(s, done, budget)?)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute(i, done, budget))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), substitute(v, done, budget)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn substitute_text(
    s: &str,
    done: &Map<String, Value>,
    budget: &mut Budget,
) -> Result<String, ApiError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("$result[") {
        out.push_str(&rest[..i]);
        let candidate = &rest[i..];
        match parse_reference(candidate) {
            Some((path, after)) => {
                let consumed = candidate.len() - after.len();
                match resolve(&path, done).and_then(scalar_text) {
                    Some(text) => {
                        budget.spend(text.len())?;
                        out.push_str(&text);
                    }
                    None => out.push_str(&candidate[..consumed]),
                }
                rest = after;
            }
            None => {
                out.push_str("$result[");
                rest = &candidate["$result[".len()..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses `$result[a][b]...` at the start of `s` into its path and the rest of `s`.
fn parse_reference(s: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = s.strip_prefix("$result")?;
    let mut path = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let end = inner.find(']')?;
        path.push(inner[..end].to_owned());
        rest = &inner[end + 1..];
    }
    (!path.is_empty()).then_some((path, rest))
}

fn resolve<'a>(path: &[String], done: &'a Map<String, Value>) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut node = done.get(first)?;
    for key in rest {
        node = match node {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Presents keyed results as PHP's `json_encode` would: a list when the keys
/// are exactly 0..n in order (and `[]` when empty), otherwise an object.
pub fn php_array(entries: Vec<(String, Value)>) -> Value {
    let is_list = entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string());
    if is_list {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn done() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("chat".into(), json!(12));
        m.insert("user".into(), json!({"ID": "3", "DEPS": [7, 8]}));
        m
    }

    fn sub(v: &Value) -> Value {
        substitute(v, &done(), &mut Budget::new(1 << 20)).unwrap()
    }

    #[test]
    fn expansions_stop_at_the_budget() {
        let mut done = Map::new();
        done.insert("big".into(), json!("x".repeat(10_000)));
        done.insert("list".into(), json!(["y".repeat(10_000)]));
        // One reference fits; the hundredth does not.
        let one = json!({"a": "$result[big]"});
        assert!(substitute(&one, &done, &mut Budget::new(100_000)).is_ok());
        let many = Value::Array(vec![json!("$result[big]"); 100]);
        let err = substitute(&many, &done, &mut Budget::new(100_000)).unwrap_err();
        assert_eq!(err.code, "ERROR_BATCH_EXPANSION_EXCEEDED");
        let text = json!("$result[big]".repeat(100));
        assert!(substitute(&text, &done, &mut Budget::new(100_000)).is_err());
        let lists = Value::Array(vec![json!("$result[list]"); 100]);
        assert!(substitute(&lists, &done, &mut Budget::new(100_000)).is_err());
        assert!(json_size(&done["list"], usize::MAX) > 10_000);
    }

    #[test]
    fn whole_references_keep_their_type() {
        assert_eq!(sub(&json!("$result[chat]")), json!(12));
        assert_eq!(sub(&json!("$result[user][DEPS]")), json!([7, 8]));
        assert_eq!(sub(&json!("$result[user][DEPS][1]")), json!(8));
    }

    #[test]
    fn embedded_references_become_text() {
        assert_eq!(
            sub(&json!("chat$result[chat] by $result[user][ID]")),
            json!("chat12 by 3")
        );
    }

    #[test]
    fn unresolved_references_stay() {
        assert_eq!(sub(&json!("$result[nope][x]")), json!("$result[nope][x]"));
        assert_eq!(sub(&json!("$result[oops")), json!("$result[oops"));
    }

    proptest::proptest! {
        /// Any command text: substitution never panics, and what references
        /// add never exceeds the budget.
        #[test]
        fn substitution_is_total_and_bounded(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("$result[".to_owned()),
                    proptest::strategy::Just("$result[user][DEPS]".to_owned()),
                    proptest::strategy::Just("$result[chat]".to_owned()),
                    proptest::strategy::Just("]".to_owned()),
                    "\\PC{0,6}",
                ],
                0..40,
            ),
            budget in 0usize..200,
        ) {
            let text = parts.concat();
            let mut b = Budget::new(budget);
            match substitute(&json!(text), &done(), &mut b) {
                Ok(Value::String(out)) => {
                    proptest::prop_assert!(out.len() <= text.len() + budget);
                }
                Ok(other) => proptest::prop_assert!(other == json!(12) || other == json!([7, 8])),
                Err(e) => proptest::prop_assert_eq!(e.code.as_ref(), "ERROR_BATCH_EXPANSION_EXCEEDED"),
            }
            let _ = parse_reference(&text);
        }
    }

    #[test]
    fn php_arrays_are_lists_only_for_sequential_keys() {
        assert_eq!(php_array(vec![]), json!([]));
        assert_eq!(
            php_array(vec![("0".into(), json!(1)), ("1".into(), json!(2))]),
            json!([1, 2])
        );
        assert_eq!(php_array(vec![("1".into(), json!(2))]), json!({"1": 2}));
        assert_eq!(php_array(vec![("a".into(), json!(2))]), json!({"a": 2}));
    }
}
