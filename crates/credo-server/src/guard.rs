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

use crate::Web;
use crate::cookies::{CLEAR_COOKIE, CSRF_HEADER, session_cookie};
use crate::error::ApiError;
use crate::policy::{self, Decision};
use credo_app::Code;
use credo_app::accounts::{csrf_token, session_alive, token_hash};
use credo_app::principal::{Principal, Role};
use credo_app::{App, keys};

/// Largest form body read for its CSRF field.
const MAX_FORM: usize = 1024 * 1024;

/// Per-address and per-key request limits (requests per second, with a burst of twice that), and the reports an
/// address may download to the public per hour (each costs a rendering).
pub struct Limits {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<String>>,
    reports: Option<(u32, DefaultKeyedRateLimiter<IpAddr>)>,
}

impl Limits {
    /// `0` turns a limit off.
    pub fn new(per_address: u32, per_key: u32, reports_per_hour: u32) -> Limits {
        let reports =
            NonZeroU32::new(reports_per_hour).map(|n| (n.get(), RateLimiter::keyed(Quota::per_hour(n).allow_burst(n))));
        Limits { per_address: limiter(per_address), per_key: limiter(per_key), reports }
    }

    /// Whether `client` may have one more public report now. IPv6 addresses count by their /64 (one household or
    /// host has a whole prefix to rotate through).
    pub fn report_allowed(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let client = client.map(|ip| match ip {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        });
        match (&self.reports, client) {
            (Some((n, l)), Some(ip)) if l.check_key(&ip).is_err() => Err(ApiError::new(
                Code::RateLimited,
                format!("同一网络地址每小时最多下载 {n} 份信用报告,请稍后再试;信用主体可登录后下载本人报告"),
            )),
            _ => Ok(()),
        }
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
    ApiError::new(Code::NotPermitted, detail)
}

fn too_many(what: &str) -> ApiError {
    ApiError::new(Code::RateLimited, format!("{what}请求过于频繁,请稍后再试"))
}

/// Who is asking, as [`authenticate`] found out.
struct Identified {
    principal: Principal,
    /// The session token, when a live session cookie came with the request.
    session: Option<String>,
    /// Why a session cookie that came with the request was not honoured (it is cleared, the request goes on as
    /// anonymous, and the refusal is audited).
    stale: Option<&'static str>,
}

/// A department key that is refused: the request ends with 401 and the refusal is audited.
struct KeyRefused(ApiError, &'static str);

/// Who is asking: a department key (`Authorization: Bearer`), a session cookie, or nobody. A key that is wrong is
/// refused; a session cookie that is unknown, expired or of a disabled account is not an error — the visitor goes
/// on as anonymous (and can sign in again) while the cookie is cleared.
async fn authenticate(app: &App, headers: &HeaderMap) -> Result<Result<Identified, KeyRefused>, ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        return Ok(key_principal(app, auth).await?.map(|principal| Identified {
            principal,
            session: None,
            stale: None,
        }));
    }
    let anonymous = |stale| Ok(Ok(Identified { principal: Principal::Anonymous, session: None, stale }));
    let Some(token) = session_cookie(headers) else { return anonymous(None) };
    let hash = token_hash(&token);
    let Some(session) = app.store.session(&hash).await? else { return anonymous(Some("会话无效或已退出")) };
    let now = app.clock.now();
    if let Err(why) = session_alive(&session, now, &app.security) {
        app.store.end_session(&hash).await?;
        return anonymous(Some(why));
    }
    let account = app.store.account(session.account_id).await?.filter(|a| !a.disabled);
    let (Some(account), Some(role)) = (account.as_ref(), account.as_ref().and_then(|a| Role::parse(&a.role))) else {
        app.store.end_session(&hash).await?;
        return anonymous(Some("账号已停用"));
    };
    let department = match account.department_id {
        Some(id) => app.directory.department(app, id).await?.map(Box::new),
        None => None,
    };
    // Refresh the idle timer, at most a few times per idle period.
    if now - session.last_seen > app.security.session_idle / 8 {
        app.store.touch_session(&hash).await?;
    }
    let principal = Principal::Account { account: Box::new(account.clone()), role, department };
    Ok(Ok(Identified { principal, session: Some(token), stale: None }))
}

