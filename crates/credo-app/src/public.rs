//! What the public may see (公示): subjects and records with personal data removed or masked.
//!
//! * A person's ID number is never shown in full: `6301**********1235` (first 4, last 4; STANDARDS.md §11.2).
//! * Fields the catalog marks `public = false` (证件号码 …) are left out.
//! * Any ID number written in a name or in free text (违法事实 …), in any form (15 or 18 digits, full-width, in
//!   groups, glued to other text), is masked as well: [`mask_ids`], the one function every surface uses.
//! * Extras (unmapped columns) are never shown.

use credo_domain::catalog::{Catalog, Disclosure, Item, SubjectKind};
use credo_domain::ids::mask_middle;
use credo_domain::masking::mask_id_numbers;
use credo_domain::publicity::{Class, Facts, Mark, Repair, State, Window};
use credo_store::{RecordView, Subject};
use serde::Serialize;
use time::Date;

/// The code shown for a subject: persons' identity numbers masked.
pub fn display_code(s: &Subject) -> Option<String> {
    Some(shown_code(s.kind, s.code.as_deref()?))
}

/// A subject's code as the public sees it: an organisation's as it is, a person's identity number masked
/// (`6301**********1235`, `护照号:E1*****78`).
pub fn shown_code(kind: SubjectKind, code: &str) -> String {
    match kind {
        SubjectKind::Person => match code.split_once(':') {
            Some((doc, number)) => format!("{doc}:{}", mask_middle(number, 2, 2)),
            None => mask_middle(code, 4, 4),
        },
        _ => code.to_string(),
    }
}

/// Text as the public may see it (a name, a field, an echoed query or code): every ID number written in it masked
/// (`6301**********1235`, see [`credo_domain::masking`]).
pub fn mask_ids(text: &str) -> String {
    mask_id_numbers(text).into_owned()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicField {
    /// 目录项字段代码
    pub code: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "公众所见的信用记录:只含公开字段,证件号码已遮蔽,附公示状态")]
pub struct PublicRecord {
    pub id: i64,
    pub version: i64,
    pub item: String,
    pub item_name: String,
    /// 作出决定的部门
    pub department: String,
    pub department_uscc: String,
    #[schema(format = Date)]
    pub decided_on: Option<String>,
    #[schema(format = DateTime)]
    pub received_at: String,
    pub fields: Vec<PublicField>,
    pub publicity: PublicityView,
}

/// A record's publicity on the day asked: class, state, window and the sentence that explains them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Publicity, description = "记录在查询当日的公示状态:失信程度、状态、公示期及说明")]
pub struct PublicityView {
    pub class: Option<Class>,
    pub state: State,
    pub explanation: String,
    #[schema(format = Date)]
    pub shown_from: Option<String>,
    #[schema(format = Date)]
    pub shown_until: Option<String>,
    #[schema(format = Date)]
    pub repairable_from: Option<String>,
    pub repair: Repair,
    // Why the record cannot be repaired through the platform, when it cannot.
    /// 不能通过平台信用修复时的原因
    pub repair_note: Option<String>,
    pub regime: Option<String>,
    // Whether the record still counts for joint punishment (联合惩戒) today.
    /// 今日是否仍作为联合惩戒的依据
    pub counts: bool,
    // `false` when a rule used is not confirmed from the official text.
    /// 所用规则尚未与正式文本核对时为 `false`
    pub verified: bool,
}

/// A stored record's publicity window (`catalog/publicity.toml`): one place that turns a record into the rules' facts.
/// The day first received is taken in Beijing time (UTC+8), the day the department and the party know.
pub fn window(catalog: &Catalog, r: &RecordView) -> Window {
    let received_on = Some(crate::beijing::day(r.first_received_at));
    let facts = Facts {
        item: &r.item,
        department: &r.department_name,
        fields: &r.fields,
        decided_on: r.decided_on,
        received_on,
    };
    catalog.publicity.window(&facts)
}

/// Whether the website may show records of `item` about a subject of `kind` at all: the catalog's disclosure for
/// that kind of subject (`disclosure_by_kind`, else the item's) is 公开. The one rule every public surface uses:
/// a record's publicity ([`publicity`]), which subjects the public may find or open, the search filters.
pub fn disclosed(item: &Item, kind: SubjectKind) -> bool {
    item.disclosure_for(kind) == Disclosure::公开
}

