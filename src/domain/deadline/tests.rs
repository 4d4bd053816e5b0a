use super::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn legal(received: &str) -> NaiveDate {
    Deadline::compute(&Calendar::dutch(), d(received), 0, None)
        .unwrap()
        .legal
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

// ---- worked examples, each checked by hand against the Dutch calendar ----

#[test]
fn easter_sunday_and_monday_roll_the_legal_deadline() {
    // 5 Apr 2026 is Easter Sunday, 6 Apr Easter Monday.
    assert_eq!(legal("2026-03-05"), d("2026-04-07"));
}

#[test]
fn end_of_month_clamps_then_rolls_over_the_weekend() {
    // 31 Jan + 1 month = 28 Feb 2026 (Saturday) → Monday 2 March.
    assert_eq!(legal("2026-01-31"), d("2026-03-02"));
}

#[test]
fn kings_day_rolls_the_legal_deadline() {
    // 26 Apr 2026 is a Sunday, 27 Apr King's Day.
    assert_eq!(legal("2026-03-26"), d("2026-04-28"));
}

#[test]
fn good_friday_does_not_move_the_legal_deadline() {
    // The early reading: Good Friday (Atw art. 3(2)) is no GDPR holiday, so no roll.
    assert_eq!(legal("2026-03-03"), d("2026-04-03"));
    assert_eq!(
        d("2026-04-03"),
        easter_sunday(2026).unwrap() - TimeDelta::days(2)
    );
    assert_eq!(legal("2027-02-26"), d("2027-03-26"));
    assert_eq!(
        d("2027-03-26"),
        easter_sunday(2027).unwrap() - TimeDelta::days(2)
    );
    assert_eq!(legal("2028-03-14"), d("2028-04-14"));
    assert_eq!(
        d("2028-04-14"),
        easter_sunday(2028).unwrap() - TimeDelta::days(2)
    );
    // The office is closed on Good Friday all the same (reminders count it as non-working).
    let cal = Calendar::dutch();
    assert!(!cal.is_working_day(d("2026-04-03")));
    assert_eq!(cal.roll_period_end(d("2026-04-03")), d("2026-04-03"));
    assert_eq!(cal.roll(d("2026-04-03")), d("2026-04-07"));
}

#[test]
fn every_worked_example_of_the_design_holds() {
    for (received, expected) in [
        ("2026-03-05", "2026-04-07"),
        ("2026-01-31", "2026-03-02"),
        ("2026-03-26", "2026-04-28"),
        ("2026-03-03", "2026-04-03"),
        ("2027-02-26", "2027-03-26"),
        ("2028-03-14", "2028-04-14"),
    ] {
        assert_eq!(legal(received), d(expected), "received {received}");
    }
}

#[test]
fn identity_question_pauses_the_clock() {
    let cal = Calendar::dutch();
    let received = d("2026-03-02");
    let asked = d("2026-03-03");
    let arrived = d("2026-03-10");
    assert!(pause_counts(&cal, received, asked));
    let paused = paused_days(asked, arrived);
    assert_eq!(paused, 7);
    let dl = Deadline::compute(&cal, received, paused, None).unwrap();
    assert_eq!(dl.legal, d("2026-04-09"));
    assert_eq!(dl.promised, d("2026-04-06"));
}

// ---- calendar ----

#[test]
fn easter_dates_of_known_years() {
    for (year, easter) in [
        (1818, "1818-03-22"),
        (1943, "1943-04-25"),
        (2000, "2000-04-23"),
        (2008, "2008-03-23"),
        (2011, "2011-04-24"),
        (2019, "2019-04-21"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
    ] {
        assert_eq!(easter_sunday(year), Some(d(easter)), "Easter {year}");
    }
    // Outside chrono's range there is no date, and no panic.
    assert_eq!(easter_sunday(i32::MAX), None);
    assert_eq!(easter_sunday(i32::MIN), None);
}

#[test]
fn holidays_of_2026() {
    let expected = [
        ("2026-01-01", "Nieuwjaarsdag"),
        ("2026-04-03", "Goede Vrijdag"),
        ("2026-04-06", "Tweede Paasdag"),
        ("2026-04-27", "Koningsdag"),
        ("2026-05-05", "Bevrijdingsdag"),
        ("2026-05-14", "Hemelvaartsdag"),
        ("2026-05-25", "Tweede Pinksterdag"),
        ("2026-12-25", "Eerste Kerstdag"),
        ("2026-12-26", "Tweede Kerstdag"),
    ]
    .map(|(date, name)| (d(date), name));
    assert_eq!(Calendar::holidays(2026), expected);
    let cal = Calendar::dutch();
    for (date, name) in expected {
        assert_eq!(cal.holiday_name(date), Some(name));
        assert!(!cal.is_working_day(date));
    }
    assert_eq!(
        cal.holiday_name(d("2026-04-05")),
        None,
        "a Sunday is not a holiday"
    );
    assert!(cal.is_working_day(d("2026-04-02")));
}

#[test]
fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
    let cal = Calendar::dutch();
    // 27 April 2025 is a Sunday.
    assert_eq!(cal.holiday_name(d("2025-04-26")), Some("Koningsdag"));
    assert_eq!(cal.holiday_name(d("2025-04-27")), None);
    assert!(Calendar::holidays(2025).contains(&(d("2025-04-26"), "Koningsdag")));
    // Another year: 26 April is an ordinary day.
    assert_eq!(cal.holiday_name(d("2024-04-26")), None);
    assert_eq!(cal.holiday_name(d("2024-04-27")), Some("Koningsdag"));
}

#[test]
fn liberation_day_every_year_and_sharing_a_date_with_ascension() {
    let cal = Calendar::dutch();
    for year in [2021, 2022, 2023, 2025, 2026] {
        let may5 = NaiveDate::from_ymd_opt(year, 5, 5).unwrap();
        assert_eq!(cal.holiday_name(may5), Some("Bevrijdingsdag"));
    }
    // 2016: Easter 27 March, so Ascension Day is 5 May too.
    let h = Calendar::holidays(2016);
    assert_eq!(h.len(), 9);
    let may5: Vec<_> = h
        .iter()
        .filter(|(date, _)| *date == d("2016-05-05"))
        .collect();
    assert_eq!(may5.len(), 2);
    assert_eq!(cal.holiday_name(d("2016-05-05")), Some("Bevrijdingsdag"));
    // Counted once as a non-working day: May 2016 has 22 weekdays, minus 5 May and Whit Monday 16 May.
    assert_eq!(
        cal.working_days_between(d("2016-05-01"), d("2016-06-01")),
        20
    );
}

#[test]
fn bridge_days_are_not_working_days() {
    let dutch = Calendar::dutch();
    let bridged = Calendar::with_bridge_days([d("2026-01-02"), d("2026-05-15")]);
    assert_eq!(bridged.holiday_name(d("2026-01-02")), Some(BRIDGE_DAY));
    assert_eq!(dutch.holiday_name(d("2026-01-02")), None);
    assert_eq!(
        bridged.bridge_days().collect::<Vec<_>>(),
        [d("2026-01-02"), d("2026-05-15")]
    );
    // The early reading: a bridge day (Atw art. 3(3)) does not move a GDPR date.
    // 2 Dec 2025 + 1 month = Friday 2 Jan 2026, a bridge day: it stays.
    let compute = |cal: &Calendar, r| Deadline::compute(cal, d(r), 0, None).unwrap().legal;
    assert_eq!(compute(&dutch, "2025-12-02"), d("2026-01-02"));
    assert_eq!(compute(&bridged, "2025-12-02"), d("2026-01-02"));
    // 14 Apr + 1 month = Ascension Day 14 May → Friday 15 May (a bridge day, not skipped).
    assert_eq!(compute(&dutch, "2026-04-14"), d("2026-05-15"));
    assert_eq!(compute(&bridged, "2026-04-14"), d("2026-05-15"));
    // The office is closed on it: reminders skip it.
    assert!(!bridged.is_working_day(d("2026-01-02")));
    assert_eq!(bridged.roll(d("2026-01-02")), d("2026-01-05"));
}

#[test]
fn roll_keeps_working_days_and_skips_the_rest() {
    let cal = Calendar::dutch();
    assert_eq!(cal.roll(d("2026-04-02")), d("2026-04-02"));
    assert_eq!(cal.roll(d("2026-04-03")), d("2026-04-07"));
    assert_eq!(cal.roll(d("2026-12-25")), d("2026-12-28"));
    assert_eq!(
        cal.roll(NaiveDate::MAX),
        NaiveDate::MAX,
        "saturates, no panic"
    );
}

#[test]
fn add_months_clamps_to_the_end_of_the_month() {
    for (from, months, to) in [
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2000-01-31", 1, "2000-02-29"),
        ("2100-01-31", 1, "2100-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-03-31", 1, "2024-04-30"),
        ("2024-12-31", 2, "2025-02-28"),
        ("2026-01-15", 3, "2026-04-15"),
    ] {
        assert_eq!(add_months(d(from), months), d(to), "{from} + {months}");
    }
    assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
    // Leap day received: legal is 29 March 2024, Good Friday, which does not move it.
    assert_eq!(legal("2024-02-29"), d("2024-03-29"));
    assert_eq!(legal("2024-01-31"), d("2024-02-29"));
}

#[test]
fn working_days_before_after_and_between() {
    let cal = Calendar::dutch();
    let t = d("2026-04-07");
    assert_eq!(cal.working_days_before(t, 0), t);
    assert_eq!(cal.working_days_before(t, 1), d("2026-04-02"));
    assert_eq!(cal.working_days_before(t, 2), d("2026-04-01"));
    assert_eq!(cal.working_days_before(t, 7), d("2026-03-25"));
    assert_eq!(cal.working_days_after(d("2026-04-01"), 1), d("2026-04-02"));
    assert_eq!(cal.working_days_after(d("2026-04-01"), 2), d("2026-04-07"));
    assert_eq!(cal.working_days_between(d("2026-04-01"), t), 2);
    assert_eq!(cal.working_days_between(t, d("2026-04-01")), -2);
    assert_eq!(cal.working_days_between(t, t), 0);
    // A whole year: 2026 has 261 weekdays, 8 of its 9 holidays fall on one (26 Dec is a Saturday).
    assert_eq!(
        cal.working_days_between(d("2026-01-01"), d("2027-01-01")),
        253
    );
    assert_eq!(cal.working_days_before(NaiveDate::MIN, 3), NaiveDate::MIN);
    assert_eq!(cal.working_days_after(NaiveDate::MAX, 3), NaiveDate::MAX);
}

// ---- deadlines ----

#[test]
fn promised_legal_and_target() {
    let cal = Calendar::dutch();
    let dl = Deadline::compute(&cal, d("2026-03-05"), 0, None).unwrap();
    assert_eq!(dl.promised, d("2026-04-02"));
    assert_eq!(dl.legal, d("2026-04-07"));
    assert_eq!(dl.extended, None);
    assert_eq!(dl.target(), d("2026-04-02"));
    assert!(!dl.is_overdue(d("2026-04-02")));
    assert!(dl.is_overdue(d("2026-04-03")));

    // The promise is not rolled: 2026-02-28 + 28 days is Saturday 28 March.
    let weekend = Deadline::compute(&cal, d("2026-02-28"), 0, None).unwrap();
    assert_eq!(weekend.promised, d("2026-03-28"));
    assert_eq!(weekend.legal, d("2026-03-30"));

    // Extended by one month: 5 May (Bevrijdingsdag) → 6 May; by two: Friday 5 June.
    let one = dl
        .extend(&cal, ExtensionMonths::One, d("2026-03-20"))
        .unwrap();
    assert_eq!(one.extended, Some(d("2026-05-06")));
    assert_eq!(one.target(), d("2026-05-06"));
    assert_eq!(one.legal, dl.legal);
    let two = dl
        .extend(&cal, ExtensionMonths::Two, d("2026-03-20"))
        .unwrap();
    assert_eq!(two.extended, Some(d("2026-06-05")));
    assert_eq!(two.extension, Some(ExtensionMonths::Two));
}

#[test]
fn pauses_add_up() {
    let cal = Calendar::dutch();
    let dl = Deadline::compute(&cal, d("2026-03-02"), 0, None).unwrap();
    let once = dl.add_pause(&cal, 3).unwrap();
    let twice = once.add_pause(&cal, 4).unwrap();
    assert_eq!(twice.paused_days, 7);
    assert_eq!(
        twice,
        Deadline::compute(&cal, d("2026-03-02"), 7, None).unwrap()
    );
    assert_eq!(twice.legal, d("2026-04-09"));
    assert_eq!(
        twice.add_pause(&cal, u32::MAX),
        Err(DeadlineError::PauseTooLong {
            paused_days: u32::MAX
        })
    );
}

#[test]
fn compute_rejects_dates_outside_the_supported_range() {
    let cal = Calendar::dutch();
    for (y, m, day) in [(1899, 12, 31), (10000, 1, 1)] {
        let received = NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            Deadline::compute(&cal, received, 0, None),
            Err(DeadlineError::ReceivedOutOfRange { received })
        );
    }
    for received in [NaiveDate::MIN, NaiveDate::MAX] {
        assert!(Deadline::compute(&cal, received, 0, Some(ExtensionMonths::Two)).is_err());
    }
    assert_eq!(
        Deadline::compute(&cal, d("2026-03-02"), MAX_PAUSED_DAYS + 1, None),
        Err(DeadlineError::PauseTooLong {
            paused_days: MAX_PAUSED_DAYS + 1
        })
    );
    // The edges themselves work, with the longest pause and extension.
    let first = Deadline::compute(&cal, d("1900-01-01"), MAX_PAUSED_DAYS, None).unwrap();
    assert_eq!(first.legal, d("1910-02-02"));
    let last = Deadline::compute(
        &cal,
        d("9999-12-31"),
        MAX_PAUSED_DAYS,
        Some(ExtensionMonths::Two),
    )
    .unwrap();
    assert!(last.extended.unwrap() > last.legal);
    assert!(last.due_at() > first.due_at());
}

