//! Who the firm is: the name the agent speaks, how to reach it, where it
//! practises. The states matter for law (all-party-consent recording states,
//! bar referral services), so they are parsed, not free text.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{E164, ParseError, string_newtype_serde, text};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FirmProfile {
    /// The firm's name as the agent says it ("Smith and Jones"), when it
    /// differs from the written name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Smith and Jones"))]
    pub spoken_name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "+15035550100"))]
    pub main_phone: Option<E164>,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "https://smithjones.example"))]
    pub website: Option<Website>,
    /// Two-letter codes of the states (and DC, territories) where the firm
    /// practises.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["OR", "WA"])))]
    pub states: Vec<UsState>,
}

impl FirmProfile {
    pub fn validate(&self) -> Result<(), ParseError> {
        if let Some(n) = &self.spoken_name {
            text("spoken_name", n, 120)?;
        }
        if let Some(a) = &self.address {
            a.validate()?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.states {
            if !seen.insert(s) {
                return Err(ParseError::new("states", format!("{s} is listed twice")));
            }
        }
        Ok(())
    }

    /// Normalises free text (trims), then validates.
    pub fn normalized(mut self) -> Result<Self, ParseError> {
        self.spoken_name = self
            .spoken_name
            .map(|n| text("spoken_name", &n, 120))
            .transpose()?;
        if let Some(a) = self.address.take() {
            self.address = Some(a.normalized()?);
        }
        self.validate()?;
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[cfg_attr(feature = "openapi", schema(example = "100 SW Main St, Suite 400"))]
    pub street: String,
    #[cfg_attr(feature = "openapi", schema(example = "Portland"))]
    pub city: String,
    /// State, province or region.
    #[cfg_attr(feature = "openapi", schema(example = "OR"))]
    pub region: String,
    #[cfg_attr(feature = "openapi", schema(example = "97204"))]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default = "default_country")]
    #[cfg_attr(feature = "openapi", schema(example = "US"))]
    pub country: String,
}

fn default_country() -> String {
    "US".into()
}

impl Address {
    pub fn validate(&self) -> Result<(), ParseError> {
        text("address.street", &self.street, 200)?;
        text("address.city", &self.city, 100)?;
        text("address.region", &self.region, 100)?;
        text("address.postal_code", &self.postal_code, 20)?;
        if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ParseError::new(
                "address.country",
                "must be a two-letter ISO country code such as US",
            ));
        }
        Ok(())
    }

    fn normalized(self) -> Result<Self, ParseError> {
        let a = Address {
            street: text("address.street", &self.street, 200)?,
            city: text("address.city", &self.city, 100)?,
            region: text("address.region", &self.region, 100)?,
            postal_code: text("address.postal_code", &self.postal_code, 20)?,
            country: self.country.trim().to_ascii_uppercase(),
        };
        a.validate()?;
        Ok(a)
    }
}

/// An `http(s)://` address with a dotted host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website(String);

impl Website {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        let err = |r: &str| Err(ParseError::new("website", r));
        if s.len() > 200 {
            return err("must be at most 200 characters");
        }
        let rest = match s.split_once("://") {
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") =>
            {
                rest
            }
            _ => return err("must start with https:// or http://"),
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return err("must name a host such as www.example.com");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("must not contain spaces");
        }
        Ok(Self(s.to_owned()))
    }
}

impl AsRef<str> for Website {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(Website);

/// The US states, DC and the inhabited territories, by USPS code.
const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
];

/// Where recording a call needs every party's consent (as the firm's
/// counsel should confirm; the list follows the usual two-party-consent
/// summaries). The intake agent asks consent on every call anyway; this
/// tells it a "no" must also stop the firm's side from recording.
const ALL_PARTY_CONSENT: [&str; 11] = [
    "CA", "DE", "FL", "IL", "MD", "MA", "MI", "MT", "NH", "PA", "WA",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsState(&'static str);

impl UsState {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let up = raw.trim().to_ascii_uppercase();
        US_STATES
            .iter()
            .find(|s| **s == up)
            .map(|s| UsState(s))
            .ok_or_else(|| {
                ParseError::new(
                    "states",
                    format!("{:?} is not a US state or territory code", raw.trim()),
                )
            })
    }

    pub fn all_party_consent(&self) -> bool {
        ALL_PARTY_CONSENT.contains(&self.0)
    }
}

impl AsRef<str> for UsState {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
string_newtype_serde!(UsState);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_case_insensitively_and_know_consent_rules() {
        assert_eq!(UsState::parse(" or ").unwrap().as_ref(), "OR");
        assert!(UsState::parse("CA").unwrap().all_party_consent());
        assert!(!UsState::parse("NY").unwrap().all_party_consent());
        assert!(UsState::parse("XX").is_err());
        assert!(UsState::parse("Oregon").is_err());
    }

    #[test]
    fn websites() {
        for ok in [
            "https://smithjones.example",
            "http://www.firm.law/contact?x=1",
            "https://firm.example:8443/",
        ] {
            Website::parse(ok).unwrap();
        }
        for bad in [
            "smithjones.com",
            "ftp://x.com",
            "https://localhost",
            "https://exa mple.com",
            "https://",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profile_round_trips_and_validates() {
        let json = r#"{"spoken_name":" Smith and Jones ","main_phone":"(503) 555-0100",
            "address":{"street":"100 Main St","city":"Portland","region":"OR","postal_code":"97204"},
            "website":"https://smithjones.example","states":["or","wa"]}"#;
        let p: FirmProfile = serde_json::from_str(json).unwrap();
        let p = p.normalized().unwrap();
        assert_eq!(p.spoken_name.as_deref(), Some("Smith and Jones"));
        assert_eq!(p.main_phone.as_ref().unwrap().as_ref(), "+15035550100");
        assert_eq!(p.address.as_ref().unwrap().country, "US");
        let back: FirmProfile = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);

        let twice: FirmProfile = serde_json::from_str(r#"{"states":["OR","or"]}"#).unwrap();
        assert_eq!(twice.validate().unwrap_err().field, "states");
        assert!(serde_json::from_str::<FirmProfile>(r#"{"main_phone":"12"}"#).is_err());
        assert!(serde_json::from_str::<FirmProfile>(r#"{"fax":"12"}"#).is_err());
        let blank: FirmProfile = serde_json::from_str(r#"{"spoken_name":"  "}"#).unwrap();
        assert_eq!(blank.normalized().unwrap_err().field, "spoken_name");
    }
}
