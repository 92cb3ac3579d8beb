//! 联合奖惩核查 end to end: the scenario table taken from the laws, legal representatives, expiry and withdrawal,
//! replay `as_of`, signed receipts, feedback, statistics and the checked subject's access log.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, TestApp, spawn};
use credo_store::Permissions;
use serde_json::{Value, json};

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

const SRC: &str = "西宁市市场监督管理局";

fn jyyc(n: u32, listed: &str, removed: Option<&str>) -> Value {
    let mut v = json!({
        "YC_QYMC": format!("经营异常{n}有限公司"), "YC_SHXYM": code(n), "YC_LRYY": "未按规定公示年度报告",
        "YC_LRWSH": format!("宁市监异〔2026〕{n}号"), "YC_LRRQ": listed, "YC_ZCJG": SRC, "YC_SJLY": SRC, "YC_SJLYDM": DEPT,
    });
    if let Some(r) = removed {
        v["YC_YCRQ"] = json!(r);
        v["YC_YCYY"] = json!("已补报年度报告");
    }
    v
}

fn xzcf(n: u32, kinds: &str, fine: &str, decided: &str) -> Value {
    json!({
        "CF_XDR_MC": format!("处罚{n}有限公司"), "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code(n), "CF_FRDB": "赵六",
        "CF_WSH": format!("宁市监罚〔{n}〕号"), "CF_WFXW": "违法行为", "CF_SY": "经查属实", "CF_YJ": "《产品质量法》第四十九条",
        "CF_CFLB": kinds, "CF_NR": "处罚", "CF_NR_FK": fine, "CF_JDRQ": decided, "CF_YXQ": "2099/12/31",
        "CF_CFJG": SRC, "CF_CFJGDM": DEPT, "CF_SJLY": SRC, "CF_SJLYDM": DEPT,
    })
}

fn person_penalty(name: &str, ric: &str) -> Value {
    json!({
        "CF_XDR_MC": name, "CF_XDR_LB": "自然人", "CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": ric,
        "CF_WSH": "宁市监罚〔2020〕7号", "CF_WFXW": "违法行为", "CF_SY": "经查属实", "CF_YJ": "《产品质量法》第四十九条",
        "CF_CFLB": "警告", "CF_NR": "警告", "CF_JDRQ": "2020/05/01", "CF_YXQ": "2099/12/31",
        "CF_CFJG": SRC, "CF_CFJGDM": DEPT, "CF_SJLY": SRC, "CF_SJLYDM": DEPT,
    })
}

fn sxbzxr(n: u32, rep: &str, published: &str, shielded: Option<&str>) -> Value {
    let mut v = json!({
        "ZX_MC": format!("被执行{n}有限公司"), "ZX_ZTLB": "法人及非法人组织", "ZX_SHXYM": code(n), "ZX_FDDBR": rep,
        "ZX_AH": format!("(2026)青0103执{n}号"), "ZX_ZXFY": "西宁市城东区人民法院", "ZX_ZXYJWH": "(2025)青0103民初1号",
        "ZX_ZCZXYJDW": "西宁市城东区人民法院", "ZX_YW": "支付货款10万元", "ZX_LXQK": "全部未履行",
        "ZX_SXQX": "有履行能力而拒不履行生效法律文书确定义务", "ZX_LARQ": "2026-01-05", "ZX_FBRQ": published,
        "ZX_SJLY": "西宁市中级人民法院", "ZX_SJLYDM": DEPT,
    });
    if let Some(s) = shielded {
        v["ZX_PBRQ"] = json!(s);
    }
    v
}

fn sxjl(n: u32, from: &str, until: &str) -> Value {
    json!({
        "HM_MC": format!("守信{n}有限公司"), "HM_ZTLB": "法人及非法人组织", "HM_SHXYM": code(n), "HM_MDMC": "A级纳税人",
        "HM_RDYJ": "纳税信用管理办法", "HM_RDWH": format!("宁税红〔2026〕{n}号"), "HM_RDRQ": from, "HM_YXQZ": until,
        "HM_RDJG": "国家税务总局西宁市税务局", "HM_RDJGDM": DEPT, "HM_SJLY": "国家税务总局西宁市税务局", "HM_SJLYDM": DEPT,
    })
}

