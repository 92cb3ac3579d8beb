//! The checker's pages (联合奖惩核查): the check form for one subject, a list typed in, or a file checked in the
//! background; the signed receipt in words with its feedback forms; the department's past checks and the hits
//! still waiting for feedback. The same services as `/api/v1/checks` ([`credo_app::checks`]) and the same audit: a
//! check logs one event per subject asked about.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use credo_app::checks::{self, Asker, CheckRequest};
use credo_app::principal::Principal;
use credo_app::{App, Code};
use serde::Deserialize;
use serde_json::Value;

use super::chrome::{Chrome, refused, render, see_other};
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;

/// A scene the department may use: code and name.
type Scene = (String, String);

fn department(p: &Principal) -> Result<&credo_store::Department, ApiError> {
    p.department().ok_or_else(|| ApiError::forbidden("核查须以部门核查员账号进行"))
}

fn scenes(app: &App, d: &credo_store::Department) -> Vec<Scene> {
    app.catalog
        .measures
        .scenes
        .iter()
        .filter(|s| d.permissions.scenes.contains(&s.code))
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect()
}

/// A past check in the history table.
pub struct PastCheck {
    pub id: String,
    pub scene: String,
    pub at: String,
    pub subjects: i64,
    pub hits: i64,
    pub answered: i64,
}

#[derive(Template)]
#[template(path = "checks.html")]
struct ChecksPage {
    chrome: Chrome,
    department: String,
    scenes: Vec<Scene>,
    /// What was typed, kept after a refusal.
    form: CheckForm,
    error: Option<String>,
    past: Vec<PastCheck>,
    pending: Vec<super::console::PendingRow>,
    max_subjects: usize,
}

async fn checks_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    form: CheckForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let d = department(p)?;
    let past = app
        .store
        .recent_checks(Some(d.id), 50)
        .await?
        .into_iter()
        .map(|c| PastCheck {
            scene: super::console::scene_name(app, &c.scene),
            at: credo_app::beijing::stored(&c.created_at),
            id: c.id,
            subjects: c.subjects,
            hits: c.hits,
            answered: c.answered,
        })
        .collect();
    let pending = super::console::pending_rows(app, app.store.pending_feedback(Some(d.id), 100).await?).await?;
    let page = ChecksPage {
        chrome: Chrome::of(p, headers),
        department: d.name.clone(),
        scenes: scenes(app, d),
        form,
        error,
        past,
        pending,
        max_subjects: checks::MAX_SUBJECTS,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

pub async fn checks_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    checks_page(&app, &p, &headers, CheckForm::default(), None).await
}

