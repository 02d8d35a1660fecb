//! Chats: group chats (closed or open) and private dialogs, their members,
//! and the rules for joining, leaving and reading them.

use super::{ChatId, Error, Timestamp, UserId};

/// The kinds of chat b24im keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// A closed group chat (Bitrix `CHAT`, message type `C`).
    Closed,
    /// An open group chat (Bitrix `OPEN`, message type `O`).
    Open,
    /// The private dialog of two users (message type `P`).
    Private,
}

impl ChatKind {
    /// One-letter code, as Bitrix24 stores it and as the store keeps it.
    pub fn code(self) -> &'static str {
        match self {
            ChatKind::Closed => "C",
            ChatKind::Open => "O",
            ChatKind::Private => "P",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "C" => Some(ChatKind::Closed),
            "O" => Some(ChatKind::Open),
            "P" => Some(ChatKind::Private),
            _ => None,
        }
    }
}

/// The chat colour palette of Bitrix24.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Red,
    Green,
    Mint,
    LightBlue,
    DarkBlue,
    Purple,
    Aqua,
    Pink,
    Lime,
    Brown,
    Azure,
    Khaki,
    Sand,
    Marengo,
    Gray,
    Graphite,
}

impl Color {
    pub const ALL: [Color; 16] = [
        Color::Red,
        Color::Green,
        Color::Mint,
        Color::LightBlue,
        Color::DarkBlue,
        Color::Purple,
        Color::Aqua,
        Color::Pink,
        Color::Lime,
        Color::Brown,
        Color::Azure,
        Color::Khaki,
        Color::Sand,
        Color::Marengo,
        Color::Gray,
        Color::Graphite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Color::Red => "RED",
            Color::Green => "GREEN",
            Color::Mint => "MINT",
            Color::LightBlue => "LIGHT_BLUE",
            Color::DarkBlue => "DARK_BLUE",
            Color::Purple => "PURPLE",
            Color::Aqua => "AQUA",
            Color::Pink => "PINK",
            Color::Lime => "LIME",
            Color::Brown => "BROWN",
            Color::Azure => "AZURE",
            Color::Khaki => "KHAKI",
            Color::Sand => "SAND",
            Color::Marengo => "MARENGO",
            Color::Gray => "GRAY",
            Color::Graphite => "GRAPHITE",
        }
    }

    pub fn hex(self) -> &'static str {
        match self {
            Color::Red => "#df532d",
            Color::Green => "#64a513",
            Color::Mint => "#4ba984",
            Color::LightBlue => "#4ba5c3",
            Color::DarkBlue => "#3e99ce",
            Color::Purple => "#8474c8",
            Color::Aqua => "#1eb4aa",
            Color::Pink => "#f76187",
            Color::Lime => "#58cc47",
            Color::Brown => "#ab7761",
            Color::Azure => "#29619b",
            Color::Khaki => "#728f7a",
            Color::Sand => "#ba9c7b",
            Color::Marengo => "#556574",
            Color::Gray => "#909090",
            Color::Graphite => "#3e4a56",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        let upper = name.trim().to_ascii_uppercase();
        Color::ALL.into_iter().find(|c| c.name() == upper)
    }

    /// The colour a new chat gets when none is asked for.
    pub fn for_id(seed: i64) -> Self {
        Color::ALL[(seed.unsigned_abs() % Color::ALL.len() as u64) as usize]
    }
}

/// A chat as read from the store, with its members in the order they joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub title: String,
    pub description: String,
    pub color: Color,
    pub owner: UserId,
    pub entity_type: String,
    pub entity_id: String,
    pub created_at: Timestamp,
    pub members: Vec<UserId>,
    /// The members who muted the chat (`im.chat.mute`), in join order.
    pub muted: Vec<UserId>,
    /// The members the owner made managers (administrators), in join order.
    pub managers: Vec<UserId>,
    /// Each member's read mark: the last message read and when it moved
    /// there (`None` when not known, as for what was read on joining).
    pub reads: Vec<(UserId, i64, Option<Timestamp>)>,
    pub message_count: i64,
    pub last_message_id: i64,
    /// The picture (`im.chat.updateAvatar`) as stored: `<sha-256>.<ext>`,
    /// or empty.
    pub avatar: String,
    /// Whether members may type (`imbot.v2.Chat.TextField.enabled`).
    pub text_field_enabled: bool,
}

impl Chat {
    pub fn is_member(&self, user: UserId) -> bool {
        self.members.contains(&user)
    }

