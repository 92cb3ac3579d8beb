//! Accounts for subjects on the website: applying online (`/register`), setting the password through a one-time
//! link (`/account/password`), changing it (`/me/password`), signing in through the province's 统一身份认证
//! (`/sign-in/idp`), and the security administrator's review of applications (`/admin/enrolments`) and reset links.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use credo_app::enrol::{self, Application, LinkError};
use credo_app::principal::Principal;
use credo_domain::catalog::SubjectKind;
use serde::Deserialize;

use super::cases::{challenge_answer, challenge_for, form_with_files};
use super::chrome::{Chrome, render, see_other};
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str)>,
    form: HashMap<String, String>,
    error: Option<String>,
    challenge: Option<credo_app::challenge::Challenge>,
}

impl RegisterPage {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// A message page: a title, what happened, and where to go on.
#[derive(Template)]
#[template(path = "notice.html")]
pub(super) struct NoticePage {
    pub chrome: Chrome,
    pub title: String,
    /// The account concerned (a user name: shown as a code).
    pub account: Option<String>,
    pub lines: Vec<String>,
    /// A one-time link to show (for the security administrator to send).
    pub link: Option<String>,
    /// Secrets shown once (a generated password, a TOTP secret, an API key): label and value, shown as codes.
    pub secrets: Vec<(String, String)>,
    pub next: Option<(String, String)>,
}

fn register_page(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    form: HashMap<String, String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    render(&RegisterPage {
        chrome: Chrome::of(p, headers),
        kinds: SubjectKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        form,
        error,
        challenge: challenge_for(app, p),
    })
}

pub async fn register_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    register_page(&app, &p, &headers, HashMap::new(), None)
}

