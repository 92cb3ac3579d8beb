//! A server node reading from a PostgreSQL streaming replica: writes go to the primary, the change feed's
//! followers and the public pages read from a `pg_basebackup` standby, both started by the test on loopback ports.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::time::{Duration, Instant};

use credo_app::{App, Clock};
use credo_store::{NewDepartment, Permissions};
use serde_json::{Value, json};
use sqlx::Connection as _;
use time::macros::date;

const DEPT: &str = "11630100MB174225XT";

async fn scalar_on(url: &str, sql: &'static str) -> i64 {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reads_the_feed_and_public_pages_from_a_streaming_standby() {
    let (primary, standby) = credo_pgtest::replicated();
    let url = credo_pgtest::database_on(primary).await;
    credo_store::PgStore::migrate_database(&url).await.unwrap();
    let name = url.rsplit('/').next().unwrap().to_string();
    let replica = credo_pgtest::with_database(standby, &name);
    // The new database and its schema reach the standby by replication.
    let started = Instant::now();
    while sqlx::PgConnection::connect(&replica).await.is_err()
        || !credo_store::PgStore::connect_only(&replica, dummy_vault())
            .await
            .unwrap()
            .pending_migrations()
            .await
            .unwrap()
            .is_empty()
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the standby never got the database");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(scalar_on(&replica, "SELECT pg_is_in_recovery()::int::int8").await, 1, "a standby");

    let dir = tempfile::tempdir().unwrap();
    let app =
        App::open_with(dir.path(), Some(&url), credo_domain::embedded::catalog(), Clock::manual(date!(2026 - 11 - 25)))
            .await
            .unwrap()
            .with_read_store(&replica)
            .await
            .unwrap();
    let dept = app
        .store
        .add_department(NewDepartment {
            uscc: DEPT.into(),
            name: "西宁市市场监督管理局".into(),
            region: Some("630100".into()),
            created_by: "test".into(),
            permissions: Permissions {
                items: vec!["xzcf".into()],
                scenes: vec![],
                disclosure: vec!["公开".into()],
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let (key, _) =
        credo_app::keys::create(app.store.as_ref(), &dept, vec!["submit".into()], None, "test").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(credo_server::serve(listener, app.clone()));
    tokio::spawn(credo_app::feed::follow(app.clone()));
    let http = reqwest::Client::new();

    let penalty = credo_synth::builders::Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
        .number("宁市监罚〔2026〕5号")
        .decided("2026/11/01")
        .department("西宁市市场监督管理局", DEPT);
    let r = http
        .post(format!("{base}/api/v1/batches"))
        .bearer_auth(&key)
        .json(&json!({ "item": "xzcf", "records": [penalty.json()] }))
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    let accepted = Instant::now();
    let mut seen = None;
    while accepted.elapsed() < Duration::from_secs(10) {
        let found: Value = http
            .get(format!("{base}/api/v1/subjects?q=91630100MA7X00018G"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if found["count"] == 1 {
            seen = Some(accepted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let seen = seen.expect("the node never indexed what it wrote through the replica");
    eprintln!("written on the primary, searchable through the standby after {seen:?}");
    assert!(seen < Duration::from_secs(2), "{seen:?}");
    let page = http.get(format!("{base}/api/v1/subjects/91630100MA7X00018G")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // The node's reads are on the standby: its connections are there, and the standby refuses writes.
    assert!(scalar_on(&replica, "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'credo'").await > 0);
    assert!(
        app.reader
            .add_department(NewDepartment {
                uscc: "11630100MB1742000X".into(),
                name: "不应写入".into(),
                region: None,
                created_by: "test".into(),
                permissions: Permissions::default(),
            })
            .await
            .is_err(),
        "a standby takes no writes"
    );
}

fn dummy_vault() -> std::sync::Arc<credo_store::Vault> {
    std::sync::Arc::new(credo_store::Vault::new(&credo_gm::keyring::Keyring::generate(), Vec::new()).unwrap())
}
