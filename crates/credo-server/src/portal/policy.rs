//! The rules page: publicity periods, measures and their legal basis, in words for citizens.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use credo_domain::publicity::Start;

use super::chrome::{Chrome, render};
use crate::Web;
use crate::error::ApiError;
use credo_app::principal::Principal;

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    version: String,
    regimes: Vec<(String, String, String, Vec<String>, bool)>,
    /// The platform's choices where the law is silent: (name, choice, since, explanation, basis, verified).
    settings: Vec<(String, String, String, String, String, bool)>,
    /// Classification rules: (group, class, reason, verified).
    rules: Vec<(String, String, String, bool)>,
    /// Departments' own classification tables: (name, departments, basis, verified).
    tables: Vec<(String, String, String, bool)>,
    /// Sectors and their laws: (name, laws, basis, verified).
    sectors: Vec<(String, String, String, bool)>,
    deadlines: Vec<(&'static str, u32)>,
    deadline_basis: String,
    /// Withdrawal after a change or removal: (what, after what, period, basis, verified).
    withdrawals: Vec<(String, String, String, String, bool)>,
    measures_version: String,
    /// (name, decision, effect, basis, every basis verified).
    measures: Vec<(String, String, String, String, bool)>,
    /// Every rule not yet confirmed from its source: (file, rule).
    unverified: Vec<(String, String)>,
}

pub async fn policy(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rules = &app.catalog.publicity;
    let months = |m: Option<u32>| m.map(|m| format!("{m} 个月")).unwrap_or_else(|| "—".into());
    let regimes = rules
        .regimes
        .iter()
        .map(|r| {
            let span = match (&r.from, &r.until) {
                (Some(f), Some(u)) => format!("{f} 至 {u} 前作出的决定"),
                (Some(f), None) => format!("{f} 起作出的决定"),
                (None, Some(u)) => format!("{u} 前作出的决定"),
                (None, None) => "全部".into(),
            };
            let span = if r.departments.is_empty() {
                span
            } else {
                format!("{span}(作出决定的机关名称含“{}”)", r.departments.join("、"))
            };
            let span = match r.setting.as_deref().and_then(|c| rules.setting(c)) {
                Some(s) => format!("{span};{} 起是否适用由设置“{}”决定(现为:{})", s.since, s.name, s.choice_label),
                None => span,
            };
            let mut classes: Vec<String> = r
                .class
                .iter()
                .map(|c| {
                    let shown = if c.published {
                        format!("最短 {},最长 {}", months(c.min_months), months(c.max_months))
                    } else {
                        "不予公示".into()
                    };
                    format!("{}:{}{}", c.name, shown, c.note.as_ref().map(|n| format!("({n})")).unwrap_or_default())
                })
                .collect();
            if r.start == Start::Publication {
                classes.push("期限自公示之日起计算;未报送公示日期的,自本平台收到该信息之日起计算".into());
            }
            if let Some(m) = &r.sector_min {
                classes.push(format!(
                    "{}领域(按处罚依据所引法律法规认定):最短 {} 个月",
                    m.sectors.join("、"),
                    m.months
                ));
            }
            if r.department_tables {
                classes.push("轻微、一般、严重由各行业主管部门确定;未取得部门分类标准的,按通用标准".into());
            }
            classes.extend(r.note.clone());
            (
                r.name.clone(),
                span,
                for_citizens(&r.basis),
                classes.iter().map(|c| for_citizens(c)).collect(),
                r.verified,
            )
        })
        .collect();
    let settings = rules
        .settings
        .iter()
        .map(|s| {
            let (explanation, basis) = (for_citizens(&s.explanation), for_citizens(&s.basis));
            (s.name.clone(), s.choice_label.clone(), s.since.clone(), explanation, basis, s.verified)
        })
        .collect();
    let class_rules = rules
        .rules
        .iter()
        .map(|r| {
            let group = match r.group.as_str() {
                "general" => "通用标准".to_string(),
                "samr" => "市场监管部门(总局令第45号)".to_string(),
                other => other.to_string(),
            };
            let names: Vec<&str> = r
                .regimes
                .iter()
                .filter_map(|c| rules.regimes.iter().find(|g| &g.code == c))
                .map(|g| g.name.as_str())
                .collect();
            let group = if names.is_empty() { group } else { format!("{group}(仅适用于{})", names.join("、")) };
            (group, r.class.to_string(), r.reason.clone(), r.verified)
        })
        .collect();
    let tables = rules
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.departments.join("、"), for_citizens(&t.basis), t.verified))
        .collect();
    let sectors = rules
        .sectors
        .iter()
        .map(|s| {
            let laws: Vec<String> = s.laws.iter().map(|l| format!("《{l}》")).collect();
            (s.name.clone(), laws.join(""), for_citizens(&s.basis), s.verified)
        })
        .collect();
    let d = &rules.deadlines;
    render(&PolicyPage {
        chrome: Chrome::of(&p, &headers),
        version: rules.version.clone(),
        regimes,
        settings,
        rules: class_rules,
        tables,
        sectors,
        deadlines: vec![
            ("双公示上网公开(决定后)", d.publication),
            ("异议:是否受理", d.objection_accept),
            ("异议:受理后核查答复", d.objection),
            ("异议延期后合计不超过", d.objection_max),
            ("信用修复:是否受理", d.repair_accept),
            ("信用修复:受理后作出决定", d.repair_decide),
            ("信用修复:平台复核", d.repair_review),
            ("举报核查", d.report),
        ],
        deadline_basis: for_citizens(&d.basis),
        withdrawals: d
            .withdrawal
            .iter()
            .map(|w| (w.name.clone(), w.after.clone(), w.period(), for_citizens(&w.basis), w.verified))
            .collect(),
        measures_version: app.catalog.measures.version.clone(),
        measures: app
            .catalog
            .measures
            .measures
            .iter()
            .map(|m| {
                let basis: Vec<String> = m
                    .basis
                    .iter()
                    .map(|b| format!("{} {}{}", b.law, b.article, if b.verified { "" } else { "(待核实)" }))
                    .collect();
                let verified = m.basis.iter().all(|b| b.verified);
                (m.name.clone(), m.decision.label().to_string(), m.effect.clone(), basis.join(";"), verified)
            })
            .collect(),
        unverified: app
            .catalog
            .unverified
            .iter()
            .map(|u| {
                let file = match u.file.as_str() {
                    "measures.toml" => "联合奖惩措施清单".to_string(),
                    "publicity.toml" => "公示期限与信用修复规则".to_string(),
                    "calendar.toml" => "法定节假日安排".to_string(),
                    f => f
                        .strip_suffix(".toml")
                        .and_then(|c| app.catalog.item(c))
                        .map_or_else(|| f.to_string(), |i| format!("信息目录:{}", i.name)),
                };
                (file, for_citizens(&u.rule))
            })
            .collect(),
    })
}

/// Text of the rules files as the public reads it: without the project's own references to its standards notes
/// (`STANDARDS §13.3`), which mean nothing outside the project.
fn for_citizens(text: &str) -> String {
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
