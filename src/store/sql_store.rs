//! [`Store`] over any [`Backend`]: each method says whether it is a read (a
//! consistent snapshot) or a write (durable before it answers) and which
//! area's function runs inside it. The SQL lives in the area files.
//!
//! Races are decided there by the database: unique keys (`ON CONFLICT`) and
//! rows affected, never a read followed by a write that assumes nobody else
//! wrote in between, so several nodes over one PostgreSQL agree.

use std::sync::Arc;

use async_trait::async_trait;

use super::sql::DbResult;
use super::{
    applications, bots, chats, credentials, departments, files, messages, notifications, options,
    outbox, reactions, recent, search, settings, subscriptions, user_fields, users, Backend,
    BotCreated, ChatCounter, ChatUpdated, CommandRun, EditOutcome, HistoryPage, LikeOutcome,
    MembershipOutcome, MessageSearch, PostOutcome, ReadMark, ReadState, ReadView, RecentEntry,
    RecentMark, RecentQuery, SqlStore, Store,
};
use crate::domain::applications::{Application, Grant, GrantKind, NewApplication, TokenPair};
use crate::domain::bots::{
    Bot, BotChange, BotUpdated, Command, CommandChanges, CommandUpdated, NewBot, NewCommand,
};
use crate::domain::chats::{Chat, ChatChange, NewChat};
use crate::domain::credentials::{Credential, NewCredential, TokenHash};
use crate::domain::departments::{DepartmentChange, DepartmentSaved, NewDepartment, Structure};
use crate::domain::events::{
    Attempt, Binding, EventQuery, EventRecord, OfflineEvent, OfflineTake, OutboxEntry,
};
use crate::domain::files::{FileDeleted, FilePosted, NewFile, StoredFile};
use crate::domain::message_params::ParamsChange;
use crate::domain::messages::{Message, Page};
use crate::domain::notifications::{
    DeleteScope, NewNotification, NotifyPage, NotifyQuery, ReadScope,
};
use crate::domain::options::{OptionEntry, OptionsOwner};
use crate::domain::reactions::{LikeAction, ReactionCode};
use crate::domain::search::{Find, Found, Pick};
use crate::domain::user_fields::{FieldAdded, UserFieldDef, UserFieldValue};
use crate::domain::user_query::{UserPage, UserQuery};
use crate::domain::users::{NewUser, User, UserChange, UserSaved, UserStatus};
use crate::domain::{ChatId, DialogRef, MessageId, Timestamp, UserId};

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    async fn create_user(&self, new: NewUser, now: Timestamp) -> DbResult<User> {
        self.backend
            .write(move |conn| users::create_user(conn, new, now))
            .await
    }

    async fn user(&self, id: UserId) -> DbResult<Option<User>> {
        self.backend.read(move |conn| users::user(conn, id)).await
    }

    async fn users(&self, ids: Vec<UserId>) -> DbResult<Vec<User>> {
        self.backend.read(move |conn| users::users(conn, ids)).await
    }

    async fn find_users(&self, query: UserQuery) -> DbResult<UserPage> {
        self.backend
            .read(move |conn| users::find_users(conn, query))
            .await
    }

    async fn set_user_status(&self, user: UserId, status: UserStatus) -> DbResult<bool> {
        self.backend
            .write(move |conn| users::set_status(conn, user, status))
            .await
    }

    async fn set_user_idle(&self, user: UserId, since: Option<Timestamp>) -> DbResult<bool> {
        self.backend
            .write(move |conn| users::set_idle(conn, user, since))
            .await
    }

    async fn mark_seen(&self, users: Vec<UserId>, at: Timestamp) -> DbResult<()> {
        self.backend
            .write(move |conn| users::mark_seen(conn, users, at))
            .await
    }

    async fn user_count(&self) -> DbResult<i64> {
        self.backend.read(users::user_count).await
    }

    async fn create_credential(&self, new: NewCredential) -> DbResult<i64> {
        self.backend
            .write(move |conn| credentials::create_credential(conn, new))
            .await
    }

    async fn credential(&self, hash: TokenHash) -> DbResult<Option<Credential>> {
        self.backend
            .read(move |conn| credentials::credential(conn, hash))
            .await
    }

    async fn webhooks(&self) -> DbResult<Vec<Credential>> {
        self.backend.read(credentials::webhooks).await
    }

    async fn delete_webhook(&self, hash: TokenHash) -> DbResult<bool> {
        self.backend
            .write(move |conn| credentials::delete_webhook(conn, hash))
            .await
    }

    async fn create_chat(&self, new: NewChat) -> DbResult<ChatId> {
        self.backend
            .write(move |conn| chats::create_chat(conn, new))
            .await
    }

    async fn chat(&self, id: ChatId) -> DbResult<Option<Chat>> {
        self.backend.read(move |conn| chats::chat(conn, id)).await
    }

    async fn chat_by_entity(&self, entity_type: &str, entity_id: &str) -> DbResult<Option<ChatId>> {
        let (t, i) = (entity_type.to_owned(), entity_id.to_owned());
        self.backend
            .read(move |conn| chats::chat_by_entity(conn, &t, &i))
            .await
    }

    async fn private_chat(&self, a: UserId, b: UserId) -> DbResult<Option<ChatId>> {
        self.backend
            .read(move |conn| chats::private_chat(conn, a, b))
            .await
    }

    async fn open_private_chat(&self, a: UserId, b: UserId, now: Timestamp) -> DbResult<ChatId> {
        self.backend
            .write(move |conn| chats::open_private_chat(conn, a, b, now))
            .await
    }

    async fn add_members(
        &self,
        chat: ChatId,
        actor: UserId,
        users: Vec<UserId>,
        now: Timestamp,
    ) -> DbResult<MembershipOutcome> {
        self.backend
            .write(move |conn| chats::add_members(conn, chat, actor, users, now))
            .await
    }

    async fn run_command(
        &self,
        message: MessageId,
        user: UserId,
        bot: UserId,
        command: String,
        args: String,
        now: Timestamp,
    ) -> DbResult<CommandRun> {
        self.backend
            .write(move |conn| bots::run_command(conn, message, user, bot, &command, &args, now))
            .await
    }

    async fn search_messages(
        &self,
        chat: ChatId,
        reader: UserId,
        search: MessageSearch,
    ) -> DbResult<Option<HistoryPage>> {
        self.backend
            .read(move |conn| messages::search(conn, chat, reader, search))
            .await
    }

    async fn mark_read(
        &self,
        chat: ChatId,
        user: UserId,
        mark: ReadMark,
        now: Timestamp,
    ) -> DbResult<Option<ReadState>> {
        self.backend
            .write(move |conn| messages::mark_read(conn, chat, user, mark, now))
            .await
    }

    async fn recent(&self, user: UserId, query: RecentQuery) -> DbResult<Vec<RecentEntry>> {
        self.backend
            .read(move |conn| recent::recent(conn, user, query))
            .await
    }

    async fn mark_recent(&self, chat: ChatId, user: UserId, mark: RecentMark) -> DbResult<bool> {
        self.backend
            .write(move |conn| recent::mark(conn, chat, user, mark))
            .await
    }

    async fn read_view(&self, chat: ChatId, user: UserId) -> DbResult<Option<ReadView>> {
        self.backend
            .read(move |conn| messages::read_view(conn, chat, user))
            .await
    }

    async fn read_all(&self, user: UserId, now: Timestamp) -> DbResult<()> {
        self.backend
            .write(move |conn| messages::read_all(conn, user, now))
            .await
    }

    async fn counters(&self, user: UserId) -> DbResult<Vec<ChatCounter>> {
        self.backend
            .read(move |conn| messages::counters(conn, user))
            .await
    }

    async fn chats_of(&self, user: UserId) -> DbResult<Vec<ChatId>> {
        self.backend
            .read(move |conn| chats::chats_of(conn, user))
            .await
    }

    async fn add_user(&self, new: NewUser, now: Timestamp) -> DbResult<UserSaved> {
        self.backend
            .write(move |conn| users::add_user(conn, new.clone(), now))
            .await
    }

    async fn update_user(&self, id: UserId, change: UserChange) -> DbResult<UserSaved> {
        self.backend
            .write(move |conn| users::update_user(conn, id, change.clone()))
            .await
    }

    async fn put_file_content(&self, hash: String, bytes: Arc<Vec<u8>>) -> DbResult<()> {
        self.backend.put_blob(hash, bytes).await
    }

    async fn file_content(&self, hash: String) -> DbResult<Option<Vec<u8>>> {
        self.backend.blob(hash).await
    }

    async fn send_file(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        file: NewFile,
        now: Timestamp,
    ) -> DbResult<FilePosted> {
        self.backend
            .write(move |conn| {
                files::post_file(conn, chat, author, text.clone(), file.clone(), now)
            })
            .await
    }

    async fn commit_files(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        ids: Vec<i64>,
        now: Timestamp,
    ) -> DbResult<Option<FilePosted>> {
        self.backend
            .write(move |conn| {
                files::commit_files(conn, chat, author, text.clone(), ids.clone(), now)
            })
            .await
    }

    async fn is_avatar(&self, name: String) -> DbResult<bool> {
        self.backend
            .read(move |conn| chats::is_avatar(conn, &name))
            .await
    }

    async fn chat_folder(&self, chat: ChatId, user: UserId) -> DbResult<Option<i64>> {
        self.backend
            .write(move |conn| files::chat_folder(conn, chat, user))
            .await
    }

    async fn file_for(&self, id: i64, user: UserId) -> DbResult<Option<StoredFile>> {
        self.backend
            .read(move |conn| {
                let Some(f) = files::file(conn, id)? else {
                    return Ok(None);
                };
                Ok(files::readable(conn, &f, user)?.then_some(f))
            })
            .await
    }

    async fn message_files(&self, ids: Vec<MessageId>) -> DbResult<Vec<StoredFile>> {
        self.backend
            .read(move |conn| files::of_messages(conn, &ids))
            .await
    }

    async fn save_file(
        &self,
        id: i64,
        user: UserId,
        now: Timestamp,
    ) -> DbResult<Option<(i64, i64, String)>> {
        self.backend
            .write(move |conn| files::save_copy(conn, id, user, now))
            .await
    }

    async fn delete_file(
        &self,
        chat: ChatId,
        id: i64,
        user: UserId,
        now: Timestamp,
    ) -> DbResult<FileDeleted> {
        self.backend
            .write(move |conn| files::delete_file(conn, chat, id, user, now))
            .await
    }

    async fn departments(&self) -> DbResult<Structure> {
        self.backend.read(departments::structure).await
    }

    async fn add_department(&self, new: NewDepartment) -> DbResult<DepartmentSaved> {
        self.backend
            .write(move |conn| departments::add(conn, new.clone()))
            .await
    }

    async fn change_department(
        &self,
        id: i64,
        change: DepartmentChange,
    ) -> DbResult<DepartmentSaved> {
        self.backend
            .write(move |conn| departments::change(conn, id, change.clone()))
            .await
    }

    async fn delete_department(&self, id: i64) -> DbResult<DepartmentSaved> {
        self.backend
            .write(move |conn| departments::delete(conn, id))
            .await
    }

    async fn place_user(&self, user: UserId, ids: Vec<i64>) -> DbResult<bool> {
        self.backend
            .write(move |conn| departments::place(conn, user, ids.clone()))
            .await
    }

    async fn department_members(&self, ids: Vec<i64>) -> DbResult<Vec<User>> {
        self.backend
            .read(move |conn| departments::members(conn, ids))
            .await
    }

    async fn search_users(&self, find: Find, departments: Vec<i64>) -> DbResult<Found<User>> {
        self.backend
            .read(move |conn| search::users(conn, find, departments))
            .await
    }

    async fn search_chats(
        &self,
        user: UserId,
        find: Find,
    ) -> DbResult<Found<(Chat, Option<ReadView>)>> {
        self.backend
            .read(move |conn| search::chats(conn, user, find))
            .await
    }

    async fn add_search_pick(
        &self,
        user: UserId,
        dialog: DialogRef,
        now: Timestamp,
    ) -> DbResult<bool> {
        self.backend
            .write(move |conn| search::add_pick(conn, user, dialog, now))
            .await
    }

    async fn delete_search_pick(&self, user: UserId, dialog: DialogRef) -> DbResult<bool> {
        self.backend
            .write(move |conn| search::delete_pick(conn, user, dialog))
            .await
    }

    async fn search_picks(&self, user: UserId) -> DbResult<Vec<Pick>> {
        self.backend
            .read(move |conn| search::picks(conn, user))
            .await
    }

    async fn add_notification(
        &self,
        new: NewNotification,
        now: Timestamp,
    ) -> DbResult<Option<i64>> {
        self.backend
            .write(move |conn| notifications::add(conn, new.clone(), now))
            .await
    }

    async fn notifications(&self, query: NotifyQuery) -> DbResult<NotifyPage> {
        self.backend
            .read(move |conn| notifications::page(conn, query))
            .await
    }

    async fn mark_notifications(
        &self,
        user: UserId,
        scope: ReadScope,
        read: bool,
    ) -> DbResult<i64> {
        self.backend
            .write(move |conn| notifications::mark(conn, user, scope.clone(), read))
            .await
    }

    async fn delete_notifications(&self, user: UserId, scope: DeleteScope) -> DbResult<bool> {
        self.backend
            .write(move |conn| notifications::delete(conn, user, scope.clone()))
            .await
    }

    async fn unread_notifications(&self, user: UserId) -> DbResult<i64> {
        self.backend
            .read(move |conn| notifications::unread(conn, user))
            .await
    }

    async fn set_text_field(&self, chat: ChatId, actor: UserId, enabled: bool) -> DbResult<bool> {
        self.backend
            .write(move |conn| chats::set_text_field(conn, chat, actor, enabled))
            .await
    }

    async fn set_muted(&self, chat: ChatId, user: UserId, muted: bool) -> DbResult<bool> {
        self.backend
            .write(move |conn| chats::set_muted(conn, chat, user, muted))
            .await
    }

    async fn update_chat(
        &self,
        chat: ChatId,
        actor: UserId,
        change: ChatChange,
    ) -> DbResult<ChatUpdated> {
        self.backend
            .write(move |conn| chats::update_chat(conn, chat, actor, change))
            .await
    }

    async fn remove_member(
        &self,
        chat: ChatId,
        actor: UserId,
        user: UserId,
        now: Timestamp,
    ) -> DbResult<MembershipOutcome> {
        self.backend
            .write(move |conn| chats::remove_member(conn, chat, actor, user, now))
            .await
    }

    async fn post_message(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        params: Option<String>,
        now: Timestamp,
    ) -> DbResult<PostOutcome> {
        self.backend
            .write(move |conn| messages::post_message(conn, chat, author, text, params, now))
            .await
    }

    async fn can_edit_message(&self, id: MessageId, actor: UserId) -> DbResult<bool> {
        self.backend
            .read(move |conn| messages::can_edit_message(conn, id, actor))
            .await
    }

    async fn edit_message(
        &self,
        id: MessageId,
        actor: UserId,
        text: Option<String>,
        change: ParamsChange,
        now: Timestamp,
    ) -> DbResult<EditOutcome> {
        self.backend
            .write(move |conn| messages::edit_message(conn, id, actor, text, &change, now))
            .await
    }

    async fn delete_message(
        &self,
        id: MessageId,
        actor: UserId,
        complete: bool,
        now: Timestamp,
    ) -> DbResult<EditOutcome> {
        self.backend
            .write(move |conn| messages::delete_message(conn, id, actor, complete, now))
            .await
    }

    async fn history(
        &self,
        chat: ChatId,
        reader: UserId,
        page: Page,
    ) -> DbResult<Option<HistoryPage>> {
        self.backend
            .read(move |conn| messages::history(conn, chat, reader, page))
            .await
    }

    async fn set_reaction(
        &self,
        user: UserId,
        message: MessageId,
        code: ReactionCode,
        action: LikeAction,
        now: Timestamp,
    ) -> DbResult<LikeOutcome> {
        let spec = reactions::LikeSpec {
            user,
            message,
            code,
            action,
            now,
        };
        self.backend.write_like(spec).await
    }

    async fn create_bot(
        &self,
        new: NewBot,
        max_per_app: usize,
        now: Timestamp,
    ) -> DbResult<BotCreated> {
        self.backend
            .write(move |conn| bots::create_bot(conn, new, max_per_app, now))
            .await
    }

    async fn bot(&self, id: UserId) -> DbResult<Option<Bot>> {
        self.backend.read(move |conn| bots::bot(conn, id)).await
    }

    async fn bots_of(&self, client_id: String) -> DbResult<Vec<Bot>> {
        self.backend
            .read(move |conn| bots::bots_of(conn, client_id))
            .await
    }

    async fn all_bots(&self) -> DbResult<Vec<Bot>> {
        self.backend.read(bots::all_bots).await
    }

    async fn update_bot(&self, id: UserId, change: BotChange) -> DbResult<BotUpdated> {
        self.backend
            .write(move |conn| bots::update_bot(conn, id, change))
            .await
    }

    async fn delete_bot(&self, id: UserId, now: Timestamp) -> DbResult<bool> {
        self.backend
            .write(move |conn| bots::delete_bot(conn, id, now))
            .await
    }

    async fn create_command(&self, new: NewCommand, now: Timestamp) -> DbResult<i64> {
        self.backend
            .write(move |conn| bots::create_command(conn, new, now))
            .await
    }

    async fn command(&self, id: i64) -> DbResult<Option<Command>> {
        self.backend.read(move |conn| bots::command(conn, id)).await
    }

    async fn visible_message(&self, id: MessageId, reader: UserId) -> DbResult<Option<Message>> {
        self.backend
            .read(move |conn| messages::visible_message(conn, id, reader))
            .await
    }

    async fn message_chat(&self, id: MessageId) -> DbResult<Option<ChatId>> {
        self.backend
            .read(move |conn| messages::message_chat(conn, id))
            .await
    }

    async fn delete_command(&self, id: i64) -> DbResult<bool> {
        self.backend
            .write(move |conn| bots::delete_command(conn, id))
            .await
    }

    async fn send_bot_context(
        &self,
        chat: ChatId,
        user: UserId,
        context: serde_json::Value,
        now: Timestamp,
    ) -> DbResult<Option<usize>> {
        self.backend
            .write(move |conn| super::events::enqueue_context(conn, chat, user, &context, now))
            .await
    }

    async fn answer_as_system(
        &self,
        message: MessageId,
        command: i64,
        text: String,
        params: Option<String>,
        now: Timestamp,
    ) -> DbResult<Option<MessageId>> {
        self.backend
            .write(move |conn| {
                bots::answer_as_system(conn, message, command, &text, params.as_deref(), now)
            })
            .await
    }

    async fn commands_of(&self, bot: UserId) -> DbResult<Vec<Command>> {
        self.backend
            .read(move |conn| bots::commands_of(conn, bot))
            .await
    }

    async fn commands_named(&self, client_id: String, name: String) -> DbResult<Vec<Command>> {
        self.backend
            .read(move |conn| bots::commands_named(conn, &client_id, &name))
            .await
    }

    async fn update_command(&self, id: i64, changes: CommandChanges) -> DbResult<CommandUpdated> {
        self.backend
            .write(move |conn| bots::update_command(conn, id, changes))
            .await
    }

    async fn claim_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> DbResult<Vec<OutboxEntry>> {
        self.backend
            .write(move |conn| outbox::claim_events(conn, now_ms, lease_ms, limit))
            .await
    }

    async fn event_delivered(&self, id: i64, now_ms: i64, attempt: Attempt) -> DbResult<()> {
        self.backend
            .write(move |conn| outbox::event_delivered(conn, id, now_ms, attempt))
            .await
    }

    async fn event_failed(
        &self,
        id: i64,
        error: String,
        retry_at_ms: Option<i64>,
        attempt: Attempt,
    ) -> DbResult<()> {
        self.backend
            .write(move |conn| outbox::event_failed(conn, id, error, retry_at_ms, attempt))
            .await
    }

    async fn events(&self, query: EventQuery) -> DbResult<Vec<OutboxEntry>> {
        self.backend
            .read(move |conn| outbox::events(conn, query))
            .await
    }

    async fn replay_events(&self, ids: Vec<i64>, now_ms: i64) -> DbResult<usize> {
        self.backend
            .write(move |conn| outbox::replay_events(conn, ids, now_ms))
            .await
    }

    async fn bot_events(
        &self,
        bot: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
        self.backend
            .write(move |conn| subscriptions::bot_events(conn, bot, offset, limit))
            .await
    }

    async fn subscribe_user_events(&self, user: UserId, on: bool, now: Timestamp) -> DbResult<()> {
        self.backend
            .write(move |conn| subscriptions::subscribe_user_events(conn, user, on, now))
            .await
    }

    async fn user_events(
        &self,
        user: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
        self.backend
            .write(move |conn| subscriptions::user_events(conn, user, offset, limit))
            .await
    }

    async fn bind_event(&self, b: Binding, now: Timestamp) -> DbResult<bool> {
        self.backend
            .write(move |conn| subscriptions::bind_event(conn, b, now))
            .await
    }

    async fn unbind_event(
        &self,
        event: String,
        handler: Option<String>,
        client_id: String,
    ) -> DbResult<usize> {
        self.backend
            .write(move |conn| subscriptions::unbind_event(conn, event, handler, client_id))
            .await
    }

    async fn bindings(&self, client_id: String) -> DbResult<Vec<Binding>> {
        self.backend
            .read(move |conn| subscriptions::bindings(conn, client_id))
            .await
    }

    async fn bind_offline(
        &self,
        event: String,
        client_id: String,
        connector: String,
        user: UserId,
        now: Timestamp,
    ) -> DbResult<bool> {
        self.backend
            .write(move |conn| {
                subscriptions::bind_offline(conn, event, client_id, connector, user, now)
            })
            .await
    }

    async fn unbind_offline(&self, event: String, client_id: String) -> DbResult<usize> {
        self.backend
            .write(move |conn| subscriptions::unbind_offline(conn, event, client_id))
            .await
    }

    async fn offline_bindings(&self, client_id: String) -> DbResult<Vec<(String, i64)>> {
        self.backend
            .read(move |conn| subscriptions::offline_bindings(conn, client_id))
            .await
    }

    async fn take_offline(&self, t: OfflineTake) -> DbResult<(Vec<OfflineEvent>, Option<String>)> {
        self.backend
            .write(move |conn| subscriptions::take_offline(conn, t))
            .await
    }

    async fn settle_offline(
        &self,
        client_id: String,
        process_id: String,
        ids: Vec<i64>,
        message_ids: Vec<String>,
        error: bool,
    ) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                subscriptions::settle_offline(conn, client_id, process_id, ids, message_ids, error)
            })
            .await
    }

    async fn list_offline(
        &self,
        client_id: String,
        connector: String,
        start: i64,
    ) -> DbResult<(Vec<OfflineEvent>, i64)> {
        self.backend
            .read(move |conn| subscriptions::list_offline(conn, client_id, connector, start))
            .await
    }

    async fn purge_user_events(&self, before: Timestamp) -> DbResult<usize> {
        self.backend
            .write(move |conn| subscriptions::purge_user_events(conn, before))
            .await
    }

    async fn setting(&self, name: String, initial: String) -> DbResult<String> {
        self.backend
            .write(move |conn| settings::setting(conn, name, initial))
            .await
    }

    async fn application_id(&self, client_id: String, now: Timestamp) -> DbResult<i64> {
        self.backend
            .write(move |conn| applications::application_id(conn, &client_id, now))
            .await
    }

    async fn create_application(&self, new: NewApplication) -> DbResult<i64> {
        self.backend
            .write(move |conn| applications::create_application(conn, new))
            .await
    }

    async fn application(&self, client_id: String) -> DbResult<Option<Application>> {
        self.backend
            .read(move |conn| applications::application(conn, &client_id))
            .await
    }

    async fn applications(&self) -> DbResult<Vec<Application>> {
        self.backend.read(applications::applications).await
    }

    async fn install_application(
        &self,
        client_id: String,
        user: UserId,
        pair: TokenPair,
        now: Timestamp,
    ) -> DbResult<Option<Application>> {
        self.backend
            .write(move |conn| {
                applications::install_application(conn, &client_id, user, &pair, now)
            })
            .await
    }

    async fn create_code(
        &self,
        client_id: String,
        user: UserId,
        hash: TokenHash,
        (now, expires): (Timestamp, Timestamp),
        parent: Option<i64>,
    ) -> DbResult<Option<Grant>> {
        self.backend
            .write(move |conn| {
                applications::create_code(conn, &client_id, user, &hash, (now, expires), parent)
            })
            .await
    }

    async fn redeem_grant(
        &self,
        kind: GrantKind,
        hash: TokenHash,
        client_id: String,
        pair: TokenPair,
        now: Timestamp,
    ) -> DbResult<Option<Grant>> {
        self.backend
            .write(move |conn| {
                applications::redeem_grant(conn, kind, &hash, &client_id, &pair, now)
            })
            .await
    }

    async fn delete_application(
        &self,
        client_id: String,
        now: Timestamp,
    ) -> DbResult<Option<Application>> {
        self.backend
            .write(move |conn| applications::delete_application(conn, &client_id, now))
            .await
    }

    async fn get_setting(&self, name: String) -> DbResult<Option<String>> {
        self.backend
            .read(move |conn| settings::get_setting(conn, name))
            .await
    }

    async fn options(
        &self,
        owner: OptionsOwner,
        name: Option<String>,
    ) -> DbResult<Vec<OptionEntry>> {
        self.backend
            .read(move |conn| options::options(conn, &owner, name.as_deref()))
            .await
    }

    async fn set_options(&self, owner: OptionsOwner, entries: Vec<OptionEntry>) -> DbResult<()> {
        self.backend
            .write(move |conn| options::set_options(conn, &owner, &entries))
            .await
    }

    async fn user_fields(&self) -> DbResult<Vec<UserFieldDef>> {
        self.backend.read(user_fields::user_fields).await
    }

    async fn add_user_field(&self, def: UserFieldDef) -> DbResult<FieldAdded> {
        self.backend
            .write(move |conn| user_fields::add_user_field(conn, &def))
            .await
    }

    async fn update_user_field(&self, def: UserFieldDef) -> DbResult<bool> {
        self.backend
            .write(move |conn| user_fields::update_user_field(conn, &def))
            .await
    }

    async fn delete_user_field(&self, id: i64) -> DbResult<bool> {
        self.backend
            .write(move |conn| user_fields::delete_user_field(conn, id))
            .await
    }

    async fn user_field_values(&self, users: Vec<UserId>) -> DbResult<Vec<UserFieldValue>> {
        self.backend
            .read(move |conn| user_fields::values(conn, &users))
            .await
    }

    async fn put_setting(&self, name: String, value: String) -> DbResult<()> {
        self.backend
            .write(move |conn| settings::put_setting(conn, name, value))
            .await
    }

    async fn purge_expired_tokens(&self, before: Timestamp) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                Ok(credentials::purge_expired_tokens(conn, before)?
                    + applications::purge_expired_grants(conn, before)?)
            })
            .await
    }

    fn credentials_epoch(&self) -> u64 {
        self.backend.feed().credentials_epoch()
    }

    fn feed(&self) -> &std::sync::Arc<crate::domain::live::Feed> {
        self.backend.feed()
    }

    async fn announce(&self, updates: Vec<crate::domain::live::Update>) -> DbResult<()> {
        self.backend
            .write(move |conn| {
                for update in updates {
                    super::sql::Db::publish(conn, update);
                }
                Ok(())
            })
            .await
    }
}
