//! `/api/v1`: the JSON API, one file per resource. Who may call what is decided in [`crate::policy`] first.

use axum::Router;
use axum::routing::get;

use crate::Web;

/// Largest accepted request body (files included).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

pub mod accounts;
pub mod articles;
pub mod audit;
pub mod batches;
pub mod cases;
pub mod checks;
pub mod departments;
pub mod exchange;
pub mod finance;
pub mod honours;
pub mod integrity;
pub mod judgements;
pub mod openapi;
pub mod schemas;
pub mod session;
pub mod subjects;
pub mod supervision;
pub mod webhooks;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(subjects::router(app.clone()))
        .merge(batches::router(app.clone()))
        .merge(judgements::router(app.clone()))
        .merge(supervision::router(app.clone()))
        .merge(exchange::router(app.clone()))
        .merge(webhooks::router(app.clone()))
        .merge(articles::router(app.clone()))
        .merge(finance::router(app.clone()))
        .merge(honours::router(app.clone()))
        .merge(integrity::router(app.clone()))
        .merge(checks::router(app.clone()))
        .merge(cases::router(app.clone()))
        .merge(session::router(app.clone()))
        .merge(departments::router(app.clone()))
        .merge(accounts::router(app.clone()))
        .merge(audit::router(app))
        .merge(openapi::router())
}
