//! The change feed (a monotonic sequence of what changed, which the indexes follow) and the store's counts.

use async_trait::async_trait;
use serde::Serialize;

use crate::Result;

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub seq: i64,
    /// `subject`, `record`, `department`, `api_key`, `expiry` or `rekey`.
    pub entity: String,
    pub entity_id: i64,
    pub version: Option<i64>,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
    /// What the entry says beyond entity and id: for `rekey`, a [`Rekeyed`] (old and new key, moved versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// Counts for the home page and the operators.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub subjects: i64,
    pub records: i64,
    pub unresolved: i64,
    pub departments: i64,
    /// Batches submitted (files, API posts, entries).
    pub batches: i64,
    /// Check receipts issued.
    pub checks: i64,
}

/// The largest snapshot chunk a store keeps or reads (a bigger one is refused on writing, and not read: as if gone).
pub const MAX_INDEX_CHUNK: usize = 64 << 20;

/// A snapshot of an index built from the records (see [`Feed::index_snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSnapshot {
    pub generation: i64,
    /// What the snapshot was built with (its format, the catalog, the keys, the program): a node uses it only when
    /// this is its own.
    pub fingerprint: String,
    /// The change feed up to here is in it.
    pub seq: i64,
    pub chunks: i64,
}

/// A department that reads the change feed (a provincial platform, a department's system) and how far it has
/// acknowledged it: a read from `after = N` acknowledges every entry up to N.
#[derive(Debug, Clone, Serialize)]
pub struct FeedConsumer {
    pub department_id: i64,
    pub acked_seq: i64,
    pub acked_at: Option<String>,
    pub read_at: String,
    /// Record entries acknowledged after their deadline.
    pub late: i64,
}

/// What a consumer has not acknowledged yet: record entries after its place.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Unacknowledged {
    pub count: i64,
    /// The oldest one's time (stored form).
    pub oldest: Option<String>,
    /// Of them, those whose deadline has passed.
    pub overdue: i64,
}

/// The change feed and counts.
#[async_trait]
pub trait Feed: Send + Sync {
    async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>>;
    async fn last_seq(&self) -> Result<i64>;
    /// The feed's last sequence number, and whether who may do what changed after `seq` up to it (a department
    /// added or its permissions replaced, an API key issued or revoked): what a node's directory of keys and
    /// departments polls. Entries up to the returned number are all visible when it is (feed numbers are visible in
    /// commit order).
    async fn access_changed_after(&self, seq: i64) -> Result<(i64, bool)>;
    async fn counts(&self) -> Result<Counts>;
    /// Records that `department` acknowledged the feed up to `seq` at `now` (never backwards), counting the record
    /// entries it acknowledged that came before `late_before` (their deadline had passed) as late.
    async fn acknowledge_feed(
        &self,
        department: i64,
        seq: i64,
        now: time::OffsetDateTime,
        late_before: time::OffsetDateTime,
    ) -> Result<()>;
    async fn feed_consumers(&self) -> Result<Vec<FeedConsumer>>;
    /// Record entries after `seq`, and how many of them came before `late_before`.
    async fn unacknowledged(&self, seq: i64, late_before: time::OffsetDateTime) -> Result<Unacknowledged>;
    /// Whether this store leads the scheduled jobs (publicity expiries, audit checkpoints and archiving), which
    /// exactly one process over the same data must run: takes the lead if no other holds it, keeps it once taken,
    /// and gives it up when the store is dropped (or its process dies), so that another can take it over.
    /// SQLite: a lock on a file beside the database; PostgreSQL: a session advisory lock on a connection of its own.
    async fn lead_jobs(&self) -> Result<bool>;
    /// Keeps one chunk of an index snapshot under construction (`generation`: any number not used before, e.g.
    /// random). Nothing reads it before [`Feed::commit_index_snapshot`].
    async fn put_index_chunk(&self, generation: i64, no: i64, data: &[u8]) -> Result<()>;
    /// Makes `snapshot` (its chunks `0..chunks` put before) the current one of `kind`, and removes the chunks of
    /// every other generation (an older snapshot, or one whose writer died before committing it).
    async fn commit_index_snapshot(&self, kind: &str, snapshot: &IndexSnapshot) -> Result<()>;
    /// The current snapshot of `kind`, if one was committed.
    async fn index_snapshot(&self, kind: &str) -> Result<Option<IndexSnapshot>>;
    /// One chunk of a snapshot (`None` if it is gone: a newer snapshot replaced it since).
    async fn index_chunk(&self, generation: i64, no: i64) -> Result<Option<Vec<u8>>>;
    /// Removes the snapshot of `kind` and its chunks (the next node to start builds the index from the records);
    /// `false` if there was none.
    async fn drop_index_snapshot(&self, kind: &str) -> Result<bool>;
}
