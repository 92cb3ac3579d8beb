//! The change feed and counts.

use async_trait::async_trait;

use super::Backend;
use crate::{
    Change, Counts, Feed, FeedConsumer, IndexSnapshot, MAX_INDEX_CHUNK, Result, StoreError, Unacknowledged, now_text,
};

#[derive(sqlx::FromRow)]
struct ChangeRow {
    seq: i64,
    entity: String,
    entity_id: i64,
    version: Option<i64>,
    at: String,
    /// JSON.
    detail: Option<String>,
}

impl TryFrom<ChangeRow> for Change {
    type Error = StoreError;

    fn try_from(r: ChangeRow) -> Result<Change> {
        Ok(Change {
            seq: r.seq,
            entity: r.entity,
            entity_id: r.entity_id,
            version: r.version,
            at: r.at,
            detail: r
                .detail
                .map(|d| serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(format!("change detail: {e}"))))
                .transpose()?,
        })
    }
}

#[async_trait]
impl Feed for Backend {
    async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        sqlx::query_as::<_, ChangeRow>(
            "SELECT seq, entity, entity_id, version, at, detail FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Change::try_from)
        .collect()
    }

    async fn last_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
            .fetch_one(&self.pool)
            .await?
            .unwrap_or(0))
    }

    async fn access_changed_after(&self, seq: i64) -> Result<(i64, bool)> {
        let last = self.last_seq().await?;
        if last <= seq {
            return Ok((last, false));
        }
        let changed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM changes WHERE seq > $1 AND seq <= $2 AND entity IN ('department', 'api_key'))",
        )
        .bind(seq)
        .bind(last)
        .fetch_one(&self.pool)
        .await?;
        Ok((last, changed))
    }

    async fn lead_jobs(&self) -> Result<bool> {
        super::lead_jobs(self).await
    }

    async fn acknowledge_feed(
        &self,
        department: i64,
        seq: i64,
        now: time::OffsetDateTime,
        late_before: time::OffsetDateTime,
    ) -> Result<()> {
        let (now, late_before) = (crate::stored_time(now), crate::stored_time(late_before));
        let mut tx = super::begin_write(&self.pool).await?;
        let acked: Option<i64> = sqlx::query_scalar("SELECT acked_seq FROM feed_consumers WHERE department_id = $1")
            .bind(department)
            .fetch_optional(&mut *tx)
            .await?;
        let from = acked.unwrap_or(0);
        let late: i64 = if seq > from {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM changes WHERE seq > $1 AND seq <= $2 AND entity IN ('record', 'expiry') AND at < $3",
            )
            .bind(from)
            .bind(seq)
            .bind(&late_before)
            .fetch_one(&mut *tx)
            .await?
        } else {
            0
        };
        let moved = seq > from;
        sqlx::query(
            "INSERT INTO feed_consumers (department_id, acked_seq, acked_at, read_at, late) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (department_id) DO UPDATE SET read_at = excluded.read_at, \
             acked_seq = CASE WHEN excluded.acked_seq > feed_consumers.acked_seq THEN excluded.acked_seq ELSE feed_consumers.acked_seq END, \
             acked_at = CASE WHEN excluded.acked_seq > feed_consumers.acked_seq THEN excluded.acked_at ELSE feed_consumers.acked_at END, \
             late = feed_consumers.late + excluded.late",
        )
        .bind(department)
        .bind(seq.max(from))
        .bind(moved.then_some(now.as_str()))
        .bind(&now)
        .bind(late)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn feed_consumers(&self) -> Result<Vec<FeedConsumer>> {
        let rows: Vec<(i64, i64, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT department_id, acked_seq, acked_at, read_at, late FROM feed_consumers ORDER BY department_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(department_id, acked_seq, acked_at, read_at, late)| FeedConsumer {
                department_id,
                acked_seq,
                acked_at,
                read_at,
                late,
            })
            .collect())
    }

    async fn unacknowledged(&self, seq: i64, late_before: time::OffsetDateTime) -> Result<Unacknowledged> {
        let late_before = crate::stored_time(late_before);
        let (count, oldest, overdue): (i64, Option<String>, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(at), SUM(CASE WHEN at < $2 THEN 1 ELSE 0 END) FROM changes \
             WHERE seq > $1 AND entity IN ('record', 'expiry')",
        )
        .bind(seq)
        .bind(&late_before)
        .fetch_one(&self.pool)
        .await?;
        Ok(Unacknowledged { count, oldest, overdue: overdue.unwrap_or(0) })
    }

    async fn counts(&self) -> Result<Counts> {
        let (subjects, records, unresolved, departments, batches, checks): (i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM subjects) AS s, (SELECT COUNT(*) FROM records) AS r,
                    (SELECT COUNT(*) FROM records WHERE subject_id IS NULL) AS u, (SELECT COUNT(*) FROM departments) AS d,
                    (SELECT COUNT(*) FROM batches) AS b, (SELECT COUNT(*) FROM checks) AS c",
            )
            .fetch_one(&self.pool)
            .await?;
        Ok(Counts { subjects, records, unresolved, departments, batches, checks })
    }

    async fn put_index_chunk(&self, generation: i64, no: i64, data: &[u8]) -> Result<()> {
        if data.len() > MAX_INDEX_CHUNK {
            return Err(StoreError::Conflict(format!("快照块 {} 字节,超过上限 {MAX_INDEX_CHUNK}", data.len())));
        }
        sqlx::query("INSERT INTO index_snapshot_chunks (generation, no, data, created_at) VALUES ($1, $2, $3, $4)")
            .bind(generation)
            .bind(no)
            .bind(data)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn commit_index_snapshot(&self, kind: &str, s: &IndexSnapshot) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM index_snapshot_chunks WHERE generation = $1")
            .bind(s.generation)
            .fetch_one(&mut *tx)
            .await?;
        if stored != s.chunks {
            return Err(StoreError::Conflict(format!("快照 {} 只有 {stored} 块,应为 {}", s.generation, s.chunks)));
        }
        // The snapshot this one replaces (its row locked on PostgreSQL, so that two commits at once are one after
        // the other): its chunks go, with those of writers that stopped before committing, but not those another
        // node is writing now.
        let replaced: Option<i64> =
            // A constant of the backend is all that is added to the statement.
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT generation FROM index_snapshots WHERE kind = $1{}",
                super::FOR_UPDATE
            )))
                .bind(kind)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO index_snapshots (kind, generation, fingerprint, seq, chunks, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kind) DO UPDATE SET generation = excluded.generation, fingerprint = excluded.fingerprint,
                 seq = excluded.seq, chunks = excluded.chunks, created_at = excluded.created_at",
        )
        .bind(kind)
        .bind(s.generation)
        .bind(&s.fingerprint)
        .bind(s.seq)
        .bind(s.chunks)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let abandoned = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "DELETE FROM index_snapshot_chunks WHERE generation <> $1
               AND (generation = $2 OR ((created_at IS NULL OR created_at < $3)
                    AND generation NOT IN (SELECT generation FROM index_snapshots)))",
        )
        .bind(s.generation)
        .bind(replaced.unwrap_or(s.generation))
        .bind(abandoned)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn index_snapshot(&self, kind: &str) -> Result<Option<IndexSnapshot>> {
        let row: Option<(i64, String, i64, i64)> =
            sqlx::query_as("SELECT generation, fingerprint, seq, chunks FROM index_snapshots WHERE kind = $1")
                .bind(kind)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(generation, fingerprint, seq, chunks)| IndexSnapshot { generation, fingerprint, seq, chunks }))
    }

    async fn drop_index_snapshot(&self, kind: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let generation: Option<i64> =
            sqlx::query_scalar("DELETE FROM index_snapshots WHERE kind = $1 RETURNING generation")
                .bind(kind)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(g) = generation {
            sqlx::query("DELETE FROM index_snapshot_chunks WHERE generation = $1").bind(g).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(generation.is_some())
    }

    async fn index_chunk(&self, generation: i64, no: i64) -> Result<Option<Vec<u8>>> {
        // A chunk over the limit (written by something else than a node) is not read into memory at all.
        Ok(sqlx::query_scalar(
            "SELECT data FROM index_snapshot_chunks WHERE generation = $1 AND no = $2 AND length(data) <= $3",
        )
        .bind(generation)
        .bind(no)
        .bind(MAX_INDEX_CHUNK as i64)
        .fetch_optional(&self.pool)
        .await?)
    }
}
