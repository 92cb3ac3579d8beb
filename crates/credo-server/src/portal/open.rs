//! 开放数据: the daily snapshots ([`credo_app::snapshots`]) — a page listing them, and their files.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::principal::Principal;
use credo_app::{offload, snapshots};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::chrome::{Chrome, render};
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "open.html")]
struct OpenPage {
    chrome: Chrome,
    shown: Option<snapshots::Manifest>,
    /// (item's name, file, lines, size, SM3).
    files: Vec<(String, String, u64, String, String)>,
    days: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OpenQuery {
    #[serde(default)]
    day: String,
}

/// How many past days the page links to.
const DAYS_LISTED: usize = 60;

pub async fn open(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<OpenQuery>,
) -> Result<Response, ApiError> {
    let (days, shown) = offload::blocking(|| {
        let days = snapshots::days(&app);
        let day = match q.day.as_str() {
            "" => days.first().copied(),
            d => days.iter().copied().find(|x| x.to_string() == d),
        };
        (days, day.and_then(|d| snapshots::manifest(&app, d)).map(|(_, m)| m))
    });
    if shown.is_none() && !q.day.is_empty() {
        let day = credo_app::public::mask_ids(&q.day.chars().take(20).collect::<String>());
        return Err(ApiError::not_found(format!("没有 {day} 的开放数据快照")));
    }
    let files = shown
        .iter()
        .flat_map(|m| &m.files)
        .map(|f| {
            let name = app.catalog.item(&f.item).map(|i| i.name.as_str()).unwrap_or("");
            (name.to_string(), f.name.clone(), f.lines, size(f.bytes), f.sm3.clone())
        })
        .collect();
    let days = days.iter().take(DAYS_LISTED).map(|d| d.to_string()).collect();
    render(&OpenPage { chrome: Chrome::of(&p, &headers), shown, files, days })
}

/// A snapshot's file: only the manifest, its signature and the files the manifest lists (with ranges, so that a
/// broken download resumes).
pub async fn file(
    State(app): State<Web>,
    Path((day, name)): Path<(String, String)>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = offload::blocking(|| snapshots::file(&app, &day, &name))
        .ok_or_else(|| ApiError::not_found("没有这个开放数据文件"))?;
    let mime = if name.ends_with(".gz") {
        "application/gzip"
    } else if name.ends_with(".sig") {
        "application/octet-stream"
    } else {
        "application/json"
    };
    let mime = mime.parse().map_err(ApiError::internal)?;
    let res = ServeFile::new_with_mime(path, &mime).oneshot(req).await.map_err(ApiError::internal)?;
    Ok(res.map(Body::new))
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1}MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}KB", b as f64 / 1024.0),
        b => format!("{b}B"),
    }
}
