//! The installation's signing keys and the certificates signed with them (processing
//! agreement 10.3: proof of destruction; GDPR art. 5(2): accountability).
//!
//! - One Ed25519 key is current per installation, created on first use (whichever instance
//!   gets there first: the store's unique index keeps it to one) and rotated by `inzage keys
//!   rotate`. Retired keys stay in the store and in `/.well-known/jwks.json`, so every
//!   certificate ever issued keeps verifying.
//! - The private key is kept sealed in the store (`signing_keys`), with a key derived from
//!   the master secret (`INZAGE_SECRET_KEY`) and the row's own salt, bound to the kid
//!   (`crate::crypto`). A copy of the store signs nothing without the master secret; the
//!   master secret without the store signs nothing either: back up both.
//! - A certificate is a compact JWS (`service::jws`) whose payload is the
//!   [`Certificate`], stored in `certificates` in the caller's transaction.
//!
//! [`issue_certificate`] has no parameter for the master secret (the execution job calls it
//! with a connection only): the process installs it once at start ([`install_master`], done
//! by `AppState::new`). [`issue_certificate_with`] takes it explicitly.

use std::io::{Read, Write};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::auth::Principal;
use crate::crypto::{self, CryptoError, OpeningReader, SealingWriter};
use crate::domain::RequestId;
use crate::domain::Role;
use crate::domain::certificate::Certificate;
use crate::error::{AppError, AppResult};
use crate::service::actions::visible_request;
use crate::service::grants::{grant_required, require_data_access};
use crate::service::jws::{self, Jwks, VerifyError};
use crate::store::signing::{CertificateRow, SigningKeyRow};
use crate::store::tenants::Tenant;
use crate::store::{DbConnection, StoreError, new_id, now, write_tx};

/// The purpose the private keys' sealing keys are derived for.
const PURPOSE: &str = "signing_key";

