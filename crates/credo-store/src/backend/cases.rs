//! Cases, their evidence files (sealed) and steps.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Transaction};
use time::OffsetDateTime;

use super::{Backend, Db};
use crate::sql::{IN_LIST, parse_date, parse_time};
use crate::{Case, CaseFile, CaseFilter, CaseStep, CaseStore, CaseUpdate, NewCase, Result, StoreError, json, now_text};

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    number: String,
    kind: String,
    record_id: Option<i64>,
    subject_id: Option<i64>,
    department_id: Option<i64>,
    account_id: Option<i64>,
    /// Sealed.
    applicant: Option<String>,
    /// Sealed JSON.
    content: String,
    state: String,
    filed_at: String,
    due_on: Option<String>,
    extended_days: i64,
    closed_at: Option<String>,
    outcome: Option<String>,
    outcome_reason: Option<String>,
}

async fn add_step(
    tx: &mut Transaction<'_, Db>,
    case_id: i64,
    at: &str,
    actor: &str,
    step: &str,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_steps (case_id, seq, at, actor, step, note)
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_steps WHERE case_id = $2), $3, $4, $5, $6)",
    )
    .bind(case_id)
    .bind(case_id)
    .bind(at)
    .bind(actor)
    .bind(step)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Backend {
    /// The case with its files and steps, opened.
    async fn case_of(&self, r: CaseRow) -> Result<Case> {
        let files: Vec<CaseFile> =
            sqlx::query_as("SELECT n, name, sm3, size FROM case_files WHERE case_id = $1 ORDER BY n")
                .bind(r.id)
                .fetch_all(&self.pool)
                .await?;
        let steps: Vec<CaseStep> =
            sqlx::query_as("SELECT at, actor, step, note FROM case_steps WHERE case_id = $1 ORDER BY seq")
                .bind(r.id)
                .fetch_all(&self.pool)
                .await?;
        let content = self.vault.open(r.content, "case.content")?;
        Ok(Case {
            id: r.id,
            number: r.number,
            kind: r.kind,
            record_id: r.record_id,
            subject_id: r.subject_id,
            department_id: r.department_id,
            account_id: r.account_id,
            applicant: r.applicant.map(|a| self.vault.open(a, "case.applicant")).transpose()?,
            content: serde_json::from_str(&content).map_err(|e| StoreError::Corrupt(format!("case content: {e}")))?,
            state: r.state,
            filed_at: r.filed_at,
            due_on: parse_date(r.due_on),
            extended_days: r.extended_days,
            closed_at: r.closed_at,
            outcome: r.outcome,
            outcome_reason: r.outcome_reason,
            files,
            steps,
        })
    }
}

