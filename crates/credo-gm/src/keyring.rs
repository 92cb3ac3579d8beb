//! The platform's key material in one file: SM4 field keys by id (the current one seals new values), the HMAC-SM3
//! blind-index key, the HMAC-SM3 audit chain key and the SM2 signing key. Created on first use with owner-only
//! permissions; a key that a keyring written by an older version lacks is generated and saved when it is loaded;
//! rotating adds a new SM4 key and keeps the old ones so existing values still open.

use std::collections::BTreeMap;
use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::GmError;
use crate::sm2::KeyPair;
use crate::sm4::FieldCipher;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("密钥文件 {path} 无法读写:{source}")]
    Io { path: String, source: std::io::Error },
    #[error("密钥文件 {path} 格式不正确:{message}")]
    Format { path: String, message: String },
}

/// Hex-encoded key material, as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct Keyring {
    /// SM4 field keys: key id → 16 bytes (hex).
    pub sm4: BTreeMap<String, String>,
    /// The key id that seals new values.
    pub current: String,
    /// The HMAC-SM3 key for blind indexes and keyed content digests (32 bytes, hex).
    pub index: String,
    /// The HMAC-SM3 key that links the audit chain (32 bytes, hex): without it the chain cannot be recomputed.
    /// Empty in keyrings written before it existed (then generated on load).
    #[serde(default)]
    pub audit: String,
    /// The first audit event linked with `audit`: events before it were written before the keyring had an audit
    /// key and keep their plain SM3 links. Kept here, out of the database's reach, so that nobody who can write
    /// the database can declare keyed events plain. `None` when the key was just added to an older keyring, until
    /// the platform records the chain's head (see `credo_server::open_store`).
    #[serde(default)]
    pub audit_from: Option<i64>,
    /// The platform's SM2 private key (32 bytes, hex).
    pub sm2: String,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring(current = {}, sm4 = {:?}, secrets redacted)", self.current, self.sm4.keys())
    }
}

fn random_hex<const N: usize>() -> String {
    hex::encode(rand::rng().random::<[u8; N]>())
}

impl Keyring {
    pub fn generate() -> Keyring {
        Keyring {
            sm4: BTreeMap::from([("k1".to_string(), random_hex::<16>())]),
            current: "k1".to_string(),
            index: random_hex::<32>(),
            audit: random_hex::<32>(),
            audit_from: Some(1),
            sm2: hex::encode(KeyPair::generate().secret()),
        }
    }

    /// Reads the keyring at `path`, creating it (and its directory) when missing, and adding (and saving) the audit
    /// chain key when it lacks one (then [`Keyring::audit_from`] is `None` until the caller records it).
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |source| KeyringError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut ring: Keyring = serde_json::from_str(&text)
                    .map_err(|e| KeyringError::Format { path: path.display().to_string(), message: e.to_string() })?;
                let upgrade = ring.audit.is_empty();
                if upgrade {
                    ring.audit = random_hex::<32>();
                    ring.audit_from = None;
                }
                ring.check().map_err(|message| KeyringError::Format { path: path.display().to_string(), message })?;
                if upgrade {
                    ring.save(path)?;
                }
                Ok(ring)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Keyring::generate();
                ring.save(path)?;
                Ok(ring)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Writes the keyring readable by its owner only (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), KeyringError> {
        let io = |source| KeyringError::Io { path: path.display().to_string(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            std::fs::create_dir_all(dir).map_err(io)?;
            #[cfg(unix)]
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).map_err(io)?;
        }
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }

    fn check(&self) -> Result<(), String> {
        self.cipher().map_err(|_| "SM4 密钥无效或当前密钥不存在".to_string())?;
        self.signer().map_err(|_| "SM2 私钥无效".to_string())?;
        if self.index_key().len() < 16 {
            return Err("索引密钥过短".to_string());
        }
        if self.audit_key().len() < 16 {
            return Err("审计链密钥过短".to_string());
        }
        Ok(())
    }

    /// Adds a new SM4 key and makes it current; returns its id.
    pub fn rotate(&mut self) -> String {
        let n = self.sm4.keys().filter_map(|k| k.strip_prefix('k')?.parse::<u32>().ok()).max().unwrap_or(0) + 1;
        let id = format!("k{n}");
        self.sm4.insert(id.clone(), random_hex::<16>());
        self.current = id.clone();
        id
    }

    pub fn cipher(&self) -> Result<FieldCipher, GmError> {
        let keys: Vec<(&str, [u8; 16])> = self
            .sm4
            .iter()
            .map(|(id, k)| {
                let bytes: [u8; 16] = hex::decode(k).ok().and_then(|b| b.try_into().ok()).ok_or(GmError::Key)?;
                Ok((id.as_str(), bytes))
            })
            .collect::<Result<_, GmError>>()?;
        FieldCipher::new(&keys, &self.current)
    }

    pub fn index_key(&self) -> Vec<u8> {
        hex::decode(&self.index).unwrap_or_default()
    }

    /// The key of the audit chain's HMAC-SM3 links.
    pub fn audit_key(&self) -> Vec<u8> {
        hex::decode(&self.audit).unwrap_or_default()
    }

    pub fn signer(&self) -> Result<KeyPair, GmError> {
        KeyPair::from_secret(&hex::decode(&self.sm2).map_err(|_| GmError::Key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reloaded_and_rotation_keeps_old_values_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("keyring.json");
        let a = Keyring::load_or_create(&path).unwrap();
        let sealed = a.cipher().unwrap().seal("630102199001011235", "t").unwrap();
        let mut b = Keyring::load_or_create(&path).unwrap();
        assert_eq!(a.index, b.index);
        assert_eq!(b.rotate(), "k2");
        b.save(&path).unwrap();
        let c = Keyring::load_or_create(&path).unwrap();
        let cipher = c.cipher().unwrap();
        assert_eq!(cipher.open(&sealed, "t").unwrap(), "630102199001011235");
        assert!(cipher.seal("x", "t").unwrap().starts_with("sm4gcm:k2:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn an_older_keyring_gains_an_audit_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        let old = Keyring::generate();
        let mut text: serde_json::Value = serde_json::to_value(&old).unwrap();
        text.as_object_mut().unwrap().remove("audit");
        text.as_object_mut().unwrap().remove("audit_from");
        std::fs::write(&path, text.to_string()).unwrap();
        let a = Keyring::load_or_create(&path).unwrap();
        assert_eq!(a.audit_key().len(), 32);
        assert_eq!(a.audit_from, None, "the store records where keyed links start");
        assert_eq!((a.index.as_str(), a.sm2.as_str()), (old.index.as_str(), old.sm2.as_str()), "other keys kept");
        let b = Keyring::load_or_create(&path).unwrap();
        assert_eq!(a.audit, b.audit, "the added key was saved");
        assert_ne!(Keyring::generate().audit, b.audit);
        assert_eq!(Keyring::generate().audit_from, Some(1), "a new keyring links the chain from its first event");
    }

    #[test]
    fn a_damaged_keyring_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        let mut ring = Keyring::generate();
        ring.current = "k9".into();
        ring.save(&path).unwrap();
        assert!(matches!(Keyring::load_or_create(&path), Err(KeyringError::Format { .. })));
    }
}
