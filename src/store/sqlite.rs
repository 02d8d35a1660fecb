//! `SqliteStore`: the embedded default. WAL mode, embedded migrations, and one
//! writer thread that commits in groups.
//!
//! Why a single writer with group commit: SQLite admits one writer at a time,
//! and a durable commit costs an fsync. The writer drains every change that is
//! waiting, runs each inside its own savepoint (so a failing change never takes
//! its neighbours with it), then commits them all with one fsync
//! (`synchronous = FULL`). Each caller's answer is sent only after the commit
//! that holds its change, so an acknowledged change is on disk.
//!
//! Reads go to a small pool of read-only connections on the blocking pool; in
//! WAL mode they never wait for the writer.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use tokio::sync::{mpsc, oneshot};

use super::sqlite_events::{self as ev, BOT_COLUMNS, OUTBOX_COLUMNS};
use super::{EditOutcome, LikeOutcome, MembershipOutcome, PostOutcome, Store, StoreError};
use crate::domain::bots::{Bot, Command, NewBot, NewCommand};
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

/// Schema migrations, applied in order; `PRAGMA user_version` records the last one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_bots_events.sql"),
];

/// The most changes one commit groups together.
const MAX_GROUP: usize = 1024;
/// How many changes may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 8192;
/// Read connections kept open for reuse.
const READ_POOL: usize = 8;
/// How long a connection waits for another process's lock (the CLI, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "b24im.sqlite3";

pub(super) type DbResult<T> = Result<T, StoreError>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// One change waiting for the writer.
trait WriteJob: Send {
    /// Runs the change on the writer's connection; `false` if it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Sends the answer, once the fate of the enclosing commit is known.
    fn finish(self: Box<Self>, committed: bool);
}

