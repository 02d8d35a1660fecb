//! Chats: group chats (closed or open) and private dialogs, their members,
//! and the rules for joining, leaving and reading them.

use super::store::{MembershipOutcome, Store};
use super::{ChatId, DialogRef, Error, Timestamp, UserId};

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
    pub message_count: i64,
    pub last_message_id: i64,
}

impl Chat {
    pub fn is_member(&self, user: UserId) -> bool {
        self.members.contains(&user)
    }
}

/// The longest chat title and description accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

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
}

/// `im.chat.add`: creates the chat with the owner and every named user that
/// exists; unknown ids are skipped, as Bitrix24 does.
pub async fn create(store: &dyn Store, mut new: NewChat) -> Result<ChatId, Error> {
    if let Some(title) = &new.title {
        if title.chars().count() > MAX_TITLE_CHARS {
            new.title = Some(title.chars().take(MAX_TITLE_CHARS).collect());
        }
    }
    if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
        new.description = new
            .description
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
    }
    if let Some(text) = &new.first_message {
        super::messages::check_text(text)?;
    }
    Ok(store.create_chat(new).await?)
}

/// The chat a dialog names, without opening one: `chatN` is chat N (whether
/// the caller may see it is for the caller to check); a user id is the
/// private dialog with that user, `None` if it was never opened. A user who
/// does not exist is `NoDialogAccess`.
pub async fn dialog_chat(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
) -> Result<Option<ChatId>, Error> {
    match dialog {
        DialogRef::Chat(id) => Ok(Some(id)),
        DialogRef::User(other) => {
            if store.user(other).await?.is_none() {
                return Err(Error::NoDialogAccess);
            }
            Ok(store.private_chat(caller, other).await?)
        }
    }
}

/// Resolves a dialog for reading: the chat, if the caller may see it.
/// A private dialog that has never been opened has no chat yet: `Ok(None)`.
pub async fn readable(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
) -> Result<Option<Chat>, Error> {
    let Some(id) = dialog_chat(store, caller, dialog).await? else {
        return Ok(None);
    };
    let chat = store.chat(id).await?.ok_or(Error::NoDialogAccess)?;
    if !chat.is_member(caller) {
        return Err(Error::NoDialogAccess);
    }
    Ok(Some(chat))
}

/// `im.dialog.get`: the chat behind a dialog, opening a private dialog on
/// first use as Bitrix24 does.
pub async fn open(store: &dyn Store, caller: UserId, dialog: DialogRef) -> Result<Chat, Error> {
    if let DialogRef::User(other) = dialog {
        if store.user(other).await?.is_none() {
            return Err(Error::NoDialogAccess);
        }
        let id = store
            .open_private_chat(caller, other, Timestamp::now())
            .await?;
        return store.chat(id).await?.ok_or(Error::NoDialogAccess);
    }
    readable(store, caller, dialog)
        .await?
        .ok_or(Error::NoDialogAccess)
}

/// `im.chat.user.list`: the members, or nothing for a caller outside the chat.
pub async fn members(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
) -> Result<Vec<UserId>, Error> {
    match store.chat(chat).await? {
        Some(c) if c.is_member(caller) => Ok(c.members),
        _ => Ok(Vec::new()),
    }
}

/// `im.chat.get`: the chat bound to an external entity, if any.
pub async fn by_entity(
    store: &dyn Store,
    entity_type: &str,
    entity_id: &str,
) -> Result<Option<ChatId>, Error> {
    if entity_type.is_empty() || entity_id.is_empty() {
        return Ok(None);
    }
    Ok(store.chat_by_entity(entity_type, entity_id).await?)
}

/// `im.chat.user.add`: any member of a group chat may add people. Naming
/// only people who are members already changes nothing and succeeds, as on
/// portals; naming nobody who exists is an error.
pub async fn add_users(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    users: Vec<UserId>,
) -> Result<(), Error> {
    match store
        .add_members(chat, caller, users.clone(), Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed => Err(Error::CannotAddUsers),
        MembershipOutcome::Unchanged => {
            // Nobody was added: everyone named exists (so is a member), or
            // someone named does not exist.
            let mut named = users;
            named.sort_unstable();
            named.dedup();
            let found = store.users(named.clone()).await?;
            if !named.is_empty() && found.len() == named.len() {
                Ok(())
            } else {
                Err(Error::NoUsersAdded)
            }
        }
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
}

/// `im.chat.user.delete`: the owner removes a member.
pub async fn remove_user(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    user: UserId,
) -> Result<(), Error> {
    match store
        .remove_member(chat, caller, user, Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed => Err(Error::CannotKick),
        MembershipOutcome::Unchanged => Err(Error::UserNotInChat),
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
}

/// `im.chat.leave`: the caller removes itself.
pub async fn leave(store: &dyn Store, caller: UserId, chat: ChatId) -> Result<(), Error> {
    match store
        .remove_member(chat, caller, caller, Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed | MembershipOutcome::Unchanged => Err(Error::CannotLeave),
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
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

    #[test]
    fn chat_kind_codes_round_trip() {
        for k in [ChatKind::Closed, ChatKind::Open, ChatKind::Private] {
            assert_eq!(ChatKind::from_code(k.code()), Some(k));
        }
    }
}
