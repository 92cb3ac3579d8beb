//! `credo grade` (信用评价) and `credo supervise` (分类监管: 双随机 draws and their results). Output is JSON;
//! refused input exits with code 2.

use std::path::PathBuf;

use clap::Subcommand;
use credo_app::supervise::{self, Acting, DrawIn};

use crate::cases::answer;
use crate::{open, unusable};

#[derive(Subcommand)]
pub enum GradeCommand {
    /// 重新计算信用评价等级(全部主体,或给出的主体),只保存有变化的等级
    Recompute {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 只计算这些主体(统一社会信用代码或其他登记代码)
        codes: Vec<String>,
    },
    /// 说明一个主体的等级:每条影响评价的记录及其加减分(按当前记录计算),以及已保存的等级与历史
    Explain {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 评价方案(默认公共信用综合评价 ggxy)
        #[arg(long)]
        scheme: Option<String>,
        code: String,
    },
}

#[derive(Subcommand)]
pub enum SuperviseCommand {
    /// 双随机抽取检查对象和检查人员:按评价等级分层,各等级的抽查比例见评价方案;同一种子、同一总体必得同一结果
    Draw {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 组织抽查的部门(统一社会信用代码)
        #[arg(long)]
        dept: String,
        /// 随机种子(随抽查结果一并公示,任何人可据以复核)
        #[arg(long)]
        seed: String,
        /// 检查事项
        #[arg(long)]
        task: String,
        /// 抽取总数(按各等级比例分配);不给出时各等级按比例全额抽取
        #[arg(long)]
        count: Option<usize>,
        /// 只在该行政区划内抽取(如 630102 城东区)
        #[arg(long)]
        scope: Option<String>,
        /// 分层所用的评价方案(默认公共信用综合评价)
        #[arg(long)]
        scheme: Option<String>,
        /// 执法检查人员名录:逗号分隔的姓名,或 @文件(每行一人)
        #[arg(long)]
        inspectors: String,
        /// 每个检查对象随机选派的检查人员数
        #[arg(long, default_value_t = 2)]
        per_target: usize,
    },
    /// 一次抽查及其检查对象、检查人员和结果
    Show {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        number: String,
    },
    /// 录入检查结果(合格、不合格、发现问题):作为该主体的“双随机抽查检查结果”记录入库
    Result {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        dept: String,
        number: String,
        /// 检查对象的统一社会信用代码
        code: String,
        /// 合格、不合格 或 发现问题
        result: String,
        /// 检查日期(YYYY-MM-DD,默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 结果说明
        #[arg(long, default_value = "")]
        note: String,
    },
}

async fn acting(app: &credo_app::App, dept: &str) -> anyhow::Result<Acting> {
    let department = app
        .store
        .department_by_uscc(dept.trim())
        .await?
        .ok_or_else(|| unusable(format!("没有统一社会信用代码为“{dept}”的部门")))?;
    Ok(Acting { actor: "cli".into(), role: "operator".into(), department })
}

fn inspectors(arg: &str) -> anyhow::Result<Vec<String>> {
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| unusable(format!("读不到检查人员名录 {path}:{e}")))?,
        None => arg.replace([',', ',', '、'], "\n"),
    };
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
}

pub async fn grade(command: GradeCommand) -> anyhow::Result<()> {
    match command {
        GradeCommand::Recompute { data, codes } => {
            let app = open(&data).await?;
            let ids = if codes.is_empty() {
                None
            } else {
                let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
                let found = app.store.subjects_by_codes(&refs).await?;
                if let Some(missing) = codes.iter().find(|c| !found.iter().any(|(k, _)| k == *c)) {
                    return Err(unusable(format!("没有代码为“{missing}”的主体")));
                }
                Some(found.into_values().map(|s| s.id).collect())
            };
            let full = ids.is_none();
            let run = credo_app::grades::recompute(&app, ids).await;
            if let (true, Ok(r)) = (full, &run) {
                app.store.set_grades_followed(r.seq, Some(app.clock.today())).await?;
            }
            answer(run)
        }
        GradeCommand::Explain { data, scheme, code } => {
            let app = open(&data).await?;
            let found = app.store.subjects_by_codes(&[code.as_str()]).await?;
            let Some((_, s)) = found.into_iter().next() else {
                return Err(unusable(format!("没有代码为“{code}”的主体")));
            };
            let scheme = scheme.or_else(|| app.catalog.evaluation.public().map(|s| s.code.clone())).unwrap_or_default();
            let explained = credo_app::grades::explain(&app, &s, &scheme).await;
            let kept = credo_app::grades::of_subject(&app, &s).await;
            answer(explained.and_then(|(o, lines)| {
                Ok(serde_json::json!({
                    "subject": { "id": s.id, "name": credo_app::public::mask_ids(&s.name), "code": credo_app::public::display_code(&s) },
                    "scheme": scheme, "grade": o.grade, "score": o.score, "reasons": lines, "kept": kept?,
                }))
            }))
        }
    }
}

pub async fn supervise(command: SuperviseCommand) -> anyhow::Result<()> {
    match command {
        SuperviseCommand::Draw { data, dept, seed, task, count, scope, scheme, inspectors: list, per_target } => {
            let app = open(&data).await?;
            let by = acting(&app, &dept).await?;
            let req = DrawIn { scheme, region: scope, task, seed, count, inspectors: inspectors(&list)?, per_target };
            answer(supervise::draw(&app, &by, req).await)
        }
        SuperviseCommand::Show { data, number } => {
            let app = open(&data).await?;
            answer(supervise::show(&app, &number).await)
        }
        SuperviseCommand::Result { data, dept, number, code, result, date, note } => {
            let app = open(&data).await?;
            let by = acting(&app, &dept).await?;
            let on = match date {
                Some(d) => credo_domain::value::parse_date(&d).ok_or_else(|| unusable(format!("“{d}”不是日期")))?,
                None => app.clock.today(),
            };
            answer(supervise::enter_result(&app, &by, &number, &code, &result, on, &note).await)
        }
    }
}
