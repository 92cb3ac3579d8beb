//! 信用评价 and 分类监管: subjects' grades under each evaluation scheme with their history, and the 双随机 draws of
//! inspection targets with their results.
//!
//! A grade is kept as a row per change: saving a subject's grade writes a new row only when the grade, score, reasons
//! or scheme version differ from its current one (which it supersedes), so that a full recomputation that changes
//! nothing writes nothing and the history is the list of changes.

use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::Result;

/// A grade to save ([`GradeStore::save_grades`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrade {
    pub subject_id: i64,
    pub scheme: String,
    pub version: String,
    pub grade: String,
    pub score: i64,
    /// The reasons as JSON (the scheme's `Reason`s, strongest first).
    pub reasons: String,
    pub moved_by: i64,
    pub computed_on: Date,
}

/// A grade as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grade {
    pub id: i64,
    pub subject_id: i64,
    pub scheme: String,
    pub version: String,
    pub grade: String,
    pub score: i64,
    pub reasons: serde_json::Value,
    pub moved_by: i64,
    /// The day it was computed for.
    #[serde(with = "credo_domain::value::iso_date")]
    pub computed_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    /// When a later grade replaced it (None: the current grade).
    #[serde(with = "time::serde::rfc3339::option")]
    pub superseded_at: Option<OffsetDateTime>,
}

/// How many subjects of a region have a grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GradeCount {
    pub region: Option<String>,
    pub grade: String,
    pub subjects: i64,
}

/// A 双随机 draw to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDraw {
    pub department_id: i64,
    pub scheme: String,
    /// What the draw was limited to, as JSON (region, kinds).
    pub scope: String,
    /// 检查事项.
    pub task: String,
    pub seed: String,
    pub population: i64,
    /// SM3 over the population drawn from (subject ids and grades, in id order): anyone with the same population
    /// and the seed draws the same targets.
    pub population_digest: String,
    /// Per grade: population, rate and drawn, as JSON.
    pub strata: String,
    pub actor: String,
    /// `(subject, grade, inspectors)`, in the order drawn.
    pub targets: Vec<(i64, String, Vec<String>)>,
}

/// A recorded draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draw {
    pub id: i64,
    /// 抽查编号 (`CC630100-2026-000001`).
    pub number: String,
    pub department_id: i64,
    pub scheme: String,
    pub scope: serde_json::Value,
    pub task: String,
    pub seed: String,
    pub population: i64,
    pub population_digest: String,
    pub strata: serde_json::Value,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub drawn_at: OffsetDateTime,
}

/// One target of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectionTarget {
    pub n: i64,
    pub subject_id: i64,
    pub grade: String,
    pub inspectors: Vec<String>,
    /// 合格 / 不合格 / 发现问题, once entered.
    pub result: Option<String>,
    #[serde(with = "credo_domain::value::iso_date_opt")]
    pub result_on: Option<Date>,
    /// The 双随机抽查检查结果 record the result became.
    pub record_id: Option<i64>,
}

#[async_trait]
pub trait GradeStore: Send + Sync {
    /// Saves each grade that differs (grade, score, reasons or version) from its subject's current one under the
    /// scheme, superseding that; returns the subjects whose grade was written.
    async fn save_grades(&self, grades: &[NewGrade]) -> Result<Vec<i64>>;
    /// Ends the current grades of `scheme` of `subjects` (no longer graded under it: a village with too few graded
    /// households, a household whose archive was withdrawn); returns how many ended. The history keeps them.
    async fn retire_grades(&self, scheme: &str, subjects: &[i64]) -> Result<u64>;
    /// The current grades of `scheme`, `(subject, grade)` in subject order after `after`, `limit` at a time; with
    /// `region`, only subjects whose region code starts with it (a city's `6301`, a district's `630102`). Subjects
    /// merged into others are left out.
    async fn current_grades(
        &self,
        scheme: &str,
        region: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>>;
    /// A subject's grades under every scheme, newest first (current and history).
    async fn grades_of(&self, subject: i64) -> Result<Vec<Grade>>;
    /// How many subjects have each current grade of `scheme`, by region.
    async fn grade_counts(&self, scheme: &str) -> Result<Vec<GradeCount>>;
    /// Whether a current grade of `scheme` was computed under a version other than `version` (its rules changed
    /// since): one row looked at, the first by subject.
    async fn graded_under_another_version(&self, scheme: &str, version: &str) -> Result<bool>;
    /// The feed sequence number grades have followed to, and the day of the last full computation.
    async fn grades_followed(&self) -> Result<(i64, Option<Date>)>;
    /// Sets what [`GradeStore::grades_followed`] returns (`full_on`: a full computation ran that day).
    async fn set_grades_followed(&self, seq: i64, full_on: Option<Date>) -> Result<()>;

    /// Records a draw with its targets; returns it with its number.
    async fn record_draw(&self, draw: &NewDraw, region: &str) -> Result<Draw>;
    /// Draws, newest first (a department's, or all).
    async fn draws(&self, department: Option<i64>, limit: i64) -> Result<Vec<Draw>>;
    async fn draw(&self, number: &str) -> Result<Option<(Draw, Vec<InspectionTarget>)>>;
    /// Links the record a result became to target `subject` of draw `draw` (after [`GradeStore::set_inspection_result`]).
    async fn link_inspection_record(&self, draw: i64, subject: i64, record_id: i64) -> Result<()>;
    /// Enters the result of target `subject` of draw `draw` (once: a second result is refused as a conflict).
    async fn set_inspection_result(
        &self,
        draw: i64,
        subject: i64,
        result: &str,
        on: Date,
        record_id: Option<i64>,
    ) -> Result<()>;
}
