//! Credit reports (信用报告): a subject's credit information on a day, as a signed document
//! ([`credo_report::Report`]) in the sections of `catalog/reports.toml`, rendered as a PDF anyone can verify, and
//! recorded so that its number and check code open it on the verification page.
//!
//! Who gets what ([`Audience`]): the public gets an organisation's report with public data only; a subject's own
//! account gets its own reports (a person's too) with every field of its records and its own ID number; a
//! department gets a 授权查询 report only with the subject's recorded, unexpired authorisation, and the subject sees
//! it in its access log. Each channel has a yearly quota per subject (`[quota]` in `reports.toml`). A report
//! `as_of` an earlier day replays what the store had received by the end of that day, with the publicity and the
//! objections of that day.

use credo_domain::catalog::SubjectKind;
use credo_domain::publicity::Mark;
use credo_report::{Entry, Field, FontSource, Report, Section, Signed};
use credo_store::{AuditEvent, IssuedReport, NewAuthorisation, NewReport, RecordView, ReportQuota, StoreError};
use rand::Rng;
use serde::Serialize;
use time::Date;

use crate::principal::{Principal, Role};
use crate::public::{self, PublicRecord};
use crate::{App, Code, Error};

/// Where the verification page is published (the QR code's link): `CREDO_PUBLIC_URL`, or the default address.
pub(crate) fn public_url() -> String {
    std::env::var("CREDO_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into()).trim_end_matches('/').into()
}

/// 报告编号: XY, the issuing day and ten random characters (no 0/O, 1/I).
fn number(app: &App) -> String {
    format!("XY{}{}", app.clock.today().to_string().replace('-', ""), random_code(10))
}

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A random text of `n` characters from [`ALPHABET`] (the check code is one: with the number, it opens the report).
fn random_code(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// What is kept of a check code: SM3 of the number and the code (the code itself is printed on the report only).
fn check_hash(number: &str, code: &str) -> String {
    credo_gm::sm3_hex(format!("{number}:{code}").as_bytes())
}

/// The channel a report is asked through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// 社会公众查询.
    Public,
    /// 本人查询.
    Own,
    /// 授权查询.
    Authorised,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "public" => Some(Channel::Public),
            "own" => Some(Channel::Own),
            "authorised" => Some(Channel::Authorised),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Channel::Public => "public",
            Channel::Own => "own",
            Channel::Authorised => "authorised",
        }
    }
}

/// To whom a report is issued, once it is established that they may have it.
#[derive(Debug, Clone)]
pub enum Audience {
    /// 社会公众查询 (`from`: the address or tool that asked, for the record).
    Public { from: String },
    /// 本人查询: the subject itself (`by`: its account, or the counter that printed it).
    Own { subject_id: i64, by: String },
    /// 授权查询: a department, under the subject's authorisation.
    Authorised { department: String, department_uscc: String, purpose: String, by: String },
}

impl Audience {
    fn channel(&self) -> Channel {
        match self {
            Audience::Public { .. } => Channel::Public,
            Audience::Own { .. } => Channel::Own,
            Audience::Authorised { .. } => Channel::Authorised,
        }
    }

    /// 查询类型 as printed.
    fn label(&self) -> String {
        match self {
            Audience::Public { .. } => "社会公众查询".into(),
            Audience::Own { .. } => "本人查询".into(),
            Audience::Authorised { department, purpose, .. } => format!("授权查询({department},用途:{purpose})"),
        }
    }

    fn requested_by(&self) -> String {
        match self {
            Audience::Public { from } => format!("public:{from}"),
            Audience::Own { by, .. } | Audience::Authorised { by, .. } => by.clone(),
        }
    }

    /// Whether the report shows every field (not only public ones).
    fn full(&self) -> bool {
        !matches!(self, Audience::Public { .. })
    }
}

