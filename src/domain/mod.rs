//! Pure rules of the service: requests, their lifecycle, deadlines and refusal grounds.
//!
//! Nothing here does I/O, reads a clock or knows about diesel or actix: callers pass in
//! `today`/`now`. Every value type is built only by `parse`/`TryFrom`, so a caller that holds
//! one knows it is valid ("parse, don't validate").

pub mod audit;
pub mod certificate;
pub mod completion;
pub mod deadline;
pub mod event;
pub mod execution;
pub mod ids;
pub mod job;
pub mod lifecycle;
pub mod notice;
pub mod overview;
pub mod reference;
pub mod refusal;
pub mod reminders;
pub mod report;
pub mod request;
pub mod sector;
pub mod status;
pub mod tenant;

pub use completion::CompletionResult;
pub use event::EventKind;
pub use ids::{RequestId, TenantId, UserId};
pub use lifecycle::{Command, Consequence, Facts, IdCopyDeletion, Plan, PlanError, Record};
pub use notice::Notice;
pub use reference::Reference;
pub use refusal::RefusalGround;
pub use request::{
    Channel, Details, IdentityKind, Language, RequestKind, SubjectEmail, SubjectName, SubjectPhone,
};
pub use sector::Sector;
pub use status::{Action, Actor, Role, Status};

/// A problem with one input value, named by its path in the request body (e.g. `subject.email`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub message: String,
}

impl InvalidValue {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
