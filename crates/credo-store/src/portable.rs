//! Moving a store whole (`credo export-store`, `credo import-store`): every table's rows in a portable form, read in
//! key order from one backend and written, ids and all, into an empty store of either backend. Rows keep what the
//! store keeps: sealed fields stay sealed (the same keyring reads them on the other side), hashes and the audit chain
//! are untouched, the change feed keeps its sequence numbers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// Every table of the store, in an order that satisfies the foreign keys of both schemas, with the columns its rows
/// are read in order of.
pub const TABLES: &[(&str, &str)] = &[
    ("departments", "id"),
    ("subjects", "id"),
    ("subject_codes", "code"),
    ("api_keys", "id"),
    ("accounts", "id"),
    ("sessions", "token_hash"),
    ("account_tokens", "token_hash"),
    ("batches", "id"),
    ("records", "id"),
    ("record_versions", "record_id, version"),
    ("publicity_expiries", "record_id"),
    ("item_keys", "item"),
    ("changes", "seq"),
    ("audit_head", "id"),
    ("audit_events", "seq"),
    ("audit_checkpoints", "seq"),
    ("checks", "id"),
    ("check_results", "check_id, position"),
    ("check_feedback", "check_id, position"),
    ("check_jobs", "id"),
    ("cases", "id"),
    ("case_files", "case_id, n"),
    ("case_steps", "case_id, seq"),
    ("enrolments", "id"),
    ("enrolment_files", "enrolment_id, n"),
    ("shared_state", "scope, key"),
    ("issued_reports", "number"),
    ("report_quota", "subject_id, channel, year"),
    ("report_authorisations", "id"),
    ("subject_names", "subject_id, name_norm"),
    ("judgements", "id"),
    ("grades", "id"),
    ("grade_state", "id"),
    ("inspection_draws", "id"),
    ("inspection_targets", "draw_id, n"),
    ("webhooks", "id"),
    ("webhook_deliveries", "id"),
    ("feed_consumers", "department_id"),
    ("federation_cursors", "city"),
    ("federated_records", "city, remote_id"),
    ("articles", "id"),
    ("credit_products", "id"),
    ("loan_applications", "id"),
    ("honours", "id"),
    ("gov_commitments", "id"),
    ("agencies", "id"),
    ("key_usage", "key_id, day"),
];

/// Tables that hold only what is derived from the others (snapshots of in-memory indexes, rebuilt by the node that
/// needs them): not moved with a store.
pub const DERIVED_TABLES: &[&str] = &["index_snapshots", "index_snapshot_chunks"];

/// One stored value: every column of the store is an integer or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Int(i64),
    Text(String),
    Null,
}

/// A row: column → value.
pub type Row = BTreeMap<String, Cell>;

/// Reading and writing whole tables, for moving a store (not for the platform's own work).
#[async_trait]
pub trait Portable: Send + Sync {
    /// Every row of `table` (one of [`TABLES`]), in key order, each given to `each`; returns how many.
    async fn export_table(&self, table: &str, each: &mut (dyn FnMut(Row) -> Result<()> + Send)) -> Result<u64>;
    /// Whether the store holds nothing yet (no department, subject, record, account or audit event): only such a
    /// store may be imported into.
    async fn is_empty(&self) -> Result<bool>;
    /// Adds `rows` to `table` as they are (ids kept). What the store writes by itself when opened (the audit
    /// chain's head, the natural-key definitions) is replaced.
    async fn import_rows(&self, table: &str, rows: &[Row]) -> Result<()>;
    /// After the last rows: the counters that give new ids continue after the highest imported one.
    async fn finish_import(&self) -> Result<()>;
}
