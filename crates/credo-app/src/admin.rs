//! The operators' duties, shared by the API and the pages: registering departments (系统管理员), their
//! permissions and API keys, and turning department users' and subject accounts off, on and out of a lock-out
//! (安全管理员). Who may call which is the HTTP layer's policy table; what is checked here holds for every caller.
//!
//! **District scope** (区县管理员): an operator account limited to a district (`Principal::district`) registers,
//! sees and administers only the departments located there (their `region`) and their accounts and keys; the
//! others do not exist for it (not found). `district = None` is the whole city (city operators, the CLI).

use credo_store::{Account, ApiKey, Department, NewDepartment, Permissions};

use crate::accounts::{self, check_permissions};
use crate::principal::Role;
use crate::{App, Code, Error, keys};

/// Whether a department lies within `district` (always, for the whole city).
pub fn covers(district: Option<&str>, d: &Department) -> bool {
    district.is_none_or(|r| d.region.as_deref() == Some(r))
}

/// A department by its USCC (typed with or without spaces, any case), if it lies within `district`.
pub async fn department(app: &App, uscc: &str, district: Option<&str>) -> Result<Department, Error> {
    app.store
        .department_by_uscc(&credo_domain::ids::prepare(uscc))
        .await?
        .filter(|d| covers(district, d))
        .ok_or_else(|| Error::not_found(format!("没有统一社会信用代码为 {uscc} 的部门")))
}

/// The government body (机关 or 事业单位) registered under `name` that a rule in the catalog names (the credit office,
/// the 示范单位 committee): the first registered (operators cannot register a second department under a name,
/// [`add_department`]; an enterprise under the name is never one); a conflict, saying `what` waits for it, when there
/// is none.
pub async fn body_named(app: &App, name: &str, what: &str) -> Result<Department, Error> {
    let mut found: Vec<Department> = app
        .store
        .departments()
        .await?
        .into_iter()
        .filter(|d| d.name == name && credo_domain::integrity::body_kind(&d.uscc).is_some())
        .collect();
    found.sort_by_key(|d| d.id);
    found
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(Code::Conflict, format!("平台尚未登记“{name}”(机关或事业单位),{what}")))
}

/// The departments within `district`.
pub async fn departments(app: &App, district: Option<&str>) -> Result<Vec<Department>, Error> {
    Ok(app.store.departments().await?.into_iter().filter(|d| covers(district, d)).collect())
}

/// Whether an account belongs to a department within `district` (for the whole city: every account).
pub async fn account_within(app: &App, a: &Account, district: Option<&str>) -> Result<bool, Error> {
    if district.is_none() {
        return Ok(true);
    }
    Ok(match a.department_id {
        Some(id) => app.store.department(id).await?.is_some_and(|d| covers(district, &d)),
        None => false,
    })
}

