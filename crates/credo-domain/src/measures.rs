//! 联合奖惩措施 (`catalog/measures.toml`): the check scenes, and the measures a check answers with — each with its
//! legal basis and the records that trigger it. Pure rules: given a record's item, fields and decision date, and
//! the day asked about, [`Trigger::active`] says whether the record counts; [`Measures::hits`] applies every
//! measure of a scene to a subject's records; [`Decision`] orders the answers.
//!
//! Three properties of a measure come from the law rather than from the record:
//! * **Whom it reaches** ([`Reach`]): the subject, and for some measures persons the record names beside it — the
//!   法定代表人, 主要负责人, 影响债务履行的直接责任人员 and 实际控制人 of a unit under a 限制消费令 (法释〔2015〕17号
//!   第三条第二款). A trigger names each person's name field and ID-number field ([`PersonFields`]);
//!   [`Trigger::persons`] reads them, so that a check of a person matches by ID number, and by name only where the
//!   record carries no number (and then only as a hint, never as a decision: see `credo-server`'s checks).
//! * **Which list types** it covers (`list_types`): a measure on 严重失信主体名单 applies to the list types its law
//!   covers, no others (国办发〔2020〕49号 confines each list to its own field; STANDARDS §13.2.3).
//! * **Whether it counts records that are no longer public** (`counts_when_unpublished`): a statutory fact such as a
//!   重大违法记录 within three years (政府采购法 第二十二条) counts whether or not the record is still published or was
//!   repaired; a revoked (撤销) decision never counts.
//!
//! A measure whose every basis is unconfirmed must say so (`basis_status = "unconfirmed"`), so that no measure
//! without a basis found in the law is kept silently; receipts show the status.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::DataError;
use crate::catalog::Item;

/// A check's answer for one subject in one scene, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 禁止
    Prohibited,
    /// 限制
    Restricted,
    /// 重点关注、加强监管
    Attention,
    /// 激励:绿色通道、容缺受理、优先
    Priority,
    /// 无相关记录
    Clear,
}

impl Decision {
    /// The stable code (as serialised).
    pub fn code(self) -> &'static str {
        match self {
            Decision::Prohibited => "prohibited",
            Decision::Restricted => "restricted",
            Decision::Attention => "attention",
            Decision::Priority => "priority",
            Decision::Clear => "clear",
        }
    }

    /// The decision of a stored code ([`Decision::code`]).
    pub fn parse(code: &str) -> Option<Decision> {
        [Decision::Prohibited, Decision::Restricted, Decision::Attention, Decision::Priority, Decision::Clear]
            .into_iter()
            .find(|d| d.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Prohibited => "禁止",
            Decision::Restricted => "限制",
            Decision::Attention => "重点关注",
            Decision::Priority => "激励",
            Decision::Clear => "无限制",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    pub law: String,
    pub article: String,
    /// `false` where the source is not yet confirmed (STANDARDS.md marks it unverified).
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

impl Basis {
    /// As a reader sees it cited: `《政府采购法》 第二十二条`, marked (待核实) while unconfirmed.
    pub fn cite(&self) -> String {
        format!("{} {}{}", self.law, self.article, if self.verified { "" } else { "(待核实)" })
    }

    /// Several cited, one after another.
    pub fn cite_all(basis: &[Basis]) -> String {
        basis.iter().map(Basis::cite).collect::<Vec<_>>().join(";")
    }
}

/// Who a measure reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The record's subject.
    Subject,
    /// 法定代表人 (or 负责人).
    LegalRepresentative,
    /// 主要负责人.
    Principal,
    /// 影响债务履行的直接责任人员.
    ResponsiblePerson,
    /// 实际控制人.
    ActualController,
}

impl Reach {
    pub fn label(self) -> &'static str {
        match self {
            Reach::Subject => "本主体",
            Reach::LegalRepresentative => "法定代表人",
            Reach::Principal => "主要负责人",
            Reach::ResponsiblePerson => "影响债务履行的直接责任人员",
            Reach::ActualController => "实际控制人",
        }
    }
}

/// Whether a measure's legal basis was found in the law.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasisStatus {
    #[default]
    Confirmed,
    /// No basis confirmed from an official text: the measure is shown, marked 「法律依据待核实」.
    Unconfirmed,
}

impl BasisStatus {
    pub fn label(self) -> &'static str {
        match self {
            BasisStatus::Confirmed => "法律依据已核实",
            BasisStatus::Unconfirmed => "法律依据待核实",
        }
    }
}

