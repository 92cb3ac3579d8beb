//! A subject's page with its tabs, and a record's page with its publicity.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_store::{RecordView, Subject};
use serde::Deserialize;

use super::chrome::{Chrome, render};
use super::rows::{Row, row};
use crate::Web;
use crate::error::ApiError;
use credo_app::cases::{self};
use credo_app::principal::{Principal, Role};
use credo_app::{App, public as publish};

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

/// The lists whose records put a status banner at the top of a subject's page, in the banner's order: 严重失信主体名单,
/// 经营异常名录, 失信被执行人 and the other 失信 lists (重大税收违法失信主体, 政府采购严重违法失信行为记录名单,
/// 拖欠农民工工资失信联合惩戒对象名单, 限制消费令).
pub const BANNER_LISTS: [&str; 7] = ["yzsx", "jyyc", "sxbzxr", "zdss", "zfcgsx", "qxgz", "xzxf"];

/// A grade as the subject page shows it ([`credo_app::grades::Shown`]).
pub struct GradeCard {
    pub scheme: String,
    pub scheme_name: String,
    pub grade: String,
    pub grade_name: String,
    pub meaning: String,
    pub score: i64,
    pub day: String,
    pub version: String,
    /// `(record, text)`, strongest first.
    pub reasons: Vec<(i64, String)>,
    /// How many records moved the grade beyond those listed ("" when all are).
    pub more: String,
    pub history: String,
    pub note: String,
}

impl GradeCard {
    fn of(g: credo_app::grades::Shown) -> GradeCard {
        let listed = g.reasons.len() as i64;
        GradeCard {
            more: if g.moved_by > listed {
                format!("共 {} 条记录影响评价,列出影响最大的 {listed} 条", g.moved_by)
            } else {
                String::new()
            },
            history: g
                .history
                .iter()
                .map(|(grade, score, day)| format!("{day} {grade}({score} 分)"))
                .collect::<Vec<_>>()
                .join(";"),
            reasons: g.reasons.into_iter().map(|r| (r.record_id, r.text)).collect(),
            scheme: g.scheme,
            scheme_name: g.scheme_name,
            grade: g.grade,
            grade_name: g.grade_name,
            meaning: g.meaning,
            score: g.score,
            day: g.computed_on.to_string(),
            version: g.version,
            note: g.note,
        }
    }
}

/// One list a subject is on today, with the records that put it there (id, title).
pub struct Listed {
    pub name: String,
    pub records: Vec<(i64, String)>,
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
    /// A government body's 政务诚信 page.
    integrity: Option<String>,
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
    /// The lists the subject is on today (its records in them are shown in public).
    listed: Vec<Listed>,
    /// Whether the public may download its credit report (organisations only).
    reports: bool,
    /// The head office of a branch, and the branches of a head office: `(key, name)`.
    head_office: Option<(String, String)>,
    branches: Vec<(String, String)>,
    /// 曾用名 and the other names it is known by.
    other_names: Vec<String>,
    /// Its grades (信用评价), with their reasons.
    grades: Vec<GradeCard>,
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
    // A subject merged into another (主体识别): its page is the other's.
    // Never for a person: a public route must not tell whether the platform knows one (public_subject's rule).
    if let Ok(s) = credo_app::search::subject_by_key(&app, &key).await
        && s.kind != credo_domain::catalog::SubjectKind::Person
        && let Some(into) = s.merged_into
    {
        return Ok(super::chrome::see_other(&format!("/subjects/id-{into}"), None));
    }
    let (s, records): (Subject, _) = credo_app::search::public_subject(&app, &key).await?;
    let today = app.clock.today();
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let shown: Vec<(&str, &str, Row)> = records
        .iter()
        .filter_map(|r| {
            let tab = tab_of(app.catalog.item(&r.item)?);
            row(&app, r, disputed.contains(&r.id), today)
                .filter(|(_, shown)| *shown)
                .map(|(x, _)| (tab, r.item.as_str(), x))
        })
        .collect();
    let listed = BANNER_LISTS
        .iter()
        .filter_map(|code| {
            let records: Vec<(i64, String)> =
                shown.iter().filter(|(_, item, _)| item == code).map(|(_, _, r)| (r.id, r.title.clone())).collect();
            let name = app.catalog.item(code)?.name.clone();
            (!records.is_empty()).then_some(Listed { name, records })
        })
        .collect();
    let current = TABS.iter().find(|t| t.0 == q.tab).unwrap_or(&TABS[0]);
    let tabs = TABS
        .iter()
        .map(|t| Tab {
            code: t.0,
            label: t.1,
            count: shown.iter().filter(|(tab, _, _)| *tab == t.0).count(),
            current: t.0 == current.0,
        })
        .collect();
    let rows = shown.into_iter().filter(|(tab, _, _)| *tab == current.0).map(|(_, _, r)| r).collect();
    let mut basics = Vec::new();
    if let (Some(profile), Some(item)) = (s.profile.as_ref().and_then(|p| p.as_object()), app.catalog.item("djzc")) {
        for f in item.fields.iter().filter(|f| f.public) {
            if let Some(v) = profile.get(&f.code).and_then(|v| v.as_str()).filter(|v| !v.is_empty()) {
                basics.push((f.name.clone(), publish::mask_ids(v)));
            }
        }
    }
    let relatives = credo_app::search::relatives(&app, &s).await?;
    let other_names: Vec<String> = app
        .store
        .subject_names(&[s.id])
        .await?
        .remove(&s.id)
        .unwrap_or_default()
        .iter()
        .map(|n| publish::mask_ids(n))
        .collect();
    let link = |h: credo_app::search::SearchHit| (format!("id-{}", h.id), h.name);
    let grades = credo_app::grades::public_of_subject(&app, &s).await?.into_iter().map(GradeCard::of).collect();
    render(&SubjectPage {
        grades,
        chrome: Chrome::of(&p, &headers),
        head_office: relatives.head_office.map(link),
        other_names,
        branches: relatives.branches.into_iter().map(link).collect(),
        integrity: s
            .code
            .as_deref()
            .filter(|c| {
                s.kind != credo_domain::catalog::SubjectKind::Person && credo_domain::integrity::body_kind(c).is_some()
            })
            .map(|c| format!("/integrity/{c}")),
        key: format!("id-{}", s.id),
        name: publish::mask_ids(&s.name),
        code: publish::display_code(&s).unwrap_or_default(),
        kind: s.kind.label(),
        reports: s.kind != credo_domain::catalog::SubjectKind::Person,
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
        listed,
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

pub(super) async fn shown_record(app: &App, id: i64) -> Result<(RecordView, publish::PublicRecord, bool), ApiError> {
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
