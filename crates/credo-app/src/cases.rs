//! The subject's rights and the public's channel: 异议 (objections), 信用修复 (credit repair), 信用承诺
//! (commitments) and 举报 (whistleblower reports).
//!
//! One place for every step, used by the API and the CLI alike: who may take it (the policy says which role may
//! reach a route; here, which department or subject), the working-day deadline from `catalog/publicity.toml`,
//! the audit event, and — where a step changes a record — the record's new version (更正, 撤销, 已修复, 未履约),
//! written through the store like any submission so that the change feed, the search index and the checks'
//! index follow at once.
//!
//! The rules themselves — kinds and numbers, states and the steps between them, who takes each, the deadlines,
//! what a decision does to the record, repair eligibility, commitments and breaches — are
//! [`credo_domain::cases`]'s, stated once there; this module reads the case, asks them, and writes what they say.

use std::collections::BTreeMap;

use base64::Engine as _;
use credo_domain::calendar::Calendar;
use credo_domain::cases::{self as rules, Action, Actor, CaseRuleError, Commitment, Kind, RepairFacts};
use credo_domain::catalog::Item;
use credo_domain::publicity::{MARK_FIELD, Mark};
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

/// A new case number ([`rules::number`]), with its random part drawn here.
pub(crate) fn number(kind: Kind, day: Date) -> String {
    rules::number(kind, day, rand::rng().random())
}

/// An evidence file: its name and content. Over the JSON API the content comes base64-encoded as `content_base64`;
/// pages and the CLI hand over the bytes they read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "证明材料(内联,Base64)")]
pub struct FileIn {
    pub name: String,
    #[serde(rename = "content_base64", deserialize_with = "base64_content")]
    #[schema(value_type = String)]
    pub content: Content,
}

/// A file's content, or the fact that what was sent as its base64 encoding is none (the file's error, reported with
/// its name like any other problem with it, not the request's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    NotBase64,
}

fn base64_content<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Content, D::Error> {
    let text = String::deserialize(d)?;
    Ok(base64::engine::general_purpose::STANDARD.decode(text.trim()).map_or(Content::NotBase64, Content::Bytes))
}

/// A contact: name and telephone.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(description = "联系人:姓名与电话")]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

pub(crate) fn files(input: &[FileIn]) -> Result<Vec<NewCaseFile>, Error> {
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
            let Content::Bytes(bytes) = &f.content else {
                return Err(Error::new(Code::BadFile, format!("文件“{name}”不是有效的 base64 内容")));
            };
            if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
                return Err(Error::new(
                    Code::BadFile,
                    format!("文件“{name}”为空或超过 {} MiB", MAX_FILE_BYTES / 1024 / 1024),
                ));
            }
            Ok(NewCaseFile { sm3: credo_gm::sm3_hex(bytes), name, bytes: bytes.clone() })
        })
        .collect()
}

