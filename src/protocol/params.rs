//! `Params`: a method's parameters, merged from the query string and the body
//! (form with PHP bracket syntax, JSON object, or multipart form), read the way
//! Bitrix24 reads them: top-level names case-insensitive, numbers as strings
//! accepted, PHP `intval` for ids.
//!
//! Decoding never panics and never recurses without bound: nesting, the number
//! of fields and the input size are limited, and invalid UTF-8 is refused.

use serde_json::{Map, Value};

/// The deepest bracket or JSON nesting accepted (PHP's default is 64).
pub const MAX_DEPTH: usize = 32;
/// The most `name=value` fields one query string or form body may carry.
pub const MAX_FIELDS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("the request is not valid UTF-8")]
    InvalidUtf8,
    #[error("the JSON body is malformed: {0}")]
    MalformedJson(String),
    #[error("the JSON body must be an object")]
    JsonNotObject,
    #[error("parameters are nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("more than {MAX_FIELDS} parameters")]
    TooManyFields,
    #[error("the multipart body is malformed")]
    MalformedMultipart,
}

/// A method's parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    map: Map<String, Value>,
}

impl Params {
    pub fn new(map: Map<String, Value>) -> Self {
        Params { map }
    }

    pub fn from_json(value: Value) -> Result<Self, ParamsError> {
        match value {
            Value::Object(map) => {
                // depth() of the object itself, without building one.
                if 1 + map.values().map(depth).max().unwrap_or(0) > MAX_DEPTH {
                    return Err(ParamsError::TooDeep);
                }
                Ok(Params { map })
            }
            _ => Err(ParamsError::JsonNotObject),
        }
    }

