//! The store's changes and queries, written once for both engines: each
//! method is one transaction on [`Db`], run by the backend's `write` (durable
//! before it answers) or `read` (a consistent snapshot).
//!
//! Races are decided here by the database: unique keys (`ON CONFLICT`) and
//! rows affected, never a read followed by a write that assumes nobody else
//! wrote in between, so several nodes over one PostgreSQL agree.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::events::{self as ev, BOT_COLUMNS, OUTBOX_COLUMNS};
use super::sql::{params, Db, DbResult, DbRow, Dialect, Param};
use super::{
    Backend, BotCreated, EditOutcome, HistoryPage, LikeOutcome, MembershipOutcome, PostOutcome,
    SqlStore, Store, StoreError,
};
use crate::domain::bots::{Bot, BotChange, BotUpdated, Command, NewBot, NewCommand};
use crate::domain::chats::{Chat, ChatKind, Color, NewChat};
use crate::domain::credentials::{Credential, CredentialKind, NewCredential, Scopes, TokenHash};
use crate::domain::events::{
    Binding, DeliveryState, EventKind, EventRecord, OfflineEvent, OfflineTake, OutboxEntry,
};
use crate::domain::messages::{system_text, Mention, Message, Page, SystemEvent};
use crate::domain::reactions::{LikeAction, ReactionCode, LIKE};
use crate::domain::user_query::{Cmp, FilterValue, UserField, UserPage, UserQuery, PAGE_SIZE};
use crate::domain::users::{NewUser, User};
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

/// The topic a revocation of credentials is announced under.
pub const CREDENTIALS_TOPIC: &str = "credentials";

/// The like's visibility query: the message, if `?2` may see it, and who
/// hears of a change ([`ev::ReactionChange`]).
static VISIBLE_TO_LIKE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM messages m
         JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2
         WHERE m.id = ?1 AND m.deleted = FALSE",
        ev::REACTION_CHANGE_COLUMNS
    )
});

/// The same on PostgreSQL, where the message (shared) and the user's
/// membership (exclusive) stay locked until commit: a like and a concurrent
/// delete or removal from the chat happen one after the other on any node,
/// and so do one user's concurrent toggles (each `auto` sees the one
/// before). Other users' likes of the message do not wait.
static VISIBLE_TO_LIKE_LOCKED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} FOR NO KEY UPDATE OF cm FOR SHARE OF m",
        *VISIBLE_TO_LIKE
    )
});

/// The SQL expression of a filterable user field.
fn user_column(field: UserField) -> &'static str {
    match field {
        UserField::Id => "id",
        UserField::Name => "first_name",
        UserField::LastName => "last_name",
        UserField::Active => "active",
        UserField::UserType => "'employee'",
        UserField::Department => "CAST(1 AS BIGINT)",
    }
}

/// Whether the field is the same for every user (nothing to sort by).
fn is_constant(field: UserField) -> bool {
    matches!(field, UserField::UserType | UserField::Department)
}

fn filter_param(v: &FilterValue) -> &dyn Param {
    match v {
        FilterValue::Int(n) => n,
        FilterValue::Text(t) => t,
        FilterValue::Bool(b) => b,
    }
}

fn is_text(field: UserField) -> bool {
    matches!(
        field,
        UserField::Name | UserField::LastName | UserField::UserType
    )
}

/// `user.get`'s conditions as one WHERE clause with positional arguments.
/// Every value is bound; only column names from [`user_column`] are spliced in.
fn user_where(query: &UserQuery) -> (String, Vec<FilterValue>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    for c in &query.conditions {
        let col = user_column(c.field);
        // Text compares case-insensitively, as Bitrix24's filters do.
        let (lhs, rhs) = if is_text(c.field) {
            (format!("lower({col})"), "lower(?)")
        } else {
            (col.to_owned(), "?")
        };
        let any = |one: &dyn Fn() -> String, args: &mut Vec<FilterValue>| -> String {
            let alts: Vec<String> = c
                .values
                .iter()
                .map(|v| {
                    args.push(v.clone());
                    one()
                })
                .collect();
            if alts.is_empty() {
                "FALSE".to_owned()
            } else {
                format!("({})", alts.join(" OR "))
            }
        };
        let part = match c.cmp {
            Cmp::Eq | Cmp::In => any(&|| format!("{lhs} = {rhs}"), &mut args),
            Cmp::Ne | Cmp::NotIn => format!("NOT {}", any(&|| format!("{lhs} = {rhs}"), &mut args)),
            Cmp::Gt => any(&|| format!("{lhs} > {rhs}"), &mut args),
            Cmp::Ge => any(&|| format!("{lhs} >= {rhs}"), &mut args),
            Cmp::Lt => any(&|| format!("{lhs} < {rhs}"), &mut args),
            Cmp::Le => any(&|| format!("{lhs} <= {rhs}"), &mut args),
            Cmp::Contains => any(&|| format!("instr(lower({col}), lower(?)) > 0"), &mut args),
            Cmp::NotContains => format!(
                "NOT {}",
                any(&|| format!("instr(lower({col}), lower(?)) > 0"), &mut args)
            ),
            Cmp::Like => any(&|| format!("lower({col}) LIKE lower(?)"), &mut args),
            Cmp::NotLike => format!(
                "NOT {}",
                any(&|| format!("lower({col}) LIKE lower(?)"), &mut args)
            ),
        };
        parts.push(part);
    }
    if let Some(search) = &query.name_search {
        for word in search.split_whitespace() {
            parts.push(
                "(instr(lower(first_name), lower(?)) > 0 OR instr(lower(last_name), lower(?)) > 0)"
                    .to_owned(),
            );
            args.push(FilterValue::Text(word.to_owned()));
            args.push(FilterValue::Text(word.to_owned()));
        }
    }
    // user.get never lists bots, as in Bitrix24.
    parts.push("bot = FALSE".to_owned());
    (parts.join(" AND "), args)
}

