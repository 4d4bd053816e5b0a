//! The request's status machine: one table of (from, action, who) → to. Everything else asks it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;
use super::event::EventKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A public intake whose e-mail address has not been confirmed yet.
    AwaitingVerification,
    Received,
    /// Forwarded to the controller (processing agreement art. 8).
    Forwarded,
    Acknowledged,
    InProgress,
    Completed,
    Refused,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Self::AwaitingVerification,
        Self::Received,
        Self::Forwarded,
        Self::Acknowledged,
        Self::InProgress,
        Self::Completed,
        Self::Refused,
        Self::Withdrawn,
    ];

    pub const OPEN: [Status; 5] = [
        Self::AwaitingVerification,
        Self::Received,
        Self::Forwarded,
        Self::Acknowledged,
        Self::InProgress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingVerification => "awaiting_verification",
            Self::Received => "received",
            Self::Forwarded => "forwarded",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Completed | Self::Refused | Self::Withdrawn)
    }
}

impl FromStr for Status {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| InvalidValue::new("is not a known status"))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Staff roles (docs/api.md, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// The processor's staff: every tenant's queue and transitions; tenant data only with a grant.
    Support,
    /// A tenant's own staff: only its own tenant, everything of it.
    Controller,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Support => "support",
            Self::Controller => "controller",
        }
    }
}

impl FromStr for Role {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "support" => Ok(Self::Support),
            "controller" => Ok(Self::Controller),
            _ => Err(InvalidValue::new("must be admin, support or controller")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(Role),
    /// The data subject, e.g. by following the verification link.
    Subject,
    /// The service itself (jobs).
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The subject confirmed the e-mail address.
    Verify,
    Assign,
    Forward,
    Acknowledge,
    Start,
    Extend,
    RequestIdentity,
    IdentityConfirmed,
    Complete,
    Refuse,
    Withdraw,
    /// The subject answered a question from staff on the status page.
    Answer,
}

impl Action {
    /// The actions staff call as `POST /api/v1/requests/{reference}/{action}`.
    pub const STAFF: [Action; 10] = [
        Self::Assign,
        Self::Forward,
        Self::Acknowledge,
        Self::Start,
        Self::Extend,
        Self::RequestIdentity,
        Self::IdentityConfirmed,
        Self::Complete,
        Self::Refuse,
        Self::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Assign => "assign",
            Self::Forward => "forward",
            Self::Acknowledge => "acknowledge",
            Self::Start => "start",
            Self::Extend => "extend",
            Self::RequestIdentity => "request_identity",
            Self::IdentityConfirmed => "identity_confirmed",
            Self::Complete => "complete",
            Self::Refuse => "refuse",
            Self::Withdraw => "withdraw",
            Self::Answer => "answer",
        }
    }

    /// The kind of the event an action leaves in the request's history.
    pub fn event_kind(self) -> EventKind {
        match self {
            Self::Verify => EventKind::Verified,
            Self::Assign => EventKind::Assigned,
            Self::Forward => EventKind::Forwarded,
            Self::Acknowledge => EventKind::Acknowledged,
            Self::Start => EventKind::Started,
            Self::Extend => EventKind::Extended,
            Self::RequestIdentity => EventKind::IdentityRequested,
            Self::IdentityConfirmed => EventKind::IdentityConfirmed,
            Self::Complete => EventKind::Completed,
            Self::Refuse => EventKind::Refused,
            Self::Withdraw => EventKind::Withdrawn,
            Self::Answer => EventKind::Answered,
        }
    }

    pub fn parse_staff(s: &str) -> Option<Self> {
        Self::STAFF.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may perform a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Admin and support: the processor's triage (assigning a tenant, forwarding to it).
    Processor,
    /// Any staff role, the controller included.
    AnyStaff,
    /// The subject or the service on the subject's behalf.
    SubjectOrSystem,
    /// The subject, by the status link mailed to the request's address.
    Subject,
}

impl Who {
    fn admits(self, actor: Actor) -> bool {
        match (self, actor) {
            (Who::Processor, Actor::Staff(role)) => matches!(role, Role::Admin | Role::Support),
            (Who::AnyStaff, Actor::Staff(_)) => true,
            (Who::SubjectOrSystem, Actor::Subject | Actor::System) => true,
            (Who::Subject, Actor::Subject) => true,
            _ => false,
        }
    }
}

/// Where a rule leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum To {
    Same,
    Status(Status),
}