/// Whether the public may know of a subject of `kind` with records of `items` (item codes): at least one of them is
/// [`disclosed`] for its kind. A subject known only from records kept to 政务共享 (a person's penalties) is, to the
/// public, not there at all.
pub fn publicly_known<'a>(catalog: &Catalog, kind: SubjectKind, mut items: impl Iterator<Item = &'a str>) -> bool {
    items.any(|code| catalog.item(code).is_some_and(|i| disclosed(i, kind)))
}

/// The items whose records the public may see about a subject of `kind`, and whether that is every item.
pub fn disclosed_items(catalog: &Catalog, kind: SubjectKind) -> (Vec<&Item>, bool) {
    let shown: Vec<&Item> = catalog.items.values().filter(|i| disclosed(i, kind)).collect();
    let all = shown.len() == catalog.items.len();
    (shown, all)
}

/// The publicity of a record on `today`; `disputed`: an objection is open. A record whose item is not public for
/// its kind of subject (`disclosure_by_kind`: a person's penalty) is 不予公示 whatever its window says; it still
/// counts for joint punishment as the window says.
pub fn publicity(catalog: &Catalog, r: &RecordView, disputed: bool, today: Date) -> PublicityView {
    let w = window(catalog, r);
    let item = catalog.item(&r.item);
    let name = item.map(|i| i.name.as_str()).unwrap_or(&r.item);
    let mut st = w.status(name, Mark::of(&r.fields).as_ref(), disputed, today);
    let kind = item.map(|i| i.subject_ref(&r.fields).kind);
    let disclosure = item.zip(kind).map(|(i, k)| i.disclosure_for(k)).unwrap_or(Disclosure::公开);
    let shown = item.zip(kind).is_none_or(|(i, k)| disclosed(i, k));
    let rule = item.zip(kind).and_then(|(i, k)| i.kind_disclosure(k));
    if !shown {
        st.state = State::不予公示;
        st.explanation = match rule {
            Some(k) => format!("{}:{}(依据:{})", k.kind, k.reason, k.basis),
            None => format!("{name}的公开属性为“{disclosure:?}”,不在网站公示"),
        };
    }
    let day = |d: Option<Date>| d.map(|d| d.to_string());
    PublicityView {
        class: w.class,
        state: st.state,
        explanation: for_citizens(&st.explanation),
        shown_from: day(w.shown_from),
        shown_until: day(w.shown_until),
        repairable_from: day(w.repairable_from),
        repair: w.repair,
        repair_note: (w.repair == Repair::None).then_some(w.repair_note).flatten().map(|n| for_citizens(&n)),
        regime: w.regime_name.map(|n| for_citizens(&n)),
        counts: st.counts,
        verified: w.verified && (shown || rule.is_none_or(|k| k.verified)),
    }
}

/// Whether a record is within its publicity on `day` by its window alone, whoever it is about: what the subject
/// itself (and whom it authorises) sees as current, although a person's records are not on the website.
pub fn in_publicity(catalog: &Catalog, r: &RecordView, disputed: bool, day: Date) -> bool {
    let name = catalog.item(&r.item).map_or(r.item.as_str(), |i| i.name.as_str());
    let w = window(catalog, r);
    w.published && w.status(name, Mark::of(&r.fields).as_ref(), disputed, day).state.public()
}

/// The days the website shows a record, as [`publicity`] decides them: `None` never (not disclosed for its kind of
/// subject, or a class not published); `Some(None)` from now on with no end; `Some(Some(d))` up to and including `d`
/// (its period's last day, or the day before it was repaired or revoked). Derived projections (the publicity lists)
/// keep this one date instead of the record; a test holds it to [`publicity`] day by day.
pub fn public_until(catalog: &Catalog, r: &RecordView) -> Option<Option<Date>> {
    let item = catalog.item(&r.item)?;
    if !disclosed(item, item.subject_ref(&r.fields).kind) {
        return None;
    }
    let w = window(catalog, r);
    if !w.published {
        return None;
    }
    let mut until = w.last_day;
    if let Some(m) = Mark::of(&r.fields) {
        let before = m.on.previous_day()?;
        until = Some(until.map_or(before, |u| u.min(before)));
    }
    Some(until)
}

