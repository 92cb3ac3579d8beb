//! 公示期限与信用修复 (`catalog/publicity.toml`): how long a record is shown, from when it can be repaired, and
//! what state it is in on a given day — with a Chinese sentence that says why.
//!
//! Pure rules: [`Publicity::window`] classifies a record (轻微 / 一般 / 严重 under the regime in force on its
//! decision date, per penalty type, the longest period winning) and gives its window; [`Window::status`] adds the
//! day asked about, an open objection and the record's lifecycle mark (repaired, revoked). Public views and checks
//! call these at request time, so expiry is exact to the day without a job.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::DataError;
use crate::catalog::Item;
use crate::value::{add_months, parse_date};

/// 失信程度: the class that sets a negative record's publicity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "失信程度:决定失信记录的公示期限"))]
pub enum Class {
    轻微,
    一般,
    严重,
}

impl Class {
    pub fn parse(s: &str) -> Option<Class> {
        match s {
            "轻微" => Some(Class::轻微),
            "一般" => Some(Class::一般),
            "严重" => Some(Class::严重),
            _ => None,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::轻微 => "轻微",
            Class::一般 => "一般",
            Class::严重 => "严重",
        })
    }
}

/// When a record may be repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(description = "何时可以信用修复:履行义务后、最短公示期满后,或不能通过平台修复"))]
pub enum Repair {
    /// As soon as the legal obligations are performed.
    Obligations,
    /// After the class's minimum period.
    AfterMin,
    /// Not through the platform's credit repair.
    None,
}

/// Where a regime counts the period from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// The decision date (36号: 自司法、行政公务文书认定之日起).
    #[default]
    Decision,
    /// The day of publication (总局令第45号 第十三条: 自公示之日起): the item's `published_field`, else the day the
    /// platform first received the record, else the decision date.
    Publication,
}

/// A longer minimum period for penalties of some sectors (58号: 食品、药品、特种设备、安全生产、消防 一年).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectorMin {
    pub months: u32,
    pub sectors: Vec<String>,
}

/// A sector and the titles of the laws that govern it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub name: String,
    pub laws: Vec<String>,
    pub basis: String,
    pub verified: bool,
}

/// A department's own classification table (轻微 / 一般 / 严重), used by regimes with `department_tables`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: String,
    pub group: String,
    pub regimes: Vec<String>,
    pub departments: Vec<String>,
    pub basis: String,
    pub verified: bool,
}

/// The platform's choice where the law is silent: named, dated, explained.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub code: String,
    pub name: String,
    pub choice: String,
    /// The choice in words, for the public (`/policy`).
    pub choice_label: String,
    pub since: String,
    pub explanation: String,
    pub basis: String,
    pub verified: bool,
    #[serde(skip)]
    since_day: Option<Date>,
}

impl Setting {
    pub fn since_day(&self) -> Date {
        // Parsed and checked at load.
        self.since_day.unwrap_or(Date::MIN)
    }
}

/// The setting for records decided before 36号 took effect: `decision_date` or `lighter`.
pub const TRANSITION: &str = "transition_2026";
const TRANSITION_CHOICES: [&str; 2] = ["decision_date", "lighter"];

/// A setting that applied to a window, with what it chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub code: String,
    pub name: String,
    pub choice: String,
    pub explanation: String,
    pub verified: bool,
}

impl Applied {
    fn of(s: &Setting) -> Applied {
        Applied {
            code: s.code.clone(),
            name: s.name.clone(),
            choice: s.choice.clone(),
            explanation: s.explanation.clone(),
            verified: s.verified,
        }
    }
}

/// Case deadlines in working days.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// 双公示: put online within this many working days of the decision.
    pub publication: u32,
    /// 异议: decide whether to accept (受理); only an accepted objection marks the record 异议处理中.
    pub objection_accept: u32,
    pub objection: u32,
    pub objection_max: u32,
    pub repair_accept: u32,
    pub repair_decide: u32,
    pub repair_review: u32,
    pub report: u32,
    /// 政务失信投诉: the credit office accepts and assigns it; the body answers; the office finds.
    pub gov_accept: u32,
    pub gov_answer: u32,
    pub gov_find: u32,
    pub verified: bool,
    pub basis: String,
    /// Withdrawal from publication after a change, revocation or removal ([`crate::calendar::Deadline::find`]).
    pub withdrawal: Vec<crate::calendar::Deadline>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRule {
    pub name: Class,
    pub published: bool,
    pub min_months: Option<u32>,
    pub max_months: Option<u32>,
    pub repair: Repair,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub code: String,
    pub name: String,
    pub basis: String,
    pub from: Option<String>,
    pub until: Option<String>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub items: Vec<String>,
    pub rules: String,
    pub verified: bool,
    /// What the regime's explanation adds (a fallback, a practice not adopted).
    pub note: Option<String>,
    #[serde(default)]
    pub start: Start,
    /// A setting that decides, from its `since`, whether this regime applies (its choice is this regime's code).
    pub setting: Option<String>,
    pub sector_min: Option<SectorMin>,
    /// Classification belongs to each department: a department's [`Table`] replaces `rules`.
    #[serde(default)]
    pub department_tables: bool,
    #[serde(default)]
    pub extend_types: Vec<String>,
    pub extend_field: Option<String>,
    #[serde(default)]
    pub no_repair_types: Vec<String>,
    pub class: Vec<ClassRule>,
    #[serde(skip)]
    range: (Option<Date>, Option<Date>),
}

impl Regime {
    pub fn class(&self, c: Class) -> &ClassRule {
        // Every regime has all three classes (checked at load).
        self.class.iter().find(|r| r.name == c).unwrap_or(&self.class[0])
    }

    fn covers(&self, d: Date) -> bool {
        self.range.0.is_none_or(|f| f <= d) && self.range.1.is_none_or(|u| d < u)
    }
}

/// A condition on one field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    pub field: String,
    #[serde(default)]
    pub any_of: Vec<String>,
    pub at_least: Option<Decimal>,
    /// "以下": at most this amount, the amount itself included (民法典 第一千二百五十九条: 以上、以下、以内、届满 include
    /// the number itself), as 行政处罚法 第五十一条's "二百元以下" and "三千元以下".
    pub at_most: Option<Decimal>,
}