/// Who `p` is to a report asked through `channel` about the subject `key`: the audience, and the subject's key as
/// the report is built for (a subject account's own subject, whatever key it gave). Refused: an own report for
/// anyone but a subject account, a 授权查询 report for anyone but a department's user.
pub async fn audience(
    app: &App,
    p: &Principal,
    channel: Channel,
    key: &str,
    from: &str,
) -> Result<(Audience, String), Error> {
    match channel {
        Channel::Public => Ok((Audience::Public { from: from.into() }, key.into())),
        Channel::Own => match p {
            Principal::Account { account, role: Role::Subject, .. } => {
                let id = account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
                Ok((Audience::Own { subject_id: id, by: format!("account:{}", account.id) }, format!("id-{id}")))
            }
            _ => Err(Error::forbidden("本人信用报告只出具给已绑定该主体的信用主体账号")),
        },
        Channel::Authorised => {
            // A checker (部门核查员) or a key with the `check` scope: those who check subjects before decisions.
            let checker = match p {
                Principal::Account { role: Role::Checker, department: Some(d), .. } => Some(d.as_ref()),
                Principal::Key { key, department } if key.scopes.iter().any(|s| s == "check") => {
                    Some(department.as_ref())
                }
                _ => None,
            };
            let department =
                checker.ok_or_else(|| Error::forbidden("授权查询信用报告只出具给部门核查员或有核查权限的部门密钥"))?;
            let today = app.clock.today();
            // An unknown subject and one without the department's authorisation get the same answer: a department
            // learns nothing of whom the platform knows from a refusal.
            let subject = crate::search::subject_by_key(app, key).await.ok();
            let granted = match &subject {
                Some(s) => app
                    .store
                    .authorisations(s.id)
                    .await?
                    .into_iter()
                    .find(|a| a.department_id == department.id && a.revoked_at.is_none() && a.expires_on >= today),
                None => None,
            };
            let known = subject.as_ref().map(|s| s.id);
            let (Some(subject), Some(granted)) = (subject, granted) else {
                let (actor, role, uscc) = p.actor();
                app.store
                    .append_audit(&AuditEvent {
                        actor,
                        role,
                        department: uscc,
                        action: "report.authorised.refused".into(),
                        target: known.map(|id| format!("subject:{id}")),
                        purpose: None,
                        result: "未取得有效授权,未出具".into(),
                        client: None,
                    })
                    .await?;
                return Err(Error::forbidden(format!(
                    "未取得该主体对{}查询信用报告的有效授权:请该主体登录信用西宁,在“我的信用”中授权",
                    department.name
                )));
            };
            let (actor, _, _) = p.actor();
            Ok((
                Audience::Authorised {
                    department: department.name.clone(),
                    department_uscc: department.uscc.clone(),
                    purpose: granted.purpose,
                    by: format!("department:{}:{actor}", department.id),
                },
                format!("id-{}", subject.id),
            ))
        }
    }
}

/// A report built, with the store's subject id and the channel it counts against.
pub struct Built {
    pub report: Report,
    pub subject_id: i64,
    audience: Audience,
    /// What the verification page shows of it.
    summary: VerifiedSummary,
}

/// What the verification page shows of a report: enough to compare with the paper, nothing more (a person's name
/// and ID number masked).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VerifiedSummary {
    pub title: String,
    pub subject_name: String,
    pub subject_code: Option<String>,
    pub audience: String,
    pub summary: Vec<String>,
    pub entries: usize,
}

/// A person's name as the verification page shows it: the first character, the rest masked.
pub(crate) fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().into_iter().collect();
    first + &"*".repeat(chars.count())
}

/// What is asked: the subject (a code or `id-N`), the kind of report (`public` or `special`), the day (today when
/// `None`), and for a 专项信用报告 its 领域 (all when `None`).
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub as_of: Option<&'a str>,
    pub field: Option<&'a str>,
}

