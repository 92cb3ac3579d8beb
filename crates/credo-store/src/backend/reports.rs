//! Issued credit reports and their yearly quotas.

use async_trait::async_trait;

use super::Backend;
use crate::sql::{parse_date, parse_time};
use crate::{
    Authorisation, IssuedReport, NewAuthorisation, NewReport, ReportQuota, ReportStore, Result, StoreError, now_text,
    stored_time,
};

#[derive(sqlx::FromRow)]
struct ReportRow {
    number: String,
    check_hash: String,
    kind: String,
    subject_id: i64,
    as_of: String,
    issued_at: String,
    channel: String,
    requested_by: String,
    summary: String,
    pdf_sm3: String,
    json_sm3: String,
    revoked_at: Option<String>,
    revoked_reason: Option<String>,
}

const COLUMNS: &str = "number, check_hash, kind, subject_id, as_of, issued_at, channel, requested_by, summary, \
                       pdf_sm3, json_sm3, revoked_at, revoked_reason";

impl TryFrom<ReportRow> for IssuedReport {
    type Error = StoreError;
    fn try_from(r: ReportRow) -> Result<IssuedReport> {
        Ok(IssuedReport {
            number: r.number,
            check_hash: r.check_hash,
            kind: r.kind,
            subject_id: r.subject_id,
            as_of: day(&r.as_of)?,
            issued_at: parse_time(&r.issued_at)?,
            channel: r.channel,
            requested_by: r.requested_by,
            summary: r.summary,
            pdf_sm3: r.pdf_sm3,
            json_sm3: r.json_sm3,
            revoked_at: r.revoked_at.as_deref().map(parse_time).transpose()?,
            revoked_reason: r.revoked_reason,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AuthorisationRow {
    id: i64,
    subject_id: i64,
    department_id: i64,
    purpose: String,
    granted_by: String,
    granted_at: String,
    expires_on: String,
    revoked_at: Option<String>,
}

const AUTHORISATION_COLUMNS: &str =
    "id, subject_id, department_id, purpose, granted_by, granted_at, expires_on, revoked_at";

fn day(text: &str) -> Result<time::Date> {
    parse_date(Some(text.to_string())).ok_or_else(|| StoreError::Corrupt(format!("day {text}")))
}

impl TryFrom<AuthorisationRow> for Authorisation {
    type Error = StoreError;
    fn try_from(r: AuthorisationRow) -> Result<Authorisation> {
        Ok(Authorisation {
            id: r.id,
            subject_id: r.subject_id,
            department_id: r.department_id,
            purpose: r.purpose,
            granted_by: r.granted_by,
            granted_at: parse_time(&r.granted_at)?,
            expires_on: day(&r.expires_on)?,
            revoked_at: r.revoked_at.as_deref().map(parse_time).transpose()?,
        })
    }
}

impl Backend {
    async fn authorisation(&self, id: i64) -> Result<Option<Authorisation>> {
        let row: Option<AuthorisationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTHORISATION_COLUMNS} FROM report_authorisations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Authorisation::try_from).transpose()
    }
}

#[async_trait]
impl ReportStore for Backend {
    async fn add_report(&self, r: NewReport, quota: ReportQuota) -> Result<IssuedReport> {
        let mut tx = self.pool.begin().await?;
        // One statement counts the report against the quota: the row of (subject, channel, year) is created or
        // incremented only while under the limit, so concurrent requests cannot overshoot it.
        let used: Option<i64> = sqlx::query_scalar(
            "INSERT INTO report_quota (subject_id, channel, year, used) SELECT $1, $2, $3, 1 WHERE $4 > 0
             ON CONFLICT (subject_id, channel, year) DO UPDATE SET used = report_quota.used + 1
             WHERE report_quota.used < $5 RETURNING used",
        )
        .bind(r.subject_id)
        .bind(&r.channel)
        .bind(i64::from(quota.year))
        .bind(quota.limit)
        .bind(quota.limit)
        .fetch_optional(&mut *tx)
        .await?;
        if used.is_none() {
            return Err(StoreError::Conflict(format!("quota of {} reports used up", quota.limit)));
        }
        sqlx::query(
            "INSERT INTO issued_reports (number, check_hash, kind, subject_id, as_of, issued_at, channel, requested_by,
                                         summary, pdf_sm3, json_sm3)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&r.number)
        .bind(&r.check_hash)
        .bind(&r.kind)
        .bind(r.subject_id)
        .bind(r.as_of.to_string())
        .bind(stored_time(r.issued_at))
        .bind(&r.channel)
        .bind(&r.requested_by)
        .bind(&r.summary)
        .bind(&r.pdf_sm3)
        .bind(&r.json_sm3)
        .execute(&mut *tx)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("报告编号 {} 已存在", r.number))
            }
            other => other.into(),
        })?;
        tx.commit().await?;
        self.issued_report(&r.number).await?.ok_or_else(|| StoreError::NotFound(r.number.clone()))
    }

    async fn issued_report(&self, number: &str) -> Result<Option<IssuedReport>> {
        let row: Option<ReportRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM issued_reports WHERE number = $1")))
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
        row.map(IssuedReport::try_from).transpose()
    }

    async fn reports_used(&self, subject_id: i64, channel: &str, year: i32) -> Result<i64> {
        let used: Option<i64> =
            sqlx::query_scalar("SELECT used FROM report_quota WHERE subject_id = $1 AND channel = $2 AND year = $3")
                .bind(subject_id)
                .bind(channel)
                .bind(i64::from(year))
                .fetch_optional(&self.pool)
                .await?;
        Ok(used.unwrap_or(0))
    }

    async fn newer_report(&self, number: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT n.number FROM issued_reports o JOIN issued_reports n
               ON n.subject_id = o.subject_id AND n.kind = o.kind AND n.channel = o.channel
              AND (n.issued_at > o.issued_at OR (n.issued_at = o.issued_at AND n.number > o.number))
              AND n.as_of >= o.as_of
             WHERE o.number = $1 AND n.revoked_at IS NULL
             ORDER BY n.issued_at DESC, n.number DESC LIMIT 1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn subject_reports(&self, subject_id: i64, limit: i64) -> Result<Vec<IssuedReport>> {
        let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM issued_reports WHERE subject_id = $1 ORDER BY issued_at DESC, number DESC LIMIT $2"
        )))
        .bind(subject_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(IssuedReport::try_from).collect()
    }

    async fn revoke_report(&self, number: &str, reason: &str) -> Result<IssuedReport> {
        let done = sqlx::query(
            "UPDATE issued_reports SET revoked_at = $1, revoked_reason = $2 WHERE number = $3 AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(reason)
        .bind(number)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let report = self.issued_report(number).await?.ok_or_else(|| StoreError::NotFound(number.to_string()))?;
        if done == 0 {
            return Err(StoreError::Conflict(format!("报告 {number} 已撤销")));
        }
        Ok(report)
    }

    async fn add_authorisation(&self, a: NewAuthorisation) -> Result<Authorisation> {
        let id = insert_authorisation(&self.pool, &a).await?;
        self.authorisation(id).await?.ok_or_else(|| StoreError::NotFound(format!("authorisation {id}")))
    }

    async fn authorisations(&self, subject_id: i64) -> Result<Vec<Authorisation>> {
        let rows: Vec<AuthorisationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {AUTHORISATION_COLUMNS} FROM report_authorisations WHERE subject_id = $1 ORDER BY id DESC"
        )))
        .bind(subject_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Authorisation::try_from).collect()
    }

    async fn revoke_authorisation(&self, subject_id: i64, id: i64) -> Result<Authorisation> {
        let now = now_text();
        let mut tx = super::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE report_authorisations SET revoked_at = $1 WHERE id = $2 AND subject_id = $3 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .bind(subject_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // A loan application lives on its authorisation: withdrawing the one withdraws the other.
        sqlx::query(
            "UPDATE loan_applications SET state = 'withdrawn', decided_at = $1 \
             WHERE authorisation_id = $2 AND subject_id = $3 AND state IN ('submitted', 'accepted')",
        )
        .bind(&now)
        .bind(id)
        .bind(subject_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let found = self.authorisation(id).await?.filter(|a| a.subject_id == subject_id);
        match (found, done) {
            (None, _) => Err(StoreError::NotFound(format!("authorisation {id}"))),
            (Some(_), 0) => Err(StoreError::Conflict(format!("授权 {id} 已撤销"))),
            (Some(a), _) => Ok(a),
        }
    }
}

/// Stores an authorisation (in a transaction of the caller's, or alone); returns its id.
pub(super) async fn insert_authorisation<'e>(
    db: impl sqlx::Executor<'e, Database = super::Db>,
    a: &NewAuthorisation,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO report_authorisations (subject_id, department_id, purpose, granted_by, granted_at, expires_on)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.subject_id)
    .bind(a.department_id)
    .bind(&a.purpose)
    .bind(&a.granted_by)
    .bind(now_text())
    .bind(a.expires_on.to_string())
    .fetch_one(db)
    .await?)
}
