//! # credo-store
//!
//! Where Credo keeps what it knows. [`Store`] is the contract the rest of the platform uses, with two backends that
//! pass the same contract suite (`tests/contract.rs`): [`SqliteStore`], the embedded default (WAL journal), and
//! [`PgStore`], the production store on PostgreSQL. Each has its migrations embedded in the binary
//! (`migrations/sqlite`, `migrations/postgres`); the aggregates are implemented once (`backend/`, compiled for
//! each backend; see `sql.rs`).
//!
//! The contract is one trait per aggregate, each in a module of its own with its types: [`DepartmentStore`] and
//! [`AccountStore`] (who may act), [`SubjectStore`], [`RecordStore`] (batches, ingest, records, expiries, re-keying),
//! [`AuditStore`], [`CheckStore`], [`CaseStore`], [`ReportStore`] (credit reports issued) and [`Feed`] (the change feed and counts). [`Store`] has them all as
//! supertraits and every type that implements them is one. The platform holds an `Arc<dyn Store>`, whose methods
//! (those of every supertrait) need no import; code that calls a concrete store such as [`SqliteStore`], or names a
//! single aggregate, brings the traits into scope with `use credo_store::prelude::*;`. A backend implements each
//! aggregate's trait in a file of its own (`backend/accounts.rs` …).
//!
//! Records are append-only: a submission that changes a record adds a version (with its batch, department and
//! receipt time); the same content again is a no-op. Every new subject, record version and department appears in
//! the change feed ([`Change`]), a monotonic sequence that the search index and later features follow.
//!
//! Times are stored as fixed-width UTC text (`stored_time`), so SQL compares and orders them as instants.

// The aggregates' implementations in `backend/` are compiled once per SQL backend, as modules of `sqlite` and of
// `postgres`, each with its own database and store types (see `sql.rs`).
#![allow(clippy::duplicate_mod, reason = "backend/ is one implementation compiled for each SQL backend")]

use serde::Serialize;
use time::OffsetDateTime;

mod accounts;
mod articles;
mod audit;
mod cases;
mod checks;
mod enrolments;
mod federation;
mod feed;
mod finance;
mod grades;
mod honours;
mod integrity;
mod judgements;
mod portable;
mod postgres;
mod records;
mod rekey;
mod reports;
mod reseal;
mod shared;
mod sql;
mod sqlite;
mod subjects;
mod vault;
mod webhooks;
mod worker;

pub use accounts::{
    Account, AccountStore, ApiKey, Department, DepartmentStore, NewAccount, NewApiKey, NewDepartment, Permissions,
    Session,
};
pub use articles::{Article, ArticleQuery, ArticleStore};
pub use audit::{AuditEvent, AuditFilter, AuditStore, Checkpoint, StoredAuditEvent};
pub use cases::{Case, CaseFile, CaseFilter, CaseStep, CaseStore, CaseUpdate, NewCase, NewCaseFile};
pub use checks::{
    CheckFeedback, CheckJob, CheckStats, CheckStore, CheckSummary, NewCheck, PendingFeedback, StoredCheck,
};
pub use enrolments::{Enrolment, EnrolmentDecision, EnrolmentStore, NewEnrolment};
pub use federation::FederationStore;
pub use feed::{Change, Counts, Feed, FeedConsumer, IndexSnapshot, MAX_INDEX_CHUNK, Unacknowledged};
pub use finance::{
    FinanceStore, LoanApplication, LoanStats, MAX_OPEN_PRODUCTS, NewLoanApplication, NewProduct, Product,
};
pub use grades::{Draw, Grade, GradeCount, GradeStore, InspectionTarget, NewDraw, NewGrade};
pub use honours::{Honour, HonourStore};
pub use integrity::{
    Agency, AgencyEvaluation, AgencyStaff, GovCommitment, IntegrityStore, NewAgency, NewGovCommitment,
};
pub use judgements::{Decision, Judgement, JudgementStore, NewJudgement, Target};
pub use portable::{Cell, DERIVED_TABLES, Portable, Row, TABLES};
pub use postgres::{JOBS_LOCK, PgStore};
pub use records::{
    BatchSummary, Incoming, IngestedRow, Outcome, Prepared, RecordStat, RecordStore, RecordView, ReportLine,
};
pub use rekey::{MovedVersions, Rekeyed};
pub use reports::{Authorisation, IssuedReport, NewAuthorisation, NewReport, ReportQuota, ReportStore};
pub use shared::SharedStore;
pub use sql::{Val, copy_text};
pub use sqlite::SqliteStore;
pub use subjects::{Subject, SubjectStore};
pub use vault::Vault;
pub use webhooks::{Attempt, Delivery, DeliveryState, NewDelivery, NewWebhook, Webhook, WebhookStore};

/// The store traits, to bring their methods into scope where a concrete store (not `dyn Store`) is called:
/// `use credo_store::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AccountStore, ArticleStore, AuditStore, CaseStore, CheckStore, DepartmentStore, EnrolmentStore,
        FederationStore, Feed, FinanceStore, GradeStore, HonourStore, IntegrityStore, JudgementStore, Portable,
        RecordStore, ReportStore, SharedStore, Store, SubjectStore, WebhookStore,
    };
}

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
pub(crate) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A time as the store keeps it: UTC, RFC 3339 with all nine digits of the second's fraction
/// (`2030-01-01T08:00:00.500000000Z`). Every such text has the same width, so comparing or ordering the texts (in SQL,
/// on any backend) compares the instants, whatever offset a caller's time was in; RFC 3339 parsing reads it back
/// exactly (migration `0011_stored_times` brought older, shorter texts to this form).
pub(crate) fn stored_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// Now, as the store keeps times ([`stored_time`]).
pub(crate) fn now_text() -> String {
    stored_time(OffsetDateTime::now_utc())
}

/// The whole store: every aggregate's trait (each `Send + Sync`). Implemented for every type that implements them
/// all (a backend implements the aggregate traits, never this one); the platform holds an `Arc<dyn Store>`, on which
/// every aggregate's methods can be called (a concrete store needs the traits in scope: [`prelude`]).
pub trait Store:
    DepartmentStore
    + AccountStore
    + SubjectStore
    + RecordStore
    + AuditStore
    + CheckStore
    + CaseStore
    + EnrolmentStore
    + ReportStore
    + JudgementStore
    + GradeStore
    + WebhookStore
    + FederationStore
    + ArticleStore
    + FinanceStore
    + HonourStore
    + IntegrityStore
    + SharedStore
    + Feed
    + Portable
{
}

impl<T> Store for T where
    T: DepartmentStore
        + AccountStore
        + SubjectStore
        + RecordStore
        + AuditStore
        + CheckStore
        + CaseStore
        + EnrolmentStore
        + ReportStore
        + JudgementStore
        + GradeStore
        + WebhookStore
        + FederationStore
        + ArticleStore
        + FinanceStore
        + HonourStore
        + IntegrityStore
        + SharedStore
        + Feed
        + Portable
        + ?Sized
{
}
