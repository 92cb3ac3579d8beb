//! Sessions, the caller's own account, and the operators' API: departments and their permissions, API keys,
//! accounts, and the audit trail. Who may call what is decided in [`crate::policy`], before these run.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use credo_store::{Account, Department, NewDepartment, Permissions};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Web;
use crate::error::ApiError;
use crate::guard::{self, COOKIE, ClientAddr};
use credo_app::Code;
use credo_app::accounts::{self, AccountError, AccountRequest, SignInError};
use credo_app::principal::{Principal, Role};
use credo_app::{App, keys, public};

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/session", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/records", get(own_records))
        .route("/api/v1/me/access-log", get(own_access_log))
        .route("/api/v1/departments", get(departments).post(add_department))
        .route("/api/v1/departments/{uscc}/permissions", put(set_permissions))
        .route("/api/v1/departments/{uscc}/keys", get(list_keys).post(create_key))
        .route("/api/v1/keys/{prefix}", delete(revoke_key))
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route("/api/v1/accounts/{username}/disable", post(disable))
        .route("/api/v1/accounts/{username}/enable", post(enable))
        .route("/api/v1/accounts/{username}/unlock", post(unlock))
        .route("/api/v1/audit", get(audit_events))
        .route("/api/v1/audit/verify", get(audit_verify))
        .with_state(app)
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::Invalid(m) => ApiError::new(Code::InvalidAccount, m),
            AccountError::Conflict(m) => ApiError::new(Code::Conflict, m),
            AccountError::NotFound(m) => ApiError::not_found(m),
            AccountError::Store(e) => ApiError::internal(e),
        }
    }
}

fn account_of(p: &Principal) -> Result<&Account, ApiError> {
    match p {
        Principal::Account { account, .. } => Ok(account),
        _ => Err(ApiError::forbidden("此操作需要以账号登录")),
    }
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
    password: String,
    totp: Option<String>,
}

async fn sign_in(
    State(app): State<Web>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(body): Json<SignIn>,
) -> Result<Response, ApiError> {
    let (cookie, account, csrf) =
        start_session(&app, client, &body.username, &body.password, body.totp.as_deref()).await?;
    let mut response = Json(json!({
        "account": account,
        "role_label": Role::parse(&account.role).map(Role::label),
        "csrf": csrf,
    }))
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Signs in (audited; an unknown name is not written down): the session cookie, the account and its CSRF token.
pub async fn start_session(
    app: &App,
    client: Option<std::net::IpAddr>,
    username: &str,
    password: &str,
    totp: Option<&str>,
) -> Result<(HeaderValue, credo_store::Account, String), ApiError> {
    let client = client.map(|c| c.to_string());
    let result = accounts::sign_in(app, username, password, totp, client.as_deref()).await;
    let outcome = match &result {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("denied: {}", e.reason()),
    };
    let role = match &result {
        Ok((_, a)) => a.role.clone(),
        Err(_) => "anonymous".into(),
    };
    // A name that is no account is not recorded: people type passwords into the user name field.
    let known = match &result {
        Ok(_) => true,
        Err(_) => app.store.account_by_username(username).await?.is_some(),
    };
    let actor = if known { username.to_string() } else { "(未知账号)".to_string() };
    app.store
        .append_audit(&credo_store::AuditEvent {
            actor: actor.clone(),
            role,
            department: None,
            action: "session.sign_in".into(),
            target: Some(format!("account:{actor}")),
            purpose: None,
            result: outcome,
            client,
        })
        .await?;
    let (token, account) = result.map_err(|e| match e {
        SignInError::Store(e) => ApiError::internal(e),
        SignInError::Internal(e) => ApiError::internal(e),
        SignInError::Locked { .. } => ApiError::new(Code::AccountLocked, e.to_string()),
        other => ApiError::unauthorized(other.to_string()),
    })?;
    let secure = if app.security.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        COOKIE,
        token,
        app.security.session_absolute.whole_seconds(),
        secure
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((cookie, account, accounts::csrf_token(&token)))
}

async fn sign_out(State(app): State<Web>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, end_session(&app, &headers).await?);
    Ok(response)
}

/// Ends the session the request carries; the cookie that clears it.
pub async fn end_session(app: &App, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    if let Some(token) = guard::session_cookie(headers) {
        app.store.end_session(&accounts::token_hash(&token)).await?;
    }
    Ok(HeaderValue::from_static(guard::CLEAR_COOKIE))
}

