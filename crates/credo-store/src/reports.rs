//! 信用报告 issued (credit reports): what was issued to whom, for online verification by number and check code, and
//! the yearly quotas that limit how many a subject's reports are issued through each channel.

use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::Result;

/// A report as issued.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// 报告编号.
    pub number: String,
    /// SM3 (hex) of the check code: the code itself is printed on the report only.
    pub check_hash: String,
    /// The report's kind (`catalog/reports.toml`).
    pub kind: String,
    pub subject_id: i64,
    pub as_of: Date,
    pub issued_at: OffsetDateTime,
    /// Who it was issued through: `public`, `own` or `authorised` (the quota it counts against).
    pub channel: String,
    /// Who asked: an account, a department, or the public (with the address).
    pub requested_by: String,
    /// What the verification page shows (title, subject as printed, summary) as JSON.
    pub summary: String,
    /// SM3 (hex) of the PDF as delivered and of the signed `report.json`.
    pub pdf_sm3: String,
    pub json_sm3: String,
}

/// A stored report.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedReport {
    pub number: String,
    #[serde(skip)]
    pub check_hash: String,
    pub kind: String,
    pub subject_id: i64,
    pub as_of: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    pub channel: String,
    #[serde(skip)]
    pub requested_by: String,
    pub summary: String,
    pub pdf_sm3: String,
    pub json_sm3: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
}

/// A yearly quota: at most `limit` reports of one subject through one channel in `year`.
#[derive(Debug, Clone, Copy)]
pub struct ReportQuota {
    pub year: i32,
    pub limit: i64,
}

/// A subject's authorisation for a department to obtain its report (授权查询).
#[derive(Debug, Clone)]
pub struct NewAuthorisation {
    pub subject_id: i64,
    pub department_id: i64,
    pub purpose: String,
    /// The account that granted it (`account:N`).
    pub granted_by: String,
    /// The last day it may be used.
    pub expires_on: Date,
}

/// A stored authorisation.
#[derive(Debug, Clone, Serialize)]
pub struct Authorisation {
    pub id: i64,
    pub subject_id: i64,
    pub department_id: i64,
    pub purpose: String,
    pub granted_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
    pub expires_on: Date,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Reports issued, and the authorisations to issue them to departments.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Records an issued report, counting it against the subject's quota for its channel in one step: a conflict
    /// (and nothing recorded) when the quota is used up, however many ask at once.
    async fn add_report(&self, r: NewReport, quota: ReportQuota) -> Result<IssuedReport>;
    async fn issued_report(&self, number: &str) -> Result<Option<IssuedReport>>;
    /// How many reports of `subject_id` went through `channel` in `year`.
    async fn reports_used(&self, subject_id: i64, channel: &str, year: i32) -> Result<i64>;
    /// The newest report of the same subject, kind and channel issued after `number` and showing a day no earlier
    /// (a replay of an earlier day supersedes nothing), if any: it supersedes `number`.
    async fn newer_report(&self, number: &str) -> Result<Option<String>>;
    /// The subject's reports, newest first.
    async fn subject_reports(&self, subject_id: i64, limit: i64) -> Result<Vec<IssuedReport>>;
    /// Revokes a report (issued in error): from then on its verification says so. Not found when there is no such
    /// report; a conflict when it is revoked already.
    async fn revoke_report(&self, number: &str, reason: &str) -> Result<IssuedReport>;

    async fn add_authorisation(&self, a: NewAuthorisation) -> Result<Authorisation>;
    /// The subject's authorisations, newest first.
    async fn authorisations(&self, subject_id: i64) -> Result<Vec<Authorisation>>;
    /// Revokes the subject's authorisation `id`: not found when the subject has no such authorisation, a conflict
    /// when it is revoked already.
    async fn revoke_authorisation(&self, subject_id: i64, id: i64) -> Result<Authorisation>;
}