impl CheckForm {
    /// The request the form asks, for `subjects`.
    fn request(&self, subjects: Vec<String>) -> CheckRequest {
        CheckRequest {
            scene: self.scene.clone(),
            purpose: self.purpose.clone(),
            reference: Some(self.reference.trim().to_string()).filter(|r| !r.is_empty()),
            subjects,
            as_of: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    scene: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    reference: String,
    /// One subject per line: a code or a name.
    #[serde(default)]
    subjects: String,
}

/// One subject or a typed list: checked at once, then the receipt's page.
pub async fn check(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    headers: HeaderMap,
    Form(f): Form<CheckForm>,
) -> Result<Response, ApiError> {
    let d = department(&p)?;
    let (actor, role, _) = p.actor();
    let asker = Asker { department: Some(d), actor, role, client: client.map(|c| c.to_string()) };
    let req = f.request(f.subjects.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect());
    match checks::run(&app, &asker, &req).await {
        Ok(signed) => {
            let id = signed["receipt"]["id"].as_str().unwrap_or_default();
            Ok(see_other(&format!("/console/checks/{id}"), None))
        }
        Err(e) => {
            let e = credo_app::Error::from(e);
            if !e.is_client_error() {
                return Err(e.into());
            }
            checks_page(&app, &p, &headers, f, Some(e.detail)).await
        }
    }
}

/// A file of subjects: checked in the background, then the job's page.
pub async fn check_file(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let d = department(&p)?.clone();
    let mut f = CheckForm::default();
    let mut file = None;
    while let Some(field) = form.next_field().await? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("subjects.csv").to_string();
                let bytes = field.bytes().await?;
                file = Some((name, bytes)).filter(|(_, b)| !b.is_empty());
            }
            "scene" => f.scene = field.text().await?,
            "purpose" => f.purpose = field.text().await?,
            "reference" => f.reference = field.text().await?,
            _ => {}
        }
    }
    let Some((name, bytes)) = file else {
        return checks_page(&app, &p, &headers, f, Some("请选择主体名单文件(CSV 或 XLSX)".into())).await;
    };
    let req = f.request(Vec::new());
    match checks::submit_job(&app, &d, p.actor().0, req, name, bytes).await {
        Ok((id, _)) => Ok(see_other(&format!("/console/checks/jobs/{id}"), None)),
        Err(e) if e.is_client_error() && e.code != Code::Forbidden => {
            checks_page(&app, &p, &headers, f, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One record a measure rests on.
pub struct Evidence {
    pub href: String,
    pub item: String,
    pub decided_on: String,
    pub note: Option<String>,
}

/// One measure that applies, in words.
pub struct MeasureView {
    pub name: String,
    pub decision: String,
    pub effect: String,
    pub basis: String,
    pub unconfirmed: bool,
    /// Through another subject (as its 法定代表人 …).
    pub via: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// One subject asked about.
pub struct ResultView {
    pub position: i64,
    pub input: String,
    pub subject: Option<String>,
    pub subject_href: Option<String>,
    pub code: String,
    /// 禁止, 限制, 激励 …; for an unresolved input, why.
    pub decision: String,
    /// The decision is something to act on (not 无): feedback is asked for.
    pub hit: bool,
    pub measures: Vec<MeasureView>,
    pub candidates: Vec<String>,
    /// Feedback already given: what, and when (北京时间), and the reason.
    pub feedback: Option<(String, String, Option<String>)>,
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    chrome: Chrome,
    id: String,
    issued_at: String,
    scene: String,
    purpose: String,
    reference: String,
    as_of: String,
    measures_version: String,
    results: Vec<ResultView>,
    actions: [&'static str; 3],
    error: Option<String>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn result_view(r: &Value) -> ResultView {
    let status = r["status"].as_str().unwrap_or_default();
    let decision = match status {
        "resolved" => text(&r["decision_label"]),
        "ambiguous" if r["reason"] == "person_by_name" => "仅凭姓名无法确定自然人,请按居民身份证号码核查".into(),
        "ambiguous" => "名称对应多个主体,请按代码核查".into(),
        _ => "未找到该主体".into(),
    };
    let measures = r["measures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| MeasureView {
            name: text(&m["name"]),
            decision: text(&m["decision_label"]),
            effect: text(&m["effect"]),
            basis: serde_json::from_value::<Vec<credo_domain::measures::Basis>>(m["basis"].clone())
                .map(|b| credo_domain::measures::Basis::cite_all(&b))
                .unwrap_or_default(),
            unconfirmed: m["basis_note"].is_string(),
            via: m["via"]["of"]["name"].as_str().map(|of| format!("作为{}的{}", of, text(&m["via"]["as"]))),
            evidence: m["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| Evidence {
                    href: format!("/records/{}", e["record_id"].as_i64().unwrap_or_default()),
                    item: text(&e["item_name"]),
                    decided_on: text(&e["decided_on"]),
                    note: e["state"].as_str().or(e["note"].as_str()).map(String::from),
                })
                .collect(),
        })
        .collect();
    let subject = &r["subject"];
    ResultView {
        position: r["position"].as_i64().unwrap_or_default(),
        input: text(&r["input"]),
        subject: subject["name"].as_str().map(String::from),
        subject_href: subject["id"].as_i64().map(|id| format!("/subjects/id-{id}")),
        code: text(&subject["code"]),
        hit: status == "resolved" && r["decision"].as_str().is_some_and(|d| d != "clear"),
        decision,
        measures,
        candidates: r["candidates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{} {}", text(&c["name"]), text(&c["code"])).trim().to_string())
            .collect(),
        feedback: None,
    }
}

async fn check_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    id: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let stored = checks::own_check(app, department(p)?, id).await?;
    let receipt: Value = serde_json::from_str(&stored.receipt).map_err(ApiError::internal)?;
    let feedback = app.store.check_feedback(id).await?;
    let results = receipt["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut v = result_view(r);
            v.feedback = feedback
                .iter()
                .find(|f| f.position == v.position)
                .map(|f| (f.action.clone(), credo_app::beijing::stored(&f.at), f.reason.clone()));
            v
        })
        .collect();
    let page = CheckPage {
        chrome: Chrome::of(p, headers),
        id: stored.id,
        issued_at: credo_app::beijing::stored(receipt["issued_at"].as_str().unwrap_or_default()),
        scene: text(&receipt["scene"]["name"]),
        purpose: text(&receipt["purpose"]),
        reference: text(&receipt["reference"]),
        as_of: text(&receipt["as_of"]),
        measures_version: text(&receipt["measures_version"]),
        results,
        actions: checks::FEEDBACK,
        error,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

pub async fn receipt_page(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_page(&app, &p, &headers, &id, None).await
}

/// The signed receipt as a file (the same JSON as `GET /api/v1/checks/{id}`), to keep with the case file and to
/// verify offline or on `/verify`.
pub async fn receipt_file(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = checks::own_check(&app, department(&p)?, &id).await?;
    let body = checks::stored_receipt(&app, &stored)?;
    let disposition = format!("attachment; filename=\"{}.json\"", stored.id.replace(['"', '\\'], ""));
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        serde_json::to_string_pretty(&body).map_err(ApiError::internal)?,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    position: i64,
    action: String,
    #[serde(default)]
    reason: String,
}

/// 反馈: what the department did with one result; back to the receipt.
pub async fn feedback(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<FeedbackForm>,
) -> Result<Response, ApiError> {
    let d = department(&p)?;
    let actor = p.actor().0;
    match checks::feedback(&app, d, &actor, &id, f.position, &f.action, Some(&f.reason)).await {
        Ok(()) => Ok(see_other(&format!("/console/checks/{id}#result-{}", f.position), None)),
        Err(e) if e.is_client_error() && !matches!(e.status(), 403 | 404) => {
            check_page(&app, &p, &headers, &id, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "check_job.html")]
struct JobPage {
    chrome: Chrome,
    job: checks::Job,
    scene: String,
}

/// A file check's progress, with a receipt per part (the page refreshes itself while it runs).
pub async fn job(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = checks::own_job(&app, department(&p)?, &id).await?;
    render(&JobPage { chrome: Chrome::of(&p, &headers), scene: super::console::scene_name(&app, &job.scene), job })
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    kind: String,
}

/// 授权查询: the subject's credit report for the department, under the subject's authorisation (the PDF, or the
/// checks page with the refusal). A form posted (the code stays out of URLs and histories; each report is counted
/// and logged).
pub async fn authorised_report(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<ReportForm>,
) -> Result<Response, ApiError> {
    use credo_app::reports::{self, Channel};
    department(&p)?;
    let kind = if f.kind.is_empty() { "public" } else { f.kind.as_str() };
    let issued = async {
        let (audience, key) = reports::audience(&app, &p, Channel::Authorised, f.code.trim(), "").await?;
        let asked = reports::Asked { key: &key, kind, as_of: None, field: None };
        let built = reports::build(&app, asked, audience, reports::font()?).await?;
        reports::issue(&app, &p, built).await
    };
    match issued.await {
        Ok((report, pdf)) => Ok(crate::api::subjects::pdf_response(&report, pdf)),
        Err(e) if e.is_client_error() => checks_page(&app, &p, &headers, CheckForm::default(), Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}
