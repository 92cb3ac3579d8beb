//! 诚信建设示范单位: units' applications and their state (`credo_domain::honours`). A step is taken only from the
//! state it expects.

use async_trait::async_trait;
use credo_domain::honours::HonourState;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Honour {
    pub id: i64,
    pub year: i64,
    pub subject_id: i64,
    /// The unit's statement (创建情况).
    pub statement: String,
    pub state: HonourState,
    /// The account that applied and the committee member who decided (kept, not shown).
    #[serde(skip_serializing)]
    pub applied_by: String,
    /// The last day of the public notice.
    #[serde(with = "credo_domain::value::iso_date_opt")]
    pub notice_until: Option<Date>,
    #[serde(skip_serializing)]
    pub decided_by: Option<String>,
    /// Why it was rejected or revoked.
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait HonourStore: Send + Sync {
    async fn add_honour(&self, year: i64, subject_id: i64, statement: &str, applied_by: &str) -> Result<Honour>;
    async fn honour(&self, id: i64) -> Result<Option<Honour>>;
    /// Applications in a state, of a year, of a subject (each optional), newest first.
    async fn honours(&self, state: Option<HonourState>, year: Option<i64>, subject: Option<i64>)
    -> Result<Vec<Honour>>;
    /// Moves an application from `from` to `to` with who and why (and the notice's last day, when it starts);
    /// false when it is not in `from` (any more).
    async fn move_honour(
        &self,
        id: i64,
        from: HonourState,
        to: HonourState,
        by: &str,
        reason: Option<&str>,
        notice_until: Option<Date>,
    ) -> Result<bool>;
}
