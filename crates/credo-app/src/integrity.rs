//! 政务诚信 (宁政办〔2015〕224号 二(一)) and the credit service market (四(三)); the rules are
//! [`credo_domain::integrity`] and `catalog/integrity.toml`.
//!
//! * **政务失信投诉**: an enterprise's own account files a complaint about a government body (a `gov_complaint`
//!   case, [`file_complaint`]); the credit office's 信用审核员 assigns it to the body (转办, the case then belongs to
//!   the body's department), the body's 案件办理员 answers (答复), and the office finds (认定失信: the 政务失信 record
//!   of the complaint's category is written in the office's name, [`finding_fields`]) or dismisses it (驳回).
//!   Steps go through [`crate::cases::decide`], with the case rules, deadlines and audit of every case.
//! * **政务承诺**: a body's department registers commitments with due days and settles them; open ones past their
//!   due day are 已逾期 on the body's page and the dashboard.
//! * **政务诚信监测** ([`dashboard`]): per body and district, the 政务失信 records, arrears outstanding and paid,
//!   complaints and their timeliness, commitments kept and overdue; and each department's use of credit
//!   information (checks per scene, feedback rate). Public, exportable as CSV.
//! * **公务员诚信档案** ([`read_archive`]): read only by departments granted the archive, each read with its purpose
//!   in the person's access log; everyone else is refused, and the refusal is audited.
//! * **信用服务机构**: the register ([`register_agency`]), staff, evaluations; their API keys carry a purpose and a
//!   daily quota (`credo_app::keys`), counted where keys are accepted.

use std::collections::{BTreeMap, HashMap};

