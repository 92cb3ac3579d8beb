//! `credo case`: every step of objections, credit repair, commitments and reports from the command line (the
//! offline window in the 政务服务大厅, and department staff without the website). The steps are the server's own
//! (`credo_app::cases`), taken as the account named by `--as` under the same rules as over the API; filing an
//! objection or a report needs no account. Output is JSON; refused input exits with code 2.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use credo_app::App;
use credo_app::Error;
use credo_app::cases::{
    self, BreachIn, CommitIn, Contact, Content, DecideIn, ExtendIn, FileIn, ListQuery, ObjectionIn, RepairIn, ReportIn,
};
use credo_app::principal::{Principal, Role};
use serde::Serialize;

use crate::{open, unusable};

#[derive(clap::Args)]
pub struct Common {
    #[arg(long, env = "CREDO_DATA")]
    data: PathBuf,
    /// 以该账号办理(案件办理员、信用审核员、信用主体);不给出时为匿名
    #[arg(long = "as")]
    user: Option<String>,
}

#[derive(clap::Args)]
pub struct Applicant {
    /// 申请人(举报人)姓名
    #[arg(long)]
    name: Option<String>,
    /// 联系电话
    #[arg(long)]
    phone: Option<String>,
    /// 证明材料文件(可多次给出)
    #[arg(long = "file")]
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
pub enum CaseCommand {
    /// 待办案件(本部门;信用审核员:全部异议与修复)
    List {
        #[command(flatten)]
        common: Common,
        /// objection、repair 或 report
        #[arg(long)]
        kind: Option<String>,
        /// 只列超期案件
        #[arg(long)]
        overdue: bool,
        /// 包括已办结案件
        #[arg(long)]
        all: bool,
    },
    /// 查看案件(匿名时只显示办理进度)
    Show {
        #[command(flatten)]
        common: Common,
        number: String,
    },
    /// 提出异议
    Object {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        record: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        applicant: Applicant,
    },
    /// 申请信用修复(以信用主体账号)
    Repair {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        record: i64,
        #[arg(long)]
        reason: String,
        #[arg(long = "file")]
        files: Vec<PathBuf>,
    },
    /// 举报失信行为
    Report {
        #[command(flatten)]
        common: Common,
        /// 负责处理的部门统一社会信用代码
        #[arg(long)]
        department: String,
        #[arg(long)]
        subject_name: String,
        #[arg(long)]
        subject_code: Option<String>,
        #[arg(long)]
        content: String,
        #[command(flatten)]
        applicant: Applicant,
    },
    /// 异议案件延期(一次,合计不超过规定的工作日)
    Extend {
        #[command(flatten)]
        common: Common,
        number: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
    },
    /// 办理案件:异议 维持/更正/撤销;修复 受理/不予受理、同意修复/不予修复、通过/退回;举报 查实/部分查实/不属实
    Decide {
        #[command(flatten)]
        common: Common,
        number: String,
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        reason: String,
        /// 更正后的字段,CODE=VALUE(可多次给出)
        #[arg(long = "field")]
        fields: Vec<String>,
        /// 举报奖励
        #[arg(long)]
        reward: Option<String>,
    },
    /// 作出信用承诺(以信用主体账号)
    Commit {
        #[command(flatten)]
        common: Common,
        /// 承诺受理部门统一社会信用代码
        #[arg(long)]
        department: String,
        /// 审批替代型、证明事项告知承诺、主动型、行业自律型
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        matter: String,
        #[arg(long)]
        content: String,
    },
    /// 记录信用承诺未履约(以承诺受理部门的案件办理员账号)
    Breach {
        #[command(flatten)]
        common: Common,
        record: i64,
        /// 未履约认定日期(默认今天)
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        description: String,
    },
    /// 把已期满的公示记录写入变更流(服务运行时每天自动执行)
    Expire {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
}

fn read_files(paths: &[PathBuf]) -> anyhow::Result<Vec<FileIn>> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|e| unusable(format!("无法读取文件 {}:{e}", p.display())))?;
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(FileIn { name, content: Content::Bytes(bytes) })
        })
        .collect()
}