/// A required text field, trimmed, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::new(Code::MissingField, format!("请填写{field}")));
    }
    if v.chars().count() > max {
        return Err(Error::new(Code::TooLong, format!("{field}不能超过 {max} 字")));
    }
    if v.chars().any(credo_domain::masking::hidden_char) {
        return Err(Error::new(Code::BadField, format!("{field}含有控制字符或不可见的排版字符,请删除后重新提交")));
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

/// The due day of a case of `kind` filed `today` ([`rules::deadline`]).
pub(crate) fn filing_due(app: &App, kind: Kind, today: Date) -> Date {
    rules::deadline(kind, &app.catalog.publicity.deadlines, &app.catalog.calendar, today).value
}

fn account(p: &Principal) -> Option<(&Account, Role)> {
    match p {
        Principal::Account { account, role, .. } => Some((account, *role)),
        _ => None,
    }
}

/// The account taking a step that is `required`'s, in a case (or about a record) of the department `department`
/// when there is one ([`rules::may_act`]): its username, or a 403 saying why not.
fn acting(p: &Principal, required: Actor, department: Option<i64>) -> Result<String, Error> {
    match account(p) {
        Some((a, role)) => {
            // The case roles' codes are the account roles' (`handler`, `reviewer`).
            rules::may_act(required, Actor::parse(role.code()), a.department_id, department)?;
            Ok(a.username.clone())
        }
        None => Err(rules::NotYours::Role(required).into()),
    }
}

async fn audit(app: &App, p: &Principal, action: &str, target: String, result: String) -> Result<(), Error> {
    let (actor, role, department) = p.actor();
    let purpose = Some(action.split('.').next().map(rules::kind_label).unwrap_or("案件").to_string());
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

pub(crate) async fn record(app: &App, id: i64) -> Result<RecordView, Error> {
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
pub(crate) async fn store(
    app: &App,
    department: &Department,
    item: &Item,
    fields: &BTreeMap<String, String>,
    label: &str,
) -> Result<(i64, i64), Error> {
    let mut valid = crate::error::validated(app, item, fields, app.clock.today())?;
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
    if let Err(e) = crate::grades::follow_changes(app).await {
        tracing::warn!(error = %e.detail, "grades not brought up to date after the case (the follower will)");
    }
    // A record repaired or revoked: 示范单位 and 典型案例 that rest on it follow at once, as after a batch.
    feed::follow_records(app).await;
    Ok((row.record_id, row.version))
}

/// A new version of `r` with `change` applied to its fields; the natural key cannot change.
pub(crate) async fn new_version(
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

/// A record of the signed-in department (another department's, or none, is "not found").
pub async fn own_record(app: &App, p: &Principal, record_id: i64) -> Result<RecordView, Error> {
    let r = record(app, record_id).await;
    match (r, p.department()) {
        (Ok(r), Some(d)) if d.uscc == r.department_uscc => Ok(r),
        _ => Err(Error::not_found(format!("本部门没有编号为 {record_id} 的信用记录"))),
    }
}

/// 撤销 by the department that decided a record, outside any case (its decision was revoked on review, or it was
/// published in error): a new version marked revoked today, so that the public stops seeing it at once and it never
/// counts in a check; the reason goes to the audit trail. The department's 案件办理员 does it (as a 撤销 in an
/// objection), not while a case about the record is open (the case decides then).
pub async fn withdraw(app: &App, p: &Principal, record_id: i64, reason: &str) -> Result<i64, Error> {
    let reason = text("撤销理由", reason, 500)?;
    let r = own_record(app, p, record_id).await?;
    if Mark::of(&r.fields).is_some_and(|m| m.kind == "revoked") {
        return Err(Error::new(Code::Conflict, format!("记录 {record_id} 已撤销")));
    }
    let filter = CaseFilter { record_id: Some(record_id), open_only: true, ..CaseFilter::default() };
    if let Some(c) = app.store.cases(&filter, 1).await?.first() {
        return Err(Error::new(
            Code::Conflict,
            format!("该记录有正在办理的{}(案件 {}),请在案件中办理", rules::kind_label(&c.kind), c.number),
        ));
    }
    let mark = Mark {
        kind: "revoked".into(),
        on: app.clock.today(),
        case: credo_domain::publicity::WITHDRAWN_BY_DEPARTMENT.into(),
    };
    let label = credo_domain::publicity::WITHDRAWN_BY_DEPARTMENT;
    let version = new_version(app, &r, |f| drop(f.insert(MARK_FIELD.into(), mark.to_field())), label).await?;
    let result = format!("version={version} reason={}", public::mask_ids(&reason));
    audit(app, p, "record.withdraw", format!("record:{record_id}"), result).await?;
    Ok(version)
}

/// Marks a record `revoked` or `repaired` because the record it came from was (a city's withdrawal or repair
/// reaching the province): a new version with the mark, as a department's own withdrawal makes. `None` when it is
/// already marked.
pub async fn mark_as_origin(app: &App, record_id: i64, kind: &str, case: &str) -> Result<Option<i64>, Error> {
    let r = record(app, record_id).await?;
    if Mark::of(&r.fields).is_some() {
        return Ok(None);
    }
    let mark = Mark { kind: kind.into(), on: app.clock.today(), case: case.into() };
    let version = new_version(app, &r, |f| drop(f.insert(MARK_FIELD.into(), mark.to_field())), case).await?;
    Ok(Some(version))
}

/// What the public may know of a case (tracking by number): no applicant, no evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "公众可知的案件进度(凭编号查询):不含申请人与证明材料")]
pub struct Tracking {
    pub number: String,
    /// `objection`(异议)、`repair`(信用修复)、`report`(举报)
    pub kind: String,
    pub kind_label: &'static str,
    pub state: String,
    pub filed_at: String,
    #[schema(format = Date)]
    pub due_on: Option<String>,
    // See [`due_note`].
    /// 期限所在年份的节假日尚未公布,按暂定日历计算
    pub due_note: Option<String>,
    pub closed_at: Option<String>,
    pub overdue: bool,
    pub outcome: Option<String>,
    // The department's reply (the reason given with the outcome).
    /// 部门的答复
    pub reply: Option<String>,
    pub steps: Vec<TrackedStep>,
}

/// A step of a case as the public sees it: when, and what (not who, nor the note).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "公众所见的案件步骤:时间与步骤(不含办理人与说明)")]
pub struct TrackedStep {
    pub at: String,
    pub step: String,
}

/// A case step as a person reads it. The filing step is stored as the code `filed` (as the API gives it); the
/// others are stored in words (受理, 更正, 延期 …) and read as they are.
pub fn step_label(step: &str) -> &str {
    match step {
        "filed" => "提交申请",
        other => other,
    }
}

impl Tracking {
    pub fn of(c: &Case, today: Date, calendar: &Calendar) -> Tracking {
        Tracking {
            number: c.number.clone(),
            kind: c.kind.clone(),
            kind_label: rules::kind_label(&c.kind),
            state: c.state.clone(),
            filed_at: c.filed_at.clone(),
            due_on: c.due_on.map(|d| d.to_string()),
            due_note: due_note(c, calendar),
            closed_at: c.closed_at.clone(),
            overdue: overdue(c, today),
            outcome: c.outcome.clone(),
            reply: c.outcome_reason.clone(),
            steps: c.steps.iter().map(|s| TrackedStep { at: s.at.clone(), step: s.step.clone() }).collect(),
        }
    }
}

/// [`Tracking`] as JSON: the public case pages and the filing answers read it so.
pub fn tracking(c: &Case, today: Date, calendar: &Calendar) -> Value {
    json!(Tracking::of(c, today, calendar))
}

/// When the due day falls in a year counted without the State Council's table (or with weekends only), says so.
pub fn due_note(c: &Case, calendar: &Calendar) -> Option<String> {
    c.due_on.and_then(|d| calendar.working(d).warning())
}

fn overdue(c: &Case, today: Date) -> bool {
    rules::overdue(c.closed_at.is_some(), c.due_on, today)
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

impl Viewer {
    /// Whose steps this viewer takes in the case rules ([`rules::actions_for`]): the handler's or the reviewer's.
    pub fn actor(self) -> Option<Actor> {
        match self {
            Viewer::Handler => Some(Actor::Handler),
            Viewer::Reviewer => Some(Actor::Reviewer),
            Viewer::Applicant | Viewer::Public => None,
        }
    }
}

/// How `p` sees `c`. `None` for case staff to whom `c` does not belong — another department's handler, the reviewer
/// for a 举报 — for whom the case does not exist (404, as for a number never issued), so that a number seen
/// elsewhere tells them nothing.
pub fn viewer(p: &Principal, c: &Case) -> Option<Viewer> {
    match account(p) {
        Some((a, Role::Handler)) => {
            (a.department_id.is_some() && a.department_id == c.department_id).then_some(Viewer::Handler)
        }
        // A kind the reviewer reads nothing of (a 举报) is not the reviewer's.
        Some((_, Role::Reviewer)) => reviewed_content(&c.kind).is_some().then_some(Viewer::Reviewer),
        Some((a, Role::Subject)) if c.account_id == Some(a.id) => Some(Viewer::Applicant),
        _ => Some(Viewer::Public),
    }
}

/// A case as one [`Viewer`] other than the public sees it (the public gets [`tracking`]).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "案件办理员、信用审核员或申请人所见的案件")]
pub struct CaseDetail {
    /// Who this view was made for.
    #[serde(skip)]
    pub viewer: Viewer,
    pub number: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub state: String,
    pub filed_at: String,
    #[schema(format = Date)]
    pub due_on: Option<String>,
    // The due day's year is counted provisionally (no State Council table yet): 补假 and 调休 unknown.
    /// 期限所在年份的节假日尚未公布,按暂定日历计算
    pub due_note: Option<String>,
    pub closed_at: Option<String>,
    pub overdue: bool,
    pub outcome: Option<String>,
    pub reply: Option<String>,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub extended_days: i64,
    // What was applied for: for the reviewer only the fields below, masked (see [`Viewer::Reviewer`]).
    /// 申请内容(信用审核员只看到部分字段,且已遮蔽)
    #[schema(value_type = Object)]
    pub content: Value,
    pub files: Vec<FileView>,
    pub steps: Vec<StepView>,
    // Who applied, and how to reach them: the department's handler only.
    /// 申请人及其联系方式:仅本部门案件办理员可见
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub applicant: Option<Value>,
    // The record the case is about, as the public sees it (handler and reviewer).
    /// 案件所涉记录(公众所见;案件办理员与信用审核员)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<public::PublicRecord>,
}

/// An evidence file: its name only for those who may open it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "证明材料:只有可查看者看到文件名")]
pub struct FileView {
    pub n: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 文件的 SM3 摘要,十六进制
    pub sm3: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub note: Option<String>,
}

/// The content fields the reviewer sees of a case of stored kind `kind` ([`Kind::reviewed_content`]); `None`: the
/// case is never the reviewer's.
fn reviewed_content(kind: &str) -> Option<&'static [&'static str]> {
    Kind::parse(kind).and_then(Kind::reviewed_content)
}

/// Stands for the applicant in what the reviewer reads.
const APPLICANT: &str = "(申请人)";

impl CaseDetail {
    /// `c` as `viewer` sees it (`Public` gets the status fields only, like [`tracking`]).
    pub fn of(c: &Case, today: Date, calendar: &Calendar, viewer: Viewer) -> CaseDetail {
        let mask = Masker::new(c, viewer);
        let content = match viewer {
            Viewer::Handler | Viewer::Applicant => c.content.clone(),
            Viewer::Reviewer => {
                let keep = reviewed_content(&c.kind).unwrap_or_default();
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
            kind_label: rules::kind_label(&c.kind),
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
        credo_domain::masking::mask_digit_runs(&named)
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

/// A conflict when `record` already has an open case of `kind` and the kind allows one at a time
/// ([`Kind::one_open_per_record`]).
async fn refuse_if_open(app: &App, record: i64, kind: Kind) -> Result<(), Error> {
    let Some((code, what)) = kind.one_open_per_record() else { return Ok(()) };
    let filter = CaseFilter {
        record_id: Some(record),
        kind: Some(kind.as_str().into()),
        open_only: true,
        ..CaseFilter::default()
    };
    match app.store.cases(&filter, 1).await?.first() {
        Some(c) => Err(Error::new(Code::of_rule(code), format!("{what}(案件 {}),请等待办理结果", c.number))),
        None => Ok(()),
    }
}

/// Files `new`. Where its kind allows one open case per key ([`NewCase::open_key`]), the check before filing can
/// race a filing at the same moment; the store's unique index then refuses the second, and the refusal is `again`'s
/// (the same check, which now finds the first case) or, failing that, a plain conflict.
pub(crate) async fn add_case(
    app: &App,
    new: NewCase,
    again: impl AsyncFnOnce() -> Result<(), Error>,
) -> Result<Case, Error> {
    match app.store.add_case(new).await {
        Err(credo_store::StoreError::Conflict(m)) => {
            again().await?;
            Err(Error::new(Code::Conflict, m))
        }
        other => Ok(other?),
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

/// A case as [`show`] answers: the whole case, or its status only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = CaseView, description = "案件:办理人员与申请人看到完整案件,其他知道编号的人只看到进度")]
pub enum Shown {
    Detail(Box<CaseDetail>),
    Tracking(Box<Tracking>),
}

/// A case by number as `p` may see it: the whole case for its handlers (the applicant for its department's
/// handler only), its own case for the applicant, the status for anyone else with the number; 404 for case staff
/// it does not belong to.
pub async fn show(app: &App, p: &Principal, number: &str) -> Result<Shown, Error> {
    let (c, viewer) = case_as(app, p, number).await?;
    let detail = match viewer {
        Viewer::Handler | Viewer::Reviewer => staff_detail(app, p, &c, viewer).await?,
        Viewer::Applicant => CaseDetail::of(&c, app.clock.today(), &app.catalog.calendar, viewer),
        Viewer::Public => {
            return Ok(Shown::Tracking(Box::new(Tracking::of(&c, app.clock.today(), &app.catalog.calendar))));
        }
    };
    Ok(Shown::Detail(Box::new(detail)))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub kind: Option<String>,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub all: bool,
}

/// A list of cases for the staff who handle them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "案件办理人员的案件列表")]
pub struct CaseList {
    pub count: usize,
    /// 其中逾期的案件数
    pub overdue: usize,
    pub cases: Vec<CaseDetail>,
}

/// The handler's inbox (own department) or the reviewer's (every objection and repair, without the applicants):
/// open cases unless `all`, overdue ones first when asked.
pub async fn list(app: &App, p: &Principal, q: &ListQuery) -> Result<CaseList, Error> {
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
    Ok(CaseList { count: list.len(), overdue: late, cases: list })
}

/// A subject account's own cases, as [`own_cases`] answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "信用主体账号提交的案件")]
pub struct OwnCases {
    pub count: usize,
    pub cases: Vec<CaseDetail>,
}

/// The cases a subject account filed.
pub async fn own_cases(app: &App, p: &Principal) -> Result<OwnCases, Error> {
    let (a, _) = account(p).ok_or_else(|| Error::forbidden("须以信用主体账号查看"))?;
    let cases = app.store.cases(&CaseFilter { account_id: Some(a.id), ..CaseFilter::default() }, 1000).await?;
    let today = app.clock.today();
    let list: Vec<CaseDetail> =
        cases.iter().map(|c| CaseDetail::of(c, today, &app.catalog.calendar, Viewer::Applicant)).collect();
    Ok(OwnCases { count: list.len(), cases: list })
}

/// A record as the public sees it, with why it cannot be repaired today, if it cannot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "公众所见的记录,及今日不能申请信用修复的原因")]
pub struct ShownRecord {
    pub record: public::PublicRecord,
    /// 今日申请信用修复会被拒绝的原因(`null`:可以申请)
    pub repair_refused: Option<String>,
}

/// A record as the public sees it, with its publicity and whether (and from when) it can be repaired.
pub async fn record_view(app: &App, id: i64) -> Result<ShownRecord, Error> {
    let r = record(app, id).await?;
    let today = app.clock.today();
    let disputed = app.store.disputed(&[id]).await?.contains(&id);
    let shown = public::record(&app.catalog, &r, disputed, today)
        .filter(|p| p.publicity.state.public())
        .ok_or_else(|| Error::not_found(format!("编号为 {id} 的信用记录不在公示中")))?;
    let repair = repairable(app, &r, today).err();
    Ok(ShownRecord { record: shown, repair_refused: repair.map(|e| e.detail) })
}

/// Why `r` cannot be repaired on `today` (a 422 `not_repairable` with the reason), or `Ok` when it can
/// ([`rules::repair_eligibility`], on its window and its state as the public sees it without an open objection).
pub fn repairable(app: &App, r: &RecordView, today: Date) -> Result<(), Error> {
    let state = public::publicity(&app.catalog, r, false, today).state;
    let window = public::window(&app.catalog, r);
    Ok(rules::repair_eligibility(&RepairFacts::of(&window, state), today)?)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "异议申请:对公示中的记录提出异议")]
pub struct ObjectionIn {
    pub record: i64,
    pub reason: String,
    /// 未以该主体账号登录时必填
    pub contact: Option<Contact>,
    #[serde(default)]
    pub files: Vec<FileIn>,
    // Anonymous filings over HTTP answer a challenge ([`admit_filing`]).
    /// 未登录时必填
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// The answer to a [`crate::challenge`] (from `GET /api/v1/challenge`, or the form's fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(description = "验证题答案(题目来自 `GET /api/v1/challenge`)")]
pub struct ChallengeAnswer {
    pub token: String,
    pub answer: String,
}

/// The gate in front of filing an objection or a report over HTTP: per client address at most
/// [`crate::Security::case_forms_per_hour`] filings an hour, and a visitor who is not signed in answers the
/// challenge. (The CLI and the demo file on the server itself and do not pass it.)
pub async fn admit_filing(
    app: &App,
    p: &Principal,
    client: Option<std::net::IpAddr>,
    challenge: Option<&ChallengeAnswer>,
) -> Result<(), Error> {
    if matches!(p, Principal::Anonymous) {
        let Some(c) = challenge else {
            return Err(Error::new(Code::ChallengeRequired, "请先完成验证题(计算图中的算式)"));
        };
        app.challenges
            .redeem(app.store.as_ref(), &c.token, &c.answer)
            .await
            .map_err(|e| Error::new(Code::ChallengeFailed, e.to_string()))?;
    }
    if !app.case_forms.allow(app.store.as_ref(), client).await? {
        return Err(Error::new(
            Code::RateLimited,
            "该网络地址一小时内提交的异议和举报已达上限,请稍后再试;如确有大量异议需提出,请联系信用办",
        ));
    }
    Ok(())
}

/// Who objects: the subject's own account, or another applicant with their contact (required then).
fn objector(own_subject: Option<(&Account, Role)>, c: Option<&Contact>) -> Result<Value, Error> {
    Ok(match own_subject {
        Some((a, _)) => json!({ "account": a.username, "name": a.name, "as": "信用主体" }),
        None => json!({ "contact": contact(c, "异议申请人")?, "as": "其他申请人" }),
    })
}

/// 提出异议: filed as 待受理; once the supplying department accepts it (受理) the record shows 异议处理中 and the
/// department decides within the deadline. Nothing is marked in public on a filing alone, so that nobody can put
/// a mark on any record by filing. Answers [`Tracking`] as JSON (the objection page reads its number so).
#[tracing::instrument(level = "info", skip_all, fields(record = o.record))]
pub async fn file_objection(app: &App, p: &Principal, o: &ObjectionIn) -> Result<Value, Error> {
    let r = record(app, o.record).await?;
    let today = app.clock.today();
    let view = public::publicity(&app.catalog, &r, false, today);
    let own_subject = account(p).filter(|(a, role)| *role == Role::Subject && a.subject_id == r.subject_id);
    rules::may_object(o.record, view.state, own_subject.is_some())?;
    refuse_if_open(app, r.id, Kind::Objection).await?;
    let reason = text("异议理由", &o.reason, 2000)?;
    let applicant = objector(own_subject, o.contact.as_ref())?;
    let department = app.store.department_by_uscc(&r.department_uscc).await?;
    let c = add_case(
        app,
        NewCase {
            number: number(Kind::Objection, today),
            kind: Kind::Objection.as_str().into(),
            record_id: Some(r.id),
            subject_id: r.subject_id,
            department_id: department.map(|d| d.id),
            account_id: own_subject.map(|(a, _)| a.id),
            applicant: Some(applicant.to_string()),
            content: json!({ "reason": reason, "record_version": r.version }),
            state: Kind::Objection.filed_as().as_str().into(),
            due_on: Some(filing_due(app, Kind::Objection, today)),
            actor: p.actor().0,
            files: files(&o.files)?,
            open_key: Some(r.id.to_string()),
        },
        async || refuse_if_open(app, r.id, Kind::Objection).await,
    )
    .await?;
    audit(app, p, "objection.file", format!("record:{} case:{}", r.id, c.number), "filed".into()).await?;
    Ok(tracking(&c, today, &app.catalog.calendar))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "对信用评价等级的异议(评价异议):由平台信用审核员办理")]
pub struct GradeObjectionIn {
    /// 主体的统一社会信用代码(或其他登记代码)
    pub subject: String,
    /// 评价方案(默认 ggxy 公共信用综合评价)
    pub scheme: Option<String>,
    pub reason: String,
    /// 未以该主体账号登录时必填
    pub contact: Option<Contact>,
    #[serde(default)]
    pub files: Vec<FileIn>,
    /// 未登录时必填
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// 评价异议: an objection to a subject's grade as the platform computed it (the scheme misapplied, a record that
/// should not count …). Filed as 待受理 with the grade it disputes; the platform's 信用审核员 accepts it and decides
/// within the objection deadlines: 维持 (the grade stands) or 重新评价 (the subject is graded again at once). An
/// objection to a record the grade rests on is an ordinary objection, with that record's department.
#[tracing::instrument(level = "info", skip_all)]
pub async fn file_grade_objection(app: &App, p: &Principal, o: &GradeObjectionIn) -> Result<Value, Error> {
    let (s, _) = crate::search::public_subject(app, o.subject.trim()).await?;
    let scheme = app
        .catalog
        .evaluation
        .chosen(o.scheme.as_deref())
        .ok_or_else(|| Error::new(Code::NotFound, "没有该评价方案"))?;
    let grade = crate::grades::public_of_subject(app, &s)
        .await?
        .into_iter()
        .find(|g| g.scheme == scheme.code)
        .ok_or_else(|| Error::new(Code::NotFound, format!("该主体尚无{}", scheme.name)))?;
    let today = app.clock.today();
    let own_subject = account(p).filter(|(a, role)| *role == Role::Subject && a.subject_id == Some(s.id));
    let reason = text("异议理由", &o.reason, 2000)?;
    let applicant = objector(own_subject, o.contact.as_ref())?;
    let kind = Kind::GradeObjection;
    let c = app
        .store
        .add_case(NewCase {
            number: number(kind, today),
            kind: kind.as_str().into(),
            record_id: None,
            subject_id: Some(s.id),
            department_id: None,
            account_id: own_subject.map(|(a, _)| a.id),
            applicant: Some(applicant.to_string()),
            content: json!({ "reason": reason, "grade": { "scheme": grade.scheme, "grade": grade.grade,
                             "score": grade.score, "computed_on": grade.computed_on.to_string(), "version": grade.version } }),
            state: kind.filed_as().as_str().into(),
            due_on: Some(filing_due(app, kind, today)),
            actor: p.actor().0,
            files: files(&o.files)?,
            open_key: None,
        })
        .await?;
    audit(app, p, "grade_objection.file", format!("subject:{} case:{}", s.id, c.number), "filed".into()).await?;
    Ok(tracking(&c, today, &app.catalog.calendar))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "信用修复申请(信用主体账号,针对本主体的记录)")]
pub struct RepairIn {
    pub record: i64,
    pub reason: String,
    #[serde(default)]
    pub files: Vec<FileIn>,
}

/// The 信用承诺书 a repair application by `name` about `r` carries ([`rules::commitment_text`]).
fn commitment_text(app: &App, r: &RecordView, name: &str, day: Date) -> String {
    let item = app.catalog.item(&r.item);
    let item_name = item.map(|i| i.name.as_str()).unwrap_or(&r.item);
    rules::commitment_text(item_name, item.and_then(|i| rules::document_number(i, &r.fields)), name, day)
}

/// The fields of the 信用修复型 commitment a repair application (case `number`) about `r` records with
/// `department`: `r`'s subject's ([`rules::commitment_subject_of_record`]), or `None` if `r` does not carry what a
/// commitment record needs.
fn repair_commitment(
    app: &App,
    r: &RecordView,
    department: &Department,
    pledge: &str,
    number: &str,
    day: Date,
) -> Option<BTreeMap<String, String>> {
    let subject = rules::commitment_subject_of_record(app.catalog.item(&r.item)?, &r.fields)?;
    let matter = rules::repair_commitment_matter(number);
    let made = Commitment {
        department_name: &department.name,
        department_uscc: &department.uscc,
        kind: rules::REPAIR_COMMITMENT,
        matter: &matter,
        content: pledge,
        number,
        day,
    };
    Some(rules::commitment(subject, &made))
}

/// What filing a repair answers: the case as its applicant sees it, and the commitment record it made (`None`: the
/// record did not carry what one needs, or it could not be stored).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "申请人所见的信用修复申请,及其生成的信用修复型承诺记录")]
pub struct RepairFiled {
    #[serde(flatten)]
    pub case: CaseDetail,
    pub commitment_record: Option<i64>,
}

/// 申请信用修复: a subject account, for its own record, after the minimum period (or once the obligations are
/// met, for 轻微). The 信用承诺书 is generated and recorded as a 信用修复型 commitment of the deciding department.
///
/// Answers [`RepairFiled`] as JSON (the subject's page reads its number so).
#[tracing::instrument(level = "info", skip_all, fields(record = o.record))]
pub async fn file_repair(app: &App, p: &Principal, o: &RepairIn) -> Result<Value, Error> {
    let (a, role) = account(p).ok_or_else(|| Error::forbidden("请以信用主体账号申请信用修复"))?;
    let r = record(app, o.record).await?;
    if role != Role::Subject || a.subject_id.is_none() || a.subject_id != r.subject_id {
        return Err(Error::forbidden("只能为本主体的信用记录申请信用修复"));
    }
    let today = app.clock.today();
    repairable(app, &r, today)?;
    refuse_if_open(app, r.id, Kind::Repair).await?;
    let reason = text("修复理由(履行义务、纠正失信行为的情况)", &o.reason, 4000)?;
    let department = app
        .store
        .department_by_uscc(&r.department_uscc)
        .await?
        .ok_or_else(|| Error::internal("record without department"))?;
    let number = number(Kind::Repair, today);
    let pledge = commitment_text(app, &r, &a.name, today);
    let c = add_case(
        app,
        NewCase {
            number: number.clone(),
            kind: Kind::Repair.as_str().into(),
            record_id: Some(r.id),
            subject_id: r.subject_id,
            department_id: Some(department.id),
            account_id: Some(a.id),
            applicant: Some(json!({ "account": a.username, "name": a.name }).to_string()),
            content: json!({ "reason": reason, "commitment": pledge, "record_version": r.version }),
            state: Kind::Repair.filed_as().as_str().into(),
            due_on: Some(filing_due(app, Kind::Repair, today)),
            actor: a.username.clone(),
            files: files(&o.files)?,
            open_key: Some(r.id.to_string()),
        },
        async || refuse_if_open(app, r.id, Kind::Repair).await,
    )
    .await?;
    let commitment = repair_commitment(app, &r, &department, &pledge, &number, app.clock.today());
    let recorded = match commitment {
        Some(fields) => {
            store(app, &department, item_of(app, rules::COMMITMENT_ITEM)?, &fields, &number).await.map(|x| x.0).ok()
        }
        None => None,
    };
    audit(app, p, "repair.file", format!("record:{} case:{number}", r.id), format!("commitment_record={recorded:?}"))
        .await?;
    let case = CaseDetail::of(&c, today, &app.catalog.calendar, Viewer::Applicant);
    Ok(json!(RepairFiled { case, commitment_record: recorded }))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "举报.")]
pub struct ReportIn {
    // The department responsible (统一社会信用代码).
    /// 负责的部门(统一社会信用代码)
    pub department: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub content: String,
    pub reporter: Option<Contact>,
    #[serde(default)]
    pub files: Vec<FileIn>,
    // Anonymous filings over HTTP answer a challenge ([`admit_filing`]).
    /// 未登录时必填
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// 举报: anyone, with a contact; the tracking number is the reporter's only handle. Answers [`Tracking`] as JSON
/// (the report page reads its number so).
#[tracing::instrument(level = "info", skip_all)]
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
            number: number(Kind::Report, today),
            kind: Kind::Report.as_str().into(),
            record_id: None,
            subject_id: subject,
            department_id: Some(department.id),
            account_id: account(p).map(|(a, _)| a.id),
            applicant: Some(json!({ "reporter": reporter }).to_string()),
            content: json!({ "subject_name": subject_name, "subject_code": o.subject_code, "content": text("举报内容", &o.content, 4000)? }),
            state: Kind::Report.filed_as().as_str().into(),
            due_on: Some(filing_due(app, Kind::Report, today)),
            actor: p.actor().0,
            files: files(&o.files)?,
            open_key: None,
        })
        .await?;
    audit(app, p, "report.file", format!("case:{}", c.number), format!("department={}", department.uscc)).await?;
    Ok(tracking(&c, today, &app.catalog.calendar))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "异议延期(一次)")]
pub struct ExtendIn {
    /// 工作日数
    pub days: u32,
    pub reason: String,
}

/// 延期: an objection's deadline, once, to at most `objection_max` working days in all ([`rules::may_extend`]).
#[tracing::instrument(level = "info", skip_all, fields(case = number))]
pub async fn extend(app: &App, p: &Principal, number: &str, o: &ExtendIn) -> Result<CaseDetail, Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    let actor = acting(p, rules::EXTENDED_BY, c.department_id)?;
    let d = &app.catalog.publicity.deadlines;
    match (Kind::parse(&c.kind), rules::State::parse(&c.state)) {
        (Some(kind), Some(state)) => {
            rules::may_extend(kind, state, c.closed_at.is_some(), c.extended_days, o.days, d)?;
        }
        _ => return Err(rules::NotExtendable::NotAnOpenObjection.into()),
    }
    let reason = text("延期理由", &o.reason, 1000)?;
    let new_due = rules::extended_due(&app.catalog.calendar, c.due_on, app.clock.today(), o.days).value;
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
                step: rules::extension_step(o.days, new_due),
                note: Some(reason),
                assign_to: None,
            },
        )
        .await?;
    audit(app, p, "objection.extend", format!("case:{number}"), format!("due_on={new_due}")).await?;
    Ok(CaseDetail::of(&c, app.clock.today(), &app.catalog.calendar, viewer))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(description = "案件的下一步")]
pub struct DecideIn {
    /// 办理结果(填错时,错误信息列出当前状态允许的结果)
    pub outcome: String,
    pub reason: String,
    /// 更正:更正后的字段(目录项字段代码),合并到记录上
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// 举报:给予的奖励(如有)
    pub reward: Option<String>,
}

/// The refusal of a step in a closed case: `case_closed`, naming the case.
fn case_closed(number: &str) -> Error {
    Error::new(Code::CaseClosed, format!("案件 {number} 已办结"))
}

/// The step `outcome` in `c` ([`rules::decide`] on the table [`rules::TRANSITIONS`]), or why not: [`case_closed`],
/// or `bad_outcome` naming the outcomes allowed.
fn step_of(c: &Case, outcome: &str) -> Result<&'static rules::Transition, Error> {
    let (Some(kind), Some(state)) = (Kind::parse(&c.kind), rules::State::parse(&c.state)) else {
        return Err(Error::internal(format!("case {} has kind {:?} and state {:?}", c.number, c.kind, c.state)));
    };
    rules::decide(kind, state, outcome).map_err(|e| match e {
        CaseRuleError::Closed { .. } => case_closed(&c.number),
        CaseRuleError::NotAllowed { .. } => Error::new(Code::of_rule(e.code()), e.to_string()),
    })
}

/// The next step of a case: the handler's decision (or the reviewer's, for a repair waiting for review).
#[tracing::instrument(level = "info", skip_all, fields(case = number, outcome = %o.outcome))]
pub async fn decide(app: &App, p: &Principal, number: &str, o: &DecideIn) -> Result<CaseDetail, Error> {
    let (c, viewer) = staff_case(app, p, number).await?;
    // Refused before the reason is read, as a closed case's answer.
    if c.closed_at.is_some() {
        return Err(case_closed(number));
    }
    let reason = text("理由", &o.reason, 2000)?;
    let today = app.clock.today();
    let t = step_of(&c, &o.outcome)?;
    let actor = acting(p, t.actor, c.department_id)?;
    let mut result = o.outcome.clone();
    if let (Some(id), true) = (c.record_id, t.effect.writes_version()) {
        let r = record(app, id).await?;
        let version = match (t.effect, t.effect.mark()) {
            (rules::Effect::Correct, _) => {
                rules::correction(&o.fields)?;
                let item = item_of(app, &r.item)?;
                let codes = item.subject_code_fields();
                if let Some(k) = o.fields.keys().find(|k| codes.contains(&k.as_str())) {
                    let name = item.field(k).map_or(k.as_str(), |f| f.name.as_str());
                    return Err(Error::new(
                        Code::KeyChanged,
                        format!("不能更正{name}:记录会归到另一主体名下;主体有误的,请撤销后重新报送"),
                    ));
                }
                new_version(app, &r, |f| f.extend(o.fields.clone()), number).await?
            }
            (_, Some(kind)) => {
                let mark = Mark { kind: kind.into(), on: today, case: number.to_string() };
                new_version(app, &r, |f| drop(f.insert(MARK_FIELD.into(), mark.to_field())), number).await?
            }
            (_, None) => r.version,
        };
        result = format!("{} version={version}", o.outcome);
    }
    // 转办 (政务失信投诉): the case goes to the body's department. 认定失信: the record is checked now, written once the
    // case has moved (a concurrent step cannot leave a record of a complaint it dismissed).
    if t.kind == Kind::GovComplaint && t.from == rules::State::AwaitingAnswer && t.actor == rules::Actor::Reviewer {
        crate::gov_cases::may_decide_unanswered(&c, today)?;
    }
    let assign_to = match t.action {
        Action::Assign => Some(crate::gov_cases::assignee(app, &c).await?.id),
        _ => None,
    };
    let finding = match t.effect {
        rules::Effect::Record => Some(crate::gov_cases::finding_fields(app, &c, today, &reason).await?),
        _ => None,
    };
    let note = rules::decision_note(&reason, o.reward.as_deref());
    let closes = t.closes();
    let d = &app.catalog.publicity.deadlines;
    let c = app
        .store
        .update_case(
            number,
            CaseUpdate {
                from: c.state.clone(),
                state: t.to.as_str().into(),
                due_on: t.due_on(d, &app.catalog.calendar, today, c.due_on),
                extended_days: c.extended_days,
                outcome: closes.then(|| o.outcome.clone()),
                outcome_reason: closes.then(|| note.clone()),
                closed: closes,
                actor,
                step: o.outcome.clone(),
                note: Some(note),
                assign_to,
            },
        )
        .await?;
    if let Some((item, fields, office)) = finding {
        let (id, _) = store(app, &office, item, &fields, number).await?;
        result = format!("{} record={id}", o.outcome);
    }
    audit(app, p, &format!("{}.decide", c.kind), format!("case:{number}"), result).await?;
    // 重新评价: the subject is graded again now (with the records as they are; a scheme changed after the objection
    // applies too).
    if let (Some(Kind::GradeObjection), Some(Action::Regrade), Some(subject)) =
        (Kind::parse(&c.kind), Action::parse(&o.outcome), c.subject_id)
    {
        crate::grades::recompute(app, Some(vec![subject])).await?;
    }
    Ok(CaseDetail::of(&c, today, &app.catalog.calendar, viewer))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "作出信用承诺.")]
