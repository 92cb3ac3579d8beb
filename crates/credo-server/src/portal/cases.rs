//! Cases on the website: the objection (异议) and whistleblower (举报) forms, and case tracking by number.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_domain::calendar::Calendar;
use credo_store::Case;
use serde::Deserialize;
use time::Date;

use super::chrome::{Chrome, render, see_other};
use super::rows::{Row, row};
use super::subject::shown_record;
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::App;
use credo_app::cases::{self, Contact, Content, FileIn, ObjectionIn, ReportIn};
use credo_app::principal::{Principal, Role};

#[derive(Template)]
#[template(path = "objection.html")]
struct ObjectionPage {
    chrome: Chrome,
    row: Row,
    signed_in_subject: bool,
    error: Option<String>,
    challenge: Option<credo_app::challenge::Challenge>,
}

/// A challenge for a visitor who is not signed in (see [`cases::admit_filing`]).
pub(super) fn challenge_for(app: &App, p: &Principal) -> Option<credo_app::challenge::Challenge> {
    matches!(p, Principal::Anonymous).then(|| app.challenges.issue())
}

/// The challenge's answer as a form sent it.
pub(super) fn challenge_answer(fields: &HashMap<String, String>) -> Option<cases::ChallengeAnswer> {
    Some(cases::ChallengeAnswer {
        token: fields.get("challenge_token")?.clone(),
        answer: fields.get("challenge_answer").cloned().unwrap_or_default(),
    })
}

pub async fn objection_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    objection_page(&app, &p, &headers, id, None).await
}

/// The objection form for record `id`, with the error of a refused attempt.
async fn objection_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    id: i64,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (r, _, disputed) = shown_record(app, id).await?;
    let (row, _) = row(app, &r, disputed, app.clock.today()).ok_or_else(|| ApiError::not_found("该信息不公开"))?;
    let signed_in_subject =
        matches!(p, Principal::Account { account, role: Role::Subject, .. } if account.subject_id == r.subject_id);
    let challenge = challenge_for(app, p);
    render(&ObjectionPage { chrome: Chrome::of(p, headers), row, signed_in_subject, error, challenge })
}

/// A form posted as multipart: its text fields and its files (as the case services take them).
pub(super) async fn form_with_files(
    app: &App,
    req: Request,
) -> Result<(HashMap<String, String>, Vec<FileIn>), ApiError> {
    let mut mp = Multipart::from_request(req, app).await?;
    let (mut fields, mut files) = (HashMap::new(), Vec::new());
    while let Some(f) = mp.next_field().await? {
        let name = f.name().unwrap_or_default().to_string();
        match f.file_name().map(str::to_string) {
            Some(file) => {
                let bytes = f.bytes().await?;
                if !bytes.is_empty() {
                    files.push(FileIn { name: file, content: Content::Bytes(bytes.to_vec()) });
                }
            }
            None => {
                fields.insert(name, f.text().await?);
            }
        }
    }
    Ok((fields, files))
}

fn contact(fields: &HashMap<String, String>) -> Option<Contact> {
    let name = fields.get("name").filter(|v| !v.trim().is_empty())?;
    let phone = fields.get("phone").filter(|v| !v.trim().is_empty())?;
    Some(Contact { name: name.clone(), phone: phone.clone() })
}

