//! The polite decline's referral line.
//!
//! Why the state bar: every state has a bar association or state bar, and
//! most run or certify a lawyer referral service; naming it gives the
//! caller somewhere concrete to go without the firm recommending a
//! particular lawyer. Where a statewide service does not exist the local
//! county bar does, so the line mentions it too.

/// Two-letter code → the organisation's name as it reads after "the".
const BARS: &[(&str, &str)] = &[
    ("AL", "Alabama State Bar"),
    ("AK", "Alaska Bar Association"),
    ("AZ", "State Bar of Arizona"),
    ("AR", "Arkansas Bar Association"),
    ("CA", "State Bar of California"),
    ("CO", "Colorado Bar Association"),
    ("CT", "Connecticut Bar Association"),
    ("DE", "Delaware State Bar Association"),
    ("DC", "District of Columbia Bar"),
    ("FL", "Florida Bar"),
    ("GA", "State Bar of Georgia"),
    ("HI", "Hawaii State Bar Association"),
    ("ID", "Idaho State Bar"),
    ("IL", "Illinois State Bar Association"),
    ("IN", "Indiana State Bar Association"),
    ("IA", "Iowa State Bar Association"),
    ("KS", "Kansas Bar Association"),
    ("KY", "Kentucky Bar Association"),
    ("LA", "Louisiana State Bar Association"),
    ("ME", "Maine State Bar Association"),
    ("MD", "Maryland State Bar Association"),
    ("MA", "Massachusetts Bar Association"),
    ("MI", "State Bar of Michigan"),
    ("MN", "Minnesota State Bar Association"),
    ("MS", "Mississippi Bar"),
    ("MO", "Missouri Bar"),
    ("MT", "State Bar of Montana"),
    ("NE", "Nebraska State Bar Association"),
    ("NV", "State Bar of Nevada"),
    ("NH", "New Hampshire Bar Association"),
    ("NJ", "New Jersey State Bar Association"),
    ("NM", "State Bar of New Mexico"),
    ("NY", "New York State Bar Association"),
    ("NC", "North Carolina Bar Association"),
    ("ND", "State Bar Association of North Dakota"),
    ("OH", "Ohio State Bar Association"),
    ("OK", "Oklahoma Bar Association"),
    ("OR", "Oregon State Bar"),
    ("PA", "Pennsylvania Bar Association"),
    ("RI", "Rhode Island Bar Association"),
    ("SC", "South Carolina Bar"),
    ("SD", "State Bar of South Dakota"),
    ("TN", "Tennessee Bar Association"),
    ("TX", "State Bar of Texas"),
    ("UT", "Utah State Bar"),
    ("VT", "Vermont Bar Association"),
    ("VA", "Virginia State Bar"),
    ("WA", "Washington State Bar Association"),
    ("WV", "West Virginia State Bar"),
    ("WI", "State Bar of Wisconsin"),
    ("WY", "Wyoming State Bar"),
    ("PR", "Puerto Rico Bar Association"),
];

/// The bar organisation for a two-letter state code (any case).
pub fn state_bar(state: &str) -> Option<&'static str> {
    let code = state.trim().to_ascii_uppercase();
    BARS.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// A polite decline suggesting the state bar's lawyer referral service;
/// generic when the state is unknown or not a US state code.
pub fn referral_suggestion(state: Option<&str>) -> String {
    let service = match state.and_then(state_bar) {
        Some(bar) => {
            format!("the {bar}'s Lawyer Referral Service, or your local county bar association")
        }
        None => "your state or local bar association's lawyer referral service".to_string(),
    };
    format!(
        "I'm sorry, our firm doesn't handle that kind of matter. To find a lawyer who does, you may want to contact {service}."
    )
}
