//! `inzage backup` and `inzage restore` for the embedded SQLite store (a single instance has
//! no DBA): one zip with a consistent snapshot of the database (`VACUUM INTO`, taken while
//! the service runs) and every file under the data dir (the encrypted bundles and ID copies,
//! mail files, a generated secret key, the demo database), each with its SHA-256 in
//! `backup.json`. PostgreSQL stores are backed up with `pg_dump` (README).
//!
//! Consistency with a running service: files are copied once before the snapshot and once
//! after (only those not yet copied). A stored file's bytes are complete before its row says
//! so and are removed only after its row is gone, so every file the snapshot names is in the
//! archive, unless it was both created after the first pass and deleted before the second.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::config::Settings;
use crate::store::{Backend, Db, StoreError};

/// The database's name inside the archive.
const DB_ENTRY: &str = "inzage.db";
/// The manifest's name inside the archive.
const MANIFEST_ENTRY: &str = "backup.json";
/// Files under the data dir go under this prefix.
const DATA_PREFIX: &str = "data/";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "inzage backup covers the embedded SQLite store; back up PostgreSQL with pg_dump and copy the data dir (see the README)"
    )]
    NotSqlite,
    #[error("refusing to overwrite {0}: restore into an empty store and data dir")]
    WouldOverwrite(PathBuf),
    #[error("the archive is not an inzage backup or is damaged: {0}")]
    BadArchive(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    created_at: String,
    /// Archive path → (bytes, SHA-256 hex).
    files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    bytes: u64,
    sha256: String,
}

/// What a backup holds.
#[derive(Debug)]
pub struct BackupSummary {
    pub files: usize,
    pub bytes: u64,
}

fn sqlite_path(settings: &Settings) -> Result<PathBuf, BackupError> {
    match Backend::from_url(settings.database_url())? {
        Backend::Sqlite(path) => Ok(path),
        Backend::Postgres(_) => Err(BackupError::NotSqlite),
    }
}

/// The files under the data dir worth keeping: not temporary ones (`.x.tmp`, `*.partial`),
/// and not the store itself if it lives there.
fn data_files(data_dir: &Path, skip: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![data_dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file()
                && !name.ends_with(".tmp")
                && !name.ends_with(".partial")
                && !skip.iter().any(|s| s == &path)
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn archive_name(data_dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(data_dir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(format!("{DATA_PREFIX}{}", parts.join("/")))
}

/// Copies `src` into the zip entry `name`, hashing it; a file that vanished is skipped.
fn add_file<W: Write + io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    name: &str,
    src: &Path,
    options: SimpleFileOptions,
) -> Result<Option<FileEntry>, BackupError> {
    let file = match File::open(src) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_at(src)(e)),
    };
    zip.start_file(name, options).map_err(|e| BackupError::Io {
        path: src.to_owned(),
        source: io::Error::other(e),
    })?;
    let mut reader = BufReader::new(file);
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(io_at(src))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        zip.write_all(&buf[..n]).map_err(io_at(src))?;
        bytes += n as u64;
    }
    Ok(Some(FileEntry {
        bytes,
        sha256: hex::encode(hash.finalize()),
    }))
}

