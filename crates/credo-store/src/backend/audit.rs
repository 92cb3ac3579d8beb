//! The audit chain and its checkpoints.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Transaction};

use super::{Backend, Db};
use crate::sql::rows_per_insert;
use crate::{AuditEvent, AuditFilter, AuditStore, Checkpoint, Result, StoredAuditEvent, Vault, now_text};

impl Backend {
    /// Events chosen by `clause`, whose parameters are `key` ($1, of the column's type) and the limit ($2).
    async fn audit_where<K>(&self, clause: &str, key: K, limit: i64) -> Result<Vec<StoredAuditEvent>>
    where
        K: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send,
    {
        let sql = format!("SELECT * FROM audit_events WHERE {clause}");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key).bind(limit).fetch_all(&self.pool).await?)
    }
}

/// Appends events to the chain inside `tx` (taking the head row's lock first), linked under the vault's audit key.
pub(super) async fn append_audit_tx(tx: &mut Transaction<'_, Db>, vault: &Vault, events: &[AuditEvent]) -> Result<i64> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut **tx).await?;
    let (mut seq, mut prev): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut **tx).await?;
    let at = now_text();
    for chunk in events.chunks(rows_per_insert(12)) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            seq += 1;
            let hash = vault.audit_link(&prev, &StoredAuditEvent::content(seq, &at, e));
            rows.push((seq, e, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO audit_events (seq, at, actor, role, department, action, target, purpose, result, client, prev_hash, hash) ",
        );
        q.push_values(&rows, |mut b, (seq, e, prev, hash)| {
            b.push_bind(*seq)
                .push_bind(at.as_str())
                .push_bind(e.actor.as_str())
                .push_bind(e.role.as_str())
                .push_bind(e.department.as_deref())
                .push_bind(e.action.as_str())
                .push_bind(e.target.as_deref())
                .push_bind(e.purpose.as_deref())
                .push_bind(e.result.as_str())
                .push_bind(e.client.as_deref())
                .push_bind(prev.as_str())
                .push_bind(hash.as_str());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

#[async_trait]
impl AuditStore for Backend {
    async fn append_audit(&self, event: &AuditEvent) -> Result<i64> {
        self.append_audit_many(std::slice::from_ref(event)).await
    }

    async fn append_audit_many(&self, events: &[AuditEvent]) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let seq = append_audit_tx(&mut tx, &self.vault, events).await?;
        tx.commit().await?;
        Ok(seq)
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        Ok(sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?)
    }

    async fn audit_base(&self) -> Result<(i64, String)> {
        Ok(sqlx::query_as("SELECT base_seq, base_hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?)
    }

    async fn archive_audit(&self, seq: i64, hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET base_seq = $1, base_hash = $2 WHERE id = 1 AND base_seq < $3")
            .bind(seq)
            .bind(hash)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM audit_events WHERE seq <= $1").bind(seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, signature, public_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(c.seq)
        .bind(&c.hash)
        .bind(&c.at)
        .bind(&c.signature)
        .bind(&c.public_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        Ok(sqlx::query_as("SELECT * FROM audit_checkpoints ORDER BY seq").fetch_all(&self.pool).await?)
    }

    async fn audit_for_target(&self, target: &str, limit: i64) -> Result<Vec<StoredAuditEvent>> {
        self.audit_where("target = $1 ORDER BY seq DESC LIMIT $2", target.to_string(), limit).await
    }

    async fn audit_search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredAuditEvent>> {
        let mut q = QueryBuilder::<Db>::new("SELECT * FROM audit_events WHERE seq < ");
        q.push_bind(before.unwrap_or(i64::MAX));
        for (column, value) in [("actor", &filter.actor), ("target", &filter.target), ("result", &filter.result)] {
            if let Some(v) = value {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
            }
        }
        if let Some(a) = &filter.action {
            // The action itself or one under it; `.`-separated, so a LIKE on the escaped text is exact.
            let escaped = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            q.push(" AND (action = ").push_bind(a.clone());
            q.push(" OR action LIKE ").push_bind(format!("{escaped}.%")).push(" ESCAPE '\\')");
        }
        if let Some(from) = &filter.from {
            q.push(" AND at >= ").push_bind(from.clone());
        }
        if let Some(to) = &filter.to {
            q.push(" AND at < ").push_bind(to.clone());
        }
        q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
        Ok(q.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<StoredAuditEvent>> {
        self.audit_where("seq > $1 ORDER BY seq LIMIT $2", after, limit).await
    }
}
