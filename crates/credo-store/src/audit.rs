//! 审计日志: the audit chain (events linked by HMAC-SM3 under the vault's audit key), its archive base and the
//! platform's signed checkpoints.

use async_trait::async_trait;
use serde::Serialize;

use crate::Result;

/// 审计事件: who did what to what, why, with which result, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub actor: String,
    pub role: String,
    pub department: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub purpose: Option<String>,
    pub result: String,
    pub client: Option<String>,
}

/// An audit event as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct StoredAuditEvent {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredAuditEvent {
    /// The bytes the chain hash covers: every field but the hashes, in a fixed order.
    pub fn content(seq: i64, at: &str, e: &AuditEvent) -> Vec<u8> {
        serde_json::to_vec(&(seq, at, e)).unwrap_or_default()
    }
}

/// An SM2-signed checkpoint of the audit chain (also a line of the audit anchor file, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// DER signature (hex) over [`Checkpoint::message`].
    pub signature: String,
    pub public_key: String,
}

impl Checkpoint {
    /// What the platform signs: the event's sequence number and chain hash.
    pub fn message(seq: i64, hash: &str) -> Vec<u8> {
        format!("credo-audit-checkpoint:{seq}:{hash}").into_bytes()
    }
}

/// What the auditors' page filters the trail on; every part is optional. Texts match exactly, but `action` also
/// matches the actions under it (`check` finds `check.procurement` …); `from` and `to` are stored time texts (UTC,
/// see `stored_time`), `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub result: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The audit chain.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an audit event to the chain (HMAC-SM3 links under the vault's audit key); returns its sequence
    /// number.
    async fn append_audit(&self, event: &AuditEvent) -> Result<i64>;
    /// Appends several audit events in one transaction (a batch check logs one per subject).
    async fn append_audit_many(&self, events: &[AuditEvent]) -> Result<i64>;
    /// The chain's head: the last sequence number and hash.
    async fn audit_head(&self) -> Result<(i64, String)>;
    /// Where the live table's chain starts (after archiving): `(seq, hash)` of the last archived event.
    async fn audit_base(&self) -> Result<(i64, String)>;
    /// Removes events up to `seq` (already written to an archive) and moves the base there.
    async fn archive_audit(&self, seq: i64, hash: &str) -> Result<()>;
    async fn add_checkpoint(&self, c: &Checkpoint) -> Result<()>;
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;
    /// Audit events about `target` (e.g. `subject:42`), newest first.
    async fn audit_for_target(&self, target: &str, limit: i64) -> Result<Vec<StoredAuditEvent>>;
    /// Audit events that pass `filter` with `seq < before` (all when `None`), newest first.
    async fn audit_search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredAuditEvent>>;
    /// Audit events with `seq > after`, in stored order.
    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<StoredAuditEvent>>;
}
