//! Webhook subscriptions and deliveries (see `crate::webhooks`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::Backend;
use crate::sql::parse_time;
use crate::{
    Attempt, Delivery, DeliveryState, NewDelivery, NewWebhook, Result, StoreError, Webhook, WebhookStore, now_text,
    stored_time,
};

const WEBHOOK_COLUMNS: &str =
    "id, department_id, url, items, subjects, checks, followed_to, created_by, created_at, ended_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, key, kind, body, state, attempts, next_at, last_status, last_error, \
     created_at, delivered_at";

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    department_id: i64,
    url: String,
    items: String,
    subjects: String,
    checks: i64,
    followed_to: i64,
    created_by: String,
    created_at: String,
    ended_at: Option<String>,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Webhook> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("webhook {}: {e}", r.id));
        Ok(Webhook {
            id: r.id,
            department_id: r.department_id,
            url: r.url.clone(),
            items: serde_json::from_str(&r.items).map_err(corrupt)?,
            subjects: serde_json::from_str(&r.subjects).map_err(corrupt)?,
            checks: r.checks != 0,
            cursor: r.followed_to,
            created_by: r.created_by.clone(),
            created_at: parse_time(&r.created_at)?,
            ended_at: r.ended_at.as_deref().map(parse_time).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    key: String,
    kind: String,
    body: String,
    state: String,
    attempts: i64,
    next_at: Option<String>,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: String,
    delivered_at: Option<String>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Delivery> {
        Ok(Delivery {
            state: DeliveryState::parse(&r.state)
                .ok_or_else(|| StoreError::Corrupt(format!("delivery {}: state {}", r.id, r.state)))?,
            next_at: r.next_at.as_deref().map(parse_time).transpose()?,
            created_at: parse_time(&r.created_at)?,
            delivered_at: r.delivered_at.as_deref().map(parse_time).transpose()?,
            id: r.id,
            webhook_id: r.webhook_id,
            key: r.key,
            kind: r.kind,
            body: r.body,
            attempts: r.attempts,
            last_status: r.last_status,
            last_error: r.last_error,
        })
    }
}

#[async_trait]
impl WebhookStore for Backend {
    async fn add_webhook(&self, w: &NewWebhook, max_live: i64) -> Result<Option<Webhook>> {
        let secret = self.vault.seal(&w.secret, "webhooks.secret")?;
        let mut tx = super::begin_write(&self.pool).await?;
        // Holds the department (PostgreSQL; SQLite's write transaction holds the database) while counting.
        let lock = format!("SELECT id FROM departments WHERE id = $1{}", super::FOR_UPDATE);
        sqlx::query(sqlx::AssertSqlSafe(lock)).bind(w.department_id).fetch_optional(&mut *tx).await?;
        let live: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE department_id = $1 AND ended_at IS NULL")
                .bind(w.department_id)
                .fetch_one(&mut *tx)
                .await?;
        if live >= max_live {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (department_id, url, items, subjects, checks, secret, followed_to, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(w.department_id)
        .bind(&w.url)
        .bind(serde_json::to_string(&w.items).unwrap_or_default())
        .bind(serde_json::to_string(&w.subjects).unwrap_or_default())
        .bind(i64::from(w.checks))
        .bind(secret)
        .bind(w.cursor)
        .bind(&w.created_by)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    async fn webhooks(&self, department: Option<i64>) -> Result<Vec<Webhook>> {
        let sql =
            format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE ($1 IS NULL OR department_id = $1) ORDER BY id DESC");
        let rows: Vec<WebhookRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(department).fetch_all(&self.pool).await?;
        rows.into_iter().map(Webhook::try_from).collect()
    }

    async fn webhook(&self, id: i64) -> Result<Option<Webhook>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1");
        let row: Option<WebhookRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Webhook::try_from).transpose()
    }

    async fn webhook_secret(&self, id: i64) -> Result<Option<String>> {
        let sealed: Option<String> =
            sqlx::query_scalar("SELECT secret FROM webhooks WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        sealed.map(|s| self.vault.open(s, "webhooks.secret")).transpose()
    }

    async fn end_webhook(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE webhooks SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn enqueue_deliveries(&self, webhook: i64, cursor: Option<i64>, deliveries: &[NewDelivery]) -> Result<usize> {
        let now = now_text();
        let mut tx = super::begin_write(&self.pool).await?;
        let mut added = 0;
        for d in deliveries {
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, key, kind, body, state, attempts, next_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (webhook_id, key) DO NOTHING",
            )
            .bind(webhook)
            .bind(&d.key)
            .bind(&d.kind)
            .bind(&d.body)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            added += done.rows_affected() as usize;
        }
        if let Some(seq) = cursor {
            sqlx::query("UPDATE webhooks SET followed_to = $1 WHERE id = $2 AND followed_to < $1")
                .bind(seq)
                .bind(webhook)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn due_deliveries(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<Delivery>> {
        let columns = DELIVERY_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {columns} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state IN ('pending', 'failed') AND d.next_at <= $1 AND w.ended_at IS NULL \
             ORDER BY d.next_at, d.id LIMIT $2"
        );
        let rows: Vec<DeliveryRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(stored_time(now)).bind(limit).fetch_all(&self.pool).await?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn record_attempts(&self, attempts: &[(i64, Attempt)]) -> Result<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        for (id, a) in attempts {
            let (state, next_at, delivered_at) = match (a.delivered, a.retry_at) {
                (true, _) => ("delivered", None, Some(now_text())),
                (false, Some(t)) => ("failed", Some(stored_time(t)), None),
                (false, None) => ("dead", None, None),
            };
            // A delivery already acknowledged stays so (two senders may have tried it).
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_at = $2, last_status = $3, \
                 last_error = $4, delivered_at = $5 WHERE id = $6 AND state <> 'delivered'",
            )
            .bind(state)
            .bind(next_at)
            .bind(a.status)
            .bind(a.error.as_deref())
            .bind(delivered_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, webhook: i64, state: Option<DeliveryState>, limit: i64) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND ($2 IS NULL OR state = $2) \
             ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(webhook)
            .bind(state.map(DeliveryState::as_str))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        let row: Option<DeliveryRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Delivery::try_from).transpose()
    }

    async fn redeliver(&self, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = $1 \
             WHERE id = $2 AND state IN ('failed', 'dead')",
        )
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delivery_backlog(&self, webhook: Option<i64>) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT state, COUNT(*) FROM webhook_deliveries WHERE state <> 'delivered' \
             AND ($1 IS NULL OR webhook_id = $1) GROUP BY state ORDER BY state",
        )
        .bind(webhook)
        .fetch_all(&self.pool)
        .await?)
    }
}
