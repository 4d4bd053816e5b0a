//! Grounds on which a request may be refused. A refusal always carries a free-text reason,
//! and the answer to the subject names the right to complain to the Autoriteit
//! Persoonsgegevens and to go to court (GDPR art. 12(4)).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;
use super::request::RequestKind;

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
    /// Art. 15(4) (and 20(4) for portability): a copy must not adversely affect the rights and
    /// freedoms of others.
    RightsOfOthers,
    /// Art. 23 GDPR with UAVG art. 41: a restriction laid down by law.
    StatutoryRestriction,
    /// The conditions of art. 17(1), 18(1) or 20(1) do not apply.
    ConditionsNotMet,
    /// Art. 21(1): compelling legitimate grounds for the processing override the objection.
    CompellingLegitimateGrounds,
    /// Art. 22(2): the automated decision is necessary for a contract, authorised by law, or
    /// based on explicit consent.
    AutomatedDecisionException,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 15] = [
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
        Self::RightsOfOthers,
        Self::StatutoryRestriction,
        Self::ConditionsNotMet,
        Self::CompellingLegitimateGrounds,
        Self::AutomatedDecisionException,
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
            Self::RightsOfOthers => "rights_of_others",
            Self::StatutoryRestriction => "statutory_restriction",
            Self::ConditionsNotMet => "conditions_not_met",
            Self::CompellingLegitimateGrounds => "compelling_legitimate_grounds",
            Self::AutomatedDecisionException => "automated_decision_exception",
        }
    }

    /// The GDPR provision the ground rests on for a request of `kind`, where there is one.
    /// Art. 11(2) only speaks of art. 15 to 20, so for an objection or an automated decision the
    /// identity ground rests on art. 12(2) and 12(6) alone.
    pub fn article_for(self, kind: RequestKind) -> Option<&'static str> {
        match (self, kind) {
            (
                Self::IdentityNotEstablished,
                RequestKind::Objection | RequestKind::AutomatedDecision,
            ) => Some("12(2), 12(6)"),
            (Self::RightsOfOthers, RequestKind::Portability) => Some("20(4)"),
            (Self::ConditionsNotMet, RequestKind::Erasure) => Some("17(1)"),
            (Self::ConditionsNotMet, RequestKind::Restriction) => Some("18(1)"),
            (Self::ConditionsNotMet, RequestKind::Portability) => Some("20(1)"),
            _ => self.article(),
        }
    }

    /// Whether the ground can answer a request of `kind` (GDPR: each exception belongs to the
    /// right it limits). The general grounds answer every kind.
    pub fn answers(self, kind: RequestKind) -> bool {
        use RequestKind as K;
        match self {
            Self::ManifestlyUnfounded
            | Self::Excessive
            | Self::IdentityNotEstablished
            | Self::NoData
            | Self::Other
            | Self::StatutoryRestriction => true,
            g if g.is_erasure_exception() => kind == K::Erasure,
            Self::RightsOfOthers => matches!(kind, K::Access | K::Portability),
            Self::ConditionsNotMet => matches!(kind, K::Erasure | K::Restriction | K::Portability),
            Self::CompellingLegitimateGrounds => kind == K::Objection,
            Self::AutomatedDecisionException => kind == K::AutomatedDecision,
            _ => false,
        }
    }

    /// The GDPR provision the ground rests on, where there is one (for the kind-specific
    /// citation use [`Self::article_for`]).
    pub fn article(self) -> Option<&'static str> {
        match self {
            Self::ManifestlyUnfounded | Self::Excessive => Some("12(5)"),
            Self::IdentityNotEstablished => Some("11(2), 12(2), 12(6)"),
            Self::RightsOfOthers => Some("15(4)"),
            Self::StatutoryRestriction => Some("23"),
            Self::ConditionsNotMet => Some("17(1), 18(1), 20(1)"),
            Self::CompellingLegitimateGrounds => Some("21(1)"),
            Self::AutomatedDecisionException => Some("22(2)"),
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

    #[test]
    fn each_ground_answers_only_its_kinds() {
        use RequestKind as K;
        let answered = |g: RefusalGround| -> Vec<RequestKind> {
            K::ALL.into_iter().filter(|k| g.answers(*k)).collect()
        };
        assert_eq!(
            answered(RefusalGround::RightsOfOthers),
            [K::Access, K::Portability]
        );
        assert_eq!(
            answered(RefusalGround::ConditionsNotMet),
            [K::Erasure, K::Restriction, K::Portability]
        );
        assert_eq!(
            answered(RefusalGround::CompellingLegitimateGrounds),
            [K::Objection]
        );
        assert_eq!(
            answered(RefusalGround::AutomatedDecisionException),
            [K::AutomatedDecision]
        );
        assert_eq!(answered(RefusalGround::StatutoryRestriction), K::ALL);
        assert_eq!(
            answered(RefusalGround::ErasureExceptionExpression),
            [K::Erasure]
        );
        // Art. 11(2) only for the rights of art. 15 to 20.
        let id = RefusalGround::IdentityNotEstablished;
        assert_eq!(id.article_for(K::Access), Some("11(2), 12(2), 12(6)"));
        assert_eq!(id.article_for(K::Objection), Some("12(2), 12(6)"));
        assert_eq!(id.article_for(K::AutomatedDecision), Some("12(2), 12(6)"));
        assert_eq!(
            RefusalGround::ConditionsNotMet.article_for(K::Restriction),
            Some("18(1)")
        );
        for g in RefusalGround::ALL {
            for k in K::ALL {
                if g.answers(k) && !matches!(g, RefusalGround::NoData | RefusalGround::Other) {
                    assert!(g.article_for(k).is_some(), "{g} for {k}");
                }
            }
        }
    }
}
