//! The plans HERMES is sold on, and what each includes.
//!
//! - **Free**: 100 answered calls a month.
//! - **Professional**: unlimited calls.
//! - **Enterprise**: unlimited calls, and several offices under one firm.
//!
//! Over its allowance a call is still answered (a firm never loses a
//! caller): the agent takes a message instead of the whole intake, and the
//! firm's admins are told. Only answered phone calls count; the browser
//! test phone and text conversations do not.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Professional,
    Enterprise,
}

/// Answered calls a month the Free plan includes.
pub const FREE_CALLS_PER_MONTH: u64 = 100;

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Professional, Plan::Enterprise];

    pub fn as_str(&self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Professional => "professional",
            Plan::Enterprise => "enterprise",
        }
    }

    /// Answered calls included each month; `None` is unlimited.
    pub fn calls_included(&self) -> Option<u64> {
        match self {
            Plan::Free => Some(FREE_CALLS_PER_MONTH),
            Plan::Professional | Plan::Enterprise => None,
        }
    }

    /// Whether the firm may have several offices (numbers, hours, time
    /// zones and attorneys of their own).
    pub fn has_offices(&self) -> bool {
        matches!(self, Plan::Enterprise)
    }

    /// Whether the call that is `ordinal`-th of its month (1-based) is
    /// beyond the allowance, and so answered by taking a message.
    pub fn over_allowance(&self, ordinal: u64) -> bool {
        self.calls_included().is_some_and(|n| ordinal > n)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError::new("plan", "must be free, professional or enterprise"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enterprise_has_offices() {
        assert!(Plan::Enterprise.has_offices());
        assert!(!Plan::Professional.has_offices());
        assert!(!Plan::Free.has_offices());
    }

    #[test]
    fn the_free_plan_includes_a_hundred_calls_and_no_more() {
        assert!(!Plan::Free.over_allowance(1));
        assert!(!Plan::Free.over_allowance(100));
        assert!(Plan::Free.over_allowance(101));
        for p in [Plan::Professional, Plan::Enterprise] {
            assert!(!p.over_allowance(1_000_000), "{p} is unlimited");
            assert_eq!(p.calls_included(), None);
        }
    }

    #[test]
    fn plans_parse_by_name_and_nothing_else() {
        for p in Plan::ALL {
            assert_eq!(p.as_str().parse::<Plan>().unwrap(), p);
            assert_eq!(p.as_str().to_uppercase().parse::<Plan>().unwrap(), p);
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::json!(p.as_str())
            );
        }
        let err = "gold".parse::<Plan>().unwrap_err();
        assert_eq!(err.field, "plan");
        assert!("".parse::<Plan>().is_err());
    }
}
