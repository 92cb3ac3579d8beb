//! `/api/v1/subjects` and `/api/v1/catalog`: public reads — one-stop search, a subject's public profile, the
//! information catalog.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::schemas;
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use axum::Extension;
use credo_app::Code;
use credo_app::principal::Principal;
use credo_app::public;
use credo_app::search::public_subject;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/subjects", get(search))
        .route("/api/v1/subjects/{key}", get(profile))
        .route("/api/v1/subjects/{key}/report", get(report))
        .route("/api/v1/subjects/{key}/grades", get(grades))
        .route("/api/v1/keys/platform.pem", get(platform_key))
        .route("/api/v1/catalog", get(catalog))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(search, profile, grades, report, platform_key, catalog))]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// 查询词:主体名称、简称、统一社会信用代码或证件号码,至多 100 字(必填)
    #[param(required = true)]
    q: Option<String>,
    /// 至多返回的条数(1–100,默认 20)
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/subjects",
    tag = "subjects",
    operation_id = "search_subjects",
    summary = "一站式查询",
    description = "按名称、简称(含繁体)、统一社会信用代码或证件号码查找公众可知的信用主体,最相关者在前。",
    params(SearchParams),
    responses(
        (status = 200, description = "查询结果", body = schemas::SearchResult),
        (status = 400, description = "missing_query, query_too_long"),
    )
)]
async fn search(State(app): State<Web>, Query(p): Query<SearchParams>) -> Result<Json<serde_json::Value>, ApiError> {
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::new(Code::MissingQuery, "请提供查询词 q(主体名称、简称或代码)"));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::new(Code::QueryTooLong, "查询词不能超过100个字符"));
    }
    let query = credo_app::search::Query { text: &q, ..Default::default() };
    let found = credo_app::search::find_page(&app, &query, 0, p.limit.unwrap_or(20).clamp(1, 100)).await?;
    Ok(Json(
        // The query is echoed masked: an ID number typed in is not repeated in full.
        serde_json::json!({
            "query": public::mask_ids(&q), "count": found.hits.len(), "total": found.total,
            "total_exact": found.total_exact, "hits": found.hits
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/subjects/{key}",
    tag = "subjects",
    operation_id = "subject_profile",
    summary = "信用主体公示信息",
    description = "信用主体及其正在公示的信用记录,按目录项分组。",
    params(("key" = String, Path, description = "统一社会信用代码(或其他登记代码),或主体名称")),
    responses(
        (status = 200, description = "主体与其公示记录", body = schemas::SubjectProfile),
        (status = 404, description = "not_found"),
    )
)]
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
    let relatives = credo_app::search::relatives(&app, &subject).await?;
    Ok(Json(serde_json::json!({
        "subject": public::subject(&app.catalog, &subject),
        "items": groups,
        "head_office": relatives.head_office,
        "branches": relatives.branches,
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/subjects/{key}/grades",
    tag = "subjects",
    operation_id = "subject_grades",
    summary = "信用评价",
    description = "信用主体在各评价方案下的当前等级(公共信用综合评价 A/B/C/D 等):分数、影响最大的理由(哪些公示记录使等级升降、各多少分)、计算日期、方案版本与此前的等级;以及各行业主管部门报送的行业信用评价(纳税信用等级、环境信用评价、交通运输信用评价……)。评价只依据公示中的记录;对等级有异议的,可对所依据的记录提出异议。",
    params(("key" = String, Path, description = "统一社会信用代码(或其他登记代码),或主体名称")),
    responses(
        (status = 200, description = "主体的信用评价", body = schemas::SubjectGrades),
        (status = 404, description = "not_found"),
    )
)]
async fn grades(State(app): State<Web>, Path(key): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let (subject, records) = public_subject(&app, &key).await?;
    let today = app.clock.today();
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let mut sector: BTreeMap<String, (String, Vec<public::PublicRecord>)> = BTreeMap::new();
    for r in records.iter().filter(|r| app.catalog.item(&r.item).is_some_and(|i| i.category == "信用评价信息")) {
        let shown = public::record(&app.catalog, r, disputed.contains(&r.id), today);
        if let Some(p) = shown.filter(|p| p.publicity.state.public()) {
            sector.entry(p.item.clone()).or_insert_with(|| (p.item_name.clone(), Vec::new())).1.push(p);
        }
    }
    let sector: Vec<serde_json::Value> = sector
        .into_iter()
        .map(|(item, (name, records))| serde_json::json!({ "item": item, "item_name": name, "count": records.len(), "records": records }))
        .collect();
    Ok(Json(serde_json::json!({
        "subject": public::subject(&app.catalog, &subject),
        "grades": credo_app::grades::public_of_subject(&app, &subject).await?,
        "sector": sector,
    })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportParams {
    /// 报告种类:public(公共信用信息报告,默认)、special(专项信用报告)、occupational(职业信用报告)
    kind: Option<String>,
    /// 查询类型:public(社会公众查询,默认,只出具法人和非法人组织的公开信息)、own(本人查询,须以该主体的信用主体账号登录)、authorised(授权查询,部门凭该主体在平台登记的有效授权)
    #[serde(rename = "for")]
    #[param(rename = "for")]
    audience: Option<String>,
    /// 信息截止日期(YYYY-MM-DD,不晚于今天):重放平台当日所知的信息;默认今天
    as_of: Option<String>,
    /// 专项信用报告的领域代码(见 catalog/reports.toml 的 field,如 scjg 市场监管);默认覆盖全部领域
    field: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/subjects/{key}/report",
    tag = "subjects",
    operation_id = "subject_report",
    summary = "信用报告",
    description = "公共信用信息报告或专项信用报告:PDF,内附签署的 report.json、SM2 签名 report.sig 与密钥编号 report.key(用 /api/v1/keys/platform.pem 或 `credo verify` 核验);`Accept: application/json` 时返回签署的报告内容、签名(base64)与密钥编号。每份报告可凭报告编号与核验码在 /verify 核验。社会公众只能取得法人和非法人组织的公开信息报告(每个网络地址每小时有份数限制);本人查询与授权查询含全部字段。每个主体每年按查询类型有免费份数上限,达到时返回 429 quota_reached。",
    params(("key" = String, Path, description = "统一社会信用代码(或其他登记代码)"), ReportParams),
    responses(
        (status = 200, description = "报告 PDF(`Content-Disposition: attachment`)", body = Vec<u8>, content_type = "application/pdf"),
        (status = 400, description = "invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 422, description = "bad_date"),
        (status = 429, description = "rate_limited, quota_reached"),
        (status = 503, description = "unavailable"),
    )
)]
async fn report(
    State(app): State<Web>,
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Path(key): Path<String>,
    Query(p): Query<ReportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use credo_app::reports::{self, Channel};
    let asked = p.audience.as_deref().unwrap_or("public");
    let channel = Channel::parse(asked).ok_or_else(|| {
        ApiError::new(
            Code::InvalidRequest,
            format!("查询类型“{}”无效:可选 public、own、authorised", public::mask_ids(asked)),
        )
    })?;
    if channel == Channel::Public {
        app.limits.report_allowed(client)?;
    }
    let from = client.map(|c| c.to_string()).unwrap_or_else(|| "unknown".into());
    let (audience, key) = reports::audience(&app, &principal, channel, &key, &from).await?;
    let asked = reports::Asked {
        key: &key,
        kind: p.kind.as_deref().unwrap_or("public"),
        as_of: p.as_of.as_deref(),
        field: p.field.as_deref(),
    };
    let built = reports::build(&app, asked, audience, reports::font()?).await?;
    let (report, pdf) = reports::issue(&app, &principal, built).await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("application/pdf"));
    if wants_json {
        let signed = credo_report::extract(&pdf).map_err(credo_app::Error::internal)?;
        use base64::Engine as _;
        return Ok(Json(serde_json::json!({
            "report": report,
            "signature": base64::engine::general_purpose::STANDARD.encode(&signed.signature),
            "key_id": signed.key_id,
            "pdf_sm3": credo_report::digest(&pdf),
        }))
        .into_response());
    }
    Ok(pdf_response(&report, pdf))
}

/// A report's PDF as a download named by its number.
pub fn pdf_response(report: &credo_report::Report, pdf: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"credit-report-{}.pdf\"", report.number);
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], pdf)
        .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/keys/platform.pem",
    tag = "subjects",
    operation_id = "platform_key",
    summary = "平台签名公钥",
    description = "平台的 SM2 公钥(PEM):核验信用报告(report.sig)与核查回执。响应头 `X-Key-Id` 为密钥编号(PEM 文本的 SM3 前 16 位十六进制),与报告中的 report.key 对应。",
    responses((status = 200, description = "公钥 PEM", body = String, content_type = "application/x-pem-file"))
)]
async fn platform_key(State(app): State<Web>) -> Result<Response, ApiError> {
    let pem = credo_app::reports::platform_key(&app)?;
    let id = credo_report::key_id(&pem);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_string()),
            (header::HeaderName::from_static("x-key-id"), id),
        ],
        pem,
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/catalog",
    tag = "subjects",
    operation_id = "catalog",
    summary = "信用信息目录",
    description = "平台采集的目录项:字段、类型、是否公开、校验规则。",
    responses((status = 200, description = "目录", body = schemas::Catalog))
)]
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