pub struct CommitIn {
    // The department the commitment is made to (统一社会信用代码).
    /// 承诺所向的部门(统一社会信用代码)
    pub department: String,
    /// 承诺类型: 审批替代型, 证明事项告知承诺, 主动型, 行业自律型.
    #[serde(rename = "type")]
    pub kind: String,
    pub matter: String,
    pub content: String,
}

/// What making a commitment answers: the record it is, its number and the department it was made to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "已作出的信用承诺:记录编号、承诺编号与承诺所向的部门")]
pub struct Committed {
    pub record_id: i64,
    pub number: String,
    pub department: String,
}

/// 作出信用承诺: a subject account commits to a department; the commitment is a public record of that
/// department (信用承诺, 履约中). Answers [`Committed`] as JSON (the subject's page reads its record so).
#[tracing::instrument(level = "info", skip_all)]
pub async fn commit(app: &App, p: &Principal, o: &CommitIn) -> Result<Value, Error> {
    let (a, role) = account(p).ok_or_else(|| Error::forbidden("请以信用主体账号作出承诺"))?;
    let subject_id =
        a.subject_id.filter(|_| role == Role::Subject).ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
    let s = app.store.subject(subject_id).await?.ok_or_else(|| Error::not_found("绑定的信用主体不存在"))?;
    let department = app.store.department_by_uscc(o.department.trim()).await?.ok_or_else(|| {
        Error::new(Code::UnknownDepartment, format!("没有统一社会信用代码为“{}”的部门", o.department))
    })?;
    let item = item_of(app, rules::COMMITMENT_ITEM)?;
    rules::commitment_type(item, &o.kind)?;
    let today = app.clock.today();
    let subject = rules::commitment_subject(&s.name, s.kind, s.code.as_deref());
    let number = rules::commitment_number(today, rand::rng().random());
    let made = Commitment {
        department_name: &department.name,
        department_uscc: &department.uscc,
        kind: &o.kind,
        matter: &text("承诺事由", &o.matter, 500)?,
        content: &text("承诺内容", &o.content, 4000)?,
        number: &number,
        day: today,
    };
    let fields = rules::commitment(subject, &made);
    let (id, _) = store(app, &department, item, &fields, &number).await?;
    audit(app, p, "commitment.make", format!("record:{id} subject:{subject_id}"), number.clone()).await?;
    Ok(json!(Committed { record_id: id, number, department: department.name }))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "记录信用承诺未履约")]
