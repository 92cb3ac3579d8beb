//! The subject's rights and the public's channel: 异议 (objections), 信用修复 (credit repair), 信用承诺
//! (commitments) and 举报 (whistleblower reports).
//!
//! One place for every step, used by the API and the CLI alike: who may take it (the policy says which role may
//! reach a route; here, which department or subject), the working-day deadline from `catalog/publicity.toml`,
//! the audit event, and — where a step changes a record — the record's new version (更正, 撤销, 已修复, 未履约),
//! written through the store like any submission so that the change feed, the search index and the checks'
//! index follow at once.
//!
//! | case       | states                                                                            |
//! |------------|-----------------------------------------------------------------------------------|
//! | objection  | 办理中 → 已办结 (维持 / 更正 / 撤销)                                               |
//! | repair     | 待受理 → 办理中 → 待复核 → 已修复; or 不予受理 / 不予修复                          |
//! | report     | 办理中 → 已办结 (查实 / 部分查实 / 不属实, with any reward)                        |

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use credo_domain::calendar::Calendar;
use credo_domain::catalog::{Item, SubjectKind};
use credo_domain::publicity::{MARK_FIELD, Mark, Repair, State};
use credo_store::{
    Account, AuditEvent, BatchSummary, Case, CaseFilter, CaseUpdate, Department, Incoming, NewCase, NewCaseFile,
    RecordView,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;

use crate::error::{Code, Error};
use crate::principal::{Principal, Role};
use crate::{App, feed, public};

pub const MAX_FILES: usize = 5;
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Request body limit of the filing routes (evidence files travel base64-encoded).
pub const MAX_CASE_BODY: usize = 40 * 1024 * 1024;

/// The kinds of case, with their number prefix and Chinese name.
pub const KINDS: [(&str, &str, &str); 3] =
    [("objection", "YY", "异议"), ("repair", "XF", "信用修复"), ("report", "JB", "举报")];

fn kind_label(kind: &str) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map(|k| k.2).unwrap_or("案件")
}

/// A case number: prefix, date and 8 random hex digits (a tracking code that cannot be guessed from another).
fn number(kind: &str, day: Date) -> String {
    let prefix = KINDS.iter().find(|k| k.0 == kind).map(|k| k.1).unwrap_or("AJ");
    let r: [u8; 4] = rand::rng().random();
    format!("{prefix}{}{}", day.to_string().replace('-', ""), hex::encode_upper(r))
}

/// An evidence file as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct FileIn {
    pub name: String,
    pub content_base64: String,
}

/// A contact: name and telephone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

fn files(input: &[FileIn]) -> Result<Vec<NewCaseFile>, Error> {
    if input.len() > MAX_FILES {
        return Err(Error::new(Code::TooManyFiles, format!("证明材料最多 {MAX_FILES} 个文件")));
    }
    input
        .iter()
        .map(|f| {
            let name: String = f.name.rsplit(['/', '\\']).next().unwrap_or("").trim().chars().take(100).collect();
            if name.is_empty() {
                return Err(Error::new(Code::BadFile, "证明材料须有文件名"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.content_base64.trim())
                .map_err(|_| Error::new(Code::BadFile, format!("文件“{name}”不是有效的 base64 内容")))?;
            if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
                return Err(Error::new(
                    Code::BadFile,
                    format!("文件“{name}”为空或超过 {} MiB", MAX_FILE_BYTES / 1024 / 1024),
                ));
            }
            Ok(NewCaseFile { sm3: credo_gm::sm3_hex(&bytes), name, bytes })
        })
        .collect()
}

fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::new(Code::MissingField, format!("请填写{field}")));
    }
    if v.chars().count() > max {
        return Err(Error::new(Code::TooLong, format!("{field}不能超过 {max} 字")));
    }
    Ok(v.to_string())
}

fn contact(c: Option<&Contact>, whose: &str) -> Result<Contact, Error> {
    let c = c.ok_or_else(|| Error::new(Code::ContactRequired, format!("请留下{whose}的姓名和联系电话")))?;
    let phone = text("联系电话", &c.phone, 20)?;
    if !phone.chars().all(|ch| ch.is_ascii_digit() || ch == '-' || ch == '+' || ch == ' ') || phone.len() < 7 {
        return Err(Error::new(Code::BadPhone, format!("联系电话“{phone}”无效")));
    }
    Ok(Contact { name: text("姓名", &c.name, 50)?, phone })
}

fn due(app: &App, from: Date, days: u32) -> Date {
    app.catalog.calendar.add_working_days(from, days).value
}

fn account(p: &Principal) -> Option<(&Account, Role)> {
    match p {
        Principal::Account { account, role, .. } => Some((account, *role)),
        _ => None,
    }
}

/// The account acting as `role`, for the department `department` when given.
fn acting(p: &Principal, role: Role, department: Option<i64>) -> Result<String, Error> {
    match account(p) {
        Some((a, r)) if r == role && (department.is_none() || a.department_id == department) => Ok(a.username.clone()),
        Some((_, r)) if r == role => Err(Error::forbidden("该案件不属于本部门")),
        _ => Err(Error::forbidden(format!("此操作须由{}办理", role.label()))),
    }
}

async fn audit(app: &App, p: &Principal, action: &str, target: String, result: String) -> Result<(), Error> {
    let (actor, role, department) = p.actor();
    let purpose = Some(action.split('.').next().map(kind_label).unwrap_or("案件").to_string());
    let event = AuditEvent {
        actor,
        role,
        department,
        action: action.into(),
        target: Some(target),
        purpose,
        result,
        client: None,
    };
    app.store.append_audit(&event).await?;
    Ok(())
}

async fn record(app: &App, id: i64) -> Result<RecordView, Error> {
    app.store
        .records_by_ids(&[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的信用记录")))
}

fn item_of<'a>(app: &'a App, code: &str) -> Result<&'a Item, Error> {
    app.catalog.item(code).ok_or_else(|| Error::internal(format!("unknown item {code}")))
}