use credo_domain::cases::{Action, Kind, State};
use credo_domain::catalog::SubjectKind;
use credo_domain::integrity::{self as rules, Category, CommitmentState};
use credo_store::{
    Agency, AgencyEvaluation, AgencyStaff, Case, CaseFilter, Department, GovCommitment, NewAgency, NewCase,
    NewGovCommitment, RecordView,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;

use crate::App;
use crate::cases::{FileIn, text};
use crate::error::{Code, Error};
use crate::gov_cases::{Complaint, checked_finding};
pub use crate::gov_cases::{office, rules};
use crate::principal::{Principal, Role};
use crate::public::{self, PublicRecord};

/// The body a code names, if the platform knows it as an organisation: an 18-character ID number can pass as a
/// `11…` code, and a person must never be shown, named or complained about as a body.
async fn body_subject(app: &App, code: &str) -> Result<Option<credo_store::Subject>, Error> {
    Ok(app.store.subject_by_code(code).await?.filter(|s| s.kind != SubjectKind::Person))
}

fn body_code(code: &str) -> Result<String, Error> {
    let c = code.trim().to_ascii_uppercase();
    if rules::body_kind(&c).is_none() || credo_domain::ids::Uscc::parse(&c).is_err() {
        return Err(Error::new(
            Code::InvalidUscc,
            format!("“{}”不是机关或事业单位的统一社会信用代码(11、12 开头)", crate::error::echo(code)),
        ));
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------------------------------------
// 政务失信投诉.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "政务失信投诉")]
pub struct ComplaintIn {
    /// 被投诉机关(单位)统一社会信用代码(11、12 开头)
    pub body_code: String,
    /// 被投诉机关(单位)名称
    pub body_name: String,
    /// 投诉类别:拖欠企业账款、政府违约、政策承诺未兑现
    pub category: String,
    /// 合同或交易事项、合同名称或承诺内容
    pub matter: String,
    /// 拖欠企业账款:欠款金额(万元)
    pub amount: Option<String>,
    /// 拖欠企业账款:应付款到期日
    pub due_on: Option<String>,
    /// 情况说明
    pub content: String,
    #[serde(default)]
    pub files: Vec<FileIn>,
}

/// The largest amount a complaint may claim, in 万元 (a trillion 元).
const MAX_AMOUNT: i64 = 100_000_000;

/// 政务失信投诉: an enterprise's (or individual business's) own account complains about a government body. The
/// complaint is checked now as the record it would become, so that a finding never fails on its data.
#[tracing::instrument(level = "info", skip_all)]
pub async fn file_complaint(app: &App, p: &Principal, o: &ComplaintIn) -> Result<Value, Error> {
    let (account, complainant) = match p {
        Principal::Account { account, role: Role::Subject, .. } => {
            let id = account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
            let s = app.store.subject(id).await?.ok_or_else(|| Error::not_found("绑定的信用主体不存在"))?;
            (account, s)
        }
        _ => return Err(Error::forbidden("政务失信投诉须以企业的信用主体账号提交")),
    };
    if complainant.kind == SubjectKind::Person {
        return Err(Error::forbidden("政务失信投诉由企业(含个体工商户)提交;个人请通过“举报”反映"));
    }
    let office = office(app).await?;
    let code = body_code(&o.body_code)?;
    let category = Category::parse(o.category.trim()).ok_or_else(|| {
        let all: Vec<&str> = Category::ALL.iter().map(|c| c.label()).collect();
        Error::new(Code::BadField, format!("投诉类别须为:{}", all.join("、")))
    })?;
    let today = app.clock.today();
    let due_on = match o.due_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            credo_domain::value::parse_date(d)
                .ok_or_else(|| Error::new(Code::BadDate, format!("应付款到期日“{}”无效", crate::error::echo(d))))?,
        ),
        None => None,
    };
    let amount = o.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
    if category.needs_amount() {
        let value = amount.as_deref().and_then(|a| a.parse::<Decimal>().ok());
        if value.is_none_or(|a| a <= Decimal::ZERO) || due_on.is_none() {
            return Err(Error::new(Code::MissingField, "拖欠企业账款须填写欠款金额(万元,大于 0)和应付款到期日"));
        }
        if value.is_some_and(|a| a > Decimal::from(MAX_AMOUNT)) {
            return Err(Error::new(Code::BadField, format!("欠款金额不能超过 {MAX_AMOUNT} 万元")));
        }
        if due_on.is_some_and(|d| d >= today) {
            return Err(Error::new(Code::BadDate, "应付款尚未到期,不属于拖欠"));
        }
    }
    let complaint = Complaint {
        category,
        body_name: text("被投诉机关名称", &o.body_name, 200)?,
        body_code: code.clone(),
        matter: text("合同或交易事项", &o.matter, 500)?,
        amount: if category.needs_amount() { amount } else { None },
        due_on: if category.needs_amount() { due_on } else { None },
        content: text("情况说明", &o.content, 2000)?,
        complainant: complainant.name.clone(),
        complainant_code: complainant.code.clone(),
    };
    checked_finding(app, &complaint, "ZW00000000A0000000", today, &complaint.content).await?;
    crate::gov_cases::refuse_second_open(app, account.id, &code).await?;
    let body = body_subject(app, &code).await?;
    let kind = Kind::GovComplaint;
    let c = crate::cases::add_case(
        app,
        NewCase {
            number: crate::cases::number(kind, today),
            kind: kind.as_str().into(),
            record_id: None,
            subject_id: body.map(|b| b.id),
            department_id: None,
            account_id: Some(account.id),
            applicant: Some(json!({ "complainant": complainant.name, "code": complainant.code }).to_string()),
            content: serde_json::to_value(&complaint).map_err(|e| Error::internal(e.to_string()))?,
            state: kind.filed_as().as_str().into(),
            due_on: Some(crate::cases::filing_due(app, kind, today)),
            actor: p.actor().0,
            files: crate::cases::files(&o.files)?,
            open_key: Some(format!("{}:{code}", account.id)),
        },
        async || crate::gov_cases::refuse_second_open(app, account.id, &code).await,
    )
    .await?;
    crate::audit::act(
        app,
        p,
        "gov_complaint.file",
        format!("case:{}", c.number),
        kind.label(),
        format!("body={code} office={}", office.uscc),
    )
    .await?;
    Ok(crate::cases::tracking(&c, today, &app.catalog.calendar))
}

// ---------------------------------------------------------------------------------------------------------------
// 清偿: arrears paid.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "记录拖欠企业账款已清偿")]
pub struct PaidIn {
    /// 清偿日期(默认今日)
    pub paid_on: Option<String>,
}

/// 清偿: the credit office's 信用审核员 records that arrears were paid (on the creditor's confirmation: the debtor does
/// not clear its own record), on a day not before the finding; the record's new version carries the day, and the
/// record stops being published.
pub async fn mark_paid(app: &App, p: &Principal, record_id: i64, o: &PaidIn) -> Result<Value, Error> {
    let r = rules(app)?;
    let not_found = || Error::not_found(format!("没有编号为 {record_id} 的拖欠企业账款记录"));
    let record = crate::cases::record(app, record_id).await.map_err(|_| not_found())?;
    if record.item != r.items.arrears {
        return Err(not_found());
    }
    if !matches!(p, Principal::Account { role: Role::Reviewer, .. }) {
        return Err(Error::forbidden("清偿由信用办信用审核员经债权企业确认后记录,欠款机关不能自行记录"));
    }
    if record.fields.get(rules::PAID_FIELD).is_some_and(|v| !v.is_empty()) {
        return Err(Error::new(Code::Conflict, "该笔欠款已记录清偿"));
    }
    let today = app.clock.today();
    let found = record.fields.get("QK_RDRQ").and_then(|d| credo_domain::value::parse_date(d));
    let on = match o.paid_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => credo_domain::value::parse_date(d)
            .filter(|d| *d <= today && found.is_none_or(|f| *d >= f))
            .ok_or_else(|| {
                Error::new(Code::BadDate, format!("清偿日期“{}”无效,或早于认定日期、晚于今日", crate::error::echo(d)))
            })?,
        None => today,
    };
    let version = crate::cases::new_version(
        app,
        &record,
        |f| drop(f.insert(rules::PAID_FIELD.into(), on.to_string())),
        &format!("清偿 {record_id}"),
    )
    .await?;
    crate::audit::act(app, p, "arrears.paid", format!("record:{record_id}"), "政务诚信", format!("paid_on={on}"))
        .await?;
    Ok(json!({ "record_id": record_id, "version": version, "paid_on": on.to_string() }))
}

// ---------------------------------------------------------------------------------------------------------------
// 政务承诺.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "登记政务承诺")]
pub struct CommitmentIn {
    /// 承诺类型(integrity.toml 的 commitment_kinds)
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    /// 兑现期限
    pub due_on: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "政务承诺的兑现结果")]
pub struct SettleIn {
    /// `kept`(已兑现)或 `broken`(未兑现)
    pub state: String,
    pub note: String,
}

