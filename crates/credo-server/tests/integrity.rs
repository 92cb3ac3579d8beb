//! 政务诚信 and the credit service market (issue 22), one story each through the API and the pages: an enterprise's
//! complaint about an unpaid invoice becoming a 拖欠企业账款 record on the body's page and in the dashboard; a 政务承诺
//! falling overdue; a civil servant's archive read by the granted personnel department only, the person seeing who
//! read it; a credit agency reading an authorised report within its daily quota and refused beyond it.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{Auth, COMPANY, DEPT, PASSWORD, TestApp, add_account, form_post, on_both, send, sign_in, spawn};
use credo_app::accounts::{self, AccountRequest};
use credo_store::{NewDepartment, Permissions};
use credo_synth::builders::Registration;
use reqwest::Method;
use serde_json::{Value, json};
use time::macros::date;

/// The credit office (信用办), as `catalog/integrity.toml` names it.
const OFFICE: &str = "西宁市社会信用体系建设领导小组办公室";

async fn add_department(t: &TestApp, uscc: &str, name: &str, permissions: Permissions) -> credo_store::Department {
    t.app
        .store
        .add_department(NewDepartment {
            uscc: uscc.into(),
            name: name.into(),
            region: Some("630100".into()),
            created_by: "test".into(),
            permissions,
        })
        .await
        .unwrap()
}

async fn account(t: &TestApp, username: &str, role: &str, department: Option<&str>, subject: Option<&str>) -> Auth {
    let req = AccountRequest {
        username: username.into(),
        name: format!("测试{username}"),
        role: role.into(),
        department: department.map(str::to_string),
        subject: subject.map(str::to_string),
        password: Some(PASSWORD.into()),
        region: None,
    };
    accounts::create(&t.app, req, "test").await.unwrap();
    sign_in(t, username).await
}

async fn company(t: &TestApp) -> Auth {
    let registration = Registration::of("西宁市城东区鑫源商贸有限公司", COMPANY);
    let (_, s) = t.post_batch(json!({ "item": "djzc", "records": [registration] })).await;
    assert_eq!(s["accepted"], 1, "{s}");
    add_account(t, "company", "subject").await;
    sign_in(t, "company").await
}

async fn decide(t: &TestApp, who: &Auth, number: &str, outcome: &str, reason: &str) -> Value {
    let body = json!({ "outcome": outcome, "reason": reason });
    let r = send(t, who, Method::POST, &format!("/api/v1/cases/{number}/decide"), Some(body)).await;
    assert_eq!(r.status, 200, "{outcome}: {}", r.text);
    r.body
}

fn body_row<'a>(dashboard: &'a Value, code: &str) -> &'a Value {
    dashboard["bodies"].as_array().unwrap().iter().find(|b| b["code"] == code).unwrap()
}

