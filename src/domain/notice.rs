//! The notices an action owes: who is told what, decided by [`super::lifecycle::plan`] from
//! the command alone. The service renders each as a mail (`service::notify`) in the action's
//! transaction; what a mail needs from the store (the tenant's name, sector and ID-copy
//! policy, the released bundle, a status link) is looked up there.

use chrono::NaiveDate;

use super::completion::CompletionResult;
use super::deadline::ExtensionMonths;
use super::refusal::RefusalGround;

/// A mail an action causes, with what the action decided for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// To the subject: the receipt (reference, the deadline of art. 12(3), what happens next),
    /// naming the tenant once it is known and saying it was forwarded when it was (processing
    /// agreement: the subject may be told the request was forwarded).
    Receipt { forwarded: bool },
    /// To the tenant (the controller): what it needs to act on the request, no more of the
    /// subject's data (art. 5(1)(c)).
    ForwardedToTenant,
    /// To the subject: the identity information asked (art. 12(6)), and, only when staff ask
    /// for an ID copy on this request, why nothing less intrusive will do (EDPB Guidelines
    /// 01/2022 §§69, 73-77); whether the copy is asked also depends on the tenant's policy.
    IdentityRequest {
        note: String,
        id_copy_reason: Option<String>,
    },
    /// To the subject: the extension and its reasons, told within the first month
    /// (art. 12(3)).
    Extension {
        months: ExtensionMonths,
        extended_due_on: NaiveDate,
        reasons: String,
    },
    /// To the subject: the ground, the reason, and the right to complain and to go to court
    /// (art. 12(4); UAVG art. 34 or 35 by the controller's kind).
    Refusal {
        ground: RefusalGround,
        reason: String,
    },
    /// To the subject: the outcome, or that no personal data about them is processed (an
    /// answer too: for access, the confirmation of art. 15(1)); with the released bundle's
    /// expiry when one was released (art. 15(3), art. 20(1)).
    Completion {
        outcome: String,
        result: CompletionResult,
        release_bundle: bool,
    },
}