impl Cond {
    fn holds(&self, fields: &BTreeMap<String, String>) -> bool {
        let Some(v) = fields.get(&self.field) else { return false };
        let amount = || v.trim().parse::<Decimal>().ok();
        (self.any_of.is_empty() || self.any_of.iter().any(|a| a == v.trim()))
            && self.at_least.is_none_or(|min| amount().is_some_and(|a| a >= min))
            && self.at_most.is_none_or(|max| amount().is_some_and(|a| a <= max))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub group: String,
    #[serde(default)]
    pub regimes: Vec<String>,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub when: Vec<Cond>,
    pub class: Class,
    pub min_months: Option<u32>,
    /// Overrides the class's repair rule (527号 特定严重失信行为: none).
    pub repair: Option<Repair>,
    pub reason: String,
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRule {
    pub code: String,
    pub type_field: Option<String>,
    /// The law that sets this item's period (a list's own 管理办法), cited instead of the general regime's name. An
    /// item with a basis follows it alone ([`ItemRule::own_period`]).
    pub basis: Option<String>,
    /// `false` when the item's own basis is not confirmed from the official text.
    #[serde(default = "yes")]
    pub verified: bool,
    /// The legal basis (处罚依据), matched against the sectors' laws.
    pub basis_field: Option<String>,
    /// The deciding authority's name (处罚机关): a department's regime, table and deadlines follow the authority
    /// that decided, not the department that submitted (a 信用办 relaying a 市场监管局's penalty). The submitting
    /// department stands in when the field is empty.
    pub authority_field: Option<String>,
    /// The publication date, for regimes that count from publication.
    pub published_field: Option<String>,
    pub class: Option<Class>,
    #[serde(default)]
    pub when: Vec<Cond>,
    pub since: Option<String>,
    #[serde(default)]
    pub until: Vec<String>,
    #[serde(default)]
    pub ended_by: Vec<String>,
    #[serde(default)]
    pub open_ended: bool,
    pub repair: Option<Repair>,
    pub repair_note: Option<String>,
    /// The minimum period in months under the item's own [`ItemRule::basis`] (a list's 管理办法: early removal
    /// after it).
    pub min_months: Option<u32>,
    /// The maximum period in months under the item's own [`ItemRule::basis`]; none: until its end fields.
    pub max_months: Option<u32>,
}

impl ItemRule {
    /// Whether the item follows its own rules ([`ItemRule::basis`]: the lists' 管理办法) rather than the dated
    /// regimes, which set 行政处罚信息's periods: their periods, notes and the transition between them do not
    /// apply; the item's [`ItemRule::min_months`] and [`ItemRule::max_months`] do, and its basis is the rule cited.
    pub fn own_period(&self) -> bool {
        self.basis.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: String,
    deadlines: Deadlines,
    regime: Vec<Regime>,
    #[serde(default)]
    setting: Vec<Setting>,
    #[serde(default)]
    sector: Vec<Sector>,
    #[serde(default)]
    table: Vec<Table>,
    rule: Vec<Rule>,
    item: Vec<ItemRule>,
}

/// The publicity rules, checked against the catalog.
#[derive(Debug, Clone)]
pub struct Publicity {
    pub version: String,
    pub deadlines: Deadlines,
    pub regimes: Vec<Regime>,
    pub settings: Vec<Setting>,
    pub sectors: Vec<Sector>,
    pub tables: Vec<Table>,
    pub rules: Vec<Rule>,
    pub items: BTreeMap<String, ItemRule>,
}

/// A record as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub item: &'a str,
    pub department: &'a str,
    pub fields: &'a BTreeMap<String, String>,
    pub decided_on: Option<Date>,
    /// The day the platform first received the record (its first version), for periods counted from publication
    /// when the record carries no publication date.
    pub received_on: Option<Date>,
}

/// A record's publicity window, independent of the day asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// `None`: not a negative record (shown without a period, up to its own end fields).
    pub class: Option<Class>,
    pub regime: Option<String>,
    pub regime_name: Option<String>,
    pub basis: Option<String>,
    /// Whether the class is published at all (轻微 is not, in principle).
    pub published: bool,
    /// The day the record starts to count (the decision date).
    pub from: Option<Date>,
    /// The day the period is counted from (the decision date, or the publication date under 总局令第45号).
    pub start: Option<Date>,
    /// Where `start` comes from, when it is not the decision date.
    pub start_note: Option<String>,
    /// The last day of the period (`None`: no end). A record counts in checks up to this day.
    pub last_day: Option<Date>,
    /// Why the period ended early (removal from a list), with the day it ended.
    pub ended: Option<(Date, String)>,
    pub shown_from: Option<Date>,
    pub shown_until: Option<Date>,
    pub repair: Repair,
    pub repairable_from: Option<Date>,
    pub repair_note: Option<String>,
    /// What made the class: the matched rules' reasons (and the law that put the record in a sector).
    pub reasons: Vec<String>,
    /// The settings that decided the window (where the law is silent).
    pub settings: Vec<Applied>,
    /// `false` when a rule, regime or setting used is not confirmed from the official text.
    pub verified: bool,
}

/// 记录状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "记录状态(按查询当日)", as = RecordState))]
pub enum State {
    公示中,
    异议处理中,
    已修复,
    已撤销,
    公示期满,
    不予公示,
}

impl State {
    /// The state as a person reads it (its name).
    pub fn label(self) -> &'static str {
        match self {
            State::公示中 => "公示中",
            State::异议处理中 => "异议处理中",
            State::已修复 => "已修复",
            State::已撤销 => "已撤销",
            State::公示期满 => "公示期满",
            State::不予公示 => "不予公示",
        }
    }

    /// Whether the public sees the record.
    pub fn public(self) -> bool {
        matches!(self, State::公示中 | State::异议处理中)
    }
}

/// A lifecycle mark carried by a record's version: the outcome of a repair or an objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// `repaired` or `revoked`.
    pub kind: String,
    #[serde(with = "crate::value::iso_date")]
    pub on: Date,
    /// The case that made it.
    pub case: String,
}

/// The reserved field of a record version that carries its [`Mark`] (never a catalog field, never shown as one).
pub const MARK_FIELD: &str = "@mark";

impl Mark {
    /// The mark a version carries, if any.
    pub fn of(fields: &BTreeMap<String, String>) -> Option<Mark> {
        serde_json::from_str(fields.get(MARK_FIELD)?).ok()
    }

    pub fn to_field(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What made it, as a reader sees it: `案件 XF2026000001`, or the words of a step outside the cases
    /// ([`WITHDRAWN_BY_DEPARTMENT`]).
    pub fn reference(&self) -> String {
        if self.case.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            format!("案件 {}", self.case)
        } else {
            self.case.clone()
        }
    }
}

/// The [`Mark::case`] of a record its department withdrew (撤销) itself, outside any case.
pub const WITHDRAWN_BY_DEPARTMENT: &str = "报送部门撤销";

/// The state on a day, with its explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub state: State,
    pub explanation: String,
    /// Whether the record still counts for joint punishment on that day.
    pub counts: bool,
}

