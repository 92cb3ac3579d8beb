//! `credo`: the 信用西宁 platform in one binary.
//!
//! Exit codes: 0 success, 1 failure, 2 unusable input (unknown item, unreadable file, no matching header …), 3 a file
//! imported only in part (`credo import`: it could not be read to its end; the report says from which row).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use credo_app::{App, Clock};
use credo_domain::catalog::Catalog;
use credo_domain::ids;
use credo_store::NewDepartment;

mod admin;
mod cases;
mod demo;
mod grade;
mod integrity;
mod programmes;
mod resolve;
mod zh;

use admin::{AuditCommand, DeptCommand, UserCommand};

// Import and indexing allocate many small strings; mimalloc halves the time glibc's allocator spent on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "credo", version, about = "信用西宁 公共信用信息平台")]
struct Cli {
    /// 存储地址:postgres://用户:密码@主机:端口/数据库(默认:数据目录中的 SQLite)
    #[arg(long, global = true, env = "CREDO_STORE")]
    store: Option<String>,
    /// 只读副本地址(PostgreSQL 流复制备库):搜索、核查索引、公示名单与公开页面从这里读取
    #[arg(long, global = true, env = "CREDO_READ_STORE")]
    read_store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The store every command opens (`--store`, `CREDO_STORE`): set once, before the command runs.
static STORE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

fn store_url() -> Option<&'static str> {
    STORE.get().and_then(Option::as_deref)
}

/// The streaming replica reads may go to (`--read-store`, `CREDO_READ_STORE`).
static READ_STORE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

