//! Credit reports' kinds and sections as data (`catalog/reports.toml`): which sections each kind of report has, in
//! which order, and which catalog items fill each (by their category, or by code).

use serde::Deserialize;

use crate::DataError;
use crate::catalog::{Item, SubjectKind};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportKind {
    pub code: String,
    pub name: String,
    pub title_organisation: String,
    pub title_person: String,
    pub sections: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub text: String,
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub items: Vec<String>,
    pub note: Option<String>,
}

impl ReportSection {
    /// Whether records of `item` go in this section.
    pub fn holds(&self, item: &Item) -> bool {
        self.items.contains(&item.code) || self.categories.contains(&item.category)
    }
}

/// How many reports are issued free: per subject and year through each channel, and per address and hour to the
/// public.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// 向社会公众出具(按主体、每年)。
    pub public: i64,
    /// 向主体本人出具(按主体、每年)。
    pub own: i64,
    /// 经主体授权向部门出具(按主体、每年)。
    pub authorised: i64,
    /// 每个网络地址每小时可向公众下载的报告份数。
    pub per_address_per_hour: u32,
}

impl Default for Quota {
    fn default() -> Quota {
        Quota { public: 5000, own: 200, authorised: 500, per_address_per_hour: 30 }
    }
}

impl Quota {
    /// The yearly quota of a channel (`public`, `own` or `authorised`).
    pub fn of(&self, channel: &str) -> i64 {
        match channel {
            "own" => self.own,
            "authorised" => self.authorised,
            _ => self.public,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Reports {
    pub kinds: Vec<ReportKind>,
    pub sections: BTreeMap<String, ReportSection>,
    pub quota: Quota,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kind: Vec<ReportKind>,
    section: Vec<ReportSection>,
    #[serde(default)]
    quota: Quota,
}

impl Reports {
    /// Reads `reports.toml`: every section a kind names exists, every item a section names exists, and every
    /// catalog item has a section in the public report (no record is left out of it unseen).
    pub fn from_toml(text: &str, items: &BTreeMap<String, Item>) -> Result<Reports, DataError> {
        let err = |m: String| DataError::new("reports.toml", m);
        let f: File = toml::from_str(text).map_err(|e| DataError::new("reports.toml", e))?;
        let mut sections = BTreeMap::new();
        for s in f.section {
            if let Some(i) = s.items.iter().find(|i| !items.contains_key(*i)) {
                return Err(err(format!("章节 {} 所列目录项 {i} 不存在", s.code)));
            }
            if sections.insert(s.code.clone(), s.clone()).is_some() {
                return Err(err(format!("章节 {} 重复", s.code)));
            }
        }
        for k in &f.kind {
            if let Some(s) = k.sections.iter().find(|s| !sections.contains_key(*s)) {
                return Err(err(format!("报告 {} 所列章节 {s} 不存在", k.code)));
            }
        }
        let q = f.quota;
        if [q.public, q.own, q.authorised].iter().any(|n| *n < 0) {
            return Err(err("报告份数上限不能为负数".into()));
        }
        let reports = Reports { kinds: f.kind, sections, quota: q };
        let public = reports.kind("public").ok_or_else(|| err("缺少公共信用信息报告(public)".into()))?;
        for item in items.values() {
            if !public.sections.iter().any(|s| reports.sections[s].holds(item)) {
                return Err(err(format!("目录项 {}({})不属于公共信用信息报告的任何章节", item.code, item.name)));
            }
        }
        Ok(reports)
    }

    pub fn kind(&self, code: &str) -> Option<&ReportKind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The sections of a kind of report, in order.
    pub fn sections_of<'a>(&'a self, kind: &'a ReportKind) -> impl Iterator<Item = &'a ReportSection> + 'a {
        kind.sections.iter().filter_map(|s| self.sections.get(s))
    }
}

impl ReportKind {
    pub fn title(&self, subject: SubjectKind) -> &str {
        if subject == SubjectKind::Person { &self.title_person } else { &self.title_organisation }
    }
}