/// The department of a government body acting (an account of it, or its `submit` key).
fn body_department(p: &Principal) -> Result<&Department, Error> {
    let d = match p {
        Principal::Account { role: Role::Subject, .. } | Principal::Anonymous => None,
        Principal::Key { key, department } if key.scopes.iter().any(|s| s == "submit") => Some(department.as_ref()),
        Principal::Key { .. } => None,
        Principal::Account { .. } => p.department(),
    };
    d.filter(|d| rules::body_kind(&d.uscc).is_some())
        .ok_or_else(|| Error::forbidden("政务承诺由机关、事业单位本部门的账号或报送密钥登记"))
}

/// A commitment as shown: with its status on the day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "政务承诺及其当日状态")]
pub struct CommitmentView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub commitment: GovCommitment,
    /// 履行中、已逾期、已兑现、逾期兑现、未兑现
    pub status: &'static str,
    pub overdue: bool,
}

fn commitment_view(c: GovCommitment, today: Date) -> CommitmentView {
    CommitmentView {
        status: c.state.shown(c.due_on, c.settled_on, today),
        overdue: c.state.overdue(c.due_on, today),
        commitment: c,
    }
}

/// 登记政务承诺: a body's department registers a commitment with its due day.
pub async fn register_commitment(app: &App, p: &Principal, o: &CommitmentIn) -> Result<CommitmentView, Error> {
    let d = body_department(p)?;
    let r = rules(app)?;
    if !r.commitment_kinds.iter().any(|k| k == o.kind.trim()) {
        return Err(Error::new(Code::BadField, format!("承诺类型须为:{}", r.commitment_kinds.join("、"))));
    }
    let today = app.clock.today();
    let due_on = credo_domain::value::parse_date(o.due_on.trim())
        .ok_or_else(|| Error::new(Code::BadDate, format!("兑现期限“{}”无效", crate::error::echo(&o.due_on))))?;
    if due_on < today {
        return Err(Error::new(Code::BadDate, "兑现期限不能早于今日"));
    }
    let c = app
        .store
        .add_gov_commitment(&NewGovCommitment {
            body_code: d.uscc.clone(),
            department_id: d.id,
            kind: o.kind.trim().into(),
            content: public::mask_ids(&text("承诺内容", &o.content, 2000)?),
            due_on,
            created_by: p.actor().0,
        })
        .await?;
    crate::audit::act(app, p, "gov_commitment.register", format!("gov_commitment:{}", c.id), "政务承诺", "ok".into())
        .await?;
    Ok(commitment_view(c, today))
}

/// 兑现: the body's department settles its own open commitment as kept or broken.
pub async fn settle_commitment(app: &App, p: &Principal, id: i64, o: &SettleIn) -> Result<CommitmentView, Error> {
    let d = body_department(p)?;
    let not_found = || Error::not_found(format!("本部门没有编号为 {id} 的政务承诺"));
    let c = app.store.gov_commitment(id).await?.filter(|c| c.department_id == d.id).ok_or_else(not_found)?;
    let to = match o.state.trim() {
        "kept" => CommitmentState::Kept,
        "broken" => CommitmentState::Broken,
        other => {
            return Err(Error::new(
                Code::BadField,
                format!("兑现结果须为 kept(已兑现)或 broken(未兑现),收到“{}”", crate::error::echo(other)),
            ));
        }
    };
    let note = text("兑现情况说明", &o.note, 1000)?;
    let today = app.clock.today();
    if !app.store.settle_gov_commitment(c.id, to, today, &public::mask_ids(&note), &p.actor().0).await? {
        return Err(Error::new(Code::Conflict, "该承诺已登记兑现结果"));
    }
    crate::audit::act(app, p, "gov_commitment.settle", format!("gov_commitment:{id}"), "政务承诺", to.as_str().into())
        .await?;
    let c = app.store.gov_commitment(id).await?.ok_or_else(not_found)?;
    Ok(commitment_view(c, today))
}

// ---------------------------------------------------------------------------------------------------------------
// A body's page and the dashboard.

/// A government body as the public sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "机关、事业单位的政务诚信")]
pub struct Body {
    pub code: String,
    pub name: String,
    /// 机关 or 事业单位
    pub kind: &'static str,
    pub district: Option<String>,
    pub district_name: Option<String>,
    /// 政务失信信息(公示中)
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<PublicRecord>,
    pub commitments: Vec<CommitmentView>,
    pub figures: Figures,
}

/// A body's figures on the dashboard.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[schema(description = "政务诚信监测指标")]
pub struct Figures {
    /// 政务失信记录(公示中)
    pub records: usize,
    /// 失信被执行人记录(公示中)
    pub enforcement: usize,
    pub arrears_outstanding: usize,
    /// 未清偿金额(万元)
    pub arrears_outstanding_amount: String,
    pub arrears_paid: usize,
    pub arrears_paid_amount: String,
    pub complaints: usize,
    pub complaints_open: usize,
    /// 按期答复的投诉数(已答复者中)
    pub complaints_answered_on_time: usize,
    pub complaints_answered: usize,
    /// 办理逾期的投诉(未结)
    pub complaints_overdue: usize,
    pub complaints_found: usize,
    pub commitments: usize,
    pub commitments_kept: usize,
    pub commitments_overdue: usize,
    pub commitments_broken: usize,
}