async fn key_principal(app: &App, auth: &HeaderValue) -> Result<Result<Principal, KeyRefused>, ApiError> {
    let refuse = |detail: &'static str, why: &'static str| Ok(Err(KeyRefused(ApiError::unauthorized(detail), why)));
    let Some(presented) = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) else {
        return refuse("Authorization 须为 Bearer credo_…(部门 API 密钥)", "malformed authorization");
    };
    let Some(prefix) = keys::prefix_of(presented) else { return refuse("API 密钥格式不正确", "malformed key") };
    let Some((key, department)) = app.directory.key(app, prefix).await?.filter(|(k, _)| keys::matches(presented, k))
    else {
        return refuse("API 密钥无效", "unknown or forged key");
    };
    if key.revoked {
        return refuse("API 密钥已被吊销", "revoked key");
    }
    if key.expires_at.is_some_and(|t| t <= OffsetDateTime::now_utc()) {
        return refuse("API 密钥已过期", "expired key");
    }
    let Some(department) = department else {
        return refuse("API 密钥所属部门不存在", "key of no department");
    };
    // A key with a daily quota (a credit service agency's) counts every call it makes; beyond the quota it is
    // refused until the next day (Beijing time). One statement counts and checks, so concurrent calls cannot pass
    // the quota together.
    if let Some(quota) = key.daily_quota
        && app.store.use_api_key(key.id, app.clock.today(), quota).await?.is_none()
    {
        let detail = format!("API 密钥今日调用次数已达上限({quota} 次),请次日再试");
        return Ok(Err(KeyRefused(ApiError::new(Code::QuotaReached, detail), "key quota spent")));
    }
    Ok(Ok(Principal::Key { key: Box::new(key), department: Box::new(department) }))
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
        return multipart_csrf(req).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes =
        axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| ApiError::new(Code::BodyTooLarge, "表单超过 1 MiB"))?;
    let token = form_urlencoded_field(&bytes, "csrf");
    Ok((token, Request::from_parts(parts, axum::body::Body::from(bytes))))
}

/// Most bytes of a multipart body read to find its first field (the `csrf` token goes first in every form).
const MAX_FIRST_PART: usize = 16 * 1024;

/// The CSRF token of a file upload from a page: the form's first field, `csrf` (never in the URL, where it would
/// reach logs and history). Only the body's first part is read — a large file behind it streams on untouched.
async fn multipart_csrf(req: Request) -> Result<(Option<String>, Request), ApiError> {
    use futures_util::StreamExt;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
    else {
        return Ok((None, req));
    };
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let token = loop {
        if let Some(found) = first_field(&head, &boundary, "csrf") {
            break found;
        }
        if head.len() > MAX_FIRST_PART {
            break None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break None,
        }
    };
    let head = futures_util::stream::once(async move { Ok::<_, axum::Error>(axum::body::Bytes::from(head)) });
    let body = axum::body::Body::from_stream(head.chain(stream));
    Ok((token, Request::from_parts(parts, body)))
}

