//! Typed identifiers.
//!
//! Every id is a UUID (version 7 for new rows, so primary-key indexes grow at
//! the end and ids sort by creation time). Wrapping each in its own type
//! turns "passed a user id as a tenant id" into a compile error.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
                raw.parse()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Hyphenated lower-case: the same text on both database
                // backends and in every API response.
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = crate::ParseError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(raw)
                    .map(Self)
                    .map_err(|_| crate::ParseError::new(stringify!($name), "is not a valid id"))
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// One law firm. Every tenant-owned row carries one.
    TenantId
);
id_type!(
    /// A person who signs in to the dashboard or API.
    UserId
);
id_type!(
    /// A machine credential (`Authorization: Bearer hk_…`).
    ApiKeyId
);
id_type!(
    /// All refresh tokens descended from one login. Reuse of a spent token
    /// revokes the whole family.
    RefreshFamilyId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = TenantId::new();
        assert_eq!(id.to_string().parse::<TenantId>().unwrap(), id);
    }

    #[test]
    fn rejects_garbage_naming_the_type() {
        let err = "not-a-uuid".parse::<UserId>().unwrap_err();
        assert_eq!(err.field, "UserId");
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
    }

    #[test]
    fn serializes_as_plain_string() {
        let id = ApiKeyId::new();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
    }
}
