//! 诚信建设示范单位 (see `crate::honours`).

use async_trait::async_trait;
use credo_domain::honours::HonourState;
use time::Date;

use super::Backend;
use crate::sql::parse_time;
use crate::{Honour, HonourStore, Result, StoreError, now_text};

const COLUMNS: &str =
    "id, year, subject_id, statement, state, applied_by, notice_until, decided_by, reason, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    year: i64,
    subject_id: i64,
    statement: String,
    state: String,
    applied_by: String,
    notice_until: Option<String>,
    decided_by: Option<String>,
    reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<Row> for Honour {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Honour> {
        let corrupt = |w: &str| StoreError::Corrupt(format!("honour {}: {w}", r.id));
        Ok(Honour {
            state: HonourState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            notice_until: r
                .notice_until
                .as_deref()
                .map(|d| credo_domain::value::parse_date(d).ok_or_else(|| corrupt("notice_until")))
                .transpose()?,
            created_at: parse_time(&r.created_at)?,
            updated_at: parse_time(&r.updated_at)?,
            id: r.id,
            year: r.year,
            subject_id: r.subject_id,
            statement: r.statement,
            applied_by: r.applied_by,
            decided_by: r.decided_by,
            reason: r.reason,
        })
    }
}

#[async_trait]
impl HonourStore for Backend {
    async fn add_honour(&self, year: i64, subject_id: i64, statement: &str, applied_by: &str) -> Result<Honour> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO honours (year, subject_id, statement, state, applied_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'applied', $4, $5, $5) RETURNING id",
        )
        .bind(year)
        .bind(subject_id)
        .bind(statement)
        .bind(applied_by)
        .bind(now_text())
        .fetch_one(&self.pool)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("本单位 {year} 年度已申报"))
            }
            other => other.into(),
        })?;
        self.honour(id).await?.ok_or_else(|| StoreError::NotFound(format!("honour {id}")))
    }

    async fn honour(&self, id: i64) -> Result<Option<Honour>> {
        let sql = format!("SELECT {COLUMNS} FROM honours WHERE id = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Honour::try_from).transpose()
    }

    async fn honours(
        &self,
        state: Option<HonourState>,
        year: Option<i64>,
        subject: Option<i64>,
    ) -> Result<Vec<Honour>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM honours WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR year = $2) \
             AND ($3 IS NULL OR subject_id = $3) ORDER BY id DESC LIMIT 5000"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(state.map(HonourState::as_str))
            .bind(year)
            .bind(subject)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Honour::try_from).collect()
    }

    async fn move_honour(
        &self,
        id: i64,
        from: HonourState,
        to: HonourState,
        by: &str,
        reason: Option<&str>,
        notice_until: Option<Date>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE honours SET state = $1, decided_by = $2, reason = COALESCE($3, reason), \
             notice_until = COALESCE($4, notice_until), updated_at = $5 WHERE id = $6 AND state = $7",
        )
        .bind(to.as_str())
        .bind(by)
        .bind(reason)
        .bind(notice_until.map(|d| d.to_string()))
        .bind(now_text())
        .bind(id)
        .bind(from.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
