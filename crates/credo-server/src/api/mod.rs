//! `/api/v1`: public reads (search, subject profiles, catalog) and department writes (batches) with API keys.

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_domain::catalog::{Item, SubjectKind};
use credo_domain::masking;
use credo_import::{Format, Table};
use credo_store::{BatchSummary, Department};
use serde::{Deserialize, Serialize};

use crate::Web;
use crate::error::ApiError;
use credo_app::Code;
use credo_app::ingest::{self, IngestError};
use credo_app::principal::Principal;
use credo_app::{App, public};

/// Largest accepted request body (files included).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

pub mod cases;
pub mod checks;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/subjects", get(search))
        .route("/api/v1/subjects/{key}", get(profile))
        .route("/api/v1/catalog", get(catalog))
        // Files are large; every other request body keeps axum's default limit (2 MiB).
        .route("/api/v1/batches", post(submit_batch).layer(DefaultBodyLimit::max(MAX_BODY)))
        .route("/api/v1/batches/{id}", get(batch))
        .route("/api/v1/unresolved", get(unresolved))
        .with_state(app.clone())
        .merge(checks::router(app.clone()))
        .merge(cases::router(app))
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct SearchHit {
    #[serde(skip)]
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub kind: credo_domain::catalog::SubjectKind,
    pub kind_label: &'static str,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub score: f32,
    pub href: String,
}

/// How many index hits a public search looks at to fill its page: hits the public may not know of are dropped
/// after the index answers (see [`public_subjects`]).
const PUBLIC_SCAN: usize = 500;

/// One-stop search (一站式查询) as the public may see it: subjects by code, name, short name or traditional
/// characters, best first, leaving out every subject the public may not know of ([`public_subjects`]: a person
/// known only from records kept to 政务共享 is not found, by name or by ID number).
pub async fn find(app: &App, q: &str, limit: usize) -> Result<Vec<SearchHit>, ApiError> {
    let limit = limit.clamp(1, 100);
    // The index is asked for the page only; only when hits were left out and the index had more does it look
    // further (most queries find no hidden person, and fetching 500 hits costs what 500 hits cost).
    let mut scan = limit;
    loop {
        let hits = find_all(app, q, scan).await?;
        let more = hits.len() == scan && scan < PUBLIC_SCAN;
        let known = public_subjects(app, &hits.iter().map(|h| (h.id, h.kind)).collect::<Vec<_>>()).await?;
        let kept: Vec<SearchHit> = hits.into_iter().filter(|h| known.contains(&h.id)).take(limit).collect();
        if kept.len() >= limit || !more {
            return Ok(kept);
        }
        scan = (scan * 4).min(PUBLIC_SCAN);
    }
}

/// Which of `subjects` the public may know of: those with at least one record of an item whose records the public
/// may see for their kind of subject ([`public::disclosed`]). Kinds for which every item is public need no query.
pub async fn public_subjects(
    app: &App,
    subjects: &[(i64, SubjectKind)],
) -> Result<std::collections::HashSet<i64>, ApiError> {
    let mut known = std::collections::HashSet::new();
    for kind in [SubjectKind::Organisation, SubjectKind::IndividualBusiness, SubjectKind::Person] {
        let rest: Vec<i64> = subjects.iter().filter(|(_, k)| *k == kind).map(|(id, _)| *id).collect();
        if rest.is_empty() {
            continue;
        }
        let (items, all) = public::disclosed_items(&app.catalog, kind);
        if all {
            known.extend(rest);
            continue;
        }
        let codes: Vec<&str> = items.iter().map(|i| i.code.as_str()).collect();
        known.extend(app.store.subjects_with_items(&rest, &codes).await?);
    }
    Ok(known)
}

/// Every subject matching `q`, also those the public may not know of (not for public surfaces: see [`find`]).
async fn find_all(app: &App, q: &str, limit: usize) -> Result<Vec<SearchHit>, ApiError> {
    let search = app.search.clone();
    // A person's ID number is indexed by its blind index only; so is any other code with an ID number written in
    // it (a 税务登记号 made of one, say). Names with one are indexed masked, and the index masks the query alike.
    let code = credo_domain::ids::prepare(q);
    let q2 = match credo_domain::ids::identify(q, app.clock.today()) {
        Ok(credo_domain::ids::AnyId::Ric(ric)) => app.vault.blind(ric.as_str()),
        Ok(id) => id.as_str().to_string(),
        Err(_) if code.bytes().all(|b| b.is_ascii_alphanumeric()) && masking::contains_id_number(&code) => {
            app.vault.blind(&code)
        }
        Err(_) => q.to_string(),
    };
    let hits = tokio::task::spawn_blocking(move || search.search(&q2, limit)).await.map_err(ApiError::internal)??;
    Ok(hits
        .into_iter()
        .map(|h| SearchHit {
            id: h.id,
            href: format!("/api/v1/subjects/id-{}", h.id),
            region_name: h.region.as_deref().and_then(|r| app.catalog.regions.get(r)).map(|r| r.name.clone()),
            kind_label: h.kind.label(),
            code: h.code,
            // Already masked in the index; masked again for an index built before names were.
            name: public::mask_ids(&h.name),
            kind: h.kind,
            region: h.region,
            score: h.score,
        })
        .collect())
}