fn district_of(app: &App, code: &str) -> (Option<String>, Option<String>) {
    let region = code.get(2..8).map(str::to_string);
    let name = region.as_deref().and_then(|r| app.catalog.regions.get(r)).map(|r| r.name.clone());
    (region, name)
}

/// What a body's figures are made of.
struct Sources<'a> {
    records: &'a [RecordView],
    complaints: &'a [&'a Case],
    commitments: &'a [GovCommitment],
}

fn amount(r: &RecordView) -> Decimal {
    r.fields.get(rules::AMOUNT_FIELD).and_then(|a| a.parse::<Decimal>().ok()).unwrap_or_default()
}

/// The day (Beijing time, as the working-day calendar counts) a step of a case was taken; `at` is stored in UTC.
fn step_day(at: &str) -> Option<Date> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.to_offset(crate::beijing::OFFSET).date())
}

fn figures(app: &App, s: &Sources<'_>, today: Date) -> Result<Figures, Error> {
    let r = rules(app)?;
    let mut f = Figures::default();
    let (mut outstanding, mut paid) = (Decimal::ZERO, Decimal::ZERO);
    for rec in s.records {
        let counts = public::in_publicity(&app.catalog, rec, false, today);
        if rec.item == r.items.enforcement {
            f.enforcement += usize::from(counts);
            continue;
        }
        f.records += usize::from(counts);
        // A revoked or repaired record was never owed (or is no longer held against the body).
        if rec.item == r.items.arrears && !rec.fields.contains_key(credo_domain::publicity::MARK_FIELD) {
            if rec.fields.get(rules::PAID_FIELD).is_some_and(|v| !v.is_empty()) {
                f.arrears_paid += 1;
                paid = paid.saturating_add(amount(rec));
            } else {
                f.arrears_outstanding += 1;
                outstanding = outstanding.saturating_add(amount(rec));
            }
        }
    }
    f.arrears_outstanding_amount = outstanding.normalize().to_string();
    f.arrears_paid_amount = paid.normalize().to_string();
    let d = &app.catalog.publicity.deadlines;
    // A complaint counts against the body once the office has assigned it (not while it waits for acceptance, nor
    // when the office did not accept it); it is the body's overdue only while it waits for the body's answer.
    let filed_only = [State::AwaitingAcceptance.as_str(), State::NotAccepted.as_str()];
    for c in s.complaints.iter().filter(|c| !filed_only.contains(&c.state.as_str())) {
        f.complaints += 1;
        let closed = c.closed_at.is_some();
        f.complaints_open += usize::from(!closed);
        let waiting = c.state == State::AwaitingAnswer.as_str();
        f.complaints_overdue += usize::from(waiting && credo_domain::cases::overdue(closed, c.due_on, today));
        f.complaints_found += usize::from(c.outcome.as_deref() == Some(Action::Find.as_str()));
        let assigned = c.steps.iter().find(|s| s.step == Action::Assign.as_str()).and_then(|s| step_day(&s.at));
        let answered = c.steps.iter().find(|s| s.step == Action::Answer.as_str()).and_then(|s| step_day(&s.at));
        if let (Some(from), Some(on)) = (assigned, answered) {
            f.complaints_answered += 1;
            let due = credo_domain::cases::Due::GovAnswer.on(d, &app.catalog.calendar, from).value;
            f.complaints_answered_on_time += usize::from(on <= due);
        }
    }
    for c in s.commitments {
        f.commitments += 1;
        f.commitments_kept += usize::from(c.state == CommitmentState::Kept);
        f.commitments_broken += usize::from(c.state == CommitmentState::Broken);
        f.commitments_overdue += usize::from(c.state.overdue(c.due_on, today));
    }
    Ok(f)
}

/// Every 政务失信 complaint (at most 5,000), by the body's code.
async fn complaints_by_body(app: &App) -> Result<HashMap<String, Vec<Case>>, Error> {
    let filter = CaseFilter { kind: Some(Kind::GovComplaint.as_str().into()), ..CaseFilter::default() };
    let mut by: HashMap<String, Vec<Case>> = HashMap::new();
    for c in app.store.cases(&filter, 5000).await? {
        if let Some(code) = c.content.get("body_code").and_then(Value::as_str) {
            by.entry(code.to_string()).or_default().push(c);
        }
    }
    Ok(by)
}

