//! The request's value types: what kind of right is exercised, by whom, in which language.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// The right a subject exercises (GDPR art. 15-22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15: right of access (inzage).
    Access,
    /// Art. 16: right to rectification (correctie).
    Rectification,
    /// Art. 17: right to erasure (verwijdering).
    Erasure,
    /// Art. 18: right to restriction of processing (blokkeren).
    Restriction,
    /// Art. 20: right to data portability.
    Portability,
    /// Art. 21: right to object.
    Objection,
    /// Art. 22: automated individual decision-making.
    AutomatedDecision,
}

impl RequestKind {
    pub const ALL: [RequestKind; 7] = [
        Self::Access,
        Self::Rectification,
        Self::Erasure,
        Self::Restriction,
        Self::Portability,
        Self::Objection,
        Self::AutomatedDecision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Restriction => "restriction",
            Self::Portability => "portability",
            Self::Objection => "objection",
            Self::AutomatedDecision => "automated_decision",
        }
    }

    /// The GDPR article that grants this right.
    pub fn article(self) -> &'static str {
        match self {
            Self::Access => "15",
            Self::Rectification => "16",
            Self::Erasure => "17",
            Self::Restriction => "18",
            Self::Portability => "20",
            Self::Objection => "21",
            Self::AutomatedDecision => "22",
        }
    }
}

impl FromStr for RequestKind {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                InvalidValue::new(
                    "must be one of access, rectification, erasure, restriction, portability, \
                     objection, automated_decision",
                )
            })
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language the subject (or a tenant) is written to in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Nl,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nl" => Ok(Self::Nl),
            "en" => Ok(Self::En),
            _ => Err(InvalidValue::new("must be nl or en")),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request reached the processor. A letter or call keeps the day it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Web,
    Email,
    Letter,
    Phone,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 5] = [Self::Web, Self::Email, Self::Letter, Self::Phone, Self::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Email => "email",
            Self::Letter => "letter",
            Self::Phone => "phone",
            Self::Api => "api",
        }
    }
}

impl FromStr for Channel {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| InvalidValue::new("must be one of web, email, letter, phone, api"))
    }
}

/// Kinds of identifier by which a subject's rows are found in a tenant's databases.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Email,
    Phone,
    CustomerId,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::CustomerId => "customer_id",
        }
    }
}

impl FromStr for IdentityKind {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Self::Email),
            "phone" => Ok(Self::Phone),
            "customer_id" => Ok(Self::CustomerId),
            _ => Err(InvalidValue::new(
                "must be one of email, phone, customer_id",
            )),
        }
    }
}

impl IdentityKind {
    /// Parses an identifier of this kind as staff add it to a request: an e-mail address or a
    /// phone number as the intake takes them, a customer id as 1 to 100 characters without
    /// control characters. Returns the trimmed value.
    pub fn parse_value(self, raw: &str) -> Result<String, InvalidValue> {
        match self {
            Self::Email => SubjectEmail::parse(raw).map(|e| e.as_str().to_owned()),
            Self::Phone => SubjectPhone::parse(raw).map(|p| p.as_str().to_owned()),
            Self::CustomerId => {
                let id = raw.trim();
                if id.is_empty() || id.chars().count() > 100 || has_control(id) {
                    return Err(InvalidValue::new(
                        "must be 1 to 100 characters without control characters",
                    ));
                }
                Ok(id.to_owned())
            }
        }
    }
}

/// Control characters, and the bidirectional embedding, override and isolate controls
/// (U+202A-U+202E, U+2066-U+2069), which can make a name read as another to staff
/// ("Trojan Source", CVE-2021-42574).
fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The subject's name as given: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectName(String);

