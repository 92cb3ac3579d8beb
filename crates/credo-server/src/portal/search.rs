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
    /// The former or other name the query matched (曾用名).
    pub matched: Option<String>,
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
    /// False when counting stopped at `credo_search::COUNT_CAP`.
    total_exact: bool,
    page: usize,
    pages: usize,
    /// More match than the pages reach.
    capped: bool,
    message: Option<String>,
    /// Subjects whose codes are one character from a mistyped one.
    near: Vec<Hit>,
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

fn to_hit(h: credo_app::search::SearchHit) -> Hit {
    Hit {
        id: h.id,
        name: h.name,
        matched: h.matched_name,
        code: h.code.unwrap_or_default(),
        kind: h.kind_label,
        region: h.region_name.unwrap_or_default(),
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
    let kind = SubjectKind::parse(&q.kind);
    let item = app.catalog.item(&q.item).filter(|i| !i.registration).map(|i| i.code.clone());
    let region = app.catalog.regions.get(&q.region).map(|r| r.code.clone());
    let query = credo_app::search::Query { text: &text, kind, region: region.as_deref(), item: item.as_deref() };
    let filtered = kind.is_some() || item.is_some() || region.is_some();
    let mut message = None;
    let mut near = Vec::new();
    let mut found = credo_app::search::Page::default();
    let max_pages = credo_app::search::MAX_DEPTH / PER_PAGE;
    let page = q.page.clamp(1, max_pages);
    if let Some(problem) = credo_app::search::code_problem(&app, &text).await? {
        // A mistyped code: what is wrong with it, and the codes one character away.
        message = Some(problem.message);
        near = problem.near.into_iter().map(to_hit).collect();
    } else if !text.is_empty() || filtered {
        found = credo_app::search::find_page(&app, &query, (page - 1) * PER_PAGE, PER_PAGE).await?;
        if found.total == 0 {
            message = Some(if text.is_empty() {
                "没有符合所选条件的信用主体。".to_string()
            } else {
                format!(
                    "没有找到与“{}”相符的信用主体。可尝试简称、拼音、统一社会信用代码或更少的字。",
                    publish::mask_ids(&text)
                )
            });
        }
    }
    let reachable = found.total.min(credo_app::search::MAX_DEPTH);
    let pages = reachable.div_ceil(PER_PAGE).max(1);
    let regions: Vec<(String, String)> =
        app.catalog.regions.xining_districts(today).into_iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    render(&SearchPage {
        chrome: Chrome::of(&p, &headers),
        q: publish::mask_ids(&text),
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        region: region.unwrap_or_default(),
        kinds: SubjectKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        regions,
        item: item.unwrap_or_default(),
        items: app
            .catalog
            .items
            .values()
            .filter(|i| !i.registration)
            .map(|i| (i.code.clone(), i.name.clone()))
            .collect(),
        capped: found.total > reachable,
        total: found.total,
        total_exact: found.total_exact,
        hits: found.hits.into_iter().map(to_hit).collect(),
        page: page.min(pages),
        pages,
        message,
        near,
    })
}