/// What can go wrong with the keys (never a client's doing).
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("no master secret installed for the signing keys (service::signing::install_master)")]
    NoMaster,
    #[error(
        "signing key {0} cannot be opened: the store was altered or INZAGE_SECRET_KEY is not the one it was sealed with"
    )]
    Sealed(String),
    #[error("signing key {0} is damaged: {1}")]
    Damaged(String, String),
    #[error("another key became current meanwhile (a rotation on another instance); try again")]
    Concurrent,
    #[error("sealing a signing key failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SigningError> for AppError {
    fn from(e: SigningError) -> Self {
        match e {
            SigningError::Store(e) => e.into(),
            SigningError::Concurrent => AppError::Conflict {
                code: "concurrent_rotation",
                message: e.to_string(),
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for SigningError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

type Master = Arc<Zeroizing<Vec<u8>>>;

static MASTER: RwLock<Option<Master>> = RwLock::new(None);

/// Installs the master secret the signing keys are sealed with, for [`issue_certificate`].
/// `AppState::new` calls it; the latest call wins.
pub fn install_master(master: &[u8]) {
    let value = Arc::new(Zeroizing::new(master.to_vec()));
    match MASTER.write() {
        Ok(mut slot) => *slot = Some(value),
        Err(poisoned) => *poisoned.into_inner() = Some(value),
    }
}

fn installed_master() -> Result<Master, SigningError> {
    let slot = match MASTER.read() {
        Ok(slot) => slot,
        Err(poisoned) => poisoned.into_inner(),
    };
    slot.clone().ok_or(SigningError::NoMaster)
}

fn context(kid: &str) -> Vec<u8> {
    format!("inzage signing key v1 {kid}").into_bytes()
}

fn seal_seed(master: &[u8], kid: &str, seed: &[u8; 32]) -> Result<(Vec<u8>, String), SigningError> {
    let salt = crypto::new_salt();
    let key = Zeroizing::new(crypto::file_key(master, PURPOSE, &salt));
    let mut writer = SealingWriter::new(Vec::with_capacity(80), &key, &context(kid))?;
    writer.write_all(seed)?;
    let (sealed, _) = writer.finish()?;
    Ok((sealed, hex::encode(salt)))
}

/// Opens a stored key and checks that it is the key its row says (kid and public key).
fn open_key(master: &[u8], row: &SigningKeyRow) -> Result<SigningKey, SigningError> {
    let damaged = |why: &str| SigningError::Damaged(row.kid.clone(), why.to_owned());
    let salt = hex::decode(&row.key_salt).map_err(|_| damaged("the salt is not hex"))?;
    let key = Zeroizing::new(crypto::file_key(master, PURPOSE, &salt));
    let sealed_error = |e: CryptoError| match e {
        CryptoError::Tampered => SigningError::Sealed(row.kid.clone()),
        CryptoError::Io(e) => SigningError::Io(e),
    };
    let mut reader = OpeningReader::new(&row.private_key[..], &key, &context(&row.kid), Some(32))
        .map_err(sealed_error)?;
    let mut seed = Zeroizing::new([0u8; 32]);
    reader
        .read_exact(&mut seed[..])
        .map_err(|e| sealed_error(CryptoError::from_io(e)))?;
    let signing = SigningKey::from_bytes(&seed);
    let public = signing.verifying_key();
    if jws::b64(public.as_bytes()) != row.public_key || jws::thumbprint(&public) != row.kid {
        return Err(damaged("the private key does not match the public key"));
    }
    Ok(signing)
}

/// A fresh key, sealed, as a row current from `at`.
fn new_key(master: &[u8], at: NaiveDateTime) -> Result<SigningKeyRow, SigningError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand::fill(&mut seed[..]);
    let public = SigningKey::from_bytes(&seed).verifying_key();
    let kid = jws::thumbprint(&public);
    let (private_key, key_salt) = seal_seed(master, &kid, &seed)?;
    Ok(SigningKeyRow {
        public_key: jws::b64(public.as_bytes()),
        kid,
        private_key,
        key_salt,
        created_at: at,
        retired_at: None,
    })
}

/// The current key's row, created if there is none (in the caller's transaction, if any).
/// Instances that race here end up with one key: the insert does nothing when another
/// current key exists, and the row read afterwards is that one.
fn current_row(conn: &mut DbConnection, master: &[u8]) -> Result<SigningKeyRow, SigningError> {
    if let Some(row) = SigningKeyRow::current(conn)? {
        return Ok(row);
    }
    let row = new_key(master, now())?;
    if row.insert_if_none_current(conn)? {
        tracing::info!(kid = %row.kid, "created the installation's signing key");
        return Ok(row);
    }
    SigningKeyRow::current(conn)?.ok_or(SigningError::Concurrent)
}

/// A key as the operator sees it (never its private half).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<&SigningKeyRow> for KeyInfo {
    fn from(r: &SigningKeyRow) -> Self {
        Self {
            kid: r.kid.clone(),
            created_at: r.created_at.and_utc(),
            retired_at: r.retired_at.map(|t| t.and_utc()),
        }
    }
}

/// Makes sure a current key exists (creating it on first use) and returns its kid.
pub fn ensure_key(conn: &mut DbConnection, master: &[u8]) -> AppResult<String> {
    if let Some(row) = SigningKeyRow::current(conn)? {
        return Ok(row.kid);
    }
    let row = write_tx(conn, |conn| current_row(conn, master))?;
    Ok(row.kid)
}

/// What `inzage keys rotate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub new: KeyInfo,
    /// The key retired, if there was one.
    pub old: Option<KeyInfo>,
    /// False when the retired key could not be opened with this master secret (the secret
    /// was changed or lost): rotating is then the way to sign again; what the old key signed
    /// still verifies with its public key.
    pub old_was_readable: bool,
}

