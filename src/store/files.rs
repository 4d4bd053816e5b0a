//! Files at rest (bundles, ID copies) behind one small interface, encrypted before they
//! reach storage (`crate::crypto`): a local directory under `INZAGE_DATA_DIR` when the store
//! is SQLite (one instance), chunks in the `file_chunks` table when it is PostgreSQL, so any
//! instance serves any download and a database backup holds everything (README, "Files at rest").
//!
//! Every file has a `stored_files` row on both backends: its purpose, plaintext size, whether
//! it is complete, and the salt of its own key. Writing streams: plaintext is sealed segment by
//! segment ([`crate::crypto::SEGMENT_LEN`]) and, on PostgreSQL, stored in [`CHUNK_LEN`] chunks
//! as it goes, so memory stays flat whatever the file's size. A file becomes readable only
//! when [`FileWriter::finish`] marks it complete (on SQLite after an fsync'd rename from a
//! temporary name); one that is never finished is removed by maintenance after a day.
//!
//! Deleting: [`FileStorage::delete`], or inside a caller's transaction [`FileStorage::forget_in`]
//! and after commit [`FileStorage::remove_bytes`]. Once the row is gone the bytes cannot be
//! decrypted (the key's salt went with it), and [`FileStorage::sweep`] removes any bytes a
//! crash left behind (GDPR art. 5(1)(e), 32).
//!
//! All calls block: run them on a blocking thread (`Db::run`, `spawn_blocking`, a job).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{file_chunks, stored_files};
use super::{Db, DbConnection, StoreError, now, write_tx};
use crate::crypto::{self, CryptoError, OpeningReader, SealingWriter};

/// Bytes of sealed data per `file_chunks` row on PostgreSQL.
pub const CHUNK_LEN: usize = 1024 * 1024;

/// What a stored file is for (kept in `stored_files.purpose`; each has its own key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    Bundle,
    IdDocument,
}

impl FilePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bundle => "bundle",
            Self::IdDocument => "id_document",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("file not found")]
    NotFound,
    #[error("file storage: {0}")]
    Io(std::io::Error),
    #[error(transparent)]
    Store(#[from] super::StoreError),
    /// Decryption failed: the file was altered or the key changed.
    #[error("the stored file cannot be decrypted (altered, or another key)")]
    Tampered,
}

/// An `io::Error` from a [`FileReader`] or [`FileWriter`] back as what it was: a failed tag
/// is [`FileError::Tampered`], anything else [`FileError::Io`].
impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        match CryptoError::from_io(e) {
            CryptoError::Tampered => Self::Tampered,
            CryptoError::Io(e) => Self::Io(e),
        }
    }
}

impl From<CryptoError> for FileError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Tampered => Self::Tampered,
            CryptoError::Io(e) => Self::Io(e),
        }
    }
}

impl From<diesel::result::Error> for FileError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

/// A finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: String,
    /// Plaintext bytes.
    pub size_bytes: u64,
}

/// A `stored_files` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stored_files)]
struct FileRow {
    id: String,
    purpose: String,
    size_bytes: i64,
    complete: bool,
    #[allow(dead_code)]
    created_at: NaiveDateTime,
    key_salt: Option<String>,
}

/// What [`FileStorage::sweep`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Files never finished (and older than the cutoff).
    pub incomplete: usize,
    /// Bytes in the directory without a row (left by a crash between commit and removal).
    pub orphans: usize,
}

/// The storage; cheap to clone.
#[derive(Clone)]
pub struct FileStorage {
    db: Db,
    dir: PathBuf,
    master: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStorage")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Ids are our own UUIDs; anything else never reaches a path or a query.
fn valid_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// What every segment of a file is bound to: its purpose and id (a file copied over another,
/// or read for another purpose, does not open).
fn context(purpose: &str, id: &str) -> Vec<u8> {
    format!("{purpose}\0{id}").into_bytes()
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Where the sealed bytes go while a file is written.
enum Backing {
    /// SQLite store: a temporary file, renamed to its id on finish.
    Local { file: BufWriter<File>, tmp: PathBuf },
    /// PostgreSQL store: `file_chunks` rows, one per [`CHUNK_LEN`].
    Chunks(ChunkSink),
}

impl Write for Backing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Local { file, .. } => file.write(buf),
            Self::Chunks(c) => c.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Local { file, .. } => file.flush(),
            // Partial chunks are written by `ChunkSink::close`, not on every flush.
            Self::Chunks(_) => Ok(()),
        }
    }
}

