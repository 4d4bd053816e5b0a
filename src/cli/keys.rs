//! `inzage keys rotate|list` (the installation's signing keys) and `inzage certificate verify
//! FILE [--jwks FILE|URL]` (checks an execution certificate offline: exit 0 printing what it
//! certifies, exit 1 saying why not).

use std::time::Duration;

use ed25519_dalek::VerifyingKey;

use super::CliError;
use crate::domain::certificate::Certificate;
use crate::service::jws;
use crate::service::signing::{self, KeyInfo, verify_certificate};
use crate::state::AppState;

/// A key set larger than this is not a key set.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;
/// A certificate larger than this is not a certificate.
const MAX_CERTIFICATE_BYTES: u64 = 16 * 1024 * 1024;

fn show(k: &KeyInfo) -> String {
    let created = k.created_at.format("%Y-%m-%dT%H:%M:%SZ");
    match k.retired_at {
        None => format!("{}  created {created}  current", k.kid),
        Some(r) => format!(
            "{}  created {created}  retired {}",
            k.kid,
            r.format("%Y-%m-%dT%H:%M:%SZ")
        ),
    }
}

pub fn rotate(state: &AppState) -> Result<(), CliError> {
    let mut conn = state.db.conn()?;
    let rotation = signing::rotate(&mut conn, state.settings.secret_bytes())?;
    println!("{}", show(&rotation.new));
    if let Some(old) = &rotation.old {
        println!("{}", show(old));
    }
    if !rotation.old_was_readable {
        eprintln!(
            "inzage: warning: the retired key could not be opened with this INZAGE_SECRET_KEY \
             (changed or lost?); it stays published, and new certificates use the new key"
        );
    }
    Ok(())
}

pub fn list(state: &AppState) -> Result<(), CliError> {
    let mut conn = state.db.conn()?;
    signing::ensure_key(&mut conn, state.settings.secret_bytes())?;
    for k in signing::keys(&mut conn)? {
        println!("{}", show(&k));
    }
    Ok(())
}

fn read_limited(path: &std::path::Path, limit: u64, what: &str) -> Result<String, CliError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Runtime(format!("cannot read {what} {}: {e}", path.display())))?;
    let mut text = String::new();
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Runtime(format!("cannot read {what} {}: {e}", path.display())))?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > limit {
        return Err(CliError::Runtime(format!(
            "{what} {} is too large",
            path.display()
        )));
    }
    Ok(text)
}

/// The key set at `source`: a URL (`http://` or `https://`) or a file.
fn fetch_jwks(source: &str) -> Result<String, CliError> {
    if !(source.starts_with("https://") || source.starts_with("http://")) {
        return read_limited(std::path::Path::new(source), MAX_JWKS_BYTES, "key set");
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .get(source)
        .header("accept", "application/json")
        .call()
        .map_err(|e| CliError::Runtime(format!("cannot fetch the key set {source}: {e}")))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_JWKS_BYTES)
        .read_to_string()
        .map_err(|e| CliError::Runtime(format!("cannot read the key set {source}: {e}")))
}

/// The public keys of a key set file or URL.
pub fn keys_from(source: &str) -> Result<Vec<(String, VerifyingKey)>, CliError> {
    let text = fetch_jwks(source)?;
    let set: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Runtime(format!("the key set {source} is not JSON: {e}")))?;
    jws::keys_of(&set)
        .map_err(|e| CliError::Runtime(format!("the key set {source} cannot be used: {e}")))
}

/// `inzage certificate verify FILE [--jwks FILE|URL]`, with the keys already found.
pub fn verify(file: &std::path::Path, keys: &[(String, VerifyingKey)]) -> Result<(), CliError> {
    let text = read_limited(file, MAX_CERTIFICATE_BYTES, "certificate")?;
    let (kid, certificate) = verify_certificate(&text, keys)
        .map_err(|e| CliError::Runtime(format!("{} does NOT verify: {e}", file.display())))?;
    print!("{}", describe(&kid, &certificate));
    Ok(())
}

/// What a verified certificate states, as plain text.
pub fn describe(kid: &str, c: &Certificate) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "certificate verified: signed by key {kid}");
    let _ = writeln!(out, "issuer:    {}", c.iss);
    let _ = writeln!(out, "request:   {}", c.request);
    let _ = writeln!(out, "tenant:    {}", c.tenant);
    let _ = writeln!(out, "kind:      {}", c.kind.as_str());
    let _ = writeln!(out, "plan:      {}", c.plan);
    let _ = writeln!(out, "approver:  {}", c.approver.email);
    let _ = writeln!(out, "executor:  {}", c.executor);
    let _ = writeln!(
        out,
        "issued at: {}",
        c.issued_at.format("%Y-%m-%dT%H:%M:%SZ")
    );
    for s in &c.systems {
        let _ = writeln!(out, "system {}:", s.name);
        for t in &s.tables {
            let rows = if t.rows == 1 { "row" } else { "rows" };
            let _ = write!(out, "  {}: {} {} {rows}", t.name, t.action.as_str(), t.rows);
            if !t.columns.is_empty() {
                let _ = write!(out, " (columns {})", t.columns.join(", "));
            }
            if let Some(reason) = &t.reason {
                let _ = write!(out, " (kept: {reason})");
            }
            let _ = writeln!(out, " at {}", t.at.format("%Y-%m-%dT%H:%M:%SZ"));
        }
    }
    for r in &c.recipients {
        let told = if r.notified {
            "told by e-mail"
        } else {
            "not told: the controller must tell it"
        };
        let _ = writeln!(out, "recipient {}: {told}", r.name);
    }
    out
}
