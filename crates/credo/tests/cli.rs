//! The `credo` binary as operators use it: `id validate`, `import` with its exit codes and report, `dept`.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use credo_synth::builders::{self, Penalty};
use serde_json::Value;

thread_local! {
    /// The PostgreSQL database the current story's commands use (`None`: SQLite in their data directory).
    static STORE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `story` on SQLite, then again on a fresh PostgreSQL database (every `credo` it starts gets `CREDO_STORE`).
/// A failure's output names the store it failed on.
fn on_both(story: impl Fn()) {
    eprintln!("—— store: SQLite");
    story();
    let url = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = credo_pgtest::database().await;
        credo_store::PgStore::migrate_database(&url).await.unwrap();
        url
    });
    eprintln!("—— store: PostgreSQL");
    STORE.with(|s| *s.borrow_mut() = Some(url));
    story();
    STORE.with(|s| *s.borrow_mut() = None);
}

/// The environment that points a `credo` at the current story's store.
fn store_env() -> Vec<(&'static str, String)> {
    STORE.with(|s| s.borrow().clone()).map(|url| ("CREDO_STORE", url)).into_iter().collect()
}

/// The first column of the first row `sql` selects (a count), from the current story's store with data directory
/// `data`; 0 while there is no store yet.
fn count(data: &Path, sql: &str) -> i64 {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let url = STORE.with(|s| s.borrow().clone());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        match url {
            Some(url) => match sqlx::PgConnection::connect(&url).await {
                Ok(mut c) => sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap_or(0),
                Err(_) => 0,
            },
            None => match sqlx::SqliteConnection::connect(&format!("{}?mode=ro", db_url(data))).await {
                Ok(mut c) => sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap_or(0),
                Err(_) => 0,
            },
        }
    })
}

/// What the current story's store holds: the bytes of the SQLite database and its WAL in `data`, or every row of
/// every PostgreSQL table as text.
fn stored_bytes(data: &Path) -> Vec<u8> {
    use sqlx::Connection as _;
    let Some(url) = STORE.with(|s| s.borrow().clone()) else {
        let db = std::fs::read(data.join("credo.sqlite")).unwrap();
        return [db, std::fs::read(data.join("credo.sqlite-wal")).unwrap_or_default()].concat();
    };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&mut c)
                .await
                .unwrap();
        let mut out = Vec::new();
        for t in tables {
            let sql = sqlx::AssertSqlSafe(format!("SELECT t::text FROM \"{t}\" t"));
            for row in sqlx::query_scalar::<_, String>(sql).fetch_all(&mut c).await.unwrap() {
                out.extend(row.into_bytes());
            }
        }
        out
    })
}

fn credo(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(args)
        .envs(store_env())
        .env("CREDO_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn id_validate_writes_one_json_object_per_line() {
    let input = " 91630100ma7x00018g \n91630100MA7X00018H\n630102900101123\n59467239-9\n110108000000016\n630102199001011236\nhello\n\n";
    let out = credo(&["id", "validate"], Some(input));
    assert!(out.status.success());
    let v = lines(&out);
    assert_eq!(v.len(), 8);
    assert_eq!((v[0]["kind"].as_str(), v[0]["valid"].as_bool()), (Some("uscc"), Some(true)));
    assert_eq!(v[0]["normalized"], "91630100MA7X00018G");
    assert_eq!(v[0]["input"], " 91630100ma7x00018g ");
    assert_eq!((v[1]["valid"].as_bool(), v[1]["error"].as_str()), (Some(false), Some("invalid_checksum")));
    assert!(v[1]["message"].as_str().unwrap().contains("校验位"));
    assert_eq!((v[2]["kind"].as_str(), v[2]["valid"].as_bool()), (Some("ric"), Some(true)));
    assert_eq!(v[2]["normalized"].as_str().unwrap().len(), 18, "15-digit number upgraded");
    assert_eq!((v[3]["kind"].as_str(), v[3]["normalized"].as_str()), (Some("org_code"), Some("594672399")));
    assert_eq!(v[4]["kind"], "reg_no");
    assert_eq!((v[5]["kind"].as_str(), v[5]["error"].as_str()), (Some("ric"), Some("invalid_checksum")));
    assert_eq!((v[6]["kind"].as_str(), v[6]["error"].as_str()), (Some("unknown"), Some("unknown_format")));
    assert_eq!(v[7]["error"], "empty");
}

const DEPT: &str = "11630100MB174225XT";

fn write_gb18030_csv(path: &Path) {
    let header = "行政相对人名称,行政相对人类别,行政相对人代码_1（统一社会信用代码）,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码";
    let tail = format!("西宁市市场监督管理局,{DEPT},西宁市市场监督管理局,{DEPT}");
    let rows = [
        format!(
            "西宁市城东区鑫源商贸有限公司,法人及非法人组织,91630100MA7X00018G,宁市监罚〔2025〕1号,虚假宣传,经查属实,《广告法》,罚款,罚款,1.5,2025/07/01,2099/12/31,{tail}"
        ),
        format!(
            "乙公司,法人及非法人组织,91630100MA7X00018H,宁市监罚〔2025〕2号,虚假宣传,经查属实,《广告法》,罚款,罚款,1,2025/07/01,2099/12/31,{tail}"
        ),
        format!(
            "丙公司,法人及非法人组织,92630102MA7X000265,宁市监罚〔2025〕3号,虚假宣传,经查属实,《广告法》,警告,警告,,2030/07/01,2099/12/31,{tail}"
        ),
    ];
    let text = format!("{header}\r\n{}\r\n", rows.join("\r\n"));
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn import_processes_reports_and_is_idempotent() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let file = dir.path().join("处罚.csv");
        write_gb18030_csv(&file);
        let report = dir.path().join("report.csv");
        let d = data.to_str().unwrap();
        let args = [
            "import",
            "--data",
            d,
            "--item",
            "xzcf",
            "--dept",
            DEPT,
            "--report",
            report.to_str().unwrap(),
            file.to_str().unwrap(),
        ];
        let out = credo(&args, None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let s = &lines(&out)[0];
        assert_eq!((s["rows"].as_u64(), s["accepted"].as_u64(), s["rejected"].as_u64()), (Some(3), Some(1), Some(2)));
        assert!(String::from_utf8_lossy(&out.stderr).contains("已登记新部门:西宁市市场监督管理局"));
        let text = std::fs::read_to_string(&report).unwrap();
        assert!(text.starts_with('\u{feff}'), "BOM for Excel");
        assert!(text.contains("3,行政相对人代码_1（统一社会信用代码）,invalid_checksum"), "{text}");
        assert!(text.contains("4,处罚决定日期,date_in_future"), "{text}");

        let again = credo(&args, None);
        let s = &lines(&again)[0];
        assert_eq!((s["accepted"].as_u64(), s["duplicates"].as_u64()), (Some(0), Some(1)));

        let depts = credo(&["dept", "list", "--data", d], None);
        let list = lines(&depts);
        assert_eq!(list.len(), 1, "registered once");
        assert_eq!(list[0]["created_by"], "cli:import");
    });
}

