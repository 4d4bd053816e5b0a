//! The accountability report (GDPR art. 5(2): the controller must be able to show it complies;
//! art. 30: records of processing; the controller's audit right under art. 28(3)(h)): figures
//! over the requests received in a period. Pure: the caller loads the rows.
//!
//! Definitions (README, "Accountability report"):
//! - A request is *answered* when it was completed or refused; a withdrawn one is not answered
//!   and counts in neither on time nor late. Its answer day is the day it closed (Amsterdam).
//! - *On time (legal)*: answered no later than the legal date, or the extended date when the
//!   period was extended (art. 12(3)). *On time (promised)*: no later than the promised date.
//! - *Days to answer*: calendar days from the day of receipt to the answer day; the median of
//!   an even number of answers is the mean of the middle two.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{RequestKind, Status};

/// What the report needs of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub reference: String,
    pub kind: RequestKind,
    pub status: Status,
    pub received_on: NaiveDate,
    pub legal_due: NaiveDate,
    pub promised_due: NaiveDate,
    pub extended_due: Option<NaiveDate>,
    pub extension_months: Option<i32>,
    pub extension_reason: Option<String>,
    /// The day it closed (completed, refused, withdrawn), in Europe/Amsterdam.
    pub closed_on: Option<NaiveDate>,
    pub refusal_ground: Option<String>,
}

/// Requests of one kind, by how they ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub total: u64,
    pub completed: u64,
    pub refused: u64,
    pub withdrawn: u64,
    pub open: u64,
}

/// Answered on time or late against one date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeliness {
    pub on_time: u64,
    pub late: u64,
}

/// An extension and its reason (art. 12(3): the subject is told the reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub reference: String,
    pub months: Option<i32>,
    pub reason: Option<String>,
}

/// Access grants in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrantCounts {
    pub given: u64,
    pub used: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Requests received in the period.
    pub received: u64,
    /// Per kind (`access`, `erasure`, …).
    pub by_kind: BTreeMap<String, KindCounts>,
    /// Completed or refused.
    pub answered: u64,
    /// Against the legal (or extended) date.
    pub legal: Timeliness,
    /// Against the promised date.
    pub promised: Timeliness,
    /// Median days from receipt to answer (None when nothing was answered).
    pub median_days_to_answer: Option<f64>,
    /// The longest it took.
    pub worst_days_to_answer: Option<i64>,
    pub extensions: Vec<Extension>,
    /// Refusals per ground.
    pub refusals_by_ground: BTreeMap<String, u64>,
    pub grants: GrantCounts,
}

/// Computes the report over the requests received in the period.
pub fn compute(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    requests: &[ReportRequest],
    grants: GrantCounts,
) -> Report {
    let mut r = Report {
        from,
        to,
        grants,
        ..Report::default()
    };
    let mut days: Vec<i64> = Vec::new();
    for q in requests {
        r.received += 1;
        let k = r.by_kind.entry(q.kind.as_str().to_owned()).or_default();
        k.total += 1;
        match q.status {
            Status::Completed => k.completed += 1,
            Status::Refused => k.refused += 1,
            Status::Withdrawn => k.withdrawn += 1,
            _ => k.open += 1,
        }
        if q.extended_due.is_some() || q.extension_months.is_some() {
            r.extensions.push(Extension {
                reference: q.reference.clone(),
                months: q.extension_months,
                reason: q.extension_reason.clone(),
            });
        }
        if q.status == Status::Refused {
            *r.refusals_by_ground
                .entry(
                    q.refusal_ground
                        .clone()
                        .unwrap_or_else(|| "other".to_owned()),
                )
                .or_default() += 1;
        }
        let answered = matches!(q.status, Status::Completed | Status::Refused);
        let Some(closed) = q.closed_on.filter(|_| answered) else {
            continue;
        };
        r.answered += 1;
        let legal = q.extended_due.unwrap_or(q.legal_due);
        if closed <= legal {
            r.legal.on_time += 1;
        } else {
            r.legal.late += 1;
        }
        if closed <= q.promised_due {
            r.promised.on_time += 1;
        } else {
            r.promised.late += 1;
        }
        days.push((closed - q.received_on).num_days());
    }
    days.sort_unstable();
    r.worst_days_to_answer = days.last().copied();
    r.median_days_to_answer = median(&days);
    r
}

fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // days: far below 2^52
    let at = |i: usize| sorted[i] as f64;
    Some(if n % 2 == 1 {
        at(n / 2)
    } else {
        (at(n / 2 - 1) + at(n / 2)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn req(kind: RequestKind, status: Status, closed: Option<u32>) -> ReportRequest {
        ReportRequest {
            reference: format!("DSR-2026-{:06}", closed.unwrap_or(0)),
            kind,
            status,
            received_on: d(1),
            legal_due: d(20),
            promised_due: d(10),
            extended_due: None,
            extension_months: None,
            extension_reason: None,
            closed_on: closed.map(d),
            refusal_ground: None,
        }
    }

    #[test]
    fn counts_timeliness_median_and_grounds() {
        let mut late_but_extended = req(RequestKind::Access, Status::Completed, Some(25));
        late_but_extended.extended_due = Some(d(30));
        late_but_extended.extension_months = Some(1);
        late_but_extended.extension_reason = Some("many systems".into());
        let mut refused = req(RequestKind::Erasure, Status::Refused, Some(5));
        refused.refusal_ground = Some("excessive".into());
        let rows = vec![
            req(RequestKind::Access, Status::Completed, Some(9)), // 8 days, on time both
            req(RequestKind::Access, Status::Completed, Some(22)), // 21 days, late both
            late_but_extended,                                    // 24 days, legal on time
            refused,                                              // 4 days
            req(RequestKind::Erasure, Status::Withdrawn, Some(3)), // not answered
            req(RequestKind::Access, Status::InProgress, None),   // open
        ];
        let r = compute(
            Some(d(1)),
            Some(d(31)),
            &rows,
            GrantCounts { given: 2, used: 1 },
        );
        assert_eq!(r.received, 6);
        assert_eq!(r.by_kind["access"].total, 4);
        assert_eq!(r.by_kind["access"].completed, 3);
        assert_eq!(r.by_kind["access"].open, 1);
        assert_eq!(r.by_kind["erasure"].refused, 1);
        assert_eq!(r.by_kind["erasure"].withdrawn, 1);
        assert_eq!(r.answered, 4);
        assert_eq!(
            r.legal,
            Timeliness {
                on_time: 3,
                late: 1
            }
        );
        assert_eq!(
            r.promised,
            Timeliness {
                on_time: 2,
                late: 2
            }
        );
        // 4, 8, 21, 24 → (8 + 21) / 2
        assert_eq!(r.median_days_to_answer, Some(14.5));
        assert_eq!(r.worst_days_to_answer, Some(24));
        assert_eq!(r.extensions.len(), 1);
        assert_eq!(r.extensions[0].reason.as_deref(), Some("many systems"));
        assert_eq!(r.refusals_by_ground["excessive"], 1);
        assert_eq!(r.grants.used, 1);
    }

    #[test]
    fn nothing_answered_has_no_median() {
        let r = compute(None, None, &[], GrantCounts::default());
        assert_eq!(r.median_days_to_answer, None);
        assert_eq!(r.worst_days_to_answer, None);
    }
}
