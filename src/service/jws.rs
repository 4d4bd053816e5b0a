//! Compact JWS (RFC 7515) signed with Ed25519 (`"alg":"EdDSA"`, RFC 8037), and the public
//! keys as a JWK Set (RFC 7517) with RFC 7638 thumbprints as key ids. Pure: no store, no I/O.
//!
//! Signing and verification are ed25519-dalek's; this module only frames them: the header
//! `{"alg":"EdDSA","kid":…,"typ":"JOSE"}`, base64url without padding, and the checks a
//! verifier must make (one algorithm, a known `kid`, no `crit` it does not understand, a
//! strict signature check).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The JWS `alg` of every signature here.
pub const ALG: &str = "EdDSA";

/// Why a JWS does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("malformed JWS: {0}")]
    Malformed(String),
    #[error("unsupported JWS algorithm {0:?} (only EdDSA)")]
    Algorithm(String),
    #[error("the JWS names a critical header extension this verifier does not understand")]
    Critical,
    #[error("unknown key id (kid) {0:?}: no such public key in the key set")]
    UnknownKid(String),
    #[error("bad signature: the certificate was altered or not signed by key {0:?}")]
    BadSignature(String),
}

/// A public key as a JWK (RFC 8037 `OKP`/`Ed25519`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    /// `OKP`
    pub kty: String,
    /// `Ed25519`
    pub crv: String,
    /// base64url of the 32-byte public key.
    pub x: String,
    /// The RFC 7638 thumbprint of the key.
    pub kid: String,
    /// `EdDSA`
    pub alg: String,
    /// `sig`
    #[serde(rename = "use")]
    pub use_: String,
}

/// A JWK Set: `{"keys":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// base64url (no padding) of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(part: &str, what: &str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| VerifyError::Malformed(format!("the {what} is not base64url")))
}

/// The RFC 7638 thumbprint of an Ed25519 public key: base64url of the SHA-256 of
/// `{"crv":"Ed25519","kty":"OKP","x":…}` (members in that order, no whitespace).
pub fn thumbprint(public: &VerifyingKey) -> String {
    let x = b64(public.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    b64(&Sha256::digest(canonical.as_bytes()))
}

/// The JWK of a public key.
pub fn jwk(public: &VerifyingKey) -> Jwk {
    Jwk {
        kty: "OKP".to_owned(),
        crv: "Ed25519".to_owned(),
        x: b64(public.as_bytes()),
        kid: thumbprint(public),
        alg: ALG.to_owned(),
        use_: "sig".to_owned(),
    }
}

/// A public key from its base64url form (a JWK's `x`).
pub fn public_key(x: &str) -> Result<VerifyingKey, VerifyError> {
    let bytes = unb64(x, "public key")?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| VerifyError::Malformed("an Ed25519 public key is 32 bytes".to_owned()))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| VerifyError::Malformed("not an Ed25519 public key".to_owned()))
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

/// Signs `payload` with `key` as a compact JWS whose header names `kid`.
pub fn sign(key: &SigningKey, kid: &str, payload: &[u8]) -> String {
    // serde_json keeps the insertion order (feature `preserve_order`).
    let header = serde_json::json!({"alg": ALG, "kid": kid, "typ": "JOSE"}).to_string();
    let mut jws = format!("{}.{}", b64(header.as_bytes()), b64(payload));
    let signature = key.sign(jws.as_bytes());
    jws.push('.');
    jws.push_str(&b64(&signature.to_bytes()));
    jws
}

/// The `kid` a compact JWS names, without verifying anything.
pub fn kid_of(jws: &str) -> Result<String, VerifyError> {
    let header = jws
        .split('.')
        .next()
        .ok_or_else(|| VerifyError::Malformed("empty".to_owned()))?;
    let header: Header = serde_json::from_slice(&unb64(header, "header")?)
        .map_err(|_| VerifyError::Malformed("the header is not a JSON object".to_owned()))?;
    header
        .kid
        .ok_or_else(|| VerifyError::Malformed("the header names no kid".to_owned()))
}

/// A signature that verified: the key that made it and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub kid: String,
    pub payload: Vec<u8>,
}

/// Verifies a compact JWS against the keys `find(kid)` knows. Surrounding whitespace (a
/// trailing newline in a file) is ignored; anything else out of place fails.
pub fn verify(
    jws: &str,
    find: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<Verified, VerifyError> {
    let jws = jws.trim();
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed(
            "a compact JWS has three parts separated by dots".to_owned(),
        ));
    };
    let header: Header = serde_json::from_slice(&unb64(header_b64, "header")?)
        .map_err(|_| VerifyError::Malformed("the header is not a JSON object".to_owned()))?;
    match header.alg.as_deref() {
        Some(ALG) => {}
        Some(other) => return Err(VerifyError::Algorithm(other.to_owned())),
        None => return Err(VerifyError::Malformed("the header names no alg".to_owned())),
    }
    // RFC 7515 §4.1.11: a critical extension not understood makes the JWS invalid.
    if header.crit.is_some() {
        return Err(VerifyError::Critical);
    }
    let kid = header
        .kid
        .ok_or_else(|| VerifyError::Malformed("the header names no kid".to_owned()))?;
    let payload = unb64(payload_b64, "payload")?;
    let signature: [u8; 64] = unb64(signature_b64, "signature")?
        .try_into()
        .map_err(|_| VerifyError::Malformed("an Ed25519 signature is 64 bytes".to_owned()))?;
    let key = find(&kid).ok_or_else(|| VerifyError::UnknownKid(kid.clone()))?;
    let signing_input = &jws[..header_b64.len() + 1 + payload_b64.len()];
    key.verify_strict(signing_input.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature(kid.clone()))?;
    Ok(Verified { kid, payload })
}

