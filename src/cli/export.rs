//! `inzage export --request REF --out FILE.zip`: compiles a request's bundle straight into a
//! file, with a progress bar on a terminal. The same rules as the API apply (a verified
//! request with a tenant and a data map); the export is recorded on the request. The file is
//! written as `FILE.zip.partial` (mode 0600) and renamed when complete.

use std::fs::OpenOptions;
use std::io::{BufWriter, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;
use crate::bundle::Progress;
use crate::domain::Reference;
use crate::error::chain;
use crate::jobs::bundle::Compilation;
use crate::service::bundles::{record_export, refusal_to_compile};
use crate::service::queries::{request_by_reference, tenant_of};
use crate::state::AppState;

pub fn run(state: &AppState, reference: &str, out: &Path) -> Result<(), CliError> {
    let reference: Reference = reference.parse().map_err(|_| {
        CliError::Usage(format!(
            "{reference:?} is not a reference (DSR-YYYY-NNNNNN)"
        ))
    })?;
    let reference = reference.to_string();
    let mut conn = state.db.conn()?;
    let request = request_by_reference(&mut conn, &reference)?
        .ok_or_else(|| CliError::Usage(format!("no request {reference}")))?;
    let tenant = tenant_of(&mut conn, &request)?
        .ok_or_else(|| CliError::Usage(format!("{reference} is not assigned to a tenant")))?;
    if let Some(why) = refusal_to_compile(&request, &tenant).map_err(CliError::from)? {
        return Err(CliError::Usage(format!("no bundle for {reference}: {why}")));
    }
    let compilation = Compilation::prepare(state, &mut conn, &request, &tenant)
        .map_err(|e| CliError::Usage(chain(&e)))?;

    let partial = out.with_extension("zip.partial");
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", partial.display())))?;

    let bar = ProgressBar::with_draw_target(
        Some(compilation.map.table_count() as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} tables, {msg} rows ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut progress = |p: Progress| {
        bar.set_position(p.tables_done as u64);
        bar.set_message(p.rows.to_string());
    };
    let result = compilation.compile(BufWriter::with_capacity(256 * 1024, file), &mut progress);
    bar.finish_and_clear();
    let (summary, writer) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(CliError::Runtime(e.to_string()));
        }
    };
    let file = writer
        .into_inner()
        .map_err(|e| CliError::Runtime(format!("writing {}: {}", partial.display(), e.error())))?;
    file.sync_all()
        .and_then(|()| std::fs::rename(&partial, out))
        .map_err(|e| CliError::Runtime(format!("writing {}: {e}", out.display())))?;

    record_export(&mut conn, &request, &summary)?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "{}: {} tables, {} rows, {} bytes, sha256 {}",
        out.display(),
        summary.tables,
        summary.rows,
        summary.size_bytes,
        summary.sha256
    );
    Ok(())
}