fn contact(a: &Applicant) -> Option<Contact> {
    Some(Contact { name: a.name.clone()?, phone: a.phone.clone()? })
}

/// The account named by `--as`, as the server would see it signed in.
async fn principal(app: &App, user: Option<&str>) -> anyhow::Result<Principal> {
    let Some(user) = user else { return Ok(Principal::Anonymous) };
    let account =
        app.store.account_by_username(user).await?.ok_or_else(|| unusable(format!("没有名为“{user}”的账号")))?;
    if account.disabled {
        return Err(unusable(format!("账号“{user}”已停用")));
    }
    let role = Role::parse(&account.role).ok_or_else(|| unusable(format!("账号“{user}”的角色无效")))?;
    let department = match account.department_id {
        Some(id) => app.store.department(id).await?.map(Box::new),
        None => None,
    };
    Ok(Principal::Account { account: Box::new(account), role, department })
}

pub(crate) fn answer(r: Result<impl Serialize, Error>) -> anyhow::Result<()> {
    match r {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Err(e) if e.is_client_error() => Err(unusable(e.detail)),
        Err(e) => anyhow::bail!("{}", e.detail),
    }
}

pub(crate) async fn with(common: &Common) -> anyhow::Result<(App, Principal)> {
    let app = open(Path::new(&common.data)).await?;
    let p = principal(&app, common.user.as_deref()).await?;
    Ok((app, p))
}

pub async fn run(command: CaseCommand) -> anyhow::Result<()> {
    match command {
        CaseCommand::List { common, kind, overdue, all } => {
            let (app, p) = with(&common).await?;
            answer(cases::list(&app, &p, &ListQuery { kind, overdue, all }).await)
        }
        CaseCommand::Show { common, number } => {
            let (app, p) = with(&common).await?;
            answer(cases::show(&app, &p, &number).await)
        }
        CaseCommand::Object { common, record, reason, applicant } => {
            let (app, p) = with(&common).await?;
            let o = ObjectionIn {
                record,
                reason,
                contact: contact(&applicant),
                files: read_files(&applicant.files)?,
                challenge: None,
            };
            answer(cases::file_objection(&app, &p, &o).await)
        }
        CaseCommand::Repair { common, record, reason, files } => {
            let (app, p) = with(&common).await?;
            answer(cases::file_repair(&app, &p, &RepairIn { record, reason, files: read_files(&files)? }).await)
        }
        CaseCommand::Report { common, department, subject_name, subject_code, content, applicant } => {
            let (app, p) = with(&common).await?;
            let o = ReportIn {
                department,
                subject_name,
                subject_code,
                content,
                reporter: contact(&applicant),
                files: read_files(&applicant.files)?,
                challenge: None,
            };
            answer(cases::file_report(&app, &p, &o).await)
        }
        CaseCommand::Extend { common, number, days, reason } => {
            let (app, p) = with(&common).await?;
            answer(cases::extend(&app, &p, &number, &ExtendIn { days, reason }).await)
        }
        CaseCommand::Decide { common, number, outcome, reason, fields, reward } => {
            let (app, p) = with(&common).await?;
            let mut map = std::collections::BTreeMap::new();
            for f in &fields {
                let (k, v) = f.split_once('=').ok_or_else(|| unusable(format!("--field 应为 CODE=VALUE:{f}")))?;
                map.insert(k.trim().to_string(), v.to_string());
            }
            answer(cases::decide(&app, &p, &number, &DecideIn { outcome, reason, fields: map, reward }).await)
        }
        CaseCommand::Commit { common, department, kind, matter, content } => {
            let (app, p) = with(&common).await?;
            answer(cases::commit(&app, &p, &CommitIn { department, kind, matter, content }).await)
        }
        CaseCommand::Breach { common, record, date, description } => {
            let (app, p) = with(&common).await?;
            answer(cases::breach(&app, &p, record, &BreachIn { date, description }).await)
        }
        CaseCommand::Expire { data } => {
            let app = open(&data).await?;
            let n = cases::record_expiries(&app, app.clock.today()).await?;
            println!("{}", serde_json::json!({ "recorded": n }));
            Ok(())
        }
    }
}
