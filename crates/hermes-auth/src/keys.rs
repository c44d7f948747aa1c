//! RS256 signing keys: on disk, rotated, published as a JWKS.
//!
//! Keys live in one directory as PKCS#8 PEM files named
//! `<created-ms>-<kid>.pem`, readable by the owner only (0600; the directory
//! 0700). The newest file is the *current* key, which signs; the one before
//! it is the *previous* key, which still verifies, so that tokens signed
//! just before a rotation stay valid until they expire (15 minutes). Older
//! keys are ignored. `kid` is the key's RFC 7638 thumbprint.
//!
//! Several nodes share the directory (a mounted secret or volume). A node
//! rescans it when it sees a token whose `kid` it does not know (at most
//! once a second), and the server rescans it periodically, so a rotation
//! done by `hermes keys rotate` reaches every node without a restart.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
    RSAKeyParameters, RSAKeyType, ThumbprintHash,
};
use jsonwebtoken::{DecodingKey, EncodingKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {path} is not a valid RSA private key: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("no signing key in {0}; run `hermes keys rotate` to create one")]
    Empty(PathBuf),
    #[error("could not generate an RSA key")]
    Generate,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One key pair, ready to sign and verify.
pub struct SigningKey {
    pub kid: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    pub jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pem(path: &Path, pem_text: &[u8]) -> Result<Self, KeyError> {
        let invalid = |reason: String| KeyError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let parsed = pem::parse(pem_text).map_err(|e| invalid(e.to_string()))?;
        if parsed.tag() != "PRIVATE KEY" {
            return Err(invalid(format!(
                "expected a PKCS#8 PRIVATE KEY, found {}",
                parsed.tag()
            )));
        }
        let pair = KeyPair::from_pkcs8(parsed.contents()).map_err(|e| invalid(e.to_string()))?;
        if pair.public_key().modulus_len() < 256 {
            return Err(invalid("RSA keys must be at least 2048 bits".into()));
        }
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero();
        let e = public.exponent().big_endian_without_leading_zero();
        let encoding = EncodingKey::from_rsa_pem(pem_text).map_err(|e| invalid(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_raw_components(n, e);
        let mut jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::RS256),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n: URL_SAFE_NO_PAD.encode(n),
                e: URL_SAFE_NO_PAD.encode(e),
            }),
        };
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| invalid(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        Ok(Self {
            kid,
            encoding,
            decoding,
            jwk,
        })
    }
}

struct KeySet {
    current: Arc<SigningKey>,
    /// Current and previous, by kid.
    verifying: HashMap<String, Arc<SigningKey>>,
    jwks: JwkSet,
}

/// The signing keys of this deployment. Cheap to share (`Arc` inside).
pub struct KeyRing {
    dir: PathBuf,
    set: RwLock<Arc<KeySet>>,
    last_scan: Mutex<Instant>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .field("current", &self.current().kid)
            .finish()
    }
}

/// Smallest interval between rescans triggered by unknown kids, so a flood
/// of forged tokens cannot turn into a flood of directory reads.
const RESCAN_INTERVAL: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the keys in `dir`, first creating the directory and a key if
    /// there is none (the embedded default's first start). Several nodes
    /// starting together on one empty shared directory create one key
    /// between them: the first to take `.init.lock` writes it, the others
    /// wait for it.
    pub fn open_or_create(dir: &Path) -> Result<Self, KeyError> {
        create_dir_private(dir)?;
        if key_files(dir)?.is_empty() {
            let lock = dir.join(".init.lock");
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(_) => {
                    let created = if key_files(dir)?.is_empty() {
                        Some(Self::rotate(dir))
                    } else {
                        None
                    };
                    let _ = fs::remove_file(&lock);
                    if let Some(kid) = created.transpose()? {
                        tracing::info!(kid, "generated a new JWT signing key");
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // Another node is creating it; a lock older than a few
                    // seconds was left by a crash and is ignored.
                    for _ in 0..50 {
                        if !key_files(dir)?.is_empty() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    if key_files(dir)?.is_empty() {
                        let _ = fs::remove_file(&lock);
                        let kid = Self::rotate(dir)?;
                        tracing::info!(kid, "generated a new JWT signing key (stale lock)");
                    }
                }
                Err(e) => return Err(io_err(dir)(e)),
            }
        }
        Self::open(dir)
    }

    /// Loads the keys in `dir`; fails if there is none.
    pub fn open(dir: &Path) -> Result<Self, KeyError> {
        let set = load(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            set: RwLock::new(Arc::new(set)),
            last_scan: Mutex::new(Instant::now()),
        })
    }

    /// Writes a new key into `dir`, which becomes current at the next
    /// (re)load. Returns its kid.
    pub fn rotate(dir: &Path) -> Result<String, KeyError> {
        create_dir_private(dir)?;
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        let der = pair.as_der().map_err(|_| KeyError::Generate)?;
        let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        let key = SigningKey::from_pem(dir, text.as_bytes())?;
        let millis = chrono::Utc::now().timestamp_millis();
        // Never reuse a timestamp: two rotations in one millisecond must
        // still sort in the order they happened.
        let newest = key_files(dir)?.last().map(|(ms, _)| *ms).unwrap_or(0);
        let name = format!("{:013}-{}.pem", millis.max(newest + 1), key.kid);
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        write_private(&tmp, text.as_bytes())?;
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        Ok(key.kid)
    }

    /// Rereads the directory. Returns whether the current key changed.
    pub fn reload(&self) -> Result<bool, KeyError> {
        let fresh = load(&self.dir)?;
        *self.last_scan.lock().expect("lock poisoned") = Instant::now();
        let changed = fresh.current.kid != self.current().kid;
        *self.set.write().expect("lock poisoned") = Arc::new(fresh);
        if changed {
            tracing::info!(kid = %self.current().kid, "JWT signing key changed");
        }
        Ok(changed)
    }

    pub fn current(&self) -> Arc<SigningKey> {
        self.set.read().expect("lock poisoned").current.clone()
    }

    /// The key that verifies tokens with this kid: the current or the
    /// previous one. An unknown kid triggers a rate-limited rescan, in case
    /// another node rotated.
    pub fn verifying_key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        if let Some(k) = self.set.read().expect("lock poisoned").verifying.get(kid) {
            return Some(k.clone());
        }
        let due = {
            let mut last = self.last_scan.lock().expect("lock poisoned");
            if last.elapsed() >= RESCAN_INTERVAL {
                *last = Instant::now();
                true
            } else {
                false
            }
        };
        if due {
            if let Err(e) = self.reload() {
                tracing::warn!(error = %e, "could not rescan the key directory");
            }
            return self
                .set
                .read()
                .expect("lock poisoned")
                .verifying
                .get(kid)
                .cloned();
        }
        None
    }

    /// The public keys that verify tokens: `GET /.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        self.set.read().expect("lock poisoned").jwks.clone()
    }
}

