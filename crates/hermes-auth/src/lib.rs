//! Authentication primitives, free of HTTP.
//!
//! - [`password`]: argon2id hashing and verification, with a dummy
//!   verification so that "no such user" costs as much as "wrong password".
//! - [`keys`]: the RS256 signing keys on disk (mode 0600), rotation, JWKS.
//! - [`token`]: access tokens (JWT) issued and verified with strict rules.
//! - [`sealed`]: AES-256-GCM for values that must be read back
//!   (provider credentials, recordings), bound to their context.
//! - [`secret`]: opaque secrets (refresh tokens, API keys): generation,
//!   parsing and the hash that is stored instead of the secret.
//!
//! **Architecture Invariant:** no secret (password, refresh token, API key,
//! private key) is stored or logged in clear. The database holds argon2id
//! hashes of passwords and SHA-256 hashes of high-entropy tokens; private
//! keys live only in the key directory.

pub mod keys;
pub mod password;
pub mod sealed;
pub mod secret;
pub mod token;

pub use keys::{KeyError, KeyRing};
pub use password::{PasswordHasher, PasswordParams, generate_password};
pub use sealed::{SealError, SecretBox};
pub use secret::{ApiKeySecret, ConversationSecret, RefreshSecret};
pub use token::{AccessClaims, TokenConfig, TokenError, Tokens, VerifiedAccess};