/// A key set's keys usable here (`OKP`/`Ed25519`; others are skipped), by kid.
pub fn keys_of(set: &serde_json::Value) -> Result<Vec<(String, VerifyingKey)>, VerifyError> {
    let keys = set
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| VerifyError::Malformed("a JWK Set is {\"keys\": [...]}".to_owned()))?;
    let mut out = Vec::new();
    for k in keys {
        let field = |name: &str| k.get(name).and_then(serde_json::Value::as_str);
        if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
            continue;
        }
        let (Some(x), Some(kid)) = (field("x"), field("kid")) else {
            return Err(VerifyError::Malformed(
                "an Ed25519 JWK needs \"x\" and \"kid\"".to_owned(),
            ));
        };
        out.push((kid.to_owned(), public_key(x)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn finder(keys: &[SigningKey]) -> impl Fn(&str) -> Option<VerifyingKey> + '_ {
        move |kid| {
            keys.iter()
                .map(SigningKey::verifying_key)
                .find(|k| thumbprint(k) == kid)
        }
    }

    #[test]
    fn a_signature_round_trips_with_the_header_the_contract_names() {
        let k = key(1);
        let kid = thumbprint(&k.verifying_key());
        let jws = sign(&k, &kid, br#"{"request":"DSR-2026-000001"}"#);
        let header = jws.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            format!(r#"{{"alg":"EdDSA","kid":"{kid}","typ":"JOSE"}}"#).as_bytes()
        );
        assert!(!jws.contains('='));
        let keys = [k];
        let v = verify(&format!("{jws}\n"), finder(&keys)).unwrap();
        assert_eq!(v.kid, kid);
        assert_eq!(v.payload, br#"{"request":"DSR-2026-000001"}"#);
        assert_eq!(kid_of(&jws).unwrap(), kid);
    }

    #[test]
    fn any_changed_byte_fails() {
        let k = key(2);
        let kid = thumbprint(&k.verifying_key());
        let jws = sign(&k, &kid, br#"{"rows":12,"table":"members"}"#);
        let keys = [k];
        for i in 0..jws.len() {
            let mut bytes = jws.clone().into_bytes();
            if bytes[i] == b'.' {
                continue;
            }
            // Another base64url character, so most changes still decode.
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let bad = String::from_utf8(bytes).unwrap();
            assert!(verify(&bad, finder(&keys)).is_err(), "byte {i}");
        }
        // the payload part changed to other valid JSON: a bad signature, never accepted
        let parts: Vec<&str> = jws.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(br#"{"rows":13,"table":"members"}"#),
            parts[2]
        );
        assert_eq!(
            verify(&forged, finder(&keys)),
            Err(VerifyError::BadSignature(kid))
        );
    }

    #[test]
    fn an_unknown_kid_another_algorithm_or_garbage_fails() {
        let k = key(3);
        let other = key(4);
        let jws = sign(&k, &thumbprint(&k.verifying_key()), b"{}");
        let keys = [other];
        assert!(matches!(
            verify(&jws, finder(&keys)),
            Err(VerifyError::UnknownKid(_))
        ));
        // a key set that names the kid but holds another key
        let kid = thumbprint(&k.verifying_key());
        let wrong = |_: &str| Some(key(4).verifying_key());
        assert_eq!(verify(&jws, wrong), Err(VerifyError::BadSignature(kid)));
        let none = sign(&k, "x", b"{}").replacen(
            &b64(br#"{"alg":"EdDSA","kid":"x","typ":"JOSE"}"#),
            &b64(br#"{"alg":"none","kid":"x"}"#),
            1,
        );
        assert_eq!(
            verify(&none, |_| None),
            Err(VerifyError::Algorithm("none".into()))
        );
        let crit = format!(
            "{}.e30.AAAA",
            b64(br#"{"alg":"EdDSA","kid":"x","crit":["b64"]}"#)
        );
        assert_eq!(verify(&crit, |_| None), Err(VerifyError::Critical));
        for garbage in ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"] {
            assert!(
                matches!(verify(garbage, |_| None), Err(VerifyError::Malformed(_))),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn thumbprints_follow_rfc_7638() {
        // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key.
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let public = public_key(x).unwrap();
        assert_eq!(
            thumbprint(&public),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        let j = jwk(&public);
        assert_eq!(j.x, x);
        let set = serde_json::to_value(Jwks { keys: vec![j] }).unwrap();
        assert_eq!(set["keys"][0]["use"], "sig");
        assert_eq!(keys_of(&set).unwrap()[0].1, public);
    }

    #[test]
    fn rfc_8037_signature_example_verifies() {
        // RFC 8037 appendix A.4: the signature over "Example of Ed25519 signing".
        let seed = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let k = SigningKey::from_bytes(&seed.try_into().unwrap());
        let jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let sig = jws.rsplit('.').next().unwrap();
        let input = &jws[..jws.len() - sig.len() - 1];
        assert_eq!(b64(&k.sign(input.as_bytes()).to_bytes()), sig);
    }
}
