//! The operators' pages (运维): departments with their permissions and API keys, and accounts. Each role sees the
//! forms of its own duties only (三员分立): the 系统管理员 registers departments; the 安全管理员 grants
//! permissions, issues and revokes keys, opens, disables, enables and unlocks department users' and subject
//! accounts; the 审计管理员 reads. The forms call the same services as the API ([`credo_app::admin`],
//! [`credo_app::accounts`]) and the policy table decides who may post them; the guard audits every change.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use credo_app::accounts::{self, AccountRequest};
use credo_app::admin::{self, Change};
use credo_app::principal::{Principal, Role};
use credo_app::{App, keys};
use credo_store::Permissions;
use serde::Deserialize;

use super::account::NoticePage;
use super::chrome::{Chrome, form_value, refused, render, see_other};
use super::console::{item_name, scene_name};
use crate::Web;
use crate::error::ApiError;
use crate::policy::{Action, role_may};

/// What the signed-in operator may do here.
struct Duties {
    add_departments: bool,
    permissions: bool,
    keys: bool,
    accounts: bool,
}

impl Duties {
    fn of(p: &Principal) -> Duties {
        let may = |a| matches!(p, Principal::Account { role, .. } if role_may(*role, a));
        Duties {
            add_departments: may(Action::ManageDepartments),
            permissions: may(Action::ManagePermissions),
            keys: may(Action::ManageKeys),
            accounts: may(Action::ManageAccounts),
        }
    }
}

/// A department and its permissions in words.
struct DepartmentRow {
    name: String,
    uscc: String,
    items: String,
    scenes: String,
    disclosure: String,
    /// Its API keys: prefix, permissions, expiry (北京时间), revoked.
    keys: Vec<(String, String, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    departments: Vec<DepartmentRow>,
    duties: Duties,
    error: Option<String>,
    form: DepartmentForm,
}

/// A department's keys as the pages list them: prefix, permissions in words, expiry (北京时间), revoked.
fn key_rows(keys: &[credo_store::ApiKey]) -> Vec<(String, String, String, bool)> {
    keys.iter()
        .map(|k| {
            let until = k.expires_at.map(credo_app::beijing::format).unwrap_or_else(|| "长期".into());
            let scopes = k.scopes.iter().map(|c| scope_label(c)).collect::<Vec<_>>().join("、");
            (k.prefix.clone(), scopes, until, k.revoked)
        })
        .collect()
}

fn scope_label(code: &str) -> String {
    keys::SCOPES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label.split('(').next().unwrap_or(label))
        .to_string()
}

async fn departments_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    form: DepartmentForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let duties = Duties::of(p);
    let mut out = Vec::new();
    for d in admin::departments(app, p.district()).await? {
        let keys = if duties.keys { app.store.api_keys(d.id).await? } else { Vec::new() };
        let names = |codes: &[String], name: &dyn Fn(&str) -> String| {
            codes.iter().map(|c| name(c)).collect::<Vec<_>>().join("、")
        };
        out.push(DepartmentRow {
            items: names(&d.permissions.items, &|c| item_name(app, c)),
            scenes: names(&d.permissions.scenes, &|c| scene_name(app, c)),
            disclosure: d.permissions.disclosure.join("、"),
            keys: key_rows(&keys),
            name: d.name,
            uscc: d.uscc,
        });
    }
    let page = DepartmentsPage { chrome: Chrome::of(p, headers), departments: out, duties, error, form };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

