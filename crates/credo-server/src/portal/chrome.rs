//! What every page shares: its frame ([`Chrome`]), rendering, redirects after forms, and errors as pages.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use credo_app::principal::{Principal, Role};

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
            crate::cookies::session_cookie(headers).map(|t| credo_app::accounts::csrf_token(&t)).unwrap_or_default();
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

/// A form shown again with what was refused (422 Unprocessable Content): the browser shows the page, and the
/// request is audited as refused, not as done.
pub fn refused(t: &impl Template) -> Result<Response, ApiError> {
    let mut r = render(t)?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

/// The value of `key` in a form's pairs (the first; empty when absent).
pub fn form_value(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
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

/// Rows on a page of search results and lists.
pub const PER_PAGE: usize = 20;

/// Text percent-encoded (everything but RFC 3986's unreserved characters), for query strings and file names.
pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string of the non-empty pairs, percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}
