//! 信用评价 and 分类监管 (issue 19): subjects with known records get the grades and the top reasons the scheme says;
//! a new record moves its subject's grade through the change feed; a change of one number in the scheme's data
//! changes the grades; checks answer `attention` for a D grade and `priority` for A in 容缺受理; a 双随机 draw is
//! reproducible from its seed, takes each grade at its rate, and its results become records that count.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{Auth, DEPT, TestApp, on_both, send, spawn, spawn_with_catalog};
use credo_store::Permissions;
use credo_synth::builders::{AbnormalListing, Licence, Penalty, RedList, SeriousDishonesty};
use reqwest::Method;
use serde_json::{Value, json};

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("GR{n:06}"))
}

async fn grant_all(t: &TestApp) {
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let scenes: Vec<String> = t.app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect();
    let p = Permissions { items: all, scenes, disclosure: vec!["公开".into()], ..Default::default() };
    credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
}

async fn submit(t: &TestApp, item: &str, records: Value) {
    let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["rejected"], 0, "{s}");
}

fn tax(name: &str, uscc: &str, level: &str) -> Value {
    json!({ "NS_MC": name, "NS_SHXYM": uscc, "NS_PJND": "2025", "NS_XYJB": level, "NS_PJRQ": "2026-04-01",
            "NS_PJJG": "国家税务总局西宁市税务局", "NS_SJLY": "国家税务总局西宁市税务局", "NS_SJLYDM": DEPT })
}

/// Five subjects whose records the scheme (catalog/evaluation/ggxy.toml) grades so.
async fn table(t: &TestApp) {
    let (a, b, c, d, e) = (code(1), code(2), code(3), code(4), code(5));
    submit(t, "sxjl", json!([RedList::of("西宁优等商贸有限公司", &a)])).await;
    submit(t, "nsxy", json!([tax("西宁优等商贸有限公司", &a, "A")])).await;
    submit(t, "xzxk", json!([Licence::of("西宁平常商贸有限公司", &b)])).await;
    submit(
        t,
        "xzcf",
        json!([
            Penalty::of("西宁多罚商贸有限公司", &c).number("宁市监罚〔2026〕11号").decided("2026/10/01"),
            Penalty::of("西宁多罚商贸有限公司", &c)
                .number("宁市监罚〔2026〕12号")
                .decided("2026/10/02")
                .kinds("吊销许可证件")
                .content("吊销许可证件")
                .without("CF_NR_FK")
                .set("CF_NR_ZKDX", "食品经营许可证 JY16301000012"),
        ]),
    )
    .await;
    submit(t, "yzsx", json!([SeriousDishonesty::of("西宁失信商贸有限公司", &d)])).await;
    submit(t, "jyyc", json!([AbnormalListing::of("西宁异常商贸有限公司", &e)])).await;
}

async fn grades(t: &TestApp, code: &str) -> Value {
    t.get_json(&format!("/api/v1/subjects/{code}/grades")).await
}

fn public_grade(v: &Value) -> &Value {
    v["grades"].as_array().unwrap().iter().find(|g| g["scheme"] == "ggxy").unwrap_or(&Value::Null)
}

