//! City → province federation state (see `crate::federation`).

use async_trait::async_trait;

use super::Backend;
use crate::{FederationStore, Result, now_text};

#[async_trait]
impl FederationStore for Backend {
    async fn federation_cursor(&self, city: &str) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM federation_cursors WHERE city = $1")
            .bind(city)
            .fetch_optional(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    async fn advance_federation(&self, city: &str, seq: i64, links: &[(i64, i64)]) -> Result<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        for (remote, record) in links {
            sqlx::query(
                "INSERT INTO federated_records (city, remote_id, record_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (city, remote_id) DO UPDATE SET record_id = excluded.record_id",
            )
            .bind(city)
            .bind(remote)
            .bind(record)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO federation_cursors (city, seq, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (city) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
        )
        .bind(city)
        .bind(seq)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn federated_record(&self, city: &str, remote_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT record_id FROM federated_records WHERE city = $1 AND remote_id = $2")
            .bind(city)
            .bind(remote_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn federated_origin(&self, record_id: i64) -> Result<Option<(String, i64)>> {
        Ok(sqlx::query_as("SELECT city, remote_id FROM federated_records WHERE record_id = $1 LIMIT 1")
            .bind(record_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
