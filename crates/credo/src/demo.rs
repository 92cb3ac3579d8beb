//! `credo demo` and `credo synth`: the synthetic Xining dataset, loaded through the same ingest pipeline that
//! departments use.

use std::path::Path;

use credo_app::{App, Clock};
use credo_import::Table;
use credo_store::{NewDepartment, Permissions};
use credo_synth::{Batch, Synth};

fn table(b: Batch) -> anyhow::Result<Table<'static>> {
    Ok(Table::from_cells(
        b.headers.iter().map(|h| h.to_string()).collect(),
        b.rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect(),
    )?)
}

/// Rows per batch the demo submits: the dataset is generated a batch at a time, so a store of millions of subjects
/// loads in bounded memory.
const PART: usize = 200_000;

/// The file that marks a directory as made by `credo demo` (and so safe for the next `demo` to delete).
const MARKER: &str = ".credo-demo";

/// Empties the demo's data directory — only one that `demo` made itself (it holds [`MARKER`]) or an empty one;
/// anything else (a real data directory, a home directory mistyped as `--data`) is refused.
fn fresh_dir(data: &Path) -> anyhow::Result<()> {
    if data.exists() {
        let empty = data.is_dir() && std::fs::read_dir(data)?.next().is_none();
        if !empty && !data.join(MARKER).is_file() {
            return Err(crate::unusable(format!(
                "目录 {} 已存在且不是 credo demo 创建的,不会删除它;请换一个 --data 目录,或自行清空后再试",
                data.display()
            )));
        }
        std::fs::remove_dir_all(data)?;
    }
    std::fs::create_dir_all(data)?;
    std::fs::write(data.join(MARKER), "credo demo data directory: `credo demo` deletes and rebuilds it\n")?;
    Ok(())
}

/// The demo rebuilds its data directory, keyring included: a database elsewhere (PostgreSQL) must be empty, never
/// written over (its data would be sealed with a keyring the demo is about to replace). Checked before anything
/// is deleted.
async fn refuse_used_database() -> anyhow::Result<()> {
    use credo_store::prelude::*;
    let credo_app::StoreUrl::Postgres(url) = credo_app::StoreUrl::parse(crate::store_url())? else {
        return Ok(());
    };
    let ring = credo_gm::keyring::Keyring::generate();
    let vault = std::sync::Arc::new(credo_store::Vault::new(&ring, Vec::new())?);
    let store = credo_store::PgStore::connect_only(&url, vault).await?;
    if !store.pending_migrations().await?.is_empty() {
        return Err(crate::unusable("该 PostgreSQL 数据库尚未建立结构:请先运行 credo migrate --store …"));
    }
    if store.counts().await?.departments > 0 {
        return Err(crate::unusable(
            "演示只能写入空的数据库:该数据库已有数据,请换一个新建的数据库(并先运行 credo migrate)",
        ));
    }
    Ok(())
}

