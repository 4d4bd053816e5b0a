//! PLACEHOLDER until the crypto module lands: key derivation only.
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
