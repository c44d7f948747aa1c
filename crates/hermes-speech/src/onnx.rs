//! Loading ONNX Runtime, once per process.
//!
//! Why dynamic loading: the `ort` crate can download a prebuilt library at
//! build time, but this project reaches only package registries, so
//! `scripts/models.sh` takes `libonnxruntime.so` out of the PyPI wheel
//! (sha256-pinned) into `models/onnxruntime/`, and `ort` opens it at run
//! time (`load-dynamic`). Nothing native is linked at build time, so the
//! crate builds on a machine without the library.
//!
//! ONNX Runtime is process-global in `ort`: the library path is fixed by the
//! first call that reaches it, and a missing or broken file panics inside
//! `ort`. So every engine calls [`init`] before it builds a session, and
//! [`init`] checks the file first and returns [`SpeechError::Missing`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::SpeechError;

/// The library `scripts/models.sh` unpacks, relative to the models folder.
/// Its version must be the ONNX Runtime C API the `ort` crate speaks (1.22).
const LIBRARY: &str = "onnxruntime/libonnxruntime.so.1.22.1";

/// The library that was loaded, once one has been. A `Mutex` rather than a
/// `OnceLock` because a failed attempt (file missing) must leave it unset,
/// so that a later call with the right folder still works; it is locked
/// only while an engine loads.
static LOADED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Loads ONNX Runtime from `models_dir/onnxruntime/` and creates `ort`'s
/// environment. Idempotent: later calls return `Ok(())` at once, whatever
/// folder they name (the process keeps the library it loaded first).
pub fn init(models_dir: &Path) -> Result<(), SpeechError> {
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if loaded.is_some() {
        return Ok(());
    }
    let path = models_dir.join(LIBRARY);
    if !path.is_file() {
        return Err(SpeechError::Missing { path });
    }
    ort::init_from(path.display().to_string())
        .with_name("hermes-speech")
        .commit()
        .map_err(SpeechError::runtime("starting ONNX Runtime"))?;
    *loaded = Some(path);
    Ok(())
}
