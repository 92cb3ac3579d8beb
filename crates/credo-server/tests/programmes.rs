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
            region: Some("630100".into()),
            created_by: "test".into(),
            permissions: Permissions {
                items: items.iter().map(|s| s.to_string()).collect(),
                scenes: vec!["rzzg".into(), "jg".into()],
                disclosure: vec!["公开".into(), "政务共享".into()],
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
