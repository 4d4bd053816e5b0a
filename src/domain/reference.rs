//! Request references `DSR-<year>-<6 digits>`: unique and readable, but not a secret
//! (the subject's status link carries a signed token; the reference alone opens nothing).

use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    year: i32,
    number: u64,
}

impl Reference {
    pub fn new(year: i32, number: u64) -> Result<Self, InvalidValue> {
        if !(2000..=9999).contains(&year) || number == 0 || number > 99_999_999 {
            return Err(InvalidValue::new("reference out of range"));
        }
        Ok(Self { year, number })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u64 {
        self.number
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DSR-{}-{:06}", self.year, self.number)
    }
}

impl FromStr for Reference {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidValue::new("is not a reference like DSR-2026-000042");
        let rest = s.strip_prefix("DSR-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || number.len() < 6
            || number.len() > 8
            || !year.bytes().all(|b| b.is_ascii_digit())
            || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u64 = number.parse().map_err(|_| bad())?;
        let reference = Self::new(year, number).map_err(|_| bad())?;
        // Only the canonical spelling is a reference (no "DSR-2026-0000042").
        if reference.to_string() != s {
            return Err(bad());
        }
        Ok(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_six_digits() {
        let r = Reference::new(2026, 42).unwrap();
        assert_eq!(r.to_string(), "DSR-2026-000042");
        assert_eq!("DSR-2026-000042".parse::<Reference>(), Ok(r));
        assert_eq!(
            Reference::new(2026, 1_234_567).unwrap().to_string(),
            "DSR-2026-1234567"
        );
    }

    #[test]
    fn rejects_anything_else() {
        for bad in [
            "",
            "DSR-2026-42",
            "dsr-2026-000042",
            "DSR-26-000042",
            "DSR-2026-00004x",
            "DSR-2026-0000042",
            "DSR-2026-000000",
            "DSR-2026-000042 ",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad} accepted");
        }
    }
}
