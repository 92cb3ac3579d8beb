//! The embedded SQLite store (WAL journal). One writer at a time is SQLite's model; ingest holds the write lock
//! for one chunk, which lets it assign new ids itself and insert rows in multi-row statements.
//!
//! The aggregates' implementations are shared with PostgreSQL (`backend/`, compiled here with SQLite's types):
//! `accounts` ([`crate::DepartmentStore`], [`crate::AccountStore`]), `subjects`, `records` (with `ingest`), `audit`,
//! `checks`, `cases`, `enrolments` and `feed`. Rows are read into `sqlx::FromRow` structs and turned into the crate's
//! types there, opening through the vault what it sealed.

#[path = "../backend/accounts.rs"]
mod accounts;
#[path = "../backend/articles.rs"]
mod articles;
#[path = "../backend/audit.rs"]
mod audit;
#[path = "../backend/base.rs"]
mod base;
#[path = "../backend/cases.rs"]
mod cases;
#[path = "../backend/checks.rs"]
mod checks;
#[path = "../backend/enrolments.rs"]
mod enrolments;
#[path = "../backend/federation.rs"]
mod federation;
#[path = "../backend/feed.rs"]
mod feed;
#[path = "../backend/finance.rs"]
mod finance;
#[path = "../backend/grades.rs"]
mod grades;
#[path = "../backend/honours.rs"]
mod honours;
#[path = "../backend/ingest.rs"]
mod ingest;
#[path = "../backend/integrity.rs"]
mod integrity;
#[path = "../backend/judgements.rs"]
mod judgements;
#[path = "../backend/portable.rs"]
mod portable;
#[path = "../backend/records.rs"]
mod records;
#[path = "../backend/rekey.rs"]
mod rekey;
#[path = "../backend/reports.rs"]
mod reports;
#[path = "../backend/shared.rs"]
mod shared;
#[path = "../backend/subjects.rs"]
mod subjects;
#[path = "../backend/webhooks.rs"]
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlitePool, Transaction};

use crate::sql::{Val, rows_per_insert};
use crate::{Result, StoreError, Vault};

/// The database type the shared implementations are compiled with here.
type Db = sqlx::Sqlite;
/// The store the shared implementations implement here.
type Backend = SqliteStore;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection of its own for bulk writes (ingest), with a larger page cache than the pool's: a batch's
    /// inserts land all over the indexes of the records and codes. It is closed when idle, freeing the cache.
    bulk: SqlitePool,
    vault: Arc<Vault>,
    /// The database's directory.
    dir: std::path::PathBuf,
    /// `jobs.lock` in the directory, locked while this store leads the scheduled jobs.
    jobs: Arc<std::sync::Mutex<Option<std::fs::File>>>,
}

/// [`crate::Feed::lead_jobs`]: an exclusive lock on `jobs.lock` beside the database (released by the system when the
/// file is closed, also when the process dies).
async fn lead_jobs(store: &SqliteStore) -> Result<bool> {
    let mut held = store.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if held.is_some() {
        return Ok(true);
    }
    let path = store.dir.join("jobs.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {
            *held = Some(file);
            Ok(true)
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Corrupt(format!("{}: {e}", path.display()))),
    }
}

/// The change feed's lock, taken by every transaction that appends to it (see the PostgreSQL store): SQLite has one
/// writer, whose write lock is taken with the transaction's first write and held to its commit; nothing to take.
async fn feed_lock(_tx: &mut Transaction<'_, Db>) -> Result<()> {
    Ok(())
}

/// A transaction that writes from its start (`BEGIN IMMEDIATE`: it waits for the write lock before reading).
async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Db>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// After an import: SQLite gives new rows the highest id plus one by itself.
async fn continue_ids(_pool: &SqlitePool) -> Result<()> {
    Ok(())
}

/// `?,?,…` for an `IN (…)` list of `n` values that are the statement's first `n` arguments. SQLite finds a named
/// parameter (`$7`) by searching the names before it, and sqlx looks each one's name up again when it binds: a list
/// of hundreds of `$n` costs their square. Anonymous ones cost nothing, and sqlx gives them the arguments in order
/// from the first.
/// How a read in a transaction locks the rows it reads for the transaction's write: SQLite has one writer at a time,
/// so nothing.
const FOR_UPDATE: &str = "";

