//! The deadline calendar: when the answer to a data-subject request is due, and when to remind.
//!
//! This module owns the Dutch working-day calendar (public holidays, configured bridge days), the
//! arithmetic of the legal, promised and extended deadlines, the pause for identity questions, the
//! one-time extension and the reminder stages. It is pure: no I/O, no clock reads, no diesel or
//! actix. Callers pass `today` (a Europe/Amsterdam date, see [`amsterdam_date`]) where time matters.
//!
//! Legal sources:
//! - GDPR art. 12(3): answer without undue delay and in any event within one month of receipt; the
//!   period may be extended by two further months, and the subject must be told within the first
//!   month, with reasons.
//! - Regulation (EEC, Euratom) 1182/71 (periods, dates and time limits), art. 3: the day of the
//!   event is not counted (art. 3(1)); a period in months ends on the same date of the last month,
//!   or on that month's last day if the date does not exist (art. 3(2)(c)); a period that would end
//!   on a Saturday, Sunday or public holiday ends at the end of the next working day (art. 3(4)).
//!   Art. 2(1) makes the public holidays those of the Member State where action is taken.
//! - Algemene termijnenwet art. 3(1): the algemeen erkende feestdagen (Nieuwjaarsdag, Tweede
//!   Paasdag, Hemelvaartsdag, Tweede Pinksterdag, both Kerstdagen, Koningsdag, 5 mei). Art. 3(2)
//!   equates Good Friday and art. 3(3) lets a decree equate more days (bridge days), both only "for
//!   the application of this act", which governs periods set in Dutch statutes, not GDPR periods.
//!
//! The early reading: a tool people rely on must never show a date later than the law may allow,
//! so legal and extended dates roll past weekends and the art. 3(1) days only
//! ([`Calendar::roll_period_end`]), never past Good Friday or a configured bridge day. The office is
//! closed on those days all the same: reminders and working-day counts ([`Calendar::is_working_day`],
//! [`Calendar::roll`]) treat them as non-working.
//! - EDPB Guidelines 01/2022 on the right of access, §§157-164 (timing): the clock runs from receipt
//!   by the controller *or its processor*; it is suspended while the controller waits for identity
//!   information it asked for without undue delay.
//!
//! All dates are Europe/Amsterdam calendar dates ([`NaiveDate`]). The supported range for received
//! dates is the years in [`SUPPORTED_YEARS`]; [`Deadline::compute`] rejects anything else, and every
//! other function saturates at chrono's limits instead of panicking.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Europe::Amsterdam;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Years a received date may fall in. Outside them the holiday rules (King's Day since 2014, the
/// Gregorian computus since 1583) say nothing useful, so [`Deadline::compute`] refuses them.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 1900..=9999;

/// The longest total pause [`Deadline::compute`] accepts: ten years, far beyond any real identity
/// question (a request that long unanswered is refused under art. 11(2)/12(6)). It bounds the
/// arithmetic so the dates stay representable.
pub const MAX_PAUSED_DAYS: u32 = 3653;

/// The processor's promise ("binnen vier weken"): four weeks, not rolled to a working day.
pub const PROMISED_DAYS: u64 = 28;

/// A pause counts only if identity information was asked within this many working days after the
/// request arrived (see [`pause_counts`]).
pub const PAUSE_ASK_WITHIN_WORKING_DAYS: u32 = 5;

/// The label [`Calendar::holiday_name`] gives a configured bridge day.
pub const BRIDGE_DAY: &str = "brugdag";

/// 23:59:59, the wall-clock time that [`end_of_day`] treats as the end of a day.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

// Saturating date steps: chrono returns `None` beyond its range (about ±262,000 years); we never
// panic on an input date, and inside the supported range these never saturate.
fn plus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX)
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(NaiveDate::MAX)
}