#[test]
fn extension_errors() {
    let cal = Calendar::dutch();
    let dl = Deadline::compute(&cal, d("2026-03-05"), 0, None).unwrap();
    // Art. 12(3): the notice is due one month after receipt (5 April, a Sunday, not rolled);
    // on that day it is still allowed, the day after it is not, although legal is 7 April.
    assert_eq!(dl.extension_notice_due(), d("2026-04-05"));
    assert!(
        dl.extend(&cal, ExtensionMonths::One, d("2026-04-05"))
            .is_ok()
    );
    assert_eq!(
        dl.extend(&cal, ExtensionMonths::One, d("2026-04-06")),
        Err(ExtensionError::TooLate {
            notice_due: d("2026-04-05")
        })
    );
    // Paused days do not move the notice date.
    let paused = Deadline::compute(&cal, d("2026-03-05"), 10, None).unwrap();
    assert_eq!(paused.legal, d("2026-04-15"));
    assert_eq!(paused.extension_notice_due(), d("2026-04-05"));
    assert!(matches!(
        paused.extend(&cal, ExtensionMonths::Two, d("2026-04-06")),
        Err(ExtensionError::TooLate { .. })
    ));
    assert_eq!(
        paused.extension_possible_until(d("2026-04-05")),
        Some(d("2026-04-05"))
    );
    assert_eq!(paused.extension_possible_until(d("2026-04-06")), None);
    let extended = dl
        .extend(&cal, ExtensionMonths::One, d("2026-03-10"))
        .unwrap();
    assert_eq!(
        extended.extend(&cal, ExtensionMonths::One, d("2026-03-11")),
        Err(ExtensionError::AlreadyExtended)
    );
    // Already extended is reported even when it is also too late.
    assert_eq!(
        extended.extend(&cal, ExtensionMonths::Two, d("2026-12-01")),
        Err(ExtensionError::AlreadyExtended)
    );
    for months in [0, 3, -1, i64::MAX] {
        assert_eq!(
            ExtensionMonths::try_from(months),
            Err(ExtensionError::InvalidMonths(months))
        );
    }
    assert_eq!(ExtensionMonths::try_from(1), Ok(ExtensionMonths::One));
    assert_eq!(ExtensionMonths::try_from(2), Ok(ExtensionMonths::Two));
    // A Deadline built by hand out of range gives an error, not a panic.
    let bogus = Deadline {
        received: NaiveDate::MAX,
        ..dl
    };
    assert!(matches!(
        bogus.extend(&cal, ExtensionMonths::One, d("2026-03-10")),
        Err(ExtensionError::OutOfRange(_))
    ));
}