struct Pending<T, F> {
    change: Option<F>,
    result: Option<DbResult<T>>,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> WriteJob for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> DbResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(change) = self.change.take() else {
            return false;
        };
        let result = catch_unwind(AssertUnwindSafe(|| change(conn))).unwrap_or_else(|_| {
            tracing::error!("a store change panicked; it was rolled back");
            Err(StoreError::Database("a change panicked".into()))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: bool) {
        let answer = match self.result {
            Some(Ok(value)) if committed => Ok(value),
            Some(Ok(_)) | None => Err(StoreError::NotCommitted),
            Some(Err(e)) => Err(e),
        };
        // The caller may have gone away (client disconnected); the change stands.
        let _ = self.reply.send(answer);
    }
}

/// The SQLite backend.
pub struct SqliteStore {
    path: PathBuf,
    jobs: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`, migrates it, and starts
    /// the writer thread. The thread ends when the store is dropped.
    pub fn open(dir: &Path) -> DbResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut writer)?;

        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("b24im-sqlite-writer".into())
            .spawn(move || writer_loop(writer, rx))
            .map_err(|e| StoreError::Database(format!("cannot start the writer: {e}")))?;

        Ok(SqliteStore {
            path,
            jobs: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Runs `change` in the writer's next group commit and answers after it.
    async fn write<T, F>(&self, change: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            change: Some(change),
            result: None,
            reply,
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `query` on a pooled read connection on the blocking pool.
    async fn read<T, F>(&self, query: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().map_or(None, |mut pool| pool.pop());
            let conn = match pooled {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let result = query(&conn);
            if let Ok(mut pool) = readers.lock() {
                if pool.len() < READ_POOL {
                    pool.push(conn);
                }
            }
            result
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }
}

fn configure(conn: &Connection) -> DbResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path) -> DbResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> DbResult<()> {
    // IMMEDIATE: two processes starting at once must not both migrate.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i as i64 + 1;
        if version < target {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", target)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Some(first) = rx.blocking_recv() {
        let mut group = Vec::with_capacity(64);
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&conn, group);
    }
}

/// One transaction, one savepoint per change, one commit (and fsync) for all.
fn commit_group(conn: &Connection, mut group: Vec<Box<dyn WriteJob>>) {
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "cannot begin a write transaction");
        for job in group {
            job.finish(false);
        }
        return;
    }
    let mut savepoint_failed = false;
    for job in group.iter_mut() {
        if control(conn, "SAVEPOINT change").is_err() {
            savepoint_failed = true;
            break;
        }
        let ok = job.run(conn);
        let undone = ok || control(conn, "ROLLBACK TO change").is_ok();
        if !undone || control(conn, "RELEASE change").is_err() {
            savepoint_failed = true;
            break;
        }
    }
    let committed = !savepoint_failed && control(conn, "COMMIT").is_ok();
    if !committed {
        tracing::error!("a group commit failed; every change in it was rolled back");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for job in group {
        job.finish(committed);
    }
}

/// Runs a transaction-control statement from the statement cache: the writer
/// issues several per group, and parsing them each time showed in profiles.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// The SQL expression of a filterable user field.
fn user_column(field: UserField) -> &'static str {
    match field {
        UserField::Id => "id",
        UserField::Name => "first_name",
        UserField::LastName => "last_name",
        UserField::Active => "active",
        UserField::UserType => "'employee'",
        UserField::Department => "1",
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
fn user_where(query: &UserQuery) -> (String, Vec<SqlValue>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    let bind = |v: &FilterValue| match v {
        FilterValue::Int(n) => SqlValue::Integer(*n),
        FilterValue::Text(t) => SqlValue::Text(t.clone()),
        FilterValue::Bool(b) => SqlValue::Integer(i64::from(*b)),
    };
    for c in &query.conditions {
        let col = user_column(c.field);
        // Text compares case-insensitively, as Bitrix24's filters do.
        let (lhs, rhs) = if is_text(c.field) {
            (format!("lower({col})"), "lower(?)")
        } else {
            (col.to_owned(), "?")
        };
        let any = |one: &dyn Fn() -> String, args: &mut Vec<SqlValue>| -> String {
            let alts: Vec<String> = c
                .values
                .iter()
                .map(|v| {
                    args.push(bind(v));
                    one()
                })
                .collect();
            if alts.is_empty() {
                "0".to_owned()
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
            Cmp::Like => any(&|| format!("{col} LIKE ?"), &mut args),
            Cmp::NotLike => format!("NOT {}", any(&|| format!("{col} LIKE ?"), &mut args)),
        };
        parts.push(part);
    }
    if let Some(search) = &query.name_search {
        for word in search.split_whitespace() {
            parts.push(
                "(instr(lower(first_name), lower(?)) > 0 OR instr(lower(last_name), lower(?)) > 0)"
                    .to_owned(),
            );
            args.push(SqlValue::Text(word.to_owned()));
            args.push(SqlValue::Text(word.to_owned()));
        }
    }
    // user.get never lists bots, as in Bitrix24.
    parts.push("bot = 0".to_owned());
    (parts.join(" AND "), args)
}

// Row mapping shared by the queries below.

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
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

const USER_COLUMNS: &str = "id, first_name, last_name, admin, active, created_at, bot";

pub(super) fn load_user(conn: &Connection, id: UserId) -> DbResult<Option<User>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id.0], user_from_row)
        .optional()?)
}

fn mention(conn: &Connection, id: UserId) -> DbResult<Mention> {
    let name = load_user(conn, id)?
        .map(|u| u.full_name())
        .unwrap_or_else(|| format!("User {id}"));
    Ok((id, name))
}

fn credential_from_row(r: &Row<'_>) -> rusqlite::Result<(Credential, String, String)> {
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
            expires_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
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

fn is_member(conn: &Connection, chat: ChatId, user: UserId) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM chat_members WHERE chat_id = ?1 AND user_id = ?2")?
        .exists(params![chat.0, user.0])?)
}

fn insert_member(conn: &Connection, chat: ChatId, user: UserId, now: Timestamp) -> DbResult<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO chat_members (chat_id, user_id, joined_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id, user_id) DO NOTHING",
        )?
        .execute(params![chat.0, user.0, now.0])?;
    Ok(n == 1)
}

fn insert_message(
    conn: &Connection,
    chat: ChatId,
    author: Option<UserId>,
    text: &str,
    system_code: Option<&str>,
    now: Timestamp,
) -> DbResult<MessageId> {
    conn.prepare_cached(
        "INSERT INTO messages (chat_id, author_id, text, system_code, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        chat.0,
        author.map(|a| a.0),
        text,
        system_code,
        now.0
    ])?;
    Ok(MessageId(conn.last_insert_rowid()))
}

fn chat_kind(conn: &Connection, chat: ChatId) -> DbResult<Option<(ChatKind, UserId)>> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT kind, owner_id FROM chats WHERE id = ?1")?
        .query_row([chat.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(k, o)| ChatKind::from_code(&k).map(|k| (k, UserId(o)))))
}

fn message_chat(conn: &Connection, id: MessageId) -> DbResult<ChatId> {
    Ok(ChatId(
        conn.prepare_cached("SELECT chat_id FROM messages WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))?,
    ))
}

fn private_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

pub(super) fn load_chat(conn: &Connection, id: ChatId) -> DbResult<Option<Chat>> {
    let row = conn
        .prepare_cached(
            "SELECT kind, title, description, color, owner_id, entity_type, entity_id, created_at
             FROM chats WHERE id = ?1",
        )?
        .query_row([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((kind, title, description, color, owner, entity_type, entity_id, created_at)) = row
    else {
        return Ok(None);
    };
    let members = conn
        .prepare_cached("SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY rowid")?
        .query_map([id.0], |r| r.get::<_, i64>(0).map(UserId))?
        .collect::<Result<Vec<_>, _>>()?;
    let (message_count, last_message_id): (i64, i64) = conn
        .prepare_cached("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages WHERE chat_id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
impl Store for SqliteStore {
    async fn create_user(&self, new: NewUser, now: Timestamp) -> DbResult<User> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO users (first_name, last_name, admin, active, created_at)
                 VALUES (?1, ?2, ?3, 1, ?4)",
            )?
            .execute(params![new.first_name, new.last_name, new.admin, now.0])?;
            Ok(User {
                id: UserId(conn.last_insert_rowid()),
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
        self.read(move |conn| load_user(conn, id)).await
    }

    async fn users(&self, mut ids: Vec<UserId>) -> DbResult<Vec<User>> {
        ids.sort();
        ids.dedup();
        self.read(move |conn| {
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
        self.read(move |conn| {
            let (clause, args) = user_where(&query);
            let order = if query.descending { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE {clause} ORDER BY {} {order}, id {order} LIMIT {PAGE_SIZE} OFFSET ?",
                user_column(query.sort),
            );
            let mut page_args = args.clone();
            page_args.push(SqlValue::Integer(query.offset.max(0)));
            let users = conn
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(page_args), user_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let total = if query.count_total {
                let sql = format!("SELECT COUNT(*) FROM users WHERE {clause}");
                Some(conn.query_row(&sql, rusqlite::params_from_iter(args), |r| r.get(0))?)
            } else {
                None
            };
            Ok(UserPage { users, total })
        })
        .await
    }

    async fn user_count(&self) -> DbResult<i64> {
        self.read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
            .await
    }

    async fn create_credential(&self, new: NewCredential) -> DbResult<i64> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO credentials
                     (kind, user_id, token_hash, scopes, created_at, expires_at, client_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                new.kind.as_str(),
                new.user.0,
                new.token_hash.0,
                new.scopes.to_list(),
                new.created_at.0,
                new.expires_at.map(|t| t.0),
                new.client_id,
            ])?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn credential(&self, hash: TokenHash) -> DbResult<Option<Credential>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE token_hash = ?1"
                ))?
                .query_row([&hash.0], credential_from_row)
                .optional()?;
            row.map(finish_credential).transpose()
        })
        .await
    }

    async fn webhooks(&self) -> DbResult<Vec<Credential>> {
        self.read(|conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = 'webhook' ORDER BY id"
                ))?
                .query_map([], credential_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(finish_credential).collect()
        })
        .await
    }

    async fn delete_webhook(&self, hash: TokenHash) -> DbResult<bool> {
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "DELETE FROM credentials WHERE kind = 'webhook' AND token_hash = ?1",
                )?
                .execute([&hash.0])?;
            Ok(n > 0)
        })
        .await
    }

    async fn create_chat(&self, new: NewChat) -> DbResult<ChatId> {
        self.write(move |conn| {
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
            conn.prepare_cached(
                "INSERT INTO chats (kind, title, description, color, owner_id, entity_type, entity_id, created_at)
                 VALUES (?1, '', ?2, '', ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                new.kind.code(),
                new.description,
                new.owner.0,
                new.entity_type,
                new.entity_id,
                new.created_at.0
            ])?;
            let id = ChatId(conn.last_insert_rowid());
            let color = new.color.unwrap_or(Color::for_id(id.0));
            let title = match &new.title {
                Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
                _ => default_title(&names, id),
            };
            conn.prepare_cached("UPDATE chats SET title = ?1, color = ?2 WHERE id = ?3")?
                .execute(params![title, color.name(), id.0])?;
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
        self.read(move |conn| load_chat(conn, id)).await
    }

    async fn chat_by_entity(&self, entity_type: &str, entity_id: &str) -> DbResult<Option<ChatId>> {
        let (t, i) = (entity_type.to_owned(), entity_id.to_owned());
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id FROM chats WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY id LIMIT 1",
                )?
                .query_row(params![t, i], |r| r.get::<_, i64>(0).map(ChatId))
                .optional()?)
        })
        .await
    }

    async fn private_chat(&self, a: UserId, b: UserId) -> DbResult<Option<ChatId>> {
        let key = private_key(a, b);
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT id FROM chats WHERE private_key = ?1")?
                .query_row([key], |r| r.get::<_, i64>(0).map(ChatId))
                .optional()?)
        })
        .await
    }

    async fn open_private_chat(&self, a: UserId, b: UserId, now: Timestamp) -> DbResult<ChatId> {
        let key = private_key(a, b);
        self.write(move |conn| {
            let existing = conn
                .prepare_cached("SELECT id FROM chats WHERE private_key = ?1")?
                .query_row([&key], |r| r.get::<_, i64>(0).map(ChatId))
                .optional()?;
            if let Some(id) = existing {
                return Ok(id);
            }
            conn.prepare_cached(
                "INSERT INTO chats (kind, title, color, owner_id, private_key, created_at)
                 VALUES ('P', '', ?1, ?2, ?3, ?4)",
            )?
            .execute(params![Color::for_id(a.0 + b.0).name(), a.0, key, now.0])?;
            let id = ChatId(conn.last_insert_rowid());
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
        self.write(move |conn| {
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
        self.write(move |conn| {
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
                .prepare_cached("DELETE FROM chat_members WHERE chat_id = ?1 AND user_id = ?2")?
                .execute(params![chat.0, user.0])?;
            if removed == 0 {
                return Ok(MembershipOutcome::Unchanged);
            }
            if user == owner {
                // The owner left: the longest-standing member takes over.
                conn.prepare_cached(
                    "UPDATE chats SET owner_id = COALESCE(
                        (SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY rowid LIMIT 1),
                        owner_id)
                     WHERE id = ?1",
                )?
                .execute([chat.0])?;
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
        self.write(move |conn| {
            if !is_member(conn, chat, author)? {
                return Ok(PostOutcome::NotMember);
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

    async fn edit_message(
        &self,
        id: MessageId,
        actor: UserId,
        text: String,
        now: Timestamp,
    ) -> DbResult<EditOutcome> {
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE messages SET text = ?1, edited = 1
                     WHERE id = ?2 AND author_id = ?3 AND deleted = 0
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = messages.chat_id AND cm.user_id = ?3)",
                )?
                .execute(params![text, id.0, actor.0])?;
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
        self.write(move |conn| {
            let before: Option<(i64, Option<i64>, String)> = conn
                .prepare_cached("SELECT chat_id, author_id, text FROM messages WHERE id = ?1")?
                .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            // The author, or the owner of a group chat, who is still a member.
            let n = conn
                .prepare_cached(
                    "UPDATE messages SET text = '', deleted = 1
                     WHERE id = ?1 AND deleted = 0
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = messages.chat_id AND cm.user_id = ?2)
                       AND (author_id = ?2 OR EXISTS (
                            SELECT 1 FROM chats c WHERE c.id = messages.chat_id
                              AND c.kind <> 'P' AND c.owner_id = ?2))",
                )?
                .execute(params![id.0, actor.0])?;
            if n == 0 {
                return Ok(EditOutcome::NotAllowed);
            }
            conn.prepare_cached("DELETE FROM reactions WHERE message_id = ?1")?
                .execute([id.0])?;
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

    async fn messages(&self, chat: ChatId, page: Page) -> DbResult<Vec<Message>> {
        self.read(move |conn| {
            const COLUMNS: &str =
                "id, chat_id, author_id, text, system_code, edited, deleted, created_at";
            let (sql, bound, limit) = match page {
                Page::Latest { limit } => (
                    format!("SELECT {COLUMNS} FROM messages WHERE chat_id = ?1 AND ?2 = ?2 ORDER BY id DESC LIMIT ?3"),
                    0,
                    limit,
                ),
                Page::Before { before, limit } => (
                    format!("SELECT {COLUMNS} FROM messages WHERE chat_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"),
                    before,
                    limit,
                ),
                Page::After { after, limit } => (
                    format!("SELECT {COLUMNS} FROM messages WHERE chat_id = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3"),
                    after,
                    limit,
                ),
            };
            let mut messages = conn
                .prepare_cached(&sql)?
                .query_map(params![chat.0, bound, limit], |r| {
                    Ok(Message {
                        id: MessageId(r.get(0)?),
                        chat: ChatId(r.get(1)?),
                        author: r.get::<_, Option<i64>>(2)?.map(UserId),
                        text: r.get(3)?,
                        system_code: r.get(4)?,
                        edited: r.get(5)?,
                        deleted: r.get(6)?,
                        date: Timestamp(r.get(7)?),
                        likes: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            messages.sort_by_key(|m| m.id);
            let mut likes = conn.prepare_cached(
                "SELECT user_id FROM reactions WHERE message_id = ?1 AND reaction = ?2 ORDER BY rowid",
            )?;
            for m in messages.iter_mut() {
                m.likes = likes
                    .query_map(params![m.id.0, LIKE], |r| r.get::<_, i64>(0).map(UserId))?
                    .collect::<Result<Vec<_>, _>>()?;
            }
            Ok(messages)
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
        self.write(move |conn| {
            let code = code.as_str();
            // Visible to `user` (and, for the events, where and whose it is).
            let visible: Option<(i64, Option<i64>)> = conn
                .prepare_cached(
                    "SELECT m.chat_id, m.author_id FROM messages m
                     JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2
                     WHERE m.id = ?1 AND m.deleted = 0",
                )?
                .query_row(params![message.0, user.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((chat, author)) = visible else {
                return Ok(LikeOutcome::NotVisible);
            };
            let add = |conn: &Connection| -> DbResult<bool> {
                Ok(conn
                    .prepare_cached(
                        "INSERT INTO reactions (message_id, user_id, reaction, created_at)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (message_id, user_id, reaction) DO NOTHING",
                    )?
                    .execute(params![message.0, user.0, code, now.0])?
                    == 1)
            };
            let remove = |conn: &Connection| -> DbResult<bool> {
                Ok(conn
                    .prepare_cached(
                        "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND reaction = ?3",
                    )?
                    .execute(params![message.0, user.0, code])?
                    == 1)
            };
            let outcome = match action {
                LikeAction::Plus if add(conn)? => LikeOutcome::Added,
                LikeAction::Minus if remove(conn)? => LikeOutcome::Removed,
                LikeAction::Plus | LikeAction::Minus => LikeOutcome::Unchanged,
                LikeAction::Auto if remove(conn)? => LikeOutcome::Removed,
                LikeAction::Auto if add(conn)? => LikeOutcome::Added,
                LikeAction::Auto => LikeOutcome::Unchanged,
            };
            if matches!(outcome, LikeOutcome::Added | LikeOutcome::Removed) {
                let added = outcome == LikeOutcome::Added;
                let author = author.map(UserId);
                let change = ev::ReactionChange { message, chat: ChatId(chat), author, user };
                ev::enqueue_reaction(conn, &change, code, added, now)?;
            }
            Ok(outcome)
        })
        .await
    }

    async fn create_bot(&self, new: NewBot, now: Timestamp) -> DbResult<UserId> {
        self.write(move |conn| ev::insert_bot(conn, &new, now))
            .await
    }

    async fn bot(&self, id: UserId) -> DbResult<Option<Bot>> {
        self.read(move |conn| ev::load_bot(conn, id)).await
    }

    async fn bots_of(&self, client_id: String) -> DbResult<Vec<Bot>> {
        self.read(move |conn| {
            let bots = conn
                .prepare_cached(&format!(
                    "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     WHERE b.client_id = ?1 ORDER BY b.user_id"
                ))?
                .query_map([client_id], ev::bot_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(bots)
        })
        .await
    }

    async fn all_bots(&self) -> DbResult<Vec<Bot>> {
        self.read(move |conn| {
            let bots = conn
                .prepare_cached(&format!(
                    "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     ORDER BY b.user_id"
                ))?
                .query_map([], ev::bot_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(bots)
        })
        .await
    }

    async fn update_bot(&self, bot: Bot) -> DbResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE bots SET code = ?2, work_position = ?3, on_message_add = ?4,
                     on_message_update = ?5, on_message_delete = ?6, on_welcome = ?7,
                     on_bot_delete = ?8
                 WHERE user_id = ?1",
            )?
            .execute(params![
                bot.id.0,
                bot.code,
                bot.work_position,
                bot.handlers.message_add,
                bot.handlers.message_update,
                bot.handlers.message_delete,
                bot.handlers.welcome,
                bot.handlers.bot_delete
            ])?;
            conn.prepare_cached("UPDATE users SET first_name = ?2, last_name = ?3 WHERE id = ?1")?
                .execute(params![bot.id.0, bot.first_name, bot.last_name])?;
            Ok(())
        })
        .await
    }

    async fn delete_bot(&self, id: UserId, now: Timestamp) -> DbResult<bool> {
        self.write(move |conn| {
            let Some(bot) = ev::load_bot(conn, id)? else {
                return Ok(false);
            };
            ev::enqueue_bot_delete(conn, &bot, now)?;
            conn.prepare_cached("DELETE FROM chat_members WHERE user_id = ?1")?
                .execute([id.0])?;
            conn.prepare_cached("UPDATE users SET active = 0 WHERE id = ?1")?
                .execute([id.0])?;
            conn.prepare_cached("DELETE FROM credentials WHERE user_id = ?1")?
                .execute([id.0])?;
            conn.prepare_cached("DELETE FROM bots WHERE user_id = ?1")?
                .execute([id.0])?;
            conn.prepare_cached("DELETE FROM bot_event_queue WHERE bot_id = ?1")?
                .execute([id.0])?;
            conn.prepare_cached("DELETE FROM bot_commands WHERE bot_id = ?1")?
                .execute([id.0])?;
            Ok(true)
        })
        .await
    }

    async fn create_command(&self, new: NewCommand, now: Timestamp) -> DbResult<i64> {
        self.write(move |conn| {
            let lang = serde_json::to_string(&new.lang)
                .map_err(|e| StoreError::Database(format!("cannot encode LANG: {e}")))?;
            conn.prepare_cached(
                "INSERT INTO bot_commands
                     (bot_id, command, common, hidden, handler, client_id, lang, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (bot_id, command) DO UPDATE
                 SET common = excluded.common, hidden = excluded.hidden,
                     handler = excluded.handler, lang = excluded.lang",
            )?
            .execute(params![
                new.bot.0,
                new.command,
                new.common,
                new.hidden,
                new.handler,
                new.client_id,
                lang,
                now.0
            ])?;
            Ok(conn
                .prepare_cached("SELECT id FROM bot_commands WHERE bot_id = ?1 AND command = ?2")?
                .query_row(params![new.bot.0, new.command], |r| r.get(0))?)
        })
        .await
    }

    async fn command(&self, id: i64) -> DbResult<Option<Command>> {
        self.read(move |conn| ev::load_command(conn, id)).await
    }

    async fn message_chat(&self, id: MessageId) -> DbResult<Option<ChatId>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT chat_id FROM messages WHERE id = ?1")?
                .query_row([id.0], |r| r.get::<_, i64>(0).map(ChatId))
                .optional()?)
        })
        .await
    }

    async fn delete_command(&self, id: i64) -> DbResult<bool> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM bot_commands WHERE id = ?1")?
                .execute([id])?
                == 1)
        })
        .await
    }

    async fn claim_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> DbResult<Vec<OutboxEntry>> {
        self.write(move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "UPDATE outbox SET claimed_until = ?1
                     WHERE id IN (SELECT id FROM outbox
                                  WHERE state = 'pending' AND next_attempt_at <= ?2
                                    AND claimed_until <= ?2
                                  ORDER BY id LIMIT ?3)
                     RETURNING {OUTBOX_COLUMNS}"
                ))?
                .query_map(
                    params![now_ms + lease_ms, now_ms, limit as i64],
                    ev::outbox_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let mut rows = rows;
            rows.sort_by_key(|e| e.id);
            Ok(rows)
        })
        .await
    }

    async fn event_delivered(&self, id: i64, now_ms: i64) -> DbResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,
                     delivered_at = ?2, claimed_until = 0, last_error = ''
                 WHERE id = ?1",
            )?
            .execute(params![id, now_ms])?;
            Ok(())
        })
        .await
    }

    async fn event_failed(&self, id: i64, error: String, retry_at_ms: Option<i64>) -> DbResult<()> {
        self.write(move |conn| {
            match retry_at_ms {
                Some(at) => conn
                    .prepare_cached(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2,
                         claimed_until = 0, last_error = ?3
                     WHERE id = ?1",
                    )?
                    .execute(params![id, at, error])?,
                None => conn
                    .prepare_cached(
                        "UPDATE outbox SET state = 'dead', attempts = attempts + 1,
                         claimed_until = 0, last_error = ?2
                     WHERE id = ?1",
                    )?
                    .execute(params![id, error])?,
            };
            Ok(())
        })
        .await
    }

    async fn events(&self, state: Option<DeliveryState>, limit: i64) -> DbResult<Vec<OutboxEntry>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2"
                ))?
                .query_map(
                    params![state.map(|s| s.as_str()), limit],
                    ev::outbox_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn replay_events(&self, ids: Vec<i64>, now_ms: i64) -> DbResult<usize> {
        self.write(move |conn| {
            const REPLAY: &str = "UPDATE outbox SET state = 'pending', attempts = 0,
                 next_attempt_at = ?1, claimed_until = 0";
            if ids.is_empty() {
                return Ok(conn
                    .prepare_cached(&format!("{REPLAY} WHERE state = 'dead'"))?
                    .execute([now_ms])?);
            }
            let mut n = 0;
            for id in ids {
                n += conn
                    .prepare_cached(&format!("{REPLAY} WHERE id = ?2"))?
                    .execute(params![now_ms, id])?;
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
        self.write(move |conn| ev::fetch_queue(conn, ev::Queue::Bot, bot, offset, limit))
            .await
    }

    async fn subscribe_user_events(&self, user: UserId, on: bool, now: Timestamp) -> DbResult<()> {
        self.write(move |conn| {
            if on {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO user_event_subscriptions (user_id, created_at)
                     VALUES (?1, ?2)",
                )?
                .execute(params![user.0, now.0])?;
            } else {
                conn.prepare_cached("DELETE FROM user_event_subscriptions WHERE user_id = ?1")?
                    .execute([user.0])?;
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
        self.write(move |conn| ev::fetch_queue(conn, ev::Queue::User, user, offset, limit))
            .await
    }

    async fn bind_event(&self, b: Binding, now: Timestamp) -> DbResult<bool> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO event_bindings
                         (event, handler, user_id, client_id, scopes, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    b.event,
                    b.handler,
                    b.user,
                    b.client_id,
                    b.scopes.to_list(),
                    now.0
                ])?
                == 1)
        })
        .await
    }

    async fn unbind_event(
        &self,
        event: String,
        handler: Option<String>,
        client_id: String,
    ) -> DbResult<usize> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "DELETE FROM event_bindings
                     WHERE event = ?1 AND client_id = ?2 AND (?3 IS NULL OR handler = ?3)",
                )?
                .execute(params![event, client_id, handler])?)
        })
        .await
    }

    async fn bindings(&self, client_id: String) -> DbResult<Vec<Binding>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT event, handler, user_id, client_id, scopes FROM event_bindings
                     WHERE client_id = ?1 ORDER BY id",
                )?
                .query_map([client_id], |r| {
                    let scopes: String = r.get(4)?;
                    Ok(Binding {
                        event: r.get(0)?,
                        handler: r.get(1)?,
                        user: r.get(2)?,
                        client_id: r.get(3)?,
                        scopes: Scopes::parse(&scopes).unwrap_or_default(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
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
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO offline_bindings
                         (event, client_id, auth_connector, user_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![event, client_id, connector, user.0, now.0])?
                == 1)
        })
        .await
    }

    async fn unbind_offline(&self, event: String, client_id: String) -> DbResult<usize> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM offline_bindings WHERE event = ?1 AND client_id = ?2")?
                .execute(params![event, client_id])?)
        })
        .await
    }

    async fn offline_bindings(&self, client_id: String) -> DbResult<Vec<(String, i64)>> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT event, user_id FROM offline_bindings WHERE client_id = ?1 ORDER BY id",
                )?
                .query_map([client_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn take_offline(&self, t: OfflineTake) -> DbResult<(Vec<OfflineEvent>, Option<String>)> {
        self.write(move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {} FROM offline_events
                     WHERE client_id = ?1 AND auth_connector = ?2 AND error = ?3
                       AND (process_id IS NULL OR process_id = ?4)
                     ORDER BY changed_at, id LIMIT ?5",
                    ev::OFFLINE_COLUMNS
                ))?
                .query_map(
                    params![t.client_id, t.connector, t.errors, t.process_id, t.limit],
                    ev::offline_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            if t.clear {
                for e in &rows {
                    conn.prepare_cached("DELETE FROM offline_events WHERE id = ?1")?
                        .execute([e.id])?;
                }
                return Ok((rows, None));
            }
            let process = t
                .process_id
                .clone()
                .unwrap_or_else(|| crate::domain::credentials::Secret::webhook().0);
            for e in &rows {
                conn.prepare_cached("UPDATE offline_events SET process_id = ?2 WHERE id = ?1")?
                    .execute(params![e.id, process])?;
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
        self.write(move |conn| {
            let action = if error {
                "UPDATE offline_events SET error = 1, process_id = NULL"
            } else {
                "DELETE FROM offline_events"
            };
            let scope = "WHERE client_id = ?1 AND process_id = ?2";
            if ids.is_empty() && message_ids.is_empty() {
                return Ok(conn
                    .prepare_cached(&format!("{action} {scope}"))?
                    .execute(params![client_id, process_id])?);
            }
            let mut n = 0;
            for id in ids {
                n += conn
                    .prepare_cached(&format!("{action} {scope} AND id = ?3"))?
                    .execute(params![client_id, process_id, id])?;
            }
            for m in message_ids {
                n += conn
                    .prepare_cached(&format!("{action} {scope} AND message_id = ?3"))?
                    .execute(params![client_id, process_id, m])?;
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
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {} FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2
                     ORDER BY id LIMIT 50 OFFSET ?3",
                    ev::OFFLINE_COLUMNS
                ))?
                .query_map(params![client_id, connector, start.max(0)], ev::offline_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let total = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2",
                )?
                .query_row(params![client_id, connector], |r| r.get(0))?;
            Ok((rows, total))
        })
        .await
    }

    async fn purge_user_events(&self, before: Timestamp) -> DbResult<usize> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM user_event_queue WHERE created_at < ?1")?
                .execute([before.0])?)
        })
        .await
    }

    async fn setting(&self, name: String, initial: String) -> DbResult<String> {
        self.write(move |conn| {
            conn.prepare_cached("INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)")?
                .execute(params![name, initial])?;
            Ok(conn
                .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
                .query_row([name], |r| r.get(0))?)
        })
        .await
    }

    async fn purge_expired_tokens(&self, before: Timestamp) -> DbResult<usize> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "DELETE FROM credentials WHERE kind = 'access_token' AND expires_at < ?1",
                )?
                .execute([before.0])?)
        })
        .await
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