#[derive(Subcommand)]
enum Command {
    /// 生成演示数据并启动平台(默认 127.0.0.1:8080)
    Demo {
        #[arg(long, default_value = "data/demo")]
        data: PathBuf,
        #[command(flatten)]
        opts: ServeOptions,
        /// 演示主体数量
        #[arg(long, default_value_t = 20_000)]
        subjects: usize,
        /// 只生成数据,不启动服务
        #[arg(long)]
        no_serve: bool,
    },
    /// 启动平台服务
    Serve {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[command(flatten)]
        opts: ServeOptions,
    },
    /// 导入一个部门文件(CSV、XLSX、JSON)
    Import {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 目录项代码,如 xzcf、xzxk
        #[arg(long)]
        item: String,
        /// 提交部门的统一社会信用代码
        #[arg(long)]
        dept: String,
        /// XLSX 工作表名称(默认第一个)
        #[arg(long)]
        sheet: Option<String>,
        /// 行级报告输出路径(CSV)
        #[arg(long)]
        report: Option<PathBuf>,
        file: PathBuf,
    },
    /// 代码校验
    Id {
        #[command(subcommand)]
        command: IdCommand,
    },
    /// 部门与 API 密钥管理
    Dept {
        #[command(subcommand)]
        command: DeptCommand,
    },
    /// 账号管理
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 审计日志
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 升级存储结构(执行待执行的迁移);PostgreSQL 须在启动新版本前执行
    Migrate {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
    /// 备份 SQLite 存储到一个新文件(服务运行时亦可);PostgreSQL 用 pg_basebackup(见 docs/scale.md)
    Backup {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 备份文件(不得已存在)
        out: PathBuf,
    },
    /// 用备份文件恢复 SQLite 存储(服务须已停止;原数据库改名保留)
    Restore {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// credo backup 生成的备份文件
        file: PathBuf,
    },
    /// 开放数据导出:公众当日可见的记录(只含公开字段,证件号码已遮蔽)。csv:一个目录项,国家标准模板表头;
    /// jsonl:每行一条记录;ftm:FollowTheMoney 实体(主体与处罚、名单记录)
    Export {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        #[arg(long, value_parser = ["csv", "jsonl", "ftm"])]
        format: String,
        /// 只导出这些目录项(可重复;csv 须且只能给一个)
        #[arg(long)]
        item: Vec<String>,
        /// 输出文件(写完后才出现,不会留下半个文件)
        #[arg(long)]
        out: PathBuf,
    },
    /// 生成当日的开放数据快照(数据目录 open/日期/:各目录项的 CSV 与 JSON 行、与前一份快照相比的增量、SM3 摘要与
    /// SM2 签名的清单);服务每天自动生成,当日已有则不再生成
    Snapshot {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
    /// 导出整个存储(每张表的每一行,JSON 行),用于迁移到另一存储;导出时请停止写入
    ExportStore {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 输出文件(默认标准输出)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// 把 credo export-store 的文件导入一个空存储(须使用原部署的密钥环)
    ImportStore {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        file: PathBuf,
    },
    /// 从存储重建搜索索引,并丢弃核查索引的快照(各服务下次启动时从记录重建)
    Reindex {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
    },
    /// 联合奖惩核查:输出与 POST /api/v1/checks 相同的签名回执(JSON)
    Check {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 核查场景:zfcg、ztb、tdcr、xzxk、czzj、pypx、rzzg、gxf、jg
        #[arg(long)]
        scene: String,
        /// 核查事由
        #[arg(long, default_value = "命令行核查")]
        purpose: String,
        /// 业务编号(如项目编号)
        #[arg(long)]
        reference: Option<String>,
        /// 按该日(YYYY-MM-DD)平台所知的信息核查
        #[arg(long)]
        as_of: Option<String>,
        /// 统一社会信用代码、身份证号码或名称
        #[arg(required = true)]
        subjects: Vec<String>,
    },
    /// 出具信用报告(PDF,内附签署的 report.json 与 SM2 签名,登记后可在 /verify 核验):公共信用信息报告、专项信用报告,或窗口为主体本人打印的本人报告
    Report {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 报告种类:public(公共信用信息报告,仅公开信息)、special(专项信用报告)、own(本人查询的公共信用信息报告:全部字段,含本人证件号码,自然人亦可)
        #[arg(long, default_value = "public")]
        kind: String,
        /// 信息截止日期(YYYY-MM-DD):重放平台当日所知的信息;默认今天
        #[arg(long)]
        as_of: Option<String>,
        /// 专项信用报告的领域代码(catalog/reports.toml 的 field,如 scjg 市场监管);默认覆盖全部领域
        #[arg(long)]
        field: Option<String>,
        /// 写出的 PDF 文件
        #[arg(long)]
        out: PathBuf,
        /// 主体的统一社会信用代码、身份证号码(本人报告)或其他登记代码
        code: String,
    },
    /// 撤销误出具的信用报告:此后在 /verify 核验时显示“已撤销”及理由
    RevokeReport {
        #[arg(long, env = "CREDO_DATA")]
        data: PathBuf,
        /// 撤销理由
        #[arg(long)]
        reason: String,
        /// 报告编号
        number: String,
    },
    /// 核验信用报告 PDF:签名出自平台公钥,且文件正是所签内容的排版(改动任一字节即不通过);有效时退出码 0,否则 1
    Verify {
        file: PathBuf,
        /// 平台公钥(PEM,可多次给出:密钥轮换后的旧报告);与 --data 至少给出一个
        #[arg(long)]
        public_key: Vec<PathBuf>,
        /// 数据目录:用其密钥环中的平台公钥
        #[arg(long, env = "CREDO_DATA")]
        data: Option<PathBuf>,
    },
    /// 离线校验核查回执:包含证明与 SM2 签名(docs/receipts.md);有效时退出码 0,否则 1
    VerifyReceipt {
        file: PathBuf,
        /// 平台公钥(PEM);给出时还核对回执所附公钥与之相同
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// 异议、信用修复、信用承诺、举报的办理
    Case {
        #[command(subcommand)]
        command: cases::CaseCommand,
    },
    /// 主体识别:待匹配记录的候选主体,同一/不同/无法确定的判断(关联记录、合并主体、关联旧代码)及其撤销
    Resolve {
        #[command(subcommand)]
        command: resolve::ResolveCommand,
    },
    /// 信用评价:按评价方案(catalog/evaluation)计算、说明主体的等级
    Grade {
        #[command(subcommand)]
        command: grade::GradeCommand,
    },
    /// 分类监管:按评价等级分层的双随机抽查(抽取、公示、录入结果)
    Supervise {
        #[command(subcommand)]
        command: grade::SuperviseCommand,
    },
    /// 工作日计算(法定节假日与调休)
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// 公示期限:按目录项、失信程度和决定日期输出 {"shown_from", "repairable_from", "shown_until"}
    Publicity {
        /// 目录项代码(xzcf、yzsx、jyyc …)
        #[arg(long)]
        item: String,
        /// 失信程度:轻微、一般、严重
        #[arg(long)]
        class: String,
        /// 决定(认定)日期 YYYY-MM-DD
        #[arg(long)]
        decided: String,
        /// 作出决定的部门名称(市场监管、药品监管部门适用总局令第45号)
        #[arg(long, default_value = "")]
        department: String,
        /// 处罚依据(如“《中华人民共和国食品安全法》第一百二十四条”):判断是否属食品、药品、特种设备、安全生产、消防领域
        #[arg(long)]
        basis: Option<String>,
        /// 公示日期 YYYY-MM-DD(总局令第45号的期限自公示之日起计算)
        #[arg(long)]
        published: Option<String>,
    },
    /// 生成合成数据文件(用于测试与基准)
    Synth {
        /// 目录项(目前支持 xzcf)
        #[arg(long, default_value = "xzcf")]
        item: String,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 200_000)]
        subjects: usize,
        /// 随机种子:同一种子生成同一文件;不同种子的文件文书号互不相同,可先后导入同一数据目录
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// 输出某日之后第 N 个工作日
    Add {
        date: String,
        /// 工作日数(至多 10000,约四十年)
        #[arg(value_parser = clap::value_parser!(u32).range(..=10_000))]
        days: u32,
    },
    /// 输出两日之间(不含起始日、含终止日)的工作日数
    Between { from: String, to: String },
    /// 输出某年的节假日与调休上班日(JSON),及其依据;未公布安排的年份按法定节假日计算并标为暂定
    Year { year: i32 },
}

#[derive(Subcommand)]
enum IdCommand {
    /// 从标准输入逐行读取代码,每行输出一个 JSON 对象
    Validate,
}

/// An error that means the input was unusable (exit code 2) rather than a failure (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unusable(String);

fn unusable(msg: impl Into<String>) -> anyhow::Error {
    Unusable(msg.into()).into()
}

/// A service's refusal: unusable input (exit code 2) when it is the request's fault, a failure (1) when the
/// platform's.
fn refused(e: credo_app::Error) -> anyhow::Error {
    if e.status() >= 500 { anyhow::anyhow!(e.detail) } else { unusable(e.detail) }
}

/// `credo export`: writes beside `out` and renames when done; prints what it wrote as JSON.
async fn export(data: &Path, format: &str, items: &[String], out: &Path) -> anyhow::Result<()> {
    let format = credo_app::export::Format::parse(format).ok_or_else(|| unusable(format!("未知的格式“{format}”")))?;
    let app = open(data).await?;
    let items = credo_app::exchange::check_items(&app.catalog, items).map_err(refused)?;
    let tmp = out.with_extension("partial");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    let written = credo_app::export::export(&app, format, &items, &mut file).await.map_err(refused);
    drop(file);
    match written {
        Ok(w) => {
            std::fs::rename(&tmp, out)?;
            println!("{}", serde_json::to_string(&w)?);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn main() -> ExitCode {
    // CREDO_LOG sets the level (`info`, `warn,credo_app=debug` …); CREDO_LOG_FORMAT=json writes one JSON object a
    // line (time, level, target, fields, spans), for a log collector.
    let filter = tracing_subscriber::EnvFilter::try_from_env("CREDO_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("CREDO_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(false).init();
    } else {
        logs.init();
    }
    let cli = match zh::localize(Cli::command()).try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => match zh::message(&e) {
            Some(m) => {
                eprintln!("{m}");
                return ExitCode::from(2);
            }
            // Help and version: printed as clap prints them (the templates are Chinese).
            None => e.exit(),
        },
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误:无法启动运行时:{e}");
            return ExitCode::from(1);
        }
    };
    STORE.set(cli.store.clone()).ok();
    READ_STORE.set(cli.read_store.clone()).ok();
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<Unusable>().is_some() => {
            eprintln!("错误:{e}");
            ExitCode::from(2)
        }
        Err(e) if e.downcast_ref::<Partial>().is_some() => {
            eprintln!("未全部导入:{e}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("错误:{e:#}");
            ExitCode::from(1)
        }
    }
}

fn catalog() -> anyhow::Result<Catalog> {
    Ok(Catalog::from_files(credo_domain::embedded::FILES.iter().copied())?)
}

async fn open(data: &Path) -> anyhow::Result<App> {
    let app = App::open_with(data, store_url(), catalog()?, Clock::System).await?;
    match READ_STORE.get().and_then(Option::as_deref) {
        Some(url) => app.with_read_store(url).await,
        None => Ok(app),
    }
}

/// `credo backup`: a consistent copy of the SQLite database, taken while the platform runs.
async fn backup(data: &Path, out: &Path) -> anyhow::Result<()> {
    if store_url().is_some() {
        return Err(unusable("PostgreSQL 存储请用 pg_basebackup 与 WAL 归档备份(见 docs/scale.md)"));
    }
    if out.exists() {
        return Err(unusable(format!("{} 已存在,不会覆盖", out.display())));
    }
    let ring = credo_gm::keyring::Keyring::load_or_create(&credo_app::keyring_path(data))?;
    let vault = std::sync::Arc::new(credo_store::Vault::new(&ring, catalog()?.sensitive_fields())?);
    let store = credo_store::SqliteStore::open(data, vault).await?;
    store.backup_to(out).await?;
    let bytes = std::fs::metadata(out)?.len();
    println!("{}", serde_json::json!({ "backup": out.display().to_string(), "bytes": bytes }));
    Ok(())
}

/// `credo restore`: puts a backup in place of the SQLite database, keeping the database it replaces beside it. The
/// server must be stopped (it holds `jobs.lock`); the file must be a sound Credo database.
async fn restore(data: &Path, file: &Path) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    if store_url().is_some() {
        return Err(unusable("PostgreSQL 存储请按 docs/scale.md 用基础备份与 WAL 恢复"));
    }
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(data.join("jobs.lock"))?;
    if lock.try_lock().is_err() {
        return Err(unusable("平台服务正在使用该数据目录:请先停止 credo serve 再恢复"));
    }
    let url = format!("sqlite://{}?mode=ro", file.display());
    let sound = match sqlx::SqliteConnection::connect(&url).await {
        Ok(mut c) => {
            let check: String =
                sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await.unwrap_or_default();
            let ours: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
                .fetch_optional(&mut c)
                .await
                .ok()
                .flatten();
            c.close().await.ok();
            check == "ok" && ours.is_some()
        }
        Err(_) => false,
    };
    if !sound {
        return Err(unusable(format!("{} 不是完好的 credo 数据库备份", file.display())));
    }
    let db = data.join("credo.sqlite");
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let kept = data.join(format!("credo.sqlite.replaced-{stamp}"));
    if db.exists() {
        std::fs::rename(&db, &kept)?;
    }
    for side in ["credo.sqlite-wal", "credo.sqlite-shm"] {
        let path = data.join(side);
        if path.exists() {
            std::fs::rename(&path, data.join(format!("{side}.replaced-{stamp}")))?;
        }
    }
    std::fs::copy(file, &db)?;
    println!("{}", serde_json::json!({ "restored": file.display().to_string(), "replaced": db_kept(&kept) }));
    drop(lock);
    Ok(())
}

fn db_kept(path: &Path) -> Option<String> {
    path.exists().then(|| path.display().to_string())
}

/// `credo migrate`: applies what the store's schema lacks and says what it did.
async fn migrate(data: &Path) -> anyhow::Result<()> {
    match credo_app::StoreUrl::parse(store_url())? {
        credo_app::StoreUrl::Postgres(url) => {
            let applied = credo_store::PgStore::migrate_database(&url).await?;
            println!("{}", serde_json::json!({ "store": "postgres", "applied": applied }));
        }
        credo_app::StoreUrl::Sqlite => {
            // SQLite applies its migrations when it is opened.
            open(data).await?;
            println!("{}", serde_json::json!({ "store": "sqlite", "applied": "opened and migrated" }));
        }
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { data, opts, subjects, no_serve } => demo::run(&data, &opts, subjects, no_serve).await,
        Command::Serve { data, opts } => serve(open(&data).await?, &opts).await,
        Command::Import { data, item, dept, sheet, report, file } => {
            import(&data, &item, &dept, sheet.as_deref(), report, &file).await
        }
        Command::Id { command: IdCommand::Validate } => validate_ids(),
        Command::Dept { command } => admin::dept(command).await,
        Command::Audit { command } => admin::audit(command).await,
        Command::Case { command } => cases::run(command).await,
        Command::Resolve { command } => resolve::run(command).await,
        Command::Grade { command } => grade::grade(command).await,
        Command::Supervise { command } => grade::supervise(command).await,
        Command::User { command } => admin::user(command).await,
        Command::Migrate { data } => migrate(&data).await,
        Command::Backup { data, out } => backup(&data, &out).await,
        Command::Restore { data, file } => restore(&data, &file).await,
        Command::Export { data, format, item, out } => export(&data, &format, &item, &out).await,
        Command::Snapshot { data } => {
            let app = open(&data).await?;
            let today = app.clock.today();
            match credo_app::snapshots::take(&app, today).await.map_err(refused)? {
                Some(m) => println!("{}", serde_json::to_string(&m)?),
                None => println!(
                    "{today} 的快照已存在:{}",
                    credo_app::snapshots::root(&app).join(today.to_string()).display()
                ),
            }
            Ok(())
        }
        Command::ExportStore { data, out } => {
            let (store, _, _) = credo_app::open_store(&data, store_url(), &catalog()?).await?;
            let counts = match out {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(
                        std::fs::File::create_new(&path)
                            .map_err(|e| unusable(format!("无法创建 {}:{e}", path.display())))?,
                    );
                    credo_app::portable::export(store.as_ref(), &mut file).await?
                }
                None => {
                    credo_app::portable::export(store.as_ref(), &mut std::io::BufWriter::new(std::io::stdout())).await?
                }
            };
            eprintln!("{}", serde_json::json!({ "exported": counts }));
            Ok(())
        }
        Command::ImportStore { data, file } => {
            if !credo_app::keyring_path(&data).exists() {
                return Err(unusable(format!(
                    "找不到密钥环 {}:导入的数据用原部署的密钥环加密,请先把它复制到这里(或设置 CREDO_KEYRING)",
                    credo_app::keyring_path(&data).display()
                )));
            }
            let input = std::fs::File::open(&file).map_err(|e| unusable(format!("无法读取 {}:{e}", file.display())))?;
            let (store, _, _) = credo_app::open_store(&data, store_url(), &catalog()?).await?;
            let counts = credo_app::portable::import(store.as_ref(), &mut std::io::BufReader::new(input))
                .await
                .map_err(|e| match e.downcast_ref::<credo_app::Error>() {
                    Some(refused) => unusable(refused.detail.clone()),
                    None => e,
                })?;
            println!("{}", serde_json::json!({ "imported": counts }));
            Ok(())
        }
        Command::Reindex { data } => {
            let app = open(&data).await?;
            let n = credo_app::feed::reindex(&app).await?;
            let discarded = credo_app::checks::Index::discard_snapshot(&app).await?;
            println!("{}", serde_json::json!({ "indexed": n, "checks_index_snapshot_discarded": discarded }));
            Ok(())
        }
        Command::Check { data, scene, purpose, reference, as_of, subjects } => {
            let app = open(&data).await?;
            let req = credo_app::checks::CheckRequest { scene, purpose, reference, subjects, as_of };
            let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let asker = credo_app::checks::Asker {
                department: None,
                actor: format!("cli:{user}"),
                role: "operator".into(),
                client: Some("local".into()),
            };
            let signed = credo_app::checks::run(&app, &asker, &req).await.map_err(|e| match e {
                credo_app::checks::CheckError::Other(e) => e,
                other => unusable(other.to_string()),
            })?;
            println!("{}", serde_json::to_string_pretty(&signed)?);
            Ok(())
        }
        Command::Report { data, kind, as_of, field, out, code } => {
            use credo_app::reports::{self, Audience};
            let app = open(&data).await?;
            let font = reports::font().map_err(refused)?;
            let (scheme, audience) = match kind.as_str() {
                "own" => {
                    let subject = credo_app::search::subject_by_key(&app, &code).await.map_err(refused)?;
                    ("public", Audience::Own { subject_id: subject.id, by: "cli".into() })
                }
                k => (k, Audience::Public { from: "cli".into() }),
            };
            let asked = reports::Asked { key: &code, kind: scheme, as_of: as_of.as_deref(), field: field.as_deref() };
            let built = reports::build(&app, asked, audience, font).await.map_err(refused)?;
            let (report, pdf) =
                reports::issue(&app, &credo_app::principal::Principal::Anonymous, built).await.map_err(refused)?;
            std::fs::write(&out, &pdf).map_err(|e| unusable(format!("无法写入 {}:{e}", out.display())))?;
            println!(
                "{}",
                serde_json::json!({
                    "number": report.number, "check_code": report.check_code, "kind": report.kind,
                    "file": out.display().to_string(), "bytes": pdf.len(), "sm3": credo_report::digest(&pdf),
                })
            );
            Ok(())
        }
        Command::RevokeReport { data, reason, number } => {
            let app = open(&data).await?;
            let r = credo_app::reports::revoke(&app, &number, &reason).await.map_err(refused)?;
            println!(
                "{}",
                serde_json::json!({ "number": r.number, "revoked_at": r.revoked_at.map(credo_app::beijing::format), "reason": r.revoked_reason })
            );
            Ok(())
        }
        Command::Verify { file, public_key, data } => {
            let pdf = std::fs::read(&file).map_err(|e| unusable(format!("无法读取 {}:{e}", file.display())))?;
            let mut keys = public_key
                .iter()
                .map(|p| std::fs::read_to_string(p).map_err(|e| unusable(format!("无法读取 {}:{e}", p.display()))))
                .collect::<anyhow::Result<Vec<String>>>()?;
            if let Some(dir) = &data {
                // Only an existing keyring: one made up here would vouch for nothing.
                let path = credo_app::keyring_path(dir);
                if !path.exists() {
                    return Err(unusable(format!("{} 中没有密钥环({})", dir.display(), path.display())));
                }
                let keyring = credo_gm::keyring::Keyring::load_or_create(&path)?;
                keys.push(keyring.signer()?.public_key_pem()?);
            }
            if keys.is_empty() {
                return Err(unusable(
                    "请用 --public-key 给出平台公钥(/api/v1/keys/platform.pem),或用 --data 给出数据目录",
                ));
            }
            let font = credo_report::FontSource::from_env().map_err(|e| unusable(e.to_string()))?;
            match credo_report::verify(&pdf, &keys, &font) {
                Ok(r) => {
                    println!(
                        "{}",
                        serde_json::json!({
                            "valid": true, "number": r.number, "kind": r.kind, "subject": r.subject.name,
                            "issued_at": r.issued_at, "sm3": credo_report::digest(&pdf),
                        })
                    );
                    Ok(())
                }
                Err(why) => {
                    println!("{}", serde_json::json!({ "valid": false, "message": why.to_string() }));
                    anyhow::bail!("{why}")
                }
            }
        }
        Command::VerifyReceipt { file, public_key } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| unusable(format!("无法读取 {}:{e}", file.display())))?;
            let key = public_key
                .map(|p| std::fs::read_to_string(&p).map_err(|e| unusable(format!("无法读取 {}:{e}", p.display()))))
                .transpose()?;
            match credo_app::checks::verify_receipt(&text, key.as_deref()) {
                Ok(id) => {
                    if key.is_none() {
                        eprintln!(
                            "注意:未给出 --public-key,只核对了回执所附公钥下的签名;要确认回执由本平台签发,请用平台公布的公钥核对"
                        );
                    }
                    println!(
                        "{}",
                        serde_json::json!({ "valid": true, "receipt": id, "platform_key_checked": key.is_some() })
                    );
                    Ok(())
                }
                Err(why) => {
                    println!("{}", serde_json::json!({ "valid": false, "message": why }));
                    anyhow::bail!("{why}")
                }
            }
        }
        Command::Calendar { command } => {
            let catalog = catalog()?;
            let warning = match command {
                CalendarCommand::Add { date, days } => {
                    let r = catalog.calendar.add_working_days(parse_day(&date)?, days);
                    println!("{}", r.value);
                    r.warning()
                }
                CalendarCommand::Between { from, to } => {
                    let (from, to) = (parse_day(&from)?, parse_day(&to)?);
                    if from > to {
                        return Err(unusable(format!("起始日 {from} 晚于终止日 {to}")));
                    }
                    let r = catalog.calendar.working_days_between(from, to);
                    println!("{}", r.value);
                    r.warning()
                }
                CalendarCommand::Year { year } => {
                    if !(1900..=2099).contains(&year) {
                        return Err(unusable(format!("年份 {year} 超出可处理的范围(1900—2099 年)")));
                    }
                    let (days, basis) = catalog.calendar.year(year);
                    let holidays: Option<serde_json::Map<String, serde_json::Value>> =
                        days.map(|y| y.holidays.iter().map(|(d, n)| (d.to_string(), n.clone().into())).collect());
                    let out = serde_json::json!({
                        "year": year,
                        "source": days.map(|y| y.source.clone()),
                        "verified": days.is_some_and(|y| y.verified),
                        "provisional": basis != credo_domain::calendar::Basis::Table,
                        "holidays": holidays,
                        "workdays": days.map(|y| y.workdays.iter().map(time::Date::to_string).collect::<Vec<_>>()),
                    });
                    println!("{}", serde_json::to_string_pretty(&out)?);
                    // The warning of any day of the year: provisional or weekends only.
                    catalog.calendar.working(time::Date::from_calendar_date(year, time::Month::January, 1)?).warning()
                }
            };
            if let Some(w) = warning {
                eprintln!("注意:{w}");
            }
            Ok(())
        }
        Command::Publicity { item, class, decided, department, basis, published } => {
            let catalog = catalog()?;
            let rules = &catalog.publicity;
            let class = credo_domain::publicity::Class::parse(&class)
                .ok_or_else(|| unusable(format!("失信程度“{class}”无效,应为 轻微、一般 或 严重")))?;
            let decided = parse_day(&decided)?;
            let rule = rules.items.get(&item).ok_or_else(|| unusable(format!("目录项“{item}”没有公示期限规则")))?;
            // The legal basis and the publication date go where the item's rules read them.
            let mut fields = std::collections::BTreeMap::new();
            for (given, field, what) in
                [(&basis, &rule.basis_field, "处罚依据"), (&published, &rule.published_field, "公示日期")]
            {
                let Some(value) = given else { continue };
                let field = field.as_ref().ok_or_else(|| unusable(format!("目录项“{item}”的公示规则不使用{what}")))?;
                fields.insert(field.clone(), value.clone());
            }
            if let Some(p) = &published {
                let p = parse_day(p)?;
                if p < decided {
                    return Err(unusable(format!("公示日期 {p} 早于决定日期 {decided}")));
                }
            }
            let w = rules
                .window_for_class(&item, class, decided, &department, &fields)
                .ok_or_else(|| unusable(format!("目录项“{item}”没有公示期限规则")))?;
            let settings: Vec<serde_json::Value> = w
                .settings
                .iter()
                .map(|s| serde_json::json!({ "code": s.code, "name": s.name, "choice": s.choice, "explanation": s.explanation, "verified": s.verified }))
                .collect();
            let out = serde_json::json!({
                "shown_from": w.shown_from.map(|d| d.to_string()),
                "repairable_from": w.repairable_from.map(|d| d.to_string()),
                "shown_until": w.shown_until.map(|d| d.to_string()),
                "published": w.published,
                "regime_code": w.regime,
                "regime": w.regime_name,
                "period_start": w.start.map(|d| d.to_string()),
                "start_note": w.start_note,
                "notes": w.reasons,
                "settings": settings,
                "verified": w.verified,
            });
            println!("{out}");
            if !w.verified {
                eprintln!("注意:所用规则有未经官方文本核实的部分(见 catalog/publicity.toml 中 verified = false)");
            }
            Ok(())
        }
        Command::Synth { item, rows, subjects, seed, out } => demo::synth_file(&item, rows, subjects, seed, &out),
    }
}

/// A date given on the command line; a bad one is unusable input (exit code 2).
fn parse_day(s: &str) -> anyhow::Result<time::Date> {
    credo_domain::value::parse_date(s).ok_or_else(|| {
        let year: Option<i32> = s.trim().get(..4).and_then(|y| y.parse().ok());
        match year {
            Some(y) if !(1900..=2099).contains(&y) => unusable(format!("日期“{s}”超出可处理的范围(1900—2099 年)")),
            _ => unusable(format!("日期“{s}”无效,应为 YYYY-MM-DD")),
        }
    })
}

/// How the server runs: address, TLS, limits.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ServeOptions {
    #[arg(long, env = "CREDO_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// TLS 证书链(PEM);与 --tls-key 同时给出时以 HTTPS 提供服务
    #[arg(long, env = "CREDO_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS 私钥(PEM)
    #[arg(long, env = "CREDO_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// 每个客户端地址每秒请求上限(0 不限)
    #[arg(long, env = "CREDO_RATE_PER_ADDRESS", default_value_t = 200)]
    rate_per_address: u32,
    /// 每个 API 密钥每秒请求上限(0 不限)
    #[arg(long, env = "CREDO_RATE_PER_KEY", default_value_t = 2000)]
    rate_per_key: u32,
    /// 每个客户端地址每小时可提交的异议和举报件数(0 不限)
    #[arg(long, env = "CREDO_CASE_FORMS_PER_HOUR", default_value_t = 10)]
    case_forms_per_hour: u32,
    /// 每个客户端地址(IPv6 按 /64)每小时可向公众下载的信用报告份数(0 不限)
    #[arg(long, env = "CREDO_REPORTS_PER_HOUR", default_value_t = 30)]
    reports_per_hour: u32,
    /// 会话空闲超时(分钟)
    #[arg(long, env = "CREDO_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: i64,
    /// 审计日志在线保留天数(不少于 180);更早的事件每天移入归档文件
    #[arg(long, env = "CREDO_AUDIT_KEEP_DAYS", default_value_t = 180)]
    audit_keep_days: i64,
    /// 允许向本机与内网地址推送订阅(封闭的政务外网内部署时);默认只推送到公网地址
    #[arg(long, env = "CREDO_WEBHOOK_PRIVATE")]
    webhook_private: bool,
    /// 平台角色:city(市级平台,默认)或 province(省级平台:按 --cities 从各市平台的增量数据接收上报)
    #[arg(long, env = "CREDO_ROLE", default_value = "city", value_parser = ["city", "province"])]
    role: String,
    /// 省级平台接收的各市平台清单(TOML,[[city]]:code、name、url、key、department、items;见 docs/exchange.md)
    #[arg(long, env = "CREDO_CITIES")]
    cities: Option<PathBuf>,
    /// 开放数据快照保留天数(每天生成一份;0 不生成)
    #[arg(long, env = "CREDO_OPEN_KEEP_DAYS", default_value_t = 30)]
    open_keep_days: i64,
}