/// The same day `months` months later, clamped to that month's last day (31 Jan + 1 → 28/29 Feb).
///
/// Reg. 1182/71 art. 3(2)(c): a period in months ends on the day with the same date as the day it
/// started from; if that date does not exist in the last month, on that month's last day. Saturates
/// at [`NaiveDate::MAX`] beyond chrono's range.
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Easter Sunday of `year` by the Gregorian computus (the anonymous algorithm, as given by Meeus).
///
/// `None` only for years chrono cannot represent. Euclidean division keeps it well defined for
/// every year of the proleptic Gregorian calendar.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    // month is 3 or 4 and day 1..=31 by construction; the conversions cannot fail.
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether `d` is a Saturday, Sunday or one of the algemeen erkende feestdagen of Atw art. 3(1):
/// the days that move the end of a GDPR period under Reg. 1182/71 art. 3(4) on the early reading
/// (not Good Friday, art. 3(2), nor bridge days, art. 3(3)).
pub fn moves_period_end(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        || public_holiday(d).is_some_and(|name| name != GOOD_FRIDAY)
}

/// The name [`Calendar::holiday_name`] gives Good Friday (Atw art. 3(2): equated to a feestdag only
/// for the Atw itself, so it does not move a GDPR date; the office is closed all the same).
pub const GOOD_FRIDAY: &str = "Goede Vrijdag";

/// The Dutch public holiday (Algemene termijnenwet art. 3(1), plus Good Friday of art. 3(2)) on
/// `d`, if any; bridge days excluded.
fn public_holiday(d: NaiveDate) -> Option<&'static str> {
    // Fixed dates first, in the same order as `Calendar::holidays` lists them.
    match (d.month(), d.day(), d.weekday()) {
        (1, 1, _) => return Some("Nieuwjaarsdag"),
        // Koningsdag: 27 April, or Saturday 26 April when the 27th is a Sunday.
        (4, 27, wd) if wd != Weekday::Sun => return Some("Koningsdag"),
        (4, 26, Weekday::Sat) => return Some("Koningsdag"),
        // Bevrijdingsdag counts every year under the Atw, not only every fifth year.
        (5, 5, _) => return Some("Bevrijdingsdag"),
        (12, 25, _) => return Some("Eerste Kerstdag"),
        (12, 26, _) => return Some("Tweede Kerstdag"),
        _ => {}
    }
    let easter = easter_sunday(d.year())?;
    match d.signed_duration_since(easter).num_days() {
        // Good Friday is not in Atw art. 3(1): a non-working day for the office (reminders),
        // but it does not move a legal or extended date (see `moves_period_end`).
        -2 => Some(GOOD_FRIDAY),
        1 => Some("Tweede Paasdag"),
        39 => Some("Hemelvaartsdag"),
        50 => Some("Tweede Pinksterdag"),
        _ => None,
    }
}

