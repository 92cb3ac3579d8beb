//! Departments, API keys, accounts, sign-in tries and sessions.

use async_trait::async_trait;
use sqlx::Row as _;
use time::OffsetDateTime;

use super::Backend;
use crate::sql::parse_time;
use crate::{
    Account, AccountStore, ApiKey, Department, DepartmentStore, NewAccount, NewApiKey, NewDepartment, Permissions,
    Result, Session, StoreError, Vault, json, now_text, stored_time,
};

#[derive(sqlx::FromRow)]
struct DepartmentRow {
    id: i64,
    uscc: String,
    name: String,
    region: Option<String>,
    created_at: String,
    created_by: String,
    permissions: String,
}

impl TryFrom<DepartmentRow> for Department {
    type Error = StoreError;

    fn try_from(r: DepartmentRow) -> Result<Department> {
        Ok(Department {
            id: r.id,
            uscc: r.uscc,
            name: r.name,
            region: r.region,
            created_at: parse_time(&r.created_at)?,
            created_by: r.created_by,
            permissions: serde_json::from_str(&r.permissions)
                .map_err(|e| StoreError::Corrupt(format!("permissions: {e}")))?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: i64,
    department_id: i64,
    prefix: String,
    hash: String,
    scopes: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    purpose: Option<String>,
    daily_quota: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<ApiKey> {
        Ok(ApiKey {
            id: r.id,
            department_id: r.department_id,
            prefix: r.prefix,
            hash: r.hash,
            scopes: serde_json::from_str(&r.scopes).map_err(|e| StoreError::Corrupt(format!("scopes: {e}")))?,
            expires_at: r.expires_at.map(|t| parse_time(&t)).transpose()?,
            revoked: r.revoked_at.is_some(),
            purpose: r.purpose,
            daily_quota: r.daily_quota,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    username: String,
    name: String,
    role: String,
    department_id: Option<i64>,
    subject_id: Option<i64>,
    region: Option<String>,
    password_hash: String,
    /// Sealed.
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
    failed_logins: i64,
    locked_until: Option<String>,
    disabled_at: Option<String>,
    password_set_at: String,
    created_at: String,
}

impl AccountRow {
    fn open(self, vault: &Vault) -> Result<Account> {
        Ok(Account {
            id: self.id,
            username: self.username,
            name: self.name,
            role: self.role,
            department_id: self.department_id,
            subject_id: self.subject_id,
            region: self.region,
            password_hash: self.password_hash,
            totp_secret: self.totp_secret.map(|t| vault.open(t, "accounts.totp_secret")).transpose()?,
            totp_last_step: self.totp_last_step,
            failed_logins: self.failed_logins,
            locked_until: self.locked_until.map(|t| parse_time(&t)).transpose()?,
            disabled: self.disabled_at.is_some(),
            password_set_at: parse_time(&self.password_set_at)?,
            created_at: parse_time(&self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    account_id: i64,
    created_at: String,
    last_seen: String,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<Session> {
        Ok(Session {
            account_id: r.account_id,
            created_at: parse_time(&r.created_at)?,
            last_seen: parse_time(&r.last_seen)?,
        })
    }
}

/// The value an account is looked up by.
enum Key {
    Id(i64),
    Text(String),
}

impl Backend {
    async fn accounts_where(&self, clause: &str, bind: Option<Key>) -> Result<Vec<Account>> {
        let sql = format!("SELECT * FROM accounts WHERE {clause} ORDER BY id");
        let mut q = sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql));
        q = match bind {
            Some(Key::Id(id)) => q.bind(id),
            Some(Key::Text(text)) => q.bind(text),
            None => q,
        };
        q.fetch_all(&self.pool).await?.into_iter().map(|r| r.open(&self.vault)).collect()
    }
}

#[async_trait]
impl DepartmentStore for Backend {
    async fn department_by_uscc(&self, uscc: &str) -> Result<Option<Department>> {
        let row = sqlx::query_as::<_, DepartmentRow>("SELECT * FROM departments WHERE uscc = $1")
            .bind(uscc)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Department::try_from).transpose()
    }

    async fn add_department(&self, d: NewDepartment) -> Result<Department> {
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let res =
            sqlx::query("INSERT INTO departments (uscc, name, region, created_at, created_by, permissions) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(&d.uscc)
                .bind(&d.name)
                .bind(&d.region)
                .bind(&now)
                .bind(&d.created_by)
                .bind(json(&d.permissions))
                .fetch_one(&mut *tx)
                .await;
        let id: i64 = match res {
            Ok(r) => r.get(0),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!("部门 {} 已存在", d.uscc)));
            }
            Err(e) => return Err(e.into()),
        };
        super::feed_lock(&mut tx).await?;
        access_changed(&mut tx, "department", id).await?;
        tx.commit().await?;
        self.department_by_uscc(&d.uscc).await?.ok_or_else(|| StoreError::NotFound(d.uscc))
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        sqlx::query_as::<_, DepartmentRow>("SELECT * FROM departments ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Department::try_from)
            .collect()
    }

    async fn department(&self, id: i64) -> Result<Option<Department>> {
        let row = sqlx::query_as::<_, DepartmentRow>("SELECT * FROM departments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Department::try_from).transpose()
    }

    async fn set_permissions(&self, department_id: i64, p: &Permissions) -> Result<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        sqlx::query("UPDATE departments SET permissions = $1 WHERE id = $2")
            .bind(json(p))
            .bind(department_id)
            .execute(&mut *tx)
            .await?;
        access_changed(&mut tx, "department", department_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_api_key(&self, k: NewApiKey) -> Result<ApiKey> {
        let mut tx = super::begin_write(&self.pool).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (department_id, prefix, hash, created_at, scopes, expires_at, created_by, purpose, \
             daily_quota) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(k.department_id)
        .bind(&k.prefix)
        .bind(&k.hash)
        .bind(now_text())
        .bind(json(&k.scopes))
        .bind(k.expires_at.map(stored_time))
        .bind(&k.created_by)
        .bind(&k.purpose)
        .bind(k.daily_quota)
        .fetch_one(&mut *tx)
        .await?;
        access_changed(&mut tx, "api_key", id).await?;
        tx.commit().await?;
        self.api_key(&k.prefix).await?.ok_or(StoreError::NotFound(k.prefix))
    }

    async fn api_key(&self, prefix: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query_as::<_, ApiKeyRow>("SELECT * FROM api_keys WHERE prefix = $1")
            .bind(prefix)
            .fetch_optional(&self.pool)
            .await?;
        row.map(ApiKey::try_from).transpose()
    }

    async fn api_keys(&self, department_id: i64) -> Result<Vec<ApiKey>> {
        sqlx::query_as::<_, ApiKeyRow>("SELECT * FROM api_keys WHERE department_id = $1 ORDER BY id")
            .bind(department_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(ApiKey::try_from)
            .collect()
    }

    async fn all_api_keys(&self) -> Result<Vec<ApiKey>> {
        sqlx::query_as::<_, ApiKeyRow>("SELECT * FROM api_keys ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(ApiKey::try_from)
            .collect()
    }

    async fn revoke_api_key(&self, prefix: &str) -> Result<bool> {
        let mut tx = super::begin_write(&self.pool).await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_text())
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        access_changed(&mut tx, "api_key", id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn use_api_key(&self, key_id: i64, day: time::Date, quota: i64) -> Result<Option<i64>> {
        if quota <= 0 {
            return Ok(None);
        }
        let used: Option<i64> = sqlx::query_scalar(
            "INSERT INTO key_usage (key_id, day, used) VALUES ($1, $2, 1) ON CONFLICT (key_id, day) \
             DO UPDATE SET used = key_usage.used + 1 WHERE key_usage.used < $3 RETURNING used",
        )
        .bind(key_id)
        .bind(day.to_string())
        .bind(quota)
        .fetch_optional(&self.pool)
        .await?;
        Ok(used)
    }
}

#[async_trait]
impl AccountStore for Backend {
    async fn add_account(&self, a: NewAccount) -> Result<Account> {
        let now = now_text();
        let totp = a.totp_secret.as_deref().map(|t| self.vault.seal(t, "accounts.totp_secret")).transpose()?;
        let res = sqlx::query(
            "INSERT INTO accounts (username, name, role, department_id, subject_id, password_hash, totp_secret, password_set_at, created_at, created_by, region)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
        .bind(&a.region)
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
        Ok(self.accounts_where("id = $1", Some(Key::Id(id))).await?.pop())
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        Ok(self.accounts_where("username = $1", Some(Key::Text(username.to_string()))).await?.pop())
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        self.accounts_where("1 = 1", None).await
    }

    async fn set_password(&self, id: i64, hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = $1, password_set_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<()> {
        let sealed = secret.map(|t| self.vault.seal(t, "accounts.totp_secret")).transpose()?;
        self.exec("UPDATE accounts SET totp_secret = $1, totp_last_step = NULL WHERE id = $2", id, sealed).await
    }

    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
            .bind(disabled.then(now_text))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
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
        // so the count starts again. Times are stored texts (`stored_time`), which compare in time order.
        Ok(sqlx::query_scalar(
            "UPDATE accounts SET \
               failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $1 \
                                   THEN $2 ELSE NULL END \
             WHERE id = $3 AND (locked_until IS NULL OR locked_until <= $4) RETURNING failed_logins",
        )
        .bind(max)
        .bind(stored_time(lock_until))
        .bind(id)
        .bind(stored_time(now))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn claim_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
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
            "UPDATE accounts SET failed_logins = 0, locked_until = NULL, totp_last_step = COALESCE($1, totp_last_step) WHERE id = $2",
        )
        .bind(totp_step)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unlock(&self, id: i64) -> Result<()> {
        self.exec("UPDATE accounts SET failed_logins = 0, locked_until = $1 WHERE id = $2", id, None).await
    }

    async fn add_session(&self, token_hash: &str, account_id: i64, client: Option<&str>) -> Result<()> {
        let now = now_text();
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, created_at, last_seen, client) VALUES ($1, $2, $3, $4, $5)",
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
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT account_id, created_at, last_seen FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Session::try_from).transpose()
    }

    async fn touch_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(now_text())
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }
}

/// A change to who may do what (a department's permissions, an API key issued or revoked) on the feed, inside a
/// transaction holding the feed lock: the nodes' directories ([`crate::Feed::access_changed_after`]) reload on it.
async fn access_changed(tx: &mut sqlx::Transaction<'_, super::Db>, entity: &str, id: i64) -> Result<()> {
    sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ($1, $2, NULL, $3)")
        .bind(entity)
        .bind(id)
        .bind(now_text())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
