//! The PostgreSQL store, for production: many writers and readers at once, several server nodes over one database,
//! streaming replicas, backups with `pg_basebackup` and WAL archiving. Chosen by a `postgres://` URL.
//!
//! The aggregates' implementations are the ones SQLite uses (`backend/`, compiled here with PostgreSQL's types);
//! what differs is here: connecting and migrating (`migrations/postgres`), the feed lock and id assignment.
//!
//! **The feed lock.** SQLite has one writer at a time; PostgreSQL has many. Every transaction that appends to the
//! change feed (ingest, new departments, subjects assigned, publicity expiries, re-keying) first takes one advisory
//! transaction lock, [`FEED_LOCK`], held until it commits or rolls back. This keeps two promises SQLite's single
//! writer kept: the feed's sequence numbers become visible in order (a follower that has read up to N never later
//! finds a smaller one, although an identity column hands numbers out in the order transactions ask), and ingest
//! sees every earlier chunk when it resolves subjects and finds records by natural key, and may take the highest id
//! plus one for new subjects and records.

#[path = "backend/accounts.rs"]
mod accounts;
#[path = "backend/articles.rs"]
mod articles;
#[path = "backend/audit.rs"]
mod audit;
#[path = "backend/base.rs"]
mod base;
#[path = "backend/cases.rs"]
mod cases;
#[path = "backend/checks.rs"]
mod checks;
#[path = "backend/enrolments.rs"]
mod enrolments;
#[path = "backend/federation.rs"]
mod federation;
#[path = "backend/feed.rs"]
mod feed;
#[path = "backend/finance.rs"]
mod finance;
#[path = "backend/grades.rs"]
mod grades;
#[path = "backend/honours.rs"]
mod honours;
#[path = "backend/ingest.rs"]
mod ingest;
#[path = "backend/integrity.rs"]
mod integrity;
#[path = "backend/judgements.rs"]
mod judgements;
#[path = "backend/portable.rs"]
mod portable;
#[path = "backend/records.rs"]
mod records;
#[path = "backend/rekey.rs"]
mod rekey;
#[path = "backend/reports.rs"]
mod reports;
#[path = "backend/shared.rs"]
mod shared;
#[path = "backend/subjects.rs"]
mod subjects;
#[path = "backend/webhooks.rs"]
mod webhooks;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Transaction};

use crate::sql::{Val, copy_text};
use crate::{Result, Vault};

/// The database type the shared implementations are compiled with here.
type Db = sqlx::Postgres;
/// The store the shared implementations implement here.
type Backend = PgStore;

/// The schema's migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The advisory lock key of the change feed (`pg_advisory_xact_lock`): "credo" and 1 in one 64-bit number.
pub const FEED_LOCK: i64 = 0x6372_6564_6f00_0001;

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    vault: Arc<Vault>,
    /// The connection holding the jobs lock ([`JOBS_LOCK`]) while this store leads the scheduled jobs.
    jobs: Arc<tokio::sync::Mutex<Option<sqlx::PgConnection>>>,
}

/// The advisory lock key of the scheduled jobs' lead (a session lock: released when its connection ends).
pub const JOBS_LOCK: i64 = 0x6372_6564_6f00_0002;

/// [`crate::Feed::lead_jobs`]: a session advisory lock ([`JOBS_LOCK`]) on a connection taken out of the pool and kept;
/// when that connection is lost, the lock is gone with it and is taken again (or by another node).
async fn lead_jobs(store: &PgStore) -> Result<bool> {
    let mut held = store.jobs.lock().await;
    if let Some(conn) = held.as_mut() {
        if sqlx::query("SELECT 1").execute(&mut *conn).await.is_ok() {
            return Ok(true);
        }
        *held = None;
    }
    let mut conn = store.pool.acquire().await?.detach();
    let taken: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(JOBS_LOCK).fetch_one(&mut conn).await?;
    if taken {
        *held = Some(conn);
    }
    Ok(taken)
}

/// Takes the feed lock for the rest of the transaction (see the module's documentation).
async fn feed_lock(tx: &mut Transaction<'_, Db>) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FEED_LOCK).execute(&mut **tx).await?;
    Ok(())
}

