//! What a message carries beside its text: a keyboard (`KEYBOARD`), a
//! context menu (`MENU`) and attachment cards (`ATTACH`), as the pages
//! api-reference/chats/messages/{keyboards,menu,attachments}.md describe
//! them and portals store them (the server's `Keyboard`, `ContextMenu` and
//! `CIMMessageParamAttach`): each part is normalised once, on the way in,
//! into the exact shape reads return (`params.KEYBOARD`, `params.MENU`,
//! `params.ATTACH`). Parts that are not valid (a button without text or
//! action, a block of an unknown kind) are left out, as portals leave them
//! out; only a value of which nothing valid is left is an error.

use serde_json::{json, Map, Value};

/// A serialised keyboard, menu or attachment may hold fewer characters.
pub const MAX_PART_CHARS: usize = 60_000;

/// The button actions the keyboards page lists (and portals' `LIVECHAT`, `HELP`).
const ACTIONS: [&str; 7] = ["PUT", "SEND", "COPY", "CALL", "DIALOG", "LIVECHAT", "HELP"];
/// A menu item's actions (menu.md).
const MENU_ACTIONS: [&str; 5] = ["PUT", "SEND", "COPY", "CALL", "DIALOG"];
/// Colour tokens of buttons and attachments.
const COLOR_TOKENS: [&str; 4] = ["primary", "secondary", "alert", "base"];
/// Colours portals give an attachment whose `COLOR` is not one.
const PALETTE: [&str; 8] = [
    "#df532d", "#29619b", "#8474c8", "#e4a11b", "#4ba984", "#64a513", "#ec7700", "#0069b5",
];

/// Why a part was refused (the pages' error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamError {
    Keyboard,
    KeyboardOversize,
    Menu,
    MenuOversize,
    Attach,
    AttachOversize,
}

/// What an update does to one part.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Change {
    #[default]
    Keep,
    Remove,
    Set(Value),
}

/// The parts an update changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamsChange {
    pub keyboard: Change,
    pub menu: Change,
    pub attach: Change,
}

impl ParamsChange {
    pub fn is_empty(&self) -> bool {
        self.keyboard == Change::Keep && self.menu == Change::Keep && self.attach == Change::Keep
    }

    /// The parts a new message starts with.
    pub fn new_message(&self) -> Option<String> {
        self.apply(None)
    }

    /// The stored params (`{"KEYBOARD": [...], ...}` as JSON text, `None`
    /// for none) after this change.
    pub fn apply(&self, stored: Option<&str>) -> Option<String> {
        let mut params = stored
            .and_then(|s| serde_json::from_str::<Map<String, Value>>(s).ok())
            .unwrap_or_default();
        for (key, change) in [
            ("KEYBOARD", &self.keyboard),
            ("MENU", &self.menu),
            ("ATTACH", &self.attach),
        ] {
            match change {
                Change::Keep => {}
                Change::Remove => {
                    params.remove(key);
                }
                Change::Set(v) => {
                    params.insert(key.to_owned(), v.clone());
                }
            }
        }
        (!params.is_empty()).then(|| Value::Object(params).to_string())
    }
}

/// What a soft delete leaves of the stored params: the menu (portals clear
/// the keyboard and the attachments, not the menu).
pub fn after_delete(stored: Option<&str>) -> Option<String> {
    ParamsChange {
        keyboard: Change::Remove,
        menu: Change::Keep,
        attach: Change::Remove,
    }
    .apply(stored)
}

/// How a raw value reads as an update: absent or `null`, kept; empty
/// (`""`, `[]`, `{}`, `0`, `false`) or `"N"`, removed; else the value.
pub fn update_of(raw: Option<&Value>) -> Option<Option<&Value>> {
    match raw {
        None | Some(Value::Null) => None,
        Some(v) if is_empty(v) || v.as_str().is_some_and(|s| s == "N" || s == "0") => Some(None),
        Some(v) => Some(Some(v)),
    }
}

