//! The plan's programmes (issue 21), one story each through the API and the pages: occupational credit — a
//! professional's sanction on the person's archive and reaching a 任职资格 check, and the occupational report.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{Auth, PASSWORD, TestApp, on_both, send, sign_in, spawn};
use credo_app::accounts::{self, AccountRequest};
use credo_store::{NewDepartment, Permissions};
use reqwest::Method;
use serde_json::{Value, json};

/// 西宁市司法局: supplies the lawyers' archive, checks before appointments.
fn justice() -> String {
    credo_synth::uscc_from("11", "630100", "GJA00001")
}
const LAWYER: &str = "630102199001011235";
/// The lawyer's firm (司法行政 registration, 律师执业机构).
fn firm() -> String {
    credo_synth::uscc_from("31", "630000", "LF000001")
}

async fn department(t: &TestApp, uscc: &str, name: &str, items: &[&str], scopes: &[&str]) -> String {
    let d = t
        .app
        .store
        .add_department(NewDepartment {
            uscc: uscc.into(),
            name: name.into(),
            region: Some(uscc[2..8].to_string()),
            created_by: "test".into(),
            permissions: Permissions {
                items: items.iter().map(|s| s.to_string()).collect(),
                scenes: vec!["rzzg".into(), "jg".into()],
                disclosure: vec!["公开".into(), "政务共享".into()],
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let scopes = scopes.iter().map(|s| s.to_string()).collect();
    credo_app::keys::create(t.app.store.as_ref(), &d, scopes, None, "test").await.unwrap().0
}

async fn submit(t: &TestApp, key: &str, item: &str, rows: Value) -> Value {
    let r = send(
        t,
        &Auth::Key(key.into()),
        Method::POST,
        "/api/v1/batches",
        Some(json!({ "item": item, "records": rows })),
    )
    .await;
    assert_eq!((r.status, r.body["rejected"].as_i64()), (200, Some(0)), "{}", r.text);
    r.body
}

#[tokio::test]
async fn a_lawyers_sanction_is_on_the_archive_reaches_appointment_checks_and_the_occupational_report() {
    on_both(async || {
        let t = spawn().await;
        let (justice, firm) = (justice(), firm());
        let key = department(&t, &justice, "西宁市司法局", &["zyzg", "zyjc"], &["submit", "check"]).await;
        let source = json!({ "SJLY": "西宁市司法局", "SJLYDM": justice });
        let with = |prefix: &str, mut row: Value| {
            for (k, v) in source.as_object().unwrap() {
                row[format!("{prefix}_{k}")] = v.clone();
            }
            row
        };
        let licence = with("ZG", json!({
            "ZG_XM": "李律师", "ZG_ZJLX": "身份证", "ZG_ZJHM": LAWYER, "ZG_ZY": "律师", "ZG_ZSMC": "律师执业证",
            "ZG_ZSBH": "16301201510000001", "ZG_FZJG": "青海省司法厅", "ZG_FZRQ": "2015-07-01", "ZG_ZT": "吊销",
            "ZG_ZYJG": "青海某某律师事务所", "ZG_ZYJGDM": firm,
        }));
        submit(&t, &key, "zyzg", json!([licence])).await;
        let sanction = with("JC", json!({
            "JC_XM": "李律师", "JC_ZJLX": "身份证", "JC_ZJHM": LAWYER, "JC_ZY": "律师", "JC_ZSBH": "16301201510000001",
            "JC_LB": "行政处罚", "JC_WH": "青司罚决字〔2026〕3号", "JC_SY": "向法官行贿",
            "JC_JG": "吊销执业证书", "JC_YJ": "《中华人民共和国律师法》第四十九条", "JC_JDRQ": "2026-09-01",
            "JC_JDJG": "青海省司法厅", "JC_ZYJG": "青海某某律师事务所", "JC_ZYJGDM": firm,
        }));
        submit(&t, &key, "zyjc", json!([sanction])).await;

        // The public sees none of it: a person's archive is not published.
        let r = send(&t, &Auth::None, Method::GET, &format!("/api/v1/subjects/{LAWYER}"), None).await;
        assert!(!r.text.contains("青司罚决字") && !r.text.contains(LAWYER), "{}", r.text);

        // The 任职资格 check reaches the professional, with the sanction as evidence.
        let check = json!({ "scene": "rzzg", "purpose": "拟任律师事务所合伙人资格审查", "subjects": [LAWYER] });
        let r = send(&t, &Auth::Key(key.clone()), Method::POST, "/api/v1/checks", Some(check)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let result = &r.body["receipt"]["results"][0];
        let measures: Vec<&str> = result["measures"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
        assert!(measures.contains(&"ZYJC-RZZG"), "{result}");
        assert_eq!((result["subject"]["kind"].as_str(), result["decision"].as_str()), (Some("person"), Some("restricted")));
        let evidence = &result["measures"][0]["evidence"][0];
        assert_eq!(evidence["item"], "zyjc", "the sanction is the evidence: {result}");

        // The person's own archive: both records with the employer, and who checked.
        accounts::create(
            &t.app,
            AccountRequest {
                username: "lawyer".into(),
                name: "李律师".into(),
                role: "subject".into(),
                subject: Some(LAWYER.into()),
                password: Some(PASSWORD.into()),
                ..AccountRequest::default()
            },
            "test",
        )
        .await
        .unwrap();
        let me = sign_in(&t, "lawyer").await;
        let records = send(&t, &me, Method::GET, "/api/v1/me/records", None).await;
        assert!(records.text.contains("青司罚决字〔2026〕3号") && records.text.contains(&firm), "{}", records.text);
        let log = send(&t, &me, Method::GET, "/api/v1/me/access-log", None).await;
        assert!(log.text.contains("拟任律师事务所合伙人资格审查"), "{}", log.text);
        let page = send(&t, &me, Method::GET, "/me", None).await;
        assert!(page.text.contains("执业奖惩信息") && page.text.contains("吊销执业证书"), "{}", page.text);

        // The occupational credit report, for the person.
        let path = format!("/api/v1/subjects/{LAWYER}/report?kind=occupational&for=own");
        let mut req = t.http.get(format!("{}{path}", t.base)).header("accept", "application/json");
        if let Auth::Session { cookie, .. } = &me {
            req = req.header("cookie", cookie);
        }
        let report: Value = req.send().await.unwrap().json().await.unwrap();
        let text = report.to_string();
        assert!(text.contains("个人职业信用报告") && text.contains("职业信用信息"), "{text}");
        assert!(text.contains("青司罚决字〔2026〕3号") && text.contains("律师执业证"), "{text}");
    })
    .await;
}

/// A valid 居民身份证号码 of 大通县 born on `born` (YYYYMMDD), number `n`.
fn ric(born: &str, n: u32) -> String {
    let first = format!("630121{born}{:03}", n % 1000);
    format!("{first}{}", credo_domain::ids::ric_check(first.as_bytes()).unwrap())
}

fn household(key: &str, name: &str, id: &str, village: &str, township: &str, opinion: &str, agri: &str) -> Value {
    json!({
        "NH_MC": name, "NH_ZTLB": "自然人", "NH_NHLX": "普通农户", "NH_ZJLX": "身份证", "NH_ZJHM": id,
        "NH_XZQH": "630121", "NH_XZ": "长宁镇", "NH_XZDM": township, "NH_CWH": key, "NH_CWHDM": village,
        "NH_CJND": "2026", "NH_ZYCY": "马铃薯种植", "NH_NSR": "6.5", "NH_HYQK": opinion, "NH_CJRQ": "2026-06-01",
        "NH_SJLY": "西宁市农业农村局", "NH_SJLYDM": agri,
    })
}

fn commitment(name: &str, code: &str, agri: &str, n: u32) -> Value {
    json!({
        "CN_MC": name, "CN_ZTLB": "法人及非法人组织", "CN_SHXYM": code, "CN_CNLX": "主动型", "CN_CNSX": "信用村创建",
        "CN_CNNR": "诚实守信,按时还贷", "CN_CNBH": format!("CN-2026-{n:03}"), "CN_CNRQ": "2026-05-01",
        "CN_SLDW": "西宁市农业农村局", "CN_SLDWDM": agri, "CN_LYZT": "履约中",
        "CN_SJLY": "西宁市农业农村局", "CN_SJLYDM": agri,
    })
}

/// A household's grade (persons' grades are not public: read from the store).
async fn household_grade(t: &TestApp, id: &str) -> Option<String> {
    let s = credo_app::search::subject_by_key(&t.app, id).await.unwrap();
    let grades = t.app.store.grades_of(s.id).await.unwrap();
    grades.into_iter().find(|g| g.scheme == "xyh" && g.superseded_at.is_none()).map(|g| g.grade)
}

fn grade_of(v: &Value, scheme: &str) -> Option<String> {
    v["grades"].as_array()?.iter().find(|g| g["scheme"] == scheme)?["grade"].as_str().map(String::from)
}

#[tokio::test]
async fn households_are_rated_and_their_village_and_township_follow() {
    on_both(async || {
        let t = spawn().await;
        let agri = credo_synth::uscc_from("11", "630100", "NYJ00001");
        let key = department(&t, &agri, "西宁市农业农村局", &["nhxx", "xycn", "sxbzxr"], &["submit"]).await;
        let township = credo_synth::uscc_from("11", "630121", "XA000001");
        let villages =
            [credo_synth::uscc_from("N2", "630121", "CUN00001"), credo_synth::uscc_from("N2", "630121", "CUN00002")];
        // The township and the villages are known to the platform (their commitments to the 信用村 creation).
        let known = [
            ("大通县长宁镇人民政府", &township),
            ("长宁镇上庄村股份经济合作社", &villages[0]),
            ("长宁镇下庄村股份经济合作社", &villages[1]),
        ];
        let rows: Vec<Value> =
            known.iter().enumerate().map(|(n, (name, code))| commitment(name, code, &agri, n as u32)).collect();
        submit(&t, &key, "xycn", json!(rows)).await;
        // Ten households in 上庄 and ten in 下庄 (a village needs ten graded), all well thought of by their neighbours.
        let mut rows = Vec::new();
        for n in 0..20 {
            let (village, name) = if n < 10 { (&villages[0], "上庄村") } else { (&villages[1], "下庄村") };
            rows.push(household(name, &format!("农户{n}"), &ric("19800101", n), village, &township, "好", &agri));
        }
        submit(&t, &key, "nhxx", json!(rows)).await;
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        assert_eq!(household_grade(&t, &ric("19800101", 14)).await.as_deref(), Some("优秀"));
        let r =
            send(&t, &Auth::None, Method::GET, &format!("/api/v1/subjects/{}/grades", ric("19800101", 14)), None).await;
        assert_eq!(r.status, 404, "a household's grade is not public: {}", r.text);
        for v in &villages {
            let g = t.get_json(&format!("/api/v1/subjects/{v}/grades")).await;
            assert_eq!(grade_of(&g, "xyc").as_deref(), Some("信用村"), "{g}");
        }
        let g = t.get_json(&format!("/api/v1/subjects/{township}/grades")).await;
        assert_eq!(grade_of(&g, "xyxz").as_deref(), Some("信用乡镇"), "{g}");
        // Other subjects are not rated as households: the population is those with an archive.
        assert_eq!(grade_of(&g, "xyh"), None, "the township has no household archive: {g}");
        // The household sees its own grade, with why.
        accounts::create(
            &t.app,
            AccountRequest {
                username: "farmer".into(),
                name: "农户0".into(),
                role: "subject".into(),
                subject: Some(ric("19800101", 0)),
                password: Some(PASSWORD.into()),
                ..AccountRequest::default()
            },
            "test",
        )
        .await
        .unwrap();
        let farmer = sign_in(&t, "farmer").await;
        let page = send(&t, &farmer, Method::GET, "/me", None).await;
        assert!(page.text.contains("农户信用评价:优秀信用户") && page.text.contains("村民评议为“好”"), "{}", page.text);

        // The public list: townships and villages with why, households only as counts.
        let (status, _, page) = t.get("/rural").await;
        assert_eq!(status, 200);
        assert!(page.contains("大通县长宁镇人民政府") && page.contains("长宁镇下庄村股份经济合作社"), "{page}");
        assert!(page.contains("信用户占比不低于 80%") && page.contains("信用村占比不低于 60%"), "{page}");
        assert!(!page.contains("农户14") && !page.contains(&ric("19800101", 14)), "no household is named");
        assert!(!page.contains("10 户"), "no household counts by village: {page}");
        // The lists are computed once while no grade changes (a crowd on /rural walks the index once).
        let lists = || credo_app::grades::public_member_lists(&t.app, "xyxz");
        let (first, again) = (lists().await.unwrap(), lists().await.unwrap());
        assert!(std::sync::Arc::ptr_eq(&first, &again), "kept");
        t.app.member_lists.changed();
        assert!(!std::sync::Arc::ptr_eq(&first, &lists().await.unwrap()), "computed again once grades change");

        // Four households of 下庄 become dishonest judgment debtors: they are no longer 信用户, 下庄 falls below seven
        // in ten, and the township below six in ten.
        let debtors: Vec<Value> = (14..18)
            .map(|n| {
                json!(
                    credo_synth::builders::DishonestDebtor::person(format!("农户{n}"), ric("19800101", n))
                        .case_number(format!("(2026)青0121执{n}号"))
                        .published("2026-10-10")
                        .source("西宁市农业农村局", &agri)
                )
            })
            .collect();
        let r = send(
            &t,
            &Auth::Key(key.clone()),
            Method::POST,
            "/api/v1/batches",
            Some(json!({ "item": "sxbzxr", "records": debtors })),
        )
        .await;
        assert_eq!(r.body["accepted"], 4, "{}", r.text);
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        assert_eq!(household_grade(&t, &ric("19800101", 14)).await.as_deref(), Some("未达标"));
        // Now publicly known (a 失信被执行人), the person's 信用户 grade and its reasons stay private.
        let r =
            send(&t, &Auth::None, Method::GET, &format!("/api/v1/subjects/{}/grades", ric("19800101", 14)), None).await;
        assert!(r.status == 404 || grade_of(&r.body, "xyh").is_none(), "{}", r.text);
        assert!(!r.text.contains("村民评议"), "{}", r.text);
        let g = t.get_json(&format!("/api/v1/subjects/{}/grades", villages[1])).await;
        assert_eq!(grade_of(&g, "xyc").as_deref(), Some("否"), "{g}");
        let g = t.get_json(&format!("/api/v1/subjects/{}/grades", villages[0])).await;
        assert_eq!(grade_of(&g, "xyc").as_deref(), Some("信用村"), "{g}");
        let g = t.get_json(&format!("/api/v1/subjects/{township}/grades")).await;
        assert_eq!(grade_of(&g, "xyxz").as_deref(), Some("否"), "{g}");
        let (_, _, page) = t.get("/rural").await;
        assert!(page.contains("信用户占比低于 70%") && page.contains("未评为信用村"), "{page}");

        // A household's archive withdrawn: it is no longer graded as a household, and its village, with nine graded
        // households left, is no longer graded either.
        let s = credo_app::search::subject_by_key(&t.app, &ric("19800101", 0)).await.unwrap();
        let archive = t.app.store.subject_records(s.id).await.unwrap().into_iter().find(|r| r.item == "nhxx").unwrap();
        let agri_dept = t.app.store.department_by_uscc(&agri).await.unwrap().unwrap();
        let principal = credo_app::principal::Principal::Key {
            key: Box::new(t.app.store.api_keys(agri_dept.id).await.unwrap().remove(0)),
            department: Box::new(agri_dept),
        };
        credo_app::cases::withdraw(&t.app, &principal, archive.id, "采集有误,撤销").await.unwrap();
        credo_app::grades::recompute(&t.app, Some(vec![s.id])).await.unwrap();
        assert_eq!(household_grade(&t, &ric("19800101", 0)).await, None, "its 信用户 grade ended");
        let g = t.get_json(&format!("/api/v1/subjects/{}/grades", villages[0])).await;
        assert_eq!(grade_of(&g, "xyc"), None, "nine households are too few: {g}");
    })
    .await;
}

#[tokio::test]
async fn an_enterprise_applies_authorises_its_lender_and_gets_an_answer() {
    on_both(async || {
        let t = spawn().await;
        let registration = credo_synth::builders::Registration::of("西宁市城东区鑫源商贸有限公司", common::COMPANY);
        let (status, s) = t.post_batch(json!({ "item": "djzc", "records": [registration] })).await;
        assert_eq!((status, s["accepted"].as_i64()), (200, Some(1)), "{s}");
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        let bank_code = credo_synth::uscc_from("91", "630100", "YH000001");
        let bank = department(&t, &bank_code, "青海银行西宁分行", &[], &["check"]).await;
        let other_code = credo_synth::uscc_from("91", "630100", "YH000002");
        let other = department(&t, &other_code, "西宁农商银行", &[], &["check"]).await;
        let (bank, other) = (Auth::Key(bank), Auth::Key(other));
        let product = |name: &str, grades: &[&str]| {
            json!({ "name": name, "description": "纯信用,随借随还", "grades": grades, "min_amount": 10, "max_amount": 300, "term_months": 12 })
        };
        // Only a department the city's security administrator names a lender publishes products and reads applicants.
        let r = send(&t, &bank, Method::POST, "/api/v1/products", Some(product("信易贷·惠企", &["A", "B"]))).await;
        assert_eq!(r.status, 403, "a checker's key is no lender's: {}", r.text);
        assert!(r.text.contains("未登记为金融机构"), "{}", r.text);
        for code in [&bank_code, &other_code] {
            let d = t.app.store.department_by_uscc(code).await.unwrap().unwrap();
            let p = Permissions { lending: true, ..d.permissions };
            credo_app::admin::set_permissions(&t.app, code, &p, None).await.unwrap();
        }
        let district_bank = credo_synth::uscc_from("91", "630102", "YH000003");
        department(&t, &district_bank, "城东区村镇银行", &[], &["check"]).await;
        let p = Permissions { lending: true, ..Permissions::default() };
        let r = credo_app::admin::set_permissions(&t.app, &district_bank, &p, Some("630102")).await.unwrap_err();
        assert!(r.detail.contains("市级安全管理员"), "a district's administrator names no lender: {}", r.detail);
        let r = send(&t, &bank, Method::POST, "/api/v1/products", Some(product("信易贷·惠企", &["A", "B"]))).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let open = r.body["id"].as_i64().unwrap();
        let strict = send(&t, &bank, Method::POST, "/api/v1/products", Some(product("优企贷", &["A"]))).await.body["id"].as_i64().unwrap();
        let r = send(&t, &bank, Method::POST, "/api/v1/products", Some(product("x", &["Z"]))).await;
        assert_eq!(r.status, 400, "a grade the scheme lacks: {}", r.text);
        let mut village = product("x", &["信用村"]);
        village["scheme"] = json!("xyc");
        let r = send(&t, &bank, Method::POST, "/api/v1/products", Some(village)).await;
        assert_eq!(r.status, 400, "no applicant is graded by a group scheme: {}", r.text);
        let r = send(&t, &Auth::None, Method::POST, "/api/v1/products", Some(product("x", &[]))).await;
        assert_eq!(r.status, 401);

        // The enterprise applies from its account: refused where its grade falls short, accepted where it meets it.
        common::add_account(&t, "company", "subject").await;
        let me = sign_in(&t, "company").await;
        let apply = |product: i64, amount: f64| json!({ "product": product, "amount": amount, "purpose": "购置冷链设备" });
        let r = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(strict, 50.0))).await;
        assert_eq!((r.status, r.code()), (403, "not_permitted"), "{}", r.text);
        assert!(r.text.contains("当前为 B"), "{}", r.text);
        let r = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(open, 500.0))).await;
        assert_eq!(r.status, 400, "above the product's limit: {}", r.text);
        let page = send(&t, &me, Method::GET, "/me", None).await;
        assert!(page.text.contains("信易贷·惠企(青海银行西宁分行"), "the form offers the product: {}", page.text);
        let r = common::form_post(&t, &me, "/me/loan-applications", &[("product", &open.to_string()), ("amount", "50"), ("purpose", "购置冷链设备")]).await;
        assert_eq!((r.status, r.location()), (303, "/me#loans"), "{}", r.text);
        let mine = send(&t, &me, Method::GET, "/api/v1/me/loan-applications", None).await;
        let first = mine.body[0]["id"].as_i64().unwrap();
        assert_eq!(mine.body[0]["state"], "submitted", "{}", mine.text);

        // The lender sees it and reads the authorised report; the enterprise sees who read it.
        let received = send(&t, &bank, Method::GET, "/api/v1/loan-applications", None).await;
        assert_eq!(received.body.as_array().unwrap().len(), 1, "{}", received.text);
        assert_eq!(send(&t, &other, Method::GET, "/api/v1/loan-applications", None).await.body, json!([]), "another lender sees none");
        let key = received.body[0]["subject_key"].as_str().unwrap().to_string();
        let report = format!("/api/v1/subjects/{key}/report?for=authorised");
        let r = send(&t, &bank, Method::GET, &report, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(send(&t, &other, Method::GET, &report, None).await.status, 403, "not authorised to the other bank");
        let log = send(&t, &me, Method::GET, "/api/v1/me/access-log", None).await;
        assert!(log.text.contains(&bank_code) && log.text.contains("融资对接:申请信易贷·惠企"), "{}", log.text);
        let page = send(&t, &me, Method::GET, "/me", None).await;
        assert!(page.text.contains("青海银行西宁分行") && page.text.contains("已提交"), "{}", page.text);

        // The answer: another bank cannot give it; accepted, then lent.
        let decide = |id: i64| format!("/api/v1/loan-applications/{id}/decision");
        let r = send(&t, &other, Method::POST, &decide(first), Some(json!({ "outcome": "accept" }))).await;
        assert_eq!(r.status, 404, "{}", r.text);
        let r = send(&t, &bank, Method::POST, &decide(first), Some(json!({ "outcome": "accept" }))).await;
        assert_eq!(r.body["state"], "accepted", "{}", r.text);
        let r = send(&t, &bank, Method::POST, &decide(first), Some(json!({ "outcome": "grant", "amount": 40 }))).await;
        assert_eq!((r.body["state"].as_str(), r.body["granted_amount"].as_i64()), (Some("granted"), Some(400_000)), "{}", r.text);
        let r = send(&t, &bank, Method::POST, &decide(first), Some(json!({ "outcome": "refuse", "reason": "x" }))).await;
        assert_eq!(r.status, 409, "a granted loan is done: {}", r.text);
        assert_eq!(send(&t, &bank, Method::GET, &report, None).await.status, 403, "a loan granted ends the reading");
        let mine = send(&t, &me, Method::GET, "/api/v1/me/loan-applications", None).await;
        assert!(mine.body[0].get("decided_by").is_none() && mine.body[0].get("applied_by").is_none(), "no officer's account: {}", mine.text);
        let r = send(&t, &bank, Method::POST, &decide(first), Some(json!({ "outcome": "grant", "amount": 0.00001 }))).await;
        assert_eq!(r.status, 400, "an amount of 0 元 is none: {}", r.text);

        // A second application refused with a reason; a third withdrawn, which ends the lender's authorisation.
        let second = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(open, 20.0))).await.body["id"].as_i64().unwrap();
        let r = send(&t, &bank, Method::POST, &decide(second), Some(json!({ "outcome": "refuse" }))).await;
        assert_eq!((r.status, r.code()), (422, "reason_required"), "{}", r.text);
        let r = send(&t, &bank, Method::POST, &decide(second), Some(json!({ "outcome": "refuse", "reason": "经营流水不足" }))).await;
        assert_eq!(r.body["state"], "refused", "{}", r.text);
        let third = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(open, 30.0))).await.body["id"].as_i64().unwrap();
        let r = send(&t, &me, Method::POST, &format!("/api/v1/me/loan-applications/{third}/withdraw"), None).await;
        assert_eq!(r.body["state"], "withdrawn", "{}", r.text);
        let grants = send(&t, &me, Method::GET, "/api/v1/me/loan-applications", None).await;
        assert_eq!(grants.body.as_array().unwrap().len(), 3);
        // Withdrawing the authorisation on /me withdraws the application that lives on it, in the audit trail.
        let fourth = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(open, 30.0))).await.body;
        let auth = fourth["authorisation_id"].as_i64().unwrap();
        let r = common::form_post(&t, &me, &format!("/me/authorisations/{auth}/withdraw"), &[]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let fourth = t.app.store.loan_application(fourth["id"].as_i64().unwrap()).await.unwrap().unwrap();
        assert_eq!(fourth.state, "withdrawn");
        let r = send(&t, &bank, Method::POST, &decide(fourth.id), Some(json!({ "outcome": "accept" }))).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let trail = t.app.store.audit_for_target(&format!("subject:{}", fourth.subject_id), 20).await.unwrap();
        assert!(trail.iter().any(|e| e.event.action == "report.unauthorise"), "{trail:?}");

        // The figures, by product, for everyone.
        let listed = t.get_json("/api/v1/products").await;
        let stats = &listed.as_array().unwrap().iter().find(|p| p["id"] == open).unwrap()["stats"];
        assert_eq!((stats["applications"].as_i64(), stats["granted"].as_i64(), stats["refused"].as_i64(), stats["granted_amount"].as_i64()), (Some(4), Some(1), Some(1), Some(400_000)), "{listed}");
        let (_, _, page) = t.get("/finance").await;
        assert!(page.contains("放款 1 笔 40 万元") && page.contains("信用状况优"), "{page}");
        // Every step is in the audit trail.
        let events = t.app.store.audit_for_target(&format!("loan:{first}"), 10).await.unwrap();
        let actions: Vec<&str> = events.iter().rev().map(|e| e.event.action.as_str()).collect();
        assert_eq!(actions, ["loan.apply", "loan.accept", "loan.grant"]);

        // A department no longer named a lender: its products leave the list and take no application.
        let d = t.app.store.department_by_uscc(&bank_code).await.unwrap().unwrap();
        let p = Permissions { lending: false, ..d.permissions };
        credo_app::admin::set_permissions(&t.app, &bank_code, &p, None).await.unwrap();
        assert_eq!(t.get_json("/api/v1/products").await, json!([]), "its products are not listed");
        let r = send(&t, &me, Method::POST, "/api/v1/me/loan-applications", Some(apply(open, 30.0))).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.text.contains("已不办理融资对接"), "{}", r.text);
    })
    .await;
}

