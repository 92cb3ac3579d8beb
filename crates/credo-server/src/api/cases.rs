use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::cases::*;
use credo_app::principal::Principal;

type Answer = Result<Json<Value>, ApiError>;

async fn record(State(app): State<Web>, Path(id): Path<i64>) -> Answer {
    Ok(Json(json!(record_view(&app, id).await?)))
}

async fn breach(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<BreachIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::breach(&app, &p, id, &o).await?)))
}

async fn objection(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(o): Json<ObjectionIn>,
) -> Response {
    created(
        async {
            admit_filing(&app, &p, client, o.challenge.as_ref())?;
            file_objection(&app, &p, &o).await
        }
        .await,
    )
}

async fn repair(State(app): State<Web>, Extension(p): Extension<Principal>, Json(o): Json<RepairIn>) -> Response {
    created(file_repair(&app, &p, &o).await)
}

async fn report(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(o): Json<ReportIn>,
) -> Response {
    created(
        async {
            admit_filing(&app, &p, client, o.challenge.as_ref())?;
            file_report(&app, &p, &o).await
        }
        .await,
    )
}

/// A new challenge for an anonymous filing: `{"image": "data:image/svg+xml;base64,…", "token": …}`.
async fn challenge(State(app): State<Web>) -> Json<Value> {
    let c = app.challenges.issue();
    Json(
        json!({ "image": c.image, "token": c.token, "valid_minutes": credo_app::challenge::VALID_FOR.whole_minutes() }),
    )
}

fn created(r: Result<Value, credo_app::Error>) -> Response {
    match r {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

async fn list(State(app): State<Web>, Extension(p): Extension<Principal>, Query(q): Query<ListQuery>) -> Answer {
    Ok(Json(json!(credo_app::cases::list(&app, &p, &q).await?)))
}

async fn show(State(app): State<Web>, Extension(p): Extension<Principal>, Path(number): Path<String>) -> Answer {
    Ok(Json(json!(credo_app::cases::show(&app, &p, &number).await?)))
}

async fn extend(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(number): Path<String>,
    Json(o): Json<ExtendIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::extend(&app, &p, &number, &o).await?)))
}

async fn decide(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(number): Path<String>,
    Json(o): Json<DecideIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::decide(&app, &p, &number, &o).await?)))
}

async fn file(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path((number, n)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = credo_app::cases::file(&app, &p, &number, n).await?;
    let disposition = format!("attachment; filename*=UTF-8''{}", urlencoding(&name));
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

/// RFC 5987 percent-encoding of a file name.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn own(State(app): State<Web>, Extension(p): Extension<Principal>) -> Answer {
    Ok(Json(json!(own_cases(&app, &p).await?)))
}

async fn commit(State(app): State<Web>, Extension(p): Extension<Principal>, Json(o): Json<CommitIn>) -> Response {
    created(credo_app::cases::commit(&app, &p, &o).await)
}

pub fn router(app: Web) -> axum::Router {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    let limit = || DefaultBodyLimit::max(MAX_CASE_BODY);
    axum::Router::new()
        .route("/api/v1/records/{id}", get(record))
        .route("/api/v1/records/{id}/breach", post(breach))
        .route("/api/v1/objections", post(objection).layer(limit()))
        .route("/api/v1/repairs", post(repair).layer(limit()))
        .route("/api/v1/reports", post(report).layer(limit()))
        .route("/api/v1/challenge", get(challenge))
        .route("/api/v1/cases", get(list))
        .route("/api/v1/cases/{number}", get(show))
        .route("/api/v1/cases/{number}/extend", post(extend))
        .route("/api/v1/cases/{number}/decide", post(decide))
        .route("/api/v1/cases/{number}/files/{n}", get(file))
        .route("/api/v1/me/cases", get(own))
        .route("/api/v1/commitments", post(commit))
        .with_state(app)
}
