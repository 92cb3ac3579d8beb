//! `/api/v1/products`, `/api/v1/loan-applications`, `/api/v1/me/loan-applications`: 融资对接 — lenders' credit
//! products, subjects' applications with the authorisation they give, and the lenders' answers
//! (`credo_app::finance`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::finance::{self, ApplyRequest, DecisionRequest, Listed, ProductRequest, Shown};
use credo_app::principal::Principal;
use credo_store::{LoanApplication, Product};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/products", get(products).post(publish))
        .route("/api/v1/products/{id}/close", post(close))
        .route("/api/v1/loan-applications", get(received))
        .route("/api/v1/loan-applications/{id}/decision", post(decide))
        .route("/api/v1/loan-recommendations", get(recommended))
        .route("/api/v1/me/loan-applications", get(own).post(apply))
        .route("/api/v1/me/loan-applications/{id}/withdraw", post(withdraw))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(
    paths(products, publish, close, received, decide, recommended, own, apply, withdraw),
    components(schemas(ProductRequest, ApplyRequest, DecisionRequest))
)]
pub struct Doc;

#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "finance",
    operation_id = "credit_products",
    summary = "融资产品",
    description = "金融机构发布的融资产品及其准入条件(主体类别、评价方案与等级、地区、额度,金额为元),附各产品的申请数、受理数、放款笔数与放款金额。",
    responses((status = 200, description = "产品(办理中的在前)", body = [Object]))
)]
async fn products(State(app): State<Web>) -> Result<Json<Vec<Listed>>, ApiError> {
    Ok(Json(finance::listed(&app).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "finance",
    operation_id = "credit_product_publish",
    summary = "发布融资产品",
    description = "金融机构(部门核查员或 check 密钥)发布本机构的融资产品;额度以万元填写。",
    request_body = ProductRequest,
    responses(
        (status = 201, description = "产品", body = Object),
        (status = 400, description = "invalid_json, invalid_request"),
        (status = 403, description = "forbidden"),
    )
)]
async fn publish(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(r): Json<ProductRequest>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    Ok((StatusCode::CREATED, Json(finance::publish(&app, &p, &r).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/close",
    tag = "finance",
    operation_id = "credit_product_close",
    summary = "停止受理",
    params(("id" = i64, Path, description = "产品编号")),
    responses(
        (status = 200, description = "产品", body = Object),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn close(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(finance::close(&app, &p, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/loan-applications",
    tag = "finance",
    operation_id = "loan_applications",
    summary = "本机构收到的融资申请",
    description = "每份申请带申请人授权本机构查询其信用报告的授权编号(subject_key 用于 /api/v1/subjects/{key}/report?for=authorised),撤回后失效。",
    responses((status = 200, description = "申请(新的在前)", body = [Object]), (status = 403, description = "forbidden"))
)]
async fn received(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Vec<Shown>>, ApiError> {
    Ok(Json(finance::received(&app, &p).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/loan-applications/{id}/decision",
    tag = "finance",
    operation_id = "loan_decision",
    summary = "受理、放款或拒绝",
    params(("id" = i64, Path, description = "申请编号")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "申请", body = Object),
        (status = 400, description = "invalid_json, invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "reason_required, too_long"),
    )
)]
async fn decide(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(r): Json<DecisionRequest>,
) -> Result<Json<LoanApplication>, ApiError> {
    Ok(Json(finance::decide(&app, &p, id, &r).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RecommendParams {
    /// 至多多少家(1–500,默认 100)
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/loan-recommendations",
    tag = "finance",
    operation_id = "loan_recommendations",
    summary = "守信企业推荐名单",
    description = "公共信用综合评价为最高等级的企业和个体工商户(向金融机构推荐)。",
    params(RecommendParams),
    responses((status = 200, description = "企业", body = [Object]), (status = 403, description = "forbidden"))
)]
async fn recommended(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Query(q): Query<RecommendParams>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let list = finance::recommended(&app, &p, q.limit.unwrap_or(100).clamp(1, 500)).await?;
    Ok(Json(
        list.into_iter()
            .map(|(s, grade)| json!({ "name": s.name, "code": s.code, "region": s.region, "grade": grade }))
            .collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/loan-applications",
    tag = "finance",
    operation_id = "my_loan_applications",
    summary = "本主体的融资申请",
    responses((status = 200, description = "申请", body = [Object]), (status = 403, description = "forbidden"))
)]
async fn own(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Vec<Shown>>, ApiError> {
    Ok(Json(finance::own(&app, &p).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/loan-applications",
    tag = "finance",
    operation_id = "loan_apply",
    summary = "申请融资",
    description = "以信用主体账号申请:须符合产品的准入条件;申请即授权该金融机构在 90 天内查询本主体的信用报告(记入查询记录),撤回申请同时撤销授权。",
    request_body = ApplyRequest,
    responses(
        (status = 201, description = "申请", body = Object),
        (status = 400, description = "invalid_json, invalid_request"),
        (status = 403, description = "forbidden, not_permitted"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn apply(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(r): Json<ApplyRequest>,
) -> Result<(StatusCode, Json<LoanApplication>), ApiError> {
    Ok((StatusCode::CREATED, Json(finance::apply(&app, &p, &r).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/loan-applications/{id}/withdraw",
    tag = "finance",
    operation_id = "loan_withdraw",
    summary = "撤回申请并撤销授权",
    params(("id" = i64, Path, description = "申请编号")),
    responses(
        (status = 200, description = "申请", body = Object),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn withdraw(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<LoanApplication>, ApiError> {
    Ok(Json(finance::withdraw(&app, &p, id).await?))
}
