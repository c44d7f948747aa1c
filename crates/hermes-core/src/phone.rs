//! Phone numbers in E.164 form (`+15035550100`).
//!
//! Callers, firms and Twilio all write numbers differently; HERMES stores
//! one form so that "is this the same number" is string equality. A bare
//! 10-digit number (or 11 digits starting with 1) is taken as North
//! American, which is where the firms HERMES serves are; anything else must
//! carry its `+` and country code.

use std::fmt;

use crate::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::parse_field("phone", raw)
    }

    /// As [`E164::parse`], naming `field` in the error.
    pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        let err = |reason: &str| Err(ParseError::new(field, reason));
        if s.is_empty() {
            return err("must not be empty");
        }
        if s.len() > 40 {
            return err("must be at most 40 characters");
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return err(
                "may contain only digits, spaces, dashes, dots, parentheses and a leading +",
            );
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let full = if plus {
            digits
        } else if digits.len() == 10 {
            format!("1{digits}")
        } else if digits.len() == 11 && digits.starts_with('1') {
            digits
        } else {
            return err(
                "must be a 10-digit North American number or start with + and a country code",
            );
        };
        if !(8..=15).contains(&full.len()) || full.starts_with('0') {
            return err("must have a country code and 8 to 15 digits in all");
        }
        if full.starts_with('1') && full.len() != 11 {
            return err("a North American number (+1) has 10 digits after the 1");
        }
        Ok(Self(format!("+{full}")))
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for E164 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for E164 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        E164::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_forms_agree() {
        for raw in [
            "5035550100",
            "503-555-0100",
            "(503) 555-0100",
            "1 503 555 0100",
            "+1 (503) 555-0100",
            "503.555.0100",
            "  +15035550100 ",
        ] {
            assert_eq!(E164::parse(raw).unwrap().as_ref(), "+15035550100", "{raw}");
        }
    }

    #[test]
    fn international_numbers_need_a_plus() {
        assert_eq!(
            E164::parse("+44 20 7946 0000").unwrap().as_ref(),
            "+442079460000"
        );
        assert!(E164::parse("442079460000").is_err());
    }

    #[test]
    fn refuses_junk() {
        for raw in [
            "",
            "call me",
            "555-0100",
            "+1 503 555 010",
            "+0123456789",
            "+1234567",
            "+1234567890123456",
            "503-555-0100 ext 5",
        ] {
            let e = E164::parse(raw).unwrap_err();
            assert_eq!(e.field, "phone", "{raw}");
        }
    }

    #[test]
    fn serde_parses() {
        let p: E164 = serde_json::from_str("\"(503) 555-0100\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+15035550100\"");
        assert!(serde_json::from_str::<E164>("\"nope\"").is_err());
    }
}
