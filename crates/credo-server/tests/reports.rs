//! Credit reports over HTTP: an organisation's report as a PDF (and as signed JSON), verifiable with the key the
//! platform publishes; a person's report is not given to the public, and answers as for a subject unknown.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, TestApp, on_both, spawn};
use credo_store::Permissions;
use credo_synth::builders::Penalty;
use serde_json::json;

async fn setup() -> TestApp {
    let t = spawn().await;
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let p = Permissions { items: all, scenes: vec![], disclosure: vec!["公开".into()] };
    credo_app::admin::set_permissions(&t.app, DEPT, &p).await.unwrap();
    t
}

#[tokio::test]
async fn an_organisations_report_is_a_pdf_the_published_key_verifies() {
    on_both(async || {
        let t = setup().await;
        let code = credo_synth::uscc_from("91", "630100", "MA000777");
        let records: Vec<Penalty> = (1..=3)
            .map(|n| {
                Penalty::of("西宁雪域明珠商贸有限公司", &code)
                    .without("CF_FRDB")
                    .number(format!("宁市监罚〔2026〕7{n}号"))
                    .conduct("违法行为")
                    .fine("150")
                    .decided("2026/10/01")
            })
            .collect();
        let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": records })).await;
        assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
        credo_app::feed::sync_search(&t.app).await.unwrap();

        let r = t.http.get(format!("{}/api/v1/subjects/{code}/report", t.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let pdf = r.bytes().await.unwrap().to_vec();
        let key = t.http.get(format!("{}/api/v1/keys/platform.pem", t.base)).send().await.unwrap();
        let key_id = key.headers()["x-key-id"].to_str().unwrap().to_string();
        let pem = key.text().await.unwrap();
        assert_eq!(credo_report::key_id(&pem), key_id);
        let font = credo_report::FontSource::from_env().unwrap();
        let report = credo_report::verify(&pdf, std::slice::from_ref(&pem), &font).unwrap();
        assert_eq!(report.subject.name, "西宁雪域明珠商贸有限公司");
        let penalties = report.sections.iter().find(|s| s.code == "penalties").unwrap();
        let headings: Vec<&str> = penalties.entries.iter().map(|e| e.heading.as_str()).collect();
        for n in 1..=3 {
            assert!(headings.iter().any(|h| h.contains(&format!("宁市监罚〔2026〕7{n}号"))), "{headings:?}");
        }
        let codes: Vec<&str> = report.sections.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["basic", "licences", "penalties", "rewards", "punishments", "attention", "other"]);

        // The special report: its own sections, and what the platform does not collect said in them.
        let r = t.http.get(format!("{}/api/v1/subjects/{code}/report?kind=special", t.base)).send().await.unwrap();
        let special = credo_report::verify(&r.bytes().await.unwrap(), std::slice::from_ref(&pem), &font).unwrap();
        assert_eq!(special.kind, "special");
        let criminal = special.sections.iter().find(|s| s.code == "criminal").unwrap();
        assert!(criminal.entries.is_empty() && criminal.note.as_deref().unwrap().contains("未归集"));

        // As signed JSON.
        let j: serde_json::Value = t
            .http
            .get(format!("{}/api/v1/subjects/{code}/report", t.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(j["key_id"], key_id.as_str());
        assert_eq!(j["report"]["subject"]["name"], "西宁雪域明珠商贸有限公司");

        // A kind that is not for the public, and a person: refused; the person as one the platform does not know.
        let (s, _, _) = t.get(&format!("/api/v1/subjects/{code}/report?kind=own")).await;
        assert_eq!(s, 400);
        let (s1, _, b1) = t.get("/api/v1/subjects/630102199001011235/report").await;
        let (s2, _, _) = t.get("/api/v1/subjects/91630100MA6U7E3K1Q/report").await;
        assert_eq!((s1, s2), (404, 404));
        assert!(!b1.contains("630102199001011235"), "the ID number is not echoed: {b1}");
    })
    .await;
}
