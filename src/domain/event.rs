//! The kinds of line a request's history holds: one enum for every event the service writes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// One kind of event in a request's append-only history (`request_events.kind`). `as_str` is
/// the stored text; a new kind is added here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The request was accepted (intake).
    Received,
    // One per lifecycle action (see `Action::event_kind`).
    Verified,
    Assigned,
    Forwarded,
    Acknowledged,
    Started,
    Extended,
    IdentityRequested,
    IdentityConfirmed,
    Completed,
    Refused,
    Withdrawn,
    /// The deadline sweep sent a reminder.
    Reminder,
    /// The request passed its answer date (GDPR art. 12(3)).
    Overdue,
    IdentityAdded,
    IdentityRemoved,
    IdDocumentUploaded,
    IdDocumentViewed,
    IdDocumentDeleted,
    BundleRequested,
    BundleReady,
    BundleFailed,
    BundleDownloaded,
    /// A bundle written by `inzage export` at the command line.
    BundleExported,
    /// The dates were recomputed under a changed rule (the early reading of the holidays).
    DeadlineRecomputed,
    /// The subject answered a question from staff (the text is the event's note).
    Answered,
    /// A one-time code for downloading the released bundle was mailed to the subject.
    DownloadCodeSent,
}

impl EventKind {
    pub const ALL: [EventKind; 27] = [
        Self::Received,
        Self::Verified,
        Self::Assigned,
        Self::Forwarded,
        Self::Acknowledged,
        Self::Started,
        Self::Extended,
        Self::IdentityRequested,
        Self::IdentityConfirmed,
        Self::Completed,
        Self::Refused,
        Self::Withdrawn,
        Self::Reminder,
        Self::Overdue,
        Self::IdentityAdded,
        Self::IdentityRemoved,
        Self::IdDocumentUploaded,
        Self::IdDocumentViewed,
        Self::IdDocumentDeleted,
        Self::BundleRequested,
        Self::BundleReady,
        Self::BundleFailed,
        Self::BundleDownloaded,
        Self::BundleExported,
        Self::DeadlineRecomputed,
        Self::Answered,
        Self::DownloadCodeSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Assigned => "assigned",
            Self::Forwarded => "forwarded",
            Self::Acknowledged => "acknowledged",
            Self::Started => "started",
            Self::Extended => "extended",
            Self::IdentityRequested => "identity_requested",
            Self::IdentityConfirmed => "identity_confirmed",
            Self::Completed => "completed",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Reminder => "reminder",
            Self::Overdue => "overdue",
            Self::IdentityAdded => "identity_added",
            Self::IdentityRemoved => "identity_removed",
            Self::IdDocumentUploaded => "id_document_uploaded",
            Self::IdDocumentViewed => "id_document_viewed",
            Self::IdDocumentDeleted => "id_document_deleted",
            Self::BundleRequested => "bundle_requested",
            Self::BundleReady => "bundle_ready",
            Self::BundleFailed => "bundle_failed",
            Self::BundleDownloaded => "bundle_downloaded",
            Self::BundleExported => "bundle_exported",
            Self::DeadlineRecomputed => "deadline_recomputed",
            Self::Answered => "answered",
            Self::DownloadCodeSent => "download_code_sent",
        }
    }
}

impl FromStr for EventKind {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InvalidValue::new("is not a known event kind"))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_text_and_serde() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().to_owned()))
            );
        }
        assert!("nonsense".parse::<EventKind>().is_err());
    }
}
