//! 农村信用: the 信用乡镇 and 信用村 of Xining with their grades and why, village by village (宁政办〔2015〕224号
//! 五(一)1); households' own grades are personal and shown only as counts.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::grades::{self, Group};
use credo_app::principal::Principal;

use super::chrome::{Chrome, render};
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "rural.html")]
struct RuralPage {
    chrome: Chrome,
    /// Households graded, of them 信用户.
    households: (i64, i64),
    townships: Vec<(Group, String, Vec<Group>)>,
}

pub async fn rural(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut households = (0, 0);
    if let Some(village) = app.catalog.evaluation.get("xyc").and_then(|s| s.members.clone()) {
        for c in app.store.grade_counts(&village.scheme).await? {
            households.0 += c.subjects;
            if village.good.contains(&c.grade) {
                households.1 += c.subjects;
            }
        }
    }
    let townships = grades::public_member_lists(&app, "xyxz")
        .await?
        .iter()
        .cloned()
        .map(|(t, villages)| {
            let district = t
                .region
                .as_deref()
                .and_then(|r| app.catalog.regions.get(r))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            (t, district, villages)
        })
        .collect();
    render(&RuralPage { chrome: Chrome::of(&p, &headers), households, townships })
}
