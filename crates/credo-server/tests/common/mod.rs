//! A real server on a fresh data directory, shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_app::accounts::{self, AccountRequest};
use credo_app::{App, Clock, Security};
use credo_store::{NewDepartment, Permissions};
use reqwest::Method;
use serde_json::{Value, json};
use time::macros::date;

pub mod fuzz;

pub const DEPT: &str = "11630100MB174225XT";
pub const PASSWORD: &str = "Xn-2026-credit!";
pub const COMPANY: &str = "91630100MA7X00018G";

/// The store a story runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In the data directory (the embedded default).
    Sqlite,
    /// A fresh database on the test cluster ([`credo_pgtest`]).
    Postgres,
}

tokio::task_local! {
    /// The store of the story being run ([`on_both`]); SQLite outside one.
    pub static BACKEND: Backend;
}

/// Runs `story` twice: on SQLite, then on PostgreSQL (the servers it spawns open that store). A failure's output
/// names the store it failed on.
pub async fn on_both(story: impl AsyncFn()) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        eprintln!("—— store: {backend:?}");
        BACKEND.scope(backend, story()).await;
    }
}

/// The store the current story runs on.
pub fn backend() -> Backend {
    BACKEND.try_with(|b| *b).unwrap_or(Backend::Sqlite)
}

/// Where a new server's store is (`None`: SQLite in its data directory): on PostgreSQL a fresh database, migrated.
pub async fn new_store() -> Option<String> {
    match backend() {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let url = credo_pgtest::database().await;
            credo_store::PgStore::migrate_database(&url).await.unwrap();
            Some(url)
        }
    }
}

/// The SQLite store of a test server's data directory, opened a second time (as an earlier version, or another
/// process, would), with the vault and keyring it seals with.
pub async fn sqlite_store(
    t: &TestApp,
    catalog: &credo_domain::catalog::Catalog,
) -> (credo_store::SqliteStore, std::sync::Arc<credo_store::Vault>, credo_gm::keyring::Keyring) {
    assert!(t.store_url.is_none(), "a test of the SQLite files runs on SQLite only");
    let ring = credo_gm::keyring::Keyring::load_or_create(&credo_app::keyring_path(t._dir.path())).unwrap();
    let vault = std::sync::Arc::new(credo_store::Vault::new(&ring, catalog.sensitive_fields()).unwrap());
    (credo_store::SqliteStore::open(t._dir.path(), vault.clone()).await.unwrap(), vault, ring)
}

/// The first column of what `sql` selects, as text, from a test server's store (SQLite or PostgreSQL).
pub async fn select_texts(t: &TestApp, sql: &str) -> Vec<Option<String>> {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &t.store_url {
        Some(url) => sqlx::query_scalar(sql).fetch_all(&mut sqlx::PgConnection::connect(url).await.unwrap()).await,
        None => {
            sqlx::query_scalar(sql).fetch_all(&mut sqlx::SqliteConnection::connect(&sqlite_url(t)).await.unwrap()).await
        }
    }
    .unwrap()
}

/// Runs `sql` on a test server's store behind the platform's back (SQLite or PostgreSQL); returns the rows changed.
pub async fn execute(t: &TestApp, sql: &str) -> u64 {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match &t.store_url {
        Some(url) => sqlx::query(sql)
            .execute(&mut sqlx::PgConnection::connect(url).await.unwrap())
            .await
            .unwrap()
            .rows_affected(),
        None => sqlx::query(sql)
            .execute(&mut sqlx::SqliteConnection::connect(&sqlite_url(t)).await.unwrap())
            .await
            .unwrap()
            .rows_affected(),
    }
}

fn sqlite_url(t: &TestApp) -> String {
    format!("sqlite://{}", t._dir.path().join("credo.sqlite").display())
}

pub struct TestApp {
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL database, when the store is there.
    pub store_url: Option<String>,
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
    spawn_with_catalog(security, credo_domain::embedded::catalog()).await
}

/// A server whose catalog publishes natural persons' penalties: a deployment that has confirmed it may (the
/// embedded catalog, unconfirmed, keeps them to 政务共享). For tests of what a published person's record shows.
pub async fn spawn_publishing_persons() -> TestApp {
    let mut catalog = credo_domain::embedded::catalog();
    if let Some(item) = catalog.items.get_mut("xzcf") {
        item.disclosure_by_kind.clear();
    }
    spawn_with_catalog(Security { per_address: 0, per_key: 0, ..Security::default() }, catalog).await
}

