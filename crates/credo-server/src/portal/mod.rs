//! 信用西宁 website: server-rendered pages (askama templates in `templates/`, one stylesheet in `static/`, no
//! script and nothing from a CDN). The pages are another face of the same services the API uses — search,
//! publicity, cases, batches — and go through the same guard: every page route is in the policy table.
//!
//! * [`public`]: home, search, subject pages, records, case tracking, the objection and report forms.
//! * [`console`]: sign-in, the department console (cases, uploads with their row-level report) and the
//!   operators' dashboards.

use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::Web;
use crate::error::ApiError;
use credo_app::principal::{Principal, Role};

pub mod charts;
pub mod console;
pub mod me;
pub mod public;

/// What every page's frame shows: who is signed in, where their console is, the CSRF token for forms.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user: Option<String>,
    pub console: Option<&'static str>,
    pub csrf: String,
}

impl Chrome {
    pub fn of(p: &Principal, headers: &HeaderMap) -> Chrome {
        let csrf =
            crate::guard::session_cookie(headers).map(|t| credo_app::accounts::csrf_token(&t)).unwrap_or_default();
        match p {
            Principal::Account { account, role, .. } => Chrome {
                user: Some(format!("{}({})", account.name, role.label())),
                console: Some(match role {
                    Role::Handler | Role::Submitter | Role::Checker | Role::Reviewer => "/console",
                    Role::Sysadmin | Role::Secadmin | Role::Auditor => "/admin",
                    Role::Subject => "/me",
                }),
                csrf,
            },
            _ => Chrome::default(),
        }
    }
}

/// Renders a page.
pub fn render(t: &impl Template) -> Result<Response, ApiError> {
    Ok(Html(t.render().map_err(ApiError::internal)?).into_response())
}

/// A redirect after a form (303 See Other), optionally setting a cookie.
pub fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    // Whatever the target holds (a line break from a query parameter, non-ASCII), the Location header is valid:
    // bytes outside visible ASCII are percent-encoded.
    let mut location = String::with_capacity(to.len());
    for b in to.bytes() {
        match b {
            0x21..=0x7e => location.push(b as char),
            _ => location.push_str(&format!("%{b:02X}")),
        }
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(c) = cookie {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    code: &'a str,
    title: &'a str,
    detail: &'a str,
}

/// An error as a page, for a request a browser made to a page route (the problem's stable `code` is kept in the
/// page as `data-code`).
pub fn error_page(status: StatusCode, code: &str, title: &str, detail: &str) -> Response {
    let page = ErrorPage { chrome: Chrome::default(), status: status.as_u16(), code, title, detail };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, detail.to_string()).into_response(),
    }
}

/// Whether a path is a page (not the API, not an asset).
pub fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && !path.starts_with("/static/") && path != "/healthz"
}

const CSS: &str = include_str!("../../static/site.css");

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/", get(public::home))
        .route("/static/site.css", get(stylesheet))
        .route("/search", get(public::search))
        .route("/subjects/{key}", get(public::subject))
        .route("/records/{id}", get(public::record))
        .route("/records/{id}/objection", get(public::objection_form).post(public::objection))
        .route("/report", get(public::report_form).post(public::report))
        .route("/lists/{list}", get(public::list))
        .route("/policy", get(public::policy))
        .route("/verify", get(public::verify))
        .route("/cases", get(public::case_lookup))
        .route("/cases/{number}", get(public::case))
        .route("/sign-in", get(console::sign_in_form).post(console::sign_in))
        .route("/sign-out", post(console::sign_out))
        .route("/console", get(console::console))
        .route("/console/cases/{number}", get(console::case).post(console::decide))
        .route("/console/upload", get(console::upload_form).post(console::upload))
        .route("/admin", get(console::dashboard))
        .route("/admin/departments", get(console::departments))
        .route("/admin/accounts", get(console::accounts))
        .route("/admin/catalog", get(console::catalog))
        .route("/me", get(me::me))
        .route("/me/repairs", post(me::repair))
        .route("/me/commitments", post(me::commit))
        .with_state(app)
}
