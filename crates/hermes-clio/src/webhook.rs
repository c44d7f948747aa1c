//! Clio's webhooks: activation by the `X-Hook-Secret` handshake, then
//! every delivery signed with that secret (`X-Hook-Signature`: HMAC-SHA256
//! of the raw body, hex). A delivery whose signature does not check is
//! not from Clio and is rejected.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Clio's activation request carries (to be echoed back).
pub const SECRET_HEADER: &str = "x-hook-secret";
/// The header of every signed delivery.
pub const SIGNATURE_HEADER: &str = "x-hook-signature";

/// Whether `signature` (hex) is `body`'s HMAC-SHA256 under `secret`; the
/// comparison takes the same time whatever the mismatch.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature Clio would send (for tests and fakes).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_secret_over_the_exact_body_verifies() {
        let body = br#"{"data":{"id":7,"type":"Contact"}}"#;
        let sig = sign(b"secret", body);
        assert!(verify(b"secret", body, &sig));
        assert!(verify(b"secret", body, &sig.to_uppercase()));
        assert!(!verify(b"other", body, &sig));
        assert!(!verify(
            b"secret",
            br#"{"data":{"id":8,"type":"Contact"}}"#,
            &sig
        ));
        assert!(!verify(b"secret", body, "not hex"));
        assert!(!verify(b"secret", body, ""));
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