/// `inzage keys rotate`: a new current key; the old one is retired (and stays published).
pub fn rotate(conn: &mut DbConnection, master: &[u8]) -> AppResult<Rotation> {
    let at = now();
    let (new, old, old_was_readable) = write_tx(conn, |conn| -> Result<_, SigningError> {
        let old = SigningKeyRow::current(conn)?;
        let readable = old.as_ref().is_none_or(|o| open_key(master, o).is_ok());
        SigningKeyRow::retire_current(conn, at)?;
        let new = new_key(master, at)?;
        new.insert(conn).map_err(|e| {
            if e.is_unique_violation() {
                SigningError::Concurrent
            } else {
                e.into()
            }
        })?;
        let old = old.map(|mut o| {
            o.retired_at = Some(at);
            o
        });
        Ok((new, old, readable))
    })?;
    tracing::info!(kid = %new.kid, retired = ?old.as_ref().map(|o| &o.kid), "rotated the signing key");
    Ok(Rotation {
        new: KeyInfo::from(&new),
        old: old.as_ref().map(KeyInfo::from),
        old_was_readable,
    })
}

/// Every key, oldest first.
pub fn keys(conn: &mut DbConnection) -> AppResult<Vec<KeyInfo>> {
    Ok(SigningKeyRow::all(conn)?
        .iter()
        .map(KeyInfo::from)
        .collect())
}

/// The public keys, current and retired, as a JWK Set (`/.well-known/jwks.json`). Creates
/// the first key if there is none yet, so the set is never empty.
pub fn jwks(conn: &mut DbConnection, master: &[u8]) -> AppResult<Jwks> {
    ensure_key(conn, master)?;
    let mut keys = Vec::new();
    for row in SigningKeyRow::all(conn)? {
        let public = jws::public_key(&row.public_key)
            .map_err(|e| SigningError::Damaged(row.kid.clone(), e.to_string()))?;
        keys.push(jws::jwk(&public));
    }
    Ok(Jwks { keys })
}

/// The store's public keys by kid (for verifying without a key set file).
pub fn store_keys(conn: &mut DbConnection) -> AppResult<Vec<(String, VerifyingKey)>> {
    let mut out = Vec::new();
    for row in SigningKeyRow::all(conn)? {
        let public = jws::public_key(&row.public_key)
            .map_err(|e| SigningError::Damaged(row.kid.clone(), e.to_string()))?;
        out.push((row.kid, public));
    }
    Ok(out)
}

/// Why a certificate does not verify: the signature, or a payload that is not a certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertificateError {
    #[error(transparent)]
    Jws(#[from] VerifyError),
    #[error("the signature holds but the payload is not a certificate: {0}")]
    Payload(String),
}

/// Verifies a certificate's JWS with `keys` and reads its payload.
pub fn verify_certificate(
    jws_text: &str,
    keys: &[(String, VerifyingKey)],
) -> Result<(String, Certificate), CertificateError> {
    let verified = jws::verify(jws_text, |kid| {
        keys.iter().find(|(k, _)| k == kid).map(|(_, key)| *key)
    })?;
    let certificate = serde_json::from_slice(&verified.payload)
        .map_err(|e| CertificateError::Payload(e.to_string()))?;
    Ok((verified.kid, certificate))
}

/// Signs `certificate` with the current key (created on first use), stores the compact JWS
/// (`header.payload.signature`, header `{"alg":"EdDSA","kid":…,"typ":"JOSE"}`) as the request's
/// certificate for its plan, and returns it. Runs in the caller's transaction, so the
/// certificate exists exactly when the execution that it certifies is recorded as done.
///
/// The master secret is the one the process installed at start ([`install_master`]).
pub fn issue_certificate(
    conn: &mut DbConnection,
    request_id: &RequestId,
    certificate: &Certificate,
) -> Result<String, AppError> {
    let master = installed_master()?;
    issue_certificate_with(conn, &master, request_id, certificate)
}

