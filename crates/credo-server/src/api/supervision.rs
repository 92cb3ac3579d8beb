//! `/api/v1/supervision/draws`: 分类监管 — a department's 双随机 draws of inspection targets, stratified by grade
//! (`credo_app::supervise`), published with their seed, targets, inspectors and results; and the results the
//! department enters, each becoming a 双随机抽查检查结果 record of the subject.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::principal::Principal;
use credo_app::supervise::{self, Acting, DrawIn, DrawOut};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/supervision/draws", get(list).post(draw))
        .route("/api/v1/supervision/draws/{number}", get(show))
        .route("/api/v1/supervision/draws/{number}/results", post(result))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(list, draw, show, result))]
pub struct Doc;

/// 一次双随机抽查
#[derive(Deserialize, ToSchema)]
struct DrawBody {
    /// 检查事项(不超过 200 字)
    task: String,
    /// 随机种子(随结果公示,不超过 200 字)
    seed: String,
    /// 抽取总数(1–10000,按各等级比例分配);不给出时各等级按比例全额抽取
    count: Option<usize>,
    /// 只在该行政区划内抽取(如 630102)
    region: Option<String>,
    /// 分层所用的评价方案(默认 ggxy 公共信用综合评价)
    scheme: Option<String>,
    /// 执法检查人员名录(姓名)
    inspectors: Vec<String>,
    /// 每个对象随机选派的检查人员数(默认 2)
    per_target: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/supervision/draws",
    tag = "supervision",
    operation_id = "supervision_draws",
    summary = "双随机抽查公示",
    description = "最近的双随机抽查(新的在前):组织部门、检查事项、随机种子、总体规模及其 SM3 摘要、各等级的总体数、抽查比例与抽取数。",
    responses((status = 200, description = "抽查", body = Vec<Object>))
)]
async fn list(State(app): State<Web>) -> Result<Json<Vec<credo_store::Draw>>, ApiError> {
    Ok(Json(app.store.draws(None, 100).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/supervision/draws",
    tag = "supervision",
    operation_id = "supervision_draw",
    summary = "双随机抽取检查对象与检查人员",
    description = "按公共信用综合评价等级分层抽取检查对象(各等级抽查比例见评价方案,D 级最高),并为每个对象从检查人员名录中随机选派检查人员。随机数由种子经 SM3 计数器模式生成:同一种子、同一总体(其 SM3 摘要随结果公示)必得同一结果。抽查记入审计日志并公示。部门报送员或具有报送权限的接口密钥使用。",
    request_body = DrawBody,
    responses(
        (status = 200, description = "抽查及其检查对象", body = Object),
        (status = 400, description = "invalid_request"),
        (status = 403, description = "forbidden"),
    )
)]
async fn draw(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(b): Json<DrawBody>,
) -> Result<Json<DrawOut>, ApiError> {
    let by = Acting::of(&p)?;
    let req = DrawIn {
        scheme: b.scheme,
        region: b.region,
        task: b.task,
        seed: b.seed,
        count: b.count,
        inspectors: b.inspectors,
        per_target: b.per_target.unwrap_or(2),
    };
    Ok(Json(supervise::draw(&app, &by, req).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/supervision/draws/{number}",
    tag = "supervision",
    operation_id = "supervision_draw_show",
    summary = "一次抽查的对象、检查人员与结果",
    params(("number" = String, Path, description = "抽查编号")),
    responses((status = 200, description = "抽查", body = Object), (status = 404, description = "not_found"))
)]
async fn show(State(app): State<Web>, Path(number): Path<String>) -> Result<Json<DrawOut>, ApiError> {
    Ok(Json(supervise::show(&app, &number).await?))
}

/// 一个检查对象的检查结果
#[derive(Deserialize, ToSchema)]
struct ResultBody {
    /// 检查对象的统一社会信用代码
    code: String,
    /// 合格、不合格 或 发现问题
    result: String,
    /// 检查日期(YYYY-MM-DD,默认今天)
    date: Option<String>,
    /// 结果说明(不超过 2000 字)
    note: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/supervision/draws/{number}/results",
    tag = "supervision",
    operation_id = "supervision_result",
    summary = "录入检查结果",
    description = "组织抽查的部门录入一个检查对象的结果;结果作为该主体的“双随机抽查检查结果”记录入库(公示,并计入信用评价)。每个对象只能录入一次。",
    params(("number" = String, Path, description = "抽查编号")),
    request_body = ResultBody,
    responses(
        (status = 200, description = "抽查", body = Object),
        (status = 400, description = "invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 409, description = "conflict"),
    )
)]
async fn result(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(number): Path<String>,
    Json(b): Json<ResultBody>,
) -> Result<Json<DrawOut>, ApiError> {
    let by = Acting::of(&p)?;
    let on = match b.date.as_deref() {
        Some(d) => credo_domain::value::parse_date(d).ok_or_else(|| {
            ApiError::from(credo_app::Error::new(credo_app::Code::InvalidRequest, format!("“{d}”不是日期")))
        })?,
        None => app.clock.today(),
    };
    let out =
        supervise::enter_result(&app, &by, &number, &b.code, &b.result, on, b.note.as_deref().unwrap_or("")).await?;
    Ok(Json(out))
}
