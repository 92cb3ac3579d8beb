//! Who may act: departments (what they may do, their API keys), accounts, their sign-in tries and sessions.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::Result;

/// 部门: a department that supplies or uses credit information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(description = "部门:提供或使用信用信息的单位")]
pub struct Department {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    // Who registered it (`cli:import`, `cli:dept add` …).
    /// 登记者(`cli:import`、`cli:dept add`……)
    pub created_by: String,
    pub permissions: Permissions,
}

/// What a department may do (least privilege: nothing unless granted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(description = "部门权限(最小权限:未授予即无)")]
pub struct Permissions {
    // Catalog items it may submit.
    /// 可报送的目录项
    #[serde(default)]
    pub items: Vec<String>,
    // Check scenes (联合奖惩 场景) it may use.
    /// 可使用的联合奖惩核查场景
    #[serde(default)]
    pub scenes: Vec<String>,
    // Disclosure levels it may read: 公开, 政务共享, 授权查询.
    /// 可读取的公开属性:公开、政务共享、授权查询
    #[serde(default)]
    pub disclosure: Vec<String>,
    // Restricted archives it may read (公务员诚信档案: `gwyda`).
    /// 可查阅的受限档案(公务员诚信档案)
    #[serde(default)]
    pub archives: Vec<String>,
    // A lender (金融机构): it may publish credit products and handle the loan applications made to it, and so read
    // the archives its applicants authorise.
    /// 金融机构:可发布融资产品、办理融资申请
    #[serde(default)]
    pub lending: bool,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub uscc: String,
    pub name: String,
    pub region: Option<String>,
    pub created_by: String,
    pub permissions: Permissions,
}

/// A stored API key (only its SM3 hash; the secret is shown once when created).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "已签发的部门 API 密钥(只保存其散列;密钥本身只在签发时显示一次)")]
pub struct ApiKey {
    pub id: i64,
    pub department_id: i64,
    /// 密钥的公开前缀,用于吊销
    pub prefix: String,
    #[serde(skip)]
    pub hash: String,
    // What the key may do: `submit`, `check`.
    /// 权限范围:`submit`、`check`
    pub scopes: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
    // What the key is used for (an agency's 用途), when stated.
    /// 用途(信用服务机构的密钥须写明)
    pub purpose: Option<String>,
    // Most calls a day (Beijing time); none: no limit.
    /// 每日调用上限(北京时间;空为不限)
    pub daily_quota: Option<i64>,
}

/// A key about to be stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub department_id: i64,
    pub prefix: String,
    pub hash: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub created_by: String,
    pub purpose: Option<String>,
    pub daily_quota: Option<i64>,
}

/// 账号: an operator, a department user or a subject's own account.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub name: String,
    /// A role code (see `credo_server::policy::Role`).
    pub role: String,
    pub department_id: Option<i64>,
    pub subject_id: Option<i64>,
    /// The district an operator account is limited to (区县管理员); `None`: the whole city.
    pub region: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    /// The TOTP secret (base32), opened; `None` until the second factor is set up.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub password_set_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub name: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub subject_id: Option<i64>,
    /// See [`Account::region`].
    pub region: Option<String>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub created_by: String,
}

/// A signed-in session (the token itself is never stored, only its SM3 hash).
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: i64,
    pub created_at: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

/// Departments, what they may do, and their API keys.
#[async_trait]
pub trait DepartmentStore: Send + Sync {
    async fn department_by_uscc(&self, uscc: &str) -> Result<Option<Department>>;
    async fn add_department(&self, d: NewDepartment) -> Result<Department>;
    async fn departments(&self) -> Result<Vec<Department>>;
    async fn department(&self, id: i64) -> Result<Option<Department>>;

    async fn set_permissions(&self, department_id: i64, p: &Permissions) -> Result<()>;

    async fn add_api_key(&self, k: NewApiKey) -> Result<ApiKey>;
    async fn api_key(&self, prefix: &str) -> Result<Option<ApiKey>>;
    async fn api_keys(&self, department_id: i64) -> Result<Vec<ApiKey>>;
    /// Every key of every department, revoked and expired ones included (for the nodes' directories).
    async fn all_api_keys(&self) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(&self, prefix: &str) -> Result<bool>;
    /// Counts one call of a key on `day` if fewer than `quota` were counted that day: the count after it, or
    /// `None` when the quota is spent (one statement: concurrent calls never pass the quota together).
    async fn use_api_key(&self, key_id: i64, day: time::Date, quota: i64) -> Result<Option<i64>>;
}

/// Accounts, signing in (tries, locks, TOTP steps) and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn add_account(&self, a: NewAccount) -> Result<Account>;
    async fn account(&self, id: i64) -> Result<Option<Account>>;
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>>;
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// Sets a new password hash (and ends the account's sessions).
    async fn set_password(&self, id: i64, hash: &str) -> Result<()>;
    /// Sets or clears the TOTP secret (sealed at rest).
    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<()>;
    /// Disables or re-enables an account (disabling ends its sessions).
    async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()>;
    /// Takes one sign-in try, in one atomic statement, before the password is checked: `None` when the account is
    /// locked at `now`; else the tries counted so far (a lock that has run out starts again at 1). The try that
    /// reaches `max` locks the account until `lock_until` (to the nanosecond). [`AccountStore::login_succeeded`]
    /// gives the tries back.
    async fn login_attempt(
        &self,
        id: i64,
        now: OffsetDateTime,
        max: i64,
        lock_until: OffsetDateTime,
    ) -> Result<Option<i64>>;
    /// Claims a TOTP time step for the account, atomically: `false` when a step at or after it was used already
    /// (a replay, also by a concurrent sign-in).
    async fn claim_totp_step(&self, id: i64, step: i64) -> Result<bool>;
    /// Clears the tries and the lock; remembers the TOTP step used, so a code works once.
    async fn login_succeeded(&self, id: i64, totp_step: Option<i64>) -> Result<()>;
    async fn unlock(&self, id: i64) -> Result<()>;

    async fn add_session(&self, token_hash: &str, account_id: i64, client: Option<&str>) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &str) -> Result<()>;
    async fn end_session(&self, token_hash: &str) -> Result<()>;
}
