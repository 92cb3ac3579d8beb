//! The publicity lists (双公示, 严重失信主体名单 …): every record shown today, newest decision first, with filters,
//! pages through all of them and the whole filtered list as CSV or XLSX.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use credo_app::listing::{Cursor, Filter, Key, LISTS, List};
use credo_domain::catalog::SubjectKind;
use futures_util::StreamExt;
use serde::Deserialize;

use super::chrome::{Chrome, PER_PAGE, query_string, render};
use super::rows::{Row, row};
use crate::Web;
use crate::error::ApiError;
use credo_app::principal::Principal;
use credo_app::public as publish;

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    chrome: Chrome,
    list: &'static List,
    lists: Vec<(&'static str, &'static str, bool)>,
    q: ListQuery,
    departments: Vec<String>,
    districts: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    total: usize,
    first: usize,
    last: usize,
    next: Option<String>,
    prev: Option<String>,
}

impl ListPage {
    /// This list with the same filters, at another place (`after` or `before` a key, or the first page).
    fn link(&self, at: &[(&str, &str)]) -> String {
        let mut pairs = self.q.filters();
        pairs.extend_from_slice(at);
        format!("/lists/{}?{}", self.list.code, query_string(&pairs))
    }

    fn download(&self, format: &str) -> String {
        self.link(&[("format", format)])
    }

    fn first_link(&self) -> String {
        self.link(&[])
    }

    fn prev_link(&self, key: &str) -> String {
        self.link(&[("before", key)])
    }

    fn next_link(&self, key: &str) -> String {
        self.link(&[("after", key)])
    }
}

/// A list's filters, page and format, as the query string carries them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    format: String,
}

impl ListQuery {
    fn filters(&self) -> Vec<(&str, &str)> {
        vec![
            ("q", &self.q),
            ("department", &self.department),
            ("district", &self.district),
            ("kind", &self.kind),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }

    /// The filter, or a message saying which value is wrong.
    fn filter(&self) -> Result<Filter, ApiError> {
        let day = |name: &str, v: &str| -> Result<Option<time::Date>, ApiError> {
            if v.is_empty() {
                return Ok(None);
            }
            credo_domain::value::parse_date(v).map(Some).ok_or_else(|| {
                ApiError::new(
                    credo_app::Code::InvalidRequest,
                    format!("{name}“{}”不是有效日期(例如 2026-01-31)", v.chars().take(20).collect::<String>()),
                )
            })
        };
        let text = publish::mask_ids(self.q.trim()).chars().take(100).collect::<String>();
        Ok(Filter {
            from: day("起始日期", &self.from)?,
            to: day("截止日期", &self.to)?,
            district: Some(self.district.clone()).filter(|d| !d.is_empty()),
            department: Some(self.department.clone()).filter(|d| !d.is_empty()),
            kind: SubjectKind::parse(&self.kind),
            text: Some(text).filter(|t| !t.is_empty()),
        })
    }

    fn cursor(&self) -> Cursor {
        if let Some(k) = Key::parse(&self.after) {
            Cursor::After(k)
        } else if let Some(k) = Key::parse(&self.before) {
            Cursor::Before(k)
        } else {
            Cursor::First
        }
    }
}

/// The columns of a list's download.
const HEADER: [&str; 9] =
    ["信息类别", "主体名称", "统一社会信用代码", "文书号", "决定日期", "部门", "公示状态", "说明", "记录编号"];

fn cells(r: &Row) -> [&str; 9] {
    [&r.item_name, &r.subject, &r.code, &r.title, &r.decided, &r.department, &r.state, &r.explanation, &r.number]
}

/// The most rows an Excel download holds.
const XLSX_ROWS: usize = 100_000;

/// Records read from the store per part of a download.
const CHUNK: usize = 500;

pub async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let list = credo_app::listing::list(&code)
        .ok_or_else(|| ApiError::not_found(format!("没有名为“{}”的公示目录", publish::mask_ids(&code))))?;
    let filter = q.filter()?;
    match q.format.as_str() {
        "" => {}
        "csv" => return download_csv(app, list, &filter).await,
        "xlsx" => return download_xlsx(app, list, &filter).await,
        other => {
            return Err(ApiError::new(
                credo_app::Code::InvalidRequest,
                format!("不支持的下载格式“{}”,可选 csv 或 xlsx", other.chars().take(10).collect::<String>()),
            ));
        }
    }
    let today = app.clock.today();
    let page = app.listing.page(&app, list, &filter, q.cursor(), PER_PAGE).await?;
    let rows = rows_of(&app, &page.ids).await?;
    let districts =
        app.catalog.regions.xining_districts(today).into_iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    render(&ListPage {
        chrome: Chrome::of(&p, &headers),
        list,
        lists: LISTS.iter().map(|l| (l.code, l.title, l.code == list.code)).collect(),
        departments: app.listing.departments(&app, list).await?,
        districts,
        kinds: SubjectKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        total: page.total,
        first: page.offset + usize::from(!rows.is_empty()),
        last: page.offset + rows.len(),
        rows,
        next: page.next.map(|k| k.token()),
        prev: page.prev.map(|k| k.token()),
        q: ListQuery { q: filter.text.clone().unwrap_or_default(), after: String::new(), before: String::new(), ..q },
    })
}