pub(crate) async fn serve(app: App, opts: &ServeOptions) -> anyhow::Result<()> {
    let security = credo_app::Security {
        per_address: opts.rate_per_address,
        per_key: opts.rate_per_key,
        session_idle: time::Duration::minutes(opts.session_idle_minutes.max(1)),
        tls: opts.tls_cert.is_some(),
        case_forms_per_hour: opts.case_forms_per_hour,
        reports_per_hour: opts.reports_per_hour,
        webhook_private: opts.webhook_private,
        ..credo_app::Security::default()
    };
    credo_app::audit::check_retention(opts.audit_keep_days).map_err(unusable)?;
    let cities = match (opts.role.as_str(), &opts.cities) {
        ("province", Some(path)) => credo_app::federation::load(path).map_err(|e| unusable(e.detail))?,
        ("province", None) => return Err(unusable("省级平台须用 --cities 指定各市平台清单")),
        (_, Some(_)) => return Err(unusable("--cities 只用于省级平台(--role province)")),
        _ => Vec::new(),
    };
    let mut app = app.with_security(security);
    if let Some(idp) = credo_app::idp::IdpConfig::from_env() {
        tracing::info!(issuer = %idp.issuer, "统一身份认证已接入");
        app = app.with_idp(idp).map_err(|e| unusable(e.detail))?;
    }
    // Before the first request: the first searches would otherwise wait for jieba's dictionary together.
    let search = app.search.clone();
    tokio::task::spawn_blocking(move || search.warm_up()).await?;
    tokio::spawn(credo_app::feed::follow(app.clone()));
    tokio::spawn(credo_app::directory::Directory::follow(app.clone()));
    // The publicity lists and the restriction index are built in the background, so that the first visitor and the
    // first check need not wait for them.
    let lists = app.clone();
    tokio::spawn(async move {
        if let Err(e) = lists.index.ready(&lists).await {
            tracing::warn!(error = %e, "restriction index not built");
        }
        if let Err(e) = lists.listing.ready(&lists).await {
            tracing::warn!(error = %e.detail, "publicity lists not built");
        }
    });
    // Archive what is older than the retention period, once a day.
    let (archiver, keep) = (app.clone(), opts.audit_keep_days);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            tick.tick().await;
            if !leads(&archiver).await {
                continue;
            }
            match credo_app::audit::archive(&archiver, keep).await {
                Ok(Some((file, n))) => tracing::info!(events = n, file = %file.display(), "audit events archived"),
                Ok(None) => {}
                Err(e) => tracing::error!(%e, "audit archive failed"),
            }
        }
    });
    // Record the day's publicity expiries in the change feed (views compute expiry themselves).
    let (expirer, open_keep) = (app.clone(), opts.open_keep_days);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        let mut done: Option<time::Date> = None;
        loop {
            tick.tick().await;
            let today = expirer.clock.today();
            if !leads(&expirer).await {
                continue;
            }
            if done != Some(today) {
                match credo_app::cases::record_expiries(&expirer, today).await {
                    Ok(n) => {
                        tracing::info!(records = n, "publicity expiries recorded");
                        done = Some(today);
                    }
                    Err(e) => {
                        tracing::error!(%e, "publicity expiry job failed");
                        continue;
                    }
                }
            }
            // Then the day's open-data snapshot (once: a day that has one is skipped), after the expiries, so
            // that it shows the day as it is; a failed one is tried again the next hour.
            if open_keep > 0 {
                match credo_app::snapshots::take(&expirer, today).await {
                    Ok(Some(m)) => tracing::info!(day = %m.day, files = m.files.len(), "open-data snapshot taken"),
                    Ok(None) => {}
                    Err(e) => tracing::error!(%e, "open-data snapshot failed"),
                }
                if let Err(e) = credo_app::snapshots::prune(&expirer, today, open_keep) {
                    tracing::error!(%e, "removing old snapshots failed");
                }
            }
        }
    });
    // The provincial platform takes in its cities' feeds, every two seconds.
    if !cities.is_empty() {
        tracing::info!(cities = cities.len(), "省级平台:接收各市平台上报");
        tokio::spawn(credo_app::federation::run(app.clone(), cities, std::time::Duration::from_secs(2), leads));
    }
    // Webhooks: queue new events and send what is due, every two seconds.
    tokio::spawn(credo_app::webhooks::run(
        app.clone(),
        std::time::Duration::from_secs(2),
        credo_app::webhooks::Backoff::default(),
        leads,
    ));
    // Sign the audit chain's head every ten minutes.
    let signer = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if !leads(&signer).await {
                continue;
            }
            if let Err(e) = credo_app::audit::checkpoint(&signer).await {
                tracing::error!(%e, "audit checkpoint failed");
            }
            // And drop the shared state that expired (used challenges, abandoned sign-ins, old counts).
            match signer.store.purge_shared(time::OffsetDateTime::now_utc().unix_timestamp()).await {
                Ok(n) => tracing::debug!(entries = n, "expired shared state removed"),
                Err(e) => tracing::error!(%e, "removing expired shared state failed"),
            }
        }
    });
    let addr = opts.addr.as_str();
    let last = app.clone();
    if let (Some(cert), Some(key)) = (&opts.tls_cert, &opts.tls_key) {
        let sock: std::net::SocketAddr = addr.parse().with_context(|| format!("地址“{addr}”无效"))?;
        tracing::info!("信用西宁平台已启动:https://{addr}/");
        tokio::select! {
            served = credo_server::serve_tls(sock, app, cert, key) => served?,
            () = shutdown_signal() => {}
        }
    } else {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("无法监听 {addr}"))?;
        tracing::info!("信用西宁平台已启动:http://{addr}/");
        let service = credo_server::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
    }
    // Sign (and anchor) the head once more on the way out, so the last events are not left unanchored.
    if leads(&last).await
        && let Err(e) = credo_app::audit::checkpoint(&last).await
    {
        tracing::error!(%e, "audit checkpoint at shutdown failed");
    }
    Ok(())
}

