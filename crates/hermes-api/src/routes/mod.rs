//! One module per resource. Handlers take their permission extractor first,
//! then state, client info, path, query and body, in that order (axum runs
//! extractors left to right, so the permission is checked before anything
//! about the request is looked at).

pub mod api_keys;
pub mod attorneys;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod conflicts;
pub mod conversations;
pub mod intakes;
pub mod me;
pub mod notifications;
pub mod paging;
pub mod parties;
pub mod question_sets;
pub mod scheduling;
pub mod settings;
pub mod system;
pub mod usage;
pub mod users;

/// The telephony settings live with the rest of voice.
pub use crate::voice::settings as voice_settings;