pub async fn objection(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    let (fields, files) = form_with_files(&app, req).await?;
    let o = ObjectionIn {
        record: id,
        reason: fields.get("reason").cloned().unwrap_or_default(),
        contact: contact(&fields),
        files,
        challenge: challenge_answer(&fields),
    };
    let filed = async {
        cases::admit_filing(&app, &p, client, o.challenge.as_ref()).await?;
        cases::file_objection(&app, &p, &o).await
    };
    match filed.await {
        Ok(v) => Ok(see_other(&format!("/cases/{}?filed=1", v["number"].as_str().unwrap_or_default()), None)),
        Err(e) if e.is_client_error() && e.status() != 404 => {
            objection_page(&app, &p, &headers, id, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    chrome: Chrome,
    departments: Vec<(String, String)>,
    error: Option<String>,
    challenge: Option<credo_app::challenge::Challenge>,
    /// The form filled in beforehand (a 示范单位's page links here for complaints).
    prefill: ReportPrefill,
}

/// What the report form may be opened with: the department, the subject's name and code.
#[derive(Debug, Default, Deserialize)]
pub struct ReportPrefill {
    #[serde(default)]
    department: String,
    #[serde(default)]
    subject_name: String,
    #[serde(default)]
    subject_code: String,
}

async fn report_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    error: Option<String>,
    prefill: ReportPrefill,
) -> Result<Response, ApiError> {
    let departments = app.store.departments().await?.into_iter().map(|d| (d.uscc, d.name)).collect();
    let challenge = challenge_for(app, p);
    let prefill = ReportPrefill {
        department: prefill.department.chars().take(18).collect(),
        subject_name: credo_app::public::mask_ids(&prefill.subject_name.chars().take(200).collect::<String>()),
        subject_code: prefill.subject_code.chars().take(18).collect(),
    };
    render(&ReportPage { chrome: Chrome::of(p, headers), departments, error, challenge, prefill })
}

pub async fn report_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(prefill): Query<ReportPrefill>,
) -> Result<Response, ApiError> {
    report_page(&app, &p, &headers, None, prefill).await
}

pub async fn report(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let (fields, files) = form_with_files(&app, req).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let o = ReportIn {
        department: get("department"),
        subject_name: get("subject_name"),
        subject_code: Some(get("subject_code")).filter(|c| !c.trim().is_empty()),
        content: get("content"),
        reporter: contact(&fields),
        files,
        challenge: challenge_answer(&fields),
    };
    let filed = async {
        cases::admit_filing(&app, &p, client, o.challenge.as_ref()).await?;
        cases::file_report(&app, &p, &o).await
    };
    match filed.await {
        Ok(v) => Ok(see_other(&format!("/cases/{}?filed=1", v["number"].as_str().unwrap_or_default()), None)),
        Err(e) if e.is_client_error() => {
            let again = ReportPrefill {
                department: o.department.clone(),
                subject_name: o.subject_name.clone(),
                subject_code: o.subject_code.clone().unwrap_or_default(),
            };
            report_page(&app, &p, &headers, Some(e.detail), again).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A case as its tracking page shows it (no applicant, no evidence).
pub struct CaseView {
    pub number: String,
    pub kind: String,
    pub state: String,
    pub filed: String,
    pub due: String,
    pub overdue: bool,
    pub outcome: String,
    pub reply: String,
    pub steps: Vec<(String, String)>,
    pub record_id: Option<i64>,
}

pub fn case_view(c: &Case, today: Date, calendar: &Calendar) -> CaseView {
    let t = cases::tracking(c, today, calendar);
    let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
    CaseView {
        number: c.number.clone(),
        kind: s("kind_label"),
        state: c.state.clone(),
        filed: credo_app::beijing::stored_day(&c.filed_at).map(|d| d.to_string()).unwrap_or_default(),
        due: match (c.due_on, cases::due_note(c, calendar)) {
            (Some(d), Some(note)) => format!("{d}({note})"),
            (Some(d), None) => d.to_string(),
            (None, _) => String::new(),
        },
        overdue: t["overdue"].as_bool().unwrap_or(false),
        outcome: c.outcome.clone().unwrap_or_default(),
        reply: c.outcome_reason.clone().unwrap_or_default(),
        steps: c
            .steps
            .iter()
            .map(|x| (credo_app::beijing::stored(&x.at), cases::step_label(&x.step).to_string()))
            .collect(),
        record_id: c.record_id,
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    case: Option<CaseView>,
    number: String,
    filed: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct CaseQuery {
    #[serde(default)]
    number: String,
    #[serde(default)]
    filed: String,
}

pub async fn case_lookup(
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<CaseQuery>,
) -> Result<Response, ApiError> {
    let number = q.number.trim().to_uppercase();
    if !number.is_empty() {
        return Ok(see_other(&format!("/cases/{number}"), None));
    }
    render(&CasePage { chrome: Chrome::of(&p, &headers), case: None, number, filed: false })
}

pub async fn case(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, ApiError> {
    let c = app
        .store
        .case(&number)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("没有编号为 {number} 的案件,请核对办理编号")))?;
    render(&CasePage {
        chrome: Chrome::of(&p, &headers),
        case: Some(case_view(&c, app.clock.today(), &app.catalog.calendar)),
        number,
        filed: !q.filed.is_empty(),
    })
}
