//! Sample-rate conversion between the rates a call meets: 8 kHz (the
//! telephone network), 16 kHz (speech recognisers, the browser phone),
//! 22.05 kHz and 24 kHz (speech synthesisers).
//!
//! `rubato`'s synchronous FFT resampler does the work (anti-aliasing
//! included; we write no DSP). This wrapper takes and gives 16-bit PCM in
//! frames of any size, buffering until the resampler has a whole chunk;
//! the delay that adds is one chunk (20 ms at the telephone rate).

use rubato::{FftFixedInOut, Resampler as _};

/// The rates HERMES converts between.
pub const RATES: [u32; 4] = [8_000, 16_000, 22_050, 24_000];

#[derive(Debug, thiserror::Error)]
#[error("cannot resample {from} Hz to {to} Hz: {reason}")]
pub struct ResampleError {
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// One direction of one stream (it keeps state between frames).
pub struct Resampler {
    from: u32,
    to: u32,
    inner: Option<FftFixedInOut<f32>>,
    pending: Vec<f32>,
    /// The resampler's output buffer, allocated once (a call converts 50
    /// chunks a second; allocating per chunk showed in profiles).
    out: Vec<Vec<f32>>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz (equal rates pass through).
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let err = |reason: String| ResampleError { from, to, reason };
        if from == 0 || to == 0 {
            return Err(err("rates must be above 0".into()));
        }
        let inner = if from == to {
            None
        } else {
            // 20 ms chunks: whole numbers of samples at every rate above.
            let chunk = (from / 50) as usize;
            Some(
                FftFixedInOut::<f32>::new(from as usize, to as usize, chunk, 1)
                    .map_err(|e| err(e.to_string()))?,
            )
        };
        let out = inner
            .as_ref()
            .map(|i| i.output_buffer_allocate(true))
            .unwrap_or_default();
        Ok(Resampler {
            from,
            to,
            inner,
            pending: Vec::new(),
            out,
        })
    }

    /// Converts `samples`; returns what is ready (possibly nothing yet).
    pub fn process(&mut self, samples: &[i16]) -> Vec<i16> {
        let Some(inner) = self.inner.as_mut() else {
            return samples.to_vec();
        };
        self.pending
            .extend(samples.iter().map(|s| f32::from(*s) / 32768.0));
        let mut out = Vec::new();
        let mut used = 0;
        loop {
            let need = inner.input_frames_next();
            if self.pending.len() - used < need {
                break;
            }
            match inner.process_into_buffer(
                &[&self.pending[used..used + need]],
                &mut self.out,
                None,
            ) {
                Ok((_, written)) => out.extend(
                    self.out[0][..written]
                        .iter()
                        .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
                ),
                // Cannot happen with whole chunks of one channel; lose the
                // chunk rather than the call.
                Err(_) => {
                    used += need;
                    break;
                }
            }
            used += need;
        }
        self.pending.drain(..used);
        out
    }
}

impl Resampler {
    /// Output samples of filter delay at the start of a stream (silence
    /// before the first converted sample; [`convert`] removes it).
    pub fn delay(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.output_delay())
    }

    /// Ends a stream (a sentence arriving in pieces): what is still
    /// buffered comes out, with silence pushed behind it, so the stream's
    /// output is [`Resampler::delay`] plus the input's length at the new
    /// rate. Start a new `Resampler` for the next stream.
    pub fn flush(&mut self) -> Vec<i16> {
        let Some(inner) = self.inner.as_ref() else {
            return Vec::new();
        };
        let chunk = inner.input_frames_next();
        let owed = (self.pending.len() as u64 * u64::from(self.to)).div_ceil(u64::from(self.from))
            as usize
            + inner.output_delay();
        let mut out = Vec::new();
        // Bounded: each round consumes a whole chunk and gives its output.
        while out.len() < owed {
            let more = self.process(&vec![0; chunk]);
            if more.is_empty() {
                break;
            }
            out.extend(more);
        }
        out.truncate(owed);
        out
    }
}

/// Converts a whole clip (an utterance for the recogniser, a synthesised
/// sentence for the line) in one go: the resampler's delay is removed and
/// its tail flushed, so the output is aligned and as long as the input
/// (to within a sample).
pub fn convert(from: u32, to: u32, samples: &[i16]) -> Result<Vec<i16>, ResampleError> {
    let mut r = Resampler::new(from, to)?;
    let Some(inner) = r.inner.as_ref() else {
        return Ok(samples.to_vec());
    };
    let delay = inner.output_delay();
    let chunk = inner.input_frames_next();
    let want = (samples.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let mut out = r.process(samples);
    // Silence behind the clip pushes its last samples (and the filter's
    // delay) through.
    let mut pad = 0;
    while out.len() < want + delay && pad < 4 {
        out.extend(r.process(&vec![0; chunk]));
        pad += 1;
    }
    let end = (delay + want).min(out.len());
    Ok(out[delay.min(end)..end].to_vec())
}
