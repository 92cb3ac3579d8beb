//! The session cookie and the CSRF header: their names, reading the cookie, and the cookie that clears it.

use axum::http::{HeaderMap, header};

/// The session cookie's name.
pub const COOKIE: &str = "credo_session";
/// The header (or form field `csrf`) that carries the CSRF token on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session token from the `Cookie` header.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// A cookie's value from the `Cookie` header (not empty).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// The cookie that ends a session in the browser.
pub const CLEAR_COOKIE: &str = "credo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
