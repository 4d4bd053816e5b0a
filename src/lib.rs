//! inzage: GDPR (AVG) data-subject requests for a processor that hosts many controllers'
//! apps. See README.md for what it does and docs/architecture.md for how it is laid out.

pub mod auth;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod links;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod private_fs;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod tenant_data;
