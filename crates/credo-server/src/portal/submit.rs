//! The submitter's pages beside the upload (信息报送): the department's batches with their row-level reports (to
//! read and to download), the upload templates of each item, one record typed into a form, and a record of the
//! department with its 撤销. Everything goes through the same ingest and case services as the API's batches.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use credo_app::principal::Principal;
use credo_app::{App, ingest};
use credo_domain::catalog::Item;
use credo_store::{BatchSummary, Department};
use serde::Deserialize;

use super::chrome::{Chrome, form_value, percent, refused, render, see_other};
use super::console::item_name;
use crate::Web;
use crate::error::ApiError;

fn department(p: &Principal) -> Result<&Department, ApiError> {
    p.department().ok_or_else(|| ApiError::forbidden("请以部门报送员账号办理"))
}

/// A batch of the signed-in department (another department's is "not found").
async fn own_batch(app: &App, p: &Principal, id: i64) -> Result<BatchSummary, ApiError> {
    let d = department(p)?;
    app.store
        .batch(id)
        .await?
        .filter(|b| b.department == d.uscc)
        .ok_or_else(|| ApiError::not_found(format!("本部门没有批次 {id}")))
}

/// An item the department may submit.
fn granted_item<'a>(app: &'a App, p: &Principal, code: &str) -> Result<&'a Item, ApiError> {
    let d = department(p)?;
    app.catalog
        .item(code)
        .filter(|_| credo_app::principal::may_submit(d, code))
        .ok_or_else(|| ApiError::not_found(format!("本部门不能报送目录项“{code}”")))
}

#[derive(Template)]
#[template(path = "batches.html")]
struct BatchesPage {
    chrome: Chrome,
    batches: Vec<(BatchSummary, String)>,
    /// The items the department may submit: code and name (for the templates and the entry form).
    items: Vec<(String, String)>,
}

/// 报送记录: the department's batches, newest first, each linking to its report; the templates.
pub async fn batches(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let d = department(&p)?;
    let batches = app
        .store
        .recent_batches(Some(d.id), 200)
        .await?
        .into_iter()
        .map(|b| {
            let name = item_name(&app, &b.item);
            (b, name)
        })
        .collect();
    render(&BatchesPage { chrome: Chrome::of(&p, &headers), batches, items: super::console::upload_items(&app, &p) })
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    chrome: Chrome,
    item_name: String,
    summary: BatchSummary,
}

/// One batch's report.
pub async fn batch(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let summary = own_batch(&app, &p, id).await?;
    render(&BatchPage { chrome: Chrome::of(&p, &headers), item_name: item_name(&app, &summary.item), summary })
}

