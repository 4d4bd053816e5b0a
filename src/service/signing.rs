//! The installation's signing keys and the certificates signed with them (CONTRACT: an
//! Ed25519 JWS per certificate, `kid` naming the key; public keys at `/.well-known/jwks.json`).
//!
//! STUB until the signing work lands: the signatures below are the interface the execution
//! job uses; the bodies are replaced by the real implementation.

use crate::domain::certificate::Certificate;
use crate::error::AppError;
use crate::store::DbConnection;

/// Signs `certificate` with the current key (created on first use) and returns the compact
/// JWS (`header.payload.signature`, header `{"alg":"EdDSA","kid":…,"typ":"JOSE"}`). Runs in
/// the caller's transaction.
pub fn sign_certificate(
    _conn: &mut DbConnection,
    _certificate: &Certificate,
) -> Result<String, AppError> {
    Err(AppError::Internal("signing keys are not built yet".into()))
}
