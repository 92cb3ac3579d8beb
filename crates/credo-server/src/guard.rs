//! The gate every request passes: rate limits, who is asking (API key or session cookie), the policy's decision,
//! CSRF on cookie-authenticated writes, the audit event for everything that is not public, and the security
//! headers on every response.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::OffsetDateTime;

use crate::accounts::{csrf_token, session_alive, token_hash};
use crate::error::ApiError;
use crate::policy::{self, Decision, Principal, Role};
use crate::{App, keys};

/// The session cookie's name.
pub const COOKIE: &str = "credo_session";
/// The header (or form field `csrf`) that carries the CSRF token on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body read for its CSRF field.
const MAX_FORM: usize = 1024 * 1024;

/// Per-address and per-key request limits (requests per second, with a burst of twice that).
pub struct Limits {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<String>>,
}

impl Limits {
    /// `0` turns a limit off.
    pub fn new(per_address: u32, per_key: u32) -> Limits {
        Limits { per_address: limiter(per_address), per_key: limiter(per_key) }
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_second).map(|n| {
        let burst = n.saturating_mul(NonZeroU32::MIN.saturating_add(1));
        RateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
    })
}

/// The client's address, as the guard saw it (for handlers that record it).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The policy's refusal (distinct from a handler's own `forbidden`, e.g. another department's batch).
fn not_permitted(detail: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::FORBIDDEN, "not_permitted", "无权访问", detail)
}

fn too_many(what: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "请求过于频繁",
        format!("{what}请求过于频繁,请稍后再试"),
    )
}

/// The session token from the `Cookie` header.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == COOKIE && !v.is_empty()).then(|| v.to_string())
    })
}

