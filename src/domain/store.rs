//! The storage interface the messenger needs: the `Store` trait, sized to
//! its use cases, and the outcome types and errors it answers with. The
//! domain states it; `crate::store` implements it (SQLite, PostgreSQL) and
//! imports the domain, never the other way.

use std::sync::Arc;

use async_trait::async_trait;

use super::applications::{Application, Grant, GrantKind, NewApplication, TokenPair};
use super::bots::{
    Bot, BotChange, BotUpdated, Command, CommandChanges, CommandUpdated, NewBot, NewCommand,
};
use super::chats::{Chat, ChatChange, ChatKind, Color, NewChat};
use super::credentials::{Credential, NewCredential, TokenHash};
use super::departments::{DepartmentChange, DepartmentSaved, NewDepartment, Structure};
use super::events::{Binding, EventRecord, OfflineEvent, OfflineTake, OutboxEntry};
use super::files::{FileDeleted, FilePosted, NewFile, StoredFile};
use super::message_params::ParamsChange;
use super::messages::{Message, Page};
use super::notifications::{DeleteScope, NewNotification, NotifyPage, NotifyQuery, ReadScope};
use super::options::{OptionEntry, OptionsOwner};
use super::reactions::{LikeAction, ReactionCode};
use super::search::{Find, Found, Pick};
use super::user_fields::{FieldAdded, UserFieldDef, UserFieldValue};
use super::user_query::{UserPage, UserQuery};
use super::users::{NewUser, User, UserChange, UserSaved, UserStatus};
use super::{ChatId, DialogRef, MessageId, Timestamp, UserId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed; the cause is logged, never shown to clients.
    #[error("database error: {0}")]
    Database(String),
    /// The transaction a change was part of did not commit; nothing of it was written.
    #[error("the transaction did not commit")]
    NotCommitted,
    /// The store is shutting down.
    #[error("the store is closed")]
    Closed,
    /// The database cannot be reached (restarting, say); nothing was changed.
    #[error("the database cannot be reached")]
    Unavailable,
    /// The database lost the connection while committing and could not be
    /// asked within the bound whether the commit happened.
    #[error("the outcome of the commit is unknown")]
    OutcomeUnknown,
    /// The database chose this change as a deadlock victim or refused it as
    /// a serialization failure: nothing of it was written; run it again.
    #[error("the database asked to run the change again")]
    Retry,
}

/// The result of `set_reaction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeOutcome {
    Added,
    Removed,
    /// Already in the asked-for state.
    Unchanged,
    /// No such message, deleted, or the user is not a member of its chat.
    NotVisible,
}

/// The result of `create_bot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotCreated {
    /// A new bot.
    New(UserId),
    /// The application's bot with the same code, registered before (or a
    /// moment ago by a racing request, on any node).
    Existing(UserId),
    /// The application already has as many bots as it may.
    LimitReached,
    /// Another application has a bot with this code (v2 registrations only:
    /// a v1 code is unique within its application).
    CodeTaken,
}

/// The result of adding or removing chat members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipOutcome {
    Done,
    /// The actor may not do this (not a member, not the owner, no such chat).
    NotAllowed,
    /// Nothing to do: all already members, or the user to remove is not one.
    Unchanged,
    /// Private dialogs have fixed members.
    PrivateChat,
}

/// The result of `update_chat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatUpdated {
    Done,
    /// No chat has that id.
    NoChat,
    /// The actor is not a member.
    NotMember,
    /// Private dialogs have no title, colour or owner to change.
    PrivateChat,
    /// The chat has that colour already.
    Unchanged,
    /// A new owner named by someone not the owner, or not a member.
    NotOwner,
}

/// The result of `run_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandRun {
    Done,
    /// No such message, deleted, or not in a chat of the user's.
    NoMessage,
    /// The bot has no such command usable in that chat.
    NoCommand,
}

