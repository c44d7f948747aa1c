//! HERMES end to end: the real binary's application on a random port, over
//! real HTTP, against SQLite and the machine's PostgreSQL and Redis. One
//! test binary (faster to link than one per file), a module per concern.

mod api_keys;
mod audit;
mod auth;
mod backup;
mod cli;
mod clio;
mod clio_sync;
mod conflicts;
mod dashboard;
mod drain;
mod firm_settings;
mod health;
mod helpers;
mod hygiene;
mod intake;
mod live;
mod llm;
mod nginx;
mod notify;
mod offices;
mod phone;
mod plans;
mod ratelimit;
mod rbac;
mod scheduling;
mod tenancy;
mod tokens;
mod users;
mod voice;
mod voice_cloud;
mod voice_telnyx;