/// A person a record names beside its subject, whom a measure reaches: the field with their name and the field with
/// their ID number (several people: several values separated by `;` `；` or `、`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonFields {
    pub reach: Reach,
    pub name: String,
    pub id_number: Option<String>,
}

/// One person a record names (see [`Trigger::persons`]): by ID number where the record carries one, else by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NamedPerson {
    pub reach: Reach,
    /// The name field the person comes from (identifies the [`PersonFields`]).
    pub field: String,
    pub id_number: Option<String>,
    /// Only when the record carries no ID number for the role.
    pub name: Option<String>,
}

const SEPARATORS: [char; 3] = [';', '；', '、'];

fn split(v: Option<&String>) -> Vec<&str> {
    v.map(|v| v.split(SEPARATORS).map(str::trim).filter(|p| !p.is_empty()).collect()).unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyOf {
    pub field: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtLeast {
    pub field: String,
    /// 万元, as text (`"200"`).
    pub value: Decimal,
}

/// When a record of `item` counts for a measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub item: String,
    /// The date field the measure runs from (default: the item's decision date).
    pub since: Option<String>,
    pub within_years: Option<u8>,
    #[serde(default)]
    pub until: Vec<String>,
    #[serde(default)]
    pub ended_by: Vec<String>,
    pub any_of: Option<AnyOf>,
    pub at_least: Option<AtLeast>,
    /// The list types (名单类型, an enum field) the measure's law covers: the field holds exactly one of them.
    pub list_types: Option<AnyOf>,
    /// The persons beside the subject whom the measure reaches, with their fields.
    #[serde(default)]
    pub persons: Vec<PersonFields>,
}

fn date_of(fields: &BTreeMap<String, String>, field: &str) -> Option<Date> {
    crate::value::parse_date(fields.get(field)?)
}

impl Trigger {
    /// The days on which a record counts, `[from, to)` (either end open), or `None` when its values never make it
    /// count. `decided` is the record's decision date.
    pub fn window(
        &self,
        fields: &BTreeMap<String, String>,
        decided: Option<Date>,
    ) -> Option<(Option<Date>, Option<Date>)> {
        if let Some(a) = &self.any_of {
            let v = fields.get(&a.field)?;
            let parts: Vec<&str> = v.split([';', ';', ',', ',']).map(str::trim).collect();
            if !a.values.iter().any(|want| parts.iter().any(|p| p.contains(want.as_str()))) {
                return None;
            }
        }
        if let Some(a) = &self.at_least {
            let v: Decimal = fields.get(&a.field)?.parse().ok()?;
            if v < a.value {
                return None;
            }
        }
        if let Some(l) = &self.list_types
            && !split(fields.get(&l.field)).iter().any(|t| l.values.iter().any(|want| want == t))
        {
            return None;
        }
        let from = match &self.since {
            Some(f) => date_of(fields, f).or(decided),
            None => decided,
        };
        let mut to: Option<Date> = None;
        let mut end = |d: Date| to = Some(to.map_or(d, |t| t.min(d)));
        if let (Some(years), Some(from)) = (self.within_years, from) {
            end(add_years(from, years));
        }
        for f in &self.until {
            if let Some(d) = date_of(fields, f) {
                end(d.next_day().unwrap_or(d));
            }
        }
        for f in &self.ended_by {
            if let Some(d) = date_of(fields, f) {
                end(d);
            }
        }
        Some((from, to))
    }

    /// Checks the trigger against the catalog's items and adds the fields it reads (and the item's decision date)
    /// to `used`: the item exists, every field it names is one of the item's, list types are values of an enum
    /// field, persons' fields exist (ID numbers in an ID-number field).
    pub fn check(&self, items: &BTreeMap<String, Item>, used: &mut BTreeSet<String>) -> Result<(), String> {
        let item = items.get(&self.item).ok_or_else(|| format!("未知目录项 {}", self.item))?;
        let named = self.since.iter().chain(&self.until).chain(&self.ended_by);
        let named = named.chain(self.any_of.iter().map(|a| &a.field)).chain(self.list_types.iter().map(|a| &a.field));
        for field in named.chain(self.at_least.iter().map(|a| &a.field)) {
            if item.field(field).is_none() {
                return Err(format!("目录项 {} 没有字段 {field}", self.item));
            }
            used.insert(field.clone());
        }
        if let Some(l) = &self.list_types {
            let f = item.field(&l.field).filter(|f| f.kind == crate::catalog::FieldType::Enum);
            let f = f.ok_or_else(|| format!("list_types 的字段 {} 须为枚举字段", l.field))?;
            if let Some(v) = l.values.iter().find(|v| !f.values.contains(v)) {
                return Err(format!("名单类型“{v}”不在字段 {} 的取值中", l.field));
            }
        }
        for p in &self.persons {
            if item.field(&p.name).is_none() {
                return Err(format!("目录项 {} 没有字段 {}", self.item, p.name));
            }
            if let Some(id) = &p.id_number
                && item.field(id).is_none_or(|f| f.kind != crate::catalog::FieldType::IdNumber)
            {
                return Err(format!("目录项 {} 没有证件号码字段 {id}", self.item));
            }
        }
        if let Some(d) = &item.decision_date {
            used.insert(d.clone());
        }
        Ok(())
    }

    /// Whether the record counts on `day`.
    pub fn active(&self, fields: &BTreeMap<String, String>, decided: Option<Date>, day: Date) -> bool {
        self.window(fields, decided)
            .is_some_and(|(from, to)| from.is_none_or(|f| f <= day) && to.is_none_or(|t| day < t))
    }

    /// The persons a record names for this trigger: for each role, the people whose ID numbers the record carries;
    /// where it carries none for the role, the people it names (by name only).
    pub fn persons(&self, fields: &BTreeMap<String, String>) -> Vec<NamedPerson> {
        let mut out = Vec::new();
        for p in &self.persons {
            let ids = split(p.id_number.as_ref().and_then(|f| fields.get(f)));
            let person = |id_number: Option<&str>, name: Option<&str>| NamedPerson {
                reach: p.reach,
                field: p.name.clone(),
                id_number: id_number.map(str::to_string),
                name: name.map(str::to_string),
            };
            if ids.is_empty() {
                out.extend(split(fields.get(&p.name)).into_iter().map(|n| person(None, Some(n))));
            } else {
                out.extend(ids.into_iter().map(|id| person(Some(id), None)));
            }
        }
        out
    }
}

/// The same day `years` later (29 February becomes 28 February).
fn add_years(d: Date, years: u8) -> Date {
    crate::value::add_months(d, u32::from(years) * 12)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub id: String,
    pub name: String,
    /// 惩戒 or 激励.
    pub kind: String,
    pub decision: Decision,
    pub scenes: Vec<String>,
    pub effect: String,
    pub basis: Vec<Basis>,
    pub reaches: Vec<Reach>,
    pub duration: String,
    pub applied_by: String,
    /// `unconfirmed` when no basis is confirmed from an official text (required then).
    #[serde(default)]
    pub basis_status: BasisStatus,
    /// A statutory fact that counts whatever the record's publicity (expired, repaired); never when revoked.
    #[serde(default)]
    pub counts_when_unpublished: bool,
    /// Why (required with `counts_when_unpublished`): shown on evidence that is no longer public.
    pub unpublished_reason: Option<String>,
    #[serde(default)]
    pub trigger: Vec<Trigger>,
    /// Triggered by the subject's grade under an evaluation scheme (instead of records): see [`GradeTrigger`].
    pub grade: Option<GradeTrigger>,
}

/// A measure triggered by a grade (分类监管, 容缺受理): the subject's grade under `scheme`, computed from the same records
/// on the day asked, is one of `values`. Checked against the schemes when the catalog is built.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeTrigger {
    pub scheme: String,
    pub values: Vec<String>,
}