/// The Dutch working-day calendar: weekends, public holidays and configured bridge days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    bridge_days: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The statutory calendar, without bridge days.
    pub fn dutch() -> Self {
        Self::default()
    }

    /// The statutory calendar plus bridge days declared equal to holidays by decree (Atw art. 3(3)),
    /// e.g. 2026-01-02 and 2026-05-15.
    pub fn with_bridge_days(days: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            bridge_days: days.into_iter().collect(),
        }
    }

    /// The configured bridge days, in date order.
    pub fn bridge_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.bridge_days.iter().copied()
    }

    /// The public holidays of `year` with their Dutch names, in date order; bridge days excluded.
    ///
    /// A date can appear twice: when Ascension Day falls on 5 May (e.g. 2016) both names are listed.
    /// Empty for years chrono cannot represent.
    pub fn holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
        let fixed = |m, d, name| NaiveDate::from_ymd_opt(year, m, d).map(|date| (date, name));
        let kings_day = NaiveDate::from_ymd_opt(year, 4, 27).and_then(|d| {
            if d.weekday() == Weekday::Sun {
                d.pred_opt()
            } else {
                Some(d)
            }
        });
        let easter = easter_sunday(year);
        let from_easter = |offset: i64, name| {
            let e = easter?;
            let d = if offset < 0 {
                e.checked_sub_days(Days::new(offset.unsigned_abs()))
            } else {
                e.checked_add_days(Days::new(offset.unsigned_abs()))
            };
            d.map(|date| (date, name))
        };
        let mut list: Vec<_> = [
            fixed(1, 1, "Nieuwjaarsdag"),
            kings_day.map(|d| (d, "Koningsdag")),
            fixed(5, 5, "Bevrijdingsdag"),
            fixed(12, 25, "Eerste Kerstdag"),
            fixed(12, 26, "Tweede Kerstdag"),
            from_easter(-2, GOOD_FRIDAY),
            from_easter(1, "Tweede Paasdag"),
            from_easter(39, "Hemelvaartsdag"),
            from_easter(50, "Tweede Pinksterdag"),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Stable sort: on a shared date the fixed holiday stays first, as in `holiday_name`.
        list.sort_by_key(|(d, _)| *d);
        list
    }

    /// The Dutch name of the holiday on `d`, or [`BRIDGE_DAY`] for a configured bridge day.
    /// Weekends have no name (they are not holidays, only non-working days).
    pub fn holiday_name(&self, d: NaiveDate) -> Option<&'static str> {
        public_holiday(d).or_else(|| self.bridge_days.contains(&d).then_some(BRIDGE_DAY))
    }

    /// Whether `d` is a working day: not a Saturday, Sunday, public holiday or bridge day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && self.holiday_name(d).is_none()
    }

    /// `d` itself if it is a working day of the office, else the next one (Good Friday and
    /// bridge days count as closed). For a legal or extended date use [`Self::roll_period_end`].
    pub fn roll(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        while !self.is_working_day(d) {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        d
    }

    /// `d` itself if a GDPR period may end on it, else the next such day: the early reading of
    /// Reg. 1182/71 art. 3(4) with the Atw art. 3(1) holidays only (see [`moves_period_end`]).
    /// Good Friday and configured bridge days do not move the date; [`Self::roll`] does, for the
    /// office's own planning.
    pub fn roll_period_end(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        while moves_period_end(d) {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        d
    }

    /// The `n`th working day before `d` (`d` itself is not counted, and need not be a working day);
    /// `d` for `n == 0`. Saturates at [`NaiveDate::MIN`].
    pub fn working_days_before(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut d = d;
        let mut left = n;
        while left > 0 {
            match d.pred_opt() {
                Some(prev) => d = prev,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The `n`th working day after `d` (`d` itself is not counted); `d` for `n == 0`. Saturates at
    /// [`NaiveDate::MAX`].
    pub fn working_days_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut d = d;
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The number of working days in the half-open range `[from, to)`, negated when `to < from`.
    ///
    /// So `working_days_between(cal.working_days_before(t, n), t) == n`, and "today is two working
    /// days before the target" reads `working_days_between(today, target) == 2` on a working day.
    /// Runs in time proportional to the number of years spanned, not days.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let span = to.signed_duration_since(from).num_days();
        // Monday to Friday in [from, to): whole weeks have five, then walk the remainder.
        let mut weekdays = span.div_euclid(7) * 5;
        let mut d = plus_days(from, u64::try_from(span - span.rem_euclid(7)).unwrap_or(0));
        while d < to {
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                weekdays += 1;
            }
            d = next_day(d);
        }
        // Minus the distinct weekday holidays and bridge days in range (a set, because 5 May can
        // also be Ascension Day).
        let in_range = |d: &NaiveDate| {
            (from..to).contains(d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        };
        let mut off: BTreeSet<NaiveDate> = (from.year()..=to.year())
            .flat_map(Self::holidays)
            .map(|(d, _)| d)
            .filter(in_range)
            .collect();
        off.extend(self.bridge_days.range(from..to).copied().filter(in_range));
        weekdays - i64::try_from(off.len()).unwrap_or(i64::MAX)
    }
}

/// An extension of the answer period by one or two further months (GDPR art. 12(3)).
///
/// Serialised as the number `1` or `2`; built from a number only through [`TryFrom<i64>`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum ExtensionMonths {
    One,
    Two,
}

impl ExtensionMonths {
    /// The number of months: 1 or 2.
    pub fn months(self) -> u32 {
        match self {
            Self::One => 1,
            Self::Two => 2,
        }
    }
}

impl TryFrom<i64> for ExtensionMonths {
    type Error = ExtensionError;

    fn try_from(months: i64) -> Result<Self, Self::Error> {
        match months {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            other => Err(ExtensionError::InvalidMonths(other)),
        }
    }
}

impl From<ExtensionMonths> for i64 {
    fn from(m: ExtensionMonths) -> Self {
        i64::from(m.months())
    }
}

/// Why a deadline cannot be computed for these inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("the received date {received} is outside the supported years 1900 to 9999")]
    ReceivedOutOfRange { received: NaiveDate },
    #[error("a pause of {paused_days} days is longer than the supported {MAX_PAUSED_DAYS} days")]
    PauseTooLong { paused_days: u32 },
}

/// Why an extension is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// GDPR art. 12(3) allows one extension of at most two months in total.
    #[error("the deadline has already been extended once")]
    AlreadyExtended,
    /// GDPR art. 12(3): the subject must be told of an extension within one month of receipt,
    /// paused days not counted.
    #[error(
        "an extension had to be announced by {notice_due}, one month after receipt (GDPR art. 12(3))"
    )]
    TooLate { notice_due: NaiveDate },
    #[error("an extension is 1 or 2 months, not {0}")]
    InvalidMonths(i64),
    /// Only for a [`Deadline`] built by hand from out-of-range values.
    #[error(transparent)]
    OutOfRange(#[from] DeadlineError),
}