fn yzsx(n: u32, listed: &str) -> Value {
    json!({
        "YZ_MC": format!("严重失信{n}有限公司"), "YZ_ZTLB": "法人及非法人组织", "YZ_SHXYM": code(n), "YZ_FDDBR": "钱七",
        "YZ_MDLX": "市场监管领域严重违法失信名单", "YZ_LRYY": "提交虚假材料取得登记", "YZ_LRYJ": "市场监督管理严重违法失信名单管理办法第十条",
        "YZ_LRWSH": format!("宁市监严〔2026〕{n}号"), "YZ_LRRQ": listed, "YZ_RDJG": SRC, "YZ_RDJGDM": DEPT, "YZ_SJLY": SRC, "YZ_SJLYDM": DEPT,
    })
}

async fn setup() -> TestApp {
    let t = spawn().await;
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let scenes: Vec<String> = t.app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect();
    let p = Permissions { items: all, scenes, disclosure: vec!["公开".into()] };
    t.app.store.set_permissions(dept.id, &p).await.unwrap();
    for (item, records) in [
        ("jyyc", vec![jyyc(1, "2026-03-01", None), jyyc(2, "2025-01-01", Some("2026-01-10"))]),
        (
            "xzcf",
            vec![
                xzcf(3, "警告;罚款", "250", "2024/06/01"),
                xzcf(4, "罚款", "150", "2024/06/01"),
                xzcf(5, "罚款", "300", "2023/06/01"),
                xzcf(6, "责令停产停业", "0", "2025/02/01"),
                person_penalty("王五", "630102199001011235"),
            ],
        ),
        ("sxbzxr", vec![sxbzxr(7, "王五", "2026-05-01", None), sxbzxr(8, "孙八", "2026-02-01", Some("2026-06-01"))]),
        ("sxjl", vec![sxjl(9, "2026-01-10", "2027-12-31"), sxjl(10, "2025-01-10", "2026-01-01")]),
        ("yzsx", vec![yzsx(11, "2026-02-01")]),
    ] {
        let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["rejected"], 0, "{item}: {s}");
    }
    t
}

