//! 账号申请 (enrolments: a subject applying online for its account) and one-time account links.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::{CaseFile, NewCaseFile, Result};

/// An application as filed.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub number: String,
    /// The subject the code names, when the platform knows it.
    pub subject_id: Option<i64>,
    /// Who applies (kind, code, name, representative, contact, wished user name) as JSON: sealed at rest.
    pub applicant: String,
    /// 营业执照 or ID, authorisation letter: sealed with their SM3 hash.
    pub files: Vec<NewCaseFile>,
}

/// A stored application.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub id: i64,
    pub number: String,
    pub subject_id: Option<i64>,
    /// The applicant's JSON, opened.
    pub applicant: String,
    /// `待审核`, `已开通` or `未通过`.
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub filed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub account_id: Option<i64>,
    pub files: Vec<CaseFile>,
}

/// A decision on an application, applied only while it is still `from`.
#[derive(Debug, Clone)]
pub struct EnrolmentDecision {
    pub from: String,
    pub state: String,
    pub decided_by: String,
    pub reason: Option<String>,
    pub account_id: Option<i64>,
}

/// Applications and one-time links.
#[async_trait]
pub trait EnrolmentStore: Send + Sync {
    async fn add_enrolment(&self, e: NewEnrolment) -> Result<Enrolment>;
    async fn enrolment(&self, number: &str) -> Result<Option<Enrolment>>;
    /// Applications in `state` (all when `None`), oldest first.
    async fn enrolments(&self, state: Option<&str>, limit: i64) -> Result<Vec<Enrolment>>;
    /// Decides an application atomically: a conflict when it is no longer in `d.from` (decided meanwhile).
    async fn decide_enrolment(&self, number: &str, d: EnrolmentDecision) -> Result<Enrolment>;
    /// One file of an application: name and bytes.
    async fn enrolment_file(&self, number: &str, n: i64) -> Result<Option<(String, Vec<u8>)>>;

    /// Stores a one-time link's token hash for `account_id`.
    async fn add_account_token(
        &self,
        token_hash: &str,
        account_id: i64,
        purpose: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()>;
    /// Takes a one-time link, in one atomic statement: the account, if the token exists for `purpose`, is unused and
    /// has not expired at `now`; it is then used (a second take, also a concurrent one, gets `None`).
    async fn take_account_token(&self, token_hash: &str, purpose: &str, now: OffsetDateTime) -> Result<Option<i64>>;
}