pub async fn register(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let (mut fields, files) = form_with_files(&app, req).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let application = Application {
        kind: SubjectKind::parse(&get("kind")).unwrap_or(SubjectKind::Organisation),
        code: get("code"),
        name: get("name"),
        representative: get("representative"),
        contact: get("contact"),
        username: get("username"),
        files,
    };
    let answer = challenge_answer(&fields);
    let filed = async {
        credo_app::cases::admit_filing(&app, &p, client, answer.as_ref()).await?;
        enrol::apply(&app, &p, application).await
    };
    match filed.await {
        Ok(number) => render(&NoticePage {
            chrome: Chrome::of(&p, &headers),
            title: "申请已提交".into(),
            account: None,
            lines: vec![
                format!("申请编号:{number}。请保存此编号。"),
                "信用办安全管理员将核对您提交的材料,审核通过后会把设置密码的一次性链接发送到您登记的联系方式,链接 72 小时内有效。".into(),
                "也可使用青海省统一身份认证直接登录。".into(),
            ],
            link: None,
            secrets: Vec::new(),
            next: Some(("/".into(), "返回首页".into())),
        }),
        Err(e) if e.is_client_error() => {
            // The form comes back as filled in, except the challenge (a new one) and the files.
            fields.retain(|k, _| !k.starts_with("challenge") && k != "csrf");
            register_page(&app, &p, &headers, fields, Some(e.detail))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    chrome: Chrome,
    token: String,
    error: Option<String>,
}

pub async fn password_form(
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, ApiError> {
    render(&SetPasswordPage { chrome: Chrome::of(&p, &headers), token: q.token, error: None })
}

#[derive(Debug, Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn set_password(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<SetPasswordForm>,
) -> Result<Response, ApiError> {
    let again = |token: String, error: String| {
        render(&SetPasswordPage { chrome: Chrome::of(&p, &headers), token, error: Some(error) })
    };
    if f.password != f.confirm {
        return again(f.token, "两次输入的密码不一致".into());
    }
    match enrol::set_password_by_link(&app, &f.token, &f.password).await {
        Ok(account) => render(&NoticePage {
            chrome: Chrome::of(&p, &headers),
            title: "密码已设置".into(),
            account: Some(account.username.clone()),
            lines: vec!["密码已设置,请用新密码登录。".into()],
            link: None,
            secrets: Vec::new(),
            next: Some(("/sign-in".into(), "前往登录".into())),
        }),
        Err(LinkError::Password { message, link }) => {
            let token = link.split("token=").nth(1).unwrap_or_default().to_string();
            again(token, message)
        }
        Err(LinkError::Dead) => render(&NoticePage {
            chrome: Chrome::of(&p, &headers),
            title: "链接已失效".into(),
            account: None,
            lines: vec!["该链接已使用、已过期或不存在。请联系信用办安全管理员重新签发。".into()],
            link: None,
            secrets: Vec::new(),
            next: Some(("/".into(), "返回首页".into())),
        }),
        Err(LinkError::Other(e)) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<ChangePasswordForm>,
) -> Result<Response, ApiError> {
    let result = if f.password != f.confirm {
        Err("两次输入的新密码不一致".to_string())
    } else {
        enrol::change_password(&app, &p, &f.current, &f.password).await.map_err(|e| e.detail)
    };
    let (title, line, next) = match result {
        Ok(()) => (
            "密码已修改",
            "密码已修改,其他设备上的登录已失效。请用新密码重新登录。".to_string(),
            ("/sign-in", "重新登录"),
        ),
        Err(e) => ("密码未修改", e, ("/me", "返回我的信用")),
    };
    render(&NoticePage {
        chrome: Chrome::of(&p, &headers),
        title: title.into(),
        account: None,
        lines: vec![line],
        link: None,
        secrets: Vec::new(),
        next: Some((next.0.into(), next.1.into())),
    })
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The cookie that binds a sign-in through the provider to this browser.
const IDP_COOKIE: &str = "credo_idp";

pub async fn idp_start(State(app): State<Web>, Query(q): Query<NextQuery>) -> Result<Response, ApiError> {
    let idp = app.idp.clone().ok_or_else(|| ApiError::not_found("本平台未接入统一身份认证"))?;
    let started = idp.start(&app, &super::console::local(&q.next)).await?;
    // Lax: the provider's redirect back is a top-level navigation from another site.
    let secure = if app.security.tls { "; Secure" } else { "" };
    let cookie =
        format!("{IDP_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/sign-in/idp; Max-Age=600{secure}", started.browser);
    Ok(see_other(&started.url, HeaderValue::from_str(&cookie).ok()))
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

pub async fn idp_callback(
    State(app): State<Web>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Result<Response, ApiError> {
    let idp = app.idp.clone().ok_or_else(|| ApiError::not_found("本平台未接入统一身份认证"))?;
    let refused = |detail: String| {
        render(&NoticePage {
            chrome: Chrome::default(),
            title: "未能登录".into(),
            account: None,
            lines: vec![detail],
            link: None,
            secrets: Vec::new(),
            next: Some(("/sign-in".into(), "返回登录".into())),
        })
    };
    if !q.error.is_empty() {
        return refused("统一身份认证未完成(已取消或被拒绝),请重新登录。".into());
    }
    let browser = crate::cookies::cookie(&headers, IDP_COOKIE).unwrap_or_default();
    let (account, next) = match idp.finish(&app, &q.state, &q.code, &browser).await {
        Ok(done) => done,
        Err(e) if e.is_client_error() => {
            crate::api::session::audit_sign_in(
                &app,
                client,
                "(统一身份认证)",
                "anonymous",
                &format!("denied: {}", e.detail),
            )
            .await?;
            return refused(e.detail);
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = crate::api::session::open_session(&app, client, &account).await?;
    let next = if next.is_empty() { "/me".to_string() } else { next };
    // A page, not a redirect: the session cookie (SameSite=Strict) goes with the next request only when that
    // request starts on this site.
    let page = NoticePage {
        chrome: Chrome::default(),
        title: "登录成功".into(),
        account: None,
        lines: vec![format!("已通过统一身份认证登录:{}。", account.name)],
        link: None,
        secrets: Vec::new(),
        next: Some((next.clone(), "继续".into())),
    };
    let mut r = render(&page)?;
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("credo_idp=; HttpOnly; SameSite=Lax; Path=/sign-in/idp; Max-Age=0"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("0; url={next}")) {
        r.headers_mut().insert(header::REFRESH, v);
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "admin_enrolments.html")]
struct EnrolmentsPage {
    chrome: Chrome,
    pending: Vec<enrol::Review>,
}

pub async fn enrolments(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    enrol::city_only(&p)?;
    render(&EnrolmentsPage { chrome: Chrome::of(&p, &headers), pending: enrol::pending(&app).await? })
}

pub async fn enrolment_file(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path((number, n)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    enrol::city_only(&p)?;
    let (name, bytes) =
        app.store.enrolment_file(&number, n).await?.ok_or_else(|| ApiError::not_found("没有这个文件"))?;
    let disposition = format!("attachment; filename*=UTF-8''{}", crate::portal::chrome::percent(&name));
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide_enrolment(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, ApiError> {
    let approve = f.decision == "approve";
    let decided = enrol::decide(&app, &p, &number, approve, &f.reason).await?;
    let lines = match &decided.account {
        Some(a) => vec![
            format!("申请 {number} 已通过,账号已开通并绑定信用主体{}。", a.name),
            "请通过申请人登记的联系方式发送下面的一次性链接,申请人凭此设置密码(72 小时内有效,仅可使用一次):".into(),
        ],
        None => vec![format!("申请 {number} 未通过,理由已记录。")],
    };
    render(&NoticePage {
        chrome: Chrome::of(&p, &headers),
        title: "账号申请已处理".into(),
        account: decided.account.as_ref().map(|a| a.username.clone()),
        lines,
        link: decided.link,
        secrets: Vec::new(),
        next: Some(("/admin/enrolments".into(), "返回账号申请".into())),
    })
}

pub async fn reset_link(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let link = enrol::reset_link(&app, &p, id).await?;
    render(&NoticePage {
        chrome: Chrome::of(&p, &headers),
        title: "已签发重置链接".into(),
        account: None,
        lines: vec!["请核实身份后,通过账号登记的联系方式发送下面的一次性链接(72 小时内有效,仅可使用一次):".into()],
        link: Some(link),
        secrets: Vec::new(),
        next: Some(("/admin/accounts".into(), "返回账号".into())),
    })
}
