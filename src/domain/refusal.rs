//! Grounds on which a request may be refused. A refusal always carries a free-text reason,
//! and the answer to the subject names the right to complain to the Autoriteit
//! Persoonsgegevens and to go to court (GDPR art. 12(4)).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusalGround {
    /// Art. 12(5)(b): manifestly unfounded.
    ManifestlyUnfounded,
    /// Art. 12(5)(b): excessive, in particular because of its repetitive character.
    Excessive,
    /// Art. 11(2) and 12(6): the controller cannot identify the subject.
    IdentityNotEstablished,
    /// No personal data of the subject is processed.
    NoData,
    /// Art. 17(3)(a): freedom of expression and information.
    ErasureExceptionExpression,
    /// Art. 17(3)(b): a legal obligation or a task in the public interest.
    ErasureExceptionLegalObligation,
    /// Art. 17(3)(c): public interest in the area of public health.
    ErasureExceptionPublicHealth,
    /// Art. 17(3)(d): archiving, research or statistics.
    ErasureExceptionArchiving,
    /// Art. 17(3)(e): establishment, exercise or defence of legal claims.
    ErasureExceptionLegalClaims,
    /// Anything else; the reason must say what.
    Other,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 10] = [
        Self::ManifestlyUnfounded,
        Self::Excessive,
        Self::IdentityNotEstablished,
        Self::NoData,
        Self::ErasureExceptionExpression,
        Self::ErasureExceptionLegalObligation,
        Self::ErasureExceptionPublicHealth,
        Self::ErasureExceptionArchiving,
        Self::ErasureExceptionLegalClaims,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManifestlyUnfounded => "manifestly_unfounded",
            Self::Excessive => "excessive",
            Self::IdentityNotEstablished => "identity_not_established",
            Self::NoData => "no_data",
            Self::ErasureExceptionExpression => "erasure_exception_expression",
            Self::ErasureExceptionLegalObligation => "erasure_exception_legal_obligation",
            Self::ErasureExceptionPublicHealth => "erasure_exception_public_health",
            Self::ErasureExceptionArchiving => "erasure_exception_archiving",
            Self::ErasureExceptionLegalClaims => "erasure_exception_legal_claims",
            Self::Other => "other",
        }
    }

    /// The GDPR provision the ground rests on, where there is one.
    pub fn article(self) -> Option<&'static str> {
        match self {
            Self::ManifestlyUnfounded | Self::Excessive => Some("12(5)"),
            Self::IdentityNotEstablished => Some("11(2), 12(6)"),
            Self::NoData | Self::Other => None,
            Self::ErasureExceptionExpression => Some("17(3)(a)"),
            Self::ErasureExceptionLegalObligation => Some("17(3)(b)"),
            Self::ErasureExceptionPublicHealth => Some("17(3)(c)"),
            Self::ErasureExceptionArchiving => Some("17(3)(d)"),
            Self::ErasureExceptionLegalClaims => Some("17(3)(e)"),
        }
    }

    /// Art. 17(3) exceptions only answer an erasure request.
    pub fn is_erasure_exception(self) -> bool {
        matches!(
            self,
            Self::ErasureExceptionExpression
                | Self::ErasureExceptionLegalObligation
                | Self::ErasureExceptionPublicHealth
                | Self::ErasureExceptionArchiving
                | Self::ErasureExceptionLegalClaims
        )
    }
}

impl FromStr for RefusalGround {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| InvalidValue::new("is not a known refusal ground"))
    }
}

impl fmt::Display for RefusalGround {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grounds_round_trip() {
        for g in RefusalGround::ALL {
            assert_eq!(g.as_str().parse::<RefusalGround>(), Ok(g));
        }
        assert_eq!(
            RefusalGround::ErasureExceptionLegalClaims.article(),
            Some("17(3)(e)")
        );
        assert!(RefusalGround::ErasureExceptionArchiving.is_erasure_exception());
        assert!(!RefusalGround::Excessive.is_erasure_exception());
    }
}
