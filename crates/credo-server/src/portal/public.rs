//! The public pages: home, one-stop search, subject pages with their tabs, records with their publicity, case
//! tracking, and the objection and whistleblower forms.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine as _;
use credo_domain::calendar::Calendar;
use credo_domain::catalog::SubjectKind;
use credo_domain::publicity::Start;
use credo_store::{Case, RecordView, Subject};
use serde::Deserialize;
use time::Date;

use super::{Chrome, render, see_other};
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::cases::{self, Contact, FileIn, ObjectionIn, ReportIn};
use credo_app::principal::{Principal, Role};
use credo_app::{App, public as publish};

/// One record as a row of a list: what it is, about whom, when, by whom, its state and why.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub item_name: String,
    pub title: String,
    pub subject: String,
    pub decided: String,
    pub department: String,
    pub state: String,
    pub explanation: String,
}

/// The row of a record on `today` (`None` when its item is not public).
pub fn row(app: &App, r: &RecordView, disputed: bool, today: Date) -> Option<(Row, bool)> {
    let item = app.catalog.item(&r.item)?;
    let p = publish::record(&app.catalog, r, disputed, today)?;
    let title = item.natural_key.first().and_then(|k| r.fields.get(k)).cloned().unwrap_or_default();
    let row = Row {
        id: r.id,
        item_name: item.name.clone(),
        title: publish::mask_ids(&title),
        subject: publish::mask_ids(&item.subject_ref(&r.fields).name),
        decided: r.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        department: r.department_name.clone(),
        state: format!("{:?}", p.publicity.state),
        explanation: p.publicity.explanation.clone(),
    };
    Some((row, p.publicity.state.public()))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    subjects: i64,
    records: i64,
    departments: i64,
    newest: Vec<Row>,
    lists: Vec<(&'static str, &'static str)>,
}

/// How long the home page's counts and newest records are reused: the busiest page does its queries at most this
/// often (a new record shows on the home page within this time; the subject and record pages are always current).
pub const HOME_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the home page shows, as computed at `at` for `day`.
#[derive(Clone)]
pub struct HomeData {
    at: std::time::Instant,
    day: Date,
    counts: credo_store::Counts,
    newest: Vec<Row>,
}

async fn home_data(app: &Web) -> Result<HomeData, ApiError> {
    let today = app.clock.today();
    // Held across the refresh: when the data expires, one request recomputes and the others wait for it.
    let mut cached = app.home.lock().await;
    if let Some(h) = cached.as_ref()
        && h.day == today
        && h.at.elapsed() < HOME_TTL
    {
        return Ok(h.clone());
    }
    let counts = app.store.counts().await?;
    let latest = app.store.latest_records(&["xzxk", "xzcf"], 40).await?;
    let newest: Vec<Row> = latest
        .iter()
        .filter_map(|r| row(app, r, false, today))
        .filter(|(_, shown)| *shown)
        .map(|(r, _)| r)
        .take(10)
        .collect();
    let h = HomeData { at: std::time::Instant::now(), day: today, counts, newest };
    *cached = Some(h.clone());
    Ok(h)
}

