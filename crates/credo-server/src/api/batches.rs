//! `/api/v1/batches` and `/api/v1/unresolved`: a department's submissions (JSON, CSV, XLSX) with their reports,
//! and its records that name no known subject.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_domain::catalog::Item;
use credo_import::{Format, Table};
use credo_store::{BatchSummary, Department};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{MAX_BODY, schemas};
use crate::Web;
use crate::error::ApiError;
use credo_app::Code;
use credo_app::ingest::{self, IngestError};
use credo_app::principal::Principal;
use credo_app::{App, public};

pub fn router(app: Web) -> Router {
    Router::new()
        // Files are large; every other request body keeps axum's default limit (2 MiB).
        .route("/api/v1/batches", post(submit_batch).layer(DefaultBodyLimit::max(MAX_BODY)))
        .route("/api/v1/batches/{id}", get(batch))
        .route("/api/v1/unresolved", get(unresolved))
        .with_state(app)
}

/// The department a caller acts for (a department key, or a department user's account).
fn acting_department(p: &Principal) -> Result<&Department, ApiError> {
    p.department().ok_or_else(|| ApiError::forbidden("此操作须以部门身份进行"))
}

#[derive(OpenApi)]
#[openapi(paths(submit_batch, batch, unresolved))]
pub struct Doc;

/// JSON 批次:目录项及其记录,每条记录一个对象,键为目录项字段代码
#[derive(Deserialize, ToSchema)]
struct JsonBatch {
    /// 目录项代码(`xzcf`、`xzxk` …,见 `GET /api/v1/catalog`)
    item: String,
    /// 记录:每条一个对象,键为目录项字段代码,值为字段内容
    records: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// 以文件报送的批次(`multipart/form-data`)
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the form for OpenAPI; the handler reads the fields one by one")]
struct BatchUpload {
    /// 目录项代码
    item: String,
    /// CSV(UTF-8 或 GB18030)、XLSX 或 JSON 文件
    #[schema(value_type = String, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// XLSX 的工作表名称(默认第一张)
    sheet: Option<String>,
}

/// The catalog item, if it exists and the department may submit it.
fn item_of<'a>(app: &'a App, dept: &Department, code: &str) -> Result<&'a Item, ApiError> {
    let item = app.catalog.item(code).ok_or_else(|| {
        let known: Vec<&str> = app.catalog.items.keys().map(String::as_str).collect();
        ApiError::new(Code::UnknownItem, format!("未知的目录项“{code}”,可用:{}", known.join("、")))
    })?;
    if !credo_app::principal::may_submit(dept, code) {
        return Err(ApiError::forbidden(format!("{}未获准报送目录项“{}”({code})", dept.name, item.name)));
    }
    Ok(item)
}

fn unusable(e: credo_import::ImportError) -> ApiError {
    ApiError(e.into())
}

async fn run_batch(
    app: &App,
    item: &Item,
    dept: &Department,
    table: &Table<'_>,
    file: Option<&str>,
) -> Result<BatchSummary, ApiError> {
    ingest::run(app, item, dept, table, "api", file, &|_| {}).await.map_err(|e| match e {
        IngestError::Unusable(e) => unusable(e),
        other => ApiError::internal(other),
    })
}

/// A batch uploaded as a multipart form (`item`, `file`, optional `sheet`): the API's and the department console's.
pub async fn batch_from_multipart(
    app: &App,
    dept: &Department,
    request: axum::extract::Request,
) -> Result<BatchSummary, ApiError> {
    let mut mp = Multipart::from_request(request, app).await?;
    let (mut item, mut file, mut sheet) = (None, None, None);
    while let Some(field) = mp.next_field().await? {
        match field.name() {
            Some("item") => item = Some(field.text().await?),
            Some("sheet") => sheet = Some(field.text().await?).filter(|s| !s.trim().is_empty()),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await?;
                file = Some((name, bytes)).filter(|(_, b)| !b.is_empty());
            }
            _ => {}
        }
    }
    let item = item_of(
        app,
        dept,
        item.as_deref().ok_or_else(|| ApiError::new(Code::MissingItem, "缺少表单字段 item(目录项代码)"))?,
    )?;
    let (name, bytes) =
        file.ok_or_else(|| ApiError::new(Code::MissingFile, "缺少表单字段 file(CSV、XLSX 或 JSON 文件)"))?;
    let table = {
        let _slot = credo_app::offload::slot(app).await;
        credo_app::offload::blocking(|| {
            credo_import::read_table(Format::detect(&name, &bytes), &bytes, sheet.as_deref())
        })
        .map_err(unusable)?
    };
    run_batch(app, item, dept, &table, Some(&name)).await
}

