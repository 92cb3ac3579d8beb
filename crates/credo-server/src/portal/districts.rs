//! 区县信用: a page per district of Xining (the district sub-platforms of the city plan) — its publicity lists
//! (subjects whose region is the district) and what the departments located there submitted.

use std::collections::BTreeMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::listing::{Cursor, Filter, LISTS};
use credo_app::principal::Principal;

use super::chrome::{Chrome, render};
use super::lists::rows_of;
use super::rows::Row;
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "districts.html")]
struct DistrictsPage {
    chrome: Chrome,
    districts: Vec<(String, String)>,
}

struct ListSummary {
    code: &'static str,
    title: &'static str,
    total: usize,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "district.html")]
struct DistrictPage {
    chrome: Chrome,
    code: String,
    name: String,
    lists: Vec<ListSummary>,
    /// (department, records, of them 双公示).
    departments: Vec<(String, i64, i64)>,
}

/// The newest entries each list shows on a district's page.
const NEWEST: usize = 3;

fn districts(app: &Web) -> Vec<(String, String)> {
    app.catalog
        .regions
        .xining_districts(app.clock.today())
        .into_iter()
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect()
}

pub async fn index(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    render(&DistrictsPage { chrome: Chrome::of(&p, &headers), districts: districts(&app) })
}

pub async fn district(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let Some((code, name)) = districts(&app).into_iter().find(|(c, _)| *c == code) else {
        return Err(ApiError::not_found(format!(
            "没有代码为“{}”的西宁市区县",
            credo_app::public::mask_ids(&code.chars().take(12).collect::<String>())
        )));
    };
    let filter = Filter { district: Some(code.clone()), ..Filter::default() };
    let mut lists = Vec::new();
    for list in &LISTS {
        let page = app.listing.page(&app, list, &filter, Cursor::First, NEWEST).await?;
        lists.push(ListSummary {
            code: list.code,
            title: list.title,
            total: page.total,
            rows: rows_of(&app, &page.ids).await?,
        });
    }
    let located: Vec<String> = app
        .store
        .departments()
        .await?
        .into_iter()
        .filter(|d| d.region.as_deref() == Some(code.as_str()))
        .map(|d| d.name)
        .collect();
    let mut counts: BTreeMap<String, (i64, i64)> = located.into_iter().map(|d| (d, (0, 0))).collect();
    for s in app.store.record_stats().await? {
        if let Some(c) = counts.get_mut(&s.department) {
            c.0 += s.count;
            if s.item == "xzxk" || s.item == "xzcf" {
                c.1 += s.count;
            }
        }
    }
    let departments = counts.into_iter().map(|(d, (all, sgs))| (d, all, sgs)).collect();
    render(&DistrictPage { chrome: Chrome::of(&p, &headers), code, name, lists, departments })
}
