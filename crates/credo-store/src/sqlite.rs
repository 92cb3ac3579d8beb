//! The embedded SQLite store (WAL journal). One writer at a time is SQLite's model; ingest holds the write lock
//! for one chunk, which lets it assign new ids itself and insert rows in multi-row statements.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use credo_domain::catalog::SubjectKind;
use credo_domain::name::normalize_name;
use credo_domain::resolution::{Keys, Resolution, resolve};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::*;

/// SQLite allows 32766 bound parameters per statement; stay well below.
const PARAMS_PER_STATEMENT: usize = 30000;
const IN_LIST: usize = 900;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    vault: Arc<Vault>,
}

fn now_text() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// A time as fixed-width UTC RFC 3339 text (whole seconds), so that SQL compares such texts in time order.
fn sortable_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_time(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| StoreError::Corrupt(format!("time {s}: {e}")))
}

fn parse_date(s: Option<String>) -> Option<Date> {
    s.and_then(|s| Date::parse(&s, &time::format_description::well_known::Iso8601::DATE).ok())
}

fn kind_of(s: &str) -> Result<SubjectKind> {
    SubjectKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("subject kind {s}")))
}

async fn add_step(
    tx: &mut Transaction<'_, Sqlite>,
    case_id: i64,
    at: &str,
    actor: &str,
    step: &str,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_steps (case_id, seq, at, actor, step, note)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_steps WHERE case_id = ?), ?, ?, ?, ?)",
    )
    .bind(case_id)
    .bind(case_id)
    .bind(at)
    .bind(actor)
    .bind(step)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqliteStore {
    async fn case_of(&self, r: &SqliteRow) -> Result<Case> {
        let id: i64 = r.try_get("id")?;
        let files = sqlx::query("SELECT n, name, sm3, size FROM case_files WHERE case_id = ? ORDER BY n")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|f| {
                Ok(CaseFile {
                    n: f.try_get("n")?,
                    name: f.try_get("name")?,
                    sm3: f.try_get("sm3")?,
                    size: f.try_get("size")?,
                })
            })
            .collect::<Result<_>>()?;
        let steps = sqlx::query("SELECT at, actor, step, note FROM case_steps WHERE case_id = ? ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|s| {
                Ok(CaseStep {
                    at: s.try_get("at")?,
                    actor: s.try_get("actor")?,
                    step: s.try_get("step")?,
                    note: s.try_get("note")?,
                })
            })
            .collect::<Result<_>>()?;
        let applicant: Option<String> = r.try_get("applicant")?;
        let content = self.vault.open(r.try_get("content")?, "case.content")?;
        Ok(Case {
            id,
            number: r.try_get("number")?,
            kind: r.try_get("kind")?,
            record_id: r.try_get("record_id")?,
            subject_id: r.try_get("subject_id")?,
            department_id: r.try_get("department_id")?,
            account_id: r.try_get("account_id")?,
            applicant: applicant.map(|a| self.vault.open(a, "case.applicant")).transpose()?,
            content: serde_json::from_str(&content).map_err(|e| StoreError::Corrupt(format!("case content: {e}")))?,
            state: r.try_get("state")?,
            filed_at: r.try_get("filed_at")?,
            due_on: parse_date(r.try_get("due_on")?),
            extended_days: r.try_get("extended_days")?,
            closed_at: r.try_get("closed_at")?,
            outcome: r.try_get("outcome")?,
            outcome_reason: r.try_get("outcome_reason")?,
            files,
            steps,
        })
    }

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

    fn department_from(row: &SqliteRow) -> Result<Department> {
        Ok(Department {
            id: row.try_get("id")?,
            uscc: row.try_get("uscc")?,
            name: row.try_get("name")?,
            region: row.try_get("region")?,
            created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
            created_by: row.try_get("created_by")?,
            permissions: serde_json::from_str(&row.try_get::<String, _>("permissions")?)
                .map_err(|e| StoreError::Corrupt(format!("permissions: {e}")))?,
        })
    }

    fn api_key_from(r: &SqliteRow) -> Result<ApiKey> {
        Ok(ApiKey {
            id: r.try_get("id")?,
            department_id: r.try_get("department_id")?,
            prefix: r.try_get("prefix")?,
            hash: r.try_get("hash")?,
            scopes: serde_json::from_str(&r.try_get::<String, _>("scopes")?)
                .map_err(|e| StoreError::Corrupt(format!("scopes: {e}")))?,
            expires_at: r.try_get::<Option<String>, _>("expires_at")?.map(|t| parse_time(&t)).transpose()?,
            revoked: r.try_get::<Option<String>, _>("revoked_at")?.is_some(),
        })
    }

    fn account_from(&self, r: &SqliteRow) -> Result<Account> {
        let totp: Option<String> = r.try_get("totp_secret")?;
        Ok(Account {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            name: r.try_get("name")?,
            role: r.try_get("role")?,
            department_id: r.try_get("department_id")?,
            subject_id: r.try_get("subject_id")?,
            password_hash: r.try_get("password_hash")?,
            totp_secret: totp.map(|t| self.vault.open(t, "accounts.totp_secret")).transpose()?,
            totp_last_step: r.try_get("totp_last_step")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get::<Option<String>, _>("locked_until")?.map(|t| parse_time(&t)).transpose()?,
            disabled: r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
            password_set_at: parse_time(&r.try_get::<String, _>("password_set_at")?)?,
            created_at: parse_time(&r.try_get::<String, _>("created_at")?)?,
        })
    }

    async fn accounts_where(&self, clause: &str, bind: Option<String>) -> Result<Vec<Account>> {
        let sql = format!("SELECT * FROM accounts WHERE {clause} ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(b) = bind {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool).await?.iter().map(|r| self.account_from(r)).collect()
    }

    async fn audit_where(&self, clause: &str, key: String, limit: i64) -> Result<Vec<StoredAuditEvent>> {
        let sql = format!("SELECT * FROM audit_events WHERE {clause}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(audit_from).collect()
    }

    async fn exec(&self, sql: &'static str, id: i64, text: Option<String>) -> Result<()> {
        sqlx::query(sql).bind(text).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Subjects chosen by `clause` (over `subjects`), each with all its codes, in one query: the codes are
    /// joined in and folded back, so reading a subject costs one round trip to the database.
    async fn subjects_where(&self, clause: &str, bind: Vec<i64>, text: &[&str]) -> Result<Vec<Subject>> {
        let sql = format!(
            "SELECT s.id, s.kind, s.code, s.name, s.name_norm, s.region, s.status, s.profile, c.code AS known_code
             FROM subjects s LEFT JOIN subject_codes c ON c.subject_id = s.id
             WHERE s.id IN (SELECT id FROM subjects WHERE {clause})
             ORDER BY s.id, c.code"
        );
        // Fixed clauses and short lists are worth a cached prepared statement; lists of every length are not.
        let cache = !clause.contains(" IN (") || bind.len() + text.len() <= 4;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(cache);
        for t in text {
            q = q.bind(t.to_string());
        }
        for b in bind {
            q = q.bind(b);
        }
        let mut out: Vec<Subject> = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let id: i64 = r.try_get("id")?;
            let code: Option<String> = r.try_get("known_code")?;
            if let Some(last) = out.last_mut().filter(|s| s.id == id) {
                last.codes.extend(code);
                continue;
            }
            let profile: Option<String> = r.try_get("profile")?;
            let profile = match profile.and_then(|p| serde_json::from_str::<BTreeMap<String, String>>(&p).ok()) {
                Some(mut fields) => {
                    self.vault.open_fields(&mut fields)?;
                    Some(serde_json::to_value(fields).unwrap_or_default())
                }
                None => None,
            };
            let stored_code: Option<String> = r.try_get("code")?;
            // A name with an ID number written in it is sealed, and keyed by the blind index of its normal form.
            let name = self.vault.open(r.try_get("name")?, "subjects.name")?;
            let name_norm: String = r.try_get("name_norm")?;
            let name_norm = if Vault::is_blind(&name_norm) { normalize_name(&name) } else { name_norm };
            out.push(Subject {
                id,
                kind: kind_of(&r.try_get::<String, _>("kind")?)?,
                code: stored_code.map(|c| self.vault.open(c, "subjects.code")).transpose()?,
                name,
                name_norm,
                region: r.try_get("region")?,
                status: r.try_get("status")?,
                profile,
                codes: code.into_iter().collect(),
            });
        }
        Ok(out)
    }

    async fn record_views(&self, clause: &str, binds: Vec<i64>) -> Result<Vec<RecordView>> {
        self.record_versions_where("v.version = r.latest_version", None, clause, binds).await
    }

    /// Records with the version chosen by `version` (a condition on `v`, with an optional text bind), filtered by
    /// `clause` (with integer binds).
    async fn record_versions_where(
        &self,
        version: &str,
        version_bind: Option<String>,
        clause: &str,
        binds: Vec<i64>,
    ) -> Result<Vec<RecordView>> {
        let sql = format!(
            "SELECT r.id, r.item, v.version AS latest_version, r.decided_on, r.subject_id, d.name AS dname, d.uscc AS duscc,
                    v.received_at, v.batch_id, v.fields,
                    (SELECT MIN(f.received_at) FROM record_versions f WHERE f.record_id = r.id) AS first_received
             FROM records r
             JOIN record_versions v ON v.record_id = r.id AND {version}
             JOIN departments d ON d.id = r.department_id
             WHERE {clause}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(!clause.contains(" IN ("));
        if let Some(b) = version_bind {
            q = q.bind(b);
        }
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let fields = self.vault.open_stored(&r.try_get::<String, _>("fields")?)?;
                Ok(RecordView {
                    id: r.try_get("id")?,
                    item: r.try_get("item")?,
                    version: r.try_get("latest_version")?,
                    department_name: r.try_get("dname")?,
                    department_uscc: r.try_get("duscc")?,
                    decided_on: parse_date(r.try_get("decided_on")?),
                    received_at: parse_time(&r.try_get::<String, _>("received_at")?)?,
                    first_received_at: parse_time(&r.try_get::<String, _>("first_received")?)?,
                    batch_id: r.try_get("batch_id")?,
                    fields,
                    subject_id: r.try_get("subject_id")?,
                })
            })
            .collect()
    }
}