/// Empty as PHP's `empty()` reads a parameter.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0",
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// A keyboard as stored: its buttons (and `NEWLINE`s). `bot` is the bot its
/// `COMMAND` buttons run at (none: they are left out).
pub fn keyboard(raw: &Value, bot: i64) -> Result<Value, ParamError> {
    let raw = structured(raw).ok_or(ParamError::Keyboard)?;
    let (buttons, colors, vote) = match raw.get("BUTTONS") {
        Some(b) => (
            b.clone(),
            raw.get("COLORS").cloned().unwrap_or(Value::Null),
            raw.get("VOTE").and_then(Value::as_str) == Some("Y"),
        ),
        None => (raw, Value::Null, false),
    };
    let bot = match bot {
        b if b > 0 => b,
        _ => buttons_bot(&colors).unwrap_or(0),
    };
    let out: Vec<Value> = list(&buttons)
        .iter()
        .filter_map(|b| button(b, bot, &colors, vote))
        .collect();
    if out.is_empty() {
        return Err(ParamError::Keyboard);
    }
    let out = Value::Array(out);
    if out.to_string().chars().count() >= MAX_PART_CHARS {
        return Err(ParamError::KeyboardOversize);
    }
    Ok(out)
}

/// A keyboard's own `BOT_ID` (the docs put it beside `BUTTONS`).
pub fn keyboard_bot(raw: &Value) -> Option<i64> {
    let raw = structured(raw)?;
    buttons_bot(raw.get("BOT_ID").unwrap_or(&Value::Null)).filter(|b| *b > 0)
}

