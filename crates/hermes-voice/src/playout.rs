//! The agent's side of the line: what is queued to be said, cut into
//! 20 ms frames for real-time pacing, with marks that tell when the caller
//! has actually heard each piece.
//!
//! Why pace at all when the provider buffers: audio sent ahead of time is
//! audio the caller will hear even after they interrupt, unless the
//! provider is told to drop it (`clear`). Sending in real time keeps what
//! is buffered remote small, so a `clear` and the end of agent speech
//! coincide, and marks (echoed back by the provider once played) say how
//! far the caller got.
//!
//! Pure: the transport's timer calls [`Playout::next_frame`] every 20 ms.

use std::collections::VecDeque;

/// What the transport should send next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// One frame of audio (exactly `frame_len` samples; the last frame of
    /// an utterance is padded with silence), with the tag of the chunk it
    /// starts in.
    Audio(Vec<i16>, u32),
    /// Ask the provider to echo this name once everything before it has
    /// been played.
    Mark(String),
}

#[derive(Debug)]
pub struct Playout {
    frame_len: usize,
    queue: VecDeque<Queued>,
    /// Marks sent whose echo has not come back: the caller has not heard
    /// everything sent.
    unacked: VecDeque<String>,
    frames_sent: u64,
}

#[derive(Debug)]
enum Queued {
    /// Samples, how many were sent, tag.
    Audio(Vec<i16>, usize, u32),
    Mark(String),
}

impl Playout {
    /// `frame_len`: samples per 20 ms at the transport's rate (160 at
    /// 8 kHz, 320 at 16 kHz).
    pub fn new(frame_len: usize) -> Self {
        Playout {
            frame_len,
            queue: VecDeque::new(),
            unacked: VecDeque::new(),
            frames_sent: 0,
        }
    }

    pub fn push_audio(&mut self, samples: Vec<i16>) {
        self.push_tagged(samples, 0);
    }

    /// Audio with a tag (the turn it answers), reported with each frame.
    pub fn push_tagged(&mut self, samples: Vec<i16>, tag: u32) {
        if !samples.is_empty() {
            self.queue.push_back(Queued::Audio(samples, 0, tag));
        }
    }

    pub fn push_mark(&mut self, name: impl Into<String>) {
        self.queue.push_back(Queued::Mark(name.into()));
    }

    /// The next thing to send: marks go out as soon as the audio before
    /// them has; `None` when nothing is queued.
    pub fn next_item(&mut self) -> Option<Item> {
        loop {
            match self.queue.front_mut()? {
                Queued::Mark(_) => {
                    let Some(Queued::Mark(name)) = self.queue.pop_front() else {
                        unreachable!()
                    };
                    self.unacked.push_back(name.clone());
                    return Some(Item::Mark(name));
                }
                Queued::Audio(samples, at, tag) => {
                    if *at >= samples.len() {
                        self.queue.pop_front();
                        continue;
                    }
                    let tag = *tag;
                    let mut frame = Vec::with_capacity(self.frame_len);
                    // Fill a whole frame, from this chunk and the chunks
                    // right behind it (sentences synthesised separately
                    // join without a gap).
                    while frame.len() < self.frame_len {
                        match self.queue.front_mut() {
                            Some(Queued::Audio(samples, at, _)) => {
                                let take = (self.frame_len - frame.len()).min(samples.len() - *at);
                                frame.extend_from_slice(&samples[*at..*at + take]);
                                *at += take;
                                if *at >= samples.len() {
                                    self.queue.pop_front();
                                }
                            }
                            _ => break,
                        }
                    }
                    frame.resize(self.frame_len, 0);
                    self.frames_sent += 1;
                    return Some(Item::Audio(frame, tag));
                }
            }
        }
    }

    /// Whether audio is waiting to be sent.
    pub fn has_audio(&self) -> bool {
        self.queue
            .iter()
            .any(|q| matches!(q, Queued::Audio(s, at, _) if *at < s.len()))
    }

    /// Whether anything (audio or marks) is queued.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether the caller may still be hearing the agent: audio is queued
    /// or sent audio's marks have not come back.
    pub fn agent_audible(&self) -> bool {
        self.has_audio() || !self.unacked.is_empty()
    }

    /// The provider echoed `name`: everything before it was played. Marks
    /// come back in order; an unknown name is ignored (returns false).
    pub fn acknowledge(&mut self, name: &str) -> bool {
        match self.unacked.iter().position(|m| m == name) {
            Some(i) => {
                self.unacked.drain(..=i);
                true
            }
            None => false,
        }
    }

    /// Barge-in: drop everything not yet sent, and forget sent marks (the
    /// provider drops its buffer on `clear` and echoes them at once).
    /// Returns how many frames were dropped.
    pub fn clear(&mut self) -> usize {
        let frames: usize = self
            .queue
            .iter()
            .map(|q| match q {
                Queued::Audio(s, at, _) => (s.len() - at).div_ceil(self.frame_len),
                Queued::Mark(_) => 0,
            })
            .sum();
        self.queue.clear();
        self.unacked.clear();
        frames
    }

    pub fn frames_sent(&self) -> u64 {
        self.frames_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_whole_and_chunks_join_without_gaps() {
        let mut p = Playout::new(4);
        p.push_audio(vec![1, 2, 3]);
        p.push_audio(vec![4, 5, 6, 7, 8, 9]);
        p.push_mark("s1");
        assert_eq!(p.next_item(), Some(Item::Audio(vec![1, 2, 3, 4], 0)));
        assert_eq!(p.next_item(), Some(Item::Audio(vec![5, 6, 7, 8], 0)));
        assert!(p.agent_audible());
        assert_eq!(p.next_item(), Some(Item::Audio(vec![9, 0, 0, 0], 0)));
        assert!(!p.has_audio());
        assert_eq!(p.next_item(), Some(Item::Mark("s1".into())));
        assert_eq!(p.next_item(), None);
        // Sent, not yet heard.
        assert!(p.agent_audible());
        assert!(!p.acknowledge("other"));
        assert!(p.acknowledge("s1"));
        assert!(!p.agent_audible());
        assert_eq!(p.frames_sent(), 3);
    }

    #[test]
    fn frames_carry_the_tag_of_the_chunk_they_start_in() {
        let mut p = Playout::new(4);
        p.push_tagged(vec![1, 1, 1], 7);
        p.push_tagged(vec![2, 2, 2, 2, 2], 8);
        assert_eq!(p.next_item(), Some(Item::Audio(vec![1, 1, 1, 2], 7)));
        assert_eq!(p.next_item(), Some(Item::Audio(vec![2, 2, 2, 2], 8)));
    }

    #[test]
    fn clear_drops_what_was_not_sent_and_forgets_marks() {
        let mut p = Playout::new(160);
        p.push_audio(vec![1; 1600]);
        p.push_mark("a");
        p.push_audio(vec![1; 800]);
        p.push_mark("b");
        for _ in 0..3 {
            p.next_item();
        }
        assert_eq!(p.clear(), 7 + 5);
        assert!(!p.agent_audible());
        assert_eq!(p.next_item(), None);
        assert!(p.is_idle());
    }

    #[test]
    fn acknowledging_a_later_mark_implies_the_earlier_ones() {
        let mut p = Playout::new(2);
        for m in ["a", "b", "c"] {
            p.push_audio(vec![1, 1]);
            p.push_mark(m);
        }
        while p.next_item().is_some() {}
        assert!(p.acknowledge("b"));
        assert!(p.agent_audible());
        assert!(p.acknowledge("c"));
        assert!(!p.agent_audible());
    }
}