/// Creates `dir` readable by its owner only. An existing directory is left
/// as it is: it may be a read-only secret mount managed by the platform.
fn create_dir_private(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(())
}

/// Key files in `dir`, oldest first, with their creation stamp.
fn key_files(dir: &Path) -> Result<Vec<(i64, PathBuf)>, KeyError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".pem") else {
            continue;
        };
        let Some((ms, _kid)) = stem.split_once('-') else {
            continue;
        };
        if let Ok(ms) = ms.parse::<i64>() {
            files.push((ms, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn load(dir: &Path) -> Result<KeySet, KeyError> {
    let files = key_files(dir)?;
    let mut keys = Vec::new();
    for (_, path) in files.iter().rev().take(2) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path)
                .map_err(io_err(path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "signing key file is readable by other users; chmod 600 it"
                );
            }
        }
        let text = fs::read(path).map_err(io_err(path))?;
        keys.push(Arc::new(SigningKey::from_pem(path, &text)?));
    }
    let Some(current) = keys.first().cloned() else {
        return Err(KeyError::Empty(dir.to_owned()));
    };
    let jwks = JwkSet {
        keys: keys.iter().map(|k| k.jwk.clone()).collect(),
    };
    let verifying = keys.into_iter().map(|k| (k.kid.clone(), k)).collect();
    Ok(KeySet {
        current,
        verifying,
        jwks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_on_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let keys_dir = dir.path().join("keys");
        let ring = KeyRing::open_or_create(&keys_dir).unwrap();
        let files = key_files(&keys_dir).unwrap();
        assert_eq!(files.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&files[0].1).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = fs::metadata(&keys_dir).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        assert_eq!(ring.jwks().keys.len(), 1);
        // Opening again reuses the key.
        let again = KeyRing::open_or_create(&keys_dir).unwrap();
        assert_eq!(again.current().kid, ring.current().kid);
    }

    #[test]
    fn rotation_keeps_the_previous_key_for_verification() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open_or_create(dir.path()).unwrap();
        let first = ring.current().kid.clone();
        let second = KeyRing::rotate(dir.path()).unwrap();
        assert!(ring.reload().unwrap());
        assert_eq!(ring.current().kid, second);
        assert!(ring.verifying_key(&first).is_some());
        let kids: Vec<_> = ring
            .jwks()
            .keys
            .iter()
            .map(|k| k.common.key_id.clone().unwrap())
            .collect();
        assert_eq!(kids, vec![second.clone(), first.clone()]);

        // A third rotation retires the first key.
        let third = KeyRing::rotate(dir.path()).unwrap();
        ring.reload().unwrap();
        assert_eq!(ring.current().kid, third);
        assert!(ring.verifying_key(&second).is_some());
        std::thread::sleep(RESCAN_INTERVAL);
        assert!(ring.verifying_key(&first).is_none());
    }

    #[test]
    fn unknown_kid_triggers_a_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open_or_create(dir.path()).unwrap();
        // Another node rotates.
        let newer = KeyRing::rotate(dir.path()).unwrap();
        std::thread::sleep(RESCAN_INTERVAL);
        assert!(ring.verifying_key(&newer).is_some());
        assert_eq!(ring.current().kid, newer);
    }

    #[test]
    fn nodes_starting_together_create_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let keys = keys.clone();
                std::thread::spawn(move || {
                    KeyRing::open_or_create(&keys)
                        .unwrap()
                        .current()
                        .kid
                        .clone()
                })
            })
            .collect();
        let kids: std::collections::BTreeSet<String> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(kids.len(), 1, "nodes disagree on the signing key: {kids:?}");
        assert_eq!(key_files(&keys).unwrap().len(), 1);
    }

    #[test]
    fn an_existing_directory_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o750)).unwrap();
        KeyRing::open_or_create(dir.path()).unwrap();
        let mode = fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o750);
    }

    #[test]
    fn garbage_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("0000000000001-x.pem"), b"not a key").unwrap();
        let err = KeyRing::open(dir.path()).unwrap_err();
        assert!(matches!(err, KeyError::Invalid { .. }), "{err}");
    }

    #[test]
    fn empty_directory_is_an_error_for_open() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            KeyRing::open(dir.path()).unwrap_err(),
            KeyError::Empty(_)
        ));
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open_or_create(dir.path()).unwrap();
        let key = ring.current();
        let thumb = key.jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
        assert_eq!(thumb, key.kid);
    }
}
