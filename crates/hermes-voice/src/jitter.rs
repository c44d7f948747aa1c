//! A small jitter and reorder buffer for transports that do not promise
//! order (RTP-style media: Telnyx). Frames arrive with a 16-bit sequence
//! number that wraps; the buffer hands them on in order, drops duplicates
//! and frames that come too late, and when a frame is missing for longer
//! than `depth` frames, gives up on it and hands on a gap (the pipeline
//! plays silence), so one lost packet never stalls a call.

use std::collections::BTreeMap;

/// What comes out of the buffer, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out<T> {
    Frame(T),
    /// This sequence number never came.
    Missing(u16),
}

#[derive(Debug, Clone)]
pub struct JitterBuffer<T> {
    depth: usize,
    /// The next sequence number to hand on (`None` before the first frame).
    next: Option<u16>,
    /// Waiting frames, keyed by distance from `next`.
    waiting: BTreeMap<u16, T>,
    /// Counters for the call's metrics.
    pub late: u64,
    pub duplicates: u64,
    pub missing: u64,
}

impl<T> JitterBuffer<T> {
    /// `depth`: how many frames to wait for a missing one (3 = 60 ms).
    pub fn new(depth: usize) -> Self {
        JitterBuffer {
            depth: depth.max(1),
            next: None,
            waiting: BTreeMap::new(),
            late: 0,
            duplicates: 0,
            missing: 0,
        }
    }

    /// Takes one frame; returns what can be handed on now, in order.
    pub fn push(&mut self, seq: u16, frame: T) -> Vec<Out<T>> {
        let next = *self.next.get_or_insert(seq);
        // Distance ahead of `next`, modulo 2^16; more than half the range
        // ahead means behind (late).
        let ahead = seq.wrapping_sub(next);
        if ahead >= 0x8000 {
            self.late += 1;
            return Vec::new();
        }
        if self.waiting.contains_key(&ahead) {
            self.duplicates += 1;
            return Vec::new();
        }
        self.waiting.insert(ahead, frame);
        self.drain()
    }

    fn drain(&mut self) -> Vec<Out<T>> {
        let mut out = Vec::new();
        while let Some(next) = self.next {
            if let Some(frame) = self.waiting.remove(&0) {
                out.push(Out::Frame(frame));
            } else if self
                .waiting
                .keys()
                .next_back()
                .is_some_and(|far| *far as usize >= self.depth)
            {
                // Waited long enough: the frame is lost.
                self.missing += 1;
                out.push(Out::Missing(next));
            } else {
                break;
            }
            self.next = Some(next.wrapping_add(1));
            self.waiting = std::mem::take(&mut self.waiting)
                .into_iter()
                .map(|(k, v)| (k - 1, v))
                .collect();
        }
        out
    }
}