#[tokio::test]
async fn grades_follow_the_records_with_the_reasons_the_scheme_says() {
    on_both(async || {
        let t = spawn().await;
        grant_all(&t).await;
        table(&t).await;
        let run = credo_app::grades::recompute(&t.app, None).await.unwrap();
        assert_eq!(run.subjects, 5);
        // code → (grade, score, the strongest reason's indicator)
        let expected = [
            (code(1), "A", 840, Some("sxjl")),
            (code(2), "B", 700, None),
            (code(3), "C", 550, Some("xzcf-zd")),
            (code(4), "D", 400, Some("yzsx")),
            (code(5), "C", 600, Some("jyyc")),
        ];
        for (code, grade, score, first) in &expected {
            let v = grades(&t, code).await;
            let g = public_grade(&v);
            assert_eq!((g["grade"].as_str(), g["score"].as_i64()), (Some(*grade), Some(*score)), "{code}: {v}");
            assert_eq!(g["reasons"][0]["indicator"].as_str(), *first, "{code}: {v}");
            if let Some(r) = g["reasons"].as_array().and_then(|r| r.first()) {
                assert!(r["text"].as_str().unwrap().contains('分'), "a reason says by how much: {r}");
            }
        }
        // The sector grade is shown beside the platform's own.
        let a = grades(&t, &code(1)).await;
        assert_eq!(a["sector"][0]["item"], "nsxy", "{a}");
        // Computing again with nothing changed writes nothing.
        assert_eq!(credo_app::grades::recompute(&t.app, None).await.unwrap().changed, 0);
        // The subject page shows the grade and its reasons, each with a link to object to its record.
        let (_, _, page) = t.get(&format!("/subjects/{}", code(4))).await;
        assert!(page.contains("id=\"grade-ggxy-value\">D 差"), "{page}");
        assert!(page.contains("/objection\">对该记录提出异议"), "{page}");

        // A new record: the batch's ingest grades its subject again at once (and only it), keeping the old grade.
        credo_app::grades::follow(&t.app).await.unwrap();
        submit(
            &t,
            "yzsx",
            json!([SeriousDishonesty::of("西宁平常商贸有限公司", code(2)).number("宁市监严〔2026〕9号")]),
        )
        .await;
        let seen = grades(&t, &code(2)).await;
        let again = credo_app::grades::follow(&t.app).await.unwrap().expect("the follower ran");
        assert_eq!(again.changed, 0, "nothing left for the follower: {again:?}");
        let g = public_grade(&seen);
        assert_eq!(g["grade"], "D", "{seen}");
        assert_eq!(g["history"][0][0], "B", "the grade before is kept: {seen}");
    })
    .await;
}

#[tokio::test]
async fn a_change_of_one_number_in_the_scheme_changes_the_grades() {
    let t = spawn().await;
    grant_all(&t).await;
    table(&t).await;
    credo_app::grades::recompute(&t.app, None).await.unwrap();
    assert_eq!(public_grade(&grades(&t, &code(2)).await)["grade"], "B");
    // The same records under a scheme whose base score is 820 instead of 700 (data only).
    let files: Vec<(String, String)> = credo_domain::embedded::FILES
        .iter()
        .map(|(n, text)| {
            let text = if *n == "evaluation/ggxy.toml" {
                text.replacen("base = 700", "base = 820", 1)
            } else {
                text.to_string()
            };
            (n.to_string(), text)
        })
        .collect();
    let catalog =
        credo_domain::catalog::Catalog::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).unwrap();
    let u = spawn_with_catalog(credo_app::Security::default(), catalog).await;
    grant_all(&u).await;
    table(&u).await;
    credo_app::grades::recompute(&u.app, None).await.unwrap();
    let plain = public_grade(&grades(&u, &code(2)).await).clone();
    assert_eq!((plain["grade"].as_str(), plain["score"].as_i64()), (Some("A"), Some(820)), "{plain}");
    assert_eq!(public_grade(&grades(&u, &code(3)).await)["grade"], "B", "670 is B");
    assert_eq!(public_grade(&grades(&u, &code(4)).await)["grade"], "D", "a cap holds whatever the score");
}

