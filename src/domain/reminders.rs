//! When a request's deadline reminders fall due. The stages and the rule of what to send are
//! in [`super::deadline`]; this says when the sweep should next look at a request.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;

use super::deadline::{Calendar, ReminderStage};

/// Reminders go out from 08:00 Europe/Amsterdam on their day (office hours, not midnight).
pub const REMINDER_HOUR: u32 = 8;

/// 08:00 Europe/Amsterdam on `day`, in UTC.
pub fn reminder_moment(day: NaiveDate) -> Option<DateTime<Utc>> {
    let local = day.and_hms_opt(REMINDER_HOUR, 0, 0)?;
    Some(
        Amsterdam
            .from_local_datetime(&local)
            .earliest()?
            .with_timezone(&Utc),
    )
}

/// The moment of the earliest stage not yet recorded for `target`, or None when every stage is.
/// The caller passes None for a paused or closed request: its clock does not run.
pub fn next_reminder_at(
    cal: &Calendar,
    target: NaiveDate,
    recorded: &[ReminderStage],
) -> Option<DateTime<Utc>> {
    ReminderStage::ALL
        .into_iter()
        .filter(|s| !recorded.contains(s))
        .map(|s| s.from_day(cal, target))
        .min()
        .and_then(reminder_moment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_reminder_is_the_earliest_unrecorded_stage_at_eight() {
        let cal = Calendar::dutch();
        // target Tuesday 2026-04-07: 7 working days before skips Good Friday and Easter Monday
        let t = d("2026-04-07");
        let first = next_reminder_at(&cal, t, &[]).unwrap();
        assert_eq!(first, Utc.with_ymd_and_hms(2026, 3, 25, 7, 0, 0).unwrap()); // 08:00 CET
        let after_two = next_reminder_at(
            &cal,
            t,
            &[
                ReminderStage::SevenWorkingDays,
                ReminderStage::TwoWorkingDays,
            ],
        )
        .unwrap();
        assert_eq!(
            after_two,
            Utc.with_ymd_and_hms(2026, 4, 7, 6, 0, 0).unwrap()
        ); // 08:00 CEST
        assert_eq!(next_reminder_at(&cal, t, &ReminderStage::ALL), None);
    }
}
