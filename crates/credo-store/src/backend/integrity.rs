//! 政务承诺 and the agencies' register (see `crate::integrity`).

use async_trait::async_trait;
use credo_domain::integrity::CommitmentState;
use credo_domain::value::parse_date;
use time::Date;

use super::Backend;
use crate::sql::parse_time;
use crate::{Agency, GovCommitment, IntegrityStore, NewAgency, NewGovCommitment, Result, StoreError, json, now_text};

const COMMITMENT_COLUMNS: &str = "id, body_code, department_id, kind, content, due_on, state, settled_on, note, \
     created_by, settled_by, created_at";
const AGENCY_COLUMNS: &str = "id, uscc, name, filing_no, filed_on, scopes, department_id, state, staff, evaluations, \
     version, created_by, updated_at";

#[derive(sqlx::FromRow)]
struct CommitmentRow {
    id: i64,
    body_code: String,
    department_id: i64,
    kind: String,
    content: String,
    due_on: String,
    state: String,
    settled_on: Option<String>,
    note: Option<String>,
    created_by: String,
    settled_by: Option<String>,
    created_at: String,
}

fn date(d: &str, corrupt: &dyn Fn(&str) -> StoreError, what: &str) -> Result<Date> {
    parse_date(d).ok_or_else(|| corrupt(what))
}

impl TryFrom<CommitmentRow> for GovCommitment {
    type Error = StoreError;
    fn try_from(r: CommitmentRow) -> Result<GovCommitment> {
        let id = r.id;
        let corrupt = move |w: &str| StoreError::Corrupt(format!("gov commitment {id}: {w}"));
        Ok(GovCommitment {
            due_on: date(&r.due_on, &corrupt, "due_on")?,
            state: CommitmentState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            settled_on: r.settled_on.as_deref().map(|d| date(d, &corrupt, "settled_on")).transpose()?,
            created_at: parse_time(&r.created_at)?,
            id: r.id,
            body_code: r.body_code,
            department_id: r.department_id,
            kind: r.kind,
            content: r.content,
            note: r.note,
            created_by: r.created_by,
            settled_by: r.settled_by,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AgencyRow {
    id: i64,
    uscc: String,
    name: String,
    filing_no: String,
    filed_on: String,
    scopes: String,
    department_id: Option<i64>,
    state: String,
    staff: String,
    evaluations: String,
    version: i64,
    created_by: String,
    updated_at: String,
}

impl TryFrom<AgencyRow> for Agency {
    type Error = StoreError;
    fn try_from(r: AgencyRow) -> Result<Agency> {
        let id = r.id;
        let corrupt = move |w: &str| StoreError::Corrupt(format!("agency {id}: {w}"));
        Ok(Agency {
            filed_on: date(&r.filed_on, &corrupt, "filed_on")?,
            scopes: serde_json::from_str(&r.scopes).map_err(|_| corrupt("scopes"))?,
            staff: serde_json::from_str(&r.staff).map_err(|_| corrupt("staff"))?,
            evaluations: serde_json::from_str(&r.evaluations).map_err(|_| corrupt("evaluations"))?,
            updated_at: parse_time(&r.updated_at)?,
            id: r.id,
            uscc: r.uscc,
            name: r.name,
            filing_no: r.filing_no,
            department_id: r.department_id,
            state: r.state,
            version: r.version,
            created_by: r.created_by,
        })
    }
}

#[async_trait]
impl IntegrityStore for Backend {
    async fn add_gov_commitment(&self, c: &NewGovCommitment) -> Result<GovCommitment> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO gov_commitments (body_code, department_id, kind, content, due_on, state, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) RETURNING id",
        )
        .bind(&c.body_code)
        .bind(c.department_id)
        .bind(&c.kind)
        .bind(&c.content)
        .bind(c.due_on.to_string())
        .bind(&c.created_by)
        .bind(now_text())
        .fetch_one(&self.pool)
        .await?;
        self.gov_commitment(id).await?.ok_or_else(|| StoreError::NotFound(format!("gov commitment {id}")))
    }

    async fn gov_commitment(&self, id: i64) -> Result<Option<GovCommitment>> {
        let sql = format!("SELECT {COMMITMENT_COLUMNS} FROM gov_commitments WHERE id = $1");
        let row: Option<CommitmentRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(GovCommitment::try_from).transpose()
    }

    async fn gov_commitments(&self, body_code: Option<&str>) -> Result<Vec<GovCommitment>> {
        let sql = format!(
            "SELECT {COMMITMENT_COLUMNS} FROM gov_commitments WHERE ($1 IS NULL OR body_code = $1) \
             ORDER BY id DESC LIMIT 5000"
        );
        let rows: Vec<CommitmentRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(body_code).fetch_all(&self.pool).await?;
        rows.into_iter().map(GovCommitment::try_from).collect()
    }

    async fn settle_gov_commitment(
        &self,
        id: i64,
        to: CommitmentState,
        on: Date,
        note: &str,
        by: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE gov_commitments SET state = $1, settled_on = $2, note = $3, settled_by = $4, updated_at = $5 \
             WHERE id = $6 AND state = 'open'",
        )
        .bind(to.as_str())
        .bind(on.to_string())
        .bind(note)
        .bind(by)
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_agency(&self, a: &NewAgency) -> Result<Agency> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO agencies (uscc, name, filing_no, filed_on, scopes, department_id, state, staff, evaluations, \
             version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', '[]', '[]', 1, $7, $8, $8) RETURNING id",
        )
        .bind(&a.uscc)
        .bind(&a.name)
        .bind(&a.filing_no)
        .bind(a.filed_on.to_string())
        .bind(json(&a.scopes))
        .bind(a.department_id)
        .bind(&a.created_by)
        .bind(now_text())
        .fetch_one(&self.pool)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("该机构({})或备案编号({})已备案", a.uscc, a.filing_no))
            }
            other => other.into(),
        })?;
        self.agency(id).await?.ok_or_else(|| StoreError::NotFound(format!("agency {id}")))
    }

    async fn agency(&self, id: i64) -> Result<Option<Agency>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE id = $1");
        let row: Option<AgencyRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Agency::try_from).transpose()
    }

    async fn agency_by_department(&self, department_id: i64) -> Result<Option<Agency>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE department_id = $1 ORDER BY id LIMIT 1");
        let row: Option<AgencyRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(department_id).fetch_optional(&self.pool).await?;
        row.map(Agency::try_from).transpose()
    }

    async fn agencies(&self) -> Result<Vec<Agency>> {
        let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies ORDER BY filing_no LIMIT 5000");
        let rows: Vec<AgencyRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.into_iter().map(Agency::try_from).collect()
    }

    async fn update_agency(&self, a: &Agency) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE agencies SET staff = $1, evaluations = $2, state = $3, version = version + 1, updated_at = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(json(&a.staff))
        .bind(json(&a.evaluations))
        .bind(&a.state)
        .bind(now_text())
        .bind(a.id)
        .bind(a.version)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
