//! The console's overview (what a privacy officer shows management): the accountability
//! report's figures over a period (on time against the legal and the promised date, median
//! days to answer, refusals by ground: [`super::report`], the same definitions) and the series
//! behind its charts: requests received per week by kind, and open requests by the week they
//! are due. Pure: the caller loads the rows and passes `today`.
//!
//! Weeks are ISO weeks (Monday to Sunday) of the Amsterdam day of receipt or the target day.

use chrono::{Datelike, Duration, NaiveDate};

use super::RequestKind;
use super::report::{GrantCounts, Report, ReportRequest, compute as report};

/// The longest period the overview covers at once (a year and a day: the charts stay readable).
pub const MAX_PERIOD_DAYS: i64 = 366;

/// How many weeks ahead the open requests are shown one by one; later ones share a bar.
pub const DUE_WEEKS_AHEAD: i64 = 12;

/// A period of days of receipt, both ends included, `from <= to`, at most
/// [`MAX_PERIOD_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

/// Why a period cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the start is after the end")]
    Reversed,
    #[error("a period is at most 366 days")]
    TooLong,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// The default: the twelve weeks up to `today` (this week and the eleven before it).
    pub fn last_weeks(today: NaiveDate) -> Self {
        Self {
            from: week_of(today) - Duration::weeks(11),
            to: today,
        }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }
}

/// The Monday of `day`'s ISO week.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Requests received in one week, per kind in [`RequestKind::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekCounts {
    /// The week's Monday.
    pub week: NaiveDate,
    pub by_kind: [u64; 7],
}

impl WeekCounts {
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }
}

/// Which bar of the open requests a week is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueBucket {
    /// Due in a week before this one: overdue (or paused past its date).
    Earlier,
    /// Due in the week starting on this Monday (this week or one of the next ones).
    Week(NaiveDate),
    /// Due more than [`DUE_WEEKS_AHEAD`] weeks ahead.
    Later,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCount {
    pub bucket: DueBucket,
    pub open: u64,
}

/// Everything the overview page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub period: Period,
    /// The report over the requests received in the period (same definitions).
    pub report: Report,
    /// Every week of the period, empty ones too, oldest first.
    pub weeks: Vec<WeekCounts>,
    /// Open requests now, by due week: earlier weeks, this week and the next ones, later.
    pub open_by_due_week: Vec<DueCount>,
    pub open_total: u64,
}