#[test]
fn extension_months_serialise_as_numbers() {
    assert_eq!(serde_json::to_string(&ExtensionMonths::Two).unwrap(), "2");
    assert_eq!(
        serde_json::from_str::<ExtensionMonths>("1").unwrap(),
        ExtensionMonths::One
    );
    let err = serde_json::from_str::<ExtensionMonths>("3").unwrap_err();
    assert!(err.to_string().contains("1 or 2 months"), "{err}");
    assert!(serde_json::from_str::<ExtensionMonths>("\"One\"").is_err());
}

// ---- due_at and Amsterdam dates around DST ----

#[test]
fn due_at_is_the_end_of_the_amsterdam_day_across_dst() {
    let cal = Calendar::dutch();
    // received → promised (the target): the day before, the day of, and after each change.
    for (received, target, due) in [
        // Summer time starts Sunday 29 March 2026 at 02:00 CET.
        ("2026-02-28", "2026-03-28", "2026-03-28T22:59:59Z"),
        ("2026-03-01", "2026-03-29", "2026-03-29T21:59:59Z"),
        ("2026-03-02", "2026-03-30", "2026-03-30T21:59:59Z"),
        // Winter time starts Sunday 25 October 2026 at 03:00 CEST.
        ("2026-09-26", "2026-10-24", "2026-10-24T21:59:59Z"),
        ("2026-09-27", "2026-10-25", "2026-10-25T22:59:59Z"),
    ] {
        let dl = Deadline::compute(&cal, d(received), 0, None).unwrap();
        assert_eq!(dl.target(), d(target));
        assert_eq!(dl.due_at(), utc(due), "received {received}");
        assert_eq!(amsterdam_date(dl.due_at()), d(target));
    }
}