async fn me(Extension(p): Extension<Principal>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let account = account_of(&p)?;
    let csrf = guard::session_cookie(&headers).map(|t| accounts::csrf_token(&t));
    Ok(Json(json!({
        "account": account,
        "role_label": Role::parse(&account.role).map(Role::label),
        "department": p.department(),
        "csrf": csrf,
    })))
}

#[derive(Deserialize)]
struct PasswordChange {
    current: String,
    new: String,
}

async fn change_password(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let account = account_of(&p)?;
    if !credo_gm::password::verify(&body.current, &account.password_hash) {
        return Err(ApiError::forbidden("当前密码不正确"));
    }
    accounts::set_password(app.store.as_ref(), account, &body.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subject a subject account is bound to.
async fn own_subject(app: &App, p: &Principal) -> Result<credo_store::Subject, ApiError> {
    let id = account_of(p)?.subject_id.ok_or_else(|| ApiError::forbidden("账号未绑定信用主体"))?;
    app.store.subject(id).await?.ok_or_else(|| ApiError::not_found("绑定的信用主体不存在"))
}

/// A subject's own records, with the fields the public does not see (its own ID numbers included).
async fn own_records(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Value>, ApiError> {
    let subject = own_subject(&app, &p).await?;
    let records = app.store.subject_records(subject.id).await?;
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let today = app.clock.today();
    // Every record with all its fields, and its publicity as the public sees it (or why the public does not).
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut v = json!(r);
            v["publicity"] = json!(public::publicity(&app.catalog, r, disputed.contains(&r.id), today));
            v
        })
        .collect();
    Ok(Json(
        json!({ "subject_id": subject.id, "subject": public::subject(&app.catalog, &subject), "records": records }),
    ))
}

/// Who looked at the subject, and why: audit events about it by anyone but the subject itself.
async fn own_access_log(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Value>, ApiError> {
    let subject = own_subject(&app, &p).await?;
    let me = account_of(&p)?.username.clone();
    let events = app.store.audit_for_target(&format!("subject:{}", subject.id), 500).await?;
    let log: Vec<Value> = events
        .into_iter()
        .filter(|e| e.event.actor != me)
        .map(|e| {
            json!({ "at": e.at, "department": e.event.department, "action": e.event.action,
                    "purpose": e.event.purpose, "result": e.event.result })
        })
        .collect();
    Ok(Json(json!({ "count": log.len(), "events": log })))
}

async fn departments(State(app): State<Web>) -> Result<Json<Vec<Department>>, ApiError> {
    Ok(Json(app.store.departments().await?))
}

#[derive(Deserialize)]
struct NewDept {
    uscc: String,
    name: String,
    region: Option<String>,
}

async fn add_department(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<NewDept>,
) -> Result<(StatusCode, Json<Department>), ApiError> {
    let code = credo_domain::ids::Uscc::parse(&body.uscc)
        .map_err(|e| ApiError::new(Code::InvalidUscc, format!("部门代码“{}”无效:{}", body.uscc, e.message())))?;
    if body.name.trim().is_empty() {
        return Err(ApiError::new(Code::MissingName, "请填写部门名称"));
    }
    let d = app
        .store
        .add_department(NewDepartment {
            uscc: code.as_str().to_string(),
            name: body.name.trim().to_string(),
            region: body.region.or_else(|| Some(code.region().to_string())),
            created_by: p.actor().0,
            permissions: Permissions { disclosure: vec!["公开".into()], ..Permissions::default() },
        })
        .await
        .map_err(|e| match e {
            credo_store::StoreError::Conflict(m) => ApiError::new(Code::Conflict, m),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(d)))
}

async fn department(app: &App, uscc: &str) -> Result<Department, ApiError> {
    app.store
        .department_by_uscc(&credo_domain::ids::prepare(uscc))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("没有统一社会信用代码为 {uscc} 的部门")))
}

async fn set_permissions(
    State(app): State<Web>,
    Path(uscc): Path<String>,
    Json(body): Json<Permissions>,
) -> Result<Json<Department>, ApiError> {
    let d = department(&app, &uscc).await?;
    accounts::check_permissions(&app, &body).map_err(|m| ApiError::new(Code::InvalidPermissions, m))?;
    app.store.set_permissions(d.id, &body).await?;
    Ok(Json(department(&app, &uscc).await?))
}