// Row mapping shared by the queries below.

fn user_from_row(r: &dyn DbRow) -> DbResult<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        first_name: r.get(1)?,
        last_name: r.get(2)?,
        admin: r.get(3)?,
        active: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
        bot: r.get(6)?,
    })
}

/// The statements of one history page, for one direction: the page's
/// messages, every like of them, their authors. `?1` chat, `?2` the bound,
/// `?3` the limit, `?4` the like reaction.
struct PageSql {
    messages: String,
    likes: String,
    authors: String,
}

impl PageSql {
    fn new(cond: &str, order: &str) -> PageSql {
        let ids = format!(
            "SELECT id FROM messages WHERE chat_id = ?1 AND {cond} ORDER BY id {order} LIMIT ?3"
        );
        PageSql {
            messages: format!(
                "SELECT id, chat_id, author_id, text, system_code, edited, deleted, created_at
                 FROM messages WHERE chat_id = ?1 AND {cond} ORDER BY id {order} LIMIT ?3"
            ),
            likes: format!(
                "SELECT message_id, user_id FROM reactions
                 WHERE reaction = ?4 AND message_id IN ({ids}) ORDER BY message_id, rowid"
            ),
            authors: format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE id IN (SELECT author_id FROM messages WHERE id IN ({ids})) ORDER BY id"
            ),
        }
    }
}

static PAGE_BEFORE: LazyLock<PageSql> = LazyLock::new(|| PageSql::new("id < ?2", "DESC"));
static PAGE_AFTER: LazyLock<PageSql> = LazyLock::new(|| PageSql::new("id > ?2", "ASC"));

const USER_COLUMNS: &str = "id, first_name, last_name, admin, active, created_at, bot";

pub(super) fn load_user(conn: &impl Db, id: UserId) -> DbResult<Option<User>> {
    conn.row_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        params![id.0],
        user_from_row,
    )
}

fn mention(conn: &impl Db, id: UserId) -> DbResult<Mention> {
    let name = load_user(conn, id)?
        .map(|u| u.full_name())
        .unwrap_or_else(|| format!("User {id}"));
    Ok((id, name))
}

fn credential_from_row(r: &dyn DbRow) -> DbResult<(Credential, String, String)> {
    let kind: String = r.get(1)?;
    let scopes: String = r.get(4)?;
    Ok((
        Credential {
            id: r.get(0)?,
            kind: CredentialKind::Webhook,
            user: UserId(r.get(2)?),
            token_hash: TokenHash(r.get(3)?),
            scopes: Scopes::default(),
            created_at: Timestamp(r.get(5)?),
            expires_at: r.get::<Option<i64>>(6)?.map(Timestamp),
            client_id: r.get(7)?,
        },
        kind,
        scopes,
    ))
}

fn finish_credential((mut c, kind, scopes): (Credential, String, String)) -> DbResult<Credential> {
    c.kind = CredentialKind::parse(&kind)
        .ok_or_else(|| StoreError::Database(format!("unknown credential kind {kind}")))?;
    c.scopes = Scopes::parse(&scopes).unwrap_or_default();
    Ok(c)
}

const CREDENTIAL_COLUMNS: &str =
    "id, kind, user_id, token_hash, scopes, created_at, expires_at, client_id";

fn is_member(conn: &impl Db, chat: ChatId, user: UserId) -> DbResult<bool> {
    conn.exists(
        "SELECT 1 FROM chat_members WHERE chat_id = ?1 AND user_id = ?2",
        params![chat.0, user.0],
    )
}

fn insert_member(conn: &impl Db, chat: ChatId, user: UserId, now: Timestamp) -> DbResult<bool> {
    let n = conn.exec(
        "INSERT INTO chat_members (chat_id, user_id, joined_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id, user_id) DO NOTHING",
        params![chat.0, user.0, now.0],
    )?;
    Ok(n == 1)
}

fn insert_message(
    conn: &impl Db,
    chat: ChatId,
    author: Option<UserId>,
    text: &str,
    system_code: Option<&str>,
    now: Timestamp,
) -> DbResult<MessageId> {
    let id = conn.insert(
        "INSERT INTO messages (chat_id, author_id, text, system_code, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![chat.0, author.map(|a| a.0), text, system_code, now.0],
    )?;
    Ok(MessageId(id))
}

