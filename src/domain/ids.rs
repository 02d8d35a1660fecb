//! Identifier newtypes, so that a user id can never be passed where a chat id belongs.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            /// Accepts only positive ids: zero and negatives never name anything.
            pub fn new(raw: i64) -> Option<Self> {
                (raw > 0).then_some($name(raw))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user (a person or, later, a bot).
    UserId
);
id_type!(
    /// A chat: a group chat or the private dialog of two users.
    ChatId
);
id_type!(
    /// A message in a chat.
    MessageId
);

/// How a client names a conversation: `chat12` for a group chat, `12` for the
/// private dialog with user 12 (`DIALOG_ID` in the Bitrix methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogRef {
    Chat(ChatId),
    User(UserId),
}

impl DialogRef {
    /// Parses `chatN` (case-insensitive prefix) or a positive user id.
    /// Group and project chats (`sgN`) are not modelled and do not parse.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let lower = raw.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("chat") {
            return parse_positive(rest).map(|id| DialogRef::Chat(ChatId(id)));
        }
        parse_positive(&lower).map(|id| DialogRef::User(UserId(id)))
    }
}

fn parse_positive(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|n| *n > 0)
}

impl fmt::Display for DialogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialogRef::Chat(id) => write!(f, "chat{id}"),
            DialogRef::User(id) => write!(f, "{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialog_ref_parses_chats_and_users() {
        assert_eq!(
            DialogRef::parse("chat12"),
            Some(DialogRef::Chat(ChatId(12)))
        );
        assert_eq!(DialogRef::parse("CHAT7"), Some(DialogRef::Chat(ChatId(7))));
        assert_eq!(DialogRef::parse("5"), Some(DialogRef::User(UserId(5))));
        assert_eq!(DialogRef::parse(" 5 "), Some(DialogRef::User(UserId(5))));
    }

    #[test]
    fn dialog_ref_rejects_garbage() {
        for bad in [
            "", "chat", "chat0", "0", "-1", "chat-1", "abc", "sg3", "1.5", "chat1x",
        ] {
            assert_eq!(DialogRef::parse(bad), None, "{bad:?}");
        }
    }
}
