//! 政务诚信 on 信用西宁: the monitoring dashboard (by body and district, with each department's use of credit
//! information; exportable), a page per government body, and the register of credit service agencies
//! (`credo_app::integrity`).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::integrity::{self, AgencyView, Body, Dashboard};
use credo_app::principal::Principal;

use super::chrome::{Chrome, query_string, render};
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "integrity.html")]
struct DashboardPage {
    chrome: Chrome,
    d: Dashboard,
    note: String,
}

pub async fn dashboard(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let d = integrity::dashboard(&app, None).await?;
    let note = integrity::rules(&app)?.note.clone();
    render(&DashboardPage { chrome: Chrome::of(&p, &headers), d, note })
}

#[derive(Template)]
#[template(path = "integrity_body.html")]
struct BodyPage {
    chrome: Chrome,
    b: Body,
}

pub async fn body(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let b = integrity::body(&app, &code).await?;
    render(&BodyPage { chrome: Chrome::of(&p, &headers), b })
}

#[derive(Template)]
#[template(path = "agencies.html")]
struct AgenciesPage {
    chrome: Chrome,
    agencies: Vec<AgencyView>,
}

pub async fn agencies(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let agencies = integrity::agencies(&app).await?;
    render(&AgenciesPage { chrome: Chrome::of(&p, &headers), agencies })
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    chrome: Chrome,
    a: AgencyView,
    /// The 举报 form, prefilled for the credit office and the agency (when the office is on the platform).
    complain: Option<String>,
}

pub async fn agency(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let a = integrity::agency_public(&app, id).await?;
    let complain = integrity::office(&app).await.ok().map(|o| {
        format!(
            "/report?{}",
            query_string(&[("department", &o.uscc), ("subject_name", &a.name), ("subject_code", &a.uscc)])
        )
    });
    render(&AgencyPage { chrome: Chrome::of(&p, &headers), a, complain })
}
