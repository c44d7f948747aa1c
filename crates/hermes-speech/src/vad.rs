//! Voice activity detection: Silero VAD (v6.2, MIT) on ONNX Runtime.
//!
//! The model reads 16 kHz audio in frames of [`FRAME`] samples (32 ms) and
//! says how likely each frame is to hold speech. It is recurrent: each
//! inference takes the state the previous one returned, plus the last
//! [`CONTEXT`] samples of the previous frame in front of the new one (the
//! model's own Python wrapper does the same; without them the first
//! convolution sees a cut at every frame boundary). So the model is split
//! in two:
//!
//! - [`SileroVad`] is the loaded model: read-only, `Send + Sync`, loaded
//!   once per process and shared by `Arc` with every call.
//! - [`VadStream`] is one call's memory: the recurrent state and the
//!   context. It is about 1.3 KB, costs nothing to create, and never touches
//!   another call's.
//!
//! Why a batched path ([`SileroVad::probabilities`]): a frame of one call
//! is a tiny inference (about 120 µs of CPU), more than half of it fixed
//! cost per run — graph dispatch, kernels too small to keep the core busy.
//! The model has a batch dimension, and the state is per row, so the
//! frames that many calls produced in the same 32 ms can go through one
//! run: their states are gathered into the batch and scattered back. That
//! is what lets one server run VAD for hundreds of calls per core
//! (`docs/BENCHMARKS.md`); the one-frame [`SileroVad::probability`] is the
//! same path with a batch of one, so both give the same numbers.
//!
//! Why several sessions: `ort` 2.0.0-rc.10 runs a session through `&mut`,
//! so a session is behind a lock. Each session runs on one thread (one
//! intra-op thread: VAD frames are too small to split across cores, and a
//! thread pool per session would fight the call pipeline for the two
//! cores); [`SileroVad::load`] makes one session per available core so
//! that as many blocking threads can infer at the same time.
//!
//! Why an [`EnergyGate`]: many of a phone call's frames, on the caller's
//! side, are near silence (the caller listening on a quiet line). A frame
//! whose level is far below any speech, once the model has already called
//! the speech over, is silence whatever the model would say, and
//! measuring that costs 512 multiply-adds against a whole inference; see
//! the gate for what it gives up.

use std::num::NonZero;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorRef, ValueType};

use crate::SpeechError;

/// The model file, relative to the models folder (`scripts/models.sh`
/// unpacks it from the `silero-vad==6.2.3` wheel).
pub const MODEL: &str = "silero-vad/silero_vad.onnx";

/// The only rate the detector takes (the model also has an 8 kHz branch;
/// the pipeline resamples every call to 16 kHz for the recogniser anyway).
pub const SAMPLE_RATE: u32 = 16_000;

/// Samples per frame at [`SAMPLE_RATE`]: 32 ms, the size the model was
/// trained on.
pub const FRAME: usize = 512;

/// Samples of the previous frame the model sees in front of each frame.
pub const CONTEXT: usize = 64;

/// Floats of recurrent state per stream: `[2, 128]` (the model's state
/// tensor is `[2, batch, 128]`).
const STATE: usize = 2 * 128;
const STATE_HALF: usize = 128;

/// One call's detector memory. Create one per call with
/// [`SileroVad::stream`]; never share it between calls.
#[derive(Clone)]
pub struct VadStream {
    /// The state the last inference returned (zeros before the first).
    state: [f32; STATE],
    /// The last [`CONTEXT`] samples of the previous frame (zeros before
    /// the first).
    context: [f32; CONTEXT],
    gate: Option<EnergyGate>,
    /// How many frames in a row the model has called silence (below
    /// [`EnergyGate::SETTLED`]); the gate waits for [`EnergyGate::SETTLE_FRAMES`].
    settled: u32,
    gated: u64,
}

impl std::fmt::Debug for VadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VadStream")
            .field("gate", &self.gate)
            .field("gated_frames", &self.gated)
            .finish_non_exhaustive()
    }
}

impl VadStream {
    fn new() -> Self {
        VadStream {
            state: [0.0; STATE],
            context: [0.0; CONTEXT],
            gate: None,
            settled: 0,
            gated: 0,
        }
    }

    /// Puts `gate` in front of the model for this stream: quiet frames are
    /// answered without inference (see [`EnergyGate`]).
    #[must_use]
    pub fn with_gate(mut self, gate: EnergyGate) -> Self {
        self.gate = Some(gate);
        self
    }

    /// How many frames the gate answered without the model.
    pub fn gated_frames(&self) -> u64 {
        self.gated
    }

    fn remember_context(&mut self, frame: &[f32]) {
        self.context.copy_from_slice(&frame[FRAME - CONTEXT..]);
    }
}