struct ChunkSink {
    db: Db,
    file_id: String,
    seq: i32,
    buf: Vec<u8>,
}

impl ChunkSink {
    fn store(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut conn = self.db.conn().map_err(to_io)?;
        diesel::insert_into(file_chunks::table)
            .values((
                file_chunks::file_id.eq(&self.file_id),
                file_chunks::seq.eq(self.seq),
                file_chunks::data.eq(&self.buf),
            ))
            .execute(&mut conn)
            .map_err(to_io)?;
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or_else(|| io::Error::other("file too large"))?;
        self.buf.clear();
        Ok(())
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = (CHUNK_LEN - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == CHUNK_LEN {
            self.store()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where the sealed bytes come from while a file is read.
enum Source {
    Local(File),
    Chunks(ChunkSource),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Local(f) => f.read(buf),
            Self::Chunks(c) => c.read(buf),
        }
    }
}

/// Reads `file_chunks` in order, one chunk in memory at a time. A missing chunk ends the
/// data early, which the decryption then reports as tampering.
struct ChunkSource {
    db: Db,
    file_id: String,
    next_seq: i32,
    chunk: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Read for ChunkSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            let mut conn = self.db.conn().map_err(to_io)?;
            let next: Option<Vec<u8>> = file_chunks::table
                .filter(file_chunks::file_id.eq(&self.file_id))
                .filter(file_chunks::seq.eq(self.next_seq))
                .select(file_chunks::data)
                .first(&mut conn)
                .optional()
                .map_err(to_io)?;
            match next {
                Some(data) => {
                    self.chunk = data;
                    self.pos = 0;
                    self.next_seq += 1;
                }
                None => self.ended = true,
            }
        }
        let n = (self.chunk.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A file being written: write its plaintext, then [`FileWriter::finish`]. Dropped without
/// finishing, it is never readable (and maintenance removes it).
pub struct FileWriter {
    id: String,
    storage: FileStorage,
    sealer: Option<SealingWriter<Backing>>,
    /// Set once the file is complete; a writer dropped before that removes its file.
    done: bool,
}

impl FileWriter {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Plaintext bytes written so far.
    pub fn len(&self) -> u64 {
        self.sealer.as_ref().map_or(0, SealingWriter::plaintext_len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Seals the last segment and marks the file complete.
    pub fn finish(mut self) -> Result<StoredFile, FileError> {
        let sealer = self.sealer.take().ok_or(FileError::NotFound)?;
        let (backing, size) = sealer.finish()?;
        match backing {
            Backing::Local { file, tmp } => {
                let file = file
                    .into_inner()
                    .map_err(|e| FileError::Io(e.into_error()))?;
                file.sync_all()?;
                drop(file);
                let dest = self.storage.path(&self.id);
                fs::rename(&tmp, &dest)?;
                sync_dir(&self.storage.dir)?;
            }
            Backing::Chunks(mut sink) => sink.store()?,
        }
        let size_bytes = i64::try_from(size).map_err(|_| FileError::Io(to_io("file too large")))?;
        let mut conn = self.storage.db.conn()?;
        let updated = diesel::update(stored_files::table.find(&self.id))
            .set((
                stored_files::complete.eq(true),
                stored_files::size_bytes.eq(size_bytes),
            ))
            .execute(&mut conn)?;
        if updated != 1 {
            // Removed meanwhile (e.g. by maintenance after a very long write).
            return Err(FileError::NotFound);
        }
        self.done = true;
        Ok(StoredFile {
            id: self.id.clone(),
            size_bytes: size,
        })
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if !self.done {
            // Abandoned or failed: best effort now, maintenance otherwise.
            self.sealer = None;
            let _ = self.storage.delete(&self.id);
        }
    }
}

impl std::io::Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.sealer.as_mut() {
            Some(s) => s.write(buf),
            None => Err(io::Error::other("the file is finished")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.sealer.as_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}

/// A complete file being read: plaintext, decrypted and checked segment by segment.
///
/// `Read` errors from a failed check convert to [`FileError::Tampered`] with `FileError::from`;
/// [`FileReader::copy_to`] does that for you. A check fails before any of that segment's
/// plaintext is handed out.
pub struct FileReader {
    size: u64,
    inner: OpeningReader<Source>,
}

impl FileReader {
    /// Plaintext size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Copies the whole plaintext into `out`; the bytes copied.
    pub fn copy_to<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<u64, FileError> {
        let mut buf = vec![0u8; crypto::SEGMENT_LEN];
        let mut total = 0u64;
        loop {
            let n = match self.inner.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            out.write_all(&buf[..n])?;
            total += u64::try_from(n).unwrap_or(u64::MAX);
        }
    }
}

impl std::io::Read for FileReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl FileStorage {
    /// `dir` is used on a SQLite store (`$INZAGE_DATA_DIR/files`); `master` is the secret key.
    pub fn new(db: Db, dir: &Path, master: &[u8]) -> Self {
        Self {
            db,
            dir: dir.to_owned(),
            master: master.into(),
        }
    }

    fn local(&self) -> bool {
        !self.db.is_postgres()
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    fn tmp_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!(".{id}.tmp"))
    }

    /// Starts a new file (blocking: call from a blocking thread).
    pub fn create(&self, purpose: FilePurpose) -> Result<FileWriter, FileError> {
        let id = super::new_id();
        let salt = crypto::new_salt();
        // The row comes first: bytes without a row are orphans the sweep may remove.
        let mut conn = self.db.conn()?;
        diesel::insert_into(stored_files::table)
            .values((
                stored_files::id.eq(&id),
                stored_files::purpose.eq(purpose.as_str()),
                stored_files::size_bytes.eq(0i64),
                stored_files::complete.eq(false),
                stored_files::created_at.eq(now()),
                stored_files::key_salt.eq(Some(hex::encode(salt))),
            ))
            .execute(&mut conn)?;
        drop(conn);
        let mut writer = FileWriter {
            id: id.clone(),
            storage: self.clone(),
            sealer: None,
            done: false,
        };
        let backing = if self.local() {
            private_dir(&self.dir)?;
            let tmp = self.tmp_path(&id);
            Backing::Local {
                file: BufWriter::with_capacity(crypto::SEGMENT_LEN, create_private(&tmp)?),
                tmp,
            }
        } else {
            Backing::Chunks(ChunkSink {
                db: self.db.clone(),
                file_id: id.clone(),
                seq: 0,
                buf: Vec::with_capacity(CHUNK_LEN),
            })
        };
        let key = crypto::file_key(&self.master, purpose.as_str(), &salt);
        // On error `writer` drops unfinished and removes the row.
        writer.sealer = Some(SealingWriter::new(
            backing,
            &key,
            &context(purpose.as_str(), &id),
        )?);
        Ok(writer)
    }

    /// Opens a complete file (blocking).
    pub fn open(&self, id: &str) -> Result<FileReader, FileError> {
        if !valid_id(id) {
            return Err(FileError::NotFound);
        }
        let mut conn = self.db.conn()?;
        let row = stored_files::table
            .find(id)
            .select(FileRow::as_select())
            .first(&mut conn)
            .optional()?
            .filter(|r| r.complete)
            .ok_or(FileError::NotFound)?;
        drop(conn);
        let salt = row
            .key_salt
            .as_deref()
            .and_then(|s| hex::decode(s).ok())
            .filter(|s| s.len() == crypto::SALT_LEN)
            .ok_or(FileError::Tampered)?;
        let size = u64::try_from(row.size_bytes).map_err(|_| FileError::Tampered)?;
        let source = if self.local() {
            match File::open(self.path(&row.id)) {
                Ok(f) => Source::Local(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(FileError::NotFound),
                Err(e) => return Err(FileError::Io(e)),
            }
        } else {
            Source::Chunks(ChunkSource {
                db: self.db.clone(),
                file_id: row.id.clone(),
                next_seq: 0,
                chunk: Vec::new(),
                pos: 0,
                ended: false,
            })
        };
        let key = crypto::file_key(&self.master, &row.purpose, &salt);
        let inner = OpeningReader::new(source, &key, &context(&row.purpose, &row.id), Some(size))?;
        Ok(FileReader { size, inner })
    }

    /// Opens a complete file only if it was stored for `purpose` (a bundle id never opens an
    /// ID copy, and the other way round); another purpose is "not found".
    pub fn open_for(&self, id: &str, purpose: FilePurpose) -> Result<FileReader, FileError> {
        if !valid_id(id) {
            return Err(FileError::NotFound);
        }
        let mut conn = self.db.conn()?;
        let stored: Option<String> = stored_files::table
            .find(id)
            .select(stored_files::purpose)
            .first(&mut conn)
            .optional()?;
        drop(conn);
        if stored.as_deref() != Some(purpose.as_str()) {
            return Err(FileError::NotFound);
        }
        self.open(id)
    }

    /// Removes a file and its bytes (blocking). Removing a missing file is not an error.
    pub fn delete(&self, id: &str) -> Result<(), FileError> {
        if !valid_id(id) {
            return Ok(());
        }
        let mut conn = self.db.conn()?;
        write_tx(&mut conn, |conn| Self::forget_in(conn, id))?;
        drop(conn);
        self.remove_bytes(id)
    }

    /// Deletes a file's row (and on PostgreSQL its chunks) inside the caller's transaction, so
    /// the file is gone exactly when the change that ends it commits. Without the row the
    /// bytes cannot be decrypted; call [`FileStorage::remove_bytes`] after the commit (and
    /// [`FileStorage::sweep`] removes what a crash in between leaves).
    pub fn forget_in(conn: &mut DbConnection, id: &str) -> Result<(), FileError> {
        if !valid_id(id) {
            return Ok(());
        }
        diesel::delete(file_chunks::table.filter(file_chunks::file_id.eq(id))).execute(conn)?;
        diesel::delete(stored_files::table.find(id)).execute(conn)?;
        Ok(())
    }

    /// Removes a file's bytes from the directory (SQLite store; nothing to do on PostgreSQL,
    /// where [`FileStorage::forget_in`] removed the chunks). Missing bytes are not an error.
    pub fn remove_bytes(&self, id: &str) -> Result<(), FileError> {
        if !valid_id(id) || !self.local() {
            return Ok(());
        }
        remove_if_present(&self.path(id))?;
        remove_if_present(&self.tmp_path(id))?;
        Ok(())
    }

    /// Whether a complete file with this id exists.
    pub fn exists(&self, id: &str) -> Result<bool, FileError> {
        if !valid_id(id) {
            return Ok(false);
        }
        let mut conn = self.db.conn()?;
        let complete: Option<bool> = stored_files::table
            .find(id)
            .select(stored_files::complete)
            .first(&mut conn)
            .optional()?;
        Ok(complete == Some(true))
    }

    /// Removes files never finished that were started before `incomplete_before`, and (SQLite
    /// store) bytes in the directory that have no row any more. For maintenance.
    pub fn sweep(&self, incomplete_before: NaiveDateTime) -> Result<SweepReport, FileError> {
        let mut report = SweepReport::default();
        let mut conn = self.db.conn()?;
        let stale: Vec<String> = stored_files::table
            .filter(stored_files::complete.eq(false))
            .filter(stored_files::created_at.lt(incomplete_before))
            .select(stored_files::id)
            .load(&mut conn)?;
        drop(conn);
        for id in stale {
            self.delete(&id)?;
            report.incomplete += 1;
        }
        if self.local() {
            report.orphans = self.sweep_orphans()?;
        }
        Ok(report)
    }

    fn sweep_orphans(&self) -> Result<usize, FileError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut removed = 0;
        let mut conn = self.db.conn()?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let id = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".tmp"))
                .unwrap_or(name);
            if !valid_id(id) {
                continue;
            }
            let known: i64 = stored_files::table
                .filter(stored_files::id.eq(id))
                .count()
                .get_result(&mut conn)
                .map_err(StoreError::from)?;
            if known == 0 {
                remove_if_present(&entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
