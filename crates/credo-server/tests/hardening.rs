//! The attacks of issue 11, each reproduced against a real server: inputs that abort or stall it, races in
//! sign-in, stale cookies, and the smaller holes (405, redirects, multipart limits, unaudited refusals).

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::time::{Duration, Instant};

use common::{Auth, PASSWORD, add_account, send, sign_in, sign_in_with, spawn, spawn_with, totp_now};
use credo_app::Security;
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::{Value, json};

fn penalty(n: usize) -> Penalty {
    Penalty::of(
        format!("西宁市城东区测试商贸{n}有限公司"),
        credo_synth::uscc_from("91", "630100", &format!("MA{n:06}")),
    )
    .number(format!("宁市监罚〔2025〕{n}号"))
    .content("罚款2000元")
}

async fn upload(t: &common::TestApp, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("item", "xzcf")
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let r = t.http.post(format!("{}/api/v1/batches", t.base)).bearer_auth(&t.key).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spreadsheets_built_to_abort_the_server_get_a_clear_error() {
    common::on_both(async || {
        let t = spawn().await;
        // A1 and XFD1048576: a few KB that declare 17 billion cells.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let s = wb.add_worksheet();
        s.write(0, 0, "行政相对人名称").unwrap();
        s.write(1_048_575, 16_383, "x").unwrap();
        let (status, body) = upload(&t, "grid.xlsx", wb.save_to_buffer().unwrap()).await;
        assert_eq!((status, body["rejected"].as_u64()), (200, Some(1)), "{body}");
        assert_eq!(body["report"][0]["row"], 1_048_576);
        assert_eq!(body["report"][0]["code"], "too_many_columns", "the far cell is reported at its row");
        // A JSON batch whose records each bring a new key.
        let records: Vec<Value> = (0..20_000).map(|i| json!({ format!("k{i}"): "v" })).collect();
        let (status, body) = t.post_batch(json!({"item": "xzcf", "records": records})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("too_many_columns")), "{body}");
        // The server is still there.
        assert_eq!(t.get("/healthz").await.0, 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_do_not_stall_other_requests() {
    common::on_both(async || {
        let t = spawn().await;
        // Two uploads that take seconds of CPU: 20,000 valid rows each, and rows a million cells wide.
        let csv = credo_synth::builders::csv(&(0..20_000).map(penalty).collect::<Vec<_>>());
        let wide = format!("CF_XDR_MC,CF_WSH\n{}", format!("{}\n", vec!["x"; 1_000_000].join(",")).repeat(20));
        let (a, b) = (t.http.clone(), t.http.clone());
        let uploads = [("rows.csv", csv.into_bytes()), ("wide.csv", wide.into_bytes())].map(|(name, bytes)| {
            let (base, key) = (t.base.clone(), t.key.clone());
            let http = if name == "rows.csv" { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let form = reqwest::multipart::Form::new()
                    .text("item", "xzcf")
                    .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
                let r =
                    http.post(format!("{base}/api/v1/batches")).bearer_auth(key).multipart(form).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            })
        });
        let mut worst = Duration::ZERO;
        let started = Instant::now();
        while !uploads.iter().all(|u| u.is_finished()) && started.elapsed() < Duration::from_secs(120) {
            let asked = Instant::now();
            assert_eq!(t.get("/healthz").await.0, 200);
            worst = worst.max(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for u in uploads {
            let (status, body) = u.await.unwrap();
            assert_eq!(status, 200, "{body}");
            if body["rejected"] == 20 {
                assert!(body["report"].as_array().unwrap().iter().all(|l| l["code"] == "too_many_columns"), "{body}");
            } else {
                assert_eq!(body["accepted"], 20_000, "{}", body["rejected"]);
            }
        }
        eprintln!("/healthz: worst {worst:?} while the two uploads ran for {:?}", started.elapsed());
        assert!(worst < Duration::from_millis(1000), "/healthz waited {worst:?} behind the uploads");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_passwords_test_no_more_than_the_limit() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "zhangsan", "submitter").await;
        let tries = (0..40).map(|_| {
            let (http, base) = (t.http.clone(), t.base.clone());
            tokio::spawn(async move {
                let body = json!({"username": "zhangsan", "password": "Wrong-password-1", "totp": null});
                http.post(format!("{base}/api/v1/session")).json(&body).send().await.unwrap().status().as_u16()
            })
        });
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        let tested = statuses.iter().filter(|s| **s == 401).count();
        let locked = statuses.iter().filter(|s| **s == 423).count();
        assert_eq!(tested + locked, 40, "{statuses:?}");
        assert!(tested < 5, "only the tries before the lock are tested: {tested} were ({statuses:?})");
        let a = t.app.store.account_by_username("zhangsan").await.unwrap().unwrap();
        assert_eq!(a.failed_logins, 5, "the counter counts tries, not reads");
        assert!(a.locked_until.is_some());
        let code = totp_now(&t, "zhangsan").await;
        assert_eq!(sign_in_with(&t, "zhangsan", PASSWORD, code).await.status, 423, "the lock holds");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_totp_code_opens_one_session_however_often_it_is_sent() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "secadmin", "secadmin").await;
        let code = totp_now(&t, "secadmin").await;
        let tries = (0..8).map(|_| {
            let (http, base, code) = (t.http.clone(), t.base.clone(), code.clone());
            tokio::spawn(async move {
                let body = json!({"username": "secadmin", "password": PASSWORD, "totp": code});
                http.post(format!("{base}/api/v1/session")).json(&body).send().await.unwrap().status().as_u16()
            })
        });
        let mut opened = 0;
        for t in tries {
            opened += usize::from(t.await.unwrap() == 200);
        }
        assert_eq!(opened, 1);
    })
    .await;
}

#[tokio::test]
async fn refusals_do_not_say_which_part_was_wrong() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "secadmin", "secadmin").await;
        add_account(&t, "gone", "submitter").await;
        let gone = t.app.store.account_by_username("gone").await.unwrap().unwrap();
        t.app.store.set_disabled(gone.id, true).await.unwrap();
        let answers = [
            sign_in_with(&t, "nobody", PASSWORD, None).await,
            sign_in_with(&t, "secadmin", "Wrong-password-1", None).await,
            sign_in_with(&t, "secadmin", PASSWORD, None).await,
            sign_in_with(&t, "secadmin", PASSWORD, Some("000000".into())).await,
            sign_in_with(&t, "gone", PASSWORD, totp_now(&t, "gone").await).await,
        ];
        for r in &answers {
            assert_eq!((r.status, r.code()), (401, "unauthorized"), "{}", r.body);
            assert_eq!(r.body["detail"], answers[0].body["detail"]);
        }
        // The audit trail knows why.
        let events = t.app.store.audit_after(0, 1000).await.unwrap();
        let results: Vec<&str> = events.iter().map(|e| e.event.result.as_str()).collect();
        for why in ["wrong password", "TOTP code missing", "wrong TOTP code", "account disabled"] {
            assert!(results.iter().any(|r| r.contains(why)), "{why}: {results:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_stale_cookie_is_cleared_and_the_visitor_goes_on_as_anonymous() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "zhangsan", "submitter").await;
        let Auth::Session { cookie, .. } = sign_in(&t, "zhangsan").await else { unreachable!() };
        let a = t.app.store.account_by_username("zhangsan").await.unwrap().unwrap();
        // Sessions end (a new password ends them), and a cookie that was never a session.
        t.app.store.set_password(a.id, &a.password_hash).await.unwrap();
        for cookie in [cookie, "credo_session=forged".to_string()] {
            for path in ["/", "/sign-in", "/search?q=x", "/api/v1/catalog"] {
                let r = t.http.get(format!("{}{path}", t.base)).header("cookie", &cookie).send().await.unwrap();
                assert_eq!(r.status(), 200, "{path}");
                let set = r.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                assert!(set.starts_with("credo_session=;") && set.contains("Max-Age=0"), "{path}: {set}");
            }
            let r = send(
                &t,
                &Auth::Session { cookie: cookie.clone(), csrf: String::new() },
                Method::GET,
                "/api/v1/me",
                None,
            )
            .await;
            assert_eq!((r.status, r.code()), (401, "sign_in_required"));
            assert!(r.body["detail"].as_str().unwrap().contains("请重新登录"), "{}", r.body);
        }
        let events = t.app.store.audit_after(0, 1000).await.unwrap();
        assert!(events.iter().any(|e| e.event.action == "auth.session" && e.event.result.starts_with("cleared")));
    })
    .await;
}

#[tokio::test]
async fn forged_keys_are_refused_and_audited() {
    common::on_both(async || {
        let t = spawn().await;
        let forged = format!("{}x", &t.key[..t.key.len() - 1]);
        for key in [forged.as_str(), "credo_0000000000000000", "nonsense"] {
            let r = send(&t, &Auth::Key(key.into()), Method::GET, "/api/v1/unresolved", None).await;
            assert_eq!(r.status, 401, "{key}");
        }
        let events = t.app.store.audit_after(0, 1000).await.unwrap();
        let refused = events.iter().filter(|e| e.event.action == "auth.key" && e.event.result.starts_with("denied"));
        assert_eq!(refused.count(), 3);
        assert!(
            !events.iter().any(|e| e.event.target.as_deref().unwrap_or("").contains(&forged)),
            "keys are not logged"
        );
    })
    .await;
}

#[tokio::test]
async fn smaller_holes_are_closed() {
    common::on_both(async || {
        let t = spawn().await;
        // A known route with another method: 405 with Allow, not 403.
        let r = t.http.put(format!("{}/api/v1/catalog", t.base)).send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers().get("allow").unwrap(), "GET");
        // After sign-in, only this site's paths are followed.
        let own = penalty(1).uscc(common::COMPANY);
        assert_eq!(t.post_batch(json!({"item": "xzcf", "records": [own]})).await.0, 200);
        add_account(&t, "company", "subject").await;
        for (next, to) in [
            ("/\\evil.example", "/me"),
            ("//evil.example", "/me"),
            ("https://evil.example", "/me"),
            ("/search?q=a\r\nSet-Cookie: x=1", "/me"),
            ("/search?q=西宁", "/search?q=%E8%A5%BF%E5%AE%81"),
        ] {
            let r = t
                .http
                .post(format!("{}/sign-in", t.base))
                .form(&[("username", "company"), ("password", PASSWORD), ("totp", ""), ("next", next)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{next}");
            assert_eq!(r.headers().get("location").map(|l| l.to_str().unwrap()), Some(to), "{next}");
        }
        // A page form over its body limit is 413, as a JSON body is.
        let form = reqwest::multipart::Form::new()
            .text("reason", "理由")
            .part("evidence", reqwest::multipart::Part::bytes(vec![b'x'; 3 << 20]).file_name("a.pdf"));
        let r = t.http.post(format!("{}/report", t.base)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 413);
    })
    .await;
}

#[tokio::test]
async fn anonymous_filings_answer_a_challenge_and_are_limited_per_address() {
    common::on_both(async || {
        let t =
            spawn_with(Security { per_address: 0, per_key: 0, case_forms_per_hour: 3, ..Security::default() }).await;
        let report = |challenge: Value| {
            json!({
                "department": common::DEPT, "subject_name": "某某食品店", "content": "销售过期食品",
                "reporter": {"name": "王五", "phone": "0971-8888888"}, "challenge": challenge,
            })
        };
        let post = |body: Value| send(&t, &Auth::None, Method::POST, "/api/v1/reports", Some(body));
        let r = post(report(Value::Null)).await;
        assert_eq!((r.status, r.code()), (422, "challenge_required"), "{}", r.body);
        let c = t.get_json("/api/v1/challenge").await;
        assert!(c["image"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
        let right = t.app.challenges.solve(c["token"].as_str().unwrap()).unwrap();
        let wrong = json!({"token": c["token"], "answer": (right + 1).to_string()});
        assert_eq!(post(report(wrong)).await.code(), "challenge_failed");
        let solved = json!({"token": c["token"], "answer": right.to_string()});
        assert_eq!(post(report(solved.clone())).await.status, 201);
        assert_eq!(post(report(solved)).await.code(), "challenge_failed", "a token is used once");
        for _ in 0..2 {
            assert_eq!(post(report(common::solved_challenge(&t).await)).await.status, 201);
        }
        let r = post(report(common::solved_challenge(&t).await)).await;
        assert_eq!((r.status, r.code()), (429, "rate_limited"), "three an hour from one address");
        // The form pages carry the challenge for visitors who are not signed in.
        let (_, _, page) = t.get("/report").await;
        assert!(page.contains("name=\"challenge_token\"") && page.contains("data:image/svg+xml;base64,"));
    })
    .await;
}

/// Behind a load balancer the nodes of a deployment share the challenges and the per-address limit: a challenge
/// shown by one node is answered on another, used once on all of them, and the limit counts filings on every node.
#[tokio::test]
async fn challenges_and_filing_limits_hold_across_nodes() {
    common::BACKEND
        .scope(common::Backend::Postgres, async {
            let a = spawn_with(Security { per_address: 0, per_key: 0, case_forms_per_hour: 3, ..Security::default() })
                .await;
            let b = common::another_node(&a).await;
            let report = |challenge: Value| {
                json!({
                    "department": common::DEPT, "subject_name": "某某食品店", "content": "销售过期食品",
                    "reporter": {"name": "王五", "phone": "0971-8888888"}, "challenge": challenge,
                })
            };
            let post = |t: &'static str, body: Value| {
                let node = if t == "a" { &a } else { &b };
                send(node, &Auth::None, Method::POST, "/api/v1/reports", Some(body))
            };
            let c = a.get_json("/api/v1/challenge").await;
            let right = a.app.challenges.solve(c["token"].as_str().unwrap()).unwrap();
            assert_eq!(b.app.challenges.solve(c["token"].as_str().unwrap()), Some(right), "one key for all nodes");
            let solved = json!({"token": c["token"], "answer": right.to_string()});
            let r = post("b", report(solved.clone())).await;
            assert_eq!(r.status, 201, "shown on A, answered on B: {}", r.body);
            assert_eq!(post("a", report(solved)).await.code(), "challenge_failed", "used up on every node");
            assert_eq!(post("a", report(common::solved_challenge(&b).await)).await.status, 201);
            assert_eq!(post("b", report(common::solved_challenge(&a).await)).await.status, 201);
            let r = post("a", report(common::solved_challenge(&a).await)).await;
            assert_eq!((r.status, r.code()), (429, "rate_limited"), "three an hour from one address, on both nodes");
        })
        .await;
}

#[tokio::test]
async fn the_upload_form_carries_its_csrf_token_in_the_body_not_the_url() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "wangwu", "submitter").await;
        let Auth::Session { cookie, csrf } = sign_in(&t, "wangwu").await else { unreachable!() };
        let page = t.http.get(format!("{}/console/upload", t.base)).header("cookie", &cookie).send().await.unwrap();
        let html = page.text().await.unwrap();
        assert!(!html.contains("?csrf="), "no token in a URL");
        assert!(html.contains("name=\"csrf\""));
        let csv = "CF_XDR_MC,CF_WSH\n甲公司,1\n";
        let form = |with: Option<&str>| {
            let mut f = reqwest::multipart::Form::new();
            if let Some(token) = with {
                f = f.text("csrf", token.to_string());
            }
            f.text("item", "xzcf")
                .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("a.csv"))
        };
        let post = |f: reqwest::multipart::Form| {
            t.http.post(format!("{}/console/upload", t.base)).header("cookie", &cookie).multipart(f).send()
        };
        assert_eq!(post(form(None)).await.unwrap().status(), 403);
        assert_eq!(post(form(Some("0"))).await.unwrap().status(), 403);
        let ok = post(form(Some(&csrf))).await.unwrap();
        assert_eq!(ok.status(), 200);
        assert!(ok.text().await.unwrap().contains("处理报告"), "the batch was processed");
    })
    .await;
}

