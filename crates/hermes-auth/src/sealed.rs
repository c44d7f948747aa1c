//! Encryption at rest for what HERMES must be able to read back: provider
//! credentials (Twilio's auth token, Clio's OAuth tokens) and call
//! recordings. AES-256-GCM from aws-lc-rs; we only frame the bytes.
//!
//! A sealed value is `v1 | key id (8 bytes) | nonce (12) | ciphertext+tag`.
//! The nonce is random per seal (96 bits; a key seals far fewer than 2^32
//! values in its life). The *context* — the tenant and what the value is,
//! e.g. `"<tenant>/recording/<call id>"` — is bound as associated data, so
//! a sealed value copied to another row or another firm does not open.
//!
//! Keys live in one file, one `<id> <base64 key>` per line, owner-only
//! (0600). The first line seals; every line opens, so a key can be rotated
//! by putting a new line first and resealing at leisure. Several nodes
//! share the file (a mounted secret), like the signing keys.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const VERSION: u8 = 1;
const ID_LEN: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("secret key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed with key {0}, which is not in the key file")]
    UnknownKey(String),
    #[error("sealed value does not open (wrong key, wrong context, or tampered)")]
    Tampered,
}

struct Key {
    id: [u8; ID_LEN],
    key: LessSafeKey,
}

/// The keys that seal and open values at rest.
pub struct SecretBox {
    keys: Vec<Key>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn key_of(id: [u8; ID_LEN], bytes: &[u8]) -> Option<Key> {
    let key = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
    Some(Key {
        id,
        key: LessSafeKey::new(key),
    })
}

impl SecretBox {
    /// A box with one fresh random key (tests, and the first start).
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        let mut id = [0u8; ID_LEN];
        let mut bytes = [0u8; 32];
        rng.fill(&mut id).expect("system randomness");
        rng.fill(&mut bytes).expect("system randomness");
        Self {
            keys: vec![key_of(id, &bytes).expect("a 32-byte key")],
            rng,
        }
    }

    /// Parses a key file's text (see the module docs).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, key) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected `<id> <base64 key>`", n + 1))?;
            let id = hex::decode(id.trim())
                .ok()
                .and_then(|v| <[u8; ID_LEN]>::try_from(v).ok())
                .ok_or_else(|| format!("line {}: the id must be 16 hex digits", n + 1))?;
            let bytes = STANDARD
                .decode(key.trim())
                .map_err(|_| format!("line {}: the key is not base64", n + 1))?;
            if bytes.len() != 32 {
                return Err(format!("line {}: the key must be 32 bytes", n + 1));
            }
            keys.push(key_of(id, &bytes).ok_or("bad key")?);
        }
        if keys.is_empty() {
            return Err("no key".into());
        }
        Ok(Self {
            keys,
            rng: SystemRandom::new(),
        })
    }

    /// Reads the key file, creating it with one random key (mode 0600)
    /// when it does not exist.
    pub fn open_or_create(path: &Path) -> Result<Self, SealError> {
        let err = |reason: String| SealError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(err),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let rng = SystemRandom::new();
                let mut id = [0u8; ID_LEN];
                let mut bytes = [0u8; 32];
                rng.fill(&mut id).map_err(|_| err("no randomness".into()))?;
                rng.fill(&mut bytes)
                    .map_err(|_| err("no randomness".into()))?;
                let text = format!(
                    "# HERMES data-at-rest keys: the first line seals, all open. Keep secret; back up.\n{} {}\n",
                    hex::encode(id),
                    STANDARD.encode(bytes)
                );
                // Several nodes may start on one empty data volume at
                // once: each writes its own complete file and links it into
                // place; the first link wins and the others read it.
                let tmp = path.with_extension(format!("tmp-{}", hex::encode(id)));
                write_private(&tmp, &text).map_err(|e| err(e.to_string()))?;
                let linked = std::fs::hard_link(&tmp, path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Self::parse(&text).map_err(err),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
                        Self::parse(&text).map_err(err)
                    }
                    Err(e) => Err(err(e.to_string())),
                }
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Encrypts `plain`, bound to `context`.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).expect("system randomness");
        let mut out = Vec::with_capacity(1 + ID_LEN + NONCE_LEN + plain.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        key.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .expect("AES-GCM seals any length we use");
        out.extend_from_slice(&body);
        out
    }

    /// Decrypts a value sealed with `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + ID_LEN + NONCE_LEN + 16 || sealed[0] != VERSION {
            return Err(SealError::Malformed);
        }
        let id = &sealed[1..1 + ID_LEN];
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownKey(hex::encode(id)))?;
        let nonce = <[u8; NONCE_LEN]>::try_from(&sealed[1 + ID_LEN..1 + ID_LEN + NONCE_LEN])
            .map_err(|_| SealError::Malformed)?;
        let mut body = sealed[1 + ID_LEN + NONCE_LEN..].to_vec();
        let plain = key
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::Tampered)?;
        Ok(plain.to_vec())
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_starting_together_on_an_empty_volume_share_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/data.keys");
        let boxes: Vec<SecretBox> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| SecretBox::open_or_create(&path).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sealed = boxes[0].seal("t/ctx", b"secret");
        for b in &boxes {
            assert_eq!(b.open("t/ctx", &sealed).unwrap(), b"secret");
        }
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("data.keys")],
            "no temporaries left"
        );
    }

    #[test]
    fn round_trip_bound_to_context() {
        let b = SecretBox::generate();
        let sealed = b.seal("t1/twilio", b"auth-token");
        assert_eq!(b.open("t1/twilio", &sealed).unwrap(), b"auth-token");
        assert!(matches!(
            b.open("t2/twilio", &sealed),
            Err(SealError::Tampered)
        ));
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(
            b.open("t1/twilio", &bad),
            Err(SealError::Tampered)
        ));
        assert!(matches!(
            b.open("t1/twilio", &sealed[..10]),
            Err(SealError::Malformed)
        ));
        // A fresh nonce each time: sealing twice never gives the same bytes.
        assert_ne!(b.seal("c", b"x"), b.seal("c", b"x"));
    }

    #[test]
    fn other_keys_do_not_open_and_rotation_keeps_old_values_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.keys");
        let first = SecretBox::open_or_create(&path).unwrap();
        let again = SecretBox::open_or_create(&path).unwrap();
        let sealed = first.seal("ctx", b"hello");
        assert_eq!(again.open("ctx", &sealed).unwrap(), b"hello");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            SecretBox::generate().open("ctx", &sealed),
            Err(SealError::UnknownKey(_))
        ));
        // Rotate: a new first line seals, the old line still opens.
        let old = std::fs::read_to_string(&path).unwrap();
        let new_line = "00112233445566aa AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
        let rotated = SecretBox::parse(&format!("{new_line}{old}")).unwrap();
        assert_eq!(rotated.open("ctx", &sealed).unwrap(), b"hello");
        assert_eq!(
            &rotated.seal("ctx", b"x")[1..9],
            &hex::decode("00112233445566aa").unwrap()[..]
        );
        assert!(SecretBox::parse("zz abc").is_err());
        assert!(SecretBox::parse("0011223344556677 c2hvcnQ=").is_err());
    }
}
