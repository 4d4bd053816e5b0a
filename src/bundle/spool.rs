//! A table's CSV kept aside while its JSON goes into the zip (a streaming zip writes one entry
//! at a time, and the rows are read from the tenant database once). The spool is an unlinked
//! temporary file — gone when dropped, even after a crash — encrypted with a key that exists
//! only in this process's memory (GDPR art. 32: personal data never rests in plaintext).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::Aes256Gcm;

/// Plaintext bytes per sealed segment.
const SEGMENT: usize = 64 * 1024;

type Key = aes_gcm::Key<Aes256Gcm>;
/// The STREAM nonce prefix: the AES-GCM nonce minus the 5 bytes of counter and last flag.
type NoncePrefix = aead_stream::Nonce<Aes256Gcm, aead_stream::StreamBE32<Aes256Gcm>>;

fn crypto_error() -> io::Error {
    io::Error::other("spool encryption failed")
}

/// Write side: buffer plaintext, seal full segments as `len (u32 BE) ‖ ciphertext`.
pub struct Spool {
    file: BufWriter<File>,
    key: Key,
    nonce: NoncePrefix,
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    buf: Vec<u8>,
    segments: u64,
}

impl Spool {
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = tempfile::tempfile_in(dir)?;
        let key: [u8; 32] = rand::random();
        let nonce: [u8; 7] = rand::random();
        let key = Key::from(key);
        let nonce = NoncePrefix::from(nonce);
        Ok(Self {
            file: BufWriter::with_capacity(SEGMENT + 64, file),
            encryptor: Some(EncryptorBE32::new(&key, &nonce)),
            key,
            nonce,
            buf: Vec::with_capacity(SEGMENT),
            segments: 0,
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        // Sealed in place: the buffer grows by the tag.
        if last {
            self.encryptor
                .take()
                .ok_or_else(crypto_error)?
                .encrypt_last_in_place(b"", &mut self.buf)
        } else {
            self.encryptor
                .as_mut()
                .ok_or_else(crypto_error)?
                .encrypt_next_in_place(b"", &mut self.buf)
        }
        .map_err(|_| crypto_error())?;
        let len = u32::try_from(self.buf.len()).map_err(|_| crypto_error())?;
        self.file.write_all(&len.to_be_bytes())?;
        self.file.write_all(&self.buf)?;
        self.buf.clear();
        self.segments += 1;
        Ok(())
    }

    /// Seals the last segment and turns the spool into a reader from its start.
    pub fn into_reader(mut self) -> io::Result<SpoolReader> {
        self.seal(true)?;
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        Ok(SpoolReader {
            file: BufReader::with_capacity(SEGMENT + 64, file),
            decryptor: Some(DecryptorBE32::new(&self.key, &self.nonce)),
            remaining: self.segments,
            plain: Vec::new(),
            pos: 0,
        })
    }
}

impl Write for Spool {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = SEGMENT - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == SEGMENT {
            self.seal(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Read side: the plaintext, segment by segment.
pub struct SpoolReader {
    file: BufReader<File>,
    decryptor: Option<DecryptorBE32<Aes256Gcm>>,
    remaining: u64,
    plain: Vec<u8>,
    pos: usize,
}

impl SpoolReader {
    fn open_next(&mut self) -> io::Result<bool> {
        if self.remaining == 0 {
            return Ok(false);
        }
        let mut len = [0u8; 4];
        self.file.read_exact(&mut len)?;
        self.plain.resize(u32::from_be_bytes(len) as usize, 0);
        self.file.read_exact(&mut self.plain)?;
        self.remaining -= 1;
        if self.remaining == 0 {
            self.decryptor
                .take()
                .ok_or_else(crypto_error)?
                .decrypt_last_in_place(b"", &mut self.plain)
        } else {
            self.decryptor
                .as_mut()
                .ok_or_else(crypto_error)?
                .decrypt_next_in_place(b"", &mut self.plain)
        }
        .map_err(|_| crypto_error())?;
        self.pos = 0;
        Ok(true)
    }
}

impl Read for SpoolReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if !self.open_next()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
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
        let exact = vec![7u8; SEGMENT];
        assert_eq!(round_trip(&exact), exact);
        let many: Vec<u8> = (0..SEGMENT * 3 + 123).map(|i| (i % 251) as u8).collect();
        assert_eq!(round_trip(&many), many);
    }

    #[test]
    fn what_reaches_the_disk_is_not_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(dir.path()).unwrap();
        let secret = b"anna@example.nl,Anna de Vries\n".repeat(100);
        spool.write_all(&secret).unwrap();
        spool.seal(true).unwrap();
        let mut file = spool.file.into_inner().unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut raw = Vec::new();
        file.read_to_end(&mut raw).unwrap();
        assert!(!raw.windows(15).any(|w| w == b"anna@example.nl"));
    }
}
