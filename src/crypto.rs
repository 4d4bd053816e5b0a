//! Keys and encryption at rest (GDPR art. 32(1)(a): encryption of personal data).
//!
//! - [`derive_bytes`]: 32-byte keys derived from the master secret (`INZAGE_SECRET_KEY`) with
//!   HKDF-SHA256, one per purpose (token signing, each kind of file).
//! - [`SealingWriter`] / [`OpeningReader`]: streaming AES-256-GCM in the STREAM construction
//!   (Hoang, Reyhanitabar, Rogaway, Vizár 2015; `aead-stream`'s big-endian 32-bit counter
//!   flavour): the plaintext is cut in [`SEGMENT_LEN`] segments, each sealed with its position
//!   and a "last segment" flag in the nonce, so segments cannot be reordered, dropped or
//!   appended, and a file cut short anywhere fails to open. Memory is two segments whatever
//!   the file's size.
//!
//! A sealed file is a 16-byte header (magic, version, segment length, a random 7-byte nonce
//! prefix) followed by the segments (ciphertext plus a 16-byte tag each). Every segment's
//! associated data binds the header and a caller's context (for stored files: purpose and
//! file id), so a file moved to another id, read for another purpose, or with an altered
//! header fails as [`CryptoError::Tampered`].
//!
//! Each file has its own key, derived from the purpose key and a random 32-byte salt that the
//! caller keeps *beside* the file (for stored files: in the database row). Nonce prefixes can
//! therefore never repeat under one key, and forgetting the salt makes the bytes unreadable at
//! once (crypto-shredding), whatever happens to the bytes afterwards.

use std::io::{self, Read, Write};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use hkdf::Hkdf;
use sha2::Sha256;

/// 32 bytes for `purpose`, derived from the master secret with HKDF-SHA256.
pub fn derive_bytes(master: &[u8], purpose: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let hk = Hkdf::<Sha256>::new(None, master);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = hk.expand(purpose.as_bytes(), &mut out);
    out
}

/// The six-digit code of a download code row, derived from the master secret and the row's
/// id: the mail is rendered from it when it is sent, so the code is stored nowhere (the row
/// keeps only [`download_code_hash`]). HKDF-Expand keyed by the secret is a PRF of the id.
pub fn download_code(master: &[u8], code_id: &str) -> String {
    let bytes = derive_bytes(master, &format!("inzage download code v1 {code_id}"));
    let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 1_000_000;
    format!("{n:06}")
}

/// What the store keeps of a download code: hex SHA-256 over the row's id and the code.
pub fn download_code_hash(code_id: &str, code: &str) -> String {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update(code_id.as_bytes());
    h.update(b":");
    h.update(code.as_bytes());
    hex::encode(h.finalize())
}

/// Compares two secrets' texts in constant time (for their length).
pub fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Plaintext bytes per sealed segment.
pub const SEGMENT_LEN: usize = 64 * 1024;
/// The AES-GCM tag after each segment.
pub const TAG_LEN: usize = 16;
/// Bytes before the first segment.
pub const HEADER_LEN: usize = 16;
/// Length of a file's key salt.
pub const SALT_LEN: usize = 32;

const MAGIC: &[u8; 4] = b"INZF";
const VERSION: u8 = 1;
const NONCE_PREFIX_LEN: usize = 7;
/// Segment lengths a reader accepts from a header (the header is authenticated; this only
/// bounds memory before the first tag is checked).
const MIN_SEGMENT: usize = 1024;
const MAX_SEGMENT: usize = 1024 * 1024;

type Stream = StreamBE32<Aes256Gcm>;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A tag did not verify: the bytes were altered, cut short, moved to another file, or
    /// are read with another key.
    #[error("the sealed data cannot be opened (altered, truncated, or another key)")]
    Tampered,
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl CryptoError {
    /// As an `io::Error` for `Read`/`Write` impls; [`CryptoError::from_io`] recovers it.
    fn into_io(self) -> io::Error {
        match self {
            Self::Tampered => io::Error::new(io::ErrorKind::InvalidData, Tampered),
            Self::Io(e) => e,
        }
    }

    /// An `io::Error` from a sealing reader or writer back as what it was.
    pub fn from_io(e: io::Error) -> Self {
        if is_tampered(&e) {
            Self::Tampered
        } else {
            Self::Io(e)
        }
    }
}