/// What `search_messages` looks for in one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSearch {
    /// A piece of the text, matched case-insensitively.
    pub text: Option<String>,
    pub from: Option<Timestamp>,
    /// Up to, not including.
    pub to: Option<Timestamp>,
    pub ascending: bool,
    /// Past this message in the order asked for (the next page).
    pub after_id: Option<MessageId>,
    pub limit: i64,
}

/// Where `mark_read` moves a member's read mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMark {
    /// Everything in the chat.
    All,
    /// Up to this message (never back).
    UpTo(MessageId),
    /// This message and those after it are unread again.
    UnreadFrom(MessageId),
}

/// A member's reading state after `mark_read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadState {
    /// The last message read.
    pub last_read: i64,
    /// Messages unread after it (not one's own, not deleted).
    pub counter: i64,
}

/// A member's reading state in one chat, as `im.dialog.get` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadView {
    pub state: ReadState,
    /// The first unread message, or 0.
    pub first_unread: i64,
}

/// One chat's unread messages for a member (`counters`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatCounter {
    pub chat: ChatId,
    pub private: bool,
    pub muted: bool,
    pub unread: i64,
    /// In a private dialog, the other user.
    pub other: Option<UserId>,
}

/// Which part of a member's recent list `recent` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentQuery {
    /// Only chats whose last message is older than this (the next page).
    pub before: Option<Timestamp>,
    /// Only chats whose last message is this recent or newer.
    pub since: Option<Timestamp>,
    pub skip_chats: bool,
    pub skip_dialogs: bool,
    /// Only chats with unread messages or marked unread.
    pub unread_only: bool,
    pub limit: i64,
}

/// The last message of a recent-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentMessage {
    pub id: MessageId,
    pub text: String,
    pub author: Option<UserId>,
    pub date: Timestamp,
    /// Whether it carries attachment cards.
    pub attach: bool,
}

/// One chat of a member's recent list, newest last message first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentEntry {
    pub chat: ChatId,
    pub kind: ChatKind,
    pub title: String,
    pub color: Color,
    pub owner: UserId,
    pub entity_type: String,
    pub entity_id: String,
    pub created_at: Timestamp,
    pub member_count: i64,
    pub muted: Vec<UserId>,
    pub message: RecentMessage,
    pub counter: i64,
    pub last_read: i64,
    pub pinned: bool,
    pub marked_unread: bool,
    /// In a private dialog, the other user.
    pub other: Option<UserId>,
}

/// A member's own marks on a chat in the recent list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentMark {
    Pin(bool),
    /// Hidden until the next message.
    Hide,
    /// Marked unread by hand (`true`), or unmarked and read (`false`).
    Unread(bool),
}

/// The result of posting a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    Posted(MessageId),
    NotMember,
    /// No chat has that id.
    NoChat,
}

/// One page of a chat's history: the messages (ascending ids, likes filled
/// in) and their authors (ascending ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    pub authors: Vec<User>,
    /// The files sent with these messages.
    pub files: Vec<StoredFile>,
    /// The reader's read mark (messages after it are unread for them).
    pub last_read: i64,
}

/// The result of editing or deleting a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    Done,
    /// No such message, already deleted, or the actor may not change it.
    NotAllowed,
}

#[async_trait]
pub trait Store: Send + Sync {
    // Users
    async fn create_user(&self, new: NewUser, now: Timestamp) -> Result<User, StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The users that exist among `ids`, in ascending id order.
    async fn users(&self, ids: Vec<UserId>) -> Result<Vec<User>, StoreError>;
    async fn user_count(&self) -> Result<i64, StoreError>;
    /// Sets the user's status; `false` if there is no such user.
    async fn set_user_status(&self, user: UserId, status: UserStatus) -> Result<bool, StoreError>;
    /// Sets (`Some`) or clears the time the user went idle.
    async fn set_user_idle(
        &self,
        user: UserId,
        since: Option<Timestamp>,
    ) -> Result<bool, StoreError>;
    /// Marks `users` seen at `at` (a later mark is kept).
    async fn mark_seen(&self, users: Vec<UserId>, at: Timestamp) -> Result<(), StoreError>;
    /// One page (at most `PAGE_SIZE`) of the users matching `query`, and their
    /// count when `query.count_total`.
    async fn find_users(&self, query: UserQuery) -> Result<UserPage, StoreError>;

