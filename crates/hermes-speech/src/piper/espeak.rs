//! espeak-ng as Piper uses it: text in, IPA phonemes out, clause by clause,
//! with the clause's punctuation kept.
//!
//! Why espeak-ng: Piper voices were trained on its IPA output, so the same
//! phonemizer is needed at run time; it also reads numbers, dates and
//! abbreviations aloud. The binding is the system library (Debian's
//! `libespeak-ng`, scripts/debian.sh) through four hand-written
//! declarations rather than a `-sys` crate: `espeakng-sys` generates its
//! bindings with bindgen (libclang at build time) from headers it bundles,
//! not the installed ones, which is a heavy build for four functions.
//!
//! Why the punctuation is recovered here: Piper links a fork of espeak-ng
//! whose `espeak_TextToPhonemesWithTerminator` reports how each clause
//! ended (period, comma, question…), and the voice was trained with that
//! punctuation in its input. Debian's espeak-ng has only
//! `espeak_TextToPhonemes`, which drops it. That function advances the text
//! pointer past the clause it translated, so the clause's last
//! non-space character is its terminator; [`Terminator::of`] reads it back.
//!
//! espeak-ng keeps all its state in globals (the voice, the translator,
//! the phoneme buffer it returns), so it is not thread-safe: every call
//! goes through one process-wide `Mutex`.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::Mutex;

use crate::SpeechError;

/// `espeak_AUDIO_OUTPUT::AUDIO_OUTPUT_SYNCHRONOUS`: no audio thread (we
/// only want phonemes).
const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
/// `espeakINITIALIZE_DONT_EXIT`: without it espeak-ng calls `exit()` when
/// its data folder is missing.
const INITIALIZE_DONT_EXIT: c_int = 0x8000;
/// `espeakCHARS_UTF8`: Rust strings are UTF-8.
const CHARS_UTF8: c_int = 1;
/// `espeakPHONEMES_IPA`: IPA characters (what Piper's id map is keyed by),
/// words separated by spaces, no separator between phonemes.
const PHONEMES_IPA: c_int = 0x02;

// SAFETY: these match the declarations in <espeak-ng/speak_lib.h>
// (espeak-ng 1.49 to 1.52: the signatures have not changed since eSpeak
// 1.48). They are only called through `Espeak`, below, with the global
// lock held, because espeak-ng's state is global and unsynchronised.
#[link(name = "espeak-ng")]
unsafe extern "C" {
    /// Returns the sample rate, or -1 when the data folder cannot be read.
    fn espeak_Initialize(
        output: c_int,
        buflength: c_int,
        path: *const c_char,
        options: c_int,
    ) -> c_int;
    /// Returns 0 (`EE_OK`) when the voice exists.
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    /// Translates one clause of the NUL-terminated text at `*textptr` and
    /// moves `*textptr` past it (NULL at the end of the text). The result
    /// points into a static buffer that the next call overwrites.
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

/// How a clause ended, as Piper's phonemizer renders it after the clause's
/// phonemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terminator {
    Period,
    Question,
    Exclamation,
    Comma,
    Colon,
    Semicolon,
    /// End of the text without punctuation, or a break espeak-ng makes on
    /// its own (a very long clause, an ellipsis, a bracket).
    None,
}

impl Terminator {
    /// The terminator of the text espeak-ng consumed for one clause.
    /// Before the end of the text espeak-ng has read one character ahead
    /// (after any spaces: the first letter of the next word, or a closing
    /// quote); `at_end` says there is none.
    fn of(consumed: &str, at_end: bool) -> Terminator {
        let mut consumed = consumed;
        if !at_end && let Some((i, _)) = consumed.char_indices().next_back() {
            consumed = &consumed[..i];
        }
        let consumed = consumed.trim_end();
        let last = consumed
            .trim_end_matches(['"', '\'', ')', ']', '\u{201D}', '\u{2019}'])
            .chars()
            .next_back();
        match last {
            // An ellipsis is a pause, not the end of a sentence.
            Some('.') if consumed.ends_with("..") => Terminator::None,
            Some('.') => Terminator::Period,
            Some('?') => Terminator::Question,
            Some('!') => Terminator::Exclamation,
            Some(',') => Terminator::Comma,
            Some(':') => Terminator::Colon,
            Some(';') => Terminator::Semicolon,
            _ => Terminator::None,
        }
    }

    /// What Piper appends to the phonemes (piper-phonemize's
    /// `phonemize_eSpeak`): the punctuation, and a space after the ones
    /// that continue a sentence.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Terminator::Period => ".",
            Terminator::Question => "?",
            Terminator::Exclamation => "!",
            Terminator::Comma => ", ",
            Terminator::Colon => ": ",
            Terminator::Semicolon => "; ",
            Terminator::None => "",
        }
    }

    /// Whether the clause ends a sentence (Piper synthesises sentence by
    /// sentence).
    pub(crate) fn ends_sentence(self) -> bool {
        matches!(
            self,
            Terminator::Period | Terminator::Question | Terminator::Exclamation
        )
    }
}

