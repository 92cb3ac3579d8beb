//! 分类监管 (classified supervision): a department's 双随机 draw of inspection targets stratified by grade
//! ([`credo_domain::supervision`]: reproducible from its published seed), recorded and published (双随机抽查结果公示),
//! and the results the department enters, each of which becomes a 双随机抽查检查结果 record (`ccjc`) of the subject:
//! on its page, in its grade.

use credo_domain::supervision;
use credo_store::{AuditEvent, Department, Draw, InspectionTarget, NewDraw};
use serde::Serialize;
use serde_json::json;
use time::Date;

use crate::App;
use crate::error::{Code, Error};
use crate::principal::Principal;
use crate::public::display_code;

/// The item a result becomes.
pub const RESULT_ITEM: &str = "ccjc";
/// The results a department may enter.
pub const RESULTS: [&str; 3] = ["合格", "不合格", "发现问题"];
/// Most targets one draw may take.
pub const MAX_TARGETS: usize = 10_000;
/// Most inspectors one list may hold, and most characters of a seed, a task or a name.
const MAX_INSPECTORS: usize = 1_000;
const MAX_TEXT: usize = 200;

/// What a draw asks for.
#[derive(Debug, Clone, Default)]
pub struct DrawIn {
    /// The evaluation scheme whose grades stratify the draw (default: the 公共信用综合评价).
    pub scheme: Option<String>,
    /// Only subjects of this region (a district's code, say); default: all.
    pub region: Option<String>,
    /// 检查事项.
    pub task: String,
    /// The seed, published with the draw.
    pub seed: String,
    /// How many targets in all (default: every grade at its full rate).
    pub count: Option<usize>,
    /// 执法检查人员名录.
    pub inspectors: Vec<String>,
    /// Inspectors sent to each target (default 2).
    pub per_target: usize,
}

/// A target as published: the subject's name and code as the public sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub target: InspectionTarget,
    pub name: String,
    pub code: Option<String>,
}

/// A draw with its targets.
#[derive(Debug, Clone, Serialize)]
pub struct DrawOut {
    #[serde(flatten)]
    pub draw: Draw,
    pub targets: Vec<Shown>,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::new(Code::InvalidRequest, detail)
}

/// Who acts for a department: a department's account or key over HTTP, or an operator on the command line
/// (`credo supervise … --dept USCC`).
#[derive(Debug, Clone)]
pub struct Acting {
    pub actor: String,
    pub role: String,
    pub department: Department,
}

impl Acting {
    /// The department a principal acts for (a department's account or key).
    pub fn of(p: &Principal) -> Result<Acting, Error> {
        let department = p.department().ok_or_else(|| Error::new(Code::Forbidden, "只有部门账号可以组织双随机抽查"))?;
        let (actor, role, _) = p.actor();
        Ok(Acting { actor, role, department: department.clone() })
    }
}

/// Draws targets and inspectors for the acting department, records and audits the draw (`supervise.drawn`).
pub async fn draw(app: &App, by: &Acting, req: DrawIn) -> Result<DrawOut, Error> {
    let dept = &by.department;
    let scheme = app.catalog.evaluation.chosen(req.scheme.as_deref()).ok_or_else(|| bad("没有该评价方案"))?;
    let rates = scheme.supervision.as_ref().ok_or_else(|| bad(format!("{} 没有规定各等级的抽查比例", scheme.name)))?;
    let text_ok = |t: &str| !t.trim().is_empty() && t.chars().count() <= MAX_TEXT;
    if !text_ok(&req.seed) || !text_ok(&req.task) {
        return Err(bad(format!("须给出随机种子和检查事项(各不超过 {MAX_TEXT} 字)")));
    }
    let inspectors: Vec<String> =
        req.inspectors.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if inspectors.len() > MAX_INSPECTORS || inspectors.iter().any(|i| !text_ok(i)) {
        return Err(bad(format!("检查人员名录至多 {MAX_INSPECTORS} 人,每人姓名不超过 {MAX_TEXT} 字")));
    }
    if req.count.is_some_and(|c| c == 0 || c > MAX_TARGETS) {
        return Err(bad(format!("抽取数量应为 1–{MAX_TARGETS}")));
    }
    let region = match req.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let known = app.catalog.regions.get(r).ok_or_else(|| bad(format!("没有行政区划代码 {r}")))?;
            Some(known.code.trim_end_matches("00").to_string())
        }
        None => None,
    };
    let mut population = Vec::new();
    let mut after = 0;
    loop {
        let page = app.store.current_grades(&scheme.code, region.as_deref(), after, 50_000).await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        population.extend(page);
    }
    let grades: Vec<String> = scheme.grades.iter().map(|g| g.code.clone()).collect();
    let (rates_map, seed, per) = (rates.rates.clone(), req.seed.clone(), req.per_target.max(1));
    let drawn = crate::offload::run(app, move || {
        supervision::draw(&population, &grades, &rates_map, req.count, &seed, &inspectors, per)
            .map(|d| (d, population.len()))
    })
    .await
    .map_err(Error::internal)?
    .map_err(|e| bad(e.to_string()))?;
    let (drawn, size) = drawn;
    if drawn.targets.len() > MAX_TARGETS {
        return Err(bad(format!(
            "按比例将抽取 {} 户,超过单次上限 {MAX_TARGETS}:请给出抽取数量或缩小范围",
            drawn.targets.len()
        )));
    }
    let (actor, role, department) = (by.actor.clone(), by.role.clone(), Some(dept.uscc.clone()));
    let new = NewDraw {
        department_id: dept.id,
        scheme: scheme.code.clone(),
        scope: json!({ "region": req.region, "scheme_version": scheme.version, "count": req.count,
                       "per_target": per, "inspectors": req.inspectors.len() })
        .to_string(),
        task: req.task.trim().to_string(),
        seed: req.seed.clone(),
        population: size as i64,
        population_digest: drawn.population_digest.clone(),
        strata: serde_json::to_string(&drawn.strata).unwrap_or_default(),
        actor: actor.clone(),
        targets: drawn.targets,
    };
    let recorded = app.store.record_draw(&new, "630100").await?;
    app.store
        .append_audit(&AuditEvent {
            actor,
            role,
            department,
            action: "supervise.drawn".into(),
            target: Some(format!("draw:{}", recorded.number)),
            purpose: Some("双随机抽查".into()),
            result: format!("抽取 {} 户(总体 {size} 户)", new.targets.len()),
            client: None,
        })
        .await?;
    show(app, &recorded.number).await
}

