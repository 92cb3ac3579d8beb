//! Signed-in pages: sign-in, the department console (cases with their deadlines, decisions, uploads with the
//! row-level report) and the operators' dashboards.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use credo_store::{BatchSummary, Case, CaseFilter};
use serde::Deserialize;
use time::Date;

use super::cases::{CaseView, case_view};
use super::charts;
use super::chrome::{Chrome, refused, render, see_other};
use crate::error::ApiError;
use crate::guard::ClientAddr;
use crate::{Web, api};
use credo_app::App;
use credo_app::cases::{self, DecideIn, ListQuery, Viewer};
use credo_app::principal::{Principal, Role};
use credo_domain::cases::{self as rules, Action, Kind};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    next: String,
    error: Option<String>,
}

impl SignInPage {
    /// Where to go after signing in, for the 统一身份认证 link's query string.
    fn next_encoded(&self) -> String {
        super::chrome::percent(&self.next)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// Only a path on this site is followed after signing in: `/` then not a second slash or backslash (browsers
/// read `/\\host` as `//host`), no backslashes or control characters anywhere.
pub(super) fn local(next: &str) -> String {
    let mut chars = next.chars();
    let on_site = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c == '\\' || c.is_control());
    if on_site { next.to_string() } else { String::new() }
}

pub async fn sign_in_form(
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<Next>,
) -> Result<Response, ApiError> {
    render(&SignInPage { chrome: Chrome::of(&p, &headers), next: local(&q.next), error: None })
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(app): State<Web>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Form(f): Form<SignInForm>,
) -> Result<Response, ApiError> {
    let totp = Some(f.totp.trim()).filter(|t| !t.is_empty());
    match api::session::start_session(&app, client, f.username.trim(), &f.password, totp).await {
        Ok((cookie, account, _)) => {
            let home = match credo_app::principal::Role::parse(&account.role) {
                Some(Role::Subject) => "/me",
                Some(Role::Sysadmin | Role::Secadmin | Role::Auditor) => "/admin",
                _ => "/console",
            };
            let next = local(&f.next);
            Ok(see_other(if next.is_empty() { home } else { &next }, Some(cookie)))
        }
        Err(e) if e.is_client_error() => {
            render(&SignInPage { chrome: Chrome::default(), next: local(&f.next), error: Some(e.0.detail) })
        }
        Err(e) => Err(e),
    }
}

pub async fn sign_out(State(app): State<Web>, headers: HeaderMap) -> Result<Response, ApiError> {
    Ok(see_other("/", Some(api::session::end_session(&app, &headers).await?)))
}

pub struct InboxRow {
    pub case: CaseView,
    pub subject: String,
    /// The subject's public page, when it has one.
    pub subject_href: Option<String>,
}

/// A check result waiting for the department's feedback, in words.
pub struct PendingRow {
    pub check_id: String,
    pub position: i64,
    pub scene: String,
    pub decision: &'static str,
    /// When it was checked, in Beijing time.
    pub checked_at: String,
    pub subject: String,
    pub subject_href: Option<String>,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    chrome: Chrome,
    department: String,
    role: &'static str,
    handles: bool,
    submits: bool,
    inbox: Vec<InboxRow>,
    overdue: usize,
    /// The department's recent batches with their item's name.
    batches: Vec<(BatchSummary, String)>,
    unresolved: Vec<super::rows::Row>,
    /// The department's newest records, and whether each is shown in public today (its page exists).
    records: Vec<(super::rows::Row, bool)>,
    pending: Vec<PendingRow>,
    /// A checker: the check pages are linked.
    checks: bool,
    /// A checker of a lender (金融机构): the financing console is linked.
    lends: bool,
    /// Withdrawal deadlines: the department's own (platform staff: all departments).
    lateness: Option<Lateness>,
}

fn account_role(p: &Principal) -> Option<Role> {
    match p {
        Principal::Account { role, .. } => Some(*role),
        _ => None,
    }
}

async fn subject_name(app: &App, c: &Case) -> String {
    match (c.subject_id, c.content["subject_name"].as_str()) {
        (_, Some(name)) => name.to_string(),
        (Some(id), None) => app.store.subject(id).await.ok().flatten().map(|s| s.name).unwrap_or_default(),
        _ => String::new(),
    }
}

pub async fn console(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let role = account_role(&p).ok_or_else(|| ApiError::forbidden("请以部门或平台工作人员账号登录"))?;
    let department = p.department();
    let handles = matches!(role, Role::Handler | Role::Reviewer);
    let today = app.clock.today();
    let mut inbox = Vec::new();
    if handles {
        let list = cases::list(&app, &p, &ListQuery::default()).await?;
        for n in list.cases.iter().map(|c| c.number.as_str()) {
            if let Some(c) = app.store.case(n).await? {
                inbox.push(InboxRow {
                    subject: subject_name(&app, &c).await,
                    subject_href: super::rows::public_subject_href(&app, c.subject_id).await,
                    case: case_view(&c, today, &app.catalog.calendar),
                });
            }
        }
    }
    let overdue = inbox.iter().filter(|r| r.case.overdue).count();
    let submits = role == Role::Submitter;
    let batches = match (submits, department) {
        (true, Some(d)) => app
            .store
            .recent_batches(Some(d.id), 10)
            .await?
            .into_iter()
            .map(|b| {
                let name = item_name(&app, &b.item);
                (b, name)
            })
            .collect(),
        _ => Vec::new(),
    };
    let pending = match (role, department) {
        (Role::Checker, Some(d)) => pending_rows(&app, app.store.pending_feedback(Some(d.id), 100).await?).await?,
        _ => Vec::new(),
    };
    // The department's newest records, in whatever state (its own data).
    let records = match department {
        Some(d) if matches!(role, Role::Submitter | Role::Handler) => app
            .store
            .department_records(d.id, 20)
            .await?
            .iter()
            .filter_map(|r| super::rows::own_row(&app, r, false, today))
            // A record not shown in public has no page, and its subject may have none either.
            .map(|(mut x, shown)| {
                if !shown {
                    x.subject_href = None;
                }
                (x, shown)
            })
            .collect(),
        _ => Vec::new(),
    };
    // Records of this department that matched no subject yet (first page of the queue).
    let unresolved = match (submits, department) {
        (true, Some(d)) => app
            .store
            .unresolved(Some(d.id), 50, 0)
            .await?
            .iter()
            .filter_map(|r| super::rows::own_row(&app, r, false, today).map(|(x, _)| x))
            .take(50)
            .collect(),
        _ => Vec::new(),
    };
    let lateness = match role {
        Role::Submitter | Role::Handler | Role::Reviewer => {
            Some(lateness(&app, department.map(|d| d.id), today).await?)
        }
        _ => None,
    };
    render(&ConsolePage {
        chrome: Chrome::of(&p, &headers),
        department: department.map(|d| d.name.clone()).unwrap_or_else(|| "西宁市公共信用信息中心".into()),
        role: role.label(),
        handles,
        submits,
        inbox,
        overdue,
        batches,
        unresolved,
        records,
        pending,
        checks: role == Role::Checker,
        lends: role == Role::Checker && department.is_some_and(|d| d.permissions.lending),
        lateness,
    })
}

/// An item's name (its code only if the catalog no longer has it).
pub(super) fn item_name(app: &App, code: &str) -> String {
    app.catalog.item(code).map(|i| i.name.clone()).unwrap_or_else(|| code.to_string())
}

/// A scene's name (its code only if the measures list no longer has it).
pub(super) fn scene_name(app: &App, code: &str) -> String {
    app.catalog.measures.scene(code).map(|s| s.name.clone()).unwrap_or_else(|| code.to_string())
}

/// Check results waiting for feedback, with their subject, scene and decision in words.
pub(super) async fn pending_rows(
    app: &App,
    pending: Vec<credo_store::PendingFeedback>,
) -> Result<Vec<PendingRow>, ApiError> {
    let mut out = Vec::with_capacity(pending.len());
    for f in pending {
        let subject = match f.subject_id {
            Some(id) => app.store.subject(id).await?.map(|s| credo_app::public::mask_ids(&s.name)),
            None => None,
        };
        out.push(PendingRow {
            scene: scene_name(app, &f.scene),
            decision: credo_domain::measures::Decision::parse(&f.decision).map_or("未知", |d| d.label()),
            checked_at: credo_app::beijing::stored(&f.checked_at),
            subject: subject.unwrap_or_else(|| "未匹配到主体".into()),
            subject_href: super::rows::public_subject_href(app, f.subject_id).await,
            check_id: f.check_id,
            position: f.position,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "console_case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    subject: String,
    subject_href: Option<String>,
    kind: String,
    applicant: Vec<(String, String)>,
    content: Vec<(String, String)>,
    files: Vec<cases::FileView>,
    record: Option<super::rows::Row>,
    outcomes: Vec<&'static str>,
    /// The fields a 更正 may change, with their values now.
    correctable: Vec<Correctable>,
    /// The most working days the 延期 of an objection may add.
    extension_max: u32,
    error: Option<String>,
}

/// A field of the record under objection that a 更正 may change: its code (the form's `field.CODE`), its name, the
/// value it has now (ID numbers masked), the values it may take (none: free text) and its longest length.
pub struct Correctable {
    pub code: String,
    pub name: String,
    pub old: String,
    pub values: Vec<String>,
    pub max_len: Option<usize>,
}

/// The fields of `r` a 更正 may change: every field of its item but the record's identifying ones and the subject's
/// codes (a 更正 may change neither, `cases::decide` refuses).
fn correctable(app: &App, r: &credo_store::RecordView) -> Vec<Correctable> {
    let Some(item) = app.catalog.item(&r.item) else { return Vec::new() };
    let codes = item.subject_code_fields();
    item.fields
        .iter()
        .filter(|f| !item.natural_key.contains(&f.code) && !codes.contains(&f.code.as_str()))
        .map(|f| Correctable {
            old: r.fields.get(&f.code).map(|v| credo_app::public::mask_ids(v)).unwrap_or_default(),
            values: f.values.clone(),
            max_len: f.max_len,
            name: f.name.clone(),
            code: f.code.clone(),
        })
        .collect()
}

/// What `viewer` may do next with a case in its state: the steps the case rules give its role there
/// ([`rules::actions_for`], as `cases::decide` accepts them); none once the case is closed.
fn outcomes(c: &Case, viewer: Viewer) -> Vec<&'static str> {
    let (Some(kind), Some(state), Some(actor)) = (Kind::parse(&c.kind), rules::State::parse(&c.state), viewer.actor())
    else {
        return Vec::new();
    };
    if c.closed_at.is_some() {
        return Vec::new();
    }
    rules::actions_for(kind, state, actor).into_iter().map(Action::as_str).collect()
}

fn pairs(v: &serde_json::Value) -> Vec<(String, String)> {
    fn label(k: &str) -> &str {
        match k {
            "reason" => "理由",
            "commitment" => "信用承诺书",
            "record_version" => "记录版本",
            "subject_name" => "被举报主体",
            "subject_code" => "主体代码",
            "content" => "举报内容",
            "name" => "姓名",
            "phone" => "联系电话",
            "account" => "账号",
            "as" => "身份",
            "reporter" => "举报人",
            "contact" => "联系人",
            _ => "其他",
        }
    }
    let mut out = Vec::new();
    let mut walk = |k: &str, v: &serde_json::Value| match v {
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((label(k).to_string(), s.clone())),
        other => out.push((label(k).to_string(), other.to_string())),
    };
    for (k, v) in v.as_object().into_iter().flatten() {
        match v.as_object() {
            Some(inner) => inner.iter().for_each(|(k2, v2)| walk(k2, v2)),
            None => walk(k, v),
        }
    }
    out
}

/// The console's case page: only for the staff who handle the case (404 for anyone else), and only what they may
/// see of it ([`cases::CaseDetail`]).
async fn case_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    number: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (c, detail) = cases::read(app, p, number).await?;
    let today = app.clock.today();
    let open_objection = c.closed_at.is_none() && c.kind == "objection";
    let versions = match c.record_id {
        Some(id) => app.store.records_by_ids(&[id]).await?,
        None => Vec::new(),
    };
    let record = versions.first().and_then(|r| super::rows::own_row(app, r, open_objection, today)).map(|(r, _)| r);
    let outcomes = outcomes(&c, detail.viewer);
    let correctable = match versions.first() {
        Some(r) if outcomes.contains(&"更正") => correctable(app, r),
        _ => Vec::new(),
    };
    let mut case = case_view(&c, today, &app.catalog.calendar);
    case.reply = detail.reply.clone().unwrap_or_default();
    let page = CasePage {
        chrome: Chrome::of(p, headers),
        subject: subject_name(app, &c).await,
        subject_href: super::rows::public_subject_href(app, c.subject_id).await,
        kind: c.kind.clone(),
        applicant: detail.applicant.as_ref().map(pairs).unwrap_or_default(),
        content: pairs(&detail.content),
        files: detail.files,
        record,
        outcomes,
        correctable,
        extension_max: rules::extension_max(&app.catalog.publicity.deadlines),
        case,
        error,
    };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

pub async fn case(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    case_page(&app, &p, &headers, &number, None).await
}

pub async fn decide(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let value = |key: &str| super::chrome::form_value(&pairs, key);
    let (outcome, reason) = (value("outcome"), value("reason"));
    let result = if outcome == "延期" {
        let days = value("extend_days").trim().parse().unwrap_or(0);
        cases::extend(&app, &p, &number, &cases::ExtendIn { days, reason }).await
    } else {
        // 更正: the picker's filled-in fields (`field.CODE`); the ones left empty are not changed.
        let fields: BTreeMap<String, String> = pairs
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("field.")?.to_string(), v.trim().to_string())))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let reward = Some(value("reward")).filter(|r| !r.trim().is_empty());
        cases::decide(&app, &p, &number, &DecideIn { outcome, reason, fields, reward }).await
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/console/cases/{number}"), None)),
        Err(e) if e.is_client_error() && !matches!(e.status(), 403 | 404) => {
            case_page(&app, &p, &headers, &number, Some(e.detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    chrome: Chrome,
    items: Vec<(String, String)>,
    /// The item chosen last (kept selected after an upload).
    selected: String,
    summary: Option<BatchSummary>,
    error: Option<String>,
}

pub(super) fn upload_items(app: &App, p: &Principal) -> Vec<(String, String)> {
    let granted = p.department().map(|d| d.permissions.items.clone()).unwrap_or_default();
    granted.iter().filter_map(|i| Some((i.clone(), app.catalog.item(i)?.name.clone()))).collect()
}

pub async fn upload_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let page = UploadPage {
        chrome: Chrome::of(&p, &headers),
        items: upload_items(&app, &p),
        selected: String::new(),
        summary: None,
        error: None,
    };
    render(&page)
}

pub async fn upload(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let dept = p.department().cloned().ok_or_else(|| ApiError::forbidden("请以部门报送员账号上传"))?;
    let (summary, error) = match api::batches::batch_from_multipart(&app, &dept, req).await {
        Ok(s) => (Some(s), None),
        Err(e) if e.is_client_error() => {
            // The API's messages name its form fields and item codes; the page says what to do.
            let detail = match e.0.code {
                credo_app::Code::MissingItem | credo_app::Code::UnknownItem => "请选择要报送的目录项".to_string(),
                credo_app::Code::MissingFile => "请选择要上传的文件(CSV、XLSX 或 JSON)".to_string(),
                _ => e.0.detail,
            };
            (None, Some(detail))
        }
        Err(e) => return Err(e),
    };
    let selected = summary.as_ref().map(|s| s.item.clone()).unwrap_or_default();
    let page = UploadPage { chrome: Chrome::of(&p, &headers), items: upload_items(&app, &p), selected, summary, error };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

/// One record withdrawn from publication (or still waiting for it) after a change, revocation or removal, measured
/// against its deadline in `publicity.toml` `[[deadlines.withdrawal]]`.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub id: i64,
    pub item_name: String,
    pub subject: String,
    pub subject_id: Option<i64>,
    /// The subject's public page, when it has one.
    pub subject_href: Option<String>,
    pub department: String,
    /// What started the clock (撤销, 移出日期 …) and when.
    pub event: String,
    pub event_on: Date,
    pub deadline: String,
    pub due: Date,
    /// The day the platform stopped showing it (the day it received the change); `None`: still shown.
    pub withdrawn: Option<Date>,
    /// Calendar days past `due` (0: on time).
    pub late_days: i64,
    /// The deadline is not confirmed from the official text.
    pub unverified: bool,
    /// The due day rests on a provisional or missing calendar year.
    pub warning: Option<String>,
}

/// Lateness against the withdrawal deadlines, for one department or all.
#[derive(Debug, Clone, Default)]
pub struct Lateness {
    /// Records with a change, revocation or removal after they were first received.
    pub tracked: usize,
    pub late: usize,
    /// Late and still shown.
    pub pending: usize,
    /// The late ones: those still shown first, then the latest (at most [`LATE_LISTED`]).
    pub rows: Vec<Withdrawal>,
    /// The deadlines: name, what starts them, period, basis, verified.
    pub deadlines: Vec<(String, String, String, String, bool)>,
}

/// How many late records the dashboards list.
pub const LATE_LISTED: usize = 100;

/// The event in one version that starts a withdrawal deadline: a case's 撤销 mark, or a removal date (the item's
/// `ended_by` fields in `publicity.toml`).
fn withdrawal_event(app: &App, v: &credo_store::RecordView) -> Option<(String, Date)> {
    if let Some(m) = credo_domain::publicity::Mark::of(&v.fields).filter(|m| m.kind == "revoked") {
        return Some((format!("撤销({})", m.reference()), m.on));
    }
    let rule = app.catalog.publicity.items.get(&v.item)?;
    let item = app.catalog.item(&v.item)?;
    rule.ended_by.iter().find_map(|f| {
        let d = credo_domain::value::parse_date(v.fields.get(f)?)?;
        Some((item.field(f).map(|x| x.name.clone()).unwrap_or_else(|| f.clone()), d))
    })
}

/// Records of `department` (all when `None`) whose change, revocation or removal came after they were first
/// received, with the day each was due to leave the public site and how late it did (or is still shown).
pub async fn lateness(app: &App, department: Option<i64>, today: Date) -> Result<Lateness, ApiError> {
    let list = &app.catalog.publicity.deadlines.withdrawal;
    let mut items: Vec<&str> = list.iter().flat_map(|d| d.items.iter().map(String::as_str)).collect();
    items.sort_unstable();
    items.dedup();
    let mut out = Lateness {
        deadlines: list
            .iter()
            .map(|d| {
                (d.name.clone(), d.after.clone(), d.period(), credo_app::public::for_citizens(&d.basis), d.verified)
            })
            .collect(),
        ..Lateness::default()
    };
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let versions = app.store.changed_records(&items, department, after, 500).await?;
        let Some(last) = versions.last() else { break };
        after = last.id;
        for record in versions.chunk_by(|a, b| a.id == b.id) {
            // The first version that carries the event; one that came with it from the start was never shown.
            let Some((n, (event, event_on))) =
                record.iter().enumerate().find_map(|(n, v)| withdrawal_event(app, v).map(|e| (n, e)))
            else {
                continue;
            };
            let (first, latest) = (&record[0], &record[record.len() - 1]);
            let authority = app.catalog.publicity.authority(&latest.item, &latest.department_name, &latest.fields);
            let deadline = credo_domain::calendar::Deadline::find(list, &first.item, authority);
            let Some(deadline) = deadline.filter(|_| n > 0) else { continue };
            out.tracked += 1;
            let still_shown = credo_app::public::record(&app.catalog, latest, false, today)
                .is_some_and(|p| p.publicity.state.public());
            let withdrawn = (!still_shown).then(|| credo_app::beijing::day(record[n].received_at).max(event_on));
            let due = deadline.due(&app.catalog.calendar, event_on);
            let late_days = (withdrawn.unwrap_or(today) - due.value).whole_days().max(0);
            if late_days == 0 {
                continue;
            }
            out.late += 1;
            out.pending += usize::from(withdrawn.is_none());
            let item = app.catalog.item(&first.item);
            rows.push(Withdrawal {
                id: first.id,
                item_name: item.map(|i| i.name.clone()).unwrap_or_else(|| first.item.clone()),
                subject: item
                    .map(|i| credo_app::public::mask_ids(&i.subject_ref(&latest.fields).name))
                    .unwrap_or_default(),
                subject_id: latest.subject_id,
                subject_href: None,
                department: first.department_name.clone(),
                event,
                event_on,
                deadline: format!("{}({})", deadline.name, deadline.period()),
                due: due.value,
                withdrawn,
                late_days,
                unverified: !deadline.verified,
                warning: due.warning(),
            });
        }
    }
    rows.sort_by_key(|r| (std::cmp::Reverse(r.withdrawn.is_none()), std::cmp::Reverse(r.late_days), r.id));
    rows.truncate(LATE_LISTED);
    for r in &mut rows {
        r.subject_href = super::rows::public_subject_href(app, r.subject_id).await;
    }
    out.rows = rows;
    Ok(out)
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    charts: Vec<(String, String)>,
    /// Withdrawal deadlines of all departments.
    lateness: Option<Lateness>,
    /// Departments reading the change feed (the provincial platform …) and what they have acknowledged.
    consumers: Vec<credo_app::exchange::ConsumerState>,
    deadline_days: u32,
}

pub async fn dashboard(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let stats = app.store.record_stats().await?;
    // 双公示 timeliness: put online here (first received, the day in Beijing) within the working days
    // `publicity.toml` allows after the decision (发改办财金〔2018〕424号: 7 个工作日). A decision whose deadline had
    // passed before its department joined the platform is history loaded at joining (the demo loads five years at
    // once): it could not have been on time here and is counted apart, not as late.
    let timely_days = app.catalog.publicity.deadlines.publication;
    let joined: BTreeMap<String, Date> =
        app.store.departments().await?.into_iter().map(|d| (d.name, credo_app::beijing::day(d.created_at))).collect();
    let mut history = 0.0;
    let name = |item: &str| app.catalog.item(item).map(|i| i.name.clone()).unwrap_or_else(|| item.to_string());
    let mut by_dept: BTreeMap<String, f64> = BTreeMap::new();
    let mut by_item: BTreeMap<String, f64> = BTreeMap::new();
    let mut by_month: BTreeMap<String, f64> = BTreeMap::new();
    let mut timely: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for s in &stats {
        *by_dept.entry(s.department.clone()).or_default() += s.count as f64;
        *by_item.entry(name(&s.item)).or_default() += s.count as f64;
        if let Some(d) = s.decided_on {
            *by_month.entry(format!("{}-{:02}", d.year(), u8::from(d.month()))).or_default() += s.count as f64;
        }
        if let (true, Some(decided), Some(received)) =
            (s.item == "xzxk" || s.item == "xzcf", s.decided_on, credo_domain::value::parse_date(&s.received_on))
        {
            let due = app.catalog.calendar.add_working_days(decided, timely_days).value;
            if joined.get(&s.department).is_some_and(|j| due < *j) {
                history += s.count as f64;
                continue;
            }
            let t = timely.entry(s.department.clone()).or_default();
            t.1 += s.count as f64;
            if received <= due {
                t.0 += s.count as f64;
            }
        }
    }
    let top = |m: BTreeMap<String, f64>, n: usize| {
        let mut v: Vec<(String, f64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v.truncate(n);
        v
    };
    let months: Vec<(String, f64)> =
        by_month.into_iter().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
    let timely: Vec<(String, f64)> =
        timely.into_iter().map(|(d, (ok, all))| (d, if all > 0.0 { 100.0 * ok / all } else { 0.0 })).collect();
    let mut rejected: BTreeMap<String, f64> = BTreeMap::new();
    let (mut rows, mut refused) = (0.0, 0.0);
    for b in app.store.recent_batches(None, 500).await? {
        rows += b.rows as f64;
        refused += b.rejected as f64;
        for l in b.report.iter().filter(|l| l.severity != "warning") {
            *rejected.entry(credo_app::ingest::issue_label(&l.code).to_string()).or_default() += 1.0;
        }
    }
    // Cases within their deadline: a closed one if it closed by its due day (the day in Beijing), an open one if
    // its due day has not passed.
    let cases = app.store.cases(&CaseFilter::default(), 10_000).await?;
    let today = app.clock.today();
    let mut met: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for c in &cases {
        let e = met.entry(credo_domain::cases::kind_label(&c.kind).to_string()).or_default();
        e.1 += 1.0;
        let by = match &c.closed_at {
            Some(closed) => credo_app::beijing::stored_day(closed),
            None => Some(today),
        };
        if c.due_on.is_none_or(|due| by.is_some_and(|d| d <= due)) {
            e.0 += 1.0;
        }
    }
    let met: Vec<(String, f64)> = met.into_iter().map(|(k, (ok, all))| (k, 100.0 * ok / all.max(1.0))).collect();
    let checks = app.store.check_stats(None).await?;
    let mut volume: BTreeMap<String, f64> = BTreeMap::new();
    let mut answered: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for c in &checks {
        let scene = scene_name(&app, &c.scene);
        *volume.entry(scene.clone()).or_default() += c.subjects as f64;
        let a = answered.entry(scene).or_default();
        a.0 += c.answered as f64;
        a.1 += c.hits as f64;
    }
    let feedback: Vec<(String, f64)> =
        answered.into_iter().filter(|(_, (_, h))| *h > 0.0).map(|(s, (a, h))| (s, 100.0 * a / h)).collect();
    // 信用评价: the public scheme's grades, in all and by district.
    let mut grade_charts = Vec::new();
    if let Some(scheme) = app.catalog.evaluation.public() {
        let counts = app.store.grade_counts(&scheme.code).await?;
        let all: Vec<(String, f64)> = scheme
            .grades
            .iter()
            .map(|g| {
                let n = counts.iter().filter(|c| c.grade == g.code).map(|c| c.subjects).sum::<i64>();
                (format!("{} {}", g.code, g.name), n as f64)
            })
            .collect();
        grade_charts.push((format!("{}等级分布", scheme.name), charts::bars("评价等级分布", &all, " 户")));
        let mut district: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let worst = scheme.grades.last().map(|g| g.code.clone()).unwrap_or_default();
        for c in &counts {
            let name = c
                .region
                .as_deref()
                .and_then(|r| app.catalog.regions.get(r))
                .map_or("未知地区".into(), |r| r.name.clone());
            let e = district.entry(name).or_default();
            e.1 += c.subjects as f64;
            if c.grade == worst {
                e.0 += c.subjects as f64;
            }
        }
        let share: Vec<(String, f64)> =
            district.into_iter().map(|(d, (w, all))| (d, 100.0 * w / all.max(1.0))).collect();
        grade_charts.push((
            format!("各区县 {worst} 级主体占比"),
            charts::bars("各区县最低等级占比", &top(share.into_iter().collect(), 12), "%"),
        ));
    }
    let mut charts = vec![
        ("按部门的信用记录数(前 12)".to_string(), charts::bars("按部门的信用记录数", &top(by_dept, 12), " 条")),
        ("按目录项的信用记录数".to_string(), charts::bars("按目录项的信用记录数", &top(by_item, 12), " 条")),
        ("按决定月份的信用记录数(近 12 个月)".to_string(), charts::bars("按决定月份的信用记录数", &months, " 条")),
        (
            if history > 0.0 {
                format!(
                    "双公示及时率(决定后 {timely_days} 个工作日内上网;另有部门接入平台前的历史信息 {history:.0} 条,不计)"
                )
            } else {
                format!("双公示及时率(决定后 {timely_days} 个工作日内上网)")
            },
            charts::bars("双公示及时率", &top(timely.into_iter().collect(), 12), "%"),
        ),
        (
            format!("拒收行数按问题类别(近 500 批,拒收率 {:.1}%)", 100.0 * refused / rows.max(1.0)),
            charts::bars("拒收行数按问题类别", &top(rejected, 10), " 行"),
        ),
        (
            format!("案件按期率(共 {} 件:已办结的按办结日,办理中的按今日)", cases.len()),
            charts::bars("案件按期率", &met, "%"),
        ),
        ("联合奖惩核查量(按场景,主体数)".to_string(), charts::bars("核查量", &top(volume, 9), " 个")),
        ("核查反馈率(命中后已反馈)".to_string(), charts::bars("核查反馈率", &feedback, "%")),
    ];
    charts.extend(grade_charts);
    let lateness = Some(lateness(&app, None, app.clock.today()).await?);
    let consumers = credo_app::exchange::consumers(&app).await?;
    let deadline_days = app.catalog.publicity.deadlines.publication;
    render(&Dashboard { chrome: Chrome::of(&p, &headers), charts, lateness, consumers, deadline_days })
}

#[derive(Template)]
#[template(path = "admin_catalog.html")]
struct CatalogPage {
    chrome: Chrome,
    items: Vec<(String, String, String, String, String, usize)>,
    measures_version: String,
    measures: usize,
    scenes: Vec<String>,
    publicity_version: String,
    calendar: Vec<(i32, bool)>,
}

/// 目录与规则: the data files the platform runs on, with their versions (read-only: they change by review).
pub async fn catalog(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = &app.catalog;
    render(&CatalogPage {
        chrome: Chrome::of(&p, &headers),
        items: c
            .items
            .values()
            .map(|i| {
                (
                    i.name.clone(),
                    i.version.clone(),
                    i.effective_from.to_string(),
                    i.category.clone(),
                    format!("{:?} · {:?}", i.nature, i.disclosure),
                    i.fields.len(),
                )
            })
            .collect(),
        measures_version: c.measures.version.clone(),
        measures: c.measures.measures.len(),
        scenes: c.measures.scenes.iter().map(|s| s.name.clone()).collect(),
        publicity_version: c.publicity.version.clone(),
        calendar: c.calendar.years.iter().map(|(y, t)| (*y, t.verified)).collect(),
    })
}