use Status::{
    Acknowledged as Ack, AwaitingVerification as Awaiting, Completed, Forwarded, InProgress,
    Received, Refused, Withdrawn,
};

const WORKING: &[Status] = &[Received, Forwarded, Ack, InProgress];
const OPEN: &[Status] = &[Awaiting, Received, Forwarded, Ack, InProgress];

/// The transition table (docs/api.md, "Statuses and the lifecycle").
const RULES: &[(&[Status], Action, Who, To)] = &[
    (
        &[Awaiting],
        Action::Verify,
        Who::SubjectOrSystem,
        To::Status(Received),
    ),
    (
        &[Awaiting, Received],
        Action::Assign,
        Who::Processor,
        To::Same,
    ),
    (
        &[Received],
        Action::Forward,
        Who::Processor,
        To::Status(Forwarded),
    ),
    (
        &[Forwarded],
        Action::Acknowledge,
        Who::AnyStaff,
        To::Status(Ack),
    ),
    (&[Ack], Action::Start, Who::AnyStaff, To::Status(InProgress)),
    (
        &[InProgress],
        Action::Complete,
        Who::AnyStaff,
        To::Status(Completed),
    ),
    // Art. 12(3): extension, pause and resume keep the status; their own rules live in lifecycle.
    (WORKING, Action::Extend, Who::AnyStaff, To::Same),
    (WORKING, Action::RequestIdentity, Who::AnyStaff, To::Same),
    (WORKING, Action::IdentityConfirmed, Who::AnyStaff, To::Same),
    (OPEN, Action::Refuse, Who::AnyStaff, To::Status(Refused)),
    (OPEN, Action::Withdraw, Who::AnyStaff, To::Status(Withdrawn)),
    // The subject may withdraw at any time before the answer (art. 12(2): facilitate the
    // exercise of rights), and answer a question while the request is being worked on.
    (OPEN, Action::Withdraw, Who::Subject, To::Status(Withdrawn)),
    (WORKING, Action::Answer, Who::Subject, To::Same),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{actor} may not {action} a request")]
    Forbidden { action: Action, actor: String },
    #[error("cannot {action} a request that is {from}")]
    NotInStatus { action: Action, from: Status },
}

fn actor_label(actor: Actor) -> String {
    match actor {
        Actor::Staff(role) => format!("a user with role {role}"),
        Actor::Subject => "the subject".to_owned(),
        Actor::System => "the service".to_owned(),
    }
}

/// The status after `action` by `actor` from `from`, or why not.
///
/// A role that may never perform the action gets `Forbidden` (403), whatever the status;
/// an allowed role in the wrong status gets `NotInStatus` (409).
pub fn transition(from: Status, action: Action, actor: Actor) -> Result<Status, TransitionError> {
    let mut role_allowed = false;
    for (froms, rule_action, who, to) in RULES {
        if *rule_action != action || !who.admits(actor) {
            continue;
        }
        role_allowed = true;
        if froms.contains(&from) {
            return Ok(match to {
                To::Same => from,
                To::Status(s) => *s,
            });
        }
    }
    if role_allowed {
        Err(TransitionError::NotInStatus { action, from })
    } else {
        Err(TransitionError::Forbidden {
            action,
            actor: actor_label(actor),
        })
    }
}