/// Computes the overview: `requests` are those received in the period (the caller filters),
/// `open_targets` the target days of the requests open now (any day of receipt), each with
/// how many are due that day.
pub fn compute(
    period: Period,
    today: NaiveDate,
    requests: &[ReportRequest],
    open_targets: &[(NaiveDate, u64)],
) -> Overview {
    let report = report(
        Some(period.from),
        Some(period.to),
        requests,
        GrantCounts::default(),
    );
    let first = week_of(period.from);
    let last = week_of(period.to);
    let mut weeks = Vec::new();
    let mut w = first;
    while w <= last {
        weeks.push(WeekCounts {
            week: w,
            by_kind: [0; 7],
        });
        w += Duration::weeks(1);
    }
    for r in requests {
        if r.received_on < period.from || r.received_on > period.to {
            continue;
        }
        let index = usize::try_from((week_of(r.received_on) - first).num_weeks()).ok();
        let kind = RequestKind::ALL.iter().position(|k| *k == r.kind);
        if let (Some(i), Some(k)) = (index, kind)
            && let Some(week) = weeks.get_mut(i)
        {
            week.by_kind[k] += 1;
        }
    }
    let this_week = week_of(today);
    let mut open_by_due_week: Vec<DueCount> = std::iter::once(DueBucket::Earlier)
        .chain((0..=DUE_WEEKS_AHEAD).map(|i| DueBucket::Week(this_week + Duration::weeks(i))))
        .chain(std::iter::once(DueBucket::Later))
        .map(|bucket| DueCount { bucket, open: 0 })
        .collect();
    let mut open_total = 0;
    for (target, n) in open_targets {
        open_total += n;
        let ahead = (week_of(*target) - this_week).num_weeks();
        let index = if ahead < 0 {
            0
        } else if ahead > DUE_WEEKS_AHEAD {
            open_by_due_week.len() - 1
        } else {
            usize::try_from(ahead + 1).unwrap_or(0)
        };
        if let Some(b) = open_by_due_week.get_mut(index) {
            b.open += n;
        }
    }
    Overview {
        period,
        report,
        weeks,
        open_by_due_week,
        open_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn req(kind: RequestKind, received: NaiveDate, status: Status) -> ReportRequest {
        ReportRequest {
            reference: String::new(),
            kind,
            status,
            received_on: received,
            legal_due: received + Duration::days(30),
            promised_due: received + Duration::days(28),
            extended_due: None,
            extension_months: None,
            extension_reason: None,
            closed_on: None,
            refusal_ground: None,
        }
    }

    #[test]
    fn periods_are_checked() {
        assert_eq!(
            Period::new(d(2026, 3, 2), d(2026, 3, 1)),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::new(d(2026, 1, 1), d(2027, 1, 2)),
            Err(PeriodError::TooLong)
        );
        assert!(Period::new(d(2026, 1, 1), d(2027, 1, 1)).is_ok());
        // Wednesday 2026-03-18: from the Monday eleven weeks before this week's.
        let p = Period::last_weeks(d(2026, 3, 18));
        assert_eq!(p.from(), d(2025, 12, 29));
        assert_eq!(p.to(), d(2026, 3, 18));
        assert_eq!(
            week_of(d(2026, 3, 22)),
            d(2026, 3, 16),
            "Sunday ends the week"
        );
    }

    #[test]
    fn weeks_by_kind_include_empty_weeks() {
        let p = Period::new(d(2026, 3, 4), d(2026, 3, 25)).unwrap();
        let rows = vec![
            req(RequestKind::Access, d(2026, 3, 4), Status::Received),
            req(RequestKind::Access, d(2026, 3, 8), Status::Received),
            req(RequestKind::Erasure, d(2026, 3, 9), Status::Received),
            req(RequestKind::Erasure, d(2026, 3, 25), Status::Received),
            // Outside the period: not counted in a week.
            req(RequestKind::Access, d(2026, 3, 1), Status::Received),
        ];
        let o = compute(p, d(2026, 3, 25), &rows, &[]);
        let weeks: Vec<(NaiveDate, u64)> = o.weeks.iter().map(|w| (w.week, w.total())).collect();
        assert_eq!(
            weeks,
            vec![
                (d(2026, 3, 2), 2),
                (d(2026, 3, 9), 1),
                (d(2026, 3, 16), 0),
                (d(2026, 3, 23), 1),
            ]
        );
        let access = RequestKind::ALL
            .iter()
            .position(|k| *k == RequestKind::Access)
            .unwrap();
        assert_eq!(o.weeks[0].by_kind[access], 2);
    }

    #[test]
    fn open_requests_fall_into_due_weeks() {
        let today = d(2026, 3, 18); // a Wednesday; its week starts 2026-03-16
        let p = Period::last_weeks(today);
        let targets = [
            (d(2026, 3, 13), 1), // last week: earlier
            (d(2026, 3, 16), 1), // this week (Monday, already past)
            (d(2026, 3, 22), 1), // this week (Sunday)
            (d(2026, 3, 23), 1), // next week
            (d(2026, 6, 8), 1),  // twelve weeks on: the last single week
            (d(2026, 6, 15), 1), // thirteen weeks on: later
        ];
        let o = compute(p, today, &[], &targets);
        assert_eq!(o.open_total, 6);
        assert_eq!(o.open_by_due_week.len(), 2 + 13);
        assert_eq!(o.open_by_due_week[0].bucket, DueBucket::Earlier);
        assert_eq!(o.open_by_due_week[0].open, 1);
        assert_eq!(
            o.open_by_due_week[1],
            DueCount {
                bucket: DueBucket::Week(d(2026, 3, 16)),
                open: 2
            }
        );
        assert_eq!(o.open_by_due_week[2].open, 1);
        assert_eq!(
            o.open_by_due_week[13].bucket,
            DueBucket::Week(d(2026, 6, 8))
        );
        assert_eq!(o.open_by_due_week[13].open, 1);
        assert_eq!(o.open_by_due_week[14].bucket, DueBucket::Later);
        assert_eq!(o.open_by_due_week[14].open, 1);
    }

    #[test]
    fn the_report_figures_are_the_reports() {
        let p = Period::new(d(2026, 3, 1), d(2026, 3, 31)).unwrap();
        let mut late = req(RequestKind::Access, d(2026, 3, 2), Status::Completed);
        late.closed_on = Some(d(2026, 4, 10));
        let mut quick = req(RequestKind::Access, d(2026, 3, 2), Status::Completed);
        quick.closed_on = Some(d(2026, 3, 6));
        let mut refused = req(RequestKind::Erasure, d(2026, 3, 3), Status::Refused);
        refused.closed_on = Some(d(2026, 3, 5));
        refused.refusal_ground = Some("excessive".into());
        let o = compute(p, d(2026, 4, 20), &[late, quick, refused], &[]);
        assert_eq!(o.report.answered, 3);
        assert_eq!(o.report.legal.on_time, 2);
        assert_eq!(o.report.legal.late, 1);
        assert_eq!(o.report.promised.late, 1);
        assert_eq!(o.report.median_days_to_answer, Some(4.0));
        assert_eq!(o.report.refusals_by_ground["excessive"], 1);
    }
}