fn cn(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

impl Window {
    /// Whether the record is within its period on `day`.
    pub fn within(&self, day: Date) -> bool {
        self.from.is_none_or(|f| f <= day) && self.last_day.is_none_or(|l| day <= l)
    }

    /// The state on `day`, given the record's lifecycle mark and whether an objection is open.
    pub fn status(&self, item_name: &str, mark: Option<&Mark>, disputed: bool, day: Date) -> Status {
        let noun = if item_name.ends_with("信息") { item_name.to_string() } else { format!("{item_name}信息") };
        let what = match self.class {
            Some(c) => format!("该{noun}为{c}失信信息"),
            None => format!("该{noun}"),
        };
        let basis = self.regime_name.as_ref().map(|n| format!(",依据{n}")).unwrap_or_default();
        if let Some(m) = mark.filter(|m| m.on <= day) {
            let (state, done) = if m.kind == "revoked" {
                (State::已撤销, "已撤销")
            } else {
                (State::已修复, "已完成信用修复")
            };
            return Status {
                state,
                explanation: format!("{what},已于{}{done}({}),不再公示和共享。", cn(m.on), m.reference()),
                counts: false,
            };
        }
        if let Some(l) = self.last_day.filter(|l| day > *l) {
            let why = match &self.ended {
                Some((d, reason)) if *d <= day => format!("已于{}{reason}", cn(*d)),
                _ => format!("公示期已于{}届满", cn(l)),
            };
            return Status {
                state: State::公示期满, explanation: format!("{what},{why},不再公示。"), counts: false
            };
        }
        if !self.published {
            let note = if self.reasons.is_empty() { String::new() } else { format!("({})", self.reasons.join(";")) };
            let until = self.last_day.map(|l| format!(",在{}前仍可用于信用监管", cn(l))).unwrap_or_default();
            return Status {
                state: State::不予公示,
                explanation: format!("{what}{note}{basis},原则上不予公示{until}。"),
                counts: self.within(day),
            };
        }
        let mut s = String::new();
        if disputed {
            s.push_str("该信息存在异议,正在核查。");
        }
        s.push_str(&what);
        if !self.reasons.is_empty() {
            s.push_str(&format!("({})", self.reasons.join(";")));
        }
        s.push_str(&basis);
        match (self.shown_from, self.shown_until) {
            (Some(f), Some(u)) => s.push_str(&format!(",自{}起公示,至{}止", cn(f), cn(u))),
            (Some(f), None) => s.push_str(&format!(",自{}起公示,在移出或撤销前持续公示", cn(f))),
            _ => s.push_str(",持续公示"),
        }
        if let Some(n) = &self.start_note {
            s.push_str(&format!("({n})"));
        }
        for a in &self.settings {
            s.push_str(&format!(";依本平台设置“{}”", a.name));
        }
        match (self.repair, self.repairable_from) {
            (Repair::None, _) => {
                s.push(';');
                s.push_str(self.repair_note.as_deref().unwrap_or("不适用信用修复"));
            }
            (Repair::Obligations, _) => s.push_str(";履行法定义务、纠正失信行为后即可申请信用修复"),
            (Repair::AfterMin, Some(r)) if r > day => s.push_str(&format!(";自{}起可申请信用修复", cn(r))),
            (Repair::AfterMin, Some(_)) => s.push_str(";已满最短公示期,可申请信用修复"),
            (Repair::AfterMin, None) => {}
        }
        s.push('。');
        let state = if disputed { State::异议处理中 } else { State::公示中 };
        Status { state, explanation: s, counts: self.within(day) }
    }
}

impl Publicity {
    pub fn from_toml(text: &str, items: &BTreeMap<String, Item>) -> Result<Publicity, DataError> {
        let bad = |m: String| DataError::new("publicity.toml", m);
        let mut f: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let date = |s: &Option<String>| -> Result<Option<Date>, DataError> {
            s.as_deref().map(|s| parse_date(s).ok_or_else(|| bad(format!("日期“{s}”无效")))).transpose()
        };
        let groups: BTreeSet<String> = f.rule.iter().map(|r| r.group.clone()).collect();
        let codes: BTreeSet<String> = f.regime.iter().map(|r| r.code.clone()).collect();
        let field_of = |item: &str, field: &str| -> Result<(), DataError> {
            let i = items.get(item).ok_or_else(|| bad(format!("未知目录项 {item}")))?;
            i.field(field).map(|_| ()).ok_or_else(|| bad(format!("目录项 {item} 没有字段 {field}")))
        };
        for s in &mut f.setting {
            s.since_day = date(&Some(s.since.clone()))?;
        }
        for (i, s) in f.setting.iter().enumerate() {
            if f.setting[..i].iter().any(|x| x.code == s.code) {
                return Err(bad(format!("设置 {} 重复", s.code)));
            }
        }
        match f.setting.iter().find(|s| s.code == TRANSITION) {
            None => return Err(bad(format!("缺少设置 {TRANSITION}(2026年4月1日前作出的决定如何适用36号)"))),
            Some(s) if !TRANSITION_CHOICES.contains(&s.choice.as_str()) => {
                return Err(bad(format!("设置 {TRANSITION}: choice 应为 {}", TRANSITION_CHOICES.join(" 或 "))));
            }
            Some(_) => {}
        }
        for s in &f.sector {
            for law in &s.laws {
                let title = ["法", "条例", "规定", "办法", "细则"].iter().any(|e| law.ends_with(e));
                if !title || law.contains(['《', '》']) {
                    return Err(bad(format!(
                        "领域 {}: “{law}”不是完整的法律法规名称(应以法、条例、规定、办法或细则结尾,不带书名号)",
                        s.name
                    )));
                }
            }
        }
        for t in &f.table {
            if !groups.contains(&t.group) {
                return Err(bad(format!("分类标准“{}”: 未定义的分类规则组 {}", t.name, t.group)));
            }
            if let Some(x) = t.regimes.iter().find(|x| !codes.contains(*x)) {
                return Err(bad(format!("分类标准“{}”: 未定义的规则 {x}", t.name)));
            }
            if t.departments.is_empty() {
                return Err(bad(format!("分类标准“{}”: 须列出适用的部门名称", t.name)));
            }
        }
        for r in &mut f.regime {
            r.range = (date(&r.from)?, date(&r.until)?);
            for c in [Class::轻微, Class::一般, Class::严重] {
                let n = r.class.iter().filter(|k| k.name == c).count();
                if n != 1 {
                    return Err(bad(format!("规则 {}: 须恰有一个{c}类", r.code)));
                }
            }
            for k in &r.class {
                if k.published && k.min_months.unwrap_or(0) > k.max_months.unwrap_or(u32::MAX) {
                    return Err(bad(format!("规则 {} {}: 最短期限长于最长期限", r.code, k.name)));
                }
            }
            if !groups.contains(&r.rules) {
                return Err(bad(format!("规则 {}: 未定义的分类规则组 {}", r.code, r.rules)));
            }
            for item in &r.items {
                if let Some(field) = &r.extend_field {
                    field_of(item, field)?;
                }
            }
            if let Some(m) = &r.sector_min
                && let Some(s) = m.sectors.iter().find(|s| !f.sector.iter().any(|x| x.name == **s))
            {
                return Err(bad(format!("规则 {}: 未定义的领域 {s}", r.code)));
            }
            if let Some(code) = &r.setting {
                let s = f.setting.iter().find(|s| s.code == *code);
                let Some(s) = s else { return Err(bad(format!("规则 {}: 未定义的设置 {code}", r.code))) };
                if r.departments.is_empty() {
                    return Err(bad(format!("规则 {}: 只有部门专用规则可由设置决定是否适用", r.code)));
                }
                if s.choice != "general" && !codes.contains(&s.choice) {
                    return Err(bad(format!("设置 {code}: choice 应为 general 或规则代码,而非“{}”", s.choice)));
                }
            }
        }
        let general: Vec<&Regime> = f.regime.iter().filter(|r| r.departments.is_empty()).collect();
        for w in general.windows(2) {
            if w[0].range.1.is_none() || w[0].range.1 != w[1].range.0 {
                return Err(bad(format!("通用规则 {} 与 {} 的日期须首尾相接", w[0].code, w[1].code)));
            }
        }
        if general.first().is_none_or(|r| r.range.0.is_some()) || general.last().is_none_or(|r| r.range.1.is_some()) {
            return Err(bad("通用规则须覆盖全部日期(第一个无 from,最后一个无 until)".into()));
        }
        let mut by_item = BTreeMap::new();
        for i in f.item {
            let fields = i.type_field.iter().chain(&i.since).chain(&i.until).chain(&i.ended_by);
            let fields = fields.chain(&i.basis_field).chain(&i.published_field).chain(&i.authority_field);
            for field in fields.chain(i.when.iter().map(|c| &c.field)) {
                field_of(&i.code, field)?;
            }
            if i.type_field.is_some() && i.class.is_some() {
                return Err(bad(format!("{}: type_field(按处罚类别分类)与 class(固定类别)只能有一个", i.code)));
            }
            if let Some(code) = by_item.keys().find(|c| **c == i.code) {
                return Err(bad(format!("{code} 重复")));
            }
            by_item.insert(i.code.clone(), i);
        }
        for r in &f.regime {
            for item in &r.items {
                let rule = by_item.get(item);
                if r.sector_min.is_some() && rule.is_none_or(|i| i.basis_field.is_none()) {
                    return Err(bad(format!("规则 {}: 目录项 {item} 须有 basis_field(处罚依据)", r.code)));
                }
                if r.start == Start::Publication && rule.is_none_or(|i| i.published_field.is_none()) {
                    return Err(bad(format!("规则 {}: 目录项 {item} 须有 published_field(公示日期)", r.code)));
                }
            }
        }
        for r in &f.rule {
            if let Some(x) = r.regimes.iter().find(|x| !codes.contains(*x)) {
                return Err(bad(format!("分类规则“{}”: 未定义的规则 {x}", r.reason)));
            }
            let classified = by_item.values().filter(|i| i.type_field.is_some()).map(|i| &i.code);
            for code in classified {
                let used = f.regime.iter().any(|g| {
                    let group = g.rules == r.group || f.table.iter().any(|t| t.group == r.group);
                    group && (g.items.is_empty() || g.items.contains(code))
                });
                for c in r.when.iter().filter(|_| used) {
                    field_of(code, &c.field)?;
                }
            }
        }
        Ok(Publicity {
            version: f.version,
            deadlines: f.deadlines,
            regimes: f.regime,
            settings: f.setting,
            sectors: f.sector,
            tables: f.table,
            rules: f.rule,
            items: by_item,
        })
    }

    /// A setting by its code.
    pub fn setting(&self, code: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.code == code)
    }

    /// The regime for a record of `item` by `department` decided on `d`, with the setting that decided it, if one
    /// did (a department's regime that a setting keeps or sets aside from its `since`).
    pub fn regime(&self, item: &str, department: &str, d: Date) -> (&Regime, Option<&Setting>) {
        let mut decided_by = None;
        let special = self.regimes.iter().find(|r| {
            let candidate = !r.departments.is_empty()
                && r.covers(d)
                && r.items.iter().any(|i| i == item)
                && r.departments.iter().any(|w| department.contains(w.as_str()));
            let Some(s) =
                r.setting.as_deref().and_then(|c| self.setting(c)).filter(|s| candidate && d >= s.since_day())
            else {
                return candidate;
            };
            decided_by = Some(s);
            s.choice == r.code
        });
        let regime = special
            .or_else(|| self.regimes.iter().find(|r| r.departments.is_empty() && r.covers(d)))
            .unwrap_or(&self.regimes[0]);
        (regime, decided_by)
    }

    /// The sector whose law the legal basis cites, with the law's title: a title in 《》 equal to one of the
    /// sector's laws (the prefix 中华人民共和国 aside), or the law's name followed by the end of the text, a
    /// character that is not a Chinese character, or 第. Never a bare word: 消防车通道 is not 消防法.
    pub fn sector_of<'a>(&'a self, basis: &str, sectors: &[String]) -> Option<(&'a str, &'a str)> {
        const PREFIX: &str = "中华人民共和国";
        let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c);
        let titles: Vec<&str> = basis
            .split('《')
            .skip(1)
            .filter_map(|s| s.split_once('》').map(|(t, _)| t.trim()))
            .map(|t| t.strip_prefix(PREFIX).unwrap_or(t))
            .collect();
        let written = |law: &str| {
            basis.match_indices(law).any(|(at, _)| {
                let next = basis[at + law.len()..].chars().next();
                next.is_none_or(|c| !han(c) || c == '第')
            })
        };
        self.sectors.iter().filter(|s| sectors.contains(&s.name)).find_map(|s| {
            let law = s.laws.iter().find(|l| titles.contains(&l.as_str()) || written(l))?;
            Some((s.name.as_str(), law.as_str()))
        })
    }

    /// The classification group for `department` under `regime`: a department's table when the regime leaves
    /// classification to departments, else the regime's group; with whether the general table stands in.
    fn group<'a>(&'a self, regime: &'a Regime, department: &str) -> (&'a str, Option<&'a Table>, bool) {
        if !regime.department_tables {
            return (&regime.rules, None, false);
        }
        let table = self.tables.iter().find(|t| {
            t.regimes.contains(&regime.code) && t.departments.iter().any(|w| department.contains(w.as_str()))
        });
        match table {
            Some(t) => (&t.group, Some(t), false),
            None => (&regime.rules, None, true),
        }
    }

    /// The class of a record and the reasons, per penalty type, the longest period winning; `None` if the record
    /// is not negative.
    fn classify(
        &self,
        rule: &ItemRule,
        regime: &Regime,
        department: &str,
        fields: &BTreeMap<String, String>,
    ) -> Classified {
        let Some(type_field) = &rule.type_field else {
            let negative = rule.class.filter(|_| rule.when.iter().all(|c| c.holds(fields)));
            return Classified { class: negative, min_months: None, repair: None, reasons: vec![], verified: true };
        };
        let (group, table, fallback) = self.group(regime, department);
        let types: Vec<&str> = fields
            .get(type_field)
            .map(|v| v.split([';', ';', '、', ',', ',']).map(str::trim).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default();
        let types = if types.is_empty() { vec![""] } else { types };
        let mut best: Option<Classified> = None;
        for t in types {
            let hit = self.rules.iter().find(|r| {
                r.group == group
                    && (r.regimes.is_empty() || r.regimes.contains(&regime.code))
                    && (r.types.is_empty() || r.types.iter().any(|x| x == t))
                    && r.when.iter().all(|c| c.holds(fields))
            });
            let Some(hit) = hit else { continue };
            let c = Classified {
                class: Some(hit.class),
                min_months: hit.min_months,
                repair: hit.repair,
                reasons: vec![hit.reason.clone()],
                verified: hit.verified,
            };
            best = Some(match best {
                None => c,
                Some(b) => {
                    let key = |x: &Classified| {
                        let k = regime.class(x.class.unwrap_or(Class::轻微));
                        (k.published, k.max_months.unwrap_or(u32::MAX), x.min_months.or(k.min_months))
                    };
                    let (longer, other) = if key(&c) > key(&b) { (c, b) } else { (b, c) };
                    let mut reasons = longer.reasons;
                    reasons.extend(other.reasons.into_iter().filter(|r| !reasons.contains(r)).collect::<Vec<_>>());
                    let repair = match (longer.repair, other.repair) {
                        (Some(Repair::None), _) | (_, Some(Repair::None)) => Some(Repair::None),
                        (r, _) => r,
                    };
                    Classified { reasons, repair, verified: longer.verified && other.verified, ..longer }
                }
            });
        }
        let mut c = best.unwrap_or(Classified {
            class: Some(Class::一般),
            min_months: None,
            repair: None,
            reasons: vec![],
            verified: false,
        });
        if let Some(t) = table {
            c.reasons.push(format!("按{}分类", t.name));
            c.verified &= t.verified;
        }
        if fallback {
            c.reasons.push(format!("未取得该部门的分类标准,按通用标准({}由各行业主管部门确定)", regime.name));
            c.verified = false;
        }
        c
    }

    /// The window of a record.
    pub fn window(&self, r: &Facts<'_>) -> Window {
        let Some(rule) = self.items.get(r.item) else {
            return Window::unlimited(r.decided_on);
        };
        let since = rule.since.as_ref().and_then(|f| r.fields.get(f)).and_then(|v| parse_date(v));
        let Some(day) = since.or(r.decided_on) else {
            return Window::unlimited(None);
        };
        let department = self.authority(r.item, r.department, r.fields);
        let (regime, decided_by) = self.regime(r.item, department, day);
        let c = self.classify(rule, regime, department, r.fields);
        let mut w = self.build(rule, regime, c, day, r.fields, r.received_on);
        if rule.own_period() {
            // Its own rules throughout: no regime, so no setting between regimes either.
            return w;
        }
        w.applied(decided_by);
        let later = |g: &Regime| self.classify(rule, g, department, r.fields);
        self.transition(w, rule, regime, (r.item, department, r.fields, r.received_on), day, later)
    }

    /// Whose rules a record of `item` follows: its deciding authority (the item's `authority_field`) when named, else
    /// the submitting `department`.
    pub fn authority<'a>(&self, item: &str, department: &'a str, fields: &'a BTreeMap<String, String>) -> &'a str {
        let named = self.items.get(item).and_then(|i| i.authority_field.as_ref()).and_then(|f| fields.get(f));
        named.map(String::as_str).filter(|n| !n.trim().is_empty()).unwrap_or(department)
    }

    /// The window for an explicit class (`credo publicity`): what a department may tell a party. `fields` may
    /// carry the legal basis and the publication date (the item's `basis_field` and `published_field`).
    pub fn window_for_class(
        &self,
        item: &str,
        class: Class,
        decided: Date,
        department: &str,
        fields: &BTreeMap<String, String>,
    ) -> Option<Window> {
        let rule = self.items.get(item)?;
        let (regime, decided_by) = self.regime(item, department, decided);
        let given =
            || Classified { class: Some(class), min_months: None, repair: None, reasons: vec![], verified: true };
        let mut w = self.build(rule, regime, given(), decided, fields, None);
        if rule.own_period() {
            return Some(w);
        }
        w.applied(decided_by);
        Some(self.transition(w, rule, regime, (item, department, fields, None), decided, |_| given()))
    }

    /// The transition setting, for a record decided before its day: under `lighter`, from the setting's day on,
    /// the later regime's end and repair day apply when they are earlier; `decision_date` keeps the window. The
    /// setting is named only where the two choices give different answers (the answer rests on it).
    fn transition(
        &self,
        w: Window,
        rule: &ItemRule,
        regime: &Regime,
        (item, department, fields, received): (&str, &str, &BTreeMap<String, String>, Option<Date>),
        day: Date,
        classify: impl FnOnce(&Regime) -> Classified,
    ) -> Window {
        let Some(s) = self.setting(TRANSITION).filter(|s| day < s.since_day()) else { return w };
        let (later, _) = self.regime(item, department, s.since_day());
        if w.class.is_none() || later.code == regime.code {
            return w;
        }
        let new = self.build(rule, later, classify(later), day, fields, received);
        let eve = s.since_day() - Duration::days(1);
        let earlier = |old: Option<Date>, new: Option<Date>, floor: Date| match (old, new) {
            (Some(o), Some(n)) => Some(o.min(n.max(floor))),
            (None, Some(n)) => Some(n.max(floor)),
            (o, None) => o,
        };
        let mut lighter = w.clone();
        lighter.last_day = earlier(w.last_day, new.last_day, eve);
        let shown_end = if new.published { new.last_day } else { Some(eve) };
        lighter.shown_until = earlier(w.shown_until, shown_end, eve).filter(|_| w.published);
        if w.repair == Repair::AfterMin && new.repair != Repair::None {
            lighter.repairable_from = earlier(w.repairable_from, new.repairable_from, s.since_day());
        }
        let key = |x: &Window| (x.last_day, x.shown_until, x.repairable_from);
        if key(&lighter) == key(&w) {
            return w;
        }
        let mut w = if s.choice == "lighter" {
            lighter.reasons.push(format!("自{}起按{}计算:{}", cn(s.since_day()), later.name, new.reasons.join(";")));
            lighter
        } else {
            w
        };
        w.applied(Some(s));
        w
    }

    /// Where the period starts: the decision date, or under a regime counting from publication the publication
    /// date, else the day the platform first received the record, else the decision date — with a note.
    fn start(
        regime: &Regime,
        rule: &ItemRule,
        decided: Date,
        fields: &BTreeMap<String, String>,
        received: Option<Date>,
    ) -> (Date, Option<String>) {
        if regime.start == Start::Decision {
            return (decided, None);
        }
        let published = rule.published_field.as_ref().and_then(|f| fields.get(f)).and_then(|v| parse_date(v));
        match (published, received) {
            (Some(p), _) => (p, Some(format!("公示期限自公示之日({})起计算", cn(p)))),
            (None, Some(r)) => (r, Some(format!("未报送公示日期,公示期限自本平台收到该信息之日({})起计算", cn(r)))),
            (None, None) => (decided, Some("未报送公示日期,也无接收日期,公示期限暂自决定之日起计算".to_string())),
        }
    }

    fn build(
        &self,
        rule: &ItemRule,
        regime: &Regime,
        c: Classified,
        from: Date,
        fields: &BTreeMap<String, String>,
        received: Option<Date>,
    ) -> Window {
        let date_of = |f: &String| fields.get(f).and_then(|v| parse_date(v));
        let Some(class) = c.class else {
            let mut w = Window::unlimited(Some(from));
            w.last_day = rule.until.iter().filter_map(date_of).min();
            w.shown_until = w.last_day;
            return w;
        };
        let (start, start_note) = Self::start(regime, rule, from, fields, received);
        let own = rule.own_period();
        let mut k = regime.class(class).clone();
        if own {
            // The item's own period: the regime's class gives only whether it is published and how it is repaired.
            (k.min_months, k.max_months, k.note) = (rule.min_months, rule.max_months, None);
        }
        let mut repair = c.repair.or(rule.repair).unwrap_or(k.repair);
        let mut reasons = c.reasons;
        let mut verified = c.verified && (own || regime.verified) && rule.verified;
        let mut min = c.min_months.or(k.min_months).unwrap_or(0);
        let basis = rule.basis_field.as_ref().and_then(|f| fields.get(f));
        if let (Some(m), Some(basis), Repair::AfterMin) = (&regime.sector_min, basis, repair)
            && let Some((sector, law)) = self.sector_of(basis, &m.sectors)
            && min < m.months
        {
            min = m.months;
            reasons.push(format!("处罚依据引用《{law}》,属{sector}领域,最短公示期{}个月", m.months));
            verified &= self.sectors.iter().filter(|s| s.name == sector).all(|s| s.verified);
        }
        let mut last_day = match (rule.open_ended, k.max_months) {
            (false, Some(max)) => Some(add_months(start, max) - Duration::days(1)),
            _ => None,
        };
        let types = rule.type_field.as_ref().and_then(|f| fields.get(f).cloned()).unwrap_or_default();
        if regime.extend_types.iter().any(|t| types.contains(t.as_str()))
            && let Some(end) = regime.extend_field.as_ref().and_then(date_of)
            && last_day.is_some_and(|l| end > l)
        {
            last_day = Some(end);
        }
        for d in rule.until.iter().filter_map(date_of) {
            last_day = Some(last_day.map_or(d, |l| l.min(d)));
        }
        let mut ended = None;
        for d in rule.ended_by.iter().filter_map(date_of) {
            let l = d - Duration::days(1);
            if last_day.is_none_or(|x| l < x) {
                last_day = Some(l);
                ended = Some((d, "移出(屏蔽)".to_string()));
            }
        }
        let mut repair_note = rule.repair_note.clone();
        let barred: Vec<&str> =
            regime.no_repair_types.iter().map(String::as_str).filter(|t| types.contains(t)).collect();
        if !barred.is_empty() {
            repair = Repair::None;
            repair_note = Some(format!("受到{}处罚的,依{}不得提前停止公示", barred.join("、"), regime.name));
        } else if c.repair == Some(Repair::None) {
            repair_note = Some(format!("依{}按最长公示期限公示,公示期间不予信用修复", regime.name));
        }
        let repairable_from = match repair {
            Repair::Obligations => Some(from),
            Repair::AfterMin => Some(add_months(start, min)),
            Repair::None => None,
        };
        reasons.extend(k.note.clone());
        if !own {
            reasons.extend(regime.note.clone());
        }
        Window {
            class: Some(class),
            regime: (!own).then(|| regime.code.clone()),
            regime_name: Some(rule.basis.clone().unwrap_or_else(|| regime.name.clone())),
            basis: Some(rule.basis.clone().unwrap_or_else(|| regime.basis.clone())),
            published: k.published,
            from: Some(from),
            start: Some(start),
            start_note,
            last_day,
            ended,
            shown_from: k.published.then_some(start),
            shown_until: if k.published { last_day } else { None },
            repair,
            repairable_from,
            repair_note,
            reasons,
            settings: vec![],
            verified,
        }
    }
}

