//! 信用动态, 政策法规 and 典型案例: the public list and article pages with their Atom feed, and the console where a
//! 系统管理员 drafts and a 信用审核员 publishes (`credo_app::articles`).

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use credo_app::articles::{self, StepRequest};
use credo_app::principal::{Principal, Role};
use credo_domain::articles::{ArticleKind, ArticleState, Draft, Step};
use credo_store::Article;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

use super::chrome::{Chrome, query_string, refused, render, see_other};
use super::rows::{Row, row};
use crate::Web;
use crate::error::ApiError;

/// An article as a list shows it.
struct Entry {
    id: i64,
    kind: &'static str,
    title: String,
    summary: String,
    /// Publication day (Beijing), or the last change for unpublished ones.
    day: String,
    state: &'static str,
}

fn day_of(a: &Article) -> String {
    credo_app::beijing::format(a.published_at.unwrap_or(a.updated_at)).chars().take(10).collect()
}

fn entry(a: &Article) -> Entry {
    Entry {
        id: a.id,
        kind: a.kind.label(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        day: day_of(a),
        state: a.state.label(),
    }
}

/// The body's paragraphs (text only: the body is never read as markup).
fn paragraphs(body: &str) -> Vec<String> {
    body.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

#[derive(Template)]
#[template(path = "news.html")]
struct NewsPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str, bool)>,
    kind: String,
    entries: Vec<Entry>,
    page: usize,
    pages: usize,
    total: i64,
}