/// A level below which a frame is silence without asking the model — once
/// the model itself has said the speech is over.
///
/// Level is the frame's RMS in dBFS, 0 dBFS being an RMS of 1.0 (full
/// scale). Telephone speech sits around −26 dBFS and its quietest voiced
/// frames around −50; an idle line (μ-law's smallest steps, carriers'
/// comfort noise) is −65 dBFS or lower. The default floor,
/// [`EnergyGate::DEFAULT_FLOOR_DBFS`] (−60), is between the two.
///
/// A quiet frame is skipped only once the model itself has called the
/// last [`EnergyGate::SETTLE_FRAMES`] frames (256 ms) silence. Two simpler
/// rules failed the labelled-set test (`tests/vad.rs`):
/// - skipping every quiet frame: the pauses between words on a digitally
///   silent line read as silence (the model holds speech across them),
///   and the state, frozen "in speech", then called the next noise speech;
/// - skipping as soon as the probability fell below [`EnergyGate::SETTLED`]:
///   the state is frozen while the model is still letting go, and on a
///   line that turns from digital silence to hiss the hiss read as speech
///   for ~250 ms, where the model left running stays below 0.5.
///
/// What it still gives up, for the frames it skips:
/// - they are answered 0.0, and the recurrent state does not see them: it
///   is kept as it was (a state the model had settled into silence with),
///   not reset, so the model resumes as if the quiet stretch had been cut
///   short. The first frames after it differ a little from what the model
///   would say without the gate: on the labelled set, 2 frames of 4,356
///   changed side, both a speech onset called one frame later;
/// - the context *is* updated with each skipped frame: the next frame the
///   model sees must be preceded by the samples really before it;
/// - speech that starts quieter than the floor (a whisper on a bad line)
///   is missed until it gets louder. The floor is a parameter for that.
///
/// It costs one pass over the frame; a skipped frame costs no inference,
/// and a batch shrinks by the frames the gate answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyGate {
    floor_dbfs: f32,
    /// The floor as a mean square over a frame (what is compared).
    floor_mean_square: f32,
}

impl EnergyGate {
    /// −60 dBFS: 30 dB under telephone speech, above an idle line.
    pub const DEFAULT_FLOOR_DBFS: f32 = -60.0;

    /// The model has let go of speech when its probability is below this:
    /// the end-of-speech threshold of Silero's own wrapper (its speech
    /// threshold, 0.5, less 0.15).
    pub const SETTLED: f32 = 0.35;

    /// Frames in a row the model must have called silence before the gate
    /// answers for it.
    pub const SETTLE_FRAMES: u32 = 8;

    /// A gate that skips frames whose RMS is below `floor_dbfs`.
    pub fn new(floor_dbfs: f32) -> Self {
        EnergyGate {
            floor_dbfs,
            floor_mean_square: 10f32.powf(floor_dbfs / 10.0),
        }
    }

    pub fn floor_dbfs(&self) -> f32 {
        self.floor_dbfs
    }

    /// Whether `frame` is below the floor (silence without inference).
    pub fn is_quiet(&self, frame: &[f32]) -> bool {
        if frame.is_empty() {
            return true;
        }
        let sum: f32 = frame.iter().map(|s| s * s).sum();
        sum / (frame.len() as f32) < self.floor_mean_square
    }
}

impl Default for EnergyGate {
    fn default() -> Self {
        EnergyGate::new(Self::DEFAULT_FLOOR_DBFS)
    }
}

/// The loaded Silero model. `Send + Sync`: share it by `Arc`.
pub struct SileroVad {
    slots: Box<[Mutex<Slot>]>,
    /// Where the next caller starts looking for a free session.
    next: AtomicUsize,
}

/// A session and the buffers its inputs are assembled in (kept between
/// runs so a batch of a thousand frames allocates nothing).
struct Slot {
    session: Session,
    input: Vec<f32>,
    state: Vec<f32>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad")
            .field("sessions", &self.slots.len())
            .finish()
    }
}

impl SileroVad {
    /// Loads ONNX Runtime (once per process, [`crate::onnx::init`]) and the
    /// model from `<models_dir>/silero-vad/`, one session per available
    /// core.
    pub fn load(models_dir: &Path) -> Result<Self, SpeechError> {
        let sessions = std::thread::available_parallelism().map_or(1, NonZero::get);
        Self::load_with_sessions(models_dir, sessions)
    }

