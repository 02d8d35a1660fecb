//! Search (`im.search.*`): users and chats by the start of a word, and the
//! caller's list of recent search picks (`im.search.last.*`).

use super::chats::Chat;
use super::users::User;
use super::DialogRef;

/// Search phrases shorter than this are refused (`FIND_SHORT`).
pub const MIN_FIND_CHARS: usize = 2;

/// The most entries one page shows, and by default.
pub const MAX_LIMIT: i64 = 50;
pub const DEFAULT_LIMIT: i64 = 10;

/// The most picks `im.search.last.get` keeps per user (the oldest go).
pub const MAX_LAST: i64 = 50;

/// A search for users or chats.
#[derive(Debug, Clone)]
pub struct Find {
    /// Lowercase; matched at the start of a word.
    pub phrase: String,
    pub offset: i64,
    pub limit: i64,
}

impl Find {
    /// `FIND` of at least two characters; `None` otherwise.
    pub fn parse(phrase: &str, offset: Option<i64>, limit: Option<i64>) -> Option<Find> {
        let phrase = phrase.trim().to_lowercase();
        if phrase.chars().count() < MIN_FIND_CHARS {
            return None;
        }
        Some(Find {
            phrase,
            offset: offset.unwrap_or(0).max(0),
            limit: limit
                .filter(|l| *l > 0)
                .unwrap_or(DEFAULT_LIMIT)
                .min(MAX_LIMIT),
        })
    }

    /// The `LIKE` pattern (with `\` escapes) that finds the phrase at the
    /// start of a word of `' ' || text`, where text has `-` as a space.
    pub fn word_pattern(&self) -> String {
        let escaped = self
            .phrase
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
            .replace('-', " ");
        format!("% {escaped}%")
    }
}

/// One page of found things and how many there are in all.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A pick of `im.search.last.get`, as it is now.
#[derive(Debug, Clone)]
pub enum Pick {
    Chat(Chat),
    User(User),
}

/// Which picks `im.search.last.get` leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct LastFilter {
    pub skip_chats: bool,
    pub skip_dialogs: bool,
}

impl LastFilter {
    pub fn keeps(&self, pick: &DialogRef) -> bool {
        match pick {
            DialogRef::Chat(_) => !self.skip_chats,
            DialogRef::User(_) => !self.skip_dialogs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_checked_and_escaped() {
        assert!(Find::parse(" a ", None, None).is_none());
        let f = Find::parse("Jo_hn%", Some(-5), Some(500)).unwrap();
        assert_eq!((f.offset, f.limit), (0, 50));
        assert_eq!(f.word_pattern(), "% jo\\_hn\\%%");
        assert_eq!(
            Find::parse("mary-ann", None, None).unwrap().word_pattern(),
            "% mary ann%"
        );
        assert_eq!(Find::parse("ab", None, None).unwrap().limit, 10);
    }
}
