//! 联合奖惩核查 end to end: the scenario table taken from the laws, persons reached by ID number through others'
//! records (法定代表人, 实际控制人 of a 限制消费令 unit), name-only hints, statutory facts that count although no
//! longer public, expiry and withdrawal, replay `as_of`, signed receipts, feedback, statistics and the checked
//! subject's access log.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, TestApp, spawn};
use credo_store::Permissions;
use credo_synth::builders::{
    AbnormalListing, ConsumptionRestriction, DishonestDebtor, Penalty, RedList, SeriousDishonesty, TaxViolation,
};
use serde_json::{Value, json};

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

const SRC: &str = "西宁市市场监督管理局";

fn jyyc(n: u32, listed: &str, removed: Option<&str>) -> AbnormalListing {
    let entry = AbnormalListing::of(format!("经营异常{n}有限公司"), code(n))
        .number(format!("宁市监异〔2026〕{n}号"))
        .listed(listed);
    match removed {
        Some(r) => entry.removed(r),
        None => entry,
    }
}

fn xzcf(n: u32, kinds: &str, fine: &str, decided: &str) -> Penalty {
    Penalty::of(format!("处罚{n}有限公司"), code(n))
        .legal_rep("赵六")
        .number(format!("宁市监罚〔{n}〕号"))
        .conduct("违法行为")
        .kinds(kinds)
        .content("处罚")
        .fine(fine)
        .decided(decided)
}

fn person_penalty(name: &str, ric: &str) -> Penalty {
    Penalty::person(name, ric)
        .number("宁市监罚〔2020〕7号")
        .conduct("违法行为")
        .kinds("警告")
        .content("警告")
        .without("CF_NR_FK")
        .decided("2020/05/01")
}

fn sxbzxr(n: u32, rep: &str, published: &str, shielded: Option<&str>) -> DishonestDebtor {
    sxbzxr_with_number(n, rep, None, published, shielded)
}

/// A 失信被执行人 unit whose record carries its legal representative's ID number (when given).
fn sxbzxr_with_number(
    n: u32,
    rep: &str,
    rep_ric: Option<&str>,
    published: &str,
    shielded: Option<&str>,
) -> DishonestDebtor {
    let mut v = DishonestDebtor::of(format!("被执行{n}有限公司"), code(n))
        .legal_rep(rep)
        .case_number(format!("(2026)青0103执{n}号"))
        .published(published);
    if let Some(s) = shielded {
        v = v.shielded(s);
    }
    if let Some(r) = rep_ric {
        v = v.legal_rep_id(r);
    }
    v
}

fn sxjl(n: u32, from: &str, until: &str) -> RedList {
    RedList::of(format!("守信{n}有限公司"), code(n))
        .number(format!("宁税红〔2026〕{n}号"))
        .recognised(from)
        .valid_until(until)
}

fn yzsx(n: u32, listed: &str) -> SeriousDishonesty {
    SeriousDishonesty::of(format!("严重失信{n}有限公司"), code(n))
        .legal_rep("钱七")
        .number(format!("宁市监严〔2026〕{n}号"))
        .listed(listed)
}

