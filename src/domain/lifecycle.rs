//! What an action does to a request, decided without I/O: the caller loads the request's
//! facts, asks [`plan`], and stores the plan in one transaction: the row (status, deadline,
//! [`Record`]), its event, and its [`Consequence`]s in their order (the completion record,
//! the mails, the deletion of ID copies). What an action brings about is decided here, once;
//! the services apply it without looking at the command again.

use chrono::NaiveDate;

use super::completion::{CompletionResult, ReleaseError, check_release};
use super::deadline::{self, Calendar, Deadline, DeadlineError, ExtensionError, ExtensionMonths};
use super::ids::TenantId;
use super::notice::Notice;
use super::refusal::RefusalGround;
use super::request::RequestKind;
use super::status::{self, Action, Actor, Status, TransitionError};

/// What the store knows about a request that the rules need.
#[derive(Debug, Clone)]
pub struct Facts {
    pub kind: RequestKind,
    pub status: Status,
    pub tenant_assigned: bool,
    pub deadline: Deadline,
    /// Set while the clock is paused (identity asked, or e-mail not yet confirmed).
    pub paused_since: Option<NaiveDate>,
    /// Identity information was asked and has not arrived yet (paused or not).
    pub identity_pending: bool,
}

/// An action with its validated input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Verify,
    /// The tenant (by id) the request is for; resolving the slug is the caller's job.
    Assign {
        tenant_id: TenantId,
    },
    Forward {
        note: Option<String>,
    },
    Acknowledge,
    Start,
    Extend {
        months: ExtensionMonths,
        reason: String,
    },
    RequestIdentity {
        note: String,
        /// Only when staff ask for a copy of an ID document on this request: why nothing less
        /// intrusive will do (EDPB Guidelines 01/2022 §§69, 73-77). Never by routine.
        id_copy_reason: Option<String>,
    },
    IdentityConfirmed {
        method: String,
    },
    Complete {
        outcome: String,
        /// `done`, or `no_data`: an answer (no personal data about the subject is processed).
        result: CompletionResult,
        /// Let the subject download the request's ready bundle from the status page (access
        /// and portability only: art. 15(3), art. 20(1)).
        release_bundle: bool,
    },
    Refuse {
        ground: RefusalGround,
        reason: String,
    },
    Withdraw {
        note: Option<String>,
    },
    /// The subject's answer to a question from staff, in their own words.
    Answer {
        text: String,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Self::Verify => Action::Verify,
            Self::Assign { .. } => Action::Assign,
            Self::Forward { .. } => Action::Forward,
            Self::Acknowledge => Action::Acknowledge,
            Self::Start => Action::Start,
            Self::Extend { .. } => Action::Extend,
            Self::RequestIdentity { .. } => Action::RequestIdentity,
            Self::IdentityConfirmed { .. } => Action::IdentityConfirmed,
            Self::Complete { .. } => Action::Complete,
            Self::Refuse { .. } => Action::Refuse,
            Self::Withdraw { .. } => Action::Withdraw,
            Self::Answer { .. } => Action::Answer,
        }
    }
}

/// The outcome of an allowed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub from: Status,
    pub to: Status,
    pub deadline: Deadline,
    pub paused_since: Option<NaiveDate>,
    pub identity_pending: bool,
    /// For `request_identity`: whether the pause counts (asked without undue delay).
    pub pause_counted: Option<bool>,
    /// The text recorded on the event (a note, reason, outcome or method).
    pub note: Option<String>,
    /// Whether the subject sees this event in the status view.
    pub public: bool,
    /// What the action records on the request beside status and deadline.
    pub record: Record,
    /// The event's data (beside status, note and actor), in the order it is written.
    pub event_data: serde_json::Map<String, serde_json::Value>,
    /// What else the action brings about, applied by the service in the same transaction and
    /// in this order.
    pub consequences: Vec<Consequence>,
}

