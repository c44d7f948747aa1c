//! Opaque secrets: refresh tokens and API keys.
//!
//! Both carry 256 random bits and name their tenant in clear, so the server
//! knows which tenant's (row-level-secured) tables to look in before it
//! knows whether the secret is good:
//!
//! - refresh token: `hrt_<tenant-uuid-hex>_<43 base64url chars>`
//! - API key:       `hk_<tenant-uuid-hex>_<43 base64url chars>`
//!
//! Only `SHA-256(secret)` is stored. A fast hash is right here, unlike for
//! passwords: with 256 bits of entropy there is nothing to brute-force.
//! The prefixes also make leaked secrets easy to spot by secret scanners.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hermes_core::TenantId;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn random_part() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn parse(prefix: &str, raw: &str) -> Option<TenantId> {
    let rest = raw.strip_prefix(prefix)?;
    let (tenant, secret) = rest.split_once('_')?;
    if tenant.len() != 32 || secret.len() != 43 {
        return None;
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Uuid::try_parse(tenant).ok().map(TenantId::from_uuid)
}

/// A refresh token as handed to a client, and its stored hash.
#[derive(Clone)]
pub struct RefreshSecret {
    pub token: String,
    pub hash: String,
}

impl RefreshSecret {
    const PREFIX: &'static str = "hrt_";

    pub fn generate(tenant: TenantId) -> Self {
        let token = format!(
            "{}{}_{}",
            Self::PREFIX,
            tenant.as_uuid().simple(),
            random_part()
        );
        let hash = hash_secret(&token);
        Self { token, hash }
    }

    /// The tenant named by a presented token and the hash to look up, or
    /// `None` if it is not shaped like a refresh token at all.
    pub fn parse(raw: &str) -> Option<(TenantId, String)> {
        parse(Self::PREFIX, raw).map(|t| (t, hash_secret(raw)))
    }
}

/// An API key as shown once to its creator, and what is stored.
#[derive(Clone)]
pub struct ApiKeySecret {
    pub key: String,
    pub hash: String,
    /// Enough of the key to recognise it in a list (`hk_…` + 6 chars).
    pub prefix: String,
}

impl ApiKeySecret {
    pub const PREFIX: &'static str = "hk_";

    pub fn generate(tenant: TenantId) -> Self {
        let secret = random_part();
        let key = format!("{}{}_{}", Self::PREFIX, tenant.as_uuid().simple(), secret);
        let hash = hash_secret(&key);
        let prefix = format!("{}…{}", Self::PREFIX, &secret[..6]);
        Self { key, hash, prefix }
    }

    pub fn looks_like(raw: &str) -> bool {
        raw.starts_with(Self::PREFIX)
    }

    pub fn parse(raw: &str) -> Option<(TenantId, String)> {
        parse(Self::PREFIX, raw).map(|t| (t, hash_secret(raw)))
    }
}

/// A text conversation's token, handed to the caller's client (a website
/// chat widget) when the conversation starts: `hcv_<tenant>_<intake>_<43
/// base64url chars>`. Whoever holds it can continue that conversation and
/// nothing else; only its hash is stored, on the intake.
#[derive(Clone)]
pub struct ConversationSecret {
    pub token: String,
    pub hash: String,
}

impl ConversationSecret {
    const PREFIX: &'static str = "hcv_";

    pub fn generate(tenant: TenantId, intake: Uuid) -> Self {
        let token = format!(
            "{}{}_{}_{}",
            Self::PREFIX,
            tenant.as_uuid().simple(),
            intake.simple(),
            random_part()
        );
        let hash = hash_secret(&token);
        Self { token, hash }
    }

    /// The tenant, the intake and the hash to compare, or `None` if `raw`
    /// is not shaped like a conversation token.
    pub fn parse(raw: &str) -> Option<(TenantId, Uuid, String)> {
        let rest = raw.strip_prefix(Self::PREFIX)?;
        let (tenant, rest) = rest.split_once('_')?;
        let (intake, secret) = rest.split_once('_')?;
        if tenant.len() != 32 || intake.len() != 32 || secret.len() != 43 {
            return None;
        }
        if !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let tenant = TenantId::from_uuid(Uuid::try_parse(tenant).ok()?);
        let intake = Uuid::try_parse(intake).ok()?;
        Some((tenant, intake, hash_secret(raw)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_round_trip() {
        let (t, i) = (TenantId::new(), Uuid::now_v7());
        let s = ConversationSecret::generate(t, i);
        assert!(s.token.starts_with("hcv_"));
        assert_eq!(
            ConversationSecret::parse(&s.token),
            Some((t, i, s.hash.clone()))
        );
        assert_eq!(
            ConversationSecret::parse(&s.token[..s.token.len() - 1]),
            None
        );
        assert_eq!(ConversationSecret::parse("hcv_x_y_z"), None);
        assert_eq!(
            ConversationSecret::parse(&s.token.replace("hcv_", "hrt_")),
            None
        );
    }

    #[test]
    fn refresh_round_trip() {
        let t = TenantId::new();
        let s = RefreshSecret::generate(t);
        assert!(s.token.starts_with("hrt_"));
        assert_eq!(RefreshSecret::parse(&s.token), Some((t, s.hash.clone())));
        assert_ne!(RefreshSecret::generate(t).token, s.token);
    }

    #[test]
    fn api_key_round_trip_and_prefix() {
        let t = TenantId::new();
        let k = ApiKeySecret::generate(t);
        assert!(ApiKeySecret::looks_like(&k.key));
        assert_eq!(ApiKeySecret::parse(&k.key), Some((t, k.hash.clone())));
        assert!(k.prefix.starts_with("hk_…"));
        assert!(!k.prefix.contains(&k.key[10..]));
    }

    #[test]
    fn kinds_do_not_cross() {
        let t = TenantId::new();
        let r = RefreshSecret::generate(t);
        let k = ApiKeySecret::generate(t);
        assert!(ApiKeySecret::parse(&r.token).is_none());
        assert!(RefreshSecret::parse(&k.key).is_none());
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        let t = TenantId::new().as_uuid().simple().to_string();
        for bad in [
            String::new(),
            "hrt_".into(),
            format!("hrt_{t}"),
            format!("hrt_{t}_short"),
            format!("hrt_nothex_{}", "a".repeat(43)),
            format!("hrt_{t}_{}", "!".repeat(43)),
            "eyJhbGciOiJSUzI1NiJ9.e30.sig".into(),
        ] {
            assert!(RefreshSecret::parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
