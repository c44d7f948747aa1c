//! The senders against real counterparts: Prism validating requests
//! against Twilio's published OpenAPI document, and an `aiosmtpd` server.

use std::time::Duration;

use hermes_notify::{SmtpConfig, SmtpMailer, SmtpTls, TwilioConfig, TwilioSms};
use hermes_testkit::notify::{SmtpServer, TwilioMock, free_port};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn twilio(base_url: &str, account_sid: &str) -> TwilioSms {
    TwilioSms::new(TwilioConfig {
        account_sid: account_sid.into(),
        auth_token: "test-auth-token".into(),
        from: "+15035550100".into(),
        base_url: base_url.into(),
    })
    .unwrap()
}

fn smtp(port: u16) -> SmtpMailer {
    SmtpMailer::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "HERMES <alerts@firm.example>".into(),
    })
    .unwrap()
}

#[tokio::test]
async fn sms_is_accepted_by_twilios_spec_and_bad_requests_are_refused() {
    let Some(mock) = TwilioMock::start().await else {
        return;
    };
    // A valid request: 201, and a message SID back.
    let sms = twilio(&mock.base_url, SID);
    sms.send(
        "+15035550111",
        "URGENT intake (urgent): custody; caller Ana Diaz",
    )
    .await
    .expect("a valid request is accepted");

    // The mock validates: an account SID that breaks the spec's pattern is
    // refused (422), and the sender calls that permanent.
    let bad = twilio(&mock.base_url, "not-an-account-sid")
        .send("+15035550111", "x")
        .await
        .expect_err("refused");
    assert!(bad.permanent, "{bad:?}");
    assert!(bad.message.contains("422"), "{bad:?}");

    // …and so is a form without `To`, or no credentials at all.
    let http = reqwest::Client::new();
    let url = format!("{}/2010-04-01/Accounts/{SID}/Messages.json", mock.base_url);
    let no_to = http
        .post(&url)
        .basic_auth(SID, Some("token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("From=%2B15035550100&Body=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(no_to.status().as_u16(), 422);
    let no_auth = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("To=%2B15035550111&From=%2B15035550100&Body=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status().as_u16(), 401);
}

#[tokio::test]
async fn sms_to_an_unreachable_api_is_a_transient_failure() {
    let sms = twilio(&format!("http://127.0.0.1:{}", free_port()), SID);
    let e = sms.send("+15035550111", "x").await.expect_err("refused");
    assert!(!e.permanent, "{e:?}");
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    smtp(server.port)
        .send(
            "oncall@firm.example",
            "URGENT intake (urgent)",
            "URGENT intake (urgent): custody; caller Ana Diaz, callback +15035550123",
        )
        .await
        .expect("sent");
    let got = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(m.contains("To: oncall@firm.example"), "{m}");
    assert!(m.contains("Subject: URGENT intake (urgent)"), "{m}");
    assert!(m.contains("From: HERMES <alerts@firm.example>"), "{m}");
    assert!(m.contains("caller Ana Diaz, callback +15035550123"), "{m}");
}

#[tokio::test]
async fn email_to_a_server_that_is_down_is_a_transient_failure() {
    let e = smtp(free_port())
        .send("oncall@firm.example", "s", "b")
        .await
        .expect_err("nobody listens");
    assert!(!e.permanent, "{e:?}");
}

#[tokio::test]
async fn sms_over_https_speaks_tls_and_a_failed_handshake_is_transient() {
    // A server that answers the TLS ClientHello with plain text: the
    // client's TLS stack (rustls, aws-lc-rs) runs and fails cleanly.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let e = twilio(&format!("https://127.0.0.1:{port}"), SID)
        .send("+15035550111", "x")
        .await
        .expect_err("no TLS there");
    assert!(!e.permanent, "{e:?}");
}

#[tokio::test]
async fn email_never_falls_back_to_plain_text_when_tls_is_configured() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    // The server offers no STARTTLS and speaks no TLS: both modes refuse
    // to send rather than send in the clear.
    for (tls, why) in [
        (SmtpTls::Starttls, "STARTTLS is not supported"),
        (SmtpTls::Tls, "Connection error"),
    ] {
        let mailer = SmtpMailer::new(&SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(server.port),
            tls,
            username: None,
            password: None,
            from: "alerts@firm.example".into(),
        })
        .unwrap();
        let e = mailer
            .send("oncall@firm.example", "s", "b")
            .await
            .expect_err("no TLS, no mail");
        assert!(e.message.contains(why), "{tls:?}: {e:?}");
    }
    assert!(server.messages().is_empty());
}
