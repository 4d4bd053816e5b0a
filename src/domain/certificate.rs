//! What an execution certificate states (processing agreement 10.3: proof of destruction;
//! GDPR art. 16-19): per system and table, what was done to the subject's rows, how many
//! rows, when, and under which plan and approval.
//!
//! The certificate is this value serialised as the payload of a compact JWS (EdDSA, signed
//! by `service::signing`), and rendered for people by `certificate::html`. Pure data: no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RequestKind, UserId};

/// What a plan does to one table of a tenant system (docs/api.md, "Carrying out").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableAction {
    /// Art. 17: the subject's rows are deleted (or removed by the database's own cascade).
    Delete,
    /// Art. 17: the subject's rows stay, their personal columns are nulled, redacted or hashed.
    Mask,
    /// Art. 17(3): the rows are kept, for the reason the data map gives (`keep_reason`).
    Keep,
    /// Art. 16: `rectifiable` columns of the subject's rows are corrected.
    Update,
    /// Art. 18: the table's restriction flag is set on the subject's rows.
    Restrict,
    /// Art. 18(3): the restriction flag is lifted (the subject was told first).
    Lift,
}

impl TableAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Mask => "mask",
            Self::Keep => "keep",
            Self::Update => "update",
            Self::Restrict => "restrict",
            Self::Lift => "lift",
        }
    }
}

/// A person named on the certificate (the approving controller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedActor {
    pub id: UserId,
    pub email: String,
}

/// One table of one system, as executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedTable {
    pub name: String,
    pub action: TableAction,
    /// Rows affected (for `keep`: the subject's rows that were kept).
    pub rows: u64,
    /// Masked or corrected columns (never their values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Why rows were kept (`keep`), as the data map states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the system's transaction that did this committed.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedSystem {
    pub name: String,
    pub tables: Vec<CertifiedTable>,
}

/// A recipient of the data (art. 19) and whether inzage mailed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedRecipient {
    pub name: String,
    /// `true` when a mail went through the outbox; `false`: the controller must tell it.
    pub notified: bool,
}

/// The certificate's payload (JWS claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Issuer: the installation's public URL.
    pub iss: String,
    /// Request reference.
    pub request: String,
    /// Tenant slug.
    pub tenant: String,
    pub kind: RequestKind,
    /// Plan id.
    pub plan: String,
    pub approver: CertifiedActor,
    /// What carried it out, e.g. `inzage job 01J…`.
    pub executor: String,
    pub issued_at: DateTime<Utc>,
    pub systems: Vec<CertifiedSystem>,
    #[serde(default)]
    pub recipients: Vec<CertifiedRecipient>,
}
