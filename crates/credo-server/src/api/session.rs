//! `/api/v1/session` and `/api/v1/me`: signing in and out, the caller's own account, and a subject account's own
//! records and who looked at them.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_store::Account;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use super::schemas;
use crate::Web;
use crate::cookies::{self, COOKIE};
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::Code;
use credo_app::accounts::{self, SignInError};
use credo_app::principal::{Principal, Role};
use credo_app::{App, public};

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/session", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/records", get(own_records))
        .route("/api/v1/me/access-log", get(own_access_log))
        .with_state(app)
}

fn account_of(p: &Principal) -> Result<&Account, ApiError> {
    match p {
        Principal::Account { account, .. } => Ok(account),
        _ => Err(ApiError::forbidden("此操作需要以账号登录")),
    }
}

#[derive(OpenApi)]
#[openapi(paths(sign_in, sign_out, me, change_password, own_records, own_access_log))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
struct SignIn {
    username: String,
    password: String,
    /// 动态口令(TOTP,6 位):运营人员与部门用户必填
    totp: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    operation_id = "sign_in",
    summary = "登录",
    description = "以用户名、密码(与动态口令)登录:设置会话 Cookie `credo_session`,返回账号与 CSRF 令牌。\
                   连续失败将锁定账号。",
    request_body = SignIn,
    responses(
        (status = 200, description = "已登录(`Set-Cookie: credo_session=…`)", body = schemas::SessionStarted),
        (status = 401, description = "unauthorized"),
        (status = 423, description = "account_locked"),
    )
)]
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
    let addr = client;
    let client = addr.map(|c| c.to_string());
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
    audit_sign_in(app, addr, &actor, &role, &outcome).await?;
    let (token, account) = result.map_err(|e| match e {
        SignInError::Store(e) => ApiError::internal(e),
        SignInError::Internal(e) => ApiError::internal(e),
        SignInError::Locked { .. } => ApiError::new(Code::AccountLocked, e.to_string()),
        other => ApiError::unauthorized(other.to_string()),
    })?;
    let cookie = session_cookie(app, &token)?;
    Ok((cookie, account, accounts::csrf_token(&token)))
}

/// The audit event of a sign-in (by password or through the 统一身份认证), allowed or refused.
pub async fn audit_sign_in(
    app: &App,
    client: Option<std::net::IpAddr>,
    actor: &str,
    role: &str,
    outcome: &str,
) -> Result<(), ApiError> {
    app.store
        .append_audit(&credo_store::AuditEvent {
            actor: actor.to_string(),
            role: role.to_string(),
            department: None,
            action: "session.sign_in".into(),
            target: Some(format!("account:{actor}")),
            purpose: None,
            result: outcome.to_string(),
            client: client.map(|c| c.to_string()),
        })
        .await?;
    Ok(())
}

/// The session cookie for a new session token.
fn session_cookie(app: &App, token: &str) -> Result<HeaderValue, ApiError> {
    let secure = if app.security.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        COOKIE,
        token,
        app.security.session_absolute.whole_seconds(),
        secure
    );
    HeaderValue::from_str(&cookie).map_err(ApiError::internal)
}

/// Opens a session for an account whose identity was established elsewhere (the 统一身份认证), audited as a
/// sign-in; returns the session cookie.
pub async fn open_session(
    app: &App,
    client: Option<std::net::IpAddr>,
    account: &credo_store::Account,
) -> Result<HeaderValue, ApiError> {
    let token = accounts::open_session(app, account, client.map(|c| c.to_string()).as_deref()).await?;
    audit_sign_in(app, client, &account.username, &account.role, "ok: 统一身份认证").await?;
    session_cookie(app, &token)
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    operation_id = "sign_out",
    summary = "退出",
    description = "结束请求所带的会话并清除 Cookie(会话已失效时同样清除)。",
    responses((status = 204, description = "已退出"))
)]
async fn sign_out(State(app): State<Web>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, end_session(&app, &headers).await?);
    Ok(response)
}

/// Ends the session the request carries; the cookie that clears it.
pub async fn end_session(app: &App, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    if let Some(token) = cookies::session_cookie(headers) {
        app.store.end_session(&accounts::token_hash(&token)).await?;
    }
    Ok(HeaderValue::from_static(cookies::CLEAR_COOKIE))
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "session",
    operation_id = "me",
    summary = "当前账号",
    description = "已登录账号、其角色与部门,以及会话的 CSRF 令牌。",
    responses(
        (status = 200, description = "当前账号", body = schemas::Me),
        (status = 403, description = "forbidden"),
    )
)]
async fn me(Extension(p): Extension<Principal>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let account = account_of(&p)?;
    let csrf = cookies::session_cookie(&headers).map(|t| accounts::csrf_token(&t));
    Ok(Json(json!({
        "account": account,
        "role_label": Role::parse(&account.role).map(Role::label),
        "department": p.department(),
        "csrf": csrf,
    })))
}

#[derive(Deserialize, ToSchema)]
struct PasswordChange {
    /// 当前密码
    current: String,
    /// 新密码:至少 10 位,含大写、小写、数字、符号中的三类,不含用户名
    new: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "session",
    operation_id = "change_password",
    summary = "修改密码",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "已修改"),
        (status = 403, description = "forbidden"),
        (status = 422, description = "invalid_account"),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/me/records",
    tag = "session",
    operation_id = "own_records",
    summary = "本主体的信用记录",
    description = "信用主体账号所绑定主体的全部记录(含不公开字段),及每条记录公众所见的公示状态。",
    responses(
        (status = 200, description = "记录", body = schemas::OwnRecords),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/me/access-log",
    tag = "session",
    operation_id = "own_access_log",
    summary = "本主体被查询记录",
    description = "谁因何查询或核查了本主体(主体本人的操作除外)。",
    responses(
        (status = 200, description = "查询记录", body = schemas::AccessLog),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
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
