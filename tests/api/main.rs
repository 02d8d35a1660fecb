//! The integration suite: the real server over real HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batch;
mod bots_v2;
mod chats;
mod cli;
mod clients;
mod events;
mod helpers;
mod like;
mod messages;
mod meta;
mod protocol;
mod receiver;
mod tls;
mod user_events;
mod users;