async fn setup() -> TestApp {
    let t = spawn().await;
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let scenes: Vec<String> = t.app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect();
    let p = Permissions { items: all, scenes, disclosure: vec!["公开".into()], ..Default::default() };
    credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
    for (item, records) in [
        ("jyyc", json!([jyyc(1, "2026-03-01", None), jyyc(2, "2025-01-01", Some("2026-01-10"))])),
        (
            "xzcf",
            json!([
                xzcf(3, "警告;罚款", "250", "2024/06/01"),
                xzcf(4, "罚款", "150", "2024/06/01"),
                xzcf(5, "罚款", "300", "2023/06/01"),
                xzcf(6, "责令停产停业", "0", "2025/02/01"),
                person_penalty("王五", "630102199001011235"),
            ]),
        ),
        (
            "sxbzxr",
            json!([
                sxbzxr_with_number(7, "王五", Some("630102199001011235"), "2026-05-01", None),
                sxbzxr(8, "孙八", "2026-02-01", Some("2026-06-01")),
            ]),
        ),
        ("sxjl", json!([sxjl(9, "2026-01-10", "2027-12-31"), sxjl(10, "2025-01-10", "2026-01-01")])),
        ("yzsx", json!([yzsx(11, "2026-02-01")])),
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
    credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap().0
}

fn decision(v: &Value, i: usize) -> String {
    v["receipt"]["results"][i]["decision"].as_str().unwrap_or("none").to_string()
}

#[tokio::test]
async fn the_scenario_table_from_the_laws() {
    common::on_both(async || {
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
            ("gxf", person, "restricted", "失信被执行人 → 限制高消费 (its legal representative, by ID number)"),
            ("zfcg", person, "clear", "the procurement restriction reaches the subject only"),
            ("gxf", &c2, "clear", "屏蔽 (withdrawn from the list)"),
            ("xzxk", &d, "priority", "守信激励 (红名单) → 绿色通道"),
            ("xzxk", &d2, "clear", "红名单 expired"),
            (
                "zfcg",
                &e,
                "restricted",
                "市场监督管理严重违法失信名单 → 政府采购 依法限制 (企业信息公示暂行条例第十八条)",
            ),
            ("rzzg", &e, "clear", "the three-year bar reaches the legal representative, not the company"),
            ("zfcg", &c, "prohibited", "失信被执行人 → 采购人应当拒绝 (财库〔2016〕125号)"),
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
        assert_eq!(
            m["basis"][1]["law"],
            "最高人民法院关于限制被执行人高消费及有关消费的若干规定(法释〔2015〕17号修正)"
        );
        assert_eq!(m["via"]["as"], "法定代表人");
        assert_eq!(m["via"]["matched_by"], "证件号码");
        assert_eq!(m["via"]["of"]["code"], c);
        assert_eq!(m["evidence"][0]["item"], "sxbzxr");
        let subject = &v["receipt"]["results"][0]["subject"];
        assert_eq!(subject["code"], "6301**********1235", "a person's number is masked in the receipt");
        let v = check(&t, "zfcg", &[&b], None).await;
        let m = &v["receipt"]["results"][0]["measures"][0];
        assert_eq!(
            (m["id"].as_str(), m["evidence"][0]["decided_on"].as_str()),
            (Some("XZCF-ZFCG-FK"), Some("2024-06-01"))
        );
    })
    .await;
}

#[tokio::test]
async fn names_resolve_or_come_back_ranked_and_unknown_codes_are_reported() {
    common::on_both(async || {
        let t = setup().await;
        let v = check(&t, "zfcg", &["经营异常1有限公司", "处罚", &code(99)], None).await;
        let r = &v["receipt"]["results"];
        assert_eq!((r[0]["status"].as_str(), r[0]["decision"].as_str()), (Some("resolved"), Some("restricted")));
        assert_eq!(r[1]["status"], "ambiguous");
        assert!(r[1]["candidates"].as_array().unwrap().len() >= 2, "{}", r[1]);
        assert_eq!((r[2]["status"].as_str(), r[2]["decision"].as_str()), (Some("not_found"), None));
    })
    .await;
}

#[tokio::test]
async fn as_of_replays_what_the_platform_knew_then() {
    common::on_both(async || {
        let t = setup().await;
        let e = code(11);
        assert_eq!(decision(&check(&t, "zfcg", &[&e], None).await, 0), "restricted");
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
    })
    .await;
}

#[tokio::test]
async fn receipts_verify_offline_and_fail_when_one_byte_changes() {
    common::on_both(async || {
        let t = setup().await;
        let v = check(&t, "zfcg", &[&code(3), &code(9)], None).await;
        let text = v.to_string();
        let id = credo_app::checks::verify_receipt(&text, None).unwrap();
        assert_eq!(id, v["receipt"]["id"].as_str().unwrap());
        // The stored receipt is the same document.
        let key = check_key(&t).await;
        let again = get_json(&t, &key, &format!("/api/v1/checks/{id}")).await;
        assert_eq!(again["receipt"], v["receipt"]);
        assert!(credo_app::checks::verify_receipt(&again.to_string(), Some(v["public_key"].as_str().unwrap())).is_ok());
        // Change one byte anywhere in the receipt: it no longer verifies.
        let bytes = text.as_bytes();
        let start = text.find("\"results\"").unwrap();
        for pos in [start + 20, start + 200, text.find("prohibited").unwrap()] {
            let mut changed = bytes.to_vec();
            changed[pos] = if changed[pos] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8_lossy(&changed).to_string();
            assert!(credo_app::checks::verify_receipt(&changed, None).is_err(), "byte {pos} changed and still valid");
        }
        let other_key = credo_gm::sm2::KeyPair::generate().public_key_pem().unwrap();
        assert!(credo_app::checks::verify_receipt(&text, Some(&other_key)).is_err(), "pinned to the platform key");
    })
    .await;
}

/// Issue 16: checks that arrive together are signed together — one SM2 signature over the SM3 Merkle root of their
/// receipts — and each receipt, as answered and as stored, still verifies alone; one receipt's proof does not serve
/// another, and a receipt signed alone before batching (no proof) still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_signed_together_verify_one_by_one() {
    common::on_both(async || {
        let t = setup().await;
        let key = check_key(&t).await;
        let answers: Vec<Value> = futures_util::future::join_all((0..48).map(|i| {
            let body = json!({ "scene": "zfcg", "purpose": "批量签名", "subjects": [code(1 + i % 10)] });
            let r = t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(&key).json(&body).send();
            async move { r.await.unwrap().json::<Value>().await.unwrap() }
        }))
        .await;
        let biggest = answers.iter().map(|v| v["proof"]["size"].as_u64().unwrap()).max().unwrap();
        assert!(biggest > 1, "48 checks at once were signed in batches of one");
        let mut roots = std::collections::HashSet::new();
        for v in &answers {
            let id = credo_app::checks::verify_receipt(&v.to_string(), None).unwrap();
            let stored = get_json(&t, &key, &format!("/api/v1/checks/{id}")).await;
            assert_eq!(stored, *v, "stored as answered, with its proof");
            roots.insert(v["proof"]["root"].as_str().unwrap().to_string());
        }
        assert!(roots.len() < answers.len(), "receipts share roots");
        // Another receipt of the same batch under this one's proof and signature.
        let batch: Vec<&Value> = answers.iter().filter(|v| v["proof"]["size"].as_u64() == Some(biggest)).collect();
        let (a, b) = (batch[0], batch[1]);
        assert_eq!(a["signature"], b["signature"], "one signature for the batch");
        let mut swapped = a.clone();
        swapped["receipt"] = b["receipt"].clone();
        assert!(credo_app::checks::verify_receipt(&swapped.to_string(), None).is_err());
        // Without its proof, a batch receipt's signature is not one over the receipt.
        let mut bare = a.clone();
        bare.as_object_mut().unwrap().remove("proof");
        assert!(credo_app::checks::verify_receipt(&bare.to_string(), None).is_err());
        // A receipt signed alone, as before batching.
        let receipt = json!({ "id": "CK20251101000000000001", "results": [] });
        let sig = t.app.signer.sign(&serde_json::to_vec(&receipt).unwrap());
        let old = json!({ "receipt": receipt, "signature": hex::encode(sig), "public_key": t.app.signer.public_key_pem().unwrap() });
        assert_eq!(credo_app::checks::verify_receipt(&old.to_string(), None).unwrap(), "CK20251101000000000001");
    })
    .await;
}