impl Measure {
    /// Whether the measure reaches `person`, named by a record of `item`: the person's role is one the measure
    /// reaches (not the subject), and a trigger on `item` names the role through the field the person comes from.
    pub fn names(&self, item: &str, person: &NamedPerson) -> bool {
        person.reach != Reach::Subject
            && self.reaches.contains(&person.reach)
            && self
                .trigger
                .iter()
                .filter(|t| t.item == item)
                .any(|t| t.persons.iter().any(|p| p.reach == person.reach && p.name == person.field))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureFile {
    version: String,
    effective_from: String,
    scene: Vec<Scene>,
    measure: Vec<Measure>,
}

/// A record as a check sees it.
#[derive(Debug, Clone, Copy)]
pub struct Fact<'a> {
    pub record_id: i64,
    pub version: i64,
    pub item: &'a str,
    pub fields: &'a BTreeMap<String, String>,
    pub decided_on: Option<Date>,
    /// Whether the record is public on the day asked (within its publicity period, not repaired). Records that are
    /// not count only for measures with `counts_when_unpublished`; revoked records are not facts at all.
    pub public: bool,
}

/// A measure that applies, and the record that makes it apply.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub measure: &'a Measure,
    pub record_id: i64,
    pub version: i64,
    /// The record counts by law although it is no longer public.
    pub unpublished: bool,
}

