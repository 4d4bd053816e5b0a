//! What kind of controller a tenant is: it decides the remedies a subject is told.
//!
//! A private controller: a complaint to the Autoriteit Persoonsgegevens at any time (GDPR art.
//! 77), or a request (verzoekschrift) to the civil court within six weeks (UAVG art. 35; GDPR
//! art. 79), no lawyer needed. A public body: its answer is a decision (besluit), so an objection
//! (bezwaar) within six weeks (UAVG art. 34, Awb 6:7), then the administrative court; a complaint
//! to the Autoriteit Persoonsgegevens is possible too (art. 77).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Sector {
    #[default]
    Private,
    Public,
}

impl Sector {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Public => "public",
        }
    }
}

impl FromStr for Sector {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "private" => Ok(Self::Private),
            "public" => Ok(Self::Public),
            _ => Err(InvalidValue::new("must be private or public")),
        }
    }
}

impl fmt::Display for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
