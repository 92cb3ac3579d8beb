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
#[path = "backend/feed.rs"]
mod feed;
#[path = "backend/ingest.rs"]
mod ingest;
#[path = "backend/records.rs"]
mod records;
#[path = "backend/rekey.rs"]
mod rekey;
#[path = "backend/subjects.rs"]
mod subjects;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Transaction};

use crate::{Result, Vault};

/// The database type the shared implementations are compiled with here.
type Db = sqlx::Postgres;
/// The store the shared implementations implement here.
type Backend = PgStore;

/// The advisory lock key of the change feed (`pg_advisory_xact_lock`): "credo" and 1 in one 64-bit number.
pub const FEED_LOCK: i64 = 0x6372_6564_6f00_0001;

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    vault: Arc<Vault>,
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

/// `YYYY-MM-DD`, the day in Beijing (UTC+8) of the stored time in `column` ([`crate::stored_time`]).
fn beijing_day(column: &str) -> String {
    format!("to_char(substr({column}, 1, 19)::timestamp + interval '8 hours', 'YYYY-MM-DD')")
}

impl PgStore {
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
        Ok(PgStore { pool, vault })
    }

    /// Applies the migrations that are missing (`migrations/postgres`).
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
