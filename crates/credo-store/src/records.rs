//! Records and how they come in: batches, ingest (append-only versions), the unresolved queue, the readers' views,
//! publicity expiries and re-keying.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use credo_domain::catalog::{Catalog, ValidRecord};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::{Rekeyed, Result};

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

/// A chunk of rows with what the store derives from each alone ([`RecordStore::prepare`]).
#[derive(Debug)]
pub struct Prepared {
    pub(crate) rows: Vec<PreparedRow>,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct PreparedRow {
    pub(crate) incoming: Incoming,
    /// The primary code: its lookup key and its stored form.
    pub(crate) primary: Option<(String, String)>,
    /// The legacy codes' lookup keys.
    pub(crate) legacy: Vec<String>,
    /// The normalised name's lookup key.
    pub(crate) name: String,
    /// The natural key as stored.
    pub(crate) natural: String,
    /// The digest of the plain fields, and the fields as stored.
    pub(crate) hash: String,
    pub(crate) fields: String,
    /// The extras, sealed, if any.
    pub(crate) extras: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(description = "批次报告的一行:行号、列、问题代码与说明")]
pub struct ReportLine {
    /// 文件中的行号(表头为第 1 行)
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
    // `error` (row rejected), `warning` (row accepted) or `stopped` (the file could not be read from this row on:
    // nothing after it was taken; see [`BatchSummary::stopped`]).
    /// `error`(该行被拒)、`warning`(该行已接收)或 `stopped`(文件自该行起无法读取,其后各行均未导入)
    pub severity: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "批次报告:合计与逐行问题")]
pub struct BatchSummary {
    pub batch: i64,
    /// 部门的统一社会信用代码
    pub department: String,
    pub item: String,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub duplicates: usize,
    /// 已入库但尚未匹配到已知主体的行(见 `/api/v1/unresolved`)
    pub unresolved: usize,
    pub report: Vec<ReportLine>,
    // The process handling the batch stopped (crash, `kill -9`) before it finished: the totals are the rows it
    // had committed ([`RecordStore::recover_batches`]).
    /// 处理批次的进程在完成前停止:合计为已提交的行
    #[serde(default)]
    #[schema(required = true)]
    pub interrupted: bool,
}

impl BatchSummary {
    /// Where the file stopped being read (a limit or a break in its format), if it did: the rows after it were not
    /// imported, although every row before it was handled.
    pub fn stopped(&self) -> Option<&ReportLine> {
        self.report.iter().find(|l| l.severity == "stopped")
    }
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

/// Record counts for the operators' dashboards: per department, item, decision day and day first received.
#[derive(Debug, Clone, Serialize)]
pub struct RecordStat {
    pub department: String,
    pub item: String,
    pub decided_on: Option<Date>,
    /// `YYYY-MM-DD` of the first version: the day in Beijing (UTC+8) the platform first received the record.
    pub received_on: String,
    pub count: i64,
}

/// Batches and their ingest, records and their versions, the unresolved queue, publicity expiries and re-keying.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Opens a batch for `department` and `item`.
    async fn open_batch(&self, department_id: i64, item: &str, channel: &str, file_name: Option<&str>) -> Result<i64>;
    /// Stores one chunk of valid rows in one transaction: resolves subjects (creating those that carry a code),
    /// adds records or versions, skips duplicates, and appends to the change feed. A row sees what the rows before
    /// it did (subjects created or described by name), as it would had they come in an earlier chunk.
    async fn ingest(&self, batch_id: i64, department_id: i64, rows: &[Incoming]) -> Result<Vec<IngestedRow>> {
        let prepared = self.prepare(rows.to_vec())?;
        self.ingest_prepared(batch_id, department_id, &prepared).await
    }
    /// What [`RecordStore::ingest`] derives from a chunk's rows alone (digests, sealed fields, lookup keys): CPU
    /// work done before, and outside, the write transaction, so that a pipeline prepares the next chunk while the
    /// store writes this one.
    fn prepare(&self, rows: Vec<Incoming>) -> Result<Prepared>;
    /// [`RecordStore::ingest`] of a prepared chunk.
    async fn ingest_prepared(&self, batch_id: i64, department_id: i64, rows: &Prepared) -> Result<Vec<IngestedRow>>;
    /// Closes a batch with its counts and report.
    async fn close_batch(&self, summary: &BatchSummary) -> Result<()>;
    /// Closes the batches whose process died before closing them (its id is kept with the batch; on this host a
    /// process that is gone or was restarted is dead): each is marked interrupted with the rows it committed and a
    /// report line saying so. Returns them (for the audit trail).
    async fn recover_batches(&self) -> Result<Vec<BatchSummary>>;
    async fn batch(&self, id: i64) -> Result<Option<BatchSummary>>;
    /// Batches, newest first (one department's, or all).
    async fn recent_batches(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<BatchSummary>>;

    /// Links a record from the unresolved queue to its subject (a change-feed entry); `false` if it was not queued.
    async fn assign_subject(&self, record_id: i64, subject_id: i64) -> Result<bool>;
    /// Records that resolved to no subject, oldest first: one department's (paged in SQL), or all.
    async fn unresolved(&self, department: Option<i64>, limit: i64, offset: i64) -> Result<Vec<RecordView>>;

    /// Latest versions of a subject's records, newest decision first.
    async fn subject_records(&self, subject_id: i64) -> Result<Vec<RecordView>>;
    /// A subject's records as the platform knew them at `at`: per record, the last version received by then
    /// (instants compared as instants, whatever `at`'s offset).
    async fn subject_records_as_of(&self, subject_id: i64, at: OffsetDateTime) -> Result<Vec<RecordView>>;
    /// Latest versions of records of `items` that have a subject, with `id > after`, in id order.
    async fn records_of_items(&self, items: &[&str], after: i64, limit: i64) -> Result<Vec<RecordView>>;
    async fn records_by_ids(&self, ids: &[i64]) -> Result<Vec<RecordView>>;
    /// Every version, in order, of the records `ids` (each version with its record's subject as it is now).
    async fn versions_of(&self, ids: &[i64]) -> Result<Vec<RecordView>>;
    /// The newest records of `items` that have a subject, newest first.
    async fn latest_records(&self, items: &[&str], limit: i64) -> Result<Vec<RecordView>>;
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
    /// The items each of `subject_ids` has records of (subjects with none are absent).
    async fn subject_items(&self, subject_ids: &[i64]) -> Result<HashMap<i64, BTreeSet<String>>>;
    /// The subjects of `record_ids` (records in the unresolved queue have none), each once.
    async fn subjects_of_records(&self, record_ids: &[i64]) -> Result<Vec<i64>>;
    /// Record counts by department, item, decision day and first receipt day.
    async fn record_stats(&self) -> Result<Vec<RecordStat>>;

    /// Records that publicity ended for `(record id, version, last day shown)`, once per record; each newly
    /// recorded one becomes a change-feed entry (entity `expiry`). Returns how many were new.
    async fn record_expiries(&self, ended: &[(i64, i64, Date)]) -> Result<usize>;

    /// Re-keys the records of every item whose natural-key definition in `catalog` differs from the one their keys
    /// were built with (see the `rekey` module): splits records whose versions now carry different keys, each
    /// change on the feed (entity `rekey`). Returns what it did; run at start, before any ingest.
    async fn rekey(&self, catalog: &Catalog) -> Result<Vec<Rekeyed>>;
}
