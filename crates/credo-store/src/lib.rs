//! # credo-store
//!
//! Where Credo keeps what it knows. [`Store`] is the contract the rest of the platform uses; it has no
//! SQLite-only semantics so that the PostgreSQL implementation can follow. [`SqliteStore`] is the embedded
//! default (WAL journal, migrations embedded in the binary).
//!
//! Records are append-only: a submission that changes a record adds a version (with its batch, department and
//! receipt time); the same content again is a no-op. Every new subject, record version and department appears in
//! the change feed ([`Change`]), a monotonic sequence that the search index and later features follow.

use std::collections::BTreeMap;

use async_trait::async_trait;
use credo_domain::catalog::{Catalog, SubjectKind, ValidRecord};
use serde::Serialize;
use time::{Date, OffsetDateTime};

mod rekey;
mod reseal;
mod sqlite;
mod vault;

pub use rekey::{MovedVersions, Rekeyed};
pub use sqlite::SqliteStore;
pub use vault::Vault;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Stored JSON (serialising our own types cannot fail).
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// 部门: a department that supplies or uses credit information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who registered it (`cli:import`, `cli:dept add` …).
    pub created_by: String,
    pub permissions: Permissions,
}

/// What a department may do (least privilege: nothing unless granted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Permissions {
    /// Catalog items it may submit.
    #[serde(default)]
    pub items: Vec<String>,
    /// Check scenes (联合奖惩 场景) it may use.
    #[serde(default)]
    pub scenes: Vec<String>,
    /// Disclosure levels it may read: 公开, 政务共享, 授权查询.
    #[serde(default)]
    pub disclosure: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    pub created_by: String,
    pub permissions: Permissions,
}

/// A stored API key (only its SM3 hash; the secret is shown once when created).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub department_id: i64,
    pub prefix: String,
    #[serde(skip)]
    pub hash: String,
    /// What the key may do: `submit`, `check`.
    pub scopes: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

/// A key about to be stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub department_id: i64,
    pub prefix: String,
    pub hash: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub created_by: String,
}

/// 账号: an operator, a department user or a subject's own account.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub name: String,
    /// A role code (see `credo_server::policy::Role`).
    pub role: String,
    pub department_id: Option<i64>,
    pub subject_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    /// The TOTP secret (base32), opened; `None` until the second factor is set up.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub password_set_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub name: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub created_by: String,
}

/// A signed-in session (the token itself is never stored, only its SM3 hash).
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: i64,
    pub created_at: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

/// An SM2-signed checkpoint of the audit chain (also a line of the audit anchor file, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
}

/// One valid row on its way into the store.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub row: usize,
    pub record: ValidRecord,
    /// Cells of unmapped columns: kept with the version, never published.
    pub extras: Vec<(String, String)>,
    /// Registration data (djzc): updates the subject's name, region, status and profile.
    pub registration: bool,
}

/// What happened to one incoming row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new record (version 1).
    Created,
    /// A new version of an existing record.
    Versioned,
    /// The same content as the latest version: nothing written.
    Duplicate,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestedRow {
    pub row: usize,
    pub record_id: i64,
    pub version: i64,
    pub outcome: Outcome,
    /// `None`: the record waits in the unresolved queue.
    pub subject_id: Option<i64>,
    /// For a duplicate: the batch that stored the identical version (so a re-submission after an interrupted
    /// batch tells the department where its rows went).
    pub existing_batch: Option<i64>,
}

/// One line of a batch's row-level report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReportLine {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
    /// `error` (row rejected) or `warning` (row accepted).
    pub severity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    pub batch: i64,
    pub department: String,
    pub item: String,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub unresolved: usize,
    pub report: Vec<ReportLine>,
    /// The process handling the batch stopped (crash, `kill -9`) before it finished: the totals are the rows it
    /// had committed ([`Store::recover_batches`]).
    #[serde(default)]
    pub interrupted: bool,
}

/// A record's latest version as shown to readers.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub id: i64,
    pub item: String,
    pub version: i64,
    pub department_name: String,
    pub department_uscc: String,
    pub decided_on: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// When the platform first received the record (its first version): the publication day's stand-in for
    /// periods counted from publication (总局令第45号 第十三条).
    #[serde(with = "time::serde::rfc3339")]
    pub first_received_at: OffsetDateTime,
    pub batch_id: i64,
    pub fields: BTreeMap<String, String>,
    pub subject_id: Option<i64>,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub seq: i64,
    /// `subject`, `record`, `department`, `expiry` or `rekey`.
    pub entity: String,
    pub entity_id: i64,
    pub version: Option<i64>,
    /// What the entry says beyond entity and id: for `rekey`, a [`Rekeyed`] (old and new key, moved versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// 审计事件: who did what to what, why, with which result, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredAuditEvent {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
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