/// A file that cannot be read to its end (here a quoted field never closed, longer than any record may be) is
/// imported up to there and no further: the rows before are handled, the answer names the row it stopped at, the
/// report says why, and the exit code is 3, not success.
#[test]
fn a_file_read_only_in_part_exits_3_and_says_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("处罚.csv");
    write_gb18030_csv(&file);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"\"never closed,");
    bytes.extend(std::iter::repeat_n(b'x', 5 << 20));
    std::fs::write(&file, bytes).unwrap();
    let report = dir.path().join("report.csv");
    let (d, r, f) = (data.to_str().unwrap(), report.to_str().unwrap(), file.to_str().unwrap());
    let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, "--report", r, f], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("未全部导入") && stderr.contains("第5行起无法读取"), "{stderr}");
    let s = &lines(&out)[0];
    assert_eq!((s["rows"].as_u64(), s["accepted"].as_u64(), s["stopped_at_row"].as_u64()), (Some(3), Some(1), Some(5)));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("5,,row_too_long,") && text.contains("中止(其后各行未导入)"), "{text}");
}

#[test]
fn unusable_input_exits_2() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("data");
        let d = d.to_str().unwrap();
        let junk = dir.path().join("junk.csv");
        std::fs::write(&junk, "名字,年龄\n张三,3\n").unwrap();
        let j = junk.to_str().unwrap();
        for (args, needle) in [
            (vec!["import", "--data", d, "--item", "nope", "--dept", DEPT, j], "未知的目录项"),
            (vec!["import", "--data", d, "--item", "xzcf", "--dept", DEPT, "/no/such/file.csv"], "无法读取文件"),
            (vec!["import", "--data", d, "--item", "xzcf", "--dept", DEPT, j], "表头"),
            (vec!["import", "--data", d, "--item", "xzcf", "--dept", "123", j], "部门代码"),
            (vec!["export", "--data", d, "--format", "csv", "--out", j], "--item"),
            (vec!["export", "--data", d, "--format", "jsonl", "--item", "nope", "--out", j], "未知的目录项"),
        ] {
            let out = credo(&args, None);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(needle),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.is_empty());
        }
    });
}

#[test]
fn department_keys_are_shown_once_and_revocable() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert!(
            credo(&["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局"], None)
                .status
                .success()
        );
        assert_eq!(
            credo(&["dept", "add", "--data", d, "--uscc", DEPT, "--name", "again"], None).status.code(),
            Some(2)
        );
        let out = credo(&["dept", "key", "--data", d, "--uscc", DEPT], None);
        let k = &lines(&out)[0];
        let key = k["key"].as_str().unwrap();
        assert!(key.starts_with("credo_"));
        let stored = stored_bytes(dir.path());
        let secret = key.rsplit('_').next().unwrap().as_bytes();
        assert!(stored.len() > 1000 && !stored.windows(secret.len()).any(|w| w == secret), "only the hash is stored");
        let prefix = k["prefix"].as_str().unwrap();
        assert!(credo(&["dept", "revoke", "--data", d, prefix], None).status.success());
        assert_eq!(credo(&["dept", "revoke", "--data", d, prefix], None).status.code(), Some(2));
    });
}

fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

#[test]
fn a_cli_import_while_the_server_runs_becomes_searchable() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let d = data.to_str().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let mut server = Command::new(env!("CARGO_BIN_EXE_credo"))
            .envs(store_env())
            .args(["serve", "--data", d, "--addr", &addr])
            .env("CREDO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let up = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            http_get(&addr, "/healthz").is_some_and(|b| b.ends_with("ok"))
        });
        assert!(up, "server did not start");
        let file = dir.path().join("处罚.csv");
        write_gb18030_csv(&file);
        let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let found = (0..50).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            http_get(&addr, "/api/v1/subjects?q=91630100MA7X00018G").is_some_and(|b| b.contains("\"count\":1,"))
        });
        let _ = server.kill();
        let _ = server.wait();
        assert!(found, "the server's feed follower indexed what the CLI stored");
    });
}

#[test]
fn audit_verify_exits_1_and_names_the_tampered_event() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(
        credo(&["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局"], None).status.success()
    );
    assert!(credo(&["dept", "key", "--data", d, "--uscc", DEPT], None).status.success());
    let ok = credo(&["audit", "verify", "--data", d], None);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(lines(&ok)[0]["events"], 2);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = sqlx::SqlitePool::connect(&format!("sqlite://{d}/credo.sqlite")).await.unwrap();
        sqlx::query("UPDATE audit_events SET result = 'denied' WHERE seq = 1").execute(&db).await.unwrap();
    });
    let bad = credo(&["audit", "verify", "--data", d], None);
    assert_eq!(bad.status.code(), Some(1));
    let v = &lines(&bad)[0];
    assert_eq!((v["intact"].as_bool(), v["first_bad_event"].as_i64()), (Some(false), Some(1)));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("第 1 条"));
}

/// A data directory with an audit trail of two events, the first signed and anchored by `credo audit checkpoint`.
fn anchored_trail(dir: &Path) {
    let d = dir.to_str().unwrap();
    let add = credo(&["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局"], None);
    assert!(add.status.success());
    let cp = credo(&["audit", "checkpoint", "--data", d], None);
    assert_eq!(cp.status.code(), Some(0), "{}", String::from_utf8_lossy(&cp.stderr));
    let printed = &lines(&cp)[0];
    assert_eq!(printed["checkpoint"]["seq"], 1);
    let anchor = dir.join("audit-anchor.jsonl");
    assert_eq!(printed["anchor"], anchor.to_str().unwrap());
    let line = std::fs::read_to_string(&anchor).unwrap();
    assert_eq!(serde_json::from_str::<Value>(line.trim()).unwrap(), printed["checkpoint"], "the line printed");
    assert!(credo(&["dept", "key", "--data", d, "--uscc", DEPT], None).status.success());
    let ok = credo(&["audit", "verify", "--data", d], None);
    assert_eq!(ok.status.code(), Some(0));
    let v = &lines(&ok)[0];
    assert_eq!((&v["events"], &v["anchored"], &v["not_yet_anchored"]), (&2.into(), &1.into(), &1.into()));
    assert!(String::from_utf8_lossy(&ok.stderr).contains("1 条记录尚未锚定"));
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}/credo.sqlite", dir.display())
}

