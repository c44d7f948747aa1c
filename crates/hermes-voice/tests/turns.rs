//! Endpointing and barge-in on frame sequences: `S` a 20 ms frame the VAD
//! called speech, `_` one it called silence.

use hermes_voice::turns::*;

fn frames(pattern: &str) -> impl Iterator<Item = bool> + '_ {
    pattern
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c == 'S')
}

/// Feeds `pattern`; returns (frame index, decision) for each decision.
fn run(e: &mut Endpointer, pattern: &str) -> Vec<(usize, Endpoint)> {
    frames(pattern)
        .enumerate()
        .filter_map(|(i, s)| e.push(s).map(|d| (i, d)))
        .collect()
}

fn silence(ms: u32) -> String {
    "_".repeat((ms / 20) as usize)
}

fn speech(ms: u32) -> String {
    "S".repeat((ms / 20) as usize)
}

#[test]
fn a_turn_starts_after_real_speech_and_ends_after_the_hangover() {
    let mut e = Endpointer::new(EndpointConfig::default());
    // A 40 ms click is not speech; then one second of speech and silence.
    let p = format!("SS__{}{}", speech(1000), silence(800));
    let d = run(&mut e, &p);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0], (4 + 2, Endpoint::SpeechStarted));
    // Ends exactly when 600 ms of silence have passed.
    let end_frame = 4 + 50 + 30 - 1;
    assert_eq!(d[1].0, end_frame);
    assert_eq!(d[1].1, Endpoint::TurnEnded { speech_ms: 1000 });
    assert!(!e.in_turn());
}

#[test]
fn pauses_shorter_than_the_hangover_do_not_end_the_turn() {
    let mut e = Endpointer::new(EndpointConfig::default());
    let p = format!(
        "{}{}{}{}{}",
        speech(600),
        silence(400),
        speech(600),
        silence(500),
        speech(300)
    );
    let d = run(&mut e, &p);
    assert_eq!(d, vec![(2, Endpoint::SpeechStarted)]);
    assert!(e.in_turn());
}

#[test]
fn a_phone_number_read_in_groups_is_not_cut_off() {
    let mut quick = Endpointer::new(EndpointConfig::default());
    let mut patient = Endpointer::new(EndpointConfig::default());
    // "five oh three" … 900 ms pause … "five five five" …
    let first = format!("{}{}", speech(800), silence(900));
    let d_quick = run(&mut quick, &first);
    assert!(
        d_quick
            .iter()
            .any(|(_, d)| matches!(d, Endpoint::TurnEnded { .. })),
        "without the transcript, 900 ms ends the turn"
    );
    run(&mut patient, &speech(800));
    patient.partial("my number is five oh three");
    let d = run(&mut patient, &silence(900));
    assert!(d.is_empty(), "still listening: {d:?}");
    run(&mut patient, &speech(800));
    patient.partial("my number is five oh three five five five zero one zero zero");
    let d = run(&mut patient, &silence(700));
    assert!(
        matches!(d.last(), Some((_, Endpoint::TurnEnded { .. }))),
        "a complete number ends at the normal hangover: {d:?}"
    );
}

#[test]
fn a_very_long_turn_is_ended() {
    let cfg = EndpointConfig {
        max_turn_ms: 2000,
        ..Default::default()
    };
    let mut e = Endpointer::new(cfg);
    let d = run(&mut e, &speech(3000));
    // Cut at 2 s; the caller, still talking, starts the next turn.
    assert_eq!(d[1], (99, Endpoint::TurnEnded { speech_ms: 2000 }), "{d:?}");
    assert_eq!(d[2].1, Endpoint::SpeechStarted, "{d:?}");
}

#[test]
fn unfinished_words() {
    for t in [
        "my number is five oh three",
        "it's 503 555",
        "I was driving and",
        "the other driver was um",
        "my name is",
    ] {
        assert!(looks_unfinished(t), "{t}");
    }
    for t in [
        "my number is five oh three five five five zero one zero zero",
        "5035550100",
        "I want to get divorced",
        "yes",
        "",
    ] {
        assert!(!looks_unfinished(t), "{t}");
    }
}

#[test]
fn backchannels() {
    for t in [
        "uh-huh", "Yeah.", "okay", "mm-hmm", "right", "I see", "got it", "ok sure",
    ] {
        assert!(is_backchannel(t), "{t}");
    }
    for t in [
        "wait",
        "no that's wrong",
        "stop",
        "yeah but my name is Ana",
        "I",
        "",
    ] {
        assert!(!is_backchannel(t), "{t}");
    }
}

#[test]
fn barge_in_fires_once_after_confirmed_speech_over_the_agent() {
    let mut b = BargeIn::new(BargeInConfig::default());
    // Caller speech while the agent is silent: not a barge-in.
    assert!((0..20).all(|_| !b.push(false, true, None)));
    // Over the agent: fires on the 10th frame (200 ms), once.
    let fired: Vec<usize> = (0..30)
        .filter(|_| true)
        .enumerate()
        .filter_map(|(i, _)| b.push(true, true, None).then_some(i))
        .collect();
    assert_eq!(fired, vec![9]);
    // Silence resets it; the next interruption fires again.
    assert!(!b.push(true, false, None));
    let again = (0..10).filter(|_| b.push(true, true, None)).count();
    assert_eq!(again, 1);
}

#[test]
fn a_backchannel_does_not_stop_the_agent() {
    let mut b = BargeIn::new(BargeInConfig::default());
    let fired = (0..25).any(|_| b.push(true, true, Some("uh-huh")));
    assert!(!fired);
    let mut b = BargeIn::new(BargeInConfig::default());
    let fired = (0..25).any(|_| b.push(true, true, Some("wait, that's wrong")));
    assert!(fired);
}
