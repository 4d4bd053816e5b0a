//! `inzage audit verify [--tenant S]`: recomputes every hash chain of the audit trail.
//! Prints `audit chain intact: N entries` per chain and exits 0, or names the tenant and the
//! first entry (`seq`) whose hash does not hold and exits 1. And `inzage report`.

use super::CliError;
use crate::service::audit::verify;
use crate::state::AppState;

pub fn verify_chains(state: &AppState, tenant: Option<&str>) -> Result<(), CliError> {
    let mut conn = state.db.conn()?;
    let reports = verify(&mut conn, tenant).map_err(|e| match e {
        crate::error::AppError::NotFound => {
            CliError::Usage(format!("no tenant {}", tenant.unwrap_or_default()))
        }
        other => other.into(),
    })?;
    let mut broken = None;
    for r in &reports {
        let name = r.tenant.as_deref().unwrap_or("(no tenant)");
        match &r.broken {
            None => println!("{name}: audit chain intact: {} entries", r.entries),
            Some(b) => {
                println!(
                    "{name}: audit chain BROKEN at seq {} ({b}); {} entries before it hold",
                    b.seq(),
                    r.entries
                );
                broken.get_or_insert_with(|| format!("tenant {name}: seq {}: {b}", b.seq()));
            }
        }
    }
    if reports.is_empty() {
        println!("audit chain intact: 0 entries");
    }
    match broken {
        None => Ok(()),
        Some(first) => Err(CliError::Runtime(format!(
            "the audit trail does not verify: {first}"
        ))),
    }
}

/// `inzage report --tenant S [--from D] [--to D] [--csv]`: the accountability report.
pub fn report(
    state: &AppState,
    tenant: &str,
    from: Option<String>,
    to: Option<String>,
    csv: bool,
) -> Result<(), CliError> {
    let mut q = std::collections::HashMap::new();
    if let Some(f) = from {
        q.insert("from".to_owned(), f);
    }
    if let Some(t) = to {
        q.insert("to".to_owned(), t);
    }
    let (from, to, _) = crate::http::report::parse_period(&q)?;
    let mut conn = state.db.conn()?;
    let (tenant, r) =
        crate::service::report::report(&mut conn, &super::requests::operator(), tenant, from, to)
            .map_err(|e| match e {
            crate::error::AppError::NotFound => CliError::Usage(format!("no tenant {tenant}")),
            other => other.into(),
        })?;
    if csv {
        print!("{}", crate::http::report::report_csv(&r)?);
    } else {
        let mut body = serde_json::to_value(&r).map_err(|e| CliError::Runtime(e.to_string()))?;
        body["tenant"] = serde_json::Value::String(tenant.slug);
        println!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(|e| CliError::Runtime(e.to_string()))?
        );
    }
    Ok(())
}
