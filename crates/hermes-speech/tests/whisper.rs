//! Whisper tiny.en on real speech: sentences a caller might say, spoken by
//! espeak-ng at run time, transcribed at 16 kHz and after the telephone
//! band (8 kHz μ-law, as a phone call delivers it). Accuracy is judged by
//! word error rate after normalising case, punctuation and digits, and by
//! the words that matter (the accident's day, the phone number, the name).
//!
//! Needs the model (`scripts/models.sh`) and espeak-ng (`scripts/debian.sh`);
//! without either the tests fail and say which. Nothing here is timed: speed
//! is `cargo bench -p hermes-speech --features whisper --bench whisper`.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use hermes_speech::SpeechError;
use hermes_speech::whisper::{Settings, Whisper, Window, default_model_dir};
use hermes_voice::g711::{pcm_to_ulaw, ulaw_to_pcm};
use hermes_voice::resample::Resampler;

/// What the callers say, with the words each transcript must contain.
const SENTENCES: [(&str, &[&str]); 6] = [
    (
        "I was in a car accident last Tuesday.",
        &["accident", "tuesday"],
    ),
    (
        "My phone number is five five five, one two three, four five six seven.",
        &["phone", "number"],
    ),
    ("My name is Maria Gonzalez.", &["name", "maria"]),
    (
        "I need to speak with a lawyer about my divorce.",
        &["lawyer", "divorce"],
    ),
    (
        "The other driver ran a red light and hit my car.",
        &["driver", "red", "light"],
    ),
    (
        "Can someone call me back tomorrow morning?",
        &["call", "tomorrow", "morning"],
    ),
];

const PHONE_DIGITS: &str = "5551234567";

fn model() -> &'static Whisper {
    static MODEL: OnceLock<Whisper> = OnceLock::new();
    MODEL.get_or_init(|| load(Settings::new(2)))
}

fn load(settings: Settings) -> Whisper {
    let dir = default_model_dir();
    assert!(
        dir.join("model.bin").is_file(),
        "Whisper model not found in {} — run `bash scripts/models.sh` \
         (or set HERMES_MODELS_DIR to the folder that holds whisper-tiny-en/)",
        dir.display()
    );
    Whisper::load_with(&dir, settings).unwrap_or_else(|e| panic!("{e}"))
}

/// `text` spoken by espeak-ng (US English), as 16-bit PCM and its rate.
fn speak(text: &str) -> (Vec<i16>, u32) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "hermes-stt-{}-{}.wav",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&path)
        .arg(text)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run espeak-ng ({e}) — install it with `bash scripts/debian.sh`")
        });
    assert!(status.success(), "espeak-ng failed: {status}");
    let wav = read_wav(&path);
    std::fs::remove_file(&path).ok();
    wav
}

fn read_wav(path: &Path) -> (Vec<i16>, u32) {
    let mut reader = hound::WavReader::open(path).expect("espeak-ng wrote a WAV file");
    let spec = reader.spec();
    assert_eq!(spec.channels, 1);
    assert_eq!(spec.bits_per_sample, 16);
    let samples = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    (samples, spec.sample_rate)
}

fn resample(pcm: &[i16], from: u32, to: u32) -> Vec<i16> {
    let mut r = Resampler::new(from, to).unwrap();
    let mut out = r.process(pcm);
    // Flush the resampler's last partial chunk with silence.
    out.extend(r.process(&vec![0; from as usize / 10]));
    out
}

fn to_f32(pcm: &[i16]) -> Vec<f32> {
    pcm.iter().map(|s| f32::from(*s) / 32768.0).collect()
}

/// Wideband: synthesiser rate → 16 kHz.
fn wideband(text: &str) -> Vec<f32> {
    let (pcm, rate) = speak(text);
    to_f32(&resample(&pcm, rate, 16_000))
}

/// What a phone call delivers: 8 kHz, μ-law encoded and decoded, then up
/// to the recogniser's 16 kHz.
fn telephone(text: &str) -> Vec<f32> {
    let (pcm, rate) = speak(text);
    let narrow = resample(&pcm, rate, 8_000);
    let line = ulaw_to_pcm(&pcm_to_ulaw(&narrow));
    to_f32(&resample(&line, 8_000, 16_000))
}