pub async fn run(data: &Path, opts: &crate::ServeOptions, subjects: usize, no_serve: bool) -> anyhow::Result<()> {
    let addr = opts.addr.as_str();
    refuse_used_database().await?;
    fresh_dir(data)?;
    let started = std::time::Instant::now();
    let app = App::open_with(data, crate::store_url(), crate::catalog()?, Clock::System).await?;
    let mut synth = Synth::new(2015, subjects, app.clock.today());
    for d in &synth.depts {
        // Each department checks in every scene, and may submit what it supplies in the demo (granted below when
        // its first batch of an item comes).
        app.store
            .add_department(NewDepartment {
                uscc: d.uscc.clone(),
                name: d.name.clone(),
                region: Some(d.uscc[2..8].to_string()),
                created_by: "demo".into(),
                permissions: Permissions {
                    items: Vec::new(),
                    scenes: app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect(),
                    disclosure: vec!["公开".into(), "政务共享".into()],
                    archives: Vec::new(),
                    lending: false,
                },
            })
            .await?;
    }
    let mut total = 0;
    for b in synth.parts(PART) {
        let item = app.catalog.item(b.item).ok_or_else(|| anyhow::anyhow!("unknown item {}", b.item))?.clone();
        let mut dept =
            app.store.department_by_uscc(&b.dept.uscc).await?.ok_or_else(|| anyhow::anyhow!("missing department"))?;
        if !dept.permissions.items.iter().any(|i| i == b.item) {
            dept.permissions.items.push(b.item.to_string());
            dept.permissions.items.sort();
            app.store.set_permissions(dept.id, &dept.permissions).await?;
        }
        let s = credo_app::ingest::run(&app, &item, &dept, &table(b)?, "demo", None, &|_| {}).await?;
        if s.rejected > 0 || s.stopped().is_some() {
            let first = s.report.iter().find(|l| l.severity != "warning");
            anyhow::bail!("演示数据有被拒绝或未读取的行({}):{first:?}", item.code);
        }
        total += s.accepted;
    }
    let demo_key = {
        let d = app
            .store
            .department_by_uscc(&synth.depts[0].uscc)
            .await?
            .ok_or_else(|| anyhow::anyhow!("missing department"))?;
        let scopes = vec!["submit".to_string(), "check".to_string()];
        credo_app::keys::create(app.store.as_ref(), &d, scopes, None, "demo").await?.0
    };
    let states = publicity_states(&app).await?;
    let example = example_subject(&app).await?;
    let (mut cases, case_department) = seed_cases(&app, &synth).await?;
    cases.extend(crate::programmes::seed(&app).await?);
    cases.extend(crate::integrity::seed(&app).await?);
    let department = case_department.unwrap_or_else(|| synth.depts[0].uscc.clone());
    let accounts = demo_accounts(&app, &department, example.as_ref().map(|e| e.1.as_str())).await?;
    credo_app::feed::compact_search(&app).await?;
    let counts = app.store.counts().await?;
    println!(
        "演示数据已生成:{} 个主体,{} 条记录,用时 {:.1} 秒,数据目录 {}",
        counts.subjects,
        total,
        started.elapsed().as_secs_f64(),
        data.display()
    );
    println!();
    println!("  信用西宁网站  http://{addr}/");
    println!("  一站式查询    http://{addr}/search?q=鑫源商贸      (API: /api/v1/subjects?q=鑫源商贸)");
    if let Some((key, code, name)) = &example {
        println!("  有失信记录的主体  {name}");
        println!("                http://{addr}/subjects/{key}   (API: /api/v1/subjects/{code})");
    }
    println!("  信用公示      http://{addr}/lists/sgs");
    println!("  信息目录      http://{addr}/api/v1/catalog");
    println!("  公示状态      {states}");
    for (what, path) in &cases {
        println!("  {what}  http://{addr}{path}");
    }
    println!("  部门 API 密钥(西宁市市场监督管理局,仅演示用):{demo_key}");
    println!();
    println!("  登录          http://{addr}/sign-in");
    println!("  部门工作台    http://{addr}/console   (部门报送员、部门核查员、部门案件办理员、信用审核员)");
    println!("    报送记录与模板、单条录入  http://{addr}/console/batches   http://{addr}/console/records/new");
    println!("    联合奖惩核查              http://{addr}/console/checks");
    println!("  运行监测      http://{addr}/admin     (系统管理员、安全管理员、审计管理员)");
    println!("    部门与权限、账号          http://{addr}/admin/departments   http://{addr}/admin/accounts");
    println!("    审计日志                  http://{addr}/admin/audit");
    println!("  我的信用      http://{addr}/me        (信用主体)");
    println!();
    println!(
        "  演示账号(仅演示用,每个角色一个;工作人员须输入动态口令:把密钥录入身份验证器,或用下面当时的口令,30 秒内有效):"
    );
    for a in &accounts {
        println!("{a}");
    }
    println!();
    if no_serve {
        return Ok(());
    }
    crate::serve(app, opts).await
}

