//! People who sign in: their email (unique per tenant), their display name,
//! and the rules a new password must meet.

use std::fmt;

use crate::ParseError;

/// An email address, trimmed and lower-cased so that uniqueness per tenant
/// and login lookups do not depend on how someone typed it.
///
/// The check is deliberately modest (one `@`, a dotted domain, no spaces):
/// the only real proof an address works is mail arriving there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim().to_lowercase();
        let err = |reason: &str| Err(ParseError::new("email", reason));
        if s.is_empty() {
            return err("must not be empty");
        }
        if s.len() > 254 {
            return err("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("must contain @");
        };
        if local.is_empty() || local.len() > 64 {
            return err("the part before @ must be 1 to 64 characters");
        }
        if domain.contains('@') {
            return err("must contain exactly one @");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("must not contain spaces");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return err("the domain must look like example.com");
        }
        Ok(Self(s))
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a user is shown in the dashboard and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::new("name", "must not be empty"));
        }
        if s.chars().count() > 120 {
            return Err(ParseError::new("name", "must be at most 120 characters"));
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

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A password someone is setting. Long passphrases are encouraged (NIST
/// SP 800-63B: length over composition rules); the upper bound keeps a
/// megabyte "password" from becoming a hashing denial of service.
///
/// `Debug` never prints the value.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(ParseError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(ParseError::new(
                "password",
                format!("must be at most {} bytes", Self::MAX_BYTES),
            ));
        }
        if raw.trim().is_empty() {
            return Err(ParseError::new("password", "must not be only spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("  Ana.Lopez@Example.COM ").unwrap().as_ref(),
            "ana.lopez@example.com"
        );
    }

    #[test]
    fn email_rejects_malformed() {
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "ana@@example.com",
            "ana@exa mple.com",
            "ana@example..com",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    #[test]
    fn display_name_rules() {
        assert_eq!(DisplayName::parse(" Ana ").unwrap().as_ref(), "Ana");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse("a\tb").is_err());
        assert!(DisplayName::parse(&"n".repeat(121)).is_err());
    }

    #[test]
    fn password_length_rules() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("            ").is_err());
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert!(NewPassword::parse(&"x".repeat(1025)).is_err());
        // Counted in characters, not bytes: 12 accented letters are enough.
        assert!(NewPassword::parse(&"é".repeat(12)).is_ok());
    }

    #[test]
    fn password_debug_hides_value() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
