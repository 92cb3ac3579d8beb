//! Credit reports (信用报告): a subject's public credit information on a day, as a signed document
//! ([`credo_report::Report`]) in the sections of `catalog/reports.toml`, rendered as a PDF anyone can verify.
//!
//! Issued so far: the 公共信用信息报告 of an organisation and its 专项信用报告, from what the public may see today.

use credo_domain::catalog::SubjectKind;
use credo_report::{Entry, Field, FontSource, Report, Section, Signed};
use rand::Rng;

use crate::public::{self, PublicRecord};
use crate::{App, Code, Error};

/// Where the verification page is published (the QR code's link): `CREDO_PUBLIC_URL`, or the default address.
fn public_url() -> String {
    std::env::var("CREDO_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into()).trim_end_matches('/').into()
}

/// 报告编号: XY, the issuing day and ten random characters (no 0/O, 1/I).
fn number(app: &App) -> String {
    let day = crate::beijing::day(app.clock.now());
    format!("XY{}{}", day.to_string().replace('-', ""), random_code(10))
}

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A random text of `n` characters from [`ALPHABET`] (the check code is one: with the number, it opens the report).
fn random_code(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The public credit report of kind `kind` (`public` or `special`) of the organisation `key` (a code or `id-N`),
/// as the public may see it today.
pub async fn build(app: &App, key: &str, kind: &str, font: &FontSource) -> Result<Report, Error> {
    let scheme =
        app.catalog.reports.kind(kind).filter(|k| k.code == "public" || k.code == "special").ok_or_else(|| {
            Error::new(Code::InvalidRequest, format!("没有“{}”这种可公开出具的报告", public::mask_ids(kind)))
        })?;
    let (subject, records) = crate::search::public_subject(app, key).await?;
    if subject.kind == SubjectKind::Person {
        // A person's report goes only to that person (their own account), never to the public.
        return Err(crate::search::no_public_subject(key));
    }
    let today = app.clock.today();
    let disputed = app.store.disputed(&records.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let shown: Vec<(PublicRecord, &credo_store::RecordView)> = records
        .iter()
        .filter_map(|r| public::record(&app.catalog, r, disputed.contains(&r.id), today).map(|p| (p, r)))
        .filter(|(p, _)| p.publicity.state.public())
        .collect();
    let mut sections = Vec::new();
    let mut counts = Vec::new();
    for s in app.catalog.reports.sections_of(scheme) {
        let entries: Vec<Entry> = shown
            .iter()
            .filter(|(_, r)| app.catalog.item(&r.item).is_some_and(|i| s.holds(i)))
            .map(|(p, r)| entry(app, p, r, disputed.contains(&r.id)))
            .collect();
        counts.push((s.title.clone(), entries.len()));
        sections.push(Section { code: s.code.clone(), title: s.title.clone(), note: s.note.clone(), entries });
    }
    let number = number(app);
    let check_code = random_code(6);
    let subject_view = public::subject(&app.catalog, &subject);
    let issued_at = app.clock.now().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC));
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts.iter().filter(|(_, n)| *n > 0).map(|(t, n)| format!("{t} {n} 条")).collect();
    let mut summary = vec![if total == 0 {
        format!("截至 {today},本平台未归集到该主体在本报告范围内正在公示的信用信息。")
    } else {
        format!("截至 {today},本平台归集到该主体在本报告范围内正在公示的信用信息共 {total} 条:{}。", parts.join("、"))
    }];
    let bad = counts.iter().any(|(t, n)| *n > 0 && (t.contains("失信") || t.contains("重点关注")));
    summary.push(if bad {
        "该主体有正在公示的失信惩戒或重点关注信息,详见下文。".into()
    } else {
        "该主体无正在公示的失信惩戒和重点关注信息。".into()
    });
    let verify_url = format!("{}/verify?no={number}&code={check_code}", public_url());
    Ok(Report {
        format: credo_report::FORMAT.into(),
        title: scheme.title(subject.kind).into(),
        kind: scheme.code.clone(),
        number,
        check_code,
        issuer: "信用西宁(西宁市公共信用信息平台)".into(),
        issued_at: issued_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        as_of: today.to_string(),
        verify_url,
        font: font.id.clone(),
        subject: credo_report::Subject {
            name: subject_view.name,
            code: subject_view.code,
            kind_label: subject_view.kind_label.into(),
            region_name: subject_view.region_name,
            status: subject_view.status,
        },
        summary,
        sections,
        notes: vec![
            format!("本报告依据{},只含依法可以公开的公共信用信息;个人身份证件号码已遮蔽。", scheme.source.text),
            "本报告反映信息截止日期时本平台正在公示的信息;公示期满、已信用修复或已撤销的信息不列出。".into(),
            "报告内容以签署的 report.json 为准,其 SM2 签名附于文件中(report.sig);可扫描二维码或凭报告编号与核验码在信用西宁核验,也可用 credo verify 或 openssl 离线核验。".into(),
            "对报告所列信息有异议的,可向信用西宁提出异议申请。".into(),
        ],
    })
}

fn entry(app: &App, p: &PublicRecord, r: &credo_store::RecordView, disputed: bool) -> Entry {
    let item = app.catalog.item(&r.item);
    let key = item.map(|i| i.natural_key_of(&r.fields)).unwrap_or_default();
    let heading = format!("{} {}", p.item_name, public::mask_ids(key.trim()));
    let mut fields: Vec<Field> =
        p.fields.iter().map(|f| Field { name: f.name.clone(), value: f.value.clone() }).collect();
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

/// An organisation's report as the public may see it today, signed and rendered (off the async runtime): the
/// report and its PDF.
pub async fn issue(app: &App, key: &str, kind: &str) -> Result<(Report, Vec<u8>), Error> {
    let font = font()?;
    let report = build(app, key, kind, font).await?;
    let (a, r) = (app.clone(), report.clone());
    let (_, pdf) = crate::offload::run(app, move || sign_and_render(&a, &r, font)).await.map_err(Error::internal)??;
    Ok((report, pdf))
}

/// The platform's public signing key (PEM).
pub fn platform_key(app: &App) -> Result<String, Error> {
    app.signer.public_key_pem().map_err(Error::internal)
}
