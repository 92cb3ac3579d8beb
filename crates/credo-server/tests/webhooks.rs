//! Webhooks (issue 20): a department's subscription receives what it subscribed to, signed, at least once, through
//! a receiver on loopback that fails, times out and recovers; retries back off, a dead delivery can be sent again.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::{Auth, DEPT, TestApp, add_account, send, sign_in, spawn_with};
use credo_app::Security;
use credo_app::webhooks::{self, Backoff};
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    Fail,
    Slow,
}

/// A department's system on loopback: answers as `mode` says and keeps every request it acknowledged.
#[derive(Clone)]
struct Receiver {
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    tries: Arc<Mutex<usize>>,
    url: String,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let r = Receiver { mode: Arc::new(Mutex::new(Mode::Ok)), seen: Arc::default(), tries: Arc::default(), url };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    *state.tries.lock().unwrap() += 1;
                    let mode = *state.mode.lock().unwrap();
                    match mode {
                        Mode::Fail => StatusCode::SERVICE_UNAVAILABLE,
                        Mode::Slow => {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            StatusCode::OK
                        }
                        Mode::Ok => {
                            state.seen.lock().unwrap().push((headers, body));
                            StatusCode::NO_CONTENT
                        }
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn seen(&self) -> Vec<(HeaderMap, Value)> {
        self.seen.lock().unwrap().iter().map(|(h, b)| (h.clone(), serde_json::from_str(b).unwrap())).collect()
    }
}

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("WH{n:06}"))
}

fn penalty(n: u32) -> Value {
    json!(
        Penalty::of(format!("西宁推送{n}号商贸有限公司"), code(n))
            .number(format!("宁市监罚〔2026〕4{n:02}号"))
            .decided("2026-05-06")
            .published("2026-05-06")
    )
}

const QUICK: Backoff = Backoff {
    first: Duration::from_millis(1),
    max: Duration::from_millis(5),
    attempts: 3,
    timeout: Duration::from_millis(500),
};