async fn search(State(app): State<Web>, Query(p): Query<SearchParams>) -> Result<Json<serde_json::Value>, ApiError> {
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::new(Code::MissingQuery, "请提供查询词 q(主体名称、简称或代码)"));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::new(Code::QueryTooLong, "查询词不能超过100个字符"));
    }
    let hits = find(&app, &q, p.limit.unwrap_or(20)).await?;
    Ok(Json(
        // The query is echoed masked: an ID number typed in is not repeated in full.
        serde_json::json!({ "query": public::mask_ids(&q), "count": hits.len(), "hits": hits }),
    ))
}

/// The answer for a subject the public may not open: the same for one the platform does not know and for one it
/// knows only from records the public may not see, so that a public route cannot tell whether the platform holds
/// something on a person. The key is echoed masked (it may be an ID number).
fn no_public_subject(key: &str) -> ApiError {
    ApiError::not_found(format!("没有找到代码为“{}”的信用主体", public::mask_ids(key)))
}

/// A subject as the public may open it, with its records (latest versions): `404` for an unknown subject and, alike,
/// for one that has no record the public may see for its kind of subject ([`public::publicly_known`]). Which
/// records are shown today is still each record's publicity.
pub async fn public_subject(
    app: &App,
    key: &str,
) -> Result<(credo_store::Subject, Vec<credo_store::RecordView>), ApiError> {
    let subject = subject_by_key(app, key).await?;
    let records = app.store.subject_records(subject.id).await?;
    if !public::publicly_known(&app.catalog, subject.kind, records.iter().map(|r| r.item.as_str())) {
        return Err(no_public_subject(key));
    }
    Ok((subject, records))
}

/// A subject by `id-N` or by any of its codes, whatever the public may see of it (public routes use
/// [`public_subject`]).
pub async fn subject_by_key(app: &App, key: &str) -> Result<credo_store::Subject, ApiError> {
    let subject = match key.strip_prefix("id-").and_then(|i| i.parse::<i64>().ok()) {
        Some(id) => app.store.subject(id).await?,
        None => app.store.subject_by_code(&credo_domain::ids::typed_code(key, app.clock.today())).await?,
    };
    subject.ok_or_else(|| no_public_subject(key))
}

async fn profile(State(app): State<Web>, Path(key): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let (subject, records) = public_subject(&app, &key).await?;
    let today = app.clock.today();
    let mut groups: BTreeMap<String, (String, Vec<public::PublicRecord>)> = BTreeMap::new();
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    for r in &records {
        let shown = public::record(&app.catalog, r, disputed.contains(&r.id), today);
        if let Some(p) = shown.filter(|p| p.publicity.state.public()) {
            groups.entry(p.item.clone()).or_insert_with(|| (p.item_name.clone(), Vec::new())).1.push(p);
        }
    }
    let groups: Vec<serde_json::Value> = groups
        .into_iter()
        .map(|(item, (name, records))| serde_json::json!({ "item": item, "item_name": name, "count": records.len(), "records": records }))
        .collect();
    Ok(Json(serde_json::json!({ "subject": public::subject(&app.catalog, &subject), "items": groups })))
}

async fn catalog(State(app): State<Web>) -> Json<serde_json::Value> {
    let items: Vec<serde_json::Value> = app
        .catalog
        .items
        .values()
        .map(|i| {
            serde_json::json!({
                "code": i.code, "name": i.name, "version": i.version, "effective_from": i.effective_from.to_string(),
                "category": i.category, "nature": i.nature, "disclosure": i.disclosure, "natural_key": i.natural_key,
                "fields": i.fields.iter().map(|f| serde_json::json!({
                    "code": f.code, "name": f.name, "type": f.kind, "required": f.required, "public": f.public,
                    "values": f.values, "multi": f.multi,
                })).collect::<Vec<_>>(),
                "rules": i.rules.iter().map(|r| serde_json::json!({"code": r.code, "message": r.message})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(serde_json::json!({ "items": items }))
}

/// The department a caller acts for (a department key, or a department user's account).
fn acting_department(p: &Principal) -> Result<&Department, ApiError> {
    p.department().ok_or_else(|| ApiError::forbidden("此操作须以部门身份进行"))
}

#[derive(Deserialize)]
struct JsonBatch {
    item: String,
    records: Vec<serde_json::Map<String, serde_json::Value>>,
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

#[derive(Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

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