pub async fn spawn_with_catalog(security: Security, catalog: credo_domain::catalog::Catalog) -> TestApp {
    spawn_configured(security, catalog, |_| None).await
}

/// A server whose sign-in page offers the 统一身份认证: `idp` gets the server's base URL (for the callback) and
/// names the provider.
pub async fn spawn_with_idp(idp: impl FnOnce(&str) -> Option<credo_app::idp::IdpConfig>) -> TestApp {
    let security = Security { per_address: 0, per_key: 0, ..Security::default() };
    spawn_configured(security, credo_domain::embedded::catalog(), idp).await
}

pub async fn spawn_configured(
    security: Security,
    catalog: credo_domain::catalog::Catalog,
    idp: impl FnOnce(&str) -> Option<credo_app::idp::IdpConfig>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store_url = new_store().await;
    let mut app =
        App::open_with(dir.path(), store_url.as_deref(), catalog, Clock::manual(date!(2026 - 11 - 25))).await.unwrap();
    if let Some(config) = idp(&base) {
        app = app.with_idp(config).unwrap();
    }
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
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let app = app.with_security(security);
    let (key, _) =
        credo_app::keys::create(app.store.as_ref(), &dept, vec!["submit".into()], None, "test").await.unwrap();
    let served = app.clone();
    tokio::spawn(async move { credo_server::serve(listener, served).await.unwrap() });
    // Redirects are not followed: a page that wants a sign-in says so with its 303.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { _dir: dir, store_url, base, key, app, http }
}

/// A second server over the same PostgreSQL store as `t` (another node of the deployment): its own data
/// directory and search index, the same keyring and security settings, the same key.
pub async fn another_node(t: &TestApp) -> TestApp {
    let url = t.store_url.clone().expect("nodes share a PostgreSQL store");
    let dir = tempfile::tempdir().unwrap();
    let ring = credo_app::keyring_path(dir.path());
    std::fs::create_dir_all(ring.parent().unwrap()).unwrap();
    std::fs::copy(credo_app::keyring_path(t._dir.path()), &ring).unwrap();
    let app = App::open_with(dir.path(), Some(&url), (*t.app.catalog).clone(), Clock::manual(date!(2026 - 11 - 25)))
        .await
        .unwrap()
        .with_security((*t.app.security).clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = app.clone();
    tokio::spawn(async move { credo_server::serve(listener, served).await.unwrap() });
    TestApp { _dir: dir, store_url: Some(url), base, key: t.key.clone(), app, http: t.http.clone() }
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

/// How a request is authenticated.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Key(String),
    Session { cookie: String, csrf: String },
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The problem's code: from problem+json, from an error page's `data-code`, or a page's redirect to sign in.
    pub fn code(&self) -> &str {
        if let Some(c) = self.body["code"].as_str() {
            return c;
        }
        if let Some(rest) = self.text.split("data-code=\"").nth(1) {
            return rest.split('"').next().unwrap_or("");
        }
        let location = self.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("");
        if self.status == 303 && location.starts_with("/sign-in") { "sign_in_required" } else { "" }
    }
}

pub async fn send(t: &TestApp, auth: &Auth, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut r = t.http.request(method, format!("{}{path}", t.base));
    match auth {
        Auth::None => {}
        Auth::Key(k) => r = r.bearer_auth(k),
        Auth::Session { cookie, csrf } => r = r.header("cookie", cookie).header("x-csrf-token", csrf),
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text, headers }
}

/// A page's form posted as a browser would: urlencoded fields after the session's CSRF token (the session's cookie,
/// no CSRF header). Redirects are not followed.
pub async fn form_post(t: &TestApp, auth: &Auth, path: &str, fields: &[(&str, &str)]) -> Reply {
    let Auth::Session { cookie, csrf } = auth else { panic!("a form needs a session") };
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let resp = t.http.post(format!("{}{path}", t.base)).header("cookie", cookie).form(&form).send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text, headers }
}

impl Reply {
    /// Where a 303 after a form leads.
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("")
    }
}

/// A challenge from `GET /api/v1/challenge` with its answer (which only the server's process can work out).
pub async fn solved_challenge(t: &TestApp) -> Value {
    let c = t.get_json("/api/v1/challenge").await;
    let token = c["token"].as_str().unwrap().to_string();
    let answer = t.app.challenges.solve(&token).unwrap();
    json!({ "token": token, "answer": answer.to_string() })
}