/// The report asked for `audience`, as the platform knew it on the day asked. The audience must already be
/// established ([`audience`]); the public gets organisations' reports only.
pub async fn build(app: &App, asked: Asked<'_>, audience: Audience, font: &FontSource) -> Result<Built, Error> {
    let Asked { key, kind, as_of, field } = asked;
    let scheme = app.catalog.reports.kind(kind).ok_or_else(|| {
        Error::new(Code::InvalidRequest, format!("没有“{}”这种报告:可选 public、special", public::mask_ids(kind)))
    })?;
    let field = match field.map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(_) if scheme.code != "special" => {
            return Err(Error::new(Code::InvalidRequest, "只有专项信用报告可以按领域出具(kind=special)"));
        }
        Some(code) => Some(app.catalog.reports.field(code).ok_or_else(|| {
            let known: Vec<String> =
                app.catalog.reports.fields.iter().map(|f| format!("{}({})", f.code, f.name)).collect();
            Error::new(
                Code::InvalidRequest,
                format!("没有“{}”这个领域:可选 {}", public::mask_ids(code), known.join("、")),
            )
        })?),
    };
    let today = app.clock.today();
    let (day, replay) = crate::beijing::as_of(as_of, today).map_err(|e| Error::new(Code::BadDate, e))?;
    let subject = match &audience {
        Audience::Public { .. } => {
            let (subject, _) = crate::search::public_subject(app, key).await?;
            if subject.kind == SubjectKind::Person {
                // A person's report goes only to that person (their own account), never to the public.
                return Err(crate::search::no_public_subject(key));
            }
            subject
        }
        _ => crate::search::subject_by_key(app, key).await?,
    };
    if let Audience::Own { subject_id, .. } = &audience
        && *subject_id != subject.id
    {
        return Err(Error::forbidden("只能查询本主体的信用报告"));
    }
    let mut records = match replay {
        Some(at) => app.store.subject_records_as_of(subject.id, at).await?,
        None => app.reader.subject_records(subject.id).await?,
    };
    if replay.is_some() && !matches!(audience, Audience::Own { .. }) {
        // Repaired, withdrawn or revoked since: no longer published, so not shown again through a replay (only the
        // subject itself sees its history as it was).
        let now = app.reader.subject_records(subject.id).await?;
        let ended: std::collections::HashSet<i64> =
            now.iter().filter(|r| Mark::of(&r.fields).is_some()).map(|r| r.id).collect();
        records.retain(|r| !ended.contains(&r.id));
    }
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    let disputed = match replay {
        Some(at) => app.store.disputed_at(&ids, at).await?,
        None => app.store.disputed(&ids).await?,
    };
    let own_code = match &audience {
        Audience::Own { .. } => subject.code.clone(),
        _ => None,
    };
    let shown: Vec<(PublicRecord, &RecordView)> = records
        .iter()
        .filter_map(|r| {
            let d = disputed.contains(&r.id);
            // A restricted archive (公务员诚信档案) goes to the subject alone, never to a department it authorised.
            if !matches!(audience, Audience::Own { .. }) && app.catalog.item(&r.item).is_some_and(|i| i.restricted) {
                return None;
            }
            let p = if audience.full() {
                public::record_of_any_item(&app.catalog, r, d, day)?
            } else {
                public::record(&app.catalog, r, d, day)?
            };
            let shown = if audience.full() {
                public::in_publicity(&app.catalog, r, d, day)
            } else {
                p.publicity.state.public()
            };
            shown.then_some((p, r))
        })
        // A record's 领域 is its deciding authority's (处罚机关 …), else its submitting department's.
        .filter(|(_, r)| {
            field.is_none_or(|f| f.covers(app.catalog.publicity.authority(&r.item, &r.department_name, &r.fields)))
        })
        .collect();
    let mut sections = Vec::new();
    let mut counts = Vec::new();
    for s in app.catalog.reports.sections_of(scheme) {
        let entries: Vec<Entry> = shown
            .iter()
            .filter(|(_, r)| app.catalog.item(&r.item).is_some_and(|i| s.holds(i)))
            .map(|(p, r)| entry(app, p, r, disputed.contains(&r.id), audience.full().then_some(own_code.as_deref())))
            .collect();
        counts.push((s.title.clone(), entries.len()));
        sections.push(Section { code: s.code.clone(), title: s.title.clone(), note: s.note.clone(), entries });
    }
    let number = number(app);
    let check_code = random_code(6);
    let subject_view = public::subject(&app.catalog, &subject);
    let code_shown = match &own_code {
        Some(c) => Some(c.clone()),
        None => subject_view.code.clone(),
    };
    let issued_at = app.clock.now().to_offset(crate::beijing::OFFSET);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts.iter().filter(|(_, n)| *n > 0).map(|(t, n)| format!("{t} {n} 条")).collect();
    let mut summary = Vec::new();
    if let Some(f) = field {
        summary.push(format!("本报告覆盖{}领域。", f.name));
    }
    summary.push(if total == 0 {
        format!("截至 {day},本平台未归集到该主体在本报告范围内正在公示的信用信息。")
    } else {
        format!("截至 {day},本平台归集到该主体在本报告范围内正在公示的信用信息共 {total} 条:{}。", parts.join("、"))
    });
    let bad = counts.iter().any(|(t, n)| *n > 0 && (t.contains("失信") || t.contains("重点关注")));
    summary.push(if bad {
        "该主体有正在公示的失信惩戒或重点关注信息,详见下文。".into()
    } else {
        "该主体无正在公示的失信惩戒和重点关注信息。".into()
    });
    let verify_url = format!("{}/verify?no={number}&code={check_code}", public_url());
    let scope = if audience.full() {
        "本报告含该主体本人可见的全部字段;他人的身份证件号码已遮蔽。"
    } else {
        "本报告只含依法可以公开的公共信用信息;个人身份证件号码已遮蔽。"
    };
    let title = match field {
        Some(f) => format!("{}({}领域)", scheme.title(subject.kind), f.name),
        None => scheme.title(subject.kind).to_string(),
    };
    let verified = VerifiedSummary {
        title: title.clone(),
        subject_name: if subject.kind == SubjectKind::Person {
            masked_name(&subject.name)
        } else {
            subject.name.clone()
        },
        subject_code: subject_view.code.clone(),
        audience: match &audience {
            Audience::Authorised { department, .. } => format!("授权查询({department})"),
            a => a.label(),
        },
        summary: summary.clone(),
        entries: total,
    };
    let mut notes = vec![
        format!("本报告依据{}。{scope}", scheme.source.text),
        "本报告反映信息截止日期时本平台正在公示的信息;公示期满、已信用修复或已撤销的信息不列出。".into(),
        "报告内容以签署的 report.json 为准,其 SM2 签名附于文件中(report.sig);可扫描二维码或凭报告编号与核验码在信用西宁核验,也可用 credo verify 或 openssl 离线核验。".into(),
        "对报告所列信息有异议的,可向信用西宁提出异议申请。".into(),
    ];
    if let Some(f) = field {
        notes.insert(
            1,
            format!(
                "本报告只涵盖{}领域:作出决定的机关名称含“{}”的信息;其他领域的信息未列出,本报告不能证明该主体在其他领域无违法违规记录。",
                f.name,
                f.departments.join("”或“")
            ),
        );
    }
    let report = Report {
        format: credo_report::FORMAT.into(),
        title,
        kind: scheme.code.clone(),
        number,
        check_code,
        issuer: "信用西宁(西宁市公共信用信息平台)".into(),
        audience: audience.label(),
        issued_at: issued_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        as_of: day.to_string(),
        verify_url,
        font: font.id.clone(),
        subject: credo_report::Subject {
            name: if own_code.is_some() { subject.name.clone() } else { subject_view.name },
            code: code_shown,
            kind_label: subject_view.kind_label.into(),
            region_name: subject_view.region_name,
            status: subject_view.status,
        },
        summary,
        sections,
        notes,
    };
    Ok(Built { report, subject_id: subject.id, audience, summary: verified })
}

