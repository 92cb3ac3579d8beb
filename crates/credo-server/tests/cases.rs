//! The record lifecycle end to end over HTTP with an injected clock: publicity expiry on the exact day in profiles
//! and checks, objections (deadlines across the Spring Festival and National Day), credit repair (refused before
//! the minimum period, accepted after, restrictions lifted at once), commitments and their breach, and reports.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{Auth, COMPANY, DEPT, TestApp, add_account, send, sign_in, spawn};
use credo_synth::builders::{Penalty, Registration};
use reqwest::Method;
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

/// A market-regulation penalty (总局令第45号) decided on `decided`, fined `fine` 万元.
fn penalty(wsh: &str, decided: &str, fine: &str, types: &str) -> Penalty {
    Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY)
        .number(wsh)
        .kinds(types)
        .fine(fine)
        .decided(decided)
        .valid_until("2099-12-31")
        // Published the day it was decided: 总局令第45号 counts from publication (else from receipt, today's clock).
        .published(decided)
}

struct Scene {
    t: TestApp,
    handler: Auth,
    reviewer: Auth,
    subject: Auth,
    checker: String,
}

async fn scene() -> Scene {
    let t = spawn().await;
    let registration = Registration::of("西宁市城东区鑫源商贸有限公司", COMPANY);
    let (_, s) = t.post_batch(json!({ "item": "djzc", "records": [registration] })).await;
    assert_eq!(s["accepted"], 1, "{s}");
    for (name, role) in [("handler", "handler"), ("reviewer", "reviewer"), ("subject", "subject")] {
        add_account(&t, name, role).await;
    }
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let (checker, _) =
        credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
    let (handler, reviewer, subject) =
        (sign_in(&t, "handler").await, sign_in(&t, "reviewer").await, sign_in(&t, "subject").await);
    Scene { t, handler, reviewer, subject, checker }
}

impl Scene {
    fn day(&self, d: Date) {
        self.t.app.clock.set(d);
    }

    async fn record(&self, body: Penalty) -> i64 {
        let (status, s) = self.t.post_batch(json!({ "item": "xzcf", "records": [body] })).await;
        assert_eq!((status, s["accepted"].as_u64()), (200, Some(1)), "{s}");
        let p = self.t.get_json(&format!("/api/v1/subjects/{COMPANY}")).await;
        let all: Vec<&Value> =
            p["items"].as_array().unwrap().iter().flat_map(|i| i["records"].as_array().unwrap()).collect();
        all.iter().map(|r| r["id"].as_i64().unwrap()).max().unwrap()
    }

    async fn call(&self, auth: &Auth, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        // A visitor who is not signed in answers the challenge, as the form's reader would.
        let body = match (auth, path, body) {
            (Auth::None, "/api/v1/objections" | "/api/v1/reports", Some(mut b)) => {
                b["challenge"] = common::solved_challenge(&self.t).await;
                Some(b)
            }
            (_, _, b) => b,
        };
        let r = send(&self.t, auth, method, path, body).await;
        (r.status, r.body)
    }