/// Runs `{select} IN (…)` over many text values, in lists of at most [`IN_LIST`].
async fn select_in(tx: &mut Transaction<'_, Sqlite>, select: &str, values: &[&str]) -> Result<Vec<SqliteRow>> {
    let mut rows = Vec::new();
    for chunk in values.chunks(IN_LIST) {
        let mut q = QueryBuilder::<Sqlite>::new(select);
        q.push(" IN (");
        let mut sep = q.separated(",");
        for v in chunk {
            sep.push_bind(*v);
        }
        q.push(")");
        rows.extend(q.build().persistent(false).fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// Looks up `code → subject_id` for many codes at once.
async fn lookup_codes(tx: &mut Transaction<'_, Sqlite>, codes: &[&str]) -> Result<HashMap<String, i64>> {
    let rows = select_in(tx, "SELECT code, subject_id FROM subject_codes WHERE code", codes).await?;
    rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("subject_id")?))).collect()
}

/// Looks up `name_norm → [(subject_id, region)]` for many names at once.
async fn lookup_names(
    tx: &mut Transaction<'_, Sqlite>,
    names: &[&str],
) -> Result<HashMap<String, Vec<(i64, Option<String>)>>> {
    let mut out: HashMap<String, Vec<(i64, Option<String>)>> = HashMap::new();
    for r in select_in(tx, "SELECT id, name_norm, region FROM subjects WHERE name_norm", names).await? {
        out.entry(r.try_get("name_norm")?).or_default().push((r.try_get("id")?, r.try_get("region")?));
    }
    Ok(out)
}

struct ExistingRecord {
    id: i64,
    version: i64,
    hash: String,
    /// The batch of the latest version.
    batch: i64,
}

/// 登记状态 of a registration row (`存续`, `注销` …), if it is one.
fn registration_status(r: &Incoming) -> Option<String> {
    if !r.registration {
        return None;
    }
    r.record.subject.status.clone()
}

/// Rows per multi-row INSERT for a table with `cols` columns.
fn rows_per_insert(cols: usize) -> usize {
    PARAMS_PER_STATEMENT / cols
}

