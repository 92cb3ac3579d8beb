//! Applications for subject accounts (applicant and files sealed) and one-time account links.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::Backend;
use crate::sql::parse_time;
use crate::{
    CaseFile, Enrolment, EnrolmentDecision, EnrolmentStore, NewEnrolment, Result, StoreError, now_text, stored_time,
};

#[derive(sqlx::FromRow)]
struct EnrolmentRow {
    id: i64,
    number: String,
    subject_id: Option<i64>,
    /// Sealed.
    applicant: String,
    state: String,
    filed_at: String,
    decided_at: Option<String>,
    decided_by: Option<String>,
    reason: Option<String>,
    account_id: Option<i64>,
}

const COLUMNS: &str = "id, number, subject_id, applicant, state, filed_at, decided_at, decided_by, reason, account_id";

impl Backend {
    async fn enrolment_of(&self, r: EnrolmentRow) -> Result<Enrolment> {
        let files: Vec<CaseFile> =
            sqlx::query_as("SELECT n, name, sm3, size FROM enrolment_files WHERE enrolment_id = $1 ORDER BY n")
                .bind(r.id)
                .fetch_all(&self.pool)
                .await?;
        Ok(Enrolment {
            id: r.id,
            number: r.number,
            subject_id: r.subject_id,
            applicant: self.vault.open(r.applicant, "enrolments.applicant")?,
            state: r.state,
            filed_at: parse_time(&r.filed_at)?,
            decided_at: r.decided_at.as_deref().map(parse_time).transpose()?,
            decided_by: r.decided_by,
            reason: r.reason,
            account_id: r.account_id,
            files,
        })
    }
}

#[async_trait]
impl EnrolmentStore for Backend {
    async fn add_enrolment(&self, e: NewEnrolment) -> Result<Enrolment> {
        let applicant = self.vault.seal(&e.applicant, "enrolments.applicant")?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO enrolments (number, subject_id, applicant, state, filed_at) VALUES ($1, $2, $3, '待审核', $4)
             RETURNING id",
        )
        .bind(&e.number)
        .bind(e.subject_id)
        .bind(applicant)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("申请编号 {} 已存在", e.number))
            }
            other => other.into(),
        })?;
        for (n, f) in e.files.iter().enumerate() {
            sqlx::query(
                "INSERT INTO enrolment_files (enrolment_id, n, name, sm3, size, data) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(n as i64 + 1)
            .bind(&f.name)
            .bind(&f.sm3)
            .bind(f.bytes.len() as i64)
            .bind(self.seal_file(&f.bytes, "enrolment.file")?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.enrolment(&e.number).await?.ok_or(StoreError::NotFound(e.number))
    }

    async fn enrolment(&self, number: &str) -> Result<Option<Enrolment>> {
        let sql = format!("SELECT {COLUMNS} FROM enrolments WHERE number = $1");
        let row: Option<EnrolmentRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(number).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(Some(self.enrolment_of(r).await?)),
            None => Ok(None),
        }
    }

    async fn enrolments(&self, state: Option<&str>, limit: i64) -> Result<Vec<Enrolment>> {
        let sql = format!("SELECT {COLUMNS} FROM enrolments WHERE ($1 IS NULL OR state = $2) ORDER BY id LIMIT $3");
        let rows: Vec<EnrolmentRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(state).bind(state).bind(limit).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.enrolment_of(r).await?);
        }
        Ok(out)
    }

    async fn decide_enrolment(&self, number: &str, d: EnrolmentDecision) -> Result<Enrolment> {
        let done = sqlx::query(
            "UPDATE enrolments SET state = $1, decided_at = $2, decided_by = $3, reason = $4, account_id = $5
             WHERE number = $6 AND state = $7",
        )
        .bind(&d.state)
        .bind(now_text())
        .bind(&d.decided_by)
        .bind(&d.reason)
        .bind(d.account_id)
        .bind(number)
        .bind(&d.from)
        .execute(&self.pool)
        .await?;
        let e = self.enrolment(number).await?.ok_or_else(|| StoreError::NotFound(number.to_string()))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("申请 {number} 已处理(当前状态:{})", e.state)));
        }
        Ok(e)
    }

    async fn enrolment_file(&self, number: &str, n: i64) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT f.name, f.data FROM enrolment_files f JOIN enrolments e ON e.id = f.enrolment_id
             WHERE e.number = $1 AND f.n = $2",
        )
        .bind(number)
        .bind(n)
        .fetch_optional(&self.pool)
        .await?;
        let Some((name, data)) = row else { return Ok(None) };
        Ok(Some((name, self.open_file(data, "enrolment.file")?)))
    }

    async fn add_account_token(
        &self,
        token_hash: &str,
        account_id: i64,
        purpose: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(purpose)
        .bind(now_text())
        .bind(stored_time(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_account_token(&self, token_hash: &str, purpose: &str, now: OffsetDateTime) -> Result<Option<i64>> {
        let now = stored_time(now);
        Ok(sqlx::query_scalar(
            "UPDATE account_tokens SET used_at = $1
             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4 RETURNING account_id",
        )
        .bind(&now)
        .bind(token_hash)
        .bind(purpose)
        .bind(&now)
        .fetch_optional(&self.pool)
        .await?)
    }
}