    /// The public profile's record `id`, if shown.
    async fn shown(&self, id: i64) -> Option<Value> {
        let p = self.t.get_json(&format!("/api/v1/subjects/{COMPANY}")).await;
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["records"].as_array().unwrap().clone())
            .find(|r| r["id"] == id)
    }

    async fn check(&self, scene: &str) -> String {
        self.check_result(scene).await["decision"].as_str().unwrap().to_string()
    }

    async fn check_result(&self, scene: &str) -> Value {
        let body = json!({ "scene": scene, "purpose": "生命周期测试", "subjects": [COMPANY] });
        let (status, v) = self.call(&Auth::Key(self.checker.clone()), Method::POST, "/api/v1/checks", Some(body)).await;
        assert_eq!(status, 200, "{v}");
        v["receipt"]["results"][0].clone()
    }

    async fn decide(&self, auth: &Auth, number: &str, outcome: &str, extra: Value) -> (u16, Value) {
        let mut body = json!({ "outcome": outcome, "reason": "经核查" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.call(auth, Method::POST, &format!("/api/v1/cases/{number}/decide"), Some(body)).await
    }
}

fn contact() -> Value {
    json!({ "name": "王五", "phone": "0971-8888888" })
}

#[tokio::test]
async fn publicity_ends_on_the_exact_day_in_profiles_and_checks() {
    common::on_both(async || {
        let s = scene().await;
        // 通报批评 only, by market regulation: three months from 2026-05-06, the last day shown is 2026-08-05.
        s.day(date!(2026 - 05 - 06));
        let id = s.record(penalty("宁市监罚〔2026〕11号", "2026-05-06", "", "通报批评")).await;
        s.day(date!(2026 - 08 - 05));
        let r = s.shown(id).await.expect("shown on its last day");
        assert_eq!(r["publicity"]["state"], "公示中");
        assert_eq!(r["publicity"]["shown_until"], "2026-08-05");
        assert!(r["publicity"]["explanation"].as_str().unwrap().contains("至2026年8月5日止"), "{r}");
        assert_eq!(s.check("jg").await, "attention", "一年内处罚: 加强监管 while shown");
        s.day(date!(2026 - 08 - 06));
        assert!(s.shown(id).await.is_none(), "gone the next day");
        assert_eq!(s.check("jg").await, "clear", "and no longer counts in checks");
        let (status, v) = s.call(&Auth::None, Method::GET, &format!("/api/v1/records/{id}"), None).await;
        assert_eq!(status, 404, "{v}");
        // The daily job puts the expiry in the change feed, once.
        let seq = s.t.app.store.last_seq().await.unwrap();
        assert_eq!(credo_app::cases::record_expiries(&s.t.app, date!(2026 - 08 - 05)).await.unwrap(), 0, "not yet");
        assert_eq!(credo_app::cases::record_expiries(&s.t.app, date!(2026 - 08 - 06)).await.unwrap(), 1);
        assert_eq!(credo_app::cases::record_expiries(&s.t.app, date!(2026 - 08 - 07)).await.unwrap(), 0, "once");
        let changes = s.t.app.store.changes_after(seq, 10).await.unwrap();
        assert_eq!((changes.len(), changes[0].entity.as_str(), changes[0].entity_id), (1, "expiry", id));
    })
    .await;
}

#[tokio::test]
async fn an_objection_from_filing_to_correction_across_the_spring_festival() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 01 - 10));
        let id = s.record(penalty("宁市监罚〔2026〕1号", "2026-01-10", "15", "罚款")).await;
        s.day(date!(2026 - 02 - 13));
        let body = json!({ "record": id, "reason": "罚款金额登记有误,应为8万元" });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(body.clone())).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("contact_required")), "anyone may object, with a contact");
        let mut with_contact = body.clone();
        with_contact["contact"] = contact();
        with_contact["files"] = json!([{ "name": "缴款凭证.pdf", "content_base64": "JVBERi0xLjQK" }]);
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(with_contact.clone())).await;
        assert_eq!(status, 201, "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        assert!(number.starts_with("YY20260213"), "{number}");
        assert_eq!(v["state"], "待受理");
        assert_eq!(v["due_on"], "2026-02-25", "3 working days to accept: 2-14 is a working Saturday, 2-15..2-23 off");
        assert!(v.get("applicant").is_none(), "the public answer names no applicant");
        // A filing alone marks nothing in public: anyone could otherwise mark any record.
        assert_eq!(s.shown(id).await.unwrap()["publicity"]["state"], "公示中", "not marked before acceptance");
        let (status, v) = s
            .call(
                &s.handler,
                Method::POST,
                &format!("/api/v1/cases/{number}/extend"),
                Some(json!({ "days": 1, "reason": "x" })),
            )
            .await;
        assert_eq!((status, v["code"].as_str()), (422, Some("not_extendable")), "only an accepted objection is extended");
        let (status, v) = s.decide(&s.handler, &number, "受理", json!({})).await;
        assert_eq!(
            (status, v["state"].as_str(), v["due_on"].as_str()),
            (200, Some("办理中"), Some("2026-02-27")),
            "5 working days from acceptance: {v}"
        );

        let r = s.shown(id).await.unwrap();
        assert_eq!(r["publicity"]["state"], "异议处理中", "marked once accepted");
        assert!(r["publicity"]["explanation"].as_str().unwrap().starts_with("该信息存在异议,正在核查。"));
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(with_contact)).await;
        assert_eq!((status, v["code"].as_str()), (409, Some("objection_open")));

        // The department's inbox has it, with the applicant; the reviewer's list does not name the applicant.
        let (_, inbox) = s.call(&s.handler, Method::GET, "/api/v1/cases", None).await;
        let case = &inbox["cases"][0];
        assert_eq!(
            (case["number"].as_str(), case["applicant"]["contact"]["name"].as_str()),
            (Some(number.as_str()), Some("王五"))
        );
        assert_eq!(case["files"][0]["sm3"], credo_gm::sm3_hex(b"%PDF-1.4\n"));
        let (_, listed) = s.call(&s.reviewer, Method::GET, "/api/v1/cases", None).await;
        assert!(listed["cases"][0].get("applicant").is_none(), "{listed}");

        // Extension: once, in total at most 20 working days.
        let ext = |days: u32| json!({ "days": days, "reason": "需调取原始案卷" });
        let path = format!("/api/v1/cases/{number}/extend");
        let (status, _) = s.call(&s.handler, Method::POST, &path, Some(ext(16))).await;
        assert_eq!(status, 422, "5 + 16 > 20");
        let (status, v) = s.call(&s.handler, Method::POST, &path, Some(ext(u32::MAX))).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("bad_extension")), "no overflow: {v}");
        let (status, v) = s.call(&s.handler, Method::POST, &path, Some(ext(15))).await;
        assert_eq!((status, v["due_on"].as_str()), (200, Some("2026-03-19")), "{v}");
        let (status, v) = s.call(&s.handler, Method::POST, &path, Some(ext(1))).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("already_extended")));

        // Overdue the day after its deadline.
        s.day(date!(2026 - 03 - 20));
        let (_, late) = s.call(&s.handler, Method::GET, "/api/v1/cases?overdue=true", None).await;
        assert_eq!((late["count"].as_u64(), late["cases"][0]["overdue"].as_bool()), (Some(1), Some(true)));

        // 更正: a new version with the corrected amount; the applicant sees the outcome by the number.
        let (status, v) = s.decide(&s.handler, &number, "更正", json!({ "fields": { "CF_WSH": "改号" } })).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("key_changed")), "{v}");
        let (status, v) = s.decide(&s.handler, &number, "更正", json!({ "fields": { "CF_NR_FK": "8" } })).await;
        assert_eq!(status, 200, "{v}");
        let r = s.shown(id).await.unwrap();
        assert_eq!((r["version"].as_i64(), r["publicity"]["state"].as_str()), (Some(2), Some("公示中")));
        let fine = r["fields"].as_array().unwrap().iter().find(|f| f["code"] == "CF_NR_FK").unwrap();
        assert_eq!(fine["value"], "8");
        assert_eq!(r["publicity"]["shown_until"], "2026-04-09", "a lower fine: three months under order 45");
        let (_, tracked) = s.call(&Auth::None, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
        assert_eq!((tracked["state"].as_str(), tracked["outcome"].as_str()), (Some("已办结"), Some("更正")));
        assert_eq!(tracked["reply"], "经核查");
        let (status, _) = s.decide(&s.handler, &number, "维持", json!({})).await;
        assert_eq!(status, 409, "a closed case stays closed");
        let events = s.t.app.store.audit_after(0, 10_000).await.unwrap();
        for action in ["objection.file", "objection.extend", "objection.decide"] {
            assert!(
                events
                    .iter()
                    .any(|e| e.event.action == action && e.event.target.as_deref().is_some_and(|t| t.contains(&number))),
                "{action}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_revoked_record_leaves_profiles_and_checks_and_national_day_counts() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 06 - 01));
        let id = s.record(penalty("宁市监罚〔2026〕5号", "2026-06-01", "15", "罚款")).await;
        s.day(date!(2026 - 09 - 30));
        let body = json!({ "record": id, "reason": "处罚决定已被复议机关撤销", "contact": contact() });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(body)).await;
        assert_eq!(
            (status, v["due_on"].as_str()),
            (201, Some("2026-10-10")),
            "10-1..10-7 off, 10-10 a working Saturday"
        );
        let number = v["number"].as_str().unwrap().to_string();
        let before = s.check_result("jg").await;
        assert!(before["measures"][0]["evidence"][0].get("disputed").is_none(), "not yet accepted: {before}");
        let (status, v) = s.decide(&s.handler, &number, "受理", json!({})).await;
        assert_eq!((status, v["due_on"].as_str()), (200, Some("2026-10-13")), "{v}");
        let during = s.check_result("jg").await;
        assert_eq!(during["decision"], "attention", "an open objection does not lift a measure");
        let evidence = &during["measures"][0]["evidence"][0];
        assert_eq!(
            (evidence["record_id"].as_i64(), evidence["state"].as_str()),
            (Some(id), Some("异议处理中")),
            "{during}"
        );
        s.day(date!(2026 - 10 - 09));
        let (status, v) = s.decide(&s.handler, &number, "撤销", json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert!(s.shown(id).await.is_none(), "revoked: not shown");
        assert_eq!(s.check("jg").await, "clear", "and not counted");
        let (_, mine) = s.call(&s.subject, Method::GET, "/api/v1/me/records", None).await;
        let own =
            mine["records"].as_array().unwrap().iter().find(|r| r["id"] == id).expect("the subject still sees it");
        assert_eq!(own["publicity"]["state"], "已撤销");
        assert!(own["publicity"]["explanation"].as_str().unwrap().contains(&number), "{own}");
    })
    .await;
}