/// Writes the backup to `out` (as `out.partial`, renamed when complete; mode 0600).
pub fn backup(settings: &Settings, out: &Path) -> Result<BackupSummary, BackupError> {
    let db_path = sqlite_path(settings)?;
    let data_dir = settings.data_dir.clone();
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let file = create_private(&partial).map_err(io_at(&partial))?;
    let result = write_backup(settings, &db_path, &data_dir, file, &partial);
    match result {
        Ok(summary) => {
            fs::rename(&partial, out).map_err(io_at(out))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_backup(
    settings: &Settings,
    db_path: &Path,
    data_dir: &Path,
    file: File,
    partial: &Path,
) -> Result<BackupSummary, BackupError> {
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut skip: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", db_path.display())))
        .collect();
    skip.push(partial.to_owned());
    let mut files = BTreeMap::new();
    // Pass one: the files as they are now.
    for path in data_files(data_dir, &skip).map_err(io_at(data_dir))? {
        if let Some(name) = archive_name(data_dir, &path)
            && let Some(entry) = add_file(&mut zip, &name, &path, stored)?
        {
            files.insert(name, entry);
        }
    }
    // The snapshot: one read transaction, consistent, while writers carry on (WAL).
    let tmp = tempfile::Builder::new()
        .prefix(".inzage-backup-")
        .tempdir_in(
            partial
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .map_err(io_at(partial))?;
    let snapshot = tmp.path().join(DB_ENTRY);
    let db = Db::connect(settings.database_url(), 1)?;
    let mut conn = db.conn()?;
    crate::store::snapshot_into(&mut conn, &snapshot)?;
    drop(conn);
    if let Some(entry) = add_file(&mut zip, DB_ENTRY, &snapshot, deflated)? {
        files.insert(DB_ENTRY.to_owned(), entry);
    }
    // Pass two: files that came after pass one (their rows may be in the snapshot).
    for path in data_files(data_dir, &skip).map_err(io_at(data_dir))? {
        if let Some(name) = archive_name(data_dir, &path)
            && !files.contains_key(&name)
            && let Some(entry) = add_file(&mut zip, &name, &path, stored)?
        {
            files.insert(name, entry);
        }
    }
    let manifest = Manifest {
        format: "inzage-backup-1".to_owned(),
        created_at: chrono::Utc::now().to_rfc3339(),
        files,
    };
    zip.start_file(MANIFEST_ENTRY, deflated)
        .map_err(|e| io_at(partial)(io::Error::other(e)))?;
    serde_json::to_writer_pretty(&mut zip, &manifest)
        .map_err(|e| io_at(partial)(io::Error::other(e)))?;
    let out = zip
        .finish()
        .map_err(|e| io_at(partial)(io::Error::other(e)))?;
    let file = out
        .into_inner()
        .map_err(|e| io_at(partial)(e.into_error()))?;
    file.sync_all().map_err(io_at(partial))?;
    Ok(BackupSummary {
        files: manifest.files.len(),
        bytes: manifest.files.values().map(|f| f.bytes).sum(),
    })
}

/// Restores a backup into the configured store and data dir. Refuses when the store file
/// exists (a running or existing store) or any file of the archive exists in the data dir.
pub fn restore(settings: &Settings, archive: &Path) -> Result<BackupSummary, BackupError> {
    let db_path = sqlite_path(settings)?;
    let data_dir = settings.data_dir.clone();
    for p in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{p}", db_path.display()));
        if path.exists() {
            return Err(BackupError::WouldOverwrite(path));
        }
    }
    let file = File::open(archive).map_err(io_at(archive))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| BackupError::BadArchive(e.to_string()))?;
    let manifest: Manifest = {
        let entry = zip
            .by_name(MANIFEST_ENTRY)
            .map_err(|e| BackupError::BadArchive(e.to_string()))?;
        serde_json::from_reader(entry).map_err(|e| BackupError::BadArchive(e.to_string()))?
    };
    if manifest.format != "inzage-backup-1" || !manifest.files.contains_key(DB_ENTRY) {
        return Err(BackupError::BadArchive("unknown format".to_owned()));
    }
    // Where each entry goes; nothing may exist there yet.
    let mut targets = Vec::new();
    for name in manifest.files.keys() {
        let target = if name == DB_ENTRY {
            db_path.clone()
        } else {
            let rel = name
                .strip_prefix(DATA_PREFIX)
                .filter(|r| {
                    !r.is_empty()
                        && r.split('/')
                            .all(|c| !c.is_empty() && c != ".." && c != "." && !c.contains('\\'))
                })
                .ok_or_else(|| BackupError::BadArchive(format!("bad entry {name}")))?;
            rel.split('/').fold(data_dir.clone(), |p, c| p.join(c))
        };
        if target.exists() {
            return Err(BackupError::WouldOverwrite(target));
        }
        targets.push((name.clone(), target));
    }
    crate::private_fs::private_dir(&data_dir).map_err(io_at(&data_dir))?;
    for (name, target) in &targets {
        let expected = &manifest.files[name];
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            if dir.starts_with(&data_dir) {
                crate::private_fs::private_dir(dir).map_err(io_at(dir))?;
            } else {
                fs::create_dir_all(dir).map_err(io_at(dir))?;
            }
        }
        let partial = PathBuf::from(format!("{}.partial", target.display()));
        let mut entry = zip
            .by_name(name)
            .map_err(|e| BackupError::BadArchive(e.to_string()))?;
        let mut out = BufWriter::new(create_private(&partial).map_err(io_at(&partial))?);
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut bytes = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(io_at(archive))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io_at(&partial))?;
            bytes += n as u64;
        }
        let out = out
            .into_inner()
            .map_err(|e| io_at(&partial)(e.into_error()))?;
        out.sync_all().map_err(io_at(&partial))?;
        if bytes != expected.bytes || hex::encode(hash.finalize()) != expected.sha256 {
            let _ = fs::remove_file(&partial);
            return Err(BackupError::BadArchive(format!(
                "{name} does not match its hash"
            )));
        }
        fs::rename(&partial, target).map_err(io_at(target))?;
    }
    Ok(BackupSummary {
        files: manifest.files.len(),
        bytes: manifest.files.values().map(|f| f.bytes).sum(),
    })
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
