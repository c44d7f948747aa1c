//! The severity table: what it means that a party of the new matter
//! resembles a party the firm already knows.
//!
//! It is one `match` so that it can be read, reviewed by a lawyer, and
//! tested cell by cell. The index is per firm, so every lawyer's conflicts
//! are the firm's (Rule 1.10, imputation) without further work here.
//!
//! Choices worth stating:
//! - A `Client` whose matter is `Closed` is a former client (Rule 1.9); an
//!   `Open`, `Pending` or unknown status is a current client (Rule 1.7).
//! - A *related* party of the new matter who is a current client is
//!   `Potential`, not `Conflict`: related parties (co-parties, spouses,
//!   insurers, witnesses) are often aligned with the new client, and an
//!   attorney must decide whether the matter is adverse to them. It is
//!   still flagged, so nothing is missed.
//! - The firm having been adverse to the new client in a *closed* matter is
//!   `Potential` (duties to that former client survive, Rule 1.9); in an
//!   open or pending matter it is `Conflict` (the firm would be on both
//!   sides, Rule 1.7).
//! - Conflict rules apply at full strength only to strong matches; the
//!   downgrade lives in the index (see [`crate::STRONG_THRESHOLD`]).

use crate::{MatterStatus, NewMatterRole, PartyRole, Severity};

/// The role the indexed party effectively has, folding matter status in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effective {
    CurrentClient,
    FormerClient,
    Prospective,
    AdverseOpen,
    AdverseClosed,
    Related,
    OpposingCounsel,
}

fn effective(role: PartyRole, status: Option<MatterStatus>) -> Effective {
    let closed = status == Some(MatterStatus::Closed);
    match role {
        PartyRole::Client if closed => Effective::FormerClient,
        PartyRole::Client => Effective::CurrentClient,
        PartyRole::FormerClient => Effective::FormerClient,
        PartyRole::ProspectiveClient => Effective::Prospective,
        PartyRole::AdverseParty if closed => Effective::AdverseClosed,
        PartyRole::AdverseParty => Effective::AdverseOpen,
        PartyRole::RelatedParty => Effective::Related,
        PartyRole::OpposingCounsel => Effective::OpposingCounsel,
    }
}

/// Severity and its human reason for a probe in `probe` role resembling a
/// party in `role` of a matter with `status`, before any weak-match
/// downgrade.
pub fn classify(
    probe: NewMatterRole,
    role: PartyRole,
    status: Option<MatterStatus>,
) -> (Severity, &'static str) {
    use Effective as E;
    use NewMatterRole as N;
    use Severity::{Conflict, Info, Potential};
    match (probe, effective(role, status)) {
        (N::Client, E::CurrentClient) => (Info, "returning client: already a current client"),
        (N::Client, E::FormerClient) => (Info, "returning client: a former client"),
        (N::Client, E::Prospective) => (
            Info,
            "previously consulted the firm as a prospective client",
        ),
        (N::Client, E::AdverseOpen) => (
            Conflict,
            "new client is an adverse party in a current matter of the firm (Rule 1.7)",
        ),
        (N::Client, E::AdverseClosed) => (
            Potential,
            "new client was adverse to a client of the firm in a closed matter (Rule 1.9 review)",
        ),
        (N::Client, E::Related) => (
            Potential,
            "new client is a related party in a matter of the firm (Rule 1.7 review)",
        ),
        (N::Client, E::OpposingCounsel) => (
            Potential,
            "new client has been opposing counsel to the firm (Rule 1.7(a)(2) review)",
        ),
        (N::Adverse, E::CurrentClient) => {
            (Conflict, "adverse party is a current client (Rule 1.7)")
        }
        (N::Adverse, E::FormerClient) => (
            Potential,
            "adverse party is a former client (Rule 1.9, attorney review)",
        ),
        (N::Adverse, E::Prospective) => (
            Potential,
            "adverse party consulted the firm as a prospective client (Rule 1.18)",
        ),
        (N::Adverse, E::AdverseOpen | E::AdverseClosed) => {
            (Info, "adverse party is already adverse in another matter")
        }
        (N::Adverse, E::Related) => (
            Potential,
            "adverse party is a related party in a matter of the firm (Rule 1.7 review)",
        ),
        (N::Adverse, E::OpposingCounsel) => (Info, "adverse party has been opposing counsel"),
        (N::Related, E::CurrentClient) => (
            Potential,
            "related party is a current client: review whether the matter is adverse to them (Rule 1.7)",
        ),
        (N::Related, E::FormerClient) => (
            Potential,
            "related party is a former client (Rule 1.9, attorney review)",
        ),
        (N::Related, E::Prospective) => (
            Potential,
            "related party consulted the firm as a prospective client (Rule 1.18)",
        ),
        (N::Related, E::AdverseOpen | E::AdverseClosed) => {
            (Info, "related party is an adverse party in another matter")
        }
        (N::Related, E::Related) => (Info, "related party is related to another matter"),
        (N::Related, E::OpposingCounsel) => (Info, "related party has been opposing counsel"),
    }
}