/// A check about to be stored: its receipt (as signed) and one result line per subject asked about.
#[derive(Debug, Clone)]
pub struct NewCheck {
    pub id: String,
    pub department_id: Option<i64>,
    pub scene: String,
    pub receipt: String,
    pub signature: String,
    /// `(subject_id, decision)` per position; `None` subject when it did not resolve.
    pub results: Vec<(Option<i64>, Option<String>)>,
}

/// A stored check.
#[derive(Debug, Clone)]
pub struct StoredCheck {
    pub id: String,
    pub department_id: Option<i64>,
    pub scene: String,
    pub receipt: String,
    pub signature: String,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseFile {
    pub n: i64,
    pub name: String,
    pub sm3: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
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
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<String>,
    pub department_id: Option<i64>,
    pub account_id: Option<i64>,
    pub record_id: Option<i64>,
    pub open_only: bool,
}

/// Record counts for the operators' dashboards: per department, item, decision day and day first received.
#[derive(Debug, Clone, Serialize)]
pub struct RecordStat {
    pub department: String,
    pub item: String,
    pub decided_on: Option<Date>,
    /// `YYYY-MM-DD` (UTC) of the first version.
    pub received_on: String,
    pub count: i64,
}

/// Counts for the home page and the operators.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub subjects: i64,
    pub records: i64,
    pub unresolved: i64,
    pub departments: i64,
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn department_by_uscc(&self, uscc: &str) -> Result<Option<Department>>;
    async fn add_department(&self, d: NewDepartment) -> Result<Department>;
    async fn departments(&self) -> Result<Vec<Department>>;
    async fn department(&self, id: i64) -> Result<Option<Department>>;

    async fn set_permissions(&self, department_id: i64, p: &Permissions) -> Result<()>;

    async fn add_api_key(&self, k: NewApiKey) -> Result<ApiKey>;
    async fn api_key(&self, prefix: &str) -> Result<Option<ApiKey>>;
    async fn api_keys(&self, department_id: i64) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(&self, prefix: &str) -> Result<bool>;

    async fn add_account(&self, a: NewAccount) -> Result<Account>;
    async fn account(&self, id: i64) -> Result<Option<Account>>;
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>>;
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// Sets a new password hash (and ends the account's sessions).
    async fn set_password(&self, id: i64, hash: &str) -> Result<()>;
    /// Sets or clears the TOTP secret (sealed at rest).
    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<()>;
    /// Disables or re-enables an account (disabling ends its sessions).
    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()>;
    /// Takes one sign-in try, in one atomic statement, before the password is checked: `None` when the account is
    /// locked at `now`; else the tries counted so far (a lock that has run out starts again at 1). The try that
    /// reaches `max` locks the account until `lock_until`. [`Store::login_succeeded`] gives the tries back.
    async fn login_attempt(
        &self,
        id: i64,
        now: OffsetDateTime,
        max: i64,
        lock_until: OffsetDateTime,
    ) -> Result<Option<i64>>;
    /// Claims a TOTP time step for the account, atomically: `false` when a step at or after it was used already
    /// (a replay, also by a concurrent sign-in).
    async fn claim_totp_step(&self, id: i64, step: i64) -> Result<bool>;
    /// Clears the tries and the lock; remembers the TOTP step used, so a code works once.
    async fn login_succeeded(&self, id: i64, totp_step: Option<i64>) -> Result<()>;
    async fn unlock(&self, id: i64) -> Result<()>;