/// Stores `fields` as a record of `item` under `department` (a new record, or a new version of the record with
/// the same natural key), through the same path as a submission; returns `(record id, version)`.
async fn store(
    app: &App,
    department: &Department,
    item: &Item,
    fields: &BTreeMap<String, String>,
    label: &str,
) -> Result<(i64, i64), Error> {
    let raw: HashMap<String, String> =
        fields.iter().filter(|(k, _)| !k.starts_with('@')).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut valid = item.validate(&raw, &app.catalog.context(app.clock.today())).map_err(|issues| {
        let list: Vec<String> =
            issues.iter().map(|i| format!("{}:{}", i.field.as_deref().unwrap_or("记录"), i.message)).collect();
        Error::new(Code::InvalidRecord, list.join(";"))
    })?;
    if let Some(m) = fields.get(MARK_FIELD) {
        valid.fields.insert(MARK_FIELD.to_string(), m.clone());
    }
    let batch = app.store.open_batch(department.id, &item.code, "case", Some(label)).await?;
    let rows = [Incoming { row: 1, record: valid, extras: Vec::new(), registration: false }];
    let stored = app.store.ingest(batch, department.id, &rows).await?;
    let row = stored.first().ok_or_else(|| Error::internal("ingest returned nothing"))?;
    let summary = BatchSummary {
        batch,
        department: department.uscc.clone(),
        item: item.code.clone(),
        rows: 1,
        accepted: usize::from(row.outcome != credo_store::Outcome::Duplicate),
        rejected: 0,
        duplicates: usize::from(row.outcome == credo_store::Outcome::Duplicate),
        unresolved: usize::from(row.subject_id.is_none()),
        report: Vec::new(),
        interrupted: false,
    };
    app.store.close_batch(&summary).await?;
    feed::sync_search(app).await?;
    app.index.sync(app).await?;
    Ok((row.record_id, row.version))
}

/// A new version of `r` with `change` applied to its fields; the natural key cannot change.
async fn new_version(
    app: &App,
    r: &RecordView,
    change: impl FnOnce(&mut BTreeMap<String, String>),
    label: &str,
) -> Result<i64, Error> {
    let item = item_of(app, &r.item)?;
    let department = app
        .store
        .department_by_uscc(&r.department_uscc)
        .await?
        .ok_or_else(|| Error::internal("record without department"))?;
    let mut fields = r.fields.clone();
    change(&mut fields);
    if let Some(k) = item.natural_key.iter().find(|k| fields.get(*k) != r.fields.get(*k)) {
        let name = item.field(k).map(|f| f.name.as_str()).unwrap_or(k);
        return Err(Error::new(Code::KeyChanged, format!("不能更改{name}(记录的标识);请撤销后重新报送")));
    }
    let (id, version) = store(app, &department, item, &fields, label).await?;
    if id != r.id {
        return Err(Error::internal("a new version landed on another record"));
    }
    Ok(version)
}

/// What the public may know of a case (tracking by number): no applicant, no evidence.
pub fn tracking(c: &Case, today: Date, calendar: &Calendar) -> Value {
    json!({
        "number": c.number, "kind": c.kind, "kind_label": kind_label(&c.kind), "state": c.state,
        "filed_at": c.filed_at, "due_on": c.due_on.map(|d| d.to_string()), "due_note": due_note(c, calendar),
        "closed_at": c.closed_at,
        "overdue": overdue(c, today), "outcome": c.outcome, "reply": c.outcome_reason,
        "steps": c.steps.iter().map(|s| json!({ "at": s.at, "step": s.step })).collect::<Vec<_>>(),
    })
}

/// When the due day falls in a year counted without the State Council's table (or with weekends only), says so.
pub fn due_note(c: &Case, calendar: &Calendar) -> Option<String> {
    c.due_on.and_then(|d| calendar.working(d).warning())
}

fn overdue(c: &Case, today: Date) -> bool {
    c.closed_at.is_none() && c.due_on.is_some_and(|d| d < today)
}

/// Who is looking at a case. It decides every field they are shown, in [`CaseDetail::of`], for the API, the
/// console and the CLI alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Viewer {
    /// The handler of the department the case is addressed to: everything, the applicant and the evidence included.
    Handler,
    /// 信用审核员 (objections and repairs only): the case without who applied — no applicant, evidence by number
    /// and fingerprint only (no file names, no download), the applicant's name, account and telephone and any long
    /// run of digits (telephones, ID numbers) masked in the free text.
    Reviewer,
    /// The subject account that filed the case: its own case.
    Applicant,
    /// Anyone else with the number: the status only ([`tracking`]).
    Public,
}

/// How `p` sees `c`. `None` for case staff to whom `c` does not belong — another department's handler, the reviewer
/// for a 举报 — for whom the case does not exist (404, as for a number never issued), so that a number seen
/// elsewhere tells them nothing.
pub fn viewer(p: &Principal, c: &Case) -> Option<Viewer> {
    match account(p) {
        Some((a, Role::Handler)) => {
            (a.department_id.is_some() && a.department_id == c.department_id).then_some(Viewer::Handler)
        }
        Some((_, Role::Reviewer)) => (c.kind != "report").then_some(Viewer::Reviewer),
        Some((a, Role::Subject)) if c.account_id == Some(a.id) => Some(Viewer::Applicant),
        _ => Some(Viewer::Public),
    }
}

/// A case as one [`Viewer`] other than the public sees it (the public gets [`tracking`]).
#[derive(Debug, Serialize)]
pub struct CaseDetail {
    /// Who this view was made for.
    #[serde(skip)]
    pub viewer: Viewer,
    pub number: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub state: String,
    pub filed_at: String,
    pub due_on: Option<String>,
    /// The due day's year is counted provisionally (no State Council table yet): 补假 and 调休 unknown.
    pub due_note: Option<String>,
    pub closed_at: Option<String>,
    pub overdue: bool,
    pub outcome: Option<String>,
    pub reply: Option<String>,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub extended_days: i64,
    /// What was applied for: for the reviewer only the fields below, masked (see [`Viewer::Reviewer`]).
    pub content: Value,
    pub files: Vec<FileView>,
    pub steps: Vec<StepView>,
    /// Who applied, and how to reach them: the department's handler only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applicant: Option<Value>,
    /// The record the case is about, as the public sees it (handler and reviewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<public::PublicRecord>,
}

