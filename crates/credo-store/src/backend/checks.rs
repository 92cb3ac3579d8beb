//! Checks, their results and the departments' feedback.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Transaction};

use super::audit::append_audit_tx;
use super::{Backend, Db};
use crate::sql::rows_per_insert;
use crate::{
    AuditEvent, CheckFeedback, CheckJob, CheckStats, CheckStore, CheckSummary, NewCheck, PendingFeedback, Result,
    StoreError, StoredCheck, json, now_text,
};

#[derive(sqlx::FromRow)]
struct CheckStatsRow {
    dept: Option<String>,
    scene: String,
    checks: i64,
    subjects: i64,
    hits: i64,
    answered: i64,
}

impl From<CheckStatsRow> for CheckStats {
    fn from(r: CheckStatsRow) -> CheckStats {
        CheckStats {
            department: r.dept,
            scene: r.scene,
            checks: r.checks,
            subjects: r.subjects,
            hits: r.hits,
            answered: r.answered,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    check_id: String,
    position: i64,
    subject_id: Option<i64>,
    decision: String,
    scene: String,
    created_at: String,
}

impl From<PendingRow> for PendingFeedback {
    fn from(r: PendingRow) -> PendingFeedback {
        PendingFeedback {
            check_id: r.check_id,
            position: r.position,
            subject_id: r.subject_id,
            decision: r.decision,
            scene: r.scene,
            checked_at: r.created_at,
        }
    }
}

/// Inserts checks and their result lines inside `tx`, many rows per statement (a group of checks costs a few
/// round trips, not two per check).
async fn insert_checks(tx: &mut Transaction<'_, Db>, checks: &[NewCheck]) -> Result<()> {
    let now = now_text();
    for chunk in checks.chunks(rows_per_insert(7)) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO checks (id, department_id, scene, receipt, signature, proof, created_at) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(c.id.as_str())
                .push_bind(c.department_id)
                .push_bind(c.scene.as_str())
                .push_bind(c.receipt.as_str())
                .push_bind(c.signature.as_str())
                .push_bind(c.proof.as_deref())
                .push_bind(now.as_str());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    let rows: Vec<(&str, i64, Option<i64>, Option<&str>)> = checks
        .iter()
        .flat_map(|c| {
            c.results
                .iter()
                .enumerate()
                .map(|(pos, (sid, decision))| (c.id.as_str(), pos as i64, *sid, decision.as_deref()))
        })
        .collect();
    for chunk in rows.chunks(rows_per_insert(4)) {
        let mut q = QueryBuilder::<Db>::new("INSERT INTO check_results (check_id, position, subject_id, decision) ");
        q.push_values(chunk, |mut b, (id, pos, sid, decision)| {
            b.push_bind(*id).push_bind(*pos).push_bind(*sid).push_bind(*decision);
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl CheckStore for Backend {
    async fn add_check(&self, c: &NewCheck) -> Result<()> {
        self.record_checks(std::slice::from_ref(c), &[]).await
    }

    async fn record_checks(&self, checks: &[NewCheck], events: &[AuditEvent]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_checks(&mut tx, checks).await?;
        if !events.is_empty() {
            append_audit_tx(&mut tx, &self.vault, events).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn check(&self, id: &str) -> Result<Option<StoredCheck>> {
        Ok(sqlx::query_as("SELECT * FROM checks WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn add_feedback(
        &self,
        check_id: &str,
        position: i64,
        action: &str,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<bool> {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT position FROM check_results WHERE check_id = $1 AND position = $2")
                .bind(check_id)
                .bind(position)
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        let res = sqlx::query(
            "INSERT INTO check_feedback (check_id, position, action, reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(check_id)
        .bind(position)
        .bind(action)
        .bind(reason)
        .bind(actor)
        .bind(now_text())
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("核查 {check_id} 第 {position} 项已反馈")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn check_feedback(&self, check_id: &str) -> Result<Vec<CheckFeedback>> {
        Ok(sqlx::query_as(
            "SELECT position, action, reason, actor, at FROM check_feedback WHERE check_id = $1 ORDER BY position",
        )
        .bind(check_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn recent_checks(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<CheckSummary>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.scene, c.created_at, COUNT(r.position) AS subjects,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' THEN 1 ELSE 0 END) AS hits,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' AND f.position IS NOT NULL THEN 1 ELSE 0 END) AS answered
             FROM (SELECT * FROM checks WHERE department_id IS NOT DISTINCT FROM $1 ORDER BY created_at DESC, id DESC LIMIT $2) c
             JOIN check_results r ON r.check_id = c.id
             LEFT JOIN check_feedback f ON f.check_id = r.check_id AND f.position = r.position
             GROUP BY c.id, c.scene, c.created_at ORDER BY c.created_at DESC, c.id DESC",
        )
        .bind(department_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn check_stats(&self, department_id: Option<i64>) -> Result<Vec<CheckStats>> {
        let rows = sqlx::query_as::<_, CheckStatsRow>(
            "SELECT d.uscc AS dept, c.scene, COUNT(DISTINCT c.id) AS checks, COUNT(r.position) AS subjects,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' THEN 1 ELSE 0 END) AS hits,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' AND f.position IS NOT NULL THEN 1 ELSE 0 END) AS answered
             FROM checks c
             JOIN check_results r ON r.check_id = c.id
             LEFT JOIN check_feedback f ON f.check_id = r.check_id AND f.position = r.position
             LEFT JOIN departments d ON d.id = c.department_id
             WHERE ($1 IS NULL OR c.department_id = $2)
             GROUP BY c.department_id, d.uscc, c.scene ORDER BY d.uscc, c.scene",
        )
        .bind(department_id)
        .bind(department_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CheckStats::from).collect())
    }

    async fn pending_feedback(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<PendingFeedback>> {
        // Check times are stored texts (`stored_time`), so ordering by them is ordering by time.
        let rows = sqlx::query_as::<_, PendingRow>(
            "SELECT r.check_id, r.position, r.subject_id, r.decision, c.scene, c.created_at
             FROM check_results r JOIN checks c ON c.id = r.check_id
             LEFT JOIN check_feedback f ON f.check_id = r.check_id AND f.position = r.position
             WHERE r.decision IS NOT NULL AND r.decision <> 'clear' AND f.position IS NULL
               AND ($1 IS NULL OR c.department_id = $2)
             ORDER BY c.created_at, r.check_id, r.position LIMIT $3",
        )
        .bind(department_id)
        .bind(department_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(PendingFeedback::from).collect())
    }

    async fn start_check_job(&self, job: &CheckJob, max_running: i64) -> Result<bool> {
        let mut tx = super::begin_write(&self.pool).await?;
        let running: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM check_jobs WHERE department_id = $1 AND status = 'running'")
                .bind(job.department_id)
                .fetch_one(&mut *tx)
                .await?;
        if running >= max_running {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO check_jobs (id, department_id, scene, status, total, done, hits, unresolved, receipts, error,
                                     worker, created_at)
             VALUES ($1, $2, $3, 'running', $4, 0, 0, 0, '[]', NULL, $5, $6)",
        )
        .bind(&job.id)
        .bind(job.department_id)
        .bind(&job.scene)
        .bind(job.total)
        .bind(crate::worker::this())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn update_check_job(&self, job: &CheckJob) -> Result<()> {
        sqlx::query(
            "UPDATE check_jobs SET status = $1, done = $2, hits = $3, unresolved = $4, receipts = $5, error = $6
             WHERE id = $7",
        )
        .bind(&job.status)
        .bind(job.done)
        .bind(job.hits)
        .bind(job.unresolved)
        .bind(json(&job.receipts))
        .bind(&job.error)
        .bind(&job.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn check_job(&self, id: &str) -> Result<Option<CheckJob>> {
        sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!("{JOB_COLUMNS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(CheckJob::try_from)
            .transpose()
    }

    async fn recover_check_jobs(&self) -> Result<Vec<CheckJob>> {
        let running: Vec<(String, String)> =
            sqlx::query_as("SELECT id, worker FROM check_jobs WHERE status = 'running'").fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for (id, worker) in running {
            if crate::worker::alive(&worker) {
                continue;
            }
            let closed =
                sqlx::query("UPDATE check_jobs SET status = 'failed', error = $1 WHERE id = $2 AND status = 'running'")
                    .bind(JOB_INTERRUPTED)
                    .bind(&id)
                    .execute(&self.pool)
                    .await?;
            if closed.rows_affected() == 1
                && let Some(job) = self.check_job(&id).await?
            {
                out.push(job);
            }
        }
        Ok(out)
    }
}

/// Why a job whose process died is failed.
const JOB_INTERRUPTED: &str = "核查任务中断(服务进程意外停止):已完成的各批回执已保存,请重新提交未完成的部分";

const JOB_COLUMNS: &str =
    "SELECT id, department_id, scene, status, total, done, hits, unresolved, receipts, error FROM check_jobs";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    department_id: i64,
    scene: String,
    status: String,
    total: i64,
    done: i64,
    hits: i64,
    unresolved: i64,
    /// JSON array.
    receipts: String,
    error: Option<String>,
}

impl TryFrom<JobRow> for CheckJob {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<CheckJob> {
        Ok(CheckJob {
            id: r.id,
            department_id: r.department_id,
            scene: r.scene,
            status: r.status,
            total: r.total,
            done: r.done,
            hits: r.hits,
            unresolved: r.unresolved,
            receipts: serde_json::from_str(&r.receipts)
                .map_err(|e| StoreError::Corrupt(format!("job receipts: {e}")))?,
            error: r.error,
        })
    }
}
