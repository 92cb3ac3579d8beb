//! SM4-GCM (GB/T 32907 block cipher in Galois/Counter Mode) for sensitive fields at rest.
//!
//! A sealed value is text: `sm4gcm:<key id>:<hex of 12-byte nonce ‖ ciphertext ‖ 16-byte tag>`. The key id lets
//! keys rotate: new values use the current key, old ones still open with theirs.

use std::collections::BTreeMap;

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use rand::Rng;

use crate::GmError;

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const PREFIX: &str = "sm4gcm";

/// The field keys, by id, and which one seals new values.
pub struct FieldCipher {
    keys: BTreeMap<String, Sm4Gcm>,
    current: String,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldCipher(current = {}, keys = {:?}, secrets redacted)", self.current, self.keys.keys())
    }
}

impl FieldCipher {
    /// `keys`: key id → 16-byte key; `current` seals new values.
    pub fn new(keys: &[(&str, [u8; 16])], current: &str) -> Result<FieldCipher, GmError> {
        let map: BTreeMap<String, Sm4Gcm> = keys
            .iter()
            .map(|(id, k)| Ok((id.to_string(), Sm4Gcm::new_from_slice(k).map_err(|_| GmError::Key)?)))
            .collect::<Result<_, GmError>>()?;
        if !map.contains_key(current) || current.contains(':') {
            return Err(GmError::Key);
        }
        Ok(FieldCipher { keys: map, current: current.to_string() })
    }

    /// Encrypts `plaintext`; `context` (e.g. the table and column) is authenticated, so a value moved elsewhere
    /// does not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, GmError> {
        let key = self.keys.get(&self.current).ok_or(GmError::Key)?;
        let nonce: [u8; 12] = rand::rng().random();
        let ct = key
            .encrypt(&nonce.into(), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| GmError::Cipher)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PREFIX}:{}:{}", self.current, hex::encode(out)))
    }

    /// Decrypts a value made by [`FieldCipher::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, GmError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(PREFIX), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(GmError::Cipher);
        };
        let key = self.keys.get(id).ok_or(GmError::Key)?;
        let bytes = hex::decode(body).map_err(|_| GmError::Cipher)?;
        if bytes.len() < 12 + 16 {
            return Err(GmError::Cipher);
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| GmError::Cipher)?;
        let pt =
            key.decrypt(&nonce.into(), Payload { msg: ct, aad: context.as_bytes() }).map_err(|_| GmError::Cipher)?;
        String::from_utf8(pt).map_err(|_| GmError::Cipher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm4::cipher::BlockCipherEncrypt;

    #[test]
    fn gbt_32907_example() {
        // GB/T 32907-2016 Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
        let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::Array::try_from(key.as_slice()).unwrap();
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn seal_open_rotate_and_tamper() {
        let old = FieldCipher::new(&[("k1", [1; 16])], "k1").unwrap();
        let sealed = old.seal("630102199001011235", "subjects.code").unwrap();
        assert!(sealed.starts_with("sm4gcm:k1:"));
        assert!(!sealed.contains("630102199001011235"));
        assert_ne!(sealed, old.seal("630102199001011235", "subjects.code").unwrap(), "random nonce");
        let rotated = FieldCipher::new(&[("k1", [1; 16]), ("k2", [2; 16])], "k2").unwrap();
        assert_eq!(rotated.open(&sealed, "subjects.code").unwrap(), "630102199001011235");
        assert!(rotated.seal("x", "c").unwrap().starts_with("sm4gcm:k2:"));
        assert!(rotated.open(&sealed, "other.column").is_err(), "context is authenticated");
        let mut bad = sealed.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        assert!(rotated.open(&bad, "subjects.code").is_err());
        assert!(FieldCipher::new(&[("k1", [1; 16])], "k9").is_err());
        assert!(!format!("{rotated:?}").contains("[2"), "no key bytes in Debug");
    }
}
