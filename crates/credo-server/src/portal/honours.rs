//! 诚信建设示范单位: the public list and a page per unit (with the way to complain during the notice), a unit's
//! application on its own page, and the committee's console (`credo_app::honours`).

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::honours::{self, HonourStep, Listed};
use credo_app::principal::Principal;
use serde::Deserialize;

use super::chrome::{Chrome, query_string, refused, render, see_other};
use crate::Web;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "honours.html")]
struct HonoursPage {
    chrome: Chrome,
    note: String,
    notice: Vec<Listed>,
    published: Vec<Listed>,
}

pub async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (notice, published) = honours::public_lists(&app).await?;
    let note = honours::standard(&app)?.note.clone();
    render(&HonoursPage { chrome: Chrome::of(&p, &headers), note, notice, published })
}

#[derive(Template)]
#[template(path = "honour.html")]
struct HonourPage {
    chrome: Chrome,
    h: Listed,
    /// The 举报 form, prefilled for the committee and the unit (during the notice).
    complain: Option<String>,
    committee: String,
}

pub async fn honour(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let h = honours::public_view(&app, id).await?;
    // Without a committee on the platform there is no one to complain to (and nothing is in notice).
    let committee = honours::committee(&app).await.ok();
    let complain =
        committee.as_ref().filter(|_| h.honour.state == credo_domain::honours::HonourState::Notice).map(|c| {
            let code = h.code.clone().unwrap_or_default();
            format!(
                "/report?{}",
                query_string(&[("department", &c.uscc), ("subject_name", &h.name), ("subject_code", &code)])
            )
        });
    let committee = committee.map(|c| c.name).unwrap_or_default();
    render(&HonourPage { chrome: Chrome::of(&p, &headers), h, complain, committee })
}

/// A step the committee may take on an application: code, label, whether it needs a reason.
type Step = (&'static str, &'static str, bool);

#[derive(Template)]
#[template(path = "honours_console.html")]
struct ConsolePage {
    chrome: Chrome,
    error: Option<String>,
    list: Vec<(Listed, Vec<Step>)>,
}

async fn console_page(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<ConsolePage, ApiError> {
    let list = honours::committee_list(app, p)
        .await?
        .into_iter()
        .map(|l| {
            let steps = [
                ("approve", "通过评审,进入公示", false),
                ("publish", "公示期满,命名", false),
                ("reject", "不予通过", true),
                ("revoke", "撤销", true),
            ]
            .into_iter()
            .filter(|(s, ..)| l.honour.state.step(s).is_ok())
            .collect();
            (l, steps)
        })
        .collect();
    Ok(ConsolePage { chrome: Chrome::of(p, headers), error, list })
}

pub async fn console(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    render(&console_page(&app, &p, &headers, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    reason: String,
}

pub async fn step(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, ApiError> {
    let r = HonourStep { step: f.step, reason: Some(f.reason) };
    match honours::step(&app, &p, id, &r).await {
        Ok(_) => Ok(see_other("/console/honours", None)),
        Err(e) if e.is_client_error() && e.code != credo_app::Code::NotFound => {
            refused(&console_page(&app, &p, &headers, Some(e.detail)).await?)
        }
        Err(e) => Err(e.into()),
    }
}
