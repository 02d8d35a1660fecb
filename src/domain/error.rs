//! What can go wrong in the messenger, in its own words. The protocol layer
//! maps each variant to exactly one Bitrix error code (see `protocol::error`).

use super::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A like or reaction that was already in the asked-for state, or a message
    /// the caller cannot see (the two are indistinguishable on purpose).
    #[error("action completed without changes")]
    WithoutChanges,
    /// The caller may not read this dialog (not a member, or no such chat).
    #[error("no access to the dialog")]
    NoDialogAccess,
    /// The caller may not post into this chat.
    #[error("cannot post into the chat")]
    CannotPost,
    /// A message was addressed to a chat that does not exist.
    #[error("no such chat")]
    ChatNotFound,
    /// A private dialog was addressed to a user that does not exist.
    #[error("recipient not found")]
    RecipientNotFound,
    /// The caller may not add members to this chat.
    #[error("cannot add users to the chat")]
    CannotAddUsers,
    /// Everyone named is already a member (or nobody named exists).
    #[error("no user was added")]
    NoUsersAdded,
    /// The caller may not remove that member.
    #[error("cannot remove the user from the chat")]
    CannotKick,
    /// The user to remove is not a member of the chat.
    #[error("user is not a member of the chat")]
    UserNotInChat,
    /// The caller is not a member of the chat it tries to leave.
    #[error("cannot leave the chat")]
    CannotLeave,
    /// The operation does not apply to this kind of chat (a private dialog).
    #[error("action unavailable")]
    ActionUnavailable,
    /// The message does not exist, is deleted, or the caller is not allowed to change it.
    #[error("cannot edit the message")]
    CannotEditMessage,
    /// A message with no text.
    #[error("message is empty")]
    MessageEmpty,
    /// A message longer than the limit.
    #[error("message is too long")]
    MessageTooLong,
    /// A user id that names nobody.
    #[error("user does not exist")]
    UserNotExists,
    /// `im.message.command` on a message the caller cannot see.
    #[error("no such message")]
    CommandMessage,
    /// The caller is not in the chat (`im.dialog.messages.search`).
    #[error("no access to this chat")]
    NoChatAccess,
    /// No such chat, not a member, or a chat without notifications to mute.
    #[error("cannot mute")]
    CannotMute,
    /// A chat title that is empty once trimmed.
    #[error("title empty")]
    TitleEmpty,
    /// A private dialog named where a group chat is needed.
    #[error("not a group chat")]
    NotGroupChat,
    /// The chat already has that colour, or there is no such chat.
    #[error("colour unchanged or no chat")]
    ColorUnchanged,
    /// Only the owner may hand a chat on, and only to a member.
    #[error("cannot set the owner")]
    CannotSetOwner,
    /// Only administrators add and change users (`user.add`, `user.update`);
    /// also a user to change who does not exist.
    #[error("cannot invite or change users")]
    CannotManageUsers,
    /// imbot.chat.setManager by someone other than the owner, or for a
    /// user who is no member.
    #[error("Change manager can only owner and user must be member in chat")]
    CannotSetManager,
    /// Another user has that e-mail.
    #[error("e-mail taken")]
    EmailTaken,
    /// A department named that does not exist.
    #[error("no such department")]
    NoDepartment,
    /// `im.chat.updateAvatar` of a chat that does not exist.
    #[error("no such chat")]
    NoSuchChat,
    /// `im.chat.updateAvatar` by someone outside the chat.
    #[error("access denied")]
    AccessDenied,
    /// Only people may read the company structure (not bots).
    #[error("intranet users only")]
    IntranetOnly,
    /// A method of an application's own (`app.option.*`, `user.option.*`,
    /// `app.info`) called by a credential that acts for none.
    #[error("application context required")]
    ApplicationRequired,
    /// A change only an administrator may make (`app.option.set`).
    #[error("administrator required")]
    AdministratorRequired,
    /// A chat colour that is not in the palette.
    #[error("unknown colour")]
    WrongColor,
    /// A `department.*` change refused.
    #[error(transparent)]
    Department(#[from] super::departments::DepartmentError),
    /// A `user.userfield.*` call refused.
    #[error(transparent)]
    UserField(#[from] super::user_fields::UserFieldError),
    /// A reaction that is unknown, already set or not set.
    #[error(transparent)]
    Reaction(#[from] super::reactions::ReactionError),
    /// A chat-bot rule (registration, the bot an app may act as).
    #[error(transparent)]
    Bot(#[from] super::bots::BotError),
    /// A bot command rule.
    #[error(transparent)]
    Command(#[from] super::bots::CommandError),
    /// The same, for the v2 bot methods.
    #[error(transparent)]
    BotV2(#[from] super::bots::BotV2Error),
    /// An OAuth grant refused (`/oauth/token/`).
    #[error(transparent)]
    OAuth(#[from] super::applications::OAuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
