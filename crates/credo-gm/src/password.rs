//! Password storage: argon2id (RFC 9106) in PHC string form, with a random salt per password. Verification is
//! constant-time inside argon2. (Passwords are the one place a non-国密 algorithm is used: the national standards
//! offer no memory-hard password hash, and 等保 asks for a strong one-way function.)

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::GmError;

/// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password`.
pub fn hash(password: &str) -> Result<String, GmError> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|_| GmError::Key)
}

/// Whether `password` matches a PHC string made by [`hash`].
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_salt() {
        let a = hash("Xining#2026credit").unwrap();
        let b = hash("Xining#2026credit").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "random salt");
        assert!(verify("Xining#2026credit", &a));
        assert!(!verify("Xining#2026credis", &a));
        assert!(!verify("Xining#2026credit", "not a hash"));
    }
}