/// Issue 11, finding 5 (a): delete the checkpoints, change an event and recompute the chain with plain SM3.
#[test]
fn audit_verify_fails_on_a_chain_recomputed_without_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    anchored_trail(dir.path());
    let exported = credo(&["audit", "export", "--data", d], None);
    let mut events: Vec<credo_store::StoredAuditEvent> =
        String::from_utf8_lossy(&exported.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2);
    events[1].event.actor = "someone-else".into();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = sqlx::SqlitePool::connect(&db_url(dir.path())).await.unwrap();
        sqlx::query("DELETE FROM audit_checkpoints").execute(&db).await.unwrap();
        // The export's own audit event goes too, so that the head is the last recomputed event.
        sqlx::query("DELETE FROM audit_events WHERE seq > 2").execute(&db).await.unwrap();
        let mut prev = credo_gm::chain::GENESIS.to_string();
        for e in &events {
            let content = credo_store::StoredAuditEvent::content(e.seq, &e.at, &e.event);
            let hash = credo_gm::chain::link_unkeyed(&prev, &content);
            sqlx::query("UPDATE audit_events SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?")
                .bind(&e.event.actor)
                .bind(&prev)
                .bind(&hash)
                .bind(e.seq)
                .execute(&db)
                .await
                .unwrap();
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET seq = 2, hash = ? WHERE id = 1").bind(&prev).execute(&db).await.unwrap();
        db.close().await;
    });
    let bad = credo(&["audit", "verify", "--data", d], None);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(lines(&bad)[0]["first_bad_event"], 1);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("第 1 条被篡改"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// Issue 11, finding 5 (b): delete the events with the checkpoints and rewind the head.
#[test]
fn audit_verify_fails_when_anchored_events_are_deleted_and_the_head_rewound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    anchored_trail(dir.path());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = sqlx::SqlitePool::connect(&db_url(dir.path())).await.unwrap();
        sqlx::query("DELETE FROM audit_events").execute(&db).await.unwrap();
        sqlx::query("DELETE FROM audit_checkpoints").execute(&db).await.unwrap();
        sqlx::query("UPDATE audit_head SET seq = 0, hash = ? WHERE id = 1")
            .bind(credo_gm::chain::GENESIS)
            .execute(&db)
            .await
            .unwrap();
        db.close().await;
    });
    let bad = credo(&["audit", "verify", "--data", d], None);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(lines(&bad)[0]["first_bad_event"], 1);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("链头被回退"), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[test]
fn the_first_administrator_and_account_lifecycle() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let out = credo(
            &["user", "add", "--data", d, "--username", "secadmin", "--name", "安全管理员", "--role", "secadmin"],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let created = &lines(&out)[0];
        let password = created["password"].as_str().unwrap();
        assert!(password.len() >= 16, "a generated password is shown once");
        let uri = created["totp"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/%E4%BF%A1%E7%94%A8%E8%A5%BF%E5%AE%81:secadmin?secret="), "{uri}");
        assert!(uri.contains("&issuer=%E4%BF%A1%E7%94%A8%E8%A5%BF%E5%AE%81&"), "the issuer is 信用西宁: {uri}");
        assert_eq!(created["account"]["role"], "secadmin");
        assert!(created["account"].get("password_hash").is_none(), "the hash is never printed");

        let weak = credo(
            &[
                "user",
                "add",
                "--data",
                d,
                "--username",
                "auditor1",
                "--name",
                "x",
                "--role",
                "auditor",
                "--password-stdin",
            ],
            Some("short\n"),
        );
        assert_eq!(weak.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&weak.stderr).contains("至少 10 位"));
        let no_dept =
            credo(&["user", "add", "--data", d, "--username", "sub1", "--name", "x", "--role", "submitter"], None);
        assert_eq!(no_dept.status.code(), Some(2), "department users need a department");
        assert!(
            credo(
                &["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局", "--items", "xzcf,xzxk"],
                None
            )
            .status
            .success()
        );
        let bad_item = credo(&["dept", "grant", "--data", d, "--uscc", DEPT, "--items", "nosuch"], None);
        assert_eq!(bad_item.status.code(), Some(2));
        let granted =
            credo(&["dept", "grant", "--data", d, "--uscc", DEPT, "--items", "xzcf", "--scenes", "zfcg,ztb"], None);
        assert_eq!(lines(&granted)[0]["permissions"]["scenes"], serde_json::json!(["zfcg", "ztb"]));
        let sub = credo(
            &[
                "user",
                "add",
                "--data",
                d,
                "--username",
                "sub1",
                "--name",
                "报送员",
                "--role",
                "submitter",
                "--dept",
                DEPT,
            ],
            None,
        );
        assert_eq!(sub.status.code(), Some(0), "{}", String::from_utf8_lossy(&sub.stderr));

        let pw = credo(
            &["user", "passwd", "--data", d, "--username", "secadmin", "--password-stdin"],
            Some("Another-2026-pass!\n"),
        );
        assert_eq!(pw.status.code(), Some(0));
        assert_eq!(lines(&pw)[0]["password"], Value::Null, "a given password is not echoed");
        let totp = credo(&["user", "totp", "--data", d, "--username", "secadmin"], None);
        assert!(lines(&totp)[0]["totp"]["secret"].as_str().unwrap().len() >= 32);
        assert!(credo(&["user", "disable", "--data", d, "--username", "sub1"], None).status.success());
        let list = lines(&credo(&["user", "list", "--data", d], None));
        assert_eq!(list.iter().find(|a| a["username"] == "sub1").unwrap()["disabled"], true);
        assert_eq!(credo(&["user", "disable", "--data", d, "--username", "nobody"], None).status.code(), Some(2));

        let cp = credo(&["audit", "checkpoint", "--data", d], None);
        assert!(lines(&cp)[0]["checkpoint"]["seq"].as_i64().unwrap() >= 7);
        let verified = credo(&["audit", "verify", "--data", d], None);
        assert_eq!(verified.status.code(), Some(0));
        assert_eq!(lines(&verified)[0]["checkpoints"], 1);
        let export = credo(&["audit", "export", "--data", d], None);
        let events = lines(&export);
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in
            ["account.create", "dept.add", "dept.permissions", "account.password", "account.totp", "account.disable"]
        {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        assert!(events.iter().all(|e| e["hash"].as_str().unwrap().len() == 64), "exported with their chain hashes");
        let archive = credo(&["audit", "archive", "--data", d, "--keep-days", "30"], None);
        assert_eq!(archive.status.code(), Some(2), "less than 180 days is refused");
    });
}