    async fn add_session(&self, token_hash: &str, account_id: i64, client: Option<&str>) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &str) -> Result<()>;
    async fn end_session(&self, token_hash: &str) -> Result<()>;

    /// Opens a batch for `department` and `item`.
    async fn open_batch(&self, department_id: i64, item: &str, channel: &str, file_name: Option<&str>) -> Result<i64>;
    /// Stores one chunk of valid rows in one transaction: resolves subjects (creating those that carry a code),
    /// adds records or versions, skips duplicates, and appends to the change feed.
    async fn ingest(&self, batch_id: i64, department_id: i64, rows: &[Incoming]) -> Result<Vec<IngestedRow>>;
    /// Closes a batch with its counts and report.
    async fn close_batch(&self, summary: &BatchSummary) -> Result<()>;
    /// Closes the batches whose process died before closing them (its id is kept with the batch; on this host a
    /// process that is gone or was restarted is dead): each is marked interrupted with the rows it committed and a
    /// report line saying so. Returns them (for the audit trail).
    async fn recover_batches(&self) -> Result<Vec<BatchSummary>>;
    async fn batch(&self, id: i64) -> Result<Option<BatchSummary>>;

    /// A subject by any of its codes.
    async fn subject_by_code(&self, code: &str) -> Result<Option<Subject>>;
    async fn subject(&self, id: i64) -> Result<Option<Subject>>;
    /// Subjects by id (missing ids are skipped).
    async fn subjects_by_ids(&self, ids: &[i64]) -> Result<Vec<Subject>>;
    /// Subjects with `id > after`, in id order (for rebuilding indexes).
    async fn subjects_after(&self, after: i64, limit: i64) -> Result<Vec<Subject>>;
    /// Latest versions of a subject's records, newest decision first.
    async fn subject_records(&self, subject_id: i64) -> Result<Vec<RecordView>>;
    /// Subjects with exactly this normalised name.
    async fn subjects_by_name(&self, name_norm: &str) -> Result<Vec<Subject>>;
    /// Links a record from the unresolved queue to its subject (a change-feed entry); `false` if it was not queued.
    async fn assign_subject(&self, record_id: i64, subject_id: i64) -> Result<bool>;
    /// Records that resolved to no subject, oldest first: one department's (paged in SQL), or all.
    async fn unresolved(&self, department: Option<i64>, limit: i64, offset: i64) -> Result<Vec<RecordView>>;

    /// Appends an audit event to the chain (HMAC-SM3 links under the vault's audit key); returns its sequence
    /// number.
    async fn append_audit(&self, event: &AuditEvent) -> Result<i64>;
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
    /// Audit events with `seq > after`, in stored order.
    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<StoredAuditEvent>>;

    /// Appends several audit events in one transaction (a batch check logs one per subject).
    async fn append_audit_many(&self, events: &[AuditEvent]) -> Result<i64>;

    /// Latest versions of records of `items` that have a subject, with `id > after`, in id order.
    async fn records_of_items(&self, items: &[&str], after: i64, limit: i64) -> Result<Vec<RecordView>>;
    async fn records_by_ids(&self, ids: &[i64]) -> Result<Vec<RecordView>>;
    /// The newest records of `items` that have a subject, newest first.
    async fn latest_records(&self, items: &[&str], limit: i64) -> Result<Vec<RecordView>>;
    /// Batches, newest first (one department's, or all).
    async fn recent_batches(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<BatchSummary>>;
    /// A department's newest records (latest versions), newest first.
    async fn department_records(&self, department_id: i64, limit: i64) -> Result<Vec<RecordView>>;
    /// Every version, in order, of the records of `items` that have more than one version (a change, revocation or
    /// removal came after the first): one department's or all, `limit` records with `id > after`, in id order.
    /// For the withdrawal deadlines on the operators' dashboards.
    async fn changed_records(
        &self,
        items: &[&str],
        department_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RecordView>>;
    /// Which of `subject_ids` have a record of one of `items`.
    async fn subjects_with_items(&self, subject_ids: &[i64], items: &[&str]) -> Result<std::collections::HashSet<i64>>;
    /// Record counts by department, item, decision day and first receipt day.
    async fn record_stats(&self) -> Result<Vec<RecordStat>>;
    /// A subject's records as the platform knew them at `at`: per record, the last version received by then.
    async fn subject_records_as_of(&self, subject_id: i64, at: OffsetDateTime) -> Result<Vec<RecordView>>;

    async fn add_check(&self, c: &NewCheck) -> Result<()>;
    /// Stores several checks and their audit events in one transaction (group commit).
    async fn record_checks(&self, checks: &[NewCheck], events: &[AuditEvent]) -> Result<()>;
    /// Subjects by any of their codes, at once; the map is keyed by the code as asked (codes not found are absent).
    async fn subjects_by_codes(&self, codes: &[&str]) -> Result<std::collections::HashMap<String, Subject>>;
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
    /// Counts per department and scene (`department`: only that one).
    async fn check_stats(&self, department_id: Option<i64>) -> Result<Vec<CheckStats>>;
    /// Hits without feedback, oldest first.
    async fn pending_feedback(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<PendingFeedback>>;

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
    async fn disputed(&self, record_ids: &[i64]) -> Result<std::collections::HashSet<i64>>;

    /// Records that publicity ended for `(record id, version, last day shown)`, once per record; each newly
    /// recorded one becomes a change-feed entry (entity `expiry`). Returns how many were new.
    async fn record_expiries(&self, ended: &[(i64, i64, Date)]) -> Result<usize>;

    /// Re-keys the records of every item whose natural-key definition in `catalog` differs from the one their keys
    /// were built with (see the `rekey` module): splits records whose versions now carry different keys, each
    /// change on the feed (entity `rekey`). Returns what it did; run at start, before any ingest.
    async fn rekey(&self, catalog: &Catalog) -> Result<Vec<Rekeyed>>;

    async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>>;
    async fn last_seq(&self) -> Result<i64>;
    async fn counts(&self) -> Result<Counts>;
}
