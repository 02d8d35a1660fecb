//! `im.counters.get`: docs api-reference/chats/im-counters-get.md

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use crate::domain::cases;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// An object keyed by id, or `[]` when empty, as PHP encodes an empty array.
fn keyed(entries: Vec<(i64, i64)>) -> Value {
    if entries.is_empty() {
        return json!([]);
    }
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect::<Map<String, Value>>(),
    )
}

/// `im.counters.get`: unread messages per group chat (`CHAT`, or
/// `CHAT_MUTED` for chats the caller muted) and per private dialog
/// (`DIALOG`, keyed by the other user), with totals in `TYPE`, unread
/// notifications in `TYPE.NOTIFY` (and `ALL`). b24im has no open lines or
/// "marked unread" counters yet: those are 0 and `[]`.
pub async fn get(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let counters = cases::messages::counters(cx.store(), cx.user()).await?;
    let (mut chat, mut muted, mut dialog) = (Vec::new(), Vec::new(), Vec::new());
    for c in counters {
        match (c.private, c.muted, c.other) {
            (true, _, Some(other)) => dialog.push((other.0, c.unread)),
            (true, _, None) => {}
            (false, true, _) => muted.push((c.chat.0, c.unread)),
            (false, false, _) => chat.push((c.chat.0, c.unread)),
        }
    }
    let chats: i64 = chat.iter().map(|(_, n)| n).sum();
    let dialogs: i64 = dialog.iter().map(|(_, n)| n).sum();
    let notify = cases::notifications::unread(cx.store(), cx.user()).await?;
    Ok(Reply::value(json!({
        "TYPE": {
            "ALL": chats + dialogs + notify,
            "NOTIFY": notify,
            "CHAT": chats,
            "LINES": 0,
            "DIALOG": dialogs,
            "MESSENGER": chats + dialogs,
        },
        "CHAT": keyed(chat),
        "CHAT_MUTED": keyed(muted),
        "CHAT_UNREAD": [],
        "LINES": [],
        "DIALOG": keyed(dialog),
        "DIALOG_UNREAD": [],
    })))
}