/// The reason text when a Conflict rule is downgraded on a weak match.
pub(crate) const WEAK_MATCH_NOTE: &str =
    "possible conflict on a fuzzy name match: confirm identity (attorney review)";

#[cfg(test)]
mod tests {
    use super::*;
    use MatterStatus::*;
    use NewMatterRole as N;
    use PartyRole as R;
    use Severity::*;

    /// The whole table, every (probe role × party role × matter status).
    fn expected(probe: N, role: R, status: Option<MatterStatus>) -> Severity {
        let closed = status == Some(Closed);
        match (probe, role) {
            (N::Client, R::Client | R::FormerClient | R::ProspectiveClient) => Info,
            (N::Client, R::AdverseParty) if closed => Potential,
            (N::Client, R::AdverseParty) => Conflict,
            (N::Client, R::RelatedParty | R::OpposingCounsel) => Potential,
            (N::Adverse, R::Client) if closed => Potential,
            (N::Adverse, R::Client) => Conflict,
            (N::Adverse, R::FormerClient | R::ProspectiveClient | R::RelatedParty) => Potential,
            (N::Adverse, R::AdverseParty | R::OpposingCounsel) => Info,
            (N::Related, R::Client | R::FormerClient | R::ProspectiveClient) => Potential,
            (N::Related, R::AdverseParty | R::RelatedParty | R::OpposingCounsel) => Info,
        }
    }

    #[test]
    fn every_cell_of_the_table() {
        let statuses = [None, Some(Open), Some(Pending), Some(Closed)];
        let mut cells = 0;
        for &probe in NewMatterRole::ALL {
            for &role in PartyRole::ALL {
                for status in statuses {
                    let (sev, rule) = classify(probe, role, status);
                    assert_eq!(
                        sev,
                        expected(probe, role, status),
                        "{probe:?} vs {role:?} ({status:?})"
                    );
                    assert!(!rule.is_empty());
                    if sev != Info {
                        assert!(rule.contains("Rule"), "{rule}");
                    }
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 3 * 6 * 4);
    }

    #[test]
    fn headline_rules() {
        assert_eq!(
            classify(N::Adverse, R::Client, Some(Open)),
            (Conflict, "adverse party is a current client (Rule 1.7)")
        );
        assert_eq!(classify(N::Adverse, R::Client, Some(Closed)).0, Potential);
        assert!(
            classify(N::Adverse, R::ProspectiveClient, None)
                .1
                .contains("1.18")
        );
        assert!(
            classify(N::Related, R::FormerClient, None)
                .1
                .contains("1.9")
        );
        assert_eq!(
            classify(N::Client, R::AdverseParty, Some(Pending)).0,
            Conflict
        );
    }
}
