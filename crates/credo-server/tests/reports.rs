//! Credit reports over HTTP: an organisation's report as a PDF (and as signed JSON), verifiable with the key the
//! platform publishes; a person's report is not given to the public, and answers as for a subject unknown. The
//! subject's own report and a department's 授权查询 report go only to whom the subject allows; every report opens
//! on `/verify` by its number and check code; yearly quotas and the per-address limit hold; a report `as_of` a day
//! is the report issued that day.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{
    Auth, COMPANY, DEPT, Reply, TestApp, add_account, execute, form_post, on_both, send, sign_in, spawn,
    spawn_with_catalog,
};
use credo_app::Security;
use credo_app::principal::{Principal, Role};
use credo_store::Permissions;
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::json;

async fn setup() -> TestApp {
    let t = spawn().await;
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let p = Permissions { items: all, scenes: vec![], disclosure: vec!["公开".into()], ..Default::default() };
    credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
    t
}

#[tokio::test]
async fn an_organisations_report_is_a_pdf_the_published_key_verifies() {
    on_both(async || {
        let t = setup().await;
        let code = credo_synth::uscc_from("91", "630100", "MA000777");
        let records: Vec<Penalty> = (1..=3)
            .map(|n| {
                let p = Penalty::of("西宁雪域明珠商贸有限公司", &code);
                // One decided by the 应急管理局 (安全生产), two by the 市场监督管理局.
                let p = if n == 1 {
                    p.authority("西宁市应急管理局", DEPT)
                } else {
                    p.authority("西宁市市场监督管理局", DEPT)
                };
                p.without("CF_FRDB")
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
        assert_eq!(
            codes,
            ["basic", "licences", "penalties", "rewards", "punishments", "government", "attention", "other"]
        );

        // The special report: its own sections, and what the platform does not collect said in them.
        let r = t.http.get(format!("{}/api/v1/subjects/{code}/report?kind=special", t.base)).send().await.unwrap();
        let special = credo_report::verify(&r.bytes().await.unwrap(), std::slice::from_ref(&pem), &font).unwrap();
        assert_eq!(special.kind, "special");
        let criminal = special.sections.iter().find(|s| s.code == "criminal").unwrap();
        assert!(criminal.entries.is_empty() && criminal.note.as_deref().unwrap().contains("未归集"));

        // By 领域: the deciding authority's, with what it does not cover said; a 领域 for another kind, or unknown,
        // refused.
        let entries = |r: &credo_report::Report| r.sections.iter().map(|s| s.entries.len()).sum::<usize>();
        let path = |q: &str| format!("{}/api/v1/subjects/{code}/report?kind=special&{q}", t.base);
        let market = t.http.get(path("field=scjg")).send().await.unwrap();
        let market = credo_report::verify(&market.bytes().await.unwrap(), std::slice::from_ref(&pem), &font).unwrap();
        let safety = t.http.get(path("field=yjgl")).send().await.unwrap();
        let safety = credo_report::verify(&safety.bytes().await.unwrap(), std::slice::from_ref(&pem), &font).unwrap();
        assert!(market.title.contains("市场监管领域") && safety.title.contains("安全生产领域"));
        assert_eq!((entries(&market), entries(&safety)), (2, 1), "each penalty in its authority's 领域");
        assert!(safety.notes.iter().any(|n| n.contains("不能证明该主体在其他领域")));
        let (s, _, b) = t.get(&format!("/api/v1/subjects/{code}/report?field=scjg")).await;
        assert_eq!(s, 400, "{b}");
        let (s, _, b) = t.get(&format!("/api/v1/subjects/{code}/report?kind=special&field=nothing")).await;
        assert!(s == 400 && b.contains("scjg"), "{b}");

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
        let (s, _, _) = t.get(&format!("/api/v1/subjects/{code}/report?for=everyone")).await;
        assert_eq!(s, 400);
        let (s1, _, b1) = t.get("/api/v1/subjects/630102199001011235/report").await;
        let (s2, _, _) = t.get("/api/v1/subjects/91630100MA6U7E3K1Q/report").await;
        assert_eq!((s1, s2), (404, 404));
        assert!(!b1.contains("630102199001011235"), "the ID number is not echoed: {b1}");
    })
    .await;
}

const LEGAL_REP_ID: &str = "630102199001011235";

/// Two penalties of the test company, with its legal representative's ID number (not public).
async fn company_penalties(t: &TestApp, numbers: &[u32]) {
    let records: Vec<Penalty> = numbers
        .iter()
        .map(|n| {
            Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY)
                .number(format!("宁应急罚〔2026〕{n}号"))
                .authority("西宁市应急管理局", DEPT)
                .set("CF_FR_ZJLX", "01")
                .set("CF_FR_ZJHM", LEGAL_REP_ID)
                .fine("120")
                .decided("2026/06/01")
        })
        .collect();
    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": records })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    credo_app::feed::sync_search(&t.app).await.unwrap();
}

fn verified(pdf: &[u8], t: &TestApp) -> credo_report::Report {
    let pem = credo_app::reports::platform_key(&t.app).unwrap();
    credo_report::verify(pdf, &[pem], &credo_report::FontSource::from_env().unwrap()).unwrap()
}

fn field<'a>(r: &'a credo_report::Report, name: &str) -> Vec<&'a str> {
    let entries = r.sections.iter().flat_map(|s| &s.entries);
    entries.flat_map(|e| &e.fields).filter(|f| f.name == name).map(|f| f.value.as_str()).collect()
}