#[test]
fn serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=localhost", "-keyout", key.to_str().unwrap(), "-out", cert.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let data = dir.path().join("data");
    let mut server = Command::new(env!("CARGO_BIN_EXE_credo"))
        .envs(store_env())
        .args(["serve", "--data", data.to_str().unwrap(), "--addr", &addr])
        .args(["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()])
        .env("CREDO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // openssl s_client speaks TLS; a plain HTTP/1.0 request goes through it.
    let fetch = || {
        let mut c = Command::new("openssl")
            .args(["s_client", "-quiet", "-connect", &addr, "-servername", "localhost"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
        String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout).to_string()
    };
    let mut reply = String::new();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        reply = fetch();
        if reply.contains("200 OK") {
            break;
        }
    }
    let plain = http_get(&addr, "/healthz").unwrap_or_default();
    let _ = server.kill();
    let _ = server.wait();
    assert!(reply.contains("200 OK") && reply.ends_with("ok"), "{reply}");
    assert!(reply.to_lowercase().contains("strict-transport-security"), "{reply}");
    assert!(!plain.contains("200 OK"), "plain HTTP is not served on the TLS port");
}

#[test]
fn check_prints_a_signed_receipt_that_verify_receipt_accepts() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let file = dir.path().join("处罚.csv");
        write_gb18030_csv(&file);
        let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let out = credo(&["check", "--data", d, "--scene", "jg", "91630100MA7X00018G"], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let signed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let result = &signed["receipt"]["results"][0];
        assert_eq!(result["status"], "resolved");
        assert!(result["decision"].is_string());
        let receipt = dir.path().join("receipt.json");
        std::fs::write(&receipt, &out.stdout).unwrap();
        let ok = credo(&["verify-receipt", receipt.to_str().unwrap()], None);
        assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
        let text = String::from_utf8(out.stdout.clone()).unwrap().replacen("\"jg\"", "\"zfcg\"", 1);
        std::fs::write(&receipt, text).unwrap();
        let bad = credo(&["verify-receipt", receipt.to_str().unwrap()], None);
        assert_eq!(bad.status.code(), Some(1));
        assert_eq!(lines(&bad)[0]["valid"], false);
        assert_eq!(credo(&["check", "--data", d, "--scene", "nosuch", "x"], None).status.code(), Some(2));
        // The check built the restriction index and kept its snapshot; `reindex` discards it (once).
        let reindexed = |out: Output| {
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            lines(&out)[0]["checks_index_snapshot_discarded"].as_bool()
        };
        assert_eq!(reindexed(credo(&["reindex", "--data", d], None)), Some(true));
        assert_eq!(reindexed(credo(&["reindex", "--data", d], None)), Some(false));
    });
}

