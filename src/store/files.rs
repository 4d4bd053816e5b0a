//! Files at rest (bundles, ID copies) behind one small interface, encrypted before they
//! reach storage (`crate::crypto`): a local directory under `INZAGE_DATA_DIR` when the store
//! is SQLite (one instance), chunks in the `file_chunks` table when it is PostgreSQL, so any
//! instance serves any download and a database backup holds everything (DESIGN.md).
//!
//! INTERFACE STUB: the signatures are the contract; the implementation arrives with the ID
//! copy work.

use std::path::{Path, PathBuf};

use super::Db;

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
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] super::StoreError),
    /// Decryption failed: the file was altered or the key changed.
    #[error("the stored file cannot be decrypted (altered, or another key)")]
    Tampered,
}

/// A finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: String,
    /// Plaintext bytes.
    pub size_bytes: u64,
}

/// The storage; cheap to clone.
#[derive(Clone)]
pub struct FileStorage {
    #[allow(dead_code)]
    db: Db,
    #[allow(dead_code)]
    dir: PathBuf,
    #[allow(dead_code)]
    master: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStorage")
            .field("dir", &self.dir)
            .finish()
    }
}

/// A file being written: write its plaintext, then [`FileWriter::finish`]. Dropped without
/// finishing, it is never readable (and maintenance removes it).
pub struct FileWriter {
    id: String,
}

impl FileWriter {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals the last segment and marks the file complete.
    pub fn finish(self) -> Result<StoredFile, FileError> {
        Err(FileError::NotFound)
    }
}

impl std::io::Write for FileWriter {
    fn write(&mut self, _buf: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("file storage is not supported yet"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A complete file being read: plaintext, decrypted and checked segment by segment.
pub struct FileReader {
    size: u64,
}

impl FileReader {
    /// Plaintext size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl std::io::Read for FileReader {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("file storage is not supported yet"))
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

    /// Starts a new file (blocking: call from a blocking thread).
    pub fn create(&self, _purpose: FilePurpose) -> Result<FileWriter, FileError> {
        Err(FileError::NotFound)
    }

    /// Opens a complete file (blocking).
    pub fn open(&self, _id: &str) -> Result<FileReader, FileError> {
        Err(FileError::NotFound)
    }

    /// Removes a file and its bytes (blocking). Removing a missing file is not an error.
    pub fn delete(&self, _id: &str) -> Result<(), FileError> {
        Ok(())
    }
}