    // Credentials
    async fn create_credential(&self, new: NewCredential) -> Result<i64, StoreError>;
    async fn credential(&self, hash: TokenHash) -> Result<Option<Credential>, StoreError>;
    async fn webhooks(&self) -> Result<Vec<Credential>, StoreError>;
    /// Deletes the webhook with this hash; `false` if there was none.
    async fn delete_webhook(&self, hash: TokenHash) -> Result<bool, StoreError>;

    // Chats
    /// Creates a group chat with the owner and those of `new.users` that exist.
    async fn create_chat(&self, new: NewChat) -> Result<ChatId, StoreError>;
    async fn chat(&self, id: ChatId) -> Result<Option<Chat>, StoreError>;
    async fn chat_by_entity(
        &self,
        entity_type: &str,
        entity_id: &str,
    ) -> Result<Option<ChatId>, StoreError>;
    async fn private_chat(&self, a: UserId, b: UserId) -> Result<Option<ChatId>, StoreError>;
    /// The private dialog of `a` and `b`, created if it does not exist yet.
    async fn open_private_chat(
        &self,
        a: UserId,
        b: UserId,
        now: Timestamp,
    ) -> Result<ChatId, StoreError>;
    /// `actor` (a member) adds those of `users` that exist and are not members yet.
    async fn add_members(
        &self,
        chat: ChatId,
        actor: UserId,
        users: Vec<UserId>,
        now: Timestamp,
    ) -> Result<MembershipOutcome, StoreError>;
    /// `actor` (a member) changes a group chat's title, colour or owner (only
    /// the owner, and only to a member).
    async fn update_chat(
        &self,
        chat: ChatId,
        actor: UserId,
        change: ChatChange,
    ) -> Result<ChatUpdated, StoreError>;
    /// `user` mutes (or unmutes) `chat`; `false` if `user` is not a member.
    async fn set_muted(&self, chat: ChatId, user: UserId, muted: bool) -> Result<bool, StoreError>;
    /// `actor` (a member) turns the chat's input field on or off; `false`
    /// when `actor` is no member.
    async fn set_text_field(
        &self,
        chat: ChatId,
        actor: UserId,
        enabled: bool,
    ) -> Result<bool, StoreError>;
    /// `actor` removes `user` (itself: leaving; another: only the owner may).
    async fn remove_member(
        &self,
        chat: ChatId,
        actor: UserId,
        user: UserId,
        now: Timestamp,
    ) -> Result<MembershipOutcome, StoreError>;

    // Messages
    /// `params`: the message's keyboard, menu and attachments as stored
    /// (see [`super::message_params`]).
    async fn post_message(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        params: Option<String>,
        now: Timestamp,
    ) -> Result<PostOutcome, StoreError>;
    /// The author changes the text (`Some`, which marks the message
    /// edited) and the parts `change` names, at once.
    async fn edit_message(
        &self,
        id: MessageId,
        actor: UserId,
        text: Option<String>,
        change: ParamsChange,
        now: Timestamp,
    ) -> Result<EditOutcome, StoreError>;
    /// The author (or a group chat's owner) deletes: the message stays,
    /// emptied and marked deleted, or (`complete`) is gone for good.
    async fn delete_message(
        &self,
        id: MessageId,
        actor: UserId,
        complete: bool,
        now: Timestamp,
    ) -> Result<EditOutcome, StoreError>;
    /// A page of a chat's history as `reader` sees it, in one read with a
    /// fixed number of statements whatever the page's size: the messages in
    /// ascending id order with their likes, and their authors. `None` when
    /// `reader` is not a member.
    async fn history(
        &self,
        chat: ChatId,
        reader: UserId,
        page: Page,
    ) -> Result<Option<HistoryPage>, StoreError>;

