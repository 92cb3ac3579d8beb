//! `/api/v1/feed`: the delta feed (增量数据) of what the caller may see (`credo_app::exchange`): the public's, or a
//! department's granted 政务共享 (each such page read is audited).

use axum::extract::{Form, Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use credo_app::exchange::{self, Audience, FeedPage};
use credo_app::principal::Principal;
use credo_store::AuditEvent;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/feed", get(feed))
        // A form carries the queries URL-encoded (up to three bytes for one): refused above that before it is read.
        .route(
            "/api/v1/reconcile",
            get(reconcile_get)
                .post(reconcile_post)
                .layer(axum::extract::DefaultBodyLimit::max(3 * MAX_QUERIES_TEXT + 64)),
        )
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(feed, reconcile_get, reconcile_post))]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    /// 从此变更序号之后读起(默认 0:从头读起;续读时用上一页的 next)
    after: Option<i64>,
    /// 只读这些目录项,逗号分隔(如 xzcf,yzsx;默认全部)
    items: Option<String>,
    /// 每页事件数(1–5000,默认 1000)
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/feed",
    tag = "exchange",
    operation_id = "feed",
    summary = "增量数据",
    description = "按变更序号顺序读取调用者可见记录的增量事件:ADD(新增可见)、MOD(新版本)、DEL(撤下:信用修复、撤销、公示期满或不再公示)。依次应用全部事件(ADD、MOD 写入记录,DEL 删除)即得调用者当日可见的全部记录。公众所见为公示记录的公开字段(证件号码已遮蔽);具有“政务共享”权限的部门还可见政务共享记录及全部目录字段(每次读取记入审计日志)。每页最多读取 20000 条变更:事件少于 limit 而 more 为真时,用 next 续读。部门(账号或密钥)以 after = N 续读,即确认已收到 N 及以前的全部变更:平台据此跟踪省级平台等的接收是否在 7 个工作日内(运行监测“信息共享确认”)。",
    params(FeedParams),
    responses(
        (status = 200, description = "一页增量事件", body = FeedPage),
        (status = 400, description = "invalid_request"),
    )
)]
async fn feed(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Query(q): Query<FeedParams>,
) -> Result<Json<FeedPage>, ApiError> {
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::new(credo_app::Code::InvalidRequest, "after 不能为负数"));
    }
    let items: Vec<String> = q
        .items
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let items = exchange::check_items(&app.catalog, &items)?;
    let audience = Audience::of(&p);
    let page = exchange::events(&app, audience, after, &items, q.limit.unwrap_or(1000)).await?;
    // A department reading on from `after` has everything up to it (the provincial platform's acknowledgement).
    if let Some(d) = p.department()
        && after > 0
    {
        exchange::acknowledge(&app, d.id, after).await?;
    }
    if audience == Audience::Shared {
        let (actor, role, department) = p.actor();
        app.store
            .append_audit(&AuditEvent {
                actor,
                role,
                department,
                action: "feed.read".into(),
                target: Some(format!("feed:{after}..{}", page.next)),
                purpose: Some("政务共享增量数据".into()),
                result: format!("{} 条事件", page.events.len()),
                client: None,
            })
            .await?;
    }
    Ok(Json(page))
}

/// The reconciliation queries, as OpenRefine sends them: a JSON object of queries in the `queries` parameter.
#[derive(Deserialize, IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
struct Reconcile {
    /// JSON:{"q0": {"query": "名称或代码", "type": "organisation", "limit": 5}, …},至多 50 个;不给出时返回服务说明
    queries: Option<String>,
}

/// The longest `queries` parameter read.
const MAX_QUERIES_TEXT: usize = 64 * 1024;

async fn reconcile(app: &Web, r: Reconcile) -> Result<Json<Value>, ApiError> {
    let Some(text) = r.queries else { return Ok(Json(manifest())) };
    if text.len() > MAX_QUERIES_TEXT {
        return Err(ApiError::new(credo_app::Code::InvalidRequest, "queries 过长(至多 64 KB)"));
    }
    let queries = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(credo_app::Code::InvalidJson, format!("queries 不是有效的查询对象:第 {} 列附近,{e}", e.column()))
    })?;
    Ok(Json(json!(exchange::reconcile(app, &queries).await?)))
}

/// The service manifest (W3C Reconciliation Service API 0.2).
fn manifest() -> Value {
    let kinds: Vec<Value> =
        credo_domain::catalog::SubjectKind::ALL.iter().map(|k| json!({ "id": k, "name": k.label() })).collect();
    json!({
        "versions": ["0.2"],
        "name": "信用西宁 信用主体匹配",
        "identifierSpace": "urn:gb32100:uscc",
        "schemaSpace": "urn:credo:subject-kind",
        "defaultTypes": kinds,
        "view": { "url": "/subjects/{{id}}" },
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/reconcile",
    tag = "exchange",
    operation_id = "reconcile",
    summary = "实体匹配(W3C 实体匹配协议)",
    description = "把一列名称或代码匹配到信用主体(OpenRefine 等工具可直接使用):不带 queries 时返回服务说明;带 queries 时为每个查询返回公众可查到的候选主体(id 为统一社会信用代码,自然人为主体编号),名称或代码完全一致者 match 为真。",
    params(Reconcile),
    responses(
        (status = 200, description = "服务说明或各查询的候选主体", body = Object),
        (status = 400, description = "invalid_request, invalid_json, query_too_long"),
    )
)]
async fn reconcile_get(State(app): State<Web>, Query(r): Query<Reconcile>) -> Result<Json<Value>, ApiError> {
    reconcile(&app, r).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reconcile",
    tag = "exchange",
    operation_id = "reconcile_post",
    summary = "实体匹配(表单提交)",
    description = "与 GET 相同,queries 以 application/x-www-form-urlencoded 表单提交(OpenRefine 的做法)。",
    request_body(content = Reconcile, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "各查询的候选主体", body = Object),
        (status = 400, description = "invalid_request, invalid_json, query_too_long, bad_form"),
    )
)]
async fn reconcile_post(State(app): State<Web>, Form(r): Form<Reconcile>) -> Result<Json<Value>, ApiError> {
    reconcile(&app, r).await
}
