//! Signed tokens (JWT, HS256): staff sessions and the purpose-bound links mailed to
//! subjects or handed to controllers. The audience names the purpose, so a token minted
//! for one purpose is worthless for another; issuer, audience and expiry are always checked.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::{Role, UserId};

pub const ISSUER: &str = "inzage";

/// What a token is for. Each purpose has its own audience and lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A staff session (12 hours).
    Staff,
    /// The e-mail confirmation link of a public intake (7 days, single use).
    Verify,
    /// The subject's own status view (one year).
    Status,
    /// A bundle download link (default 7 days).
    Bundle,
    /// The subject's page to upload a copy of an ID document, mailed with the identity
    /// request when the tenant's policy asks for one (30 days: ID copies are kept no longer).
    IdDocument,
}

impl Purpose {
    pub fn audience(self) -> &'static str {
        match self {
            Self::Staff => "inzage:staff",
            Self::Verify => "inzage:verify",
            Self::Status => "inzage:status",
            Self::Bundle => "inzage:bundle",
            Self::IdDocument => "inzage:id_document",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Self::Staff => Duration::hours(12),
            Self::Verify => Duration::days(7),
            Self::Status => Duration::days(366),
            Self::Bundle => Duration::days(7),
            Self::IdDocument => Duration::days(30),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffClaims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Claims of a link token: `sub` is the id of the thing the link opens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkClaims {
    pub sub: String,
    /// The staff user a link was issued to (bundle downloads), so its use is audited as theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
    #[error("the token could not be signed")]
    Sign,
}

/// The signing key, derived from `INZAGE_SECRET_KEY`. Never printed.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn from_master(master: &[u8]) -> Self {
        let key = crate::crypto::derive_bytes(master, "inzage jwt v1");
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }

    fn validation(purpose: Purpose) -> Validation {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[purpose.audience()]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 5;
        v
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|_| TokenError::Sign)
    }

    fn check<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<T, TokenError> {
        jsonwebtoken::decode::<T>(token, &self.decoding, &Self::validation(purpose))
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    /// A staff session token and when it expires.
    pub fn issue_staff(
        &self,
        user_id: &UserId,
        role: Role,
        tenant: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), TokenError> {
        let exp = now + Purpose::Staff.lifetime();
        let claims = StaffClaims {
            sub: user_id.to_string(),
            role,
            tenant: tenant.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: Purpose::Staff.audience().to_owned(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok((self.sign(&claims)?, exp))
    }

    pub fn check_staff(&self, token: &str) -> Result<StaffClaims, TokenError> {
        self.check(token, Purpose::Staff)
    }

    /// A link token for `subject_id` valid for `lifetime`.
    pub fn issue_link(
        &self,
        purpose: Purpose,
        subject_id: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Result<(String, LinkClaims), TokenError> {
        self.issue_link_by(purpose, subject_id, None, now, lifetime)
    }

    /// A link token for `subject_id`, issued to staff user `by`.
    pub fn issue_link_by(
        &self,
        purpose: Purpose,
        subject_id: &str,
        by: Option<&str>,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Result<(String, LinkClaims), TokenError> {
        let claims = LinkClaims {
            sub: subject_id.to_owned(),
            by: by.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: purpose.audience().to_owned(),
            iat: now.timestamp(),
            exp: (now + lifetime).timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok((self.sign(&claims)?, claims))
    }

    pub fn check_link(&self, token: &str, purpose: Purpose) -> Result<LinkClaims, TokenError> {
        self.check(token, purpose)
    }

    /// The claims of a correctly signed link for `purpose`, even if it has expired: only to
    /// answer an expired link in the right language. Never grants anything.
    pub fn peek_link(&self, token: &str, purpose: Purpose) -> Result<LinkClaims, TokenError> {
        let mut v = Self::validation(purpose);
        v.validate_exp = false;
        jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &v)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> TokenKeys {
        TokenKeys::from_master(b"a test secret that is long enough")
    }

    #[test]
    fn staff_tokens_round_trip() {
        let (t, exp) = keys()
            .issue_staff(&UserId::from("u1"), Role::Support, None, Utc::now())
            .unwrap();
        let c = keys().check_staff(&t).unwrap();
        assert_eq!(c.sub, "u1");
        assert_eq!(c.role, Role::Support);
        assert!(exp > Utc::now() + Duration::hours(11));
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_fail() {
        let k = keys();
        let (old, _) = k
            .issue_staff(
                &UserId::from("u1"),
                Role::Admin,
                None,
                Utc::now() - Duration::hours(13),
            )
            .unwrap();
        assert_eq!(k.check_staff(&old).unwrap_err(), TokenError::Expired);

        let (t, _) = k
            .issue_staff(&UserId::from("u1"), Role::Support, None, Utc::now())
            .unwrap();
        let other = TokenKeys::from_master(b"another secret altogether, also long");
        assert_eq!(other.check_staff(&t).unwrap_err(), TokenError::Invalid);

        // Tamper with the payload: role support → admin, keep the signature.
        let parts: Vec<&str> = t.split('.').collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(parts[1]).unwrap()).unwrap();
        let forged = engine.encode(payload.replace("support", "admin"));
        let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(k.check_staff(&tampered).unwrap_err(), TokenError::Invalid);

        // alg: none
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{}.", parts[1]);
        assert_eq!(k.check_staff(&unsigned).unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn purposes_do_not_mix() {
        let k = keys();
        let (link, _) = k
            .issue_link(Purpose::Verify, "r1", Utc::now(), Duration::days(7))
            .unwrap();
        assert_eq!(k.check_link(&link, Purpose::Verify).unwrap().sub, "r1");
        assert!(k.check_link(&link, Purpose::Status).is_err());
        assert!(k.check_staff(&link).is_err());
        let (staff, _) = k
            .issue_staff(&UserId::from("u"), Role::Admin, None, Utc::now())
            .unwrap();
        assert!(k.check_link(&staff, Purpose::Bundle).is_err());
        let (upload, _) = k
            .issue_link(Purpose::IdDocument, "r1", Utc::now(), Duration::days(30))
            .unwrap();
        assert!(k.check_link(&upload, Purpose::IdDocument).is_ok());
        assert!(k.check_link(&upload, Purpose::Status).is_err());
        assert!(k.check_link(&link, Purpose::IdDocument).is_err());
    }

    #[test]
    fn an_expired_link_can_be_peeked_but_not_used() {
        let k = keys();
        let (old, _) = k
            .issue_link(
                Purpose::Verify,
                "r1",
                Utc::now() - Duration::days(8),
                Duration::days(7),
            )
            .unwrap();
        assert_eq!(
            k.check_link(&old, Purpose::Verify).unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(k.peek_link(&old, Purpose::Verify).unwrap().sub, "r1");
        assert!(k.peek_link(&old, Purpose::Status).is_err());
        assert!(k.peek_link("garbage", Purpose::Verify).is_err());
    }
}