#[tokio::test]
async fn a_unit_is_selected_challenged_published_and_revoked_by_a_later_serious_record() {
    on_both(async || {
        let t = spawn().await;
        use credo_synth::builders::{RedList, Registration, SeriousDishonesty};
        let company = common::COMPANY;
        // The platform's own department also keeps the red list and the serious-dishonesty list here.
        let dept = t.app.store.department_by_uscc(common::DEPT).await.unwrap().unwrap();
        let mut perms = dept.permissions.clone();
        perms.items.extend(["sxjl".to_string(), "yzsx".to_string(), "nsxy".to_string()]);
        t.app.store.set_permissions(dept.id, &perms).await.unwrap();
        for (item, row) in [
            ("djzc", json!(Registration::of("西宁市城东区鑫源商贸有限公司", company))),
            ("sxjl", json!(RedList::of("西宁市城东区鑫源商贸有限公司", company))),
        ] {
            let (status, s) = t.post_batch(json!({ "item": item, "records": [row] })).await;
            assert_eq!((status, s["accepted"].as_i64()), (200, Some(1)), "{s}");
        }
        let committee = credo_synth::uscc_from("11", "630100", "WMB00001");
        department(&t, &committee, "西宁市精神文明建设委员会办公室", &[], &["check"]).await;
        accounts::create(
            &t.app,
            AccountRequest {
                username: "committee".into(),
                name: "评审办理员".into(),
                role: "handler".into(),
                department: Some(committee.clone()),
                password: Some(PASSWORD.into()),
                ..AccountRequest::default()
            },
            "test",
        )
        .await
        .unwrap();
        common::add_account(&t, "company", "subject").await;
        common::add_account(&t, "handler", "handler").await;
        let (me, judge, outsider) =
            (sign_in(&t, "company").await, sign_in(&t, "committee").await, sign_in(&t, "handler").await);

        // Not yet: its grade is B (700 + 80 for the red list = 780) and it has made no public commitment.
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        let r = send(&t, &me, Method::POST, "/api/v1/me/honours", Some(json!({ "statement": "守合同重信用" }))).await;
        assert_eq!((r.status, r.code()), (403, "not_permitted"), "{}", r.text);
        assert!(r.text.contains("当前B") && r.text.contains("信用承诺"), "{}", r.text);
        // It commits in public and, with its 纳税信用 A (+60), is graded A.
        let commitment = json!({ "department": common::DEPT, "type": "主动型", "matter": "诚信经营承诺", "content": "守法经营,诚实守信" });
        let r = send(&t, &me, Method::POST, "/api/v1/commitments", Some(commitment)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let tax = json!({
            "NS_MC": "西宁市城东区鑫源商贸有限公司", "NS_SHXYM": company, "NS_PJND": "2025", "NS_XYJB": "A",
            "NS_PJRQ": "2026-04-01", "NS_PJJG": "国家税务总局西宁市税务局", "NS_SJLY": "国家税务总局西宁市税务局",
            "NS_SJLYDM": common::DEPT,
        });
        let (status, s) = t.post_batch(json!({ "item": "nsxy", "records": [tax] })).await;
        assert_eq!((status, s["accepted"].as_i64()), (200, Some(1)), "{s}");
        credo_app::grades::recompute(&t.app, None).await.unwrap();
        let r = send(&t, &me, Method::POST, "/api/v1/me/honours", Some(json!({ "statement": "  " }))).await;
        assert_eq!((r.status, r.code()), (422, "missing_field"), "the statement is published with the notice: {}", r.text);
        let statement = "守合同重信用,诚信经营十年。联系人电话13912345678";
        let page = common::form_post(&t, &me, "/me/honours", &[("statement", statement)]).await;
        assert_eq!((page.status, page.location()), (303, "/me#honours"), "{}", page.text);
        let list = send(&t, &judge, Method::GET, "/api/v1/honours/applications", None).await;
        let id = list.body[0]["id"].as_i64().unwrap_or_else(|| panic!("{}", list.text));
        let steps = format!("/api/v1/honours/{id}/steps");
        let r = send(&t, &outsider, Method::POST, &steps, Some(json!({ "step": "approve" }))).await;
        assert_eq!(r.status, 403, "another department's handler is no committee: {}", r.text);
        let r = send(&t, &judge, Method::POST, &steps, Some(json!({ "step": "publish" }))).await;
        assert_eq!(r.status, 409, "not before the notice: {}", r.text);
        let r = send(&t, &judge, Method::POST, &steps, Some(json!({ "step": "bless" }))).await;
        assert_eq!(r.status, 400, "no such step: {}", r.text);
        let r = send(&t, &judge, Method::POST, &steps, Some(json!({ "step": "approve" }))).await;
        assert_eq!(r.body["state"], "notice", "{}", r.text);
        let until = r.body["notice_until"].as_str().unwrap().to_string();

        // In notice: on the public list and page, with the way to complain; a complaint is filed.
        let (_, _, page) = t.get("/honours").await;
        assert!(page.contains("公示中") && page.contains(&format!("/honours/{id}")), "{page}");
        let (_, _, page) = t.get(&format!("/honours/{id}")).await;
        assert!(page.contains("我要投诉") && page.contains(&until), "{page}");
        assert!(page.contains("诚信经营十年") && !page.contains("13912345678"), "the telephone is masked: {page}");
        let console = send(&t, &judge, Method::GET, "/console/honours", None).await;
        assert!(console.text.contains("诚信经营十年"), "the committee reads what it approves: {}", console.text);
        let link = page.split("id=\"complain\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
        let (_, _, form) = t.get(&link).await;
        assert!(form.contains("value=\"西宁市城东区鑫源商贸有限公司\"") && form.contains(&format!("value=\"{committee}\" selected")), "prefilled: {form}");
        let complaint = json!({
            "department": committee, "subject_name": "西宁市城东区鑫源商贸有限公司", "subject_code": company,
            "content": "该公司拖欠供应商货款", "reporter": { "name": "王五", "phone": "13800000000" },
        });
        let r = send(&t, &me, Method::POST, "/api/v1/reports", Some(complaint)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let case = r.body["number"].as_str().unwrap().to_string();

        // After the notice, not published while the complaint is open; published once it is closed.
        t.app.clock.set(time::Date::parse(&until, &time::format_description::well_known::Iso8601::DATE).unwrap() + time::Duration::days(1));
        let r = send(&t, &judge, Method::POST, &steps, Some(json!({ "step": "publish" }))).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.text.contains(&case), "{}", r.text);
        let decided = send(&t, &judge, Method::POST, &format!("/api/v1/cases/{case}/decide"), Some(json!({ "outcome": "不属实", "reason": "经核实,货款已按合同结清" }))).await;
        assert_eq!(decided.status, 200, "{}", decided.text);
        let r = send(&t, &judge, Method::POST, &steps, Some(json!({ "step": "publish" }))).await;
        assert_eq!(r.body["state"], "published", "{}", r.text);
        let public = t.get_json("/api/v1/honours").await;
        assert_eq!(public["published"][0]["name"], "西宁市城东区鑫源商贸有限公司", "{public}");

        // A later serious record: the platform revokes it, with the reason, under the committee.
        let listed = SeriousDishonesty::of("西宁市城东区鑫源商贸有限公司", company);
        let (status, s) = t.post_batch(json!({ "item": "yzsx", "records": [listed] })).await;
        assert_eq!((status, s["accepted"].as_i64()), (200, Some(1)), "{s}");
        let h = t.app.store.honour(id).await.unwrap().unwrap();
        assert_eq!(h.state, credo_domain::honours::HonourState::Revoked);
        assert!(h.reason.as_deref().unwrap_or_default().contains("严重失信主体名单"), "{:?}", h.reason);
        let public = t.get_json("/api/v1/honours").await;
        assert_eq!(public["published"], json!([]), "{public}");
        let console = send(&t, &judge, Method::GET, "/console/honours", None).await;
        assert!(console.text.contains("已撤销") && console.text.contains("严重失信主体名单"), "{}", console.text);
        let trail = t.app.store.audit_for_target(&format!("honour:{id}"), 20).await.unwrap();
        let revoked = trail.iter().find(|e| e.event.action == "honour.revoke").unwrap();
        assert_eq!(revoked.event.department.as_deref(), Some(committee.as_str()));

        // A second department under the committee's name takes over nothing: operators cannot register one, and one
        // that got in otherwise (an enterprise, a later body) is not the committee.
        let twin = credo_synth::uscc_from("11", "630100", "WMB00002");
        let r = credo_app::admin::add_department(&t.app, &twin, "西宁市精神文明建设委员会办公室", None, "test", None).await;
        assert!(r.unwrap_err().detail.contains("部门名称不能重复"));
        department(&t, &credo_synth::uscc_from("91", "630100", "WMB00009"), "西宁市精神文明建设委员会办公室", &[], &[]).await;
        department(&t, &twin, "西宁市精神文明建设委员会办公室", &[], &[]).await;
        assert_eq!(credo_app::honours::committee(&t.app).await.unwrap().uscc, committee, "the first body registered");
    })
    .await;
}
