//! The integration suite again, on PostgreSQL: every module of `tests/api/`
//! with each test's server as two nodes over one fresh schema, requests
//! alternating between them (see `TestApp`). The database is
//! `B24IM_TEST_DATABASE_URL`, by default this machine's
//! `postgres://postgres@127.0.0.1:5432/test`; when it cannot be reached, the
//! tests pass without running and the binary says once that it skipped them
//! and why. `B24IM_TEST_DATABASE_URL=off` skips them on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// This binary's backend: PostgreSQL.
const POSTGRES: bool = true;

#[path = "api/access.rs"]
mod access;
#[path = "api/applications.rs"]
mod applications;
#[path = "api/batch.rs"]
mod batch;
#[path = "api/bot_chats.rs"]
mod bot_chats;
#[path = "api/bot_ui.rs"]
mod bot_ui;
#[path = "api/bots_v2.rs"]
mod bots_v2;
#[path = "api/bots_v2_chats.rs"]
mod bots_v2_chats;
#[path = "api/chats.rs"]
mod chats;
#[path = "api/cli.rs"]
mod cli;
#[path = "api/clients.rs"]
mod clients;
#[path = "api/common.rs"]
mod common;
#[path = "api/crash.rs"]
mod crash;
#[path = "api/department_scope.rs"]
mod department_scope;
#[path = "api/departments.rs"]
mod departments;
#[path = "api/events.rs"]
mod events;
#[path = "api/files.rs"]
mod files;
#[path = "api/founding.rs"]
mod founding;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/like.rs"]
mod like;
#[path = "api/limits.rs"]
mod limits;
#[path = "api/live.rs"]
mod live;
#[path = "api/messages.rs"]
mod messages;
#[path = "api/meta.rs"]
mod meta;
#[path = "api/notifications.rs"]
mod notifications;
#[path = "api/ownership.rs"]
mod ownership;
#[path = "api/protocol.rs"]
mod protocol;
#[path = "api/receiver.rs"]
mod receiver;
#[path = "api/recent.rs"]
mod recent;
#[path = "api/search.rs"]
mod search;
#[path = "api/tls.rs"]
mod tls;
#[path = "api/user_events.rs"]
mod user_events;
#[path = "api/userfield.rs"]
mod userfield;
#[path = "api/users.rs"]
mod users;
#[path = "api/watchdog.rs"]
mod watchdog;
#[path = "api/web.rs"]
mod web;

// Beyond the shared suite: two b24im processes over one database.
#[path = "postgres/connections.rs"]
mod connections;
#[path = "postgres/nodes.rs"]
mod nodes;
#[path = "postgres/restarts.rs"]
mod restarts;