/// A body's page: its 政务失信 records while public, its commitments and its figures. 404 for a code that is not a
/// body's or a body the platform knows nothing of.
pub async fn body(app: &App, code: &str) -> Result<Body, Error> {
    let code =
        body_code(code).map_err(|_| Error::not_found(format!("没有代码为 {} 的机关", crate::error::echo(code))))?;
    let r = rules(app)?;
    let today = app.clock.today();
    let subject = body_subject(app, &code).await?;
    let department = app.store.department_by_uscc(&code).await?;
    let name = match (&subject, &department) {
        (Some(s), _) => s.name.clone(),
        (None, Some(d)) => d.name.clone(),
        (None, None) => return Err(Error::not_found(format!("信用西宁尚无机关 {code} 的信息"))),
    };
    let items = r.items.all();
    let records: Vec<RecordView> = match &subject {
        Some(s) => {
            app.reader.subject_records(s.id).await?.into_iter().filter(|r| items.contains(&r.item.as_str())).collect()
        }
        None => Vec::new(),
    };
    let cases = complaints_by_body(app).await?.remove(&code).unwrap_or_default();
    let commitments = app.store.gov_commitments(Some(&code)).await?;
    let refs: Vec<&Case> = cases.iter().collect();
    let figures = figures(app, &Sources { records: &records, complaints: &refs, commitments: &commitments }, today)?;
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    let disputed = app.store.disputed(&ids).await?;
    let shown: Vec<PublicRecord> = records
        .iter()
        .filter_map(|r| public::record(&app.catalog, r, disputed.contains(&r.id), today))
        .filter(|p| p.publicity.state.public())
        .collect();
    let (district, district_name) = district_of(app, &code);
    Ok(Body {
        kind: rules::body_kind(&code).unwrap_or("机关"),
        code,
        name,
        district,
        district_name,
        records: shown,
        commitments: commitments.into_iter().map(|c| commitment_view(c, today)).collect(),
        figures,
    })
}

/// One row of the dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "监测表的一行:一个机关")]
pub struct BodyRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub district: Option<String>,
    pub district_name: Option<String>,
    pub figures: Figures,
}

/// A department's use of credit information (率先使用信用信息): checks per scene and feedback.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "部门使用信用信息情况")]
pub struct Usage {
    pub department: String,
    /// 场景代码
    pub scene: String,
    /// 场景名称
    pub scene_name: String,
    pub checks: i64,
    pub hits: i64,
    pub answered: i64,
    /// 反馈率(%,有命中时)
    pub feedback_rate: Option<i64>,
}

/// 政务诚信监测.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "政务诚信监测")]
pub struct Dashboard {
    pub day: String,
    pub bodies: Vec<BodyRow>,
    /// 按区县合计
    pub districts: Vec<BodyRow>,
    pub usage: Vec<Usage>,
}

fn add(total: &mut Figures, f: &Figures) {
    let sum = |a: &str, b: &str| {
        let (a, b) = (a.parse::<Decimal>().unwrap_or_default(), b.parse::<Decimal>().unwrap_or_default());
        a.saturating_add(b).normalize().to_string()
    };
    total.records += f.records;
    total.enforcement += f.enforcement;
    total.arrears_outstanding += f.arrears_outstanding;
    total.arrears_outstanding_amount = sum(&total.arrears_outstanding_amount, &f.arrears_outstanding_amount);
    total.arrears_paid += f.arrears_paid;
    total.arrears_paid_amount = sum(&total.arrears_paid_amount, &f.arrears_paid_amount);
    total.complaints += f.complaints;
    total.complaints_open += f.complaints_open;
    total.complaints_answered_on_time += f.complaints_answered_on_time;
    total.complaints_answered += f.complaints_answered;
    total.complaints_overdue += f.complaints_overdue;
    total.complaints_found += f.complaints_found;
    total.commitments += f.commitments;
    total.commitments_kept += f.commitments_kept;
    total.commitments_overdue += f.commitments_overdue;
    total.commitments_broken += f.commitments_broken;
}