/// [`issue_certificate`] with the master secret given.
pub fn issue_certificate_with(
    conn: &mut DbConnection,
    master: &[u8],
    request_id: &RequestId,
    certificate: &Certificate,
) -> Result<String, AppError> {
    let request =
        crate::service::queries::request_by_id(conn, request_id)?.ok_or(AppError::NotFound)?;
    if request.reference != certificate.request {
        return Err(AppError::Internal(format!(
            "a certificate naming request {} cannot be issued for {}",
            certificate.request, request.reference
        )));
    }
    let row = current_row(conn, master)?;
    let key = open_key(master, &row)?;
    let payload = serde_json::to_vec(certificate)
        .map_err(|e| AppError::Internal(format!("serialising a certificate: {e}")))?;
    let signed = jws::sign(&key, &row.kid, &payload);
    CertificateRow {
        id: new_id(),
        request_id: request_id.to_owned(),
        plan_id: certificate.plan.clone(),
        kid: row.kid.clone(),
        jws: signed.clone(),
        issued_at: certificate.issued_at.naive_utc(),
    }
    .insert(conn)?;
    tracing::info!(reference = %request.reference, plan = %certificate.plan, kid = %row.kid, "certificate issued");
    Ok(signed)
}

/// How staff asked to see a certificate (named in the audit entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateFormat {
    Jws,
    Html,
}

impl CertificateFormat {
    fn as_str(self) -> &'static str {
        match self {
            Self::Jws => "jws",
            Self::Html => "html",
        }
    }
}

/// A request's latest certificate as staff see it.
#[derive(Debug, Clone)]
pub struct CertificateView {
    pub reference: String,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub jws: String,
    pub kid: String,
    /// The payload; `None` when the stored JWS does not verify against the store's keys
    /// (never expected; the page says so instead of showing unverified claims).
    pub certificate: Option<Certificate>,
    pub problem: Option<String>,
}