/// The deadlines of one request. Build it with [`Deadline::compute`]; the fields are public for
/// reading and storing, and every date is derived from `received`, `paused_days` and `extension`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// d0: the day the request first reached the processor or the controller (EDPB 07/2020
    /// §§127-129: forwarding does not restart the clock).
    pub received: NaiveDate,
    /// Days the clock stood still for identity questions, summed over all pauses that count.
    pub paused_days: u32,
    pub extension: Option<ExtensionMonths>,
    /// roll_period_end(add_months(d0, 1) + paused): GDPR art. 12(3), Reg. 1182/71 art. 3.
    pub legal: NaiveDate,
    /// d0 + 28 days + paused, not rolled: the processor's own, earlier promise.
    pub promised: NaiveDate,
    /// roll_period_end(add_months(d0, 1 + m) + paused) when extended by m months.
    pub extended: Option<NaiveDate>,
}

impl Deadline {
    /// The deadlines for a request received on `received` (a Europe/Amsterdam date), paused for
    /// `paused_days` in total, and extended or not.
    ///
    /// Rejects a received date outside [`SUPPORTED_YEARS`] and a pause over [`MAX_PAUSED_DAYS`].
    pub fn compute(
        cal: &Calendar,
        received: NaiveDate,
        paused_days: u32,
        extension: Option<ExtensionMonths>,
    ) -> Result<Self, DeadlineError> {
        if !SUPPORTED_YEARS.contains(&received.year()) {
            return Err(DeadlineError::ReceivedOutOfRange { received });
        }
        if paused_days > MAX_PAUSED_DAYS {
            return Err(DeadlineError::PauseTooLong { paused_days });
        }
        let paused = u64::from(paused_days);
        // The pause is added before rolling: the period is suspended, not restarted (EDPB
        // 01/2022 §§157-164), and only the day it finally ends on is rolled, on the early
        // reading (weekends and Atw art. 3(1) days only; Reg. 1182/71 art. 3(4)).
        let period_end =
            |months| cal.roll_period_end(plus_days(add_months(received, months), paused));
        Ok(Self {
            received,
            paused_days,
            extension,
            legal: period_end(1),
            promised: plus_days(received, PROMISED_DAYS + paused),
            extended: extension.map(|m| period_end(1 + m.months())),
        })
    }