    /// Parses a JSON body. An empty body is no parameters.
    pub fn parse_json(body: &[u8]) -> Result<Self, ParamsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::default());
        }
        std::str::from_utf8(body).map_err(|_| ParamsError::InvalidUtf8)?;
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            if e.to_string().contains("recursion limit") {
                ParamsError::TooDeep
            } else {
                ParamsError::MalformedJson(e.to_string())
            }
        })?;
        Params::from_json(value)
    }

    /// Parses `a=1&b[]=2&c[x][y]=3` the way PHP's `parse_str` does.
    pub fn parse_query(input: &[u8]) -> Result<Self, ParamsError> {
        let mut pairs = Vec::new();
        for field in input.split(|b| *b == b'&') {
            if field.is_empty() {
                continue;
            }
            if pairs.len() >= MAX_FIELDS {
                return Err(ParamsError::TooManyFields);
            }
            let (name, value) = match field.iter().position(|b| *b == b'=') {
                Some(i) => (&field[..i], &field[i + 1..]),
                None => (field, &b""[..]),
            };
            pairs.push((url_decode(name)?, url_decode(value)?));
        }
        Params::from_pairs(pairs)
    }

    /// Builds parameters from decoded `(name, value)` pairs in PHP bracket syntax.
    /// Linear in the input: each container keeps PHP's next free index, so
    /// `a[]=..&a[]=..` does not rescan the keys on every append.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ParamsError> {
        if pairs.len() > MAX_FIELDS {
            return Err(ParamsError::TooManyFields);
        }
        let mut root = Branch::default();
        for (name, value) in pairs {
            let Some(path) = bracket_path(&name)? else {
                continue;
            };
            root.insert(&path, value);
        }
        match root.into_value() {
            Value::Object(map) => Ok(Params { map }),
            // Keys exactly 0..n at the top (`0=a&1=b`): still named parameters.
            Value::Array(items) => Ok(Params {
                map: items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            }),
            _ => Ok(Params::default()),
        }
    }

    /// Overlays `other` on `self`: a top-level name in `other` replaces the same
    /// name here (compared case-insensitively), as a POST field replaces a GET one in PHP.
    /// Linear in both sizes: of several casings of one name in `other`, the
    /// last is kept, at the place of its last occurrence.
    pub fn merge(&mut self, other: Params) {
        if other.map.is_empty() {
            return;
        }
        if self.map.len() + other.map.len() <= 16 {
            // A request's few parameters: the plain loop, no allocations.
            for (k, v) in other.map {
                self.map
                    .retain(|existing, _| !existing.eq_ignore_ascii_case(&k));
                self.map.insert(k, v);
            }
            return;
        }
        let entries: Vec<(String, Value)> = other.map.into_iter().collect();
        let mut last: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(entries.len());
        for (i, (k, _)) in entries.iter().enumerate() {
            last.insert(k.to_ascii_lowercase(), i);
        }
        self.map
            .retain(|existing, _| !last.contains_key(&existing.to_ascii_lowercase()));
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if last.get(&k.to_ascii_lowercase()) == Some(&i) {
                self.map.insert(k, v);
            }
        }
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Removes a top-level parameter (any casing) and returns the last one.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        let keys: Vec<String> = self
            .map
            .keys()
            .filter(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .collect();
        let mut last = None;
        for k in keys {
            last = self.map.shift_remove(&k);
        }
        last
    }

    /// A top-level parameter by name, ignoring ASCII case (the last one wins,
    /// as with PHP's `array_change_key_case`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// True when the parameter is present (even if empty).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A scalar parameter as text: strings as they are, numbers and booleans
    /// written out; arrays, objects and null are `None`.
    pub fn str(&self, name: &str) -> Option<String> {
        self.get(name).and_then(scalar_text)
    }

    /// PHP `intval` of a parameter: `None` if absent.
    pub fn intval(&self, name: &str) -> Option<i64> {
        self.get(name).map(intval)
    }

    /// A positive id (`intval` > 0), or `None` when absent, zero, negative or not a number.
    pub fn positive_id(&self, name: &str) -> Option<i64> {
        self.intval(name).filter(|n| *n > 0)
    }

    /// Whether the parameter is numeric in PHP's `is_numeric` sense.
    pub fn is_numeric(&self, name: &str) -> bool {
        match self.get(name) {
            Some(Value::Number(_)) => true,
            Some(Value::String(s)) => is_numeric(s),
            _ => false,
        }
    }

    /// A list parameter: a JSON array, a PHP list (`USERS[]=1&USERS[]=2`) or
    /// an object's values; a scalar becomes a one-element list.
    pub fn list(&self, name: &str) -> Option<Vec<Value>> {
        list_of(self.get(name))
    }

    /// A boolean flag as Bitrix24 reads `Y`/`N`, `true`/`false`, `1`/`0`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(truthy)
    }
}

/// PHP-ish truthiness for flags such as `halt`: `true`, non-zero numbers,
/// `"Y"`, `"true"`, `"1"` are true.
/// A value read as a list, as PHP sees `X[]=..` / `X[k]=..`: an array or an
/// object's values, a scalar as a list of one, nothing for null or absent.
pub fn list_of(v: Option<&Value>) -> Option<Vec<Value>> {
    match v? {
        Value::Array(items) => Some(items.clone()),
        Value::Object(map) => Some(map.values().cloned().collect()),
        Value::Null => None,
        scalar => Some(vec![scalar.clone()]),
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            matches!(s.as_str(), "y" | "yes" | "true" | "1" | "on")
        }
        _ => false,
    }
}

/// A member of a nested object parameter (`FIELDS`, `PROPERTIES`,
/// `fields`), any casing, as top-level names are found.
pub fn field<'a>(object: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    match object {
        Some(Value::Object(m)) => m
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The text of [`field`], empty when absent or not a scalar.
pub fn field_text(object: Option<&Value>, key: &str) -> String {
    field(object, key).and_then(scalar_text).unwrap_or_default()
}

/// The text of a scalar JSON value.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) => Some(String::new()),
        _ => None,
    }
}

