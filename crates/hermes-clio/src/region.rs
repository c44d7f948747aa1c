//! Clio's regions: separate deployments, one host each.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
    Ca,
    Au,
}

impl Region {
    pub const ALL: [Region; 4] = [Region::Us, Region::Eu, Region::Ca, Region::Au];

    /// The region's web host: OAuth pages and the API live under it.
    pub fn host(self) -> &'static str {
        match self {
            Region::Us => "https://app.clio.com",
            Region::Eu => "https://eu.app.clio.com",
            Region::Ca => "https://ca.app.clio.com",
            Region::Au => "https://au.app.clio.com",
        }
    }

    /// The API's base (paths such as `/contacts.json` go after it).
    pub fn api_base(self) -> String {
        format!("{}/api/v4", self.host())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Ca => "ca",
            Region::Au => "au",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("unknown Clio region {0:?}: expected us, eu, ca or au")]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            "ca" => Ok(Region::Ca),
            "au" => Ok(Region::Au),
            _ => Err(UnknownRegion(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_has_its_own_host_and_parses_back() {
        let hosts: std::collections::HashSet<_> = Region::ALL.iter().map(|r| r.host()).collect();
        assert_eq!(hosts.len(), 4);
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>(), Ok(r));
            assert_eq!(r.to_string().to_uppercase().parse::<Region>(), Ok(r));
            assert!(r.api_base().ends_with("/api/v4"));
        }
        assert_eq!(Region::Eu.api_base(), "https://eu.app.clio.com/api/v4");
        assert!("uk".parse::<Region>().is_err());
    }
}
