//! `/api/v1/honours`: 诚信建设示范单位 — the units in public notice and those published, a unit's application, and the
//! committee's steps (`credo_app::honours`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::honours::{self, HonourStep, Listed};
use credo_app::principal::Principal;
use credo_store::Honour;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/honours", get(public))
        .route("/api/v1/honours/applications", get(applications))
        .route("/api/v1/honours/{id}/steps", post(step))
        .route("/api/v1/me/honours", post(apply))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(public, applications, step, apply), components(schemas(HonourStep, ApplyBody)))]
pub struct Doc;

/// 申报诚信建设示范单位
#[derive(Deserialize, ToSchema)]
struct ApplyBody {
    /// 创建情况(至多 4000 字)
    #[serde(default)]
    statement: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/honours",
    tag = "honours",
    operation_id = "honours",
    summary = "诚信建设示范单位",
    description = "公示中的申报单位(公示期内接受投诉:向评审部门举报)和已命名的单位,附创建标准。",
    responses((status = 200, description = "notice、published 与 standard", body = Object))
)]
async fn public(State(app): State<Web>) -> Result<Json<Value>, ApiError> {
    let (notice, published) = honours::public_lists(&app).await?;
    let standard = honours::standard(&app)?;
    Ok(Json(json!({ "notice": notice, "published": published, "standard": standard })))
}

#[utoipa::path(
    get,
    path = "/api/v1/honours/applications",
    tag = "honours",
    operation_id = "honour_applications",
    summary = "全部申报(评审部门、信用审核员)",
    responses((status = 200, description = "申报", body = [Object]), (status = 403, description = "forbidden"))
)]
async fn applications(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Vec<Listed>>, ApiError> {
    Ok(Json(honours::committee_list(&app, &p).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/honours/{id}/steps",
    tag = "honours",
    operation_id = "honour_step",
    summary = "评审、公示期满命名、不予通过或撤销",
    description = "评审部门的案件办理员办理:approve 进入公示(公示期按工作日计),publish 在公示期满且无未办结投诉时命名,reject 与 revoke 须写明理由。",
    params(("id" = i64, Path, description = "申报编号")),
    request_body = HonourStep,
    responses(
        (status = 200, description = "申报", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden, not_permitted"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "reason_required, too_long"),
    )
)]
async fn step(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(r): Json<HonourStep>,
) -> Result<Json<Honour>, ApiError> {
    Ok(Json(honours::step(&app, &p, id, &r).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/honours",
    tag = "honours",
    operation_id = "honour_apply",
    summary = "申报诚信建设示范单位",
    description = "以本单位的信用主体账号申报本年度;不符合创建标准的,返回 403 not_permitted 并列出未满足的条件。",
    request_body = ApplyBody,
    responses(
        (status = 201, description = "申报", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden, not_permitted"),
        (status = 409, description = "conflict"),
        (status = 422, description = "too_long"),
    )
)]
async fn apply(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(b): Json<ApplyBody>,
) -> Result<(StatusCode, Json<Honour>), ApiError> {
    Ok((StatusCode::CREATED, Json(honours::apply(&app, &p, &b.statement).await?)))
}