/// The latest certificate of `reference` for `principal`: staff who may see the request;
/// support only while the tenant's access grant runs (403 `grant_required`); another
/// tenant's request 404; no certificate yet 404. Each read is an audit entry (GDPR art.
/// 5(2), 32(4)), written before anything is shown.
pub fn certificate_for_staff(
    conn: &mut DbConnection,
    principal: &Principal,
    reference: &str,
    format: CertificateFormat,
) -> AppResult<CertificateView> {
    let (row, tenant, certificate) = write_tx(conn, |conn| -> AppResult<_> {
        let row = visible_request(conn, principal, reference)?;
        let at = now();
        let grant = match &row.tenant_id {
            Some(tenant_id) => require_data_access(conn, principal, tenant_id, at)?,
            None if principal.role == Role::Admin => None,
            None => return Err(grant_required()),
        };
        let certificate =
            CertificateRow::latest_for_request(conn, &row.id)?.ok_or(AppError::NotFound)?;
        let tenant = match &row.tenant_id {
            Some(id) => Tenant::find(conn, id)?,
            None => None,
        };
        crate::service::audit::record_access(
            conn,
            principal,
            "certificate_viewed",
            row.tenant_id.as_ref(),
            Some(&row.id),
            grant.as_ref(),
            Some(serde_json::json!({
                "certificate": certificate.id,
                "plan": certificate.plan_id,
                "format": format.as_str(),
            })),
        )?;
        Ok((row, tenant, certificate))
    })?;
    let (checked, problem) = match format {
        CertificateFormat::Jws => (None, None),
        CertificateFormat::Html => {
            let keys = store_keys(conn)?;
            match verify_certificate(&certificate.jws, &keys) {
                Ok((_, c)) => (Some(c), None),
                Err(e) => {
                    tracing::error!(reference = %row.reference, error = %e, "a stored certificate does not verify");
                    (None, Some(e.to_string()))
                }
            }
        }
    };
    Ok(CertificateView {
        reference: row.reference,
        tenant_slug: tenant.as_ref().map(|t| t.slug.clone()).unwrap_or_default(),
        tenant_name: tenant.map(|t| t.name).unwrap_or_default(),
        jws: certificate.jws,
        kid: certificate.kid,
        certificate: checked,
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER_SECRET: &[u8] = b"a test master secret, long enough";

    #[test]
    fn a_sealed_key_opens_only_with_its_master_and_row() {
        let row = new_key(MASTER_SECRET, now()).unwrap();
        assert_eq!(
            row.private_key.len(),
            crypto::HEADER_LEN + 32 + crypto::TAG_LEN
        );
        let key = open_key(MASTER_SECRET, &row).unwrap();
        assert_eq!(jws::thumbprint(&key.verifying_key()), row.kid);
        assert!(matches!(
            open_key(b"another master secret altogether", &row),
            Err(SigningError::Sealed(_))
        ));
        // the sealed seed moved to another key's row
        let other = new_key(MASTER_SECRET, now()).unwrap();
        let mut swapped = other.clone();
        swapped.private_key = row.private_key.clone();
        swapped.key_salt = row.key_salt.clone();
        assert!(matches!(
            open_key(MASTER_SECRET, &swapped),
            Err(SigningError::Sealed(_))
        ));
        let mut flipped = row.clone();
        flipped.private_key[20] ^= 1;
        assert!(open_key(MASTER_SECRET, &flipped).is_err());
    }

    fn certificate() -> Certificate {
        use crate::domain::certificate::*;
        Certificate {
            iss: "https://inzage.example".into(),
            request: "DSR-2026-000001".into(),
            tenant: "acme".into(),
            kind: crate::domain::RequestKind::Erasure,
            plan: "plan-1".into(),
            approver: CertifiedActor {
                id: "u1".into(),
                email: "privacy@acme.example".into(),
            },
            executor: "inzage job 1".into(),
            issued_at: Utc::now(),
            systems: vec![CertifiedSystem {
                name: "members".into(),
                tables: vec![CertifiedTable {
                    name: "members".into(),
                    action: TableAction::Delete,
                    rows: 3,
                    columns: vec![],
                    reason: None,
                    at: Utc::now(),
                }],
            }],
            recipients: vec![],
        }
    }

    fn sign_with(row: &SigningKeyRow, c: &Certificate) -> String {
        let key = open_key(MASTER_SECRET, row).unwrap();
        jws::sign(&key, &row.kid, &serde_json::to_vec(c).unwrap())
    }

    fn public(row: &SigningKeyRow) -> (String, VerifyingKey) {
        (row.kid.clone(), jws::public_key(&row.public_key).unwrap())
    }

    #[test]
    fn a_certificate_verifies_and_reads_back() {
        let row = new_key(MASTER_SECRET, now()).unwrap();
        let c = certificate();
        let signed = sign_with(&row, &c);
        let (kid, back) = verify_certificate(&signed, &[public(&row)]).unwrap();
        assert_eq!(kid, row.kid);
        assert_eq!(back, c);
    }

    #[test]
    fn a_changed_byte_or_an_unknown_kid_fails() {
        let row = new_key(MASTER_SECRET, now()).unwrap();
        let signed = sign_with(&row, &certificate());
        let keys = [public(&row)];
        let payload_at = signed.find('.').unwrap() + 5;
        let signature_at = signed.rfind('.').unwrap() + 5;
        for at in [payload_at, signature_at] {
            let mut bytes = signed.clone().into_bytes();
            bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
            let bad = String::from_utf8(bytes).unwrap();
            assert!(verify_certificate(&bad, &keys).is_err(), "at {at}");
        }
        let other = new_key(MASTER_SECRET, now()).unwrap();
        assert!(matches!(
            verify_certificate(&signed, &[public(&other)]),
            Err(CertificateError::Jws(VerifyError::UnknownKid(_)))
        ));
    }

    #[test]
    fn a_retired_key_still_verifies_what_it_signed() {
        let mut old = new_key(MASTER_SECRET, now()).unwrap();
        let signed = sign_with(&old, &certificate());
        old.retired_at = Some(now());
        let new = new_key(MASTER_SECRET, now()).unwrap();
        // the published set holds both; the old certificate names the old kid
        assert!(verify_certificate(&signed, &[public(&new), public(&old)]).is_ok());
        assert!(verify_certificate(&signed, &[public(&new)]).is_err());
    }

    #[test]
    fn a_signature_over_a_non_certificate_is_no_certificate() {
        let row = new_key(MASTER_SECRET, now()).unwrap();
        let key = open_key(MASTER_SECRET, &row).unwrap();
        let signed = jws::sign(&key, &row.kid, b"{\"hello\":1}");
        assert!(matches!(
            verify_certificate(&signed, &[public(&row)]),
            Err(CertificateError::Payload(_))
        ));
    }
}
