//! b24im: a messenger server that speaks the Bitrix24 REST API (scopes `im`
//! and `imbot`), built around the like on a message.
//!
//! # Layout
//! ```text
//! main.rs          parse the CLI, call cli::run
//! cli.rs           serve, user add, webhook add|list|delete, token add
//! config.rs        defaults and ServeConfig
//! server.rs        AppState, Router, run(http, https, state, shutdown): the
//!                  HTTP/1 accept loop (header timeout, connection cap)
//! tls.rs           local CA + server certificate, the TLS listener
//! protocol/        the Bitrix REST edge (HTTP, never SQL)
//!   mod.rs         /rest/[USER/TOKEN/]METHOD[.json] routes, one entry handler
//!   params.rs      query + form (PHP brackets) + JSON + multipart, merged
//!   auth.rs        webhook path | auth | Bearer -> Caller
//!   envelope.rs    {result, time, total, next} and {error, error_description}
//!   error.rs       ApiError and the one domain -> Bitrix code table
//!   limits.rs      request intensity and `operating` per webhook or application
//!   registry.rs    METHODS: the only list of methods
//!   batch.rs       batch: commands, $result references, halt, limits
//! methods/         one file per Bitrix namespace: decode -> domain -> encode
//! domain/          the messenger's rules (no HTTP, no SQL, no JSON)
//! events/          outbox delivery: worker (claim, POST, retry), payload, form
//! store/           the narrow storage boundary (trait Store, Backend)
//!   sql.rs         Db: one open transaction on either engine; params, rows
//!   queries.rs     every Store method, written once over Db
//!   events.rs      bot rows and the enqueue_* helpers (events in the change's txn)
//!   sqlite.rs      the default: one group-committing writer, fixed reader threads
//!   postgres.rs    many nodes: pool, migrations, LISTEN/NOTIFY epoch
//! ```

pub mod cli;
pub mod config;
pub mod domain;
pub mod events;
pub mod methods;
pub mod protocol;
pub mod server;
pub mod store;
pub mod tls;
