//! `/api/v1/audit`: the audit trail and its verification (审计管理员).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use super::schemas;
use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/audit", get(audit_events))
        .route("/api/v1/audit/verify", get(audit_verify))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(audit_events, audit_verify))]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditPage {
    /// 从此序号之后读起(默认 0)
    after: Option<i64>,
    /// 条数(1–1000,默认 100)
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    operation_id = "audit_events",
    summary = "审计日志",
    description = "按序号读取审计事件(哈希链)。",
    params(AuditPage),
    responses((status = 200, description = "审计事件", body = schemas::AuditList))
)]
async fn audit_events(State(app): State<Web>, Query(q): Query<AuditPage>) -> Result<Json<Value>, ApiError> {
    let events = app.store.audit_after(q.after.unwrap_or(0), q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    Ok(Json(json!({ "count": events.len(), "events": events })))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "audit",
    operation_id = "audit_verify",
    summary = "校验审计日志",
    description = "校验哈希链、签名检查点与锚定文件:完好时给出计数,否则给出第一个有问题的事件。",
    responses((status = 200, description = "校验结果", body = schemas::AuditVerification))
)]
async fn audit_verify(State(app): State<Web>) -> Result<Json<Value>, ApiError> {
    Ok(Json(credo_app::audit::report(&app).await?))
}
