//! 信用主体: the subjects records are about, found by any of their codes or by their normalised name.

use std::collections::HashMap;

use async_trait::async_trait;
use credo_domain::catalog::SubjectKind;
use serde::Serialize;

use crate::Result;

/// 信用主体 as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    pub id: i64,
    pub kind: SubjectKind,
    pub code: Option<String>,
    pub name: String,
    pub name_norm: String,
    pub region: Option<String>,
    pub status: Option<String>,
    /// Registration details from the latest 登记注册基本信息 record.
    pub profile: Option<serde_json::Value>,
    /// Every code the subject is known by (including `code`).
    pub codes: Vec<String>,
    /// The subject it was merged into by a judgement (its codes and records are there now).
    pub merged_into: Option<i64>,
}

/// Subjects as stored (ingest creates them; registration rows describe them: see [`crate::RecordStore::ingest`]).
#[async_trait]
pub trait SubjectStore: Send + Sync {
    /// A subject by any of its codes.
    async fn subject_by_code(&self, code: &str) -> Result<Option<Subject>>;
    /// Subjects by any of their codes, at once; the map is keyed by the code as asked (codes not found are absent).
    async fn subjects_by_codes(&self, codes: &[&str]) -> Result<HashMap<String, Subject>>;
    async fn subject(&self, id: i64) -> Result<Option<Subject>>;
    /// Subjects by id (missing ids are skipped).
    async fn subjects_by_ids(&self, ids: &[i64]) -> Result<Vec<Subject>>;
    /// Subjects with `id > after`, in id order, without their registration profile (for rebuilding indexes, which
    /// do not read it: its sealed fields are not opened).
    async fn subjects_after(&self, after: i64, limit: i64) -> Result<Vec<Subject>>;
    /// Subjects with exactly this normalised name.
    async fn subjects_by_name(&self, name_norm: &str) -> Result<Vec<Subject>>;
}