    /// The same request with `days` more paused days (a later pause adds to earlier ones).
    pub fn add_pause(&self, cal: &Calendar, days: u32) -> Result<Self, DeadlineError> {
        let total = self.paused_days.saturating_add(days);
        Self::compute(cal, self.received, total, self.extension)
    }

    /// The day the answer is due: the extended deadline if extended, else the earlier of the
    /// promised and the legal one (the promise is the earlier whenever both run from the same d0).
    pub fn target(&self) -> NaiveDate {
        self.extended.unwrap_or(self.promised.min(self.legal))
    }

    /// The end of the target day in Europe/Amsterdam (23:59:59 local time), see [`end_of_day`].
    pub fn due_at(&self) -> DateTime<Utc> {
        end_of_day(self.target())
    }

    /// The last day the subject can be told of an extension: one month after receipt
    /// (`add_months(d0, 1)`), paused days not counted and not rolled. GDPR art. 12(3): "within
    /// one month of receipt of the request"; a pause for identity information suspends the
    /// answer period, not this notice period, so the earliest reading is taken.
    pub fn extension_notice_due(&self) -> NaiveDate {
        add_months(self.received, 1)
    }

    /// The notice date while an extension is still possible on `today` (not extended yet and
    /// the notice period not over), for the deadline block and reminders.
    pub fn extension_possible_until(&self, today: NaiveDate) -> Option<NaiveDate> {
        let due = self.extension_notice_due();
        (self.extension.is_none() && today <= due).then_some(due)
    }

    /// Extend once, by one or two months, on `today`.
    ///
    /// GDPR art. 12(3): one extension of at most two further months, of which the subject is
    /// told within one month of receipt; so it is refused once `today` is after
    /// [`Self::extension_notice_due`] (on that day itself it is still allowed), paused days not
    /// counted, or when the request was already extended.
    pub fn extend(
        &self,
        cal: &Calendar,
        months: ExtensionMonths,
        today: NaiveDate,
    ) -> Result<Self, ExtensionError> {
        if self.extension.is_some() {
            return Err(ExtensionError::AlreadyExtended);
        }
        let notice_due = self.extension_notice_due();
        if today > notice_due {
            return Err(ExtensionError::TooLate { notice_due });
        }
        Ok(Self::compute(
            cal,
            self.received,
            self.paused_days,
            Some(months),
        )?)
    }

    /// Whether the target day is over on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        today > self.target()
    }
}

/// Whether a request is overdue at `now` (the one rule; GDPR art. 12(3)): it is still open,
/// its clock runs (not paused while identity information or the e-mail confirmation is
/// awaited), and its due moment (`due_at`, UTC: [`end_of_day`] of the target) has passed.
/// The queue's flag uses it directly; the store's overdue queries (queue filter, deadline
/// overview and counts) are built from the same three conditions (`store::requests::overdue`)
/// and a test holds the two equal.
pub fn is_overdue(open: bool, paused: bool, due_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    open && !paused && due_at < now
}

/// The end of `date` in Europe/Amsterdam as an instant: 23:59:59 local time.
///
/// Whole seconds, so it prints cleanly as RFC 3339 and stores the same in SQLite and PostgreSQL.
/// The last fraction of a second is not lost in practice: overdue is decided on dates
/// ([`Deadline::is_overdue`] with [`amsterdam_date`]), not by comparing instants. chrono-tz applies
/// the offset in force that evening, so DST (CET +01:00, CEST +02:00) is handled; 23:59:59 never
/// falls in an Amsterdam transition (they happen at 02:00 and 03:00).
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(END_OF_DAY);
    match Amsterdam.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        // A repeated hour: the later instant is the real end of the wall-clock day.
        LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
        // A skipped hour cannot happen at 23:59:59 in Amsterdam, and otherwise only at chrono's
        // limits: use the offset in force at that moment read as UTC, saturating.
        LocalResult::None => {
            let offset = Amsterdam.offset_from_utc_datetime(&local).fix();
            let utc = local
                .checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))
                .unwrap_or(local);
            Utc.from_utc_datetime(&utc)
        }
    }
}