#[tokio::test]
async fn credit_repair_before_and_after_the_minimum_period() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 01 - 10));
        let id = s.record(penalty("宁市监罚〔2026〕2号", "2026-01-10", "15", "罚款")).await;
        let ban = penalty("宁市监罚〔2026〕3号", "2026-01-10", "15", "罚款;吊销许可证件")
            .licence_revoked("食品经营许可证 JY16301000000001");
        let banned = s.record(ban).await;
        s.day(date!(2026 - 07 - 09));
        let apply = |record: i64| json!({ "record": record, "reason": "罚款已于2026年2月1日缴清,已整改到位" });
        let (status, v) = s.call(&s.subject, Method::POST, "/api/v1/repairs", Some(apply(id))).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("not_repairable")), "{v}");
        assert!(v["detail"].as_str().unwrap().contains("2026-07-10"), "{v}");
        let (status, v) = s.call(&s.subject, Method::POST, "/api/v1/repairs", Some(apply(banned))).await;
        assert_eq!(status, 422, "吊销许可证件: no early stop under order 45: {v}");
        assert!(v["detail"].as_str().unwrap().contains("受到吊销许可证件处罚的"), "{v}");
        let (status, _) = s.call(&s.handler, Method::POST, "/api/v1/repairs", Some(apply(id))).await;
        assert_eq!(status, 403, "only the subject applies");

        s.day(date!(2026 - 07 - 10));
        let (status, v) = s.call(&s.subject, Method::POST, "/api/v1/repairs", Some(apply(id))).await;
        assert_eq!(status, 201, "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        assert_eq!((v["state"].as_str(), v["due_on"].as_str()), (Some("待受理"), Some("2026-07-15")));
        assert!(v["content"]["commitment"].as_str().unwrap().starts_with("信用承诺书"));
        assert!(v["commitment_record"].as_i64().is_some(), "the 信用承诺书 is a public commitment: {v}");

        let (status, _) = s.decide(&s.handler, &number, "同意修复", json!({})).await;
        assert_eq!(status, 422, "accept first");
        let (status, v) = s.decide(&s.handler, &number, "受理", json!({})).await;
        assert_eq!((status, v["state"].as_str(), v["due_on"].as_str()), (200, Some("办理中"), Some("2026-07-24")));
        let (_, v) = s.decide(&s.handler, &number, "同意修复", json!({})).await;
        assert_eq!(v["state"], "待复核");
        let (status, _) = s.decide(&s.handler, &number, "通过", json!({})).await;
        assert_eq!(status, 403, "the platform's review is the reviewer's");
        assert_eq!(s.check("jg").await, "attention", "restrictions hold until the repair is done");
        let seq = s.t.app.store.last_seq().await.unwrap();
        let (status, v) = s.decide(&s.reviewer, &number, "通过", json!({})).await;
        assert_eq!((status, v["state"].as_str()), (200, Some("已修复")), "{v}");

        assert!(s.shown(id).await.is_none(), "no longer published");
        assert_eq!(s.check("jg").await, "attention", "the other penalty still counts");
        let changes = s.t.app.store.changes_after(seq, 100).await.unwrap();
        assert!(changes.iter().any(|c| c.entity == "record" && c.entity_id == id), "the repair is in the change feed");
        let (_, mine) = s.call(&s.subject, Method::GET, "/api/v1/me/cases", None).await;
        assert_eq!(
            (mine["cases"][0]["number"].as_str(), mine["cases"][0]["outcome"].as_str()),
            (Some(number.as_str()), Some("通过"))
        );
        let p = s.t.get_json(&format!("/api/v1/subjects/{COMPANY}")).await;
        let commitments = p["items"].as_array().unwrap().iter().find(|i| i["item"] == "xycn").unwrap();
        let kind =
            commitments["records"][0]["fields"].as_array().unwrap().iter().find(|f| f["code"] == "CN_CNLX").unwrap();
        assert_eq!(kind["value"], "信用修复型");
    })
    .await;
}

