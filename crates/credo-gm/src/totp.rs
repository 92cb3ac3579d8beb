//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of clock skew), the
//! second factor that authenticator apps support. [`check`] returns the matched step so that the caller can
//! refuse a code that was already used (RFC 6238 §5.2).

use rand::Rng;
use totp_rs::{Builder, Secret, Totp};

use crate::GmError;

/// A new random 160-bit secret.
pub fn new_secret() -> [u8; 20] {
    rand::rng().random()
}

/// The secret in base32, as authenticator apps take it.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

fn totp(secret: &[u8]) -> Result<Totp, GmError> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .build()
        .map_err(|_| GmError::Key)
}

/// The step a `code` matches at `unix_time` (with one step of skew), or `None`.
pub fn check(secret: &[u8], code: &str, unix_time: u64) -> Result<Option<u64>, GmError> {
    Ok(totp(secret)?.check(code.trim(), unix_time))
}

/// The code at `unix_time` (for tests and enrolment checks).
pub fn code_at(secret: &[u8], unix_time: u64) -> Result<String, GmError> {
    Ok(totp(secret)?.generate(unix_time).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vector_and_skew() {
        // RFC 6238 Appendix B, SHA1, T = 59: 94287082 (8 digits) → 287082 with 6 digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(check(secret, "287082", 59).unwrap(), Some(1));
        assert_eq!(check(secret, "287082", 59 + 30).unwrap(), Some(1), "one step late is accepted");
        assert_eq!(check(secret, "287082", 59 + 90).unwrap(), None, "three steps late is not");
        assert_eq!(check(secret, "000000", 59).unwrap(), None);
        assert_eq!(secret_base32(secret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_ne!(new_secret(), new_secret());
    }
}