/// The rows of records `ids`, in that order (each as shown today).
pub(super) async fn rows_of(app: &Web, ids: &[i64]) -> Result<Vec<Row>, ApiError> {
    let today = app.clock.today();
    let mut records = app.store.records_by_ids(ids).await?;
    records.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    let disputed = app.store.disputed(ids).await?;
    Ok(records.iter().filter_map(|r| row(app, r, disputed.contains(&r.id), today)).map(|(r, _)| r).collect())
}

fn attachment(list: &List, today: time::Date, ext: &str, content_type: &str) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}-{today}.{ext}", list.code)),
    ]
}

/// The whole filtered list as CSV, written as it is read (a part per [`CHUNK`] records).
async fn download_csv(app: Web, list: &'static List, filter: &Filter) -> Result<Response, ApiError> {
    let today = app.clock.today();
    let ids = app.listing.all(&app, list, filter).await?;
    let head = credo_app::spreadsheet::csv_header(&HEADER).map_err(ApiError::internal)?;
    let parts = futures_util::stream::unfold((app, ids, 0usize), |(app, ids, at)| async move {
        let chunk = ids.get(at..(at + CHUNK).min(ids.len())).filter(|c| !c.is_empty())?.to_vec();
        let part = match rows_of(&app, &chunk).await {
            Ok(rows) => credo_app::spreadsheet::csv_rows(rows.iter().map(cells)).map_err(std::io::Error::other),
            Err(e) => Err(std::io::Error::other(e.0.detail)),
        };
        Some((part, (app, ids, at + CHUNK)))
    });
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(head)]).chain(parts);
    Ok((attachment(list, today, "csv", "text/csv; charset=utf-8"), Body::from_stream(body)).into_response())
}

/// The whole filtered list as an XLSX workbook (written in constant memory off the async runtime).
async fn download_xlsx(app: Web, list: &'static List, filter: &Filter) -> Result<Response, ApiError> {
    let today = app.clock.today();
    let ids = app.listing.all(&app, list, filter).await?;
    // The workbook is built in memory (rows, then the file): bounded well below a sheet's capacity; the CSV streams.
    if ids.len() > XLSX_ROWS {
        return Err(ApiError::new(
            credo_app::Code::InvalidRequest,
            format!("该名单筛选后共 {} 条,Excel 下载至多 {XLSX_ROWS} 条,请缩小日期范围或下载 CSV", ids.len()),
        ));
    }
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(rows_of(&app, chunk).await?);
    }
    let title = list.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect::<String>();
    let bytes = credo_app::offload::run(&app, move || {
        credo_app::spreadsheet::xlsx(&title, &HEADER, rows.iter().map(cells)).map_err(|e| e.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    Ok((attachment(list, today, "xlsx", xlsx), bytes).into_response())
}
