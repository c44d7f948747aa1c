//! TwiML, the XML Twilio follows on a call (and Telnyx's TeXML, which
//! takes the same verbs:
//! <https://developers.telnyx.com/docs/voice/programmable-voice/texml-twiml-compatibility>):
//! the few verbs HERMES answers with, built with every attribute and text
//! escaped (a caller's number or a firm's name must never be able to
//! inject a verb).

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

/// Connects the call to a bidirectional media stream at `url` (wss://),
/// passing `parameters` to the stream's `start` message.
pub fn connect_stream(url: &str, parameters: &[(&str, &str)]) -> String {
    connect_stream_with(url, &[], parameters)
}

/// [`connect_stream`] with more `<Stream>` attributes: Telnyx's TeXML
/// streams one way unless told `bidirectionalMode="rtp"` (and the codec
/// HERMES speaks, `bidirectionalCodec="PCMU"`).
pub fn connect_stream_with(
    url: &str,
    attributes: &[(&str, &str)],
    parameters: &[(&str, &str)],
) -> String {
    let mut attrs = String::new();
    for (name, value) in attributes {
        attrs.push_str(&format!(" {}=\"{}\"", escape(name), escape(value)));
    }
    let mut params = String::new();
    for (name, value) in parameters {
        params.push_str(&format!(
            "<Parameter name=\"{}\" value=\"{}\"/>",
            escape(name),
            escape(value)
        ));
    }
    format!(
        "{HEAD}<Response><Connect><Stream url=\"{}\"{attrs}>{params}</Stream></Connect></Response>",
        escape(url)
    )
}

/// Says `text`, then hangs up (the answer when the firm cannot take the
/// call on the media stream).
pub fn say_and_hang_up(text: &str) -> String {
    format!(
        "{HEAD}<Response><Say>{}</Say><Hangup/></Response>",
        escape(text)
    )
}

/// Warm transfer: a briefing for the person who answers (`whisper_url`,
/// played to them before they are connected), then, if nobody answers
/// within `timeout_s`, `fallback` to the caller and a hang-up.
pub fn dial(
    number: &str,
    caller_id: Option<&str>,
    whisper_url: Option<&str>,
    timeout_s: u32,
    fallback: &str,
) -> String {
    let caller_id = caller_id
        .map(|c| format!(" callerId=\"{}\"", escape(c)))
        .unwrap_or_default();
    let url = whisper_url
        .map(|u| format!(" url=\"{}\"", escape(u)))
        .unwrap_or_default();
    format!(
        "{HEAD}<Response><Dial timeout=\"{timeout_s}\"{caller_id}><Number{url}>{}</Number></Dial><Say>{}</Say><Hangup/></Response>",
        escape(number),
        escape(fallback)
    )
}

/// What the person answering a transfer hears before being connected.
pub fn briefing(text: &str) -> String {
    format!("{HEAD}<Response><Say>{}</Say></Response>", escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_text_are_escaped() {
        let x = connect_stream(
            "wss://h.example/voice?x=1&y=2",
            &[("from", "+1\"><Hangup/>"), ("call", "CA1")],
        );
        assert!(x.contains("url=\"wss://h.example/voice?x=1&amp;y=2\""));
        assert!(x.contains("value=\"+1&quot;&gt;&lt;Hangup/&gt;\""));
        assert!(!x.contains("<Hangup/>"));
        let t = connect_stream_with(
            "wss://h/s",
            &[("bidirectionalMode", "rtp"), ("bidirectionalCodec", "PCMU")],
            &[("token", "a&b")],
        );
        assert!(t.contains(
            "<Connect><Stream url=\"wss://h/s\" bidirectionalMode=\"rtp\" bidirectionalCodec=\"PCMU\"><Parameter name=\"token\" value=\"a&amp;b\"/></Stream></Connect>"
        ));
        let s = say_and_hang_up("Smith & Jones <LLP>\u{7}");
        assert!(s.contains("<Say>Smith &amp; Jones &lt;LLP&gt;</Say><Hangup/>"));
        let d = dial(
            "+15035550100",
            Some("+15035550199"),
            Some("https://h/brief?a=1&b=2"),
            20,
            "Nobody's free.",
        );
        assert!(d.contains("<Dial timeout=\"20\" callerId=\"+15035550199\"><Number url=\"https://h/brief?a=1&amp;b=2\">+15035550100</Number></Dial>"));
        assert!(d.ends_with("<Say>Nobody&apos;s free.</Say><Hangup/></Response>"));
    }
}
