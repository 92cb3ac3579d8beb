//! 信用评价 (credit evaluation): schemes as data (`catalog/evaluation/*.toml`), and a subject's grade under a scheme
//! computed from its records, with the reasons that moved it.
//!
//! A scheme starts every subject of its kinds at a base score; each **indicator** is a trigger on a catalog item
//! (the same conditions as a measure's: item, window, values, amounts, list types) and the points each record that
//! meets it adds or takes away (the most recent `max_records` of them), and may **cap** the grade while a record meets
//! it (a 严重失信 list makes the grade at most D whatever the score: 直接判级). The score, clamped to the scale,
//! gives the grade by the grades' thresholds. Only records the public may see on the day count: a repaired, expired
//! or revoked record moves no grade.
//!
//! The reasons are those records with their points, the caps first, then by how much they moved the score (the
//! adverse-action reasons of a credit bureau): a public grade says why it is what it is.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::DataError;
use crate::catalog::{Item, SubjectKind};
use crate::measures::{Basis, Fact, Trigger};

/// How often every grade of a scheme is computed again (besides on every change of a subject's records: a record
/// leaving an indicator's window changes no record, so a cycle picks it up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    Daily,
    Monthly,
}

impl Cycle {
    /// The first day of the cycle `day` is in: a full recomputation is due when the last one was before it.
    pub fn start(self, day: Date) -> Date {
        match self {
            Cycle::Daily => day,
            Cycle::Monthly => day.replace_day(1).unwrap_or(day),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Cycle::Daily => "每日",
            Cycle::Monthly => "每月",
        }
    }
}

/// A grade of a scheme, best first in the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeDef {
    /// `A`, `B` …, `绿牌` …
    pub code: String,
    /// 优, 良 …
    pub name: String,
    /// 诚信优良 …
    pub label: String,
    /// The lowest score with this grade.
    pub min: i32,
    /// What the grade means, in plain Chinese (shown with it).
    pub meaning: String,
}

/// One indicator: the records that meet its trigger each move the score by `points`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    /// The evaluation's dimension the indicator belongs to (基础信息, 守信激励, 失信惩戒 …).
    pub dimension: String,
    /// Added for each record that counts (negative for bad records).
    pub points: i32,
    /// Only the most recent this many records count (default: all).
    pub max_records: Option<u32>,
    /// While a record meets it, the grade is at most this one (直接判级).
    pub cap: Option<String>,
    /// What a record that counts says, in plain Chinese ("受到罚款一万元以上的行政处罚").
    pub reason: String,
    pub trigger: Trigger,
}

/// Per-grade sampling ratios of 双随机 inspections (分类监管: the worse the grade, the more often inspected).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervision {
    /// Grade code → the share of the grade's subjects drawn by one draw at full rate (0 < rate ≤ 1).
    pub rates: BTreeMap<String, f64>,
    pub basis: String,
    #[serde(default)]
    pub verified: bool,
}

/// A grade that follows the grades of the subject's members (信用村 from its households, 信用乡(镇) from its
/// villages): the records of `item` link members to the subject, and the share of members with a good grade under
/// `scheme` adds the points of the first tier it reaches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Members {
    /// The item whose records link a member to the subject (`nhxx`).
    pub item: String,
    /// The field of such a record that names the subject's 统一社会信用代码 (the village: `NH_CWHDM`).
    pub of: String,
    /// The field naming the member's 统一社会信用代码 (a township's villages: `NH_CWHDM`); absent: the record's own
    /// subject is the member (a village's households).
    pub member: Option<String>,
    /// What the share of good members is called in the reason shown ("信用户占比"). The reason names the share's
    /// band between the tiers, never the counts: a small group's counts would tell who in it is not good.
    pub share_name: String,
    /// The members' scheme, and its grades that count as good (信用户).
    pub scheme: String,
    pub good: Vec<String>,
    /// With fewer members graded, the subject is not graded (评定条件).
    pub min_members: usize,
    /// Points by the share of good members: the first tier reached, the highest share first.
    #[serde(rename = "tier")]
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The share of good members (0–1) the tier needs.
    pub share: f64,
    pub points: i32,
    /// While the share is in this tier, the grade is at most this one.
    pub cap: Option<String>,
}

/// How many of a subject's members are graded, and how many of them well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemberCount {
    pub graded: usize,
    pub good: usize,
}