/// Who is asking: a department key (`Authorization: Bearer`), a session cookie, or nobody.
async fn authenticate(app: &App, headers: &HeaderMap) -> Result<(Principal, Option<String>), ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let presented = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("Authorization 须为 Bearer credo_…(部门 API 密钥)"))?;
        let prefix = keys::prefix_of(presented).ok_or_else(|| ApiError::unauthorized("API 密钥格式不正确"))?;
        let key = app.store.api_key(prefix).await?.ok_or_else(|| ApiError::unauthorized("API 密钥无效"))?;
        if !keys::matches(presented, &key) {
            return Err(ApiError::unauthorized("API 密钥无效"));
        }
        if key.revoked {
            return Err(ApiError::unauthorized("API 密钥已被吊销"));
        }
        if key.expires_at.is_some_and(|t| t <= OffsetDateTime::now_utc()) {
            return Err(ApiError::unauthorized("API 密钥已过期"));
        }
        let department = app
            .store
            .department(key.department_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("API 密钥所属部门不存在"))?;
        return Ok((Principal::Key { key: Box::new(key), department: Box::new(department) }, None));
    }
    let Some(token) = session_cookie(headers) else { return Ok((Principal::Anonymous, None)) };
    let hash = token_hash(&token);
    let Some(session) = app.store.session(&hash).await? else {
        return Err(ApiError::unauthorized("会话无效或已退出,请重新登录"));
    };
    let now = OffsetDateTime::now_utc();
    if let Err(why) = session_alive(&session, now, &app.security) {
        app.store.end_session(&hash).await?;
        return Err(ApiError::unauthorized(why));
    }
    let account = app.store.account(session.account_id).await?.filter(|a| !a.disabled);
    let Some(account) = account else {
        app.store.end_session(&hash).await?;
        return Err(ApiError::unauthorized("账号已停用"));
    };
    let role = Role::parse(&account.role).ok_or_else(|| ApiError::unauthorized("账号角色无效"))?;
    let department = match account.department_id {
        Some(id) => app.store.department(id).await?.map(Box::new),
        None => None,
    };
    // Refresh the idle timer, at most a few times per idle period.
    if now - session.last_seen > app.security.session_idle / 8 {
        app.store.touch_session(&hash).await?;
    }
    Ok((Principal::Account { account: Box::new(account), role, department }, Some(token)))
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The CSRF token presented with a write: the header, or the `csrf` field of a form (the body is read and put
/// back).
async fn presented_csrf(req: Request) -> Result<(Option<String>, Request), ApiError> {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok((Some(v.to_string()), req));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        // A file upload from a page: the token rides in the form's action URL (the body may be large).
        let token = req.uri().query().and_then(|q| form_urlencoded_field(q.as_bytes(), "csrf"));
        return Ok((token, req));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| {
        ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "请求过大", "表单超过 1 MiB")
    })?;
    let token = form_urlencoded_field(&bytes, "csrf");
    Ok((token, Request::from_parts(parts, axum::body::Body::from(bytes))))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The middleware (a route layer: it runs after routing, so the matched route is known).
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    match check(&app, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn check(app: &App, req: Request, next: Next) -> Result<Response, ApiError> {
    let client: Option<IpAddr> = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let (Some(limiter), Some(ip)) = (&app.limits.per_address, client)
        && limiter.check_key(&ip).is_err()
    {
        return Err(too_many("该地址"));
    }
    let method = if req.method() == Method::HEAD { "GET" } else { req.method().as_str() };
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let Some(action) = policy::action_for(method, &path) else {
        // Default deny: a route that the policy does not list is nobody's.
        return Err(not_permitted("此地址未列入权限表,拒绝访问"));
    };
    let (principal, session) = authenticate(app, req.headers()).await?;
    if let (Some(limiter), Principal::Key { key, .. }) = (&app.limits.per_key, &principal)
        && limiter.check_key(&key.prefix).is_err()
    {
        return Err(too_many("该 API 密钥"));
    }
    let (actor, role, department) = principal.actor();
    let purpose = req.headers().get("x-purpose").and_then(|v| v.to_str().ok()).map(str::to_string);
    let target = req.uri().path().to_string();
    let audit = |result: String| credo_store::AuditEvent {
        actor: actor.clone(),
        role: role.clone(),
        department: department.clone(),
        action: action.code().to_string(),
        target: Some(target.clone()),
        purpose: purpose.clone(),
        result,
        client: client.map(|c| c.to_string()),
    };
    let quiet = action.audits_itself();
    let refuse = |e: ApiError, why: &str| {
        let event = audit(format!("denied: {why}"));
        let store = app.store.clone();
        async move {
            store.append_audit(&event).await?;
            Err::<Response, ApiError>(e)
        }
    };
    match policy::decide(&principal, action) {
        Decision::Allow => {}
        Decision::SignInRequired if crate::portal::is_page(&target) && method == "GET" => {
            // A page: to the sign-in page, and back here afterwards.
            let to = format!("/sign-in?next={}", target);
            return Ok(crate::portal::see_other(&to, None));
        }
        Decision::SignInRequired => {
            let e = ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "sign_in_required",
                "未认证",
                "请先登录,或使用部门 API 密钥",
            );
            return refuse(e, "unauthenticated").await;
        }
        Decision::Forbidden => {
            return refuse(not_permitted(format!("当前身份({role})无权执行此操作")), "forbidden").await;
        }
    }
    let mut req = req;
    if let Some(token) = &session
        && unsafe_method(req.method())
    {
        let (presented, r) = presented_csrf(req).await?;
        req = r;
        if !presented.is_some_and(|p| credo_gm::ct_eq(&p, &csrf_token(token))) {
            let e = ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf_token_invalid",
                "无权访问",
                "缺少或无效的 CSRF 令牌(请求头 X-CSRF-Token 或表单字段 csrf)",
            );
            return refuse(e, "csrf").await;
        }
    }
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(ClientAddr(client));
    let response = next.run(req).await;
    if !quiet {
        let status = response.status();
        let result = if status.is_success() { "ok".to_string() } else { format!("error: {}", status.as_u16()) };
        app.store.append_audit(&audit(result)).await?;
    }
    Ok(response)
}

/// Security headers on every response: no inline or foreign script, no framing, no MIME sniffing, no referrer
/// leaking search terms to other sites.
pub async fn headers(State(tls): State<bool>, req: Request, next: Next) -> Response {
    let page = crate::portal::is_page(req.uri().path());
    let mut response = as_problem(next.run(req).await).await;
    if page {
        response = as_page(response).await;
    }
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    if tls {
        set(h, "strict-transport-security", "max-age=31536000");
    }
    response
}

/// A problem+json answer to a page request becomes an HTML page with the same status and Chinese detail.
async fn as_page(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let title = v["title"].as_str().unwrap_or("出错了");
    crate::portal::error_page(status, v["code"].as_str().unwrap_or("error"), title, v["detail"].as_str().unwrap_or(""))
}

/// Errors the framework produces itself (a malformed JSON body, a wrong method, an unsupported media type) come as
/// plain text; they leave as problem+json like every other error, and a server error never shows its text.
async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let (code, detail) = match status.as_u16() {
        405 => ("method_not_allowed", "此地址不支持该请求方法".to_string()),
        413 => ("body_too_large", "请求体超过上限".to_string()),
        415 => ("unsupported_media_type", format!("请求的内容类型不受支持:{text}")),
        400 | 422 => ("invalid_request", format!("请求内容无法解析:{text}")),
        s if s >= 500 => ("internal_error", "服务器内部错误,已记录".to_string()),
        _ => ("error", text),
    };
    let title = if status.is_server_error() { "服务器错误" } else { "请求无效" };
    ApiError::new(status, code, title, detail).into_response()
}