#[async_trait]
impl CaseStore for Backend {
    async fn add_case(&self, c: NewCase) -> Result<Case> {
        let now = now_text();
        let applicant = c.applicant.as_deref().map(|a| self.vault.seal(a, "case.applicant")).transpose()?;
        let content = self.vault.seal(&json(&c.content), "case.content")?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (number, kind, record_id, subject_id, department_id, account_id, applicant, content, state,
                                filed_at, due_on, updated_at, open_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&c.number)
        .bind(&c.kind)
        .bind(c.record_id)
        .bind(c.subject_id)
        .bind(c.department_id)
        .bind(c.account_id)
        .bind(applicant)
        .bind(content)
        .bind(&c.state)
        .bind(&now)
        .bind(c.due_on.map(|d| d.to_string()))
        .bind(&now)
        .bind(&c.open_key)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() && one_open(d.as_ref()) => {
                StoreError::Conflict("已有同类案件正在办理".into())
            }
            other => other.into(),
        })?;
        for (n, f) in c.files.iter().enumerate() {
            let data = self.seal_file(&f.bytes, "case.file")?;
            sqlx::query("INSERT INTO case_files (case_id, n, name, sm3, size, data) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(n as i64 + 1)
                .bind(&f.name)
                .bind(&f.sm3)
                .bind(f.bytes.len() as i64)
                .bind(data)
                .execute(&mut *tx)
                .await?;
        }
        add_step(&mut tx, id, &now, &c.actor, "filed", None).await?;
        tx.commit().await?;
        self.case(&c.number).await?.ok_or_else(|| StoreError::NotFound(c.number.clone()))
    }

    async fn case(&self, number: &str) -> Result<Option<Case>> {
        let row = sqlx::query_as::<_, CaseRow>("SELECT * FROM cases WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.case_of(r).await?)),
            None => Ok(None),
        }
    }

    async fn cases(&self, f: &CaseFilter, limit: i64) -> Result<Vec<Case>> {
        let mut q = QueryBuilder::<Db>::new("SELECT * FROM cases WHERE 1 = 1");
        if let Some(k) = &f.kind {
            q.push(" AND kind = ").push_bind(k.clone());
        }
        if let Some(d) = f.department_id {
            q.push(" AND department_id = ").push_bind(d);
        }
        if let Some(a) = f.account_id {
            q.push(" AND account_id = ").push_bind(a);
        }
        if let Some(r) = f.record_id {
            q.push(" AND record_id = ").push_bind(r);
        }
        if let Some(s) = f.subject_id {
            q.push(" AND subject_id = ").push_bind(s);
        }
        if f.open_only {
            q.push(" AND closed_at IS NULL");
        }
        q.push(" ORDER BY id LIMIT ").push_bind(limit);
        let rows = q.build_query_as::<CaseRow>().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.case_of(r).await?);
        }
        Ok(out)
    }

    async fn update_case(&self, number: &str, u: CaseUpdate) -> Result<Case> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE cases SET state = $1, due_on = $2, extended_days = $3, outcome = COALESCE($4, outcome),
                    outcome_reason = COALESCE($5, outcome_reason), closed_at = CASE WHEN $6 THEN $7 ELSE closed_at END,
                    updated_at = $8, department_id = COALESCE($11, department_id)
             WHERE number = $9 AND state = $10 RETURNING id",
        )
        .bind(&u.state)
        .bind(u.due_on.map(|d| d.to_string()))
        .bind(u.extended_days)
        .bind(&u.outcome)
        .bind(&u.outcome_reason)
        .bind(u.closed)
        .bind(&now)
        .bind(&now)
        .bind(number)
        .bind(&u.from)
        .bind(u.assign_to)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            // Read the state inside the transaction: its connection is the one this task holds, and another read
            // through the pool could wait for a connection held by a task that waits for this one's write lock.
            let state: Option<String> = sqlx::query_scalar("SELECT state FROM cases WHERE number = $1")
                .bind(number)
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Err(match state {
                Some(state) => StoreError::Conflict(format!("案件 {number} 当前状态为“{state}”,不能执行此操作")),
                None => StoreError::NotFound(format!("案件 {number}")),
            });
        };
        add_step(&mut tx, id, &now, &u.actor, &u.step, u.note.as_deref()).await?;
        tx.commit().await?;
        self.case(number).await?.ok_or_else(|| StoreError::NotFound(number.to_string()))
    }

    async fn case_file(&self, number: &str, n: i64) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT f.name, f.data FROM case_files f JOIN cases c ON c.id = f.case_id WHERE c.number = $1 AND f.n = $2",
        )
        .bind(number)
        .bind(n)
        .fetch_optional(&self.pool)
        .await?;
        let Some((name, data)) = row else { return Ok(None) };
        Ok(Some((name, self.open_file(data, "case.file")?)))
    }

    async fn disputed(&self, record_ids: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in record_ids.chunks(IN_LIST) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT DISTINCT record_id FROM cases WHERE kind = 'objection' AND state = '办理中' AND closed_at IS NULL \
                 AND record_id IN (",
            );
            let mut sep = q.separated(",");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            out.extend(q.build_query_scalar::<i64>().persistent(false).fetch_all(&self.pool).await?);
        }
        Ok(out)
    }

    async fn disputed_at(&self, record_ids: &[i64], at: OffsetDateTime) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in record_ids.chunks(IN_LIST) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT c.record_id, s.at, c.closed_at FROM cases c JOIN case_steps s ON s.case_id = c.id AND s.seq = 2
                 WHERE c.kind = 'objection' AND c.record_id IN (",
            );
            let mut sep = q.separated(",");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            let rows: Vec<(i64, String, Option<String>)> =
                q.build_query_as().persistent(false).fetch_all(&self.pool).await?;
            // An objection's second step takes it out of 待受理: accepted (办理中, open until closed) or refused
            // (closed at once). Compared as instants here: older case times were stored in a shorter form that text
            // does not order.
            for (id, moved, closed) in rows {
                let open_then =
                    parse_time(&moved)? <= at && closed.as_deref().map(parse_time).transpose()?.is_none_or(|c| c > at);
                if open_then {
                    out.insert(id);
                }
            }
        }
        Ok(out)
    }
}

/// Whether a unique violation is of `cases_one_open` (PostgreSQL names the index; SQLite its columns).
fn one_open(d: &dyn sqlx::error::DatabaseError) -> bool {
    d.constraint() == Some("cases_one_open") || d.message().contains("cases.open_key")
}