    /// As [`SileroVad::load`], with `sessions` sessions (at least one):
    /// how many threads can run the model at the same time.
    pub fn load_with_sessions(models_dir: &Path, sessions: usize) -> Result<Self, SpeechError> {
        crate::onnx::init(models_dir)?;
        let path = models_dir.join(MODEL);
        if !path.is_file() {
            return Err(SpeechError::Missing { path });
        }
        let model = std::fs::read(&path).map_err(|e| SpeechError::Runtime {
            context: "reading the Silero VAD model",
            message: format!("{}: {e}", path.display()),
        })?;
        let slots = (0..sessions.max(1))
            .map(|_| {
                let session = open(&model)?;
                Ok(Mutex::new(Slot {
                    session,
                    input: Vec::new(),
                    state: Vec::new(),
                }))
            })
            .collect::<Result<Vec<_>, SpeechError>>()?;
        check_interface(
            &slots[0]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .session,
        )?;
        Ok(SileroVad {
            slots: slots.into_boxed_slice(),
            next: AtomicUsize::new(0),
        })
    }

    /// A new call's detector memory, without a gate.
    pub fn stream(&self) -> VadStream {
        VadStream::new()
    }

    /// The probability that `frame` (exactly [`FRAME`] samples at 16 kHz,
    /// in [-1, 1]) is speech, advancing `stream`.
    pub fn probability(&self, stream: &mut VadStream, frame: &[f32]) -> Result<f32, SpeechError> {
        let mut one = [(stream, frame)];
        Ok(self.probabilities(&mut one)?[0])
    }

    /// The probabilities of many streams' next frames, in one inference,
    /// in the order given; each stream advances as with
    /// [`SileroVad::probability`]. A stream must appear at most once (the
    /// borrow checker sees to it). On an error no stream has changed.
    pub fn probabilities(
        &self,
        items: &mut [(&mut VadStream, &[f32])],
    ) -> Result<Vec<f32>, SpeechError> {
        if let Some((i, (_, frame))) = items
            .iter()
            .enumerate()
            .find(|(_, (_, f))| f.len() != FRAME)
        {
            return Err(SpeechError::Input(format!(
                "frame {i} has {} samples; the detector takes {FRAME} (32 ms at 16 kHz)",
                frame.len()
            )));
        }

        let mut out = vec![0.0; items.len()];
        // The frames the gate answers and the ones the model must see, by
        // index into `items`. Nothing is written to a stream until the
        // inference has succeeded.
        let (gated, run): (Vec<usize>, Vec<usize>) = (0..items.len()).partition(|&i| {
            let (stream, frame) = &items[i];
            stream.gate.is_some_and(|gate| {
                stream.settled >= EnergyGate::SETTLE_FRAMES && gate.is_quiet(frame)
            })
        });
        if !run.is_empty() {
            self.infer(items, &run, &mut out)?;
        }
        for i in gated {
            let (stream, frame) = &mut items[i];
            stream.gated += 1;
            stream.remember_context(frame);
        }
        Ok(out)
    }

    /// Runs the model on `items[i]` for each `i` in `run` (at least one),
    /// writes their probabilities into `out` and advances their streams.
    fn infer(
        &self,
        items: &mut [(&mut VadStream, &[f32])],
        run: &[usize],
        out: &mut [f32],
    ) -> Result<(), SpeechError> {
        let batch = run.len();
        let mut slot = self.slot();
        let Slot {
            session,
            input,
            state,
        } = &mut *slot;

        // Gather: each row is context + frame; the state tensor is
        // [2, batch, 128], so each stream's two halves go to two places.
        input.clear();
        state.clear();
        state.resize(batch * STATE, 0.0);
        for (row, &i) in run.iter().enumerate() {
            let (stream, frame) = &items[i];
            input.extend_from_slice(&stream.context);
            input.extend_from_slice(frame);
            for half in 0..2 {
                let at = (half * batch + row) * STATE_HALF;
                state[at..at + STATE_HALF]
                    .copy_from_slice(&stream.state[half * STATE_HALF..(half + 1) * STATE_HALF]);
            }
        }

        let sr = [i64::from(SAMPLE_RATE)];
        let inputs = ort::inputs![
            "input" => TensorRef::from_array_view(([batch, CONTEXT + FRAME], &input[..]))
                .map_err(SpeechError::runtime("preparing the VAD input"))?,
            "state" => TensorRef::from_array_view(([2, batch, STATE_HALF], &state[..]))
                .map_err(SpeechError::runtime("preparing the VAD state"))?,
            "sr" => TensorRef::from_array_view(((), &sr[..]))
                .map_err(SpeechError::runtime("preparing the VAD rate"))?,
        ];
        let outputs = session
            .run(inputs)
            .map_err(SpeechError::runtime("running Silero VAD"))?;
        let (_, probs) = outputs["output"]
            .try_extract_tensor::<f32>()
            .map_err(SpeechError::runtime("reading the VAD output"))?;
        let (_, next) = outputs["stateN"]
            .try_extract_tensor::<f32>()
            .map_err(SpeechError::runtime("reading the VAD state"))?;
        if probs.len() != batch || next.len() != batch * STATE {
            return Err(SpeechError::Runtime {
                context: "reading the VAD output",
                message: format!(
                    "expected {batch} probabilities and {} state values, got {} and {}",
                    batch * STATE,
                    probs.len(),
                    next.len()
                ),
            });
        }

        // Scatter, only now that the run succeeded.
        for (row, &i) in run.iter().enumerate() {
            let (stream, frame) = &mut items[i];
            out[i] = probs[row];
            stream.settled = if probs[row] < EnergyGate::SETTLED {
                stream.settled.saturating_add(1)
            } else {
                0
            };
            for half in 0..2 {
                let at = (half * batch + row) * STATE_HALF;
                stream.state[half * STATE_HALF..(half + 1) * STATE_HALF]
                    .copy_from_slice(&next[at..at + STATE_HALF]);
            }
            stream.remember_context(frame);
        }
        Ok(())
    }