fn attachment(name: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{}", percent(name));
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

/// A batch's report as CSV (行号, 列, 错误代码, 说明, 级别).
pub async fn batch_report(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let summary = own_batch(&app, &p, id).await?;
    Ok(attachment(&format!("批次{id}处理报告.csv"), "text/csv; charset=utf-8", ingest::report_csv(&summary.report)))
}

/// An item's upload template, `{item}.csv` or `{item}.xlsx`: the national headers and an example row.
pub async fn template(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (code, ext) = file.rsplit_once('.').ok_or_else(|| ApiError::not_found("没有这个模板"))?;
    let item = granted_item(&app, &p, code)?;
    let d = department(&p)?;
    let headers = credo_domain::template::headers(item);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let example =
        credo_domain::template::example(item, &credo_domain::template::Department { name: &d.name, uscc: &d.uscc });
    let rows = [example.iter().map(String::as_str)];
    let name = format!("{}报送模板.{ext}", item.name);
    match ext {
        "csv" => Ok(attachment(
            &name,
            "text/csv; charset=utf-8",
            credo_app::spreadsheet::csv(&headers, rows).map_err(ApiError::internal)?,
        )),
        "xlsx" => Ok(attachment(
            &name,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            credo_app::spreadsheet::xlsx(&item.name, &headers, rows).map_err(ApiError::internal)?,
        )),
        _ => Err(ApiError::not_found("模板只有 CSV 和 XLSX 两种")),
    }
}

/// One field of the entry form.
pub struct EntryField {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub values: Vec<String>,
    pub max_len: Option<usize>,
    /// `date` for dates, else `text`.
    pub input: &'static str,
    /// What was typed, kept after a refusal.
    pub value: String,
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    chrome: Chrome,
    items: Vec<(String, String)>,
    item: String,
    item_name: String,
    fields: Vec<EntryField>,
    summary: Option<BatchSummary>,
}

fn entry_fields(item: &Item, typed: &[(String, String)]) -> Vec<EntryField> {
    item.fields
        .iter()
        .map(|f| EntryField {
            input: if f.kind == credo_domain::catalog::FieldType::Date { "date" } else { "text" },
            value: typed
                .iter()
                .find(|(k, _)| *k == format!("field.{}", f.code))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            code: f.code.clone(),
            name: f.name.clone(),
            required: f.required,
            values: f.values.clone(),
            max_len: f.max_len,
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct EntryQuery {
    #[serde(default)]
    item: String,
}

/// 单条录入: a form of the item's fields (the first item the department may submit unless one is chosen).
pub async fn entry_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<EntryQuery>,
) -> Result<Response, ApiError> {
    let items = super::console::upload_items(&app, &p);
    let code = if q.item.is_empty() { items.first().map(|(c, _)| c.clone()).unwrap_or_default() } else { q.item };
    if code.is_empty() {
        return Err(ApiError::forbidden("本部门尚未获准报送任何目录项"));
    }
    let item = granted_item(&app, &p, &code)?;
    render(&EntryPage {
        chrome: Chrome::of(&p, &headers),
        fields: entry_fields(item, &[]),
        item: item.code.clone(),
        item_name: item.name.clone(),
        items,
        summary: None,
    })
}

/// One record from the form, as a batch of one row: the same validation and row-level report as a file.
pub async fn entry(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let code = form_value(&pairs, "item");
    let item = granted_item(&app, &p, &code)?;
    let d = department(&p)?;
    let (headers_row, cells): (Vec<String>, Vec<String>) = item
        .fields
        .iter()
        .map(|f| (f.code.clone(), form_value(&pairs, &format!("field.{}", f.code)).trim().to_string()))
        .unzip();
    let table = credo_import::Table {
        headers: headers_row,
        rows: credo_import::Rows::Cells(vec![Ok((1, cells))]),
        encoding: None,
    };
    let summary =
        ingest::run(&app, item, d, &table, "web", Some("网页单条录入"), &|_| {}).await.map_err(ApiError::internal)?;
    // Accepted: the form starts empty again; refused: what was typed stays, with the report.
    let typed = if summary.rejected > 0 { pairs.as_slice() } else { &[] };
    render(&EntryPage {
        chrome: Chrome::of(&p, &headers),
        fields: entry_fields(item, typed),
        item: item.code.clone(),
        item_name: item.name.clone(),
        items: super::console::upload_items(&app, &p),
        summary: Some(summary),
    })
}

#[derive(Template)]
#[template(path = "department_record.html")]
struct RecordPage {
    chrome: Chrome,
    id: i64,
    item_name: String,
    version: i64,
    /// Field name and value (ID numbers masked).
    fields: Vec<(String, String)>,
    /// The record's state today and why.
    state: String,
    explanation: String,
    revoked: bool,
    /// Its public page, while it is shown.
    public_href: Option<String>,
    /// The signed-in staff may 撤销 it (the department's 案件办理员).
    withdraws: bool,
    /// The reason typed, kept after a refusal.
    reason: String,
    error: Option<String>,
}

async fn record_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    id: i64,
    error: Option<String>,
    reason: String,
) -> Result<Response, ApiError> {
    let r = credo_app::cases::own_record(app, p, id).await?;
    let item = app.catalog.item(&r.item);
    let fields = item
        .map(|i| {
            i.fields
                .iter()
                .filter_map(|f| Some((f.name.clone(), credo_app::public::mask_ids(r.fields.get(&f.code)?))))
                .collect()
        })
        .unwrap_or_default();
    let public = credo_app::public::record(&app.catalog, &r, false, app.clock.today());
    let (state, explanation, shown) = match &public {
        Some(x) => (x.publicity.state.label().to_string(), x.publicity.explanation.clone(), x.publicity.state.public()),
        None => ("不予公示".to_string(), String::new(), false),
    };
    let page = RecordPage {
        chrome: Chrome::of(p, headers),
        id,
        item_name: item.map(|i| i.name.clone()).unwrap_or_else(|| r.item.clone()),
        version: r.version,
        fields,
        state,
        explanation,
        revoked: credo_domain::publicity::Mark::of(&r.fields).is_some_and(|m| m.kind == "revoked"),
        public_href: shown.then(|| format!("/records/{id}")),
        withdraws: matches!(p, Principal::Account { role: credo_app::principal::Role::Handler, .. }),
        reason,
        error,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

/// A record of the department, with all its fields and the 撤销 form.
pub async fn record(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    record_page(&app, &p, &headers, id, None, String::new()).await
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// 撤销 with a reason.
pub async fn withdraw(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, ApiError> {
    match credo_app::cases::withdraw(&app, &p, id, &f.reason).await {
        Ok(_) => Ok(see_other(&format!("/console/records/{id}"), None)),
        Err(e) if e.is_client_error() && e.status() != 404 => {
            record_page(&app, &p, &headers, id, Some(e.detail), f.reason).await
        }
        Err(e) => Err(e.into()),
    }
}