#[tokio::test]
async fn feedback_statistics_and_the_subjects_access_log() {
    common::on_both(async || {
        let t = setup().await;
        let key = check_key(&t).await;
        let v = check(&t, "zfcg", &[&code(3), &code(9), &code(1)], None).await;
        let id = v["receipt"]["id"].as_str().unwrap().to_string();
        let post = |body: Value| {
            t.http.post(format!("{}/api/v1/checks/{id}/feedback", t.base)).bearer_auth(&key).json(&body).send()
        };
        assert_eq!(post(json!({"position": 0, "action": "已惩戒"})).await.unwrap().status(), 204);
        assert_eq!(post(json!({"position": 0, "action": "已惩戒"})).await.unwrap().status(), 409, "once");
        assert_eq!(
            post(json!({"position": 2, "action": "未采纳"})).await.unwrap().status(),
            422,
            "a reason is required"
        );
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
        credo_app::accounts::create(
            &t.app,
            credo_app::accounts::AccountRequest {
                username: "company3".into(),
                name: "处罚3有限公司".into(),
                role: "subject".into(),
                department: None,
                subject: Some(code(3)),
                password: Some("Xn-2026-credit!".into()),
                region: None,
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
    })
    .await;
}

#[tokio::test]
async fn scenes_must_be_granted_and_requests_bounded() {
    common::on_both(async || {
        let t = setup().await;
        let key = check_key(&t).await;
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let p = Permissions { scenes: vec!["ztb".into()], ..dept.permissions.clone() };
        credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
        let ask = |body: Value| t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(&key).json(&body).send();
        let r = ask(json!({"scene": "zfcg", "purpose": "x", "subjects": [code(1)]})).await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "scene_not_permitted");
        let too_many: Vec<String> = (0..10_001).map(|i| i.to_string()).collect();
        assert_eq!(ask(json!({"scene": "ztb", "purpose": "x", "subjects": too_many})).await.unwrap().status(), 422);
        assert_eq!(ask(json!({"scene": "nosuch", "purpose": "x", "subjects": ["a"]})).await.unwrap().status(), 422);
        assert_eq!(ask(json!({"scene": "ztb", "purpose": " ", "subjects": ["a"]})).await.unwrap().status(), 422);
    })
    .await;
}

/// The index, fed batch by batch (new records, new versions, removals, re-submissions), answers exactly as a direct
/// computation from the store's latest versions does, for every subject, scene and day tried.
#[tokio::test]
async fn the_index_answers_as_the_store_does_on_random_data() {
    common::on_both(async || {
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
                        0 => ("jyyc", jyyc(n, &listed, later.as_deref()).json()),
                        1 => {
                            let fine = rng.random_range(0..400).to_string();
                            let kinds =
                                ["罚款", "警告;罚款", "责令停产停业", "吊销许可证件", "警告"][rng.random_range(0..5)];
                            let v = xzcf(n, kinds, &fine, &listed)
                                .number(format!("宁罚〔{n}〕{}号", rng.random_range(0..3)));
                            ("xzcf", v.json())
                        }
                        2 => ("sxbzxr", sxbzxr(n, "周九", &listed, later.as_deref()).json()),
                        3 => ("sxjl", sxjl(n, &listed, &later.clone().unwrap_or_else(|| "2099-12-31".into())).json()),
                        _ => ("yzsx", yzsx(n, &listed).json()),
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
                    let stored: Vec<credo_app::checks::Indexed> = t
                        .app
                        .store
                        .subject_records(subject.id)
                        .await
                        .unwrap()
                        .iter()
                        .filter_map(|r| credo_app::checks::Indexed::from_view(catalog, &t.app.vault, r))
                        .collect();
                    for scene in catalog.measures.scenes.iter().map(|s| s.code.as_str()) {
                        for day in ["2023-06-30", "2025-01-01", "2026-11-25"] {
                            let day = credo_domain::value::parse_date(day).unwrap();
                            let a = credo_app::checks::evaluate(catalog, scene, day, None, &indexed, &[], None);
                            let b = credo_app::checks::evaluate(catalog, scene, day, None, &stored, &[], None);
                            assert_eq!(a, b, "seed {seed}, subject {n}, {scene} on {day}");
                        }
                    }
                }
            }
        }
        // The random data did exercise the measures, and a fresh build from the store holds the same.
        let (subjects, records) = t.app.index.size().await;
        let fresh = credo_app::checks::Index::default();
        fresh.ready(&t.app).await.unwrap();
        assert_eq!(fresh.size().await, (subjects, records));
        assert!(subjects >= 20 && records >= 40, "{subjects} subjects, {records} records indexed");
        // The first build wrote a snapshot: the fresh index read it and replayed the rounds' changes after it.
        assert!(fresh.from_snapshot().await);
        assert_eq!(fresh.contents().await, t.app.index.contents().await);
    })
    .await;
}

/// A snapshot holds exactly what a build from the records gives (records, persons named now or in superseded
/// versions, every subject's brief), keeps a value with an ID number sealed, and is refused when a chunk was altered
/// or moved: the index is then built from the records, with the same answers.
#[tokio::test]
async fn the_index_snapshot_is_what_a_build_from_the_records_gives() {
    common::on_both(async || {
        let t = setup().await;
        // A 列入原因 (read by a measure) that names a person by ID number, and a person named by number and later by
        // another: the index links both.
        let ric = "630102198506150017";
        let listed = yzsx(20, "2025-03-01").reason(format!("法定代表人(身份证 {ric})提交虚假材料")).json();
        let (status, s) = t.post_batch(json!({ "item": "yzsx", "records": [listed] })).await;
        assert_eq!((status, &s["rejected"]), (200, &json!(0)), "{s}");
        for ric in ["630102199001011235", "630102198001011230"] {
            let r = sxbzxr_with_number(21, "赵六", Some(ric), "2026-05-01", None);
            let (status, s) = t.post_batch(json!({ "item": "sxbzxr", "records": [r] })).await;
            assert_eq!(status, 200, "{s}");
        }
        let built = credo_app::checks::Index::default();
        built.ready(&t.app).await.unwrap();
        assert!(!built.from_snapshot().await, "the first build reads the records");
        let contents = built.contents().await;
        assert!(contents.persons.len() >= 2 && contents.briefs.len() >= 12, "{contents:?}");
        let sealed =
            contents.records.values().flatten().find(|r| r.fields(&t.app.catalog).values().any(|v| v.contains(ric)));
        assert!(sealed.is_some(), "the record with the number in its reason is indexed");

        let loaded = credo_app::checks::Index::default();
        loaded.ready(&t.app).await.unwrap();
        assert!(loaded.from_snapshot().await);
        assert_eq!(loaded.contents().await, contents);

        // After the snapshot: a record in two versions naming two persons by number (both linked, the first through
        // a version already superseded when the feed is replayed), and a 法定代表人 written with an ID number in
        // the name field (linked by that name).
        for ric in ["630102197001011236", "630102196001011231"] {
            let r = sxbzxr_with_number(22, "钱九", Some(ric), "2026-05-01", None);
            let (status, s) = t.post_batch(json!({ "item": "sxbzxr", "records": [r] })).await;
            assert_eq!(status, 200, "{s}");
        }
        let named = sxbzxr(23, "孙九630102199001011235", "2026-05-01", None);
        let (status, s) = t.post_batch(json!({ "item": "sxbzxr", "records": [named] })).await;
        assert_eq!((status, &s["rejected"]), (200, &json!(0)), "{s}");
        let replayed = credo_app::checks::Index::default();
        replayed.ready(&t.app).await.unwrap();
        assert!(replayed.from_snapshot().await);
        let contents = replayed.contents().await;
        assert!(contents.person_names.keys().any(|n| n.contains("630102199001011235")), "{contents:?}");
        assert!(contents.persons.len() >= 4, "{contents:?}");
        replayed.save_snapshot(&t.app).await.unwrap();

        // The stored chunks hold no ID number in the clear (persons as blind indexes, the reason and the name
        // sealed).
        let snap = t.app.store.index_snapshot("restriction").await.unwrap().unwrap();
        let mut chunks = Vec::new();
        for no in 0..snap.chunks {
            chunks.push(t.app.store.index_chunk(snap.generation, no).await.unwrap().unwrap());
        }
        let all: Vec<u8> = chunks.concat();
        for number in [ric, "630102199001011235", "630102198001011230", "630102197001011236", "630102196001011231"] {
            assert!(!all.windows(number.len()).any(|w| w == number.as_bytes()), "{number} in the snapshot");
        }

        // A chunk altered by one byte, or a valid chunk under another generation: refused, built from the records
        // — and that build holds what the snapshot and the replayed feed gave.
        let mut altered = chunks[0].clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        for (generation, chunk) in [(snap.generation ^ 1, altered), (snap.generation ^ 2, chunks[0].clone())] {
            for (no, c) in chunks.iter().enumerate().skip(1) {
                t.app.store.put_index_chunk(generation, no as i64, c).await.unwrap();
            }
            t.app.store.put_index_chunk(generation, 0, &chunk).await.unwrap();
            let forged = credo_store::IndexSnapshot { generation, ..snap.clone() };
            t.app.store.commit_index_snapshot("restriction", &forged).await.unwrap();
            let rebuilt = credo_app::checks::Index::default();
            rebuilt.ready(&t.app).await.unwrap();
            assert!(!rebuilt.from_snapshot().await, "generation {generation}");
            assert_eq!(rebuilt.contents().await, contents);
        }
        // That build wrote a good snapshot again; its row is not trusted: a feed position changed there is refused
        // (it would skip or replay changes), as is a fingerprint that is not the chunks' own.
        let good = t.app.store.index_snapshot("restriction").await.unwrap().unwrap();
        let again = credo_app::checks::Index::default();
        again.ready(&t.app).await.unwrap();
        assert!(again.from_snapshot().await);
        assert_eq!(again.contents().await, contents);
        let forged = credo_store::IndexSnapshot { seq: good.seq + 5, ..good.clone() };
        t.app.store.commit_index_snapshot("restriction", &forged).await.unwrap();
        let refused = credo_app::checks::Index::default();
        refused.ready(&t.app).await.unwrap();
        assert!(!refused.from_snapshot().await, "a feed position not the chunks' own");
        assert_eq!(refused.contents().await, contents);
    })
    .await;
}