#[test]
fn amsterdam_date_around_midnight_and_dst() {
    for (instant, date) in [
        ("2026-03-28T22:59:59Z", "2026-03-28"),
        ("2026-03-28T23:00:00Z", "2026-03-29"), // 00:00 CET
        ("2026-03-29T21:59:59Z", "2026-03-29"), // 23:59:59 CEST
        ("2026-03-29T22:00:00Z", "2026-03-30"),
        ("2026-10-24T22:30:00Z", "2026-10-25"), // 00:30 CEST
        ("2026-10-25T22:30:00Z", "2026-10-25"), // 23:30 CET
        ("2026-10-25T23:00:00Z", "2026-10-26"),
    ] {
        assert_eq!(amsterdam_date(utc(instant)), d(date), "{instant}");
    }
    // Never a panic at chrono's limits.
    let _ = amsterdam_date(DateTime::<Utc>::MAX_UTC);
    let _ = amsterdam_date(DateTime::<Utc>::MIN_UTC);
    let _ = end_of_day(NaiveDate::MAX);
    let _ = end_of_day(NaiveDate::MIN);
}

// ---- pauses ----

#[test]
fn a_pause_counts_only_when_asked_within_five_working_days() {
    let cal = Calendar::dutch();
    let monday = d("2026-03-02");
    assert!(pause_counts(&cal, monday, monday));
    assert!(pause_counts(&cal, monday, d("2026-03-09")));
    assert!(!pause_counts(&cal, monday, d("2026-03-10")));
    assert!(
        !pause_counts(&cal, monday, d("2026-03-01")),
        "before the request"
    );
    // Easter: Good Friday and Easter Monday do not count as working days.
    let wednesday = d("2026-04-01");
    assert!(pause_counts(&cal, wednesday, d("2026-04-10")));
    assert!(!pause_counts(&cal, wednesday, d("2026-04-13")));
    // Received on a Saturday: the working week starts on Monday.
    assert!(pause_counts(&cal, d("2026-03-07"), d("2026-03-13")));
    assert!(!pause_counts(&cal, d("2026-03-07"), d("2026-03-16")));
}