/// One record in a report. `full`: every field, ID numbers masked except the subject's own (`Some(own code)`), for
/// the subject itself or under its authorisation (`Some(None)`: all masked); `None`: the public fields only.
fn entry(app: &App, p: &PublicRecord, r: &RecordView, disputed: bool, full: Option<Option<&str>>) -> Entry {
    let item = app.catalog.item(&r.item);
    let key = item.map(|i| i.natural_key_of(&r.fields)).unwrap_or_default();
    let heading = format!("{} {}", p.item_name, public::mask_ids(key.trim()));
    let mut fields: Vec<Field> = match (full, item) {
        (Some(own), Some(item)) => item
            .fields
            .iter()
            .filter_map(|f| {
                let v = r.fields.get(&f.code)?;
                let value = if own.is_some_and(|o| o == v.trim()) { v.clone() } else { public::mask_ids(v) };
                Some(Field { name: f.name.clone(), value })
            })
            .collect(),
        _ => p.fields.iter().map(|f| Field { name: f.name.clone(), value: f.value.clone() }).collect(),
    };
    fields.push(Field { name: "报送部门".into(), value: p.department.clone() });
    let window = match (&p.publicity.shown_from, &p.publicity.shown_until) {
        (Some(a), Some(b)) => Some(format!("{a} 至 {b}")),
        (Some(a), None) => Some(format!("{a} 起")),
        _ => None,
    };
    if let Some(w) = window {
        fields.push(Field { name: "公示期".into(), value: w });
    }
    fields.push(Field { name: "公示状态".into(), value: public::for_citizens(&p.publicity.explanation) });
    if disputed {
        fields.push(Field { name: "异议".into(), value: "该信息有正在处理的异议".into() });
    }
    Entry { heading, fields }
}

/// The report signed with the platform's key and rendered.
pub fn sign_and_render(app: &App, report: &Report, font: &FontSource) -> Result<(Signed, Vec<u8>), Error> {
    let signed = Signed::sign(report, &app.signer).map_err(Error::internal)?;
    let pdf = credo_report::render(&signed, font).map_err(Error::internal)?;
    Ok((signed, pdf))
}