#[tokio::test]
async fn a_commitment_is_public_and_its_breach_becomes_a_negative_record() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 03 - 02));
        let body = json!({ "department": DEPT, "type": "审批替代型", "matter": "食品经营许可告知承诺", "content": "承诺符合食品经营许可条件" });
        let (status, v) = s.call(&s.subject, Method::POST, "/api/v1/commitments", Some(body.clone())).await;
        assert_eq!(status, 201, "{v}");
        let id = v["record_id"].as_i64().unwrap();
        let r = s.shown(id).await.unwrap();
        assert_eq!((r["publicity"]["class"].is_null(), r["publicity"]["state"].as_str()), (true, Some("公示中")));
        assert_eq!(s.check("xzxk").await, "clear");
        let (status, _) = s
            .call(&s.reviewer, Method::POST, &format!("/api/v1/records/{id}/breach"), Some(json!({ "description": "x" })))
            .await;
        assert_eq!(status, 403, "the department records a breach");
        s.day(date!(2026 - 05 - 06));
        let breach = json!({ "date": "2026-05-06", "description": "经核查不符合承诺的许可条件" });
        let (status, v) =
            s.call(&s.handler, Method::POST, &format!("/api/v1/records/{id}/breach"), Some(breach.clone())).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["record"]["version"].as_i64(), v["record"]["publicity"]["class"].as_str()), (Some(2), Some("一般")));
        assert_eq!(v["record"]["publicity"]["shown_until"], "2027-05-05", "一般: one year from the breach");
        assert_eq!(s.check("xzxk").await, "attention", "信用承诺未履约");
        let (status, _) = s.call(&s.handler, Method::POST, &format!("/api/v1/records/{id}/breach"), Some(breach)).await;
        assert_eq!(status, 409);
    })
    .await;
}