/// Whether this server runs the scheduled jobs: exactly one of the servers over one store does (the first to
/// ask; another takes over when it stops). See `Feed::lead_jobs`.
async fn leads(app: &App) -> bool {
    match app.store.lead_jobs().await {
        Ok(lead) => lead,
        Err(e) => {
            tracing::error!(%e, "scheduled jobs: could not ask for the lead");
            false
        }
    }
}

/// Ctrl-C, or SIGTERM (how service managers stop the server).
async fn shutdown_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn validate_ids() -> anyhow::Result<()> {
    let today = Clock::System.today();
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let input = line?;
        let v = match ids::identify(&input, today) {
            Ok(id) => serde_json::json!({
                "input": input, "kind": id.kind().as_str(), "valid": true, "normalized": id.as_str(),
                "error": null, "message": format!("有效的{}", id.kind().label()),
            }),
            Err((kind, e)) => serde_json::json!({
                "input": input, "kind": kind.as_str(), "valid": false, "normalized": ids::prepare(&input),
                "error": e.code(), "message": e.message(),
            }),
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(())
}

async fn import(
    data: &Path,
    item: &str,
    dept: &str,
    sheet: Option<&str>,
    report: Option<PathBuf>,
    file: &Path,
) -> anyhow::Result<()> {
    let catalog = catalog()?;
    let Some(item_def) = catalog.item(item).cloned() else {
        let known: Vec<&str> = catalog.items.keys().map(String::as_str).collect();
        return Err(unusable(format!("未知的目录项“{item}”,可用:{}", known.join("、"))));
    };
    let dept_code = ids::Uscc::parse(dept).map_err(|e| unusable(format!("部门代码“{dept}”无效:{}", e.message())))?;
    let cannot_read = |e: std::io::Error| unusable(format!("无法读取文件 {}:{e}", file.display()));
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut head = Vec::with_capacity(4096);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(file).map_err(cannot_read)?, 4096),
        &mut head,
    )
    .map_err(cannot_read)?;
    // A CSV file is read as a stream (its size costs a buffer); a workbook or JSON document is read whole.
    let bytes;
    let table = match credo_import::Format::detect(name, &head) {
        credo_import::Format::Csv => credo_import::read_csv_file(file),
        format => {
            bytes = std::fs::read(file).map_err(cannot_read)?;
            credo_import::read_table(format, &bytes, sheet)
        }
    }
    .map_err(|e| unusable(e.to_string()))?;
    // Checked before anything is opened or registered, so an unusable file changes nothing.
    let map = credo_import::HeaderMap::new(&item_def, &table.headers).map_err(|e| unusable(e.to_string()))?;
    let app = App::open_with(data, store_url(), catalog, Clock::System).await?;
    let department = match app.store.department_by_uscc(dept_code.as_str()).await? {
        Some(d) => d,
        None => {
            let from_file = item_def.source.as_ref().and_then(|s| {
                let col = map.columns.iter().position(|c| c.as_deref() == Some(s.name.as_str()))?;
                table
                    .rows
                    .iter()
                    .find_map(|r| r.ok()?.1.get(col).filter(|v| !v.trim().is_empty()).map(|v| v.trim().to_string()))
            });
            let name = from_file.unwrap_or_else(|| format!("部门{}", dept_code.as_str()));
            let d = app
                .store
                .add_department(NewDepartment {
                    uscc: dept_code.as_str().to_string(),
                    name,
                    region: Some(dept_code.region().to_string()),
                    created_by: "cli:import".into(),
                    // Registered by an operator's import: allowed the item it was registered with.
                    permissions: credo_store::Permissions {
                        items: vec![item_def.code.clone()],
                        scenes: vec![],
                        disclosure: vec!["公开".into()],
                        archives: vec![],
                        lending: false,
                    },
                })
                .await?;
            eprintln!("已登记新部门:{}({})", d.name, d.uscc);
            d
        }
    };
    let bar = indicatif::ProgressBar::new(table.rows.len_hint() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} 导入 [{bar:40}] {pos}/{len} 行 {per_sec} 剩余 {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = credo_app::ingest::run(&app, &item_def, &department, &table, "cli", Some(name), &|n| {
        bar.set_position(n as u64)
    })
    .await
    .map_err(|e| match e {
        credo_app::ingest::IngestError::Unusable(e) => unusable(e.to_string()),
        other => anyhow::Error::new(other),
    })?;
    bar.finish_and_clear();
    let report_path = match report {
        Some(p) => p,
        None => {
            let dir = data.join("reports");
            std::fs::create_dir_all(&dir)?;
            dir.join(format!("batch-{}.csv", summary.batch))
        }
    };
    std::fs::write(&report_path, credo_app::ingest::report_csv(&summary.report))
        .with_context(|| format!("无法写入报告 {}", report_path.display()))?;
    let mut out = serde_json::json!({
        "batch": summary.batch, "rows": summary.rows, "accepted": summary.accepted, "rejected": summary.rejected,
        "duplicates": summary.duplicates, "unresolved": summary.unresolved, "report": report_path.display().to_string(),
    });
    let Some(stopped) = summary.stopped() else {
        println!("{out}");
        return Ok(());
    };
    // The rows before were handled and stay; the rest of the file was not read: not a success.
    out["stopped_at_row"] = stopped.row.into();
    out["stopped"] = stopped.message.clone().into();
    println!("{out}");
    Err(anyhow::Error::new(Partial(format!("{}:此前各行已处理,其后各行未导入", stopped.message))))
}

/// A file imported only in part (exit code 3): it could not be read to its end.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Partial(String);

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_is_well_formed() {
        // clap checks argument names and groups only when a command is used; this checks them all.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