/// A transaction that holds the feed lock from its start.
async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Db>> {
    let mut tx = pool.begin().await?;
    feed_lock(&mut tx).await?;
    Ok(tx)
}

/// The next free id of `table` (its `id` column), inside an ingest transaction holding the feed lock: the highest
/// plus one (subjects and records get their ids only from ingest and re-keying, both under the lock).
async fn next_id(tx: &mut Transaction<'_, Db>, table: &str) -> Result<i64> {
    let sql = format!("SELECT MAX(id) FROM {table}");
    Ok(sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut **tx).await?.unwrap_or(0) + 1)
}

/// After an import: each identity column continues after the highest id imported.
async fn continue_ids(pool: &PgPool) -> Result<()> {
    for (table, column) in [
        ("departments", "id"),
        ("api_keys", "id"),
        ("batches", "id"),
        ("accounts", "id"),
        ("cases", "id"),
        ("enrolments", "id"),
        ("report_authorisations", "id"),
        ("judgements", "id"),
        ("grades", "id"),
        ("inspection_draws", "id"),
        ("webhooks", "id"),
        ("webhook_deliveries", "id"),
        ("articles", "id"),
        ("credit_products", "id"),
        ("loan_applications", "id"),
        ("honours", "id"),
        ("gov_commitments", "id"),
        ("agencies", "id"),
        ("changes", "seq"),
    ] {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    }
    Ok(())
}

/// Rows written in bulk into `table`: one `COPY … FROM STDIN` in the text format, sent in pieces of about 1 MiB.
/// How a read in a transaction locks the rows it reads for the transaction's write.
const FOR_UPDATE: &str = " FOR UPDATE";

/// `$1,$2,…` for an `IN (…)` list of `n` values that are the statement's first `n` arguments.
fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

async fn insert_rows<const N: usize>(
    tx: &mut Transaction<'_, Db>,
    table: &str,
    columns: [&str; N],
    rows: &[[Val<'_>; N]],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = tx.copy_in_raw(&sql).await?;
    let mut buf = Vec::with_capacity(1 << 20);
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            copy_text(&mut buf, *v);
        }
        buf.push(b'\n');
        if buf.len() >= 1 << 20 {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// `YYYY-MM-DD`, the day in Beijing (UTC+8) of the stored time in `column` ([`crate::stored_time`]).
fn beijing_day(column: &str) -> String {
    format!("to_char(substr({column}, 1, 19)::timestamp + interval '8 hours', 'YYYY-MM-DD')")
}

/// The migrations this version has that the database behind `pool` has not applied, by version.
async fn pending(pool: &PgPool) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pool).await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect())
}

impl PgStore {
    /// A transaction for a bulk write (ingest): PostgreSQL's connections are all alike.
    async fn begin_bulk(&self) -> Result<Transaction<'static, Db>> {
        Ok(self.pool.begin().await?)
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) and applies the
    /// migrations that are missing; `vault` seals what is personal.
    pub async fn connect(url: &str, vault: Arc<Vault>) -> Result<PgStore> {
        let store = PgStore::connect_only(url, vault).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (a store whose schema is managed with `credo migrate`).
    pub async fn connect_only(url: &str, vault: Arc<Vault>) -> Result<PgStore> {
        let opts = PgConnectOptions::from_str(url)?.application_name("credo");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(PgStore { pool, vault, jobs: Arc::default() })
    }

    /// Applies the migrations that are missing in the database at `url` (no keyring needed: `credo migrate`).
    /// Returns the versions it applied.
    pub async fn migrate_database(url: &str) -> Result<Vec<i64>> {
        let opts = PgConnectOptions::from_str(url)?.application_name("credo migrate");
        let pool = PgPoolOptions::new().max_connections(1).connect_with(opts).await?;
        let applied = pending(&pool).await?;
        MIGRATOR.run(&pool).await?;
        pool.close().await;
        Ok(applied)
    }

    /// Applies the migrations that are missing (`migrations/postgres`); several processes may try at once (the
    /// migrator takes an advisory lock). Returns the versions it applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let pending = self.pending_migrations().await?;
        MIGRATOR.run(&self.pool).await?;
        Ok(pending)
    }

    /// The migrations this version has that the database has not applied, by version.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>> {
        pending(&self.pool).await
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
