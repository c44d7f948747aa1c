//! When the caller's turn is over (endpointing) and when the caller is
//! talking over the agent (barge-in), decided frame by frame from the
//! voice-activity detector's verdicts and, when there is one, the running
//! transcript. Pure state machines: the pipeline feeds them, tests feed
//! them recorded sequences.
//!
//! Endpointing trades speed against cutting people off. A fixed hangover
//! (silence that ends a turn) short enough to feel quick cuts off someone
//! reading out a phone number in groups, or pausing after "and…"; so the
//! hangover stretches while the words so far look unfinished
//! ([`looks_unfinished`]).
//!
//! Barge-in: caller speech while the agent talks stops the agent once it
//! has lasted `confirm_ms` — unless what was heard is a backchannel
//! ("uh-huh", "yeah", "okay"), which says "go on", not "stop".

/// Endpointing settings, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointConfig {
    /// Length of one VAD frame.
    pub frame_ms: u32,
    /// Speech must last this long to start a turn (clicks and coughs don't).
    pub start_ms: u32,
    /// Silence that ends a turn.
    pub hangover_ms: u32,
    /// Silence that ends a turn whose words look unfinished.
    pub unfinished_hangover_ms: u32,
    /// A turn ends after this much speech whatever happens.
    pub max_turn_ms: u32,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            frame_ms: 20,
            start_ms: 60,
            hangover_ms: 600,
            unfinished_hangover_ms: 1500,
            max_turn_ms: 30_000,
        }
    }
}

/// What the endpointer decided on a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The caller started speaking (after `start_ms` of speech).
    SpeechStarted,
    /// The caller's turn is over; `speech_ms` is how long it lasted.
    TurnEnded { speech_ms: u32 },
}

#[derive(Debug, Clone)]
pub struct Endpointer {
    cfg: EndpointConfig,
    in_turn: bool,
    speech_run_ms: u32,
    silence_run_ms: u32,
    turn_ms: u32,
    unfinished: bool,
}

impl Endpointer {
    pub fn new(cfg: EndpointConfig) -> Self {
        Endpointer {
            cfg,
            in_turn: false,
            speech_run_ms: 0,
            silence_run_ms: 0,
            turn_ms: 0,
            unfinished: false,
        }
    }

    /// The running transcript of the current turn, when the recogniser
    /// has one: it may stretch the hangover.
    pub fn partial(&mut self, text: &str) {
        self.unfinished = looks_unfinished(text);
    }

    /// Whether a turn is in progress.
    pub fn in_turn(&self) -> bool {
        self.in_turn
    }

    /// One VAD frame.
    pub fn push(&mut self, speech: bool) -> Option<Endpoint> {
        let f = self.cfg.frame_ms;
        if speech {
            self.speech_run_ms += f;
            self.silence_run_ms = 0;
        } else {
            self.silence_run_ms += f;
            if !self.in_turn {
                self.speech_run_ms = 0;
            }
        }
        if !self.in_turn {
            if self.speech_run_ms >= self.cfg.start_ms {
                self.in_turn = true;
                self.turn_ms = self.speech_run_ms;
                self.unfinished = false;
                return Some(Endpoint::SpeechStarted);
            }
            return None;
        }
        self.turn_ms += f;
        let hangover = if self.unfinished {
            self.cfg.unfinished_hangover_ms
        } else {
            self.cfg.hangover_ms
        };
        if self.silence_run_ms >= hangover || self.turn_ms >= self.cfg.max_turn_ms {
            let speech_ms = self.turn_ms.saturating_sub(self.silence_run_ms);
            self.in_turn = false;
            self.speech_run_ms = 0;
            self.silence_run_ms = 0;
            self.turn_ms = 0;
            self.unfinished = false;
            return Some(Endpoint::TurnEnded { speech_ms });
        }
        None
    }
}

const DIGIT_WORDS: [&str; 13] = [
    "zero", "oh", "o", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "double",
];

/// Whether the words so far sound like the caller has more to say: a
/// phone number part-way through (1 to 9 digits, in figures or words), or
/// a sentence hanging on "and", "but", "um", "the", "my", "is"…
pub fn looks_unfinished(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    let digits: usize = words
        .iter()
        .map(|w| {
            if w.chars().all(|c| c.is_ascii_digit()) {
                w.len()
            } else if DIGIT_WORDS.contains(w) {
                1
            } else {
                0
            }
        })
        .sum();
    let number_going = (1..10).contains(&digits)
        && (last.chars().all(|c| c.is_ascii_digit()) || DIGIT_WORDS.contains(last));
    let hanging = [
        "and", "but", "or", "so", "um", "uh", "er", "the", "a", "an", "my", "is", "was", "to",
        "of", "for", "with", "at", "in", "because", "that", "like",
    ]
    .contains(last);
    number_going || hanging
}

/// Whether the caller's words are only a backchannel ("uh-huh", "yeah",
/// "okay", "mm-hmm", "right", "sure", "I see"), not a wish to speak.
pub fn is_backchannel(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 3 {
        return false;
    }
    const BACKCHANNEL: [&str; 17] = [
        "uh", "huh", "mm", "hmm", "mhm", "yeah", "yep", "yes", "okay", "ok", "right", "sure", "i",
        "see", "alright", "got", "it",
    ];
    words.iter().all(|w| BACKCHANNEL.contains(w)) && !(words.len() == 1 && words[0] == "i")
}

/// Barge-in settings, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BargeInConfig {
    pub frame_ms: u32,
    /// Caller speech over the agent for this long stops the agent.
    pub confirm_ms: u32,
}

impl Default for BargeInConfig {
    fn default() -> Self {
        BargeInConfig {
            frame_ms: 20,
            confirm_ms: 200,
        }
    }
}

/// Decides when the caller's speech over the agent means "stop".
#[derive(Debug, Clone)]
pub struct BargeIn {
    cfg: BargeInConfig,
    over_ms: u32,
    fired: bool,
}

impl BargeIn {
    pub fn new(cfg: BargeInConfig) -> Self {
        BargeIn {
            cfg,
            over_ms: 0,
            fired: false,
        }
    }

    /// One frame: whether the agent is audible to the caller now, whether
    /// the VAD hears the caller, and the caller's words so far if any.
    /// `true` once per interruption: stop the agent now (send `clear`).
    pub fn push(&mut self, agent_speaking: bool, caller_speech: bool, heard: Option<&str>) -> bool {
        if !agent_speaking || !caller_speech {
            self.over_ms = 0;
            self.fired = false;
            return false;
        }
        self.over_ms += self.cfg.frame_ms;
        if self.fired || heard.is_some_and(is_backchannel) {
            return false;
        }
        if self.over_ms >= self.cfg.confirm_ms {
            self.fired = true;
            return true;
        }
        false
    }
}