/// The measures file, checked against the catalog.
#[derive(Debug, Clone, Default)]
pub struct Measures {
    pub version: String,
    pub effective_from: String,
    pub scenes: Vec<Scene>,
    pub measures: Vec<Measure>,
    /// Every field any trigger reads, by item (what an index must keep of a record).
    pub fields: BTreeMap<String, BTreeSet<String>>,
}

impl Measures {
    pub fn from_toml(text: &str, items: &BTreeMap<String, Item>) -> Result<Measures, DataError> {
        let bad = |m: String| DataError::new("measures.toml", m);
        let f: MeasureFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        crate::value::parse_date(&f.effective_from)
            .ok_or_else(|| bad(format!("effective_from {}", f.effective_from)))?;
        let scenes: BTreeSet<&str> = f.scene.iter().map(|s| s.code.as_str()).collect();
        let mut ids = BTreeSet::new();
        let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in &f.measure {
            if !ids.insert(m.id.as_str()) {
                return Err(bad(format!("措施编号 {} 重复", m.id)));
            }
            if m.kind != "惩戒" && m.kind != "激励" {
                return Err(bad(format!("{}: kind 应为 惩戒 或 激励", m.id)));
            }
            if (m.kind == "激励") != (m.decision == Decision::Priority) || m.decision == Decision::Clear {
                return Err(bad(format!(
                    "{}: 激励措施的 decision 为 priority,惩戒措施为 prohibited/restricted/attention",
                    m.id
                )));
            }
            if let Some(s) = m.scenes.iter().find(|s| !scenes.contains(s.as_str())) {
                return Err(bad(format!("{}: 未定义的场景 {s}", m.id)));
            }
            if m.basis.is_empty() || m.scenes.is_empty() || m.reaches.is_empty() {
                return Err(bad(format!("{}: 须有法律依据、场景、惩戒对象和触发条件", m.id)));
            }
            if m.trigger.is_empty() == m.grade.is_none() {
                return Err(bad(format!("{}: 触发条件为记录(trigger)或评价等级(grade),须有且只有一种", m.id)));
            }
            if m.grade.is_some() && m.reaches != [Reach::Subject] {
                return Err(bad(format!("{}: 按评价等级触发的措施只及于主体本身", m.id)));
            }
            if m.basis.iter().all(|b| !b.verified) && m.basis_status != BasisStatus::Unconfirmed {
                return Err(bad(format!(
                    "{}: 法律依据均未核实,须标明 basis_status = \"unconfirmed\"(不得默认其有依据)",
                    m.id
                )));
            }
            if m.counts_when_unpublished != m.unpublished_reason.as_deref().is_some_and(|r| !r.trim().is_empty()) {
                return Err(bad(format!("{}: counts_when_unpublished 须与 unpublished_reason(理由)同时给出", m.id)));
            }
            let persons: BTreeSet<Reach> = m.reaches.iter().copied().filter(|r| *r != Reach::Subject).collect();
            for t in &m.trigger {
                let named: BTreeSet<Reach> = t.persons.iter().map(|p| p.reach).collect();
                if named != persons || named.len() != t.persons.len() {
                    return Err(bad(format!(
                        "{}: 触发条件 {} 须为 reaches 中的每类人员(法定代表人等)各写明一次 persons 字段,且只写这些",
                        m.id, t.item
                    )));
                }
            }
            for t in &m.trigger {
                t.check(items, fields.entry(t.item.clone()).or_default()).map_err(|e| bad(format!("{}: {e}", m.id)))?;
            }
        }
        Ok(Measures {
            version: f.version,
            effective_from: f.effective_from,
            scenes: f.scene,
            measures: f.measure,
            fields,
        })
    }

    pub fn scene(&self, code: &str) -> Option<&Scene> {
        self.scenes.iter().find(|s| s.code == code)
    }

