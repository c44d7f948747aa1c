//! `X-Twilio-Signature`: how a webhook proves it came from Twilio.
//!
//! Twilio signs each request with HMAC-SHA1, keyed by the account's auth
//! token, over the full URL it called followed by every POST parameter,
//! sorted by name, each as name then value with nothing between; the
//! header carries the base64 of the digest. A request whose header does
//! not match is refused (403) before anything else looks at it. The
//! comparison is constant-time (`hmac`'s `verify_slice`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // By name, then value (a name may repeat), as Twilio's own libraries do.
    sorted.sort();
    let mut m = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    m.update(url.as_bytes());
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    m
}

/// The signature Twilio would send for this request.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of this request.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(given) = STANDARD.decode(header.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&given).is_ok()
}