#[async_trait]
impl Store for SqliteStore {
    async fn department_by_uscc(&self, uscc: &str) -> Result<Option<Department>> {
        let row = sqlx::query("SELECT * FROM departments WHERE uscc = ?").bind(uscc).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::department_from).transpose()
    }

    async fn add_department(&self, d: NewDepartment) -> Result<Department> {
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let res =
            sqlx::query("INSERT INTO departments (uscc, name, region, created_at, created_by, permissions) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(&d.uscc)
                .bind(&d.name)
                .bind(&d.region)
                .bind(&now)
                .bind(&d.created_by)
                .bind(json(&d.permissions))
                .execute(&mut *tx)
                .await;
        let id = match res {
            Ok(r) => r.last_insert_rowid(),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!("部门 {} 已存在", d.uscc)));
            }
            Err(e) => return Err(e.into()),
        };
        sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ('department', ?, NULL, ?)")
            .bind(id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.department_by_uscc(&d.uscc).await?.ok_or_else(|| StoreError::NotFound(d.uscc))
    }

    async fn department(&self, id: i64) -> Result<Option<Department>> {
        let row = sqlx::query("SELECT * FROM departments WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::department_from).transpose()
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        sqlx::query("SELECT * FROM departments ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::department_from)
            .collect()
    }

    async fn set_permissions(&self, department_id: i64, p: &Permissions) -> Result<()> {
        self.exec("UPDATE departments SET permissions = ? WHERE id = ?", department_id, Some(json(p))).await
    }

    async fn add_api_key(&self, k: NewApiKey) -> Result<ApiKey> {
        sqlx::query(
            "INSERT INTO api_keys (department_id, prefix, hash, created_at, scopes, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(k.department_id)
        .bind(&k.prefix)
        .bind(&k.hash)
        .bind(now_text())
        .bind(json(&k.scopes))
        .bind(k.expires_at.map(|t| t.format(&Rfc3339).unwrap_or_default()))
        .bind(&k.created_by)
        .execute(&self.pool)
        .await?;
        self.api_key(&k.prefix).await?.ok_or(StoreError::NotFound(k.prefix))
    }

    async fn api_key(&self, prefix: &str) -> Result<Option<ApiKey>> {
        let row =
            sqlx::query("SELECT * FROM api_keys WHERE prefix = ?").bind(prefix).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::api_key_from).transpose()
    }

    async fn api_keys(&self, department_id: i64) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query("SELECT * FROM api_keys WHERE department_id = ? ORDER BY id")
            .bind(department_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::api_key_from).collect()
    }

    async fn revoke_api_key(&self, prefix: &str) -> Result<bool> {
        let n = sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL")
            .bind(now_text())
            .bind(prefix)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn add_account(&self, a: NewAccount) -> Result<Account> {
        let now = now_text();
        let totp = a.totp_secret.as_deref().map(|t| self.vault.seal(t, "accounts.totp_secret")).transpose()?;
        let res = sqlx::query(
            "INSERT INTO accounts (username, name, role, department_id, subject_id, password_hash, totp_secret, password_set_at, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&a.username)
        .bind(&a.name)
        .bind(&a.role)
        .bind(a.department_id)
        .bind(a.subject_id)
        .bind(&a.password_hash)
        .bind(totp)
        .bind(&now)
        .bind(&now)
        .bind(&a.created_by)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!("账号 {} 已存在", a.username)));
            }
            Err(e) => return Err(e.into()),
        }
        self.account_by_username(&a.username).await?.ok_or(StoreError::NotFound(a.username))
    }

    async fn account(&self, id: i64) -> Result<Option<Account>> {
        Ok(self.accounts_where("id = ?", Some(id.to_string())).await?.pop())
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        Ok(self.accounts_where("username = ?", Some(username.to_string())).await?.pop())
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        self.accounts_where("1 = 1", None).await
    }

    async fn set_password(&self, id: i64, hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = ?, password_set_at = ? WHERE id = ?")
            .bind(hash)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<()> {
        let sealed = secret.map(|t| self.vault.seal(t, "accounts.totp_secret")).transpose()?;
        self.exec("UPDATE accounts SET totp_secret = ?, totp_last_step = NULL WHERE id = ?", id, sealed).await
    }

    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET disabled_at = ? WHERE id = ?")
            .bind(disabled.then(now_text))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_attempt(
        &self,
        id: i64,
        now: OffsetDateTime,
        max: i64,
        lock_until: OffsetDateTime,
    ) -> Result<Option<i64>> {
        // One statement: the check of the lock, the count and the new lock cannot interleave with another try.
        // SET expressions see the row as it was; a lock still set here has run out (the WHERE excludes live ones),
        // so the count starts again. Times are fixed-width UTC text, which compares in time order.
        Ok(sqlx::query_scalar(
            "UPDATE accounts SET \
               failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= ? \
                                   THEN ? ELSE NULL END \
             WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING failed_logins",
        )
        .bind(max)
        .bind(sortable_time(lock_until))
        .bind(id)
        .bind(sortable_time(now))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn claim_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
        )
        .bind(step)
        .bind(id)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn login_succeeded(&self, id: i64, totp_step: Option<i64>) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET failed_logins = 0, locked_until = NULL, totp_last_step = COALESCE(?, totp_last_step) WHERE id = ?",
        )
        .bind(totp_step)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unlock(&self, id: i64) -> Result<()> {
        self.exec("UPDATE accounts SET failed_logins = 0, locked_until = ? WHERE id = ?", id, None).await
    }

    async fn add_session(&self, token_hash: &str, account_id: i64, client: Option<&str>) -> Result<()> {
        let now = now_text();
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at, last_seen, client) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(&now)
        .bind(&now)
        .bind(client)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT account_id, created_at, last_seen FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Session {
                account_id: r.try_get("account_id")?,
                created_at: parse_time(&r.try_get::<String, _>("created_at")?)?,
                last_seen: parse_time(&r.try_get::<String, _>("last_seen")?)?,
            })
        })
        .transpose()
    }

    async fn touch_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = ? WHERE token_hash = ?")
            .bind(now_text())
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn open_batch(&self, department_id: i64, item: &str, channel: &str, file_name: Option<&str>) -> Result<i64> {
        Ok(sqlx::query(
            "INSERT INTO batches (department_id, item, channel, file_name, received_at, worker) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(department_id)
        .bind(item)
        .bind(channel)
        .bind(file_name)
        .bind(now_text())
        .bind(worker::this())
        .execute(&self.pool)
        .await?
        .last_insert_rowid())
    }

    async fn ingest(&self, batch_id: i64, department_id: i64, rows: &[Incoming]) -> Result<Vec<IngestedRow>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_text();
        // BEGIN IMMEDIATE would be ideal; the first write below takes the lock and the pool's busy timeout waits.
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET finished_at = NULL WHERE id = ?").bind(batch_id).execute(&mut *tx).await?;

        // 1. Subjects, in the order of `credo_domain::resolution`: by code (primary, then legacy), then, only for
        // a row without a primary code, by normalised name within the region. A person's ID number is keyed by
        // its blind index and stored sealed; so are legacy codes and names with an ID number written in them. The
        // codes and names of the whole chunk are looked up at once, before resolving row by row.
        let primary: Vec<Option<(String, String)>> =
            rows.iter().map(|r| self.vault.subject_code(&r.record.subject)).collect::<Result<_>>()?;
        let legacy: Vec<Vec<std::borrow::Cow<'_, str>>> =
            rows.iter().map(|r| r.record.subject.legacy.iter().map(|c| self.vault.lookup_key(c)).collect()).collect();
        let name_keys: Vec<std::borrow::Cow<'_, str>> =
            rows.iter().map(|r| self.vault.lookup_key(&r.record.subject.name_norm)).collect();
        let keys: Vec<Keys<'_, std::borrow::Cow<'_, str>>> = rows
            .iter()
            .zip(&primary)
            .zip(&legacy)
            .zip(&name_keys)
            .map(|(((r, p), legacy), name)| Keys {
                primary: p.as_ref().map(|(key, _)| key.as_str()),
                legacy,
                name,
                region: r.record.subject.region.as_deref(),
            })
            .collect();
        let mut all_codes: Vec<&str> = keys.iter().flat_map(Keys::codes).collect();
        all_codes.sort_unstable();
        all_codes.dedup();
        let mut code_map = lookup_codes(&mut tx, &all_codes).await?;
        let mut names: Vec<&str> = keys.iter().filter_map(Keys::name_lookup).collect();
        names.sort_unstable();
        names.dedup();
        let name_map = lookup_names(&mut tx, &names).await?;

        let mut next_subject: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM subjects")
            .fetch_one(&mut *tx)
            .await?
            .unwrap_or(0)
            + 1;
        // New subjects with the row that introduced them (a registration row, when there is one, wins: its
        // status and profile go straight into the INSERT).
        let mut new_subjects: Vec<(i64, &Incoming, &str)> = Vec::new();
        let mut new_index: HashMap<i64, usize> = HashMap::new();
        let mut new_codes: Vec<(String, i64)> = Vec::new();
        let mut subject_ids: Vec<Option<i64>> = Vec::with_capacity(rows.len());
        for ((r, p), k) in rows.iter().zip(&primary).zip(&keys) {
            let found = resolve(
                k,
                |code| code_map.get(code).copied(),
                |name| name_map.get(name).map(Vec::as_slice).unwrap_or_default(),
            );
            let id = match (found, p) {
                (Resolution::ByCode { subject, .. } | Resolution::ByName { subject, .. }, _) => Some(subject),
                // Codes of new subjects count for the rest of the chunk (`code_map`); their names do not.
                (Resolution::NewSubject, Some((key, stored))) => {
                    let id = next_subject;
                    next_subject += 1;
                    new_index.insert(id, new_subjects.len());
                    new_subjects.push((id, r, stored));
                    code_map.insert(key.clone(), id);
                    new_codes.push((key.clone(), id));
                    Some(id)
                }
                _ => None,
            };
            if let Some(id) = id {
                for c in k.legacy {
                    if !code_map.contains_key(&**c) {
                        code_map.insert(c.to_string(), id);
                        new_codes.push((c.to_string(), id));
                    }
                }
            }
            subject_ids.push(id);
        }
        // Registration data updates the subject it describes.
        let mut changes: Vec<(&str, i64, Option<i64>)> = Vec::new();
        for (r, sid) in rows.iter().zip(&subject_ids) {
            let (true, Some(sid)) = (r.registration, sid) else {
                continue;
            };
            if let Some(&i) = new_index.get(sid) {
                new_subjects[i].1 = r;
                continue;
            }
            let profile = self.vault.stored_json(&r.record.fields, None)?;
            let s = &r.record.subject;
            sqlx::query("UPDATE subjects SET name = ?, name_norm = ?, region = COALESCE(?, region), kind = ?, status = ?, profile = ?, updated_at = ? WHERE id = ?")
                .bind(self.vault.stored_text(&s.name, "subjects.name")?)
                .bind(self.vault.lookup_key(&s.name_norm).into_owned())
                .bind(&s.region)
                .bind(s.kind.as_str())
                .bind(registration_status(r))
                .bind(profile)
                .bind(&now)
                .bind(sid)
                .execute(&mut *tx)
                .await?;
            changes.push(("subject", *sid, None));
        }
        let new_profiles: Vec<Option<String>> = new_subjects
            .iter()
            .map(|(_, r, _)| r.registration.then(|| self.vault.stored_json(&r.record.fields, None)).transpose())
            .collect::<Result<_>>()?;
        let new_names: Vec<(String, String)> = new_subjects
            .iter()
            .map(|(_, r, _)| {
                let s = &r.record.subject;
                Ok((
                    self.vault.stored_text(&s.name, "subjects.name")?,
                    self.vault.lookup_key(&s.name_norm).into_owned(),
                ))
            })
            .collect::<Result<_>>()?;
        let per_insert = rows_per_insert(10);
        for ((chunk, profiles), names) in
            new_subjects.chunks(per_insert).zip(new_profiles.chunks(per_insert)).zip(new_names.chunks(per_insert))
        {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO subjects (id, kind, code, name, name_norm, region, status, profile, created_at, updated_at) ",
            );
            q.push_values(
                chunk.iter().zip(profiles).zip(names),
                |mut b, (((id, r, stored), profile), (name, norm))| {
                    let s = &r.record.subject;
                    b.push_bind(*id)
                        .push_bind(s.kind.as_str())
                        .push_bind(stored.to_string())
                        .push_bind(name.as_str())
                        .push_bind(norm.as_str())
                        .push_bind(s.region.as_deref())
                        .push_bind(registration_status(r))
                        .push_bind(profile.clone())
                        .push_bind(now.as_str())
                        .push_bind(now.as_str());
                },
            );
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in new_codes.chunks(rows_per_insert(2)) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO subject_codes (code, subject_id) ");
            q.push_values(chunk, |mut b, (code, id)| {
                b.push_bind(code.as_str()).push_bind(*id);
            });
            q.push(" ON CONFLICT (code) DO NOTHING");
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        changes.extend(new_subjects.iter().map(|(id, _, _)| ("subject", *id, None)));

        // 3. Records: find existing heads by natural key.
        let mut existing: HashMap<(String, String), ExistingRecord> = HashMap::new();
        let natural: Vec<std::borrow::Cow<'_, str>> =
            rows.iter().map(|r| self.vault.lookup_key(&r.record.natural_key)).collect();
        let mut keys: Vec<(&str, &str)> =
            rows.iter().zip(&natural).map(|(r, n)| (r.record.item.as_str(), &**n)).collect();
        keys.sort_unstable();
        keys.dedup();
        for chunk in keys.chunks(IN_LIST / 2) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT r.id, r.item, r.natural_key, r.latest_version, r.content_hash, v.batch_id FROM records r \
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.latest_version WHERE r.department_id = ",
            );
            q.push_bind(department_id);
            q.push(" AND (r.item, r.natural_key) IN (VALUES ");
            let mut sep = q.separated(",");
            for (item, key) in chunk {
                sep.push("(");
                sep.push_bind_unseparated(item.to_string());
                sep.push_unseparated(",");
                sep.push_bind_unseparated(key.to_string());
                sep.push_unseparated(")");
            }
            q.push(")");
            for r in q.build().persistent(false).fetch_all(&mut *tx).await? {
                existing.insert(
                    (r.try_get("item")?, r.try_get("natural_key")?),
                    ExistingRecord {
                        id: r.try_get("id")?,
                        version: r.try_get("latest_version")?,
                        hash: r.try_get("content_hash")?,
                        batch: r.try_get("batch_id")?,
                    },
                );
            }
        }
        let mut next_record: i64 =
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM records").fetch_one(&mut *tx).await?.unwrap_or(0)
                + 1;
        let mut out = Vec::with_capacity(rows.len());
        let mut new_records: Vec<(i64, &Incoming, Option<i64>, String)> = Vec::new();
        let mut updated: HashMap<i64, (i64, String, Option<i64>, Option<String>)> = HashMap::new();
        let mut versions: Vec<(i64, i64, &Incoming, String, String)> = Vec::new();
        for ((r, sid), natural) in rows.iter().zip(&subject_ids).zip(&natural) {
            // The subject reference derives from the fields, so the fields' JSON is the whole content; the digest
            // is over the plain fields (sealing is randomised), what is stored is sealed.
            let plain = json(&r.record.fields);
            let hash = self.vault.digest(plain.as_bytes());
            let fields_json = self.vault.stored_json(&r.record.fields, Some(plain))?;
            let key = (r.record.item.clone(), natural.to_string());
            let decided = r.record.decided_on.map(|d| d.to_string());
            let mut existing_batch = None;
            let (id, version, outcome) = match existing.get_mut(&key) {
                Some(e) if e.hash == hash => {
                    existing_batch = Some(e.batch);
                    (e.id, e.version, Outcome::Duplicate)
                }
                Some(e) => {
                    e.version += 1;
                    e.hash = hash.clone();
                    e.batch = batch_id;
                    updated.insert(e.id, (e.version, hash.clone(), *sid, decided));
                    (e.id, e.version, Outcome::Versioned)
                }
                None => {
                    let id = next_record;
                    next_record += 1;
                    existing.insert(key, ExistingRecord { id, version: 1, hash: hash.clone(), batch: batch_id });
                    new_records.push((id, r, *sid, hash.clone()));
                    (id, 1, Outcome::Created)
                }
            };
            if outcome != Outcome::Duplicate {
                versions.push((id, version, r, hash, fields_json));
                changes.push(("record", id, Some(version)));
            }
            out.push(IngestedRow { row: r.row, record_id: id, version, outcome, subject_id: *sid, existing_batch });
        }
        // A record created and then changed within the chunk is inserted with its final head.
        for chunk in new_records.chunks(rows_per_insert(8)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (id, item, department_id, natural_key, subject_id, latest_version, content_hash, decided_on) ",
            );
            q.push_values(chunk, |mut b, (id, r, sid, hash)| {
                let (version, hash, sid, decided) = match updated.remove(id) {
                    Some((v, h, s, d)) => (v, h, s, d),
                    None => (1, hash.clone(), *sid, r.record.decided_on.map(|d| d.to_string())),
                };
                b.push_bind(*id)
                    .push_bind(r.record.item.as_str())
                    .push_bind(department_id)
                    .push_bind(self.vault.lookup_key(&r.record.natural_key).into_owned())
                    .push_bind(sid)
                    .push_bind(version)
                    .push_bind(hash)
                    .push_bind(decided);
            });
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        for (id, (version, hash, sid, decided)) in updated {
            sqlx::query("UPDATE records SET latest_version = ?, content_hash = ?, subject_id = COALESCE(?, subject_id), decided_on = ? WHERE id = ?")
                .bind(version)
                .bind(hash)
                .bind(sid)
                .bind(decided)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let extras: Vec<Option<String>> = versions
            .iter()
            .map(|(_, _, r, _, _)| {
                (!r.extras.is_empty()).then(|| self.vault.seal(&json(&r.extras), "extras")).transpose()
            })
            .collect::<Result<_>>()?;
        for (chunk, extras) in versions.chunks(rows_per_insert(7)).zip(extras.chunks(rows_per_insert(7))) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO record_versions (record_id, version, batch_id, received_at, content_hash, fields, extras) ",
            );
            q.push_values(chunk.iter().zip(extras), |mut b, ((id, version, _, hash, fields_json), extras)| {
                b.push_bind(*id)
                    .push_bind(*version)
                    .push_bind(batch_id)
                    .push_bind(now.as_str())
                    .push_bind(hash.as_str())
                    .push_bind(fields_json.as_str())
                    .push_bind(extras.clone());
            });
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in changes.chunks(rows_per_insert(4)) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO changes (entity, entity_id, version, at) ");
            q.push_values(chunk, |mut b, (entity, id, version)| {
                b.push_bind(*entity).push_bind(*id).push_bind(*version).push_bind(now.as_str());
            });
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn close_batch(&self, s: &BatchSummary) -> Result<()> {
        sqlx::query(
            "UPDATE batches SET finished_at = ?, rows_total = ?, accepted = ?, rejected = ?, duplicates = ?, unresolved = ?, report = ? WHERE id = ?",
        )
        .bind(now_text())
        .bind(s.rows as i64)
        .bind(s.accepted as i64)
        .bind(s.rejected as i64)
        .bind(s.duplicates as i64)
        .bind(s.unresolved as i64)
        .bind(json(&s.report))
        .bind(s.batch)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recover_batches(&self) -> Result<Vec<BatchSummary>> {
        let open: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, worker FROM batches WHERE finished_at IS NULL").fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for (id, owner) in open {
            if owner.as_deref().is_some_and(worker::alive) {
                continue;
            }
            let accepted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_versions WHERE batch_id = ?")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
            let line = ReportLine {
                row: 1,
                column: String::new(),
                code: "batch_interrupted".into(),
                message: format!(
                    "批次处理中断(服务进程意外停止):中断前已接收并保存 {accepted} 行,其余行未处理。请重新提交整个文件:\
                     已接收的行会标明“已在批次 {id} 中接收”,不会重复保存"
                ),
                severity: "error".into(),
            };
            // Only a batch still open is closed (another process may recover at the same time).
            let closed = sqlx::query(
                "UPDATE batches SET finished_at = ?, interrupted = 1, rows_total = ?, accepted = ?, report = ? \
                 WHERE id = ? AND finished_at IS NULL",
            )
            .bind(now_text())
            .bind(accepted)
            .bind(accepted)
            .bind(json(&vec![line]))
            .bind(id)
            .execute(&self.pool)
            .await?;
            if closed.rows_affected() == 1
                && let Some(b) = self.batch(id).await?
            {
                out.push(b);
            }
        }
        Ok(out)
    }

    async fn batch(&self, id: i64) -> Result<Option<BatchSummary>> {
        let row = sqlx::query(
            "SELECT b.*, d.uscc AS duscc FROM batches b JOIN departments d ON d.id = b.department_id WHERE b.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let report: Option<String> = r.try_get("report")?;
            Ok(BatchSummary {
                batch: r.try_get("id")?,
                department: r.try_get("duscc")?,
                item: r.try_get("item")?,
                rows: r.try_get::<i64, _>("rows_total")? as usize,
                accepted: r.try_get::<i64, _>("accepted")? as usize,
                rejected: r.try_get::<i64, _>("rejected")? as usize,
                duplicates: r.try_get::<i64, _>("duplicates")? as usize,
                unresolved: r.try_get::<i64, _>("unresolved")? as usize,
                report: report.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                interrupted: r.try_get::<i64, _>("interrupted")? != 0,
            })
        })
        .transpose()
    }

    async fn subject_by_code(&self, code: &str) -> Result<Option<Subject>> {
        Ok(self.subjects_by_codes(&[code]).await?.remove(code))
    }

    async fn subject(&self, id: i64) -> Result<Option<Subject>> {
        Ok(self.subjects_where("id = ?", vec![id], &[]).await?.pop())
    }

    async fn subjects_by_ids(&self, ids: &[i64]) -> Result<Vec<Subject>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            let marks = vec!["?"; chunk.len()].join(",");
            out.extend(self.subjects_where(&format!("id IN ({marks}) ORDER BY id"), chunk.to_vec(), &[]).await?);
        }
        Ok(out)
    }

    async fn subjects_after(&self, after: i64, limit: i64) -> Result<Vec<Subject>> {
        self.subjects_where("id > ? ORDER BY id LIMIT ?", vec![after, limit], &[]).await
    }

    async fn subjects_by_name(&self, name_norm: &str) -> Result<Vec<Subject>> {
        self.subjects_where("name_norm = ? ORDER BY id", vec![], &[&self.vault.lookup_key(name_norm)]).await
    }

    async fn assign_subject(&self, record_id: i64, subject_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE records SET subject_id = ? WHERE id = ? AND subject_id IS NULL RETURNING latest_version",
        )
        .bind(subject_id)
        .bind(record_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let version: i64 = row.try_get("latest_version")?;
        sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ('record', ?, ?, ?)")
            .bind(record_id)
            .bind(version)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn subject_records(&self, subject_id: i64) -> Result<Vec<RecordView>> {
        self.record_views("r.subject_id = ? ORDER BY r.decided_on DESC, r.id DESC", vec![subject_id]).await
    }

    async fn unresolved(&self, department: Option<i64>, limit: i64, offset: i64) -> Result<Vec<RecordView>> {
        match department {
            Some(d) => {
                let clause = "r.subject_id IS NULL AND r.department_id = ? ORDER BY r.id LIMIT ? OFFSET ?";
                self.record_views(clause, vec![d, limit, offset]).await
            }
            None => self.record_views("r.subject_id IS NULL ORDER BY r.id LIMIT ? OFFSET ?", vec![limit, offset]).await,
        }
    }

    async fn append_audit(&self, event: &AuditEvent) -> Result<i64> {
        self.append_audit_many(std::slice::from_ref(event)).await
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok((r.try_get("seq")?, r.try_get("hash")?))
    }

    async fn audit_base(&self) -> Result<(i64, String)> {
        let r = sqlx::query("SELECT base_seq, base_hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok((r.try_get("base_seq")?, r.try_get("base_hash")?))
    }

    async fn archive_audit(&self, seq: i64, hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET base_seq = ?, base_hash = ? WHERE id = 1 AND base_seq < ?")
            .bind(seq)
            .bind(hash)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM audit_events WHERE seq <= ?").bind(seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, signature, public_key) VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(c.seq)
        .bind(&c.hash)
        .bind(&c.at)
        .bind(&c.signature)
        .bind(&c.public_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        sqlx::query("SELECT * FROM audit_checkpoints ORDER BY seq")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Checkpoint {
                    seq: r.try_get("seq")?,
                    hash: r.try_get("hash")?,
                    at: r.try_get("at")?,
                    signature: r.try_get("signature")?,
                    public_key: r.try_get("public_key")?,
                })
            })
            .collect()
    }

    async fn audit_for_target(&self, target: &str, limit: i64) -> Result<Vec<StoredAuditEvent>> {
        self.audit_where("target = ? ORDER BY seq DESC LIMIT ?", target.to_string(), limit).await
    }

    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<StoredAuditEvent>> {
        self.audit_where("seq > ? ORDER BY seq LIMIT ?", after.to_string(), limit).await
    }

    async fn append_audit_many(&self, events: &[AuditEvent]) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let seq = append_audit_tx(&mut tx, &self.vault, events).await?;
        tx.commit().await?;
        Ok(seq)
    }

    async fn records_of_items(&self, items: &[&str], after: i64, limit: i64) -> Result<Vec<RecordView>> {
        let list: Vec<String> =
            items.iter().filter(|i| i.chars().all(|c| c.is_ascii_alphanumeric())).map(|i| format!("'{i}'")).collect();
        let clause =
            format!("r.item IN ({}) AND r.subject_id IS NOT NULL AND r.id > ? ORDER BY r.id LIMIT ?", list.join(","));
        self.record_views(&clause, vec![after, limit]).await
    }

    async fn latest_records(&self, items: &[&str], limit: i64) -> Result<Vec<RecordView>> {
        // Per item a reverse walk of the (item, id) index; the versions are read only for the few ids kept.
        let mut ids: Vec<i64> = Vec::new();
        for item in items {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM records WHERE item = ? AND subject_id IS NOT NULL ORDER BY id DESC LIMIT ?",
            )
            .bind(item)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            ids.extend(found);
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(usize::try_from(limit).unwrap_or(0));
        let mut out = self.records_by_ids(&ids).await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    async fn recent_batches(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<BatchSummary>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM batches WHERE (? IS NULL OR department_id = ?) AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?",
        )
        .bind(department_id)
        .bind(department_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.batch(id).await?);
        }
        Ok(out)
    }

    async fn department_records(&self, department_id: i64, limit: i64) -> Result<Vec<RecordView>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM records WHERE department_id = ? ORDER BY id DESC LIMIT ?")
                .bind(department_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        let mut out = self.records_by_ids(&ids).await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    async fn changed_records(
        &self,
        items: &[&str],
        department_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RecordView>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new("SELECT id FROM records WHERE latest_version > 1 AND id > ");
        q.push_bind(after);
        if let Some(d) = department_id {
            q.push(" AND department_id = ");
            q.push_bind(d);
        }
        q.push(" AND item IN (");
        let mut sep = q.separated(",");
        for i in items {
            sep.push_bind(i.to_string());
        }
        q.push(") ORDER BY id LIMIT ");
        q.push_bind(limit);
        let ids: Vec<i64> = q.build_query_scalar().persistent(false).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_LIST) {
            let marks = vec!["?"; chunk.len()].join(",");
            let clause = format!("r.id IN ({marks}) ORDER BY r.id, v.version");
            out.extend(self.record_versions_where("v.version > 0", None, &clause, chunk.to_vec()).await?);
        }
        Ok(out)
    }

    async fn subjects_with_items(&self, subject_ids: &[i64], items: &[&str]) -> Result<std::collections::HashSet<i64>> {
        let mut out = std::collections::HashSet::new();
        if items.is_empty() {
            return Ok(out);
        }
        for chunk in subject_ids.chunks(IN_LIST - items.len().min(IN_LIST / 2)) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT DISTINCT subject_id FROM records WHERE item IN (");
            let mut sep = q.separated(",");
            for item in items {
                sep.push_bind(item.to_string());
            }
            q.push(") AND subject_id IN (");
            let mut sep = q.separated(",");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            for r in q.build().persistent(false).fetch_all(&self.pool).await? {
                out.insert(r.try_get::<i64, _>("subject_id")?);
            }
        }
        Ok(out)
    }

    async fn record_stats(&self) -> Result<Vec<RecordStat>> {
        sqlx::query(
            "SELECT d.name AS department, r.item, r.decided_on, substr(v.received_at, 1, 10) AS received_on, COUNT(*) AS n
             FROM records r
             JOIN record_versions v ON v.record_id = r.id AND v.version = 1
             JOIN departments d ON d.id = r.department_id
             GROUP BY d.name, r.item, r.decided_on, substr(v.received_at, 1, 10)",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(RecordStat {
                department: r.try_get("department")?,
                item: r.try_get("item")?,
                decided_on: parse_date(r.try_get("decided_on")?),
                received_on: r.try_get("received_on")?,
                count: r.try_get("n")?,
            })
        })
        .collect()
    }

    async fn records_by_ids(&self, ids: &[i64]) -> Result<Vec<RecordView>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            let marks = vec!["?"; chunk.len()].join(",");
            out.extend(self.record_views(&format!("r.id IN ({marks})"), chunk.to_vec()).await?);
        }
        Ok(out)
    }

    async fn subject_records_as_of(&self, subject_id: i64, at: OffsetDateTime) -> Result<Vec<RecordView>> {
        let at = at.format(&Rfc3339).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.record_versions_where(
            "v.version = (SELECT MAX(x.version) FROM record_versions x WHERE x.record_id = r.id AND x.received_at <= ?)",
            Some(at),
            "r.subject_id = ? ORDER BY r.decided_on DESC, r.id DESC",
            vec![subject_id],
        )
        .await
    }

    async fn add_check(&self, c: &NewCheck) -> Result<()> {
        self.record_checks(std::slice::from_ref(c), &[]).await
    }

    async fn record_checks(&self, checks: &[NewCheck], events: &[AuditEvent]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for c in checks {
            insert_check(&mut tx, c).await?;
        }
        if !events.is_empty() {
            append_audit_tx(&mut tx, &self.vault, events).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn subjects_by_codes(&self, codes: &[&str]) -> Result<HashMap<String, Subject>> {
        // One query per chunk: the subjects with their codes; a code asked for is found as itself or as its blind
        // index among them.
        let mut out = HashMap::with_capacity(codes.len());
        for chunk in codes.chunks(IN_LIST / 2) {
            let keys: Vec<[String; 2]> = chunk.iter().map(|c| self.vault.lookup_keys(c)).collect();
            let flat: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
            let marks = vec!["?"; flat.len()].join(",");
            let clause = format!("id IN (SELECT subject_id FROM subject_codes WHERE code IN ({marks}))");
            let subjects = self.subjects_where(&clause, vec![], &flat).await?;
            let by_code: HashMap<&str, &Subject> =
                subjects.iter().flat_map(|s| s.codes.iter().map(move |c| (c.as_str(), s))).collect();
            for (code, [plain, blind]) in chunk.iter().zip(&keys) {
                if let Some(s) = by_code.get(plain.as_str()).or_else(|| by_code.get(blind.as_str())) {
                    out.insert(code.to_string(), (*s).clone());
                }
            }
        }
        Ok(out)
    }

    async fn check(&self, id: &str) -> Result<Option<StoredCheck>> {
        let row = sqlx::query("SELECT * FROM checks WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(StoredCheck {
                id: r.try_get("id")?,
                department_id: r.try_get("department_id")?,
                scene: r.try_get("scene")?,
                receipt: r.try_get("receipt")?,
                signature: r.try_get("signature")?,
            })
        })
        .transpose()
    }

    async fn add_feedback(
        &self,
        check_id: &str,
        position: i64,
        action: &str,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<bool> {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT position FROM check_results WHERE check_id = ? AND position = ?")
                .bind(check_id)
                .bind(position)
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        let res = sqlx::query(
            "INSERT INTO check_feedback (check_id, position, action, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(check_id)
        .bind(position)
        .bind(action)
        .bind(reason)
        .bind(actor)
        .bind(now_text())
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("核查 {check_id} 第 {position} 项已反馈")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn check_stats(&self, department_id: Option<i64>) -> Result<Vec<CheckStats>> {
        let rows = sqlx::query(
            "SELECT d.uscc AS dept, c.scene, COUNT(DISTINCT c.id) AS checks, COUNT(r.position) AS subjects,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' THEN 1 ELSE 0 END) AS hits,
                    SUM(CASE WHEN r.decision IS NOT NULL AND r.decision <> 'clear' AND f.position IS NOT NULL THEN 1 ELSE 0 END) AS answered
             FROM checks c
             JOIN check_results r ON r.check_id = c.id
             LEFT JOIN check_feedback f ON f.check_id = r.check_id AND f.position = r.position
             LEFT JOIN departments d ON d.id = c.department_id
             WHERE (? IS NULL OR c.department_id = ?)
             GROUP BY c.department_id, c.scene ORDER BY d.uscc, c.scene",
        )
        .bind(department_id)
        .bind(department_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CheckStats {
                    department: r.try_get("dept")?,
                    scene: r.try_get("scene")?,
                    checks: r.try_get("checks")?,
                    subjects: r.try_get("subjects")?,
                    hits: r.try_get("hits")?,
                    answered: r.try_get("answered")?,
                })
            })
            .collect()
    }

    async fn pending_feedback(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<PendingFeedback>> {
        let rows = sqlx::query(
            "SELECT r.check_id, r.position, r.subject_id, r.decision, c.scene, c.created_at
             FROM check_results r JOIN checks c ON c.id = r.check_id
             LEFT JOIN check_feedback f ON f.check_id = r.check_id AND f.position = r.position
             WHERE r.decision IS NOT NULL AND r.decision <> 'clear' AND f.position IS NULL
               AND (? IS NULL OR c.department_id = ?)
             ORDER BY c.created_at, r.check_id, r.position LIMIT ?",
        )
        .bind(department_id)
        .bind(department_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingFeedback {
                    check_id: r.try_get("check_id")?,
                    position: r.try_get("position")?,
                    subject_id: r.try_get("subject_id")?,
                    decision: r.try_get("decision")?,
                    scene: r.try_get("scene")?,
                    checked_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn add_case(&self, c: NewCase) -> Result<Case> {
        use base64::Engine as _;
        let now = now_text();
        let applicant = c.applicant.as_deref().map(|a| self.vault.seal(a, "case.applicant")).transpose()?;
        let content = self.vault.seal(&json(&c.content), "case.content")?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (number, kind, record_id, subject_id, department_id, account_id, applicant, content, state,
                                filed_at, due_on, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&c.number)
        .bind(&c.kind)
        .bind(c.record_id)
        .bind(c.subject_id)
        .bind(c.department_id)
        .bind(c.account_id)
        .bind(applicant)
        .bind(content)
        .bind(&c.state)
        .bind(&now)
        .bind(c.due_on.map(|d| d.to_string()))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        for (n, f) in c.files.iter().enumerate() {
            let data = self.vault.seal(&base64::engine::general_purpose::STANDARD.encode(&f.bytes), "case.file")?;
            sqlx::query("INSERT INTO case_files (case_id, n, name, sm3, size, data) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(id)
                .bind(n as i64 + 1)
                .bind(&f.name)
                .bind(&f.sm3)
                .bind(f.bytes.len() as i64)
                .bind(data)
                .execute(&mut *tx)
                .await?;
        }
        add_step(&mut tx, id, &now, &c.actor, "filed", None).await?;
        tx.commit().await?;
        self.case(&c.number).await?.ok_or_else(|| StoreError::NotFound(c.number.clone()))
    }

    async fn case(&self, number: &str) -> Result<Option<Case>> {
        let row = sqlx::query("SELECT * FROM cases WHERE number = ?").bind(number).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(Some(self.case_of(&r).await?)),
            None => Ok(None),
        }
    }

    async fn cases(&self, f: &CaseFilter, limit: i64) -> Result<Vec<Case>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM cases WHERE 1 = 1");
        if let Some(k) = &f.kind {
            q.push(" AND kind = ").push_bind(k.clone());
        }
        if let Some(d) = f.department_id {
            q.push(" AND department_id = ").push_bind(d);
        }
        if let Some(a) = f.account_id {
            q.push(" AND account_id = ").push_bind(a);
        }
        if let Some(r) = f.record_id {
            q.push(" AND record_id = ").push_bind(r);
        }
        if f.open_only {
            q.push(" AND closed_at IS NULL");
        }
        q.push(" ORDER BY id LIMIT ").push_bind(limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.case_of(r).await?);
        }
        Ok(out)
    }

    async fn update_case(&self, number: &str, u: CaseUpdate) -> Result<Case> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE cases SET state = ?, due_on = ?, extended_days = ?, outcome = COALESCE(?, outcome),
                    outcome_reason = COALESCE(?, outcome_reason), closed_at = CASE WHEN ? THEN ? ELSE closed_at END,
                    updated_at = ?
             WHERE number = ? AND state = ? RETURNING id",
        )
        .bind(&u.state)
        .bind(u.due_on.map(|d| d.to_string()))
        .bind(u.extended_days)
        .bind(&u.outcome)
        .bind(&u.outcome_reason)
        .bind(u.closed)
        .bind(&now)
        .bind(&now)
        .bind(number)
        .bind(&u.from)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(match self.case(number).await? {
                Some(c) => StoreError::Conflict(format!("案件 {number} 当前状态为“{}”,不能执行此操作", c.state)),
                None => StoreError::NotFound(format!("案件 {number}")),
            });
        };
        add_step(&mut tx, id, &now, &u.actor, &u.step, u.note.as_deref()).await?;
        tx.commit().await?;
        self.case(number).await?.ok_or_else(|| StoreError::NotFound(number.to_string()))
    }

    async fn case_file(&self, number: &str, n: i64) -> Result<Option<(String, Vec<u8>)>> {
        use base64::Engine as _;
        let row = sqlx::query(
            "SELECT f.name, f.data FROM case_files f JOIN cases c ON c.id = f.case_id WHERE c.number = ? AND f.n = ?",
        )
        .bind(number)
        .bind(n)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let data = self.vault.open(r.try_get("data")?, "case.file")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| StoreError::Corrupt("case file".into()))?;
        Ok(Some((r.try_get("name")?, bytes)))
    }

    async fn disputed(&self, record_ids: &[i64]) -> Result<std::collections::HashSet<i64>> {
        let mut out = std::collections::HashSet::new();
        for chunk in record_ids.chunks(IN_LIST) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT DISTINCT record_id FROM cases WHERE kind = 'objection' AND state = '办理中' AND closed_at IS NULL \
                 AND record_id IN (",
            );
            let mut sep = q.separated(",");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            for r in q.build().persistent(false).fetch_all(&self.pool).await? {
                out.insert(r.try_get::<i64, _>("record_id")?);
            }
        }
        Ok(out)
    }

    async fn record_expiries(&self, ended: &[(i64, i64, Date)]) -> Result<usize> {
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        let mut new = 0;
        for (record, version, last) in ended {
            let done = sqlx::query(
                "INSERT INTO publicity_expiries (record_id, version, last_day, recorded_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (record_id) DO NOTHING",
            )
            .bind(record)
            .bind(version)
            .bind(last.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ('expiry', ?, ?, ?)")
                    .bind(record)
                    .bind(version)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                new += 1;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn rekey(&self, catalog: &credo_domain::catalog::Catalog) -> Result<Vec<Rekeyed>> {
        crate::rekey::run(&self.pool, &self.vault, catalog).await
    }

    async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>> {
        sqlx::query("SELECT seq, entity, entity_id, version, detail FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Change {
                    seq: r.try_get("seq")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    version: r.try_get("version")?,
                    detail: r
                        .try_get::<Option<String>, _>("detail")?
                        .map(|d| {
                            serde_json::from_str(&d).map_err(|e| StoreError::Corrupt(format!("change detail: {e}")))
                        })
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn last_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM changes")
            .fetch_one(&self.pool)
            .await?
            .unwrap_or(0))
    }

    async fn counts(&self) -> Result<Counts> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM subjects) AS s, (SELECT COUNT(*) FROM records) AS r,
                    (SELECT COUNT(*) FROM records WHERE subject_id IS NULL) AS u, (SELECT COUNT(*) FROM departments) AS d",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            subjects: r.try_get("s")?,
            records: r.try_get("r")?,
            unresolved: r.try_get("u")?,
            departments: r.try_get("d")?,
        })
    }
}

