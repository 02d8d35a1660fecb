//! PHP's `http_build_query`: how Bitrix24 encodes the events it POSTs, so a
//! handler reads them as `$_REQUEST['data']['PARAMS']['MESSAGE']`.

use serde_json::Value;

/// Encodes a JSON object as `a=1&b%5Bc%5D=2`: nested objects and arrays
/// become bracketed keys; strings as they are, numbers written out, `true` as
/// `1`, `false` as `0`, and `null` left out, as PHP does.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    if let Value::Object(map) = value {
        for (k, v) in map {
            push(&mut out, &urlencode(k), v);
        }
    }
    out
}

fn push(out: &mut String, key: &str, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                push(out, &format!("{key}%5B{}%5D", urlencode(k)), v);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                push(out, &format!("{key}%5B{i}%5D"), v);
            }
        }
        // PHP leaves nulls out.
        Value::Null => {}
        scalar => {
            let text = match scalar {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(true) => "1".to_owned(),
                _ => "0".to_owned(),
            };
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(&urlencode(&text));
        }
    }
}

/// PHP's `urlencode`: letters, digits and `-_.` stay, space becomes `+`,
/// everything else `%XX`.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::params::Params;
    use serde_json::json;

    #[test]
    fn nested_values_use_php_brackets() {
        let v = json!({"event": "ONIMBOTMESSAGEADD", "data": {"PARAMS": {"MESSAGE": "a b&c"}, "L": [1, 2]}, "n": 5});
        assert_eq!(
            encode(&v),
            "event=ONIMBOTMESSAGEADD&data%5BPARAMS%5D%5BMESSAGE%5D=a+b%26c&data%5BL%5D%5B0%5D=1&data%5BL%5D%5B1%5D=2&n=5"
        );
    }

    #[test]
    fn our_own_decoder_reads_it_back() {
        let v = json!({"data": {"BOT": {"567": {"BOT_ID": "567"}}, "PARAMS": {"MESSAGE": "привет [b]x[/b]"}}, "ts": "1"});
        let back = Params::parse_query(encode(&v).as_bytes()).unwrap();
        assert_eq!(
            back.get("data").unwrap()["PARAMS"]["MESSAGE"],
            "привет [b]x[/b]"
        );
        assert_eq!(back.get("data").unwrap()["BOT"]["567"]["BOT_ID"], "567");
    }
}