async fn list_keys(State(app): State<Web>, Path(uscc): Path<String>) -> Result<Json<Value>, ApiError> {
    let d = department(&app, &uscc).await?;
    Ok(Json(json!({ "department": d.uscc, "keys": app.store.api_keys(d.id).await? })))
}

#[derive(Deserialize)]
struct NewKey {
    scopes: Vec<String>,
    /// Days until the key expires (default 365; at most 3 years).
    expires_in_days: Option<i64>,
}

async fn create_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(uscc): Path<String>,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let d = department(&app, &uscc).await?;
    let scopes = keys::parse_scopes(&body.scopes.join(",")).map_err(|m| ApiError::new(Code::InvalidScopes, m))?;
    let expires =
        keys::expiry(body.expires_in_days.unwrap_or(365)).map_err(|m| ApiError::new(Code::InvalidExpiry, m))?;
    let by = p.actor().0;
    let (full, key) = keys::create(app.store.as_ref(), &d, scopes, Some(expires), &by).await?;
    Ok((StatusCode::CREATED, Json(json!({ "key": full, "record": key, "notice": "密钥只显示这一次,请妥善保存" }))))
}

async fn revoke_key(State(app): State<Web>, Path(prefix): Path<String>) -> Result<StatusCode, ApiError> {
    if app.store.revoke_api_key(&prefix).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("没有前缀为“{prefix}”的有效密钥")))
    }
}

async fn list_accounts(State(app): State<Web>) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = app
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|a| {
            let label = Role::parse(&a.role).map(Role::label);
            let mut v = serde_json::to_value(&a).unwrap_or_default();
            v["role_label"] = json!(label);
            v["totp_enrolled"] = json!(a.totp_secret.is_some());
            v
        })
        .collect();
    Ok(Json(json!({ "count": list.len(), "accounts": list })))
}

/// 三员分立: over the API, the security administrator creates and changes department users' and subject accounts
/// only; operator accounts are the CLI's ([`accounts::api_refuses`]). A stored role that is no role is refused too.
fn operator_refusal(role: &str, what: &str, cli: &str) -> Result<(), ApiError> {
    let refusal = match Role::parse(role) {
        Some(r) => accounts::api_refuses(r, what, cli),
        None => Some(format!("账号的角色“{role}”无效,只能由服务器上的 `{cli}` 办理")),
    };
    match refusal {
        Some(m) => Err(ApiError::new(Code::OperatorAccount, m)),
        None => Ok(()),
    }
}

async fn create_account(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<AccountRequest>,
) -> Result<(StatusCode, Json<accounts::Created>), ApiError> {
    // An unknown role is left to `create`, which names the roles there are (422).
    if Role::parse(&body.role).is_some() {
        operator_refusal(&body.role, "开设", "credo user add")?;
    }
    let created = accounts::create(&app, body, &p.actor().0).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn account_named(app: &App, username: &str) -> Result<Account, ApiError> {
    app.store.account_by_username(username).await?.ok_or_else(|| ApiError::not_found(format!("没有账号“{username}”")))
}

async fn disable(State(app): State<Web>, Path(username): Path<String>) -> Result<StatusCode, ApiError> {
    let a = account_named(&app, &username).await?;
    operator_refusal(&a.role, "停用", "credo user disable")?;
    app.store.set_disabled(a.id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable(State(app): State<Web>, Path(username): Path<String>) -> Result<StatusCode, ApiError> {
    let a = account_named(&app, &username).await?;
    operator_refusal(&a.role, "启用", "credo user disable --enable")?;
    app.store.set_disabled(a.id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unlock(State(app): State<Web>, Path(username): Path<String>) -> Result<StatusCode, ApiError> {
    let a = account_named(&app, &username).await?;
    operator_refusal(&a.role, "解锁", "credo user passwd")?;
    app.store.unlock(a.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AuditPage {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn audit_events(State(app): State<Web>, Query(q): Query<AuditPage>) -> Result<Json<Value>, ApiError> {
    let events = app.store.audit_after(q.after.unwrap_or(0), q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    Ok(Json(json!({ "count": events.len(), "events": events })))
}

async fn audit_verify(State(app): State<Web>) -> Result<Json<Value>, ApiError> {
    Ok(Json(credo_app::audit::report(&app).await?))
}