fn audit_from(r: &SqliteRow) -> Result<StoredAuditEvent> {
    Ok(StoredAuditEvent {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        event: AuditEvent {
            actor: r.try_get("actor")?,
            role: r.try_get("role")?,
            department: r.try_get("department")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            purpose: r.try_get("purpose")?,
            result: r.try_get("result")?,
            client: r.try_get("client")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Appends events to the chain inside `tx` (taking the head row's lock first), linked under the vault's audit key.
async fn append_audit_tx(tx: &mut Transaction<'_, Sqlite>, vault: &Vault, events: &[AuditEvent]) -> Result<i64> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut **tx).await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut **tx).await?;
    let (mut seq, mut prev): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let at = now_text();
    for chunk in events.chunks(rows_per_insert(12)) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            seq += 1;
            let hash = vault.audit_link(&prev, &StoredAuditEvent::content(seq, &at, e));
            rows.push((seq, e, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_events (seq, at, actor, role, department, action, target, purpose, result, client, prev_hash, hash) ",
        );
        q.push_values(&rows, |mut b, (seq, e, prev, hash)| {
            b.push_bind(*seq)
                .push_bind(at.as_str())
                .push_bind(e.actor.as_str())
                .push_bind(e.role.as_str())
                .push_bind(e.department.as_deref())
                .push_bind(e.action.as_str())
                .push_bind(e.target.as_deref())
                .push_bind(e.purpose.as_deref())
                .push_bind(e.result.as_str())
                .push_bind(e.client.as_deref())
                .push_bind(prev.as_str())
                .push_bind(hash.as_str());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Inserts a check and its result lines inside `tx`.
async fn insert_check(tx: &mut Transaction<'_, Sqlite>, c: &NewCheck) -> Result<()> {
    sqlx::query(
        "INSERT INTO checks (id, department_id, scene, receipt, signature, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&c.id)
    .bind(c.department_id)
    .bind(&c.scene)
    .bind(&c.receipt)
    .bind(&c.signature)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    let rows: Vec<_> = c.results.iter().enumerate().collect();
    for chunk in rows.chunks(rows_per_insert(4)) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO check_results (check_id, position, subject_id, decision) ");
        q.push_values(chunk, |mut b, (pos, (sid, decision))| {
            b.push_bind(c.id.as_str()).push_bind(*pos as i64).push_bind(*sid).push_bind(decision.as_deref());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Which process handles a batch, and whether it still runs (on this host: the platform's SQLite store is
/// local). A pid alone could be reused after a restart, so the process's start time (from `/proc`) is part of it.
mod worker {
    fn start_time(pid: u32) -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Field 22 (starttime), counted after the command name, which is in parentheses and may hold spaces.
        stat.rsplit_once(')')?.1.split_whitespace().nth(19).map(str::to_string)
    }

    /// This process: `pid:start-time`.
    pub fn this() -> String {
        let pid = std::process::id();
        format!("{pid}:{}", start_time(pid).unwrap_or_default())
    }

    /// Whether the process a batch names still runs.
    pub fn alive(worker: &str) -> bool {
        let Some((pid, started)) = worker.split_once(':') else { return false };
        pid.parse().ok().and_then(start_time).is_some_and(|s| s == started)
    }
}
