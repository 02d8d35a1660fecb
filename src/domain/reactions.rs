//! Reactions on messages. A like is the `like` reaction; `im.message.like`
//! sets, removes or toggles it.

use super::{Error, MessageId, Timestamp, UserId};
use crate::store::{LikeOutcome, Store};

/// What `im.message.like` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeAction {
    /// Set the like (`plus`).
    Plus,
    /// Remove the like (`minus`).
    Minus,
    /// Toggle it (`auto`, and anything unrecognised).
    Auto,
}

impl LikeAction {
    /// Case-insensitive; anything but `plus` or `minus`, or nothing, is `auto`,
    /// exactly as Bitrix24 reads `ACTION`.
    pub fn parse(raw: Option<&str>) -> Self {
        match raw.map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "plus" => LikeAction::Plus,
            Some(s) if s == "minus" => LikeAction::Minus,
            _ => LikeAction::Auto,
        }
    }
}

/// The reaction code a like is stored under.
pub const LIKE: &str = "like";

/// `im.message.like`: one atomic store call. A message that does not exist or
/// that the caller cannot see answers exactly like an unchanged like, so the
/// answer never reveals it.
pub async fn like(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
    action: LikeAction,
) -> Result<LikeOutcome, Error> {
    match store
        .set_like(caller, message, action, Timestamp::now())
        .await?
    {
        LikeOutcome::Unchanged | LikeOutcome::NotVisible => Err(Error::WithoutChanges),
        changed => Ok(changed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_parsing_is_case_insensitive_and_defaults_to_auto() {
        assert_eq!(LikeAction::parse(Some("plus")), LikeAction::Plus);
        assert_eq!(LikeAction::parse(Some("PLUS")), LikeAction::Plus);
        assert_eq!(LikeAction::parse(Some("Minus")), LikeAction::Minus);
        assert_eq!(LikeAction::parse(Some("auto")), LikeAction::Auto);
        assert_eq!(LikeAction::parse(Some("")), LikeAction::Auto);
        assert_eq!(LikeAction::parse(Some("dislike")), LikeAction::Auto);
        assert_eq!(LikeAction::parse(None), LikeAction::Auto);
    }
}