/// An evidence file: its name only for those who may open it.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub n: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub sm3: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub note: Option<String>,
}

/// The content fields the reviewer sees, per kind (a 举报 is never the reviewer's).
const REVIEWED_CONTENT: [(&str, &[&str]); 2] =
    [("objection", &["reason", "record_version"]), ("repair", &["reason", "commitment", "record_version"])];

/// Stands for the applicant in what the reviewer reads.
const APPLICANT: &str = "(申请人)";

impl CaseDetail {
    /// `c` as `viewer` sees it (`Public` gets the status fields only, like [`tracking`]).
    pub fn of(c: &Case, today: Date, calendar: &Calendar, viewer: Viewer) -> CaseDetail {
        let mask = Masker::new(c, viewer);
        let content = match viewer {
            Viewer::Handler | Viewer::Applicant => c.content.clone(),
            Viewer::Reviewer => {
                let keep = REVIEWED_CONTENT.iter().find(|(k, _)| *k == c.kind).map(|(_, f)| *f).unwrap_or(&[]);
                let kept = keep.iter().filter_map(|k| Some((k.to_string(), mask.value(c.content.get(*k)?))));
                Value::Object(kept.collect())
            }
            Viewer::Public => Value::Null,
        };
        let files = match viewer {
            Viewer::Public => Vec::new(),
            _ => c
                .files
                .iter()
                .map(|f| FileView {
                    n: f.n,
                    name: (viewer != Viewer::Reviewer).then(|| f.name.clone()),
                    sm3: f.sm3.clone(),
                    size: f.size,
                })
                .collect(),
        };
        let steps = c
            .steps
            .iter()
            .map(|s| StepView {
                at: s.at.clone(),
                actor: mask.actor(&s.actor),
                step: s.step.clone(),
                note: s.note.as_deref().map(|n| mask.text(n)),
            })
            .filter(|_| viewer != Viewer::Public)
            .collect();
        let applicant = match viewer {
            Viewer::Handler => c.applicant.as_deref().and_then(|a| serde_json::from_str(a).ok()),
            _ => None,
        };
        CaseDetail {
            viewer,
            number: c.number.clone(),
            kind: c.kind.clone(),
            kind_label: kind_label(&c.kind),
            state: c.state.clone(),
            filed_at: c.filed_at.clone(),
            due_on: c.due_on.map(|d| d.to_string()),
            due_note: due_note(c, calendar),
            closed_at: c.closed_at.clone(),
            overdue: overdue(c, today),
            outcome: c.outcome.clone(),
            reply: c.outcome_reason.as_deref().map(|r| mask.text(r)),
            record_id: (viewer != Viewer::Public).then_some(c.record_id).flatten(),
            subject_id: (viewer != Viewer::Public).then_some(c.subject_id).flatten(),
            extended_days: c.extended_days,
            content,
            files,
            steps,
            applicant,
            record: None,
        }
    }
}

/// What the reviewer must not read: every value the applicant gave about themselves (name, account, contact
/// name and telephone), wherever it appears in free text, and every run of seven or more digits (telephones, ID
/// numbers, bank accounts). Other viewers read the text as written.
struct Masker {
    on: bool,
    names: Vec<String>,
}

impl Masker {
    fn new(c: &Case, viewer: Viewer) -> Masker {
        fn leaves(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) if s.trim().chars().count() >= 2 => out.push(s.trim().to_string()),
                Value::Object(m) => m.iter().filter(|(k, _)| *k != "as").for_each(|(_, v)| leaves(v, out)),
                Value::Array(a) => a.iter().for_each(|v| leaves(v, out)),
                _ => {}
            }
        }
        let mut names = Vec::new();
        if let Some(a) = c.applicant.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()) {
            leaves(&a, &mut names);
        }
        // Longest first, so that a name inside another (an account name inside a contact) does not leave a part.
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        Masker { on: viewer == Viewer::Reviewer, names }
    }

    fn text(&self, s: &str) -> String {
        if !self.on {
            return s.to_string();
        }
        let named = self.names.iter().fold(s.to_string(), |t, n| t.replace(n.as_str(), APPLICANT));
        mask_digit_runs(&named)
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// A step's actor: the applicant's own account (the filing step) is the applicant.
    fn actor(&self, actor: &str) -> String {
        if self.on && self.names.iter().any(|n| n == actor) { APPLICANT.to_string() } else { actor.to_string() }
    }
}

