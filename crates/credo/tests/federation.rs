//! City ↔ province federation (issue 20) with three `credo serve` processes on loopback: a province and two cities.
//! A record submitted in a city appears in the province with its origin; a withdrawal in the city reaches it; a
//! province that stops and starts again loses nothing (it takes up from its place in the city's feed).

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const XINING_DEPT: &str = "11630100MB174225XT";

/// A valid code of kind `kind` (11 机关, 91 企业) in `region`.
fn code(kind: &str, region: &str, body: &str) -> String {
    credo_synth::uscc_from(kind, region, body)
}

fn credo(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_credo")).args(args).env("CREDO_LOG", "warn").output().unwrap();
    assert!(out.status.success(), "credo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(String::from_utf8_lossy(&out.stdout).lines().next().unwrap().as_bytes()).unwrap()
}

fn port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("127.0.0.1:{port}")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(data: &Path, addr: &str, extra: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_credo"))
        .args(["serve", "--data", data.to_str().unwrap(), "--addr", addr, "--rate-per-address", "0"])
        .args(extra)
        .env("CREDO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(data.with_extension("log")).unwrap())
        .spawn()
        .unwrap();
    let server = Server(child);
    let up =
        eventually(|| async { reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status() == 200) })
            .await;
    assert!(up, "{addr} did not start");
    server
}

/// The servers' logs, for a failure's message.
fn logs(root: &Path) -> String {
    ["xining", "haidong", "province"]
        .iter()
        .map(|n| format!("== {n}\n{}", std::fs::read_to_string(root.join(format!("{n}.log"))).unwrap_or_default()))
        .collect()
}

/// Whether `check` holds within 30 s.
async fn eventually<F: std::future::Future<Output = bool>>(check: impl Fn() -> F) -> bool {
    for _ in 0..150 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

fn penalty_csv(path: &Path, dept: &str, dept_name: &str, rows: &[(&str, &str, &str)]) {
    let header = "行政相对人名称,行政相对人类别,行政相对人代码_1(统一社会信用代码),行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额(万元),处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码";
    let today = time::OffsetDateTime::now_utc().date();
    let lines: Vec<String> = rows
        .iter()
        .map(|(name, code, number)| {
            format!("{name},法人及非法人组织,{code},{number},虚假宣传,经查属实,《广告法》,罚款,罚款,1.5,{today},2099-12-31,{dept_name},{dept},{dept_name},{dept}")
        })
        .collect();
    std::fs::write(path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
}

/// A platform's public view of a subject's records: (department, record id) of each.
async fn records_in(addr: &str, code: &str) -> Vec<(String, i64)> {
    let Ok(r) = reqwest::get(format!("http://{addr}/api/v1/subjects/{code}")).await else { return Vec::new() };
    let v: Value = r.json().await.unwrap_or_default();
    let items = v["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .flat_map(|i| i["records"].as_array().cloned().unwrap_or_default())
        .map(|r| (r["department"].as_str().unwrap_or_default().to_string(), r["id"].as_i64().unwrap_or(0)))
        .collect()
}

/// A city: its data directory with its department, its records and the province's key.
fn city(
    root: &Path,
    province: &str,
    name: &str,
    dept: &str,
    dept_name: &str,
    rows: &[(&str, &str, &str)],
) -> (PathBuf, String) {
    let data = root.join(name);
    let d = data.to_str().unwrap();
    credo(&["dept", "add", "--data", d, "--uscc", dept, "--name", dept_name, "--items", "xzcf"]);
    let file = root.join(format!("{name}.csv"));
    penalty_csv(&file, dept, dept_name, rows);
    credo(&["import", "--data", d, "--item", "xzcf", "--dept", dept, file.to_str().unwrap()]);
    credo(&[
        "dept",
        "add",
        "--data",
        d,
        "--uscc",
        province,
        "--name",
        "青海省公共信用信息平台",
        "--disclosure",
        "公开,政务共享",
    ]);
    let key = json_out(&credo(&["dept", "key", "--data", d, "--uscc", province, "--scopes", "check"]))["key"]
        .as_str()
        .unwrap()
        .to_string();
    (data, key)
}

/// RFC 4648 base32 (the TOTP secret in an `otpauth://` link).
fn base32(s: &str) -> Vec<u8> {
    let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        };
        bits = (bits << 5) | u32::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// Withdraws a record in the city's console, as its department's case handler does.
async fn withdraw(data: &Path, addr: &str, record: i64) {
    let d = data.to_str().unwrap();
    let made = json_out(&credo(&[
        "user",
        "add",
        "--data",
        d,
        "--username",
        "handler",
        "--name",
        "办理员",
        "--role",
        "handler",
        "--dept",
        XINING_DEPT,
    ]));
    let uri = made["totp"]["uri"].as_str().unwrap();
    let secret = base32(uri.split("secret=").nth(1).unwrap().split('&').next().unwrap());
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let totp = credo_gm::totp::code_at(&secret, now).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({ "username": "handler", "password": made["password"], "totp": totp }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = r.json::<Value>().await.unwrap()["csrf"].as_str().unwrap().to_string();
    let r = http
        .post(format!("http://{addr}/console/records/{record}/withdraw"))
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("reason", "处罚决定已被撤销")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_takes_in_two_cities_keeps_the_origin_follows_withdrawals_and_loses_nothing_on_restart() {
    // The province's department in each city (the consumer of the city's feed), Haidong's department, the
    // province's departments that stand for the two city platforms, and three companies.
    let province_dept = code("11", "630000", "PR000001");
    let haidong_dept = code("11", "632100", "HDJ00001");
    let (xining_platform, haidong_platform) = (code("11", "630100", "XNPT0001"), code("11", "632100", "HDPT0001"));
    let (a, b, c) =
        (code("91", "630100", "FED00001"), code("91", "632100", "FED00002"), code("91", "630100", "FED00003"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (xining, xining_key) = city(
        root,
        &province_dept,
        "xining",
        XINING_DEPT,
        "西宁市市场监督管理局",
        &[("西宁联邦甲商贸有限公司", &a, "宁市监罚〔2026〕901号")],
    );
    let (haidong, haidong_key) = city(
        root,
        &province_dept,
        "haidong",
        &haidong_dept,
        "海东市市场监督管理局",
        &[("海东联邦乙商贸有限公司", &b, "东市监罚〔2026〕902号")],
    );
    let (xa, ha, pa) = (port(), port(), port());
    let province = root.join("province");
    let p = province.to_str().unwrap();
    for (uscc, name, region) in [
        (&xining_platform, "西宁市公共信用信息平台", "630100"),
        (&haidong_platform, "海东市公共信用信息平台", "632100"),
    ] {
        credo(&[
            "dept",
            "add",
            "--data",
            p,
            "--uscc",
            uscc,
            "--name",
            name,
            "--region",
            region,
            "--items",
            "xzxk,xzcf",
        ]);
    }
    let cities = root.join("cities.toml");
    std::fs::write(
        &cities,
        format!(
            "[[city]]\ncode = \"630100\"\nname = \"西宁市\"\nurl = \"http://{xa}\"\nkey = \"{xining_key}\"\ndepartment = \"{xining_platform}\"\n\n\
             [[city]]\ncode = \"632100\"\nname = \"海东市\"\nurl = \"http://{ha}\"\nkey = \"{haidong_key}\"\ndepartment = \"{haidong_platform}\"\n"
        ),
    )
    .unwrap();
    let _x = serve(&xining, &xa, &[]).await;
    let _h = serve(&haidong, &ha, &[]).await;
    let province_args = ["--role", "province", "--cities", cities.to_str().unwrap()];
    let p_server = serve(&province, &pa, &province_args).await;

    // Each city's record appears in the province, its origin the city's platform.
    let from_xining = eventually(|| async { !records_in(&pa, &a).await.is_empty() }).await;
    if !from_xining {
        let get = |u: String| async move { reqwest::get(u).await.unwrap().text().await.unwrap() };
        panic!(
            "Xining's record did not reach the province: {}\nprovince: {}\ncity: {}",
            logs(root),
            get(format!("http://{pa}/api/v1/subjects/{a}")).await,
            get(format!("http://{xa}/api/v1/feed")).await
        );
    }
    assert_eq!(records_in(&pa, &a).await[0].0, "西宁市公共信用信息平台");
    let from_haidong = eventually(|| async { !records_in(&pa, &b).await.is_empty() }).await;
    assert!(from_haidong, "Haidong's record did not reach the province: {}", logs(root));
    assert_eq!(records_in(&pa, &b).await[0].0, "海东市公共信用信息平台");
    // The city sees the province's acknowledgement.
    let acked = eventually(|| async {
        let m = reqwest::get(format!("http://{xa}/metrics")).await.unwrap().text().await.unwrap();
        m.lines().any(|l| l.starts_with("credo_feed_lag{consumer=\"department-") && l.ends_with(" 0"))
    })
    .await;
    assert!(acked, "Xining does not see the province's acknowledgement: {}", logs(root));

    // A withdrawal in Xining reaches the province.
    let city_record = records_in(&xa, &a).await[0].1;
    withdraw(&xining, &xa, city_record).await;
    let gone = eventually(|| async { records_in(&pa, &a).await.is_empty() }).await;
    assert!(gone, "the withdrawal did not reach the province: {}", logs(root));

    // The province stops; Xining records more meanwhile; the province starts again and has it, once.
    drop(p_server);
    let file = root.join("more.csv");
    penalty_csv(&file, XINING_DEPT, "西宁市市场监督管理局", &[("西宁联邦丙商贸有限公司", &c, "宁市监罚〔2026〕903号")]);
    credo(&[
        "import",
        "--data",
        xining.to_str().unwrap(),
        "--item",
        "xzcf",
        "--dept",
        XINING_DEPT,
        file.to_str().unwrap(),
    ]);
    let _p = serve(&province, &pa, &province_args).await;
    let after_restart = eventually(|| async { !records_in(&pa, &c).await.is_empty() }).await;
    assert!(after_restart, "what Xining recorded while the province was down did not arrive: {}", logs(root));
    assert_eq!(records_in(&pa, &c).await.len(), 1);
    assert_eq!(records_in(&pa, &b).await.len(), 1, "nothing taken in twice");
}