impl NewsPage {
    fn link(&self, page: usize) -> String {
        format!("/news?{}", query_string(&[("kind", &self.kind), ("page", &page.to_string())]))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewsQuery {
    #[serde(default)]
    kind: String,
    page: Option<usize>,
}

fn kind_of(s: &str) -> Result<Option<ArticleKind>, ApiError> {
    match s.trim() {
        "" => Ok(None),
        k => ArticleKind::parse(k).map(Some).ok_or_else(|| {
            ApiError::new(credo_app::Code::InvalidRequest, "栏目应为 news(信用动态)、policy(政策法规)或 case(典型案例)")
        }),
    }
}

pub async fn news(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<NewsQuery>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&q.kind)?;
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let (list, total) = articles::published(&app, kind, page as i64, articles::PAGE).await?;
    let mut kinds = vec![("", "全部", kind.is_none())];
    kinds.extend(ArticleKind::ALL.iter().map(|k| (k.as_str(), k.label(), Some(*k) == kind)));
    render(&NewsPage {
        chrome: Chrome::of(&p, &headers),
        kinds,
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        entries: list.iter().map(entry).collect(),
        page,
        pages: (total as usize).div_ceil(articles::PAGE as usize).max(1),
        total,
    })
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    chrome: Chrome,
    a: Entry,
    paragraphs: Vec<String>,
    records: Vec<Row>,
    /// Cited records no longer public (not shown).
    hidden: usize,
}

pub async fn article(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (a, records) = articles::public_view(&app, id).await?;
    let today = app.clock.today();
    let rows: Vec<Row> =
        records.iter().filter_map(|(r, disputed)| row(&app, r, *disputed, today).map(|(row, _)| row)).collect();
    render(&ArticlePage {
        chrome: Chrome::of(&p, &headers),
        hidden: a.records.len() - rows.len(),
        paragraphs: paragraphs(&a.body),
        a: entry(&a),
        records: rows,
    })
}

#[derive(Template)]
#[template(path = "atom.xml")]
struct Feed {
    updated: String,
    entries: Vec<(Entry, String, String)>,
}

/// The newest published articles as an Atom feed (RFC 4287).
pub async fn feed(State(app): State<Web>) -> Result<Response, ApiError> {
    let (list, _) = articles::published(&app, None, 1, 50).await?;
    let rfc = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let updated =
        list.iter().filter_map(|a| a.published_at).max().map(rfc).unwrap_or_else(|| "2026-01-01T00:00:00Z".into());
    let entries = list
        .iter()
        .map(|a| {
            let summary = if a.summary.is_empty() { a.body.chars().take(200).collect() } else { a.summary.clone() };
            (entry(a), rfc(a.published_at.unwrap_or(a.updated_at)), summary)
        })
        .collect();
    let body = Feed { updated, entries }.render().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

// ── The console ────────────────────────────────────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "articles.html")]
struct ConsoleList {
    chrome: Chrome,
    writes: bool,
    error: Option<String>,
    form: ArticleForm,
    kinds: Vec<(&'static str, &'static str)>,
    states: Vec<(&'static str, &'static str, bool)>,
    state: String,
    entries: Vec<(Entry, bool)>,
    page: usize,
    pages: usize,
}

impl ConsoleList {
    fn link(&self, page: usize) -> String {
        format!("/console/articles?{}", query_string(&[("state", &self.state), ("page", &page.to_string())]))
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    /// Cited record numbers, separated by commas, spaces or lines.
    #[serde(default)]
    records: String,
}

impl ArticleForm {
    fn of(a: &Article) -> ArticleForm {
        ArticleForm {
            kind: a.kind.as_str().into(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            body: a.body.clone(),
            records: a.records.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        }
    }

    fn draft(&self) -> Result<Draft, String> {
        let mut records = Vec::new();
        for part in self.records.split([',', ',', '、', ' ', '\n', '\r']).map(str::trim).filter(|s| !s.is_empty()) {
            records.push(
                part.parse::<i64>()
                    .map_err(|_| format!("记录编号“{}”应为数字", part.chars().take(20).collect::<String>()))?,
            );
        }
        Ok(Draft {
            kind: Some(self.kind.clone()),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            records,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ConsoleQuery {
    #[serde(default)]
    state: String,
    page: Option<usize>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    ArticleKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

fn writes(p: &Principal) -> bool {
    matches!(p, Principal::Account { role: Role::Sysadmin, .. })
}

async fn console_list(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    q: ConsoleQuery,
    error: Option<String>,
    form: ArticleForm,
) -> Result<ConsoleList, ApiError> {
    let state = ArticleState::parse(q.state.trim());
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let (list, total) = articles::staff_list(app, p, state, page as i64).await?;
    let mut entries = Vec::new();
    for a in &list {
        // A published case citing a record no longer public: for a reviewer to look at again.
        let stale = a.state == ArticleState::Published
            && !a.records.is_empty()
            && articles::public_records(app, &a.records).await?.len() < a.records.len();
        entries.push((entry(a), stale));
    }
    let mut states = vec![("", "全部", state.is_none())];
    states.extend(ArticleState::ALL.iter().map(|s| (s.as_str(), s.label(), Some(*s) == state)));
    Ok(ConsoleList {
        chrome: Chrome::of(p, headers),
        writes: writes(p),
        error,
        form,
        kinds: kinds(),
        states,
        state: state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        entries,
        page,
        pages: (total as usize).div_ceil(articles::PAGE as usize).max(1),
    })
}

pub async fn console(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<ConsoleQuery>,
) -> Result<Response, ApiError> {
    let form = ArticleForm { kind: "news".into(), ..ArticleForm::default() };
    render(&console_list(&app, &p, &headers, q, None, form).await?)
}

pub async fn create(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<ArticleForm>,
) -> Result<Response, ApiError> {
    let result = match f.draft() {
        Ok(d) => articles::draft(&app, &p, &d).await,
        Err(e) => Err(credo_app::error::Error::new(credo_app::error::Code::InvalidArticle, e)),
    };
    match result {
        Ok(a) => Ok(see_other(&format!("/console/articles/{}", a.id), None)),
        Err(e) if e.is_client_error() => {
            refused(&console_list(&app, &p, &headers, ConsoleQuery::default(), Some(e.detail), f).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "article_edit.html")]
struct EditPage {
    chrome: Chrome,
    a: Entry,
    /// The text's revision the steps' forms name (a reviewer publishes what it read).
    revision: i64,
    author: String,
    reviewer: Option<String>,
    note: Option<String>,
    editable: bool,
    error: Option<String>,
    form: ArticleForm,
    kinds: Vec<(&'static str, &'static str)>,
    paragraphs: Vec<String>,
    /// The steps the viewer may take: (code, label, needs a note).
    steps: Vec<(&'static str, &'static str, bool)>,
}

async fn edit_page(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    id: i64,
    error: Option<String>,
    form: Option<ArticleForm>,
) -> Result<EditPage, ApiError> {
    let a = articles::staff_view(app, p, id).await?;
    let me = match p {
        Principal::Account { account, .. } => account.username.clone(),
        _ => String::new(),
    };
    let reviewer = matches!(p, Principal::Account { role: Role::Reviewer, .. }) && a.author != me;
    let steps = Step::ALL
        .into_iter()
        .filter(|s| s.from(a.state).is_ok() && if s.is_review() { reviewer } else { a.author == me })
        .map(|s| (s.as_str(), s.label(), s.needs_note()))
        .collect();
    Ok(EditPage {
        chrome: Chrome::of(p, headers),
        editable: a.state == ArticleState::Draft && a.author == me,
        author: a.author.clone(),
        reviewer: a.reviewer.clone(),
        note: a.note.clone(),
        error,
        form: form.unwrap_or_else(|| ArticleForm::of(&a)),
        kinds: kinds(),
        paragraphs: paragraphs(&a.body),
        steps,
        revision: a.revision,
        a: entry(&a),
    })
}

pub async fn view(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    render(&edit_page(&app, &p, &headers, id, None, None).await?)
}

pub async fn edit(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ArticleForm>,
) -> Result<Response, ApiError> {
    let result = match f.draft() {
        Ok(d) => articles::edit(&app, &p, id, &d).await,
        Err(e) => Err(credo_app::error::Error::new(credo_app::error::Code::InvalidArticle, e)),
    };
    match result {
        Ok(a) => Ok(see_other(&format!("/console/articles/{}", a.id), None)),
        Err(e) if e.is_client_error() && e.code != credo_app::error::Code::NotFound => {
            refused(&edit_page(&app, &p, &headers, id, Some(e.detail), Some(f)).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    note: String,
    /// The revision shown on the page the step was taken from.
    #[serde(default)]
    revision: Option<i64>,
}

pub async fn step(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, ApiError> {
    let req = StepRequest { step: f.step, note: Some(f.note), revision: f.revision };
    match articles::step(&app, &p, id, &req).await {
        Ok(a) => Ok(see_other(&format!("/console/articles/{}", a.id), None)),
        Err(e) if e.is_client_error() && e.code != credo_app::error::Code::NotFound => {
            refused(&edit_page(&app, &p, &headers, id, Some(e.detail), None).await?)
        }
        Err(e) => Err(e.into()),
    }
}
