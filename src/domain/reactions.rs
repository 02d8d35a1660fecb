//! Reactions on messages. A like is the `like` reaction; `im.message.like`
//! sets, removes or toggles it.

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

/// Every reaction code Bitrix24 knows (api-reference/chat-bots/chat-bots-v2/
/// imbot.v2/messages/chat-message-reaction-add.md, "Available Reaction Codes").
pub const CODES: &[&str] = &[
    "like",
    "dislike",
    "faceWithTearsOfJoy",
    "redHeart",
    "neutralFace",
    "fire",
    "cry",
    "slightlySmilingFace",
    "winkingFace",
    "laugh",
    "kiss",
    "wonder",
    "slightlyFrowningFace",
    "loudlyCryingFace",
    "faceWithStuckOutTongue",
    "faceWithStuckOutTongueAndWinkingEye",
    "smilingFaceWithSunglasses",
    "confusedFace",
    "flushedFace",
    "thinkingFace",
    "angry",
    "smilingFaceWithHorns",
    "faceWithThermometer",
    "facepalm",
    "poo",
    "flexedBiceps",
    "clappingHands",
    "raisedHand",
    "smilingFaceWithHeartEyes",
    "smilingFaceWithHearts",
    "pleadingFace",
    "relievedFace",
    "foldedHands",
    "okHand",
    "signHorns",
    "loveYouGesture",
    "clownFace",
    "partyingFace",
    "questionMark",
    "exclamationMark",
    "lightBulb",
    "bomb",
    "sleepingSymbol",
    "crossMark",
    "whiteHeavyCheckMark",
    "eyes",
    "handshake",
    "hundredPoints",
];

/// A known reaction code, exactly as spelled in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCode(String);

impl ReactionCode {
    pub fn parse(raw: &str) -> Option<Self> {
        CODES
            .iter()
            .find(|c| **c == raw.trim())
            .map(|c| ReactionCode((*c).to_owned()))
    }

    pub fn like() -> Self {
        ReactionCode(LIKE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a reaction call changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReactionError {
    #[error("Reaction not found")]
    UnknownCode,
    #[error("Reaction already set")]
    AlreadySet,
    #[error("Reaction not found")]
    NotSet,
    /// No such message, or the reacting user is not in its chat.
    #[error("Access denied")]
    NotVisible,
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