/// 部门与权限: every department with what it may submit, check and read; the forms of the operator's duties.
pub async fn departments(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    departments_page(&app, &p, &headers, DepartmentForm::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DepartmentForm {
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    region: String,
}

/// 登记部门 (系统管理员).
pub async fn add_department(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<DepartmentForm>,
) -> Result<Response, ApiError> {
    let region = Some(f.region.clone());
    match admin::add_department(&app, &f.uscc, &f.name, region, &p.actor().0, p.district()).await {
        Ok(d) => Ok(see_other(&format!("/admin/departments#dept-{}", d.uscc), None)),
        Err(e) if e.is_client_error() => departments_page(&app, &p, &headers, f, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_department.html")]
struct DepartmentPage {
    chrome: Chrome,
    department: credo_store::Department,
    duties: Duties,
    /// Every item, scene and disclosure level: code, name, granted.
    items: Vec<(String, String, bool)>,
    scenes: Vec<(String, String, bool)>,
    disclosure: Vec<(String, bool)>,
    /// Restricted archives (公务员诚信档案): code, name, granted.
    archives: Vec<(String, String, bool)>,
    keys: Vec<(String, String, String, bool)>,
    scopes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn department_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    uscc: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let d = admin::department(app, uscc, p.district()).await?;
    let duties = Duties::of(p);
    let granted = &d.permissions;
    let keys = if duties.keys { app.store.api_keys(d.id).await? } else { Vec::new() };
    let page = DepartmentPage {
        chrome: Chrome::of(p, headers),
        items: app
            .catalog
            .items
            .values()
            .map(|i| (i.code.clone(), i.name.clone(), granted.items.contains(&i.code)))
            .collect(),
        scenes: app
            .catalog
            .measures
            .scenes
            .iter()
            .map(|s| (s.code.clone(), s.name.clone(), granted.scenes.contains(&s.code)))
            .collect(),
        disclosure: accounts::DISCLOSURE
            .iter()
            .map(|x| (x.to_string(), granted.disclosure.iter().any(|g| g == x)))
            .collect(),
        archives: app
            .catalog
            .items
            .values()
            .filter(|i| i.restricted)
            .map(|i| (i.code.clone(), i.name.clone(), granted.archives.contains(&i.code)))
            .collect(),
        keys: key_rows(&keys),
        scopes: keys::SCOPES.to_vec(),
        department: d,
        duties,
        error,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

/// One department: its permissions as a form (安全管理员) and its keys.
pub async fn department(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(uscc): Path<String>,
) -> Result<Response, ApiError> {
    department_page(&app, &p, &headers, &uscc, None).await
}

/// The checked boxes of a form: every `name=value` pair under `key`.
fn checked(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}

/// 授权 (安全管理员): the items, scenes and disclosure levels ticked replace the department's permissions.
pub async fn set_permissions(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(uscc): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let permissions = Permissions {
        items: checked(&pairs, "item"),
        scenes: checked(&pairs, "scene"),
        disclosure: checked(&pairs, "disclosure"),
        archives: checked(&pairs, "archive"),
        lending: form_value(&pairs, "lending") == "on",
    };
    match admin::set_permissions(&app, &uscc, &permissions, p.district()).await {
        Ok(d) => Ok(see_other(&format!("/admin/departments/{}", d.uscc), None)),
        Err(e) if e.is_client_error() && e.status() != 404 => {
            department_page(&app, &p, &headers, &uscc, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 签发 API 密钥 (安全管理员): the key is shown once.
pub async fn issue_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(uscc): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let days = form_value(&pairs, "days");
    let Ok(days) = (if days.trim().is_empty() { Ok(365) } else { days.trim().parse::<i64>() }) else {
        return department_page(&app, &p, &headers, &uscc, Some("有效天数须为 1–1095 的整数".into())).await;
    };
    let daily_quota = match form_value(&pairs, "daily_quota").trim() {
        "" => None,
        q => match q.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return department_page(&app, &p, &headers, &uscc, Some("每日调用上限须为整数".into())).await,
        },
    };
    let terms = keys::Terms { purpose: Some(form_value(&pairs, "purpose")), daily_quota };
    match admin::issue_key(&app, &uscc, &checked(&pairs, "scope"), days, terms, &p.actor().0, p.district()).await {
        Ok((full, key)) => render(&NoticePage {
            chrome: Chrome::of(&p, &headers),
            title: "已签发 API 密钥".into(),
            account: None,
            lines: vec![format!(
                "密钥前缀 {},有效期至 {}(北京时间)。请通过安全渠道交给部门的系统对接人员。",
                key.prefix,
                key.expires_at.map(credo_app::beijing::format).unwrap_or_default()
            )],
            link: None,
            secrets: vec![("API 密钥".into(), full)],
            next: Some((format!("/admin/departments/{uscc}"), "返回部门".into())),
        }),
        Err(e) if e.is_client_error() && e.status() != 404 => {
            department_page(&app, &p, &headers, &uscc, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 吊销 API 密钥 (安全管理员).
pub async fn revoke_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(prefix): Path<String>,
) -> Result<Response, ApiError> {
    let key = app.store.api_key(&prefix).await?;
    admin::revoke_key(&app, &prefix, p.district()).await?;
    let dept = match key {
        Some(k) => app.store.department(k.department_id).await?.map(|d| d.uscc),
        None => None,
    };
    Ok(see_other(&dept.map_or_else(|| "/admin/departments".into(), |u| format!("/admin/departments/{u}")), None))
}

/// An account as the accounts page lists it.
pub struct AccountRow {
    pub account: credo_store::Account,
    pub role: &'static str,
    pub department: String,
    /// Until when it is locked (北京时间), if it is.
    pub locked: Option<String>,
    /// An operator's account: changed only on the server.
    pub operator: bool,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<AccountRow>,
    duties: Duties,
    /// The roles the security administrator may open accounts for: code and name.
    roles: Vec<(&'static str, &'static str)>,
    departments: Vec<(String, String)>,
    form: AccountForm,
    error: Option<String>,
}

async fn accounts_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    form: AccountForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let departments = app.store.departments().await?;
    let now = app.clock.now();
    let mut within = Vec::new();
    for a in app.store.accounts().await? {
        if admin::account_within(app, &a, p.district()).await? {
            within.push(a);
        }
    }
    let accounts = within
        .into_iter()
        .map(|a| {
            let role = Role::parse(&a.role);
            AccountRow {
                role: role.map(Role::label).unwrap_or("未知角色"),
                operator: role.is_none_or(Role::is_operator),
                department: departments
                    .iter()
                    .find(|d| Some(d.id) == a.department_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                // A lock-out that has ended is no lock.
                locked: a.locked_until.filter(|until| *until > now).map(credo_app::beijing::format),
                account: a,
            }
        })
        .collect();
    let page = AccountsPage {
        chrome: Chrome::of(p, headers),
        accounts,
        duties: Duties::of(p),
        roles: Role::ALL.iter().filter(|r| !r.is_operator()).map(|r| (r.code(), r.label())).collect(),
        departments: departments.into_iter().map(|d| (d.uscc, d.name)).collect(),
        form,
        error,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

/// 账号: every account, its role, department and state; the security administrator's forms.
pub async fn accounts(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    accounts_page(&app, &p, &headers, AccountForm::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    subject: String,
}

/// 开设账号 (安全管理员): a department user or a subject account, with a generated password (and TOTP secret)
/// shown once.
pub async fn create_account(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<AccountForm>,
) -> Result<Response, ApiError> {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let role = Role::parse(&f.role);
    let req = AccountRequest {
        username: f.username.trim().to_string(),
        name: f.name.clone(),
        role: f.role.clone(),
        department: role.filter(|r| r.needs_department()).and_then(|_| some(&f.department)),
        subject: role.filter(|r| *r == Role::Subject).and_then(|_| some(&f.subject)),
        password: None,
        region: None,
    };
    let refused = match role {
        Some(r) => admin::operator_refusal(r.code(), "开设", "credo user add").err(),
        None => None,
    };
    let refused = match refused {
        Some(e) => Some(e),
        None => admin::check_new_account(&app, &req, p.district()).await.err(),
    };
    let result = match refused {
        Some(e) => Err(e),
        None => accounts::create(&app, req, &p.actor().0).await.map_err(|e| ApiError::from(e).0),
    };
    match result {
        Ok(created) => {
            let mut secrets = Vec::new();
            if let Some(pw) = created.password {
                secrets.push(("初始密码".to_string(), pw));
            }
            if let Some(t) = created.totp {
                secrets.push(("动态口令密钥".to_string(), t.secret));
            }
            render(&NoticePage {
                chrome: Chrome::of(&p, &headers),
                title: "已开设账号".into(),
                account: Some(created.account.username),
                lines: vec![format!("{}“{}”。首次登录后请使用人修改密码。", created.role_label, created.account.name)],
                link: None,
                secrets,
                next: Some(("/admin/accounts".into(), "返回账号".into())),
            })
        }
        Err(e) if e.is_client_error() => accounts_page(&app, &p, &headers, f, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    change: String,
}

/// 停用, 启用, 解锁 (安全管理员; operator accounts are refused).
pub async fn change_account(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ChangeForm>,
) -> Result<Response, ApiError> {
    let change = match f.change.as_str() {
        "disable" => Change::Disable,
        "enable" => Change::Enable,
        "unlock" => Change::Unlock,
        _ => {
            return accounts_page(&app, &p, &headers, AccountForm::default(), Some("请选择停用、启用或解锁".into()))
                .await;
        }
    };
    let a = app.store.account(id).await?.ok_or_else(|| ApiError::not_found("没有这个账号"))?;
    match admin::change_account(&app, &a.username, change, p.district()).await {
        Ok(_) => Ok(see_other(&format!("/admin/accounts#account-{id}"), None)),
        Err(e) if e.is_client_error() && e.status() != 404 => {
            accounts_page(&app, &p, &headers, AccountForm::default(), Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}
