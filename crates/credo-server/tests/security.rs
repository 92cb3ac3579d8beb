//! Accounts, sessions, the policy and the guards, end to end over HTTP: the route × role matrix, lock-out, TOTP,
//! session timeouts, CSRF, key revocation and expiry, department permissions, rate limits, security headers and
//! the audit of non-public requests.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Auth, COMPANY, DEPT, PASSWORD, add_account, send, sign_in, sign_in_with, spawn, spawn_with, totp_now};
use credo_app::Security;
use credo_server::policy::ROUTES;
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::{Value, json};

fn penalty() -> Penalty {
    Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY).kinds("警告;罚款").content("警告并罚款2000元")
}

/// A concrete request for each route (bodies chosen so that an allowed request changes nothing lasting).
fn request_for(method: &str, path: &str, batch: i64) -> (Method, String, Option<Value>) {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let (p, body) = match (method, path) {
        ("GET", "/api/v1/subjects") => ("/api/v1/subjects?q=鑫源".to_string(), None),
        (_, "/api/v1/subjects/{key}") => (format!("/api/v1/subjects/{COMPANY}"), None),
        (_, "/api/v1/subjects/{key}/grades") => (format!("/api/v1/subjects/{COMPANY}/grades"), None),
        ("POST", "/api/v1/supervision/draws") => (path.into(), Some(json!({"task": "", "seed": "", "inspectors": []}))),
        (_, p) if p.contains("{number}") && p.starts_with("/api/v1/supervision") => (
            p.replace("{number}", "CC0"),
            if method == "POST" { Some(json!({"code": "x", "result": "合格"})) } else { None },
        ),
        (_, "/supervision/{number}") => ("/supervision/CC0".into(), None),
        ("POST", "/api/v1/session") => (path.into(), Some(json!({"username": "nobody", "password": "x"}))),
        ("POST", "/api/v1/me/password") => (path.into(), Some(json!({"current": "wrong", "new": "x"}))),
        ("POST", "/api/v1/batches") => (path.into(), Some(json!({"item": "xzcf", "records": []}))),
        (_, "/api/v1/batches/{id}") => (format!("/api/v1/batches/{batch}"), None),
        ("POST", "/api/v1/departments") => (path.into(), Some(json!({"uscc": "not-a-code", "name": "x"}))),
        ("PUT", "/api/v1/departments/{uscc}/permissions") => (
            format!("/api/v1/departments/{DEPT}/permissions"),
            Some(json!({"items": ["xzcf", "xzxk", "djzc"], "scenes": [], "disclosure": ["公开"]})),
        ),
        ("GET", "/api/v1/departments/{uscc}/keys") => (format!("/api/v1/departments/{DEPT}/keys"), None),
        ("POST", "/api/v1/departments/{uscc}/keys") => {
            (format!("/api/v1/departments/{DEPT}/keys"), Some(json!({"scopes": ["nonsense"]})))
        }
        (_, "/api/v1/keys/{prefix}") => ("/api/v1/keys/00000000".into(), None),
        ("POST", "/api/v1/accounts") => (path.into(), Some(json!({"username": "x", "name": "x", "role": "root"}))),
        (_, p) if p.starts_with("/api/v1/accounts/{username}") => (p.replace("{username}", "target"), None),
        ("POST", "/api/v1/checks") => {
            (path.into(), Some(json!({"scene": "zfcg", "purpose": "矩阵测试", "subjects": [COMPANY]})))
        }
        ("GET", "/api/v1/checks/{id}") => ("/api/v1/checks/CK0".into(), None),
        ("GET", "/api/v1/checks/jobs/{id}") => ("/api/v1/checks/jobs/JOB0".into(), None),
        ("POST", "/api/v1/checks/{id}/feedback") => {
            ("/api/v1/checks/CK0/feedback".into(), Some(json!({"position": 0, "action": "x"})))
        }
        (_, "/api/v1/records/{id}") => ("/api/v1/records/1".into(), None),
        (_, "/api/v1/records/{id}/breach") => {
            ("/api/v1/records/999999/breach".into(), Some(json!({"description": "x"})))
        }
        ("POST", "/api/v1/grade-objections") => (path.into(), Some(json!({"subject": "x", "reason": "矩阵测试"}))),
        ("POST", "/api/v1/objections" | "/api/v1/repairs") => {
            (path.into(), Some(json!({"record": 999999, "reason": "矩阵测试"})))
        }
        ("POST", "/api/v1/reports") => {
            (path.into(), Some(json!({"department": "x", "subject_name": "x", "content": "x"})))
        }
        ("POST", "/api/v1/commitments") => {
            (path.into(), Some(json!({"department": "x", "type": "x", "matter": "x", "content": "x"})))
        }
        (_, p) if p.starts_with("/api/v1/cases/{number}") => (
            p.replace("{number}", "YY0").replace("{n}", "1"),
            (method == "POST").then(|| json!({"days": 1, "outcome": "x", "reason": "x"})),
        ),
        ("GET", "/api/docs/{file}") => ("/api/docs/swagger-ui.css".into(), None),
        _ => (path.into(), None),
    };
    (m, p, body)
}

