//! The installation's signing keys and the certificates signed with them (an Ed25519 JWS per
//! certificate, `kid` naming the key; public keys at `/.well-known/jwks.json`).
//!
//! STUB until the signing work lands: the signature below is the interface the execution job
//! calls; the body is replaced by the real implementation (keys, the `certificates` table).

use crate::domain::certificate::Certificate;
use crate::error::AppError;
use crate::store::DbConnection;

/// Signs `certificate` with the current key (created on first use), stores the compact JWS
/// (`header.payload.signature`, header `{"alg":"EdDSA","kid":…,"typ":"JOSE"}`) as the request's
/// certificate for its plan, and returns it. Runs in the caller's transaction, so the
/// certificate exists exactly when the execution that it certifies is recorded as done.
pub fn issue_certificate(
    _conn: &mut DbConnection,
    _request_id: &str,
    _certificate: &Certificate,
) -> Result<String, AppError> {
    // STUB: no signature yet.
    Ok(String::new())
}