/// The fields an action sets on the request (None: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub tenant_id: Option<TenantId>,
    pub extension_reason: Option<String>,
    /// How staff checked the identity; only that it was checked, by whom, when and how is kept
    /// (EDPB Guidelines 01/2022 §§58-79).
    pub identity_method: Option<String>,
    pub outcome: Option<String>,
    pub refusal: Option<(RefusalGround, String)>,
}

/// A consequence of an action beyond the request's own row and event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consequence {
    /// Record the request's result, and the bundle released to the subject (art. 15(3),
    /// art. 20(1)); the service checks the releasing principal's data access and that a ready
    /// bundle exists. Comes before the completion notice, which names the released bundle.
    RecordCompletion {
        result: CompletionResult,
        release_bundle: bool,
    },
    /// Queue a mail (a row in the outbox, sent after the commit).
    Notify(Notice),
    /// Delete any ID copy held for the request: the check is recorded, or the request is
    /// closed (EDPB Guidelines 01/2022 §§73-77: a copy is kept no longer than the check needs).
    DeleteIdCopies(IdCopyDeletion),
}

/// Why an action deletes held ID copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCopyDeletion {
    IdentityChecked,
    RequestClosed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("assign the request to a tenant before forwarding it")]
    TenantRequired,
    #[error(transparent)]
    Extension(#[from] ExtensionError),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    #[error("identity information has already been asked and has not arrived yet")]
    IdentityAlreadyRequested,
    #[error("no identity information was asked")]
    NoIdentityRequested,
    #[error("this refusal ground does not answer this kind of request")]
    GroundNotForKind,
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error("there is no question to answer")]
    NoQuestion,
}