    /// The items any measure looks at.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// Every measure of `scene` that reaches the subject itself and that a record among `facts` (the subject's own
    /// records) triggers on `day`: one hit per measure and record. A record that is not public counts only for
    /// measures that count statutory facts whatever the publicity.
    pub fn hits<'m>(&'m self, scene: &str, facts: &[Fact<'_>], day: Date) -> Vec<Hit<'m>> {
        self.collect(scene, facts, day, |m, _| m.reaches.contains(&Reach::Subject))
    }

    /// The hits of measures that reach a person through another subject's records (`facts`): `named` says whether
    /// a record names the person asked about in a role the measure reaches (see [`Measure::names`]).
    pub fn hits_through<'m>(
        &'m self,
        scene: &str,
        facts: &[Fact<'_>],
        day: Date,
        named: impl Fn(&Measure, &Fact<'_>) -> bool,
    ) -> Vec<Hit<'m>> {
        self.collect(scene, facts, day, named)
    }

    fn collect<'m>(
        &'m self,
        scene: &str,
        facts: &[Fact<'_>],
        day: Date,
        keep: impl Fn(&Measure, &Fact<'_>) -> bool,
    ) -> Vec<Hit<'m>> {
        let mut out = Vec::new();
        for m in self.measures.iter().filter(|m| m.scenes.iter().any(|s| s == scene)) {
            for f in facts.iter().filter(|f| f.public || m.counts_when_unpublished) {
                if m.trigger.iter().any(|t| t.item == f.item && t.active(f.fields, f.decided_on, day)) && keep(m, f) {
                    out.push(Hit { measure: m, record_id: f.record_id, version: f.version, unpublished: !f.public });
                }
            }
        }
        out
    }

    /// The decision the hits add up to: the strongest punishment, else priority, else clear.
    pub fn decide(hits: &[Hit<'_>]) -> Decision {
        hits.iter().map(|h| h.measure.decision).min().unwrap_or(Decision::Clear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn windows_start_end_and_conditions() {
        let t = Trigger {
            item: "xzcf".into(),
            since: None,
            within_years: Some(3),
            until: vec![],
            ended_by: vec![],
            any_of: Some(AnyOf { field: "LB".into(), values: vec!["罚款".into()] }),
            at_least: Some(AtLeast { field: "FK".into(), value: Decimal::from(200) }),
            list_types: None,
            persons: vec![],
        };
        let f = fields(&[("LB", "警告;罚款"), ("FK", "200.5")]);
        let d = Some(date!(2024 - 02 - 29));
        assert!(!t.active(&f, d, date!(2024 - 02 - 28)), "not before the decision");
        assert!(t.active(&f, d, date!(2024 - 02 - 29)));
        assert!(t.active(&f, d, date!(2027 - 02 - 27)), "the last day of three years");
        assert!(!t.active(&f, d, date!(2027 - 02 - 28)), "three years later it ends");
        assert!(!t.active(&fields(&[("LB", "警告;罚款"), ("FK", "199.99")]), d, date!(2025 - 01 - 01)));
        assert!(!t.active(&fields(&[("LB", "警告"), ("FK", "500")]), d, date!(2025 - 01 - 01)));
        let list = Trigger {
            until: vec!["YXQZ".into()],
            ended_by: vec!["YCRQ".into()],
            within_years: None,
            any_of: None,
            at_least: None,
            ..t
        };
        let listed = fields(&[("YXQZ", "2026-06-30")]);
        assert!(list.active(&listed, Some(date!(2025 - 01 - 01)), date!(2026 - 06 - 30)), "valid through its last day");
        assert!(!list.active(&listed, Some(date!(2025 - 01 - 01)), date!(2026 - 07 - 01)));
        let removed = fields(&[("YCRQ", "2025-03-01")]);
        assert!(list.active(&removed, Some(date!(2025 - 01 - 01)), date!(2025 - 02 - 28)));
        assert!(!list.active(&removed, Some(date!(2025 - 01 - 01)), date!(2025 - 03 - 01)), "removed on that day");
    }

    #[test]
    fn the_embedded_measures_load_and_order_decisions() {
        let c = crate::embedded::catalog();
        assert!(c.measures.measures.len() >= 40);
        assert_eq!(c.measures.scenes.len(), 10);
        assert!(Decision::Prohibited < Decision::Restricted && Decision::Restricted < Decision::Attention);
        assert!(Decision::Attention < Decision::Priority && Decision::Priority < Decision::Clear);
        for d in [Decision::Prohibited, Decision::Restricted, Decision::Attention, Decision::Priority, Decision::Clear]
        {
            assert_eq!(serde_json::to_value(d).unwrap(), d.code(), "the code is what is serialised");
        }
        assert!(c.measures.fields["xzcf"].contains("CF_NR_FK"));
    }

    #[test]
    fn broken_measures_are_refused() {
        let c = crate::embedded::catalog();
        let text = crate::embedded::FILES.iter().find(|(n, _)| *n == "measures.toml").map(|(_, t)| *t).unwrap_or("");
        for (from, to) in [
            ("scenes = [\"zfcg\"]", "scenes = [\"nosuch\"]"),
            ("YC_YCRQ", "YC_NOSUCH"),
            ("item = \"jyyc\"", "item = \"nosuch\""),
        ] {
            assert!(Measures::from_toml(&text.replacen(from, to, 1), &c.items).is_err(), "{to}");
        }
    }
}
