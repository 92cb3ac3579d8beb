//! `/api/v1/departments` and `/api/v1/keys`: departments, their permissions and API keys (系统管理员 and
//! 安全管理员; who may call what is decided in [`crate::policy`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Extension, Json, Router};
use credo_store::{Department, NewDepartment, Permissions};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Web;
use crate::error::ApiError;
use credo_app::Code;
use credo_app::accounts::{self};
use credo_app::principal::Principal;
use credo_app::{App, keys};

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/departments", get(departments).post(add_department))
        .route("/api/v1/departments/{uscc}/permissions", put(set_permissions))
        .route("/api/v1/departments/{uscc}/keys", get(list_keys).post(create_key))
        .route("/api/v1/keys/{prefix}", delete(revoke_key))
        .with_state(app)
}

async fn departments(State(app): State<Web>) -> Result<Json<Vec<Department>>, ApiError> {
    Ok(Json(app.store.departments().await?))
}

#[derive(Deserialize)]
struct NewDept {
    uscc: String,
    name: String,
    region: Option<String>,
}

async fn add_department(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<NewDept>,
) -> Result<(StatusCode, Json<Department>), ApiError> {
    let code = credo_domain::ids::Uscc::parse(&body.uscc)
        .map_err(|e| ApiError::new(Code::InvalidUscc, format!("部门代码“{}”无效:{}", body.uscc, e.message())))?;
    if body.name.trim().is_empty() {
        return Err(ApiError::new(Code::MissingName, "请填写部门名称"));
    }
    let d = app
        .store
        .add_department(NewDepartment {
            uscc: code.as_str().to_string(),
            name: body.name.trim().to_string(),
            region: body.region.or_else(|| Some(code.region().to_string())),
            created_by: p.actor().0,
            permissions: Permissions { disclosure: vec!["公开".into()], ..Permissions::default() },
        })
        .await
        .map_err(|e| match e {
            credo_store::StoreError::Conflict(m) => ApiError::new(Code::Conflict, m),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(d)))
}

async fn department(app: &App, uscc: &str) -> Result<Department, ApiError> {
    app.store
        .department_by_uscc(&credo_domain::ids::prepare(uscc))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("没有统一社会信用代码为 {uscc} 的部门")))
}

async fn set_permissions(
    State(app): State<Web>,
    Path(uscc): Path<String>,
    Json(body): Json<Permissions>,
) -> Result<Json<Department>, ApiError> {
    let d = department(&app, &uscc).await?;
    accounts::check_permissions(&app, &body).map_err(|m| ApiError::new(Code::InvalidPermissions, m))?;
    app.store.set_permissions(d.id, &body).await?;
    Ok(Json(department(&app, &uscc).await?))
}

async fn list_keys(State(app): State<Web>, Path(uscc): Path<String>) -> Result<Json<Value>, ApiError> {
    let d = department(&app, &uscc).await?;
    Ok(Json(json!({ "department": d.uscc, "keys": app.store.api_keys(d.id).await? })))
}

#[derive(Deserialize)]
struct NewKey {
    scopes: Vec<String>,
    /// Days until the key expires (default 365; at most 3 years).
    expires_in_days: Option<i64>,
}

async fn create_key(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(uscc): Path<String>,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let d = department(&app, &uscc).await?;
    let scopes = keys::parse_scopes(&body.scopes.join(",")).map_err(|m| ApiError::new(Code::InvalidScopes, m))?;
    let expires =
        keys::expiry(body.expires_in_days.unwrap_or(365)).map_err(|m| ApiError::new(Code::InvalidExpiry, m))?;
    let by = p.actor().0;
    let (full, key) = keys::create(app.store.as_ref(), &d, scopes, Some(expires), &by).await?;
    Ok((StatusCode::CREATED, Json(json!({ "key": full, "record": key, "notice": "密钥只显示这一次,请妥善保存" }))))
}

async fn revoke_key(State(app): State<Web>, Path(prefix): Path<String>) -> Result<StatusCode, ApiError> {
    if app.store.revoke_api_key(&prefix).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("没有前缀为“{prefix}”的有效密钥")))
    }
}
