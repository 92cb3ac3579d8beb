//! Cases (异议 objections, 信用修复 repairs, 举报 reports): filed with sealed evidence, moved on step by step.

use std::collections::HashSet;

use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use time::OffsetDateTime;

use crate::Result;

/// An evidence file on its way in.
#[derive(Debug, Clone)]
pub struct NewCaseFile {
    pub name: String,
    /// SM3 of the bytes (hex).
    pub sm3: String,
    pub bytes: Vec<u8>,
}

/// A case (异议 `objection`, 信用修复 `repair`, 举报 `report`) about to be filed.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub number: String,
    pub kind: String,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    /// The department that handles it.
    pub department_id: Option<i64>,
    /// The filing account (a subject account), if any.
    pub account_id: Option<i64>,
    /// Who filed it (name, contact) as JSON: sealed at rest, shown only to the handling role.
    pub applicant: Option<String>,
    /// What was asked: reason, details (JSON).
    pub content: serde_json::Value,
    pub state: String,
    pub due_on: Option<Date>,
    pub actor: String,
    pub files: Vec<NewCaseFile>,
    /// Where a kind allows one open case at a time per something (a record; an account and a body): that
    /// something. A second open case of the kind with the same key is refused with [`StoreError::Conflict`].
    pub open_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseFile {
    pub n: i64,
    pub name: String,
    pub sm3: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseStep {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub note: Option<String>,
}

/// A stored case with its files and steps.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub department_id: Option<i64>,
    pub account_id: Option<i64>,
    pub applicant: Option<String>,
    pub content: serde_json::Value,
    pub state: String,
    pub filed_at: String,
    pub due_on: Option<Date>,
    pub extended_days: i64,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    pub outcome_reason: Option<String>,
    pub files: Vec<CaseFile>,
    pub steps: Vec<CaseStep>,
}

/// A step that moves a case on; applied only if the case is still in `from` (else a conflict).
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    pub from: String,
    pub state: String,
    pub due_on: Option<Date>,
    pub extended_days: i64,
    pub outcome: Option<String>,
    pub outcome_reason: Option<String>,
    pub closed: bool,
    pub actor: String,
    pub step: String,
    pub note: Option<String>,
    /// 转办: the department the case now belongs to.
    pub assign_to: Option<i64>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<String>,
    pub department_id: Option<i64>,
    pub account_id: Option<i64>,
    pub record_id: Option<i64>,
    /// The subject the case is about (a 举报's subject when its code was known).
    pub subject_id: Option<i64>,
    pub open_only: bool,
}

/// Cases, their evidence and steps.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Files a case with its evidence and first step.
    async fn add_case(&self, c: NewCase) -> Result<Case>;
    async fn case(&self, number: &str) -> Result<Option<Case>>;
    /// Cases matching `filter`, oldest first.
    async fn cases(&self, filter: &CaseFilter, limit: i64) -> Result<Vec<Case>>;
    /// Moves a case on (a conflict if it is no longer in `u.from`).
    async fn update_case(&self, number: &str, u: CaseUpdate) -> Result<Case>;
    /// One evidence file: name and bytes.
    async fn case_file(&self, number: &str, n: i64) -> Result<Option<(String, Vec<u8>)>>;
    /// Which of `record_ids` have an open objection (异议处理中).
    async fn disputed(&self, record_ids: &[i64]) -> Result<HashSet<i64>>;
    /// Which of `record_ids` had an objection in progress at the instant `at` (accepted by then, not closed by then): what
    /// [`CaseStore::disputed`] said then, for a replay.
    async fn disputed_at(&self, record_ids: &[i64], at: OffsetDateTime) -> Result<HashSet<i64>>;
}