/// The Europe/Amsterdam calendar date of an instant: what "today" is for the deadline rules.
///
/// Never panics, unlike `with_timezone(..).date_naive()` at chrono's upper limit (it saturates to
/// the UTC date there).
pub fn amsterdam_date(instant: DateTime<Utc>) -> NaiveDate {
    let utc: NaiveDateTime = instant.naive_utc();
    let offset = Amsterdam.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset)
        .map_or(utc.date(), |local| local.date())
}

/// Whether a pause for identity information asked on `asked_on` stops the clock.
///
/// EDPB 01/2022 §§157-164 (and GDPR art. 12(2), 12(6)): the controller must ask for what it needs to
/// confirm identity without undue delay; a late question does not buy extra time. Our rule: the
/// question must be asked on or after `since` and no later than the
/// [`PAUSE_ASK_WITHIN_WORKING_DAYS`]th (5th) working day after it, one working week, counted on the
/// calendar so holidays do not eat into it. `since` is d0 for the first question; for a follow-up
/// question (the answer was not enough) pass the day the previous answer arrived, since the
/// controller can only react to what it got.
pub fn pause_counts(cal: &Calendar, since: NaiveDate, asked_on: NaiveDate) -> bool {
    asked_on >= since && asked_on <= cal.working_days_after(since, PAUSE_ASK_WITHIN_WORKING_DAYS)
}

/// Days the clock stood still: from the day identity information was asked to the day it arrived
/// (`arrived_on - asked_on`); 0 when it arrived the same day or the dates are reversed.
pub fn paused_days(asked_on: NaiveDate, arrived_on: NaiveDate) -> u32 {
    let days = arrived_on.signed_duration_since(asked_on).num_days().max(0);
    u32::try_from(days).unwrap_or(u32::MAX)
}

/// A reminder about an approaching or missed target, sent at most once per request and target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReminderStage {
    /// Seven working days before the target.
    #[serde(rename = "7_working_days")]
    SevenWorkingDays,
    /// Two working days before the target.
    #[serde(rename = "2_working_days")]
    TwoWorkingDays,
    /// On the target day.
    #[serde(rename = "due_today")]
    DueToday,
    /// From the day after the target day.
    #[serde(rename = "overdue")]
    Overdue,
}

impl ReminderStage {
    /// Every stage, earliest first (the order of `Ord`).
    pub const ALL: [Self; 4] = [
        Self::SevenWorkingDays,
        Self::TwoWorkingDays,
        Self::DueToday,
        Self::Overdue,
    ];

    /// The stored name: `7_working_days`, `2_working_days`, `due_today`, `overdue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SevenWorkingDays => "7_working_days",
            Self::TwoWorkingDays => "2_working_days",
            Self::DueToday => "due_today",
            Self::Overdue => "overdue",
        }
    }

    /// The first day this stage is reached for `target`.
    pub fn from_day(self, cal: &Calendar, target: NaiveDate) -> NaiveDate {
        match self {
            Self::SevenWorkingDays => cal.working_days_before(target, 7),
            Self::TwoWorkingDays => cal.working_days_before(target, 2),
            Self::DueToday => target,
            Self::Overdue => next_day(target),
        }
    }
}

