//! Department API keys: `credo_<prefix>_<secret>`, random, shown once; stored as the SM3 hash of the whole key
//! with the prefix as lookup.

use credo_store::{ApiKey, Department, Store};
use rand::Rng;

/// A new key for `department`: returns the full key text (to show once) and the stored record.
pub async fn create(store: &dyn Store, department: &Department) -> credo_store::Result<(String, ApiKey)> {
    let mut rng = rand::rng();
    let prefix: String = hex::encode(rng.random::<[u8; 4]>());
    let secret: String = hex::encode(rng.random::<[u8; 24]>());
    let full = format!("credo_{prefix}_{secret}");
    let key = store.add_api_key(department.id, &prefix, &credo_gm::sm3_hex(full.as_bytes())).await?;
    Ok((full, key))
}

/// The prefix of a presented key, if it has the right shape.
pub fn prefix_of(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix("credo_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 8 && !secret.is_empty()).then_some(prefix)
}

/// Checks a presented key against the stored hash (constant-time comparison of the hex digests).
pub fn matches(presented: &str, key: &ApiKey) -> bool {
    let h = credo_gm::sm3_hex(presented.as_bytes());
    h.len() == key.hash.len() && h.bytes().zip(key.hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