async fn check(t: &TestApp, key: &Auth, scene: &str, code: &str) -> Value {
    let r = send(
        t,
        key,
        Method::POST,
        "/api/v1/checks",
        Some(json!({ "scene": scene, "purpose": "评价测试", "subjects": [code] })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = r.body["receipt"]["results"][0].clone();
    assert!(first["measures"].is_array(), "{}", r.body);
    first
}

#[tokio::test]
async fn checks_answer_attention_for_d_and_priority_for_a_in_rongque() {
    let t = spawn().await;
    grant_all(&t).await;
    table(&t).await;
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let (key, _) =
        credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
    let key = Auth::Key(key);
    let d = check(&t, &key, "jg", &code(4)).await;
    let ids: Vec<&str> = d["measures"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    assert!(ids.contains(&"GGXY-D"), "{d}");
    let m = d["measures"].as_array().unwrap().iter().find(|m| m["id"] == "GGXY-D").unwrap();
    assert_eq!((m["decision"].as_str(), m["grade"]["grade"].as_str()), (Some("attention"), Some("D")), "{m}");
    let a = check(&t, &key, "rqsl", &code(1)).await;
    assert_eq!(a["decision"], "priority", "{a}");
    assert_eq!(a["measures"][0]["id"], "GGXY-A-RQSL");
    assert!(a["measures"][0]["basis_note"].is_string(), "an unconfirmed basis says so: {a}");
    let b = check(&t, &key, "rqsl", &code(2)).await;
    assert_eq!(b["decision"], "clear", "B gets no priority: {b}");
}

#[tokio::test]
async fn a_draw_is_reproducible_takes_each_grade_at_its_rate_and_its_results_count() {
    on_both(async || {
        let t = spawn().await;
        grant_all(&t).await;
        // 60 subjects: 40 plain (B), 20 on the abnormal list (C).
        let plain: Vec<Value> = (100..140)
            .map(|n| json!(Licence::of(format!("西宁抽查{n}商贸有限公司"), code(n)).number(format!("JY{n}"))))
            .collect();
        submit(&t, "xzxk", json!(plain)).await;
        let listed: Vec<Value> = (200..220)
            .map(|n| {
                json!(
                    AbnormalListing::of(format!("西宁抽查{n}商贸有限公司"), code(n))
                        .number(format!("宁市监异〔2026〕{n}号"))
                )
            })
            .collect();
        submit(&t, "jyyc", json!(listed)).await;
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        let body = json!({ "task": "食品经营许可事项检查", "seed": "2026-11-25 市场监管局 第1次", "count": 10,
                           "inspectors": ["张一", "李二", "王三", "赵四"] });
        let key = Auth::Key(t.key.clone());
        let first = send(&t, &key, Method::POST, "/api/v1/supervision/draws", Some(body.clone())).await;
        assert_eq!(first.status, 200, "{}", first.body);
        let again = send(&t, &key, Method::POST, "/api/v1/supervision/draws", Some(body)).await;
        let targets = |v: &Value| -> Vec<(Value, Value)> {
            v["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["subject_id"].clone(), x["inspectors"].clone()))
                .collect()
        };
        assert_eq!(targets(&first.body), targets(&again.body), "the same seed draws the same");
        assert_ne!(first.body["number"], again.body["number"]);
        // 10 shared by rate × size: B 40 × 0.05 = 2, C 20 × 0.15 = 3 → 4 and 6.
        let strata = &first.body["strata"];
        assert_eq!((strata[1]["grade"].as_str(), strata[1]["drawn"].as_u64()), (Some("B"), Some(4)), "{strata}");
        assert_eq!((strata[2]["grade"].as_str(), strata[2]["drawn"].as_u64()), (Some("C"), Some(6)), "{strata}");
        assert_eq!(first.body["population"], 60);
        // A result becomes a record of the subject and counts in its grade.
        let number = first.body["number"].as_str().unwrap().to_string();
        let target = first.body["targets"][0]["code"].as_str().unwrap().to_string();
        let path = format!("/api/v1/supervision/draws/{number}/results");
        let entered = send(
            &t,
            &key,
            Method::POST,
            &path,
            Some(json!({ "code": target, "result": "不合格", "note": "标签不规范" })),
        )
        .await;
        assert_eq!(entered.status, 200, "{}", entered.body);
        let record = entered.body["targets"][0]["record_id"].as_i64().expect("the result's record");
        let twice = send(&t, &key, Method::POST, &path, Some(json!({ "code": target, "result": "合格" }))).await;
        assert_eq!(twice.status, 409, "{}", twice.body);
        // Two entries for another target at the same time: one is taken, the other refused, and the record is the
        // one taken (its only version).
        let other = first.body["targets"][1]["code"].as_str().unwrap().to_string();
        let (a, b) = tokio::join!(
            send(&t, &key, Method::POST, &path, Some(json!({ "code": other, "result": "合格" }))),
            send(&t, &key, Method::POST, &path, Some(json!({ "code": other, "result": "发现问题" }))),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} {}", a.body, b.body);
        let taken = if a.status == 200 { "合格" } else { "发现问题" };
        let shown = send(&t, &Auth::None, Method::GET, &format!("/api/v1/supervision/draws/{number}"), None).await;
        let row = &shown.body["targets"][1];
        assert_eq!(row["result"], taken, "{row}");
        let versions = common::select_texts(
            &t,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM record_versions WHERE record_id = {}",
                row["record_id"].as_i64().unwrap()
            ),
        )
        .await;
        assert_eq!(versions, [Some("1".to_string())], "one version: the entry taken");
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        let g = grades(&t, &target).await;
        let reasons = public_grade(&g)["reasons"].as_array().unwrap().clone();
        assert!(reasons.iter().any(|r| r["indicator"] == "ccjc" && r["record_id"] == record), "{g}");
        // Published: the list, and the draw with its seed and results.
        let (_, _, page) = t.get(&format!("/supervision/{number}")).await;
        assert!(page.contains("2026-11-25 市场监管局 第1次") && page.contains("不合格"), "{page}");
        let (_, _, list) = t.get("/supervision").await;
        assert!(list.contains(&number), "{list}");
        // A department may enter results only of its own draws; nobody without one may draw.
        let anonymous = send(&t, &Auth::None, Method::POST, "/api/v1/supervision/draws", Some(json!({}))).await;
        assert_eq!(anonymous.status, 401);
    })
    .await;
}

/// 评价异议 follows the case rules: filed by anyone (with a contact and the challenge) as 待受理 with the grade it
/// disputes; only the platform's 信用审核员 handles it (a department's handler never sees it); accepted, then decided
/// within the deadline: 重新评价 grades the subject again at once.
#[tokio::test]
async fn an_objection_to_a_grade_follows_the_case_rules() {
    let t = spawn().await;
    grant_all(&t).await;
    table(&t).await;
    credo_app::grades::recompute(&t.app, None).await.unwrap();
    let body = json!({ "subject": code(5), "reason": "经营异常已于上月移出,评价仍为 C",
                       "contact": { "name": "王五", "phone": "0971-8888888" },
                       "challenge": common::solved_challenge(&t).await });
    let filed = send(&t, &Auth::None, Method::POST, "/api/v1/grade-objections", Some(body)).await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let number = filed.body["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("PJ"), "{number}");
    assert_eq!(filed.body["state"], "待受理");
    let unknown = send(
        &t,
        &Auth::None,
        Method::POST,
        "/api/v1/grade-objections",
        Some(json!({ "subject": "91630100GR999999XX", "reason": "x", "contact": { "name": "王五", "phone": "0971-8888888" },
                     "challenge": common::solved_challenge(&t).await })),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    common::add_account(&t, "handler", "handler").await;
    common::add_account(&t, "reviewer", "reviewer").await;
    let handler = common::sign_in(&t, "handler").await;
    let reviewer = common::sign_in(&t, "reviewer").await;
    let decide = |outcome: &str| json!({ "outcome": outcome, "reason": "经核查" });
    let path = format!("/api/v1/cases/{number}/decide");
    let theirs = send(&t, &handler, Method::POST, &path, Some(decide("受理"))).await;
    assert_eq!(theirs.status, 404, "a department's handler does not handle grades: {}", theirs.body);
    let seen = send(&t, &reviewer, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["content"]["grade"]["grade"], "C", "the reviewer sees the grade disputed: {}", seen.body);
    assert!(seen.body.to_string().find("0971-8888888").is_none(), "without the applicant's contact");
    let too_soon = send(&t, &reviewer, Method::POST, &path, Some(decide("重新评价"))).await;
    assert_eq!(too_soon.body["code"], "bad_outcome", "accepted first: {}", too_soon.body);
    assert_eq!(send(&t, &reviewer, Method::POST, &path, Some(decide("受理"))).await.status, 200);
    // Meanwhile the department lifts the listing: the regrade follows the record as it is now.
    submit(
        &t,
        "jyyc",
        json!([AbnormalListing::of("西宁异常商贸有限公司", code(5))
            .set("YC_YCRQ", "2026-11-20")
            .set("YC_YCYY", "已补报年度报告")
            .set("YC_YCJG", "西宁市市场监督管理局")]),
    )
    .await;
    let decided = send(&t, &reviewer, Method::POST, &path, Some(decide("重新评价"))).await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    assert_eq!(decided.body["state"], "已办结");
    let g = public_grade(&grades(&t, &code(5)).await).clone();
    assert_eq!(g["grade"], "B", "graded again: {g}");
    let tracked = t.get_json(&format!("/api/v1/cases/{number}")).await;
    assert_eq!(tracked["outcome"], "重新评价", "{tracked}");
}