impl SubjectName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if has_control(name) {
            return Err(InvalidValue::new("must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The subject's e-mail address, syntactically valid (RFC 5322 addr-spec with a domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectEmail(String);

impl SubjectEmail {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(InvalidValue::new("must not be empty"));
        }
        if email.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new("is too long"));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            email,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| InvalidValue::new("is not a valid e-mail address"))?;
        // A bare host ("user@localhost") is valid RFC 5322 but never a subject's mailbox.
        if !parsed.domain().contains('.') {
            return Err(InvalidValue::new("is not a valid e-mail address"));
        }
        // A quoted local part ("anna"@…) reaches the same mailbox as the bare one and would
        // slip past the per-address limit; nobody needs one for a request.
        if parsed.local_part().starts_with('"') {
            return Err(InvalidValue::new(
                "must not have a quoted local part; give the address without quotes",
            ));
        }
        // Mail servers without SMTPUTF8 refuse non-ASCII addresses: refused here rather than
        // accepted and then never delivered.
        if !email.is_ascii() {
            return Err(InvalidValue::new(
                "must be written in ASCII (an internationalised domain in its xn-- form)",
            ));
        }
        // What the mail transport cannot address is refused now, not dead-lettered later.
        if email.parse::<lettre::message::Mailbox>().is_err() {
            return Err(InvalidValue::new("is not a valid e-mail address"));
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to match the subject's rows and for per-address limits:
    /// trimmed and lower-cased (docs/api.md, "Data maps": e-mail matched case-insensitively).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    /// The mailbox the address reaches, for the per-address intake limit: lower-cased and
    /// without a `+tag` (`Anna+1@Example.nl` → `anna@example.nl`), so sub-addresses of one
    /// mailbox share one allowance. Provider-specific rules (dots at Gmail) are not applied.
    pub fn canonical(&self) -> String {
        let lower = self.normalized();
        match lower.rsplit_once('@') {
            Some((local, domain)) => {
                let mailbox = local.split('+').next().unwrap_or(local);
                format!("{mailbox}@{domain}")
            }
            None => lower,
        }
    }
}

/// A phone number as given: digits with the usual separators, 6 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPhone(String);

impl SubjectPhone {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let phone = raw.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
        if !allowed || !(6..=20).contains(&digits) || phone.chars().count() > 32 {
            return Err(InvalidValue::new("is not a valid phone number"));
        }
        Ok(Self(phone.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text the subject adds to the request, at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details(String);

impl Details {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(InvalidValue::new("must not contain control characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text staff write (notes, reasons, outcomes): non-empty after trimming, bounded.
pub fn staff_text(raw: &str, max_chars: usize) -> Result<String, InvalidValue> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidValue::new("must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(InvalidValue::new(format!(
            "must be at most {max_chars} characters"
        )));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses_and_what_mail_cannot_reach() {
        let c = |s: &str| SubjectEmail::parse(s).unwrap().canonical();
        assert_eq!(c("Victim+1@Example.NL"), "victim@example.nl");
        assert_eq!(c("victim+a+b@example.nl"), "victim@example.nl");
        assert_eq!(c("victim@example.nl"), "victim@example.nl");
        assert_eq!(c("v.ictim@example.nl"), "v.ictim@example.nl");
        for bad in [
            "\"victim\"@example.nl",
            "\"vic tim\"@example.nl",
            "anna@müller.de",
            "ännä@example.nl",
        ] {
            assert!(SubjectEmail::parse(bad).is_err(), "{bad}");
        }
        assert!(SubjectEmail::parse("anna@xn--mller-kva.de").is_ok());
    }

    #[test]
    fn names_with_bidi_controls_are_refused() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            assert!(
                SubjectName::parse(&format!("Anna{c} de Vries")).is_err(),
                "{c:?}"
            );
        }
        assert!(SubjectName::parse("Anna\u{7}").is_err());
        assert!(SubjectName::parse("Zoë Çelik-Ørsted").is_ok());
        assert!(SubjectName::parse("محمد").is_ok());
    }

    #[test]
    fn kinds_round_trip_and_name_their_article() {
        for kind in RequestKind::ALL {
            assert_eq!(kind.as_str().parse::<RequestKind>(), Ok(kind));
        }
        assert_eq!(RequestKind::Portability.article(), "20");
        assert!("inzage".parse::<RequestKind>().is_err());
    }

    #[test]
    fn emails_are_checked_for_syntax() {
        assert!(SubjectEmail::parse("anna@example.nl").is_ok());
        assert_eq!(
            SubjectEmail::parse("  Anna@Example.NL ").map(|e| e.normalized()),
            Ok("anna@example.nl".to_owned())
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.nl",
            "anna@localhost",
            "a b@example.nl",
            "Anna <anna@example.nl>",
        ] {
            assert!(SubjectEmail::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(SubjectName::parse("Anna de Vries").is_ok());
        assert!(SubjectName::parse("   ").is_err());
        assert!(SubjectName::parse(&"x".repeat(201)).is_err());
        assert!(SubjectName::parse(&"é".repeat(200)).is_ok());
        assert!(SubjectName::parse("Anna\u{0}").is_err());
    }

    #[test]
    fn phones_and_details() {
        assert!(SubjectPhone::parse("+31 6 1234 5678").is_ok());
        assert!(SubjectPhone::parse("06-12345678").is_ok());
        assert!(SubjectPhone::parse("call me").is_err());
        assert!(SubjectPhone::parse("123").is_err());
        assert!(Details::parse(&"x".repeat(10_000)).is_ok());
        assert!(Details::parse(&"x".repeat(10_001)).is_err());
        assert!(Details::parse("line one\nline two").is_ok());
    }
}

#[cfg(test)]
mod identity_value_tests {
    use super::*;

    #[test]
    fn identity_values_are_parsed_per_kind() {
        assert_eq!(
            IdentityKind::Email
                .parse_value(" Anna@Example.nl ")
                .as_deref(),
            Ok("Anna@Example.nl")
        );
        assert!(IdentityKind::Email.parse_value("not an address").is_err());
        assert_eq!(
            IdentityKind::Phone
                .parse_value("+31 6 1234 5678")
                .as_deref(),
            Ok("+31 6 1234 5678")
        );
        assert!(IdentityKind::Phone.parse_value("call me").is_err());
        assert_eq!(
            IdentityKind::CustomerId.parse_value(" K-1042 ").as_deref(),
            Ok("K-1042")
        );
        assert!(IdentityKind::CustomerId.parse_value("  ").is_err());
        assert!(IdentityKind::CustomerId.parse_value("a\u{7}b").is_err());
        assert!(
            IdentityKind::CustomerId
                .parse_value(&"x".repeat(101))
                .is_err()
        );
    }
}