/// The report font, read once (`CREDO_REPORT_FONT`, else Noto Sans CJK SC).
pub fn font() -> Result<&'static FontSource, Error> {
    static FONT: std::sync::OnceLock<Result<FontSource, String>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| FontSource::from_env().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::new(Code::Unavailable, format!("暂时无法出具报告:{e}")))
}

/// Refusal when a channel's yearly quota is used up.
fn quota_reached(channel: Channel, limit: i64) -> Error {
    let detail = match channel {
        Channel::Public => format!(
            "该主体本年度向社会公众出具的信用报告已达 {limit} 份上限;该主体可登录信用西宁下载本人信用报告,或于明年再试"
        ),
        Channel::Own => format!("本年度本人查询的信用报告已达 {limit} 份上限,请于明年再试"),
        Channel::Authorised => format!("该主体本年度经授权出具的信用报告已达 {limit} 份上限"),
    };
    Error::new(Code::QuotaReached, detail)
}

/// A report issued: signed, rendered (off the async runtime), counted against its channel's quota and recorded
/// for verification; a 授权查询 report goes into the subject's access log. Returns the report and its PDF.
pub async fn issue(app: &App, p: &Principal, built: Built) -> Result<(Report, Vec<u8>), Error> {
    let font = font()?;
    let channel = built.audience.channel();
    let year = app.clock.today().year();
    // 0: no yearly cap (the count is still kept).
    let limit = Some(app.catalog.reports.quota.of(channel.code())).filter(|n| *n > 0).unwrap_or(i64::MAX);
    // Before the rendering's CPU is spent; the count that holds is taken with the record below.
    if app.store.reports_used(built.subject_id, channel.code(), year).await? >= limit {
        return Err(quota_reached(channel, limit));
    }
    let (a, r) = (app.clone(), built.report.clone());
    let (signed, pdf) =
        crate::offload::run(app, move || sign_and_render(&a, &r, font)).await.map_err(Error::internal)??;
    let report = built.report;
    let issued_at = time::OffsetDateTime::parse(&report.issued_at, &time::format_description::well_known::Rfc3339)
        .map_err(Error::internal)?;
    let new = NewReport {
        number: report.number.clone(),
        check_hash: check_hash(&report.number, &report.check_code),
        kind: report.kind.clone(),
        subject_id: built.subject_id,
        as_of: credo_domain::value::parse_date(&report.as_of).ok_or_else(|| Error::internal("report day"))?,
        issued_at,
        channel: channel.code().into(),
        requested_by: built.audience.requested_by(),
        summary: serde_json::to_string(&built.summary).map_err(Error::internal)?,
        pdf_sm3: credo_report::digest(&pdf),
        json_sm3: credo_gm::sm3_hex(&signed.json),
    };
    match app.store.add_report(new, ReportQuota { year, limit }).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Err(quota_reached(channel, limit)),
        Err(e) => return Err(e.into()),
    }
    if let Audience::Authorised { department_uscc, purpose, .. } = &built.audience {
        let (actor, role, _) = p.actor();
        let event = AuditEvent {
            actor,
            role,
            department: Some(department_uscc.clone()),
            action: "report.authorised".into(),
            target: Some(format!("subject:{}", built.subject_id)),
            purpose: Some(purpose.clone()),
            result: format!("出具授权查询信用报告 {}", report.number),
            client: None,
        };
        app.store.append_audit(&event).await?;
    }
    Ok((report, pdf))
}

/// What the verification page says of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub number: String,
    pub kind: String,
    pub as_of: Date,
    pub issued_at: String,
    pub summary: VerifiedSummary,
    pub pdf_sm3: String,
    pub json_sm3: String,
    /// 有效, 已撤销 or 已有更新报告.
    pub state: String,
    /// Why, when it is not simply valid.
    pub note: Option<String>,
}

