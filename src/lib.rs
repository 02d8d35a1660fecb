//! b24im: a messenger server that speaks the Bitrix24 REST API (scopes `im`
//! and `imbot`), built around the like on a message.
//!
//! # Layout
//! ```text
//! main.rs          parse the CLI, call cli::run
//! cli.rs           serve, user add|place, department add|head|list, webhook
//!                  add|list|delete, token add, events
//! config.rs        defaults, ServeConfig, Limits
//! state.rs         AppState: store, authenticator, request meter, config
//! server.rs        the router and run(http, https, state, shutdown): the
//!                  HTTP/1 accept loop (header timeout, graceful stop)
//! listen.rs        Incoming: connections under the connection cap (plain)
//! tls.rs           local CA + server certificate, the TLS listener
//! web.rs           the web client (web/index.html, app.js, app.css) at `/`
//! protocol/        the Bitrix REST edge (HTTP, never SQL)
//!   mod.rs         /rest/[USER/TOKEN/]METHOD[.json] routes, one entry handler
//!   params.rs      query + form (PHP brackets) + JSON + multipart, merged
//!   auth.rs        webhook path | Bearer | auth | access_token -> Caller
//!   limits.rs      request intensity and `operating` per webhook or application
//!   envelope.rs    {result, time, total, next} and {error, error_description}
//!   error.rs       ApiError and the one domain -> Bitrix code table
//!   oauth.rs       /oauth/authorize/, /oauth/token/, /rest/app.info/
//!   live.rs        /live: the WebSocket that passes on a user's live updates
//! methods/         one file per Bitrix namespace: decode -> domain -> encode
//!   table.rs       METHODS: the only list of methods (name, scope, handler)
//!   registry.rs    dispatch: find in the table, scope, `operating`
//!   ctx.rs         Ctx (state, caller, the table), Method, Scope
//!   batch.rs       batch: commands, $result references (within a budget), halt
//!   deliveries.rs  b24im.event.delivery.list|replay (the events panel)
//!   access.rs      user.admin, user.access, access.name (access codes)
//!   options.rs     app.option.get|set, user.option.get|set
//!   user_field.rs  user.userfield.*, UF_USR_* values in user.get and user.update
//!   views.rs       the Bitrix JSON shapes of users, chats, messages, files
//! domain/          the messenger's rules (no HTTP, no SQL, no JSON)
//!   ids.rs error.rs  UserId, ChatId, MessageId, DialogRef; domain::Error
//!   users.rs chats.rs messages.rs reactions.rs bots.rs credentials.rs
//!   departments.rs notifications.rs files.rs search.rs
//!   user_query.rs events.rs applications.rs options.rs user_fields.rs
//!                  one area a file: its types, validation, pure rules
//!   live.rs        Update (what members see happen), Feed (numbered, ringed,
//!                  broadcast after commit), Watch (what one user hears)
//!   audience.rs    who hears about a change: bots, handlers, forms (pure)
//!   store.rs       the Store trait the rules need, its outcomes and StoreError
//!   cases/         the use cases, one file per area: store + rules -> answer
//! events/          outbox delivery: worker (claim, POST, retry), payload, form
//! store/           implements domain::store::Store on two engines
//!   sql.rs         Db: one open transaction on either engine; params, rows
//!   sql_store.rs   impl Store: each method a read or a write of one area fn
//!   users.rs credentials.rs chats.rs messages.rs reactions.rs bots.rs
//!   outbox.rs subscriptions.rs settings.rs recent.rs departments.rs
//!   notifications.rs files.rs search.rs applications.rs options.rs
//!   user_fields.rs
//!                  one area a file: its rows, its SQL, its changes
//!   rows.rs        the reads areas and events share (a chat, its bots)
//!   events.rs      the events a change causes, written in its transaction
//!                  (who hears: domain/audience.rs)
//!   sqlite.rs      the default: one group-committing writer, fixed readers
//!   postgres.rs    many nodes: fixed readers, migrations, LISTEN/NOTIFY
//!                  (credentials epoch, live updates of every node)
//!   pg_writer.rs   PostgreSQL group commit: writers, reruns, txid_status
//!   pg_likes.rs    a PostgreSQL group's likes as one batch of four statements
//!   pg_conn.rs     one PostgreSQL connection as Db; errors; (re)connecting
//!   pg_tls.rs      sslmode and TLS to the database
//! ```
//!
//! `im.message.like`, end to end: `protocol/mod.rs` (route, body, params,
//! `auth.rs`, `limits.rs`) -> `methods/registry.rs` (found in
//! `methods/table.rs`; scope, `operating`) -> `methods/im_message.rs::like`
//! (decode) -> `domain/cases/reactions.rs::like` (rules of
//! `domain/reactions.rs`) -> `domain/store.rs` (`Store::set_reaction`) ->
//! `store/sql_store.rs` (`Backend::write_like`) -> `store/reactions.rs`
//! (visibility, the reaction row; its events via `store/events.rs`, who
//! hears them decided by `domain/audience.rs`) -> `store/sqlite.rs` (group
//! commit) or `store/pg_writer.rs` (with the group's other likes,
//! `store/pg_likes.rs`) -> `protocol/envelope.rs` (the answer).

pub mod cli;
pub mod config;
pub mod domain;
pub mod events;
pub mod listen;
pub mod methods;
pub mod protocol;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;
pub mod web;
