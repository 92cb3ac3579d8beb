//! 政务诚信: government bodies' commitments (政务承诺, `credo_domain::integrity`), and the registry of credit service
//! agencies (信用服务机构: 备案, staff, evaluations). A step is taken only from the state (or version) it expects.

use async_trait::async_trait;
use credo_domain::integrity::CommitmentState;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Result;

/// A 政务承诺 a body registered.
#[derive(Debug, Clone, Serialize)]
pub struct GovCommitment {
    pub id: i64,
    /// The body's 统一社会信用代码.
    pub body_code: String,
    /// The department (the body on the platform) that registered it.
    pub department_id: i64,
    pub kind: String,
    pub content: String,
    #[serde(with = "credo_domain::value::iso_date")]
    pub due_on: Date,
    pub state: CommitmentState,
    #[serde(with = "credo_domain::value::iso_date_opt")]
    pub settled_on: Option<Date>,
    pub note: Option<String>,
    #[serde(skip_serializing)]
    pub created_by: String,
    #[serde(skip_serializing)]
    pub settled_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewGovCommitment {
    pub body_code: String,
    pub department_id: i64,
    pub kind: String,
    pub content: String,
    pub due_on: Date,
    pub created_by: String,
}

/// A member of an agency's staff (从业人员): the person's subject on the platform links to the occupational archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyStaff {
    pub subject_id: i64,
    pub name: String,
    /// 岗位 (分析师、评级委员 …).
    pub role: String,
    /// 资格证书 (when any).
    pub qualification: Option<String>,
}

/// A yearly evaluation of an agency by the credit office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyEvaluation {
    pub year: i64,
    pub grade: String,
    pub note: String,
    #[serde(default, skip_serializing)]
    pub by: String,
}

/// A credit service agency on the register (信用服务机构备案).
#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    /// 备案编号.
    pub filing_no: String,
    #[serde(with = "credo_domain::value::iso_date")]
    pub filed_on: Date,
    /// 备案业务范围.
    pub scopes: Vec<String>,
    /// Its department on the platform (its API keys), when it uses platform data.
    pub department_id: Option<i64>,
    /// `active` (在册) or `cancelled` (注销备案).
    pub state: String,
    pub staff: Vec<AgencyStaff>,
    pub evaluations: Vec<AgencyEvaluation>,
    pub version: i64,
    #[serde(skip_serializing)]
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub uscc: String,
    pub name: String,
    pub filing_no: String,
    pub filed_on: Date,
    pub scopes: Vec<String>,
    pub department_id: Option<i64>,
    pub created_by: String,
}

#[async_trait]
pub trait IntegrityStore: Send + Sync {
    async fn add_gov_commitment(&self, c: &NewGovCommitment) -> Result<GovCommitment>;
    async fn gov_commitment(&self, id: i64) -> Result<Option<GovCommitment>>;
    /// A body's commitments (every body's when `None`), newest first, at most 5,000.
    async fn gov_commitments(&self, body_code: Option<&str>) -> Result<Vec<GovCommitment>>;
    /// Settles an open commitment as kept or broken on `on`; false when it is not open (any more).
    async fn settle_gov_commitment(&self, id: i64, to: CommitmentState, on: Date, note: &str, by: &str)
    -> Result<bool>;

    /// Registers an agency; a second filing of the same code or number is a conflict.
    async fn add_agency(&self, a: &NewAgency) -> Result<Agency>;
    async fn agency(&self, id: i64) -> Result<Option<Agency>>;
    async fn agency_by_department(&self, department_id: i64) -> Result<Option<Agency>>;
    /// Every agency, by filing number, at most 5,000.
    async fn agencies(&self) -> Result<Vec<Agency>>;
    /// Writes an agency's staff, evaluations and state if it is still at `version`; false when it changed since.
    async fn update_agency(&self, a: &Agency) -> Result<bool>;
}