/// PHP `intval`: leading whitespace, an optional sign, then digits; anything
/// else stops the number. Saturates instead of overflowing. Arrays and objects
/// count as 0 (PHP would give 1 for a non-empty array; an id never comes that way).
pub fn intval(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .map(|f| f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
            })
            .unwrap_or(0),
        Value::String(s) => intval_str(s),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn intval_str(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        let d = i64::from(b - b'0');
        n = match n.checked_mul(10).and_then(|n| n.checked_add(d)) {
            Some(n) => n,
            None => return if negative { i64::MIN } else { i64::MAX },
        };
    }
    if negative {
        -n
    } else {
        n
    }
}

/// PHP `is_numeric` for strings: optional whitespace, sign, digits with an
/// optional fraction and exponent.
pub fn is_numeric(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if t.is_empty() {
        return false;
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
/// Malformed escapes are kept literally (as PHP does); the result must be UTF-8.
pub fn url_decode(input: &[u8]) -> Result<String, ParamsError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ParamsError::InvalidUtf8)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One step of a bracket path: a named key, or `[]` (append).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Append,
}

/// Splits `a[b][]` into `[Key(a), Key(b), Append]`, as PHP does: the base name
/// ends at the first `[`; a segment without its `]` ends the path, and the rest
/// is dropped. `None` for an empty base name (PHP ignores such fields).
fn bracket_path(name: &str) -> Result<Option<Vec<Segment>>, ParamsError> {
    let (base, mut rest) = match name.find('[') {
        Some(i) if name[i..].contains(']') => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    if base.is_empty() {
        return Ok(None);
    }
    let mut path = vec![Segment::Key(base.to_owned())];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else {
            break;
        };
        let key = &stripped[..end];
        path.push(if key.is_empty() {
            Segment::Append
        } else {
            Segment::Key(key.to_owned())
        });
        if path.len() > MAX_DEPTH {
            return Err(ParamsError::TooDeep);
        }
        rest = &stripped[end + 1..];
    }
    Ok(Some(path))
}

/// A PHP array being built from form fields: its entries in insertion order,
/// and PHP's next free integer index (one past the largest non-negative
/// integer key so far).
#[derive(Debug, Default)]
struct Branch {
    entries: indexmap::IndexMap<String, Node>,
    next: i64,
}

#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(Branch),
}

impl Branch {
    /// Writes `value` at `path`, creating containers on the way; a scalar in
    /// the way is replaced by a container, as PHP does.
    fn insert(&mut self, path: &[Segment], value: String) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let key = match first {
            Segment::Key(k) => {
                if let Some(n) = php_index(k) {
                    self.next = self.next.max(n.saturating_add(1));
                }
                k.clone()
            }
            Segment::Append => {
                let n = self.next;
                self.next = n.saturating_add(1);
                n.to_string()
            }
        };
        if rest.is_empty() {
            self.entries.insert(key, Node::Leaf(value));
            return;
        }
        let child = self
            .entries
            .entry(key)
            .or_insert_with(|| Node::Branch(Branch::default()));
        if let Node::Leaf(_) = child {
            *child = Node::Branch(Branch::default());
        }
        if let Node::Branch(branch) = child {
            branch.insert(rest, value);
        }
    }

    /// The JSON value: a list when the keys are exactly `0..n` in order (as
    /// PHP's `json_encode` presents such arrays), else an object.
    fn into_value(self) -> Value {
        let is_list = !self.entries.is_empty()
            && self
                .entries
                .keys()
                .enumerate()
                .all(|(i, k)| k.parse::<usize>().ok() == Some(i) && *k == i.to_string());
        let convert = |node: Node| match node {
            Node::Leaf(s) => Value::String(s),
            Node::Branch(b) => b.into_value(),
        };
        if is_list {
            Value::Array(self.entries.into_values().map(convert).collect())
        } else {
            Value::Object(
                self.entries
                    .into_iter()
                    .map(|(k, v)| (k, convert(v)))
                    .collect(),
            )
        }
    }
}

