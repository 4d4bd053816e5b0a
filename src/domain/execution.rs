//! Plans that carry out rectification, erasure and restriction (GDPR art. 16-19; processing
//! agreement 3.7, 7.5(ii)-(iii)): which kind of request gets which plan, when a plan may be
//! made, and the plan's content as stored and shown. Pure: no I/O.

use serde::{Deserialize, Serialize};

use super::certificate::TableAction;
use super::{RequestKind, Status};

/// What a plan does (`execution_plans.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// Art. 17.
    Erasure,
    /// Art. 16.
    Rectification,
    /// Art. 18(1).
    Restriction,
    /// Art. 18(3): the restriction is lifted (the subject is told first).
    Lift,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Erasure => "erasure",
            Self::Rectification => "rectification",
            Self::Restriction => "restriction",
            Self::Lift => "lift",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Erasure,
            Self::Rectification,
            Self::Restriction,
            Self::Lift,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Why no plan can be made for a request now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    /// Only rectification, erasure and restriction change a tenant's data.
    #[error("a {0} request has no execution plan: only rectification, erasure and restriction do")]
    KindHasNoPlan(&'static str),
    #[error("the request is {0}: nothing is carried out for a closed request")]
    Closed(&'static str),
    /// GDPR art. 12(6), 11(2): nothing is changed for someone whose identity is not
    /// established (and a wrong person's erasure cannot be undone).
    #[error("the subject's identity is not confirmed (e-mail address or identity information)")]
    IdentityUnconfirmed,
}

impl PlanRefusal {
    /// The error code the API answers with (409).
    pub fn code(&self) -> &'static str {
        match self {
            Self::KindHasNoPlan(_) => "no_plan_for_kind",
            Self::Closed(_) => "request_closed",
            Self::IdentityUnconfirmed => "identity_unconfirmed",
        }
    }
}

/// What the plan body asked for, before it is matched with the request's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAsk {
    /// `{}`
    Plain,
    /// `{"lift": true}`
    Lift,
    /// `{"changes": […]}`
    Changes,
}

/// Why a body does not fit the request's kind: the field it is about and the problem (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyMismatch {
    pub field: &'static str,
    pub problem: &'static str,
}

/// Whether a plan may be made for a request in `status` now, and which kind it is.
pub fn plan_kind(
    kind: RequestKind,
    status: Status,
    identity_pending: bool,
    ask: PlanAsk,
) -> Result<Result<PlanKind, BodyMismatch>, PlanRefusal> {
    let base = match kind {
        RequestKind::Erasure => PlanKind::Erasure,
        RequestKind::Rectification => PlanKind::Rectification,
        RequestKind::Restriction => PlanKind::Restriction,
        other => return Err(PlanRefusal::KindHasNoPlan(other.as_str())),
    };
    if status.is_closed() {
        return Err(PlanRefusal::Closed(status.as_str()));
    }
    if status == Status::AwaitingVerification || identity_pending {
        return Err(PlanRefusal::IdentityUnconfirmed);
    }
    Ok(match (base, ask) {
        (PlanKind::Restriction, PlanAsk::Lift) => Ok(PlanKind::Lift),
        (PlanKind::Rectification, PlanAsk::Changes) => Ok(PlanKind::Rectification),
        (PlanKind::Rectification, _) => Err(BodyMismatch {
            field: "changes",
            problem: "a rectification plan lists the changes: [{system, table, column, value}]",
        }),
        (_, PlanAsk::Lift) => Err(BodyMismatch {
            field: "lift",
            problem: "only a restriction can be lifted",
        }),
        (_, PlanAsk::Changes) => Err(BodyMismatch {
            field: "changes",
            problem: "changes are only for a rectification request",
        }),
        (k, PlanAsk::Plain) => Ok(k),
    })
}

/// One table of a plan, as shown (and as the dry run counted it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedTable {
    pub name: String,
    pub action: TableAction,
    /// The subject's rows the action touches (for `keep`: the rows kept).
    pub rows: u64,
    /// Masked, corrected or flag columns (never values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Why rows are kept (`keep`), as the data map states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One system of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedSystem {
    pub name: String,
    pub tables: Vec<PlannedTable>,
}

/// A recipient of the data the plan changes (art. 19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanRecipient {
    pub name: String,
    /// Where inzage mails it; without one the controller tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl PlanRecipient {
    /// Recipients of the tables the plan changes (not of those it only keeps), once each by
    /// name, in map order; the first address given for a name is used.
    pub fn of<'a>(tables: impl Iterator<Item = (&'a [RecipientRef], bool)>) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        for (recipients, changed) in tables {
            if !changed {
                continue;
            }
            for r in recipients {
                match out.iter_mut().find(|o| o.name == r.name) {
                    Some(o) if o.email.is_none() => o.email.clone_from(&r.email),
                    Some(_) => {}
                    None => out.push(Self {
                        name: r.name.clone(),
                        email: r.email.clone(),
                    }),
                }
            }
        }
        out
    }
}

/// A recipient as the data map names it (kept here so the domain needs no data map types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRef {
    pub name: String,
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_confirmed_rectification_erasure_restriction_get_a_plan() {
        let ok = |k, ask| plan_kind(k, Status::InProgress, false, ask);
        assert_eq!(
            ok(RequestKind::Erasure, PlanAsk::Plain),
            Ok(Ok(PlanKind::Erasure))
        );
        assert_eq!(
            ok(RequestKind::Restriction, PlanAsk::Lift),
            Ok(Ok(PlanKind::Lift))
        );
        assert_eq!(
            ok(RequestKind::Rectification, PlanAsk::Changes),
            Ok(Ok(PlanKind::Rectification))
        );
        assert!(
            matches!(ok(RequestKind::Rectification, PlanAsk::Plain), Ok(Err(m)) if m.field == "changes")
        );
        assert!(matches!(ok(RequestKind::Erasure, PlanAsk::Lift), Ok(Err(m)) if m.field == "lift"));
        assert_eq!(
            ok(RequestKind::Access, PlanAsk::Plain).map_err(|e| e.code()),
            Err("no_plan_for_kind")
        );
        assert_eq!(
            plan_kind(
                RequestKind::Erasure,
                Status::Completed,
                false,
                PlanAsk::Plain
            )
            .map_err(|e| e.code()),
            Err("request_closed")
        );
        assert_eq!(
            plan_kind(RequestKind::Erasure, Status::Received, true, PlanAsk::Plain)
                .map_err(|e| e.code()),
            Err("identity_unconfirmed")
        );
        assert_eq!(
            plan_kind(
                RequestKind::Erasure,
                Status::AwaitingVerification,
                false,
                PlanAsk::Plain
            )
            .map_err(|e| e.code()),
            Err("identity_unconfirmed")
        );
        for k in ["erasure", "rectification", "restriction", "lift"] {
            assert_eq!(PlanKind::parse(k).map(PlanKind::as_str), Some(k));
        }
    }

    #[test]
    fn recipients_of_changed_tables_once_each() {
        let a = [
            RecipientRef {
                name: "Sportbond".into(),
                email: None,
            },
            RecipientRef {
                name: "Bank".into(),
                email: None,
            },
        ];
        let b = [RecipientRef {
            name: "Sportbond".into(),
            email: Some("p@s.example".into()),
        }];
        let kept = [RecipientRef {
            name: "Archief".into(),
            email: None,
        }];
        let r = PlanRecipient::of([(&a[..], true), (&b[..], true), (&kept[..], false)].into_iter());
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].email.as_deref(), Some("p@s.example"));
        assert_eq!(r[1].name, "Bank");
    }
}