/// How many records are in each publicity state today (轻微 not published, periods ended …).
async fn publicity_states(app: &App) -> anyhow::Result<String> {
    let items: Vec<&str> = app.catalog.items.keys().map(String::as_str).collect();
    let today = app.clock.today();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut after = 0;
    loop {
        let page = app.store.records_of_items(&items, after, 20_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in &page {
            let p = credo_app::public::publicity(&app.catalog, r, false, today);
            *counts.entry(p.state.label().to_string()).or_default() += 1;
        }
    }
    Ok(counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(",") + " 条")
}

/// An open objection on a published penalty and a whistleblower report, so that the case pages have something
/// to show; returns what to print.
/// Returns what to print, and the department whose record the objection is about (its handler accepted it).
async fn seed_cases(app: &App, synth: &Synth) -> anyhow::Result<(Vec<(&'static str, String)>, Option<String>)> {
    use credo_app::cases::{self, Contact, ObjectionIn, ReportIn};
    use credo_app::principal::Principal;
    let today = app.clock.today();
    let mut out = Vec::new();
    let mut department = None;
    let contact = || Some(Contact { name: "王五".into(), phone: "0971-8888888".into() });
    let items = ["xzcf"];
    let mut after = 0;
    let target = 'find: loop {
        let page = app.store.records_of_items(&items, after, 5_000).await?;
        let Some(last) = page.last() else { break None };
        after = last.id;
        for r in &page {
            if credo_app::public::publicity(&app.catalog, r, false, today).state.public() {
                break 'find Some(r.id);
            }
        }
    };
    if let Some(record) = target {
        let o = ObjectionIn {
            record,
            reason: "处罚决定书文号登记有误(演示)".into(),
            contact: contact(),
            files: vec![],
            challenge: None,
        };
        let c = cases::file_objection(app, &Principal::Anonymous, &o).await.map_err(|e| anyhow::anyhow!(e.detail))?;
        let number = c["number"].as_str().unwrap_or_default();
        // The department accepts it (受理), which marks the record 异议处理中 in public.
        let r = app.store.records_by_ids(&[record]).await?.pop().ok_or_else(|| anyhow::anyhow!("record missing"))?;
        let handler = demo_handler(app, &r.department_uscc).await?;
        department = Some(r.department_uscc.clone());
        let accept =
            cases::DecideIn {
                outcome: "受理".into(), reason: "材料齐全,予以受理(演示)".into(), ..Default::default()
            };
        cases::decide(app, &handler, number, &accept).await.map_err(|e| anyhow::anyhow!(e.detail))?;
        out.push(("异议处理中的记录", format!("/records/{record}")));
        out.push(("异议案件进度  ", format!("/cases/{}", c["number"].as_str().unwrap_or(""))));
    }
    let r = ReportIn {
        department: synth.depts[0].uscc.clone(),
        subject_name: "某某食品店(演示)".into(),
        subject_code: None,
        content: "销售过期食品(演示)".into(),
        reporter: contact(),
        files: vec![],
        challenge: None,
    };
    let c = cases::file_report(app, &Principal::Anonymous, &r).await.map_err(|e| anyhow::anyhow!(e.detail))?;
    out.push(("举报案件进度  ", format!("/cases/{}", c["number"].as_str().unwrap_or(""))));
    Ok((out, department))
}

/// The case handler the demo acts as once, to accept the demo objection: the department's `demo-handler` (made
/// here; [`demo_accounts`] gives it a known password afterwards).
async fn demo_handler(app: &App, department: &str) -> anyhow::Result<credo_app::principal::Principal> {
    use credo_app::accounts::{self, AccountRequest};
    use credo_app::principal::{Principal, Role};
    let req = AccountRequest {
        username: "demo-handler".into(),
        name: "演示案件办理员".into(),
        role: "handler".into(),
        department: Some(department.to_string()),
        subject: None,
        password: None,
        region: None,
    };
    let created = accounts::create(app, req, "demo").await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let dept = app.store.department_by_uscc(department).await?.map(Box::new);
    Ok(Principal::Account { account: Box::new(created.account), role: Role::Handler, department: dept })
}

/// The example subject the demo prints: an organisation shown in public with negative records — on one of the
/// lists that put a banner on its page (经营异常名录, 严重失信主体名单 …) and with an administrative penalty if one
/// such subject has both. Returns its page key (`id-N`), its code and its name.
async fn example_subject(app: &App) -> anyhow::Result<Option<(String, String, String)>> {
    const LISTS: [&str; 7] = ["yzsx", "jyyc", "sxbzxr", "zdss", "zfcgsx", "qxgz", "xzxf"];
    let today = app.clock.today();
    let shown_subjects = |items: &'static [&'static str]| async move {
        let mut ids = std::collections::BTreeSet::new();
        // Item by item (each a walk of the `(item, id)` index): the lists are a small share of a large store.
        for item in items {
            let mut after = 0;
            loop {
                let page = app.store.records_of_items(&[item], after, 20_000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for r in &page {
                    if let Some(id) = r.subject_id
                        && credo_app::public::publicity(&app.catalog, r, false, today).state.public()
                    {
                        ids.insert(id);
                    }
                }
            }
        }
        anyhow::Ok(ids)
    };
    let listed = shown_subjects(&LISTS).await?;
    let penalised = shown_subjects(&["xzcf"]).await?;
    let candidates = listed.intersection(&penalised).chain(listed.iter()).chain(penalised.iter());
    for id in candidates {
        let Some(s) = app.store.subject(*id).await? else { continue };
        if s.kind != credo_domain::catalog::SubjectKind::Organisation {
            continue;
        }
        let code = s.code.clone().unwrap_or_default();
        return Ok(Some((format!("id-{id}"), code, s.name)));
    }
    Ok(None)
}

/// One demo account per role ([`Role::ALL`]), with a password that is printed (demo only): department users in
/// `department` (the one the demo objection went to, so that its handler finds it in the inbox), the subject
/// account bound to the example subject. Returns the lines to print.
async fn demo_accounts(app: &App, department: &str, subject: Option<&str>) -> anyhow::Result<Vec<String>> {
    use credo_app::accounts::{self, AccountRequest};
    use credo_app::principal::Role;
    const PASSWORD: &str = "Demo-2026-Credit!";
    let mut lines = Vec::new();
    for role in Role::ALL {
        let username = format!("demo-{}", role.code());
        let existing = app.store.account_by_username(&username).await?;
        let account = match existing {
            Some(a) => {
                accounts::set_password(app.store.as_ref(), &a, PASSWORD)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                a
            }
            None => {
                if role == Role::Subject && subject.is_none() {
                    continue;
                }
                let req = AccountRequest {
                    username: username.clone(),
                    name: format!("演示{}", role.label()),
                    role: role.code().into(),
                    department: role.needs_department().then(|| department.to_string()),
                    subject: (role == Role::Subject).then(|| subject.unwrap_or_default().to_string()),
                    password: Some(PASSWORD.into()),
                    region: None,
                };
                accounts::create(app, req, "demo").await.map_err(|e| anyhow::anyhow!(e.to_string()))?.account
            }
        };
        let home = match role {
            Role::Subject => "/me",
            Role::Sysadmin | Role::Secadmin | Role::Auditor => "/admin",
            _ => "/console",
        };
        let totp = match account.totp_secret.as_deref().and_then(unhex) {
            Some(secret) => {
                let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default();
                let code = credo_gm::totp::code_at(&secret, now)?;
                format!("  动态口令密钥 {}  当前口令 {code}", credo_gm::totp::secret_base32(&secret))
            }
            None => "  (无需动态口令)".to_string(),
        };
        // Role names are 4 to 7 characters wide: padded with ideographic spaces, so that the columns line up.
        let pad = "\u{3000}".repeat(7usize.saturating_sub(role.label().chars().count()));
        lines.push(format!("    {}{pad} 账号 {username:<16} 密码 {PASSWORD}{totp}  登录后进入 {home}", role.label()));
    }
    Ok(lines)
}

/// Bytes of a hex text (a TOTP secret as the store keeps it).
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Writes a synthetic CSV (UTF-8) of `rows` rows of `item` with national Chinese headers.
pub fn synth_file(item: &str, rows: usize, subjects: usize, seed: u64, out: &Path) -> anyhow::Result<()> {
    if item != "xzcf" {
        return Err(crate::unusable(format!("synth 目前只支持 xzcf,收到“{item}”")));
    }
    let catalog = crate::catalog()?;
    let def = catalog.item("xzcf").ok_or_else(|| anyhow::anyhow!("xzcf missing"))?;
    let mut synth = Synth::new(seed, subjects, Clock::System.today());
    let mut w = csv::Writer::from_path(out)?;
    let mut header_written = false;
    let mut left = rows;
    let mut n = 0;
    while left > 0 {
        let take = left.min(100_000);
        for b in synth.penalties(take) {
            if !header_written {
                let names: Vec<String> = b
                    .headers
                    .iter()
                    .map(|h| def.field(h).map(|f| f.name.clone()).unwrap_or_else(|| h.to_string()))
                    .collect();
                w.write_record(&names)?;
                header_written = true;
            }
            for r in &b.rows {
                let mut r = r.clone();
                // Unique document numbers across rounds and across seeds, so that files made with different seeds
                // add new records to one store instead of new versions of the same ones.
                r[6] = format!("{}-{seed}-{n}", r[6]);
                n += 1;
                w.write_record(&r)?;
            }
        }
        left -= take;
    }
    w.flush()?;
    println!("{}", serde_json::json!({ "rows": rows, "file": out.display().to_string() }));
    Ok(())
}