async fn check(t: &TestApp, scene: &str, subjects: &[&str], as_of: Option<&str>) -> Value {
    let key = check_key(t).await;
    let body = json!({ "scene": scene, "purpose": "测试核查", "reference": "ZB-2026-001", "subjects": subjects, "as_of": as_of });
    let r = t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(key).json(&body).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

/// `GET path` with a key, as JSON.
async fn get_json(t: &TestApp, key: &str, path: &str) -> Value {
    t.http.get(format!("{}{path}", t.base)).bearer_auth(key).send().await.unwrap().json().await.unwrap()
}

async fn check_key(t: &TestApp) -> String {
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    credo_server::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap().0
}

fn decision(v: &Value, i: usize) -> String {
    v["receipt"]["results"][i]["decision"].as_str().unwrap_or("none").to_string()
}

#[tokio::test]
async fn the_scenario_table_from_the_laws() {
    let t = setup().await;
    let (a, a2, b, b_small, b_old, b_stop) = (code(1), code(2), code(3), code(4), code(5), code(6));
    let (c, c2, d, d2, e) = (code(7), code(8), code(9), code(10), code(11));
    let person = "630102199001011235";
    // (scene, subject, expected decision, why)
    let table: Vec<(&str, &str, &str, &str)> = vec![
        ("zfcg", &a, "restricted", "经营异常名录: 企业信息公示暂行条例第十八条"),
        ("ztb", &a, "restricted", "经营异常名录 → 招投标"),
        ("tdcr", &a, "restricted", "经营异常名录 → 土地出让"),
        ("pypx", &a, "restricted", "经营异常名录 → 荣誉称号"),
        ("jg", &a, "attention", "经营异常名录 → 加强监管"),
        ("xzxk", &a, "clear", "经营异常名录 does not touch 行政许可"),
        ("zfcg", &a2, "clear", "removed from the list before today"),
        ("zfcg", &b, "prohibited", "较大数额罚款 (≥ 200 万元) within 3 years"),
        ("zfcg", &b_small, "clear", "a fine under the threshold is not 较大数额"),
        ("zfcg", &b_old, "clear", "较大数额罚款 more than 3 years ago"),
        ("zfcg", &b_stop, "prohibited", "责令停产停业 within 3 years"),
        ("gxf", &c, "restricted", "失信被执行人 → 限制高消费 (subject)"),
        ("gxf", person, "restricted", "失信被执行人 → 限制高消费 (its legal representative 王五)"),
        ("zfcg", person, "clear", "the procurement restriction reaches the subject only"),
        ("zfcg", &c, "restricted", "失信被执行人 → 政府采购"),
        ("gxf", &c2, "clear", "屏蔽 (withdrawn from the list)"),
        ("xzxk", &d, "priority", "守信激励 (红名单) → 绿色通道"),
        ("xzxk", &d2, "clear", "红名单 expired"),
        ("zfcg", &e, "prohibited", "严重失信主体名单 → 禁止政府采购"),
        ("rzzg", &e, "prohibited", "严重失信 → 法定代表人三年内不得任职"),
    ];
    let mut wrong = Vec::new();
    for (scene, subject, want, why) in &table {
        let v = check(&t, scene, &[subject], None).await;
        let got = decision(&v, 0);
        if got != *want {
            wrong.push(format!("{scene} {subject}: {got}, want {want} ({why})\n{}", v["receipt"]["results"][0]));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The answer explains itself: measure, legal basis, evidence, and for the representative, through whom.
    let v = check(&t, "gxf", &[person], None).await;
    let m = &v["receipt"]["results"][0]["measures"][0];
    assert_eq!(m["id"], "SXBZXR-GXF");
    assert_eq!(m["basis"][0]["law"], "最高人民法院关于限制被执行人高消费的若干规定");
    assert_eq!(m["via"]["as"], "法定代表人");
    assert_eq!(m["via"]["of"]["code"], c);
    assert_eq!(m["evidence"][0]["item"], "sxbzxr");
    let subject = &v["receipt"]["results"][0]["subject"];
    assert_eq!(subject["code"], "6301**********1235", "a person's number is masked in the receipt");
    let v = check(&t, "zfcg", &[&b], None).await;
    let m = &v["receipt"]["results"][0]["measures"][0];
    assert_eq!((m["id"].as_str(), m["evidence"][0]["decided_on"].as_str()), (Some("XZCF-ZFCG-FK"), Some("2024-06-01")));
}

#[tokio::test]
async fn names_resolve_or_come_back_ranked_and_unknown_codes_are_reported() {
    let t = setup().await;
    let v = check(&t, "zfcg", &["经营异常1有限公司", "处罚", &code(99)], None).await;
    let r = &v["receipt"]["results"];
    assert_eq!((r[0]["status"].as_str(), r[0]["decision"].as_str()), (Some("resolved"), Some("restricted")));
    assert_eq!(r[1]["status"], "ambiguous");
    assert!(r[1]["candidates"].as_array().unwrap().len() >= 2, "{}", r[1]);
    assert_eq!((r[2]["status"].as_str(), r[2]["decision"].as_str()), (Some("not_found"), None));
}

#[tokio::test]
async fn as_of_replays_what_the_platform_knew_then() {
    let t = setup().await;
    let e = code(11);
    assert_eq!(decision(&check(&t, "zfcg", &[&e], None).await, 0), "prohibited");
    // Everything was received today: yesterday the platform knew nothing about it.
    let v = check(&t, "zfcg", &[&e], Some("2026-11-24")).await;
    assert_eq!(decision(&v, 0), "clear");
    assert_eq!(v["receipt"]["as_of"], "2026-11-24");
    assert!(v["receipt"]["replayed_to"].as_str().unwrap().starts_with("2026-11-24T23:59:59"));
    // A later version (removal) counts from when it arrived, and at once.
    let a = code(1);
    assert_eq!(decision(&check(&t, "zfcg", &[&a], None).await, 0), "restricted");
    let (status, s) =
        t.post_batch(json!({ "item": "jyyc", "records": [jyyc(1, "2026-03-01", Some("2026-11-20"))] })).await;
    assert_eq!((status, s["accepted"].as_u64()), (200, Some(1)), "{s}");
    assert_eq!(decision(&check(&t, "zfcg", &[&a], None).await, 0), "clear");
    let key = check_key(&t).await;
    let r = t
        .http
        .post(format!("{}/api/v1/checks", t.base))
        .bearer_auth(key)
        .json(&json!({ "scene": "zfcg", "purpose": "x", "subjects": [a], "as_of": "2026-12-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "the future cannot be asked about");
}

#[tokio::test]
async fn receipts_verify_offline_and_fail_when_one_byte_changes() {
    let t = setup().await;
    let v = check(&t, "zfcg", &[&code(3), &code(9)], None).await;
    let text = v.to_string();
    let id = credo_server::checks::verify_receipt(&text, None).unwrap();
    assert_eq!(id, v["receipt"]["id"].as_str().unwrap());
    // The stored receipt is the same document.
    let key = check_key(&t).await;
    let again = get_json(&t, &key, &format!("/api/v1/checks/{id}")).await;
    assert_eq!(again["receipt"], v["receipt"]);
    assert!(credo_server::checks::verify_receipt(&again.to_string(), Some(v["public_key"].as_str().unwrap())).is_ok());
    // Change one byte anywhere in the receipt: it no longer verifies.
    let bytes = text.as_bytes();
    let start = text.find("\"results\"").unwrap();
    for pos in [start + 20, start + 200, text.find("prohibited").unwrap()] {
        let mut changed = bytes.to_vec();
        changed[pos] = if changed[pos] == b'a' { b'b' } else { b'a' };
        let changed = String::from_utf8_lossy(&changed).to_string();
        assert!(credo_server::checks::verify_receipt(&changed, None).is_err(), "byte {pos} changed and still valid");
    }
    let other_key = credo_gm::sm2::KeyPair::generate().public_key_pem().unwrap();
    assert!(credo_server::checks::verify_receipt(&text, Some(&other_key)).is_err(), "pinned to the platform key");
}

#[tokio::test]
async fn feedback_statistics_and_the_subjects_access_log() {
    let t = setup().await;
    let key = check_key(&t).await;
    let v = check(&t, "zfcg", &[&code(3), &code(9), &code(1)], None).await;
    let id = v["receipt"]["id"].as_str().unwrap().to_string();
    let post = |body: Value| {
        t.http.post(format!("{}/api/v1/checks/{id}/feedback", t.base)).bearer_auth(&key).json(&body).send()
    };
    assert_eq!(post(json!({"position": 0, "action": "已惩戒"})).await.unwrap().status(), 204);
    assert_eq!(post(json!({"position": 0, "action": "已惩戒"})).await.unwrap().status(), 409, "once");
    assert_eq!(post(json!({"position": 2, "action": "未采纳"})).await.unwrap().status(), 422, "a reason is required");
    assert_eq!(post(json!({"position": 9, "action": "已惩戒"})).await.unwrap().status(), 404);
    let stats = get_json(&t, &key, "/api/v1/checks/stats").await;
    let zfcg = stats["stats"].as_array().unwrap().iter().find(|s| s["scene"] == "zfcg").unwrap();
    assert_eq!((zfcg["checks"].as_i64(), zfcg["subjects"].as_i64()), (Some(1), Some(3)));
    assert_eq!((zfcg["hits"].as_i64(), zfcg["feedback"].as_i64()), (Some(2), Some(1)), "{zfcg}");
    assert_eq!(zfcg["feedback_rate_percent"], 50.0);
    let pending = stats["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0]["check_id"].as_str(), pending[0]["position"].as_i64()), (Some(id.as_str()), Some(2)));

    // The checked subject sees who checked it and why.
    credo_server::accounts::create(
        &t.app,
        credo_server::accounts::AccountRequest {
            username: "company3".into(),
            name: "处罚3有限公司".into(),
            role: "subject".into(),
            department: None,
            subject: Some(code(3)),
            password: Some("Xn-2026-credit!".into()),
        },
        "test",
    )
    .await
    .unwrap();
    let r = t
        .http
        .post(format!("{}/api/v1/session", t.base))
        .json(&json!({"username": "company3", "password": "Xn-2026-credit!"}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let log: Value = t
        .http
        .get(format!("{}/api/v1/me/access-log", t.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = &log["events"][0];
    assert_eq!((e["department"].as_str(), e["action"].as_str()), (Some(DEPT), Some("check.zfcg")), "{log}");
    assert_eq!(e["purpose"], "测试核查(政府采购)");
}

#[tokio::test]
async fn scenes_must_be_granted_and_requests_bounded() {
    let t = setup().await;
    let key = check_key(&t).await;
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let p = Permissions { scenes: vec!["ztb".into()], ..dept.permissions.clone() };
    t.app.store.set_permissions(dept.id, &p).await.unwrap();
    let ask = |body: Value| t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(&key).json(&body).send();
    let r = ask(json!({"scene": "zfcg", "purpose": "x", "subjects": [code(1)]})).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "scene_not_permitted");
    let too_many: Vec<String> = (0..10_001).map(|i| i.to_string()).collect();
    assert_eq!(ask(json!({"scene": "ztb", "purpose": "x", "subjects": too_many})).await.unwrap().status(), 422);
    assert_eq!(ask(json!({"scene": "nosuch", "purpose": "x", "subjects": ["a"]})).await.unwrap().status(), 422);
    assert_eq!(ask(json!({"scene": "ztb", "purpose": " ", "subjects": ["a"]})).await.unwrap().status(), 422);
}

/// The index, fed batch by batch (new records, new versions, removals, re-submissions), answers exactly as a direct
/// computation from the store's latest versions does, for every subject, scene and day tried.
#[tokio::test]
async fn the_index_answers_as_the_store_does_on_random_data() {
    use rand::{Rng, SeedableRng};
    let t = setup().await;
    // Built now; from here on it only follows the change feed.
    t.app.index.ready(&t.app).await.unwrap();
    let catalog = &t.app.catalog;
    let date = |rng: &mut rand_chacha::ChaCha8Rng| {
        let d = time::Date::from_calendar_date(2022, time::Month::January, 1).unwrap()
            + time::Duration::days(rng.random_range(0..1790));
        d.to_string()
    };
    for seed in 0..3u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for _round in 0..4 {
            let mut by_item: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
            for _ in 0..25 {
                let n = 100 + rng.random_range(0..20);
                let listed = date(&mut rng);
                let later = (rng.random_bool(0.4)).then(|| date(&mut rng)).filter(|d| *d >= listed);
                let (item, v) = match rng.random_range(0..5) {
                    0 => ("jyyc", jyyc(n, &listed, later.as_deref())),
                    1 => {
                        let fine = rng.random_range(0..400).to_string();
                        let kinds =
                            ["罚款", "警告;罚款", "责令停产停业", "吊销许可证件", "警告"][rng.random_range(0..5)];
                        let mut v = xzcf(n, kinds, &fine, &listed);
                        v["CF_WSH"] = json!(format!("宁罚〔{n}〕{}号", rng.random_range(0..3)));
                        ("xzcf", v)
                    }
                    2 => ("sxbzxr", sxbzxr(n, "周九", &listed, later.as_deref())),
                    3 => ("sxjl", sxjl(n, &listed, &later.clone().unwrap_or_else(|| "2099-12-31".into()))),
                    _ => ("yzsx", yzsx(n, &listed)),
                };
                by_item.entry(item).or_default().push(v);
            }
            for (item, records) in by_item {
                let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
                assert_eq!(status, 200, "{s}");
            }
            for n in 100..120 {
                let Some(subject) = t.app.store.subject_by_code(&code(n)).await.unwrap() else { continue };
                let indexed = t.app.index.own(subject.id).await;
                let stored: Vec<credo_server::checks::Indexed> = t
                    .app
                    .store
                    .subject_records(subject.id)
                    .await
                    .unwrap()
                    .iter()
                    .filter_map(|r| credo_server::checks::Indexed::from_view(catalog, r))
                    .collect();
                for scene in catalog.measures.scenes.iter().map(|s| s.code.as_str()) {
                    for day in ["2023-06-30", "2025-01-01", "2026-11-25"] {
                        let day = credo_domain::value::parse_date(day).unwrap();
                        let (a, ma) = credo_server::checks::evaluate(catalog, scene, day, &indexed, &[], "");
                        let (b, mb) = credo_server::checks::evaluate(catalog, scene, day, &stored, &[], "");
                        assert_eq!((a, &ma), (b, &mb), "seed {seed}, subject {n}, {scene} on {day}");
                    }
                }
            }
        }
    }
    // The random data did exercise the measures, and a fresh build from the store holds the same.
    let (subjects, records) = t.app.index.size().await;
    let fresh = credo_server::checks::Index::default();
    fresh.ready(&t.app).await.unwrap();
    assert_eq!(fresh.size().await, (subjects, records));
    assert!(subjects >= 20 && records >= 40, "{subjects} subjects, {records} records indexed");
}

#[tokio::test]
async fn a_file_of_subjects_runs_as_a_job_in_parts_with_progress() {
    let t = setup().await;
    let key = check_key(&t).await;
    let mut csv = String::from("序号,统一社会信用代码\n");
    for i in 0..12_000 {
        let c = if i % 3 == 0 { code(1) } else { code(200 + i % 50) };
        csv.push_str(&format!("{i},{c}\n"));
    }
    let form = reqwest::multipart::Form::new()
        .text("scene", "zfcg")
        .text("purpose", "批量核查测试")
        .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("名单.csv"));
    let r =
        t.http.post(format!("{}/api/v1/checks/jobs", t.base)).bearer_auth(&key).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["total"], 12_000);
    let href = started["href"].as_str().unwrap().to_string();
    let mut job = Value::Null;
    for _ in 0..300 {
        job = get_json(&t, &key, &href).await;
        if job["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(
        (job["done"].as_u64(), job["receipts"].as_array().unwrap().len()),
        (Some(12_000), 2),
        "two parts of ≤ 10,000"
    );
    assert_eq!(job["hits"], 4_000, "every third row is the listed company");
    assert_eq!(job["unresolved"], 8_000, "the other codes are unknown");
    let first = job["receipts"][0].as_str().unwrap();
    let receipt = get_json(&t, &key, &format!("/api/v1/checks/{first}")).await;
    assert!(credo_server::checks::verify_receipt(&receipt.to_string(), None).is_ok());
    let empty = reqwest::multipart::Form::new()
        .text("scene", "zfcg")
        .text("purpose", "x")
        .part("file", reqwest::multipart::Part::bytes(b"code\n".to_vec()).file_name("a.csv"));
    let r =
        t.http.post(format!("{}/api/v1/checks/jobs", t.base)).bearer_auth(&key).multipart(empty).send().await.unwrap();
    assert_eq!(r.status(), 422);
}
