//! Messages: posting, editing, deleting and reading a chat's history.

use super::{ChatId, Error, MessageId, Timestamp, UserId};

/// The longest message accepted, in characters (Bitrix24 cuts messages near this size).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The most messages one history page holds, and the default page size.
pub const MAX_PAGE: u32 = 50;
pub const DEFAULT_PAGE: u32 = 20;

/// A message as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub chat: ChatId,
    /// `None` for system messages (Bitrix shows author 0).
    pub author: Option<UserId>,
    pub text: String,
    pub date: Timestamp,
    /// System event code such as `CHAT_JOIN`, for system messages.
    pub system_code: Option<String>,
    pub edited: bool,
    pub deleted: bool,
    /// Users who like the message, in the order they liked it.
    pub likes: Vec<UserId>,
    /// Its keyboard, menu and attachments as stored (JSON text, see
    /// [`super::message_params`]); `None` for none.
    pub params: Option<String>,
}

/// What `im.message.share` makes of a message (`TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareKind {
    Chat,
    Task,
    Post,
    Calendar,
}

impl ShareKind {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_ascii_uppercase().as_str() {
            "CHAT" => ShareKind::Chat,
            "TASK" => ShareKind::Task,
            "POST" => ShareKind::Post,
            "CALEND" => ShareKind::Calendar,
            _ => return None,
        })
    }
}

/// The most characters of a message that name the chat made from it.
pub const SHARED_TITLE_CHARS: usize = 50;

/// The title of a chat made from a message: its first line, cut to
/// [`SHARED_TITLE_CHARS`] (with an ellipsis), or a plain name for an empty one.
pub fn shared_title(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.is_empty() {
        return "Message discussion".to_owned();
    }
    if line.chars().count() <= SHARED_TITLE_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(SHARED_TITLE_CHARS).collect();
    format!("{}...", cut.trim_end())
}

/// The message quoted as Bitrix24 quotes one: between two lines of dashes,
/// under its author's name and date.
pub fn quote(author: &str, date: &str, text: &str) -> String {
    const LINE: &str = "------------------------------------------------------";
    format!("{LINE}\n{author} [{date}]\n{text}\n{LINE}")
}

/// What a system message records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemEvent {
    Join,
    Leave,
}

impl SystemEvent {
    pub fn code(self) -> &'static str {
        match self {
            SystemEvent::Join => "CHAT_JOIN",
            SystemEvent::Leave => "CHAT_LEAVE",
        }
    }
}

/// Which slice of a history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The newest `limit` messages.
    Latest { limit: u32 },
    /// The newest `limit` messages with an id below `before`.
    Before { before: i64, limit: u32 },
    /// The oldest `limit` messages with an id above `after`.
    After { after: i64, limit: u32 },
}

impl Page {
    /// Clamps the limit to 1..=50 (0 or less means the default), as the method does.
    pub fn limit(raw: Option<i64>) -> u32 {
        match raw {
            None => DEFAULT_PAGE,
            Some(n) if n <= 0 => DEFAULT_PAGE,
            Some(n) => n.min(MAX_PAGE as i64) as u32,
        }
    }
}

/// Validates message text: not blank, not oversized.
pub fn check_text(text: &str) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(Error::MessageEmpty);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::MessageTooLong);
    }
    Ok(())
}

/// Text as the v2 bot methods take it: longer than [`MAX_TEXT_CHARS`], it
/// is cut to fit with ` (...)` at its end (the imbot.v2 index page's limit).
pub fn truncated(text: &str) -> std::borrow::Cow<'_, str> {
    const MORE: &str = " (...)";
    if text.chars().count() <= MAX_TEXT_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let keep: String = text.chars().take(MAX_TEXT_CHARS - MORE.len()).collect();
    std::borrow::Cow::Owned(keep + MORE)
}