/// An evaluation scheme.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub code: String,
    pub name: String,
    pub version: String,
    pub effective_from: String,
    /// The sector whose scheme it is (None: the platform's 公共信用综合评价).
    pub sector: Option<String>,
    /// The kinds of subject graded.
    pub kinds: Vec<SubjectKind>,
    pub cycle: Cycle,
    pub base: i32,
    pub min: i32,
    pub max: i32,
    /// How many reasons a grade keeps (the strongest).
    #[serde(default = "default_top")]
    pub top: usize,
    pub basis: Vec<Basis>,
    /// Shown with every grade: what the scheme is and how far it is confirmed.
    pub note: String,
    #[serde(rename = "grade")]
    pub grades: Vec<GradeDef>,
    #[serde(rename = "indicator")]
    pub indicators: Vec<Indicator>,
    pub supervision: Option<Supervision>,
    /// Only subjects with a record of this item are graded (农户: those with a 农户信用信息 record).
    pub population: Option<String>,
    /// The grade follows the members' (see [`Members`]): only subjects with members are graded.
    pub members: Option<Members>,
    /// Every field the indicators read, by item (what the restriction index must keep of a record).
    #[serde(skip)]
    pub fields: BTreeMap<String, BTreeSet<String>>,
}

fn default_top() -> usize {
    5
}

/// A record that moved a grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub indicator: String,
    pub record_id: i64,
    /// The record's decision day.
    #[serde(default, with = "crate::value::iso_date_opt")]
    pub on: Option<Date>,
    pub points: i32,
    /// The grade is at most this one because of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<String>,
    /// In plain Chinese: the indicator's reason and what it did ("扣 60 分", "等级最高为 D").
    pub text: String,
}

/// A subject's grade under a scheme on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub grade: String,
    pub score: i32,
    /// The strongest reasons (at most the scheme's `top`), caps first.
    pub reasons: Vec<Reason>,
    /// How many records moved the grade in all (more than `reasons` holds when many did).
    pub moved_by: usize,
}

