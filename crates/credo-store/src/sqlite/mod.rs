//! The embedded SQLite store (WAL journal). One writer at a time is SQLite's model; ingest holds the write lock
//! for one chunk, which lets it assign new ids itself and insert rows in multi-row statements.
//!
//! One file per aggregate, each implementing that aggregate's trait: `accounts` ([`crate::DepartmentStore`],
//! [`crate::AccountStore`]), `subjects`, `records` (with `ingest`), `audit`, `checks`, `cases` and `feed`. Rows are
//! read into `sqlx::FromRow` structs and turned into the crate's types there, opening through the vault what it
//! sealed.

mod accounts;
mod audit;
mod cases;
mod checks;
mod enrolments;
mod feed;
mod ingest;
mod records;
mod subjects;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use credo_domain::catalog::SubjectKind;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::{Result, StoreError, Vault};

/// SQLite allows 32766 bound parameters per statement; stay well below.
const PARAMS_PER_STATEMENT: usize = 30000;
const IN_LIST: usize = 900;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    vault: Arc<Vault>,
}

fn parse_time(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| StoreError::Corrupt(format!("time {s}: {e}")))
}

fn parse_date(s: Option<String>) -> Option<Date> {
    s.and_then(|s| Date::parse(&s, &time::format_description::well_known::Iso8601::DATE).ok())
}

impl SqliteStore {
    /// A file's bytes sealed for storage (`context` names the column).
    fn seal_file(&self, bytes: &[u8], context: &str) -> Result<String> {
        use base64::Engine as _;
        self.vault.seal(&base64::engine::general_purpose::STANDARD.encode(bytes), context)
    }

    /// A file's bytes from [`SqliteStore::seal_file`].
    fn open_file(&self, data: String, context: &str) -> Result<Vec<u8>> {
        use base64::Engine as _;
        let data = self.vault.open(data, context)?;
        base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| StoreError::Corrupt(context.to_string()))
    }
}

fn kind_of(s: &str) -> Result<SubjectKind> {
    SubjectKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("subject kind {s}")))
}

/// Rows per multi-row INSERT for a table with `cols` columns.
fn rows_per_insert(cols: usize) -> usize {
    PARAMS_PER_STATEMENT / cols
}

/// `?,?,…` for an `IN (…)` list of `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

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
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        // Once: what an earlier version left readable although an ID number is written in it.
        crate::reseal::run(&pool, &vault).await?;
        Ok(SqliteStore { pool, vault })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs `sql` with `text` and `id` bound, in that order.
    async fn exec(&self, sql: &'static str, id: i64, text: Option<String>) -> Result<()> {
        sqlx::query(sql).bind(text).bind(id).execute(&self.pool).await?;
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