#[test]
fn calendar_add_counts_working_days() {
    let out = credo(&["calendar", "add", "2026-02-13", "5"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-02-27");
    let out = credo(&["calendar", "between", "2026-09-30", "2026-10-10"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
    let out = credo(&["calendar", "add", "2026-09-30", "3"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-10-10", "国庆 skipped, the Saturday worked counted");
    assert!(out.stderr.is_empty(), "2026 has the State Council's table: no warning");
    // 2027 has no table yet: its statutory days (元旦 2027-01-01) count, with the warning.
    let out = credo(&["calendar", "add", "2026-12-30", "3"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-05");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2027 年的国务院节假日安排尚未收录"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("补假和调休上班日未知"));
    let out = credo(&["calendar", "year", "2027"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["provisional"].as_bool(), v["holidays"]["2027-02-05"].as_str()), (Some(true), Some("春节")), "{v}");
    assert_eq!(v["holidays"].as_object().map(|h| h.len()), Some(13), "{v}");
    assert_eq!(credo(&["calendar", "add", "2026-13-01", "1"], None).status.code(), Some(2));
    // Out of range or reversed: refused with the reason, exit 2.
    for (args, said) in [
        (&["calendar", "add", "1800-01-01", "1"][..], "超出可处理的范围"),
        (&["calendar", "year", "2101"][..], "超出可处理的范围"),
        (&["calendar", "between", "2027-01-01", "2026-01-01"][..], "晚于终止日"),
        (&["calendar", "add", "2026-12-10", "4000000000"][..], "10000"),
    ] {
        let out = credo(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn publicity_prints_the_window() {
    let out = credo(&["publicity", "--item", "xzcf", "--class", "严重", "--decided", "2026-04-10"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["shown_from"], "2026-04-10");
    assert_eq!(v["repairable_from"], "2027-04-10");
    assert_eq!(v["shown_until"], "2029-04-09");
    let minor = credo(&["publicity", "--item", "xzcf", "--class", "轻微", "--decided", "2026-04-10"], None);
    let v: serde_json::Value = serde_json::from_slice(&minor.stdout).unwrap();
    assert_eq!((v["shown_from"].is_null(), v["published"].as_bool()), (true, Some(false)), "轻微 is not published");
    let old = credo(&["publicity", "--item", "xzcf", "--class", "一般", "--decided", "2024-01-31"], None);
    let v: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!((v["repairable_from"].as_str(), v["shown_until"].as_str()), (Some("2024-04-30"), Some("2027-01-30")));
    assert!(String::from_utf8_lossy(&old.stderr).contains("未经官方文本核实"));
    assert_eq!(v["regime_code"], "58", "令2023年第58号 from 2023-05-01");
    assert_eq!(v["settings"][0]["code"], "transition_2026", "36号 would shorten it: the setting is named");
    // --basis: a food-safety penalty under 58号 may be repaired only after one year; a 道路交通 penalty that
    // mentions 消防车通道 is not a 消防 case.
    let food = ["--decided", "2024-03-15", "--basis", "《中华人民共和国食品安全法》第一百二十四条"];
    let out = credo(&[&["publicity", "--item", "xzcf", "--class", "一般"][..], &food].concat(), None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["repairable_from"], "2025-03-15");
    assert!(v["notes"].to_string().contains("《食品安全法》,属食品领域"), "{v}");
    let road = ["--decided", "2024-03-15", "--basis", "《道路交通安全法》第九十条,占用消防车通道"];
    let out = credo(&[&["publicity", "--item", "xzcf", "--class", "一般"][..], &road].concat(), None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["repairable_from"], "2024-06-15");
    // --published: 总局令第45号 counts from the day of publication.
    let samr = ["--department", "西宁市市场监督管理局", "--decided", "2026-05-06", "--published", "2026-05-20"];
    let out = credo(&[&["publicity", "--item", "xzcf", "--class", "严重"][..], &samr].concat(), None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["regime_code"].as_str(), v["shown_from"].as_str()), (Some("samr45"), Some("2026-05-20")));
    assert_eq!((v["repairable_from"].as_str(), v["shown_until"].as_str()), (Some("2026-11-20"), Some("2029-05-19")));
    assert_eq!(v["settings"][0]["code"], "samr_2026", "{v}");
    let early = [&["publicity", "--item", "xzcf", "--class", "严重"][..], &samr[..4], &["--published", "2026-05-01"]];
    assert_eq!(credo(&early.concat(), None).status.code(), Some(2), "published before the decision");
    for bad in [["--class", "重"], ["--decided", "2026-02-30"], ["--item", "nosuch"], ["--published", "2026-13-01"]] {
        let mut args = vec!["publicity", "--item", "xzcf", "--class", "一般", "--decided", "2026-04-10"];
        match args.iter().position(|a| *a == bad[0]) {
            Some(at) => args[at + 1] = bad[1],
            None => args.extend(bad),
        }
        assert_eq!(credo(&args, None).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn an_objection_from_the_command_line() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let file = dir.path().join("处罚.csv");
        let penalty = Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
            .without("CF_FRDB")
            .number("宁市监罚〔2026〕8号")
            .conduct("虚假宣传")
            .basis("《广告法》")
            .fine("20")
            .decided("2026/11/01")
            .department("西宁市市场监督管理局", DEPT);
        std::fs::write(&file, builders::csv(&[penalty])).unwrap();
        let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let evidence = dir.path().join("复议决定书.txt");
        std::fs::write(&evidence, "复议决定:撤销原处罚决定").unwrap();
        let object = |extra: &[&str]| {
            let mut args = vec!["case", "object", "--data", d, "--record", "1", "--reason", "处罚决定已被撤销"];
            args.extend_from_slice(extra);
            credo(&args, None)
        };
        assert_eq!(object(&[]).status.code(), Some(2), "a contact is required");
        let filed = object(&["--name", "王五", "--phone", "0971-8888888", "--file", evidence.to_str().unwrap()]);
        assert_eq!(filed.status.code(), Some(0), "{}", String::from_utf8_lossy(&filed.stderr));
        let filed: Value = serde_json::from_slice(&filed.stdout).unwrap();
        let number = filed["number"].as_str().unwrap();
        assert_eq!(filed["state"], "待受理", "marked in public only once accepted");
        let add = credo(
            &[
                "user",
                "add",
                "--data",
                d,
                "--username",
                "handler1",
                "--name",
                "办理员",
                "--role",
                "handler",
                "--dept",
                DEPT,
            ],
            None,
        );
        assert_eq!(add.status.code(), Some(0), "{}", String::from_utf8_lossy(&add.stderr));
        let inbox = credo(&["case", "list", "--data", d, "--as", "handler1"], None);
        let inbox: Value = serde_json::from_slice(&inbox.stdout).unwrap();
        assert_eq!(inbox["cases"][0]["number"], number);
        assert_eq!(inbox["cases"][0]["files"][0]["name"], "复议决定书.txt");
        let step = |outcome: &'static str, reason: &'static str| {
            ["case", "decide", "--data", d, "--as", "handler1", number, "--outcome", outcome, "--reason", reason]
        };
        let accepted = credo(&step("受理", "材料齐全"), None);
        assert_eq!(accepted.status.code(), Some(0), "{}", String::from_utf8_lossy(&accepted.stderr));
        let decide = step("撤销", "原处罚决定已撤销");
        let done = credo(&decide, None);
        assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
        assert_eq!(credo(&decide, None).status.code(), Some(2), "a closed case");
        let shown = credo(&["case", "show", "--data", d, number], None);
        let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!((shown["outcome"].as_str(), shown.get("applicant")), (Some("撤销"), None));
        let anon = credo(&["case", "list", "--data", d], None);
        assert_eq!(anon.status.code(), Some(2), "the inbox needs an account");
    });
}

/// Issue 11, finding 10: `kill -9` in the middle of an import. The rows committed before stay (no row lost or
/// duplicated); the next start closes the batch as interrupted with those rows and audits it; a re-submission
/// says which rows were already accepted and in which batch.
#[test]
fn an_import_killed_midway_is_closed_as_interrupted_and_its_rows_are_named_on_resubmission() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let (data, file) = (dir.path().join("data"), dir.path().join("xzcf.csv"));
        let d = data.to_str().unwrap();
        let synth = credo(&["synth", "--rows", "60000", "--out", file.to_str().unwrap()], None);
        assert!(synth.status.success(), "{}", String::from_utf8_lossy(&synth.stderr));
        let args = ["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()];
        let mut child = Command::new(env!("CARGO_BIN_EXE_credo"))
            .envs(store_env())
            .args(args)
            .env("CREDO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it once some chunks are committed (and long before the 60,000 rows are).
        let count = |sql: &str| count(&data, sql);
        let started = std::time::Instant::now();
        while count("SELECT COUNT(*) FROM record_versions") < 5_000 {
            assert!(started.elapsed() < std::time::Duration::from_secs(300), "no rows committed");
            assert!(child.try_wait().unwrap().is_none(), "the import finished before it could be killed");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let committed = count("SELECT COUNT(*) FROM record_versions");
        assert!(committed < 60_000);
        assert_eq!(count("SELECT COUNT(*) FROM batches WHERE finished_at IS NULL"), 1, "left open by the kill");

        // Any command that opens the data directory closes it.
        let listed = credo(&["dept", "list", "--data", d], None);
        assert!(listed.status.success());
        assert_eq!(count("SELECT COUNT(*) FROM batches WHERE finished_at IS NULL"), 0);
        assert_eq!(count("SELECT interrupted FROM batches WHERE id = 1"), 1);
        assert_eq!(count("SELECT accepted FROM batches WHERE id = 1"), committed, "the rows it committed");
        let exported = credo(&["audit", "export", "--data", d], None);
        assert!(String::from_utf8_lossy(&exported.stdout).contains("batch.interrupted"));

        // The whole file again: the committed rows are named with their batch, nothing is stored twice.
        let again = credo(&args, None);
        assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
        let s = &lines(&again)[0];
        let n = |k: &str| s[k].as_i64().unwrap();
        assert_eq!(n("accepted") + n("duplicates") + n("rejected"), n("rows"), "every row accounted for: {s}");
        assert!(n("duplicates") > 0 && n("duplicates") <= committed + n("rows") - n("accepted"));
        assert_eq!(count("SELECT COUNT(*) FROM record_versions"), committed + n("accepted"), "nothing stored twice");
        let report = std::fs::read_to_string(s["report"].as_str().unwrap()).unwrap();
        assert!(
            report.contains("already_accepted") && report.contains("与批次 1 中已接收的记录完全相同"),
            "{}",
            &report[..2000.min(report.len())]
        );
    });
}

#[test]
fn demo_refuses_to_delete_a_directory_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let out = credo(&["demo", "--data", dir.path().to_str().unwrap(), "--subjects", "50", "--no-serve"], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是 credo demo 创建的"));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    // Its own directory it rebuilds.
    let own = dir.path().join("demo");
    for _ in 0..2 {
        let out = credo(&["demo", "--data", own.to_str().unwrap(), "--subjects", "50", "--no-serve"], None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // The programmes' pages are seeded and printed (issue 21).
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains("/rural") && printed.contains("/finance") && printed.contains("/news"), "{printed}");
        // And 政务诚信 (issue 22).
        assert!(printed.contains("/integrity") && printed.contains("/agencies"), "{printed}");
    }
}

/// `GET path` with a bearer key on a server at `addr`, as JSON (`null` when it is not).
fn http_get_json(addr: &str, path: &str, key: &str) -> Value {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null)
}

/// `POST path` with a JSON body and a bearer key on a server at `addr`: status and body.
fn http_post_json(addr: &str, path: &str, key: &str, body: &Value) -> (u16, Value) {
    use std::io::Read;
    let body = body.to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let status = reply.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let json = reply.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

/// Two `credo serve` over one PostgreSQL database (each with its own data directory, search and restriction index;
/// one keyring): a batch sent to node A is searchable on node B and changes B's check answer within 2 s, and exactly
/// one of them leads the scheduled jobs.
#[test]
fn two_servers_over_one_postgresql_database() {
    let url = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = credo_pgtest::database().await;
        credo_store::PgStore::migrate_database(&url).await.unwrap();
        url
    });
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("keyring.json");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let env = [("CREDO_STORE", url.clone()), ("CREDO_KEYRING", keyring.display().to_string())];
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_credo")).args(args).envs(env.clone()).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let da = a.to_str().unwrap();
    cli(&[
        "dept",
        "add",
        "--data",
        da,
        "--uscc",
        DEPT,
        "--name",
        "西宁市市场监督管理局",
        "--items",
        "xzcf",
        "--scenes",
        "zfcg",
    ]);
    let key = lines(&cli(&["dept", "key", "--data", da, "--uscc", DEPT, "--scopes", "submit,check"]))[0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let serve = |data: &Path| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_credo"))
            .args(["serve", "--data", data.to_str().unwrap(), "--addr", &addr])
            .envs(env.clone())
            .env("CREDO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        (child, addr)
    };
    let ((mut node_a, addr_a), (mut node_b, addr_b)) = (serve(&a), serve(&b));
    let up = |addr: &str| {
        (0..150).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            http_get(addr, "/healthz").is_some_and(|b| b.ends_with("ok"))
        })
    };
    assert!(up(&addr_a) && up(&addr_b), "the servers did not start");
    let ask = json_check("91630100MA7X00018G");
    let (status, before) = http_post_json(&addr_b, "/api/v1/checks", &key, &ask);
    assert_eq!(status, 200, "{before}");
    assert!(before["receipt"]["results"][0]["subject"].is_null(), "unknown before: {before}");

    let penalty = Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
        .number("宁市监罚〔2026〕9号")
        .decided("2026/11/01")
        .department("西宁市市场监督管理局", DEPT);
    let (status, report) = http_post_json(
        &addr_a,
        "/api/v1/batches",
        &key,
        &serde_json::json!({ "item": "xzcf", "records": [penalty.json()] }),
    );
    assert_eq!((status, report["accepted"].as_u64()), (200, Some(1)), "{report}");
    let sent = std::time::Instant::now();
    let mut searchable = None;
    while sent.elapsed() < std::time::Duration::from_secs(5) {
        if http_get(&addr_b, "/api/v1/subjects?q=91630100MA7X00018G").is_some_and(|b| b.contains("\"count\":1,")) {
            searchable = Some(sent.elapsed());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (_, after) = http_post_json(&addr_b, "/api/v1/checks", &key, &ask);
    // A batch check job sent to node A is followed on node B (its state is in the database).
    let (status, started) = post_file(
        &addr_a,
        "/api/v1/checks/jobs",
        &key,
        &[("scene", "zfcg"), ("purpose", "两节点批量核查")],
        "subjects.csv",
        "统一社会信用代码\n91630100MA7X00018G\n91630104MA3GP0003H\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 202, "{started}");
    let href = started["href"].as_str().unwrap().to_string();
    let mut job = Value::Null;
    for _ in 0..100 {
        job = http_get_json(&addr_b, &href, &key);
        if job["status"] == "done" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let leaders: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        // The jobs' lead lock only: a write to the change feed holds another advisory lock for its transaction.
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1",
        )
        .bind(credo_store::JOBS_LOCK >> 32)
        .bind(credo_store::JOBS_LOCK & 0xffff_ffff)
        .fetch_one(&mut c)
        .await
        .unwrap()
    });
    for node in [&mut node_a, &mut node_b] {
        let _ = node.kill();
        let _ = node.wait();
    }
    let searchable = searchable.expect("node B never found what node A stored");
    eprintln!("searchable on node B {searchable:?} after the batch was accepted on node A");
    assert!(searchable < std::time::Duration::from_secs(2), "searchable on B after {searchable:?}");
    assert_eq!(
        after["receipt"]["results"][0]["subject"]["code"].as_str(),
        Some("91630100MA7X00018G"),
        "B's check answer follows A's write: {after}"
    );
    assert_eq!(leaders, 1, "exactly one node holds the jobs lock");
    assert_eq!(
        (job["status"].as_str(), job["done"].as_i64()),
        (Some("done"), Some(2)),
        "node B follows A's job: {job}"
    );
}

fn json_check(subject: &str) -> Value {
    serde_json::json!({ "scene": "zfcg", "purpose": "两节点测试", "subjects": [subject] })
}

/// A SQLite deployment moved to PostgreSQL with `export-store` and `import-store`: every row of every table
/// survives (the PostgreSQL store exports the very same file), the audit trail verifies there, and a store that
/// holds data is not imported into.
#[test]
fn a_sqlite_deployment_moves_to_postgresql_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let file = dir.path().join("处罚.csv");
    write_gb18030_csv(&file);
    let ok = |out: Output| {
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        out
    };
    ok(credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None));
    ok(credo(&["user", "add", "--data", d, "--username", "ops", "--name", "运维", "--role", "reviewer"], None));
    ok(credo(
        &[
            "case",
            "object",
            "--data",
            d,
            "--record",
            "1",
            "--reason",
            "处罚决定已被撤销",
            "--name",
            "张三",
            "--phone",
            "13800000000",
        ],
        None,
    ));
    ok(credo(&["audit", "checkpoint", "--data", d], None));
    let (sqlite_dump, pg_dump) = (dir.path().join("sqlite.jsonl"), dir.path().join("pg.jsonl"));
    ok(credo(&["export-store", "--data", d, "--out", sqlite_dump.to_str().unwrap()], None));

    let url = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = credo_pgtest::database().await;
        credo_store::PgStore::migrate_database(&url).await.unwrap();
        url
    });
    let on_pg = |args: &[&str]| {
        let mut all = vec!["--store", url.as_str()];
        all.extend_from_slice(args);
        credo(&all, None)
    };
    let imported = ok(on_pg(&["import-store", "--data", d, sqlite_dump.to_str().unwrap()]));
    let counts = &lines(&imported)[0]["imported"];
    for table in [
        "departments",
        "subjects",
        "records",
        "record_versions",
        "accounts",
        "cases",
        "audit_events",
        "audit_checkpoints",
        "changes",
    ] {
        assert!(counts[table].as_u64().unwrap_or(0) > 0, "{table}: {counts}");
    }
    ok(on_pg(&["export-store", "--data", d, "--out", pg_dump.to_str().unwrap()]));
    assert_eq!(
        std::fs::read_to_string(&pg_dump).unwrap(),
        std::fs::read_to_string(&sqlite_dump).unwrap(),
        "every row of every table, on PostgreSQL as on SQLite"
    );
    let verified = ok(on_pg(&["audit", "verify", "--data", d]));
    assert!(
        String::from_utf8_lossy(&verified.stdout).contains("\"intact\":true"),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    assert_eq!(
        on_pg(&["import-store", "--data", d, sqlite_dump.to_str().unwrap()]).status.code(),
        Some(2),
        "not into a used store"
    );
    // The moved store works: a new record gets the next id, and is found.
    let more = dir.path().join("more.csv");
    let penalty = Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
        .without("CF_FRDB")
        .number("宁市监罚〔2026〕77号")
        .conduct("虚假宣传")
        .basis("《广告法》")
        .fine("20")
        .decided("2026/11/02")
        .department("西宁市市场监督管理局", DEPT);
    std::fs::write(&more, builders::csv(&[penalty])).unwrap();
    let out = ok(on_pg(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, more.to_str().unwrap()]));
    assert_eq!(lines(&out)[0]["accepted"], 1);
}

/// `credo backup` copies the SQLite database while it is in use; `credo restore` puts the copy back once the server
/// is stopped, keeping the database it replaces.
#[test]
fn backup_and_restore_of_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let file = dir.path().join("处罚.csv");
    write_gb18030_csv(&file);
    let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let backup = dir.path().join("backup.sqlite");
    let out = credo(&["backup", "--data", d, backup.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        credo(&["backup", "--data", d, backup.to_str().unwrap()], None).status.code(),
        Some(2),
        "never over a file"
    );
    let records = count(&data, "SELECT COUNT(*) FROM records");
    let more = dir.path().join("more.csv");
    let penalty = Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
        .without("CF_FRDB")
        .number("宁市监罚〔2026〕77号")
        .conduct("虚假宣传")
        .basis("《广告法》")
        .fine("20")
        .decided("2026/11/02")
        .department("西宁市市场监督管理局", DEPT);
    std::fs::write(&more, builders::csv(&[penalty])).unwrap();
    assert_eq!(
        credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, more.to_str().unwrap()], None).status.code(),
        Some(0)
    );
    assert_eq!(count(&data, "SELECT COUNT(*) FROM records"), records + 1);

    // Not while a server runs.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(["serve", "--data", d, "--addr", &addr])
        .env("CREDO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&addr, "/healthz").is_some_and(|b| b.ends_with("ok"))
    });
    let refused = credo(&["restore", "--data", d, backup.to_str().unwrap()], None);
    let _ = server.kill();
    let _ = server.wait();
    assert!(up);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));

    let not_a_backup = dir.path().join("not.sqlite");
    std::fs::write(&not_a_backup, "hello").unwrap();
    assert_eq!(credo(&["restore", "--data", d, not_a_backup.to_str().unwrap()], None).status.code(), Some(2));
    let out = credo(&["restore", "--data", d, backup.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let replaced = lines(&out)[0]["replaced"].as_str().unwrap().to_string();
    assert!(Path::new(&replaced).exists(), "the replaced database is kept");
    assert_eq!(count(&data, "SELECT COUNT(*) FROM records"), records, "as it was at the backup");
    // The server signed the chain's head when it stopped, after the backup: the trail says which events the restore
    // took away (a restore is a rewind, and the anchor file outside the database remembers).
    let verified = credo(&["audit", "verify", "--data", d], None);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{said}");
    assert!(said.contains("链头被回退"), "{said}");
}

/// `POST /api/v1/batches` of a CSV file as multipart (item and file) to a server at `addr`: status and body (`None`
/// when the connection broke, as when the server is killed).
fn upload(addr: &str, key: &str, item: &str, name: &str, csv: &[u8]) -> Option<(u16, Value)> {
    post_file(addr, "/api/v1/batches", key, &[("item", item)], name, csv)
}

/// `POST path` of a multipart form (`fields`, then `file`) to a server at `addr`: status and body (`None` when the
/// connection broke).
fn post_file(
    addr: &str,
    path: &str,
    key: &str,
    fields: &[(&str, &str)],
    name: &str,
    csv: &[u8],
) -> Option<(u16, Value)> {
    use std::io::Read;
    let boundary = "credo-test-boundary-7f3a";
    let mut body = Vec::new();
    for (field, value) in fields {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").ok()?;
    }
    write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n").ok()?;
    write!(body, "Content-Type: text/csv\r\n\r\n").ok()?;
    body.extend_from_slice(csv);
    write!(body, "\r\n--{boundary}--\r\n").ok()?;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .ok()?;
    s.write_all(&body).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let status = reply.split(' ').nth(1).and_then(|c| c.parse().ok())?;
    let json = reply.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    Some((status, json))
}

/// `kill -9` of the server in the middle of an uploaded batch, on both stores: no accepted row is lost and no half
/// batch shows as finished; the restarted server closes the batch as interrupted with the rows it committed, and
/// sending the file again finishes with the right totals, nothing stored twice.
#[test]
fn a_server_killed_in_the_middle_of_a_batch_loses_nothing() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let (data, file) = (dir.path().join("data"), dir.path().join("xzcf.csv"));
        let d = data.to_str().unwrap();
        let synth = credo(&["synth", "--rows", "60000", "--out", file.to_str().unwrap()], None);
        assert!(synth.status.success(), "{}", String::from_utf8_lossy(&synth.stderr));
        let csv = std::fs::read(&file).unwrap();
        assert!(
            credo(
                &["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局", "--items", "xzcf"],
                None
            )
            .status
            .success()
        );
        let key =
            lines(&credo(&["dept", "key", "--data", d, "--uscc", DEPT], None))[0]["key"].as_str().unwrap().to_string();
        let serve = || {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let addr = format!("127.0.0.1:{port}");
            let child = Command::new(env!("CARGO_BIN_EXE_credo"))
                .envs(store_env())
                .args(["serve", "--data", d, "--addr", &addr])
                .env("CREDO_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let up = (0..150).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(100));
                http_get(&addr, "/healthz").is_some_and(|b| b.ends_with("ok"))
            });
            assert!(up, "the server did not start");
            (child, addr)
        };
        let (mut server, addr) = serve();
        let sending = {
            let (addr, key, csv) = (addr.clone(), key.clone(), csv.clone());
            std::thread::spawn(move || upload(&addr, &key, "xzcf", "xzcf.csv", &csv))
        };
        let started = std::time::Instant::now();
        while count(&data, "SELECT COUNT(*) FROM record_versions") < 5_000 {
            assert!(started.elapsed() < std::time::Duration::from_secs(300), "no rows committed");
            assert!(!sending.is_finished(), "the batch finished before the server could be killed");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        assert!(sending.join().unwrap().is_none(), "the upload got no answer");
        let committed = count(&data, "SELECT COUNT(*) FROM record_versions");
        assert!(committed < 60_000);
        assert_eq!(count(&data, "SELECT COUNT(*) FROM batches WHERE finished_at IS NULL"), 1, "left open by the kill");

        // The restarted server closes it as interrupted, with the rows it had committed.
        let (mut server, addr) = serve();
        assert_eq!(count(&data, "SELECT COUNT(*) FROM batches WHERE finished_at IS NULL"), 0);
        assert_eq!(count(&data, "SELECT interrupted FROM batches WHERE id = 1"), 1);
        assert_eq!(count(&data, "SELECT accepted FROM batches WHERE id = 1"), committed, "the rows it committed");
        let again = upload(&addr, &key, "xzcf", "xzcf.csv", &csv);
        let _ = server.kill();
        let _ = server.wait();
        let (status, s) = again.expect("an answer");
        assert_eq!(status, 200, "{s}");
        let n = |k: &str| s[k].as_i64().unwrap();
        assert_eq!(n("accepted") + n("duplicates") + n("rejected"), n("rows"), "every row accounted for: {s}");
        assert!(n("duplicates") >= committed, "the committed rows are named as already accepted: {s}");
        assert_eq!(
            count(&data, "SELECT COUNT(*) FROM record_versions"),
            committed + n("accepted"),
            "nothing stored twice"
        );
    });
}

