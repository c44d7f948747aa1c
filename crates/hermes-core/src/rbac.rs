//! Roles and the one permission table.
//!
//! **Architecture Invariant:** this table is the only place that says what a
//! role may do. The API enforces it with an extractor per permission
//! (`Require<P>`); no handler compares roles itself. The README's table is
//! generated from [`Permission::ALL`] and [`Role::allows`], and a test keeps
//! the two in step.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// What a user or API key is, within one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Attorney,
    Staff,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Attorney, Role::Staff, Role::ReadOnly];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Attorney => "ATTORNEY",
            Role::Staff => "STAFF",
            Role::ReadOnly => "READ_ONLY",
        }
    }

    /// Roles are nested: each holds every permission of the roles below it
    /// (a test checks this against the table). Used to cap what a user can
    /// hand on, e.g. the API keys they created.
    pub fn rank(&self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Attorney => 2,
            Role::Staff => 1,
            Role::ReadOnly => 0,
        }
    }

    /// The permission table. Exhaustive matches: adding a role or a
    /// permission does not compile until someone decides who gets it.
    pub fn allows(&self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ManageUsers | ManageApiKeys | ManageIntegrations | ManageBilling | ReadAuditLog
            | WriteSettings => matches!(self, Role::Admin),
            ReadSettings | ReadCases => true,
            WriteCases | ListenRecordings | ReadConflicts => !matches!(self, Role::ReadOnly),
            DecideConflicts => matches!(self, Role::Admin | Role::Attorney),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "ADMIN" => Ok(Role::Admin),
            "ATTORNEY" => Ok(Role::Attorney),
            "STAFF" => Ok(Role::Staff),
            "READ_ONLY" => Ok(Role::ReadOnly),
            _ => Err(ParseError::new(
                "role",
                "must be one of ADMIN, ATTORNEY, STAFF, READ_ONLY",
            )),
        }
    }
}

/// Something a route needs. One variant per row of the README's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Users and their roles.
    ManageUsers,
    /// Machine credentials.
    ManageApiKeys,
    /// Clio and telephony connections.
    ManageIntegrations,
    /// Plan and usage.
    ManageBilling,
    /// The audit log.
    ReadAuditLog,
    /// Firm settings: change.
    WriteSettings,
    /// Firm settings: read.
    ReadSettings,
    /// Intakes, calls and bookings: read.
    ReadCases,
    /// Intakes, calls, bookings and the parties index: create, change, delete.
    WriteCases,
    /// Call recordings: play or download.
    ListenRecordings,
    /// Conflict-check results and the review queue.
    ReadConflicts,
    /// Clear or decline a potential conflict.
    DecideConflicts,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::ManageUsers,
        Permission::ManageApiKeys,
        Permission::ManageIntegrations,
        Permission::ManageBilling,
        Permission::ReadAuditLog,
        Permission::WriteSettings,
        Permission::ReadSettings,
        Permission::ReadCases,
        Permission::WriteCases,
        Permission::ListenRecordings,
        Permission::ReadConflicts,
        Permission::DecideConflicts,
    ];

    /// Stable machine name, used in 403 bodies and the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::ManageUsers => "users:manage",
            Permission::ManageApiKeys => "api_keys:manage",
            Permission::ManageIntegrations => "integrations:manage",
            Permission::ManageBilling => "billing:manage",
            Permission::ReadAuditLog => "audit:read",
            Permission::WriteSettings => "settings:write",
            Permission::ReadSettings => "settings:read",
            Permission::ReadCases => "cases:read",
            Permission::WriteCases => "cases:write",
            Permission::ListenRecordings => "recordings:listen",
            Permission::ReadConflicts => "conflicts:read",
            Permission::DecideConflicts => "conflicts:decide",
        }
    }

    /// What the permission covers, in the README's words.
    pub fn describe(&self) -> &'static str {
        match self {
            Permission::ManageUsers => "users and roles",
            Permission::ManageApiKeys => "API keys",
            Permission::ManageIntegrations => "integrations (Clio, telephony)",
            Permission::ManageBilling => "billing and plan",
            Permission::ReadAuditLog => "audit log",
            Permission::WriteSettings => "settings: write",
            Permission::ReadSettings => "settings: read",
            Permission::ReadCases => "intakes, calls, bookings: read",
            Permission::WriteCases => "intakes, calls, bookings, parties: write",
            Permission::ListenRecordings => "recordings: listen",
            Permission::ReadConflicts => "conflicts: read",
            Permission::DecideConflicts => "conflicts: decide (clear / decline)",
        }
    }
}

/// The permission table as Markdown, exactly as the README shows it.
pub fn permission_table_markdown() -> String {
    let mut out = String::from("| permission | code | ADMIN | ATTORNEY | STAFF | READ_ONLY |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for p in Permission::ALL {
        out.push_str(&format!("| {} | `{}` |", p.describe(), p.as_str()));
        for r in Role::ALL {
            out.push_str(if r.allows(p) { " yes |" } else { " – |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;
    use Role::*;

    /// The issue's table, typed out independently of `allows` so that a
    /// change to one without the other fails here.
    const EXPECTED: [(Permission, [bool; 4]); 12] = [
        (ManageUsers, [true, false, false, false]),
        (ManageApiKeys, [true, false, false, false]),
        (ManageIntegrations, [true, false, false, false]),
        (ManageBilling, [true, false, false, false]),
        (ReadAuditLog, [true, false, false, false]),
        (WriteSettings, [true, false, false, false]),
        (ReadSettings, [true, true, true, true]),
        (ReadCases, [true, true, true, true]),
        (WriteCases, [true, true, true, false]),
        (ListenRecordings, [true, true, true, false]),
        (ReadConflicts, [true, true, true, false]),
        (DecideConflicts, [true, true, false, false]),
    ];

    #[test]
    fn table_matches_the_issue() {
        for (perm, row) in EXPECTED {
            for (role, want) in Role::ALL.iter().zip(row) {
                assert_eq!(role.allows(perm), want, "{role} / {}", perm.as_str());
            }
        }
    }

    #[test]
    fn ranks_follow_permission_inclusion() {
        for a in Role::ALL {
            for b in Role::ALL {
                let includes = Permission::ALL
                    .iter()
                    .all(|p| !b.allows(*p) || a.allows(*p));
                assert_eq!(a.rank() >= b.rank(), includes, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!("read_only".parse::<Role>().unwrap(), ReadOnly);
        assert!("OWNER".parse::<Role>().is_err());
    }

    #[test]
    fn readme_shows_the_generated_table() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&permission_table_markdown()),
            "README.md's permission table is out of date; paste:\n{}",
            permission_table_markdown()
        );
    }
}