#[test]
fn paused_days_counts_calendar_days() {
    assert_eq!(paused_days(d("2026-03-03"), d("2026-03-10")), 7);
    assert_eq!(paused_days(d("2026-03-03"), d("2026-03-03")), 0);
    assert_eq!(paused_days(d("2026-03-10"), d("2026-03-03")), 0);
    assert!(paused_days(NaiveDate::MIN, NaiveDate::MAX) > 0);
}

// ---- reminders ----

#[test]
fn reminder_stages_by_day() {
    use ReminderStage::*;
    let cal = Calendar::dutch();
    let t = d("2026-04-07");
    assert_eq!(reminder_stages_due(&cal, t, d("2026-03-24")), []);
    assert_eq!(
        reminder_stages_due(&cal, t, d("2026-03-25")),
        [SevenWorkingDays]
    );
    assert_eq!(
        reminder_stages_due(&cal, t, d("2026-03-31")),
        [SevenWorkingDays]
    );
    assert_eq!(
        reminder_stages_due(&cal, t, d("2026-04-01")),
        [SevenWorkingDays, TwoWorkingDays]
    );
    assert_eq!(
        reminder_stages_due(&cal, t, t),
        [SevenWorkingDays, TwoWorkingDays, DueToday]
    );
    assert_eq!(
        reminder_stages_due(&cal, t, d("2026-04-08")),
        ReminderStage::ALL
    );
    assert_eq!(Overdue.from_day(&cal, t), d("2026-04-08"));
}

