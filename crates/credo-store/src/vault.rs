//! Encryption at rest (SM4-GCM) and blind indexes (HMAC-SM3) for what the store keeps about people.
//!
//! The store seals, on the way in, every value of a sensitive field (the catalog's 证件号码 fields) and every
//! free-text value that contains an ID number, the unmapped
//! cells kept with a version, and a person's own ID number; it opens them on the way out, so callers see plain
//! values and the database file never holds them. A person's ID number is found through its blind index
//! (`bi` + HMAC-SM3), never through the number itself. Content hashes are keyed too, so a hash cannot be used
//! to test guesses of an ID number.
//!
//! The vault also holds the key that links the audit chain (HMAC-SM3), so the store can append to it.

use std::collections::{BTreeMap, HashSet};

use credo_domain::catalog::SubjectRef;
use credo_domain::masking::contains_id_number;
use credo_gm::keyring::Keyring;
use credo_gm::sm4::FieldCipher;

use crate::{Result, StoreError, json};

const SEALED: &str = "sm4gcm:";
const BLIND: &str = "bi";

pub struct Vault {
    cipher: FieldCipher,
    index_key: Vec<u8>,
    audit_key: Vec<u8>,
    sensitive: HashSet<String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({:?}, sensitive fields = {:?})", self.cipher, self.sensitive)
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("无法解密 {what}(密钥缺失或数据被改动)"))
}

impl Vault {
    /// `sensitive`: the field codes whose values are sealed (the catalog's ID-number fields).
    pub fn new(ring: &Keyring, sensitive: impl IntoIterator<Item = String>) -> Result<Vault> {
        Ok(Vault {
            cipher: ring.cipher().map_err(|e| StoreError::Corrupt(format!("密钥:{e}")))?,
            index_key: ring.index_key(),
            audit_key: ring.audit_key(),
            sensitive: sensitive.into_iter().collect(),
        })
    }

    /// The blind index of a personal code.
    pub fn blind(&self, code: &str) -> String {
        format!("{BLIND}{}", credo_gm::hmac_sm3_hex(&self.index_key, code.as_bytes()))
    }

    /// A keyed digest of stored content (for change detection).
    pub fn digest(&self, data: &[u8]) -> String {
        credo_gm::hmac_sm3_hex(&self.index_key, data)
    }

    /// The hash of an audit event with `content` that follows the event with hash `prev` (keyed: see
    /// [`credo_gm::chain`]).
    pub fn audit_link(&self, prev: &str, content: &[u8]) -> String {
        credo_gm::chain::link(&self.audit_key, prev, content)
    }

    /// A key for `purpose` (e.g. the challenges of the case forms) derived from the keyring, so that every node
    /// holding the keyring has the same one and nothing outside it can compute it.
    pub fn derived_key(&self, purpose: &str) -> Vec<u8> {
        // The leading NUL keeps these inputs apart from everything else the index key is used on (codes for blind
        // indexes, field JSON for digests: neither ever starts with one).
        let hex = credo_gm::hmac_sm3_hex(&self.index_key, format!("\0credo-derived-key\0{purpose}").as_bytes());
        hex.into_bytes()
    }

    /// The audit chain's key, for verifying the chain.
    pub fn audit_key(&self) -> &[u8] {
        &self.audit_key
    }

    /// Whether a code as stored in `subject_codes` is a blind index.
    pub fn is_blind(code: &str) -> bool {
        code.len() == BLIND.len() + 64 && code.starts_with(BLIND)
    }

    /// Seals `text` (SM4-GCM, bound to `context`: it opens only with the same one).
    pub fn seal(&self, text: &str, context: &str) -> Result<String> {
        self.cipher.seal(text, context).map_err(|_| StoreError::Corrupt("SM4 加密失败".into()))
    }

    /// Opens what [`Vault::seal`] sealed with the same `context` (text that is not sealed comes back as it is).
    pub fn open(&self, text: String, context: &str) -> Result<String> {
        if !text.starts_with(SEALED) {
            return Ok(text);
        }
        self.cipher.open(&text, context).map_err(|_| corrupt(context))
    }

    /// Whether a field's value is personal: a sensitive field, or text with an ID number written in it (in any
    /// form [`credo_domain::masking`] knows: 15 or 18 digits, full-width, in groups, glued to other text).
    pub fn personal_value(&self, field: &str, value: &str) -> bool {
        !value.is_empty() && (self.sensitive.contains(field) || contains_id_number(value))
    }

