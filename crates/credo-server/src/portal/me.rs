//! The subject's own pages (信用主体账号): its records with every field (its own non-public ones too) and their
//! publicity, who looked at it and why, its cases, credit repair and commitments.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

use super::cases::{CaseView, case_view};
use super::chrome::{Chrome, render, see_other};
use super::rows::{Row, own_row};
use crate::Web;
use crate::error::ApiError;
use credo_app::App;
use credo_app::Code;
use credo_app::cases::{self, CommitIn, RepairIn};
use credo_app::principal::{Principal, Role};

pub struct OwnRecord {
    pub row: Row,
    pub fields: Vec<(String, String)>,
    pub repairable: bool,
    /// Shown in public today (its page exists).
    pub public: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    chrome: Chrome,
    name: String,
    records: Vec<OwnRecord>,
    log: Vec<(String, String, String, String)>,
    cases: Vec<CaseView>,
    departments: Vec<(String, String)>,
    error: Option<String>,
    /// `id-N`: the report links.
    key: String,
    /// Departments by id, for authorisations.
    department_ids: Vec<(i64, String)>,
    /// Authorisations: id, department, purpose, last day, state, whether it can be withdrawn.
    authorisations: Vec<(i64, String, String, String, &'static str, bool)>,
    /// Reports issued about the subject: number, title, through whom, day shown, when.
    reports: Vec<(String, String, String, String, String)>,
    max_days: i64,
    /// A person: the occupational report is offered too.
    person: bool,
    /// Open products the subject's kind may apply for: id, name with its lender and amounts.
    products: Vec<(i64, String)>,
    /// Its applications (see [`super::finance::LoanRow`]).
    loans: Vec<super::finance::LoanRow>,
    /// Its 示范单位 applications: year, state, reason; and whether it may apply (organisations).
    honours: Vec<(i64, &'static str, String)>,
    may_honour: bool,
    /// Its grades under every scheme: scheme, grade label, score, the reasons.
    grades: Vec<(String, String, i64, Vec<String>)>,
}

fn own_account(p: &Principal) -> Result<(&credo_store::Account, i64), ApiError> {
    match p {
        Principal::Account { account, role: Role::Subject, .. } => {
            Ok((account, account.subject_id.ok_or_else(|| ApiError::forbidden("账号未绑定信用主体"))?))
        }
        _ => Err(ApiError::forbidden("请以信用主体账号登录")),
    }
}

async fn page(app: &App, p: &Principal, headers: &HeaderMap, error: Option<String>) -> Result<Response, ApiError> {
    let (account, subject_id) = own_account(p)?;
    let subject = app.store.subject(subject_id).await?.ok_or_else(|| ApiError::not_found("绑定的信用主体不存在"))?;
    let today = app.clock.today();
    let records = app.store.subject_records(subject_id).await?;
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let mut own = Vec::new();
    for r in &records {
        let Some((row, public)) = own_row(app, r, disputed.contains(&r.id), today) else { continue };
        let item = app.catalog.item(&r.item);
        let fields = item
            .map(|i| i.fields.iter().filter_map(|f| Some((f.name.clone(), r.fields.get(&f.code)?.clone()))).collect())
            .unwrap_or_default();
        let repairable = cases::repairable(app, r, today).is_ok();
        own.push(OwnRecord { row, fields, repairable, public });
    }
    let me = account.username.clone();
    let departments = app.store.departments().await?;
    let log = app
        .store
        .audit_for_target(&format!("subject:{subject_id}"), 200)
        .await?
        .into_iter()
        .filter(|e| e.event.actor != me)
        .map(|e| {
            // Who: the department by name; else the platform's staff by role.
            let who = match &e.event.department {
                Some(uscc) => departments
                    .iter()
                    .find(|d| &d.uscc == uscc)
                    .map(|d| d.name.clone())
                    .unwrap_or_else(|| format!("统一社会信用代码为 {uscc} 的部门")),
                None => Role::parse(&e.event.role).map_or("西宁市公共信用信息中心", Role::label).to_string(),
            };
            (
                credo_app::beijing::stored(&e.at),
                who,
                access_label(app, &e.event.action),
                e.event.purpose.unwrap_or_default(),
            )
        })
        .collect();
    let mine =
        app.store.cases(&credo_store::CaseFilter { account_id: Some(account.id), ..Default::default() }, 200).await?;
    let dept_name = |id: i64| {
        departments.iter().find(|d| d.id == id).map(|d| d.name.clone()).unwrap_or_else(|| format!("部门 {id}"))
    };
    let authorisations = app
        .store
        .authorisations(subject_id)
        .await?
        .into_iter()
        .map(|a| {
            let state = match (&a.revoked_at, a.expires_on < today) {
                (Some(_), _) => "已撤回",
                (None, true) => "已过期",
                (None, false) => "有效",
            };
            (a.id, dept_name(a.department_id), a.purpose, a.expires_on.to_string(), state, state == "有效")
        })
        .collect();
    let reports = app
        .store
        .subject_reports(subject_id, 50)
        .await?
        .into_iter()
        .map(|r| {
            let title = serde_json::from_str::<credo_app::reports::VerifiedSummary>(&r.summary)
                .map(|s| s.title)
                .unwrap_or_else(|_| r.kind.clone());
            let through = match r.channel.as_str() {
                "own" => "本人查询",
                "authorised" => "授权查询",
                _ => "社会公众查询",
            };
            (r.number, title, through.to_string(), r.as_of.to_string(), credo_app::beijing::format(r.issued_at))
        })
        .collect();
    let products = credo_app::finance::listed(app)
        .await?
        .into_iter()
        .filter(|l| l.product.closed_at.is_none() && l.product.kinds.iter().any(|k| k == subject.kind.as_str()))
        .map(|l| {
            let range = format!(
                "{}–{} 万元",
                credo_app::finance::wan(l.product.min_amount),
                credo_app::finance::wan(l.product.max_amount)
            );
            (l.product.id, format!("{}({},{range})", l.product.name, l.lender))
        })
        .collect();
    let loans = credo_app::finance::own(app, p).await?.into_iter().map(super::finance::LoanRow::of).collect();
    let honours = credo_app::honours::own(app, p)
        .await?
        .into_iter()
        .map(|l| (l.honour.year, l.state_label, l.honour.reason.unwrap_or_default()))
        .collect();
    let may_honour = app.catalog.honours.as_ref().is_some_and(|s| s.kinds.iter().any(|k| k == subject.kind.as_str()));
    let grades = credo_app::grades::of_subject(app, &subject)
        .await?
        .into_iter()
        .map(|g| (g.scheme_name, g.grade_label, g.score, g.reasons.into_iter().map(|r| r.text).collect()))
        .collect();
    render(&MePage {
        grades,
        honours,
        may_honour,
        products,
        loans,
        chrome: Chrome::of(p, headers),
        person: subject.kind == credo_domain::catalog::SubjectKind::Person,
        name: subject.name,
        records: own,
        log,
        cases: mine.iter().map(|c| case_view(c, today, &app.catalog.calendar)).collect(),
        department_ids: departments.iter().map(|d| (d.id, d.name.clone())).collect(),
        departments: departments.into_iter().map(|d| (d.uscc, d.name)).collect(),
        error,
        key: format!("id-{subject_id}"),
        authorisations,
        reports,
        max_days: credo_app::reports::MAX_AUTHORISATION_DAYS,
    })
}

/// What an access to the subject was, in words: a check (`check.zfcg`) names its scene.
fn access_label(app: &App, action: &str) -> String {
    match action.strip_prefix("check.") {
        Some(scene) => match app.catalog.measures.scene(scene) {
            Some(s) => format!("联合奖惩核查({})", s.name),
            None => "联合奖惩核查".to_string(),
        },
        None if action == "report.authorised" => "授权查询信用报告".to_string(),
        None if action == "report.authorised.refused" => "请求授权查询信用报告(未获授权,未出具)".to_string(),
        None => "查阅信用信息".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub struct AuthoriseForm {
    department: i64,
    purpose: String,
    days: i64,
}

/// 授权查询: the subject authorises a department to obtain its credit report.
pub async fn authorise(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<AuthoriseForm>,
) -> Result<Response, ApiError> {
    match credo_app::reports::authorise(&app, &p, f.department, &f.purpose, f.days).await {
        Ok(_) => Ok(see_other("/me#authorisations", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

/// Withdraws an authorisation.
pub async fn withdraw(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ApiError> {
    match credo_app::reports::withdraw_authorisation(&app, &p, id).await {
        Ok(()) => Ok(see_other("/me#authorisations", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn me(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    page(&app, &p, &headers, None).await
}

/// 申请信用修复 from the page: a multipart form (reason and the proof of performance as files).
pub async fn repair(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (fields, files) = super::cases::form_with_files(&app, req).await?;
    let record = fields
        .get("record")
        .and_then(|r| r.trim().parse().ok())
        .ok_or_else(|| ApiError::new(Code::BadForm, "缺少记录编号"))?;
    let reason = fields.get("reason").cloned().unwrap_or_default();
    match cases::file_repair(&app, &p, &RepairIn { record, reason, files }).await {
        Ok(v) => Ok(see_other(&format!("/cases/{}?filed=1", v["number"].as_str().unwrap_or_default()), None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CommitForm {
    department: String,
    kind: String,
    matter: String,
    content: String,
}

pub async fn commit(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<CommitForm>,
) -> Result<Response, ApiError> {
    let o = CommitIn { department: f.department, kind: f.kind, matter: f.matter, content: f.content };
    match cases::commit(&app, &p, &o).await {
        Ok(v) => Ok(see_other(&format!("/records/{}", v["record_id"].as_i64().unwrap_or_default()), None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoanForm {
    product: i64,
    amount: f64,
    #[serde(default)]
    purpose: String,
}

/// 融资申请 from the subject's page.
pub async fn apply_loan(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<LoanForm>,
) -> Result<Response, ApiError> {
    let r = credo_app::finance::ApplyRequest { product: f.product, amount: f.amount, purpose: f.purpose };
    match credo_app::finance::apply(&app, &p, &r).await {
        Ok(_) => Ok(see_other("/me#loans", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

/// Withdraws an application and the authorisation it gave.
pub async fn withdraw_loan(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ApiError> {
    match credo_app::finance::withdraw(&app, &p, id).await {
        Ok(_) => Ok(see_other("/me#loans", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct GovComplaintForm {
    #[serde(default)]
    body_code: String,
    #[serde(default)]
    body_name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    matter: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    content: String,
}

/// 政务失信投诉 from the enterprise's own page: the case's number in its list of cases, or the page with why not.
pub async fn gov_complaint(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<GovComplaintForm>,
) -> Result<Response, ApiError> {
    let o = credo_app::integrity::ComplaintIn {
        body_code: f.body_code,
        body_name: f.body_name,
        category: f.category,
        matter: f.matter,
        amount: Some(f.amount),
        due_on: Some(f.due_on),
        content: f.content,
        files: Vec::new(),
    };
    match credo_app::integrity::file_complaint(&app, &p, &o).await {
        Ok(_) => Ok(see_other("/me#cases", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct HonourForm {
    #[serde(default)]
    statement: String,
}

/// 申报诚信建设示范单位 from the unit's page.
pub async fn apply_honour(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<HonourForm>,
) -> Result<Response, ApiError> {
    match credo_app::honours::apply(&app, &p, &f.statement).await {
        Ok(_) => Ok(see_other("/me#honours", None)),
        Err(e) if e.is_client_error() => page(&app, &p, &headers, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}
