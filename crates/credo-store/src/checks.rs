//! 联合奖惩核查: checks with their signed receipts, one result per subject asked about, and the departments'
//! feedback (反馈) on the hits.

use async_trait::async_trait;
use serde::Serialize;

use crate::{AuditEvent, Result};

/// A check about to be stored: its receipt (as signed) and one result line per subject asked about.
#[derive(Debug, Clone)]
pub struct NewCheck {
    pub id: String,
    pub department_id: Option<i64>,
    pub scene: String,
    pub receipt: String,
    pub signature: String,
    /// The receipt's inclusion proof in the batch the signature covers (JSON), when signed in a batch.
    pub proof: Option<String>,
    /// `(subject_id, decision)` per position; `None` subject when it did not resolve.
    pub results: Vec<(Option<i64>, Option<String>)>,
}

/// A batch check from a file, run in the background in parts (of at most 10,000 subjects): one receipt per part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Job)]
pub struct CheckJob {
    pub id: String,
    #[serde(skip)]
    pub department_id: i64,
    pub scene: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub total: i64,
    pub done: i64,
    /// Subjects whose decision is not `clear`, and those that did not resolve.
    pub hits: i64,
    pub unresolved: i64,
    pub receipts: Vec<String>,
    pub error: Option<String>,
}

/// A stored check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCheck {
    pub id: String,
    pub department_id: Option<i64>,
    pub scene: String,
    pub receipt: String,
    pub signature: String,
    /// The inclusion proof (JSON) of a receipt signed in a batch; none for one signed by itself.
    pub proof: Option<String>,
}

/// Check counts per department and scene (for 执行督办).
#[derive(Debug, Clone, Serialize)]
pub struct CheckStats {
    pub department: Option<String>,
    pub scene: String,
    pub checks: i64,
    pub subjects: i64,
    /// Results other than `clear` (and unresolved).
    pub hits: i64,
    /// Hits with feedback.
    pub answered: i64,
}

/// A hit still waiting for the department's feedback.
#[derive(Debug, Clone, Serialize)]
pub struct PendingFeedback {
    pub check_id: String,
    pub position: i64,
    pub subject_id: Option<i64>,
    pub decision: String,
    pub scene: String,
    pub checked_at: String,
}

/// Feedback given on one result of a check.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckFeedback {
    pub position: i64,
    pub action: String,
    pub reason: Option<String>,
    pub actor: String,
    /// When, as stored (UTC).
    pub at: String,
}

/// A past check of a department, for its history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckSummary {
    pub id: String,
    pub scene: String,
    /// When, as stored (UTC).
    pub created_at: String,
    pub subjects: i64,
    /// Results other than `clear` (unresolved not counted).
    pub hits: i64,
    /// Hits with feedback.
    pub answered: i64,
}

/// Checks, their results and feedback.
#[async_trait]
pub trait CheckStore: Send + Sync {
    async fn add_check(&self, c: &NewCheck) -> Result<()>;
    /// Stores several checks and their audit events in one transaction (group commit).
    async fn record_checks(&self, checks: &[NewCheck], events: &[AuditEvent]) -> Result<()>;
    async fn check(&self, id: &str) -> Result<Option<StoredCheck>>;
    /// Records feedback on one result; `false` if that result does not exist; a second feedback is a conflict.
    async fn add_feedback(
        &self,
        check_id: &str,
        position: i64,
        action: &str,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<bool>;
    /// The feedback given on a check's results, by position.
    async fn check_feedback(&self, check_id: &str) -> Result<Vec<CheckFeedback>>;
    /// A department's newest checks (`None`: checks made without a department), newest first.
    async fn recent_checks(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<CheckSummary>>;
    /// Counts per department and scene (`department`: only that one).
    async fn check_stats(&self, department_id: Option<i64>) -> Result<Vec<CheckStats>>;
    /// Hits without feedback, oldest first.
    async fn pending_feedback(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<PendingFeedback>>;

    /// Starts `job` (status `running`, nothing done) for this process, unless its department already has
    /// `max_running` running jobs: counted and inserted atomically, also across nodes. `false` when refused.
    async fn start_check_job(&self, job: &CheckJob, max_running: i64) -> Result<bool>;
    /// Replaces a job's progress (status, counts, receipts, error).
    async fn update_check_job(&self, job: &CheckJob) -> Result<()>;
    async fn check_job(&self, id: &str) -> Result<Option<CheckJob>>;
    /// Closes as failed the running jobs whose process died (as [`crate::RecordStore::recover_batches`] does for
    /// batches); returns them.
    async fn recover_check_jobs(&self) -> Result<Vec<CheckJob>>;
}
