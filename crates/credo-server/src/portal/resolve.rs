//! 主体识别 in the console: the queue of records that matched no subject (a department's own; a 信用审核员 every
//! department's), one record with its candidate subjects, their scores and reasons, and the judgement forms
//! (同一主体 / 不是同一主体 / 无法确定, with a reason), and the judgements made, each with its undo.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use credo_app::principal::{Principal, Role};
use credo_app::resolve::{self, Ask, Queued};
use credo_store::{Decision, Judgement, Target};

use super::chrome::{Chrome, render, see_other};
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "resolve.html")]
struct RecordPage {
    chrome: Chrome,
    queued: Queued,
    /// Judgements about the record: `(judgement, decision label, when, undoable)`.
    judgements: Vec<(Judgement, &'static str, String, bool)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "resolve_queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<super::rows::Row>,
}

/// The queue: a department's own records (报送员), or every department's (信用审核员).
pub async fn queue(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let department = match &p {
        Principal::Account { role: Role::Reviewer, .. } => None,
        p => Some(p.department().ok_or_else(|| ApiError::forbidden("请以部门报送员或信用审核员账号登录"))?.id),
    };
    let today = app.clock.today();
    let rows = app
        .store
        .unresolved(department, 200, 0)
        .await?
        .iter()
        .filter_map(|r| super::rows::own_row(&app, r, false, today).map(|(x, _)| x))
        .collect();
    render(&QueuePage { chrome: Chrome::of(&p, &headers), rows })
}

async fn page(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    record: i64,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let queued = resolve::queued(app, p, record).await?;
    let judgements = queued
        .judgements
        .iter()
        .map(|j| (j.clone(), j.decision.label(), credo_app::beijing::format(j.at), j.undone_at.is_none()))
        .collect();
    render(&RecordPage { chrome: Chrome::of(p, headers), queued, judgements, error })
}

pub async fn record(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(record): Path<i64>,
) -> Result<Response, ApiError> {
    page(&app, &p, &headers, record, None).await
}

/// A judgement from the record's page: `subject_id`, `decision`, `reason`.
pub async fn judge(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(record): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let value = |key: &str| super::chrome::form_value(&pairs, key);
    let result = match (value("subject_id").trim().parse::<i64>(), Decision::parse(&value("decision"))) {
        (Ok(subject_id), Some(decision)) => {
            let ask = Ask { target: Target::Record(record), subject_id, decision, reason: value("reason") };
            resolve::judge(&app, &p, ask).await
        }
        _ => Err(credo_app::Error::new(credo_app::Code::InvalidRequest, "请选择候选主体与判断")),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/console/unresolved/{record}"), None)),
        Err(e) if e.is_client_error() && !matches!(e.status(), 401 | 403 | 404) => {
            page(&app, &p, &headers, record, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Undoes a judgement, back to its record's page (or the queue).
pub async fn undo(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let j = resolve::undo(&app, &p, id).await?;
    let back = match j.target {
        Target::Record(r) => format!("/console/unresolved/{r}"),
        _ => "/console/unresolved".to_string(),
    };
    Ok(see_other(&back, None))
}