impl fmt::Display for ReminderStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored reminder stage name that is not one of [`ReminderStage::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reminder stage {0:?}")]
pub struct UnknownReminderStage(pub String);

impl FromStr for ReminderStage {
    type Err = UnknownReminderStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or_else(|| UnknownReminderStage(s.to_owned()))
    }
}

/// Every stage reached on `today` for `target`, earliest first (empty before the seven-working-day
/// mark). A stage stays reached once reached, so a sweep that missed days still sees it; to decide
/// what to send, use [`plan_reminders`].
pub fn reminder_stages_due(
    cal: &Calendar,
    target: NaiveDate,
    today: NaiveDate,
) -> Vec<ReminderStage> {
    ReminderStage::ALL
        .into_iter()
        .filter(|stage| stage.from_day(cal, target) <= today)
        .collect()
}

/// What one reminder sweep does for one request: send at most one mail, record the rest as skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderPlan {
    /// The one stage to send and record as sent, if any.
    pub send: Option<ReminderStage>,
    /// Reached stages to record as skipped without a mail, earliest first.
    pub skip: Vec<ReminderStage>,
}

/// The reminder rule: of the stages reached on `today` and not yet in `recorded`, send only the
/// latest, and only if no later stage was recorded already; record every other one as skipped.
///
/// So a sweep that missed days sends one up-to-date mail ("overdue") instead of a burst of stale
/// ones, a stage is never sent after a later one, and after the caller records the plan the next
/// sweep on the same day plans nothing (idempotent). `recorded` must hold the stages recorded (sent
/// or skipped) for this `target`: when a pause or an extension moves the target, the stages of the
/// old target no longer apply, so key the records by target date (or clear them).
pub fn plan_reminders(
    cal: &Calendar,
    target: NaiveDate,
    today: NaiveDate,
    recorded: &[ReminderStage],
) -> ReminderPlan {
    let latest_recorded = recorded.iter().max().copied();
    let mut open: Vec<ReminderStage> = reminder_stages_due(cal, target, today)
        .into_iter()
        .filter(|stage| !recorded.contains(stage))
        .collect();
    let send = match (open.last().copied(), latest_recorded) {
        (Some(last), Some(done)) if last < done => None,
        (last, _) => last,
    };
    if send.is_some() {
        open.pop();
    }
    ReminderPlan { send, skip: open }
}

/// A look-ahead such as `--within 7d` or `?within=2w`: a number of days (`Nd`) or weeks (`Nw`), at
/// most [`Within::MAX_DAYS`] days in all. Built only by parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Within {
    days: u32,
}

impl Within {
    /// The longest look-ahead: a leap year.
    pub const MAX_DAYS: u32 = 366;

    /// The look-ahead in days.
    pub fn days(self) -> u32 {
        self.days
    }

    /// The last day inside the look-ahead from `today` (inclusive): `today + days`.
    pub fn last_day(self, today: NaiveDate) -> NaiveDate {
        plus_days(today, u64::from(self.days))
    }
}

/// Why a look-ahead such as `7d` did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithinError {
    #[error("expected a number of days or weeks such as 7d or 2w, not {0:?}")]
    Malformed(String),
    #[error("a look-ahead is at most {max} days, not {0}", max = Within::MAX_DAYS)]
    TooLong(String),
}

impl FromStr for Within {
    type Err = WithinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || WithinError::Malformed(s.to_owned());
        let trimmed = s.trim();
        let (number, per_unit) = if let Some(n) = trimmed.strip_suffix(['d', 'D']) {
            (n, 1)
        } else if let Some(n) = trimmed.strip_suffix(['w', 'W']) {
            (n, 7)
        } else {
            return Err(malformed());
        };
        // Digits only: no sign, no fraction, no inner spaces.
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let too_long = || WithinError::TooLong(trimmed.to_owned());
        let days = number
            .parse::<u32>()
            .ok()
            .and_then(|n| n.checked_mul(per_unit))
            .ok_or_else(too_long)?;
        if days > Self::MAX_DAYS {
            return Err(too_long());
        }
        Ok(Self { days })
    }
}

impl TryFrom<String> for Within {
    type Error = WithinError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}d", self.days)
    }
}

impl From<Within> for String {
    fn from(w: Within) -> Self {
        w.to_string()
    }
}