/// Who may use each route: written out here, independently of the policy module, and compared with it.
fn expected() -> BTreeMap<(&'static str, &'static str), BTreeSet<&'static str>> {
    const ALL: &[&str] = &[
        "anonymous",
        "sysadmin",
        "secadmin",
        "auditor",
        "reviewer",
        "submitter",
        "checker",
        "handler",
        "subject",
        "key_submit",
        "key_check",
    ];
    const ACCOUNTS: &[&str] =
        &["sysadmin", "secadmin", "auditor", "reviewer", "submitter", "checker", "handler", "subject"];
    let table: Vec<((&str, &str), &[&str])> = vec![
        (("GET", "/"), ALL),
        (("GET", "/healthz"), ALL),
        (("GET", "/api/v1/subjects"), ALL),
        (("GET", "/api/v1/subjects/{key}"), ALL),
        (("GET", "/api/v1/subjects/{key}/report"), ALL),
        (("GET", "/api/v1/subjects/{key}/grades"), ALL),
        (("GET", "/api/v1/feed"), ALL),
        // Every caller here is on loopback; `metrics::may_read` refuses others (unit test).
        (("GET", "/metrics"), ALL),
        (("GET", "/api/v1/reconcile"), ALL),
        (("POST", "/api/v1/reconcile"), ALL),
        (("GET", "/api/v1/webhooks"), &["checker", "key_check"]),
        (("POST", "/api/v1/webhooks"), &["checker", "key_check"]),
        (("DELETE", "/api/v1/webhooks/{id}"), &["checker", "key_check"]),
        (("GET", "/api/v1/webhooks/{id}/deliveries"), &["checker", "key_check"]),
        (("POST", "/api/v1/webhooks/deliveries/{id}/redeliver"), &["checker", "key_check"]),
        (("GET", "/console/webhooks"), &["checker", "key_check"]),
        (("POST", "/console/webhooks"), &["checker", "key_check"]),
        (("POST", "/console/webhooks/{id}/end"), &["checker", "key_check"]),
        (("POST", "/console/webhook-deliveries/{id}/redeliver"), &["checker", "key_check"]),
        (("GET", "/api/v1/supervision/draws"), ALL),
        (("POST", "/api/v1/supervision/draws"), &["submitter", "key_submit"]),
        (("GET", "/api/v1/supervision/draws/{number}"), ALL),
        (("POST", "/api/v1/supervision/draws/{number}/results"), &["submitter", "key_submit"]),
        (("GET", "/api/v1/keys/platform.pem"), ALL),
        (("GET", "/api/v1/catalog"), ALL),
        (("POST", "/api/v1/session"), ALL),
        (("GET", "/api/v1/me"), ACCOUNTS),
        (("POST", "/api/v1/me/password"), ACCOUNTS),
        (("GET", "/api/v1/me/records"), &["subject"]),
        (("GET", "/api/v1/me/access-log"), &["subject"]),
        (("POST", "/api/v1/batches"), &["submitter", "key_submit"]),
        (("GET", "/api/v1/batches/{id}"), &["submitter", "key_submit"]),
        (("GET", "/api/v1/unresolved"), &["submitter", "key_submit"]),
        (("GET", "/api/v1/unresolved/{id}"), &["submitter", "key_submit", "reviewer"]),
        (("GET", "/api/v1/judgements"), &["submitter", "key_submit", "reviewer"]),
        (("POST", "/api/v1/judgements"), &["submitter", "key_submit", "reviewer"]),
        (("POST", "/api/v1/judgements/{id}/undo"), &["submitter", "key_submit", "reviewer"]),
        (("GET", "/api/v1/departments"), &["sysadmin", "secadmin", "auditor"]),
        (("POST", "/api/v1/departments"), &["sysadmin"]),
        (("PUT", "/api/v1/departments/{uscc}/permissions"), &["secadmin"]),
        (("GET", "/api/v1/departments/{uscc}/keys"), &["secadmin"]),
        (("POST", "/api/v1/departments/{uscc}/keys"), &["secadmin"]),
        (("DELETE", "/api/v1/keys/{prefix}"), &["secadmin"]),
        (("GET", "/api/v1/accounts"), &["secadmin", "auditor"]),
        (("POST", "/api/v1/accounts"), &["secadmin"]),
        (("POST", "/api/v1/accounts/{username}/disable"), &["secadmin"]),
        (("POST", "/api/v1/accounts/{username}/enable"), &["secadmin"]),
        (("POST", "/api/v1/accounts/{username}/unlock"), &["secadmin"]),
        (("GET", "/api/v1/audit"), &["auditor"]),
        (("GET", "/api/v1/audit/verify"), &["auditor"]),
        (("POST", "/api/v1/checks"), &["checker", "key_check"]),
        (("GET", "/api/v1/checks/stats"), &["checker", "key_check", "sysadmin"]),
        (("POST", "/api/v1/checks/jobs"), &["checker", "key_check"]),
        (("GET", "/api/v1/checks/jobs/{id}"), &["checker", "key_check"]),
        (("GET", "/api/v1/checks/{id}"), &["checker", "key_check"]),
        (("POST", "/api/v1/checks/{id}/feedback"), &["checker", "key_check"]),
        (("GET", "/api/v1/records/{id}"), ALL),
        (("POST", "/api/v1/records/{id}/breach"), &["reviewer", "handler"]),
        (("POST", "/api/v1/objections"), ALL),
        (("POST", "/api/v1/grade-objections"), ALL),
        (("POST", "/api/v1/repairs"), &["subject"]),
        (("POST", "/api/v1/reports"), ALL),
        (("GET", "/api/v1/challenge"), ALL),
        (("GET", "/api/v1/cases"), &["reviewer", "handler"]),
        (("GET", "/api/v1/cases/{number}"), ALL),
        (("POST", "/api/v1/cases/{number}/extend"), &["reviewer", "handler"]),
        (("POST", "/api/v1/cases/{number}/decide"), &["reviewer", "handler"]),
        (("GET", "/api/v1/cases/{number}/files/{n}"), &["reviewer", "handler"]),
        (("GET", "/api/v1/me/cases"), &["subject"]),
        (("POST", "/api/v1/commitments"), &["subject"]),
        (("GET", "/api/v1/openapi.json"), ALL),
        (("GET", "/api/docs"), ALL),
        (("GET", "/api/docs/"), ALL),
        (("GET", "/api/docs/{file}"), ALL),
        (("GET", "/static/site.css"), ALL),
        (("GET", "/search"), ALL),
        (("GET", "/subjects/{key}"), ALL),
        (("GET", "/supervision"), ALL),
        (("GET", "/supervision/{number}"), ALL),
        (("GET", "/records/{id}"), ALL),
        (("GET", "/records/{id}/objection"), ALL),
        (("POST", "/records/{id}/objection"), ALL),
        (("GET", "/report"), ALL),
        (("POST", "/report"), ALL),
        (("GET", "/lists/{list}"), ALL),
        (("GET", "/policy"), ALL),
        (("GET", "/districts"), ALL),
        (("GET", "/rural"), ALL),
        (("GET", "/finance"), ALL),
        (("GET", "/honours"), ALL),
        (("GET", "/honours/{id}"), ALL),
        (("GET", "/console/honours"), &["reviewer", "handler"]),
        (("POST", "/console/honours/{id}"), &["reviewer", "handler"]),
        (("POST", "/me/honours"), &["subject"]),
        (("POST", "/me/gov-complaints"), &["subject"]),
        (("GET", "/api/v1/integrity"), ALL),
        (("GET", "/api/v1/integrity/bodies/{code}"), ALL),
        (("POST", "/api/v1/integrity/commitments"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("POST", "/api/v1/integrity/commitments/{id}/settle"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("POST", "/api/v1/integrity/arrears/{id}/paid"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("POST", "/api/v1/me/gov-complaints"), &["subject"]),
        (("POST", "/api/v1/civil-servants/archive"), &["checker", "handler"]),
        (("GET", "/api/v1/agencies"), ALL),
        (("POST", "/api/v1/agencies"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("GET", "/api/v1/agencies/{id}"), ALL),
        (("POST", "/api/v1/agencies/{id}/staff"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("POST", "/api/v1/agencies/{id}/evaluations"), &["submitter", "handler", "reviewer", "key_submit"]),
        (("GET", "/integrity"), ALL),
        (("GET", "/integrity/{code}"), ALL),
        (("GET", "/agencies"), ALL),
        (("GET", "/agencies/{id}"), ALL),
        (("GET", "/api/v1/honours"), ALL),
        (("GET", "/api/v1/honours/applications"), &["reviewer", "handler"]),
        (("POST", "/api/v1/honours/{id}/steps"), &["reviewer", "handler"]),
        (("POST", "/api/v1/me/honours"), &["subject"]),
        (("GET", "/console/finance"), &["checker", "key_check"]),
        (("POST", "/console/finance/products"), &["checker", "key_check"]),
        (("POST", "/console/finance/applications/{id}"), &["checker", "key_check"]),
        (("POST", "/me/loan-applications"), &["subject"]),
        (("POST", "/me/loan-applications/{id}/withdraw"), &["subject"]),
        (("GET", "/api/v1/products"), ALL),
        (("POST", "/api/v1/products"), &["checker", "key_check"]),
        (("POST", "/api/v1/products/{id}/close"), &["checker", "key_check"]),
        (("GET", "/api/v1/loan-applications"), &["checker", "key_check"]),
        (("POST", "/api/v1/loan-applications/{id}/decision"), &["checker", "key_check"]),
        (("GET", "/api/v1/loan-recommendations"), &["checker", "key_check"]),
        (("GET", "/api/v1/me/loan-applications"), &["subject"]),
        (("POST", "/api/v1/me/loan-applications"), &["subject"]),
        (("POST", "/api/v1/me/loan-applications/{id}/withdraw"), &["subject"]),
        (("GET", "/news"), ALL),
        (("GET", "/news/feed.xml"), ALL),
        (("GET", "/news/{id}"), ALL),
        (("GET", "/console/articles"), &["sysadmin", "reviewer"]),
        (("POST", "/console/articles"), &["sysadmin", "reviewer"]),
        (("GET", "/console/articles/{id}"), &["sysadmin", "reviewer"]),
        (("POST", "/console/articles/{id}"), &["sysadmin", "reviewer"]),
        (("POST", "/console/articles/{id}/steps"), &["sysadmin", "reviewer"]),
        (("GET", "/api/v1/articles"), ALL),
        (("GET", "/api/v1/articles/{id}"), ALL),
        (("POST", "/api/v1/articles"), &["sysadmin", "reviewer"]),
        (("PUT", "/api/v1/articles/{id}"), &["sysadmin", "reviewer"]),
        (("POST", "/api/v1/articles/{id}/steps"), &["sysadmin", "reviewer"]),
        (("GET", "/districts/{code}"), ALL),
        (("GET", "/open"), ALL),
        (("GET", "/open/{day}/{file}"), ALL),
        (("GET", "/verify"), ALL),
        (("GET", "/cases"), ALL),
        (("GET", "/cases/{number}"), ALL),
        (("GET", "/sign-in"), ALL),
        (("POST", "/sign-in"), ALL),
        (("GET", "/console"), ACCOUNTS),
        (("GET", "/console/cases/{number}"), &["reviewer", "handler"]),
        (("POST", "/console/cases/{number}"), &["reviewer", "handler"]),
        (("GET", "/console/unresolved"), &["submitter", "key_submit", "reviewer"]),
        (("GET", "/console/unresolved/{id}"), &["submitter", "key_submit", "reviewer"]),
        (("POST", "/console/unresolved/{id}"), &["submitter", "key_submit", "reviewer"]),
        (("POST", "/console/judgements/{id}/undo"), &["submitter", "key_submit", "reviewer"]),
        (("GET", "/console/upload"), &["submitter", "key_submit"]),
        (("POST", "/console/upload"), &["submitter", "key_submit"]),
        (("GET", "/console/batches"), &["submitter", "key_submit"]),
        (("GET", "/console/batches/{id}"), &["submitter", "key_submit"]),
        (("GET", "/console/batches/{id}/report.csv"), &["submitter", "key_submit"]),
        (("GET", "/console/templates/{file}"), &["submitter", "key_submit"]),
        (("GET", "/console/records/new"), &["submitter", "key_submit"]),
        (("POST", "/console/records"), &["submitter", "key_submit"]),
        (("GET", "/console/records/{id}"), &["submitter", "handler"]),
        (("POST", "/console/records/{id}/withdraw"), &["reviewer", "handler"]),
        (("GET", "/console/checks"), &["checker", "key_check"]),
        (("POST", "/console/checks"), &["checker", "key_check"]),
        (("POST", "/console/checks/file"), &["checker", "key_check"]),
        (("POST", "/console/reports"), &["checker", "key_check"]),
        (("GET", "/console/checks/jobs/{id}"), &["checker", "key_check"]),
        (("GET", "/console/checks/{id}"), &["checker", "key_check"]),
        (("GET", "/console/checks/{id}/receipt.json"), &["checker", "key_check"]),
        (("POST", "/console/checks/{id}/feedback"), &["checker", "key_check"]),
        (("GET", "/admin"), &["sysadmin", "secadmin", "auditor", "reviewer"]),
        (("GET", "/admin/departments"), &["sysadmin", "secadmin", "auditor"]),
        (("POST", "/admin/departments"), &["sysadmin"]),
        (("GET", "/admin/departments/{uscc}"), &["sysadmin", "secadmin", "auditor"]),
        (("POST", "/admin/departments/{uscc}/permissions"), &["secadmin"]),
        (("POST", "/admin/departments/{uscc}/keys"), &["secadmin"]),
        (("POST", "/admin/keys/{prefix}/revoke"), &["secadmin"]),
        (("GET", "/admin/accounts"), &["secadmin", "auditor"]),
        (("POST", "/admin/accounts"), &["secadmin"]),
        (("POST", "/admin/accounts/{id}/state"), &["secadmin"]),
        (("GET", "/admin/audit"), &["auditor"]),
        (("GET", "/admin/audit/verify"), &["auditor"]),
        (("GET", "/admin/catalog"), &["sysadmin", "secadmin", "auditor", "reviewer"]),
        (("GET", "/me"), &["subject"]),
        (("POST", "/me/repairs"), &["subject"]),
        (("POST", "/me/commitments"), &["subject"]),
        (("POST", "/me/authorisations"), &["subject"]),
        (("POST", "/me/authorisations/{id}/withdraw"), &["subject"]),
        (("POST", "/me/password"), ACCOUNTS),
        (("GET", "/register"), ALL),
        (("POST", "/register"), ALL),
        (("GET", "/account/password"), ALL),
        (("POST", "/account/password"), ALL),
        (("GET", "/sign-in/idp"), ALL),
        (("GET", "/sign-in/idp/callback"), ALL),
        (("GET", "/admin/enrolments"), &["secadmin"]),
        (("POST", "/admin/enrolments/{number}"), &["secadmin"]),
        (("GET", "/admin/enrolments/{number}/files/{n}"), &["secadmin"]),
        (("POST", "/admin/accounts/{id}/reset-link"), &["secadmin"]),
        // Signing out ends the session: last, so the matrix keeps its sessions until then.
        (("POST", "/sign-out"), ALL),
        (("DELETE", "/api/v1/session"), ALL),
    ];
    // District operators (区县管理员) pass the policy wherever their role does; what they may touch there is their
    // district's (`district_operators_act_within_their_district_only`).
    table
        .into_iter()
        .map(|(k, v)| {
            let mut who: BTreeSet<&str> = v.iter().copied().collect();
            for (role, district) in [("sysadmin", "sysadmin_district"), ("secadmin", "secadmin_district")] {
                if who.contains(role) {
                    who.insert(district);
                }
            }
            (k, who)
        })
        .collect()
}

#[tokio::test]
async fn every_route_with_every_role() {
    common::on_both(async || {
        let t = spawn().await;
        let (status, s) = t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
        assert_eq!(status, 200, "{s}");
        let batch = s["batch"].as_i64().unwrap();
        let table = expected();
        let listed: BTreeSet<(&str, &str)> = ROUTES.iter().map(|(m, p, _)| (*m, *p)).collect();
        assert_eq!(
            table.keys().copied().collect::<BTreeSet<_>>(),
            listed,
            "the matrix covers exactly the policy's routes"
        );

        let mut principals: Vec<(&str, Auth)> =
            vec![("anonymous", Auth::None), ("key_submit", Auth::Key(t.key.clone()))];
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let (check_key, _) =
            credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
        principals.push(("key_check", Auth::Key(check_key)));
        // A department user: the security administrator may disable, enable and unlock it over the API.
        add_account(&t, "target", "submitter").await;
        for role in ["sysadmin", "secadmin", "auditor", "reviewer", "submitter", "checker", "handler", "subject"] {
            add_account(&t, role, role).await;
            principals.push((role, sign_in(&t, role).await));
        }
        for (name, role) in [("sysadmin_district", "sysadmin"), ("secadmin_district", "secadmin")] {
            account(&t, name, role, None, Some("630102")).await;
            principals.push((name, sign_in(&t, name).await));
        }
        // Routes in the table's order (sign-out last).
        let order: Vec<(&str, &str)> = {
            let ends = [("DELETE", "/api/v1/session"), ("POST", "/sign-out")];
            let mut v: Vec<(&str, &str)> = table.keys().copied().filter(|k| !ends.contains(k)).collect();
            v.extend(ends);
            v
        };
        let mut checked = 0;
        let mut failures = Vec::new();
        for (method, path) in &order {
            for (who, auth) in &principals {
                let (m, p, body) = request_for(method, path, batch);
                let r = send(&t, auth, m, &p, body).await;
                let denied = matches!(r.code(), "sign_in_required" | "not_permitted");
                let allowed = table[&(*method, *path)].contains(who);
                if allowed == denied {
                    failures.push(format!("{method} {path} as {who}: {} {}", r.status, r.body));
                }
                if denied {
                    let page = !path.starts_with("/api/");
                    let want = match (*who == "anonymous", page && *method == "GET") {
                        (true, true) => 303,
                        (true, false) => 401,
                        _ => 403,
                    };
                    if r.status != want {
                        failures.push(format!("{method} {path} as {who}: denied with {} (want {want})", r.status));
                    }
                }
                checked += 1;
            }
        }
        assert!(failures.is_empty(), "{} of {checked} pairs wrong:\n{}", failures.len(), failures.join("\n"));
        assert_eq!(checked, ROUTES.len() * 13, "eleven principals and two district operators");
    })
    .await;
}

#[tokio::test]
async fn a_route_missing_from_the_policy_is_refused_to_everyone() {
    common::on_both(async || {
        let t = spawn().await;
        let router = axum::Router::new().route("/unlisted", axum::routing::get(|| async { "secret" })).route_layer(
            axum::middleware::from_fn_with_state(credo_server::Web::new(t.app.clone()), credo_server::guard::guard),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let r = t.http.get(format!("{base}/unlisted")).bearer_auth(&t.key).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(!r.text().await.unwrap().contains("secret"));
    })
    .await;
}

/// The accounts page (/admin/accounts) as `auth` (a session) sees it.
async fn accounts_page(t: &common::TestApp, auth: &Auth) -> String {
    let Auth::Session { cookie, .. } = auth else { panic!("a session") };
    let r = t.http.get(format!("{}/admin/accounts", t.base)).header("cookie", cookie).send().await.unwrap();
    r.text().await.unwrap()
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "zhangsan", "submitter").await;
        for n in 1..=4 {
            let r = sign_in_with(&t, "zhangsan", "Wrong-password-1", None).await;
            assert_eq!((r.status, r.code()), (401, "unauthorized"), "attempt {n}: {}", r.body);
        }
        let r = sign_in_with(&t, "zhangsan", "Wrong-password-1", None).await;
        assert_eq!(r.status, 423, "the fifth failure locks: {}", r.body);
        let code = totp_now(&t, "zhangsan").await;
        let r = sign_in_with(&t, "zhangsan", PASSWORD, code.clone()).await;
        assert_eq!(r.status, 423, "locked even with the right password and code: {}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains("已锁定"));
        // The security administrator's account page says until when, in Beijing time to the second.
        add_account(&t, "secadmin1", "secadmin").await;
        let admin = sign_in(&t, "secadmin1").await;
        let row = |page: &str| page.split("<tr>").find(|r| r.contains("zhangsan")).unwrap_or_default().to_string();
        let locked = t.app.store.account_by_username("zhangsan").await.unwrap().unwrap().locked_until.unwrap();
        let shown = row(&accounts_page(&t, &admin).await);
        assert!(shown.contains(&format!("已锁定至 {}(北京时间)", credo_app::beijing::format(locked))), "{shown}");
        let r = sign_in_with(&t, "nobody", "Wrong-password-1", None).await;
        assert_eq!((r.status, r.body["detail"].as_str()), (401, Some("账号、密码或动态口令不正确")));
        let a = t.app.store.account_by_username("zhangsan").await.unwrap().unwrap();
        t.app.store.unlock(a.id).await.unwrap();
        assert!(!row(&accounts_page(&t, &admin).await).contains("已锁定"), "unlocked");
        sign_in(&t, "zhangsan").await;
        // Every attempt is in the audit trail; a name that is no account is not written down.
        let events = t.app.store.audit_after(0, 1000).await.unwrap();
        assert!(events.iter().any(|e| e.event.action == "session.sign_in" && e.event.actor == "(未知账号)"));
        assert!(!events.iter().any(|e| e.event.actor == "nobody"));
        let sign_ins = events.iter().filter(|e| e.event.action == "session.sign_in" && e.event.actor == "zhangsan");
        assert_eq!(sign_ins.count(), 7);
    })
    .await;
}

#[tokio::test]
async fn operators_need_a_totp_code_that_works_once() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "secadmin", "secadmin").await;
        let r = sign_in_with(&t, "secadmin", PASSWORD, None).await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "the right password alone is not told apart");
        let r = sign_in_with(&t, "secadmin", PASSWORD, Some("000000".into())).await;
        assert_eq!(r.status, 401);
        let code = totp_now(&t, "secadmin").await;
        assert_eq!(sign_in_with(&t, "secadmin", PASSWORD, code.clone()).await.status, 200);
        let replay = sign_in_with(&t, "secadmin", PASSWORD, code).await;
        assert_eq!(replay.status, 401, "the same code again is a replay: {}", replay.body);
        // Subject accounts sign in with a password alone.
        t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
        add_account(&t, "company", "subject").await;
        assert_eq!(sign_in_with(&t, "company", PASSWORD, None).await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn idle_sessions_expire() {
    common::on_both(async || {
        let t =
            spawn_with(Security { session_idle: time::Duration::seconds(1), per_address: 0, ..Security::default() })
                .await;
        add_account(&t, "auditor", "auditor").await;
        let s = sign_in(&t, "auditor").await;
        assert_eq!(send(&t, &s, Method::GET, "/api/v1/me", None).await.status, 200);
        t.app.clock.advance(time::Duration::milliseconds(1500));
        let r = send(&t, &s, Method::GET, "/api/v1/me", None).await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body["detail"].as_str().unwrap().contains("超时"));
        let again = send(&t, &s, Method::GET, "/api/v1/me", None).await;
        assert_eq!(again.status, 401, "the expired session is gone for good");
    })
    .await;
}

#[tokio::test]
async fn sessions_end_at_the_absolute_limit_however_active() {
    common::on_both(async || {
        let t = spawn_with(Security {
            session_absolute: time::Duration::seconds(2),
            per_address: 0,
            ..Security::default()
        })
        .await;
        add_account(&t, "auditor", "auditor").await;
        let s = sign_in(&t, "auditor").await;
        for _ in 0..5 {
            assert_eq!(send(&t, &s, Method::GET, "/api/v1/me", None).await.status, 200);
            t.app.clock.advance(time::Duration::milliseconds(300));
        }
        t.app.clock.advance(time::Duration::milliseconds(1000));
        let r = send(&t, &s, Method::GET, "/api/v1/me", None).await;
        assert_eq!(r.status, 401);
        assert!(r.body["detail"].as_str().unwrap().contains("最长时限"), "{}", r.body);
    })
    .await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "wangwu", "submitter").await;
        let Auth::Session { cookie, csrf } = sign_in(&t, "wangwu").await else { unreachable!() };
        let batch = json!({"item": "xzcf", "records": [penalty()]});
        for bad in [None, Some("0".repeat(64))] {
            let mut r = t.http.post(format!("{}/api/v1/batches", t.base)).header("cookie", &cookie).json(&batch);
            if let Some(token) = &bad {
                r = r.header("x-csrf-token", token);
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 403);
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["code"], "csrf_token_invalid", "{body}");
        }
        assert_eq!(t.app.store.counts().await.unwrap().records, 0, "nothing was written");
        let ok = send(
            &t,
            &Auth::Session { cookie: cookie.clone(), csrf: csrf.clone() },
            Method::POST,
            "/api/v1/batches",
            Some(batch),
        )
        .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        // A form post carries the token as a field.
        let form = t
            .http
            .delete(format!("{}/api/v1/session", t.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"))
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 204);
        let after = send(&t, &Auth::Session { cookie, csrf }, Method::GET, "/api/v1/me", None).await;
        assert_eq!(after.status, 401, "signed out");
    })
    .await;
}