/// The value of a multipart body's first part when that part is the field `name`: `Some(Some(v))`; `Some(None)`
/// when the first part is complete and is another field; `None` when more bytes are needed.
fn first_field(body: &[u8], boundary: &str, name: &str) -> Option<Option<String>> {
    let opening = format!("--{boundary}\r\n");
    let rest = body.strip_prefix(opening.as_bytes()).or_else(|| {
        // A preamble before the first boundary is allowed.
        let at = find(body, opening.as_bytes())?;
        body.get(at + opening.len()..)
    })?;
    let header_end = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..header_end]).to_ascii_lowercase();
    let value = &rest[header_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    let named = headers
        .lines()
        .any(|l| l.starts_with("content-disposition:") && l.split(';').any(|p| p.trim() == format!("name=\"{name}\"")));
    Some(named.then(|| String::from_utf8_lossy(&value[..end]).trim().to_string()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The middleware (a route layer: it runs after routing, so the matched route is known).
pub async fn guard(State(app): State<Web>, req: Request, next: Next) -> Response {
    let mut clear_cookie = false;
    let mut response = match check(&app, req, next, &mut clear_cookie).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    if clear_cookie {
        response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static(CLEAR_COOKIE));
    }
    response
}

/// `clear_cookie` is set when the request came with a session cookie that is no longer honoured.
async fn check(app: &Web, req: Request, next: Next, clear_cookie: &mut bool) -> Result<Response, ApiError> {
    let client: Option<IpAddr> = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let (Some(limiter), Some(ip)) = (&app.limits.per_address, client)
        && limiter.check_key(&ip).is_err()
    {
        return Err(too_many("该地址"));
    }
    let method = if req.method() == Method::HEAD { "GET" } else { req.method().as_str() };
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let Some(action) = policy::action_for(method, &path) else {
        let allowed = policy::methods_for(&path);
        if !allowed.is_empty() {
            // A known route asked with another method.
            let mut r =
                ApiError::new(Code::MethodNotAllowed, format!("此地址只支持 {}", allowed.join("、"))).into_response();
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return Ok(r);
        }
        // Default deny: a route that the policy does not list is nobody's.
        return Err(not_permitted("此地址未列入权限表,拒绝访问"));
    };
    // Credentials refused before anyone is known: recorded as attempts (the key or cookie itself is not).
    let asked = req.uri().path().to_string();
    let unknown = |actor: &str, action: &str, result: String| credo_store::AuditEvent {
        actor: actor.into(),
        role: "anonymous".into(),
        department: None,
        action: action.into(),
        target: Some(asked.clone()),
        purpose: None,
        result,
        client: client.map(|c| c.to_string()),
    };
    let identified = match authenticate(app, req.headers()).await? {
        Ok(i) => i,
        Err(KeyRefused(e, why)) => {
            app.store.append_audit(&unknown("(无效 API 密钥)", "auth.key", format!("denied: {why}"))).await?;
            return Err(e);
        }
    };
    if let Some(why) = identified.stale {
        app.store.append_audit(&unknown("(失效会话)", "auth.session", format!("cleared: {why}"))).await?;
    }
    let Identified { principal, session, stale } = identified;
    *clear_cookie = stale.is_some();
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
        Decision::SignInRequired if crate::portal::chrome::is_page(&target) && method == "GET" => {
            // A page: to the sign-in page, and back here afterwards.
            let to = format!("/sign-in?next={}", target);
            return Ok(crate::portal::chrome::see_other(&to, None));
        }
        Decision::SignInRequired => {
            // A visitor whose session just ended is told why.
            let detail = match stale {
                Some(why) if why.contains("请重新登录") => why.to_string(),
                Some(why) => format!("{why},请重新登录"),
                None => "请先登录,或使用部门 API 密钥".to_string(),
            };
            let e = ApiError::new(Code::SignInRequired, detail);
            return refuse(e, "unauthenticated").await;
        }
        Decision::Forbidden => {
            let who = match &principal {
                Principal::Account { role, .. } => role.label(),
                Principal::Key { .. } => "部门 API 密钥",
                Principal::Anonymous => "访客",
            };
            return refuse(not_permitted(format!("当前身份({who})无权执行此操作")), "forbidden").await;
        }
    }
    let mut req = req;
    if let Some(token) = &session
        && unsafe_method(req.method())
    {
        let (presented, r) = presented_csrf(req).await?;
        req = r;
        if !presented.is_some_and(|p| credo_gm::ct_eq(&p, &csrf_token(token))) {
            let e =
                ApiError::new(Code::CsrfTokenInvalid, "缺少或无效的 CSRF 令牌(请求头 X-CSRF-Token 或表单字段 csrf)");
            return refuse(e, "csrf").await;
        }
    }
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(ClientAddr(client));
    let response = next.run(req).await;
    if !quiet {
        let status = response.status();
        // A page's form that succeeded answers with a redirect (303); one refused shows the form again with 422.
        let done = status.is_success() || status.is_redirection();
        let result = if done { "ok".to_string() } else { format!("error: {}", status.as_u16()) };
        app.store.append_audit(&audit(result)).await?;
    }
    Ok(response)
}

/// Security headers on every response: no inline or foreign script, no framing, no MIME sniffing, no referrer
/// leaking search terms to other sites.
pub async fn headers(State(tls): State<bool>, req: Request, next: Next) -> Response {
    let page = crate::portal::chrome::is_page(req.uri().path());
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
    let code = v["code"].as_str().unwrap_or("error");
    crate::portal::chrome::error_page(status, code, title, page_detail(code, v["detail"].as_str().unwrap_or("")))
}

/// What a page says for a refusal whose API detail is meant for programs: the API names the CSRF header and form
/// field, and the framework's rejections of a malformed body are English; a person reads what to do.
fn page_detail<'a>(code: &str, detail: &'a str) -> &'a str {
    match code {
        "csrf_token_invalid" => "页面已过期,请刷新页面后重新提交",
        // The platform's own refusals are in Chinese and say what to change: kept.
        "invalid_request" if detail.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) => detail,
        "invalid_request" | "bad_multipart" | "unsupported_media_type" => "提交的内容无法识别,请返回页面后重新提交",
        _ => detail,
    }
}

/// Errors the framework produces itself (a malformed JSON body, a wrong method, an unsupported media type) come as
/// plain text; they leave as problem+json like every other error, and a server error never shows its text.
async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    // A page's form shown again with what was refused (422, HTML) is the platform's own answer, not the framework's.
    let is_answer = content_type.starts_with(b"application/problem+json") || content_type.starts_with(b"text/html");
    if is_answer || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let (code, detail) = match status.as_u16() {
        405 => (Code::MethodNotAllowed, "此地址不支持该请求方法".to_string()),
        413 => (Code::BodyTooLarge, "请求体超过上限".to_string()),
        415 => (Code::UnsupportedMediaType, format!("请求的内容类型不受支持:{text}")),
        s if s >= 500 => (Code::InternalError, "服务器内部错误,已记录".to_string()),
        _ => (Code::InvalidRequest, format!("请求内容无法解析:{text}")),
    };
    ApiError(credo_app::Error::with_status(code, status.as_u16(), detail)).into_response()
}