/// Lower case, letters and digits only, every digit a word of its own
/// ("555-1234" and "five five five one two three four" compare equal).
fn normalise(text: &str) -> Vec<String> {
    const DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let mut spaced = String::new();
    for c in text.to_lowercase().chars() {
        match c {
            '0'..='9' => {
                spaced.push(' ');
                spaced.push_str(DIGITS[c as usize - '0' as usize]);
                spaced.push(' ');
            }
            c if c.is_alphanumeric() => spaced.push(c),
            '\'' => {}
            _ => spaced.push(' '),
        }
    }
    spaced.split_whitespace().map(str::to_owned).collect()
}

/// The phone number as Whisper may write it: digits, or digit words.
fn digits_in(text: &str) -> String {
    normalise(text)
        .iter()
        .filter_map(|w| {
            [
                "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            ]
            .iter()
            .position(|d| d == w)
        })
        .map(|d| char::from(b'0' + d as u8))
        .collect()
}

/// Word-level edit distance.
fn word_errors(reference: &[String], hypothesis: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = diagonal + usize::from(r != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[hypothesis.len()]
}

/// What one band gave over all the sentences.
struct Score {
    wer: f64,
    /// Key words heard, and all key words.
    keys_heard: usize,
    keys: usize,
    missed: Vec<String>,
}

/// Transcribes every sentence through `audio`; scores words and key words.
fn score(whisper: &Whisper, audio: fn(&str) -> Vec<f32>) -> Score {
    let (mut errors, mut words, mut keys_heard, mut keys_all) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    for (sentence, keys) in SENTENCES {
        let text = whisper.transcribe(&audio(sentence)).unwrap();
        let (reference, hypothesis) = (normalise(sentence), normalise(&text));
        let e = word_errors(&reference, &hypothesis);
        eprintln!("{e} error(s): {sentence:?} -> {text:?}");
        for key in keys {
            if hypothesis.iter().any(|w| w == key) {
                keys_heard += 1;
            } else {
                missed.push(format!("{key:?} in {text:?}"));
            }
        }
        keys_all += keys.len();
        errors += e;
        words += reference.len();
    }
    let wer = errors as f64 / words as f64;
    eprintln!("WER {wer:.3} ({errors}/{words}), key words {keys_heard}/{keys_all}");
    Score {
        wer,
        keys_heard,
        keys: keys_all,
        missed,
    }
}

// The bounds are about twice what we measured (docs/BENCHMARKS.md), so a
// regression (wrong features, a broken decoder, a looping window) fails
// while the model's ordinary slips do not.

#[test]
fn transcribes_callers_sentences_at_16_khz() {
    let s = score(model(), wideband);
    assert!(s.wer <= 0.15, "word error rate {:.3} above 0.15", s.wer);
    assert!(s.missed.is_empty(), "key words missed: {:?}", s.missed);
}

/// The telephone band is harder: nothing above 4 kHz is left, where much
/// of /f/, /s/ and /th/ lives, and tiny.en mishears some words ("divorce"
/// as "memoirs" in this voice). Most key words must still come through.
#[test]
fn transcribes_callers_sentences_through_the_telephone_band() {
    let s = score(model(), telephone);
    assert!(s.wer <= 0.30, "word error rate {:.3} above 0.30", s.wer);
    assert!(
        s.keys_heard * 4 >= s.keys * 3,
        "fewer than 3/4 of the key words heard; missed: {:?}",
        s.missed
    );
}

/// Digits read one at a time come back whole at 16 kHz.
#[test]
fn a_phone_number_read_digit_by_digit_comes_back_whole() {
    let said = "My phone number is five, five, five, one, two, three, four, five, six, seven.";
    let text = model().transcribe(&wideband(said)).unwrap();
    assert_eq!(digits_in(&text), PHONE_DIGITS, "{text:?}");
}

/// Read in groups ("five five five, one two three, ..."), tiny.en keeps the
/// last seven digits in both bands but is unreliable on the repeated
/// "five five five": it drops one five at 16 kHz, and on the telephone
/// band it hears "five" as "time" (the /f/ is above 4 kHz). So a caller's
/// number must be read back for confirmation; these are the digits we can
/// count on.
#[test]
fn a_phone_number_read_in_groups_keeps_its_last_seven_digits() {
    let said = SENTENCES[1].0;
    for (band, audio) in [("16 kHz", wideband(said)), ("telephone", telephone(said))] {
        let text = model().transcribe(&audio).unwrap();
        assert!(
            digits_in(&text).ends_with(&PHONE_DIGITS[3..]),
            "{band}: {text:?}"
        );
    }
}

/// The default fitted window (utterance + a little silence, with the
/// fall-back to 30 s for looped transcripts) is as accurate as the full
/// 30-second window, so the time it saves costs no accuracy.
#[test]
fn the_fitted_window_is_as_accurate_as_the_full_window() {
    let full = load(Settings {
        window: Window::Full,
        ..Settings::new(2)
    });
    assert!(matches!(model().settings().window, Window::Fitted { .. }));
    let (mut fitted_errors, mut full_errors) = (0, 0);
    for (sentence, _) in SENTENCES {
        for audio in [wideband(sentence), telephone(sentence)] {
            let reference = normalise(sentence);
            let fitted = model().transcribe(&audio).unwrap();
            let whole = full.transcribe(&audio).unwrap();
            eprintln!("fitted {fitted:?} / full {whole:?}");
            fitted_errors += word_errors(&reference, &normalise(&fitted));
            full_errors += word_errors(&reference, &normalise(&whole));
        }
    }
    assert!(
        fitted_errors <= full_errors + 2,
        "fitted window: {fitted_errors} word errors, full window: {full_errors}"
    );
}

/// A long turn in one window: the token cap (which stops decoding loops)
/// must not cut a real transcript short.
#[test]
fn a_long_turn_is_transcribed_to_its_end() {
    let turn = "I was in a car accident last Tuesday. The other driver ran a red \
                light and hit my car. I need to speak with a lawyer. \
                Can someone call me back tomorrow morning?";
    let audio = wideband(turn);
    assert!(
        audio.len() > 8 * 16_000,
        "a long turn: {} samples",
        audio.len()
    );
    let text = model().transcribe(&audio).unwrap();
    let words = normalise(&text);
    for key in ["accident", "driver", "lawyer", "tomorrow", "morning"] {
        assert!(
            words.iter().any(|w| w == key),
            "{key:?} missing from {text:?}"
        );
    }
}

#[test]
fn audio_longer_than_30_seconds_is_transcribed_window_by_window() {
    let first = wideband(SENTENCES[0].0);
    let second = wideband(SENTENCES[3].0);
    let mut audio = first.clone();
    audio.resize(31 * 16_000, 0.0);
    audio.extend(&second);
    let words = normalise(&model().transcribe(&audio).unwrap());
    for key in ["accident", "tuesday", "lawyer", "divorce"] {
        assert!(
            words.iter().any(|w| w == key),
            "{key:?} missing from {words:?}"
        );
    }
}

#[test]
fn one_model_serves_several_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Whisper>();

    let audio: Vec<Vec<f32>> = SENTENCES[..2].iter().map(|(s, _)| telephone(s)).collect();
    let alone: Vec<String> = audio
        .iter()
        .map(|a| model().transcribe(a).unwrap())
        .collect();
    let together: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = audio
            .iter()
            .map(|a| s.spawn(|| model().transcribe(a).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, together);
}

#[test]
fn empty_audio_is_empty_text_and_nan_is_refused() {
    assert_eq!(model().transcribe(&[]).unwrap(), "");
    let mut audio = wideband("hello");
    audio[100] = f32::NAN;
    assert!(matches!(
        model().transcribe(&audio),
        Err(SpeechError::Input(_))
    ));
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("hermes-stt-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let err = Whisper::load(&dir, 1).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    let message = err.to_string();
    assert!(matches!(err, SpeechError::Model { .. }));
    assert!(message.contains("missing model.bin"), "{message}");
    assert!(message.contains("scripts/models.sh"), "{message}");
}

#[test]
fn the_normaliser_treats_digits_and_digit_words_alike() {
    assert_eq!(digits_in("555-123-4567."), PHONE_DIGITS);
    assert_eq!(
        digits_in("five five five, one two three, four five six seven"),
        PHONE_DIGITS
    );
    assert_eq!(normalise("Tuesday, I'm"), ["tuesday", "im"]);
    let a = normalise("a b c d");
    assert_eq!(word_errors(&a, &normalise("a x c")), 2);
    assert_eq!(word_errors(&a, &a), 0);
}