/// Whether a record public until `until` ([`public_until`]) is shown on `day`.
pub fn shown_on(until: Option<Option<Date>>, day: Date) -> bool {
    until.is_some_and(|u| u.is_none_or(|u| day <= u))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(description = "公众所见的信用主体")]
pub struct PublicSubject {
    pub code: Option<String>,
    pub name: String,
    pub kind: SubjectKind,
    pub kind_label: &'static str,
    pub region: Option<String>,
    pub region_name: Option<String>,
    /// 登记状态(存续、注销……)
    pub status: Option<String>,
}

pub fn subject(catalog: &Catalog, s: &Subject) -> PublicSubject {
    PublicSubject {
        code: display_code(s),
        name: mask_ids(&s.name),
        kind: s.kind,
        kind_label: s.kind.label(),
        region: s.region.clone(),
        region_name: s.region.as_deref().and_then(|r| catalog.regions.get(r)).map(|r| r.name.clone()),
        status: s.status.clone(),
    }
}

/// The public form of a record with its publicity on `today`, or `None` when its item is not public. Whether the
/// record is shown today is `publicity.state.public()`: the caller decides (a department sees its own records).
pub fn record(catalog: &Catalog, r: &RecordView, disputed: bool, today: Date) -> Option<PublicRecord> {
    let item = catalog.item(&r.item)?;
    // Not public for any kind of subject: no public form. Public for some kinds: see [`publicity`].
    if item.disclosure != Disclosure::公开 && item.disclosure_by_kind.iter().all(|k| k.disclosure != Disclosure::公开)
    {
        return None;
    }
    record_of_any_item(catalog, r, disputed, today)
}

/// A record in the same form whatever its item's disclosure, for those who may see every item of the subject (the
/// subject itself, a department it authorised): a person's archive, an enterprise's 社保 figures. The fields are
/// still the public ones; who sees all of them takes them from the record.
pub fn record_of_any_item(catalog: &Catalog, r: &RecordView, disputed: bool, today: Date) -> Option<PublicRecord> {
    let item = catalog.item(&r.item)?;
    let fields = fields(item, r, false);
    Some(PublicRecord {
        id: r.id,
        version: r.version,
        item: item.code.clone(),
        item_name: item.name.clone(),
        department: r.department_name.clone(),
        department_uscc: r.department_uscc.clone(),
        decided_on: r.decided_on.map(|d| d.to_string()),
        received_at: r.received_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        fields,
        publicity: publicity(catalog, r, disputed, today),
    })
}

/// A record's catalog fields in the catalog's order: `all` (政务共享) every one as submitted, else the public ones
/// with every ID number masked. Extras are never included.
pub fn fields(item: &Item, r: &RecordView, all: bool) -> Vec<PublicField> {
    item.fields
        .iter()
        .filter(|f| all || f.public)
        .filter_map(|f| {
            let v = r.fields.get(&f.code)?;
            let value = if all { v.clone() } else { mask_ids(v) };
            Some(PublicField { code: f.code.clone(), name: f.name.clone(), value })
        })
        .collect()
}

