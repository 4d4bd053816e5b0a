//! A table's CSV kept aside while its JSON goes into the zip (a streaming zip writes one entry
//! at a time, and the rows are read from the tenant database once). The spool is an unlinked
//! temporary file — gone when dropped, even after a crash — encrypted with a key that exists
//! only in this process's memory (GDPR art. 32: personal data never rests in plaintext).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::crypto::{OpeningReader, SealingWriter};

/// What the spool's sealed segments are bound to.
const CONTEXT: &[u8] = b"inzage bundle spool";

/// Write side: the plaintext goes sealed (`crate::crypto`) into the unlinked file.
pub struct Spool {
    file: SealingWriter<BufWriter<File>>,
    key: [u8; 32],
}

impl Spool {
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = BufWriter::with_capacity(128 * 1024, tempfile::tempfile_in(dir)?);
        let key: [u8; 32] = rand::random();
        Ok(Self {
            file: SealingWriter::new(file, &key, CONTEXT)?,
            key,
        })
    }

    /// Seals the last segment and turns the spool into a reader from its start.
    pub fn into_reader(self) -> io::Result<SpoolReader> {
        let (file, len) = self.file.finish()?;
        let mut file = file.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let reader = OpeningReader::new(
            BufReader::with_capacity(128 * 1024, file),
            &self.key,
            CONTEXT,
            Some(len),
        )
        .map_err(|e| io::Error::other(format!("reading the spool back: {e}")))?;
        Ok(SpoolReader { reader })
    }
}

impl Write for Spool {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.file.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Read side: the plaintext, checked segment by segment.
pub struct SpoolReader {
    reader: OpeningReader<BufReader<File>>,
}

impl Read for SpoolReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.reader.read(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(dir.path()).unwrap();
        // odd-sized writes cross segment boundaries
        for chunk in data.chunks(7919) {
            spool.write_all(chunk).unwrap();
        }
        let mut back = Vec::new();
        spool.into_reader().unwrap().read_to_end(&mut back).unwrap();
        // the spool leaves nothing behind in its directory
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        back
    }

    #[test]
    fn empty_one_segment_and_many_segments_round_trip() {
        assert_eq!(round_trip(b""), b"");
        let segment = crate::crypto::SEGMENT_LEN;
        let exact = vec![7u8; segment];
        assert_eq!(round_trip(&exact), exact);
        let many: Vec<u8> = (0..segment * 3 + 123).map(|i| (i % 251) as u8).collect();
        assert_eq!(round_trip(&many), many);
    }

    #[test]
    fn what_reaches_the_disk_is_not_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(dir.path()).unwrap();
        let secret = b"anna@example.nl,Anna de Vries\n".repeat(100);
        spool.write_all(&secret).unwrap();
        let (file, _) = spool.file.finish().unwrap();
        let mut file = file.into_inner().unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut raw = Vec::new();
        file.read_to_end(&mut raw).unwrap();
        assert!(!raw.windows(15).any(|w| w == b"anna@example.nl"));
    }
}