fn buttons_bot(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn button(b: &Value, bot: i64, colors: &Value, vote: bool) -> Option<Value> {
    let b = b.as_object()?;
    if text_of(b, "TYPE").as_deref() == Some("NEWLINE") {
        return Some(json!({"TYPE": "NEWLINE"}));
    }
    if b.contains_key("FUNCTION") {
        return None;
    }
    let text = text_of(b, "TEXT")?.trim().to_owned();
    if text.is_empty() {
        return None;
    }
    let mut out = Map::new();
    out.insert("BOT_ID".into(), bot.into());
    out.insert("TYPE".into(), "BUTTON".into());
    action(b, bot, &ACTIONS, &mut out)?;
    out.insert("TEXT".into(), text.into());
    out.insert("VOTE".into(), yes_no(vote || flag(b, "VOTE")).into());
    out.insert("BLOCK".into(), yes_no(flag(b, "BLOCK")).into());
    out.insert("WAIT".into(), "N".into());
    out.insert("CONTEXT".into(), context(b).into());
    out.insert("DISABLED".into(), yes_no(flag(b, "DISABLED")).into());
    let display = match text_of(b, "DISPLAY").as_deref() {
        Some("LINE") => "LINE",
        _ => "BLOCK",
    };
    out.insert("DISPLAY".into(), display.into());
    if let Some(w) = positive(b.get("WIDTH")) {
        out.insert("WIDTH".into(), w.into());
    }
    if let Some(t) = text_of(b, "BG_COLOR_TOKEN").filter(|t| COLOR_TOKENS.contains(&t.as_str())) {
        out.insert("BG_COLOR_TOKEN".into(), t.into());
    }
    for key in ["BG_COLOR", "TEXT_COLOR", "OFF_BG_COLOR", "OFF_TEXT_COLOR"] {
        let own = text_of(b, key).filter(|c| is_color(c));
        let default = colors
            .get(key)
            .and_then(Value::as_str)
            .filter(|c| is_color(c));
        if let Some(c) = own.or(default.map(str::to_owned)) {
            out.insert(key.into(), c.into());
        }
    }
    Some(Value::Object(out))
}

/// The first action a button or menu item has, in the portal's order:
/// `LINK`, `APP_ID`, `ACTION`, `COMMAND` (only with a bot). `None`: none.
fn action(
    b: &Map<String, Value>,
    bot: i64,
    actions: &[&str],
    out: &mut Map<String, Value>,
) -> Option<()> {
    if let Some(link) = text_of(b, "LINK").filter(|l| is_url(l)) {
        out.insert("LINK".into(), escape(&link).into());
        return Some(());
    }
    if let Some(app) = positive(b.get("APP_ID")) {
        out.insert("APP_ID".into(), app.into());
        if let Some(p) = text_of(b, "APP_PARAMS").filter(|p| !p.trim().is_empty()) {
            out.insert("APP_PARAMS".into(), p.into());
        }
        return Some(());
    }
    let act = b
        .get("ACTION")
        .and_then(Value::as_str)
        .filter(|a| actions.contains(a));
    let value = text_of(b, "ACTION_VALUE").filter(|v| !v.trim().is_empty());
    if let (Some(act), Some(value)) = (act, value) {
        out.insert("ACTION".into(), act.into());
        out.insert("ACTION_VALUE".into(), value.into());
        return Some(());
    }
    let command = text_of(b, "COMMAND").map(|c| c.trim().to_owned());
    if let Some(command) = command.filter(|c| !c.is_empty() && bot > 0) {
        let command = command.strip_prefix('/').unwrap_or(&command).to_owned();
        out.insert("COMMAND".into(), command.into());
        let params = text_of(b, "COMMAND_PARAMS").filter(|p| !p.is_empty());
        out.insert("COMMAND_PARAMS".into(), params.unwrap_or_default().into());
        return Some(());
    }
    None
}

/// A context menu as stored: its items.
pub fn menu(raw: &Value, bot: i64) -> Result<Value, ParamError> {
    let raw = structured(raw).ok_or(ParamError::Menu)?;
    let (items, own_bot) = match raw.get("ITEMS") {
        Some(i) => (i.clone(), raw.get("BOT_ID").and_then(buttons_bot)),
        None => (raw, None),
    };
    let bot = if bot > 0 { bot } else { own_bot.unwrap_or(0) };
    let out: Vec<Value> = list(&items)
        .iter()
        .filter_map(|i| {
            let i = i.as_object()?;
            if i.contains_key("FUNCTION") {
                return None;
            }
            let text = text_of(i, "TEXT")?.trim().to_owned();
            if text.is_empty() {
                return None;
            }
            let mut out = Map::new();
            out.insert("BOT_ID".into(), bot.into());
            action(i, bot, &MENU_ACTIONS, &mut out)?;
            out.insert("TEXT".into(), escape(&text).into());
            out.insert("CONTEXT".into(), context(i).into());
            out.insert("DISABLED".into(), yes_no(flag(i, "DISABLED")).into());
            Some(Value::Object(out))
        })
        .collect();
    if out.is_empty() {
        return Err(ParamError::Menu);
    }
    let out = Value::Array(out);
    if out.to_string().chars().count() >= MAX_PART_CHARS {
        return Err(ParamError::MenuOversize);
    }
    Ok(out)
}

/// One attachment as stored (`{ID, BLOCKS, COLOR?, ...}`), in the list
/// `params.ATTACH` holds. `now` is its `ID` when it names none.
pub fn attach(raw: &Value, now: i64) -> Result<Value, ParamError> {
    let raw = structured(raw).ok_or(ParamError::Attach)?;
    let full = raw.get("BLOCKS").is_some();
    let blocks = if full {
        raw["BLOCKS"].clone()
    } else {
        raw.clone()
    };
    let mut out_blocks = Vec::new();
    for b in list(&blocks) {
        blocks_of(&b, &mut out_blocks);
    }
    if out_blocks.is_empty() {
        return Err(ParamError::Attach);
    }
    let id = match raw.get("ID") {
        Some(v) if full && !is_empty(v) && !v.is_array() && !v.is_object() => v.clone(),
        _ => now.into(),
    };
    let mut out = Map::new();
    out.insert("ID".into(), id.clone());
    out.insert("BLOCKS".into(), Value::Array(out_blocks));
    if full {
        match raw.get("COLOR").and_then(Value::as_str) {
            Some(c) if c.eq_ignore_ascii_case("TRANSPARENT") => {
                out.insert("COLOR".into(), "transparent".into());
            }
            Some(c) if c.eq_ignore_ascii_case("CHAT") => {}
            Some(c) if is_color(c) => {
                out.insert("COLOR".into(), c.into());
            }
            None if raw.get("COLOR").is_none() => {}
            _ => {
                let pick = id.to_string().bytes().map(usize::from).sum::<usize>() % PALETTE.len();
                out.insert("COLOR".into(), PALETTE[pick].into());
            }
        }
        if let Some(t) = raw
            .get("COLOR_TOKEN")
            .and_then(Value::as_str)
            .filter(|t| COLOR_TOKENS.contains(t))
        {
            out.insert("COLOR_TOKEN".into(), t.into());
        }
        if let Some(d) = raw.get("DESCRIPTION").and_then(Value::as_str) {
            out.insert("DESCRIPTION".into(), d.into());
        }
    }
    let out = Value::Object(out);
    if out.to_string().chars().count() >= MAX_PART_CHARS {
        return Err(ParamError::AttachOversize);
    }
    Ok(out)
}

/// The blocks one element of `BLOCKS` makes (none when it is not valid).
fn blocks_of(b: &Value, out: &mut Vec<Value>) {
    let Some(b) = b.as_object() else { return };
    if let Some(v) = b.get("USER") {
        for u in list_or_one(v) {
            if let Some(u) = user_block(&u) {
                out.push(json!({"USER": [u]}));
            }
        }
    } else if let Some(v) = b.get("LINK") {
        for l in list_or_one(v) {
            if let Some(l) = link_block(&l, true) {
                out.push(json!({"LINK": [l]}));
            }
        }
    } else if let Some(v) = b.get("RICH_LINK") {
        for l in list_or_one(v) {
            if let Some(l) = link_block(&l, false) {
                out.push(json!({"RICH_LINK": [l]}));
            }
        }
    } else if let Some(v) = b.get("MESSAGE") {
        let text = scalar(v).unwrap_or_default();
        let text = text.trim();
        if !text.is_empty() {
            out.push(json!({"MESSAGE": line_breaks(text)}));
        }
    } else if let Some(v) = b.get("GRID") {
        let items: Vec<Value> = match v {
            Value::Array(a) => a.iter().filter_map(grid_item).collect(),
            _ => Vec::new(),
        };
        if !items.is_empty() {
            out.push(json!({"GRID": items}));
        }
    } else if let Some(v) = b.get("IMAGE") {
        let items: Vec<Value> = list_or_one(v).iter().filter_map(image_item).collect();
        if !items.is_empty() {
            out.push(json!({"IMAGE": items}));
        }
    } else if let Some(v) = b.get("FILE") {
        let items: Vec<Value> = list_or_one(v).iter().filter_map(file_item).collect();
        if !items.is_empty() {
            out.push(json!({"FILE": items}));
        }
    } else if let Some(v) = b.get("DELIMITER") {
        let size = positive(v.get("SIZE")).unwrap_or(200);
        let mut d = Map::new();
        d.insert("SIZE".into(), size.into());
        if let Some(c) = v
            .get("COLOR")
            .and_then(Value::as_str)
            .filter(|c| is_color(c))
        {
            d.insert("COLOR".into(), c.into());
        }
        out.push(json!({"DELIMITER": d}));
    }
}

fn user_block(u: &Value) -> Option<Value> {
    let u = u.as_object()?;
    let name = text_of(u, "NAME")?.trim().to_owned();
    if name.is_empty() {
        return None;
    }
    let mut out = Map::new();
    out.insert("NAME".into(), escape(&name).into());
    let mut avatar_type = "USER";
    if let Some(n) = text_of(u, "NETWORK_ID").filter(|n| !n.is_empty()) {
        out.insert("NETWORK_ID".into(), n.into());
    } else if let Some(id) = positive(u.get("USER_ID")) {
        out.insert("USER_ID".into(), id.into());
    } else if let Some(id) = positive(u.get("CHAT_ID")) {
        out.insert("CHAT_ID".into(), id.into());
        avatar_type = "CHAT";
    } else if let Some(id) = positive(u.get("BOT_ID")) {
        out.insert("BOT_ID".into(), id.into());
        avatar_type = "BOT";
    } else if let Some(l) = text_of(u, "LINK").filter(|l| is_url(l)) {
        out.insert("LINK".into(), escape(&l).into());
    }
    if let Some(t) =
        text_of(u, "AVATAR_TYPE").filter(|t| ["CHAT", "USER", "BOT"].contains(&t.as_str()))
    {
        avatar_type = match t.as_str() {
            "CHAT" => "CHAT",
            "BOT" => "BOT",
            _ => "USER",
        };
    }
    out.insert("AVATAR_TYPE".into(), avatar_type.into());
    if let Some(a) = text_of(u, "AVATAR").filter(|a| is_url(a)) {
        out.insert("AVATAR".into(), escape(&a).into());
    }
    Some(Value::Object(out))
}

fn link_block(l: &Value, sized: bool) -> Option<Value> {
    let l = l.as_object()?;
    let name = text_of(l, "NAME")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let link = text_of(l, "LINK").filter(|u| is_url(u));
    let mut out = Map::new();
    if let (Some(n), Some(_)) = (text_of(l, "NETWORK_ID").filter(|n| !n.is_empty()), &name) {
        out.insert("NETWORK_ID".into(), n.into());
    } else if let (Some(id), Some(_)) = (positive(l.get("USER_ID")), &name) {
        out.insert("USER_ID".into(), id.into());
    } else if let (Some(id), Some(_)) = (positive(l.get("CHAT_ID")), &name) {
        out.insert("CHAT_ID".into(), id.into());
    } else if link.is_none() {
        return None;
    }
    if let Some(n) = name {
        out.insert("NAME".into(), escape(&n).into());
    }
    if let Some(u) = link {
        out.insert("LINK".into(), escape(&u).into());
    }
    if let Some(d) = text_of(l, "DESC").filter(|d| !d.trim().is_empty()) {
        let d = escape(&d)
            .replace("&lt;br&gt;", "<br/>")
            .replace("&lt;br/&gt;", "<br/>")
            .replace("&lt;br /&gt;", "<br/>")
            .replace("[br]", "<br/>")
            .replace("[BR]", "<br/>");
        out.insert("DESC".into(), d.into());
    }
    if let Some(p) = text_of(l, "PREVIEW").filter(|p| is_url(p)) {
        out.insert("PREVIEW".into(), escape(&p).into());
        if sized {
            for key in ["WIDTH", "HEIGHT"] {
                if let Some(n) = positive(l.get(key)) {
                    out.insert(key.into(), n.into());
                }
            }
        }
    }
    Some(Value::Object(out))
}

fn grid_item(i: &Value) -> Option<Value> {
    let i = i.as_object()?;
    let display = match text_of(i, "DISPLAY").as_deref() {
        Some("LINE") | Some("CARD") => "LINE",
        Some("ROW") | Some("COLUMN") => "ROW",
        Some("TABLE") => "TABLE",
        _ => "BLOCK",
    };
    let name = text_of(i, "NAME").unwrap_or_default().trim().to_owned();
    let value = text_of(i, "VALUE").unwrap_or_default().trim().to_owned();
    if display != "LINE" && name.is_empty() && value.is_empty() {
        return None;
    }
    let mut out = Map::new();
    out.insert("DISPLAY".into(), display.into());
    out.insert("NAME".into(), escape(&name).into());
    out.insert("VALUE".into(), line_breaks(&value).into());
    if let Some(c) = text_of(i, "COLOR").filter(|c| is_color(c)) {
        out.insert("COLOR".into(), c.into());
    }
    if let Some(t) = text_of(i, "COLOR_TOKEN").filter(|t| COLOR_TOKENS.contains(&t.as_str())) {
        out.insert("COLOR_TOKEN".into(), t.into());
    }
    for key in ["WIDTH", "HEIGHT", "USER_ID", "CHAT_ID"] {
        if let Some(n) = positive(i.get(key)) {
            out.insert(key.into(), n.into());
        }
    }
    if let Some(l) = text_of(i, "LINK").filter(|l| is_url(l)) {
        out.insert("LINK".into(), escape(&l).into());
    }
    Some(Value::Object(out))
}

fn image_item(i: &Value) -> Option<Value> {
    let i = i.as_object()?;
    let link = text_of(i, "LINK").filter(|l| is_url(l))?;
    let mut out = Map::new();
    if let Some(n) = text_of(i, "NAME")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
    {
        out.insert("NAME".into(), escape(&n).into());
    }
    out.insert("LINK".into(), escape(&link).into());
    for key in ["WIDTH", "HEIGHT"] {
        if let Some(n) = positive(i.get(key)) {
            out.insert(key.into(), n.into());
        }
    }
    if let Some(p) = text_of(i, "PREVIEW").filter(|p| is_url(p)) {
        out.insert("PREVIEW".into(), escape(&p).into());
    }
    Some(Value::Object(out))
}

fn file_item(i: &Value) -> Option<Value> {
    let i = i.as_object()?;
    let link = text_of(i, "LINK").filter(|l| is_url(l))?;
    let mut out = Map::new();
    out.insert("LINK".into(), escape(&link).into());
    if let Some(n) = text_of(i, "NAME")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
    {
        out.insert("NAME".into(), escape(&n).into());
    }
    if let Some(s) = positive(i.get("SIZE")) {
        out.insert("SIZE".into(), s.into());
    }
    Some(Value::Object(out))
}

/// A JSON string parsed, an object or list as it is; else `None`.
fn structured(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str::<Value>(s.trim())
            .ok()
            .filter(|v| v.is_array() || v.is_object()),
        Value::Array(_) | Value::Object(_) => Some(v.clone()),
        _ => None,
    }
}