#[test]
fn plan_reminders_sends_only_the_latest_stage() {
    use ReminderStage::*;
    let cal = Calendar::dutch();
    let t = d("2026-04-07");
    assert_eq!(
        plan_reminders(&cal, t, d("2026-03-20"), &[]),
        ReminderPlan::default()
    );
    // A sweep that missed everything sends one "overdue" mail and skips the rest.
    assert_eq!(
        plan_reminders(&cal, t, d("2026-04-08"), &[]),
        ReminderPlan {
            send: Some(Overdue),
            skip: vec![SevenWorkingDays, TwoWorkingDays, DueToday]
        }
    );
    assert_eq!(
        plan_reminders(&cal, t, d("2026-04-01"), &[SevenWorkingDays]),
        ReminderPlan {
            send: Some(TwoWorkingDays),
            skip: vec![]
        }
    );
    // Nothing twice.
    assert_eq!(
        plan_reminders(
            &cal,
            t,
            d("2026-04-01"),
            &[SevenWorkingDays, TwoWorkingDays]
        ),
        ReminderPlan::default()
    );
    // Never an earlier stage after a later one: it is only recorded as skipped.
    assert_eq!(
        plan_reminders(&cal, t, d("2026-04-09"), &[Overdue]),
        ReminderPlan {
            send: None,
            skip: vec![SevenWorkingDays, TwoWorkingDays, DueToday]
        }
    );
}

#[test]
fn reminder_stage_names() {
    for stage in ReminderStage::ALL {
        assert_eq!(stage.as_str().parse::<ReminderStage>(), Ok(stage));
        assert_eq!(stage.to_string(), stage.as_str());
        let json = serde_json::to_string(&stage).unwrap();
        assert_eq!(json, format!("\"{}\"", stage.as_str()));
        assert_eq!(serde_json::from_str::<ReminderStage>(&json).unwrap(), stage);
    }
    assert_eq!(ReminderStage::SevenWorkingDays.as_str(), "7_working_days");
    assert!("soon".parse::<ReminderStage>().is_err());
}

// ---- look-ahead ----

#[test]
fn within_parses_days_and_weeks() {
    let days = |s: &str| s.parse::<Within>().map(Within::days);
    assert_eq!(days("7d"), Ok(7));
    assert_eq!(days("2w"), Ok(14));
    assert_eq!(days("0d"), Ok(0));
    assert_eq!(days(" 7D "), Ok(7));
    assert_eq!(days("366d"), Ok(366));
    assert_eq!(days("52w"), Ok(364));
    assert_eq!(days("007d"), Ok(7));
    for too_long in ["367d", "53w", "99999999999999999999d", "4294967295w"] {
        assert!(
            matches!(days(too_long), Err(WithinError::TooLong(_))),
            "{too_long}"
        );
    }
    for bad in [
        "", "7", "d", "w", "-1d", "+1d", "1.5w", "7 d", "7dd", "７d", "1m", "7h",
    ] {
        assert!(
            matches!(days(bad), Err(WithinError::Malformed(_))),
            "{bad:?}"
        );
    }
    let w: Within = "2w".parse().unwrap();
    assert_eq!(w.to_string(), "14d");
    assert_eq!(w.last_day(d("2026-03-01")), d("2026-03-15"));
    assert_eq!(serde_json::from_str::<Within>("\"7d\"").unwrap().days(), 7);
    assert!(serde_json::from_str::<Within>("\"400d\"").is_err());
}

// ---- properties ----

/// Days from 1990-01-01 to 2200-12-31.
const SPAN: i64 = 77_071;

fn day(offset: i64) -> NaiveDate {
    d("1990-01-01") + TimeDelta::days(offset)
}

fn received() -> impl Strategy<Value = NaiveDate> {
    (0..=SPAN).prop_map(day)
}

/// A calendar with up to 12 bridge days in the months after `around`, where they can matter.
fn calendar_near(around: NaiveDate) -> impl Strategy<Value = Calendar> {
    proptest::collection::vec(0..200i64, 0..12).prop_map(move |offsets| {
        Calendar::with_bridge_days(offsets.into_iter().map(|o| around + TimeDelta::days(o)))
    })
}

fn received_and_calendar() -> impl Strategy<Value = (NaiveDate, Calendar)> {
    received().prop_flat_map(|r| (Just(r), calendar_near(r)))
}

