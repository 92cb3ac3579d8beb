//! `/api/v1/accounts`: department users' and subject accounts (安全管理员); operator accounts are the CLI's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use utoipa::OpenApi;

use super::schemas;
use crate::Web;
use crate::error::ApiError;
use credo_app::accounts::{self, AccountRequest};
use credo_app::admin;
use credo_app::principal::{Principal, Role};

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route("/api/v1/accounts/{username}/disable", post(disable))
        .route("/api/v1/accounts/{username}/enable", post(enable))
        .route("/api/v1/accounts/{username}/unlock", post(unlock))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(list_accounts, create_account, disable, enable, unlock))]
pub struct Doc;

#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    operation_id = "accounts",
    summary = "账号",
    description = "全部账号(不含密码与动态口令密钥)。",
    responses((status = 200, description = "账号", body = schemas::AccountList))
)]
async fn list_accounts(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Value>, ApiError> {
    let mut within = Vec::new();
    for a in app.store.accounts().await? {
        if admin::account_within(&app, &a, p.district()).await? {
            within.push(a);
        }
    }
    let list: Vec<Value> = within
        .into_iter()
        .map(|a| {
            let label = Role::parse(&a.role).map(Role::label);
            let mut v = serde_json::to_value(&a).unwrap_or_default();
            v["role_label"] = json!(label);
            v["totp_enrolled"] = json!(a.totp_secret.is_some());
            v
        })
        .collect();
    Ok(Json(json!({ "count": list.len(), "accounts": list })))
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    operation_id = "create_account",
    summary = "开设账号",
    description = "开设部门用户(报送员、核查员、案件办理员)或信用主体账号;运营人员账号只能在服务器上以 \
                   `credo user add` 开设。未给密码时生成一个,与动态口令密钥一并只显示一次。",
    request_body = credo_app::accounts::AccountRequest,
    responses(
        (status = 201, description = "新账号", body = schemas::AccountCreated),
        (status = 403, description = "operator_account, forbidden"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_account"),
    )
)]
async fn create_account(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(body): Json<AccountRequest>,
) -> Result<(StatusCode, Json<accounts::Created>), ApiError> {
    // An unknown role is left to `create`, which names the roles there are (422).
    if Role::parse(&body.role).is_some() {
        admin::operator_refusal(&body.role, "开设", "credo user add")?;
    }
    admin::check_new_account(&app, &body, p.district()).await?;
    let created = accounts::create(&app, body, &p.actor().0).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/disable",
    tag = "accounts",
    operation_id = "disable_account",
    summary = "停用账号",
    params(("username" = String, Path, description = "用户名")),
    responses(
        (status = 204, description = "已停用"),
        (status = 403, description = "operator_account"),
        (status = 404, description = "not_found"),
    )
)]
async fn disable(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::change_account(&app, &username, admin::Change::Disable, p.district()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/enable",
    tag = "accounts",
    operation_id = "enable_account",
    summary = "启用账号",
    params(("username" = String, Path, description = "用户名")),
    responses(
        (status = 204, description = "已启用"),
        (status = 403, description = "operator_account"),
        (status = 404, description = "not_found"),
    )
)]
async fn enable(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::change_account(&app, &username, admin::Change::Enable, p.district()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/unlock",
    tag = "accounts",
    operation_id = "unlock_account",
    summary = "解锁账号",
    description = "解除因连续登录失败造成的锁定。",
    params(("username" = String, Path, description = "用户名")),
    responses(
        (status = 204, description = "已解锁"),
        (status = 403, description = "operator_account"),
        (status = 404, description = "not_found"),
    )
)]
async fn unlock(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::change_account(&app, &username, admin::Change::Unlock, p.district()).await?;
    Ok(StatusCode::NO_CONTENT)
}
