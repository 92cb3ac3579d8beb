//! `/api/v1/audit`: the audit trail and its verification (审计管理员).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/audit", get(audit_events))
        .route("/api/v1/audit/verify", get(audit_verify))
        .with_state(app)
}

#[derive(Deserialize)]
struct AuditPage {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn audit_events(State(app): State<Web>, Query(q): Query<AuditPage>) -> Result<Json<Value>, ApiError> {
    let events = app.store.audit_after(q.after.unwrap_or(0), q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    Ok(Json(json!({ "count": events.len(), "events": events })))
}

async fn audit_verify(State(app): State<Web>) -> Result<Json<Value>, ApiError> {
    Ok(Json(credo_app::audit::report(&app).await?))
}
