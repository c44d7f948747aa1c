//! ONNX Runtime, loaded once per process from the models folder.
//!
//! Why load the library at run time (`ort`'s `load-dynamic`) instead of
//! linking it: the build then needs no native toolchain, no network and no
//! 21 MB binary in `target/`; the library is fetched once, sha256-pinned,
//! by `scripts/models.sh` like the models themselves, and the `ort` crate
//! (`=2.0.0-rc.10`, the ONNX Runtime 1.22 C API) and the library
//! ([`LIBRARY`], 1.22.1) are pinned as a pair.
//!
//! Why once per process: ONNX Runtime has one global environment, and
//! `ort` records the library's path in a process-wide cell the first time
//! it is used. [`init`] is therefore idempotent and serialised by a lock;
//! every engine in this crate that runs on ONNX calls it before it builds
//! a session, so callers never have to remember to.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::SpeechError;

/// The library, relative to the models folder (as `scripts/models.sh`
/// unpacks it from the `onnxruntime==1.22.1` wheel).
pub const LIBRARY: &str = "onnxruntime/libonnxruntime.so.1.22.1";

/// The library this process loaded, once [`init`] has succeeded.
///
/// A `Mutex` rather than a `OnceLock`: a failed attempt (library not
/// fetched yet) must leave the door open for a later one, and two threads
/// racing to load must not both call into `ort`'s global set-up.
static LOADED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Loads ONNX Runtime from `<models_dir>/onnxruntime/` and creates its
/// global environment. Idempotent and thread-safe: after the first success
/// every call returns `Ok(())` at once, whatever `models_dir` it is given
/// (a process holds one ONNX Runtime; the first one stays).
pub fn init(models_dir: &Path) -> Result<(), SpeechError> {
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if loaded.is_some() {
        return Ok(());
    }
    let lib = std::path::absolute(models_dir.join(LIBRARY)).map_err(|e| SpeechError::Runtime {
        context: "resolving the ONNX Runtime path",
        message: e.to_string(),
    })?;
    if !lib.is_file() {
        return Err(SpeechError::Missing { path: lib });
    }
    // `ort` panics rather than returning an error when the library cannot
    // be opened (wrong architecture, a truncated file) or is older than
    // the API it speaks; turn that into an error the caller can log.
    let path = lib.to_string_lossy().into_owned();
    let committed = std::panic::catch_unwind(move || {
        ort::init_from(path)
            .with_name("hermes-speech")
            .with_telemetry(false)
            .commit()
    });
    match committed {
        Ok(Ok(_)) => {
            *loaded = Some(lib);
            Ok(())
        }
        Ok(Err(e)) => Err(SpeechError::runtime("starting ONNX Runtime")(e)),
        Err(panic) => Err(SpeechError::Runtime {
            context: "loading ONNX Runtime",
            message: panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| format!("could not load {}", lib.display())),
        }),
    }
}
