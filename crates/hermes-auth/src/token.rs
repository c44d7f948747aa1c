//! Access tokens: short-lived RS256 JWTs.
//!
//! Verification is strict and explicit: the header must say `RS256` and
//! `typ: at+jwt` (RFC 9068) and name a `kid` from the key ring before any
//! signature is checked, so `alg: none`, HS256 (including the classic trick
//! of using the RSA public key as an HMAC secret) and tokens of unknown keys
//! are refused up front. Then signature, `exp`, `nbf`, `iss` and `aud` are
//! checked by `jsonwebtoken`, and the custom claims are parsed into typed
//! ids. Whether the user still exists, is active, or revoked the token is
//! not this module's business: the API checks that against live state.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hermes_core::{RefreshFamilyId, Role, TenantId, UserId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::KeyRing;

/// The JOSE `typ` of HERMES access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

#[derive(Debug, Clone)]
pub struct TokenConfig {
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    /// Tolerated clock difference between nodes when checking `exp`/`nbf`.
    pub leeway: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            issuer: "hermes".into(),
            audience: "hermes-api".into(),
            access_ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(30),
        }
    }
}

/// The claims of an access token, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// User id.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    pub role: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The refresh family (login session) the token belongs to; logout
    /// revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// A verified access token, parsed into domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAccess {
    pub user: UserId,
    pub tenant: TenantId,
    pub role: Role,
    pub jti: String,
    pub session: Option<RefreshFamilyId>,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused. Every variant is a 401; the distinction is for
/// logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is not a well-formed JWT")]
    Malformed,
    #[error("token algorithm or type is not RS256 at+jwt")]
    Algorithm,
    #[error("token has no kid or an unknown one")]
    UnknownKey,
    #[error("token signature does not verify")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token issuer is wrong")]
    Issuer,
    #[error("token audience is wrong")]
    Audience,
    #[error("token claims are missing or invalid")]
    Claims,
}

/// Issues and verifies access tokens with the deployment's key ring.
#[derive(Debug, Clone)]
pub struct Tokens {
    keys: Arc<KeyRing>,
    cfg: TokenConfig,
    validation: Validation,
}

