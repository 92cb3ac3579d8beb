//! One-stop search (一站式查询) with its filters and pages.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_domain::catalog::SubjectKind;
use serde::Deserialize;

use super::chrome::{Chrome, PER_PAGE, query_string, render};
use crate::Web;
use crate::error::ApiError;
use credo_app::principal::Principal;
use credo_app::public as publish;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    page: usize,
}

pub struct Hit {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub region: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    kind: String,
    region: String,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    item: String,
    items: Vec<(String, String)>,
    hits: Vec<Hit>,
    total: usize,
    page: usize,
    pages: usize,
    message: Option<String>,
}

impl SearchPage {
    fn link(&self, page: usize) -> String {
        let page = page.to_string();
        format!(
            "/search?{}",
            query_string(&[
                ("q", &self.q),
                ("kind", &self.kind),
                ("region", &self.region),
                ("item", &self.item),
                ("page", &page),
            ])
        )
    }
}

pub async fn search(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let today = app.clock.today();
    let text = q.q.trim().chars().take(100).collect::<String>();
    let mut message = None;
    let mut found = Vec::new();
    if !text.is_empty() {
        found = credo_app::search::find(&app, &text, 100).await?;
    }
    let kind = SubjectKind::parse(&q.kind);
    // With an item chosen: only subjects that have records of it the public may see (a person's penalties are kept
    // to 政务共享: a person is never found through them).
    let with_item = match app.catalog.item(&q.item) {
        Some(i) => {
            let ids: Vec<i64> = found.iter().filter(|h| publish::disclosed(i, h.kind)).map(|h| h.id).collect();
            Some(app.store.subjects_with_items(&ids, &[i.code.as_str()]).await?)
        }
        None => None,
    };
    let hits: Vec<Hit> = found
        .into_iter()
        .filter(|h| with_item.as_ref().is_none_or(|s| s.contains(&h.id)))
        .filter(|h| kind.is_none_or(|k| h.kind == k))
        .filter(|h| {
            q.region.is_empty() || h.region.as_deref().is_some_and(|r| r.starts_with(q.region.trim_end_matches('0')))
        })
        .map(|h| Hit {
            id: h.id,
            name: h.name,
            code: h.code.unwrap_or_default(),
            kind: h.kind_label,
            region: h.region_name.unwrap_or_default(),
        })
        .collect();
    if !text.is_empty() && hits.is_empty() {
        message = Some(format!(
            "没有找到与“{}”相符的信用主体。可尝试简称、统一社会信用代码或更少的字。",
            publish::mask_ids(&text)
        ));
    }
    let total = hits.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.clamp(1, pages);
    let hits = hits.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect();
    let regions: Vec<(String, String)> =
        app.catalog.regions.xining_districts(today).into_iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    render(&SearchPage {
        chrome: Chrome::of(&p, &headers),
        q: publish::mask_ids(&text),
        kind: q.kind.clone(),
        region: q.region.clone(),
        kinds: SubjectKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        regions,
        item: q.item.clone(),
        items: app
            .catalog
            .items
            .values()
            .filter(|i| !i.registration)
            .map(|i| (i.code.clone(), i.name.clone()))
            .collect(),
        hits,
        total,
        page,
        pages,
        message,
    })
}