/// Decides what `command` by `actor` does to the request described by `facts` on `today`
/// (a Europe/Amsterdam date).
pub fn plan(
    facts: &Facts,
    command: &Command,
    actor: Actor,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Plan, PlanError> {
    let action = command.action();
    let to = status::transition(facts.status, action, actor)?;
    let mut deadline = facts.deadline.clone();
    let mut paused_since = facts.paused_since;
    let mut identity_pending = facts.identity_pending;
    let mut pause_counted = None;
    let mut public = true;

    // The clock resumes when what it waited for arrives; it pauses, it does not restart
    // (EDPB Guidelines 01/2022 §§157-159).
    let resume = |deadline: &mut Deadline,
                  paused_since: &mut Option<NaiveDate>|
     -> Result<(), DeadlineError> {
        if let Some(since) = paused_since.take() {
            *deadline = deadline.add_pause(cal, deadline::paused_days(since, today))?;
        }
        Ok(())
    };

    let note = match command {
        Command::Verify => {
            resume(&mut deadline, &mut paused_since)?;
            None
        }
        Command::Assign { .. } => {
            public = false;
            None
        }
        Command::Forward { note } => {
            if !facts.tenant_assigned {
                return Err(PlanError::TenantRequired);
            }
            note.clone()
        }
        Command::Acknowledge | Command::Start => None,
        Command::Extend { months, reason } => {
            // Art. 12(3): once, by at most two further months, told before the month ends.
            deadline = deadline.extend(cal, *months, today)?;
            Some(reason.clone())
        }
        Command::RequestIdentity { note, .. } => {
            if identity_pending {
                return Err(PlanError::IdentityAlreadyRequested);
            }
            identity_pending = true;
            let counts = paused_since.is_none()
                && deadline::pause_counts(cal, facts.deadline.received, today);
            if counts {
                paused_since = Some(today);
            }
            pause_counted = Some(counts);
            Some(note.clone())
        }
        Command::IdentityConfirmed { method } => {
            if !identity_pending {
                return Err(PlanError::NoIdentityRequested);
            }
            identity_pending = false;
            resume(&mut deadline, &mut paused_since)?;
            Some(method.clone())
        }
        Command::Complete {
            outcome,
            result,
            release_bundle,
        } => {
            if *release_bundle {
                check_release(facts.kind, *result)?;
            }
            Some(outcome.clone())
        }
        Command::Answer { text } => {
            // The information asked for arrived: the clock resumes where the question paused
            // it, and does not restart (EDPB Guidelines 01/2022 §§157-159). Staff still record
            // the check (`identity_confirmed`), so the question stays open for them; the
            // subject may add to the answer meanwhile.
            if !identity_pending {
                return Err(PlanError::NoQuestion);
            }
            resume(&mut deadline, &mut paused_since)?;
            Some(text.clone())
        }
        Command::Refuse { ground, reason } => {
            // Each exception belongs to the right it limits (art. 15(4), 17(3), 21(1), 22(2), …).
            if !ground.answers(facts.kind) {
                return Err(PlanError::GroundNotForKind);
            }
            Some(reason.clone())
        }
        Command::Withdraw { note } => note.clone(),
    };
    if to.is_closed() {
        resume(&mut deadline, &mut paused_since)?;
        identity_pending = false;
    }
    let mut record = Record::default();
    let mut event_data = serde_json::Map::new();
    let mut consequences = Vec::new();
    match command {
        // The subject confirmed the address: the receipt, with the deadline now running.
        Command::Verify => {
            consequences.push(Consequence::Notify(Notice::Receipt { forwarded: false }))
        }
        Command::Assign { tenant_id } => {
            record.tenant_id = Some(tenant_id.clone());
            event_data.insert("tenant_id".into(), tenant_id.as_str().into());
        }
        Command::Extend { months, reason } => {
            record.extension_reason = Some(reason.clone());
            event_data.insert("months".into(), months.months().into());
            if let Some(extended) = deadline.extended {
                event_data.insert("extended".into(), extended.to_string().into());
                // Art. 12(3): the subject is told of the extension and its reasons within the
                // first month (the extension itself is refused after it, above).
                consequences.push(Consequence::Notify(Notice::Extension {
                    months: *months,
                    extended_due_on: extended,
                    reasons: reason.clone(),
                }));
            }
            event_data.insert("subject_must_be_told".into(), true.into());
        }
        Command::IdentityConfirmed { method } => record.identity_method = Some(method.clone()),
        Command::Complete {
            outcome,
            result,
            release_bundle,
        } => {
            record.outcome = Some(outcome.clone());
            event_data.insert("result".into(), result.as_str().into());
            event_data.insert("release_bundle".into(), (*release_bundle).into());
            // The result (and any released bundle) first: the completion mail names it.
            consequences.push(Consequence::RecordCompletion {
                result: *result,
                release_bundle: *release_bundle,
            });
            consequences.push(Consequence::Notify(Notice::Completion {
                outcome: outcome.clone(),
                result: *result,
                release_bundle: *release_bundle,
            }));
        }
        Command::Refuse { ground, reason } => {
            record.refusal = Some((*ground, reason.clone()));
            event_data.insert("ground".into(), ground.as_str().into());
            // Art. 12(4): the subject is told the ground, the reason, and the right to
            // complain and to go to court.
            consequences.push(Consequence::Notify(Notice::Refusal {
                ground: *ground,
                reason: reason.clone(),
            }));
        }
        Command::Forward { .. } => {
            // The tenant is told first, then the subject that the request went to it.
            consequences.push(Consequence::Notify(Notice::ForwardedToTenant));
            consequences.push(Consequence::Notify(Notice::Receipt { forwarded: true }));
        }
        Command::RequestIdentity {
            note,
            id_copy_reason,
        } => {
            if let Some(counted) = pause_counted {
                event_data.insert("pause_counted".into(), counted.into());
            }
            // An ID copy only on this request, with the reason recorded (EDPB 01/2022 §§69, 73-77).
            event_data.insert("id_copy".into(), id_copy_reason.is_some().into());
            if let Some(reason) = id_copy_reason {
                event_data.insert("id_copy_reason".into(), reason.clone().into());
            }
            // Art. 12(6): the subject is asked for the information that confirms who they are.
            consequences.push(Consequence::Notify(Notice::IdentityRequest {
                note: note.clone(),
                id_copy_reason: id_copy_reason.clone(),
            }));
        }
        Command::Acknowledge
        | Command::Start
        | Command::Answer { .. }
        | Command::Withdraw { .. } => {}
    }
    if deadline != facts.deadline {
        event_data.insert("legal".into(), deadline.legal.to_string().into());
        event_data.insert("paused_days".into(), deadline.paused_days.into());
    }
    if matches!(command, Command::IdentityConfirmed { .. }) {
        consequences.push(Consequence::DeleteIdCopies(IdCopyDeletion::IdentityChecked));
    } else if to.is_closed() {
        consequences.push(Consequence::DeleteIdCopies(IdCopyDeletion::RequestClosed));
    }
    Ok(Plan {
        action,
        from: facts.status,
        to,
        deadline,
        paused_since,
        identity_pending,
        pause_counted,
        note,
        public,
        record,
        event_data,
        consequences,
    })
}

/// The staff actions `actor` can take now: those whose plan succeeds, guards included
/// (a tenant before forwarding, a question before a confirmation, one extension).
pub fn available_actions(
    facts: &Facts,
    actor: Actor,
    cal: &Calendar,
    today: NaiveDate,
) -> Vec<Action> {
    let samples = [
        Command::Assign {
            tenant_id: TenantId::from(""),
        },
        Command::Forward { note: None },
        Command::Acknowledge,
        Command::Start,
        Command::Extend {
            months: ExtensionMonths::One,
            reason: String::new(),
        },
        Command::RequestIdentity {
            note: String::new(),
            id_copy_reason: None,
        },
        Command::IdentityConfirmed {
            method: String::new(),
        },
        Command::Complete {
            outcome: String::new(),
            result: CompletionResult::Done,
            release_bundle: false,
        },
        Command::Refuse {
            ground: RefusalGround::Other,
            reason: String::new(),
        },
        Command::Withdraw { note: None },
    ];
    samples
        .iter()
        .filter(|c| plan(facts, c, actor, cal, today).is_ok())
        .map(Command::action)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Role;

    const SUPPORT: Actor = Actor::Staff(Role::Support);
    const CONTROLLER: Actor = Actor::Staff(Role::Controller);

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts(status: Status, received: &str) -> Facts {
        let cal = Calendar::dutch();
        Facts {
            kind: RequestKind::Access,
            status,
            tenant_assigned: true,
            deadline: Deadline::compute(&cal, d(received), 0, None).unwrap(),
            paused_since: None,
            identity_pending: false,
        }
    }

    #[test]
    fn a_plan_carries_what_it_records_its_event_data_and_its_consequences() {
        let cal = Calendar::dutch();
        let today = d("2026-03-03");
        let mut f = facts(Status::InProgress, "2026-03-02");
        f.identity_pending = true;
        let p = plan(
            &f,
            &Command::IdentityConfirmed {
                method: "video call".to_owned(),
            },
            SUPPORT,
            &cal,
            today,
        )
        .unwrap();
        assert_eq!(p.record.identity_method.as_deref(), Some("video call"));
        assert_eq!(
            p.consequences,
            vec![Consequence::DeleteIdCopies(IdCopyDeletion::IdentityChecked)]
        );
        let p = plan(
            &facts(Status::InProgress, "2026-03-02"),
            &Command::Refuse {
                ground: RefusalGround::Other,
                reason: "why".to_owned(),
            },
            SUPPORT,
            &cal,
            today,
        )
        .unwrap();
        assert_eq!(
            p.record.refusal,
            Some((RefusalGround::Other, "why".to_owned()))
        );
        assert_eq!(p.event_data.get("ground"), Some(&"other".into()));
        assert_eq!(
            p.consequences,
            vec![
                Consequence::Notify(Notice::Refusal {
                    ground: RefusalGround::Other,
                    reason: "why".to_owned(),
                }),
                Consequence::DeleteIdCopies(IdCopyDeletion::RequestClosed)
            ]
        );
        let p = plan(
            &facts(Status::InProgress, "2026-03-02"),
            &Command::Extend {
                months: ExtensionMonths::Two,
                reason: "many systems".to_owned(),
            },
            SUPPORT,
            &cal,
            today,
        )
        .unwrap();
        let keys: Vec<&str> = p.event_data.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "months",
                "extended",
                "subject_must_be_told",
                "legal",
                "paused_days"
            ]
        );
        assert_eq!(
            p.consequences,
            vec![Consequence::Notify(Notice::Extension {
                months: ExtensionMonths::Two,
                extended_due_on: d("2026-06-02"),
                reasons: "many systems".to_owned(),
            })]
        );
        assert_eq!(p.record.extension_reason.as_deref(), Some("many systems"));
    }

    /// The consequences of `command` by `actor` on a request in `status` (received
    /// 2026-03-02, asked for identity when `identity_pending`), planned on 2026-03-05.
    fn consequences(
        status: Status,
        identity_pending: bool,
        command: Command,
        actor: Actor,
    ) -> Vec<Consequence> {
        let mut f = facts(status, "2026-03-02");
        f.identity_pending = identity_pending;
        plan(&f, &command, actor, &Calendar::dutch(), d("2026-03-05"))
            .unwrap()
            .consequences
    }

    #[test]
    fn verifying_the_address_mails_the_receipt() {
        assert_eq!(
            consequences(
                Status::AwaitingVerification,
                false,
                Command::Verify,
                Actor::Subject
            ),
            vec![Consequence::Notify(Notice::Receipt { forwarded: false })]
        );
    }

    #[test]
    fn assigning_tells_nobody() {
        let assign = Command::Assign {
            tenant_id: "t".into(),
        };
        assert_eq!(
            consequences(Status::Received, false, assign, SUPPORT),
            vec![]
        );
    }

    #[test]
    fn forwarding_mails_the_tenant_then_the_subject() {
        assert_eq!(
            consequences(
                Status::Received,
                false,
                Command::Forward { note: None },
                SUPPORT
            ),
            vec![
                Consequence::Notify(Notice::ForwardedToTenant),
                Consequence::Notify(Notice::Receipt { forwarded: true }),
            ]
        );
    }

    #[test]
    fn acknowledging_and_starting_tell_nobody() {
        assert_eq!(
            consequences(Status::Forwarded, false, Command::Acknowledge, CONTROLLER),
            vec![]
        );
        assert_eq!(
            consequences(Status::Acknowledged, false, Command::Start, CONTROLLER),
            vec![]
        );
    }

    #[test]
    fn extending_mails_the_extension_notice() {
        // Received 2026-03-02: one month more ends 2026-05-04 (2026-05-02 is a Saturday).
        let extend = Command::Extend {
            months: ExtensionMonths::One,
            reason: "many systems".into(),
        };
        assert_eq!(
            consequences(Status::InProgress, false, extend, CONTROLLER),
            vec![Consequence::Notify(Notice::Extension {
                months: ExtensionMonths::One,
                extended_due_on: d("2026-05-04"),
                reasons: "many systems".into(),
            })]
        );
    }

    #[test]
    fn asking_for_identity_mails_the_question() {
        let ask = Command::RequestIdentity {
            note: "your customer number?".into(),
            id_copy_reason: Some("no other means".into()),
        };
        assert_eq!(
            consequences(Status::InProgress, false, ask, SUPPORT),
            vec![Consequence::Notify(Notice::IdentityRequest {
                note: "your customer number?".into(),
                id_copy_reason: Some("no other means".into()),
            })]
        );
    }

    #[test]
    fn recording_the_identity_check_deletes_copies_and_mails_nobody() {
        let confirmed = Command::IdentityConfirmed {
            method: "video call".into(),
        };
        assert_eq!(
            consequences(Status::InProgress, true, confirmed, SUPPORT),
            vec![Consequence::DeleteIdCopies(IdCopyDeletion::IdentityChecked)]
        );
    }

    #[test]
    fn completing_records_the_result_mails_it_and_deletes_copies() {
        let complete = Command::Complete {
            outcome: "sent the copy".into(),
            result: CompletionResult::Done,
            release_bundle: true,
        };
        assert_eq!(
            consequences(Status::InProgress, false, complete, CONTROLLER),
            vec![
                Consequence::RecordCompletion {
                    result: CompletionResult::Done,
                    release_bundle: true,
                },
                Consequence::Notify(Notice::Completion {
                    outcome: "sent the copy".into(),
                    result: CompletionResult::Done,
                    release_bundle: true,
                }),
                Consequence::DeleteIdCopies(IdCopyDeletion::RequestClosed),
            ]
        );
    }

    #[test]
    fn refusing_mails_the_ground_and_deletes_copies() {
        let refuse = Command::Refuse {
            ground: RefusalGround::ManifestlyUnfounded,
            reason: "no relation".into(),
        };
        assert_eq!(
            consequences(Status::Received, true, refuse, SUPPORT),
            vec![
                Consequence::Notify(Notice::Refusal {
                    ground: RefusalGround::ManifestlyUnfounded,
                    reason: "no relation".into(),
                }),
                Consequence::DeleteIdCopies(IdCopyDeletion::RequestClosed),
            ]
        );
    }

    #[test]
    fn withdrawing_deletes_copies_and_mails_nobody() {
        for actor in [Actor::Subject, SUPPORT] {
            assert_eq!(
                consequences(
                    Status::Forwarded,
                    false,
                    Command::Withdraw { note: None },
                    actor
                ),
                vec![Consequence::DeleteIdCopies(IdCopyDeletion::RequestClosed)]
            );
        }
    }

    #[test]
    fn the_subjects_answer_mails_nobody() {
        let answer = Command::Answer { text: "42".into() };
        assert_eq!(
            consequences(Status::InProgress, true, answer, Actor::Subject),
            vec![]
        );
    }

    #[test]
    fn forward_needs_a_tenant() {
        let mut f = facts(Status::Received, "2026-03-02");
        f.tenant_assigned = false;
        let cmd = Command::Forward { note: None };
        let cal = Calendar::dutch();
        assert_eq!(
            plan(&f, &cmd, SUPPORT, &cal, d("2026-03-03")),
            Err(PlanError::TenantRequired)
        );
        f.tenant_assigned = true;
        assert_eq!(
            plan(&f, &cmd, SUPPORT, &cal, d("2026-03-03")).unwrap().to,
            Status::Forwarded
        );
    }

    #[test]
    fn identity_pauses_and_resumes_the_clock() {
        // Worked example: 2026-03-02, ID asked 03-03 and received 03-10 → legal 2026-04-09.
        let cal = Calendar::dutch();
        let f = facts(Status::Forwarded, "2026-03-02");
        let asked = plan(
            &f,
            &Command::RequestIdentity {
                note: "please confirm".into(),
                id_copy_reason: None,
            },
            CONTROLLER,
            &cal,
            d("2026-03-03"),
        )
        .unwrap();
        assert_eq!(asked.pause_counted, Some(true));
        assert_eq!(asked.paused_since, Some(d("2026-03-03")));
        let f = Facts {
            paused_since: asked.paused_since,
            identity_pending: asked.identity_pending,
            deadline: asked.deadline,
            ..f
        };
        assert_eq!(
            plan(
                &f,
                &Command::RequestIdentity {
                    note: "again".into(),
                    id_copy_reason: None,
                },
                CONTROLLER,
                &cal,
                d("2026-03-04")
            ),
            Err(PlanError::IdentityAlreadyRequested)
        );
        let confirmed = plan(
            &f,
            &Command::IdentityConfirmed {
                method: "video call".into(),
            },
            CONTROLLER,
            &cal,
            d("2026-03-10"),
        )
        .unwrap();
        assert_eq!(confirmed.deadline.legal, d("2026-04-09"));
        assert_eq!(confirmed.deadline.paused_days, 7);
        assert_eq!(confirmed.paused_since, None);
        assert!(!confirmed.identity_pending);
    }

    #[test]
    fn the_subjects_answer_resumes_the_clock_where_the_question_paused_it() {
        // 2026-03-02, asked 03-03, answered on the status page 03-10 → legal 2026-04-09, as
        // when staff record the identity; staff still record the check afterwards.
        let cal = Calendar::dutch();
        let f = facts(Status::InProgress, "2026-03-02");
        let answer = Command::Answer {
            text: "my customer number is 42".into(),
        };
        assert_eq!(
            plan(&f, &answer, Actor::Subject, &cal, d("2026-03-03")),
            Err(PlanError::NoQuestion)
        );
        let asked = plan(
            &f,
            &Command::RequestIdentity {
                note: "your customer number?".into(),
                id_copy_reason: None,
            },
            SUPPORT,
            &cal,
            d("2026-03-03"),
        )
        .unwrap();
        let f = Facts {
            paused_since: asked.paused_since,
            identity_pending: asked.identity_pending,
            deadline: asked.deadline,
            ..f
        };
        // Staff cannot answer for the subject.
        assert!(plan(&f, &answer, SUPPORT, &cal, d("2026-03-10")).is_err());
        let answered = plan(&f, &answer, Actor::Subject, &cal, d("2026-03-10")).unwrap();
        assert_eq!(answered.to, Status::InProgress);
        assert_eq!(answered.deadline.legal, d("2026-04-09"));
        assert_eq!(answered.deadline.paused_days, 7);
        assert_eq!(answered.paused_since, None);
        assert!(answered.identity_pending);
        assert_eq!(answered.note.as_deref(), Some("my customer number is 42"));
        // A second answer adds to the first and moves nothing.
        let f = Facts {
            paused_since: answered.paused_since,
            identity_pending: answered.identity_pending,
            deadline: answered.deadline.clone(),
            ..f
        };
        let again = plan(&f, &answer, Actor::Subject, &cal, d("2026-03-12")).unwrap();
        assert_eq!(again.deadline, answered.deadline);
        // Staff record the check: nothing more to resume.
        let confirmed = plan(
            &f,
            &Command::IdentityConfirmed {
                method: "customer number matches".into(),
            },
            SUPPORT,
            &cal,
            d("2026-03-12"),
        )
        .unwrap();
        assert_eq!(confirmed.deadline.legal, d("2026-04-09"));
        assert!(!confirmed.identity_pending);
    }

    #[test]
    fn the_subject_may_withdraw_an_open_request() {
        let cal = Calendar::dutch();
        let f = facts(Status::Acknowledged, "2026-03-02");
        let p = plan(
            &f,
            &Command::Withdraw { note: None },
            Actor::Subject,
            &cal,
            d("2026-03-05"),
        )
        .unwrap();
        assert_eq!(p.to, Status::Withdrawn);
        let closed = facts(Status::Completed, "2026-03-02");
        assert!(
            plan(
                &closed,
                &Command::Withdraw { note: None },
                Actor::Subject,
                &cal,
                d("2026-03-05")
            )
            .is_err()
        );
    }

    #[test]
    fn completion_releases_a_bundle_only_where_it_may() {
        let cal = Calendar::dutch();
        let complete = |result, release_bundle| Command::Complete {
            outcome: "done".into(),
            result,
            release_bundle,
        };
        let f = facts(Status::InProgress, "2026-03-02");
        let p = plan(
            &f,
            &complete(CompletionResult::Done, true),
            SUPPORT,
            &cal,
            d("2026-03-05"),
        )
        .unwrap();
        assert_eq!(p.event_data.get("release_bundle"), Some(&true.into()));
        assert_eq!(p.event_data.get("result"), Some(&"done".into()));
        assert_eq!(
            plan(
                &f,
                &complete(CompletionResult::NoData, true),
                SUPPORT,
                &cal,
                d("2026-03-05")
            ),
            Err(PlanError::Release(ReleaseError::NoData))
        );
        let mut erasure = facts(Status::InProgress, "2026-03-02");
        erasure.kind = RequestKind::Erasure;
        assert_eq!(
            plan(
                &erasure,
                &complete(CompletionResult::Done, true),
                SUPPORT,
                &cal,
                d("2026-03-05")
            ),
            Err(PlanError::Release(ReleaseError::NotForKind))
        );
        let p = plan(
            &erasure,
            &complete(CompletionResult::NoData, false),
            SUPPORT,
            &cal,
            d("2026-03-05"),
        )
        .unwrap();
        assert_eq!(p.event_data.get("result"), Some(&"no_data".into()));
    }

    #[test]
    fn a_late_identity_question_does_not_pause() {
        let cal = Calendar::dutch();
        let f = facts(Status::InProgress, "2026-03-02");
        let asked = plan(
            &f,
            &Command::RequestIdentity {
                note: "late".into(),
                id_copy_reason: None,
            },
            SUPPORT,
            &cal,
            d("2026-03-25"),
        )
        .unwrap();
        assert_eq!(asked.pause_counted, Some(false));
        assert_eq!(asked.paused_since, None);
        assert!(asked.identity_pending);
    }

    #[test]
    fn confirming_without_a_question_is_refused() {
        let cal = Calendar::dutch();
        let f = facts(Status::Received, "2026-03-02");
        let cmd = Command::IdentityConfirmed { method: "x".into() };
        assert_eq!(
            plan(&f, &cmd, SUPPORT, &cal, d("2026-03-03")),
            Err(PlanError::NoIdentityRequested)
        );
    }

    #[test]
    fn extension_once_and_in_time() {
        let cal = Calendar::dutch();
        let f = facts(Status::InProgress, "2026-03-05");
        let cmd = Command::Extend {
            months: ExtensionMonths::Two,
            reason: "complex".into(),
        };
        let p = plan(&f, &cmd, CONTROLLER, &cal, d("2026-03-20")).unwrap();
        assert!(p.deadline.extended.is_some());
        let f2 = Facts {
            deadline: p.deadline,
            ..f.clone()
        };
        assert!(matches!(
            plan(&f2, &cmd, CONTROLLER, &cal, d("2026-03-21")),
            Err(PlanError::Extension(_))
        ));
        // after the legal deadline (2026-04-07) it is too late
        assert!(matches!(
            plan(&f, &cmd, CONTROLLER, &cal, d("2026-04-08")),
            Err(PlanError::Extension(_))
        ));
    }

    #[test]
    fn erasure_exceptions_only_answer_erasure() {
        let cal = Calendar::dutch();
        let f = facts(Status::InProgress, "2026-03-05");
        let cmd = Command::Refuse {
            ground: RefusalGround::ErasureExceptionLegalClaims,
            reason: "pending litigation".into(),
        };
        assert_eq!(
            plan(&f, &cmd, CONTROLLER, &cal, d("2026-03-06")),
            Err(PlanError::GroundNotForKind)
        );
        let f = Facts {
            kind: RequestKind::Erasure,
            ..f
        };
        assert_eq!(
            plan(&f, &cmd, CONTROLLER, &cal, d("2026-03-06"))
                .unwrap()
                .to,
            Status::Refused
        );
    }

    #[test]
    fn verification_resumes_the_clock() {
        let cal = Calendar::dutch();
        let mut f = facts(Status::AwaitingVerification, "2026-03-02");
        f.paused_since = Some(d("2026-03-02"));
        let p = plan(&f, &Command::Verify, Actor::Subject, &cal, d("2026-03-04")).unwrap();
        assert_eq!(p.to, Status::Received);
        assert_eq!(p.deadline.paused_days, 2);
        assert_eq!(p.paused_since, None);
    }

    #[test]
    fn closing_ends_a_pause() {
        let cal = Calendar::dutch();
        let mut f = facts(Status::Received, "2026-03-02");
        f.paused_since = Some(d("2026-03-03"));
        f.identity_pending = true;
        let p = plan(
            &f,
            &Command::Withdraw { note: None },
            SUPPORT,
            &cal,
            d("2026-03-05"),
        )
        .unwrap();
        assert_eq!(p.to, Status::Withdrawn);
        assert_eq!(p.paused_since, None);
        assert!(!p.identity_pending);
        assert_eq!(p.deadline.paused_days, 2);
    }
}