struct Classified {
    class: Option<Class>,
    min_months: Option<u32>,
    repair: Option<Repair>,
    reasons: Vec<String>,
    verified: bool,
}

impl Window {
    /// Names a setting that decided the window.
    fn applied(&mut self, s: Option<&Setting>) {
        if let Some(s) = s {
            self.verified &= s.verified;
            self.settings.push(Applied::of(s));
        }
    }

    fn unlimited(from: Option<Date>) -> Window {
        Window {
            class: None,
            regime: None,
            regime_name: None,
            basis: None,
            published: true,
            from,
            start: from,
            start_note: None,
            last_day: None,
            ended: None,
            shown_from: from,
            shown_until: None,
            repair: Repair::None,
            repairable_from: None,
            repair_note: Some("非失信信息,无需信用修复".into()),
            reasons: vec![],
            settings: vec![],
            verified: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> Publicity {
        crate::embedded::catalog().publicity
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn penalty(p: &Publicity, dept: &str, decided: Date, f: &[(&str, &str)]) -> Window {
        let f = fields(f);
        p.window(&Facts { item: "xzcf", department: dept, fields: &f, decided_on: Some(decided), received_on: None })
    }

    /// (decided, class, regime, published, repairable_from, last day).
    type Row = (Date, Class, &'static str, bool, Option<Date>, Option<Date>);

    /// Every class under every general regime.
    #[test]
    fn every_class_under_every_regime() {
        let p = rules();
        let table: &[Row] = &[
            // 527号 (2019-07-01 – 2023-04-30): 一般 3m–1y, 严重 6m–3y; 轻微 as 一般.
            (date!(2020 - 03 - 15), Class::轻微, "527", true, Some(date!(2020 - 06 - 15)), Some(date!(2021 - 03 - 14))),
            (date!(2020 - 03 - 15), Class::一般, "527", true, Some(date!(2020 - 06 - 15)), Some(date!(2021 - 03 - 14))),
            (date!(2020 - 03 - 15), Class::严重, "527", true, Some(date!(2020 - 09 - 15)), Some(date!(2023 - 03 - 14))),
            (
                date!(2016 - 01 - 01),
                Class::一般,
                "pre2019",
                true,
                Some(date!(2016 - 04 - 01)),
                Some(date!(2016 - 12 - 31)),
            ),
            // 527号 still in 2021 (the 2021 信用中国 practice is not confirmed).
            (date!(2021 - 01 - 01), Class::轻微, "527", true, Some(date!(2021 - 04 - 01)), Some(date!(2021 - 12 - 31))),
            // 58号 (2023-05-01 – 2026-03-31): every penalty 3m–3y.
            (date!(2024 - 02 - 29), Class::一般, "58", true, Some(date!(2024 - 05 - 29)), Some(date!(2027 - 02 - 27))),
            (date!(2026 - 03 - 31), Class::严重, "58", true, Some(date!(2026 - 06 - 30)), Some(date!(2029 - 03 - 30))),
            // 36号 from 2026-04-01: 轻微 not published (≤ 3 months), 一般 3m–1y, 严重 1y–3y.
            (date!(2026 - 04 - 01), Class::轻微, "36", false, Some(date!(2026 - 04 - 01)), Some(date!(2026 - 06 - 30))),
            (date!(2026 - 04 - 10), Class::一般, "36", true, Some(date!(2026 - 07 - 10)), Some(date!(2027 - 04 - 09))),
            (date!(2026 - 11 - 30), Class::一般, "36", true, Some(date!(2027 - 02 - 28)), Some(date!(2027 - 11 - 29))),
            (date!(2026 - 04 - 10), Class::严重, "36", true, Some(date!(2027 - 04 - 10)), Some(date!(2029 - 04 - 09))),
        ];
        // 总局令第45号 for market regulation: 轻微 (警告) not published; 一般 3 months fixed; 严重 3 years, repair after 6 months.
        let samr: &[Row] = &[
            (date!(2026 - 05 - 06), Class::轻微, "samr45", false, None, None),
            (date!(2026 - 05 - 06), Class::一般, "samr45", true, None, Some(date!(2026 - 08 - 05))),
            (
                date!(2026 - 05 - 06),
                Class::严重,
                "samr45",
                true,
                Some(date!(2026 - 11 - 06)),
                Some(date!(2029 - 05 - 05)),
            ),
            (date!(2021 - 08 - 31), Class::一般, "527", true, Some(date!(2021 - 11 - 30)), Some(date!(2022 - 08 - 30))),
        ];
        for (rows, dept) in [(table, "西宁市生态环境局"), (samr, "西宁市市场监督管理局")] {
            for &(decided, class, regime, published, repairable, last) in rows {
                let w = p.window_for_class("xzcf", class, decided, dept, &BTreeMap::new()).unwrap();
                let at = format!("{decided} {class}");
                assert_eq!(w.regime.as_deref(), Some(regime), "{at}");
                assert_eq!(w.published, published, "{at}");
                assert_eq!(w.shown_from, published.then_some(decided), "{at}");
                assert_eq!(w.repairable_from, repairable, "{at}");
                assert_eq!(w.last_day, last, "{at}");
                assert_eq!(w.shown_until, if published { last } else { None }, "{at}");
                // The boundary days: shown (or counted, when not published) through the last day, gone the next.
                let inside = if published { State::公示中 } else { State::不予公示 };
                assert_eq!(w.status("行政处罚", None, false, decided).state, inside, "{at}");
                if let Some(l) = last {
                    let on_last = w.status("行政处罚", None, false, l);
                    assert_eq!((on_last.state, on_last.counts), (inside, true), "{at} on {l}");
                    let next = w.status("行政处罚", None, false, l + Duration::days(1));
                    assert_eq!((next.state, next.counts), (State::公示期满, false), "{at} after {l}");
                }
                if let Some(r) = repairable.filter(|r| *r > decided) {
                    let before = w.status("行政处罚", None, false, r - Duration::days(1)).explanation;
                    assert!(before.contains("起可申请信用修复"), "{at}: {before}");
                    let after = w.status("行政处罚", None, false, r).explanation;
                    assert!(after.contains("已满最短公示期") || !published, "{at}: {after}");
                }
            }
        }
    }

    #[test]
    fn market_regulation_follows_order_45() {
        let p = rules();
        let samr = "西宁市市场监督管理局";
        let d = date!(2026 - 05 - 06);
        let warn = penalty(&p, samr, d, &[("CF_CFLB", "警告"), ("CF_XDR_LB", "法人及非法人组织")]);
        assert_eq!((warn.regime.as_deref(), warn.class, warn.published), (Some("samr45"), Some(Class::轻微), false));
        let low =
            penalty(&p, samr, d, &[("CF_CFLB", "通报批评;罚款"), ("CF_XDR_LB", "法人及非法人组织"), ("CF_NR_FK", "5")]);
        assert_eq!(low.class, Some(Class::一般));
        assert_eq!(low.last_day, Some(date!(2026 - 08 - 05)), "three months");
        assert_eq!(low.repair, Repair::None);
        // "10万元以下" includes 10万 (民法典 第一千二百五十九条): 10 is still 较低数额, 10.01 is not.
        let edge = penalty(&p, samr, d, &[("CF_CFLB", "罚款"), ("CF_XDR_LB", "法人及非法人组织"), ("CF_NR_FK", "10")]);
        assert_eq!(edge.class, Some(Class::一般), "以下 includes the amount itself");
        let big =
            penalty(&p, samr, d, &[("CF_CFLB", "罚款"), ("CF_XDR_LB", "法人及非法人组织"), ("CF_NR_FK", "10.01")]);
        assert_eq!((big.class, big.last_day), (Some(Class::严重), Some(date!(2029 - 05 - 05))));
        assert_eq!(big.repairable_from, Some(date!(2026 - 11 - 06)), "six months");
        let food = [
            ("CF_CFLB", "罚款"),
            ("CF_XDR_LB", "法人及非法人组织"),
            ("CF_NR_FK", "20"),
            ("CF_YJ", "《食品安全法》第一百二十四条"),
        ];
        assert_eq!(penalty(&p, samr, d, &food).repairable_from, Some(date!(2027 - 05 - 06)), "food: one year");
        // 限制从业 for five years: shown for the actual period and never repaired early.
        let ban = [("CF_CFLB", "罚款;限制从业"), ("CF_XDR_LB", "自然人"), ("CF_NR_FK", "3"), ("CF_YXQ", "2031-05-05")];
        let ban = penalty(&p, samr, d, &ban);
        assert_eq!((ban.last_day, ban.repair, ban.repairable_from), (Some(date!(2031 - 05 - 05)), Repair::None, None));
        // Before order 45 took effect, the general regime applies.
        let old = penalty(&p, samr, date!(2021 - 08 - 31), &[("CF_CFLB", "警告")]);
        assert_eq!(old.regime.as_deref(), Some("527"));
    }

    #[test]
    fn several_penalty_types_take_the_longest_period() {
        let p = rules();
        let d = date!(2026 - 06 - 01);
        let org = ("CF_XDR_LB", "法人及非法人组织");
        let w = |f: &[(&str, &str)]| penalty(&p, "西宁市应急管理局", d, f);
        assert_eq!(w(&[("CF_CFLB", "警告"), org]).class, Some(Class::轻微));
        assert_eq!(w(&[("CF_CFLB", "罚款"), org, ("CF_NR_FK", "0.2")]).class, Some(Class::轻微), "简易程序");
        assert_eq!(w(&[("CF_CFLB", "罚款"), ("CF_XDR_LB", "自然人"), ("CF_NR_FK", "0.2")]).class, Some(Class::一般));
        let both = w(&[("CF_CFLB", "警告;罚款"), org, ("CF_NR_FK", "5")]);
        assert_eq!(both.class, Some(Class::一般));
        assert_eq!(both.reasons.len(), 3, "both reasons are kept, and the fallback said: {:?}", both.reasons);
        assert!(both.reasons[2].starts_with("未取得该部门的分类标准,按通用标准"), "{:?}", both.reasons);
        assert!(!both.verified, "the general table standing in for the department's is not confirmed");
        assert_eq!(w(&[("CF_CFLB", "罚款、吊销许可证件"), org, ("CF_NR_FK", "5")]).class, Some(Class::严重));
        assert_eq!(w(&[("CF_CFLB", "罚款"), org, ("CF_NR_FK", "300")]).class, Some(Class::严重), "巨额罚款");
        // 58号's sector rule: 安全生产 penalties have a one-year minimum.
        let safety = [("CF_CFLB", "罚款"), org, ("CF_NR_FK", "5"), ("CF_YJ", "《安全生产法》第九十九条")];
        let old = penalty(&p, "西宁市应急管理局", date!(2024 - 06 - 01), &safety);
        assert_eq!(old.repairable_from, Some(date!(2025 - 06 - 01)));
        assert_eq!(penalty(&p, "西宁市应急管理局", d, &safety).class, Some(Class::一般), "not a rule of 36号");
        // A department's own earlier 公示截止期 ends the window.
        let short = w(&[("CF_CFLB", "罚款"), org, ("CF_NR_FK", "5"), ("CF_GSJZQ", "2026-12-31")]);
        assert_eq!(short.last_day, Some(date!(2026 - 12 - 31)));
    }

    #[test]
    fn lists_run_until_removal() {
        let p = rules();
        let w = |item, f: &[(&str, &str)]| {
            let f = fields(f);
            p.window(&Facts {
                item,
                department: "西宁市中级人民法院",
                fields: &f,
                decided_on: Some(date!(2026 - 05 - 01)),
                received_on: None,
            })
        };
        let court = w("sxbzxr", &[]);
        assert_eq!((court.last_day, court.repair), (None, Repair::None));
        let shielded = w("sxbzxr", &[("ZX_PBRQ", "2026-09-01")]);
        assert_eq!(shielded.last_day, Some(date!(2026 - 08 - 31)));
        let st = shielded.status("失信被执行人", None, false, date!(2026 - 09 - 01));
        assert_eq!(st.state, State::公示期满);
        assert!(st.explanation.contains("2026年9月1日移出"), "{}", st.explanation);
        assert_eq!(w("jyyc", &[]).repairable_from, Some(date!(2026 - 05 - 01)), "removal once corrected");
        assert_eq!(w("yzsx", &[]).last_day, Some(date!(2029 - 04 - 30)), "严重: at most three years");
        assert_eq!(w("yzsx", &[("YZ_YXQZ", "2027-12-31")]).last_day, Some(date!(2027 - 12 - 31)));
        assert_eq!(w("xycn", &[("CN_LYZT", "履约中")]).class, None, "a kept commitment is not negative");
        let broken = w("xycn", &[("CN_LYZT", "未履约"), ("CN_WLYRQ", "2026-07-01")]);
        assert_eq!((broken.class, broken.from), (Some(Class::一般), Some(date!(2026 - 07 - 01))));
        assert_eq!(w("xzxk", &[]).last_day, None, "licences have no period");
    }

    #[test]
    fn states_on_their_boundary_days() {
        let p = rules();
        let w =
            p.window_for_class("xzcf", Class::一般, date!(2026 - 04 - 10), "西宁市税务局", &BTreeMap::new()).unwrap();
        let st = |mark: Option<&Mark>, disputed, day| w.status("行政处罚", mark, disputed, day);
        assert_eq!(st(None, false, date!(2026 - 04 - 10)).state, State::公示中);
        let last = st(None, false, date!(2027 - 04 - 09));
        assert_eq!((last.state, last.counts), (State::公示中, true), "the last day is shown");
        let after = st(None, false, date!(2027 - 04 - 10));
        assert_eq!((after.state, after.counts), (State::公示期满, false), "the next day it is gone");
        assert!(after.explanation.contains("2027年4月9日届满"), "{}", after.explanation);
        let open = st(None, true, date!(2026 - 05 - 01));
        assert_eq!(open.state, State::异议处理中);
        assert!(open.explanation.starts_with("该信息存在异议,正在核查。"));
        assert!(open.explanation.contains("自2026年7月10日起可申请信用修复"), "{}", open.explanation);
        let mark = Mark { kind: "repaired".into(), on: date!(2026 - 08 - 01), case: "XF2026000001".into() };
        assert_eq!(st(Some(&mark), false, date!(2026 - 07 - 31)).state, State::公示中, "not before its day");
        let fixed = st(Some(&mark), false, date!(2026 - 08 - 01));
        assert_eq!((fixed.state, fixed.counts), (State::已修复, false));
        assert!(!fixed.state.public());
        let revoked = Mark { kind: "revoked".into(), ..mark };
        assert_eq!(st(Some(&revoked), true, date!(2026 - 08 - 01)).state, State::已撤销);
        let minor = p.window_for_class("xzcf", Class::轻微, date!(2026 - 04 - 10), "", &BTreeMap::new()).unwrap();
        let m = minor.status("行政处罚", None, false, date!(2026 - 04 - 10));
        assert_eq!((m.state, m.state.public(), m.counts), (State::不予公示, false, true));
    }

    #[test]
    fn broken_rules_are_refused() {
        let c = crate::embedded::catalog();
        let text = crate::embedded::FILES.iter().find(|(n, _)| *n == "publicity.toml").map(|(_, t)| *t).unwrap();
        for (from, to) in [
            ("until = \"2026-04-01\"", "until = \"2026-05-01\""),
            ("field = \"CF_CXLX\"", "field = \"CF_NOSUCH\""),
            ("laws = [\"消防法\"", "laws = [\"消防\""),
            ("choice = \"decision_date\"", "choice = \"sometimes\""),
            ("choice = \"samr45\"", "choice = \"nosuch\""),
            ("code = \"transition_2026\"", "code = \"transition\""),
            ("sectors = [\"食品\", \"药品\", \"特种设备\"]", "sectors = [\"食品\", \"水产\"]"),
            ("code = \"yzsx\"", "code = \"nosuch\""),
            (
                "{ name = \"严重\", published = true, min_months = 12, max_months = 36",
                "{ name = \"一般\", published = true, min_months = 12, max_months = 36",
            ),
            ("min_months = 3, max_months = 12, repair", "min_months = 13, max_months = 12, repair"),
        ] {
            assert!(text.contains(from), "{from}");
            assert!(Publicity::from_toml(&text.replacen(from, to, 1), &c.items).is_err(), "{to}");
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    const TYPES: [&str; 8] =
        ["警告", "通报批评", "罚款", "没收违法所得", "暂扣许可证件", "吊销许可证件", "限制从业", "其他"];

    proptest! {
        /// For any penalty: the window is ordered (from ≤ repairable ≤ last day + 1), published windows start on the
        /// decision date, and the state moves only forward through the days: 公示中 until the last day, then 公示期满.
        #[test]
        fn windows_are_ordered_and_states_move_forward(
            day in 0i32..4000,
            picks in proptest::collection::vec(0usize..TYPES.len(), 1..4),
            fine in 0u32..5000,
            samr in any::<bool>(),
            person in any::<bool>(),
        ) {
            let p = crate::embedded::catalog().publicity;
            let decided = Date::from_julian_day(Date::from_calendar_date(2016, time::Month::January, 1).unwrap().to_julian_day() + day).unwrap();
            let types: Vec<&str> = picks.iter().map(|i| TYPES[*i]).collect();
            let mut f = BTreeMap::new();
            f.insert("CF_CFLB".to_string(), types.join(";"));
            f.insert("CF_NR_FK".to_string(), format!("{}.{:02}", fine / 100, fine % 100));
            f.insert("CF_XDR_LB".to_string(), if person { "自然人" } else { "法人及非法人组织" }.to_string());
            let dept = if samr { "西宁市市场监督管理局" } else { "西宁市交通运输局" };
            let w = p.window(&Facts { item: "xzcf", department: dept, fields: &f, decided_on: Some(decided), received_on: None });
            prop_assert!(w.class.is_some());
            if let Some(l) = w.last_day {
                prop_assert!(l >= decided);
                if let Some(r) = w.repairable_from {
                    prop_assert!(r <= l + Duration::days(1), "repairable {r} after the end {l}");
                }
            }
            prop_assert_eq!(w.shown_from, w.published.then_some(decided));
            let mut ended = false;
            for offset in [0i64, 1, 30, 89, 90, 91, 182, 364, 365, 366, 730, 1094, 1095, 1096, 2000] {
                let st = w.status("行政处罚", None, false, decided + Duration::days(offset));
                if ended {
                    prop_assert_eq!(st.state, State::公示期满);
                }
                ended = st.state == State::公示期满;
                prop_assert_eq!(st.counts, w.within(decided + Duration::days(offset)));
            }
        }
    }
}
