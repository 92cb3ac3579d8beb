//! `/api/v1/departments` and `/api/v1/keys`: departments, their permissions and API keys (系统管理员 and
//! 安全管理员; who may call what is decided in [`crate::policy`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Extension, Json, Router};
use credo_store::{Department, Permissions};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use super::schemas;
use crate::Web;
use crate::error::ApiError;
use credo_app::admin;
use credo_app::principal::Principal;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/departments", get(departments).post(add_department))
        .route("/api/v1/departments/{uscc}/permissions", put(set_permissions))
        .route("/api/v1/departments/{uscc}/keys", get(list_keys).post(create_key))
        .route("/api/v1/keys/{prefix}", delete(revoke_key))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(departments, add_department, set_permissions, list_keys, create_key, revoke_key))]
pub struct Doc;

#[utoipa::path(
    get,
    path = "/api/v1/departments",
    tag = "departments",
    operation_id = "departments",
    summary = "部门",
    description = "全部部门及其权限。",
    responses((status = 200, description = "部门", body = Vec<credo_store::Department>))
)]
async fn departments(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Vec<Department>>, ApiError> {
    Ok(Json(admin::departments(&app, p.district()).await?))
}

#[derive(Deserialize, ToSchema)]
struct NewDept {
    /// 部门的统一社会信用代码
    uscc: String,
    name: String,
    /// 行政区划代码(默认取自代码)
    region: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/departments",
    tag = "departments",
    operation_id = "add_department",
    summary = "登记部门",
    description = "新部门只有读取“公开”信息的权限;报送目录项与核查场景由安全管理员授予。",
    request_body = NewDept,
    responses(
        (status = 201, description = "部门", body = credo_store::Department),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_uscc, missing_name"),
    )
)]
async fn add_department(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<NewDept>,
) -> Result<(StatusCode, Json<Department>), ApiError> {
    let d = admin::add_department(&app, &body.uscc, &body.name, body.region, &p.actor().0, p.district()).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(
    put,
    path = "/api/v1/departments/{uscc}/permissions",
    tag = "departments",
    operation_id = "set_permissions",
    summary = "设置部门权限",
    description = "部门可报送的目录项、可使用的核查场景与可读取的公开属性(整体替换)。",
    params(("uscc" = String, Path, description = "部门的统一社会信用代码")),
    request_body = credo_store::Permissions,
    responses(
        (status = 200, description = "部门", body = credo_store::Department),
        (status = 404, description = "not_found"),
        (status = 422, description = "invalid_permissions"),
    )
)]
async fn set_permissions(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(uscc): Path<String>,
    Json(body): Json<Permissions>,
) -> Result<Json<Department>, ApiError> {
    Ok(Json(admin::set_permissions(&app, &uscc, &body, p.district()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/departments/{uscc}/keys",
    tag = "departments",
    operation_id = "department_keys",
    summary = "部门的 API 密钥",
    description = "部门的密钥(只有前缀、权限范围与有效期,不含密钥本身)。",
    params(("uscc" = String, Path, description = "部门的统一社会信用代码")),
    responses(
        (status = 200, description = "密钥", body = schemas::KeyList),
        (status = 404, description = "not_found"),
    )
)]
async fn list_keys(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(uscc): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = admin::department(&app, &uscc, p.district()).await?;
    Ok(Json(json!({ "department": d.uscc, "keys": app.store.api_keys(d.id).await? })))
}

#[derive(Deserialize, ToSchema)]
struct NewKey {
    /// 权限范围:`submit`(报送)、`check`(核查)
    scopes: Vec<String>,
    /// 有效天数(默认 365,至多 3 年)
    expires_in_days: Option<i64>,
    /// 用途(信用服务机构的密钥必填)
    purpose: Option<String>,
    /// 每日调用上限(北京时间;信用服务机构的密钥必填)
    daily_quota: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/api/v1/departments/{uscc}/keys",
    tag = "departments",
    operation_id = "create_key",
    summary = "签发 API 密钥",
    description = "为部门签发密钥;密钥只在此次返回中显示一次。",
    params(("uscc" = String, Path, description = "部门的统一社会信用代码")),
    request_body = NewKey,
    responses(
        (status = 201, description = "新密钥", body = schemas::KeyCreated),
        (status = 404, description = "not_found"),
        (status = 422, description = "invalid_scopes, invalid_expiry"),
    )
)]
async fn create_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(uscc): Path<String>,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let terms = credo_app::keys::Terms { purpose: body.purpose, daily_quota: body.daily_quota };
    let days = body.expires_in_days.unwrap_or(365);
    let (full, key) = admin::issue_key(&app, &uscc, &body.scopes, days, terms, &p.actor().0, p.district()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "key": full, "record": key, "notice": "密钥只显示这一次,请妥善保存" }))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/keys/{prefix}",
    tag = "departments",
    operation_id = "revoke_key",
    summary = "吊销 API 密钥",
    params(("prefix" = String, Path, description = "密钥前缀")),
    responses(
        (status = 204, description = "已吊销"),
        (status = 404, description = "not_found"),
    )
)]
async fn revoke_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(prefix): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::revoke_key(&app, &prefix, p.district()).await?;
    Ok(StatusCode::NO_CONTENT)
}
