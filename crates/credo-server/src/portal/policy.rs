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
use credo_app::public::for_citizens;

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
                other => rules
                    .tables
                    .iter()
                    .find(|t| t.group == other)
                    .map_or_else(|| "行业主管部门标准".to_string(), |t| t.name.clone()),
            };
            let names: Vec<&str> = r
                .regimes
                .iter()
                .filter_map(|c| rules.regimes.iter().find(|g| &g.code == c))
                .map(|g| g.name.as_str())
                .collect();
            let group = if names.is_empty() { group } else { format!("{group}(仅适用于{})", names.join("、")) };
            (group, r.class.to_string(), for_citizens(&r.reason), r.verified)
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
                let basis = credo_domain::measures::Basis::cite_all(&m.basis);
                let verified = m.basis.iter().all(|b| b.verified);
                (m.name.clone(), m.decision.label().to_string(), m.effect.clone(), basis, verified)
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
                    "reports.toml" => "信用报告章节".to_string(),
                    "calendar.toml" => "法定节假日安排".to_string(),
                    "honours.toml" => "诚信建设示范单位创建标准".to_string(),
                    "integrity.toml" => "政务诚信与信用服务机构规则".to_string(),
                    f if f.starts_with("evaluation/") => f
                        .strip_prefix("evaluation/")
                        .and_then(|f| f.strip_suffix(".toml"))
                        .and_then(|c| app.catalog.evaluation.get(c))
                        .map_or_else(|| "信用评价方案".to_string(), |s| format!("信用评价方案:{}", s.name)),
                    f => f
                        .strip_suffix(".toml")
                        .and_then(|c| app.catalog.item(c))
                        .map_or_else(|| f.to_string(), |i| format!("信息目录:{}", i.name)),
                };
                (file, rule_in_words(&app.catalog, &u.rule))
            })
            .collect(),
    })
}

/// An unverified rule as the rules page names it: the list names a rule by the keys of its rules file
/// (`measure JYYC-ZFCG 限制参加政府采购 · basis …`, `field CF_XDR_LB 行政相对人类别 · codes`, `rule general …`); the
/// page says what kind of rule it is in words and leaves out the file's codes.
fn rule_in_words(catalog: &credo_domain::catalog::Catalog, rule: &str) -> String {
    let parts: Vec<String> = rule
        .split(" · ")
        .map(|segment| {
            let mut tokens = segment.split_whitespace();
            let key = tokens.next().unwrap_or_default();
            let tokens: Vec<&str> = tokens.collect();
            let first = tokens.first().copied().unwrap_or_default();
            // The file's codes (ids, field codes, group codes, choices, dates) are ASCII; the names are not.
            let words = tokens.iter().filter(|t| !t.is_ascii()).copied().collect::<Vec<_>>().join(" ");
            let quoted =
                |label: &str| if words.is_empty() { label.to_string() } else { format!("{label}“{words}”") };
            match key {
                "statutory" => words.clone(),
                "field" => quoted("字段"),
                "codes" => "代码表".to_string(),
                "measure" => quoted("措施"),
                "basis" => format!("依据:{words}"),
                "deadlines" => "办理时限".to_string(),
                "withdrawal" => quoted("撤回时限"),
                "item" => match catalog.item(first) {
                    Some(i) => format!("{}的公示期限", i.name),
                    None => "目录项的公示期限".to_string(),
                },
                "regime" => quoted("公示期限规则"),
                "rule" => {
                    let group = match first {
                        "general" => "通用标准",
                        "samr" => "市场监管部门标准",
                        _ => "分类规则",
                    };
                    format!("失信程度分类({group}):{words}")
                }
                "sector" => format!("{words}领域的认定"),
                "setting" => quoted("本平台设置"),
                "supervision" => "分类监管各等级的抽查比例".to_string(),
                "disclosure_by_kind" => format!("按主体类别的公开属性:{words}"),
                _ => words.clone(),
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    for_citizens(&parts.join(" · "))
}
