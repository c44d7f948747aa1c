//! Twilio Media Streams messages (as in Twilio's documentation) and
//! webhook signatures.

use hermes_voice::signature;
use hermes_voice::twilio::{Inbound, MAX_MESSAGE_BYTES, Outbound, Problem, parse};

#[test]
fn the_documented_messages_parse() {
    let connected = r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#;
    assert_eq!(
        parse(connected).unwrap(),
        Inbound::Connected {
            protocol: "Call".into(),
            version: "1.0.0".into()
        }
    );
    let start = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"ACxx","streamSid":"MZxx","callSid":"CAxx","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"tenant":"alpha"}},"streamSid":"MZxx"}"#;
    let Inbound::Start(s) = parse(start).unwrap() else {
        panic!("a start");
    };
    assert_eq!(s.stream_sid, "MZxx");
    assert_eq!(s.call_sid, "CAxx");
    assert_eq!(s.media_format.sample_rate, 8000);
    assert_eq!(s.custom_parameters["tenant"], "alpha");
    // 20 ms of μ-law silence (0xFF), base64.
    let payload = base64_of(&[0xFF; 160]);
    let media = format!(
        r#"{{"event":"media","sequenceNumber":"3","media":{{"track":"inbound","chunk":"1","timestamp":"5","payload":"{payload}"}},"streamSid":"MZxx"}}"#
    );
    assert_eq!(
        parse(&media).unwrap(),
        Inbound::Media {
            sequence: 3,
            chunk: 1,
            timestamp_ms: 5,
            track: "inbound".into(),
            ulaw: vec![0xFF; 160]
        }
    );
    let dtmf = r#"{"event":"dtmf","streamSid":"MZxx","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"0"}}"#;
    assert_eq!(parse(dtmf).unwrap(), Inbound::Dtmf { digit: '0' });
    let mark =
        r#"{"event":"mark","sequenceNumber":"4","streamSid":"MZxx","mark":{"name":"turn-3"}}"#;
    assert_eq!(
        parse(mark).unwrap(),
        Inbound::Mark {
            name: "turn-3".into()
        }
    );
    let stop = r#"{"event":"stop","sequenceNumber":"5","streamSid":"MZxx","stop":{"accountSid":"ACxx","callSid":"CAxx"}}"#;
    assert_eq!(
        parse(stop).unwrap(),
        Inbound::Stop {
            call_sid: "CAxx".into()
        }
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn bad_input_is_a_problem_not_a_panic() {
    assert!(matches!(parse("not json"), Err(Problem::NotJson(_))));
    assert!(matches!(parse("{}"), Err(Problem::Malformed { .. })));
    assert!(matches!(
        parse(r#"{"event":"transcription"}"#),
        Err(Problem::UnknownEvent(e)) if e == "transcription"
    ));
    assert!(matches!(
        parse(r#"{"event":"media","media":{"payload":"***"}}"#),
        Err(Problem::Malformed { .. })
    ));
    assert!(matches!(
        parse(r#"{"event":"media"}"#),
        Err(Problem::Malformed { .. })
    ));
    assert!(matches!(
        parse(r#"{"event":"dtmf","dtmf":{"digit":"12"}}"#),
        Err(Problem::Malformed { .. })
    ));
    assert!(matches!(
        parse(r#"{"event":"start","start":{"streamSid":1}}"#),
        Err(Problem::Malformed { .. })
    ));
    let huge = format!(
        r#"{{"event":"media","media":{{"payload":"{}"}}}}"#,
        "A".repeat(MAX_MESSAGE_BYTES)
    );
    assert!(matches!(parse(&huge), Err(Problem::TooLarge(_))));
}

#[test]
fn outbound_messages_are_what_twilio_expects() {
    assert_eq!(
        Outbound::media("MZxx", &[0xFF, 0x7F]).to_json(),
        r#"{"event":"media","streamSid":"MZxx","media":{"payload":"/38="}}"#
    );
    assert_eq!(
        Outbound::mark("MZxx", "turn-3").to_json(),
        r#"{"event":"mark","streamSid":"MZxx","mark":{"name":"turn-3"}}"#
    );
    assert_eq!(
        Outbound::clear("MZxx").to_json(),
        r#"{"event":"clear","streamSid":"MZxx"}"#
    );
}

fn params() -> Vec<(String, String)> {
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// The example of Twilio's webhook-security documentation; the expected
/// value was computed independently with Python's `hmac`/`hashlib`.
#[test]
fn the_documented_signature_verifies_and_a_tampered_one_does_not() {
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
    assert_eq!(signature::sign("12345", url, &params()), expected);
    // Parameter order on the wire does not matter.
    let mut shuffled = params();
    shuffled.reverse();
    assert!(signature::verify("12345", url, &shuffled, expected));
    // A changed parameter, URL, token or header fails.
    let mut changed = params();
    changed[2].1 = "1235".into();
    assert!(!signature::verify("12345", url, &changed, expected));
    assert!(!signature::verify(
        "12345",
        "https://mycompany.com/myapp.php",
        &params(),
        expected
    ));
    assert!(!signature::verify("54321", url, &params(), expected));
    assert!(!signature::verify("12345", url, &params(), "not base64!"));
    assert!(!signature::verify("12345", url, &params(), ""));
}