/// 政务诚信监测: every body the platform knows as a department, or as the subject of a 政务失信 record, a complaint or
/// a commitment; `district` limits it to one district (its code).
pub async fn dashboard(app: &App, district: Option<&str>) -> Result<Dashboard, Error> {
    let r = rules(app)?;
    let today = app.clock.today();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for d in app.store.departments().await? {
        if rules::body_kind(&d.uscc).is_some() {
            names.insert(d.uscc.clone(), d.name.clone());
        }
    }
    let found_items = [r.items.arrears.as_str(), r.items.breach.as_str(), r.items.promise.as_str()];
    let mut after = 0;
    loop {
        let page = app.store.records_of_items(&found_items, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for rec in &page {
            let Some(item) = app.catalog.item(&rec.item) else { continue };
            let code = item.subject.uscc.as_ref().and_then(|f| rec.fields.get(f));
            let name = rec.fields.get(&item.subject.name);
            if let (Some(code), Some(name)) = (code.filter(|c| rules::body_kind(c).is_some()), name) {
                names.entry(code.clone()).or_insert_with(|| name.clone());
            }
        }
    }
    let mut complaints = complaints_by_body(app).await?;
    let mut commitments: HashMap<String, Vec<GovCommitment>> = HashMap::new();
    for c in app.store.gov_commitments(None).await? {
        commitments.entry(c.body_code.clone()).or_default().push(c);
    }
    let mut bodies = Vec::new();
    let items = r.items.all();
    for (code, name) in names {
        let (district_code, district_name) = district_of(app, &code);
        if district.is_some_and(|d| district_code.as_deref() != Some(d)) {
            continue;
        }
        let records: Vec<RecordView> = match body_subject(app, &code).await? {
            Some(s) => app
                .reader
                .subject_records(s.id)
                .await?
                .into_iter()
                .filter(|r| items.contains(&r.item.as_str()))
                .collect(),
            None => Vec::new(),
        };
        let cases = complaints.remove(&code).unwrap_or_default();
        let refs: Vec<&Case> = cases.iter().collect();
        let mine = commitments.remove(&code).unwrap_or_default();
        let f = figures(app, &Sources { records: &records, complaints: &refs, commitments: &mine }, today)?;
        bodies.push(BodyRow {
            kind: rules::body_kind(&code).unwrap_or("机关"),
            code,
            name,
            district: district_code,
            district_name,
            figures: f,
        });
    }
    let mut by_district: BTreeMap<String, BodyRow> = BTreeMap::new();
    for b in &bodies {
        let key = b.district.clone().unwrap_or_default();
        let row = by_district.entry(key.clone()).or_insert_with(|| BodyRow {
            code: key.clone(),
            name: b.district_name.clone().unwrap_or_else(|| "未知区县".into()),
            kind: "区县合计",
            district: b.district.clone(),
            district_name: b.district_name.clone(),
            figures: Figures::default(),
        });
        add(&mut row.figures, &b.figures);
    }
    let departments: HashMap<String, String> =
        app.store.departments().await?.into_iter().map(|d| (d.uscc, d.name)).collect();
    let usage = app
        .store
        .check_stats(None)
        .await?
        .into_iter()
        .map(|s| {
            let department = s.department.map(|u| departments.get(&u).cloned().unwrap_or(u)).unwrap_or_default();
            Usage {
                feedback_rate: (s.hits > 0).then(|| s.answered * 100 / s.hits),
                scene_name: app.catalog.measures.scene(&s.scene).map_or_else(|| s.scene.clone(), |x| x.name.clone()),
                department,
                scene: s.scene,
                checks: s.checks,
                hits: s.hits,
                answered: s.answered,
            }
        })
        .collect();
    Ok(Dashboard { day: today.to_string(), bodies, districts: by_district.into_values().collect(), usage })
}

/// The dashboard as CSV (UTF-8 with a byte-order mark, for Excel): the bodies, then the districts' totals.
pub fn dashboard_csv(d: &Dashboard) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let bad = |e: csv::Error| Error::internal(e.to_string());
    w.write_record([
        "统一社会信用代码",
        "名称",
        "类别",
        "区县",
        "政务失信记录",
        "失信被执行人",
        "未清偿欠款笔数",
        "未清偿金额(万元)",
        "已清偿笔数",
        "已清偿金额(万元)",
        "投诉",
        "未办结投诉",
        "已答复",
        "按期答复",
        "逾期未办结",
        "认定失信",
        "政务承诺",
        "已兑现",
        "已逾期",
        "未兑现",
    ])
    .map_err(bad)?;
    for b in d.bodies.iter().chain(&d.districts) {
        let f = &b.figures;
        let n = |x: usize| x.to_string();
        w.write_record([
            b.code.clone(),
            crate::spreadsheet::safe_cell(&b.name).into_owned(),
            b.kind.to_string(),
            b.district_name.clone().unwrap_or_default(),
            n(f.records),
            n(f.enforcement),
            n(f.arrears_outstanding),
            f.arrears_outstanding_amount.clone(),
            n(f.arrears_paid),
            f.arrears_paid_amount.clone(),
            n(f.complaints),
            n(f.complaints_open),
            n(f.complaints_answered),
            n(f.complaints_answered_on_time),
            n(f.complaints_overdue),
            n(f.complaints_found),
            n(f.commitments),
            n(f.commitments_kept),
            n(f.commitments_overdue),
            n(f.commitments_broken),
        ])
        .map_err(bad)?;
    }
    w.into_inner().map_err(|e| Error::internal(e.to_string()))
}

// ---------------------------------------------------------------------------------------------------------------
// 公务员诚信档案.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "查阅公务员诚信档案")]
pub struct ArchiveQuery {
    /// 身份证号码
    pub id_number: String,
    /// 查阅目的(干部考核、任用、奖惩……)
    pub purpose: String,
}

/// A civil servant's archive as a granted department reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "公务员诚信档案")]
pub struct Archive {
    pub name: String,
    /// 证件号码(已遮蔽)
    pub id_number: String,
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<ArchiveEntry>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "档案中的一条记录")]
pub struct ArchiveEntry {
    pub record_id: i64,
    pub fields: BTreeMap<String, String>,
}

