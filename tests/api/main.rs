//! The integration suite: the real server over real HTTP on loopback, on
//! the embedded SQLite store. `tests/api_postgres.rs` runs the same modules
//! on PostgreSQL, two nodes per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// This binary's backend: SQLite.
const POSTGRES: bool = false;

mod access;
mod applications;
mod batch;
mod bot_chats;
mod bot_ui;
mod bots_v2;
mod bots_v2_chats;
mod chats;
mod cli;
mod clients;
mod common;
mod crash;
mod department_scope;
mod departments;
mod events;
mod files;
mod founding;
mod helpers;
mod like;
mod limits;
mod live;
mod messages;
mod meta;
mod notifications;
mod ownership;
mod protocol;
mod receiver;
mod recent;
mod search;
mod tls;
mod user_events;
mod userfield;
mod users;
mod watchdog;
mod web;