pub async fn home(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let h = home_data(&app).await?;
    render(&Home {
        chrome: Chrome::of(&p, &headers),
        subjects: h.counts.subjects,
        records: h.counts.records,
        departments: h.counts.departments,
        newest: h.newest,
        lists: LISTS.iter().map(|l| (l.0, l.1)).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    page: usize,
}

pub struct Hit {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub region: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    kind: String,
    region: String,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    item: String,
    items: Vec<(String, String)>,
    hits: Vec<Hit>,
    total: usize,
    page: usize,
    pages: usize,
    message: Option<String>,
}

const PER_PAGE: usize = 20;

fn query_string(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

impl SearchPage {
    fn link(&self, page: usize) -> String {
        let page = page.to_string();
        format!(
            "/search?{}",
            query_string(&[
                ("q", &self.q),
                ("kind", &self.kind),
                ("region", &self.region),
                ("item", &self.item),
                ("page", &page),
            ])
        )
    }
}

pub async fn search(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let today = app.clock.today();
    let text = q.q.trim().chars().take(100).collect::<String>();
    let mut message = None;
    let mut found = Vec::new();
    if !text.is_empty() {
        found = credo_app::search::find(&app, &text, 100).await?;
    }
    let kind = SubjectKind::parse(&q.kind);
    // With an item chosen: only subjects that have records of it the public may see (a person's penalties are kept
    // to 政务共享: a person is never found through them).
    let with_item = match app.catalog.item(&q.item) {
        Some(i) => {
            let ids: Vec<i64> = found.iter().filter(|h| publish::disclosed(i, h.kind)).map(|h| h.id).collect();
            Some(app.store.subjects_with_items(&ids, &[i.code.as_str()]).await?)
        }
        None => None,
    };
    let hits: Vec<Hit> = found
        .into_iter()
        .filter(|h| with_item.as_ref().is_none_or(|s| s.contains(&h.id)))
        .filter(|h| kind.is_none_or(|k| h.kind == k))
        .filter(|h| {
            q.region.is_empty() || h.region.as_deref().is_some_and(|r| r.starts_with(q.region.trim_end_matches('0')))
        })
        .map(|h| Hit {
            id: h.id,
            name: h.name,
            code: h.code.unwrap_or_default(),
            kind: h.kind_label,
            region: h.region_name.unwrap_or_default(),
        })
        .collect();
    if !text.is_empty() && hits.is_empty() {
        message = Some(format!(
            "没有找到与“{}”相符的信用主体。可尝试简称、统一社会信用代码或更少的字。",
            publish::mask_ids(&text)
        ));
    }
    let total = hits.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.clamp(1, pages);
    let hits = hits.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect();
    let regions: Vec<(String, String)> =
        app.catalog.regions.xining_districts(today).into_iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    render(&SearchPage {
        chrome: Chrome::of(&p, &headers),
        q: publish::mask_ids(&text),
        kind: q.kind.clone(),
        region: q.region.clone(),
        kinds: vec![("organisation", "法人及非法人组织"), ("individual_business", "个体工商户"), ("person", "自然人")],
        regions,
        item: q.item.clone(),
        items: app
            .catalog
            .items
            .values()
            .filter(|i| !i.registration)
            .map(|i| (i.code.clone(), i.name.clone()))
            .collect(),
        hits,
        total,
        page,
        pages,
        message,
    })
}

/// The subject page's tabs: code and label. Which tab an item's records go to comes from the catalog ([`tab_of`]).
pub const TABS: [(&str, &str); 7] = [
    ("jbxx", "基本信息"),
    ("xzxk", "行政许可"),
    ("xzcf", "行政处罚"),
    ("sxjl", "守信激励"),
    ("sxcj", "失信惩戒"),
    ("xycn", "信用承诺"),
    ("xypj", "信用评价"),
];

/// The tab an item's records are shown on, from the catalog: registration data on 基本信息; an item with a tab of
/// its own code (行政许可, 行政处罚, 守信激励, 信用承诺) there; else by its nature — 失信 (every list: 严重失信主体名单,
/// 失信被执行人, 重大税收违法失信主体, 限制消费令 …) on 失信惩戒, 守信 on 守信激励 — and by its category (信用承诺信息);
/// anything else (纳税信用等级 …) on 信用评价.
pub fn tab_of(item: &credo_domain::catalog::Item) -> &'static str {
    use credo_domain::catalog::Nature;
    if item.registration {
        return "jbxx";
    }
    if let Some((code, _)) = TABS.iter().find(|t| t.0 == item.code && t.0 != "jbxx") {
        return code;
    }
    match item.nature {
        Nature::失信 => "sxcj",
        Nature::守信 => "sxjl",
        Nature::中性 if item.category == "信用承诺信息" => "xycn",
        Nature::中性 => "xypj",
    }
}

pub struct Tab {
    pub code: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "subject.html")]
struct SubjectPage {
    chrome: Chrome,
    key: String,
    name: String,
    code: String,
    kind: &'static str,
    region: String,
    status: String,
    basics: Vec<(String, String)>,
    tabs: Vec<Tab>,
    tab_label: &'static str,
    rows: Vec<Row>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TabQuery {
    #[serde(default)]
    tab: String,
}

pub async fn subject(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(q): Query<TabQuery>,
) -> Result<Response, ApiError> {
    let (s, records): (Subject, _) = credo_app::search::public_subject(&app, &key).await?;
    let today = app.clock.today();
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let shown: Vec<(&str, Row)> = records
        .iter()
        .filter_map(|r| {
            let tab = tab_of(app.catalog.item(&r.item)?);
            row(&app, r, disputed.contains(&r.id), today).filter(|(_, shown)| *shown).map(|(x, _)| (tab, x))
        })
        .collect();
    let current = TABS.iter().find(|t| t.0 == q.tab).unwrap_or(&TABS[0]);
    let tabs = TABS
        .iter()
        .map(|t| Tab {
            code: t.0,
            label: t.1,
            count: shown.iter().filter(|(tab, _)| *tab == t.0).count(),
            current: t.0 == current.0,
        })
        .collect();
    let rows = shown.into_iter().filter(|(tab, _)| *tab == current.0).map(|(_, r)| r).collect();
    let mut basics = Vec::new();
    if let (Some(profile), Some(item)) = (s.profile.as_ref().and_then(|p| p.as_object()), app.catalog.item("djzc")) {
        for f in item.fields.iter().filter(|f| f.public) {
            if let Some(v) = profile.get(&f.code).and_then(|v| v.as_str()).filter(|v| !v.is_empty()) {
                basics.push((f.name.clone(), publish::mask_ids(v)));
            }
        }
    }
    render(&SubjectPage {
        chrome: Chrome::of(&p, &headers),
        key: format!("id-{}", s.id),
        name: publish::mask_ids(&s.name),
        code: publish::display_code(&s).unwrap_or_default(),
        kind: s.kind.label(),
        region: s
            .region
            .as_deref()
            .and_then(|r| app.catalog.regions.get(r))
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        status: s.status.clone().unwrap_or_default(),
        basics,
        tabs,
        tab_label: current.1,
        rows,
    })
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    row: Row,
    subject_key: Option<String>,
    fields: Vec<(String, String)>,
    shown_from: String,
    shown_until: String,
    repairable_from: String,
    regime: String,
    disputed: bool,
    repair_refused: Option<String>,
    is_subject: bool,
}

async fn shown_record(app: &App, id: i64) -> Result<(RecordView, publish::PublicRecord, bool), ApiError> {
    let r = app
        .store
        .records_by_ids(&[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("没有编号为 {id} 的信用记录")))?;
    let disputed = app.store.disputed(&[id]).await?.contains(&id);
    let p = publish::record(&app.catalog, &r, disputed, app.clock.today())
        .filter(|p| p.publicity.state.public())
        .ok_or_else(|| ApiError::not_found(format!("编号为 {id} 的信用记录不在公示中")))?;
    Ok((r, p, disputed))
}

pub async fn record(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let today = app.clock.today();
    let (r, shown, disputed) = shown_record(&app, id).await?;
    let repair_refused = cases::repairable(&app, &r, today).err().map(|e| e.detail);
    let (row, _) = row(&app, &r, disputed, today).ok_or_else(|| ApiError::not_found("该信息不公开"))?;
    let is_subject = matches!(&p, Principal::Account { account, role: Role::Subject, .. } if account.subject_id.is_some() && account.subject_id == r.subject_id);
    render(&RecordPage {
        chrome: Chrome::of(&p, &headers),
        row,
        subject_key: r.subject_id.map(|s| format!("id-{s}")),
        fields: shown.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect(),
        shown_from: shown.publicity.shown_from.clone().unwrap_or_else(|| "—".into()),
        shown_until: shown.publicity.shown_until.clone().unwrap_or_else(|| "移出或撤销前".into()),
        repairable_from: shown.publicity.repairable_from.clone().unwrap_or_else(|| "—".into()),
        regime: shown.publicity.regime.clone().unwrap_or_else(|| "—".into()),
        disputed,
        repair_refused,
        is_subject,
    })
}

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
fn challenge_for(app: &App, p: &Principal) -> Option<credo_app::challenge::Challenge> {
    matches!(p, Principal::Anonymous).then(|| app.challenges.issue())
}

/// The challenge's answer as a form sent it.
fn challenge_answer(fields: &HashMap<String, String>) -> Option<cases::ChallengeAnswer> {
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
                    files.push(FileIn {
                        name: file,
                        content_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                    });
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
        cases::admit_filing(&app, &p, client, o.challenge.as_ref())?;
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
}

async fn report_page(
    app: &App,
    p: &Principal,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let departments = app.store.departments().await?.into_iter().map(|d| (d.uscc, d.name)).collect();
    let challenge = challenge_for(app, p);
    render(&ReportPage { chrome: Chrome::of(p, headers), departments, error, challenge })
}

pub async fn report_form(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    report_page(&app, &p, &headers, None).await
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
        cases::admit_filing(&app, &p, client, o.challenge.as_ref())?;
        cases::file_report(&app, &p, &o).await
    };
    match filed.await {
        Ok(v) => Ok(see_other(&format!("/cases/{}?filed=1", v["number"].as_str().unwrap_or_default()), None)),
        Err(e) if e.is_client_error() => report_page(&app, &p, &headers, Some(e.detail)).await,
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
        filed: c.filed_at.chars().take(10).collect(),
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
            .map(|x| (x.at.chars().take(16).collect::<String>().replace('T', " "), x.step.clone()))
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

/// The publicity lists: code, title, items. Each shows only records in publicity today (a person's records kept to
/// 政务共享 never are).
pub const LISTS: [(&str, &str, &[&str]); 9] = [
    ("sgs", "双公示(行政许可、行政处罚)", &["xzxk", "xzcf"]),
    ("yzsx", "严重失信主体名单", &["yzsx"]),
    ("jyyc", "经营异常名录", &["jyyc"]),
    ("sxbzxr", "失信被执行人", &["sxbzxr"]),
    ("xzxf", "限制消费令", &["xzxf"]),
    ("zdss", "重大税收违法失信主体", &["zdss"]),
    ("zfcgsx", "政府采购严重违法失信行为记录名单", &["zfcgsx"]),
    ("qxgz", "拖欠农民工工资失信联合惩戒对象名单", &["qxgz"]),
    ("sxjl", "守信激励(红名单)", &["sxjl"]),
];

/// How many of the newest records a list looks at (and the CSV holds at most).
const LIST_WINDOW: i64 = 5_000;

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    chrome: Chrome,
    code: &'static str,
    title: &'static str,
    lists: Vec<(&'static str, &'static str, bool)>,
    q: String,
    department: String,
    departments: Vec<String>,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
}

impl ListPage {
    fn link(&self, page: usize) -> String {
        let page = page.to_string();
        format!(
            "/lists/{}?{}",
            self.code,
            query_string(&[("q", &self.q), ("department", &self.department), ("page", &page)])
        )
    }

    fn csv_link(&self) -> String {
        format!(
            "/lists/{}?{}",
            self.code,
            query_string(&[("q", &self.q), ("department", &self.department), ("format", "csv")])
        )
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    page: usize,
    #[serde(default)]
    format: String,
}

pub async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let (code, title, items) = LISTS
        .iter()
        .find(|l| l.0 == code)
        .copied()
        .ok_or_else(|| ApiError::not_found(format!("没有名为“{code}”的公示目录")))?;
    let today = app.clock.today();
    let records = app.store.latest_records(items, LIST_WINDOW).await?;
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let all: Vec<Row> = records
        .iter()
        .filter_map(|r| row(&app, r, disputed.contains(&r.id), today))
        .filter(|(_, shown)| *shown)
        .map(|(r, _)| r)
        .collect();
    let mut departments: Vec<String> = all.iter().map(|r| r.department.clone()).collect();
    departments.sort();
    departments.dedup();
    // Rows show names and titles masked: the query is masked alike, and echoed only so.
    let needle = publish::mask_ids(q.q.trim());
    let needle = needle.as_str();
    let rows: Vec<Row> = all
        .into_iter()
        .filter(|r| needle.is_empty() || r.subject.contains(needle) || r.title.contains(needle))
        .filter(|r| q.department.is_empty() || r.department == q.department)
        .collect();
    if q.format == "csv" {
        let header = ["信息类别", "主体名称", "文书号", "决定日期", "部门", "公示状态", "说明"];
        let bytes = credo_app::spreadsheet::csv(
            &header,
            rows.iter().map(|r| {
                [&r.item_name, &r.subject, &r.title, &r.decided, &r.department, &r.state, &r.explanation]
                    .map(String::as_str)
            }),
        )
        .map_err(ApiError::internal)?;
        let name = format!("attachment; filename*=UTF-8''{code}-{today}.csv");
        return Ok(axum::response::IntoResponse::into_response((
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (axum::http::header::CONTENT_DISPOSITION, name),
            ],
            bytes,
        )));
    }
    let total = rows.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.clamp(1, pages);
    render(&ListPage {
        chrome: Chrome::of(&p, &headers),
        code,
        title,
        lists: LISTS.iter().map(|l| (l.0, l.1, l.0 == code)).collect(),
        q: needle.to_string(),
        department: q.department.clone(),
        departments,
        rows: rows.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect(),
        total,
        page,
        pages,
    })
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    version: String,
    regimes: Vec<(String, String, String, Vec<String>, bool)>,
    /// The platform's choices where the law is silent: (name, choice, since, explanation, basis, verified).
    settings: Vec<(String, String, String, String, String, bool)>,
    /// Classification rules: (group, class, reason, verified).
    rules: Vec<(String, String, String, bool)>,
    /// Departments' own classification tables: (name, departments, basis, verified).
    tables: Vec<(String, String, String, bool)>,
    /// Sectors and their laws: (name, laws, basis, verified).
    sectors: Vec<(String, String, String, bool)>,
    deadlines: Vec<(&'static str, u32)>,
    deadline_basis: String,
    /// Withdrawal after a change or removal: (what, after what, period, basis, verified).
    withdrawals: Vec<(String, String, String, String, bool)>,
    measures_version: String,
    /// (name, decision, effect, basis, every basis verified).
    measures: Vec<(String, String, String, String, bool)>,
    /// Every rule not yet confirmed from its source: (file, rule).
    unverified: Vec<(String, String)>,
}

pub async fn policy(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rules = &app.catalog.publicity;
    let months = |m: Option<u32>| m.map(|m| format!("{m} 个月")).unwrap_or_else(|| "—".into());
    let regimes = rules
        .regimes
        .iter()
        .map(|r| {
            let span = match (&r.from, &r.until) {
                (Some(f), Some(u)) => format!("{f} 至 {u} 前作出的决定"),
                (Some(f), None) => format!("{f} 起作出的决定"),
                (None, Some(u)) => format!("{u} 前作出的决定"),
                (None, None) => "全部".into(),
            };
            let span = if r.departments.is_empty() {
                span
            } else {
                format!("{span}(作出决定的机关名称含“{}”)", r.departments.join("、"))
            };
            let span = match r.setting.as_deref().and_then(|c| rules.setting(c)) {
                Some(s) => format!("{span};{} 起是否适用由设置“{}”决定(现为:{})", s.since, s.name, s.choice_label),
                None => span,
            };
            let mut classes: Vec<String> = r
                .class
                .iter()
                .map(|c| {
                    let shown = if c.published {
                        format!("最短 {},最长 {}", months(c.min_months), months(c.max_months))
                    } else {
                        "不予公示".into()
                    };
                    format!("{}:{}{}", c.name, shown, c.note.as_ref().map(|n| format!("({n})")).unwrap_or_default())
                })
                .collect();
            if r.start == Start::Publication {
                classes.push("期限自公示之日起计算;未报送公示日期的,自本平台收到该信息之日起计算".into());
            }
            if let Some(m) = &r.sector_min {
                classes.push(format!(
                    "{}领域(按处罚依据所引法律法规认定):最短 {} 个月",
                    m.sectors.join("、"),
                    m.months
                ));
            }
            if r.department_tables {
                classes.push("轻微、一般、严重由各行业主管部门确定;未取得部门分类标准的,按通用标准".into());
            }
            classes.extend(r.note.clone());
            (
                r.name.clone(),
                span,
                for_citizens(&r.basis),
                classes.iter().map(|c| for_citizens(c)).collect(),
                r.verified,
            )
        })
        .collect();
    let settings = rules
        .settings
        .iter()
        .map(|s| {
            let (explanation, basis) = (for_citizens(&s.explanation), for_citizens(&s.basis));
            (s.name.clone(), s.choice_label.clone(), s.since.clone(), explanation, basis, s.verified)
        })
        .collect();
    let class_rules = rules
        .rules
        .iter()
        .map(|r| {
            let group = match r.group.as_str() {
                "general" => "通用标准".to_string(),
                "samr" => "市场监管部门(总局令第45号)".to_string(),
                other => other.to_string(),
            };
            let names: Vec<&str> = r
                .regimes
                .iter()
                .filter_map(|c| rules.regimes.iter().find(|g| &g.code == c))
                .map(|g| g.name.as_str())
                .collect();
            let group = if names.is_empty() { group } else { format!("{group}(仅适用于{})", names.join("、")) };
            (group, r.class.to_string(), r.reason.clone(), r.verified)
        })
        .collect();
    let tables = rules
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.departments.join("、"), for_citizens(&t.basis), t.verified))
        .collect();
    let sectors = rules
        .sectors
        .iter()
        .map(|s| {
            let laws: Vec<String> = s.laws.iter().map(|l| format!("《{l}》")).collect();
            (s.name.clone(), laws.join(""), for_citizens(&s.basis), s.verified)
        })
        .collect();
    let d = &rules.deadlines;
    render(&PolicyPage {
        chrome: Chrome::of(&p, &headers),
        version: rules.version.clone(),
        regimes,
        settings,
        rules: class_rules,
        tables,
        sectors,
        deadlines: vec![
            ("双公示上网公开(决定后)", d.publication),
            ("异议:是否受理", d.objection_accept),
            ("异议:受理后核查答复", d.objection),
            ("异议延期后合计不超过", d.objection_max),
            ("信用修复:是否受理", d.repair_accept),
            ("信用修复:受理后作出决定", d.repair_decide),
            ("信用修复:平台复核", d.repair_review),
            ("举报核查", d.report),
        ],
        deadline_basis: for_citizens(&d.basis),
        withdrawals: d
            .withdrawal
            .iter()
            .map(|w| (w.name.clone(), w.after.clone(), w.period(), for_citizens(&w.basis), w.verified))
            .collect(),
        measures_version: app.catalog.measures.version.clone(),
        measures: app
            .catalog
            .measures
            .measures
            .iter()
            .map(|m| {
                let basis: Vec<String> = m
                    .basis
                    .iter()
                    .map(|b| format!("{} {}{}", b.law, b.article, if b.verified { "" } else { "(待核实)" }))
                    .collect();
                let verified = m.basis.iter().all(|b| b.verified);
                (m.name.clone(), m.decision.label().to_string(), m.effect.clone(), basis.join(";"), verified)
            })
            .collect(),
        unverified: app
            .catalog
            .unverified
            .iter()
            .map(|u| {
                let file = match u.file.as_str() {
                    "measures.toml" => "联合奖惩措施清单".to_string(),
                    "publicity.toml" => "公示期限与信用修复规则".to_string(),
                    "calendar.toml" => "法定节假日安排".to_string(),
                    f => f
                        .strip_suffix(".toml")
                        .and_then(|c| app.catalog.item(c))
                        .map_or_else(|| f.to_string(), |i| format!("信息目录:{}", i.name)),
                };
                (file, for_citizens(&u.rule))
            })
            .collect(),
    })
}