    /// Whether a stored value is sealed.
    pub(crate) fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED)
    }

    /// Fields stored before ID numbers were recognised in every form, with the values that hold one sealed now;
    /// `None` when nothing changes. Values already sealed stay as they are.
    pub(crate) fn reseal_fields(&self, fields: &BTreeMap<String, String>) -> Result<Option<BTreeMap<String, String>>> {
        let plain_personal = |k: &str, v: &str| !Vault::is_sealed(v) && self.personal_value(k, v);
        if !fields.iter().any(|(k, v)| plain_personal(k, v)) {
            return Ok(None);
        }
        let sealed = fields
            .iter()
            .map(|(k, v)| Ok((k.clone(), if plain_personal(k, v) { self.seal(v, k)? } else { v.clone() })))
            .collect::<Result<_>>()?;
        Ok(Some(sealed))
    }

    /// Free text as a column shows it (a subject's name): sealed under `context` when an ID number is written in it.
    pub(crate) fn stored_text(&self, text: &str, context: &str) -> Result<String> {
        if contains_id_number(text) { self.seal(text, context) } else { Ok(text.to_string()) }
    }

    /// Text as a column that is matched exactly keys it (a normalised name, a natural key, a legacy code): its blind
    /// index when an ID number is written in it, so equal texts still meet and the number is not stored.
    pub(crate) fn lookup_key<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if contains_id_number(text) { self.blind(text).into() } else { text.into() }
    }

    /// The fields as stored: sensitive values sealed (each bound to its field code); `None` when nothing in them is
    /// personal, so the common case stores the fields as they are without copying them.
    pub(crate) fn seal_fields(&self, fields: &BTreeMap<String, String>) -> Result<Option<BTreeMap<String, String>>> {
        if !fields.iter().any(|(k, v)| self.personal_value(k, v)) {
            return Ok(None);
        }
        let sealed = fields
            .iter()
            .map(|(k, v)| Ok((k.clone(), if self.personal_value(k, v) { self.seal(v, k)? } else { v.clone() })))
            .collect::<Result<_>>()?;
        Ok(Some(sealed))
    }

    /// The fields' JSON as stored.
    pub(crate) fn stored_json(&self, fields: &BTreeMap<String, String>, plain: Option<String>) -> Result<String> {
        Ok(match self.seal_fields(fields)? {
            Some(sealed) => json(&sealed),
            None => plain.unwrap_or_else(|| json(fields)),
        })
    }

    /// A version's fields as stored (JSON, some values sealed), opened.
    pub(crate) fn open_stored(&self, stored: &str) -> Result<BTreeMap<String, String>> {
        let mut fields: BTreeMap<String, String> =
            serde_json::from_str(stored).map_err(|e| crate::StoreError::Corrupt(format!("record fields: {e}")))?;
        self.open_fields(&mut fields)?;
        Ok(fields)
    }

    pub(crate) fn open_fields(&self, fields: &mut BTreeMap<String, String>) -> Result<()> {
        for (k, v) in fields.iter_mut() {
            if v.starts_with(SEALED) {
                *v = self.open(std::mem::take(v), k)?;
            }
        }
        Ok(())
    }

    /// The subject's primary code as `subject_codes` keys it (a person's: its blind index) and as `subjects.code`
    /// stores it (a person's: sealed).
    pub(crate) fn subject_code(&self, s: &SubjectRef) -> Result<Option<(String, String)>> {
        let Some(code) = s.primary_code() else { return Ok(None) };
        if personal(s) {
            Ok(Some((self.blind(code), self.seal(code, "subjects.code")?)))
        } else {
            Ok(Some((code.to_string(), code.to_string())))
        }
    }

    /// The keys under which `code` may be stored: itself, and its blind index (it may be a person's).
    pub(crate) fn lookup_keys(&self, code: &str) -> [String; 2] {
        [code.to_string(), self.blind(code)]
    }
}

/// A person's identity document number is personal data; a USCC (also an individual business's) is not.
fn personal(s: &SubjectRef) -> bool {
    s.uscc.is_none() && (s.ric.is_some() || s.other_id.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_fields_open_and_blind_indexes_are_keyed() {
        let ring = Keyring::generate();
        let v = Vault::new(&ring, ["ZJHM".to_string()]).unwrap();
        let fields =
            BTreeMap::from([("ZJHM".to_string(), "630102199001011235".to_string()), ("MC".into(), "张三".into())]);
        let mut sealed = v.seal_fields(&fields).unwrap().unwrap();
        assert!(sealed["ZJHM"].starts_with(SEALED));
        assert_eq!(sealed["MC"], "张三");
        v.open_fields(&mut sealed).unwrap();
        assert_eq!(sealed, fields);
        let public = BTreeMap::from([("MC".to_string(), "张三".to_string())]);
        assert!(v.seal_fields(&public).unwrap().is_none(), "nothing personal: stored as is");
        let other = Vault::new(&Keyring::generate(), []).unwrap();
        assert_ne!(v.blind("630102199001011235"), other.blind("630102199001011235"));
        assert!(Vault::is_blind(&v.blind("x")));
        // A sealed value moved to another field does not open.
        let moved = BTreeMap::from([("MC".to_string(), v.seal("x", "ZJHM").unwrap())]);
        assert!(v.open_fields(&mut moved.clone()).is_err());
    }

    #[test]
    fn text_with_an_id_number_in_any_form_is_sealed_and_keyed_blind() {
        let v = Vault::new(&Keyring::generate(), []).unwrap();
        for name in [
            "张三630102199001011235",
            "张三６３０１０２１９９００１０１１２３５",
            "张三 6301 0219 9001 0112 35",
            "李四630102900101123",
        ] {
            let fields = BTreeMap::from([("MC".to_string(), name.to_string())]);
            assert!(v.seal_fields(&fields).unwrap().unwrap()["MC"].starts_with(SEALED), "{name}");
            let stored = v.stored_text(name, "subjects.name").unwrap();
            assert!(stored.starts_with(SEALED), "{name}");
            assert_eq!(v.open(stored, "subjects.name").unwrap(), name);
            assert_eq!(v.lookup_key(name), v.blind(name), "{name}");
        }
        // A name without one, or with a company's USCC, is stored and keyed as it is.
        for name in ["西宁市城东区鑫源商贸有限公司", "鑫源商贸(91630100MA7X00018G)"] {
            assert_eq!(v.stored_text(name, "subjects.name").unwrap(), name);
            assert_eq!(v.lookup_key(name), name);
        }
    }
}