#[tokio::test]
async fn a_file_of_subjects_runs_as_a_job_in_parts_with_progress() {
    common::on_both(async || {
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
        let r = t
            .http
            .post(format!("{}/api/v1/checks/jobs", t.base))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
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
        assert!(credo_app::checks::verify_receipt(&receipt.to_string(), None).is_ok());
        let empty = reqwest::multipart::Form::new()
            .text("scene", "zfcg")
            .text("purpose", "x")
            .part("file", reqwest::multipart::Part::bytes(b"code\n".to_vec()).file_name("a.csv"));
        let r = t
            .http
            .post(format!("{}/api/v1/checks/jobs", t.base))
            .bearer_auth(&key)
            .multipart(empty)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
    })
    .await;
}

// ── Persons reached by ID number, name-only hints, statutory facts ─────────────────────────────────────────────

const P_REP: &str = "630102198808084561";
const P_CTRL_A: &str = "630103198505052315";
const P_CTRL_B: &str = "63010419800101002X";
const P_STRANGER: &str = "630105197007070017";
const P_NAMED_ONLY: &str = "630102199202027890";
const P_YZ_REP: &str = "630103197503150021";

/// A 限制消费令 against a unit: its legal representative and two 实际控制人 with their numbers, and a 直接责任人员
/// named without one.
fn xzxf(n: u32) -> ConsumptionRestriction {
    ConsumptionRestriction::of(format!("限制消费{n}有限公司"), code(n))
        .legal_rep("郑一")
        .legal_rep_id(P_REP)
        .controllers("冯二;陈三", format!("{P_CTRL_A};{P_CTRL_B}"))
        .responsible("吴十")
        .case_number(format!("(2026)青0103执{n}号"))
}

/// A market-regulation 严重违法失信名单 entry after three years in the 经营异常名录, with the representative's number.
fn yzsx_after_jyyc(n: u32) -> SeriousDishonesty {
    SeriousDishonesty::of(format!("严重违法{n}有限公司"), code(n))
        .legal_rep("褚四")
        .legal_rep_id(P_YZ_REP)
        .list("严重违法企业名单")
        .reason("被列入经营异常名录届满3年仍未履行相关义务")
        .basis("企业信息公示暂行条例第十七条")
        .number(format!("宁市监严〔2025〕{n}号"))
        .listed("2025-03-01")
}

fn safety_list(n: u32) -> SeriousDishonesty {
    SeriousDishonesty::of(format!("安全生产{n}有限公司"), code(n))
        .list("安全生产领域严重失信主体名单")
        .reason("发生重大生产安全责任事故")
        .basis("安全生产严重失信主体名单管理办法")
        .number(format!("宁应急严〔2026〕{n}号"))
        .department("西宁市应急管理局", DEPT)
}

fn zdss(n: u32) -> TaxViolation {
    TaxViolation::of(format!("税收违法{n}有限公司"), code(n)).number(format!("宁税稽失〔2026〕{n}号"))
}

struct IdCase {
    name: &'static str,
    source: &'static str,
    scene: &'static str,
    subject: String,
    /// The expected decision (`none`: not resolved).
    expected: &'static str,
    /// The role the first measure reaches the person through, if any.
    via: Option<&'static str>,
}

