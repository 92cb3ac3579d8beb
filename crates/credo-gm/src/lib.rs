//! # credo-gm
//!
//! National cryptographic algorithms (国密) for Credo: SM3 (GB/T 32905) hashes and HMAC-SM3 blind indexes,
//! SM2 (GB/T 32918) signatures interoperable with `openssl`, and SM4-GCM (GB/T 32907) field encryption with
//! rotating key ids, keyed (HMAC-SM3) hash chains, argon2id password storage and TOTP second factors. Everything else calls
//! these; nothing else in the platform touches a cipher.
//!
//! ```
//! assert_eq!(
//!     credo_gm::sm3_hex(b"abc"),
//!     "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
//! );
//! ```

pub mod batch;
pub mod chain;
pub mod keyring;
pub mod password;
pub mod sm2;
pub mod sm4;
pub mod totp;

use hmac::{Hmac, KeyInit, Mac};
use sm3::{Digest, Sm3};

/// Why a cryptographic operation failed (deliberately without detail).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GmError {
    #[error("invalid key")]
    Key,
    #[error("invalid signature")]
    Signature,
    #[error("decryption failed")]
    Cipher,
}

/// SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// SM3 digest as lower-case hex.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(sm3(data))
}

/// HMAC-SM3 of `data` under `key`, as lower-case hex.
pub fn hmac_sm3_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sm3> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two secrets (hex digests, tokens) in time that depends only on their length.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_compares_whole_strings() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
    }

    #[test]
    fn gbt_32905_vectors() {
        // GB/T 32905-2016 Appendix A, examples 1 and 2.
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_eq!(sm3_hex(&b"abcd".repeat(16)), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    }

    #[test]
    fn hmac_differs_by_key() {
        assert_ne!(hmac_sm3_hex(b"k1", b"x"), hmac_sm3_hex(b"k2", b"x"));
        assert_eq!(hmac_sm3_hex(b"k1", b"x").len(), 64);
    }
}