    /// A free session if there is one, else waits for one. Starting from a
    /// rotating index spreads callers over the sessions.
    fn slot(&self) -> MutexGuard<'_, Slot> {
        let n = self.slots.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for k in 0..n {
            if let Ok(slot) = self.slots[(start + k) % n].try_lock() {
                return slot;
            }
        }
        // A panic while a session ran leaves nothing half-written that
        // matters: the buffers are rebuilt on every run.
        self.slots[start]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn open(model: &[u8]) -> Result<Session, SpeechError> {
    let err = SpeechError::runtime("loading the Silero VAD model");
    Session::builder()
        .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3))
        .and_then(|b| b.with_intra_threads(1))
        .and_then(|b| b.with_inter_threads(1))
        .and_then(|b| b.with_parallel_execution(false))
        .and_then(|b| b.commit_from_memory(model))
        .map_err(err)
}

/// Refuses a model whose inputs are not the ones this code feeds (another
/// Silero version, another file under the same name).
fn check_interface(session: &Session) -> Result<(), SpeechError> {
    let rank = |ty: &ValueType| ty.tensor_shape().map(|s| s.len());
    let input = |name: &str| {
        session
            .inputs
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| rank(&i.input_type))
    };
    let output = |name: &str| {
        session
            .outputs
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| rank(&o.output_type))
    };
    if input("input") == Some(2)
        && input("state") == Some(3)
        && input("sr").is_some()
        && output("output") == Some(2)
        && output("stateN") == Some(3)
    {
        return Ok(());
    }
    let describe = |name: &str, ty: &ValueType| format!("{name}: {ty}");
    Err(SpeechError::Runtime {
        context: "checking the Silero VAD model",
        message: format!(
            "expected inputs input[batch, n], state[2, batch, 128], sr and outputs \
             output[batch, 1], stateN[2, batch, 128]; the model has inputs {:?}, outputs {:?}",
            session
                .inputs
                .iter()
                .map(|i| describe(&i.name, &i.input_type))
                .collect::<Vec<_>>(),
            session
                .outputs
                .iter()
                .map(|o| describe(&o.name, &o.output_type))
                .collect::<Vec<_>>(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(dbfs: f32) -> Vec<f32> {
        // A square wave's RMS is its amplitude.
        let a = 10f32.powf(dbfs / 20.0);
        (0..FRAME)
            .map(|i| if i % 2 == 0 { a } else { -a })
            .collect()
    }

    #[test]
    fn the_gate_compares_rms_in_dbfs_with_its_floor() {
        let gate = EnergyGate::default();
        assert_eq!(gate.floor_dbfs(), -60.0);
        assert!(gate.is_quiet(&tone(-61.0)));
        assert!(!gate.is_quiet(&tone(-59.0)));
        assert!(gate.is_quiet(&[0.0; FRAME]));
        assert!(gate.is_quiet(&[]));
        let strict = EnergyGate::new(-40.0);
        assert!(strict.is_quiet(&tone(-45.0)));
        assert!(!strict.is_quiet(&tone(-26.0)));
    }

    #[test]
    fn a_stream_starts_from_zeros_and_ungated() {
        let s = VadStream::new();
        assert!(s.state.iter().all(|v| *v == 0.0));
        assert!(s.context.iter().all(|v| *v == 0.0));
        assert_eq!((s.gate, s.gated_frames()), (None, 0));
        let g = s.with_gate(EnergyGate::new(-50.0));
        assert_eq!(g.gate, Some(EnergyGate::new(-50.0)));
    }
}