async fn pdf(t: &TestApp, auth: &Auth, path: &str) -> (Reply, Vec<u8>) {
    let mut r = t.http.get(format!("{}{path}", t.base));
    if let Auth::Session { cookie, .. } = auth {
        r = r.header("cookie", cookie);
    }
    let resp = r.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let bytes = resp.bytes().await.unwrap().to_vec();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (Reply { status, body: serde_json::from_str(&text).unwrap_or_default(), text, headers }, bytes)
}

/// The verification page for a number and check code.
async fn verify_page(t: &TestApp, report: &credo_report::Report) -> String {
    t.get(&format!("/verify?no={}&code={}", report.number, report.check_code)).await.2
}

#[tokio::test]
async fn own_and_authorised_reports_go_only_to_whom_the_subject_allows() {
    on_both(async || {
        let t = setup().await;
        company_penalties(&t, &[1, 2]).await;
        add_account(&t, "company", "subject").await;
        add_account(&t, "checker1", "checker").await;
        add_account(&t, "submitter1", "submitter").await;
        let (company, checker) = (sign_in(&t, "company").await, sign_in(&t, "checker1").await);
        let submitter = sign_in(&t, "submitter1").await;
        let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();

        // The public report: public fields only. The own report: every field, a third party's ID number masked.
        let (r, public) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let public = verified(&public, &t);
        assert_eq!(public.audience, "社会公众查询");
        assert!(field(&public, "法定代表人证件号码").is_empty(), "not a public field");
        let (r, _) = pdf(&t, &Auth::None, "/api/v1/subjects/id-1/report?for=own").await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "an own report needs the subject's account");
        let (r, _) = pdf(&t, &checker, &format!("/api/v1/subjects/{COMPANY}/report?for=own")).await;
        assert_eq!(r.status, 403, "not the checker's own");
        let (r, own) = pdf(&t, &company, "/api/v1/subjects/anything/report?for=own").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let own = verified(&own, &t);
        assert_eq!((own.audience.as_str(), own.subject.code.as_deref()), ("本人查询", Some(COMPANY)));
        let ids = field(&own, "法定代表人证件号码");
        assert_eq!(ids.len(), 2, "{own:?}");
        assert!(ids.iter().all(|v| v.contains('*') && !v.contains(LEGAL_REP_ID)), "{ids:?}");
        assert!(!serde_json::to_string(&own).unwrap().contains(LEGAL_REP_ID));

        // 授权查询: refused without the subject's authorisation; given with it, and in the subject's access log.
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let path = format!("/api/v1/subjects/{COMPANY}/report?for=authorised");
        let (r, _) = pdf(&t, &checker, &path).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert!(r.text.contains("授权"), "{}", r.text);
        let (r, _) = pdf(&t, &Auth::None, &path).await;
        assert_eq!(r.status, 403, "the public is no department");
        let (r, _) = pdf(&t, &submitter, &path).await;
        assert_eq!(r.status, 403, "a department's submitter checks no one");
        // An unknown subject is refused alike (a refusal tells nothing of whom the platform knows), and refusals are
        // logged: the subject sees who asked.
        let (unknown, _) = pdf(&t, &checker, "/api/v1/subjects/91630100MA6U7E3K1Q/report?for=authorised").await;
        assert_eq!((unknown.status, unknown.code()), (r.status, r.code()));
        let refused = t.app.store.audit_for_target(&format!("subject:{}", subject.id), 50).await.unwrap();
        assert!(refused.iter().any(|e| e.event.action == "report.authorised.refused"));
        let id = dept.id.to_string();
        let granted = form_post(
            &t,
            &company,
            "/me/authorisations",
            &[("department", &id), ("purpose", "招标投标资格审查"), ("days", "30")],
        )
        .await;
        assert_eq!((granted.status, granted.location()), (303, "/me#authorisations"), "{}", granted.text);
        let refused =
            form_post(&t, &company, "/me/authorisations", &[("department", &id), ("purpose", "x"), ("days", "9999")])
                .await;
        assert!(refused.text.contains("授权期限"), "{}", refused.text);
        let Auth::Session { cookie, csrf } = &checker else { unreachable!() };
        let r = t
            .http
            .post(format!("{}/console/reports", t.base))
            .header("cookie", cookie)
            .form(&[("csrf", csrf.as_str()), ("code", COMPANY), ("kind", "special")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let authorised = r.bytes().await.unwrap().to_vec();
        let authorised = verified(&authorised, &t);
        assert!(authorised.audience.contains("授权查询") && authorised.audience.contains("招标投标资格审查"));
        assert_eq!(authorised.kind, "special");
        assert!(field(&authorised, "法定代表人证件号码").iter().all(|v| !v.contains(LEGAL_REP_ID)));
        let log = t.app.store.audit_for_target(&format!("subject:{}", subject.id), 50).await.unwrap();
        let event = log.iter().find(|e| e.event.action == "report.authorised").expect("in the access log");
        assert_eq!(
            (event.event.purpose.as_deref(), event.event.department.as_deref()),
            (Some("招标投标资格审查"), Some(DEPT))
        );
        let me = send(&t, &company, Method::GET, "/me", None).await.text;
        assert!(
            me.contains("授权查询信用报告") && me.contains(&authorised.number),
            "the access log and the reports list"
        );

        // Withdrawn: refused again.
        let mine = t.app.store.authorisations(subject.id).await.unwrap();
        let withdraw = form_post(&t, &company, &format!("/me/authorisations/{}/withdraw", mine[0].id), &[]).await;
        assert_eq!(withdraw.status, 303, "{}", withdraw.text);
        let (r, _) = pdf(&t, &checker, &path).await;
        assert_eq!(r.status, 403);
        let again = form_post(&t, &checker, &format!("/me/authorisations/{}/withdraw", mine[0].id), &[]).await;
        assert_eq!(again.status, 403, "only the subject withdraws its authorisations");
    })
    .await;
}

#[tokio::test]
async fn reports_open_on_verify_by_number_and_check_code_until_superseded_or_revoked() {
    on_both(async || {
        let t = setup().await;
        company_penalties(&t, &[3]).await;
        let (r, bytes) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report")).await;
        assert_eq!(r.status, 200);
        let first = verified(&bytes, &t);
        let page = verify_page(&t, &first).await;
        assert!(page.contains("由本平台出具:有效"), "{page}");
        assert!(page.contains(&credo_report::digest(&bytes)), "the PDF's SM3 is shown");
        assert!(page.contains("西宁市城东区鑫源商贸有限公司") && page.contains("社会公众查询"));
        // Lower case and spaces as typed are the same report; a wrong code or number is not found, alike.
        let typed = t
            .get(&format!("/verify?no=+{}+&code={}", first.number.to_lowercase(), first.check_code.to_lowercase()))
            .await
            .2;
        assert!(typed.contains("有效"), "{typed}");
        let wrong_code = t.get(&format!("/verify?no={}&code=AAAAAA", first.number)).await.2;
        let wrong_number = t.get(&format!("/verify?no=XY20261125ZZZZZZZZZZ&code={}", first.check_code)).await.2;
        for page in [&wrong_code, &wrong_number] {
            assert!(page.contains("未找到该报告") && !page.contains("由本平台出具"), "{page}");
        }

        // A newer report of the same kind supersedes it; a revoked one says so.
        let (_, newer) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report")).await;
        let newer = verified(&newer, &t);
        let page = verify_page(&t, &first).await;
        assert!(page.contains("已有更新报告") && !page.contains(&newer.number), "{page}");
        // A replay of an earlier day supersedes nothing.
        let (_, replay) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report?as_of=2026-11-01")).await;
        let replay = verified(&replay, &t);
        let page = verify_page(&t, &newer).await;
        assert!(page.contains("由本平台出具:有效"), "{page}");
        assert!(verify_page(&t, &replay).await.contains("有效"));
        credo_app::reports::revoke(&t.app, &newer.number, "出具有误").await.unwrap();
        let page = verify_page(&t, &newer).await;
        assert!(page.contains("已撤销") && page.contains("出具有误"), "{page}");
        assert!(credo_app::reports::revoke(&t.app, &newer.number, "again").await.is_err(), "once");
    })
    .await;
}

#[tokio::test]
async fn yearly_quotas_and_the_per_address_limit_refuse_with_their_reason() {
    let mut catalog = credo_domain::embedded::catalog();
    catalog.reports.quota.public = 2;
    let t = spawn_with_catalog(
        Security { per_address: 0, per_key: 0, reports_per_hour: 3, ..Security::default() },
        catalog,
    )
    .await;
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let p = Permissions { items: all, scenes: vec![], disclosure: vec!["公开".into()], ..Default::default() };
    credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
    company_penalties(&t, &[4]).await;
    add_account(&t, "company", "subject").await;
    let company = sign_in(&t, "company").await;
    let path = format!("/api/v1/subjects/{COMPANY}/report");
    let mut codes = Vec::new();
    for _ in 0..4 {
        let (r, _) = pdf(&t, &Auth::None, &path).await;
        codes.push((r.status, r.code().to_string()));
        if r.status == 429 {
            assert!(r.text.contains("上限") || r.text.contains("每小时"), "{}", r.text);
        }
    }
    let want: Vec<(u16, String)> =
        vec![(200, "".into()), (200, "".into()), (429, "quota_reached".into()), (429, "rate_limited".into())];
    assert_eq!(codes, want);
    // The subject's own reports count against their own quota.
    let (r, _) = pdf(&t, &company, &format!("{path}?for=own")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
    assert_eq!(t.app.store.reports_used(subject.id, "public", 2026).await.unwrap(), 2);
    assert_eq!(t.app.store.reports_used(subject.id, "own", 2026).await.unwrap(), 1);
}

#[tokio::test]
async fn a_report_as_of_a_day_is_the_report_issued_that_day() {
    on_both(async || {
        let t = setup().await;
        company_penalties(&t, &[5, 6]).await;
        // Received on 2026-11-20 (the store keeps the wall clock's time of receipt).
        execute(&t, "UPDATE record_versions SET received_at = '2026-11-20T02:00:00.000000000Z'").await;
        t.app.clock.set(time::macros::date!(2026 - 11 - 20));
        let (r, bytes) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let then = verified(&bytes, &t);
        assert_eq!(then.as_of, "2026-11-20");

        // Later: another penalty arrives.
        t.app.clock.set(time::macros::date!(2026 - 11 - 25));
        company_penalties(&t, &[7]).await;
        let now = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report")).await.1;
        let now = verified(&now, &t);
        assert_ne!(now.sections, then.sections, "today's report has the new penalty");
        let (r, bytes) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report?as_of=2026-11-20")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let replayed = verified(&bytes, &t);
        assert_eq!(
            (replayed.as_of.as_str(), &replayed.sections, &replayed.summary),
            ("2026-11-20", &then.sections, &then.summary)
        );
        assert_ne!(replayed.number, then.number, "a report of its own");
        let (r, _) = pdf(&t, &Auth::None, &format!("/api/v1/subjects/{COMPANY}/report?as_of=2026-11-26")).await;
        assert_eq!((r.status, r.code()), (422, "bad_date"), "not the future");

        // A record withdrawn since is not published again through a replay; the subject's own replay shows it.
        add_account(&t, "handler1", "handler").await;
        add_account(&t, "company", "subject").await;
        let account = t.app.store.account_by_username("handler1").await.unwrap().unwrap();
        let department = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let handler = Principal::Account {
            account: Box::new(account),
            role: Role::Handler,
            department: Some(Box::new(department)),
        };
        let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
        let records = t.app.store.subject_records(subject.id).await.unwrap();
        let five = records.iter().find(|r| r.fields.values().any(|v| v.contains("〔2026〕5号"))).unwrap().id;
        credo_app::cases::withdraw(&t.app, &handler, five, "报送错误").await.unwrap();
        let headings = |r: &credo_report::Report| -> String {
            r.sections.iter().flat_map(|s| &s.entries).map(|e| e.heading.clone()).collect::<Vec<_>>().join(";")
        };
        let path = format!("/api/v1/subjects/{COMPANY}/report?as_of=2026-11-20");
        let public = verified(&pdf(&t, &Auth::None, &path).await.1, &t);
        assert!(
            !headings(&public).contains("〔2026〕5号") && headings(&public).contains("〔2026〕6号"),
            "{}",
            headings(&public)
        );
        let company = sign_in(&t, "company").await;
        let own = verified(&pdf(&t, &company, &format!("{path}&for=own")).await.1, &t);
        assert_eq!(headings(&own), headings(&then), "the subject's own history as it was");
    })
    .await;
}
