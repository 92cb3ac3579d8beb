//! `/api/v1/unresolved/{id}` and `/api/v1/judgements`: 主体识别 by people. A queued record with its candidate
//! subjects and the reasons for each; judgements (same, different, unsure) that link a record, merge two subjects
//! or attach a legacy code, listed and undone (`credo_app::resolve`: a 信用审核员 anything, a department its own
//! queued records).

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::Code;
use credo_app::principal::Principal;
use credo_app::resolve::{self, Ask, Queued};
use credo_store::{Decision, Judgement, Target};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/unresolved/{id}", get(queued))
        .route("/api/v1/judgements", get(list).post(judge))
        .route("/api/v1/judgements/{id}/undo", post(undo))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(queued, list, judge, undo))]
pub struct Doc;

#[utoipa::path(
    get,
    path = "/api/v1/unresolved/{id}",
    tag = "resolution",
    operation_id = "unresolved_record",
    summary = "待匹配记录及其候选主体",
    description = "一条待匹配记录:记录所称的主体名称、候选主体(按名称字形与读音的相近程度排序,附匹配分值与理由:名称核心相同、法定代表人相同、所在地区相同、同一决定机关作出过该主体的记录等)及已有的判断。已判断为“不是同一主体”的候选不再列出。",
    params(("id" = i64, Path, description = "记录编号")),
    responses(
        (status = 200, description = "记录与候选主体", body = Queued),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn queued(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<Queued>, ApiError> {
    Ok(Json(resolve::queued(&app, &p, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// 判断对象:record:记录编号、subject:主体编号 或 code:旧代码
    target: Option<String>,
    /// 主体编号:该主体作为任何一方的判断
    subject: Option<i64>,
}

fn target(s: &str) -> Result<Target, ApiError> {
    Target::parse(s).ok_or_else(|| {
        ApiError::from(credo_app::Error::new(
            Code::InvalidRequest,
            "判断对象应为 record:记录编号、subject:主体编号 或 code:代码",
        ))
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/judgements",
    tag = "resolution",
    operation_id = "judgements",
    summary = "主体识别判断",
    description = "判断记录,新的在前(含已撤销的):某一对象的、某一主体的,或全部(部门只见本部门作出的)。",
    params(ListParams),
    responses((status = 200, description = "判断", body = Vec<Object>), (status = 403, description = "forbidden"))
)]
async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Query(q): Query<ListParams>,
) -> Result<Json<Vec<Judgement>>, ApiError> {
    let t = q.target.as_deref().map(target).transpose()?;
    Ok(Json(resolve::judgements(&app, &p, t.as_ref(), q.subject).await?))
}

/// 一项判断
#[derive(Deserialize, ToSchema)]
struct JudgeIn {
    /// 判断对象:record:记录编号(待匹配记录)、subject:主体编号(合并入 subject_id)或 code:旧代码(注册号、组织机构代码……)
    target: String,
    /// 主体编号
    subject_id: i64,
    /// same(同一主体)、different(不是同一主体,此后不再推荐)或 unsure(无法确定)
    decision: String,
    /// 判断理由(必填,不超过 500 字)
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/judgements",
    tag = "resolution",
    operation_id = "judge",
    summary = "作出判断",
    description = "same:记录关联到主体(记录所称名称成为主体的别名,以后同名记录与重新导入同样匹配)、两主体合并(代码、记录与名称并入,原主体指向合并后的主体)或旧代码关联;different 与 unsure 只记录判断。判断写入审计日志与变更流,可撤销。",
    request_body = JudgeIn,
    responses(
        (status = 200, description = "判断", body = Object),
        (status = 400, description = "invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 409, description = "conflict"),
    )
)]
async fn judge(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<JudgeIn>,
) -> Result<Json<Judgement>, ApiError> {
    let decision = Decision::parse(&body.decision).ok_or_else(|| {
        ApiError::from(credo_app::Error::new(Code::InvalidRequest, "decision 应为 same、different 或 unsure"))
    })?;
    let ask = Ask { target: target(&body.target)?, subject_id: body.subject_id, decision, reason: body.reason };
    Ok(Json(resolve::judge(&app, &p, ask).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/judgements/{id}/undo",
    tag = "resolution",
    operation_id = "undo_judgement",
    summary = "撤销判断",
    description = "撤销一项判断:关联的记录回到待匹配队列,合并的主体拆分还原(代码、记录与名称移回),关联的旧代码解除。",
    params(("id" = i64, Path, description = "判断编号")),
    responses(
        (status = 200, description = "已撤销的判断", body = Object),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn undo(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<Judgement>, ApiError> {
    Ok(Json(resolve::undo(&app, &p, id).await?))
}