    /// In a private dialog, the member who is not `viewer` (`viewer`
    /// itself in a dialog with oneself).
    pub fn other_member(&self, viewer: UserId) -> UserId {
        self.members
            .iter()
            .copied()
            .find(|m| *m != viewer)
            .unwrap_or(viewer)
    }

    /// How `viewer` names this chat: the other user's id for a private
    /// dialog, `chatN` otherwise.
    pub fn dialog_id_for(&self, viewer: UserId) -> String {
        match self.kind {
            ChatKind::Private => self.other_member(viewer).0.to_string(),
            _ => format!("chat{}", self.id.0),
        }
    }

    /// `viewer`'s role: `owner`, `manager` (group chats only), `member`, or
    /// `none` for someone who is not in it.
    pub fn role_of(&self, viewer: UserId) -> &'static str {
        let group = self.kind != ChatKind::Private;
        if !self.is_member(viewer) {
            "none"
        } else if group && self.owner == viewer {
            "owner"
        } else if group && self.managers.contains(&viewer) {
            "manager"
        } else {
            "member"
        }
    }
}

/// The longest chat title and description accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// A change to a group chat: `im.chat.updateTitle`, `im.chat.updateColor`,
/// `im.chat.setOwner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatChange {
    Title(String),
    Color(Color),
    Owner(UserId),
    Description(String),
    /// The owner makes members managers (`true`) or takes it back; those
    /// named who are no members are passed over (none a member: refused).
    Managers(Vec<UserId>, bool),
    /// The stored name of a picture whose content is already kept.
    Avatar(String),
}

/// A new title as `im.chat.updateTitle` takes it: trimmed of whitespace and
/// line breaks, not empty, cut to [`MAX_TITLE_CHARS`] (as `im.chat.add` cuts).
pub fn title(raw: &str) -> Result<String, Error> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Error::TitleEmpty);
    }
    Ok(t.chars().take(MAX_TITLE_CHARS).collect())
}

/// A validated request to create a group chat.
#[derive(Debug, Clone)]
pub struct NewChat {
    pub kind: ChatKind,
    pub owner: UserId,
    pub users: Vec<UserId>,
    pub title: Option<String>,
    pub description: String,
    pub color: Option<Color>,
    pub entity_type: String,
    pub entity_id: String,
    pub first_message: Option<String>,
    pub created_at: Timestamp,
    /// A picture whose content is already kept (`<sha-256>.<ext>`).
    pub avatar: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_round_trip_by_name() {
        for c in Color::ALL {
            assert_eq!(Color::parse(c.name()), Some(c));
            assert_eq!(Color::parse(&c.name().to_lowercase()), Some(c));
        }
        assert_eq!(Color::parse("ULTRAVIOLET"), None);
    }

    fn chat(kind: ChatKind, members: &[i64], owner: i64, managers: &[i64]) -> Chat {
        Chat {
            id: crate::domain::ChatId(7),
            kind,
            title: String::new(),
            description: String::new(),
            color: Color::Gray,
            owner: UserId(owner),
            entity_type: String::new(),
            entity_id: String::new(),
            created_at: crate::domain::Timestamp(0),
            members: members.iter().map(|m| UserId(*m)).collect(),
            muted: Vec::new(),
            managers: managers.iter().map(|m| UserId(*m)).collect(),
            reads: Vec::new(),
            message_count: 0,
            last_message_id: 0,
            avatar: String::new(),
            text_field_enabled: true,
        }
    }

    #[test]
    fn roles_and_dialog_ids_depend_on_the_viewer() {
        let group = chat(ChatKind::Closed, &[1, 2, 3], 1, &[2]);
        assert_eq!(
            [1, 2, 3, 4].map(|u| group.role_of(UserId(u))),
            ["owner", "manager", "member", "none"]
        );
        assert_eq!(group.dialog_id_for(UserId(2)), "chat7");
        let private = chat(ChatKind::Private, &[1, 2], 1, &[]);
        assert_eq!(private.role_of(UserId(1)), "member");
        assert_eq!(private.dialog_id_for(UserId(1)), "2");
        assert_eq!(private.dialog_id_for(UserId(2)), "1");
        let own = chat(ChatKind::Private, &[5], 5, &[]);
        assert_eq!(own.dialog_id_for(UserId(5)), "5");
    }

    #[test]
    fn chat_kind_codes_round_trip() {
        for k in [ChatKind::Closed, ChatKind::Open, ChatKind::Private] {
            assert_eq!(ChatKind::from_code(k.code()), Some(k));
        }
    }
}