pub struct BreachIn {
    /// `YYYY-MM-DD`(默认今日)
    pub date: Option<String>,
    pub description: String,
}

/// What recording a breach answers: the commitment's new version as the public sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "记录未履约后信用承诺记录的新版本")]
pub struct Breached {
    pub record: Option<public::PublicRecord>,
}

/// 记录未履约: the department a commitment was made to records the breach; the commitment's new version is a
/// negative record (publicity period from the breach date; measures for 信用承诺未履约 apply).
#[tracing::instrument(level = "info", skip_all, fields(record = record_id))]
pub async fn breach(app: &App, p: &Principal, record_id: i64, o: &BreachIn) -> Result<Breached, Error> {
    let r = record(app, record_id).await?;
    let department = app.store.department_by_uscc(&r.department_uscc).await?.map(|d| d.id);
    acting(p, rules::BREACH_RECORDED_BY, department)?;
    rules::may_record_breach(&r.item, &r.fields)?;
    let today = app.clock.today();
    let day = rules::breach_day(o.date.as_deref(), today)?;
    let what = text("未履约情况", &o.description, 2000)?;
    let label = format!("breach:{record_id}");
    let version = new_version(app, &r, |f| rules::record_breach(f, day, &what), &label).await?;
    audit(app, p, "commitment.breach", format!("record:{record_id}"), format!("version={version}")).await?;
    let r = record(app, record_id).await?;
    Ok(Breached { record: public::record(&app.catalog, &r, false, today) })
}

/// The daily expiry job: records every record whose publicity period ended before `today` in the change feed
/// (once). Repaired and revoked records are already there as versions. Returns how many were new.
#[tracing::instrument(level = "info", skip_all, fields(%today))]
pub async fn record_expiries(app: &App, today: Date) -> anyhow::Result<usize> {
    let mut new = 0;
    // Item by item: each page is a walk of the `(item, id)` index, whatever share of the records the item has.
    for item in app.catalog.publicity.items.keys() {
        let mut after = 0;
        loop {
            let page = app.store.records_of_items(&[item.as_str()], after, 20_000).await?;
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