/// Issue 16: keys and departments are answered from memory on each node ([`credo_app::directory`]), and a change
/// holds for the next request on every node: a key issued on one node works on another at once; a scene taken away
/// and a revoked key are refused there at once. (SQLite: one node, the same rules; PostgreSQL: two nodes.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_and_permission_changes_hold_on_the_next_request_on_every_node() {
    common::on_both(async || {
        let a = spawn().await;
        let other = if a.store_url.is_some() { Some(common::another_node(&a).await) } else { None };
        let b = other.as_ref().unwrap_or(&a);
        // B polls the feed as a server does.
        tokio::spawn(credo_app::directory::Directory::follow(b.app.clone()));
        let check = async |key: &str| {
            let r = b
                .http
                .post(format!("{}/api/v1/checks", b.base))
                .bearer_auth(key)
                .json(&json!({"scene": "zfcg", "purpose": "资格审查", "subjects": ["91630100MA7X00018G"]}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body["code"].as_str().map(str::to_string))
        };
        // Warm B's directory with the submit key, then issue a check key on A and use it on B at once.
        assert_eq!(check(&b.key).await.0, 403, "the submit key may not check");
        let (key, stored) =
            credo_app::admin::issue_key(&a.app, common::DEPT, &["check".into()], 30, Default::default(), "test", None)
                .await
                .unwrap();
        assert_eq!(check(&key).await, (200, None), "issued on A, accepted on B");

        let mut permissions = credo_app::admin::department(&a.app, common::DEPT, None).await.unwrap().permissions;
        permissions.scenes.retain(|s| s != "zfcg");
        credo_app::admin::set_permissions(&a.app, common::DEPT, &permissions, None).await.unwrap();
        assert_eq!(check(&key).await, (403, Some("scene_not_permitted".into())), "the scene taken away on A");

        let started = Instant::now();
        credo_app::admin::revoke_key(&a.app, &stored.prefix, None).await.unwrap();
        assert!(started.elapsed() >= credo_app::directory::LEASE, "the revoking call waits out the lease");
        assert_eq!(check(&key).await, (401, Some("unauthorized".into())), "revoked on A, refused on B at once");
    })
    .await;
}