/// `credo report` writes a signed PDF whose text names the subject, its code and its penalty's document number;
/// `credo verify` accepts it under the data directory's key and under the published PEM, refuses it under another
/// key and after one byte changes (exit 1); a report of a code the platform does not know exits 2.
#[test]
fn report_writes_a_signed_pdf_that_verify_accepts_and_a_changed_byte_fails() {
    on_both(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let file = dir.path().join("处罚.csv");
        write_gb18030_csv(&file);
        let out = credo(&["import", "--data", d, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let pdf = dir.path().join("report.pdf");
        let out = credo(&["report", "--data", d, "--out", pdf.to_str().unwrap(), "91630100MA7X00018G"], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let issued = &lines(&out)[0];
        let number = issued["number"].as_str().unwrap().to_string();
        let text = Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
        let text = String::from_utf8(text.stdout).unwrap();
        for want in [
            "法人和非法人组织公共信用信息报告",
            "西宁市城东区鑫源商贸有限公司",
            "91630100MA7X00018G",
            "宁市监罚〔2025〕1号",
            "行政处罚信息",
            number.as_str(),
        ] {
            assert!(text.contains(want), "{want} not in:\n{text}");
        }
        let ok = credo(&["verify", "--data", d, pdf.to_str().unwrap()], None);
        assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
        assert_eq!(lines(&ok)[0]["number"], number.as_str());
        // Under another data directory's key (another platform): refused.
        let other = tempfile::tempdir().unwrap();
        let o = other.path().to_str().unwrap();
        assert_eq!(
            credo(&["import", "--data", o, "--item", "xzcf", "--dept", DEPT, file.to_str().unwrap()], None)
                .status
                .code(),
            Some(0)
        );
        assert_eq!(credo(&["verify", "--data", o, pdf.to_str().unwrap()], None).status.code(), Some(1));
        let mut bytes = std::fs::read(&pdf).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        let bad = dir.path().join("bad.pdf");
        std::fs::write(&bad, &bytes).unwrap();
        let out = credo(&["verify", "--data", d, bad.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(lines(&out)[0]["valid"], false);
        let none = credo(&["report", "--data", d, "--out", pdf.to_str().unwrap(), "91630100MA6U7E3K1Q"], None);
        assert_eq!(none.status.code(), Some(2), "{}", String::from_utf8_lossy(&none.stderr));

        // Printed at the counter for the subject itself; a day that is no day, or in the future, is refused.
        let own = dir.path().join("own.pdf");
        let out = credo(
            &["report", "--data", d, "--kind", "own", "--out", own.to_str().unwrap(), "91630100MA7X00018G"],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = Command::new("pdftotext").arg(&own).arg("-").output().unwrap();
        assert!(String::from_utf8(text.stdout).unwrap().contains("本人查询"));
        for day in ["2026-13-01", "2999-01-01"] {
            let out = credo(
                &["report", "--data", d, "--as-of", day, "--out", own.to_str().unwrap(), "91630100MA7X00018G"],
                None,
            );
            assert_eq!(out.status.code(), Some(2), "{day}: {}", String::from_utf8_lossy(&out.stderr));
        }
        // Revoked once, with a reason.
        let out = credo(&["revoke-report", "--data", d, "--reason", "出具有误", &number], None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(lines(&out)[0]["reason"], "出具有误");
        let again = credo(&["revoke-report", "--data", d, "--reason", "出具有误", &number], None);
        assert_eq!(again.status.code(), Some(2));
    });
}

#[test]
fn logs_are_json_lines_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(["dept", "add", "--data", d, "--uscc", DEPT, "--name", "西宁市市场监督管理局"])
        .env("CREDO_LOG", "debug")
        .env("CREDO_LOG_FORMAT", "json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    assert!(!lines.is_empty(), "nothing logged");
    assert!(lines.iter().all(|l| l["level"].is_string() && l["timestamp"].is_string() && l["fields"].is_object()));
}
