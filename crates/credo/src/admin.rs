//! `credo dept`, `credo user` and `credo audit`: the operators' commands on the local data directory. Every
//! change is audited with the operating-system user as the actor.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use credo_app::App;
use credo_app::accounts::{self, AccountError, AccountRequest};
use credo_domain::ids;
use credo_store::Permissions;

use crate::{open, unusable};

/// What a department may do.
#[derive(clap::Args)]
pub struct Rights {
    /// 可报送的目录项,逗号分隔(如 xzxk,xzcf)
    #[arg(long, default_value = "")]
    items: String,
    /// 可使用的核查场景,逗号分隔(如 zfcg,ztb)
    #[arg(long, default_value = "")]
    scenes: String,
    /// 可读取的公开属性,逗号分隔(公开,政务共享,授权查询)
    #[arg(long, default_value = "公开")]
    disclosure: String,
    /// 可查阅的受限档案,逗号分隔(如 gwyda,公务员诚信档案;只授予组织、人事部门)
    #[arg(long, default_value = "")]
    archives: String,
    /// 金融机构:可发布融资产品、办理融资申请
    #[arg(long)]
    lending: bool,
}

#[derive(Subcommand)]
pub enum DeptCommand {
    /// 登记部门(默认只能读取公开信息;报送目录项、核查场景须授权)
    Add {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        uscc: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        grant: Rights,
    },
    /// 设置部门权限(覆盖原有权限)
    Grant {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        uscc: String,
        #[command(flatten)]
        grant: Rights,
    },
    /// 为部门生成 API 密钥(只显示一次)
    Key {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        uscc: String,
        /// 密钥权限,逗号分隔:submit(报送)、check(核查)
        #[arg(long, default_value = "submit")]
        scopes: String,
        /// 有效天数(1–1095)
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// 用途(信用服务机构的密钥必填)
        #[arg(long)]
        purpose: Option<String>,
        /// 每日调用上限(北京时间;信用服务机构的密钥必填)
        #[arg(long)]
        daily_quota: Option<i64>,
    },
    /// 吊销 API 密钥(按前缀)
    Revoke {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        prefix: String,
    },
    /// 列出部门
    List {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// 创建账号:未给密码时生成一个;运营与部门账号同时生成动态口令(TOTP)密钥。二者只显示这一次
    Add {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        username: String,
        /// 姓名或名称
        #[arg(long)]
        name: String,
        /// sysadmin 系统管理员、secadmin 安全管理员、auditor 审计管理员、reviewer 信用审核员、
        /// submitter 部门报送员、checker 部门核查员、handler 部门案件办理员、subject 信用主体
        #[arg(long)]
        role: String,
        /// 部门统一社会信用代码(部门账号)
        #[arg(long)]
        dept: Option<String>,
        /// 主体代码(信用主体账号,须先经运营人员核验)
        #[arg(long)]
        subject: Option<String>,
        /// 区县管理员:账号只管理该区县(行政区划代码,如 630102 城东区)的部门及其密钥与账号(系统管理员、安全管理员)
        #[arg(long)]
        region: Option<String>,
        /// 从标准输入读取密码
        #[arg(long)]
        password_stdin: bool,
    },
    /// 重设密码(未用 --password-stdin 时生成新密码),同时解锁并结束该账号的所有会话
    Passwd {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// 重新生成动态口令(TOTP)密钥(只显示一次)
    Totp {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        username: String,
    },
    /// 停用账号(结束其所有会话);加 --enable 重新启用
    Disable {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        enable: bool,
    },
    /// 列出账号
    List {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// 校验审计日志(归档文件、HMAC-SM3 密钥链、SM2 签名检查点与锚定文件):完整时退出码 0,否则 1 并指出第一条被改动、删除或调序的记录;
    /// 最后一个锚定检查点之后的记录数报告为 not_yet_anchored
    Verify {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
    /// 导出审计事件(JSON Lines,含链哈希,可离线复核)
    Export {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 从该序号之后开始
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// 只导出该时间(RFC 3339 或 YYYY-MM-DD)之后的事件
        #[arg(long)]
        since: Option<String>,
    },
    /// 用平台 SM2 私钥签署当前链头,并追加到锚定文件(CREDO_AUDIT_ANCHOR,默认 DATA/audit-anchor.jsonl;服务运行时每 10 分钟及退出时自动签署)
    Checkpoint {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
    /// 将超过保留期的事件移入归档文件(不删除;保留期不少于 180 天)
    Archive {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long, default_value_t = 180)]
        keep_days: i64,
    },
}

/// Audits an operator action taken on the command line (the local operating-system user is the actor).
pub async fn cli_audit(app: &App, action: &str, target: &str, result: &str) -> anyhow::Result<()> {
    let actor = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    app.store
        .append_audit(&credo_store::AuditEvent {
            actor: format!("cli:{actor}"),
            role: "operator".into(),
            department: None,
            action: action.into(),
            target: Some(target.into()),
            purpose: None,
            result: result.into(),
            client: Some("local".into()),
        })
        .await?;
    Ok(())
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn permissions(app: &App, g: &Rights) -> anyhow::Result<Permissions> {
    let p = Permissions {
        items: list(&g.items),
        scenes: list(&g.scenes),
        disclosure: list(&g.disclosure),
        archives: list(&g.archives),
        lending: g.lending,
    };
    credo_app::accounts::check_permissions(app, &p).map_err(unusable)?;
    Ok(p)
}

/// A service's refusal as the command's: its client errors are unusable input (exit code 2).
fn exit(e: credo_app::Error) -> anyhow::Error {
    if e.is_client_error() { unusable(e.detail) } else { anyhow::anyhow!("{}", e.detail) }
}

async fn department(app: &App, uscc: &str) -> anyhow::Result<credo_store::Department> {
    let code = ids::prepare(uscc);
    app.store
        .department_by_uscc(&code)
        .await?
        .ok_or_else(|| unusable(format!("没有代码为“{code}”的部门,请先 credo dept add")))
}

pub async fn dept(command: DeptCommand) -> anyhow::Result<()> {
    match command {
        DeptCommand::Add { data, uscc, name, region, grant } => {
            let app = open(&data).await?;
            let permissions = permissions(&app, &grant)?;
            let d = credo_app::admin::add_department(&app, &uscc, &name, region, "cli:dept add", None)
                .await
                .map_err(exit)?;
            let d = credo_app::admin::set_permissions(&app, &d.uscc, &permissions, None).await.map_err(exit)?;
            cli_audit(&app, "dept.add", &d.uscc, "ok").await?;
            println!("{}", serde_json::to_string(&d)?);
        }
        DeptCommand::Grant { data, uscc, grant } => {
            let app = open(&data).await?;
            department(&app, &uscc).await?;
            let p = permissions(&app, &grant)?;
            let d = credo_app::admin::set_permissions(&app, &uscc, &p, None).await.map_err(exit)?;
            cli_audit(&app, "dept.permissions", &d.uscc, &serde_json::to_string(&p)?).await?;
            println!("{}", serde_json::to_string(&d)?);
        }
        DeptCommand::Key { data, uscc, scopes, days, purpose, daily_quota } => {
            let app = open(&data).await?;
            let d = department(&app, &uscc).await?;
            let terms = credo_app::keys::Terms { purpose, daily_quota };
            let (full, key) =
                credo_app::admin::issue_key(&app, &d.uscc, &[scopes], days, terms, "cli", None).await.map_err(exit)?;
            cli_audit(&app, "dept.key.create", &format!("{} key:{}", d.uscc, key.prefix), "ok").await?;
            eprintln!("请妥善保存该密钥,它只显示这一次。");
            println!(
                "{}",
                serde_json::json!({ "department": d.uscc, "prefix": key.prefix, "key": full, "record": key })
            );
        }
        DeptCommand::Revoke { data, prefix } => {
            let app = open(&data).await?;
            let revoked = credo_app::admin::revoke_key(&app, &prefix, None).await;
            let result = if revoked.is_ok() { "ok" } else { "not_found" };
            cli_audit(&app, "dept.key.revoke", &format!("key:{prefix}"), result).await?;
            revoked.map_err(exit)?;
            println!("{}", serde_json::json!({ "revoked": prefix }));
        }
        DeptCommand::List { data } => {
            let app = open(&data).await?;
            for d in app.store.departments().await? {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

fn account_error(e: AccountError) -> anyhow::Error {
    match e {
        AccountError::Invalid(m) | AccountError::Conflict(m) | AccountError::NotFound(m) => unusable(m),
        AccountError::Store(e) => e.into(),
    }
}

async fn account(app: &App, username: &str) -> anyhow::Result<credo_store::Account> {
    app.store.account_by_username(username).await?.ok_or_else(|| unusable(format!("没有账号“{username}”")))
}

pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { data, username, name, role, dept, subject, region, password_stdin } => {
            let password = read_password(password_stdin)?;
            let app = open(&data).await?;
            let req = AccountRequest { username, name, role, department: dept, subject, password, region };
            let created = accounts::create(&app, req, "cli").await.map_err(account_error)?;
            cli_audit(&app, "account.create", &format!("account:{}", created.account.username), "ok").await?;
            eprintln!("账号已创建。生成的密码与动态口令密钥只显示这一次,请当面交给使用人。");
            println!("{}", serde_json::to_string(&created)?);
        }
        UserCommand::Passwd { data, username, password_stdin } => {
            let given = read_password(password_stdin)?;
            let app = open(&data).await?;
            let a = account(&app, &username).await?;
            let password = given.clone().unwrap_or_else(accounts::generate_password);
            accounts::set_password(app.store.as_ref(), &a, &password).await.map_err(account_error)?;
            app.store.unlock(a.id).await?;
            cli_audit(&app, "account.password", &format!("account:{username}"), "ok").await?;
            let shown = given.is_none().then_some(password);
            println!("{}", serde_json::json!({ "username": username, "password": shown, "sessions_ended": true }));
        }
        UserCommand::Totp { data, username } => {
            let app = open(&data).await?;
            let a = account(&app, &username).await?;
            let (secret, setup) = accounts::new_totp(&a.username);
            app.store.set_totp(a.id, Some(&secret)).await?;
            cli_audit(&app, "account.totp", &format!("account:{username}"), "ok").await?;
            println!("{}", serde_json::json!({ "username": username, "totp": setup }));
        }
        UserCommand::Disable { data, username, enable } => {
            let app = open(&data).await?;
            let a = account(&app, &username).await?;
            app.store.set_disabled(a.id, !enable).await?;
            let action = if enable { "account.enable" } else { "account.disable" };
            cli_audit(&app, action, &format!("account:{username}"), "ok").await?;
            println!("{}", serde_json::json!({ "username": username, "disabled": !enable }));
        }
        UserCommand::List { data } => {
            let app = open(&data).await?;
            for a in app.store.accounts().await? {
                println!("{}", serde_json::to_string(&a)?);
            }
        }
    }
    Ok(())
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { data } => {
            let app = open(&data).await?;
            let report = credo_app::audit::report(&app).await?;
            println!("{report}");
            if report["intact"] != true {
                anyhow::bail!("{}", report["message"].as_str().unwrap_or("审计日志不完整"));
            }
            if let Some(n) = report["not_yet_anchored"].as_i64().filter(|n| *n > 0) {
                eprintln!("最后一个锚定检查点之后还有 {n} 条记录尚未锚定(下一个检查点签署后受保护)");
            }
        }
        AuditCommand::Export { data, after, since } => {
            let app = open(&data).await?;
            let since = since.map(|s| if s.len() == 10 { format!("{s}T00:00:00+08:00") } else { s });
            let since = since
                .map(|s| {
                    time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| unusable(format!("时间“{s}”格式不正确,应为 YYYY-MM-DD 或 RFC 3339")))
                })
                .transpose()?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut last = after;
            let mut n = 0;
            loop {
                let page = app.store.audit_after(last, 10_000).await?;
                let Some(end) = page.last() else { break };
                last = end.seq;
                for e in &page {
                    let at = time::OffsetDateTime::parse(&e.at, &time::format_description::well_known::Rfc3339).ok();
                    if since.is_some_and(|s| at.is_some_and(|t| t < s)) {
                        continue;
                    }
                    serde_json::to_writer(&mut out, e)?;
                    std::io::Write::write_all(&mut out, b"\n")?;
                    n += 1;
                }
            }
            std::io::Write::flush(&mut out)?;
            drop(out);
            cli_audit(&app, "audit.export", &format!("after:{after}"), &format!("events={n}")).await?;
        }
        AuditCommand::Checkpoint { data } => {
            let app = open(&data).await?;
            let c = credo_app::audit::checkpoint(&app).await?;
            let anchor = credo_app::audit::anchor_path(&app.data_dir);
            // `checkpoint` is the line appended to the anchor file: it can also be sent to an outside notary.
            println!("{}", serde_json::json!({ "checkpoint": c, "anchor": anchor.display().to_string() }));
        }
        AuditCommand::Archive { data, keep_days } => {
            let app = open(&data).await?;
            let done = credo_app::audit::archive(&app, keep_days).await.map_err(|e| unusable(e.to_string()))?;
            let (file, events) = match done {
                Some((f, n)) => (Some(f.display().to_string()), n),
                None => (None, 0),
            };
            cli_audit(&app, "audit.archive", &format!("keep_days:{keep_days}"), &format!("events={events}")).await?;
            println!("{}", serde_json::json!({ "archived": events, "file": file }));
        }
    }
    Ok(())
}
