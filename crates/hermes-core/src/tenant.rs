//! What identifies a firm: the slug people type at login, the name the agent
//! speaks, and the time zone every appointment is read back in.

use std::fmt;

use crate::ParseError;

/// The short, URL-safe name a firm signs in with (`demo`, `smith-jones`).
///
/// Lower-case ASCII letters, digits and single hyphens, 2 to 63 characters,
/// starting with a letter: it appears in URLs (`/voice/twilio/{tenant}/…`)
/// and in DNS-like places, so it must never need escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim().to_ascii_lowercase();
        let err = |reason: &str| Err(ParseError::new("slug", reason));
        if s.len() < 2 || s.len() > 63 {
            return err("must be 2 to 63 characters");
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return err("must start with a letter");
        }
        if s.ends_with('-') || s.contains("--") {
            return err("hyphens must separate letters or digits");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return err("may contain only letters, digits and hyphens");
        }
        Ok(Self(s))
    }
}

impl AsRef<str> for TenantSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A firm's name as it is spoken and shown ("Smith & Jones LLP").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::new("name", "must not be empty"));
        }
        if s.chars().count() > 200 {
            return Err(ParseError::new("name", "must be at most 200 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl AsRef<str> for TenantName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone (`America/Chicago`). Abbreviations such as `CST` are
/// refused: they are ambiguous and do not know about daylight saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        // chrono-tz also knows legacy aliases ("EST", "US/Eastern"); a firm's
        // zone must be a canonical Area/Location name.
        if !s.contains('/') && s != "UTC" {
            return Err(ParseError::new(
                "time_zone",
                "must be an IANA time zone such as America/New_York",
            ));
        }
        s.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            ParseError::new(
                "time_zone",
                format!("unknown IANA time zone {s:?}; use a name such as America/New_York"),
            )
        })
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

/// As its IANA name; parsed (canonical names only) when read.
impl serde::Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <String as serde::Deserialize>::deserialize(d)?;
        TimeZone::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_and_normalises() {
        assert_eq!(TenantSlug::parse(" Demo ").unwrap().as_ref(), "demo");
        assert_eq!(
            TenantSlug::parse("smith-jones-2").unwrap().as_ref(),
            "smith-jones-2"
        );
    }

    #[test]
    fn slug_rejects_bad_shapes() {
        for bad in [
            "", "a", "1firm", "-firm", "firm-", "fi--rm", "firm_1", "firm.com", "fírm",
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(TenantSlug::parse(&"a".repeat(64)).is_err());
        assert!(TenantSlug::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn name_trims_and_limits() {
        assert_eq!(
            TenantName::parse("  Smith & Jones LLP ").unwrap().as_ref(),
            "Smith & Jones LLP"
        );
        assert!(TenantName::parse("   ").is_err());
        assert!(TenantName::parse("bad\nname").is_err());
        assert!(TenantName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn time_zone_requires_canonical_iana_names() {
        assert_eq!(
            TimeZone::parse("America/Chicago").unwrap().name(),
            "America/Chicago"
        );
        assert_eq!(TimeZone::parse("UTC").unwrap().name(), "UTC");
        for bad in ["CST", "EST", "Mars/Olympus", "", "America/Nowhere"] {
            let err = TimeZone::parse(bad).unwrap_err();
            assert_eq!(err.field, "time_zone", "{bad:?}");
        }
    }
}
