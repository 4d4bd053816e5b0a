//! `inzage requests list`: the queue as an operator sees it (every tenant).

use std::collections::HashMap;

use super::CliError;
use super::args::RequestsCommand;
use crate::auth::Principal;
use crate::domain::{Role, UserId};
use crate::http::requests::parse_queue_query;
use crate::http::views::{ListView, RequestSummary};
use crate::service::now;
use crate::service::queries::queue;
use crate::state::AppState;

/// The operator on the machine has the store itself; the CLI reads as an admin would.
pub fn operator() -> Principal {
    Principal {
        user_id: UserId::from("cli"),
        email: "operator@cli".to_owned(),
        role: Role::Admin,
        tenant_id: None,
        tenant_slug: None,
        ip: None,
    }
}

pub fn run(state: &AppState, command: RequestsCommand) -> Result<(), CliError> {
    let RequestsCommand::List {
        status,
        tenant,
        overdue,
        json,
    } = command;
    let mut q = HashMap::new();
    if let Some(s) = status {
        q.insert("status".to_owned(), s);
    }
    if let Some(t) = tenant {
        q.insert("tenant".to_owned(), t);
    }
    if overdue {
        q.insert("overdue".to_owned(), "true".to_owned());
    }
    q.insert("per_page".to_owned(), "200".to_owned());
    let mut query = parse_queue_query(&q)?;
    let mut conn = state.db.conn()?;
    let at = now();
    let mut items = Vec::new();
    let total = loop {
        let page = queue(&mut conn, &operator(), &query)?;
        let n = page.items.len();
        items.extend(page.items.iter().map(|r| {
            let slug = r
                .tenant_id
                .as_ref()
                .and_then(|id| page.tenant_slugs.get(id).cloned());
            RequestSummary::of(r, slug, at)
        }));
        if n < usize::try_from(query.per_page).unwrap_or(200) {
            break page.total;
        }
        query.page += 1;
    };
    if json {
        let out = serde_json::to_string_pretty(&ListView { items, total })
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        println!("{out}");
        return Ok(());
    }
    println!(
        "{:<17} {:<22} {:<18} {:<12} {:<10} OVERDUE",
        "REFERENCE", "STATUS", "KIND", "TENANT", "DUE"
    );
    for i in &items {
        println!(
            "{:<17} {:<22} {:<18} {:<12} {:<10} {}",
            i.reference,
            i.status,
            i.kind,
            i.tenant.as_deref().unwrap_or("-"),
            i.due_at.date_naive(),
            if i.overdue { "yes" } else { "" }
        );
    }
    eprintln!("{total} request(s)");
    Ok(())
}
