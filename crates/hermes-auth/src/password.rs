//! Password hashing with argon2id.
//!
//! Defaults follow OWASP's Password Storage Cheat Sheet (argon2id, 19 MiB,
//! 2 iterations, 1 lane). The parameters are written into every PHC string,
//! so raising them later leaves existing hashes verifiable.
//!
//! Hashing is deliberately slow (tens of milliseconds): callers on an async
//! runtime run it on the blocking pool.

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use hermes_core::NewPassword;

/// A random password for a new account, shown once: 24 URL-safe characters
/// (144 bits), well beyond any guessing.
pub fn generate_password() -> NewPassword {
    use base64::Engine;
    let bytes: [u8; 18] = rand::random();
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    NewPassword::parse(&text).expect("24 random characters satisfy the policy")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid argon2 parameters: {0}")]
pub struct ParamsError(String);

#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    params: PasswordParams,
    /// A hash of a random password, verified against when the account does
    /// not exist so the response takes as long as a wrong password.
    dummy: String,
}

impl PasswordHasher {
    pub fn new(params: PasswordParams) -> Result<Self, ParamsError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| ParamsError(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let mut hasher = Self {
            argon,
            params,
            dummy: String::new(),
        };
        let random: [u8; 32] = rand::random();
        hasher.dummy = hasher.hash_bytes(&random);
        Ok(hasher)
    }

    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    pub fn hash(&self, password: &NewPassword) -> String {
        self.hash_bytes(password.expose().as_bytes())
    }

    fn hash_bytes(&self, bytes: &[u8]) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon
            .hash_password(bytes, &salt)
            .expect("argon2 hashing with validated parameters cannot fail")
            .to_string()
    }

    /// Whether `password` matches `phc`. A malformed stored hash counts as a
    /// mismatch (and is logged): it must never let anyone in.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => {
                tracing::error!("a stored password hash is not a valid PHC string");
                false
            }
        }
    }

    /// Spends the time a real verification would, for accounts that do not
    /// exist. Always false.
    pub fn verify_dummy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.dummy);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hash_verifies_and_is_argon2id() {
        let h = fast();
        let pw = NewPassword::parse("correct horse battery staple").unwrap();
        let phc = h.hash(&pw);
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(h.verify("correct horse battery staple", &phc));
        assert!(!h.verify("correct horse battery stapl", &phc));
    }

    #[test]
    fn same_password_gets_different_salts() {
        let h = fast();
        let pw = NewPassword::parse("correct horse battery staple").unwrap();
        assert_ne!(h.hash(&pw), h.hash(&pw));
    }

    #[test]
    fn hashes_made_with_other_params_still_verify() {
        let pw = NewPassword::parse("correct horse battery staple").unwrap();
        let old = fast().hash(&pw);
        let newer = PasswordHasher::new(PasswordParams {
            memory_kib: 2048,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap();
        assert!(newer.verify(pw.expose(), &old));
    }

    #[test]
    fn malformed_hash_never_matches() {
        let h = fast();
        assert!(!h.verify("anything", "not-a-phc-string"));
        assert!(!h.verify("", ""));
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.expose().len(), 24);
        assert_ne!(a.expose(), generate_password().expose());
    }

    #[test]
    fn dummy_is_always_false() {
        assert!(!fast().verify_dummy("whatever"));
    }

    #[test]
    fn bad_params_are_refused() {
        assert!(
            PasswordHasher::new(PasswordParams {
                memory_kib: 1,
                iterations: 0,
                parallelism: 1
            })
            .is_err()
        );
    }
}
