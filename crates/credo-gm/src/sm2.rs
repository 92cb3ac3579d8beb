//! SM2 signatures (GB/T 32918) with SM3 and the default distinguishing identifier `1234567812345678`, the
//! combination `openssl` uses, so that platform signatures verify with standard tools and vice versa.

use rand::Rng;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};

use crate::GmError;

/// The default SM2 distinguishing identifier (GB/T 35276), also OpenSSL's default.
pub const DEFAULT_ID: &str = "1234567812345678";

/// An SM2 key pair for platform signatures.
pub struct KeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(SM2, secret redacted)")
    }
}

impl KeyPair {
    /// A new random key pair (from the operating system's random source).
    pub fn generate() -> KeyPair {
        let mut rng = rand::rng();
        loop {
            let bytes: [u8; 32] = rng.random();
            // A scalar of zero or at least the group order is refused; try again (probability ~2^-32).
            if let Ok(signing) = SigningKey::from_slice(DEFAULT_ID, &bytes) {
                return KeyPair { signing };
            }
        }
    }

    /// The key pair from its 32-byte secret scalar.
    pub fn from_secret(bytes: &[u8]) -> Result<KeyPair, GmError> {
        Ok(KeyPair { signing: SigningKey::from_slice(DEFAULT_ID, bytes).map_err(|_| GmError::Key)? })
    }

    /// The 32-byte secret scalar (to be stored encrypted or in a key store).
    pub fn secret(&self) -> [u8; 32] {
        self.signing.to_bytes().into()
    }

    /// The public key as PEM (SubjectPublicKeyInfo), readable by `openssl`.
    pub fn public_key_pem(&self) -> Result<String, GmError> {
        self.signing.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|_| GmError::Key)
    }

    /// Signs `message` (SM3 with the default ID); the signature in DER, as `openssl pkeyutl` writes it.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = self.signing.sign(message);
        sig.to_der().to_bytes().to_vec()
    }
}

/// Verifies a DER signature of `message` under a PEM public key (SM3, default ID).
pub fn verify(public_key_pem: &str, message: &[u8], der_signature: &[u8]) -> Result<(), GmError> {
    let public = sm2::PublicKey::from_public_key_pem(public_key_pem).map_err(|_| GmError::Key)?;
    let key = VerifyingKey::new(DEFAULT_ID, public).map_err(|_| GmError::Key)?;
    let sig = Signature::from_der(der_signature).map_err(|_| GmError::Signature)?;
    key.verify(message, &sig).map_err(|_| GmError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_round_trip_and_tampering() {
        let k = KeyPair::generate();
        let pem = k.public_key_pem().unwrap();
        let sig = k.sign("信用西宁".as_bytes());
        assert!(verify(&pem, "信用西宁".as_bytes(), &sig).is_ok());
        assert!(verify(&pem, "信用西寧".as_bytes(), &sig).is_err());
        let again = KeyPair::from_secret(&k.secret()).unwrap();
        assert_eq!(again.public_key_pem().unwrap(), pem);
        let other = KeyPair::generate().public_key_pem().unwrap();
        assert!(verify(&other, "信用西宁".as_bytes(), &sig).is_err());
        assert!(format!("{k:?}").contains("redacted"));
    }

    #[test]
    fn gmt_0003_5_example_signature_verifies() {
        // GM/T 0003.5-2012 (GB/T 32918.5) Annex A: the recommended curve, ID 1234567812345678, "message digest".
        let k = KeyPair::from_secret(
            &hex::decode("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8").unwrap(),
        )
        .unwrap();
        let r = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3";
        let s = "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa";
        let der = hex::decode(format!("3046022100{r}022100{s}")).unwrap();
        let pem = k.public_key_pem().unwrap();
        assert!(verify(&pem, b"message digest", &der).is_ok());
        assert!(verify(&pem, b"message digesT", &der).is_err());
    }
}
