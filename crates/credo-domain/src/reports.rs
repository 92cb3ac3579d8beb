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

/// A 领域 of the 专项信用报告: the records of departments whose names contain one of `departments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportField {
    pub code: String,
    pub name: String,
    pub departments: Vec<String>,
    pub source: Source,
}

impl ReportField {
    /// Whether a record decided by `department` (its name) belongs to this field.
    pub fn covers(&self, department: &str) -> bool {
        self.departments.iter().any(|d| department.contains(d.as_str()))
    }
}

/// How many reports are issued free: per subject and year through each channel (0: no cap). (How many one address
/// may download per hour is the server's setting, `--reports-per-hour`.)
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// 向社会公众出具(按主体、每年;0 不限:他人下载不应占用主体的份数)。
    pub public: i64,
    /// 向主体本人出具(按主体、每年)。
    pub own: i64,
    /// 经主体授权向部门出具(按主体、每年)。
    pub authorised: i64,
}

impl Default for Quota {
    fn default() -> Quota {
        Quota { public: 0, own: 200, authorised: 500 }
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
    /// 专项信用报告的领域.
    pub fields: Vec<ReportField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kind: Vec<ReportKind>,
    section: Vec<ReportSection>,
    #[serde(default)]
    quota: Quota,
    #[serde(default)]
    field: Vec<ReportField>,
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
        let mut codes = std::collections::BTreeSet::new();
        for field in &f.field {
            if !codes.insert(field.code.as_str()) {
                return Err(err(format!("领域 {} 重复", field.code)));
            }
            if field.departments.is_empty() || field.departments.iter().any(|d| d.trim().is_empty()) {
                return Err(err(format!("领域 {} 须列出部门名称", field.code)));
            }
        }
        let reports = Reports { kinds: f.kind, sections, quota: q, fields: f.field };
        let public = reports.kind("public").ok_or_else(|| err("缺少公共信用信息报告(public)".into()))?;
        for item in items.values() {
            if !public.sections.iter().any(|s| reports.sections[s].holds(item)) {
                return Err(err(format!("目录项 {}({})不属于公共信用信息报告的任何章节", item.code, item.name)));
            }
        }
        Ok(reports)
    }

    pub fn field(&self, code: &str) -> Option<&ReportField> {
        self.fields.iter().find(|f| f.code == code)
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