#[tokio::test]
async fn persons_are_reached_by_id_number_end_to_end() {
    common::on_both(async || {
        let t = setup().await;
        for (item, records) in [
            ("xzxf", json!([xzxf(40)])),
            ("yzsx", json!([yzsx_after_jyyc(41), safety_list(42)])),
            ("zdss", json!([zdss(43)])),
            ("xzcf", json!([person_penalty("吴十", P_NAMED_ONLY)])),
        ] {
            let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
            assert_eq!(status, 200, "{s}");
            assert_eq!(s["rejected"], 0, "{item}: {s}");
        }
        let case = |name, source, scene, subject: &str, expected, via| IdCase {
            name,
            source,
            scene,
            subject: subject.to_string(),
            expected,
            via,
        };
        // law-case table
        let cases = [
            case(
                "the legal representative of a 限制消费令 unit, known only from that record",
                "法释〔2015〕17号 第三条第二款; STANDARDS §13.2.2",
                "gxf",
                P_REP,
                "restricted",
                Some("法定代表人"),
            ),
            case(
                "the first 实际控制人 of a 限制消费令 unit",
                "法释〔2015〕17号 第三条第二款",
                "gxf",
                P_CTRL_A,
                "restricted",
                Some("实际控制人"),
            ),
            case(
                "the second 实际控制人 of a 限制消费令 unit",
                "法释〔2015〕17号 第三条第二款",
                "gxf",
                P_CTRL_B,
                "restricted",
                Some("实际控制人"),
            ),
            case(
                "a person no record names is not found",
                "法释〔2015〕17号 第三条第二款",
                "gxf",
                P_STRANGER,
                "none",
                None,
            ),
            case("the 限制消费令 unit itself", "法释〔2015〕17号 第三条第一款", "gxf", &code(40), "restricted", None),
            case(
                "a 限制消费令 does not reach government procurement",
                "法释〔2015〕17号 第三条 (consumption only)",
                "zfcg",
                P_REP,
                "clear",
                None,
            ),
            case(
                "named by name only: a hint, not a decision",
                "法释〔2015〕17号 第三条第二款; namesakes (see checks.rs)",
                "gxf",
                P_NAMED_ONLY,
                "clear",
                None,
            ),
            case(
                "the legal representative after 3 years in 经营异常名录 may not lead another company",
                "企业信息公示暂行条例(2014) 第十七条; STANDARDS §13.2.3",
                "rzzg",
                P_YZ_REP,
                "prohibited",
                Some("法定代表人"),
            ),
            case(
                "a 安全生产 list is not the market-regulation list",
                "企业信息公示暂行条例 第十八条; 国办发〔2020〕49号; STANDARDS §13.2.3",
                "zfcg",
                &code(42),
                "clear",
                None,
            ),
            case(
                "重大税收违法失信主体 is refused in procurement",
                "财库〔2016〕125号; STANDARDS §13.2.1",
                "zfcg",
                &code(43),
                "prohibited",
                None,
            ),
        ];
        let mut wrong = Vec::new();
        for c in &cases {
            let v = check(&t, c.scene, &[&c.subject], None).await;
            let r = &v["receipt"]["results"][0];
            let got = r["decision"].as_str().unwrap_or("none");
            let via = r["measures"][0]["via"]["as"].as_str();
            if got != c.expected || via != c.via {
                wrong.push(format!(
                    "{} [{}]: {got} via {via:?}, want {} via {:?}\n{r}",
                    c.name, c.source, c.expected, c.via
                ));
            }
            // No ID number is ever written in a receipt.
            let text = v["receipt"].to_string();
            for n in [P_REP, P_CTRL_A, P_CTRL_B, P_NAMED_ONLY, P_YZ_REP, P_STRANGER] {
                assert!(!text.contains(n), "{}: the receipt holds an ID number", c.name);
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));

        // The receipt says through whom, and how the person was matched.
        let v = check(&t, "gxf", &[P_CTRL_B], None).await;
        let r = &v["receipt"]["results"][0];
        assert_eq!(r["status"], "resolved");
        assert!(r["subject"]["id"].is_null() && r["subject"]["code"] == "6301**********002X", "{r}");
        let m = &r["measures"][0];
        assert_eq!((m["id"].as_str(), m["via"]["matched_by"].as_str()), (Some("XZXF-GXF"), Some("证件号码")));
        assert_eq!(m["via"]["of"]["code"], code(40));
        // The namesake gets a marked hint, outside the decision.
        let v = check(&t, "gxf", &[P_NAMED_ONLY], None).await;
        let r = &v["receipt"]["results"][0];
        let hint = &r["name_only"][0];
        assert_eq!((hint["id"].as_str(), hint["via"]["matched_by"].as_str()), (Some("XZXF-GXF"), Some("姓名")), "{r}");
        assert_eq!(hint["via"]["as"], "影响债务履行的直接责任人员");
        assert!(hint["via"]["note"].as_str().unwrap().contains("须人工核实"));
        assert_eq!(r["measures"].as_array().map(Vec::len), Some(0));
    })
    .await;
}

/// A stored record as the index sees it, with a lifecycle mark.
fn view(
    id: i64,
    item: &str,
    mut fields: std::collections::BTreeMap<String, String>,
    mark: Option<(&str, &str)>,
) -> credo_store::RecordView {
    if let Some((kind, on)) = mark {
        let m = credo_domain::publicity::Mark {
            kind: kind.into(),
            on: credo_domain::value::parse_date(on).unwrap(),
            case: "XF2026-1".into(),
        };
        fields.insert(credo_domain::publicity::MARK_FIELD.into(), m.to_field());
    }
    credo_store::RecordView {
        id,
        item: item.into(),
        version: 1,
        department_name: SRC.into(),
        department_uscc: DEPT.into(),
        decided_on: None,
        received_at: time::OffsetDateTime::UNIX_EPOCH,
        first_received_at: time::OffsetDateTime::UNIX_EPOCH,
        batch_id: 1,
        fields,
        subject_id: Some(1),
    }
}

#[tokio::test]
async fn statutory_facts_count_although_no_longer_public_but_never_when_revoked() {
    common::on_both(async || {
        let t = spawn().await;
        let catalog = &t.app.catalog;
        let day = credo_domain::value::parse_date("2026-11-25").unwrap();
        let fine = xzcf(50, "罚款", "250", "2024/06/01");
        let answer = |mark: Option<(&str, &str)>, scene: &str| {
            let fields = fine.fields().into_iter().map(|(k, v)| (k, v.replace('/', "-"))).collect();
            let r = view(7, "xzcf", fields, mark);
            let rec = credo_app::checks::Indexed::from_view(catalog, &t.app.vault, &r).unwrap();
            credo_app::checks::evaluate(catalog, scene, day, None, &[rec], &[], None)
        };
        // Repaired a year ago: no longer public, but a 重大违法记录 within three years still bars procurement.
        let repaired = answer(Some(("repaired", "2025-09-01")), "zfcg");
        assert_eq!(repaired.decision.code(), "prohibited", "政府采购法 第二十二条");
        let e = &repaired.measures[0]["evidence"][0];
        assert_eq!(e["counts_by_law"], true);
        assert!(e["note"].as_str().unwrap().contains("依法仍计入"), "{e}");
        // The same repair ends the management measure that follows publicity.
        assert_eq!(answer(Some(("repaired", "2025-09-01")), "jg").decision.code(), "clear");
        assert_eq!(answer(None, "jg").decision.code(), "clear", "XZCF-JG lasts one year from the decision");
        // A public record carries no such note.
        let public = answer(None, "zfcg");
        assert_eq!(public.decision.code(), "prohibited");
        assert!(public.measures[0]["evidence"][0].get("counts_by_law").is_none());
        // Revoked (撤销): never counts.
        assert_eq!(
            answer(Some(("revoked", "2025-09-01")), "zfcg").decision.code(),
            "clear",
            "a revoked penalty never counts"
        );
        // Unconfirmed bases are marked in the receipt.
        let sx = view(8, "sxjl", sxjl(51, "2026-01-10", "2027-12-31").fields(), None);
        let rec = credo_app::checks::Indexed::from_view(catalog, &t.app.vault, &sx).unwrap();
        let e = credo_app::checks::evaluate(catalog, "xzxk", day, None, &[rec], &[], None);
        assert_eq!(e.measures[0]["basis_status"], "unconfirmed");
        assert_eq!(e.measures[0]["basis_note"], "法律依据待核实");
    })
    .await;
}

// ── Persons by name, replayed reach, masked department text ─────────────────────────────────────────────────────

