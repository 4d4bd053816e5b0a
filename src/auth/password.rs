//! Staff passwords, hashed with argon2id (PHC string format) and checked in constant time.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// The shortest password `inzage user add` accepts.
pub const MIN_LENGTH: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("a password must be at most 1024 characters")]
    TooLong,
    #[error("hashing failed: {0}")]
    Hash(String),
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if n > 1024 {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored_hash)
        .is_ok()
}

/// Spends the time a real check would, so a login for an unknown e-mail address takes as
/// long as one with a wrong password (no account enumeration by timing).
pub fn verify_dummy(password: &str) {
    // A valid argon2id hash of a random string nobody knows.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3SV3UDBKpZd2QDEZn1xsTZDeKuGZxqWKMpCZ1jb6Juw";
    let _ = verify(password, DUMMY);
}

/// A random password for demo users: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
        verify_dummy("anything");
    }

    #[test]
    fn policy() {
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
        assert_eq!(generate().len(), 20);
        assert_ne!(generate(), generate());
    }
}