/// Replaces every run of seven or more digits (ASCII or full-width, with an ID number's final X) by asterisks.
fn mask_digit_runs(s: &str) -> String {
    fn digit(c: char) -> bool {
        c.is_ascii_digit() || ('０'..='９').contains(&c)
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && digit(chars[i]) {
            i += 1;
        }
        if i > start {
            let mut end = i;
            if i - start >= 7 && chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x' | 'Ｘ')) {
                end += 1;
            }
            if i - start >= 7 {
                out.extend(std::iter::repeat_n('*', end - start));
            } else {
                out.extend(&chars[start..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A conflict when `record` already has an open case of `kind`.
async fn refuse_if_open(app: &App, record: i64, kind: &str, code: Code, what: &str) -> Result<(), Error> {
    let filter =
        CaseFilter { record_id: Some(record), kind: Some(kind.into()), open_only: true, ..CaseFilter::default() };
    match app.store.cases(&filter, 1).await?.first() {
        Some(c) => Err(Error::new(code, format!("{what}(案件 {}),请等待办理结果", c.number))),
        None => Ok(()),
    }
}

fn no_such_case(number: &str) -> Error {
    Error::not_found(format!("没有编号为 {number} 的案件"))
}

async fn case(app: &App, number: &str) -> Result<Case, Error> {
    app.store.case(number).await?.ok_or_else(|| no_such_case(number))
}

/// A case by number with how `p` sees it; a 404 for case staff it does not belong to (audited as a refusal, with
/// the same answer as a number never issued).
async fn case_as(app: &App, p: &Principal, number: &str) -> Result<(Case, Viewer), Error> {
    let c = case(app, number).await?;
    match viewer(p, &c) {
        Some(v) => Ok((c, v)),
        None => {
            let why = "denied: not this account's department or role".to_string();
            audit(app, p, &format!("{}.read", c.kind), format!("case:{number}"), why).await?;
            Err(no_such_case(number))
        }
    }
}

/// A case by number for the staff who handle it — the department's handler or (objections and repairs) the
/// reviewer — with how they see it. Anyone else gets 404: the console's case page, files, extensions and
/// decisions are theirs alone.
pub async fn staff_case(app: &App, p: &Principal, number: &str) -> Result<(Case, Viewer), Error> {
    match case_as(app, p, number).await? {
        (c, v @ (Viewer::Handler | Viewer::Reviewer)) => Ok((c, v)),
        _ => Err(no_such_case(number)),
    }
}

/// A case for the staff who handle it, as they may see it, with its record as the public sees it; the read is
/// audited. 404 for anyone else (see [`staff_case`]).
pub async fn read(app: &App, p: &Principal, number: &str) -> Result<(Case, CaseDetail), Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    let detail = staff_detail(app, p, &c, viewer).await?;
    Ok((c, detail))
}

async fn staff_detail(app: &App, p: &Principal, c: &Case, viewer: Viewer) -> Result<CaseDetail, Error> {
    audit(app, p, &format!("{}.read", c.kind), format!("case:{}", c.number), "ok".into()).await?;
    let today = app.clock.today();
    let mut v = CaseDetail::of(c, today, &app.catalog.calendar, viewer);
    if let Some(id) = c.record_id {
        let r = record(app, id).await?;
        v.record = public::record(&app.catalog, &r, c.closed_at.is_none(), today);
    }
    Ok(v)
}

/// A case by number as `p` may see it: the whole case for its handlers (the applicant for its department's
/// handler only), its own case for the applicant, the status for anyone else with the number; 404 for case staff
/// it does not belong to.
pub async fn show(app: &App, p: &Principal, number: &str) -> Result<Value, Error> {
    let (c, viewer) = case_as(app, p, number).await?;
    match viewer {
        Viewer::Handler | Viewer::Reviewer => Ok(json!(staff_detail(app, p, &c, viewer).await?)),
        Viewer::Applicant => Ok(json!(CaseDetail::of(&c, app.clock.today(), &app.catalog.calendar, viewer))),
        Viewer::Public => Ok(tracking(&c, app.clock.today(), &app.catalog.calendar)),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub kind: Option<String>,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub all: bool,
}

/// The handler's inbox (own department) or the reviewer's (every objection and repair, without the applicants):
/// open cases unless `all`, overdue ones first when asked.
pub async fn list(app: &App, p: &Principal, q: &ListQuery) -> Result<Value, Error> {
    let (a, role) = account(p).ok_or_else(|| Error::forbidden("须以案件办理员或信用审核员账号办理"))?;
    let filter = CaseFilter {
        kind: q.kind.clone(),
        department_id: if role == Role::Handler { a.department_id } else { None },
        open_only: !q.all,
        ..CaseFilter::default()
    };
    let today = app.clock.today();
    let cases = app.store.cases(&filter, 1000).await?;
    let list: Vec<CaseDetail> = cases
        .iter()
        .filter_map(|c| match viewer(p, c) {
            Some(v @ (Viewer::Handler | Viewer::Reviewer)) => Some(CaseDetail::of(c, today, &app.catalog.calendar, v)),
            _ => None,
        })
        .filter(|c| !q.overdue || c.overdue)
        .collect();
    let late = list.iter().filter(|c| c.overdue).count();
    Ok(json!({ "count": list.len(), "overdue": late, "cases": list }))
}

/// The cases a subject account filed.
pub async fn own_cases(app: &App, p: &Principal) -> Result<Value, Error> {
    let (a, _) = account(p).ok_or_else(|| Error::forbidden("须以信用主体账号查看"))?;
    let cases = app.store.cases(&CaseFilter { account_id: Some(a.id), ..CaseFilter::default() }, 1000).await?;
    let today = app.clock.today();
    let list: Vec<CaseDetail> =
        cases.iter().map(|c| CaseDetail::of(c, today, &app.catalog.calendar, Viewer::Applicant)).collect();
    Ok(json!({ "count": list.len(), "cases": list }))
}

/// A record as the public sees it, with its publicity and whether (and from when) it can be repaired.
pub async fn record_view(app: &App, id: i64) -> Result<Value, Error> {
    let r = record(app, id).await?;
    let today = app.clock.today();
    let disputed = app.store.disputed(&[id]).await?.contains(&id);
    let shown = public::record(&app.catalog, &r, disputed, today)
        .filter(|p| p.publicity.state.public())
        .ok_or_else(|| Error::not_found(format!("编号为 {id} 的信用记录不在公示中")))?;
    let repair = repairable(app, &r, today).err();
    Ok(json!({ "record": shown, "repair_refused": repair.map(|e| e.detail) }))
}

/// Why `r` cannot be repaired on `today` (a 422 `not_repairable` with the reason), or `Ok` when it can.
pub fn repairable(app: &App, r: &RecordView, today: Date) -> Result<(), Error> {
    let p = public::publicity(&app.catalog, r, false, today);
    let from = public::window(&app.catalog, r).repairable_from;
    let refuse = |m: String| Err(Error::new(Code::NotRepairable, m));
    if p.class.is_none() {
        return refuse("该信息不是失信信息,无需信用修复".into());
    }
    if !matches!(p.state, State::公示中 | State::异议处理中 | State::不予公示) {
        return refuse(format!("该信息当前状态为“{:?}”,无需信用修复", p.state));
    }
    match (p.repair, from) {
        (Repair::None, _) => refuse(format!("该信息不适用信用修复:{}", p.repair_note.unwrap_or_default())),
        (_, Some(from)) if from > today => refuse(format!("最短公示期未满,自{from}起方可申请信用修复")),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ObjectionIn {
    pub record: i64,
    pub reason: String,
    pub contact: Option<Contact>,
    #[serde(default)]
    pub files: Vec<FileIn>,
    /// Anonymous filings over HTTP answer a challenge ([`admit_filing`]).
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// The answer to a [`crate::challenge`] (from `GET /api/v1/challenge`, or the form's fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChallengeAnswer {
    pub token: String,
    pub answer: String,
}

/// The gate in front of filing an objection or a report over HTTP: per client address at most
/// [`crate::Security::case_forms_per_hour`] filings an hour, and a visitor who is not signed in answers the
/// challenge. (The CLI and the demo file on the server itself and do not pass it.)
pub fn admit_filing(
    app: &App,
    p: &Principal,
    client: Option<std::net::IpAddr>,
    challenge: Option<&ChallengeAnswer>,
) -> Result<(), Error> {
    if matches!(p, Principal::Anonymous) {
        let Some(c) = challenge else {
            return Err(Error::new(Code::ChallengeRequired, "请先完成验证题(计算图中的算式)"));
        };
        app.challenges.redeem(&c.token, &c.answer).map_err(|e| Error::new(Code::ChallengeFailed, e.to_string()))?;
    }
    if !app.case_forms.allow(client) {
        return Err(Error::new(
            Code::RateLimited,
            "该网络地址一小时内提交的异议和举报已达上限,请稍后再试;如确有大量异议需提出,请联系信用办",
        ));
    }
    Ok(())
}

/// 提出异议: filed as 待受理; once the supplying department accepts it (受理) the record shows 异议处理中 and the
/// department decides within the deadline. Nothing is marked in public on a filing alone, so that nobody can put
/// a mark on any record by filing.
pub async fn file_objection(app: &App, p: &Principal, o: &ObjectionIn) -> Result<Value, Error> {
    let r = record(app, o.record).await?;
    let today = app.clock.today();
    let view = public::publicity(&app.catalog, &r, false, today);
    let own_subject = account(p).filter(|(a, role)| *role == Role::Subject && a.subject_id == r.subject_id);
    if !view.state.public() && own_subject.is_none() {
        return Err(Error::not_found(format!("编号为 {} 的信用记录不在公示中", o.record)));
    }
    if matches!(view.state, State::已撤销 | State::已修复) {
        return Err(Error::new(Code::RecordClosed, format!("该信息{:?},无需再提出异议", view.state)));
    }
    refuse_if_open(app, r.id, "objection", Code::ObjectionOpen, "该信息已有异议正在处理").await?;
    let reason = text("异议理由", &o.reason, 2000)?;
    let applicant = match own_subject {
        Some((a, _)) => json!({ "account": a.username, "name": a.name, "as": "信用主体" }),
        None => json!({ "contact": contact(o.contact.as_ref(), "异议申请人")?, "as": "其他申请人" }),
    };
    let department = app.store.department_by_uscc(&r.department_uscc).await?;
    let c = app
        .store
        .add_case(NewCase {
            number: number("objection", today),
            kind: "objection".into(),
            record_id: Some(r.id),
            subject_id: r.subject_id,
            department_id: department.map(|d| d.id),
            account_id: own_subject.map(|(a, _)| a.id),
            applicant: Some(applicant.to_string()),
            content: json!({ "reason": reason, "record_version": r.version }),
            state: "待受理".into(),
            due_on: Some(due(app, today, app.catalog.publicity.deadlines.objection_accept)),
            actor: p.actor().0,
            files: files(&o.files)?,
        })
        .await?;
    audit(app, p, "objection.file", format!("record:{} case:{}", r.id, c.number), "filed".into()).await?;
    Ok(tracking(&c, today, &app.catalog.calendar))
}

#[derive(Debug, Clone, Deserialize)]
pub struct RepairIn {
    pub record: i64,
    pub reason: String,
    #[serde(default)]
    pub files: Vec<FileIn>,
}

/// The 信用承诺书 a repair application carries.
fn commitment_text(app: &App, r: &RecordView, name: &str, day: Date) -> String {
    let item = app.catalog.item(&r.item).map(|i| i.name.as_str()).unwrap_or(&r.item);
    let doc = app
        .catalog
        .item(&r.item)
        .and_then(|i| i.natural_key.first())
        .and_then(|k| r.fields.get(k))
        .map(|d| format!("(文号 {d})"))
        .unwrap_or_default();
    format!(
        "信用承诺书\n本人(本单位){name}就{item}信息{doc}申请信用修复,郑重承诺:\n\
         一、已履行行政决定规定的法定义务,已纠正失信行为、消除不良影响;\n\
         二、所提交的申请材料真实、合法、有效;\n\
         三、今后严格遵守法律法规,诚实守信;\n\
         如违背上述承诺,愿承担相应法律责任,并同意将本承诺及履约情况记入信用记录、依法公开。\n\
         承诺日期:{}年{}月{}日",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The commitment fields for `r`'s subject (copied from `r`'s subject fields), or `None` if the record does not
/// carry what a commitment record needs.
fn commitment_fields(
    app: &App,
    r: &RecordView,
    department: &Department,
    kind: &str,
    matter: &str,
    content: &str,
    number: &str,
) -> Option<BTreeMap<String, String>> {
    let item = app.catalog.item(&r.item)?;
    let s = &item.subject;
    let get = |f: &Option<String>| f.as_ref().and_then(|f| r.fields.get(f)).cloned();
    let kind_label = get(&s.kind).or_else(|| s.default_kind.clone())?;
    let mut f = BTreeMap::new();
    f.insert("CN_MC".into(), r.fields.get(&s.name)?.clone());
    f.insert("CN_ZTLB".into(), kind_label);
    for (to, from) in [("CN_SHXYM", &s.uscc), ("CN_ZJLX", &s.id_type), ("CN_ZJHM", &s.id_number)] {
        if let Some(v) = get(from).filter(|v| !v.is_empty()) {
            f.insert(to.into(), v);
        }
    }
    Some(commitment(f, department, kind, matter, content, number, app.clock.today()))
}

fn commitment(
    mut f: BTreeMap<String, String>,
    department: &Department,
    kind: &str,
    matter: &str,
    content: &str,
    number: &str,
    day: Date,
) -> BTreeMap<String, String> {
    for (k, v) in [
        ("CN_CNLX", kind),
        ("CN_CNSX", matter),
        ("CN_CNNR", content),
        ("CN_CNBH", number),
        ("CN_SLDW", &department.name),
        ("CN_SLDWDM", &department.uscc),
        ("CN_LYZT", "履约中"),
        ("CN_SJLY", &department.name),
        ("CN_SJLYDM", &department.uscc),
    ] {
        f.insert(k.into(), v.to_string());
    }
    f.insert("CN_CNRQ".into(), day.to_string());
    f
}

/// 申请信用修复: a subject account, for its own record, after the minimum period (or once the obligations are
/// met, for 轻微). The 信用承诺书 is generated and recorded as a 信用修复型 commitment of the deciding department.
pub async fn file_repair(app: &App, p: &Principal, o: &RepairIn) -> Result<Value, Error> {
    let (a, role) = account(p).ok_or_else(|| Error::forbidden("请以信用主体账号申请信用修复"))?;
    let r = record(app, o.record).await?;
    if role != Role::Subject || a.subject_id.is_none() || a.subject_id != r.subject_id {
        return Err(Error::forbidden("只能为本主体的信用记录申请信用修复"));
    }
    let today = app.clock.today();
    repairable(app, &r, today)?;
    refuse_if_open(app, r.id, "repair", Code::RepairOpen, "该信息已有信用修复申请正在办理").await?;
    let reason = text("修复理由(履行义务、纠正失信行为的情况)", &o.reason, 4000)?;
    let department = app
        .store
        .department_by_uscc(&r.department_uscc)
        .await?
        .ok_or_else(|| Error::internal("record without department"))?;
    let number = number("repair", today);
    let pledge = commitment_text(app, &r, &a.name, today);
    let c = app
        .store
        .add_case(NewCase {
            number: number.clone(),
            kind: "repair".into(),
            record_id: Some(r.id),
            subject_id: r.subject_id,
            department_id: Some(department.id),
            account_id: Some(a.id),
            applicant: Some(json!({ "account": a.username, "name": a.name }).to_string()),
            content: json!({ "reason": reason, "commitment": pledge, "record_version": r.version }),
            state: "待受理".into(),
            due_on: Some(due(app, today, app.catalog.publicity.deadlines.repair_accept)),
            actor: a.username.clone(),
            files: files(&o.files)?,
        })
        .await?;
    let matter = format!("申请信用修复(案件 {number})");
    let commitment = commitment_fields(app, &r, &department, "信用修复型", &matter, &pledge, &number);
    let recorded = match commitment {
        Some(fields) => store(app, &department, item_of(app, "xycn")?, &fields, &number).await.map(|x| x.0).ok(),
        None => None,
    };
    audit(app, p, "repair.file", format!("record:{} case:{number}", r.id), format!("commitment_record={recorded:?}"))
        .await?;
    let mut v = json!(CaseDetail::of(&c, today, &app.catalog.calendar, Viewer::Applicant));
    v["commitment_record"] = json!(recorded);
    Ok(v)
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportIn {
    /// The department responsible (统一社会信用代码).
    pub department: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub content: String,
    pub reporter: Option<Contact>,
    #[serde(default)]
    pub files: Vec<FileIn>,
    /// Anonymous filings over HTTP answer a challenge ([`admit_filing`]).
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// 举报: anyone, with a contact; the tracking number is the reporter's only handle.
pub async fn file_report(app: &App, p: &Principal, o: &ReportIn) -> Result<Value, Error> {
    let department = app.store.department_by_uscc(o.department.trim()).await?.ok_or_else(|| {
        Error::new(Code::UnknownDepartment, format!("没有统一社会信用代码为“{}”的部门", o.department))
    })?;
    let reporter = contact(o.reporter.as_ref(), "举报人")?;
    let today = app.clock.today();
    let subject_name = text("被举报主体名称", &o.subject_name, 200)?;
    let subject = match o.subject_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => app.store.subject_by_code(&credo_domain::ids::typed_code(code, today)).await?.map(|s| s.id),
        None => None,
    };
    let c = app
        .store
        .add_case(NewCase {
            number: number("report", today),
            kind: "report".into(),
            record_id: None,
            subject_id: subject,
            department_id: Some(department.id),
            account_id: account(p).map(|(a, _)| a.id),
            applicant: Some(json!({ "reporter": reporter }).to_string()),
            content: json!({ "subject_name": subject_name, "subject_code": o.subject_code, "content": text("举报内容", &o.content, 4000)? }),
            state: "办理中".into(),
            due_on: Some(due(app, today, app.catalog.publicity.deadlines.report)),
            actor: p.actor().0,
            files: files(&o.files)?,
        })
        .await?;
    audit(app, p, "report.file", format!("case:{}", c.number), format!("department={}", department.uscc)).await?;
    Ok(tracking(&c, today, &app.catalog.calendar))
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExtendIn {
    pub days: u32,
    pub reason: String,
}

/// 延期: an objection's deadline, once, to at most `objection_max` working days from filing.
pub async fn extend(app: &App, p: &Principal, number: &str, o: &ExtendIn) -> Result<Value, Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    let actor = acting(p, Role::Handler, c.department_id)?;
    let d = &app.catalog.publicity.deadlines;
    if c.kind != "objection" || c.closed_at.is_some() || c.state != "办理中" {
        return Err(Error::new(Code::NotExtendable, "只有已受理、办理中的异议案件可以延期"));
    }
    if c.extended_days > 0 {
        return Err(Error::new(Code::AlreadyExtended, "异议案件只能延期一次"));
    }
    // Compared without adding, so that no number of days overflows.
    if o.days == 0 || o.days > d.objection_max.saturating_sub(d.objection) {
        return Err(Error::new(
            Code::BadExtension,
            format!(
                "延期天数须为 1 至 {} 个工作日(合计不超过 {} 个工作日)",
                d.objection_max - d.objection,
                d.objection_max
            ),
        ));
    }
    let reason = text("延期理由", &o.reason, 1000)?;
    // Working days compose: the first deadline plus `days` is the filing day plus `objection + days`.
    let new_due = due(app, c.due_on.unwrap_or(app.clock.today()), o.days);
    let c = app
        .store
        .update_case(
            number,
            CaseUpdate {
                from: c.state.clone(),
                state: c.state.clone(),
                due_on: Some(new_due),
                extended_days: i64::from(o.days),
                outcome: None,
                outcome_reason: None,
                closed: false,
                actor,
                step: format!("延期 {} 个工作日,至 {new_due}", o.days),
                note: Some(reason),
            },
        )
        .await?;
    audit(app, p, "objection.extend", format!("case:{number}"), format!("due_on={new_due}")).await?;
    Ok(json!(CaseDetail::of(&c, app.clock.today(), &app.catalog.calendar, viewer)))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecideIn {
    pub outcome: String,
    pub reason: String,
    /// 更正: the corrected fields (catalog codes), merged onto the record.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// 举报: the reward granted, if any.
    pub reward: Option<String>,
}

/// The next step of a case: the handler's decision (or the reviewer's, for a repair waiting for review).
pub async fn decide(app: &App, p: &Principal, number: &str, o: &DecideIn) -> Result<Value, Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    if c.closed_at.is_some() {
        return Err(Error::new(Code::CaseClosed, format!("案件 {number} 已办结")));
    }
    let reason = text("理由", &o.reason, 2000)?;
    let today = app.clock.today();
    let d = &app.catalog.publicity.deadlines;
    let bad = |allowed: &str| Error::new(Code::BadOutcome, format!("案件当前“{}”,办理结果应为:{allowed}", c.state));
    // (next state, closes, deadline, role acting, what it does to the record)
    let (state, closes, days, role, effect): (&str, bool, Option<u32>, Role, Effect) =
        match (c.kind.as_str(), c.state.as_str(), o.outcome.as_str()) {
            ("objection", "待受理", "受理") => ("办理中", false, Some(d.objection), Role::Handler, Effect::None),
            ("objection", "待受理", "不予受理") => ("不予受理", true, None, Role::Handler, Effect::None),
            ("objection", "待受理", _) => return Err(bad("受理 或 不予受理")),
            ("objection", "办理中", "维持") => ("已办结", true, None, Role::Handler, Effect::None),
            ("objection", "办理中", "更正") => ("已办结", true, None, Role::Handler, Effect::Correct),
            ("objection", "办理中", "撤销") => ("已办结", true, None, Role::Handler, Effect::Mark("revoked")),
            ("objection", _, _) => return Err(bad("维持、更正 或 撤销")),
            ("repair", "待受理", "受理") => ("办理中", false, Some(d.repair_decide), Role::Handler, Effect::None),
            ("repair", "待受理", "不予受理") => ("不予受理", true, None, Role::Handler, Effect::None),
            ("repair", "待受理", _) => return Err(bad("受理 或 不予受理")),
            ("repair", "办理中", "同意修复") => {
                ("待复核", false, Some(d.repair_review), Role::Handler, Effect::None)
            }
            ("repair", "办理中", "不予修复") => ("不予修复", true, None, Role::Handler, Effect::None),
            ("repair", "办理中", _) => return Err(bad("同意修复 或 不予修复")),
            ("repair", "待复核", "通过") => ("已修复", true, None, Role::Reviewer, Effect::Mark("repaired")),
            ("repair", "待复核", "退回") => ("办理中", false, Some(d.repair_decide), Role::Reviewer, Effect::None),
            ("repair", "待复核", _) => return Err(bad("通过 或 退回")),
            ("report", "办理中", "查实" | "部分查实" | "不属实") => {
                ("已办结", true, None, Role::Handler, Effect::None)
            }
            ("report", _, _) => return Err(bad("查实、部分查实 或 不属实")),
            _ => return Err(bad("(无)")),
        };
    let actor = acting(p, role, if role == Role::Handler { c.department_id } else { None })?;
    let mut result = o.outcome.clone();
    if let (Some(id), true) = (c.record_id, !matches!(effect, Effect::None)) {
        let r = record(app, id).await?;
        let version = match effect {
            Effect::Correct => {
                if o.fields.is_empty() {
                    return Err(Error::new(Code::FieldsRequired, "更正须给出更正后的字段(fields)"));
                }
                if let Some(k) = o.fields.keys().find(|k| k.starts_with('@')) {
                    return Err(Error::new(Code::BadField, format!("字段 {k} 不能更正")));
                }
                new_version(app, &r, |f| f.extend(o.fields.clone()), number).await?
            }
            Effect::Mark(kind) => {
                let mark = Mark { kind: kind.into(), on: today, case: number.to_string() };
                new_version(app, &r, |f| drop(f.insert(MARK_FIELD.into(), mark.to_field())), number).await?
            }
            Effect::None => r.version,
        };
        result = format!("{} version={version}", o.outcome);
    }
    let mut note = reason.clone();
    if let Some(reward) = o.reward.as_deref().filter(|r| !r.trim().is_empty()) {
        note = format!("{note};奖励:{}", reward.trim());
    }
    let c = app
        .store
        .update_case(
            number,
            CaseUpdate {
                from: c.state.clone(),
                state: state.into(),
                due_on: days.map(|n| due(app, today, n)).or(c.due_on),
                extended_days: c.extended_days,
                outcome: closes.then(|| o.outcome.clone()),
                outcome_reason: closes.then(|| note.clone()),
                closed: closes,
                actor,
                step: o.outcome.clone(),
                note: Some(note),
            },
        )
        .await?;
    audit(app, p, &format!("{}.decide", c.kind), format!("case:{number}"), result).await?;
    Ok(json!(CaseDetail::of(&c, today, &app.catalog.calendar, viewer)))
}

enum Effect {
    None,
    Correct,
    Mark(&'static str),
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitIn {
    /// The department the commitment is made to (统一社会信用代码).
    pub department: String,
    /// 承诺类型: 审批替代型, 证明事项告知承诺, 主动型, 行业自律型.
    #[serde(rename = "type")]
    pub kind: String,
    pub matter: String,
    pub content: String,
}

/// 作出信用承诺: a subject account commits to a department; the commitment is a public record of that
/// department (信用承诺, 履约中).
pub async fn commit(app: &App, p: &Principal, o: &CommitIn) -> Result<Value, Error> {
    let (a, role) = account(p).ok_or_else(|| Error::forbidden("请以信用主体账号作出承诺"))?;
    let subject_id =
        a.subject_id.filter(|_| role == Role::Subject).ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
    let s = app.store.subject(subject_id).await?.ok_or_else(|| Error::not_found("绑定的信用主体不存在"))?;
    let department = app.store.department_by_uscc(o.department.trim()).await?.ok_or_else(|| {
        Error::new(Code::UnknownDepartment, format!("没有统一社会信用代码为“{}”的部门", o.department))
    })?;
    let item = item_of(app, "xycn")?;
    if !item.field("CN_CNLX").is_some_and(|f| f.values.contains(&o.kind)) || o.kind == "信用修复型" {
        return Err(Error::new(Code::BadType, "承诺类型应为 审批替代型、证明事项告知承诺、主动型 或 行业自律型"));
    }
    let today = app.clock.today();
    let mut f = BTreeMap::new();
    f.insert("CN_MC".to_string(), s.name.clone());
    f.insert("CN_ZTLB".to_string(), s.kind.label().to_string());
    let code = s.code.clone().unwrap_or_default();
    match s.kind {
        SubjectKind::Person => {
            let number = code.split_once(':').map(|(_, n)| n.to_string()).unwrap_or(code);
            f.insert("CN_ZJLX".into(), "身份证".into());
            f.insert("CN_ZJHM".into(), number);
        }
        _ => drop(f.insert("CN_SHXYM".into(), code)),
    }
    let number =
        format!("CN{}{}", today.to_string().replace('-', ""), hex::encode_upper(rand::rng().random::<[u8; 4]>()));
    let fields = commitment(
        f,
        &department,
        &o.kind,
        &text("承诺事由", &o.matter, 500)?,
        &text("承诺内容", &o.content, 4000)?,
        &number,
        today,
    );
    let (id, _) = store(app, &department, item, &fields, &number).await?;
    audit(app, p, "commitment.make", format!("record:{id} subject:{subject_id}"), number.clone()).await?;
    Ok(json!({ "record_id": id, "number": number, "department": department.name }))
}

#[derive(Debug, Clone, Deserialize)]
pub struct BreachIn {
    pub date: Option<String>,
    pub description: String,
}

/// 记录未履约: the department a commitment was made to records the breach; the commitment's new version is a
/// negative record (publicity period from the breach date; measures for 信用承诺未履约 apply).
pub async fn breach(app: &App, p: &Principal, record_id: i64, o: &BreachIn) -> Result<Value, Error> {
    let r = record(app, record_id).await?;
    let department = app.store.department_by_uscc(&r.department_uscc).await?.map(|d| d.id);
    acting(p, Role::Handler, department)?;
    if r.item != "xycn" {
        return Err(Error::new(Code::NotACommitment, "只有信用承诺记录可以记录未履约"));
    }
    if r.fields.get("CN_LYZT").is_some_and(|s| s == "未履约") {
        return Err(Error::new(Code::AlreadyBreached, "该承诺已记录为未履约"));
    }
    let today = app.clock.today();
    let day = match o.date.as_deref() {
        Some(d) => credo_domain::value::parse_date(d)
            .filter(|d| *d <= today)
            .ok_or_else(|| Error::new(Code::BadDate, format!("未履约认定日期“{d}”无效或晚于今天")))?,
        None => today,
    };
    let what = text("未履约情况", &o.description, 2000)?;
    let label = format!("breach:{record_id}");
    let version = new_version(
        app,
        &r,
        |f| {
            f.insert("CN_LYZT".into(), "未履约".into());
            f.insert("CN_WLYRQ".into(), day.to_string());
            f.insert("CN_WLYQK".into(), what);
        },
        &label,
    )
    .await?;
    audit(app, p, "commitment.breach", format!("record:{record_id}"), format!("version={version}")).await?;
    let r = record(app, record_id).await?;
    Ok(json!({ "record": public::record(&app.catalog, &r, false, today) }))
}

/// The daily expiry job: records every record whose publicity period ended before `today` in the change feed
/// (once). Repaired and revoked records are already there as versions. Returns how many were new.
pub async fn record_expiries(app: &App, today: Date) -> anyhow::Result<usize> {
    let items: Vec<&str> = app.catalog.publicity.items.keys().map(String::as_str).collect();
    let (mut after, mut new) = (0, 0);
    loop {
        let page = app.store.records_of_items(&items, after, 20_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ended: Vec<(i64, i64, Date)> = page
            .iter()
            .filter(|r| Mark::of(&r.fields).is_none())
            .filter_map(|r| {
                let end = public::window(&app.catalog, r).last_day?;
                (end < today).then_some((r.id, r.version, end))
            })
            .collect();
        new += app.store.record_expiries(&ended).await?;
    }
    Ok(new)
}

/// A file of a case, for the handler of its department only: evidence (receipts, licences, ID cards) names
/// the applicant, so the reviewer does not open it.
pub async fn file(app: &App, p: &Principal, number: &str, n: i64) -> Result<(String, Vec<u8>), Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    if viewer != Viewer::Handler {
        let target = format!("case:{number} file:{n}");
        audit(app, p, &format!("{}.file_read", c.kind), target, "denied: reviewer".into()).await?;
        return Err(Error::forbidden("证明材料载有申请人身份,只由案件所属部门的案件办理员查看"));
    }
    audit(app, p, &format!("{}.file_read", c.kind), format!("case:{number} file:{n}"), "ok".into()).await?;
    app.store.case_file(number, n).await?.ok_or_else(|| Error::not_found(format!("案件 {number} 没有第 {n} 个文件")))
}