/// 查阅公务员诚信档案: only an account of a department granted the archive (its permissions' `archives`), with a
/// purpose; the read is in the person's access log. Anyone else is refused (403), and the refusal is audited.
pub async fn read_archive(app: &App, p: &Principal, q: &ArchiveQuery) -> Result<Archive, Error> {
    let r = rules(app)?;
    let item = app.catalog.item(&r.archive).ok_or_else(|| Error::internal("档案目录项缺失"))?;
    let granted = match p {
        Principal::Account { role: Role::Checker | Role::Handler, department: Some(d), .. } => {
            d.permissions.archives.iter().any(|a| a == &item.code)
        }
        _ => false,
    };
    if !granted {
        crate::audit::act(app, p, "archive.refused", format!("item:{}", item.code), "公务员诚信档案", "denied".into())
            .await?;
        return Err(Error::forbidden("公务员诚信档案只向经授权的组织、人事部门的核查员或案件办理员提供"));
    }
    let purpose = text("查阅目的", &q.purpose, 200)?;
    let today = app.clock.today();
    let key = credo_domain::ids::typed_code(q.id_number.trim(), today);
    let none = || Error::not_found("该人员没有公务员诚信档案");
    let person = app.store.subject_by_code(&key).await?.filter(|s| s.kind == SubjectKind::Person).ok_or_else(none)?;
    let records: Vec<RecordView> =
        app.reader.subject_records(person.id).await?.into_iter().filter(|r| r.item == item.code).collect();
    if records.is_empty() {
        return Err(none());
    }
    crate::audit::act(
        app,
        p,
        "archive.read",
        format!("subject:{}", person.id),
        &purpose,
        format!("公务员诚信档案 {} 条", records.len()),
    )
    .await?;
    let id_fields = item.subject_code_fields();
    let entries = records
        .into_iter()
        .map(|r| ArchiveEntry {
            record_id: r.id,
            fields: r
                .fields
                .iter()
                .filter(|(k, _)| !k.starts_with('@'))
                .map(|(k, v)| {
                    let name = item.field(k).map_or(k.clone(), |f| f.name.clone());
                    let v = if id_fields.contains(&k.as_str()) {
                        public::shown_code(person.kind, v)
                    } else {
                        public::mask_ids(v)
                    };
                    (name, v)
                })
                .collect(),
        })
        .collect();
    Ok(Archive {
        name: person.name.clone(),
        id_number: public::shown_code(person.kind, person.code.as_deref().unwrap_or_default()),
        records: entries,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 信用服务机构.

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "信用服务机构备案")]
pub struct AgencyIn {
    pub uscc: String,
    pub name: String,
    pub filing_no: String,
    /// 备案日期
    pub filed_on: String,
    /// 备案业务范围(integrity.toml 的 agency_scopes)
    pub scopes: Vec<String>,
    /// 使用平台数据时,其部门的统一社会信用代码(须已登记为部门)
    pub department: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "机构从业人员")]
pub struct StaffIn {
    /// 身份证号码(须已有职业信用档案)
    pub id_number: String,
    pub role: String,
    pub qualification: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(description = "机构年度评价")]
pub struct EvaluationIn {
    pub year: i64,
    pub grade: String,
    pub note: String,
}

/// The credit office's 信用审核员 keeps the register.
fn registrar(p: &Principal) -> Result<(), Error> {
    match p {
        Principal::Account { role: Role::Reviewer, .. } => Ok(()),
        _ => Err(Error::forbidden("信用服务机构备案由信用办信用审核员办理")),
    }
}

/// Most scopes, staff and evaluations an agency holds.
const MAX_LIST: usize = 200;

/// 备案: registers an agency.
pub async fn register_agency(app: &App, p: &Principal, o: &AgencyIn) -> Result<Agency, Error> {
    registrar(p)?;
    let r = rules(app)?;
    let uscc = o.uscc.trim().to_ascii_uppercase();
    credo_domain::ids::Uscc::parse(&uscc)
        .map_err(|e| Error::new(Code::InvalidUscc, format!("统一社会信用代码无效:{e}")))?;
    if o.scopes.is_empty() || o.scopes.len() > MAX_LIST {
        return Err(Error::new(Code::MissingField, "请选择备案业务范围"));
    }
    if let Some(s) = o.scopes.iter().find(|s| !r.agency_scopes.contains(s)) {
        return Err(Error::new(
            Code::BadField,
            format!("未知的业务范围“{}”,可选:{}", crate::error::echo(s), r.agency_scopes.join("、")),
        ));
    }
    let filed_on = credo_domain::value::parse_date(o.filed_on.trim())
        .filter(|d| *d <= app.clock.today())
        .ok_or_else(|| Error::new(Code::BadDate, "备案日期无效或晚于今日"))?;
    let department = match o.department.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(u) => Some(app.store.department_by_uscc(u).await?.ok_or_else(|| {
            Error::new(Code::UnknownDepartment, format!("没有统一社会信用代码为“{}”的部门", crate::error::echo(u)))
        })?),
        None => None,
    };
    // An agency uses platform data only under a purpose and a quota: keys issued before it was registered must go.
    if let Some(d) = &department {
        let unbounded = app.store.api_keys(d.id).await?.into_iter().filter(|k| !k.revoked);
        if let Some(k) = unbounded.into_iter().find(|k| k.purpose.is_none() || k.daily_quota.is_none()) {
            return Err(Error::new(
                Code::Conflict,
                format!("该部门的密钥 {} 未设用途和每日调用上限,请先吊销后再备案", k.prefix),
            ));
        }
    }
    let a = app
        .store
        .add_agency(&NewAgency {
            uscc,
            name: text("机构名称", &o.name, 200)?,
            filing_no: text("备案编号", &o.filing_no, 64)?,
            filed_on,
            scopes: o.scopes.clone(),
            department_id: department.map(|d| d.id),
            created_by: p.actor().0,
        })
        .await?;
    crate::audit::act(app, p, "agency.register", format!("agency:{}", a.id), "信用服务机构备案", a.filing_no.clone())
        .await?;
    Ok(a)
}

async fn agency(app: &App, id: i64) -> Result<Agency, Error> {
    app.store.agency(id).await?.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的信用服务机构")))
}

async fn save_agency(app: &App, p: &Principal, a: &Agency, action: &str, result: String) -> Result<Agency, Error> {
    if !app.store.update_agency(a).await? {
        return Err(Error::new(Code::Conflict, "该机构的备案信息刚被他人修改,请刷新后重试"));
    }
    crate::audit::act(app, p, action, format!("agency:{}", a.id), "信用服务机构备案", result).await?;
    agency(app, a.id).await
}