#[utoipa::path(
    post,
    path = "/api/v1/batches",
    tag = "batches",
    operation_id = "submit_batch",
    summary = "报送一批数据",
    description = "以 JSON,或以文件(CSV、XLSX、JSON;`multipart/form-data`)报送一个目录项的记录。逐行校验:\
                   合格行入库,不合格行在报告中列出行号、列与原因;与已有版本相同的行记为重复。",
    request_body(content(
        (JsonBatch = "application/json"),
        (BatchUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "批次报告", body = credo_store::BatchSummary),
        (status = 400, description = "invalid_json, bad_multipart, missing_item, missing_file"),
        (status = 403, description = "forbidden"),
        (status = 413, description = "body_too_large"),
        (status = 422, description = "unknown_item, empty_batch, unknown_format, unreadable_csv, unreadable_xlsx, \
                                      no_such_sheet, unreadable_json, empty_file, unknown_encoding, no_matching_header, \
                                      too_many_columns, too_many_rows, cell_too_long, row_too_long, unpacked_too_large"),
    )
)]
async fn submit_batch(
    State(app): State<Web>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let dept = acting_department(&principal)?.clone();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let summary = if content_type.starts_with("multipart/form-data") {
        batch_from_multipart(&app, &dept, request).await?
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::new(Code::BodyTooLarge, "请求体超过上限"))?;
        let body: JsonBatch =
            credo_app::offload::run(&app, move || serde_json::from_slice(&bytes)).await?.map_err(|e| {
                ApiError::new(
                    Code::InvalidJson, // serde may quote a value it could not read (an ID number where an object belongs).
                    format!(
                        "请求体不是有效的 JSON 批次({{\"item\": …, \"records\": [...]}}):{}",
                        public::mask_ids(&e.to_string())
                    ),
                )
            })?;
        let item = item_of(&app, &dept, &body.item)?;
        if body.records.is_empty() {
            return Err(ApiError::new(Code::EmptyBatch, "records 为空"));
        }
        let objects = body.records.into_iter().enumerate().map(|(i, o)| (i + 2, o)).collect();
        let table = credo_app::offload::run(&app, move || credo_import::table_from_objects(objects))
            .await?
            .map_err(unusable)?;
        run_batch(&app, item, &dept, &table, None).await?
    };
    Ok((StatusCode::OK, Json(summary)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}",
    tag = "batches",
    operation_id = "batch",
    summary = "批次报告",
    description = "本部门提交的一个批次的报告。",
    params(("id" = i64, Path, description = "批次编号")),
    responses(
        (status = 200, description = "批次报告", body = credo_store::BatchSummary),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn batch(
    State(app): State<Web>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<BatchSummary>, ApiError> {
    let dept = acting_department(&principal)?;
    let b = app.store.batch(id).await?.ok_or_else(|| ApiError::not_found(format!("没有批次 {id}")))?;
    if b.department != dept.uscc {
        return Err(ApiError::forbidden("只能查看本部门提交的批次"));
    }
    Ok(Json(b))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// 每页条数(1–1000,默认 100)
    limit: Option<i64>,
    /// 跳过的条数(默认 0)
    offset: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/unresolved",
    tag = "batches",
    operation_id = "unresolved",
    summary = "待匹配记录",
    description = "本部门报送的、尚未匹配到已知信用主体的记录。",
    params(Page),
    responses(
        (status = 200, description = "待匹配记录", body = schemas::UnresolvedList),
        (status = 403, description = "forbidden"),
    )
)]
async fn unresolved(
    State(app): State<Web>,
    Extension(principal): Extension<Principal>,
    Query(p): Query<Page>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let dept = acting_department(&principal)?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let rows = app.store.unresolved(Some(dept.id), limit, p.offset.unwrap_or(0).max(0)).await?;
    let today = app.clock.today();
    let list: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|r| {
            let p = public::record(&app.catalog, r, false, today)?;
            let subject = app.catalog.item(&r.item)?.subject_ref(&r.fields);
            let name = public::mask_ids(&subject.name);
            Some(serde_json::json!({ "record": p, "subject_name": name, "subject_kind": subject.kind }))
        })
        .collect();
    Ok(Json(serde_json::json!({ "count": list.len(), "records": list })))
}