/// A key PHP stores as an integer that moves the next free index: a
/// non-negative integer written canonically (`"7"`, not `"07"` or `"+7"`).
fn php_index(key: &str) -> Option<i64> {
    key.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0 && n.to_string() == key)
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn q(s: &str) -> Value {
        Value::Object(Params::parse_query(s.as_bytes()).unwrap().map)
    }

    #[test]
    fn plain_fields_decode() {
        assert_eq!(
            q("a=1&b=x+y&c=%D0%BF"),
            json!({"a": "1", "b": "x y", "c": "п"})
        );
        assert_eq!(q("flag&&x="), json!({"flag": "", "x": ""}));
    }

    #[test]
    fn php_brackets_build_lists_and_maps() {
        assert_eq!(q("USERS[]=1&USERS[]=2"), json!({"USERS": ["1", "2"]}));
        assert_eq!(
            q("FIELDS[TITLE]=x&FIELDS[TAGS][]=a&FIELDS[TAGS][]=b"),
            json!({"FIELDS": {"TITLE": "x", "TAGS": ["a", "b"]}})
        );
        assert_eq!(q("a[2]=x&a[]=y"), json!({"a": {"2": "x", "3": "y"}}));
        assert_eq!(q("a[0]=x&a[1]=y"), json!({"a": ["x", "y"]}));
    }

    #[test]
    fn later_fields_replace_earlier_ones() {
        assert_eq!(q("a=1&a=2"), json!({"a": "2"}));
        assert_eq!(q("a=1&a[x]=2"), json!({"a": {"x": "2"}}));
    }

    #[test]
    fn unclosed_brackets_keep_the_literal_name() {
        assert_eq!(q("a[b=1"), json!({"a[b": "1"}));
        assert_eq!(q("a[b]c]=1"), json!({"a": {"b": "1"}}));
        assert_eq!(q("[x]=1&=2"), json!({}));
    }

    #[test]
    fn bad_percent_escapes_stay_literal() {
        assert_eq!(q("a=%zz&b=%4"), json!({"a": "%zz", "b": "%4"}));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(
            Params::parse_query(b"a=%ff%fe").unwrap_err(),
            ParamsError::InvalidUtf8
        );
        assert_eq!(
            Params::parse_json(b"{\"a\":\"\xff\"}").unwrap_err(),
            ParamsError::InvalidUtf8
        );
    }

    #[test]
    fn absurd_nesting_is_refused() {
        let deep = format!("a{}=1", "[x]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            Params::parse_query(deep.as_bytes()).unwrap_err(),
            ParamsError::TooDeep
        );
        let json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let body = format!("{{\"a\":{json}}}");
        assert_eq!(
            Params::parse_json(body.as_bytes()).unwrap_err(),
            ParamsError::TooDeep
        );
        let json = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let body = format!("{{\"a\":{json}}}");
        assert_eq!(
            Params::parse_json(body.as_bytes()).unwrap_err(),
            ParamsError::TooDeep
        );
    }

    #[test]
    fn json_must_be_an_object() {
        assert_eq!(
            Params::parse_json(b"[1,2]").unwrap_err(),
            ParamsError::JsonNotObject
        );
        assert!(matches!(
            Params::parse_json(b"{\"a\":").unwrap_err(),
            ParamsError::MalformedJson(_)
        ));
        assert_eq!(Params::parse_json(b"  ").unwrap(), Params::default());
    }

    #[test]
    fn names_are_case_insensitive_and_last_wins() {
        let p = Params::parse_json(br#"{"message_id": 5, "MESSAGE_ID": "7"}"#).unwrap();
        assert_eq!(p.positive_id("Message_Id"), Some(7));
    }

    proptest! {
        /// Merging many parameters (the linear path) keeps what the plain
        /// loop keeps: the body's last casing of each name, where it last came.
        #[test]
        fn merging_agrees_with_the_plain_loop(
            first in proptest::collection::vec(("[aAbBcC][xX]?", "[0-9]"), 0..20),
            second in proptest::collection::vec(("[aAbBcCdD][xX]?", "[0-9]"), 0..20),
        ) {
            let to_params = |v: &[(String, String)]| Params { map: v.iter().map(|(k, x)| (k.clone(), json!(x))).collect() };
            let mut fast = to_params(&first);
            fast.merge(to_params(&second));
            let mut plain = to_params(&first);
            for (k, v) in to_params(&second).map {
                plain.map.retain(|existing, _| !existing.eq_ignore_ascii_case(&k));
                plain.map.insert(k, v);
            }
            prop_assert_eq!(
                fast.map.into_iter().collect::<Vec<_>>(),
                plain.map.into_iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn form_brackets_merge_with_json_body() {
        let mut p = Params::parse_query(b"MESSAGE_ID=1&ACTION=plus&bx24_request_id=x").unwrap();
        p.merge(Params::parse_json(br#"{"message_id": 2}"#).unwrap());
        assert_eq!(p.positive_id("MESSAGE_ID"), Some(2));
        assert_eq!(p.str("action").as_deref(), Some("plus"));
    }

    #[test]
    fn intval_follows_php() {
        for (input, expected) in [
            (json!("12"), 12),
            (json!(" 12abc"), 12),
            (json!("abc"), 0),
            (json!("-3"), -3),
            (json!("+4"), 4),
            (json!(""), 0),
            (json!(5.9), 5),
            (json!(true), 1),
            (json!(null), 0),
            (json!([1]), 0),
            (json!("99999999999999999999999"), i64::MAX),
        ] {
            assert_eq!(intval(&input), expected, "{input}");
        }
    }

    #[test]
    fn is_numeric_follows_php() {
        for ok in ["1", " 1", "-1.5", ".5", "5.", "1e3", "+2E-2"] {
            assert!(is_numeric(ok), "{ok}");
        }
        for bad in ["", "abc", "1a", "1e", ".", "--1", "0x1A"] {
            assert!(!is_numeric(bad), "{bad}");
        }
    }

    #[test]
    fn lists_come_from_arrays_maps_and_scalars() {
        let p = Params::parse_json(br#"{"a": [1, 2], "b": {"x": 3}, "c": 4}"#).unwrap();
        assert_eq!(p.list("a"), Some(vec![json!(1), json!(2)]));
        assert_eq!(p.list("b"), Some(vec![json!(3)]));
        assert_eq!(p.list("c"), Some(vec![json!(4)]));
        assert_eq!(p.list("d"), None);
    }

    /// The decoder before it kept each container's next index: it rescanned
    /// the keys on every append (quadratic), but it is PHP's rule written
    /// plainly, so the fast one is checked against it.
    fn reference(pairs: &[(String, String)]) -> Value {
        fn next_index(map: &Map<String, Value>) -> i64 {
            map.keys()
                .filter_map(|k| php_index(k))
                .max()
                .map_or(0, |m| m + 1)
        }
        fn insert(node: &mut Value, path: &[Segment], value: Value) {
            let Some((first, rest)) = path.split_first() else {
                *node = value;
                return;
            };
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(map) = node else { return };
            let key = match first {
                Segment::Key(k) => k.clone(),
                Segment::Append => next_index(map).to_string(),
            };
            if rest.is_empty() {
                map.insert(key, value);
                return;
            }
            let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
            insert(child, rest, value);
        }
        fn listify(v: Value) -> Value {
            match v {
                Value::Object(map) => {
                    let is_list =
                        !map.is_empty() && map.keys().enumerate().all(|(i, k)| *k == i.to_string());
                    if is_list {
                        Value::Array(map.into_iter().map(|(_, v)| listify(v)).collect())
                    } else {
                        Value::Object(map.into_iter().map(|(k, v)| (k, listify(v))).collect())
                    }
                }
                other => other,
            }
        }
        let mut root = Value::Object(Map::new());
        for (name, value) in pairs {
            if let Ok(Some(path)) = bracket_path(name) {
                insert(&mut root, &path, Value::String(value.clone()));
            }
        }
        listify(root)
    }

    #[test]
    fn appends_cost_the_same_however_many_came_before() {
        // A complexity check, not a speed target: four times the fields may
        // take about four times as long (quadratic work took sixteen). The
        // two sizes are timed in turns and the fastest of each is compared,
        // three times over, so a busy machine cannot fail it: only a ratio
        // over 9 in all three does (the quadratic decoder measured 16).
        let time = |n: usize| {
            let body = "a[]&".repeat(n);
            let t = std::time::Instant::now();
            Params::parse_query(body.as_bytes()).unwrap();
            t.elapsed()
        };
        let mut tries = Vec::new();
        for _ in 0..3 {
            let (mut small, mut large) = (std::time::Duration::MAX, std::time::Duration::MAX);
            for _ in 0..7 {
                small = small.min(time(2_400));
                large = large.min(time(9_600));
            }
            if large < small * 9 {
                let p = Params::parse_query("a[]&".repeat(9_999).as_bytes()).unwrap();
                assert_eq!(p.list("a").map(|l| l.len()), Some(9_999));
                return;
            }
            tries.push((small, large));
        }
        panic!("2,400 appends against 9,600, three times: {tries:?}");
    }

    /// Percent-encodes every byte that is not unreserved.
    fn encode(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn parse_query_never_panics(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Params::parse_query(&input);
        }

        #[test]
        fn parse_json_never_panics(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Params::parse_json(&input);
        }

        #[test]
        fn encoded_scalars_round_trip(name in "[A-Za-z_][A-Za-z0-9_]{0,12}", value in "\\PC{0,40}") {
            let query = format!("{}={}", encode(&name), encode(&value));
            let p = Params::parse_query(query.as_bytes()).unwrap();
            prop_assert_eq!(p.str(&name), Some(value));
        }

        #[test]
        fn appended_lists_keep_order(values in proptest::collection::vec("\\PC{0,12}", 1..20)) {
            let query: Vec<String> = values.iter().map(|v| format!("L%5B%5D={}", encode(v))).collect();
            let p = Params::parse_query(query.join("&").as_bytes()).unwrap();
            let expected: Vec<Value> = values.iter().cloned().map(Value::String).collect();
            prop_assert_eq!(p.list("l"), Some(expected));
        }

        #[test]
        fn nested_keys_land_where_named(a in "[a-z]{1,6}", b in "[a-z]{1,6}", v in "[a-z0-9]{0,8}") {
            let query = format!("ROOT%5B{a}%5D%5B{b}%5D={v}");
            let p = Params::parse_query(query.as_bytes()).unwrap();
            prop_assert_eq!(p.get("root").and_then(|r| r.get(&a)).and_then(|x| x.get(&b)), Some(&Value::String(v)));
        }

        #[test]
        fn the_decoder_agrees_with_php_rules_written_plainly(
            fields in proptest::collection::vec(
                (prop::sample::select(vec!["a", "b", "a[]", "a[x]", "a[1]", "a[0]", "a[][]", "a[x][]",
                    "b[2]", "b[]", "a[00]", "a[-1]", "a[5][y]", "a[x][1]", "a[", "[x]"]),
                 "[a-z0-9]{0,3}"),
                0..24,
            )
        ) {
            let pairs: Vec<(String, String)> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let fast = Value::Object(Params::from_pairs(pairs.clone()).unwrap().map);
            let mut plain = reference(&pairs);
            if let Value::Array(items) = plain {
                // The old decoder dropped a top level of only 0..n keys.
                plain = Value::Object(items.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect());
            }
            prop_assert_eq!(fast, plain);
        }

        #[test]
        fn intval_matches_rust_parse_for_plain_integers(n in any::<i64>()) {
            prop_assert_eq!(intval(&Value::String(n.to_string())), n);
        }
    }
}
