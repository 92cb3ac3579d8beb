//! A real server on a fresh data directory, shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_server::{App, Clock, Security};
use credo_store::{NewDepartment, Permissions};
use serde_json::Value;
use time::macros::date;

pub const DEPT: &str = "11630100MB174225XT";

pub struct TestApp {
    pub _dir: tempfile::TempDir,
    pub base: String,
    pub key: String,
    pub app: App,
    pub http: reqwest::Client,
}

pub async fn spawn() -> TestApp {
    spawn_with(Security { per_address: 0, per_key: 0, ..Security::default() }).await
}

/// A server on a random port with `security`, one department (allowed to submit xzcf, xzxk and djzc and to check in
/// every scene) and its submit key.
pub async fn spawn_with(security: Security) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let app =
        App::open(dir.path(), credo_domain::embedded::catalog(), Clock::Fixed(date!(2026 - 11 - 25))).await.unwrap();
    let dept = app
        .store
        .add_department(NewDepartment {
            uscc: DEPT.into(),
            name: "西宁市市场监督管理局".into(),
            region: Some("630100".into()),
            created_by: "test".into(),
            permissions: Permissions {
                items: vec!["xzcf".into(), "xzxk".into(), "djzc".into()],
                scenes: ["zfcg", "ztb", "tdcr", "xzxk", "czzj", "pypx", "rzzg", "gxf", "jg"].map(String::from).to_vec(),
                disclosure: vec!["公开".into()],
            },
        })
        .await
        .unwrap();
    let app = app.with_security(security);
    let (key, _) =
        credo_server::keys::create(app.store.as_ref(), &dept, vec!["submit".into()], None, "test").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    tokio::spawn(async move { credo_server::serve(listener, served).await.unwrap() });
    TestApp { _dir: dir, base, key, app, http: reqwest::Client::new() }
}

impl TestApp {
    pub async fn post_batch(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/batches", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, String, String) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = r.status().as_u16();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, ct, r.text().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let (status, _, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}