impl Tokens {
    pub fn new(keys: Arc<KeyRing>, cfg: TokenConfig) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&cfg.issuer]);
        validation.set_audience(&[&cfg.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.validate_exp = true;
        validation.leeway = cfg.leeway.as_secs();
        Self {
            keys,
            cfg,
            validation,
        }
    }

    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.keys
    }

    pub fn config(&self) -> &TokenConfig {
        &self.cfg
    }

    /// A fresh access token and its claims.
    pub fn issue(
        &self,
        user: UserId,
        tenant: TenantId,
        role: Role,
        session: Option<RefreshFamilyId>,
    ) -> (String, AccessClaims) {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.cfg.issuer.clone(),
            aud: self.cfg.audience.clone(),
            sub: user.to_string(),
            tid: tenant.to_string(),
            role: role.as_str().to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now + self.cfg.access_ttl.as_secs() as i64,
            sid: session.map(|s| s.to_string()),
        };
        let key = self.keys.current();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
            .expect("signing with a loaded RSA key cannot fail");
        (token, claims)
    }

    pub fn verify(&self, token: &str) -> Result<VerifiedAccess, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 || header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
        let key = self.keys.verifying_key(kid).ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::Signature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::Issuer,
                ErrorKind::InvalidAudience => TokenError::Audience,
                ErrorKind::InvalidAlgorithm => TokenError::Algorithm,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => TokenError::Claims,
                _ => TokenError::Malformed,
            })?;
        let c = data.claims;
        let parse = || -> Option<VerifiedAccess> {
            if c.jti.is_empty() || c.jti.len() > 64 {
                return None;
            }
            Some(VerifiedAccess {
                user: c.sub.parse().ok()?,
                tenant: c.tid.parse().ok()?,
                role: c.role.parse().ok()?,
                jti: c.jti.clone(),
                session: match &c.sid {
                    Some(s) => Some(s.parse().ok()?),
                    None => None,
                },
                expires_at: DateTime::from_timestamp(c.exp, 0)?,
            })
        };
        parse().ok_or(TokenError::Claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::EncodingKey;

    fn setup() -> (tempfile::TempDir, Tokens) {
        let dir = tempfile::tempdir().unwrap();
        let ring = Arc::new(KeyRing::open_or_create(dir.path()).unwrap());
        (dir, Tokens::new(ring, TokenConfig::default()))
    }

    fn claims(t: &Tokens) -> AccessClaims {
        let (_, c) = t.issue(UserId::new(), TenantId::new(), Role::Staff, None);
        c
    }

    fn sign(t: &Tokens, c: &AccessClaims) -> String {
        let key = t.keys.current();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(key.kid.clone());
        h.typ = Some(ACCESS_TOKEN_TYPE.into());
        jsonwebtoken::encode(&h, c, &key.encoding).unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let (_d, t) = setup();
        let (user, tenant, fam) = (UserId::new(), TenantId::new(), RefreshFamilyId::new());
        let (tok, c) = t.issue(user, tenant, Role::Attorney, Some(fam));
        assert_eq!(c.exp - c.iat, 900);
        let v = t.verify(&tok).unwrap();
        assert_eq!(
            (v.user, v.tenant, v.role, v.session),
            (user, tenant, Role::Attorney, Some(fam))
        );
        assert_eq!(v.jti, c.jti);
    }

    #[test]
    fn expired_and_future_tokens_are_refused() {
        let (_d, t) = setup();
        let mut c = claims(&t);
        c.exp = Utc::now().timestamp() - 3600;
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::Expired));
        let mut c = claims(&t);
        c.nbf = Utc::now().timestamp() + 3600;
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::NotYetValid));
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let (_d, t) = setup();
        let mut c = claims(&t);
        c.iss = "someone-else".into();
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::Issuer));
        let mut c = claims(&t);
        c.aud = "another-api".into();
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::Audience));
    }

    #[test]
    fn alg_none_and_hs256_are_refused() {
        let (_d, t) = setup();
        let c = claims(&t);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let kid = t.keys.current().kid.clone();
        let none_header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"at+jwt","kid":"{kid}"}}"#));
        let none_token = format!("{none_header}.{body}.");
        assert!(t.verify(&none_token).is_err());

        // HS256 keyed with the public key's bytes: the algorithm-confusion
        // attack. Refused before any key is used.
        let key = t.keys.current();
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid);
        h.typ = Some(ACCESS_TOKEN_TYPE.into());
        let jwk_json = serde_json::to_vec(&key.jwk).unwrap();
        let hs = jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(&jwk_json)).unwrap();
        assert_eq!(t.verify(&hs), Err(TokenError::Algorithm));
    }

    #[test]
    fn tampered_bytes_are_refused() {
        let (_d, t) = setup();
        let (tok, _) = t.issue(UserId::new(), TenantId::new(), Role::Staff, None);
        let bytes = tok.as_bytes();
        // Flip one character in each part of the token.
        let dots: Vec<usize> = tok.match_indices('.').map(|(i, _)| i).collect();
        for pos in [3, dots[0] + 5, dots[1] + 5, tok.len() - 2] {
            let mut b = bytes.to_vec();
            b[pos] = if b[pos] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(b).unwrap();
            assert!(t.verify(&tampered).is_err(), "position {pos} accepted");
        }
    }

    #[test]
    fn unknown_kid_and_missing_typ_are_refused() {
        let (_d, t) = setup();
        let c = claims(&t);
        let key = t.keys.current();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("not-a-kid".into());
        h.typ = Some(ACCESS_TOKEN_TYPE.into());
        let tok = jsonwebtoken::encode(&h, &c, &key.encoding).unwrap();
        assert_eq!(t.verify(&tok), Err(TokenError::UnknownKey));

        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(key.kid.clone());
        let tok = jsonwebtoken::encode(&h, &c, &key.encoding).unwrap();
        assert_eq!(t.verify(&tok), Err(TokenError::Algorithm));
    }

    #[test]
    fn token_signed_by_a_foreign_key_is_refused() {
        let (_d, t) = setup();
        let (_d2, other) = setup();
        let c = claims(&t);
        // Signed by another deployment's key but claiming ours.
        let foreign = other.keys.current();
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(t.keys.current().kid.clone());
        h.typ = Some(ACCESS_TOKEN_TYPE.into());
        let tok = jsonwebtoken::encode(&h, &c, &foreign.encoding).unwrap();
        assert_eq!(t.verify(&tok), Err(TokenError::Signature));
    }

    #[test]
    fn garbage_claims_are_refused() {
        let (_d, t) = setup();
        let mut c = claims(&t);
        c.role = "OWNER".into();
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::Claims));
        let mut c = claims(&t);
        c.tid = "nope".into();
        assert_eq!(t.verify(&sign(&t, &c)), Err(TokenError::Claims));
        assert_eq!(t.verify("a.b"), Err(TokenError::Malformed));
        assert_eq!(t.verify(""), Err(TokenError::Malformed));
    }
}