fn all(cal: &Calendar, r: NaiveDate, paused: u32) -> [Deadline; 3] {
    [None, Some(ExtensionMonths::One), Some(ExtensionMonths::Two)]
        .map(|ext| Deadline::compute(cal, r, paused, ext).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn legal_is_at_least_four_weeks_plus_the_pause(
        (r, cal) in received_and_calendar(), paused in 0u32..=200,
    ) {
        let dl = Deadline::compute(&cal, r, paused, None).unwrap();
        prop_assert!(dl.legal >= r + TimeDelta::days(28));
        prop_assert!(dl.legal >= r + TimeDelta::days(28 + i64::from(paused)));
        prop_assert_eq!(dl.promised, r + TimeDelta::days(28 + i64::from(paused)));
    }

    #[test]
    fn legal_and_extended_fall_on_days_a_period_may_end(
        (r, cal) in received_and_calendar(), paused in 0u32..=200,
    ) {
        for dl in all(&cal, r, paused) {
            for date in [Some(dl.legal), dl.extended].into_iter().flatten() {
                prop_assert!(!moves_period_end(date), "{date} for {r}");
                prop_assert!(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun));
                prop_assert!(Calendar::holidays(date.year())
                    .iter()
                    .all(|(h, name)| *h != date || *name == GOOD_FRIDAY));
            }
        }
    }

    /// The early reading: a legal or extended date never rolls off a Good Friday or a configured
    /// bridge day (Atw art. 3(2) and 3(3) apply to the Atw only), so it is never later than the
    /// plain period plus the weekend and Atw art. 3(1) days that follow it.
    #[test]
    fn no_legal_or_extended_date_rolls_off_good_friday_or_a_bridge_day(
        (r, cal) in received_and_calendar(), paused in 0u32..=200,
    ) {
        for dl in all(&cal, r, paused) {
            let months = 1 + dl.extension.map_or(0, ExtensionMonths::months);
            let raw = add_months(r, months) + TimeDelta::days(i64::from(paused));
            let date = dl.extended.unwrap_or(dl.legal);
            let mut day = raw;
            while day < date {
                let good_friday = easter_sunday(day.year())
                    .is_some_and(|e| e - TimeDelta::days(2) == day);
                prop_assert!(!good_friday, "{date} rolled off Good Friday {day} (received {r})");
                // Only weekends and Atw art. 3(1) days are rolled off: a bridge day in between
                // is passed only when it is one of those as well.
                prop_assert!(moves_period_end(day), "{date} rolled off {day} (received {r})");
                day = day.succ_opt().unwrap();
            }
            prop_assert!(!moves_period_end(date));
            // Configured bridge days never change a legal or extended date.
            let plain = Deadline::compute(&Calendar::dutch(), r, paused, dl.extension).unwrap();
            prop_assert_eq!((plain.legal, plain.extended), (dl.legal, dl.extended));
        }
    }

    #[test]
    fn deadlines_are_monotone_in_the_received_date(
        (a, cal) in received_and_calendar(), gap in 0i64..400, paused in 0u32..=200,
    ) {
        let b = a + TimeDelta::days(gap);
        for (x, y) in all(&cal, a, paused).iter().zip(all(&cal, b, paused).iter()) {
            prop_assert!(x.legal <= y.legal);
            prop_assert!(x.promised <= y.promised);
            prop_assert!(x.extended <= y.extended);
            prop_assert!(x.target() <= y.target());
        }
    }

    #[test]
    fn promised_never_after_legal_and_extensions_only_later(
        (r, cal) in received_and_calendar(), paused in 0u32..=200,
    ) {
        let [plain, one, two] = all(&cal, r, paused);
        prop_assert!(plain.promised <= plain.legal);
        prop_assert_eq!(plain.target(), plain.promised);
        let (e1, e2) = (one.extended.unwrap(), two.extended.unwrap());
        prop_assert!(e2 >= e1);
        prop_assert!(e1 >= plain.legal);
        prop_assert_eq!(one.target(), e1);
        prop_assert_eq!((one.legal, two.legal), (plain.legal, plain.legal));
    }

    #[test]
    fn pausing_never_moves_a_deadline_earlier(
        (r, cal) in received_and_calendar(), p in 0u32..=200, more in 0u32..=200,
    ) {
        for (x, y) in all(&cal, r, p).iter().zip(all(&cal, r, p + more).iter()) {
            prop_assert!(x.legal <= y.legal);
            prop_assert!(x.promised <= y.promised);
            prop_assert!(x.extended <= y.extended);
            prop_assert!(x.target() <= y.target());
        }
    }

    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i32..=9999) {
        let e = easter_sunday(year).unwrap();
        prop_assert_eq!(e.weekday(), Weekday::Sun);
        prop_assert_eq!(e.year(), year);
        prop_assert!(e >= NaiveDate::from_ymd_opt(year, 3, 22).unwrap());
        prop_assert!(e <= NaiveDate::from_ymd_opt(year, 4, 25).unwrap());
    }

    #[test]
    fn due_at_is_the_last_second_of_the_target_day(
        (r, cal) in received_and_calendar(), paused in 0u32..=200,
    ) {
        for dl in all(&cal, r, paused) {
            let due = dl.due_at();
            prop_assert_eq!(amsterdam_date(due), dl.target());
            prop_assert_eq!(amsterdam_date(due + TimeDelta::seconds(1)), dl.target().succ_opt().unwrap());
        }
    }

    #[test]
    fn roll_lands_on_the_first_working_day(
        (r, cal) in received_and_calendar(), shift in 0i64..200,
    ) {
        let start = r + TimeDelta::days(shift);
        let rolled = cal.roll(start);
        prop_assert!(cal.is_working_day(rolled));
        prop_assert!(rolled >= start);
        prop_assert!(start.iter_days().take_while(|x| *x < rolled).all(|x| !cal.is_working_day(x)));
    }

    #[test]
    fn working_day_counting_agrees_with_walking(
        (a, cal) in received_and_calendar(), gap in -400i64..400, n in 0u32..30,
    ) {
        let b = a + TimeDelta::days(gap);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let walked = lo.iter_days().take_while(|x| *x < hi).filter(|x| cal.is_working_day(*x)).count();
        let walked = i64::try_from(walked).unwrap();
        prop_assert_eq!(cal.working_days_between(a, b), if a <= b { walked } else { -walked });
        let before = cal.working_days_before(a, n);
        prop_assert_eq!(cal.working_days_between(before, a), i64::from(n));
        prop_assert!(n == 0 || cal.is_working_day(before));
        let after = cal.working_days_after(a, n);
        // (a, after] holds exactly n working days.
        prop_assert_eq!(cal.working_days_between(a.succ_opt().unwrap(), after.succ_opt().unwrap()), i64::from(n));
    }

    #[test]
    fn daily_sweeps_record_every_stage_once_and_never_send_backwards(
        (r, cal) in received_and_calendar(), start in 0i64..40, step in 1i64..10,
    ) {
        // A sweep every `step` days from `start` days after receipt.
        let target = Deadline::compute(&cal, r, 0, None).unwrap().target();
        let mut recorded: Vec<ReminderStage> = Vec::new();
        let mut sent: Vec<ReminderStage> = Vec::new();
        let mut today = r + TimeDelta::days(start);
        while today <= target + TimeDelta::days(30) {
            let plan = plan_reminders(&cal, target, today, &recorded);
            recorded.extend(plan.skip.iter().copied());
            recorded.extend(plan.send);
            sent.extend(plan.send);
            prop_assert_eq!(plan_reminders(&cal, target, today, &recorded), ReminderPlan::default());
            today += TimeDelta::days(step);
        }
        recorded.sort();
        prop_assert_eq!(recorded, ReminderStage::ALL.to_vec());
        prop_assert!(sent.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(sent.last().copied(), Some(ReminderStage::Overdue));
    }

    #[test]
    fn within_round_trips(n in 0u32..=366) {
        prop_assert_eq!(format!("{n}d").parse::<Within>().unwrap().days(), n);
        prop_assert_eq!(format!("{n}d").parse::<Within>().unwrap().to_string(), format!("{n}d"));
        let weeks = format!("{}w", n / 7).parse::<Within>().unwrap();
        prop_assert_eq!(weeks.days(), n / 7 * 7);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Over the whole supported range, with any accepted pause: no error, no panic, sane order.
    #[test]
    fn compute_works_across_the_supported_range(
        offset in 0i64..=2_958_463, paused in 0u32..=MAX_PAUSED_DAYS,
    ) {
        // 1900-01-01 plus up to 2,958,463 days reaches 9999-12-31.
        let r = d("1900-01-01") + TimeDelta::days(offset);
        prop_assert!(SUPPORTED_YEARS.contains(&r.year()));
        let cal = Calendar::dutch();
        let [plain, _, two] = all(&cal, r, paused);
        prop_assert!(plain.promised <= plain.legal);
        prop_assert!(plain.legal <= two.extended.unwrap());
        prop_assert_eq!(amsterdam_date(two.due_at()), two.target());
    }
}
