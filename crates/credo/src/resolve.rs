//! `credo resolve`: the unresolved queue and judgements from the command line, as the account named by `--as`
//! (a 信用审核员, or a department's 报送员 for its own records), under the same rules as the API
//! (`credo_app::resolve`). Output is JSON; refused input exits with code 2.

use clap::Subcommand;
use credo_app::resolve::{self, Ask};
use credo_store::{Decision, Target};

use crate::cases::{Common, answer, with};
use crate::unusable;

#[derive(Subcommand)]
pub enum ResolveCommand {
    /// 待匹配记录(本部门;信用审核员:全部),每条附候选主体
    List {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// 一条待匹配记录:候选主体、匹配理由与已有判断
    Show {
        #[command(flatten)]
        common: Common,
        record: i64,
    },
    /// 判断为同一主体:记录关联到主体(record:ID)、两主体合并(subject:ID)或旧代码关联(code:代码)
    Same(Judge),
    /// 判断为不是同一主体(此后不再推荐)
    Different(Judge),
    /// 无法确定(留待进一步核实)
    Unsure(Judge),
    /// 撤销一项判断(关联、合并或代码关联随之还原)
    Undo {
        #[command(flatten)]
        common: Common,
        judgement: i64,
    },
    /// 判断记录(某对象或某主体的,或全部),新的在前
    Judgements {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        subject: Option<i64>,
    },
}

#[derive(clap::Args)]
pub struct Judge {
    #[command(flatten)]
    common: Common,
    /// 判断对象:record:记录编号、subject:主体编号 或 code:旧代码(注册号、组织机构代码……)
    target: String,
    /// 主体编号
    subject: i64,
    /// 判断理由
    #[arg(long)]
    reason: String,
}

fn target(s: &str) -> anyhow::Result<Target> {
    Target::parse(s).ok_or_else(|| unusable(format!("“{s}”不是判断对象:应为 record:编号、subject:编号 或 code:代码")))
}

async fn judge(j: Judge, decision: Decision) -> anyhow::Result<()> {
    let (app, p) = with(&j.common).await?;
    let ask = Ask { target: target(&j.target)?, subject_id: j.subject, decision, reason: j.reason };
    answer(resolve::judge(&app, &p, ask).await)
}

pub async fn run(command: ResolveCommand) -> anyhow::Result<()> {
    match command {
        ResolveCommand::List { common, limit } => {
            let (app, p) = with(&common).await?;
            let department = match &p {
                credo_app::principal::Principal::Account { role: credo_app::principal::Role::Reviewer, .. } => None,
                p => Some(p.department().ok_or_else(|| unusable("该账号不属于任何部门"))?.id),
            };
            let mut out = Vec::new();
            for r in app.store.unresolved(department, limit.clamp(1, 200), 0).await? {
                match resolve::queued(&app, &p, r.id).await {
                    Ok(q) => out.push(q),
                    Err(e) => return answer(Err::<(), _>(e)),
                }
            }
            answer(Ok(out))
        }
        ResolveCommand::Show { common, record } => {
            let (app, p) = with(&common).await?;
            answer(resolve::queued(&app, &p, record).await)
        }
        ResolveCommand::Same(j) => judge(j, Decision::Same).await,
        ResolveCommand::Different(j) => judge(j, Decision::Different).await,
        ResolveCommand::Unsure(j) => judge(j, Decision::Unsure).await,
        ResolveCommand::Undo { common, judgement } => {
            let (app, p) = with(&common).await?;
            answer(resolve::undo(&app, &p, judgement).await)
        }
        ResolveCommand::Judgements { common, target: t, subject } => {
            let (app, p) = with(&common).await?;
            let t = t.as_deref().map(target).transpose()?;
            answer(resolve::judgements(&app, &p, t.as_ref(), subject).await)
        }
    }
}