/// The marker carried inside an `io::Error` when a tag fails.
#[derive(Debug, thiserror::Error)]
#[error("the sealed data cannot be opened (altered, truncated, or another key)")]
pub struct Tampered;

/// Whether an `io::Error` came from a failed tag (see [`OpeningReader`]).
pub fn is_tampered(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Tampered>())
}

/// A fresh random salt for one file's key.
pub fn new_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt);
    salt
}

/// The key of one file: HKDF-SHA256 over the purpose key (itself derived from the master
/// secret), salted with the file's own random salt.
pub fn file_key(master: &[u8], purpose: &str, salt: &[u8]) -> [u8; 32] {
    let purpose_key = derive_bytes(master, &format!("inzage file key v1 {purpose}"));
    let mut out = [0u8; 32];
    let hk = Hkdf::<Sha256>::new(Some(salt), &purpose_key);
    let _ = hk.expand(b"inzage file v1", &mut out);
    out
}

fn header(segment_len: usize, nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(MAGIC);
    h[4] = VERSION;
    // segment_len is at most MAX_SEGMENT, which fits in u32.
    h[5..9].copy_from_slice(&u32::try_from(segment_len).unwrap_or(u32::MAX).to_be_bytes());
    h[9..].copy_from_slice(nonce_prefix);
    h
}