    /// `im.message.command`: `user` runs `bot`'s `command` (with `args`) on
    /// `message`; its event goes out as a slash command's would.
    async fn run_command(
        &self,
        message: MessageId,
        user: UserId,
        bot: UserId,
        command: String,
        args: String,
        now: Timestamp,
    ) -> Result<CommandRun, StoreError>;
    /// Messages of `chat` matching `search`, as `reader` sees them (with
    /// likes and authors, in a fixed number of statements); `None` when
    /// `reader` is not a member.
    async fn search_messages(
        &self,
        chat: ChatId,
        reader: UserId,
        search: MessageSearch,
    ) -> Result<Option<HistoryPage>, StoreError>;
    /// Moves `user`'s read mark in `chat`; `None` if not a member.
    async fn mark_read(
        &self,
        chat: ChatId,
        user: UserId,
        mark: ReadMark,
        now: Timestamp,
    ) -> Result<Option<ReadState>, StoreError>;
    /// A page of `user`'s recent list (at most `query.limit` + 1 entries, so
    /// the caller can tell whether there are more).
    async fn recent(
        &self,
        user: UserId,
        query: RecentQuery,
    ) -> Result<Vec<RecentEntry>, StoreError>;
    /// Sets one of `user`'s marks on `chat`; `false` if not a member.
    async fn mark_recent(
        &self,
        chat: ChatId,
        user: UserId,
        mark: RecentMark,
    ) -> Result<bool, StoreError>;
    /// `user`'s reading state in `chat`; `None` if not a member.
    async fn read_view(&self, chat: ChatId, user: UserId) -> Result<Option<ReadView>, StoreError>;
    /// Marks every chat of `user` read.
    async fn read_all(&self, user: UserId, now: Timestamp) -> Result<(), StoreError>;
    /// The chats of `user` with unread messages, by chat id.
    async fn counters(&self, user: UserId) -> Result<Vec<ChatCounter>, StoreError>;
    /// Every chat `user` is a member of.
    async fn chats_of(&self, user: UserId) -> Result<Vec<ChatId>, StoreError>;

    /// `user.add`: a person invited by e-mail.
    async fn add_user(&self, new: NewUser, now: Timestamp) -> Result<UserSaved, StoreError>;
    /// `user.update`: sets what the change names.
    async fn update_user(&self, id: UserId, change: UserChange) -> Result<UserSaved, StoreError>;

