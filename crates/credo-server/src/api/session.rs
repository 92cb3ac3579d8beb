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

use crate::Web;
use crate::error::ApiError;
use crate::guard::{self, COOKIE, ClientAddr};
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