/// A deadline that ends in a year without the State Council's holiday table is counted with the statutory days
/// (2027: 元旦 on Friday 1 January) and says that 补假 and 调休 are unknown, on the API and on the tracking page.
#[tokio::test]
async fn a_deadline_counted_into_2027_says_it_is_provisional() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 12 - 10));
        let body = json!({ "department": DEPT, "subject_name": "某某食品店", "content": "销售过期食品",
            "reporter": { "name": "赵六", "phone": "13800000000" } });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(body)).await;
        assert_eq!(status, 201, "{v}");
        // 20 working days from Thursday 2026-12-10: 15 in December (to the 31st), then 2027-01-04 … 01-08 (元旦 skipped).
        assert_eq!(v["due_on"], "2027-01-08", "{v}");
        assert!(v["due_note"].as_str().is_some_and(|n| n.contains("2027") && n.contains("调休")), "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        let (_, _, page) = s.t.get(&format!("/cases/{number}")).await;
        assert!(page.contains("2027-01-08(2027 年的国务院节假日安排尚未收录"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_report_keeps_the_reporter_to_the_handler() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 11 - 25));
        let mut body = json!({ "department": DEPT, "subject_name": "某某食品店", "content": "销售过期食品" });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(body.clone())).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("contact_required")));
        body["reporter"] = json!({ "name": "赵六", "phone": "13800000000" });
        body["files"] = json!([{ "name": "../照片.jpg", "content_base64": "/9j/4AAQ" }]);
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(body)).await;
        assert_eq!(status, 201, "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        assert!(number.starts_with("JB"));
        assert_eq!(v["due_on"], "2026-12-23", "20 working days");
        let (_, public) = s.call(&Auth::None, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
        assert!(!public.to_string().contains("赵六"), "{public}");
        for who in [&s.reviewer, &s.subject] {
            let (_, v) = s.call(who, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
            assert!(!v.to_string().contains("赵六"), "{v}");
        }
        let (_, full) = s.call(&s.handler, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
        assert_eq!(full["applicant"]["reporter"]["name"], "赵六");
        // The handler's view of a case, pinned before the case services move out of the HTTP crate (issue 13).
        insta::assert_json_snapshot!("case_report_handler_view", full, {
            ".number" => "[number]",
            ".filed_at" => "[time]",
            ".steps[].at" => "[time]",
        });
        assert_eq!(full["files"][0]["name"], "照片.jpg", "no path in a file name");
        let r = send(&s.t, &s.handler, Method::GET, &format!("/api/v1/cases/{number}/files/1"), None).await;
        assert_eq!(r.status, 200);
        let (status, _) = s.call(&s.reviewer, Method::GET, &format!("/api/v1/cases/{number}/files/1"), None).await;
        assert_eq!(status, 404, "a 举报 is not the reviewer's");
        let (status, v) = s.decide(&s.handler, &number, "查实", json!({ "reward": "奖励500元" })).await;
        assert_eq!((status, v["outcome"].as_str()), (200, Some("查实")), "{v}");
        let (_, public) = s.call(&Auth::None, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
        assert_eq!((public["state"].as_str(), public["outcome"].as_str()), (Some("已办结"), Some("查实")));
        assert!(public["reply"].as_str().unwrap().contains("奖励500元"));
        // Nothing of the reporter is readable in the data directory.
        common::assert_nowhere_in_data(&s.t, &["赵六", "13800000000", "销售过期食品"]).await;
        let events = s.t.app.store.audit_after(0, 10_000).await.unwrap();
        assert!(events.iter().any(|e| e.event.action == "report.file"));
        assert!(events.iter().any(|e| e.event.action == "report.file_read"));
    })
    .await;
}

/// Another department: 西宁市城中区市场监督管理局, with its own case handler (`handler_b`).
const DEPT_B: &str = "11630102MB174225XP";

async fn department_b(s: &Scene) -> Auth {
    s.t.app
        .store
        .add_department(credo_store::NewDepartment {
            uscc: DEPT_B.into(),
            name: "西宁市城中区市场监督管理局".into(),
            region: Some("630103".into()),
            created_by: "test".into(),
            permissions: credo_store::Permissions::default(),
        })
        .await
        .unwrap();
    let req = credo_app::accounts::AccountRequest {
        username: "handler_b".into(),
        name: "城中区办理员".into(),
        role: "handler".into(),
        department: Some(DEPT_B.into()),
        subject: None,
        password: Some(common::PASSWORD.into()),
        region: None,
    };
    credo_app::accounts::create(&s.t.app, req, "test").await.unwrap();
    sign_in(&s.t, "handler_b").await
}

/// A console form post (`/console/cases/{number}`) with the session's CSRF token.
async fn console_post(s: &Scene, auth: &Auth, number: &str, fields: &[(&str, &str)]) -> common::Reply {
    common::form_post(&s.t, auth, &format!("/console/cases/{number}"), fields).await
}

/// Issue 11, finding 7: a handler of another department opened this department's objection and 举报 pages in the
/// console (reason, report text, evidence names) and over the API. For it they do not exist.
#[tokio::test]
async fn another_departments_cases_do_not_exist_for_its_handler() {
    common::on_both(async || {
        let s = scene().await;
        let handler_b = department_b(&s).await;
        s.day(date!(2026 - 11 - 25));
        let id = s.record(penalty("宁市监罚〔2026〕21号", "2026-11-20", "15", "罚款")).await;
        let evidence = json!([{ "name": "王五的缴款凭证.pdf", "content_base64": "JVBERi0xLjQK" }]);
        let objection = json!({ "record": id, "reason": "罚款金额登记有误", "contact": contact(), "files": evidence });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(objection)).await;
        assert_eq!(status, 201, "{v}");
        let yy = v["number"].as_str().unwrap().to_string();
        let report = json!({
            "department": DEPT, "subject_name": "某某食品店", "content": "销售过期食品",
            "reporter": { "name": "赵六", "phone": "13800000000" }, "files": evidence,
        });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(report)).await;
        assert_eq!(status, 201, "{v}");
        let jb = v["number"].as_str().unwrap().to_string();
        let secrets = ["王五", "0971-8888888", "罚款金额登记有误", "赵六", "13800000000", "销售过期食品", "缴款凭证"];
        let never = send(&s.t, &handler_b, Method::GET, "/api/v1/cases/YY20261125FFFFFFFF", None).await;
        assert_eq!((never.status, never.code()), (404, "not_found"));

        for number in [&yy, &jb] {
            for path in [
                format!("/api/v1/cases/{number}"),
                format!("/api/v1/cases/{number}/files/1"),
                format!("/console/cases/{number}"),
            ] {
                let r = send(&s.t, &handler_b, Method::GET, &path, None).await;
                assert_eq!((r.status, r.code()), (404, "not_found"), "{path}: {}", r.text);
                for secret in secrets {
                    assert!(!r.text.contains(secret), "{path} shows {secret}: {}", r.text);
                }
            }
            // Deciding or extending another department's case: the same 404, and nothing changes.
            let (status, v) = s.decide(&handler_b, number, "维持", json!({})).await;
            assert_eq!((status, v["code"].as_str()), (404, Some("not_found")), "{v}");
            let ext = json!({ "days": 5, "reason": "需调取原始案卷" });
            let (status, _) =
                s.call(&handler_b, Method::POST, &format!("/api/v1/cases/{number}/extend"), Some(ext)).await;
            assert_eq!(status, 404);
            let r = console_post(&s, &handler_b, number, &[("outcome", "维持"), ("reason", "越权")]).await;
            assert_eq!(r.status, 404, "{}", r.text);
            assert!(!secrets.iter().any(|x| r.text.contains(x)), "{}", r.text);
            assert!(s.t.app.store.case(number).await.unwrap().unwrap().closed_at.is_none(), "still open");
        }
        // Its inbox and console do not list them.
        let (_, inbox) = s.call(&handler_b, Method::GET, "/api/v1/cases?all=true", None).await;
        assert_eq!(inbox["count"], 0, "{inbox}");
        let console = send(&s.t, &handler_b, Method::GET, "/console", None).await;
        assert!(!console.text.contains(&yy) && !console.text.contains(&jb), "{}", console.text);
        // The refusals are in the audit trail, by name.
        let events = s.t.app.store.audit_after(0, 10_000).await.unwrap();
        let denied = |action: &str, number: &str| {
            events.iter().any(|e| {
                e.event.actor == "handler_b"
                    && e.event.action == action
                    && e.event.target.as_deref() == Some(&format!("case:{number}"))
                    && e.event.result.starts_with("denied")
            })
        };
        assert!(denied("objection.read", &yy) && denied("report.read", &jb));

        // The department they belong to reads them whole, the applicant and the evidence included.
        for number in [&yy, &jb] {
            let (status, v) = s.call(&s.handler, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["files"][0]["name"], "王五的缴款凭证.pdf");
            let page = send(&s.t, &s.handler, Method::GET, &format!("/console/cases/{number}"), None).await;
            assert_eq!(page.status, 200, "{}", page.text);
            assert!(page.text.contains("王五的缴款凭证.pdf"), "{}", page.text);
        }
        let page = send(&s.t, &s.handler, Method::GET, &format!("/console/cases/{yy}"), None).await;
        assert!(
            page.text.contains("王五") && page.text.contains("0971-8888888") && page.text.contains("罚款金额登记有误")
        );
        let page = send(&s.t, &s.handler, Method::GET, &format!("/console/cases/{jb}"), None).await;
        assert!(page.text.contains("赵六") && page.text.contains("销售过期食品"));

        // A 举报 addressed to the other department is its own, and not this one's.
        let to_b = json!({
            "department": DEPT_B, "subject_name": "某某餐馆", "content": "后厨卫生差",
            "reporter": { "name": "钱七", "phone": "13900000000" },
        });
        let (_, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(to_b)).await;
        let theirs = v["number"].as_str().unwrap().to_string();
        let (status, v) = s.call(&handler_b, Method::GET, &format!("/api/v1/cases/{theirs}"), None).await;
        assert_eq!((status, v["applicant"]["reporter"]["name"].as_str()), (200, Some("钱七")), "{v}");
        let (_, inbox) = s.call(&handler_b, Method::GET, "/api/v1/cases", None).await;
        assert_eq!((inbox["count"].as_u64(), inbox["cases"][0]["number"].as_str()), (Some(1), Some(theirs.as_str())));
        let (status, _) = s.call(&s.handler, Method::GET, &format!("/api/v1/cases/{theirs}"), None).await;
        assert_eq!(status, 404);
    })
    .await;
}