#[tokio::test]
async fn revoked_expired_and_out_of_scope_keys_are_refused() {
    common::on_both(async || {
        let t = spawn().await;
        assert_eq!(t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await.0, 200);
        add_account(&t, "secadmin", "secadmin").await;
        let admin = sign_in(&t, "secadmin").await;
        let prefix = credo_app::keys::prefix_of(&t.key).unwrap().to_string();
        let r = send(&t, &admin, Method::DELETE, &format!("/api/v1/keys/{prefix}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let (status, body) = t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
        assert_eq!((status, body["detail"].as_str()), (401, Some("API 密钥已被吊销")));

        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
        let (old, _) =
            credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["submit".into()], Some(past), "t").await.unwrap();
        let r = send(&t, &Auth::Key(old), Method::GET, "/api/v1/unresolved", None).await;
        assert_eq!((r.status, r.body["detail"].as_str()), (401, Some("API 密钥已过期")));

        // A key made over the API: shown once, scoped, and refused where its scope does not reach.
        let r = send(
            &t,
            &admin,
            Method::POST,
            &format!("/api/v1/departments/{DEPT}/keys"),
            Some(json!({"scopes": ["check"], "expires_in_days": 30})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let check_only = r.body["key"].as_str().unwrap().to_string();
        let r = send(&t, &Auth::Key(check_only), Method::GET, "/api/v1/unresolved", None).await;
        assert_eq!((r.status, r.code()), (403, "not_permitted"));
        let listed = send(&t, &admin, Method::GET, &format!("/api/v1/departments/{DEPT}/keys"), None).await;
        assert!(!listed.body.to_string().contains("hash"), "hashes are never listed: {}", listed.body);
    })
    .await;
}

#[tokio::test]
async fn departments_submit_only_the_items_they_are_granted() {
    common::on_both(async || {
        let t = spawn().await;
        let (status, body) = t.post_batch(json!({"item": "sxbzxr", "records": [{"ZX_AH": "x"}]})).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("未获准报送"));
    })
    .await;
}

#[tokio::test]
async fn security_headers_on_every_response() {
    common::on_both(async || {
        let t = spawn().await;
        for path in ["/", "/api/v1/catalog", "/no-such-page", "/api/v1/unresolved"] {
            let r = t.http.get(format!("{}{path}", t.base)).send().await.unwrap();
            let h = r.headers();
            let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}");
            assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
            assert!(h.get("referrer-policy").is_some(), "{path}");
        }
        let r = send(&t, &Auth::None, Method::GET, "/api/v1/no-such-thing", None).await;
        assert_eq!(r.headers.get("content-type").unwrap(), "application/problem+json");
        // A page that does not exist is a page, with the problem's code.
        let r = send(&t, &Auth::None, Method::GET, "/no-such-page", None).await;
        assert_eq!((r.status, r.code()), (404, "not_found"));
        assert!(r.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
        // The framework's own refusals are problem+json too.
        let bad_json = t
            .http
            .post(format!("{}/api/v1/session", t.base))
            .header("content-type", "application/json")
            .body("{\"username\": 1")
            .send()
            .await
            .unwrap();
        assert!([400, 422].contains(&bad_json.status().as_u16()));
        assert_eq!(bad_json.headers().get("content-type").unwrap(), "application/problem+json");
        let body: Value = bad_json.json().await.unwrap();
        assert_eq!(body["code"], "invalid_request", "{body}");
        // A method the policy does not list for a listed path: 405 with the methods it has.
        let wrong_method = send(&t, &Auth::None, Method::PUT, "/api/v1/catalog", None).await;
        assert_eq!((wrong_method.status, wrong_method.code()), (405, "method_not_allowed"));
        assert_eq!(wrong_method.headers.get("allow").unwrap(), "GET");
    })
    .await;
}

#[tokio::test]
async fn requests_over_the_address_limit_are_refused() {
    common::on_both(async || {
        let t = spawn_with(Security { per_address: 5, ..Security::default() }).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(t.http.get(format!("{}/healthz", t.base)).send().await.unwrap().status().as_u16());
        }
        assert!(statuses.iter().take(10).all(|s| *s == 200), "the burst passes: {statuses:?}");
        assert!(statuses.contains(&429), "{statuses:?}");
    })
    .await;
}

#[tokio::test]
async fn non_public_requests_and_refusals_are_audited() {
    common::on_both(async || {
        let t = spawn().await;
        let prefix = credo_app::keys::prefix_of(&t.key).unwrap().to_string();
        let r = send(&t, &Auth::Key(t.key.clone()), Method::GET, "/api/v1/unresolved", None).await;
        assert_eq!(r.status, 200);
        t.http.get(format!("{}/api/v1/catalog", t.base)).send().await.unwrap();
        send(&t, &Auth::None, Method::GET, "/api/v1/audit", None).await;
        let events = t.app.store.audit_after(0, 100).await.unwrap();
        let read = events.iter().find(|e| e.event.action == "unresolved.read").unwrap();
        assert_eq!(read.event.actor, format!("key:{prefix}"));
        assert_eq!((read.event.department.as_deref(), read.event.result.as_str()), (Some(DEPT), "ok"));
        assert_eq!(read.event.client.as_deref(), Some("127.0.0.1"));
        assert!(!events.iter().any(|e| e.event.action == "public.read"), "public reads are not audited");
        let denied = events.iter().find(|e| e.event.action == "audit.read").unwrap();
        assert_eq!(
            (denied.event.actor.as_str(), denied.event.result.as_str()),
            ("anonymous", "denied: unauthenticated")
        );
    })
    .await;
}

#[tokio::test]
async fn subject_accounts_see_their_own_records_and_who_looked() {
    common::on_both(async || {
        let t = spawn().await;
        t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
        add_account(&t, "company", "subject").await;
        let s = sign_in(&t, "company").await;
        let r = send(&t, &s, Method::GET, "/api/v1/me/records", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["records"][0]["fields"]["CF_WSH"], "宁市监罚〔2025〕1号");
        let subject = r.body["subject_id"].as_i64().unwrap();
        t.app
            .store
            .append_audit(&credo_store::AuditEvent {
                actor: "key:abcd1234".into(),
                role: "api_key".into(),
                department: Some(DEPT.into()),
                action: "check".into(),
                target: Some(format!("subject:{subject}")),
                purpose: Some("政府采购".into()),
                result: "ok".into(),
                client: None,
            })
            .await
            .unwrap();
        let log = send(&t, &s, Method::GET, "/api/v1/me/access-log", None).await;
        assert_eq!(log.body["count"], 1, "{}", log.body);
        assert_eq!(log.body["events"][0]["purpose"], "政府采购");
    })
    .await;
}

/// Issue 11, finding 8: the security administrator created auditor and administrator accounts over the API (and so
/// could sign in as them) and disabled the auditor. 三员分立: operator accounts are made and recovered with
/// `credo user` on the server only; over the API the security administrator manages department users and subject
/// accounts.
#[tokio::test]
async fn operator_accounts_are_made_and_changed_only_on_the_server() {
    common::on_both(async || {
        let t = spawn().await;
        t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
        add_account(&t, "secadmin", "secadmin").await;
        let admin = sign_in(&t, "secadmin").await;
        for role in ["sysadmin", "secadmin", "auditor", "reviewer", "审计管理员"] {
            let body = json!({"username": "op-new", "name": "新管理员", "role": role, "password": PASSWORD});
            let r = send(&t, &admin, Method::POST, "/api/v1/accounts", Some(body)).await;
            assert_eq!((r.status, r.code()), (403, "operator_account"), "{role}: {}", r.body);
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("三员分立") && detail.contains("credo user add"), "{detail}");
            assert!(t.app.store.account_by_username("op-new").await.unwrap().is_none(), "{role}: not created");
        }
        // Accounts made on the server (as `credo user add` does) cannot be disabled, enabled or unlocked over the API
        // either — the security administrator's own included.
        for (name, role) in
            [("auditor1", "auditor"), ("sysadmin1", "sysadmin"), ("secadmin2", "secadmin"), ("reviewer1", "reviewer")]
        {
            add_account(&t, name, role).await;
        }
        for name in ["auditor1", "sysadmin1", "secadmin2", "reviewer1", "secadmin"] {
            for (what, cli) in [
                ("disable", "credo user disable"),
                ("enable", "credo user disable --enable"),
                ("unlock", "credo user passwd"),
            ] {
                let r = send(&t, &admin, Method::POST, &format!("/api/v1/accounts/{name}/{what}"), None).await;
                assert_eq!((r.status, r.code()), (403, "operator_account"), "{what} {name}: {}", r.body);
                assert!(r.body["detail"].as_str().unwrap().contains(cli), "{}", r.body);
            }
            assert!(!t.app.store.account_by_username(name).await.unwrap().unwrap().disabled, "{name}");
        }
        sign_in(&t, "auditor1").await;
        let events = t.app.store.audit_after(0, 10_000).await.unwrap();
        let refused = events.iter().filter(|e| e.event.actor == "secadmin" && e.event.result.contains("403")).count();
        assert_eq!(refused, 5 + 5 * 3, "every refusal is in the audit trail");

        // Department users and subject accounts stay the security administrator's.
        let handler = json!({"username": "handler9", "name": "办理员", "role": "handler", "department": DEPT});
        let r = send(&t, &admin, Method::POST, "/api/v1/accounts", Some(handler)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.body["password"].is_string() && r.body["totp"]["uri"].is_string(), "{}", r.body);
        let company = json!({"username": "company9", "name": "鑫源商贸", "role": "subject", "subject": COMPANY});
        let r = send(&t, &admin, Method::POST, "/api/v1/accounts", Some(company)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for (what, disabled) in [("disable", true), ("enable", false), ("unlock", false)] {
            for name in ["handler9", "company9"] {
                let r = send(&t, &admin, Method::POST, &format!("/api/v1/accounts/{name}/{what}"), None).await;
                assert_eq!(r.status, 204, "{what} {name}: {}", r.body);
                assert_eq!(t.app.store.account_by_username(name).await.unwrap().unwrap().disabled, disabled);
            }
        }
        // An unknown role is still a 422 that names the roles there are.
        let r = send(
            &t,
            &admin,
            Method::POST,
            "/api/v1/accounts",
            Some(json!({"username": "x1x", "name": "x", "role": "root"})),
        )
        .await;
        assert_eq!((r.status, r.code()), (422, "invalid_account"), "{}", r.body);
    })
    .await;
}

/// An account made directly (district operators are made with `credo user add --region`).
async fn account(t: &common::TestApp, username: &str, role: &str, department: Option<&str>, region: Option<&str>) {
    let req = credo_app::accounts::AccountRequest {
        username: username.into(),
        name: format!("测试{username}"),
        role: role.into(),
        department: department.map(String::from),
        subject: None,
        password: Some(PASSWORD.into()),
        region: region.map(String::from),
    };
    credo_app::accounts::create(&t.app, req, "test").await.unwrap();
}

/// 区县管理员 (issue 20): an operator limited to 城东区 (630102) registers, sees and administers that district's
/// departments, their keys and accounts only; the city's are not found; subject accounts are the city's.
#[tokio::test]
async fn district_operators_act_within_their_district_only() {
    common::on_both(async || {
        let t = spawn().await;
        let east = credo_synth::uscc_from("11", "630102", "CDJ00001");
        let east_b = credo_synth::uscc_from("11", "630102", "CDJ00002");
        let middle = credo_synth::uscc_from("11", "630103", "CJ000001");
        let admin = credo_app::admin::add_department(&t.app, &east, "西宁市城东区市场监督管理局", None, "test", None);
        admin.await.unwrap();
        account(&t, "checker_city", "checker", Some(DEPT), None).await;
        account(&t, "checker_east", "checker", Some(&east), None).await;
        account(&t, "sec_east", "secadmin", None, Some("630102")).await;
        account(&t, "sys_east", "sysadmin", None, Some("630102")).await;
        // Only operators of the kinds that can be a district's, and only districts of Xining.
        let bad = credo_app::accounts::AccountRequest {
            username: "checker_region".into(),
            name: "x".into(),
            role: "checker".into(),
            department: Some(east.clone()),
            password: Some(PASSWORD.into()),
            region: Some("630102".into()),
            ..Default::default()
        };
        assert!(credo_app::accounts::create(&t.app, bad, "test").await.is_err());
        let bad = credo_app::accounts::AccountRequest {
            username: "sec_bad".into(),
            name: "x".into(),
            role: "secadmin".into(),
            password: Some(PASSWORD.into()),
            region: Some("110101".into()),
            ..Default::default()
        };
        assert!(credo_app::accounts::create(&t.app, bad, "test").await.is_err());

        let sec = sign_in(&t, "sec_east").await;
        let list = send(&t, &sec, Method::GET, "/api/v1/departments", None).await;
        let codes: Vec<&str> = list.body.as_array().unwrap().iter().map(|d| d["uscc"].as_str().unwrap()).collect();
        assert_eq!(codes, [east.as_str()]);
        let grant = json!({"items": ["xzcf"], "scenes": [], "disclosure": ["公开"]});
        let path = |u: &str, rest: &str| format!("/api/v1/departments/{u}{rest}");
        assert_eq!(send(&t, &sec, Method::PUT, &path(DEPT, "/permissions"), Some(grant.clone())).await.status, 404);
        assert_eq!(send(&t, &sec, Method::PUT, &path(&east, "/permissions"), Some(grant)).await.status, 200);
        let key = json!({"scopes": ["check"]});
        assert_eq!(send(&t, &sec, Method::POST, &path(DEPT, "/keys"), Some(key.clone())).await.status, 404);
        assert_eq!(send(&t, &sec, Method::GET, &path(DEPT, "/keys"), None).await.status, 404);
        let issued = send(&t, &sec, Method::POST, &path(&east, "/keys"), Some(key)).await;
        assert!(issued.status < 300, "{}", issued.text);
        let city_prefix = credo_app::keys::prefix_of(&t.key).unwrap().to_string();
        assert_eq!(send(&t, &sec, Method::DELETE, &format!("/api/v1/keys/{city_prefix}"), None).await.status, 404);
        let accounts = send(&t, &sec, Method::GET, "/api/v1/accounts", None).await;
        let names: Vec<&str> =
            accounts.body["accounts"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["checker_east"], "{}", accounts.text);
        let disable = |u: &str| format!("/api/v1/accounts/{u}/disable");
        assert_eq!(send(&t, &sec, Method::POST, &disable("checker_city"), None).await.status, 404);
        assert_eq!(send(&t, &sec, Method::POST, &disable("checker_east"), None).await.status, 204);
        let new =
            |u: &str, dept: &str| json!({"username": u, "name": "新核查员", "role": "checker", "department": dept});
        let r = send(&t, &sec, Method::POST, "/api/v1/accounts", Some(new("checker_city2", DEPT))).await;
        assert_eq!(r.status, 404, "{}", r.text);
        let r = send(&t, &sec, Method::POST, "/api/v1/accounts", Some(new("checker_east2", &east))).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let subject = json!({"username": "firm", "name": "企业", "role": "subject", "subject": COMPANY});
        assert_eq!(send(&t, &sec, Method::POST, "/api/v1/accounts", Some(subject)).await.status, 403);
        assert_eq!(send(&t, &sec, Method::GET, "/admin/enrolments", None).await.status, 403);
        let page = send(&t, &sec, Method::GET, "/admin/departments", None).await;
        assert!(
            page.text.contains("城东区市场监督管理局") && !page.text.contains("西宁市市场监督管理局"),
            "{}",
            page.text
        );

        // The district's system administrator registers departments located in the district only.
        let sys = sign_in(&t, "sys_east").await;
        let dept = |u: &str| json!({"uscc": u, "name": "区县部门"});
        assert_eq!(send(&t, &sys, Method::POST, "/api/v1/departments", Some(dept(&middle))).await.status, 403);
        let r = send(&t, &sys, Method::POST, "/api/v1/departments", Some(dept(&east_b))).await;
        assert!(r.status < 300, "{}", r.text);

        // The city's security administrator sees every department.
        add_account(&t, "secadmin", "secadmin").await;
        let city = sign_in(&t, "secadmin").await;
        assert_eq!(send(&t, &city, Method::GET, "/api/v1/departments", None).await.body.as_array().unwrap().len(), 3);
    })
    .await;
}
