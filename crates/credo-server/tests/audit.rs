//! Tampering with the stored audit trail is detected and the first bad event is named.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_gm::chain::ChainError;
use credo_server::audit::{AuditError, verify};
use credo_store::{AuditEvent, SqliteStore, Store, Vault};

fn event(n: usize) -> AuditEvent {
    AuditEvent {
        actor: format!("user{n}"),
        role: "operator".into(),
        department: Some("11630100MB174225XT".into()),
        action: "subject.read".into(),
        target: Some(format!("subject:{n}")),
        purpose: Some("核查".into()),
        result: "ok".into(),
        client: Some("127.0.0.1".into()),
    }
}

async fn trail() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(&credo_gm::keyring::Keyring::generate(), []).unwrap();
    let store = SqliteStore::open(dir.path(), std::sync::Arc::new(vault)).await.unwrap();
    for n in 1..=5 {
        assert_eq!(store.append_audit(&event(n)).await.unwrap(), n as i64);
    }
    (dir, store)
}

async fn check(store: &SqliteStore) -> Result<i64, AuditError> {
    let (seq, hash) = store.audit_head().await.unwrap();
    verify(store, (seq, &hash)).await
}

async fn exec(store: &SqliteStore, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(store.pool()).await.unwrap();
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    let (_d, store) = trail().await;
    assert_eq!(check(&store).await.unwrap(), 5);
}

#[tokio::test]
async fn a_changed_event_is_named() {
    let (_d, store) = trail().await;
    exec(&store, "UPDATE audit_events SET target = 'subject:99' WHERE seq = 3").await;
    let e = check(&store).await.unwrap_err();
    assert!(matches!(e, AuditError::Chain(ChainError::Changed { seq: 3 })), "{e}");
    assert_eq!(e.seq(), Some(3));
}

#[tokio::test]
async fn a_removed_event_is_named() {
    let (_d, store) = trail().await;
    exec(&store, "DELETE FROM audit_events WHERE seq = 3").await;
    let e = check(&store).await.unwrap_err();
    assert!(matches!(e, AuditError::Chain(ChainError::Broken { seq: 4, after: 2 })), "{e}");
}

#[tokio::test]
async fn reordered_events_are_named() {
    let (_d, store) = trail().await;
    // Swap the contents of events 2 and 3 (everything but their position).
    exec(&store, "UPDATE audit_events SET seq = -2 WHERE seq = 2").await;
    exec(&store, "UPDATE audit_events SET seq = 2 WHERE seq = 3").await;
    exec(&store, "UPDATE audit_events SET seq = 3 WHERE seq = -2").await;
    let e = check(&store).await.unwrap_err();
    assert_eq!(e.seq(), Some(2), "{e}");
}

#[tokio::test]
async fn a_cut_tail_is_noticed() {
    let (_d, store) = trail().await;
    exec(&store, "DELETE FROM audit_events WHERE seq = 5").await;
    let e = check(&store).await.unwrap_err();
    assert!(matches!(e, AuditError::Tail { head: 5, last: 4 }), "{e}");
}