/// A natural person's own 失信被执行人 record (found by their 居民身份证号码).
fn sxbzxr_person(name: &str, ric: &str) -> DishonestDebtor {
    DishonestDebtor::person(name, ric)
        .case_number("(2026)青0103执88号")
        .basis_number("(2025)青0103民初8号")
        .duty("支付借款50万元")
}

/// A check with the given body, as the department's key sends it.
async fn check_body(t: &TestApp, body: Value) -> Value {
    let key = check_key(t).await;
    let r = t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(key).json(&body).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

const P_DEBTOR: &str = "630102198503151233";

#[tokio::test]
async fn a_person_asked_by_name_is_not_decided_on_only_by_id_number() {
    common::on_both(async || {
        let t = setup().await;
        let (status, s) =
            t.post_batch(json!({ "item": "sxbzxr", "records": [sxbzxr_person("蒋十一", P_DEBTOR)] })).await;
        assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
        // By ID number: 公司法 第一百七十八条 bars the 失信被执行人 from office.
        let v = check(&t, "rzzg", &[P_DEBTOR], None).await;
        assert_eq!(decision(&v, 0), "prohibited", "{}", v["receipt"]["results"][0]);
        // By name: the one person of that name is a masked hint, not a decision; the department is asked for the number.
        for scene in ["rzzg", "gxf", "zfcg"] {
            let v = check(&t, scene, &["蒋十一"], None).await;
            let r = &v["receipt"]["results"][0];
            assert_eq!(
                (r["status"].as_str(), r["reason"].as_str()),
                (Some("ambiguous"), Some("person_by_name")),
                "{r}"
            );
            assert!(r["decision"].is_null(), "{scene}: a namesake must not be decided on: {r}");
            assert!(r.get("measures").is_none() && r.get("subject").is_none(), "{r}");
            let c = r["candidates"].as_array().unwrap();
            assert_eq!(c.len(), 1, "{r}");
            assert_eq!(
                (c[0]["code"].as_str(), c[0]["kind"].as_str()),
                (Some("6301**********1233"), Some("person")),
                "{r}"
            );
            assert!(c[0].get("id").is_none(), "only a masked hint: {r}");
            assert!(r["note"].as_str().unwrap().contains("居民身份证号码"), "{r}");
            assert!(!v["receipt"].to_string().contains(P_DEBTOR), "no ID number in the receipt");
            assert!(credo_app::checks::verify_receipt(&v.to_string(), None).is_ok());
        }
        // The same holds for a person the store knows from another unit's record too (王五, 法定代表人 of 被执行7).
        let v = check(&t, "gxf", &["王五"], None).await;
        assert!(v["receipt"]["results"][0]["decision"].is_null(), "{}", v["receipt"]["results"][0]);
        assert_eq!(decision(&check(&t, "gxf", &["630102199001011235"], None).await, 0), "restricted");
        // Organisations are still resolved and decided by name.
        let v = check(&t, "gxf", &["被执行7有限公司"], None).await;
        let r = &v["receipt"]["results"][0];
        assert_eq!((r["status"].as_str(), r["decision"].as_str()), (Some("resolved"), Some("restricted")), "{r}");
        // A job counts the person by name as unresolved, not as a hit.
        let v = check(&t, "rzzg", &["蒋十一", P_DEBTOR], None).await;
        assert_eq!((decision(&v, 0).as_str(), decision(&v, 1).as_str()), ("none", "prohibited"));
    })
    .await;
}

#[tokio::test]
async fn a_replay_reaches_persons_through_other_subjects_records_as_they_were() {
    common::on_both(async || {
        // The index either follows both versions as they arrive, or is built after the second (as after a restart):
        // either way it must link the person the first version named.
        for built_before in [true, false] {
            replay_reaches_persons(built_before).await;
        }
    })
    .await;
}

async fn replay_reaches_persons(built_before: bool) {
    let t = setup().await;
    if built_before {
        t.app.index.ready(&t.app).await.unwrap();
    }
    // Version 1 of the 限制消费令 names P_REP as 法定代表人 (and two 实际控制人 by number).
    let (status, s) = t.post_batch(json!({ "item": "xzxf", "records": [xzxf(40)] })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    // The store keeps receipt times to the nanosecond: t1, between the two versions, needs no wait on either side.
    let t1 = time::OffsetDateTime::now_utc();
    let t1_text = t1.format(&time::format_description::well_known::Rfc3339).unwrap();
    // Version 2 names another legal representative.
    let v2 = xzxf(40).legal_rep("卫五").legal_rep_id(P_STRANGER);
    let (status, s) = t.post_batch(json!({ "item": "xzxf", "records": [v2] })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    // Today is after t1's day, so asking as of t1 replays.
    let china = time::UtcOffset::from_hms(8, 0, 0).unwrap();
    t.app.clock.set(t1.to_offset(china).date() + time::Duration::days(2));

    // Live: the current version reaches the new representative, not the old one.
    assert_eq!(decision(&check(&t, "gxf", &[P_STRANGER], None).await, 0), "restricted");
    let v = check(&t, "gxf", &[P_REP], None).await;
    assert_eq!(v["receipt"]["results"][0]["status"], "not_found", "{v}");

    // As of t1: the old representative was reached, the new one was not named yet.
    let v = check(&t, "gxf", &[P_REP, P_CTRL_A, P_STRANGER, &code(40)], Some(&t1_text)).await;
    let r = &v["receipt"]["results"];
    assert!(v["receipt"]["replayed_to"].is_string(), "{v}");
    assert_eq!(decision(&v, 0), "restricted", "{}", r[0]);
    assert_eq!(
        (r[0]["measures"][0]["via"]["as"].as_str(), r[0]["measures"][0]["id"].as_str()),
        (Some("法定代表人"), Some("XZXF-GXF"))
    );
    assert_eq!(r[0]["measures"][0]["via"]["matched_by"], "证件号码");
    assert_eq!(decision(&v, 1), "restricted", "{}", r[1]);
    assert_eq!(r[1]["measures"][0]["via"]["as"], "实际控制人");
    assert_eq!((r[2]["status"].as_str(), r[2]["decision"].as_str()), (Some("not_found"), None), "{}", r[2]);
    assert_eq!(decision(&v, 3), "restricted", "the unit itself");
    // The replayed receipt says how persons were reached, and what it could not search.
    let scope = &v["receipt"]["replay_scope"];
    assert_eq!(scope["persons_through_others"], "replayed", "{v}");
    assert!(scope["note"].as_str().unwrap().contains("其他主体记录"), "{scope}");
    assert!(credo_app::checks::verify_receipt(&v.to_string(), None).is_ok());
    let text = v["receipt"].to_string();
    for n in [P_REP, P_CTRL_A, P_STRANGER] {
        assert!(!text.contains(n), "the receipt holds an ID number");
    }

    // Before version 1 arrived the platform knew nothing of these persons.
    let before = (t1 - time::Duration::days(2)).to_offset(china).date().to_string();
    let v = check(&t, "gxf", &[P_REP, P_CTRL_A], Some(&before)).await;
    for i in 0..2 {
        let r = &v["receipt"]["results"][i];
        assert_eq!((r["status"].as_str(), r["decision"].as_str()), (Some("not_found"), None), "{r}");
    }
    assert!(v["receipt"]["replay_scope"]["note"].is_string());
    // A check for today carries no replay note.
    assert!(check(&t, "gxf", &[P_REP], None).await["receipt"].get("replay_scope").is_none());
}

#[tokio::test]
async fn id_numbers_in_purpose_and_reference_are_masked_in_the_receipt_and_the_audit_log() {
    common::on_both(async || {
        let t = setup().await;
        let body = json!({
            "scene": "zfcg",
            "purpose": format!("核查投标人法定代表人 {P_DEBTOR} 的资格"),
            "reference": "ZB-630105197811204565",
            "subjects": [code(3)],
        });
        let v = check_body(&t, body).await;
        let receipt = &v["receipt"];
        assert_eq!(receipt["purpose"], "核查投标人法定代表人 6301**********1233 的资格", "{receipt}");
        assert_eq!(receipt["reference"], "ZB-6301**********4565", "{receipt}");
        let text = v.to_string();
        for n in [P_DEBTOR, "630105197811204565"] {
            assert!(!text.contains(n), "the receipt holds an ID number");
        }
        // The signature covers the masked text, and the stored receipt is the same document.
        let id = credo_app::checks::verify_receipt(&text, None).unwrap();
        let key = check_key(&t).await;
        let stored = get_json(&t, &key, &format!("/api/v1/checks/{id}")).await;
        assert_eq!(stored["receipt"], v["receipt"]);
        assert!(credo_app::checks::verify_receipt(&stored.to_string(), None).is_ok());
        // The audit event of the check is masked alike.
        let subject = t.app.store.subject_by_code(&code(3)).await.unwrap().unwrap();
        let events = t.app.store.audit_for_target(&format!("subject:{}", subject.id), 10).await.unwrap();
        let e = events.iter().find(|e| e.event.action == "check.zfcg").unwrap();
        assert_eq!(e.event.purpose.as_deref(), Some("核查投标人法定代表人 6301**********1233 的资格(政府采购)"));
        let all = serde_json::to_string(&t.app.store.audit_after(0, 10_000).await.unwrap()).unwrap();
        for n in [P_DEBTOR, "630105197811204565"] {
            assert!(!all.contains(n), "the audit log holds an ID number");
        }
    })
    .await;
}

// ── Codes as departments type them ─────────────────────────────────────────────────────────────────────────────

/// A barred supplier (失信被执行人), its legal representative known only from that record, and a person who is a
/// subject of their own (a penalty) and the legal representative of another barred unit, with an `X` check.
const TYPED_USCC: &str = "91630100MA3PRTB1X5";
const TYPED_REP: &str = "630102197505053456";
const TYPED_X: &str = "63010219750501000X";

/// Every form a department types the same code in: full-width, grouped, hyphenated, lower-case, with invisible
/// characters pasted from a web page.
fn typed_forms() -> [(&'static str, Vec<&'static str>); 3] {
    [
        (
            TYPED_USCC,
            vec![
                "９１６３０１００ＭＡ３ＰＲＴＢ１Ｘ５",
                "91630100-MA3PRTB1X5",
                "91630100ma3prtb1x5",
                " 9163 0100 MA3P RTB1 X5 ",
                "91630100\u{200b}MA3PRTB1X5\u{feff}",
                "９１６３０１００－ＭＡ３ＰＲＴＢ１Ｘ５",
            ],
        ),
        (
            TYPED_REP,
            vec![
                "630102 19750505 3456",
                "６３０１０２１９７５０５０５３４５６",
                "630102-19750505-3456",
                "６３０１ ０２１９ ７５０５ ０５３４ ５６",
            ],
        ),
        (
            TYPED_X,
            vec![
                "63010219750501000x",
                "６３０１０２１９７５０５０１０００ｘ",
                "630102 19750501 000x",
                "630102-19750501-000X",
            ],
        ),
    ]
}

async fn typed_setup() -> TestApp {
    let t = setup().await;
    let unit = sxbzxr_with_number(60, "李四", Some(TYPED_REP), "2026-05-01", None)
        .uscc(TYPED_USCC)
        .name("西宁-鑫源 商贸有限公司");
    let other = sxbzxr_with_number(61, "赵四", Some(TYPED_X), "2026-05-01", None);
    let own = person_penalty("赵四", TYPED_X).number("宁市监罚〔2020〕61号");
    for (item, records) in [("sxbzxr", json!([unit, other])), ("xzcf", json!([own]))] {
        let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["rejected"], 0, "{item}: {s}");
    }
    t
}

/// What must be the same whatever form the code was typed in.
fn answer_of(r: &Value) -> Value {
    let measures: Vec<Value> = r["measures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| json!({ "id": m["id"], "via": m["via"]["as"], "of": m["via"]["of"]["id"] }))
        .collect();
    json!({ "status": r["status"], "subject": r["subject"], "decision": r["decision"], "measures": measures })
}

#[tokio::test]
async fn codes_typed_in_any_written_form_resolve_to_the_same_subject_and_decision() {
    common::on_both(async || {
        let t = typed_setup().await;
        let key = check_key(&t).await;
        for scene in ["zfcg", "gxf"] {
            for (canonical, forms) in typed_forms() {
                let mut asked = vec![canonical];
                asked.extend(forms.iter().copied());
                let v = check(&t, scene, &asked, None).await;
                let results = v["receipt"]["results"].as_array().unwrap();
                let want = answer_of(&results[0]);
                assert_eq!(want["status"], "resolved", "{scene} {canonical}: {}", results[0]);
                for (form, r) in asked.iter().zip(results).skip(1) {
                    assert_eq!(answer_of(r), want, "{scene}: “{form}” answers otherwise than {canonical}");
                }
                // No form of an ID number is written in full into the receipt.
                let text = v["receipt"].to_string();
                for n in [TYPED_REP, TYPED_X, "６３０１０２１９７５０５０５３４５６", "630102 19750505 3456"]
                {
                    assert!(!text.contains(n), "{scene}: the receipt holds {n}");
                }
            }
        }
        // The barred supplier is refused in procurement (财库〔2016〕125号), however its code is typed.
        let v = check(&t, "zfcg", &["９１６３０１００ＭＡ３ＰＲＴＢ１Ｘ５", "91630100-MA3PRTB1X5"], None).await;
        assert_eq!((decision(&v, 0), decision(&v, 1)), ("prohibited".into(), "prohibited".into()), "{v}");
        // Its legal representative, known only from its record, is reached by the number in any form.
        let v = check(&t, "gxf", &["630102 19750505 3456", TYPED_REP], None).await;
        let r = &v["receipt"]["results"][0];
        assert_eq!(r["measures"][0]["via"]["of"]["code"], TYPED_USCC, "{r}");
        assert_eq!(
            r["subject"]["code"], "6301**********3456",
            "the person's number shown in its canonical masked form"
        );
        assert_ne!(decision(&v, 0), "clear", "{r}");
        // The person with an `X` is the subject they are, found by the number typed in lower case.
        let v = check(&t, "gxf", &["63010219750501000x"], None).await;
        let r = &v["receipt"]["results"][0];
        assert_eq!(
            (r["subject"]["kind"].as_str(), r["subject"]["code"].as_str()),
            (Some("person"), Some("6301**********000X")),
            "{r}"
        );
        // A name with a hyphen and a space is still a name.
        let v = check(&t, "zfcg", &["西宁-鑫源 商贸有限公司"], None).await;
        assert_eq!(v["receipt"]["results"][0]["subject"]["code"], TYPED_USCC, "{v}");
        assert_eq!(decision(&v, 0), "prohibited");

        // A file of subjects (batch check) reads each row the same way.
        let mut csv = String::from("序号,统一社会信用代码\n");
        for (i, form) in typed_forms()[0].1.iter().enumerate() {
            csv.push_str(&format!("{i},\"{form}\"\n"));
        }
        let form = reqwest::multipart::Form::new()
            .text("scene", "zfcg")
            .text("purpose", "批量核查测试")
            .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("名单.csv"));
        let r = t
            .http
            .post(format!("{}/api/v1/checks/jobs", t.base))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let href = r.json::<Value>().await.unwrap()["href"].as_str().unwrap().to_string();
        let mut job = Value::Null;
        for _ in 0..300 {
            job = get_json(&t, &key, &href).await;
            if job["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            (job["status"].as_str(), job["hits"].as_u64(), job["unresolved"].as_u64()),
            (Some("done"), Some(6), Some(0)),
            "{job}"
        );

        // The public subject lookup (API and page) finds the subject by any form of its code.
        let want = t.get_json(&format!("/api/v1/subjects/{TYPED_USCC}")).await["subject"].clone();
        assert_eq!(want["code"], TYPED_USCC);
        for form in &typed_forms()[0].1 {
            let got = t.get_json(&format!("/api/v1/subjects/{}", form.trim())).await;
            assert_eq!(got["subject"], want, "/api/v1/subjects/{form}");
            let (status, _, page) = t.get(&format!("/subjects/{}", form.trim())).await;
            assert_eq!(status, 200, "/subjects/{form}");
            assert!(page.contains(TYPED_USCC), "/subjects/{form}");
        }
    })
    .await;
}

// ── Batch reports echo no ID number ────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn batch_reports_mask_id_numbers_in_columns_messages_and_file_names() {
    common::on_both(async || {
        const FULL_WIDTH: &str = "６３０１０２１９７５０５０５３４５６";
        const GROUPED: &str = "630102 19750505 3456";
        let t = spawn().await;
        let rec = xzcf(70, "警告", "0", "2025/06/01").set(TYPED_REP, "备注").set(FULL_WIDTH, "备注");
        // A JSON batch whose keys (column names) are ID numbers.
        let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": [rec] })).await;
        assert_eq!(status, 200, "{s}");
        let unmapped: Vec<&Value> =
            s["report"].as_array().unwrap().iter().filter(|l| l["code"] == "unmapped_column").collect();
        assert_eq!(unmapped.len(), 2, "{s}");
        for l in &unmapped {
            let (column, message) = (l["column"].as_str().unwrap(), l["message"].as_str().unwrap());
            assert!(column.contains("**********"), "{l}");
            assert!(message.contains(column), "the message names the column as the column does: {l}");
        }
        // A file named by an ID number, whose header is one and whose rows break a rule with one in the value.
        let header = "行政相对人名称,行政相对人类别,行政相对人代码_1(统一社会信用代码),行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额(万元),处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码";
        let row = format!(
            "{GROUPED}有限公司,法人及非法人组织,{TYPED_REP},宁市监罚〔2025〕71号,虚假宣传,经查属实,《广告法》,罚款,罚款,,2025-07-01,2099-12-31,{SRC},{DEPT},{SRC},{DEPT}"
        );
        let csv = format!("{header},{TYPED_REP}\n{row},x\n");
        let form = reqwest::multipart::Form::new()
            .text("item", "xzcf")
            .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name(format!("{TYPED_REP}.csv")));
        let r = t.http.post(format!("{}/api/v1/batches", t.base)).bearer_auth(&t.key).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let file: Value = r.json().await.unwrap();
        assert!(file["report"].as_array().unwrap().iter().any(|l| l["severity"] == "error"), "{file}");
        // A batch none of whose columns is a field: refused, and the headers in the message are masked.
        let mut only = serde_json::Map::new();
        only.insert(TYPED_REP.into(), json!("x"));
        let (status, refused) = t.post_batch(json!({ "item": "xzcf", "records": [only] })).await;
        assert_eq!(status, 422, "{refused}");
        // The stored reports are the returned ones.
        let mut texts = vec![s.to_string(), file.to_string(), refused.to_string()];
        for b in [&s, &file] {
            let id = b["batch"].as_i64().unwrap();
            let stored: Value = get_json(&t, &t.key, &format!("/api/v1/batches/{id}")).await;
            assert_eq!(stored["report"], b["report"]);
            texts.push(stored.to_string());
        }
        let audit = serde_json::to_string(&t.app.store.audit_after(0, 10_000).await.unwrap()).unwrap();
        texts.push(audit);
        for text in &texts {
            for n in [TYPED_REP, FULL_WIDTH, GROUPED] {
                assert!(!text.contains(n), "{n} in {text}");
            }
        }
        // Nor anywhere in the data directory (database, WAL, search index).
        common::assert_nowhere_in_data(&t, &[TYPED_REP, FULL_WIDTH, GROUPED]).await;
    })
    .await;
}

/// The receipt's shape, pinned before the services move out of the HTTP crate (issue 13): field names, nesting and
/// the explanation texts stay as they are. What changes from run to run (number, times, signature) is redacted.
#[tokio::test]
async fn a_receipt_keeps_its_shape() {
    common::on_both(async || {
        let t = setup().await;
        let v = check(&t, "zfcg", &[&code(3), "630102199001011235"], None).await;
        insta::assert_json_snapshot!("receipt_zfcg", v, {
            ".receipt.id" => "[number]",
            ".receipt.issued_at" => "[time]",
            ".signature" => "[signature]",
            ".proof.root" => "[root]",
            ".public_key" => "[key]",
        });
    })
    .await;
}