/// The actions `actor` may take now, for showing buttons and for the API's `allowed_actions`.
pub fn allowed_actions(from: Status, actor: Actor) -> Vec<Action> {
    Action::STAFF
        .into_iter()
        .filter(|a| transition(from, *a, actor).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: Actor = Actor::Staff(Role::Admin);
    const SUPPORT: Actor = Actor::Staff(Role::Support);
    const CONTROLLER: Actor = Actor::Staff(Role::Controller);
    const STAFF: [Actor; 3] = [ADMIN, SUPPORT, CONTROLLER];

    /// Every allowed (from, action, actor) → to, written out by hand from the lifecycle in
    /// docs/api.md.
    fn allowed() -> Vec<(Status, Action, Actor, Status)> {
        let mut v = vec![
            (Awaiting, Action::Verify, Actor::Subject, Received),
            (Awaiting, Action::Verify, Actor::System, Received),
        ];
        // The subject, by the status link: withdraw while open, answer while worked on.
        for s in [Awaiting, Received, Forwarded, Ack, InProgress] {
            v.push((s, Action::Withdraw, Actor::Subject, Withdrawn));
        }
        for s in [Received, Forwarded, Ack, InProgress] {
            v.push((s, Action::Answer, Actor::Subject, s));
        }
        for actor in [ADMIN, SUPPORT] {
            v.push((Awaiting, Action::Assign, actor, Awaiting));
            v.push((Received, Action::Assign, actor, Received));
            v.push((Received, Action::Forward, actor, Forwarded));
        }
        for actor in STAFF {
            v.push((Forwarded, Action::Acknowledge, actor, Ack));
            v.push((Ack, Action::Start, actor, InProgress));
            v.push((InProgress, Action::Complete, actor, Completed));
            for s in [Received, Forwarded, Ack, InProgress] {
                v.push((s, Action::Extend, actor, s));
                v.push((s, Action::RequestIdentity, actor, s));
                v.push((s, Action::IdentityConfirmed, actor, s));
            }
            for s in [Awaiting, Received, Forwarded, Ack, InProgress] {
                v.push((s, Action::Refuse, actor, Refused));
                v.push((s, Action::Withdraw, actor, Withdrawn));
            }
        }
        v
    }

    #[test]
    fn every_allowed_transition_holds() {
        for (from, action, actor, to) in allowed() {
            assert_eq!(
                transition(from, action, actor),
                Ok(to),
                "{from} {action} {actor:?}"
            );
        }
    }

    #[test]
    fn nothing_else_is_allowed() {
        let allowed = allowed();
        let actors = [ADMIN, SUPPORT, CONTROLLER, Actor::Subject, Actor::System];
        let actions = Action::STAFF
            .into_iter()
            .chain([Action::Verify, Action::Answer]);
        for from in Status::ALL {
            for action in actions.clone() {
                for actor in actors {
                    let expected = allowed
                        .iter()
                        .find(|(f, a, who, _)| *f == from && *a == action && *who == actor);
                    let got = transition(from, action, actor);
                    match expected {
                        Some((_, _, _, to)) => assert_eq!(got, Ok(*to)),
                        None => assert!(got.is_err(), "{from} {action} {actor:?} allowed"),
                    }
                }
            }
        }
    }

    #[test]
    fn closed_requests_allow_nothing() {
        for from in [Completed, Refused, Withdrawn] {
            assert!(from.is_closed());
            for actor in STAFF {
                assert!(allowed_actions(from, actor).is_empty());
                assert_eq!(
                    transition(from, Action::Refuse, actor),
                    Err(TransitionError::NotInStatus {
                        action: Action::Refuse,
                        from
                    })
                );
            }
        }
    }

    #[test]
    fn controller_never_triages() {
        for from in Status::ALL {
            for action in [Action::Assign, Action::Forward] {
                assert!(matches!(
                    transition(from, action, CONTROLLER),
                    Err(TransitionError::Forbidden { .. })
                ));
            }
        }
    }

    #[test]
    fn a_sample_of_forbidden_orders() {
        assert!(transition(Received, Action::Complete, ADMIN).is_err());
        assert!(transition(Received, Action::Start, ADMIN).is_err());
        assert!(transition(Forwarded, Action::Complete, SUPPORT).is_err());
        assert!(transition(Forwarded, Action::Forward, SUPPORT).is_err());
        assert!(transition(Ack, Action::Acknowledge, CONTROLLER).is_err());
        assert!(transition(InProgress, Action::Start, CONTROLLER).is_err());
        assert!(transition(Awaiting, Action::Forward, ADMIN).is_err());
        assert!(transition(Awaiting, Action::Extend, ADMIN).is_err());
        assert!(transition(Received, Action::Verify, Actor::Subject).is_err());
        assert!(matches!(
            transition(Awaiting, Action::Verify, ADMIN),
            Err(TransitionError::Forbidden { .. })
        ));
    }

    #[test]
    fn statuses_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            assert_eq!(Status::OPEN.contains(&s), !s.is_closed());
        }
    }
}
