//! Tampering with the stored audit trail is detected and the first bad event is named.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_gm::chain::ChainError;
use credo_server::audit::{AuditError, archive, archive_dir, checkpoint, verify};
use credo_server::{App, Clock};
use credo_store::{AuditEvent, StoredAuditEvent};

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

async fn trail() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), credo_domain::embedded::catalog(), Clock::System).await.unwrap();
    for n in 1..=5 {
        assert_eq!(app.store.append_audit(&event(n)).await.unwrap(), n as i64);
    }
    (dir, app)
}

async fn check(app: &App) -> Result<i64, AuditError> {
    let trusted = app.signer.public_key_pem().unwrap();
    verify(app.store.as_ref(), &archive_dir(&app.data_dir), &trusted).await.map(|v| v.events)
}

async fn exec(app: &App, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&pool(app).await).await.unwrap();
}

async fn pool(app: &App) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}/credo.sqlite", app.data_dir.display())).await.unwrap()
}

/// What an attacker with write access to the database would do after changing events: recompute every hash and
/// the head so that the SM3 chain alone is consistent again.
async fn rechain(app: &App) {
    let db = pool(app).await;
    let events = app.store.audit_after(0, 1000).await.unwrap();
    let mut prev = credo_gm::chain::GENESIS.to_string();
    for e in &events {
        let hash = credo_gm::chain::link(&prev, &StoredAuditEvent::content(e.seq, &e.at, &e.event));
        sqlx::query("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?")
            .bind(&prev)
            .bind(&hash)
            .bind(e.seq)
            .execute(&db)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = ? WHERE id = 1").bind(&prev).execute(&db).await.unwrap();
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    let (_d, app) = trail().await;
    assert_eq!(check(&app).await.unwrap(), 5);
}

#[tokio::test]
async fn a_changed_event_is_named() {
    let (_d, app) = trail().await;
    exec(&app, "UPDATE audit_events SET target = 'subject:99' WHERE seq = 3").await;
    let e = check(&app).await.unwrap_err();
    assert!(matches!(e, AuditError::Chain(ChainError::Changed { seq: 3 })), "{e}");
    assert_eq!(e.seq(), Some(3));
}

#[tokio::test]
async fn a_removed_event_is_named() {
    let (_d, app) = trail().await;
    exec(&app, "DELETE FROM audit_events WHERE seq = 3").await;
    let e = check(&app).await.unwrap_err();
    assert!(matches!(e, AuditError::Chain(ChainError::Broken { seq: 4, after: 2 })), "{e}");
}

#[tokio::test]
async fn reordered_events_are_named() {
    let (_d, app) = trail().await;
    // Swap the contents of events 2 and 3 (everything but their position).
    exec(&app, "UPDATE audit_events SET seq = -2 WHERE seq = 2").await;
    exec(&app, "UPDATE audit_events SET seq = 2 WHERE seq = 3").await;
    exec(&app, "UPDATE audit_events SET seq = 3 WHERE seq = -2").await;
    let e = check(&app).await.unwrap_err();
    assert_eq!(e.seq(), Some(2), "{e}");
}

#[tokio::test]
async fn a_cut_tail_is_noticed() {
    let (_d, app) = trail().await;
    exec(&app, "DELETE FROM audit_events WHERE seq = 5").await;
    let e = check(&app).await.unwrap_err();
    assert!(matches!(e, AuditError::Tail { head: 5, last: 4 }), "{e}");
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_the_signed_checkpoint() {
    let (_d, app) = trail().await;
    let c = checkpoint(&app).await.unwrap().unwrap();
    assert_eq!(c.seq, 5);
    assert_eq!(check(&app).await.unwrap(), 5);
    exec(&app, "UPDATE audit_events SET result = 'ok' , actor = 'someone-else' WHERE seq = 2").await;
    rechain(&app).await;
    let e = check(&app).await.unwrap_err();
    assert!(matches!(e, AuditError::Checkpoint { seq: 5, .. }), "{e}");
    // Without the checkpoint the rewrite would have passed: the SM3 chain alone is consistent again.
    exec(&app, "DELETE FROM audit_checkpoints").await;
    assert_eq!(check(&app).await.unwrap(), 5);
}

#[tokio::test]
async fn old_events_are_archived_to_a_file_and_still_verify() {
    let (_d, app) = trail().await;
    assert!(archive(&app, 30).await.is_err(), "less than 180 days is refused");
    assert!(archive(&app, 180).await.unwrap().is_none(), "nothing is old yet");
    // Age the first three events by a year (rechained, as if they had been written then).
    exec(&app, "UPDATE audit_events SET at = '2025-11-01T00:00:00Z' WHERE seq <= 3").await;
    rechain(&app).await;
    let (file, n) = archive(&app, 180).await.unwrap().unwrap();
    assert_eq!(n, 3);
    assert_eq!(app.store.audit_after(0, 100).await.unwrap().len(), 2, "the live table keeps the rest");
    assert_eq!(check(&app).await.unwrap(), 5);
    // The archive is part of the chain: changing it is detected and named.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("user2", "userX", 1)).unwrap();
    let e = check(&app).await.unwrap_err();
    assert_eq!(e.seq(), Some(2), "{e}");
    // Removing the archive breaks the link to the live table.
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(check(&app).await.unwrap_err(), AuditError::Archive { .. }));
}
