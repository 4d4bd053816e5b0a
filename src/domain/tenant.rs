//! A tenant's own values.

/// A tenant slug: 2-40 lower-case letters, digits and dashes, starting with a letter.
pub fn parse_slug(raw: &str) -> Result<String, super::InvalidValue> {
    let s = raw.trim();
    let ok = (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(super::InvalidValue::new(
            "must be 2-40 lower-case letters, digits or dashes, starting with a letter",
        ))
    }
}