fn chat_kind(conn: &impl Db, chat: ChatId) -> DbResult<Option<(ChatKind, UserId)>> {
    let row: Option<(String, i64)> = conn.row_opt(
        "SELECT kind, owner_id FROM chats WHERE id = ?1",
        params![chat.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(row.and_then(|(k, o)| ChatKind::from_code(&k).map(|k| (k, UserId(o)))))
}

fn message_chat(conn: &impl Db, id: MessageId) -> DbResult<ChatId> {
    Ok(ChatId(conn.row(
        "SELECT chat_id FROM messages WHERE id = ?1",
        params![id.0],
        |r| r.get(0),
    )?))
}

fn private_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

pub(super) fn load_chat(conn: &impl Db, id: ChatId) -> DbResult<Option<Chat>> {
    let row = conn.row_opt(
        "SELECT kind, title, description, color, owner_id, entity_type, entity_id, created_at
             FROM chats WHERE id = ?1",
        params![id.0],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<i64>(4)?,
                r.get::<String>(5)?,
                r.get::<String>(6)?,
                r.get::<i64>(7)?,
            ))
        },
    )?;
    let Some((kind, title, description, color, owner, entity_type, entity_id, created_at)) = row
    else {
        return Ok(None);
    };
    let members = conn.rows(
        "SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY rowid",
        params![id.0],
        |r| r.get::<i64>(0).map(UserId),
    )?;
    let (message_count, last_message_id): (i64, i64) = conn.row(
        "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages WHERE chat_id = ?1",
        params![id.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Some(Chat {
        id,
        kind: ChatKind::from_code(&kind)
            .ok_or_else(|| StoreError::Database(format!("unknown chat kind {kind}")))?,
        title,
        description,
        color: Color::parse(&color).unwrap_or(Color::for_id(id.0)),
        owner: UserId(owner),
        entity_type,
        entity_id,
        created_at: Timestamp(created_at),
        members,
        message_count,
        last_message_id,
    }))
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    async fn create_user(&self, new: NewUser, now: Timestamp) -> DbResult<User> {
        self.backend
            .write(move |conn| {
                let id = conn.insert(
                    "INSERT INTO users (first_name, last_name, admin, active, created_at)
                 VALUES (?1, ?2, ?3, TRUE, ?4) RETURNING id",
                    params![new.first_name, new.last_name, new.admin, now.0],
                )?;
                Ok(User {
                    id: UserId(id),
                    first_name: new.first_name,
                    last_name: new.last_name,
                    admin: new.admin,
                    active: true,
                    created_at: now,
                    bot: false,
                })
            })
            .await
    }

    async fn user(&self, id: UserId) -> DbResult<Option<User>> {
        self.backend.read(move |conn| load_user(conn, id)).await
    }

    async fn users(&self, mut ids: Vec<UserId>) -> DbResult<Vec<User>> {
        ids.sort();
        ids.dedup();
        self.backend
            .read(move |conn| {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(u) = load_user(conn, id)? {
                        out.push(u);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn find_users(&self, query: UserQuery) -> DbResult<UserPage> {
        self.backend
            .read(move |conn| {
                let (clause, args) = user_where(&query);
                let order = if query.descending { "DESC" } else { "ASC" };
                let sort = if is_constant(query.sort) {
                    String::new()
                } else {
                    format!("{} {order}, ", user_column(query.sort))
                };
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users
                 WHERE {clause} ORDER BY {sort}id {order} LIMIT {PAGE_SIZE} OFFSET ?"
                );
                let offset = query.offset.max(0);
                let mut bound: Vec<&dyn Param> = args.iter().map(filter_param).collect();
                bound.push(&offset);
                let users = conn.rows(&sql, &bound, user_from_row)?;
                let total = if query.count_total {
                    let sql = format!("SELECT COUNT(*) FROM users WHERE {clause}");
                    bound.pop();
                    Some(conn.row(&sql, &bound, |r| r.get(0))?)
                } else {
                    None
                };
                Ok(UserPage { users, total })
            })
            .await
    }

    async fn user_count(&self) -> DbResult<i64> {
        self.backend
            .read(|conn| conn.row("SELECT COUNT(*) FROM users", params![], |r| r.get(0)))
            .await
    }

    async fn create_credential(&self, new: NewCredential) -> DbResult<i64> {
        self.backend
            .write(move |conn| {
                conn.insert(
                    "INSERT INTO credentials
                     (kind, user_id, token_hash, scopes, created_at, expires_at, client_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                    params![
                        new.kind.as_str(),
                        new.user.0,
                        new.token_hash.0,
                        new.scopes.to_list(),
                        new.created_at.0,
                        new.expires_at.map(|t| t.0),
                        new.client_id,
                    ],
                )
            })
            .await
    }

    async fn credential(&self, hash: TokenHash) -> DbResult<Option<Credential>> {
        self.backend
            .read(move |conn| {
                let row = conn.row_opt(
                    &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE token_hash = ?1"),
                    params![hash.0],
                    credential_from_row,
                )?;
                row.map(finish_credential).transpose()
            })
            .await
    }

    async fn webhooks(&self) -> DbResult<Vec<Credential>> {
        self.backend.read(|conn| {
            let rows = conn
                .rows(&format!(
                    "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = 'webhook' ORDER BY id"
                ), params![], credential_from_row)?;
            rows.into_iter().map(finish_credential).collect()
        })
        .await
    }

    async fn delete_webhook(&self, hash: TokenHash) -> DbResult<bool> {
        self.backend
            .write(move |conn| {
                let n = conn.exec(
                    "DELETE FROM credentials WHERE kind = 'webhook' AND token_hash = ?1",
                    params![hash.0],
                )?;
                if n > 0 {
                    conn.notify(CREDENTIALS_TOPIC)?;
                }
                Ok(n > 0)
            })
            .await
    }

    async fn create_chat(&self, new: NewChat) -> DbResult<ChatId> {
        self.backend.write(move |conn| {
            let names = {
                let mut users = vec![new.owner];
                users.extend(new.users.iter().copied().filter(|u| *u != new.owner));
                let mut existing = Vec::new();
                for u in users {
                    if let Some(user) = load_user(conn, u)? {
                        existing.push(user);
                    }
                }
                existing
            };
            let id = conn.insert(
                "INSERT INTO chats (kind, title, description, color, owner_id, entity_type, entity_id, created_at)
                 VALUES (?1, '', ?2, '', ?3, ?4, ?5, ?6) RETURNING id", params![
                new.kind.code(),
                new.description,
                new.owner.0,
                new.entity_type,
                new.entity_id,
                new.created_at.0
            ])?;
            let id = ChatId(id);
            let color = new.color.unwrap_or(Color::for_id(id.0));
            let title = match &new.title {
                Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
                _ => default_title(&names, id),
            };
            conn.exec("UPDATE chats SET title = ?1, color = ?2 WHERE id = ?3", params![title, color.name(), id.0])?;
            for user in &names {
                insert_member(conn, id, user.id, new.created_at)?;
            }
            let joined: Vec<UserId> = names.iter().map(|u| u.id).filter(|u| *u != new.owner).collect();
            ev::enqueue_joins(conn, id, &joined, new.owner, new.created_at)?;
            if let Some(text) = &new.first_message {
                let text = text.trim();
                let m = insert_message(conn, id, Some(new.owner), text, None, new.created_at)?;
                ev::enqueue_message(conn, EventKind::BotMessageAdd, id, m, Some(new.owner), text, new.created_at)?;
            }
            Ok(id)
        })
        .await
    }

    async fn chat(&self, id: ChatId) -> DbResult<Option<Chat>> {
        self.backend.read(move |conn| load_chat(conn, id)).await
    }

    async fn chat_by_entity(&self, entity_type: &str, entity_id: &str) -> DbResult<Option<ChatId>> {
        let (t, i) = (entity_type.to_owned(), entity_id.to_owned());
        self.backend.read(move |conn| {
            conn
                .row_opt(
                    "SELECT id FROM chats WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY id LIMIT 1", params![t, i], |r| r.get::<i64>(0).map(ChatId))
        })
        .await
    }

    async fn private_chat(&self, a: UserId, b: UserId) -> DbResult<Option<ChatId>> {
        let key = private_key(a, b);
        self.backend
            .read(move |conn| {
                conn.row_opt(
                    "SELECT id FROM chats WHERE private_key = ?1",
                    params![key],
                    |r| r.get::<i64>(0).map(ChatId),
                )
            })
            .await
    }

    async fn open_private_chat(&self, a: UserId, b: UserId, now: Timestamp) -> DbResult<ChatId> {
        let key = private_key(a, b);
        self.backend
            .write(move |conn| {
                // Two nodes opening the same dialog at once: the unique key lets
                // one insert; the other finds that one's chat.
                let created = conn.row_opt(
                    "INSERT INTO chats (kind, title, color, owner_id, private_key, created_at)
                 VALUES ('P', '', ?1, ?2, ?3, ?4)
                 ON CONFLICT (private_key) DO NOTHING RETURNING id",
                    params![Color::for_id(a.0 + b.0).name(), a.0, key, now.0],
                    |r| r.get::<i64>(0).map(ChatId),
                )?;
                let Some(id) = created else {
                    return conn.row(
                        "SELECT id FROM chats WHERE private_key = ?1",
                        params![key],
                        |r| r.get::<i64>(0).map(ChatId),
                    );
                };
                insert_member(conn, id, a, now)?;
                insert_member(conn, id, b, now)?;
                ev::enqueue_joins(conn, id, &[b], a, now)?;
                Ok(id)
            })
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
            .write(move |conn| {
                let Some((kind, _owner)) = chat_kind(conn, chat)? else {
                    return Ok(MembershipOutcome::NotAllowed);
                };
                if !is_member(conn, chat, actor)? {
                    return Ok(MembershipOutcome::NotAllowed);
                }
                if kind == ChatKind::Private {
                    return Ok(MembershipOutcome::PrivateChat);
                }
                let mut added = Vec::new();
                let mut added_ids = Vec::new();
                for user in users {
                    if load_user(conn, user)?.is_some() && insert_member(conn, chat, user, now)? {
                        added.push(mention(conn, user)?);
                        added_ids.push(user);
                    }
                }
                if added.is_empty() {
                    return Ok(MembershipOutcome::Unchanged);
                }
                let text = system_text(SystemEvent::Join, &mention(conn, actor)?, &added);
                insert_message(conn, chat, None, &text, Some(SystemEvent::Join.code()), now)?;
                ev::enqueue_joins(conn, chat, &added_ids, actor, now)?;
                Ok(MembershipOutcome::Done)
            })
            .await
    }

    async fn remove_member(
        &self,
        chat: ChatId,
        actor: UserId,
        user: UserId,
        now: Timestamp,
    ) -> DbResult<MembershipOutcome> {
        self.backend.write(move |conn| {
            let Some((kind, owner)) = chat_kind(conn, chat)? else {
                return Ok(MembershipOutcome::NotAllowed);
            };
            if !is_member(conn, chat, actor)? {
                return Ok(MembershipOutcome::NotAllowed);
            }
            if kind == ChatKind::Private {
                return Ok(MembershipOutcome::PrivateChat);
            }
            if actor != user && actor != owner {
                return Ok(MembershipOutcome::NotAllowed);
            }
            let removed = conn
                .exec("DELETE FROM chat_members WHERE chat_id = ?1 AND user_id = ?2", params![chat.0, user.0])?;
            if removed == 0 {
                return Ok(MembershipOutcome::Unchanged);
            }
            if user == owner {
                // The owner left: the longest-standing member takes over.
                conn.exec(
                    "UPDATE chats SET owner_id = COALESCE(
                        (SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY rowid LIMIT 1),
                        owner_id)
                     WHERE id = ?1", params![chat.0])?;
            }
            let text = system_text(
                SystemEvent::Leave,
                &mention(conn, actor)?,
                &[mention(conn, user)?],
            );
            insert_message(conn, chat, None, &text, Some(SystemEvent::Leave.code()), now)?;
            Ok(MembershipOutcome::Done)
        })
        .await
    }

    async fn post_message(
        &self,
        chat: ChatId,
        author: UserId,
        text: String,
        now: Timestamp,
    ) -> DbResult<PostOutcome> {
        self.backend
            .write(move |conn| {
                if !is_member(conn, chat, author)? {
                    return Ok(match chat_kind(conn, chat)? {
                        Some(_) => PostOutcome::NotMember,
                        None => PostOutcome::NoChat,
                    });
                }
                let id = insert_message(conn, chat, Some(author), &text, None, now)?;
                ev::enqueue_message(
                    conn,
                    EventKind::BotMessageAdd,
                    chat,
                    id,
                    Some(author),
                    &text,
                    now,
                )?;
                Ok(PostOutcome::Posted(id))
            })
            .await
    }

    async fn can_edit_message(&self, id: MessageId, actor: UserId) -> DbResult<bool> {
        self.backend
            .read(move |conn| {
                conn.exists(
                    "SELECT 1 FROM messages m
                     WHERE m.id = ?1 AND m.author_id = ?2 AND m.deleted = FALSE
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = m.chat_id AND cm.user_id = ?2)",
                    params![id.0, actor.0],
                )
            })
            .await
    }

    async fn edit_message(
        &self,
        id: MessageId,
        actor: UserId,
        text: String,
        now: Timestamp,
    ) -> DbResult<EditOutcome> {
        self.backend
            .write(move |conn| {
                let n = conn.exec(
                    "UPDATE messages SET text = ?1, edited = TRUE
                     WHERE id = ?2 AND author_id = ?3 AND deleted = FALSE
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = messages.chat_id AND cm.user_id = ?3)",
                    params![text, id.0, actor.0],
                )?;
                if n != 1 {
                    return Ok(EditOutcome::NotAllowed);
                }
                let chat = message_chat(conn, id)?;
                ev::enqueue_message(
                    conn,
                    EventKind::BotMessageUpdate,
                    chat,
                    id,
                    Some(actor),
                    &text,
                    now,
                )?;
                Ok(EditOutcome::Done)
            })
            .await
    }

    async fn delete_message(
        &self,
        id: MessageId,
        actor: UserId,
        now: Timestamp,
    ) -> DbResult<EditOutcome> {
        self.backend
            .write(move |conn| {
                let before: Option<(i64, Option<i64>, String)> = conn.row_opt(
                    "SELECT chat_id, author_id, text FROM messages WHERE id = ?1",
                    params![id.0],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                // The author, or the owner of a group chat, who is still a member.
                let n = conn.exec(
                    "UPDATE messages SET text = '', deleted = TRUE
                     WHERE id = ?1 AND deleted = FALSE
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = messages.chat_id AND cm.user_id = ?2)
                       AND (author_id = ?2 OR EXISTS (
                            SELECT 1 FROM chats c WHERE c.id = messages.chat_id
                              AND c.kind <> 'P' AND c.owner_id = ?2))",
                    params![id.0, actor.0],
                )?;
                if n == 0 {
                    return Ok(EditOutcome::NotAllowed);
                }
                conn.exec("DELETE FROM reactions WHERE message_id = ?1", params![id.0])?;
                if let Some((chat, author, text)) = before {
                    let author = author.map(UserId);
                    ev::enqueue_message(
                        conn,
                        EventKind::BotMessageDelete,
                        ChatId(chat),
                        id,
                        author,
                        &text,
                        now,
                    )?;
                }
                Ok(EditOutcome::Done)
            })
            .await
    }

    async fn history(
        &self,
        chat: ChatId,
        reader: UserId,
        page: Page,
    ) -> DbResult<Option<HistoryPage>> {
        self.backend
            .read(move |conn| {
                if !is_member(conn, chat, reader)? {
                    return Ok(None);
                }
                let (sql, bound, limit) = match page {
                    Page::Latest { limit } => (&*PAGE_BEFORE, i64::MAX, limit),
                    Page::Before { before, limit } => (&*PAGE_BEFORE, before, limit),
                    Page::After { after, limit } => (&*PAGE_AFTER, after, limit),
                };
                let args = params![chat.0, bound, i64::from(limit), LIKE];
                let mut messages = conn.rows(&sql.messages, &args[..3], |r| {
                    Ok(Message {
                        id: MessageId(r.get(0)?),
                        chat: ChatId(r.get(1)?),
                        author: r.get::<Option<i64>>(2)?.map(UserId),
                        text: r.get(3)?,
                        system_code: r.get(4)?,
                        edited: r.get(5)?,
                        deleted: r.get(6)?,
                        date: Timestamp(r.get(7)?),
                        likes: Vec::new(),
                    })
                })?;
                messages.sort_by_key(|m| m.id);
                // Every like of the page in one statement, in the order given.
                let likes: Vec<(i64, i64)> =
                    conn.rows(&sql.likes, args, |r| Ok((r.get(0)?, r.get(1)?)))?;
                for (message, user) in likes {
                    if let Ok(i) = messages.binary_search_by_key(&message, |m| m.id.0) {
                        messages[i].likes.push(UserId(user));
                    }
                }
                let authors = conn.rows(&sql.authors, &args[..3], user_from_row)?;
                Ok(Some(HistoryPage { messages, authors }))
            })
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
        self.backend.write(move |conn| {
            let code = code.as_str();
            // Visible to `user` (and, for the events, where and whose it is).
            let sql: &str = match conn.dialect() {
                Dialect::Sqlite => &VISIBLE_TO_LIKE,
                Dialect::Postgres => &VISIBLE_TO_LIKE_LOCKED,
            };
            let visible = conn.row_opt(sql, params![message.0, user.0], |r| {
                Ok(ev::ReactionChange {
                    message,
                    chat: ChatId(r.get(0)?),
                    author: r.get::<Option<i64>>(1)?.map(UserId),
                    user,
                    author_hears_reactions: r.get(2)?,
                    user_listeners: r.get(3)?,
                })
            })?;
            let Some(change) = visible else {
                return Ok(LikeOutcome::NotVisible);
            };
            let add = || -> DbResult<bool> {
                Ok(conn
                    .exec(
                        "INSERT INTO reactions (message_id, user_id, reaction, created_at)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (message_id, user_id, reaction) DO NOTHING", params![message.0, user.0, code, now.0])?
                    == 1)
            };
            let remove = || -> DbResult<bool> {
                Ok(conn
                    .exec(
                        "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND reaction = ?3", params![message.0, user.0, code])?
                    == 1)
            };
            let outcome = match action {
                LikeAction::Plus if add()? => LikeOutcome::Added,
                LikeAction::Minus if remove()? => LikeOutcome::Removed,
                LikeAction::Plus | LikeAction::Minus => LikeOutcome::Unchanged,
                LikeAction::Auto if remove()? => LikeOutcome::Removed,
                LikeAction::Auto if add()? => LikeOutcome::Added,
                LikeAction::Auto => LikeOutcome::Unchanged,
            };
            if matches!(outcome, LikeOutcome::Added | LikeOutcome::Removed) {
                let added = outcome == LikeOutcome::Added;
                ev::enqueue_reaction(conn, &change, code, added, now)?;
            }
            Ok(outcome)
        })
        .await
    }

    async fn create_bot(
        &self,
        new: NewBot,
        max_per_app: usize,
        now: Timestamp,
    ) -> DbResult<BotCreated> {
        self.backend
            .write(move |conn| ev::insert_bot(conn, &new, max_per_app, now))
            .await
    }

    async fn bot(&self, id: UserId) -> DbResult<Option<Bot>> {
        self.backend.read(move |conn| ev::load_bot(conn, id)).await
    }

    async fn bots_of(&self, client_id: String) -> DbResult<Vec<Bot>> {
        self.backend
            .read(move |conn| {
                let bots = conn.rows(
                    &format!(
                        "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     WHERE b.client_id = ?1 ORDER BY b.user_id"
                    ),
                    params![client_id],
                    ev::bot_from_row,
                )?;
                Ok(bots)
            })
            .await
    }

    async fn all_bots(&self) -> DbResult<Vec<Bot>> {
        self.backend
            .read(move |conn| {
                let bots = conn.rows(
                    &format!(
                        "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     ORDER BY b.user_id"
                    ),
                    params![],
                    ev::bot_from_row,
                )?;
                Ok(bots)
            })
            .await
    }

    async fn update_bot(&self, id: UserId, change: BotChange) -> DbResult<BotUpdated> {
        self.backend
            .write(move |conn| {
                let lock = conn.dialect().lock_bot();
                let Some(bot) = conn.row_opt(
                    &format!(
                        "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                         WHERE b.user_id = ?1 {lock}"
                    ),
                    params![id.0],
                    ev::bot_from_row,
                )?
                else {
                    return Ok(BotUpdated::NotFound);
                };
                let bot = match change(&bot) {
                    Ok(updated) => updated,
                    Err(e) => return Ok(BotUpdated::Refused(e)),
                };
                if conn.exists(
                    "SELECT 1 FROM bots WHERE client_id = ?1 AND code = ?2 AND user_id <> ?3",
                    params![bot.client_id, bot.code, bot.id.0],
                )? {
                    return Ok(BotUpdated::CodeTaken);
                }
                conn.exec(
                    "UPDATE bots SET code = ?2, work_position = ?3, on_message_add = ?4,
                     on_message_update = ?5, on_message_delete = ?6, on_welcome = ?7,
                     on_bot_delete = ?8
                 WHERE user_id = ?1",
                    params![
                        bot.id.0,
                        bot.code,
                        bot.work_position,
                        bot.handlers.message_add,
                        bot.handlers.message_update,
                        bot.handlers.message_delete,
                        bot.handlers.welcome,
                        bot.handlers.bot_delete
                    ],
                )?;
                conn.exec(
                    "UPDATE users SET first_name = ?2, last_name = ?3 WHERE id = ?1",
                    params![bot.id.0, bot.first_name, bot.last_name],
                )?;
                Ok(BotUpdated::Done)
            })
            .await
    }

    async fn delete_bot(&self, id: UserId, now: Timestamp) -> DbResult<bool> {
        self.backend
            .write(move |conn| {
                let Some(bot) = ev::load_bot(conn, id)? else {
                    return Ok(false);
                };
                ev::enqueue_bot_delete(conn, &bot, now)?;
                conn.exec("DELETE FROM chat_members WHERE user_id = ?1", params![id.0])?;
                conn.exec(
                    "UPDATE users SET active = FALSE WHERE id = ?1",
                    params![id.0],
                )?;
                if conn.exec("DELETE FROM credentials WHERE user_id = ?1", params![id.0])? > 0 {
                    conn.notify(CREDENTIALS_TOPIC)?;
                }
                conn.exec("DELETE FROM bots WHERE user_id = ?1", params![id.0])?;
                conn.exec(
                    "DELETE FROM bot_event_queue WHERE bot_id = ?1",
                    params![id.0],
                )?;
                conn.exec("DELETE FROM bot_commands WHERE bot_id = ?1", params![id.0])?;
                Ok(true)
            })
            .await
    }

    async fn create_command(&self, new: NewCommand, now: Timestamp) -> DbResult<i64> {
        self.backend
            .write(move |conn| {
                let lang = serde_json::to_string(&new.lang)
                    .map_err(|e| StoreError::Database(format!("cannot encode LANG: {e}")))?;
                conn.exec(
                    "INSERT INTO bot_commands
                     (bot_id, command, common, hidden, handler, client_id, lang, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (bot_id, command) DO UPDATE
                 SET common = excluded.common, hidden = excluded.hidden,
                     handler = excluded.handler, lang = excluded.lang",
                    params![
                        new.bot.0,
                        new.command,
                        new.common,
                        new.hidden,
                        new.handler,
                        new.client_id,
                        lang,
                        now.0
                    ],
                )?;
                conn.row(
                    "SELECT id FROM bot_commands WHERE bot_id = ?1 AND command = ?2",
                    params![new.bot.0, new.command],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn command(&self, id: i64) -> DbResult<Option<Command>> {
        self.backend
            .read(move |conn| ev::load_command(conn, id))
            .await
    }

    async fn message_chat(&self, id: MessageId) -> DbResult<Option<ChatId>> {
        self.backend
            .read(move |conn| {
                conn.row_opt(
                    "SELECT chat_id FROM messages WHERE id = ?1",
                    params![id.0],
                    |r| r.get::<i64>(0).map(ChatId),
                )
            })
            .await
    }

    async fn delete_command(&self, id: i64) -> DbResult<bool> {
        self.backend
            .write(move |conn| {
                Ok(conn.exec("DELETE FROM bot_commands WHERE id = ?1", params![id])? == 1)
            })
            .await
    }

    async fn claim_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> DbResult<Vec<OutboxEntry>> {
        self.backend
            .write(move |conn| {
                // Several nodes claim at once on PostgreSQL: each skips the rows
                // another is claiming, so no event is leased twice.
                let skip_locked = conn.dialect().skip_locked();
                let mut rows = conn.rows(
                    &format!(
                        "UPDATE outbox SET claimed_until = ?1
                     WHERE id IN (SELECT id FROM outbox
                                  WHERE state = 'pending' AND next_attempt_at <= ?2
                                    AND claimed_until <= ?2
                                  ORDER BY id LIMIT ?3 {skip_locked})
                     RETURNING {OUTBOX_COLUMNS}"
                    ),
                    params![now_ms + lease_ms, now_ms, limit as i64],
                    ev::outbox_from_row,
                )?;
                rows.sort_by_key(|e| e.id);
                Ok(rows)
            })
            .await
    }

    async fn event_delivered(&self, id: i64, now_ms: i64) -> DbResult<()> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,
                     delivered_at = ?2, claimed_until = 0, last_error = ''
                 WHERE id = ?1",
                    params![id, now_ms],
                )?;
                Ok(())
            })
            .await
    }

    async fn event_failed(&self, id: i64, error: String, retry_at_ms: Option<i64>) -> DbResult<()> {
        self.backend
            .write(move |conn| {
                match retry_at_ms {
                    Some(at) => conn.exec(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2,
                         claimed_until = 0, last_error = ?3
                     WHERE id = ?1",
                        params![id, at, error],
                    )?,
                    None => conn.exec(
                        "UPDATE outbox SET state = 'dead', attempts = attempts + 1,
                         claimed_until = 0, last_error = ?2
                     WHERE id = ?1",
                        params![id, error],
                    )?,
                };
                Ok(())
            })
            .await
    }

    async fn events(&self, state: Option<DeliveryState>, limit: i64) -> DbResult<Vec<OutboxEntry>> {
        self.backend
            .read(move |conn| {
                let rows = conn.rows(
                    &format!(
                        "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2"
                    ),
                    params![state.map(|s| s.as_str()), limit],
                    ev::outbox_from_row,
                )?;
                Ok(rows)
            })
            .await
    }

    async fn replay_events(&self, ids: Vec<i64>, now_ms: i64) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                const REPLAY: &str = "UPDATE outbox SET state = 'pending', attempts = 0,
                 next_attempt_at = ?1, claimed_until = 0";
                if ids.is_empty() {
                    return conn.exec(&format!("{REPLAY} WHERE state = 'dead'"), params![now_ms]);
                }
                let mut n = 0;
                for id in ids {
                    n += conn.exec(&format!("{REPLAY} WHERE id = ?2"), params![now_ms, id])?;
                }
                Ok(n)
            })
            .await
    }

    async fn bot_events(
        &self,
        bot: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
        self.backend
            .write(move |conn| ev::fetch_queue(conn, ev::Queue::Bot, bot, offset, limit))
            .await
    }

    async fn subscribe_user_events(&self, user: UserId, on: bool, now: Timestamp) -> DbResult<()> {
        self.backend
            .write(move |conn| {
                if on {
                    conn.exec(
                        "INSERT INTO user_event_subscriptions (user_id, created_at)
                     VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                        params![user.0, now.0],
                    )?;
                } else {
                    conn.exec(
                        "DELETE FROM user_event_subscriptions WHERE user_id = ?1",
                        params![user.0],
                    )?;
                }
                Ok(())
            })
            .await
    }

    async fn user_events(
        &self,
        user: UserId,
        offset: Option<i64>,
        limit: i64,
    ) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
        self.backend
            .write(move |conn| ev::fetch_queue(conn, ev::Queue::User, user, offset, limit))
            .await
    }

    async fn bind_event(&self, b: Binding, now: Timestamp) -> DbResult<bool> {
        self.backend
            .write(move |conn| {
                Ok(conn.exec(
                    "INSERT INTO event_bindings
                         (event, handler, user_id, client_id, scopes, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                    params![
                        b.event,
                        b.handler,
                        b.user,
                        b.client_id,
                        b.scopes.to_list(),
                        now.0
                    ],
                )? == 1)
            })
            .await
    }

    async fn unbind_event(
        &self,
        event: String,
        handler: Option<String>,
        client_id: String,
    ) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "DELETE FROM event_bindings
                     WHERE event = ?1 AND client_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR handler = ?3)",
                    params![event, client_id, handler],
                )
            })
            .await
    }

    async fn bindings(&self, client_id: String) -> DbResult<Vec<Binding>> {
        self.backend
            .read(move |conn| {
                let rows = conn.rows(
                    "SELECT event, handler, user_id, client_id, scopes FROM event_bindings
                     WHERE client_id = ?1 ORDER BY id",
                    params![client_id],
                    |r| {
                        let scopes: String = r.get(4)?;
                        Ok(Binding {
                            event: r.get(0)?,
                            handler: r.get(1)?,
                            user: r.get(2)?,
                            client_id: r.get(3)?,
                            scopes: Scopes::parse(&scopes).unwrap_or_default(),
                        })
                    },
                )?;
                Ok(rows)
            })
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
                Ok(conn.exec(
                    "INSERT INTO offline_bindings
                         (event, client_id, auth_connector, user_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![event, client_id, connector, user.0, now.0],
                )? == 1)
            })
            .await
    }

    async fn unbind_offline(&self, event: String, client_id: String) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "DELETE FROM offline_bindings WHERE event = ?1 AND client_id = ?2",
                    params![event, client_id],
                )
            })
            .await
    }

    async fn offline_bindings(&self, client_id: String) -> DbResult<Vec<(String, i64)>> {
        self.backend
            .read(move |conn| {
                let rows = conn.rows(
                    "SELECT event, user_id FROM offline_bindings WHERE client_id = ?1 ORDER BY id",
                    params![client_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                Ok(rows)
            })
            .await
    }

    async fn take_offline(&self, t: OfflineTake) -> DbResult<(Vec<OfflineEvent>, Option<String>)> {
        self.backend
            .write(move |conn| {
                let rows = conn.rows(
                    &format!(
                        "SELECT {} FROM offline_events
                     WHERE client_id = ?1 AND auth_connector = ?2 AND error = ?3
                       AND (process_id IS NULL OR process_id = ?4)
                     ORDER BY changed_at, id LIMIT ?5 {}",
                        ev::OFFLINE_COLUMNS,
                        // Nodes answering event.offline.get at once take different records.
                        conn.dialect().skip_locked()
                    ),
                    params![t.client_id, t.connector, t.errors, t.process_id, t.limit],
                    ev::offline_from_row,
                )?;
                if t.clear {
                    for e in &rows {
                        conn.exec("DELETE FROM offline_events WHERE id = ?1", params![e.id])?;
                    }
                    return Ok((rows, None));
                }
                let process = t
                    .process_id
                    .clone()
                    .unwrap_or_else(|| crate::domain::credentials::Secret::webhook().0);
                for e in &rows {
                    conn.exec(
                        "UPDATE offline_events SET process_id = ?2 WHERE id = ?1",
                        params![e.id, process],
                    )?;
                }
                Ok((rows, Some(process)))
            })
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
                let action = if error {
                    "UPDATE offline_events SET error = TRUE, process_id = NULL"
                } else {
                    "DELETE FROM offline_events"
                };
                let scope = "WHERE client_id = ?1 AND process_id = ?2";
                if ids.is_empty() && message_ids.is_empty() {
                    return conn.exec(&format!("{action} {scope}"), params![client_id, process_id]);
                }
                let mut n = 0;
                for id in ids {
                    n += conn.exec(
                        &format!("{action} {scope} AND id = ?3"),
                        params![client_id, process_id, id],
                    )?;
                }
                for m in message_ids {
                    n += conn.exec(
                        &format!("{action} {scope} AND message_id = ?3"),
                        params![client_id, process_id, m],
                    )?;
                }
                Ok(n)
            })
            .await
    }

    async fn list_offline(
        &self,
        client_id: String,
        connector: String,
        start: i64,
    ) -> DbResult<(Vec<OfflineEvent>, i64)> {
        self.backend.read(move |conn| {
            let rows = conn
                .rows(&format!(
                    "SELECT {} FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2
                     ORDER BY id LIMIT 50 OFFSET ?3",
                    ev::OFFLINE_COLUMNS
                ), params![client_id, connector, start.max(0)], ev::offline_from_row)?;
            let total = conn
                .row(
                    "SELECT COUNT(*) FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2", params![client_id, connector], |r| r.get(0))?;
            Ok((rows, total))
        })
        .await
    }

    async fn purge_user_events(&self, before: Timestamp) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "DELETE FROM user_event_queue WHERE created_at < ?1",
                    params![before.0],
                )
            })
            .await
    }

    async fn setting(&self, name: String, initial: String) -> DbResult<String> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![name, initial],
                )?;
                conn.row(
                    "SELECT value FROM settings WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn get_setting(&self, name: String) -> DbResult<Option<String>> {
        self.backend
            .read(move |conn| {
                conn.row_opt(
                    "SELECT value FROM settings WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn put_setting(&self, name: String, value: String) -> DbResult<()> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "INSERT INTO settings (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    params![name, value],
                )
                .map(|_| ())
            })
            .await
    }

    async fn purge_expired_tokens(&self, before: Timestamp) -> DbResult<usize> {
        self.backend
            .write(move |conn| {
                conn.exec(
                    "DELETE FROM credentials WHERE kind = 'access_token' AND expires_at < ?1",
                    params![before.0],
                )
            })
            .await
    }

    fn credentials_epoch(&self) -> u64 {
        self.backend.credentials_epoch()
    }
}

/// Bitrix24 names an untitled chat after its members.
fn default_title(members: &[User], id: ChatId) -> String {
    if members.len() <= 1 {
        return format!("Chat №{id}");
    }
    let names: Vec<String> = members.iter().take(4).map(User::full_name).collect();
    format!("Chat with {}", names.join(", "))
}
