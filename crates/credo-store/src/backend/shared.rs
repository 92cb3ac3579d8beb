//! [`crate::SharedStore`]: one table, `shared_state (scope, key) → value, expires_at`.

use async_trait::async_trait;

use super::Backend;
use crate::{Result, SharedStore, StoreError};

/// How often a count retries when other nodes counted the same key at the same moment.
const RETRIES: usize = 32;

#[async_trait]
impl SharedStore for Backend {
    async fn use_once(&self, scope: &str, key: &str, expires_at: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO shared_state (scope, key, value, expires_at) VALUES ($1, $2, '', $3) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_shared(&self, scope: &str, key: &str, value: &str, now: i64, expires_at: i64, max: u64) -> Result<()> {
        sqlx::query("DELETE FROM shared_state WHERE scope = $1 AND expires_at < $2")
            .bind(scope)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shared_state WHERE scope = $1")
            .bind(scope)
            .fetch_one(&self.pool)
            .await?;
        if held as u64 >= max {
            sqlx::query(
                "DELETE FROM shared_state WHERE scope = $1 AND key IN \
                 (SELECT key FROM shared_state WHERE scope = $1 ORDER BY expires_at, key LIMIT $2)",
            )
            .bind(scope)
            .bind(held - max as i64 + 1)
            .execute(&self.pool)
            .await?;
        }
        let sealed = self.vault.seal(value, &format!("shared_state.{scope}.{key}"))?;
        let done = sqlx::query(
            "INSERT INTO shared_state (scope, key, value, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(sealed)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("{scope} {key} 已存在")));
        }
        Ok(())
    }

    async fn take_shared(&self, scope: &str, key: &str, now: i64) -> Result<Option<String>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM shared_state WHERE scope = $1 AND key = $2 RETURNING value, expires_at")
                .bind(scope)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((value, expires_at)) if expires_at >= now => {
                Ok(Some(self.vault.open(value, &format!("shared_state.{scope}.{key}"))?))
            }
            _ => Ok(None),
        }
    }

    async fn count_within(&self, scope: &str, key: &str, now: i64, window: i64, limit: u32) -> Result<bool> {
        // Compare and swap: the times counted (a text of unix seconds) are replaced only if no other node replaced
        // them since they were read; a lost race reads again.
        for _ in 0..RETRIES {
            let old: Option<String> =
                sqlx::query_scalar("SELECT value FROM shared_state WHERE scope = $1 AND key = $2")
                    .bind(scope)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
            let mut times: Vec<i64> = old
                .as_deref()
                .unwrap_or_default()
                .split(' ')
                .filter_map(|t| t.parse().ok())
                .filter(|t| *t > now - window)
                .collect();
            if times.len() >= limit as usize {
                return Ok(false);
            }
            times.push(now);
            let new = times.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
            let expires_at = now + window;
            let done = match &old {
                None => sqlx::query(
                    "INSERT INTO shared_state (scope, key, value, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(scope)
                .bind(key)
                .bind(&new)
                .bind(expires_at),
                Some(old) => sqlx::query(
                    "UPDATE shared_state SET value = $3, expires_at = $4 WHERE scope = $1 AND key = $2 AND value = $5",
                )
                .bind(scope)
                .bind(key)
                .bind(&new)
                .bind(expires_at)
                .bind(old),
            }
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                return Ok(true);
            }
        }
        Err(StoreError::Conflict(format!("{scope} 计数争用过多,请稍后再试")))
    }

    async fn purge_shared(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM shared_state WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
