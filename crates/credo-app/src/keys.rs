//! Department API keys: `credo_<prefix>_<secret>`, random, shown once; stored as the SM3 hash of the whole key
//! with the prefix as lookup.

use credo_store::{ApiKey, Department, NewApiKey, Store};
use rand::Rng;
use time::OffsetDateTime;

/// What a key may be allowed to do.
pub const SCOPES: [(&str, &str); 2] = [("submit", "报送数据(批次、报告、待匹配记录)"), ("check", "联合奖惩核查")];

/// Parses a comma-separated scope list (`submit,check`).
pub fn parse_scopes(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in text.split([',', ',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        if !SCOPES.iter().any(|(code, _)| *code == s) {
            let known: Vec<&str> = SCOPES.iter().map(|(c, _)| *c).collect();
            return Err(format!("未知的密钥权限“{s}”,可选:{}", known.join("、")));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.is_empty() {
        return Err("密钥至少需要一项权限".into());
    }
    Ok(out)
}

/// When a key made now for `days` days expires (1 day to 3 years).
pub fn expiry(days: i64) -> Result<OffsetDateTime, String> {
    if !(1..=1095).contains(&days) {
        return Err(format!("密钥有效期须为 1–1095 天(收到 {days})"));
    }
    Ok(OffsetDateTime::now_utc() + time::Duration::days(days))
}

/// A new key for `department` with `scopes`, valid until `expires_at`: returns the full key text (to show once)
/// and the stored record.
pub async fn create(
    store: &dyn Store,
    department: &Department,
    scopes: Vec<String>,
    expires_at: Option<OffsetDateTime>,
    created_by: &str,
) -> credo_store::Result<(String, ApiKey)> {
    create_with(store, department, scopes, expires_at, created_by, Terms::default()).await
}

/// What a key is for and how much it may be used: a credit service agency's key states its purpose (用途) and a
/// daily quota of calls (每日调用上限, counted where keys are accepted).
#[derive(Debug, Clone, Default)]
pub struct Terms {
    pub purpose: Option<String>,
    pub daily_quota: Option<i64>,
}

/// Checks a key's terms: a purpose of at most 100 characters (blank: none), a quota of 1 to 1,000,000 calls a day.
pub fn terms(t: Terms) -> Result<Terms, String> {
    let purpose = t.purpose.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
    if purpose.as_ref().is_some_and(|p| p.chars().count() > 100) {
        return Err("密钥用途不能超过 100 字".into());
    }
    if t.daily_quota.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
        return Err("每日调用上限须为 1–1000000 次".into());
    }
    Ok(Terms { purpose, daily_quota: t.daily_quota })
}

/// [`create`] with a purpose and a quota.
#[tracing::instrument(level = "info", skip_all, fields(department = department.id))]
pub async fn create_with(
    store: &dyn Store,
    department: &Department,
    scopes: Vec<String>,
    expires_at: Option<OffsetDateTime>,
    created_by: &str,
    terms: Terms,
) -> credo_store::Result<(String, ApiKey)> {
    let prefix: String = hex::encode(rand::rng().random::<[u8; 4]>());
    let secret: String = hex::encode(rand::rng().random::<[u8; 24]>());
    let full = format!("credo_{prefix}_{secret}");
    let key = store
        .add_api_key(NewApiKey {
            department_id: department.id,
            prefix,
            hash: credo_gm::sm3_hex(full.as_bytes()),
            scopes,
            expires_at,
            created_by: created_by.to_string(),
            purpose: terms.purpose,
            daily_quota: terms.daily_quota,
        })
        .await?;
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
    credo_gm::ct_eq(&h, &key.hash)
}