pub async fn add_account(t: &TestApp, username: &str, role: &str) {
    let (department, subject) = match role {
        "submitter" | "checker" | "handler" => (Some(DEPT.to_string()), None),
        "subject" => (None, Some(COMPANY.to_string())),
        _ => (None, None),
    };
    let req = AccountRequest {
        username: username.into(),
        // The name the pages show in their frame: in words (the browser test reads every page for English).
        name: format!("测试{}", credo_app::principal::Role::parse(role).map_or("账号", |r| r.label())),
        role: role.into(),
        department,
        subject,
        password: Some(PASSWORD.into()),
        region: None,
    };
    accounts::create(&t.app, req, "test").await.unwrap();
}

/// The current TOTP code of an account (read from the store, as the user's authenticator would show it).
pub async fn totp_now(t: &TestApp, username: &str) -> Option<String> {
    let a = t.app.store.account_by_username(username).await.unwrap().unwrap();
    let secret = hex::decode(a.totp_secret?).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    Some(credo_gm::totp::code_at(&secret, now).unwrap())
}

pub async fn sign_in_with(t: &TestApp, username: &str, password: &str, totp: Option<String>) -> Reply {
    send(
        t,
        &Auth::None,
        Method::POST,
        "/api/v1/session",
        Some(json!({"username": username, "password": password, "totp": totp})),
    )
    .await
}

pub async fn sign_in(t: &TestApp, username: &str) -> Auth {
    let totp = totp_now(t, username).await;
    let r = sign_in_with(t, username, PASSWORD, totp).await;
    assert_eq!(r.status, 200, "{username}: {}", r.body);
    let set = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    Auth::Session { cookie, csrf: r.body["csrf"].as_str().unwrap().to_string() }
}

/// Asserts that no file under the data directory (database, WAL, search index; not the keyring) holds any of
/// `needles` in plain text, nor, when the store is on PostgreSQL, any row of any of its tables; returns how many
/// bytes were read.
pub async fn assert_nowhere_in_data(t: &TestApp, needles: &[&str]) -> usize {
    let mut files = vec![t._dir.path().to_path_buf()];
    let mut seen = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "keys") {
                continue;
            }
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        seen += bytes.len();
        for needle in needles {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{} holds {needle}", path.display());
        }
    }
    if let Some(url) = &t.store_url {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert!(tables.len() > 20, "the store's tables: {tables:?}");
        for table in tables {
            let sql = format!("SELECT t::text FROM \"{table}\" t");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.unwrap();
            for row in rows {
                seen += row.len();
                for needle in needles {
                    assert!(!row.contains(needle), "table {table} holds {needle}");
                }
            }
        }
    }
    seen
}

/// The test OpenID provider (`tests/oidc`, oidc-provider under Node) as a child process, killed when dropped.
pub struct Provider {
    child: std::process::Child,
    pub issuer: String,
    _accounts: tempfile::NamedTempFile,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the test OpenID provider for client `credo` (public, PKCE) redirecting to `redirect`, with `accounts`
/// (JSON: sub, password, name and the credit claims). Installs its packages first if they are missing.
pub fn oidc_provider(redirect: &str, accounts: serde_json::Value) -> Provider {
    use std::io::BufRead;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    if !dir.join("node_modules").exists() {
        let ok = std::process::Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status();
        assert!(ok.is_ok_and(|s| s.success()), "npm ci in tests/oidc failed (Node and npm are needed)");
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), accounts.to_string()).unwrap();
    // A provider that has not said READY within the limit is killed and started again (a hung Node process would
    // otherwise hold the test forever).
    for _ in 0..3 {
        let mut child = std::process::Command::new("node")
            .arg(dir.join("provider.mjs"))
            .env("PORT", "0")
            .env("CLIENT_ID", "credo")
            .env("REDIRECT_URI", redirect)
            .env("ACCOUNTS", file.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node is needed for the 统一身份认证 tests");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => {
                let issuer = line
                    .trim()
                    .strip_prefix("READY ")
                    .unwrap_or_else(|| panic!("provider did not start: {line}"))
                    .into();
                return Provider { child, issuer, _accounts: file };
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    panic!("the OpenID provider did not start in three attempts of 30 s");
}