async fn deliveries(t: &TestApp, auth: &Auth, hook: i64, state: &str) -> Vec<Value> {
    let r = send(t, auth, Method::GET, &format!("/api/v1/webhooks/{hook}/deliveries?state={state}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

/// Sends what is due, after the backoff's wait.
async fn round(t: &TestApp, sender: &webhooks::Sender) -> usize {
    tokio::time::sleep(Duration::from_millis(20)).await;
    webhooks::send_due(&t.app, sender, 100).await.unwrap()
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_acknowledged_at_least_once() {
    let t = spawn_with(Security { per_address: 0, per_key: 0, webhook_private: true, ..Security::default() }).await;
    t.app.clock.set(time::macros::date!(2026 - 05 - 06));
    let rx = Receiver::start().await;
    let sender = webhooks::Sender::new(QUICK);
    add_account(&t, "checker", "checker").await;
    let checker = sign_in(&t, "checker").await;

    // Bad addresses are refused before anything is stored.
    for url in [
        "ftp://example.org/x",
        "http://user:pw@example.org/x",
        "not a url",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ] {
        let r =
            send(&t, &checker, Method::POST, "/api/v1/webhooks", Some(json!({ "url": url, "items": ["xzcf"] }))).await;
        assert_eq!((r.status, r.code()), (400, "invalid_request"), "{url}: {}", r.text);
    }
    let r = send(&t, &checker, Method::POST, "/api/v1/webhooks", Some(json!({ "url": rx.url }))).await;
    assert_eq!(r.status, 400, "nothing subscribed to: {}", r.text);
    // A submitter may not subscribe; the public may not.
    add_account(&t, "submitter", "submitter").await;
    let submitter = sign_in(&t, "submitter").await;
    let body = json!({ "url": rx.url, "items": ["xzcf"], "checks": true });
    assert_eq!(send(&t, &submitter, Method::POST, "/api/v1/webhooks", Some(body.clone())).await.status, 403);
    assert_eq!(send(&t, &Auth::None, Method::POST, "/api/v1/webhooks", Some(body.clone())).await.status, 401);

    let r = send(&t, &checker, Method::POST, "/api/v1/webhooks", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (hook, secret) = (r.body["webhook"]["id"].as_i64().unwrap(), r.body["secret"].as_str().unwrap().to_string());
    assert!(!r.text.contains("sealed") && secret.len() == 64);
    // One by subject only: only that subject's changes.
    let r = send(&t, &checker, Method::POST, "/api/v1/webhooks", Some(json!({ "url": rx.url, "subjects": [code(2)] })))
        .await;
    assert_eq!(r.status, 404, "a subject not yet known: {}", r.text);

    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": [penalty(1), penalty(2)] })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    let r = send(&t, &checker, Method::POST, "/api/v1/webhooks", Some(json!({ "url": rx.url, "subjects": [code(2)] })))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let by_subject = r.body["webhook"]["id"].as_i64().unwrap();
    // It starts from now: the records before it are not sent to it. A new version of 2 is.
    let (status, _) = t
        .post_batch(json!({ "item": "xzcf", "records": [json!(Penalty::of("西宁推送2号商贸有限公司", code(2))
            .number("宁市监罚〔2026〕402号").decided("2026-05-06").published("2026-05-06").fine("3000"))] }))
        .await;
    assert_eq!(status, 200);

    assert_eq!(webhooks::collect(&t.app).await.unwrap(), 4, "1, 2 and 2's change by item; 2's change by subject");
    assert_eq!(webhooks::collect(&t.app).await.unwrap(), 0, "queued once");
    assert_eq!(deliveries(&t, &checker, by_subject, "pending").await.len(), 1);

    // The receiver fails: every delivery is failed, to be tried again.
    rx.set(Mode::Fail);
    assert_eq!(round(&t, &sender).await, 0);
    let failed = deliveries(&t, &checker, hook, "failed").await;
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|d| d["attempts"] == 1 && d["last_status"] == 503), "{failed:?}");
    // It does not answer in time.
    rx.set(Mode::Slow);
    assert_eq!(round(&t, &sender).await, 0);
    let failed = deliveries(&t, &checker, hook, "failed").await;
    assert!(
        failed.iter().all(|d| d["attempts"] == 2 && d["last_error"].as_str().unwrap().contains("超时")),
        "{failed:?}"
    );
    // It recovers: all four acknowledged.
    rx.set(Mode::Ok);
    assert_eq!(round(&t, &sender).await, 4);
    assert_eq!(round(&t, &sender).await, 0, "nothing is sent twice once acknowledged");
    let seen = rx.seen();
    assert_eq!(seen.len(), 4);
    for (headers, body) in &seen {
        let ts: i64 = headers["credo-timestamp"].to_str().unwrap().parse().unwrap();
        let raw = serde_json::to_string(body).unwrap();
        let key = if body["webhook"] == hook { secret.clone() } else { String::new() };
        if body["webhook"] == hook {
            assert_eq!(headers["credo-signature"].to_str().unwrap(), webhooks::signature(&key, ts, &raw));
            assert_ne!(headers["credo-signature"].to_str().unwrap(), webhooks::signature(&key, ts + 1, &raw));
        }
        assert_eq!(headers["idempotency-key"].to_str().unwrap(), body["id"].as_str().unwrap());
        assert_eq!(body["kind"], "record");
    }
    let names: Vec<&str> = seen
        .iter()
        .filter(|(_, b)| b["webhook"] == by_subject)
        .map(|(_, b)| b["event"]["data"]["subject"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["西宁推送2号商贸有限公司"]);

    // A delivery that keeps failing dies after its attempts, and is sent again on request, with the same key.
    let (status, _) = t.post_batch(json!({ "item": "xzcf", "records": [penalty(3)] })).await;
    assert_eq!(status, 200);
    assert_eq!(webhooks::collect(&t.app).await.unwrap(), 1);
    rx.set(Mode::Fail);
    for _ in 0..QUICK.attempts {
        round(&t, &sender).await;
    }
    let dead = deliveries(&t, &checker, hook, "dead").await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let metrics = t.http.get(format!("{}/metrics", t.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("credo_webhook_backlog{what=\"dead\"} 1"), "{metrics}");
    let id = dead[0]["id"].as_i64().unwrap();
    rx.set(Mode::Ok);
    assert_eq!(round(&t, &sender).await, 0, "the dead are not retried on their own");
    let r = send(&t, &checker, Method::POST, &format!("/api/v1/webhooks/deliveries/{id}/redeliver"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = send(&t, &checker, Method::POST, &format!("/api/v1/webhooks/deliveries/{id}/redeliver"), None).await;
    assert_eq!(again.status, 409, "a pending one is not queued twice");
    assert_eq!(round(&t, &sender).await, 1);
    assert_eq!(rx.seen().last().unwrap().1["id"], dead[0]["key"]);

    // The department's own check outcomes, with the signed receipt.
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let (key, _) =
        credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
    let check = json!({ "scene": "zfcg", "purpose": "测试核查", "subjects": [code(1)] });
    let r = send(&t, &Auth::Key(key), Method::POST, "/api/v1/checks", Some(check)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut sent = 0;
    for _ in 0..50 {
        sent += round(&t, &sender).await;
        if sent > 0 {
            break;
        }
    }
    assert_eq!(sent, 1);
    let last = rx.seen().last().unwrap().1.clone();
    assert_eq!(last["kind"], "check");
    assert_eq!(last["check"]["receipt"], r.body["receipt"], "the receipt the department was given: {last}");
    assert!(last["check"]["signature"].as_str().is_some_and(|s| !s.is_empty()));

    // The console shows the subscriptions and their deliveries; ending one stops it.
    let page =
        send(&t, &checker, Method::GET, &format!("/console/webhooks?webhook={hook}&state=delivered"), None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(&rx.url) && page.text.contains("已确认"), "{}", page.text);
    let r = send(&t, &checker, Method::DELETE, &format!("/api/v1/webhooks/{hook}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(send(&t, &checker, Method::DELETE, &format!("/api/v1/webhooks/{hook}"), None).await.status, 409);
}

#[tokio::test]
async fn another_department_cannot_see_or_touch_a_subscription() {
    let t = spawn_with(Security { per_address: 0, per_key: 0, webhook_private: true, ..Security::default() }).await;
    add_account(&t, "checker", "checker").await;
    let checker = sign_in(&t, "checker").await;
    let r = send(
        &t,
        &checker,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({ "url": "http://127.0.0.1:9/hook", "items": ["xzcf"] })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hook = r.body["webhook"]["id"].as_i64().unwrap();
    t.app
        .store
        .add_department(credo_store::NewDepartment {
            uscc: "11630102MB174225XP".into(),
            name: "西宁市城中区市场监督管理局".into(),
            region: Some("630103".into()),
            created_by: "test".into(),
            permissions: credo_store::Permissions::default(),
        })
        .await
        .unwrap();
    let req = credo_app::accounts::AccountRequest {
        username: "checker_b".into(),
        name: "城中区核查员".into(),
        role: "checker".into(),
        department: Some("11630102MB174225XP".into()),
        subject: None,
        password: Some(common::PASSWORD.into()),
        region: None,
    };
    credo_app::accounts::create(&t.app, req, "test").await.unwrap();
    let other = sign_in(&t, "checker_b").await;
    let list = send(&t, &other, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!((list.status, list.body.as_array().map(Vec::len)), (200, Some(0)));
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{hook}/deliveries")),
        (Method::DELETE, format!("/api/v1/webhooks/{hook}")),
    ] {
        assert_eq!(send(&t, &other, method, &path, None).await.status, 404, "{path}");
    }
}

#[test]
fn only_public_addresses_unless_allowed() {
    for url in [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
        "http://100.64.0.1/x",
    ] {
        assert!(webhooks::check_url(url, false).is_err(), "{url}");
        assert!(webhooks::check_url(url, true).is_ok(), "{url}");
    }
    assert!(webhooks::check_url("https://203.0.114.1/x", false).is_ok());
    assert!(webhooks::check_url("https://xxgk.xining.gov.cn/hook", false).is_ok());
}