fn marks(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

/// Rows per multi-row `INSERT` ([`insert_rows`]).
const ROWS_PER_STATEMENT: usize = 256;

/// Rows written in bulk into `table`: multi-row `INSERT`s.
async fn insert_rows<const N: usize>(
    tx: &mut Transaction<'_, Db>,
    table: &str,
    columns: [&str; N],
    rows: &[[Val<'_>; N]],
) -> Result<()> {
    let head = format!("INSERT INTO {table} ({}) ", columns.join(", "));
    // Statements of a fixed number of rows: one text per table, prepared once per connection and kept; only a
    // shorter last one is prepared for its single use.
    let per = rows_per_insert(N).min(ROWS_PER_STATEMENT);
    for chunk in rows.chunks(per) {
        let mut q = sqlx::QueryBuilder::<Db>::new(&head);
        q.push_values(chunk, |mut b, row| {
            for v in row {
                match *v {
                    Val::Int(i) => b.push_bind(i),
                    Val::Text(t) => b.push_bind(t),
                    Val::Null => b.push_bind(Option::<&str>::None),
                };
            }
        });
        q.build().persistent(chunk.len() == per).execute(&mut **tx).await?;
    }
    Ok(())
}

/// `YYYY-MM-DD`, the day in Beijing (UTC+8) of the stored time in `column` ([`crate::stored_time`]).
fn beijing_day(column: &str) -> String {
    format!("date(substr({column}, 1, 19), '+8 hours')")
}

/// The next free id of `table` (its `id` column), inside an ingest transaction: the highest plus one (the
/// write lock is held from the transaction's first write to its commit).
async fn next_id(tx: &mut Transaction<'_, Db>, table: &str) -> Result<i64> {
    let sql = format!("SELECT MAX(id) FROM {table}");
    Ok(sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut **tx).await?.unwrap_or(0) + 1)
}

/// The bulk connection's page cache (128 MiB; the pool's connections have 32 MiB).
const BULK_CACHE: &str = "-131072";

impl SqliteStore {
    /// Opens (creating if needed) `DIR/credo.sqlite` and applies the migrations; `vault` seals what is personal.
    pub async fn open(dir: &Path, vault: Arc<Vault>) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt(format!("{}: {e}", dir.display())))?;
        let url = format!("sqlite://{}", dir.join("credo.sqlite").display());
        let opts = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL is durable across application crashes; a power loss may lose the last commits,
            // which re-submission (idempotent) restores.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // 32 MiB page cache per connection, 4 connections: bounded memory for the server.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts.clone()).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let bulk = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(30))
            .connect_lazy_with(opts.pragma("cache_size", BULK_CACHE));
        // Once: what an earlier version left readable although an ID number is written in it.
        crate::reseal::run(&pool, &vault).await?;
        Ok(SqliteStore { pool, bulk, vault, dir: dir.to_path_buf(), jobs: Arc::default() })
    }

    /// A transaction for a bulk write, on the bulk connection.
    async fn begin_bulk(&self) -> Result<Transaction<'static, Db>> {
        begin_write(&self.bulk).await
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A consistent copy of the database at `path` (a new file), taken while the store is in use (`VACUUM INTO`:
    /// one read transaction; writers go on).
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        let target = path.to_str().ok_or_else(|| StoreError::Corrupt(format!("{}: not UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{AccountStore, NewAccount};

    /// Migration `0011_stored_times` brings the times an earlier version stored (fraction without trailing zeros,
    /// locks in whole seconds) to the fixed-width form, so that they compare with new ones as instants.
    #[tokio::test]
    async fn older_stored_times_are_brought_to_the_fixed_width_form() {
        let dir = tempfile::tempdir().unwrap();
        let ring = credo_gm::keyring::Keyring::generate();
        let vault = Arc::new(Vault::new(&ring, Vec::new()).unwrap());
        let store = SqliteStore::open(dir.path(), vault.clone()).await.unwrap();
        let account = NewAccount {
            username: "zhangsan".into(),
            name: "张三".into(),
            role: "submitter".into(),
            department_id: None,
            subject_id: None,
            region: None,
            password_hash: "$argon2id$x".into(),
            totp_secret: None,
            created_by: "test".into(),
        };
        let id = store.add_account(account).await.unwrap().id;
        let old = [
            "UPDATE accounts SET failed_logins = 1, locked_until = '2030-01-01T00:00:01Z'",
            "INSERT INTO departments (id, uscc, name, created_at, created_by) VALUES \
             (1, 'd', 'd', '2030-01-01T00:00:00Z', 't')",
            "INSERT INTO batches (id, department_id, item, channel, received_at) VALUES \
             (1, 1, 'xzcf', 't', '2030-01-01T00:00:00Z')",
            "INSERT INTO records (id, item, department_id, natural_key, latest_version, content_hash) VALUES \
             (1, 'xzcf', 1, 'k', 2, 'h')",
            "INSERT INTO record_versions (record_id, version, batch_id, received_at, content_hash, fields) VALUES \
             (1, 1, 1, '2030-01-01T00:00:00Z', 'h', '{}'), (1, 2, 1, '2030-01-01T00:00:00.25Z', 'h', '{}')",
            "INSERT INTO checks (id, scene, receipt, signature, created_at) VALUES \
             ('a', 's', 'r', 'x', '2030-01-01T00:00:00.5Z'), ('b', 's', 'r', 'x', '2030-01-01T00:00:00.123456789Z')",
            "DELETE FROM _sqlx_migrations WHERE version = 11",
        ];
        for sql in old {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        store.pool().close().await;

        let store = SqliteStore::open(dir.path(), vault).await.unwrap();
        let store = &store;
        let texts = |sql: &'static str| async move {
            sqlx::query_scalar::<_, String>(sql).fetch_all(store.pool()).await.unwrap()
        };
        assert_eq!(
            texts("SELECT received_at FROM record_versions ORDER BY received_at").await,
            ["2030-01-01T00:00:00.000000000Z", "2030-01-01T00:00:00.250000000Z"]
        );
        assert_eq!(
            texts("SELECT id || ' ' || created_at FROM checks ORDER BY created_at").await,
            ["b 2030-01-01T00:00:00.123456789Z", "a 2030-01-01T00:00:00.500000000Z"]
        );
        assert_eq!(texts("SELECT locked_until FROM accounts").await, ["2030-01-01T00:00:01.000000000Z"]);
        let until = datetime!(2030-01-01 0:00:01 UTC);
        let later = until + time::Duration::minutes(15);
        let almost = until - time::Duration::milliseconds(1);
        assert_eq!(store.login_attempt(id, almost, 5, later).await.unwrap(), None, "still locked");
        assert_eq!(store.account(id).await.unwrap().unwrap().locked_until, Some(until));
        assert_eq!(store.login_attempt(id, until, 5, later).await.unwrap(), Some(1), "the lock has run out");
    }
}