/// A list, or an object of numbered keys (a PHP array) in key order.
fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) if !o.is_empty() && o.keys().all(|k| k.parse::<u64>().is_ok()) => {
            let mut items: Vec<(u64, Value)> = o
                .iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.clone())))
                .collect();
            items.sort_by_key(|(k, _)| *k);
            items.into_iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

/// A list, or one object as a list of one.
fn list_or_one(v: &Value) -> Vec<Value> {
    match v {
        Value::Object(o) if !o.keys().all(|k| k.parse::<u64>().is_ok()) => vec![v.clone()],
        _ => list(v),
    }
}

fn text_of(o: &Map<String, Value>, key: &str) -> Option<String> {
    scalar(o.get(key)?)
}

/// A string, or a number as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(o: &Map<String, Value>, key: &str) -> bool {
    o.get(key).and_then(Value::as_str) == Some("Y") || o.get(key) == Some(&Value::Bool(true))
}

fn yes_no(on: bool) -> &'static str {
    if on {
        "Y"
    } else {
        "N"
    }
}

fn context(o: &Map<String, Value>) -> &'static str {
    match text_of(o, "CONTEXT").as_deref() {
        Some("MOBILE") => "MOBILE",
        Some("DESKTOP") => "DESKTOP",
        _ => "ALL",
    }
}

