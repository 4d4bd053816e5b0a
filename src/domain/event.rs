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
    /// A plan to carry out rectification, erasure or restriction was made (dry-run counts).
    ExecutionPlanned,
    /// The controller approved the plan (processing agreement 3.7: on its instruction).
    ExecutionApproved,
    /// The plan was carried out in every system; the certificate was issued.
    ExecutionDone,
    /// Carrying out the plan failed for good (after its last try).
    ExecutionFailed,
    /// A recipient of the data was told of the change (GDPR art. 19), one event each.
    RecipientNotified,
    /// The subject disputes the accuracy and the correction was not (yet) made: recorded on
    /// the request (processing agreement 3.7(iii); GDPR art. 18(1)(a)).
    RectificationDisputed,
    /// The subject was told that the restriction will be lifted (GDPR art. 18(3)).
    RestrictionLiftNotified,
}

impl EventKind {
    pub const ALL: [EventKind; 34] = [
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
        Self::ExecutionPlanned,
        Self::ExecutionApproved,
        Self::ExecutionDone,
        Self::ExecutionFailed,
        Self::RecipientNotified,
        Self::RectificationDisputed,
        Self::RestrictionLiftNotified,
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
            Self::ExecutionPlanned => "execution_planned",
            Self::ExecutionApproved => "execution_approved",
            Self::ExecutionDone => "execution_done",
            Self::ExecutionFailed => "execution_failed",
            Self::RecipientNotified => "recipient_notified",
            Self::RectificationDisputed => "rectification_disputed",
            Self::RestrictionLiftNotified => "restriction_lift_notified",
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
