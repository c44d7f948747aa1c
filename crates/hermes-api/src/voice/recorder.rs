//! A call's recording while the call goes on: both sides mixed on the
//! caller's timeline, kept in memory only for the last few seconds.
//!
//! Why: a recording grows 16 KB a second at the telephone rate (32 KB in
//! the browser), so a ten-minute call held in memory is ~10 MB — the
//! whole per-call budget ten times over, multiplied by every call a node
//! carries. Older audio is final (the agent's frames are mixed at the
//! caller's current position, at most a little ahead of it), so it goes
//! out to a spool file in sealed chunks: AES-256-GCM with the node's
//! data-at-rest key, each bound to the call and its place in the call, so
//! no caller's words lie on disk in the clear. The file is anonymous
//! (`O_TMPFILE`): it disappears with the call, or with the process if the
//! node dies. If the spool cannot be written (disk full) the audio stays
//! in memory: a recording is never lost to protect the budget.

use std::path::PathBuf;
use std::sync::Arc;

use hermes_auth::SecretBox;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Seconds of audio kept in memory behind the present before spooling.
const KEEP_S: usize = 2;
/// Seconds of audio per sealed chunk.
const CHUNK_S: usize = 10;

pub struct Recorder {
    secrets: Arc<SecretBox>,
    /// Sealing context of the chunks: the call's recording context.
    context: String,
    dir: PathBuf,
    rate: usize,
    /// Audio from sample `base` on (sample 0 is the consent).
    live: Vec<i16>,
    base: usize,
    spool: Option<tokio::fs::File>,
    chunks: u32,
    /// Spooling failed once: everything stays in memory from then on.
    in_memory: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("rate", &self.rate)
            .field("live", &self.live.len())
            .field("base", &self.base)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recording at `rate` Hz spooled into `dir`, sealed under `context`
    /// (see [`super::record::recording_context`]).
    pub fn new(secrets: Arc<SecretBox>, context: String, dir: PathBuf, rate: u32) -> Self {
        Recorder {
            secrets,
            context,
            dir,
            rate: rate as usize,
            live: Vec::with_capacity(rate as usize * (KEEP_S + CHUNK_S)),
            base: 0,
            spool: None,
            chunks: 0,
            in_memory: false,
        }
    }

    /// Samples recorded so far.
    pub fn recorded(&self) -> usize {
        self.base + self.live.len()
    }

    /// Samples held in memory.
    pub fn in_memory(&self) -> usize {
        self.live.len()
    }

    /// The caller's audio, in order.
    pub fn caller(&mut self, line: &[i16]) {
        self.live.extend_from_slice(line);
    }

    /// The agent's frame, mixed in at sample `at` of the recording. A part
    /// already spooled (it cannot be: the agent is mixed at the present) is
    /// left out rather than rewriting sealed audio.
    pub fn agent(&mut self, frame: &[i16], at: usize) {
        if at + frame.len() <= self.base {
            return;
        }
        let skip = self.base.saturating_sub(at);
        let at = (at + skip - self.base).min(self.live.len());
        let frame = &frame[skip..];
        if self.live.len() < at + frame.len() {
            self.live.resize(at + frame.len(), 0);
        }
        for (r, s) in self.live[at..].iter_mut().zip(frame) {
            *r = r.saturating_add(*s);
        }
    }

    /// Spools what is final once a whole chunk of it has gathered; call it
    /// after each [`Recorder::caller`].
    pub async fn settle(&mut self) {
        let chunk = self.rate * CHUNK_S;
        if self.in_memory || self.live.len() < chunk + self.rate * KEEP_S {
            return;
        }
        match self.spool_chunk(chunk).await {
            Ok(()) => {
                self.live.drain(..chunk);
                self.base += chunk;
                self.chunks += 1;
            }
            Err(e) => {
                tracing::error!(error = %e, dir = %self.dir.display(),
                    "cannot spool a call's recording; keeping it in memory");
                self.in_memory = true;
            }
        }
    }

    async fn spool_chunk(&mut self, chunk: usize) -> std::io::Result<()> {
        if self.spool.is_none() {
            let dir = self.dir.clone();
            let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
                .await
                .map_err(std::io::Error::other)??;
            self.spool = Some(tokio::fs::File::from_std(file));
        }
        let plain: Vec<u8> = self.live[..chunk]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        let sealed = self.secrets.seal(&self.chunk_context(self.chunks), &plain);
        let mut record = Vec::with_capacity(4 + sealed.len());
        record.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        record.extend_from_slice(&sealed);
        let file = self.spool.as_mut().expect("opened above");
        file.write_all(&record).await?;
        // A short write leaves the file out of step with `chunks`; the
        // caller then keeps the audio in memory, and `finish` reads only
        // whole chunks.
        file.flush().await
    }

    fn chunk_context(&self, n: u32) -> String {
        format!("{}/spool/{n}", self.context)
    }

