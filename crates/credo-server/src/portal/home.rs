//! The home page: counts, the newest 双公示, the lists.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use time::Date;

use super::chrome::{Chrome, render};
use super::rows::{Row, row};
use crate::Web;
use crate::error::ApiError;
use credo_app::listing::LISTS;
use credo_app::principal::Principal;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    subjects: i64,
    records: i64,
    departments: i64,
    newest: Vec<Row>,
    lists: Vec<(&'static str, &'static str)>,
}

/// How long the home page's counts and newest records are reused: the busiest page does its queries at most this
/// often (a new record shows on the home page within this time; the subject and record pages are always current).
pub const HOME_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the home page shows, as computed at `at` for `day`.
#[derive(Clone)]
pub struct HomeData {
    at: std::time::Instant,
    day: Date,
    counts: credo_store::Counts,
    newest: Vec<Row>,
}

async fn home_data(app: &Web) -> Result<HomeData, ApiError> {
    let today = app.clock.today();
    // Held across the refresh: when the data expires, one request recomputes and the others wait for it.
    let mut cached = app.home.lock().await;
    if let Some(h) = cached.as_ref()
        && h.day == today
        && h.at.elapsed() < HOME_TTL
    {
        return Ok(h.clone());
    }
    let counts = app.store.counts().await?;
    // The newest decisions of the 双公示 list; while the lists are still being built after a start, the newest
    // received.
    let sgs = credo_app::listing::list("sgs").ok_or_else(|| ApiError::internal("no 双公示 list"))?;
    let newest: Vec<Row> = match app.listing.newest(app, sgs, 10).await? {
        Some(ids) => super::lists::rows_of(app, &ids).await?,
        None => app
            .store
            .latest_records(&["xzxk", "xzcf"], 40)
            .await?
            .iter()
            .filter_map(|r| row(app, r, false, today))
            .filter(|(_, shown)| *shown)
            .map(|(r, _)| r)
            .take(10)
            .collect(),
    };
    let h = HomeData { at: std::time::Instant::now(), day: today, counts, newest };
    *cached = Some(h.clone());
    Ok(h)
}

pub async fn home(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let h = home_data(&app).await?;
    render(&Home {
        chrome: Chrome::of(&p, &headers),
        subjects: h.counts.subjects,
        records: h.counts.records,
        departments: h.counts.departments,
        newest: h.newest,
        lists: LISTS.iter().map(|l| (l.code, l.title)).collect(),
    })
}