/// Adds a member of staff: a person the platform knows (their occupational archive).
pub async fn add_staff(app: &App, p: &Principal, id: i64, o: &StaffIn) -> Result<Agency, Error> {
    registrar(p)?;
    let mut a = agency(app, id).await?;
    if a.staff.len() >= MAX_LIST {
        return Err(Error::new(Code::Conflict, format!("一个机构最多登记 {MAX_LIST} 名从业人员")));
    }
    let key = credo_domain::ids::typed_code(o.id_number.trim(), app.clock.today());
    let person = app
        .store
        .subject_by_code(&key)
        .await?
        .filter(|s| s.kind == SubjectKind::Person)
        .ok_or_else(|| Error::not_found("该人员在信用西宁尚无信用档案,请先由其执业登记部门报送职业资格信息"))?;
    if a.staff.iter().any(|s| s.subject_id == person.id) {
        return Err(Error::new(Code::Conflict, "该人员已登记为本机构从业人员"));
    }
    a.staff.push(AgencyStaff {
        subject_id: person.id,
        name: person.name.clone(),
        role: text("岗位", &o.role, 50)?,
        qualification: o.qualification.as_deref().map(|q| text("资格证书", q, 100)).transpose()?,
    });
    save_agency(app, p, &a, "agency.staff", format!("subject:{}", person.id)).await
}

/// Records the credit office's yearly evaluation of an agency (one per year).
pub async fn evaluate_agency(app: &App, p: &Principal, id: i64, o: &EvaluationIn) -> Result<Agency, Error> {
    registrar(p)?;
    let r = rules(app)?;
    let mut a = agency(app, id).await?;
    if !r.agency_grades.contains(&o.grade) {
        return Err(Error::new(Code::BadField, format!("评价等级须为:{}", r.agency_grades.join("、"))));
    }
    let year = i64::from(app.clock.today().year());
    if !(2015..=year).contains(&o.year) {
        return Err(Error::new(Code::BadField, format!("评价年度须在 2015 至 {year} 之间")));
    }
    if a.evaluations.iter().any(|e| e.year == o.year) {
        return Err(Error::new(Code::Conflict, format!("{} 年度已评价", o.year)));
    }
    a.evaluations.push(AgencyEvaluation {
        year: o.year,
        grade: o.grade.clone(),
        note: text("评价说明", &o.note, 1000)?,
        by: p.actor().0,
    });
    a.evaluations.sort_by_key(|e| std::cmp::Reverse(e.year));
    save_agency(app, p, &a, "agency.evaluate", format!("{} {}", o.year, o.grade)).await
}

/// An agency as the public sees it: staff names masked, with the count of complaints (举报) against it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "信用服务机构(公示)")]
pub struct AgencyView {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub filing_no: String,
    pub filed_on: String,
    pub scopes: Vec<String>,
    pub state: String,
    /// 从业人员(姓名已遮蔽)
    #[schema(value_type = Vec<Object>)]
    pub staff: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub evaluations: Vec<AgencyEvaluation>,
    /// 对该机构的举报(件)
    pub complaints: usize,
    pub complaints_open: usize,
    /// 可使用平台数据(有部门账号)
    pub uses_platform: bool,
}

fn agency_view(a: Agency, reports: &[Case]) -> AgencyView {
    let mine: Vec<&Case> = reports
        .iter()
        .filter(|c| c.content.get("subject_code").and_then(Value::as_str).map(str::trim) == Some(a.uscc.as_str()))
        .collect();
    AgencyView {
        complaints: mine.len(),
        complaints_open: mine.iter().filter(|c| c.closed_at.is_none()).count(),
        staff: a
            .staff
            .iter()
            .map(|s| json!({ "name": crate::reports::masked_name(&s.name), "role": s.role, "qualification": s.qualification }))
            .collect(),
        uses_platform: a.department_id.is_some(),
        id: a.id,
        uscc: a.uscc,
        name: a.name,
        filing_no: a.filing_no,
        filed_on: a.filed_on.to_string(),
        scopes: a.scopes,
        state: if a.state == "active" { "在册".into() } else { "已注销".into() },
        evaluations: a.evaluations,
    }
}

async fn reports_to_office(app: &App) -> Result<Vec<Case>, Error> {
    let Ok(office) = office(app).await else { return Ok(Vec::new()) };
    let filter = CaseFilter {
        kind: Some(Kind::Report.as_str().into()),
        department_id: Some(office.id),
        ..CaseFilter::default()
    };
    Ok(app.store.cases(&filter, 5000).await?)
}

/// The public register.
pub async fn agencies(app: &App) -> Result<Vec<AgencyView>, Error> {
    rules(app)?;
    let reports = reports_to_office(app).await?;
    Ok(app.store.agencies().await?.into_iter().map(|a| agency_view(a, &reports)).collect())
}

/// One agency as the public sees it.
pub async fn agency_public(app: &App, id: i64) -> Result<AgencyView, Error> {
    rules(app)?;
    let a = agency(app, id).await?;
    Ok(agency_view(a, &reports_to_office(app).await?))
}

/// Whether a case is still open in the state a gov complaint waits for the body (for the console's hint).
pub fn awaiting_body(c: &Case) -> bool {
    c.kind == Kind::GovComplaint.as_str() && c.state == State::AwaitingAnswer.as_str()
}