fn associated_data(context: &[u8], header: &[u8; HEADER_LEN]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(24 + context.len() + HEADER_LEN);
    aad.extend_from_slice(b"inzage sealed file v1\0");
    aad.extend_from_slice(
        &u64::try_from(context.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    aad.extend_from_slice(context);
    aad.extend_from_slice(header);
    aad
}

fn stream(key: &[u8; 32], nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> Stream {
    Stream::from_aead(Aes256Gcm::new(&(*key).into()), &(*nonce_prefix).into())
}

/// Encrypts what is written to it into `inner`: the header at once, then one sealed segment
/// each time a full segment is buffered and more follows. [`SealingWriter::finish`] seals the
/// last (possibly short or empty) segment; a writer dropped without it leaves a file that
/// never opens.
pub struct SealingWriter<W: Write> {
    inner: W,
    stream: Stream,
    aad: Vec<u8>,
    position: u32,
    segment_len: usize,
    /// Plaintext of the current segment (room for its tag too).
    buf: Vec<u8>,
    written: u64,
}

impl<W: Write> SealingWriter<W> {
    /// Starts a sealed file in `inner` with a random nonce prefix. `context` (e.g. purpose
    /// and file id) must be given again to open it.
    pub fn new(inner: W, key: &[u8; 32], context: &[u8]) -> io::Result<Self> {
        Self::with_segment_len(inner, key, context, SEGMENT_LEN)
    }

    fn with_segment_len(
        mut inner: W,
        key: &[u8; 32],
        context: &[u8],
        segment_len: usize,
    ) -> io::Result<Self> {
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        rand::fill(&mut nonce_prefix);
        let head = header(segment_len, &nonce_prefix);
        inner.write_all(&head)?;
        Ok(Self {
            inner,
            stream: stream(key, &nonce_prefix),
            aad: associated_data(context, &head),
            position: 0,
            segment_len,
            buf: Vec::with_capacity(segment_len + TAG_LEN),
            written: 0,
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        self.stream
            .encrypt_in_place(self.position, last, &self.aad, &mut self.buf)
            .map_err(|_| io::Error::other("segment encryption failed"))?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.position = self
            .position
            .checked_add(1)
            .ok_or_else(|| io::Error::other("file too large to seal"))?;
        Ok(())
    }

    /// Plaintext bytes taken so far.
    pub fn plaintext_len(&self) -> u64 {
        self.written
    }

    /// Seals the last segment and hands back the inner writer and the plaintext length.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.seal(true)?;
        self.inner.flush()?;
        Ok((self.inner, self.written))
    }
}

impl<W: Write> Write for SealingWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            // A full segment is sealed only once more data follows: the last one must carry
            // the "last" flag, and only `finish` knows which one that is.
            if self.buf.len() == self.segment_len {
                self.seal(false)?;
            }
            let take = (self.segment_len - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        self.written += u64::try_from(total).unwrap_or(u64::MAX);
        Ok(total)
    }

    /// Flushes the inner writer; a partial segment stays buffered until it fills or `finish`.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a sealed file from `inner`, handing out plaintext only after its segment's tag
/// verified. Errors surface as `io::Error`s that [`is_tampered`] recognises.
pub struct OpeningReader<R: Read> {
    inner: R,
    stream: Stream,
    aad: Vec<u8>,
    position: u32,
    segment_len: usize,
    /// Ciphertext read ahead (up to one segment plus one byte more, to tell the last one).
    pending: Vec<u8>,
    /// Decrypted plaintext of the current segment, and how much of it was handed out.
    plain: Vec<u8>,
    plain_pos: usize,
    done: bool,
    eof: bool,
    produced: u64,
    expected_len: Option<u64>,
}

impl<R: Read> OpeningReader<R> {
    /// Reads and checks the header and opens the first segment, so a wrong key, context or
    /// header fails here already. `expected_len`, if given, is checked at the end.
    pub fn new(
        mut inner: R,
        key: &[u8; 32],
        context: &[u8],
        expected_len: Option<u64>,
    ) -> Result<Self, CryptoError> {
        let mut head = [0u8; HEADER_LEN];
        read_full(&mut inner, &mut head)
            .map_err(CryptoError::Io)
            .and_then(|n| {
                if n == HEADER_LEN {
                    Ok(())
                } else {
                    Err(CryptoError::Tampered)
                }
            })?;
        if &head[..4] != MAGIC || head[4] != VERSION {
            return Err(CryptoError::Tampered);
        }
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(&head[5..9]);
        let segment_len = usize::try_from(u32::from_be_bytes(len_bytes)).unwrap_or(usize::MAX);
        if !(MIN_SEGMENT..=MAX_SEGMENT).contains(&segment_len) {
            return Err(CryptoError::Tampered);
        }
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&head[9..]);
        let mut reader = Self {
            inner,
            stream: stream(key, &nonce_prefix),
            aad: associated_data(context, &head),
            position: 0,
            segment_len,
            pending: Vec::with_capacity(segment_len + TAG_LEN + 1),
            plain: Vec::with_capacity(segment_len + TAG_LEN),
            plain_pos: 0,
            done: false,
            eof: false,
            produced: 0,
            expected_len,
        };
        reader.next_segment()?;
        Ok(reader)
    }

    /// Plaintext bytes handed out so far.
    pub fn plaintext_read(&self) -> u64 {
        self.produced
    }

    fn fill_pending(&mut self) -> io::Result<()> {
        let want = self.segment_len + TAG_LEN + 1;
        let mut chunk = [0u8; 16 * 1024];
        while !self.eof && self.pending.len() < want {
            let room = (want - self.pending.len()).min(chunk.len());
            match self.inner.read(&mut chunk[..room]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Decrypts the next segment into `plain`.
    fn next_segment(&mut self) -> Result<(), CryptoError> {
        self.fill_pending()?;
        let full = self.segment_len + TAG_LEN;
        let last = self.pending.len() <= full;
        let take = self.pending.len().min(full);
        if take < TAG_LEN {
            return Err(CryptoError::Tampered);
        }
        self.plain.clear();
        self.plain.extend_from_slice(&self.pending[..take]);
        self.pending.drain(..take);
        self.stream
            .decrypt_in_place(self.position, last, &self.aad, &mut self.plain)
            .map_err(|_| CryptoError::Tampered)?;
        self.plain_pos = 0;
        self.position = self.position.checked_add(1).ok_or(CryptoError::Tampered)?;
        if last {
            self.done = true;
            let total = self.produced + u64::try_from(self.plain.len()).unwrap_or(u64::MAX);
            if self.expected_len.is_some_and(|n| n != total) {
                return Err(CryptoError::Tampered);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for OpeningReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.plain_pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_segment().map_err(CryptoError::into_io)?;
        }
        let n = (self.plain.len() - self.plain_pos).min(out.len());
        out[..n].copy_from_slice(&self.plain[self.plain_pos..self.plain_pos + n]);
        self.plain_pos += n;
        self.produced += u64::try_from(n).unwrap_or(u64::MAX);
        Ok(n)
    }
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7u8; 32];

    fn seal(plain: &[u8], segment_len: usize) -> Vec<u8> {
        let mut w = SealingWriter::with_segment_len(Vec::new(), &KEY, b"ctx", segment_len).unwrap();
        // Odd-sized writes, to cross segment boundaries at every offset.
        for part in plain.chunks(1000) {
            w.write_all(part).unwrap();
        }
        let (out, n) = w.finish().unwrap();
        assert_eq!(n, plain.len() as u64);
        out
    }

    fn open(sealed: &[u8], key: &[u8; 32], ctx: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut r = OpeningReader::new(sealed, key, ctx, None)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(CryptoError::from_io)?;
        Ok(out)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_every_size_near_segment_boundaries() {
        let seg = MIN_SEGMENT;
        for n in [0, 1, seg - 1, seg, seg + 1, 2 * seg, 3 * seg + 17] {
            let plain = data(n);
            let sealed = seal(&plain, seg);
            let segments = n.div_ceil(seg).max(1);
            assert_eq!(sealed.len(), HEADER_LEN + n + segments * TAG_LEN, "n={n}");
            assert_eq!(open(&sealed, &KEY, b"ctx").unwrap(), plain, "n={n}");
        }
    }

    #[test]
    fn the_default_segment_size_round_trips() {
        let plain = data(3 * SEGMENT_LEN + 5);
        let mut w = SealingWriter::new(Vec::new(), &KEY, b"ctx").unwrap();
        w.write_all(&plain).unwrap();
        let (sealed, _) = w.finish().unwrap();
        assert_eq!(open(&sealed, &KEY, b"ctx").unwrap(), plain);
    }

    #[test]
    fn any_flipped_byte_fails() {
        let sealed = seal(&data(2 * MIN_SEGMENT + 10), MIN_SEGMENT);
        for i in (0..sealed.len())
            .step_by(97)
            .chain([0, 5, 9, sealed.len() - 1])
        {
            let mut bad = sealed.clone();
            bad[i] ^= 0x40;
            assert!(
                matches!(open(&bad, &KEY, b"ctx"), Err(CryptoError::Tampered)),
                "byte {i}"
            );
        }
    }

    #[test]
    fn truncation_reordering_and_appending_fail() {
        let seg = MIN_SEGMENT;
        let sealed = seal(&data(3 * seg), seg);
        // Cut at a segment boundary: the remaining last segment was not sealed as last.
        for cut in [
            HEADER_LEN,
            HEADER_LEN + seg + TAG_LEN,
            HEADER_LEN + 2 * (seg + TAG_LEN),
            sealed.len() - 1,
            3,
        ] {
            assert!(
                matches!(
                    open(&sealed[..cut], &KEY, b"ctx"),
                    Err(CryptoError::Tampered)
                ),
                "cut at {cut}"
            );
        }
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + seg + TAG_LEN);
        let first: Vec<u8> = swapped[a..b].to_vec();
        let second: Vec<u8> = swapped[b..b + seg + TAG_LEN].to_vec();
        swapped[a..b].copy_from_slice(&second);
        swapped[b..b + seg + TAG_LEN].copy_from_slice(&first);
        assert!(matches!(
            open(&swapped, &KEY, b"ctx"),
            Err(CryptoError::Tampered)
        ));
        let mut longer = sealed.clone();
        longer.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + seg + TAG_LEN]);
        assert!(matches!(
            open(&longer, &KEY, b"ctx"),
            Err(CryptoError::Tampered)
        ));
    }

    #[test]
    fn another_key_or_context_fails_at_open() {
        let sealed = seal(b"hello", MIN_SEGMENT);
        assert!(matches!(
            OpeningReader::new(&sealed[..], &[8u8; 32], b"ctx", None),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            OpeningReader::new(&sealed[..], &KEY, b"other", None),
            Err(CryptoError::Tampered)
        ));
        assert!(matches!(
            OpeningReader::new(&sealed[..], &KEY, b"ctx", Some(4)),
            Err(CryptoError::Tampered)
        ));
        assert!(OpeningReader::new(&sealed[..], &KEY, b"ctx", Some(5)).is_ok());
    }

    #[test]
    fn file_keys_differ_per_purpose_salt_and_master() {
        let salt = new_salt();
        let k = file_key(b"master secret", "bundle", &salt);
        assert_ne!(k, file_key(b"master secret", "id_document", &salt));
        assert_ne!(k, file_key(b"master secret", "bundle", &new_salt()));
        assert_ne!(k, file_key(b"another master", "bundle", &salt));
        assert_eq!(k, file_key(b"master secret", "bundle", &salt));
    }

    #[test]
    fn tampering_is_recognisable_through_io_errors() {
        let e = CryptoError::Tampered.into_io();
        assert!(is_tampered(&e));
        assert!(!is_tampered(&io::Error::other("disk")));
    }
}
