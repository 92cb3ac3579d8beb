//! Generated input shared by the fuzz tests (`fuzz_routes.rs`, `openapi.rs`): garbage strings, a record to
//! submit, every kind of caller, and values of path parameters that exist.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Auth, COMPANY, DEPT, TestApp, add_account, send, sign_in, solved_challenge};

/// Path parameter values, query values and JSON strings that have broken servers.
pub const EVIL: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e308",
    "NaN",
    "null",
    "true",
    "../../../../etc/passwd",
    "..",
    ".",
    "a/b",
    "%",
    "%zz",
    "%00",
    "\u{0}",
    "'; DROP TABLE records; --",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "信用西宁",
    "😀",
    "\u{202e}gnp.exe",
    "\u{feff}",
    "\r\n",
    "\\",
    "*",
    "?",
    "#",
    "&",
    "=",
    "西宁市城东区鑫源商贸有限公司",
    COMPANY,
    DEPT,
    "91630100MA7X00018H",
    "630102199001011235",
    "YY0",
    "CK0",
    "JOB0",
    "00000000",
    "target",
];

/// A garbage string: long, random code points, long Chinese, numbers past i64, or one of [`EVIL`].
pub fn evil_string(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..10) {
        0 => "A".repeat(rng.random_range(256..20_000)),
        1 => (0..rng.random_range(1..40))
            .map(|_| char::from_u32(rng.random_range(0..0x11_0000)).unwrap_or('\u{fffd}'))
            .collect(),
        2 => "信".repeat(rng.random_range(100..3000)),
        3 => rng.random::<i64>().to_string(),
        4 => rng.random::<u128>().to_string(),
        _ => EVIL.choose(rng).unwrap().to_string(),
    }
}

pub fn penalty() -> Value {
    json!({
        "CF_XDR_MC": "西宁市城东区鑫源商贸有限公司", "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": COMPANY,
        "CF_FRDB": "张三", "CF_WSH": "宁市监罚〔2025〕1号", "CF_WFXW": "销售不合格商品", "CF_SY": "经查属实",
        "CF_YJ": "《产品质量法》第四十九条", "CF_CFLB": "警告;罚款", "CF_NR": "警告并罚款2000元", "CF_NR_FK": "0.2",
        "CF_JDRQ": "2026/11/01", "CF_YXQ": "2099/12/31", "CF_CFJG": "西宁市市场监督管理局", "CF_CFJGDM": DEPT,
        "CF_SJLY": "西宁市市场监督管理局", "CF_SJLYDM": DEPT,
    })
}

/// Values for a path parameter that exist (so that some requests get past the lookup) by parameter name.
pub struct Known {
    pub params: BTreeMap<&'static str, Vec<String>>,
    pub record: i64,
}

impl Known {
    pub fn for_param(&self, name: &str) -> &[String] {
        self.params.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The principals: who they are and how they authenticate.
pub async fn principals(t: &TestApp) -> Vec<(&'static str, Auth)> {
    let mut out: Vec<(&str, Auth)> = vec![("anonymous", Auth::None), ("key_submit", Auth::Key(t.key.clone()))];
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let (check_key, _) =
        credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
    out.push(("key_check", Auth::Key(check_key)));
    add_account(t, "target", "submitter").await;
    for role in ["sysadmin", "secadmin", "auditor", "reviewer", "submitter", "checker", "handler", "subject"] {
        add_account(t, role, role).await;
        out.push((role, sign_in(t, role).await));
    }
    out
}

/// Records, a batch, a case and a check that exist, so that some requests get past their lookups.
pub async fn known(t: &TestApp, batch: i64, principals: &[(&str, Auth)]) -> Known {
    let profile = t.get_json(&format!("/api/v1/subjects/{COMPANY}")).await;
    let record = profile["items"][0]["records"][0]["id"].as_i64().expect("the record is published");
    let mut params: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    params.insert("id", vec![batch.to_string(), record.to_string(), "0".into(), "-1".into()]);
    params.insert("key", vec![COMPANY.into(), "鑫源".into()]);
    params.insert("uscc", vec![DEPT.into(), COMPANY.into()]);
    params.insert("prefix", vec!["00000000".into()]);
    params.insert("username", vec!["target".into(), "nobody".into()]);
    params.insert("n", vec!["1".into(), "0".into(), "99".into()]);
    params.insert("list", vec!["sgs".into(), "yzsx".into(), "jyyc".into(), "sxbzxr".into(), "sxjl".into()]);
    // An objection, filed as a visitor would.
    let body = json!({
        "record": record, "reason": "罚款金额登记有误", "contact": {"name": "王五", "phone": "0971-8888888"},
        "challenge": solved_challenge(t).await,
    });
    let r = send(t, &Auth::None, Method::POST, "/api/v1/objections", Some(body)).await;
    let number = r.body["number"].as_str().map(str::to_string);
    params.insert("number", number.into_iter().chain(["YY0".to_string()]).collect());
    // A check.
    let checker = &principals.iter().find(|(who, _)| *who == "key_check").unwrap().1;
    let body = json!({"scene": "zfcg", "purpose": "fuzz", "subjects": [COMPANY]});
    let r = send(t, checker, Method::POST, "/api/v1/checks", Some(body)).await;
    if let Some(id) = r.body["receipt"]["id"].as_str().or(r.body["id"].as_str()) {
        params.get_mut("id").unwrap().push(id.to_string());
    }
    Known { params, record }
}