fn positive(v: Option<&Value>) -> Option<i64> {
    let n = match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n > 0).then_some(n)
}

/// `http://`, `https://` or a path from the server's root.
fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("http://") && lower.len() > 7)
        || (lower.starts_with("https://") && lower.len() > 8)
        || (s.starts_with('/') && !s.starts_with("//"))
}

/// `#RGB` or `#RRGGBB`.
fn is_color(s: &str) -> bool {
    let Some(hex) = s.strip_prefix('#') else {
        return false;
    };
    (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// HTML's special characters as entities, as portals store links and names.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `<br>` (any spelling) and `[br]` as line breaks.
fn line_breaks(s: &str) -> String {
    s.replace("<br />", "\n")
        .replace("<br/>", "\n")
        .replace("<br>", "\n")
        .replace("#BR#", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyboard_keeps_valid_buttons_in_the_portals_shape() {
        let raw = json!([
            {"TEXT": " Help ", "COMMAND": "/help", "BLOCK": "Y", "DISPLAY": "LINE", "BG_COLOR": "#29619b"},
            {"TYPE": "NEWLINE"},
            {"TEXT": "Site", "LINK": "https://a.example/?x=1&y=2", "WIDTH": "120"},
            {"TEXT": "bad"},
            {"TEXT": "Copy", "ACTION": "COPY", "ACTION_VALUE": "42"}
        ]);
        let out = keyboard(&raw, 39).expect("valid");
        assert_eq!(
            out.to_string(),
            json!([
                {"BOT_ID":39,"TYPE":"BUTTON","COMMAND":"help","COMMAND_PARAMS":"","TEXT":"Help","VOTE":"N","BLOCK":"Y","WAIT":"N","CONTEXT":"ALL","DISABLED":"N","DISPLAY":"LINE","BG_COLOR":"#29619b"},
                {"TYPE":"NEWLINE"},
                {"BOT_ID":39,"TYPE":"BUTTON","LINK":"https://a.example/?x=1&amp;y=2","TEXT":"Site","VOTE":"N","BLOCK":"N","WAIT":"N","CONTEXT":"ALL","DISABLED":"N","DISPLAY":"BLOCK","WIDTH":120},
                {"BOT_ID":39,"TYPE":"BUTTON","ACTION":"COPY","ACTION_VALUE":"42","TEXT":"Copy","VOTE":"N","BLOCK":"N","WAIT":"N","CONTEXT":"ALL","DISABLED":"N","DISPLAY":"BLOCK"}
            ])
            .to_string()
        );
        // Without a bot, command buttons are left out.
        assert_eq!(
            keyboard(&raw, 0).expect("valid").as_array().map(Vec::len),
            Some(3)
        );
        // The full form, as a JSON string, with its own bot.
        let full = json!({"BOT_ID": 7, "BUTTONS": [{"TEXT": "Go", "COMMAND": "go"}]}).to_string();
        assert_eq!(keyboard_bot(&Value::String(full.clone())), Some(7));
        assert_eq!(
            keyboard(&Value::String(full), 7).expect("valid")[0]["BOT_ID"],
            7
        );
        assert_eq!(
            keyboard(&json!([{"TEXT": "x"}]), 1),
            Err(ParamError::Keyboard)
        );
        assert_eq!(keyboard(&json!("N"), 1), Err(ParamError::Keyboard));
        let big: Vec<Value> = (0..700)
            .map(|_| json!({"TEXT": "x".repeat(100), "ACTION": "PUT", "ACTION_VALUE": "y"}))
            .collect();
        assert_eq!(
            keyboard(&Value::Array(big), 1),
            Err(ParamError::KeyboardOversize)
        );
    }

    #[test]
    fn a_menu_escapes_its_text_and_needs_an_item() {
        let raw = json!({"ITEMS": [
            {"TEXT": "Open <site>", "LINK": "/crm/"},
            {"TEXT": "Run", "COMMAND": "run", "COMMAND_PARAMS": "7", "CONTEXT": "MOBILE"}
        ]});
        assert_eq!(
            menu(&raw, 39).expect("valid").to_string(),
            json!([
                {"BOT_ID":39,"LINK":"/crm/","TEXT":"Open &lt;site&gt;","CONTEXT":"ALL","DISABLED":"N"},
                {"BOT_ID":39,"COMMAND":"run","COMMAND_PARAMS":"7","TEXT":"Run","CONTEXT":"MOBILE","DISABLED":"N"}
            ])
            .to_string()
        );
        assert_eq!(
            menu(&json!([{"TEXT": "x", "LINK": "mailto:a"}]), 1),
            Err(ParamError::Menu)
        );
    }

    #[test]
    fn an_attachment_keeps_valid_blocks() {
        let raw = json!([
            {"USER": {"NAME": "Mantis", "AVATAR": "https://x/a.jpg", "LINK": "https://x/"}},
            {"DELIMITER": {"SIZE": 0, "COLOR": "#c6c6c6"}},
            {"GRID": [{"NAME": "Project", "VALUE": "BUGS", "DISPLAY": "COLUMN", "WIDTH": 100},
                      {"NAME": "", "VALUE": "", "DISPLAY": "BLOCK"}]},
            {"IMAGE": {"LINK": "https://x/i.png"}},
            {"FILE": [{"LINK": "ftp://x/f"}]},
            {"HTML": "<b>x</b>"}
        ]);
        let out = attach(&raw, 1_700_000_000).expect("valid");
        assert_eq!(
            out,
            json!({"ID": 1_700_000_000, "BLOCKS": [
                {"USER": [{"NAME": "Mantis", "LINK": "https://x/", "AVATAR_TYPE": "USER", "AVATAR": "https://x/a.jpg"}]},
                {"DELIMITER": {"SIZE": 200, "COLOR": "#c6c6c6"}},
                {"GRID": [{"DISPLAY": "ROW", "NAME": "Project", "VALUE": "BUGS", "WIDTH": 100}]},
                {"IMAGE": [{"LINK": "https://x/i.png"}]}
            ]})
        );
        assert_eq!(
            attach(&json!([{"FILE": [{"LINK": "ftp://x/f"}]}]), 1),
            Err(ParamError::Attach)
        );
        assert_eq!(attach(&json!({"MESSAGE": "x"}), 1), Err(ParamError::Attach));
        assert_eq!(attach(&json!("garbage"), 1), Err(ParamError::Attach));
        let full = attach(
            &json!({"ID": 1, "COLOR": "#29619b", "BLOCKS": [{"MESSAGE": "Hi <b>"}]}),
            5,
        )
        .expect("valid");
        assert_eq!(
            full,
            json!({"ID": 1, "BLOCKS": [{"MESSAGE": "Hi <b>"}], "COLOR": "#29619b"})
        );
        let big = json!([{"MESSAGE": "a".repeat(60_000)}]);
        assert_eq!(attach(&big, 1), Err(ParamError::AttachOversize));
    }

    #[test]
    fn changes_set_replace_and_remove_parts() {
        let set = ParamsChange {
            keyboard: Change::Set(json!([{"TYPE": "NEWLINE"}])),
            menu: Change::Set(json!([])),
            attach: Change::Set(json!([{"ID": 1}])),
        };
        let stored = set.new_message();
        let removed = ParamsChange {
            keyboard: Change::Remove,
            ..ParamsChange::default()
        }
        .apply(stored.as_deref());
        let back: Value =
            serde_json::from_str(&removed.expect("menu and attach left")).expect("JSON");
        assert_eq!(back, json!({"MENU": [], "ATTACH": [{"ID": 1}]}));
        assert_eq!(
            after_delete(stored.as_deref()).as_deref(),
            Some(r#"{"MENU":[]}"#)
        );
        assert_eq!(update_of(Some(&json!("N"))), Some(None));
        assert_eq!(update_of(Some(&json!(""))), Some(None));
        assert_eq!(update_of(Some(&Value::Null)), None);
    }
}