    // Files
    /// Keeps a file's content (named by its SHA-256) durably.
    async fn put_file_content(&self, hash: String, bytes: Arc<Vec<u8>>) -> Result<(), StoreError>;
    /// A file's content by its hash.
    async fn file_content(&self, hash: String) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sends a file, its content already kept, to `chat` as a message.
    async fn send_file(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        file: NewFile,
        now: Timestamp,
    ) -> Result<FilePosted, StoreError>;
    /// Copies of files `author` may read, sent to `chat` as one message;
    /// `None` if one of them cannot be read (nothing is sent).
    async fn commit_files(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        ids: Vec<i64>,
        now: Timestamp,
    ) -> Result<Option<FilePosted>, StoreError>;
    /// Whether `name` is some chat's picture.
    async fn is_avatar(&self, name: String) -> Result<bool, StoreError>;
    /// A chat's folder (made on first use), for a member.
    async fn chat_folder(&self, chat: ChatId, user: UserId) -> Result<Option<i64>, StoreError>;
    /// A file `user` may read (in a chat they are in, or their own copy).
    async fn file_for(&self, id: i64, user: UserId) -> Result<Option<StoredFile>, StoreError>;
    /// The files sent with these messages.
    async fn message_files(&self, ids: Vec<MessageId>) -> Result<Vec<StoredFile>, StoreError>;
    /// Copies a file `user` may read into their Saved Files: (folder, copy, name).
    async fn save_file(
        &self,
        id: i64,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<(i64, i64, String)>, StoreError>;
    /// The sender deletes a file of `chat` (and its message).
    async fn delete_file(
        &self,
        chat: ChatId,
        id: i64,
        user: UserId,
        now: Timestamp,
    ) -> Result<FileDeleted, StoreError>;

    // Departments
    /// The whole company structure.
    async fn departments(&self) -> Result<Structure, StoreError>;
    /// A new department, unless its parent or head does not exist.
    async fn add_department(&self, new: NewDepartment) -> Result<DepartmentSaved, StoreError>;
    /// Renames, re-sorts, moves a department or names (or removes) its
    /// head; refused for a department, parent or head that does not
    /// exist, and for a move under itself or below it.
    async fn change_department(
        &self,
        id: i64,
        change: DepartmentChange,
    ) -> Result<DepartmentSaved, StoreError>;
    /// Deletes a department (never the head one): the departments under
    /// it move up to its parent, and the people placed only there too.
    async fn delete_department(&self, id: i64) -> Result<DepartmentSaved, StoreError>;
    /// Places a person in these departments (replacing where they were);
    /// `false` if the person or a department does not exist.
    async fn place_user(&self, user: UserId, departments: Vec<i64>) -> Result<bool, StoreError>;
    /// The active people placed in any of these departments, in id order.
    async fn department_members(&self, departments: Vec<i64>) -> Result<Vec<User>, StoreError>;

    // Search
    /// Active users with a word of their name starting with the phrase, or
    /// placed in one of `departments`; one page, in id order.
    async fn search_users(
        &self,
        find: Find,
        departments: Vec<i64>,
    ) -> Result<Found<User>, StoreError>;
    /// The group chats `user` is in whose title or a member's name has a
    /// word starting with the phrase; one page, newest chat first.
    async fn search_chats(
        &self,
        user: UserId,
        find: Find,
    ) -> Result<Found<(Chat, Option<ReadView>)>, StoreError>;
    /// Adds a pick to `user`'s recent-search list; `false` if it cannot be
    /// picked (no such user, or a chat `user` is not in).
    async fn add_search_pick(
        &self,
        user: UserId,
        dialog: DialogRef,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Removes a pick; whether there was one.
    async fn delete_search_pick(&self, user: UserId, dialog: DialogRef)
        -> Result<bool, StoreError>;
    /// `user`'s picks, newest first, as they are now.
    async fn search_picks(&self, user: UserId) -> Result<Vec<Pick>, StoreError>;

    // Notifications
    /// Stores a notification in the recipient's notification chat (made on
    /// first use), replacing the recipient's earlier ones with the same
    /// tag; its id, or `None` if the recipient does not exist.
    async fn add_notification(
        &self,
        new: NewNotification,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError>;
    /// A page of a user's notifications, newest first.
    async fn notifications(&self, query: NotifyQuery) -> Result<NotifyPage, StoreError>;
    /// Marks `user`'s notifications in `scope` read (or unread); how many
    /// are unread afterwards.
    async fn mark_notifications(
        &self,
        user: UserId,
        scope: ReadScope,
        read: bool,
    ) -> Result<i64, StoreError>;
    /// Deletes notifications: by id one `user` received, by tag any;
    /// whether any was deleted.
    async fn delete_notifications(
        &self,
        user: UserId,
        scope: DeleteScope,
    ) -> Result<bool, StoreError>;
    /// How many of `user`'s notifications are unread.
    async fn unread_notifications(&self, user: UserId) -> Result<i64, StoreError>;

    // Reactions
    /// Applies `action` for `user` in one transaction.
    async fn set_reaction(
        &self,
        user: UserId,
        message: MessageId,
        code: ReactionCode,
        action: LikeAction,
        now: Timestamp,
    ) -> Result<LikeOutcome, StoreError>;

    // Bots
    /// Creates the bot's user and its registration, unless the application
    /// has a bot with that code already or `max_per_app` bots, or (v2) another
    /// application has the code. The checks and the insert are one atomic
    /// step, also when requests race on two nodes.
    async fn create_bot(
        &self,
        new: NewBot,
        max_per_app: usize,
        now: Timestamp,
    ) -> Result<BotCreated, StoreError>;
    async fn bot(&self, id: UserId) -> Result<Option<Bot>, StoreError>;
    /// The bots an application registered, oldest first.
    async fn bots_of(&self, client_id: String) -> Result<Vec<Bot>, StoreError>;
    async fn all_bots(&self) -> Result<Vec<Bot>, StoreError>;
    /// Applies `change` to the bot as stored and writes the result, in one
    /// transaction (`imbot.update`).
    async fn update_bot(&self, id: UserId, change: BotChange) -> Result<BotUpdated, StoreError>;
    /// Writes the bot's ONIMBOTDELETE event, removes it from its chats,
    /// deactivates its user and drops its registration; `false` if no such bot.
    async fn delete_bot(&self, id: UserId, now: Timestamp) -> Result<bool, StoreError>;

    // Bot commands
    /// Registers a command (the same bot and command again: the existing id).
    async fn create_command(&self, new: NewCommand, now: Timestamp) -> Result<i64, StoreError>;
    async fn command(&self, id: i64) -> Result<Option<Command>, StoreError>;
    async fn delete_command(&self, id: i64) -> Result<bool, StoreError>;
    /// `im.v2.Chat.Bot.sendContext`: `user` (a member) passes `context` to
    /// the v2 bots of `chat` (ONIMBOTV2CONTEXTGET); how many, or `None`
    /// when `user` is no member.
    async fn send_bot_context(
        &self,
        chat: ChatId,
        user: UserId,
        context: serde_json::Value,
        now: Timestamp,
    ) -> Result<Option<usize>, StoreError>;
    /// A command's bot answers `message` (which used command `command`) in
    /// a chat it is not in: a system message naming the bot. `None`: the
    /// message is gone, used no such command, or the bot is a member.
    async fn answer_as_system(
        &self,
        message: MessageId,
        command: i64,
        text: String,
        params: Option<String>,
        now: Timestamp,
    ) -> Result<Option<MessageId>, StoreError>;
    /// A bot's commands, oldest first.
    async fn commands_of(&self, bot: UserId) -> Result<Vec<Command>, StoreError>;
    /// The commands named `name` of the application's bots.
    async fn commands_named(
        &self,
        client_id: String,
        name: String,
    ) -> Result<Vec<Command>, StoreError>;
    async fn update_command(
        &self,
        id: i64,
        changes: CommandChanges,
    ) -> Result<CommandUpdated, StoreError>;
    /// The chat a message is in.
    async fn message_chat(&self, id: MessageId) -> Result<Option<ChatId>, StoreError>;
    /// A message `reader` may see (not deleted, in a chat they are in),
    /// without its likes.
    async fn visible_message(
        &self,
        id: MessageId,
        reader: UserId,
    ) -> Result<Option<Message>, StoreError>;
    /// Whether `actor` may edit message `id`: its author, a member of its
    /// chat, and the message not deleted (what `edit_message` requires).
    async fn can_edit_message(&self, id: MessageId, actor: UserId) -> Result<bool, StoreError>;

    // The event outbox
    /// Leases up to `limit` pending events that are due at `now_ms` until
    /// `now_ms + lease_ms`, so no other dispatcher takes them meanwhile.
    async fn claim_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    async fn event_delivered(
        &self,
        id: i64,
        now_ms: i64,
        attempt: crate::domain::events::Attempt,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt: retried at `retry_at_ms`, or dead when `None`.
    async fn event_failed(
        &self,
        id: i64,
        error: String,
        retry_at_ms: Option<i64>,
        attempt: crate::domain::events::Attempt,
    ) -> Result<(), StoreError>;
    /// The newest events the query picks, newest first.
    async fn events(
        &self,
        query: crate::domain::events::EventQuery,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Makes `ids` (or, when empty, every dead event) pending again, due now.
    async fn replay_events(&self, ids: Vec<i64>, now_ms: i64) -> Result<usize, StoreError>;
    /// Confirms a fetch-mode bot's queued events with ids below `offset` and
    /// returns the next `limit` (id, event), and whether more are waiting.
    async fn bot_events(
        &self,
        bot: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<(i64, EventRecord)>, bool), StoreError>;
    /// im.v2.Event.subscribe (`on`) / unsubscribe for `user`.
    async fn subscribe_user_events(
        &self,
        user: UserId,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// im.v2.Event.get: confirms below `offset`, returns the next `limit`.
    async fn user_events(
        &self,
        user: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<(i64, EventRecord)>, bool), StoreError>;
    /// event.bind; `false` when the same binding exists already.
    async fn bind_event(&self, binding: Binding, now: Timestamp) -> Result<bool, StoreError>;
    /// event.unbind: removes the application's bindings of `event` (to
    /// `handler`, if given); how many went.
    async fn unbind_event(
        &self,
        event: String,
        handler: Option<String>,
        client_id: String,
    ) -> Result<usize, StoreError>;
    /// event.get: the application's bindings.
    async fn bindings(&self, client_id: String) -> Result<Vec<Binding>, StoreError>;
    /// event.bind with event_type=offline; `false` if it existed.
    async fn bind_offline(
        &self,
        event: String,
        client_id: String,
        connector: String,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn unbind_offline(&self, event: String, client_id: String) -> Result<usize, StoreError>;
    /// The application's offline bindings: (event, user).
    async fn offline_bindings(&self, client_id: String) -> Result<Vec<(String, i64)>, StoreError>;
    /// event.offline.get: the taken records and the process id they were reserved under.
    async fn take_offline(
        &self,
        take: OfflineTake,
    ) -> Result<(Vec<OfflineEvent>, Option<String>), StoreError>;
    /// event.offline.clear / .error: deletes (or marks erroneous) the records
    /// of `process_id`, all of them or those with the given ids / message ids.
    async fn settle_offline(
        &self,
        client_id: String,
        process_id: String,
        ids: Vec<i64>,
        message_ids: Vec<String>,
        error: bool,
    ) -> Result<usize, StoreError>;
    /// event.offline.list: a page of the queue and its size.
    async fn list_offline(
        &self,
        client_id: String,
        connector: String,
        start: i64,
    ) -> Result<(Vec<OfflineEvent>, i64), StoreError>;
    /// Drops recorded user events older than `before` (they are kept 24 hours).
    async fn purge_user_events(&self, before: Timestamp) -> Result<usize, StoreError>;
    /// A value fixed for the life of the data directory, created on first use.
    async fn setting(&self, name: String, initial: String) -> Result<String, StoreError>;
    /// The local id of an application, recorded on first use (`app.info`).
    async fn application_id(&self, client_id: String, now: Timestamp) -> Result<i64, StoreError>;
    /// `app add`: a new OAuth application; its local id.
    async fn create_application(&self, new: NewApplication) -> Result<i64, StoreError>;
    /// The application with this client id (an OAuth one, or one only seen).
    async fn application(&self, client_id: String) -> Result<Option<Application>, StoreError>;
    /// The OAuth applications, oldest first.
    async fn applications(&self) -> Result<Vec<Application>, StoreError>;
    /// `app install`: marks the OAuth application installed by `user` (an
    /// active administrator) and stores `pair` as that user's tokens, in one
    /// transaction. `None`: no such application, or `user` may not.
    async fn install_application(
        &self,
        client_id: String,
        user: UserId,
        pair: TokenPair,
        now: Timestamp,
    ) -> Result<Option<Application>, StoreError>;
    /// An authorization code (its hash) for `user` of the installed
    /// application, made with the credential `parent` (if any: what it is
    /// exchanged for ends with that credential); `None` when it is not
    /// installed or `user` is no person.
    async fn create_code(
        &self,
        client_id: String,
        user: UserId,
        hash: TokenHash,
        (now, expires): (Timestamp, Timestamp),
        parent: Option<i64>,
    ) -> Result<Option<Grant>, StoreError>;
    /// Uses up a code or refresh token of `client_id` that is still good and
    /// stores `pair` in its place, in one transaction. `None`: no such grant.
    async fn redeem_grant(
        &self,
        kind: GrantKind,
        hash: TokenHash,
        client_id: String,
        pair: TokenPair,
        now: Timestamp,
    ) -> Result<Option<Grant>, StoreError>;
    /// `app delete`: removes the OAuth application with its bots (each
    /// announced with ONIMBOTDELETE), tokens, grants and event bindings.
    async fn delete_application(
        &self,
        client_id: String,
        now: Timestamp,
    ) -> Result<Option<Application>, StoreError>;
    /// `user.userfield.list`: every custom user field, by id, with its items.
    async fn user_fields(&self) -> Result<Vec<UserFieldDef>, StoreError>;
    /// `user.userfield.add`: the field and its items, unless the name is taken.
    async fn add_user_field(&self, def: UserFieldDef) -> Result<FieldAdded, StoreError>;
    /// `user.userfield.update`: replaces the field's row and syncs its items
    /// (ids kept, new ones added, the rest deleted); `false` if it is gone.
    async fn update_user_field(&self, def: UserFieldDef) -> Result<bool, StoreError>;
    /// `user.userfield.delete`: the field, its items and every value of it.
    async fn delete_user_field(&self, id: i64) -> Result<bool, StoreError>;
    /// The custom field values of `users` (one query for a page of users).
    async fn user_field_values(
        &self,
        users: Vec<UserId>,
    ) -> Result<Vec<UserFieldValue>, StoreError>;
    /// A value set by [`Store::put_setting`], if any.
    async fn get_setting(&self, name: String) -> Result<Option<String>, StoreError>;
    /// `app.option.get` / `user.option.get`: the owner's options in the order
    /// they were first set (only `name`, when given).
    async fn options(
        &self,
        owner: OptionsOwner,
        name: Option<String>,
    ) -> Result<Vec<OptionEntry>, StoreError>;
    /// `app.option.set` / `user.option.set`: writes each option, a known
    /// name in place, in one transaction.
    async fn set_options(
        &self,
        owner: OptionsOwner,
        options: Vec<OptionEntry>,
    ) -> Result<(), StoreError>;
    /// Sets (or replaces) a value, such as the URLs the last `serve` answers at.
    async fn put_setting(&self, name: String, value: String) -> Result<(), StoreError>;
    /// Deletes access tokens that expired before `before`.
    async fn purge_expired_tokens(&self, before: Timestamp) -> Result<usize, StoreError>;
    /// A number that changes whenever a credential is revoked on any node:
    /// what a node caches of credentials is good only while it stays the same.
    /// (SQLite: this process's own revocations; the CLI's, another
    /// process's, are seen within the cache's TTL.) Kept by the feed, which
    /// hears of revocations as [`crate::domain::live::Update::Credentials`].
    fn credentials_epoch(&self) -> u64;
    /// What commits publish live (see [`crate::domain::live`]).
    fn feed(&self) -> &std::sync::Arc<crate::domain::live::Feed>;
    /// Publishes updates that change nothing stored (someone typing), to
    /// every node, in the order of the commits around them.
    async fn announce(&self, updates: Vec<crate::domain::live::Update>) -> Result<(), StoreError>;
}