/// Issue 11, finding 7: the reviewer saw applicants' names and telephones. Its views — the API's list and case,
/// the console's inbox and case page, its own decision's answer — carry nothing of who applied.
#[tokio::test]
async fn the_reviewer_sees_cases_without_who_applied() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 01 - 10));
        let disputed = s.record(penalty("宁市监罚〔2026〕31号", "2026-01-10", "15", "罚款")).await;
        let repaired = s.record(penalty("宁市监罚〔2026〕32号", "2026-01-10", "15", "罚款")).await;
        // A second account of the company, with a person's name, applies for the repair.
        let req = credo_app::accounts::AccountRequest {
            username: "lisi-xinyuan".into(),
            name: "李四".into(),
            role: "subject".into(),
            department: None,
            subject: Some(COMPANY.into()),
            password: Some(common::PASSWORD.into()),
            region: None,
        };
        credo_app::accounts::create(&s.t.app, req, "test").await.unwrap();
        let lisi = sign_in(&s.t, "lisi-xinyuan").await;

        s.day(date!(2026 - 07 - 10));
        let objection = json!({
            "record": disputed,
            "reason": "本人王五,罚款已缴清,请致电13912345678或0971-8888888核实,身份证号630102199001011234",
            "contact": contact(),
            "files": [{ "name": "王五身份证.jpg", "content_base64": "/9j/4AAQ" }],
        });
        let (status, v) = s.call(&Auth::None, Method::POST, "/api/v1/objections", Some(objection)).await;
        assert_eq!(status, 201, "{v}");
        let yy = v["number"].as_str().unwrap().to_string();
        let repair = json!({
            "record": repaired, "reason": "李四已代表公司缴清罚款",
            "files": [{ "name": "李四缴款凭证.pdf", "content_base64": "JVBERi0xLjQK" }],
        });
        let (status, v) = s.call(&lisi, Method::POST, "/api/v1/repairs", Some(repair)).await;
        assert_eq!(status, 201, "{v}");
        let xf = v["number"].as_str().unwrap().to_string();
        let report = json!({
            "department": DEPT, "subject_name": "某某食品店", "content": "销售过期食品",
            "reporter": { "name": "赵六", "phone": "13800000000" },
        });
        let (_, v) = s.call(&Auth::None, Method::POST, "/api/v1/reports", Some(report)).await;
        let jb = v["number"].as_str().unwrap().to_string();
        for (n, outcome) in [(&xf, "受理"), (&xf, "同意修复")] {
            let (status, v) = s.decide(&s.handler, n, outcome, json!({ "reason": "经核查,李四所述属实" })).await;
            assert_eq!(status, 200, "{v}");
        }

        let identity = [
            "王五",
            "0971-8888888",
            "8888888",
            "13912345678",
            "630102199001011234",
            "王五身份证",
            "李四",
            "lisi-xinyuan",
            "赵六",
            "13800000000",
        ];
        let clean = |what: &str, text: &str| {
            for x in identity {
                assert!(!text.contains(x), "{what} shows {x}: {text}");
            }
        };
        let (status, list) = s.call(&s.reviewer, Method::GET, "/api/v1/cases?all=true", None).await;
        assert_eq!((status, list["count"].as_u64()), (200, Some(2)), "objections and repairs, no 举报: {list}");
        clean("the reviewer's list", &list.to_string());
        for number in [&yy, &xf] {
            let (status, v) = s.call(&s.reviewer, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
            assert_eq!(status, 200, "{v}");
            clean("the reviewer's case", &v.to_string());
            assert!(v.get("applicant").is_none(), "{v}");
            assert!(v["files"][0].get("name").is_none() && v["files"][0]["sm3"].is_string(), "{v}");
            assert!(v["record"]["id"].is_i64(), "the record, as the public sees it: {v}");
            let page = send(&s.t, &s.reviewer, Method::GET, &format!("/console/cases/{number}"), None).await;
            assert_eq!(page.status, 200, "{}", page.text);
            clean("the reviewer's case page", &page.text);
            assert!(!page.text.contains("申请人</h2>"), "{}", page.text);
            let (status, v) = s.call(&s.reviewer, Method::GET, &format!("/api/v1/cases/{number}/files/1"), None).await;
            assert_eq!(status, 403, "{v}");
            assert!(v["detail"].as_str().unwrap().contains("申请人"), "{v}");
        }
        // What the applicant wrote stays readable, with who they are masked.
        let (_, v) = s.call(&s.reviewer, Method::GET, &format!("/api/v1/cases/{yy}"), None).await;
        assert_eq!(
            v["content"]["reason"],
            "本人(申请人),罚款已缴清,请致电***********或(申请人)核实,身份证号******************"
        );
        let (_, v) = s.call(&s.reviewer, Method::GET, &format!("/api/v1/cases/{xf}"), None).await;
        assert!(v["content"]["commitment"].as_str().unwrap().contains("本人(本单位)(申请人)就"), "{v}");
        assert_eq!(v["steps"][0]["actor"], "(申请人)", "the filing step: {v}");
        let console = send(&s.t, &s.reviewer, Method::GET, "/console", None).await;
        assert!(console.text.contains(&yy) && console.text.contains(&xf) && !console.text.contains(&jb));
        clean("the reviewer's console", &console.text);
        // A 举报 is not the reviewer's at all.
        for path in [format!("/api/v1/cases/{jb}"), format!("/console/cases/{jb}")] {
            let r = send(&s.t, &s.reviewer, Method::GET, &path, None).await;
            assert_eq!(r.status, 404, "{path}");
            clean(&path, &r.text);
        }
        // Its own decision's answer names nobody either; the department's handler still sees who applied.
        let (status, v) = s.decide(&s.reviewer, &xf, "通过", json!({})).await;
        assert_eq!((status, v["state"].as_str()), (200, Some("已修复")), "{v}");
        clean("the reviewer's decision", &v.to_string());
        let (_, v) = s.call(&s.handler, Method::GET, &format!("/api/v1/cases/{yy}"), None).await;
        assert_eq!(v["applicant"]["contact"]["phone"], "0971-8888888");
        assert!(v["content"]["reason"].as_str().unwrap().contains("13912345678"));

        // Tracking by number (the public, or a signed-in account it is not for) shows the status only.
        let keys = [
            "closed_at",
            "due_note",
            "due_on",
            "filed_at",
            "kind",
            "kind_label",
            "number",
            "outcome",
            "overdue",
            "reply",
            "state",
            "steps",
        ];
        for who in [&Auth::None, &s.subject] {
            for number in [&yy, &xf, &jb] {
                let (status, v) = s.call(who, Method::GET, &format!("/api/v1/cases/{number}"), None).await;
                assert_eq!(status, 200, "{v}");
                let mut got: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
                got.sort_unstable();
                assert_eq!(got, keys, "{v}");
                clean("the public tracking", &v.to_string());
                assert!(v["steps"].as_array().unwrap().iter().all(|s| s.as_object().unwrap().len() == 2), "{v}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_policy_page_shows_the_regimes_the_settings_and_what_is_unconfirmed() {
    common::on_both(async || {
        let t = spawn().await;
        let (status, _, body) = t.get("/policy").await;
        assert_eq!(status, 200);
        for regime in
            ["发改办财金〔2019〕527号", "国家发展改革委令2023年第58号", "国家发展改革委令2025年第36号", "总局令第45号"]
        {
            assert!(body.contains(regime), "{regime}");
        }
        // Where the law is silent: each setting with its choice, its day and its explanation, marked 待核实.
        let rules = &t.app.catalog.publicity;
        assert!(!rules.settings.is_empty());
        for s in &rules.settings {
            let at = body.find(&format!("<h3>{}", s.name)).unwrap_or_else(|| panic!("setting {} not shown", s.code));
            let card = &body[at..body[at..].find("</section>").map_or(body.len(), |e| at + e)];
            let said: String = s.explanation.chars().take(12).collect();
            assert!(card.contains(&said) && card.contains(&s.since) && card.contains(&s.choice_label), "{card}");
            assert_eq!(card.contains("待核实"), !s.verified, "{card}");
        }
        // The sectors' laws and the fallback to the general table are said.
        assert!(body.contains("《消防法》") && body.contains("《食品安全法实施条例》"));
        assert!(body.contains("未取得该部门的分类标准"));
        // An unconfirmed classification rule carries the badge in its row.
        let row = body.split("<tr>").find(|r| r.contains("巨额罚款(200万元以上)")).unwrap();
        assert!(row.contains("待核实"), "{row}");
        // Every unconfirmed rule of every file is listed, and the withdrawal deadlines are shown with their basis.
        let unverified = &t.app.catalog.unverified;
        assert!(body.contains(&format!("待核实的规则(共 {} 条)", unverified.len())));
        for u in unverified {
            // Shown without the project's own references to its standards notes.
            let shown = u.rule.split("STANDARDS").next().unwrap_or_default().trim_end_matches(['(', '（']);
            // The rules file's key path (`disclosure_by_kind`, `rule general` …) is named in words on the page.
            let shown = shown
                .split([' ', '·'])
                .filter(|w| w.chars().any(|c| c > '\u{2e80}'))
                .max_by_key(|w| w.len())
                .unwrap_or_default();
            assert!(body.contains(&askama_escape(shown)), "{}: {} not listed", u.file, u.rule);
        }
        assert!(!body.contains("STANDARDS"), "no internal references on the public page");
        assert!(!body.contains(".toml"), "rules files are named in words");
        assert!(body.contains("撤回行政处罚信息公示(市场监管)") && body.contains("名单移出后停止公示"));
        // A measure with an unconfirmed basis carries the badge in its row; a confirmed one does not.
        let unconfirmed = t.app.catalog.measures.measures.iter().find(|m| m.basis.iter().any(|b| !b.verified)).unwrap();
        let row = body.split("<tr>").find(|r| r.contains(&format!(">{}<", unconfirmed.name))).unwrap();
        assert!(row.contains("待核实"), "{row}");
        // The rules files' keys and codes are not on the page (each unverified rule is named in words).
        for key in ["measure ", "field ", "rule general", "disclosure_by_kind", "JYYC-", "CF_XDR_LB"] {
            assert!(!body.contains(key), "the rules files' key {key} on the page");
        }
    })
    .await;
}

/// The text as the pages write it (askama escapes HTML's special characters).
fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// One open objection per record, even when eight are filed at the same moment (they used to be checked, then
/// filed, so that several could pass together): one is filed, the others answer `objection_open`.
#[tokio::test]
async fn objections_filed_at_once_about_one_record_admit_one() {
    common::on_both(async || {
        let s = scene().await;
        s.day(date!(2026 - 03 - 02));
        let id = s.record(penalty("宁市监罚〔2026〕9号", "2026-03-02", "15", "罚款")).await;
        // A text that reads other than it is written (a right-to-left override) is refused, and files nothing.
        let hostile = json!({ "record": id, "reason": "文号有误\u{202e}gnp.exe" });
        let (status, v) = s.call(&s.subject, Method::POST, "/api/v1/objections", Some(hostile)).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("bad_field")), "{v}");
        let body = json!({ "record": id, "reason": "处罚决定书文号登记有误" });
        let answers = futures_util::future::join_all(
            (0..8).map(|_| s.call(&s.subject, Method::POST, "/api/v1/objections", Some(body.clone()))),
        )
        .await;
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{answers:?}");
        let refused: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 409).map(|(_, v)| v).collect();
        assert_eq!(refused.len(), 7, "{answers:?}");
        assert!(refused.iter().all(|v| v["code"] == "objection_open"), "{refused:?}");
    })
    .await;
}