#[tokio::test]
async fn a_complaint_about_an_unpaid_invoice_becomes_an_arrears_record_on_the_bodys_page_and_the_dashboard() {
    on_both(async || {
        let t = spawn().await;
        let office = credo_synth::uscc_from("11", "630100", "XYB00001");
        add_department(&t, &office, OFFICE, Permissions::default()).await;
        let company = company(&t).await;
        add_account(&t, "reviewer", "reviewer").await;
        add_account(&t, "handler", "handler").await;
        let (reviewer, handler) = (sign_in(&t, "reviewer").await, sign_in(&t, "handler").await);
        // DEPT (西宁市市场监督管理局, 11…) is the body complained about.
        let complaint = json!({
            "body_code": DEPT, "body_name": "西宁市市场监督管理局", "category": "拖欠企业账款",
            "matter": "2026年办公设备采购合同", "amount": "12.5", "due_on": "2026-09-30",
            "content": "货物已于2026年8月31日交付验收,至今未付款",
        });

        // Who may complain, and about whom.
        let path = "/api/v1/me/gov-complaints";
        let r = send(&t, &Auth::None, Method::POST, path, Some(complaint.clone())).await;
        assert_eq!(r.status, 401, "{}", r.text);
        let r = send(&t, &handler, Method::POST, path, Some(complaint.clone())).await;
        assert_eq!(r.status, 403, "a department is no enterprise: {}", r.text);
        let mut not_a_body = complaint.clone();
        not_a_body["body_code"] = json!(COMPANY);
        let r = send(&t, &company, Method::POST, path, Some(not_a_body)).await;
        assert_eq!((r.status, r.code()), (422, "invalid_uscc"), "{}", r.text);
        let mut not_due = complaint.clone();
        not_due["due_on"] = json!("2026-12-31");
        let r = send(&t, &company, Method::POST, path, Some(not_due)).await;
        assert_eq!((r.status, r.code()), (422, "bad_date"), "{}", r.text);
        let mut no_amount = complaint.clone();
        no_amount["amount"] = json!("-3");
        let r = send(&t, &company, Method::POST, path, Some(no_amount)).await;
        assert_eq!((r.status, r.code()), (422, "missing_field"), "{}", r.text);
        let mut huge = complaint.clone();
        huge["amount"] = json!("9999999999999999999999999999");
        let r = send(&t, &company, Method::POST, path, Some(huge)).await;
        assert_eq!((r.status, r.code()), (422, "bad_field"), "amounts are capped: {}", r.text);

        let r = send(&t, &company, Method::POST, path, Some(complaint.clone())).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let number = r.body["number"].as_str().unwrap().to_string();
        assert!(number.starts_with("ZW"), "{number}");

        // The body sees nothing before the office assigns it; the body cannot take the office's step.
        let r = send(&t, &handler, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
        assert!(r.status != 200 || r.body.get("content").is_none(), "{}", r.text);
        let listed = send(&t, &reviewer, Method::GET, "/api/v1/cases", None).await;
        assert!(listed.text.contains(&number), "{}", listed.text);
        let console = send(&t, &reviewer, Method::GET, &format!("/console/cases/{number}"), None).await;
        assert_eq!(console.status, 200, "{}", console.text);
        assert!(console.text.contains("转办") && console.text.contains("2026年办公设备采购合同"), "{}", console.text);
        decide(&t, &reviewer, &number, "转办", "请于期限内答复").await;
        let console = send(&t, &handler, Method::GET, &format!("/console/cases/{number}"), None).await;
        assert!(console.text.contains("答复") && console.text.contains("12.5"), "the body's console: {}", console.text);
        let r = send(
            &t,
            &handler,
            Method::POST,
            &format!("/api/v1/cases/{number}/decide"),
            Some(json!({ "outcome": "认定失信", "reason": "自己认定" })),
        )
        .await;
        assert_eq!(r.status, 403, "the body cannot find against itself: {}", r.text);
        let inbox = send(&t, &handler, Method::GET, "/api/v1/cases", None).await;
        assert!(inbox.text.contains(&number) && inbox.text.contains("12.5"), "{}", inbox.text);
        decide(&t, &handler, &number, "答复", "因预算调整延迟支付,拟于年底前支付").await;
        let found = decide(&t, &reviewer, &number, "认定失信", "逾期未支付属实").await;
        assert_eq!((found["state"].as_str(), found["outcome"].as_str()), (Some("已办结"), Some("认定失信")), "{found}");

        // The complainant sees its case closed with the finding.
        let own = send(&t, &company, Method::GET, "/api/v1/me/cases", None).await;
        assert!(own.text.contains(&number) && own.text.contains("认定失信"), "{}", own.text);

        // The 拖欠企业账款 record on the body's page, and in the dashboard.
        let body = send(&t, &Auth::None, Method::GET, &format!("/api/v1/integrity/bodies/{DEPT}"), None).await;
        assert_eq!(body.status, 200, "{}", body.text);
        let records = body.body["records"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{}", body.text);
        assert_eq!(records[0]["item"], "qkzk");
        assert!(body.text.contains(&number) && body.text.contains("西宁市城东区鑫源商贸有限公司"), "{}", body.text);
        assert_eq!(body.body["kind"], "机关");
        let f = &body.body["figures"];
        assert_eq!(
            (f["arrears_outstanding"].as_i64(), f["arrears_outstanding_amount"].as_str()),
            (Some(1), Some("12.5"))
        );
        assert_eq!((f["complaints"].as_i64(), f["complaints_found"].as_i64()), (Some(1), Some(1)));
        assert_eq!((f["complaints_answered"].as_i64(), f["complaints_answered_on_time"].as_i64()), (Some(1), Some(1)));
        let record_id = records[0]["id"].as_i64().unwrap();
        let dashboard = send(&t, &Auth::None, Method::GET, "/api/v1/integrity", None).await;
        assert_eq!(dashboard.status, 200, "{}", dashboard.text);
        let row = body_row(&dashboard.body, DEPT);
        assert_eq!(row["figures"]["arrears_outstanding_amount"], "12.5", "{row}");
        let district = dashboard.body["districts"].as_array().unwrap().iter().find(|d| d["code"] == "630100").unwrap();
        assert_eq!(district["figures"]["records"], 1, "{district}");
        let page = send(&t, &Auth::None, Method::GET, &format!("/integrity/{DEPT}"), None).await;
        assert!(page.text.contains("拖欠企业账款") && page.text.contains("12.5"), "{}", page.text);
        let subject = send(&t, &Auth::None, Method::GET, &format!("/subjects/{DEPT}"), None).await;
        assert!(
            subject.text.contains(&format!("/integrity/{DEPT}")),
            "the body's own page links to it: {}",
            subject.text
        );
        let page = send(&t, &Auth::None, Method::GET, "/integrity", None).await;
        assert!(page.text.contains("西宁市市场监督管理局") && page.text.contains("12.5"), "{}", page.text);
        let csv = t.http.get(format!("{}/api/v1/integrity?format=csv", t.base)).send().await.unwrap();
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        assert!(csv.contains(DEPT) && csv.contains("12.5") && csv.contains("未清偿金额"), "{csv}");

        // Paid: the debtor cannot clear its own record, nor date the payment before the finding; the office records
        // it (on the creditor's word), once. The record stops being published.
        let paid = format!("/api/v1/integrity/arrears/{record_id}/paid");
        for who in [&company, &handler] {
            let r = send(&t, who, Method::POST, &paid, Some(json!({}))).await;
            assert_eq!(r.status, 403, "{}", r.text);
        }
        let r = send(&t, &reviewer, Method::POST, &paid, Some(json!({ "paid_on": "2026-11-01" }))).await;
        assert_eq!((r.status, r.code()), (422, "bad_date"), "before the finding: {}", r.text);
        let r = send(&t, &reviewer, Method::POST, &paid, Some(json!({ "paid_on": "2026-11-25" }))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = send(&t, &reviewer, Method::POST, &paid, Some(json!({}))).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let body = send(&t, &Auth::None, Method::GET, &format!("/api/v1/integrity/bodies/{DEPT}"), None).await;
        let f = &body.body["figures"];
        assert_eq!(
            (f["arrears_outstanding"].as_i64(), f["arrears_paid"].as_i64()),
            (Some(0), Some(1)),
            "{}",
            body.text
        );
        assert_eq!(f["arrears_paid_amount"], "12.5");
        assert!(body.body["records"].as_array().unwrap().is_empty(), "paid arrears are no longer published");

        // The enterprise's own page files a complaint too, and says why when it cannot.
        let fields = [
            ("body_code", DEPT),
            ("body_name", "西宁市市场监督管理局"),
            ("category", "政府违约"),
            ("matter", "物业服务合同"),
            ("amount", ""),
            ("due_on", ""),
            ("content", "合同约定的服务费未按期结算"),
        ];
        let r = form_post(&t, &company, "/me/gov-complaints", &fields).await;
        assert_eq!((r.status, r.location()), (303, "/me#cases"), "{}", r.text);
        let mut wrong = fields;
        wrong[0] = ("body_code", COMPANY);
        let r = form_post(&t, &company, "/me/gov-complaints", &wrong).await;
        assert!(r.text.contains("不是机关或事业单位的统一社会信用代码"), "{}", r.text);
        let page = send(&t, &company, Method::GET, "/me", None).await;
        assert!(page.text.contains("政府违约") || page.text.contains("政务失信投诉"), "{}", page.text);
        let third = send(&t, &company, Method::GET, "/api/v1/me/cases", None).await;
        let third = third.body["cases"].as_array().unwrap().iter().find(|c| c["state"] == "待受理").unwrap()["number"]
            .as_str()
            .unwrap()
            .to_string();

        // A dismissed complaint writes nothing.
        let promise = json!({
            "body_code": DEPT, "body_name": "西宁市市场监督管理局", "category": "政策承诺未兑现",
            "matter": "招商引资奖补资金", "content": "承诺的奖补资金未兑现",
        });
        let r = send(&t, &company, Method::POST, path, Some(promise.clone())).await;
        assert_eq!((r.status, r.code()), (409, "conflict"), "one open complaint per body at a time: {}", r.text);
        // A body that never answers cannot hold a complaint: once the answer is overdue, the office decides.
        decide(&t, &reviewer, &third, "转办", "请答复").await;
        let early = json!({ "outcome": "驳回", "reason": "未答复" });
        let r = send(&t, &reviewer, Method::POST, &format!("/api/v1/cases/{third}/decide"), Some(early)).await;
        assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.text);
        t.app.clock.set(date!(2026 - 12 - 31));
        decide(&t, &reviewer, &third, "驳回", "合同纠纷已由双方协商解决").await;
        let body = send(&t, &Auth::None, Method::GET, &format!("/api/v1/integrity/bodies/{DEPT}"), None).await;
        assert_eq!(body.body["figures"]["complaints_answered"], 1, "{}", body.text);
        let r = send(&t, &company, Method::POST, path, Some(promise)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let second = r.body["number"].as_str().unwrap().to_string();
        decide(&t, &reviewer, &second, "转办", "请答复").await;
        decide(&t, &handler, &second, "答复", "奖补资金已于十月拨付,附凭证").await;
        decide(&t, &reviewer, &second, "驳回", "已兑现,投诉不成立").await;
        let body = send(&t, &Auth::None, Method::GET, &format!("/api/v1/integrity/bodies/{DEPT}"), None).await;
        assert_eq!(body.body["figures"]["complaints"], 3);
        assert_eq!(body.body["figures"]["complaints_found"], 1);
        assert_eq!(body.body["figures"]["records"], 0, "{}", body.text);
    })
    .await;
}

#[tokio::test]
async fn a_commitment_falls_overdue_and_shows_as_such() {
    on_both(async || {
        let t = spawn().await;
        let key = Auth::Key(t.key.clone());
        let path = "/api/v1/integrity/commitments";
        let due = json!({ "type": "服务时限承诺", "content": "企业开办一日办结", "due_on": "2026-12-10" });
        let r = send(&t, &key, Method::POST, path, Some(due)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["status"], "履行中");
        let kept = json!({ "type": "政策承诺", "content": "小微企业租金减免", "due_on": "2026-12-31" });
        let kept = send(&t, &key, Method::POST, path, Some(kept)).await;
        let bad = json!({ "type": "随口一说", "content": "x", "due_on": "2026-12-31" });
        let r = send(&t, &key, Method::POST, path, Some(bad)).await;
        assert_eq!((r.status, r.code()), (422, "bad_field"), "{}", r.text);
        let past = json!({ "type": "政策承诺", "content": "x", "due_on": "2026-01-01" });
        let r = send(&t, &key, Method::POST, path, Some(past)).await;
        assert_eq!((r.status, r.code()), (422, "bad_date"), "{}", r.text);
        // An enterprise is no government body.
        let company = company(&t).await;
        let r = send(
            &t,
            &company,
            Method::POST,
            path,
            Some(json!({ "type": "政策承诺", "content": "x", "due_on": "2026-12-31" })),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.text);

        let settle = format!("{path}/{}/settle", kept.body["id"]);
        let r =
            send(&t, &key, Method::POST, &settle, Some(json!({ "state": "kept", "note": "已减免三个月租金" }))).await;
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("已兑现")), "{}", r.text);
        let r = send(&t, &key, Method::POST, &settle, Some(json!({ "state": "broken", "note": "改口" }))).await;
        assert_eq!(r.status, 409, "settled once: {}", r.text);

        t.app.clock.set(date!(2026 - 12 - 11));
        let body = send(&t, &Auth::None, Method::GET, &format!("/api/v1/integrity/bodies/{DEPT}"), None).await;
        let overdue: Vec<&Value> =
            body.body["commitments"].as_array().unwrap().iter().filter(|c| c["overdue"] == true).collect();
        assert_eq!(overdue.len(), 1, "{}", body.text);
        assert_eq!(
            (overdue[0]["status"].as_str(), overdue[0]["content"].as_str()),
            (Some("已逾期"), Some("企业开办一日办结"))
        );
        assert_eq!(body.body["figures"]["commitments_overdue"], 1);
        assert_eq!(body.body["figures"]["commitments_kept"], 1);
        let dashboard = send(&t, &Auth::None, Method::GET, "/api/v1/integrity", None).await;
        assert_eq!(body_row(&dashboard.body, DEPT)["figures"]["commitments_overdue"], 1);
        let page = send(&t, &Auth::None, Method::GET, &format!("/integrity/{DEPT}"), None).await;
        assert!(page.text.contains("已逾期") && page.text.contains("企业开办一日办结"), "{}", page.text);
    })
    .await;
}

/// A valid 居民身份证号码 of 城中区 born on 1985-03-02, number `n`.
fn ric(n: u32) -> String {
    let first = format!("63010319850302{:03}", n % 1000);
    format!("{first}{}", credo_domain::ids::ric_check(first.as_bytes()).unwrap())
}

#[tokio::test]
async fn only_the_granted_personnel_department_reads_a_civil_servants_archive_and_the_person_sees_who_read() {
    on_both(async || {
        let t = spawn().await;
        let personnel = credo_synth::uscc_from("11", "630100", "RLB00001");
        let d = add_department(
            &t,
            &personnel,
            "中共西宁市委组织部",
            Permissions { items: vec!["gwyda".into()], archives: vec!["gwyda".into()], ..Permissions::default() },
        )
        .await;
        let (key, _) =
            credo_app::keys::create(t.app.store.as_ref(), &d, vec!["submit".into()], None, "t").await.unwrap();
        let person = ric(7);
        let row = json!({
            "GW_XM": "王某某", "GW_ZJLX": "身份证", "GW_ZJHM": person, "GW_DW": "西宁市某局", "GW_DWDM": DEPT,
            "GW_BH": "GW-2025-0001", "GW_LB": "年度考核", "GW_ND": "2025", "GW_JG": "基本称职", "GW_SY": "年度考核",
            "GW_RQ": "2026-01-15", "GW_JDJG": "西宁市某局", "GW_SJLY": "中共西宁市委组织部", "GW_SJLYDM": personnel,
        });
        let r = send(
            &t,
            &Auth::Key(key),
            Method::POST,
            "/api/v1/batches",
            Some(json!({ "item": "gwyda", "records": [row] })),
        )
        .await;
        assert_eq!((r.status, r.body["rejected"].as_i64()), (200, Some(0)), "{}", r.text);

        let reader = account(&t, "zzb", "checker", Some(&personnel), None).await;
        add_account(&t, "other", "checker").await;
        let other = sign_in(&t, "other").await;
        let ask = json!({ "id_number": person, "purpose": "干部任用考察" });
        let path = "/api/v1/civil-servants/archive";
        // The public and another department are refused; the refusal is audited.
        let r = send(&t, &Auth::None, Method::POST, path, Some(ask.clone())).await;
        assert_eq!(r.status, 401, "{}", r.text);
        let r = send(&t, &other, Method::POST, path, Some(ask.clone())).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert!(!r.text.contains("基本称职") && !r.text.contains(&person), "{}", r.text);
        let refusals = t.app.store.audit_for_target("item:gwyda", 50).await.unwrap();
        assert!(refusals.iter().any(|e| e.event.action == "archive.refused"), "the refusal is in the audit trail");
        // The archive is nowhere public: not the person's page, not the exchange.
        let r = send(&t, &Auth::None, Method::GET, &format!("/api/v1/subjects/{person}"), None).await;
        assert!(!r.text.contains("基本称职") && !r.text.contains("GW-2025-0001"), "{}", r.text);
        // The granted department reads it, with its purpose; the ID number is masked.
        let r = send(&t, &reader, Method::POST, path, Some(ask.clone())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("基本称职") && !r.text.contains(&person), "{}", r.text);
        let r = send(&t, &reader, Method::POST, path, Some(json!({ "id_number": person, "purpose": " " }))).await;
        assert_eq!((r.status, r.code()), (422, "missing_field"), "a read states its purpose: {}", r.text);

        // The person sees who read the archive, and why.
        let me = account(&t, "wang", "subject", None, Some(&person)).await;
        let log = send(&t, &me, Method::GET, "/api/v1/me/access-log", None).await;
        let reads: Vec<&Value> =
            log.body["events"].as_array().unwrap().iter().filter(|e| e["action"] == "archive.read").collect();
        assert_eq!(reads.len(), 1, "{}", log.text);
        assert_eq!(
            (reads[0]["department"].as_str(), reads[0]["purpose"].as_str()),
            (Some(personnel.as_str()), Some("干部任用考察"))
        );
        let own = send(&t, &me, Method::GET, "/api/v1/me/records", None).await;
        assert!(own.text.contains("基本称职"), "the person sees their own archive: {}", own.text);
        // Nor does a report the person authorises carry the archive to another department.
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let granted = form_post(
            &t,
            &me,
            "/me/authorisations",
            &[("department", &dept.id.to_string()), ("purpose", "入职审查"), ("days", "30")],
        )
        .await;
        assert_eq!(granted.status, 303, "{}", granted.text);
        let Auth::Session { cookie, .. } = &other else { unreachable!() };
        let report = t
            .http
            .get(format!("{}/api/v1/subjects/{person}/report?for=authorised", t.base))
            .header("cookie", cookie)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(report.status(), 200);
        let report = report.text().await.unwrap();
        assert!(
            report.contains("授权查询") && !report.contains("基本称职") && !report.contains("GW-2025-0001"),
            "{report}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_credit_agency_reads_an_authorised_report_within_its_quota_and_is_refused_beyond_it() {
    on_both(async || {
        let t = spawn().await;
        let company = company(&t).await;
        add_account(&t, "reviewer", "reviewer").await;
        let reviewer = sign_in(&t, "reviewer").await;
        let agency_code = credo_synth::uscc_from("91", "630100", "XYPJ0001");
        let d = add_department(&t, &agency_code, "青海某某信用评级有限公司", Permissions::default()).await;

        // On the register, with its platform access.
        let filing = json!({
            "uscc": agency_code, "name": "青海某某信用评级有限公司", "filing_no": "XN-XYFW-2026-001",
            "filed_on": "2026-03-01", "scopes": ["信用评级", "企业征信"], "department": agency_code,
        });
        let r = send(&t, &company, Method::POST, "/api/v1/agencies", Some(filing.clone())).await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = send(&t, &reviewer, Method::POST, "/api/v1/agencies", Some(filing.clone())).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        let r = send(&t, &reviewer, Method::POST, "/api/v1/agencies", Some(filing)).await;
        assert_eq!(r.status, 409, "filed once: {}", r.text);
        let eval = json!({ "year": 2025, "grade": "A", "note": "内控健全,无违规" });
        let r = send(&t, &reviewer, Method::POST, &format!("/api/v1/agencies/{id}/evaluations"), Some(eval)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        // The security administrator issues its key: an agency's key states its purpose and a daily quota.
        add_account(&t, "sec", "secadmin").await;
        let sec = sign_in(&t, "sec").await;
        let keys = format!("/api/v1/departments/{agency_code}/keys");
        let r = send(&t, &sec, Method::POST, &keys, Some(json!({ "scopes": ["check"] }))).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("每日调用上限"), "{}", r.text);
        let asked = json!({ "scopes": ["check"], "purpose": "企业信用评级", "daily_quota": 2 });
        let r = send(&t, &sec, Method::POST, &keys, Some(asked)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let record = &r.body["record"];
        assert_eq!((record["purpose"].as_str(), record["daily_quota"].as_i64()), (Some("企业信用评级"), Some(2)));
        let key = r.body["key"].as_str().unwrap().to_string();
        let listed = send(&t, &Auth::None, Method::GET, "/api/v1/agencies", None).await;
        assert!(listed.text.contains("XN-XYFW-2026-001") && listed.text.contains("内控健全"), "{}", listed.text);
        let page = send(&t, &Auth::None, Method::GET, &format!("/agencies/{id}"), None).await;
        assert!(page.text.contains("青海某某信用评级有限公司") && page.text.contains("信用评级"), "{}", page.text);

        // Without the company's authorisation: refused (and the refusal counts against the quota).
        let agency = Auth::Key(key);
        let report = format!("/api/v1/subjects/{COMPANY}/report?for=authorised");
        let r = send(&t, &agency, Method::GET, &report, None).await;
        assert_eq!(r.status, 403, "{}", r.text);
        let granted = form_post(
            &t,
            &company,
            "/me/authorisations",
            &[("department", &d.id.to_string()), ("purpose", "信用评级"), ("days", "30")],
        )
        .await;
        assert_eq!(granted.status, 303, "{}", granted.text);
        let r = send(&t, &agency, Method::GET, &report, None).await;
        assert_eq!(r.status, 200, "within the quota: {}", r.text);
        let r = send(&t, &agency, Method::GET, &report, None).await;
        assert_eq!((r.status, r.code()), (429, "quota_reached"), "{}", r.text);
        assert!(r.text.contains("2 次"), "{}", r.text);
        // The next day the quota is whole again.
        t.app.clock.set(date!(2026 - 11 - 26));
        let r = send(&t, &agency, Method::GET, &report, None).await;
        assert_eq!(r.status, 200, "{}", r.text);

        // The company sees the agency's reads in its access log.
        let log = send(&t, &company, Method::GET, "/api/v1/me/access-log", None).await;
        let reads = log.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["department"] == agency_code.as_str() && e["action"].as_str().unwrap_or("").starts_with("report")
            })
            .count();
        assert!(reads >= 2, "{}", log.text);
    })
    .await;
}

#[tokio::test]
async fn concurrent_calls_never_pass_a_keys_daily_quota() {
    let t = spawn().await;
    let d = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let terms = credo_app::keys::Terms { purpose: Some("测试".into()), daily_quota: Some(5) };
    let (key, _) =
        credo_app::keys::create_with(t.app.store.as_ref(), &d, vec!["check".into()], None, "t", terms).await.unwrap();
    let calls = (0..16).map(|_| {
        let (http, url, key) = (t.http.clone(), format!("{}/api/v1/checks/stats", t.base), key.clone());
        tokio::spawn(async move { http.get(url).bearer_auth(key).send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 11, "{statuses:?}");
}

/// One open complaint per enterprise and body, even when the enterprise files eight at the same moment: one is
/// filed, the others are refused with the case that is open.
#[tokio::test]
async fn complaints_filed_at_once_against_one_body_admit_one() {
    on_both(async || {
        let t = spawn().await;
        let office = credo_synth::uscc_from("11", "630100", "XYB00001");
        add_department(&t, &office, OFFICE, Permissions::default()).await;
        let company = company(&t).await;
        let complaint = json!({
            "body_code": DEPT, "body_name": "西宁市市场监督管理局", "category": "政府违约",
            "matter": "物业服务合同", "content": "合同约定的服务费未按期结算",
        });
        let path = "/api/v1/me/gov-complaints";
        let answers = futures_util::future::join_all(
            (0..8).map(|_| send(&t, &company, Method::POST, path, Some(complaint.clone()))),
        )
        .await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
        let filed = answers.iter().find(|r| r.status == 201).unwrap().body["number"].as_str().unwrap().to_string();
        for refused in answers.iter().filter(|r| r.status == 409) {
            assert!(refused.text.contains(&filed), "the refusal names the open case: {}", refused.text);
        }
        let mine = send(&t, &company, Method::GET, "/api/v1/me/cases", None).await;
        assert_eq!(mine.body["cases"].as_array().unwrap().len(), 1, "{}", mine.text);
    })
    .await;
}
