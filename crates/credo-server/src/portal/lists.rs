//! The publicity lists (双公示, 严重失信主体名单 …), with their CSV.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::chrome::{Chrome, PER_PAGE, query_string, render};
use super::rows::{Row, row};
use crate::Web;
use crate::error::ApiError;
use credo_app::principal::Principal;
use credo_app::public as publish;

/// The publicity lists: code, title, items. Each shows only records in publicity today (a person's records kept to
/// 政务共享 never are).
pub const LISTS: [(&str, &str, &[&str]); 9] = [
    ("sgs", "双公示(行政许可、行政处罚)", &["xzxk", "xzcf"]),
    ("yzsx", "严重失信主体名单", &["yzsx"]),
    ("jyyc", "经营异常名录", &["jyyc"]),
    ("sxbzxr", "失信被执行人", &["sxbzxr"]),
    ("xzxf", "限制消费令", &["xzxf"]),
    ("zdss", "重大税收违法失信主体", &["zdss"]),
    ("zfcgsx", "政府采购严重违法失信行为记录名单", &["zfcgsx"]),
    ("qxgz", "拖欠农民工工资失信联合惩戒对象名单", &["qxgz"]),
    ("sxjl", "守信激励(红名单)", &["sxjl"]),
];

/// How many of the newest records a list looks at (and the CSV holds at most).
const LIST_WINDOW: i64 = 5_000;

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    chrome: Chrome,
    code: &'static str,
    title: &'static str,
    lists: Vec<(&'static str, &'static str, bool)>,
    q: String,
    department: String,
    departments: Vec<String>,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
}

impl ListPage {
    fn link(&self, page: usize) -> String {
        let page = page.to_string();
        format!(
            "/lists/{}?{}",
            self.code,
            query_string(&[("q", &self.q), ("department", &self.department), ("page", &page)])
        )
    }

    fn csv_link(&self) -> String {
        format!(
            "/lists/{}?{}",
            self.code,
            query_string(&[("q", &self.q), ("department", &self.department), ("format", "csv")])
        )
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: usize,
    #[serde(default)]
    format: String,
}

pub async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let (code, title, items) = LISTS
        .iter()
        .find(|l| l.0 == code)
        .copied()
        .ok_or_else(|| ApiError::not_found(format!("没有名为“{code}”的公示目录")))?;
    let today = app.clock.today();
    let records = app.store.latest_records(items, LIST_WINDOW).await?;
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let all: Vec<Row> = records
        .iter()
        .filter_map(|r| row(&app, r, disputed.contains(&r.id), today))
        .filter(|(_, shown)| *shown)
        .map(|(r, _)| r)
        .collect();
    let mut departments: Vec<String> = all.iter().map(|r| r.department.clone()).collect();
    departments.sort();
    departments.dedup();
    // Rows show names and titles masked: the query is masked alike, and echoed only so.
    let needle = publish::mask_ids(q.q.trim());
    let needle = needle.as_str();
    let rows: Vec<Row> = all
        .into_iter()
        .filter(|r| needle.is_empty() || r.subject.contains(needle) || r.title.contains(needle))
        .filter(|r| q.department.is_empty() || r.department == q.department)
        .collect();
    if q.format == "csv" {
        let header = ["信息类别", "主体名称", "文书号", "决定日期", "部门", "公示状态", "说明"];
        let bytes = credo_app::spreadsheet::csv(
            &header,
            rows.iter().map(|r| {
                [&r.item_name, &r.subject, &r.title, &r.decided, &r.department, &r.state, &r.explanation]
                    .map(String::as_str)
            }),
        )
        .map_err(ApiError::internal)?;
        let name = format!("attachment; filename*=UTF-8''{code}-{today}.csv");
        return Ok(axum::response::IntoResponse::into_response((
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (axum::http::header::CONTENT_DISPOSITION, name),
            ],
            bytes,
        )));
    }
    let total = rows.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.clamp(1, pages);
    render(&ListPage {
        chrome: Chrome::of(&p, &headers),
        code,
        title,
        lists: LISTS.iter().map(|l| (l.0, l.1, l.0 == code)).collect(),
        q: needle.to_string(),
        department: q.department.clone(),
        departments,
        rows: rows.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect(),
        total,
        page,
        pages,
    })
}