/// A draw with its targets, as published.
pub async fn show(app: &App, number: &str) -> Result<DrawOut, Error> {
    let (draw, targets) =
        app.store.draw(number).await?.ok_or_else(|| Error::new(Code::NotFound, format!("没有抽查 {number}")))?;
    let ids: Vec<i64> = targets.iter().map(|t| t.subject_id).collect();
    let subjects = app.store.subjects_by_ids(&ids).await?;
    let targets = targets
        .into_iter()
        .map(|t| {
            let s = subjects.iter().find(|s| s.id == t.subject_id);
            Shown {
                name: s.map(|s| crate::public::mask_ids(&s.name)).unwrap_or_default(),
                code: s.and_then(display_code),
                target: t,
            }
        })
        .collect();
    Ok(DrawOut { draw, targets })
}

/// Enters the result of an inspection of `subject` (its code) in the department's draw `number`: it becomes a
/// 双随机抽查检查结果 record of the subject, submitted by the department (its batch report says what was refused).
pub async fn enter_result(
    app: &App,
    by: &Acting,
    number: &str,
    subject: &str,
    result: &str,
    on: Date,
    note: &str,
) -> Result<DrawOut, Error> {
    let dept = &by.department;
    if !RESULTS.contains(&result) {
        return Err(bad(format!("检查结果应为:{}", RESULTS.join("、"))));
    }
    if note.chars().count() > 2000 {
        return Err(bad("结果说明不超过 2000 字"));
    }
    let out = show(app, number).await?;
    if out.draw.department_id != dept.id {
        return Err(Error::new(Code::Forbidden, "只能录入本部门组织的抽查结果"));
    }
    let target = out
        .targets
        .iter()
        .find(|t| t.code.as_deref() == Some(subject))
        .ok_or_else(|| bad(format!("{subject} 不是抽查 {number} 的检查对象")))?;
    if target.target.result.is_some() {
        return Err(Error::new(Code::Conflict, "该对象的检查结果已录入"));
    }
    let item = app.catalog.item(RESULT_ITEM).ok_or_else(|| Error::internal("目录中没有双随机抽查检查结果"))?;
    if !dept.permissions.items.iter().any(|i| i == RESULT_ITEM) {
        return Err(Error::new(Code::Forbidden, "本部门未获准报送“双随机抽查检查结果”,请联系安全管理员授权"));
    }
    // The result is claimed first (once, atomically): of two entries at the same time only one becomes the record.
    let subject_id = target.target.subject_id;
    app.store.set_inspection_result(out.draw.id, subject_id, result, on, None).await?;
    let values = [
        ("JC_MC", target.name.clone()),
        ("JC_SHXYM", subject.to_string()),
        ("JC_CCBH", number.to_string()),
        ("JC_JCSX", out.draw.task.clone()),
        ("JC_JCJG", result.to_string()),
        ("JC_JCRQ", on.to_string()),
        ("JC_JCRY", target.target.inspectors.join(";")),
        ("JC_JCJG_SM", note.to_string()),
        ("JC_SJLY", dept.name.clone()),
        ("JC_SJLYDM", dept.uscc.clone()),
    ];
    let table = credo_import::Table {
        headers: values.iter().map(|(k, _)| k.to_string()).collect(),
        rows: credo_import::Rows::Cells(vec![Ok((1, values.iter().map(|(_, v)| v.clone()).collect()))]),
        encoding: None,
    };
    let summary = crate::ingest::run(app, item, dept, &table, "supervise", Some(number), &|_| {})
        .await
        .map_err(Error::internal)?;
    if summary.accepted + summary.duplicates == 0 {
        let why: Vec<String> = summary.report.iter().map(|l| l.message.clone()).collect();
        return Err(bad(format!("检查结果未能入库:{}", why.join(";"))));
    }
    let record = app
        .store
        .subject_records(subject_id)
        .await?
        .into_iter()
        .find(|r| r.item == RESULT_ITEM && r.fields.get("JC_CCBH").map(String::as_str) == Some(number))
        .map(|r| r.id);
    if let Some(id) = record {
        app.store.link_inspection_record(out.draw.id, subject_id, id).await?;
    }
    app.store
        .append_audit(&AuditEvent {
            actor: by.actor.clone(),
            role: by.role.clone(),
            department: Some(dept.uscc.clone()),
            action: "supervise.result".into(),
            target: Some(format!("draw:{number} subject:{}", target.target.subject_id)),
            purpose: Some("双随机抽查".into()),
            result: format!("{result}(记录 {})", record.map_or("-".into(), |r| r.to_string())),
            client: None,
        })
        .await?;
    show(app, number).await
}