/// Registers a department: a valid USCC and a name; it may read 公开 information only until permissions are given.
pub async fn add_department(
    app: &App,
    uscc: &str,
    name: &str,
    region: Option<String>,
    created_by: &str,
    district: Option<&str>,
) -> Result<Department, Error> {
    let code = credo_domain::ids::Uscc::parse(uscc.trim())
        .map_err(|e| Error::new(Code::InvalidUscc, format!("部门代码“{}”无效:{}", uscc.trim(), e.message())))?;
    if name.trim().is_empty() {
        return Err(Error::new(Code::MissingName, "请填写部门名称"));
    }
    let region = region.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    let region = region.or_else(|| Some(code.region().to_string()));
    if let Some(d) = district
        && region.as_deref() != Some(d)
    {
        return Err(Error::new(Code::Forbidden, format!("区县管理员只能登记所在地为本区县({d})的部门")));
    }
    // A department is known by its name too (the catalog names the credit office and the 示范单位 committee so):
    // a second one under a name already registered is refused.
    if let Some(same) = app.store.departments().await?.into_iter().find(|x| x.name == name.trim()) {
        return Err(Error::new(
            Code::Conflict,
            format!("已登记名为“{}”的部门(统一社会信用代码 {}),部门名称不能重复", same.name, same.uscc),
        ));
    }
    app.store
        .add_department(NewDepartment {
            uscc: code.as_str().to_string(),
            name: name.trim().to_string(),
            region,
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
pub async fn set_permissions(
    app: &App,
    uscc: &str,
    permissions: &Permissions,
    district: Option<&str>,
) -> Result<Department, Error> {
    let d = department(app, uscc, district).await?;
    check_permissions(app, permissions).map_err(|m| Error::new(Code::InvalidPermissions, m))?;
    // A restricted archive (公务员诚信档案) goes only to government bodies (the organisation and personnel
    // departments), and only by the city's security administrator; a grant already held is kept as it is.
    let added = permissions.archives.iter().any(|a| !d.permissions.archives.contains(a));
    if added && (district.is_some() || credo_domain::integrity::body_kind(&d.uscc).is_none()) {
        return Err(Error::new(
            Code::InvalidPermissions,
            "受限档案只能由市级安全管理员授予机关、事业单位(组织、人事部门)",
        ));
    }
    // A lender reads the archives its applicants authorise: the city's security administrator names lenders.
    if permissions.lending && !d.permissions.lending && district.is_some() {
        return Err(Error::new(Code::InvalidPermissions, "金融机构(融资对接)只能由市级安全管理员授权"));
    }
    app.store.set_permissions(d.id, permissions).await?;
    app.directory.changed(app).await?;
    department(app, uscc, district).await
}

/// Issues an API key to a department: the full key (to show once) and its stored record. A credit service
/// agency's key (its department is on the agencies' register) must state its purpose and a daily quota.
pub async fn issue_key(
    app: &App,
    uscc: &str,
    scopes: &[String],
    days: i64,
    terms: keys::Terms,
    created_by: &str,
    district: Option<&str>,
) -> Result<(String, ApiKey), Error> {
    let d = department(app, uscc, district).await?;
    let scopes = keys::parse_scopes(&scopes.join(",")).map_err(|m| Error::new(Code::InvalidScopes, m))?;
    let expires = keys::expiry(days).map_err(|m| Error::new(Code::InvalidExpiry, m))?;
    let terms = keys::terms(terms).map_err(|m| Error::new(Code::InvalidScopes, m))?;
    if app.store.agency_by_department(d.id).await?.is_some() && (terms.purpose.is_none() || terms.daily_quota.is_none())
    {
        return Err(Error::new(Code::InvalidScopes, "信用服务机构的密钥须写明用途并设每日调用上限"));
    }
    Ok(keys::create_with(app.store.as_ref(), &d, scopes, Some(expires), created_by, terms).await?)
}

/// Revokes a key by its prefix.
pub async fn revoke_key(app: &App, prefix: &str, district: Option<&str>) -> Result<(), Error> {
    let missing = || Error::not_found(format!("没有前缀为“{prefix}”的有效密钥"));
    if district.is_some() {
        let key = app.store.api_key(prefix).await?.ok_or_else(missing)?;
        let dept = app.store.department(key.department_id).await?;
        if !dept.is_some_and(|d| covers(district, &d)) {
            return Err(missing());
        }
    }
    let revoked = app.store.revoke_api_key(prefix).await?;
    // Refused on every node when this returns — also when it was revoked a moment ago by a call still waiting.
    app.directory.changed(app).await?;
    if revoked { Ok(()) } else { Err(missing()) }
}

/// Whether an account asked for lies within `district`: a district's security administrator opens accounts for
/// its own departments only (the API and pages never open operator accounts; subject accounts are the city's).
pub async fn check_new_account(app: &App, req: &accounts::AccountRequest, district: Option<&str>) -> Result<(), Error> {
    if district.is_none() {
        return Ok(());
    }
    match &req.department {
        Some(uscc) if req.region.is_none() => department(app, uscc, district).await.map(|_| ()),
        _ => Err(Error::new(Code::Forbidden, "区县管理员只能为所在地在本区县的部门开设部门账号")),
    }
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

/// An account by its user name, if it is within `district`.
pub async fn account_named(app: &App, username: &str, district: Option<&str>) -> Result<Account, Error> {
    let missing = || Error::not_found(format!("没有账号“{username}”"));
    let a = app.store.account_by_username(username).await?.ok_or_else(missing)?;
    if account_within(app, &a, district).await? { Ok(a) } else { Err(missing()) }
}

/// Disables, enables or unlocks a department user's or subject account (never an operator's).
pub async fn change_account(
    app: &App,
    username: &str,
    change: Change,
    district: Option<&str>,
) -> Result<Account, Error> {
    let a = account_named(app, username, district).await?;
    let (what, cli) = change.words();
    operator_refusal(&a.role, what, cli)?;
    match change {
        Change::Disable => app.store.set_disabled(a.id, true).await?,
        Change::Enable => app.store.set_disabled(a.id, false).await?,
        Change::Unlock => app.store.unlock(a.id).await?,
    }
    Ok(a)
}