/// A page of history as `im.dialog.messages.get` shows it: newest first.
#[derive(Debug, Default)]
pub struct History {
    pub chat: Option<ChatId>,
    pub messages: Vec<Message>,
    pub authors: Vec<super::users::User>,
    pub files: Vec<super::files::StoredFile>,
    /// The reader's read mark (`i64::MAX` where they have no chat yet:
    /// nothing is unread).
    pub last_read: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_message_names_and_quotes_its_chat() {
        assert_eq!(
            shared_title("\n  Release plan \nsecond line"),
            "Release plan"
        );
        assert_eq!(shared_title(""), "Message discussion");
        let long = "x".repeat(60);
        assert_eq!(shared_title(&long), format!("{}...", "x".repeat(50)));
        assert_eq!(
            quote("Anna Lee", "01.12.2026 10:00", "hi"),
            "------------------------------------------------------\nAnna Lee [01.12.2026 10:00]\nhi\n------------------------------------------------------"
        );
        assert_eq!(ShareKind::parse("calend"), Some(ShareKind::Calendar));
        assert_eq!(ShareKind::parse("FILE"), None);
    }

    #[test]
    fn page_limit_defaults_and_clamps() {
        assert_eq!(Page::limit(None), 20);
        assert_eq!(Page::limit(Some(0)), 20);
        assert_eq!(Page::limit(Some(-4)), 20);
        assert_eq!(Page::limit(Some(7)), 7);
        assert_eq!(Page::limit(Some(500)), 50);
    }

    #[test]
    fn text_must_have_content_and_fit() {
        assert!(matches!(check_text("  \n"), Err(Error::MessageEmpty)));
        assert!(matches!(
            check_text(&"x".repeat(MAX_TEXT_CHARS + 1)),
            Err(Error::MessageTooLong)
        ));
        assert!(check_text("hello").is_ok());
    }
}

/// A `(user id, full name)` pair as system messages mention people.
pub type Mention = (UserId, String);

/// The text of a system message, in Bitrix24's BB-code mention format.
pub fn system_text(event: SystemEvent, actor: &Mention, subjects: &[Mention]) -> String {
    let tag = |(id, name): &Mention| format!("[USER={id} REPLACE]{name}[/USER]");
    match event {
        SystemEvent::Join => {
            let names: Vec<String> = subjects.iter().map(tag).collect();
            format!("{} invited {} to the chat", tag(actor), names.join(", "))
        }
        SystemEvent::Leave => match subjects.first() {
            Some(subject) if subject.0 != actor.0 => {
                format!("{} kicked {} from the chat", tag(actor), tag(subject))
            }
            _ => format!("{} left the chat", tag(actor)),
        },
    }
}

#[cfg(test)]
mod system_text_tests {
    use super::*;

    #[test]
    fn mentions_use_bitrix_bb_codes() {
        let a = (UserId(1), "Klaus Weber".to_string());
        let b = (UserId(2), "Anna Weber".to_string());
        assert_eq!(
            system_text(SystemEvent::Join, &a, std::slice::from_ref(&b)),
            "[USER=1 REPLACE]Klaus Weber[/USER] invited [USER=2 REPLACE]Anna Weber[/USER] to the chat"
        );
        assert_eq!(
            system_text(SystemEvent::Leave, &b, std::slice::from_ref(&b)),
            "[USER=2 REPLACE]Anna Weber[/USER] left the chat"
        );
        assert_eq!(
            system_text(SystemEvent::Leave, &a, &[b]),
            "[USER=1 REPLACE]Klaus Weber[/USER] kicked [USER=2 REPLACE]Anna Weber[/USER] from the chat"
        );
    }

    #[test]
    fn v2_text_is_cut_to_the_limit_with_a_mark() {
        let long = "é".repeat(MAX_TEXT_CHARS + 10);
        let cut = truncated(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS);
        assert!(cut.ends_with(" (...)"));
        assert_eq!(truncated("short"), "short");
        assert!(check_text(&cut).is_ok());
    }
}
