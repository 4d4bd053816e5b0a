//! `inzage deadline` (the calendar, no store needed) and `inzage deadlines` (the queue's
//! due soon and overdue, per tenant).

use chrono::{NaiveDate, Utc};

use super::CliError;
use super::requests::operator;
use crate::domain::deadline::{Calendar, Deadline, ExtensionMonths, Within};
use crate::http::deadlines::DeadlinesView;
use crate::service::deadlines::overview;
use crate::state::AppState;

pub fn deadline(
    bridge_days: &[NaiveDate],
    received: &str,
    paused_days: u32,
    extend_months: Option<u8>,
    json: bool,
) -> Result<(), CliError> {
    let received: NaiveDate = received
        .parse()
        .map_err(|_| CliError::Usage("--received must be a YYYY-MM-DD date".into()))?;
    let cal = Calendar::with_bridge_days(bridge_days.iter().copied());
    let extension = extend_months
        .map(|m| ExtensionMonths::try_from(i64::from(m)))
        .transpose()
        .map_err(|_| CliError::Usage("--extend-months must be 1 or 2".into()))?;
    let d = Deadline::compute(&cal, received, paused_days, extension)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if json {
        let v = serde_json::json!({
            "legal": d.legal.to_string(),
            "promised": d.promised.to_string(),
            "extended": d.extended.map(|e| e.to_string()),
        });
        println!("{v}");
        return Ok(());
    }
    let note = |day: NaiveDate| {
        cal.holiday_name(day)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default()
    };
    println!("received  {received}");
    if paused_days > 0 {
        println!("paused    {paused_days} day(s)");
    }
    println!(
        "legal     {}   one month, GDPR art. 12(3), past weekends and Atw art. 3(1) holidays{}",
        d.legal,
        note(d.legal)
    );
    println!("promised  {}   four weeks{}", d.promised, note(d.promised));
    if let Some(e) = d.extended {
        println!(
            "extended  {e}   after an extension by {} month(s)",
            extend_months.unwrap_or(0)
        );
    }
    println!("target    {}", d.target());
    Ok(())
}

pub fn deadlines(state: &AppState, within: &str, json: bool) -> Result<(), CliError> {
    let within: Within = within
        .parse()
        .map_err(|e: crate::domain::deadline::WithinError| {
            CliError::Usage(format!("--within: {e}"))
        })?;
    let mut conn = state.db.conn()?;
    let o = overview(&mut conn, &operator(), within, Utc::now())?;
    let view = DeadlinesView::of(&o, within);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&view).map_err(|e| CliError::Runtime(e.to_string()))?
        );
        return Ok(());
    }
    println!("due by {} (within {within}), per tenant:", view.until);
    println!("{:<16} {:>8} {:>9}", "TENANT", "OVERDUE", "DUE SOON");
    for t in &view.tenants {
        println!(
            "{:<16} {:>8} {:>9}",
            t.tenant.as_deref().unwrap_or("(unassigned)"),
            t.overdue,
            t.due_soon
        );
    }
    for (title, items) in [("overdue", &view.overdue), ("due soon", &view.due_soon)] {
        if items.is_empty() {
            continue;
        }
        println!("\n{title}:");
        for i in items {
            println!(
                "  {:<17} {:<22} {:<12} due {}{}",
                i.reference,
                i.status,
                i.tenant.as_deref().unwrap_or("-"),
                i.due_at.date_naive(),
                if i.deadline.paused { " (paused)" } else { "" }
            );
        }
    }
    Ok(())
}
