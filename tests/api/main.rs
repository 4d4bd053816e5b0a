//! One integration-test binary: the real server over HTTP, on SQLite and on PostgreSQL.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod cli;
mod durability;
mod intake;
mod isolation;
mod lifecycle;
mod mail;
mod ops;
mod queue;