    /// The whole recording, read back from the spool.
    pub async fn finish(mut self) -> Result<Vec<i16>, String> {
        let mut all = Vec::with_capacity(self.recorded());
        if let Some(mut file) = self.spool.take() {
            let mut bytes = Vec::new();
            file.seek(std::io::SeekFrom::Start(0))
                .await
                .map_err(|e| e.to_string())?;
            file.read_to_end(&mut bytes)
                .await
                .map_err(|e| e.to_string())?;
            let mut rest = bytes.as_slice();
            for n in 0..self.chunks {
                let (len, tail) = rest
                    .split_first_chunk::<4>()
                    .ok_or("the spool ends early")?;
                let len = u32::from_le_bytes(*len) as usize;
                let sealed = tail.get(..len).ok_or("the spool ends early")?;
                let plain = self
                    .secrets
                    .open(&self.chunk_context(n), sealed)
                    .map_err(|e| e.to_string())?;
                all.extend(
                    plain
                        .chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]])),
                );
                rest = &tail[len..];
            }
        }
        all.extend_from_slice(&self.live);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(dir: &std::path::Path) -> Arc<SecretBox> {
        Arc::new(SecretBox::open_or_create(&dir.join("keys")).unwrap())
    }

    /// A recognisable, non-repeating signal.
    fn caller(n: usize, from: usize) -> Vec<i16> {
        (from..from + n)
            .map(|i| ((i * 7919) % 20000) as i16)
            .collect()
    }

    #[tokio::test]
    async fn a_long_recording_spools_sealed_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let rate = 8_000;
        let mut rec = Recorder::new(
            secrets(dir.path()),
            "t/recording/c".into(),
            dir.path().into(),
            rate,
        );
        let mut expected: Vec<i16> = Vec::new();
        let mut peak = 0;
        // 45 s of caller audio in 20 ms frames, the agent speaking over
        // every tenth frame at the present, 20 ms ahead.
        for f in 0..2250 {
            let line = caller(160, f * 160);
            expected.extend_from_slice(&line);
            rec.caller(&line);
            if f % 10 == 0 {
                let agent = vec![3i16; 320];
                let at = rec.recorded();
                rec.agent(&agent, at - 160);
                if expected.len() < at + 160 {
                    expected.resize(at + 160, 0);
                }
                for (e, a) in expected[at - 160..].iter_mut().zip(&agent) {
                    *e = e.saturating_add(*a);
                }
            }
            rec.settle().await;
            peak = peak.max(rec.in_memory());
        }
        assert_eq!(rec.chunks, 4, "four whole chunks spooled");
        assert!(
            peak <= 8_000 * (KEEP_S + CHUNK_S) + 320,
            "memory stays bounded: {peak} samples"
        );

        // What lies on disk is sealed: no run of the signal appears in it.
        let mut bytes = Vec::new();
        let file = rec.spool.as_mut().unwrap();
        file.seek(std::io::SeekFrom::Start(0)).await.unwrap();
        file.read_to_end(&mut bytes).await.unwrap();
        let needle: Vec<u8> = expected[8000..8016]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_slice()));

        let all = rec.finish().await.unwrap();
        assert_eq!(all.len(), expected.len());
        assert!(
            all == expected,
            "the recording reads back sample for sample"
        );
    }

    #[tokio::test]
    async fn a_spool_that_cannot_be_written_keeps_the_recording_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir");
        let mut rec = Recorder::new(secrets(dir.path()), "t/recording/c".into(), missing, 16_000);
        let line = caller(16_000 * 15, 0);
        rec.caller(&line);
        rec.settle().await;
        assert!(rec.in_memory);
        assert_eq!(rec.finish().await.unwrap(), line);
    }

    #[tokio::test]
    async fn a_chunk_moved_to_another_call_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let keys = secrets(dir.path());
        let mut rec = Recorder::new(
            keys.clone(),
            "t/recording/a".into(),
            dir.path().into(),
            8_000,
        );
        rec.caller(&caller(8_000 * 13, 0));
        rec.settle().await;
        assert_eq!(rec.chunks, 1);
        rec.context = "t/recording/b".into();
        assert!(rec.finish().await.is_err());
    }

    #[test]
    fn the_agent_is_mixed_on_the_callers_timeline() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(secrets(dir.path()), "c".into(), dir.path().into(), 8_000);
        rec.caller(&[100; 10]);
        rec.agent(&[1, 2, 3], 8);
        assert_eq!(
            rec.live,
            vec![100, 100, 100, 100, 100, 100, 100, 100, 101, 102, 3]
        );
        // Before the live window: the spooled part is left alone.
        rec.base = 5;
        rec.live = vec![0; 4];
        rec.agent(&[1, 2, 3, 4], 3);
        assert_eq!(rec.live, vec![3, 4, 0, 0]);
    }
}