/// The report with this number and check code, as the verification page shows it. An unknown number and a wrong
/// check code get the same answer, so that numbers cannot be probed.
pub async fn verify(app: &App, number: &str, code: &str) -> Result<Verification, Error> {
    let number = number.trim().to_ascii_uppercase();
    let code = code.trim().to_ascii_uppercase();
    let unknown = || Error::not_found("未找到该报告:请核对报告编号与核验码(均在报告首页右上方)");
    if number.len() > 40 || code.len() > 16 || number.is_empty() || code.is_empty() {
        return Err(unknown());
    }
    let report: IssuedReport = app.store.issued_report(&number).await?.ok_or_else(unknown)?;
    let expected = check_hash(&number, &code);
    if expected != report.check_hash {
        return Err(unknown());
    }
    let summary: VerifiedSummary = serde_json::from_str(&report.summary).map_err(Error::internal)?;
    let (state, note) = match (&report.revoked_at, app.store.newer_report(&number).await?) {
        (Some(at), _) => (
            "已撤销",
            Some(format!(
                "本报告已于 {} 撤销:{}",
                crate::beijing::format(*at),
                report.revoked_reason.clone().unwrap_or_default()
            )),
        ),
        (None, Some(_)) => (
            "已有更新报告",
            Some(format!("本报告真实有效,反映 {} 时的信息;该主体此后又出具了同类报告,请以最新报告为准", report.as_of)),
        ),
        (None, None) => ("有效", None),
    };
    Ok(Verification {
        number: report.number,
        kind: report.kind,
        as_of: report.as_of,
        issued_at: crate::beijing::format(report.issued_at),
        summary,
        pdf_sm3: report.pdf_sm3,
        json_sm3: report.json_sm3,
        state: state.into(),
        note,
    })
}

/// Revokes a report issued in error (an operator, from the CLI): its verification says so from then on.
pub async fn revoke(app: &App, number: &str, reason: &str) -> Result<IssuedReport, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::new(Code::ReasonRequired, "撤销报告须说明理由"));
    }
    match app.store.revoke_report(number.trim(), reason).await {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound(_)) => Err(Error::not_found(format!("没有编号为 {number} 的报告"))),
        Err(StoreError::Conflict(m)) => Err(Error::new(Code::Conflict, m)),
        Err(e) => Err(e.into()),
    }
}

/// Longest authorisation, in days.
pub const MAX_AUTHORISATION_DAYS: i64 = 366;

/// A subject account authorises a department to obtain its credit report, for `purpose`, for `days` days.
pub async fn authorise(
    app: &App,
    p: &Principal,
    department_id: i64,
    purpose: &str,
    days: i64,
) -> Result<credo_store::Authorisation, Error> {
    let Principal::Account { account, role: Role::Subject, .. } = p else {
        return Err(Error::forbidden("请以信用主体账号登录后授权"));
    };
    let subject_id = account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
    let purpose = purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 100 {
        return Err(Error::new(Code::InvalidRequest, "请填写授权用途(不超过 100 字)"));
    }
    if !(1..=MAX_AUTHORISATION_DAYS).contains(&days) {
        return Err(Error::new(Code::InvalidRequest, format!("授权期限应为 1 至 {MAX_AUTHORISATION_DAYS} 天")));
    }
    let department = app
        .store
        .department(department_id)
        .await?
        .ok_or_else(|| Error::new(Code::UnknownDepartment, "没有这个部门"))?;
    let today = app.clock.today();
    let granted = app
        .store
        .add_authorisation(NewAuthorisation {
            subject_id,
            department_id: department.id,
            purpose: purpose.into(),
            granted_by: format!("account:{}", account.id),
            expires_on: today + time::Duration::days(days - 1),
        })
        .await?;
    let (actor, role, _) = p.actor();
    app.store
        .append_audit(&AuditEvent {
            actor,
            role,
            department: None,
            action: "report.authorise".into(),
            target: Some(format!("subject:{subject_id}")),
            purpose: Some(purpose.into()),
            result: format!("授权{}查询信用报告至 {}", department.name, granted.expires_on),
            client: None,
        })
        .await?;
    Ok(granted)
}

/// A subject account withdraws one of its authorisations.
pub async fn withdraw_authorisation(app: &App, p: &Principal, id: i64) -> Result<(), Error> {
    let Principal::Account { account, role: Role::Subject, .. } = p else {
        return Err(Error::forbidden("请以信用主体账号登录"));
    };
    let subject_id = account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
    match app.store.revoke_authorisation(subject_id, id).await {
        Ok(a) => {
            let result = format!("撤销授权 {id}(部门 {});以此授权办理中的融资申请(如有)一并撤回", a.department_id);
            crate::audit::act(app, p, "report.unauthorise", format!("subject:{subject_id}"), "撤销授权", result).await
        }
        Err(StoreError::NotFound(_)) => Err(Error::not_found("没有这项授权")),
        Err(StoreError::Conflict(m)) => Err(Error::new(Code::Conflict, m)),
        Err(e) => Err(e.into()),
    }
}

/// The platform's public signing key (PEM).
pub fn platform_key(app: &App) -> Result<String, Error> {
    app.signer.public_key_pem().map_err(Error::internal)
}