/// Text of the rules files as a person reads it: without the project's own references to its standards notes
/// (`STANDARDS §13.3`), which mean nothing outside the project. The one place every page passes the catalog's
/// texts through (record explanations, disclosure reasons, withdrawal deadlines, the rules page); the API keeps
/// them, for the departments' developers.
pub fn for_citizens(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn penalty(kind: &str, extra: &[(&str, &str)]) -> RecordView {
        let mut fields: std::collections::BTreeMap<String, String> = [
            ("CF_XDR_LB", kind),
            ("CF_WSH", "宁市监罚〔2026〕1号"),
            ("CF_CFLB", "罚款"),
            ("CF_YJ", "《中华人民共和国产品质量法》第四十九条"),
            ("CF_JDRQ", "2026-06-01"),
            ("CF_CFJGDM", "11630100MB174225XT"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        RecordView {
            id: 1,
            item: "xzcf".into(),
            version: 1,
            department_name: "西宁市市场监督管理局".into(),
            department_uscc: "11630100MB174225XT".into(),
            decided_on: Some(time::macros::date!(2026 - 06 - 01)),
            received_at: time::macros::datetime!(2026-06-02 0:00 UTC),
            first_received_at: time::macros::datetime!(2026-06-02 0:00 UTC),
            batch_id: 1,
            fields,
            subject_id: Some(1),
        }
    }

    /// Law case (STANDARDS §13.3; 个人信息保护法 第二十五条): a natural person's penalty is not shown on the portal
    /// (the more private choice while unconfirmed, marked unverified), an organisation's is; both still count.
    #[test]
    fn a_persons_penalty_is_not_published() {
        let catalog = credo_domain::embedded::catalog();
        let today = time::macros::date!(2026 - 07 - 01);
        let person = penalty("自然人", &[("CF_XDR_MC", "李四"), ("CF_XDR_ZJLX", "身份证")]);
        let company = penalty("法人及非法人组织", &[("CF_XDR_MC", "西宁市城东区鑫源商贸有限公司")]);
        let p = record(&catalog, &person, false, today).unwrap().publicity;
        assert_eq!(p.state, State::不予公示, "{}", p.explanation);
        assert!(!p.state.public() && !p.verified && p.explanation.contains("个人信息保护法"), "{p:?}");
        let c = record(&catalog, &company, false, today).unwrap().publicity;
        assert!(c.state.public(), "{c:?}");
        assert_eq!(p.counts, c.counts, "publication does not change what counts for joint punishment");
    }

    /// [`public_until`] says what [`publicity`] says, day by day: for published and unpublished classes, persons
    /// and organisations, repaired and revoked records, from before the decision to years after.
    #[test]
    fn public_until_agrees_with_publicity() {
        let catalog = credo_domain::embedded::catalog();
        let org = ("CF_XDR_MC", "西宁市城东区鑫源商贸有限公司");
        let parse = |d: &str| credo_domain::value::parse_date(d).unwrap();
        let mark = |kind: &str, on: &str| Mark { kind: kind.into(), on: parse(on), case: "XF-1".into() }.to_field();
        let repaired = mark("repaired", "2026-09-01");
        let revoked = mark("revoked", "2026-07-15");
        let cases: Vec<RecordView> = vec![
            penalty("法人及非法人组织", &[org]),
            penalty("法人及非法人组织", &[org, ("CF_CFLB", "警告"), ("CF_FKJE", "200")]),
            penalty("法人及非法人组织", &[org, ("CF_CFLB", "吊销许可证件")]),
            penalty("法人及非法人组织", &[org, (credo_domain::publicity::MARK_FIELD, &repaired)]),
            penalty("法人及非法人组织", &[org, (credo_domain::publicity::MARK_FIELD, &revoked)]),
            penalty("自然人", &[("CF_XDR_MC", "李四"), ("CF_XDR_ZJLX", "身份证")]),
        ];
        let mut shown = 0;
        for r in &cases {
            let until = public_until(&catalog, r);
            let mut day = parse("2026-05-01");
            while day < parse("2031-01-01") {
                let p = publicity(&catalog, r, false, day);
                assert_eq!(shown_on(until, day), p.state.public(), "{day}: {until:?} vs {p:?} for {:?}", r.fields);
                shown += usize::from(p.state.public());
                day = day.saturating_add(time::Duration::days(5));
            }
        }
        assert!(shown > 0, "some days are shown");
    }

    /// Every variant of the domain's enums serializes as its stand-in in [`schema`] (the matches are exhaustive: a
    /// new variant in the domain stops the build here).

    #[test]
    fn internal_references_are_left_out() {
        assert_eq!(for_citizens("个人信息保护法 第二十五条(STANDARDS §7.3、§13.3)"), "个人信息保护法 第二十五条");
        assert_eq!(for_citizens("发改办财金〔2019〕527号。STANDARDS §5.4、§13.2.4"), "发改办财金〔2019〕527号。");
        assert_eq!(for_citizens("甲;STANDARDS §1;乙"), "甲;乙");
        assert_eq!(for_citizens("没有引用"), "没有引用");
    }

    #[test]
    fn embedded_numbers_are_masked() {
        let t = "当事人李四(身份证号630102199001011235)于某日销售,订单号1234567890123456789。";
        let m = mask_ids(t);
        assert!(m.contains("6301**********1235"));
        assert!(!m.contains("630102199001011235"));
        assert!(m.contains("1234567890123456789"), "not an ID number, left alone");
        let spaced = mask_ids("李四 6301 0219 9001 0112 35");
        assert_eq!(spaced, "李四 6301 **** **** **12 35");
    }
}
