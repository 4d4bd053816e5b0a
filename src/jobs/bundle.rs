//! Compiling one request's bundle (job kind `bundle`, payload `{"bundle_id"}`): read the
//! tenant's data map, stream the subject's rows from every system into the zip, which goes
//! encrypted into the file storage, and record the result — or the failure, naming the system
//! and table, after which the job is retried with backoff. A half-written file is never
//! readable (it is not finished) and maintenance removes it.

use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::bundle::{self, BundleError, BundleMeta, Progress};
use crate::config::Settings;
use crate::domain::{EventKind, IdentityKind};
use crate::error::{AppError, chain};
use crate::service::bundles::refusal_to_compile;
use crate::state::AppState;
use crate::store::bundles::{self, BundleRow, BundleStatus, ReadyBundle};
use crate::store::events::{EventActor, NewEvent};
use crate::store::files::{FileError, FilePurpose};
use crate::store::identities::RequestIdentity;
use crate::store::jobs::JobRow;
use crate::store::requests::RequestRow;
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, StoreError, now, write_tx};
use crate::tenant_data::demo::{DEMO_URL_VAR, demo_database_path, sqlite_url};
use crate::tenant_data::{DataMap, DataMapError, ExportOptions, SubjectIdentities};

/// Why a bundle was not compiled. Each variant keeps its cause; [`chain`] renders the whole
/// of it, which is also what staff see as the bundle's `error`: it names the system and
/// table, never a URL or the subject's data (tenant data errors are scrubbed where they arise).
#[derive(Debug, thiserror::Error)]
pub enum BundleJobError {
    #[error("tenant {0} has no data map")]
    NoDataMap(String),
    #[error("{path}: the data map is for tenant {map_tenant:?}, not for {tenant:?}")]
    OtherTenantsMap {
        path: String,
        map_tenant: String,
        tenant: String,
    },
    #[error(transparent)]
    DataMap(#[from] DataMapError),
    #[error("bad payload")]
    Payload(#[source] serde_json::Error),
    #[error("the request is gone")]
    RequestGone,
    #[error("the request has no tenant")]
    NoTenant,
    #[error(transparent)]
    Compile(#[from] BundleError),
    #[error("store")]
    Store(#[from] StoreError),
    #[error("file storage")]
    Files(#[from] FileError),
    #[error("{0}")]
    Service(#[source] AppError),
}

impl From<AppError> for BundleJobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(e) => Self::Store(e),
            other => Self::Service(other),
        }
    }
}

impl From<diesel::result::Error> for BundleJobError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

#[derive(Deserialize)]
struct Payload {
    bundle_id: String,
}

/// How often progress is written to the store while a bundle compiles.
const PROGRESS_INTERVAL: StdDuration = StdDuration::from_secs(1);

/// The tenant's data map, which must be the tenant's own: a map naming another tenant is
/// never used (tenant isolation).
pub fn load_map(tenant: &Tenant) -> Result<DataMap, BundleJobError> {
    let path = tenant
        .datamap_path
        .as_deref()
        .ok_or_else(|| BundleJobError::NoDataMap(tenant.slug.clone()))?;
    let map = DataMap::load(Path::new(path))?;
    if map.tenant != tenant.slug {
        return Err(BundleJobError::OtherTenantsMap {
            path: path.to_owned(),
            map_tenant: map.tenant,
            tenant: tenant.slug.clone(),
        });
    }
    Ok(map)
}

/// Who the rows are about: the address the subject gave, and what staff added.
pub fn subject_identities(
    conn: &mut DbConnection,
    request: &RequestRow,
) -> Result<SubjectIdentities, StoreError> {
    let mut ids = SubjectIdentities {
        emails: vec![request.subject_email.clone()],
        ..SubjectIdentities::default()
    };
    if let Some(phone) = &request.subject_phone {
        ids.phones.push(phone.clone());
    }
    for extra in RequestIdentity::for_request(conn, &request.id)? {
        let list = match extra.kind.parse::<IdentityKind>() {
            Ok(IdentityKind::Email) => &mut ids.emails,
            Ok(IdentityKind::Phone) => &mut ids.phones,
            Ok(IdentityKind::CustomerId) => &mut ids.customer_ids,
            Err(_) => continue,
        };
        if !list.contains(&extra.value) {
            list.push(extra.value);
        }
    }
    Ok(ids)
}

/// How this instance reads tenant databases: the demo tenant's database lives in the data dir
/// (`serve --demo`), unless `INZAGE_DEMO_APP_DB` says otherwise.
pub fn export_options(settings: &Settings) -> ExportOptions {
    let mut options = ExportOptions::default();
    if std::env::var_os(DEMO_URL_VAR).is_none() {
        options.vars.insert(
            DEMO_URL_VAR.to_owned(),
            sqlite_url(&demo_database_path(&settings.data_dir)),
        );
    }
    options
}

/// What the bundle says about the request and its controller.
pub fn meta(
    state: &AppState,
    request: &RequestRow,
    tenant: &Tenant,
) -> Result<BundleMeta, StoreError> {
    Ok(BundleMeta {
        reference: request.reference.clone(),
        kind: request.kind,
        received_at: request.received_at.and_utc(),
        controller_slug: tenant.slug.clone(),
        controller_name: tenant.name.clone(),
        controller_email: tenant.contact_email.clone(),
        processor: state.settings.processor_name.clone(),
        generated_at: Utc::now(),
    })
}

/// Everything a bundle is compiled from, read once: the job and `inzage export` both compile
/// through this, so the file a controller downloads and the file an operator exports are made
/// the same way.
pub struct Compilation {
    pub map: DataMap,
    pub subject: SubjectIdentities,
    pub meta: BundleMeta,
    options: ExportOptions,
    spool: std::path::PathBuf,
}

impl Compilation {
    /// Reads the tenant's data map and the subject's identities for `request`.
    pub fn prepare(
        state: &AppState,
        conn: &mut DbConnection,
        request: &RequestRow,
        tenant: &Tenant,
    ) -> Result<Self, BundleJobError> {
        Ok(Self {
            map: load_map(tenant)?,
            subject: subject_identities(conn, request)?,
            meta: meta(state, request, tenant)?,
            options: export_options(&state.settings),
            spool: state.settings.data_dir.join("tmp"),
        })
    }

    /// Writes the zip into `out`, reporting progress as tables finish.
    pub fn compile<W: std::io::Write + Send + 'static>(
        &self,
        out: W,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(bundle::BundleSummary, W), BundleError> {
        bundle::compile(
            &self.map,
            &self.meta,
            &self.subject,
            &self.options,
            &self.spool,
            out,
            progress,
        )
    }
}

pub fn run(state: &AppState, job: &JobRow) -> Result<(), BundleJobError> {
    let payload: Payload = serde_json::from_str(&job.payload).map_err(BundleJobError::Payload)?;
    let mut conn = state.db.conn()?;
    let Some(bundle) = BundleRow::find(&mut conn, &payload.bundle_id)? else {
        return Ok(()); // removed meanwhile: nothing to do
    };
    if bundle.is(BundleStatus::Ready) || bundle.is(BundleStatus::Expired) {
        return Ok(()); // an earlier try finished; only its job's completion was lost
    }
    let request =
        RequestRow::find(&mut conn, &bundle.request_id)?.ok_or(BundleJobError::RequestGone)?;
    let tenant = match &request.tenant_id {
        Some(id) => Tenant::find(&mut conn, id)?,
        None => None,
    }
    .ok_or(BundleJobError::NoTenant)?;
    // The request may have changed since the bundle was asked for (withdrawn, say).
    if let Some(why) = refusal_to_compile(&request, &tenant)? {
        finish_failed(
            &mut conn,
            &bundle,
            &request,
            &format!("not compiled: {why}"),
            true,
        )?;
        return Ok(());
    }
    let final_try = job.attempts >= job.max_attempts;
    match compile(state, &mut conn, &bundle, &request, &tenant) {
        Ok(()) => Ok(()),
        Err(error) => {
            finish_failed(&mut conn, &bundle, &request, &chain(&error), final_try)?;
            Err(error)
        }
    }
}

fn finish_failed(
    conn: &mut DbConnection,
    bundle: &BundleRow,
    request: &RequestRow,
    error: &str,
    final_try: bool,
) -> Result<(), StoreError> {
    write_tx(conn, |conn| -> Result<(), StoreError> {
        bundles::failed(conn, &bundle.id, error, now())?;
        if final_try {
            let mut event = NewEvent::new(
                &request.id,
                &EventActor::system(),
                EventKind::BundleFailed,
                now(),
            );
            event.note = Some(error.to_owned());
            event.insert(conn)?;
        }
        Ok(())
    })
}

fn compile(
    state: &AppState,
    conn: &mut DbConnection,
    bundle: &BundleRow,
    request: &RequestRow,
    tenant: &Tenant,
) -> Result<(), BundleJobError> {
    let compilation = Compilation::prepare(state, conn, request, tenant)?;
    let tables_total = i32::try_from(compilation.map.table_count()).unwrap_or(i32::MAX);
    bundles::start(conn, &bundle.id, tables_total, now())?;

    let file = state.files.create(FilePurpose::Bundle)?;
    let mut last = Instant::now();
    let mut progress = |p: Progress| {
        if last.elapsed() < PROGRESS_INTERVAL && p.tables_done < p.tables_total {
            return;
        }
        last = Instant::now();
        let done = i32::try_from(p.tables_done).unwrap_or(i32::MAX);
        let rows = i64::try_from(p.rows).unwrap_or(i64::MAX);
        // Progress is a courtesy: a failed update does not fail the bundle.
        if let Err(e) = bundles::progress(conn, &bundle.id, done, rows) {
            tracing::warn!(error = %chain(&e), "recording bundle progress failed");
        }
    };
    let (summary, file) = compilation.compile(file, &mut progress)?;
    let stored = file.finish()?;
    let finished = now();
    let expires_at = finished + Duration::days(i64::from(state.settings.bundle_retention_days));
    write_tx(conn, |conn| -> Result<(), StoreError> {
        bundles::ready(
            conn,
            &bundle.id,
            &ReadyBundle {
                file_id: &stored.id,
                tables: i32::try_from(summary.tables).unwrap_or(i32::MAX),
                rows: i64::try_from(summary.rows).unwrap_or(i64::MAX),
                size_bytes: i64::try_from(summary.size_bytes).unwrap_or(i64::MAX),
                sha256: &summary.sha256,
                finished_at: finished,
                expires_at,
            },
        )?;
        let mut event = NewEvent::new(
            &request.id,
            &EventActor::system(),
            EventKind::BundleReady,
            finished,
        );
        event.data = Some(
            serde_json::json!({
                "bundle_id": bundle.id,
                "tables": summary.tables,
                "rows": summary.rows,
                "size_bytes": summary.size_bytes,
                "sha256": summary.sha256,
            })
            .to_string(),
        );
        event.insert(conn)?;
        Ok(())
    })?;
    tracing::info!(bundle = %bundle.id, tables = summary.tables, rows = summary.rows, bytes = summary.size_bytes, "bundle ready");
    Ok(())
}

/// Removes the files of bundles past their retention period (hourly, from the retention job).
pub fn expire(state: &AppState) -> Result<usize, BundleJobError> {
    let mut conn = state.db.conn()?;
    let due = BundleRow::past_retention(&mut conn, now())?;
    for b in &due {
        if let Some(file) = &b.file_id {
            state.files.delete(file)?;
        }
        bundles::expired(&mut conn, &b.id)?;
    }
    Ok(due.len())
}