impl Scheme {
    pub fn from_toml(name: &str, text: &str, items: &BTreeMap<String, Item>) -> Result<Scheme, DataError> {
        let bad = |m: String| DataError::new(name, m);
        let mut s: Scheme = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        crate::value::parse_date(&s.effective_from)
            .ok_or_else(|| bad(format!("effective_from {}", s.effective_from)))?;
        if s.code.is_empty() || !s.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return Err(bad(format!("方案代码 {} 须为小写字母和数字", s.code)));
        }
        if !(s.min <= s.base && s.base <= s.max) {
            return Err(bad("须 min ≤ base ≤ max".into()));
        }
        if s.grades.is_empty() || s.indicators.is_empty() || s.kinds.is_empty() || s.basis.is_empty() {
            return Err(bad("须有等级、指标、评价对象类别和依据".into()));
        }
        if s.grades.windows(2).any(|w| w[0].min <= w[1].min) {
            return Err(bad("等级须由高到低排列,分数线严格递减".into()));
        }
        if s.grades.last().is_some_and(|g| g.min > s.min) {
            return Err(bad("最低等级的分数线须不高于 min,使每个分数都有等级".into()));
        }
        let codes: BTreeSet<&str> = s.grades.iter().map(|g| g.code.as_str()).collect();
        if codes.len() != s.grades.len() {
            return Err(bad("等级代码重复".into()));
        }
        let mut ids = BTreeSet::new();
        let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in &s.indicators {
            if !ids.insert(i.id.as_str()) {
                return Err(bad(format!("指标编号 {} 重复", i.id)));
            }
            if i.points == 0 && i.cap.is_none() {
                return Err(bad(format!("{}: 指标须加减分或限定等级", i.id)));
            }
            if let Some(cap) = i.cap.as_deref().filter(|c| !codes.contains(c)) {
                return Err(bad(format!("{}: 限定等级 {cap} 不是本方案的等级", i.id)));
            }
            if i.max_records == Some(0) || i.reason.trim().is_empty() {
                return Err(bad(format!("{}: max_records 须大于 0,reason 不得为空", i.id)));
            }
            if !i.trigger.persons.is_empty() {
                return Err(bad(format!("{}: 评价指标只读主体本身的记录,不写 persons", i.id)));
            }
            i.trigger
                .check(items, fields.entry(i.trigger.item.clone()).or_default())
                .map_err(|e| bad(format!("{}: {e}", i.id)))?;
        }
        if let Some(pop) = &s.population {
            if !items.contains_key(pop) {
                return Err(bad(format!("population: 未定义的目录项 {pop}")));
            }
            fields.entry(pop.clone()).or_default();
        }
        if let Some(m) = &s.members {
            let item = items.get(&m.item).ok_or_else(|| bad(format!("members: 未定义的目录项 {}", m.item)))?;
            for f in std::iter::once(&m.of).chain(&m.member) {
                if item.field(f).is_none() {
                    return Err(bad(format!("members: 目录项 {} 没有字段 {f}", m.item)));
                }
            }
            if m.scheme == s.code || m.good.is_empty() || m.tiers.is_empty() || m.min_members == 0 {
                return Err(bad("members: 须引用另一方案,并有良好等级、档次和最少成员数".into()));
            }
            if m.tiers.windows(2).any(|w| w[0].share <= w[1].share)
                || m.tiers.iter().any(|t| !(0.0..=1.0).contains(&t.share))
            {
                return Err(bad("members: 档次须按占比由高到低排列,占比在 0 与 1 之间".into()));
            }
            if let Some(c) = m.tiers.iter().filter_map(|t| t.cap.as_deref()).find(|c| !codes.contains(c)) {
                return Err(bad(format!("members: 限定等级 {c} 不是本方案的等级")));
            }
            fields.entry(m.item.clone()).or_default().extend(std::iter::once(m.of.clone()).chain(m.member.clone()));
        }
        if let Some(sv) = &s.supervision {
            if let Some(g) = sv.rates.keys().find(|g| !codes.contains(g.as_str())) {
                return Err(bad(format!("抽查比例中的等级 {g} 不是本方案的等级")));
            }
            if sv.rates.len() != codes.len() || sv.rates.values().any(|r| !(*r > 0.0 && *r <= 1.0)) {
                return Err(bad("每个等级须有抽查比例,且 0 < 比例 ≤ 1".into()));
            }
        }
        s.fields = fields;
        Ok(s)
    }

    pub fn grade(&self, code: &str) -> Option<&GradeDef> {
        self.grades.iter().find(|g| g.code == code)
    }

    fn rank(&self, code: &str) -> usize {
        self.grades.iter().position(|g| g.code == code).unwrap_or(self.grades.len())
    }

    /// Whether the scheme grades subjects of `kind`.
    pub fn grades_kind(&self, kind: SubjectKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The grade of a subject whose records are `facts`, on `day`. Only facts public on the day count.
    pub fn evaluate(&self, facts: &[Fact<'_>], day: Date) -> Outcome {
        self.evaluate_with(facts, day, None)
    }

    /// The grade of a subject with `members` (a scheme with [`Members`]), or `None` when too few are graded.
    pub fn evaluate_members(&self, facts: &[Fact<'_>], day: Date, members: MemberCount) -> Option<Outcome> {
        let m = self.members.as_ref()?;
        if members.graded < m.min_members {
            return None;
        }
        let share = members.good as f64 / members.graded as f64;
        let at = m.tiers.iter().position(|t| share >= t.share);
        let tier = at.map(|i| &m.tiers[i]);
        let percent = |t: &Tier| format!("{:.0}%", t.share * 100.0);
        let band = match at {
            Some(0) => format!("不低于 {}", percent(&m.tiers[0])),
            Some(i) if m.tiers[i].share > 0.0 => {
                format!("不低于 {}、低于 {}", percent(&m.tiers[i]), percent(&m.tiers[i - 1]))
            }
            Some(i) => format!("低于 {}", percent(&m.tiers[i - 1])),
            None => m.tiers.last().map_or_else(String::new, |t| format!("低于 {}", percent(t))),
        };
        let (points, cap) = tier.map_or((0, None), |t| (t.points, t.cap.clone()));
        let capped = |c: &String| format!("至多评为“{}”", self.grade(c).map_or(c.as_str(), |g| g.label.as_str()));
        let effect = match (points, &cap) {
            (0, None) => "不加分".to_string(),
            (0, Some(c)) => capped(c),
            (p, c) => {
                let what = format!("{} {} 分", if p > 0 { "加" } else { "扣" }, p.abs());
                c.as_ref().map_or(what.clone(), |c| format!("{what},{}", capped(c)))
            }
        };
        let reason = Reason {
            indicator: "members".into(),
            record_id: 0,
            on: None,
            points,
            cap,
            text: format!("{}{band}({effect})", m.share_name),
        };
        Some(self.evaluate_with(facts, day, Some(reason)))
    }

    fn evaluate_with(&self, facts: &[Fact<'_>], day: Date, extra: Option<Reason>) -> Outcome {
        let mut reasons = Vec::new();
        let mut score = i64::from(self.base);
        let mut cap: Option<usize> = None;
        if let Some(r) = extra {
            score += i64::from(r.points);
            if let Some(c) = &r.cap {
                cap = Some(self.rank(c));
            }
            reasons.push(r);
        }
        for ind in &self.indicators {
            let mut met: Vec<&Fact<'_>> = facts
                .iter()
                .filter(|f| f.public && f.item == ind.trigger.item && ind.trigger.active(f.fields, f.decided_on, day))
                .collect();
            // The most recent first (then the newest record), so that `max_records` keeps those.
            met.sort_by(|a, b| b.decided_on.cmp(&a.decided_on).then(b.record_id.cmp(&a.record_id)));
            met.truncate(ind.max_records.map_or(usize::MAX, |n| n as usize));
            for f in met {
                score += i64::from(ind.points);
                if let Some(c) = &ind.cap {
                    let r = self.rank(c);
                    cap = Some(cap.map_or(r, |old| old.max(r)));
                }
                reasons.push(Reason {
                    indicator: ind.id.clone(),
                    record_id: f.record_id,
                    on: f.decided_on,
                    points: ind.points,
                    cap: ind.cap.clone(),
                    text: reason_text(ind, f.decided_on),
                });
            }
        }
        let score = score.clamp(i64::from(self.min), i64::from(self.max)) as i32;
        let by_score = self.grades.iter().position(|g| score >= g.min).unwrap_or(self.grades.len() - 1);
        let grade = &self.grades[by_score.max(cap.unwrap_or(0)).min(self.grades.len() - 1)];
        reasons.sort_by(|a, b| {
            let caps = |r: &Reason| r.cap.as_deref().map_or(usize::MAX, |c| usize::MAX - 1 - self.rank(c));
            caps(a)
                .cmp(&caps(b))
                .then(b.points.abs().cmp(&a.points.abs()))
                .then(b.on.cmp(&a.on))
                .then(b.record_id.cmp(&a.record_id))
        });
        let moved_by = reasons.len();
        reasons.truncate(self.top);
        Outcome { grade: grade.code.clone(), score, reasons, moved_by }
    }

    /// What the scheme says of a subject with no record that moves it.
    pub fn plain_reason(&self) -> String {
        format!("无影响评价的公开信用记录,按基础分 {} 分评价", self.base)
    }
}

fn reason_text(ind: &Indicator, on: Option<Date>) -> String {
    let day = on.map(|d| format!("{d} ")).unwrap_or_default();
    let effect = match (ind.points, &ind.cap) {
        (0, Some(c)) => format!("等级最高为 {c}"),
        (p, Some(c)) => format!("{} {} 分,等级最高为 {c}", if p > 0 { "加" } else { "扣" }, p.abs()),
        (p, None) => format!("{} {} 分", if p > 0 { "加" } else { "扣" }, p.abs()),
    };
    format!("{day}{}({effect})", ind.reason)
}

/// Every scheme of the catalog, by code.
#[derive(Debug, Clone, Default)]
pub struct Schemes {
    pub schemes: BTreeMap<String, Scheme>,
}

impl Schemes {
    pub fn get(&self, code: &str) -> Option<&Scheme> {
        self.schemes.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scheme> {
        self.schemes.values()
    }

    /// The platform's own scheme (公共信用综合评价: the one without a sector), if the catalog has one.
    pub fn public(&self) -> Option<&Scheme> {
        self.schemes.values().find(|s| s.sector.is_none())
    }

    /// The scheme named `code`, or the public one when none is named.
    pub fn chosen(&self, code: Option<&str>) -> Option<&Scheme> {
        match code {
            Some(c) => self.get(c),
            None => self.public(),
        }
    }

    /// The schemes whose grades follow their members', each after the scheme its members are graded by (信用村
    /// before 信用乡镇).
    pub fn by_members(&self) -> Vec<&Scheme> {
        let mut done: Vec<&Scheme> = Vec::new();
        let mut left: Vec<&Scheme> = self.schemes.values().filter(|s| s.members.is_some()).collect();
        while !left.is_empty() {
            let before = left.len();
            left.retain(|s| {
                let dep = s.members.as_ref().map(|m| m.scheme.as_str()).unwrap_or_default();
                let ready = self.get(dep).is_none_or(|d| d.members.is_none() || done.iter().any(|x| x.code == dep));
                if ready {
                    done.push(s);
                }
                !ready
            });
            if left.len() == before {
                break;
            }
        }
        done
    }

    /// Every field any scheme's indicators read, by item.
    pub fn fields(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (item, fields) in self.schemes.values().flat_map(|s| &s.fields) {
            out.entry(item.clone()).or_default().extend(fields.iter().cloned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn fact<'a>(id: i64, item: &'a str, f: &'a BTreeMap<String, String>, on: Date, public: bool) -> Fact<'a> {
        Fact { record_id: id, version: 1, item, fields: f, decided_on: Some(on), public }
    }

    #[test]
    fn the_embedded_schemes_load() {
        let c = crate::embedded::catalog();
        let s = c.evaluation.public().expect("a public scheme");
        assert_eq!(s.grades.iter().map(|g| g.code.as_str()).collect::<Vec<_>>(), ["A", "B", "C", "D"]);
        assert!(c.evaluation.fields().contains_key("xzcf"));
    }

    #[test]
    fn grades_sum_points_cap_and_order_reasons() {
        let c = crate::embedded::catalog();
        let s = c.evaluation.public().unwrap();
        let day = date!(2026 - 06 - 01);
        assert_eq!(s.evaluate(&[], day).grade, "B", "no records: the base grade");
        let fine = fields(&[("CF_CFLB", "罚款"), ("CF_NR_FK", "2")]);
        let listed = fields(&[("YZ_MDLX", "市场监督管理严重违法失信名单")]);
        let one = s.evaluate(&[fact(1, "xzcf", &fine, date!(2026 - 01 - 05), true)], day);
        assert!(one.score < s.base && !one.reasons.is_empty());
        assert_eq!(one.reasons[0].record_id, 1);
        let hidden = s.evaluate(&[fact(1, "xzcf", &fine, date!(2026 - 01 - 05), false)], day);
        assert_eq!(hidden.score, s.base, "a record no longer public moves nothing");
        let both = s.evaluate(
            &[
                fact(1, "xzcf", &fine, date!(2026 - 01 - 05), true),
                fact(2, "yzsx", &listed, date!(2025 - 01 - 05), true),
            ],
            day,
        );
        assert_eq!(both.grade, "D");
        assert_eq!(both.reasons[0].record_id, 2, "the cap comes first");
        assert_eq!(both.moved_by, 2);
    }

    #[test]
    fn a_village_follows_the_share_of_its_good_households() {
        let c = crate::embedded::catalog();
        let village = c.evaluation.get("xyc").unwrap();
        let day = date!(2026 - 06 - 01);
        let count = |graded, good| MemberCount { graded, good };
        assert!(village.evaluate_members(&[], day, count(9, 9)).is_none(), "too few households graded");
        let all = village.evaluate_members(&[], day, count(10, 8)).unwrap();
        assert_eq!((all.grade.as_str(), all.reasons[0].indicator.as_str()), ("信用村", "members"));
        assert_eq!(all.reasons[0].text, "信用户占比不低于 80%(加 30 分)", "a band, never counts");
        let seven = village.evaluate_members(&[], day, count(10, 7)).unwrap();
        assert_eq!(
            (seven.grade.as_str(), seven.reasons[0].text.as_str()),
            ("信用村", "信用户占比不低于 70%、低于 80%(加 15 分)")
        );
        let six = village.evaluate_members(&[], day, count(10, 6)).unwrap();
        assert_eq!(six.grade, "否", "below seven in ten");
        assert_eq!(six.reasons[0].text, "信用户占比低于 70%(至多评为“未评为信用村”)");
        let listed = fields(&[("YZ_MDLX", "市场监督管理严重违法失信名单")]);
        let f = [fact(1, "yzsx", &listed, date!(2026 - 01 - 05), true)];
        assert_eq!(village.evaluate_members(&f, day, count(10, 10)).unwrap().grade, "否", "its own record caps it");
        let order: Vec<&str> = c.evaluation.by_members().iter().map(|s| s.code.as_str()).collect();
        assert_eq!(order, ["xyc", "xyxz"], "villages before townships");
    }

    #[test]
    fn broken_schemes_are_refused() {
        let c = crate::embedded::catalog();
        let (name, text) = crate::embedded::FILES.iter().find(|(n, _)| n.starts_with("evaluation/")).unwrap();
        for (from, to) in
            [("item = \"xzcf\"", "item = \"nosuch\""), ("cap = \"D\"", "cap = \"Z\""), ("min = 800", "min = 100")]
        {
            assert!(text.contains(from), "{from}");
            assert!(Scheme::from_toml(name, &text.replacen(from, to, 1), &c.items).is_err(), "{to}");
        }
    }
}
