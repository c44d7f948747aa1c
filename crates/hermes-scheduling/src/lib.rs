//! Consultation scheduling for HERMES: which times an attorney can meet a
//! prospective client, which two or three of them the receptionist offers a
//! caller, and the iCalendar invitation that confirms the one they chose.
//!
//! **Architecture Invariant:** this crate does no I/O: no database, no
//! clock, no network, no async. The storage and HTTP layers load the
//! attorneys' rules, their bookings, holds and external calendar time and
//! hand them in; what comes back is plain data.
//!
//! # Why `now` is a parameter
//!
//! Every function that depends on the current time takes it as `now`. The
//! minimum notice and the booking horizon are measured from it, and so are
//! "tomorrow" and "next week" when a caller's words are understood. Reading
//! the clock in here would make the results untestable around the cases that
//! matter (the night clocks change, the last minute before the notice runs
//! out), and would let two calls in one request disagree about what "now"
//! is. The caller reads the clock once and passes the same instant to
//! [`open_slots`] and [`is_bookable`].
//!
//! # Time zones and daylight saving time
//!
//! Availability is written in local wall-clock time of the firm's time zone
//! ("Mondays 09:00–17:00"), because that is how people think about office
//! hours; bookings, holds and the results are instants in UTC, because that
//! is what a database can compare. The conversion between the two is where
//! the edge cases are, and the policy is:
//!
//! * A candidate start is a local time on the `step` grid counted from local
//!   midnight (with a 30-minute step: :00 and :30), so slots line up with a
//!   clock whatever the UTC offset.
//! * A local time that does not exist (the hour skipped when clocks spring
//!   forward) yields no slot.
//! * A local time that happens twice (the hour repeated when clocks fall
//!   back) yields one slot, at its **first** occurrence; the same instant is
//!   never offered twice.
//! * A slot's end is its start plus the real (UTC) length, and its local
//!   wall-clock end must still lie within the availability range. On the
//!   night clocks spring forward, a 60-minute consultation starting at 01:30
//!   in a range that ends at 03:00 therefore ends at 03:30 and is not
//!   offered.
//! * Closures and daily caps apply to *local* dates in the firm's zone.
//!
//! # The buffer rule and its database counterpart
//!
//! An attorney's `buffer` is the least gap between two of their meetings. A
//! slot `[s, e)` is free when, for every busy interval `[bs, be)` of that
//! attorney (bookings and holds as stored, without any buffer),
//! `e + buffer <= bs || be + buffer <= s`. The storage layer enforces the
//! same rule for bookings racing each other with an exclusion constraint
//! over the blocked range `[start, end + buffer)`: two such ranges are
//! disjoint exactly when the condition above holds, so a slot this crate
//! calls free is one the database will accept, and a meeting ending exactly
//! `buffer` before the next begins is allowed by both. [`is_bookable`] is
//! the check to run, inside the same transaction, before inserting a hold
//! or a booking.
//!
//! # Offers and invitations
//!
//! [`offers`] turns the open slots and the caller's stated preference
//! ([`Preference::parse`]) into a few spaced-out options with the sentence
//! the receptionist speaks for each ([`spoken`]). [`to_ics`] renders an
//! RFC 5545 / RFC 5546 invitation or cancellation with an embedded
//! `VTIMEZONE` derived from the time-zone database, so calendar clients
//! show the consultation at the right time even where their own rules are
//! older than ours.

mod error;
mod ics;
mod offers;
mod schedule;
mod slots;
mod spoken;

pub use error::{ScheduleError, Unavailable};
pub use ics::{EventStatus, IcsEvent, Method, to_ics};
pub use offers::{Offer, Offers, Preference, offers};
pub use schedule::{AttorneyRules, Busy, Closure, TimeRange, WeeklySchedule};
pub use slots::{Slot, SlotQuery, is_bookable, open_slots};
pub use spoken::{spoken, spoken_time, spoken_zone};
