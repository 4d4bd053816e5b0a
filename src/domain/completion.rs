//! How a request is answered when it is completed (CONTRACT.md, Completion), and the rules of
//! the one-time code that guards the subject's download of a released bundle. Pure: the
//! caller passes the facts and the moment.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::InvalidValue;
use super::request::RequestKind;

/// The answer a completed request gives.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CompletionResult {
    /// The request was carried out (the outcome says how).
    #[default]
    Done,
    /// No personal data about the subject is processed: an answer to the request (art. 15(1)
    /// first limb: "whether or not personal data concerning him or her are being processed"),
    /// never worded as a refusal.
    NoData,
}

impl CompletionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::NoData => "no_data",
        }
    }
}

impl FromStr for CompletionResult {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "done" => Ok(Self::Done),
            "no_data" => Ok(Self::NoData),
            _ => Err(InvalidValue::new("must be done or no_data")),
        }
    }
}

impl fmt::Display for CompletionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a bundle cannot be released with a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// Only a copy of the data (art. 15(3)) or the data in a portable form (art. 20(1)) is
    /// handed to the subject; the other rights are answered in words.
    #[error("a bundle is released only for access and portability requests")]
    NotForKind,
    #[error("there is no data to release when the result is no_data")]
    NoData,
}

/// Whether a completion with `result` may release a bundle to the subject of a `kind` request.
pub fn check_release(kind: RequestKind, result: CompletionResult) -> Result<(), ReleaseError> {
    if !matches!(kind, RequestKind::Access | RequestKind::Portability) {
        return Err(ReleaseError::NotForKind);
    }
    if result == CompletionResult::NoData {
        return Err(ReleaseError::NoData);
    }
    Ok(())
}

/// Wrong tries a download code takes before it is dead and a new one must be asked for: six
/// digits and five tries give a guesser one chance in 200,000 per mailed code.
pub const CODE_MAX_FAILURES: i32 = 5;

/// The digits of a download code.
pub const CODE_DIGITS: usize = 6;

/// Where a mailed download code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    /// Usable; this many wrong tries are left.
    Usable { tries_left: i32 },
    /// Five wrong tries: ask for a new code.
    Exhausted,
    /// Its bundle expired (a code lives no longer than the bundle).
    Expired,
}

/// The state of a code with `failures` wrong tries that expires at `expires_at`, at `now`.
pub fn code_state(failures: i32, expires_at: NaiveDateTime, now: NaiveDateTime) -> CodeState {
    if now >= expires_at {
        CodeState::Expired
    } else if failures >= CODE_MAX_FAILURES {
        CodeState::Exhausted
    } else {
        CodeState::Usable {
            tries_left: CODE_MAX_FAILURES - failures,
        }
    }
}

/// What a subject typed as a code, normalised: digits only (spaces and dashes people add
/// when copying are dropped); None unless exactly six digits remain.
pub fn normalise_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn results_round_trip() {
        for r in [CompletionResult::Done, CompletionResult::NoData] {
            assert_eq!(r.as_str().parse::<CompletionResult>(), Ok(r));
        }
        assert!("refused".parse::<CompletionResult>().is_err());
    }

    #[test]
    fn only_access_and_portability_release_a_bundle_and_never_with_no_data() {
        use RequestKind::*;
        assert_eq!(check_release(Access, CompletionResult::Done), Ok(()));
        assert_eq!(check_release(Portability, CompletionResult::Done), Ok(()));
        assert_eq!(
            check_release(Erasure, CompletionResult::Done),
            Err(ReleaseError::NotForKind)
        );
        assert_eq!(
            check_release(Access, CompletionResult::NoData),
            Err(ReleaseError::NoData)
        );
    }

    #[test]
    fn a_code_takes_five_wrong_tries_and_dies_with_its_bundle() {
        let exp = t("2026-12-10 12:00");
        let now = t("2026-12-02 12:00");
        assert_eq!(code_state(0, exp, now), CodeState::Usable { tries_left: 5 });
        assert_eq!(code_state(4, exp, now), CodeState::Usable { tries_left: 1 });
        assert_eq!(code_state(5, exp, now), CodeState::Exhausted);
        assert_eq!(code_state(0, exp, exp), CodeState::Expired);
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalise_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("12345a"), None);
        assert_eq!(normalise_code("١٢٣٤٥٦"), None);
    }
}