/// Text of the rules files as the public reads it: without the project's own references to its standards notes
/// (`STANDARDS §13.3`), which mean nothing outside the project.
fn for_citizens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("STANDARDS") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // The reference runs to the next closing bracket or separator.
        let end = tail.find([')', ')', ';', ';', '。']).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    let mut out = out.replace("()", "").replace("()", "").replace(";;", ";").replace(";;", ";");
    for sep in [";", ";", ",", ",", ":", ":"] {
        out = out.replace(&format!("{sep})"), ")").replace(&format!("{sep})"), ")");
        if let Some(s) = out.strip_suffix(sep) {
            out = s.to_string();
        }
        if let Some(s) = out.strip_prefix(sep) {
            out = s.to_string();
        }
    }
    out.trim().to_string()
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    number: String,
    result: Option<Result<Vec<(String, String)>, String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    number: String,
}

/// 回执验证: whether a check receipt with this number was issued here, and whether its SM2 signature holds. Only
/// the receipt's frame is shown (who asked, when, in which scene, how many subjects), not its answers.
pub async fn verify(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let number = q.number.trim().to_uppercase();
    let result = if number.is_empty() {
        None
    } else {
        Some(match app.store.check(&number).await? {
            None => Err(format!("没有编号为 {} 的核查回执。请核对编号。", publish::mask_ids(&number))),
            Some(c) => {
                let signed = serde_json::json!({
                    "receipt": serde_json::from_str::<serde_json::Value>(&c.receipt).unwrap_or_default(),
                    "signature": c.signature,
                    "public_key": app.signer.public_key_pem().unwrap_or_default(),
                });
                match credo_app::checks::verify_receipt(&signed.to_string(), None) {
                    Err(e) => Err(e),
                    Ok(_) => {
                        let r = &signed["receipt"];
                        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                        Ok(vec![
                            ("签名".into(), "SM2 签名有效,回执内容未被改动".into()),
                            ("签发时间".into(), s(&r["issued_at"])),
                            ("核查部门".into(), s(&r["department"]["name"])),
                            ("核查场景".into(), s(&r["scene"]["name"])),
                            ("核查主体数".into(), r["results"].as_array().map(|a| a.len()).unwrap_or(0).to_string()),
                            ("措施清单版本".into(), s(&r["measures_version"])),
                        ])
                    }
                }
            }
        })
    };
    // A number that is not a receipt's is echoed masked (it may be anything typed in).
    let number = if matches!(result, Some(Ok(_))) { number } else { publish::mask_ids(&number) };
    render(&VerifyPage { chrome: Chrome::of(&p, &headers), number, result })
}