/// One clause as espeak-ng translated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// IPA, words separated by single spaces.
    pub(crate) phonemes: String,
    pub(crate) terminator: Terminator,
}

/// The lock around espeak-ng, holding the voice it is set to (`None`
/// before `espeak_Initialize` has succeeded).
static ESPEAK: Mutex<Option<String>> = Mutex::new(None);

/// Translates `text` into clauses of IPA phonemes with espeak-ng's `voice`
/// (e.g. `en-us`, from the Piper voice's config).
pub(crate) fn clauses(voice: &str, text: &str) -> Result<Vec<Clause>, SpeechError> {
    let espeak_error = |message: String| SpeechError::Runtime {
        context: "espeak-ng",
        message,
    };
    // espeak-ng reads up to a NUL; one inside the text would cut it short.
    let c_text = CString::new(text.replace('\0', " ")).expect("NULs were replaced");
    let c_voice =
        CString::new(voice).map_err(|_| espeak_error(format!("bad voice name {voice:?}")))?;

    // A panic while the lock was held cannot leave espeak-ng half-updated
    // in a way the next call does not redo (it sets the voice again), so a
    // poisoned lock is taken over.
    let mut current = ESPEAK.lock().unwrap_or_else(|p| p.into_inner());
    if current.is_none() {
        // SAFETY: lock held; a NULL path means espeak-ng's default data
        // folder (or $ESPEAK_DATA_PATH), DONT_EXIT makes a failure a
        // return value.
        let rate = unsafe {
            espeak_Initialize(
                AUDIO_OUTPUT_SYNCHRONOUS,
                0,
                std::ptr::null(),
                INITIALIZE_DONT_EXIT,
            )
        };
        if rate <= 0 {
            return Err(espeak_error(
                "cannot initialise: is espeak-ng-data installed? (scripts/debian.sh)".into(),
            ));
        }
        *current = Some(String::new());
    }
    if current.as_deref() != Some(voice) {
        // SAFETY: lock held; `c_voice` is NUL-terminated and outlives the call.
        if unsafe { espeak_SetVoiceByName(c_voice.as_ptr()) } != 0 {
            return Err(espeak_error(format!("no voice {voice:?}")));
        }
        *current = Some(voice.to_owned());
    }

    let bytes = c_text.as_bytes();
    let base = c_text.as_ptr();
    let mut ptr: *const c_void = base.cast();
    let mut start = 0usize;
    let mut out = Vec::new();
    while !ptr.is_null() {
        // SAFETY: lock held; `ptr` points into `c_text` (NUL-terminated,
        // alive until the end of this function); the returned string is
        // copied before the next call overwrites it.
        let phonemes = unsafe {
            let result = espeak_TextToPhonemes(&mut ptr, CHARS_UTF8, PHONEMES_IPA);
            if result.is_null() {
                return Err(espeak_error("cannot decode the text".into()));
            }
            CStr::from_ptr(result).to_string_lossy().into_owned()
        };
        let at_end = ptr.is_null();
        let end = if at_end {
            bytes.len()
        } else {
            // espeak-ng moves the pointer forward within the text.
            (ptr as usize)
                .saturating_sub(base as usize)
                .clamp(start, bytes.len())
        };
        if !at_end && end == start {
            // No progress: never seen, but a loop here would hang a call.
            return Err(espeak_error("stopped advancing through the text".into()));
        }
        let consumed = String::from_utf8_lossy(&bytes[start..end]);
        start = end;
        let terminator = Terminator::of(&consumed, at_end);
        let phonemes = phonemes.trim().to_owned();
        if phonemes.is_empty() && terminator == Terminator::None {
            continue;
        }
        out.push(Clause {
            phonemes,
            terminator,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminators_are_read_from_the_consumed_text() {
        // What espeak-ng 1.51 consumes for each clause of
        // `Hello, world. Is that right? He said "stop!" and left. Well... no`.
        assert_eq!(Terminator::of("Hello, w", false), Terminator::Comma);
        assert_eq!(Terminator::of("orld. I", false), Terminator::Period);
        assert_eq!(
            Terminator::of("s that right? H", false),
            Terminator::Question
        );
        assert_eq!(
            Terminator::of("e said \"stop!\"", false),
            Terminator::Exclamation
        );
        assert_eq!(Terminator::of(" and left. W", false), Terminator::Period);
        assert_eq!(Terminator::of("ell... n", false), Terminator::None);
        assert_eq!(Terminator::of("o", true), Terminator::None);
        assert_eq!(Terminator::of("Goodbye.", true), Terminator::Period);
        assert_eq!(Terminator::of("Yes; (", false), Terminator::Semicolon);
    }
}
