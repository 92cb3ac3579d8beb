//! The operators' duties, shared by the API and the pages: registering departments (系统管理员), their
//! permissions and API keys, and turning department users' and subject accounts off, on and out of a lock-out
//! (安全管理员). Who may call which is the HTTP layer's policy table; what is checked here holds for every caller.

use credo_store::{Account, ApiKey, Department, NewDepartment, Permissions};

use crate::accounts::{self, check_permissions};
use crate::principal::Role;
use crate::{App, Code, Error, keys};

/// A department by its USCC (typed with or without spaces, any case).
pub async fn department(app: &App, uscc: &str) -> Result<Department, Error> {
    app.store
        .department_by_uscc(&credo_domain::ids::prepare(uscc))
        .await?
        .ok_or_else(|| Error::not_found(format!("没有统一社会信用代码为 {uscc} 的部门")))
}

/// Registers a department: a valid USCC and a name; it may read 公开 information only until permissions are given.
pub async fn add_department(
    app: &App,
    uscc: &str,
    name: &str,
    region: Option<String>,
    created_by: &str,
) -> Result<Department, Error> {
    let code = credo_domain::ids::Uscc::parse(uscc.trim())
        .map_err(|e| Error::new(Code::InvalidUscc, format!("部门代码“{}”无效:{}", uscc.trim(), e.message())))?;
    if name.trim().is_empty() {
        return Err(Error::new(Code::MissingName, "请填写部门名称"));
    }
    let region = region.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    app.store
        .add_department(NewDepartment {
            uscc: code.as_str().to_string(),
            name: name.trim().to_string(),
            region: region.or_else(|| Some(code.region().to_string())),
            created_by: created_by.to_string(),
            permissions: Permissions { disclosure: vec!["公开".into()], ..Permissions::default() },
        })
        .await
        .map_err(|e| match e {
            credo_store::StoreError::Conflict(m) => Error::new(Code::Conflict, m),
            other => other.into(),
        })
}

/// Replaces a department's permissions (items it may submit, scenes it may check, disclosure it may read).
pub async fn set_permissions(app: &App, uscc: &str, permissions: &Permissions) -> Result<Department, Error> {
    let d = department(app, uscc).await?;
    check_permissions(app, permissions).map_err(|m| Error::new(Code::InvalidPermissions, m))?;
    app.store.set_permissions(d.id, permissions).await?;
    app.directory.changed(app).await?;
    department(app, uscc).await
}

/// Issues an API key to a department: the full key (to show once) and its stored record.
pub async fn issue_key(
    app: &App,
    uscc: &str,
    scopes: &[String],
    days: i64,
    created_by: &str,
) -> Result<(String, ApiKey), Error> {
    let d = department(app, uscc).await?;
    let scopes = keys::parse_scopes(&scopes.join(",")).map_err(|m| Error::new(Code::InvalidScopes, m))?;
    let expires = keys::expiry(days).map_err(|m| Error::new(Code::InvalidExpiry, m))?;
    Ok(keys::create(app.store.as_ref(), &d, scopes, Some(expires), created_by).await?)
}

/// Revokes a key by its prefix.
pub async fn revoke_key(app: &App, prefix: &str) -> Result<(), Error> {
    let revoked = app.store.revoke_api_key(prefix).await?;
    // Refused on every node when this returns — also when it was revoked a moment ago by a call still waiting.
    app.directory.changed(app).await?;
    if revoked { Ok(()) } else { Err(Error::not_found(format!("没有前缀为“{prefix}”的有效密钥"))) }
}

/// What may be done to an account from the API or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Disable,
    Enable,
    Unlock,
}

impl Change {
    /// The word for it, and the server command that does it for operator accounts.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Change::Disable => ("停用", "credo user disable"),
            Change::Enable => ("启用", "credo user disable --enable"),
            Change::Unlock => ("解锁", "credo user passwd"),
        }
    }
}

/// 三员分立: the security administrator changes department users' and subject accounts only; operator accounts
/// are the CLI's ([`accounts::api_refuses`]). A stored role that is no role is refused too.
pub fn operator_refusal(role: &str, what: &str, cli: &str) -> Result<(), Error> {
    let refusal = match Role::parse(role) {
        Some(r) => accounts::api_refuses(r, what, cli),
        None => Some(format!("账号的角色“{role}”无效,只能由服务器上的 `{cli}` 办理")),
    };
    match refusal {
        Some(m) => Err(Error::new(Code::OperatorAccount, m)),
        None => Ok(()),
    }
}

/// An account by its user name.
pub async fn account_named(app: &App, username: &str) -> Result<Account, Error> {
    app.store.account_by_username(username).await?.ok_or_else(|| Error::not_found(format!("没有账号“{username}”")))
}

/// Disables, enables or unlocks a department user's or subject account (never an operator's).
pub async fn change_account(app: &App, username: &str, change: Change) -> Result<Account, Error> {
    let a = account_named(app, username).await?;
    let (what, cli) = change.words();
    operator_refusal(&a.role, what, cli)?;
    match change {
        Change::Disable => app.store.set_disabled(a.id, true).await?,
        Change::Enable => app.store.set_disabled(a.id, false).await?,
        Change::Unlock => app.store.unlock(a.id).await?,
    }
    Ok(a)
}
