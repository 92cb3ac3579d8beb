//! Tampering with the stored audit trail is detected and the first bad event is named: also a chain recomputed
//! by someone who can write the database but lacks the keyring, and events deleted with the head rewound.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_app::audit::{AuditError, anchor_path, archive, checkpoint, read_anchor, verify};
use credo_app::{App, Clock};
use credo_gm::chain::ChainError;
use credo_store::{AuditEvent, StoredAuditEvent};

mod common;

thread_local! {
    /// The PostgreSQL database of the current story's trail (`None`: SQLite in its data directory).
    static URL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn url() -> Option<String> {
    URL.with(|u| u.borrow().clone())
}

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
    let url = common::new_store().await;
    URL.with(|u| *u.borrow_mut() = url.clone());
    let app =
        App::open_with(dir.path(), url.as_deref(), credo_domain::embedded::catalog(), Clock::System).await.unwrap();
    for n in 1..=5 {
        assert_eq!(app.store.append_audit(&event(n)).await.unwrap(), n as i64);
    }
    (dir, app)
}

async fn check(app: &App) -> Result<i64, AuditError> {
    verify(app).await.map(|v| v.events)
}

/// Runs `sql` on the trail's store behind the platform's back, as someone with write access to the database would.
async fn exec(app: &App, sql: &str) {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match url() {
        Some(url) => {
            sqlx::query(sql).execute(&mut sqlx::PgConnection::connect(&url).await.unwrap()).await.unwrap();
        }
        None => {
            let db = format!("sqlite://{}/credo.sqlite", app.data_dir.display());
            sqlx::query(sql).execute(&mut sqlx::SqliteConnection::connect(&db).await.unwrap()).await.unwrap();
        }
    }
}

/// What an attacker with write access to the database would do after changing events: recompute every hash (with
/// `link`: plain SM3, or HMAC-SM3 under a key they guessed) and the head, so that the chain is consistent again.
/// With the platform's own key it stands for the platform writing events as they were at another time.
async fn rechain(app: &App, link: impl Fn(&str, &[u8]) -> String) {
    let events = app.store.audit_after(0, 1000).await.unwrap();
    let mut prev = credo_gm::chain::GENESIS.to_string();
    for e in &events {
        let hash = link(&prev, &StoredAuditEvent::content(e.seq, &e.at, &e.event));
        exec(app, &format!("UPDATE audit_events SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}", e.seq))
            .await;
        prev = hash;
    }
    exec(app, &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1")).await;
}

fn keyed(app: &App) -> impl Fn(&str, &[u8]) -> String + '_ {
    |prev: &str, content: &[u8]| app.vault.audit_link(prev, content)
}

fn plain_sm3(prev: &str, content: &[u8]) -> String {
    credo_gm::chain::link_unkeyed(prev, content)
}

fn wrong_key(prev: &str, content: &[u8]) -> String {
    credo_gm::chain::link(&[7u8; 32], prev, content)
}

async fn append(app: &App, ns: std::ops::RangeInclusive<usize>) {
    for n in ns {
        app.store.append_audit(&event(n)).await.unwrap();
    }
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        let v = verify(&app).await.unwrap();
        assert_eq!((v.events, v.checkpoints, v.anchored, v.unanchored), (5, 0, 0, 5), "nothing anchored yet is fine");
        let c = checkpoint(&app).await.unwrap().unwrap();
        assert!(checkpoint(&app).await.unwrap().is_none(), "the head did not move");
        append(&app, 6..=7).await;
        let v = verify(&app).await.unwrap();
        assert_eq!((v.events, v.checkpoints, v.anchored, v.unanchored), (7, 1, 1, 2));
        // The checkpoint is also a line of the anchor file, outside the database.
        let file = anchor_path(&app.data_dir);
        assert_eq!(file, app.data_dir.join("audit-anchor.jsonl"));
        assert_eq!(read_anchor(&file).unwrap(), vec![c.clone()]);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{}\n", serde_json::to_string(&c).unwrap()));
        let report = credo_app::audit::report(&app).await.unwrap();
        assert_eq!((report["intact"].as_bool(), report["not_yet_anchored"].as_i64()), (Some(true), Some(2)));
    })
    .await;
}

#[tokio::test]
async fn a_changed_event_is_named() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        exec(&app, "UPDATE audit_events SET target = 'subject:99' WHERE seq = 3").await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Chain(ChainError::Changed { seq: 3 })), "{e}");
        assert_eq!(e.seq(), Some(3));
    })
    .await;
}

#[tokio::test]
async fn a_removed_event_is_named() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        exec(&app, "DELETE FROM audit_events WHERE seq = 3").await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Chain(ChainError::Broken { seq: 4, after: 2 })), "{e}");
    })
    .await;
}

#[tokio::test]
async fn reordered_events_are_named() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        // Swap the contents of events 2 and 3 (everything but their position).
        exec(&app, "UPDATE audit_events SET seq = -2 WHERE seq = 2").await;
        exec(&app, "UPDATE audit_events SET seq = 2 WHERE seq = 3").await;
        exec(&app, "UPDATE audit_events SET seq = 3 WHERE seq = -2").await;
        let e = check(&app).await.unwrap_err();
        assert_eq!(e.seq(), Some(2), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_cut_tail_is_noticed() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        exec(&app, "DELETE FROM audit_events WHERE seq = 5").await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Tail { head: 5, last: 4 }), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_the_signed_checkpoint() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        let c = checkpoint(&app).await.unwrap().unwrap();
        assert_eq!(c.seq, 5);
        assert_eq!(check(&app).await.unwrap(), 5);
        // Even with the chain key (a stolen keyring), the SM2 checkpoint catches a consistently rewritten chain.
        exec(&app, "UPDATE audit_events SET result = 'ok' , actor = 'someone-else' WHERE seq = 2").await;
        rechain(&app, keyed(&app)).await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Checkpoint { seq: 5, .. }), "{e}");
        // Deleting the database's checkpoints does not help: the anchor file still holds one.
        exec(&app, "DELETE FROM audit_checkpoints").await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Checkpoint { seq: 5, .. }), "{e}");
        assert!(e.to_string().contains("锚定文件中有而数据库中没有"), "{e}");
    })
    .await;
}

/// Finding 5 (a): delete the checkpoints, change an event and recompute the chain without the keyring.
#[tokio::test]
async fn a_chain_recomputed_without_the_key_does_not_verify() {
    common::on_both(async || {
        for (how, link) in [("plain SM3", plain_sm3 as fn(&str, &[u8]) -> String), ("a wrong key", wrong_key)] {
            let (_d, app) = trail().await;
            checkpoint(&app).await.unwrap().unwrap();
            exec(&app, "DELETE FROM audit_checkpoints").await;
            exec(&app, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2").await;
            rechain(&app, link).await;
            let e = check(&app).await.unwrap_err();
            assert!(matches!(e, AuditError::Chain(ChainError::Changed { seq: 1 })), "{how}: {e}");
            // The key alone suffices: without the anchor file (lost, or never kept) the rewrite still fails.
            std::fs::remove_file(anchor_path(&app.data_dir)).unwrap();
            let e = check(&app).await.unwrap_err();
            assert!(matches!(e, AuditError::Chain(ChainError::Changed { seq: 1 })), "{how}: {e}");
            let report = credo_app::audit::report(&app).await.unwrap();
            assert_eq!((report["intact"].as_bool(), report["first_bad_event"].as_i64()), (Some(false), Some(1)));
        }
    })
    .await;
}

/// Finding 5 (b): delete the events after a checkpoint, with the database's checkpoints, and rewind the head.
#[tokio::test]
async fn a_deleted_tail_with_a_rewound_head_is_caught_by_the_anchor() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        checkpoint(&app).await.unwrap().unwrap();
        append(&app, 6..=7).await;
        assert_eq!(checkpoint(&app).await.unwrap().unwrap().seq, 7);
        append(&app, 8..=9).await;
        let v = verify(&app).await.unwrap();
        assert_eq!((v.events, v.anchored, v.unanchored), (9, 2, 2));

        let fifth = app.store.audit_after(4, 1).await.unwrap().remove(0);
        exec(&app, "DELETE FROM audit_events WHERE seq > 5").await;
        exec(&app, "DELETE FROM audit_checkpoints WHERE seq > 5").await;
        exec(&app, &format!("UPDATE audit_head SET seq = 5, hash = '{}' WHERE id = 1", fifth.hash)).await;
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Rewound { seq: 7, head: 5 }), "{e}");
        assert_eq!(e.seq(), Some(6), "the first deleted event is named");
    })
    .await;
}

/// The one change the trail cannot show: events after the last anchored checkpoint deleted and the head rewound to
/// it. Until then they are counted as not yet anchored; the server anchors every ten minutes and at shutdown.
#[tokio::test]
async fn only_the_unanchored_tail_can_be_dropped_unnoticed() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        checkpoint(&app).await.unwrap().unwrap();
        append(&app, 6..=7).await;
        assert_eq!(verify(&app).await.unwrap().unanchored, 2);
        let fifth = app.store.audit_after(4, 1).await.unwrap().remove(0);
        exec(&app, "DELETE FROM audit_events WHERE seq > 5").await;
        exec(&app, &format!("UPDATE audit_head SET seq = 5, hash = '{}' WHERE id = 1", fifth.hash)).await;
        let v = verify(&app).await.unwrap();
        assert_eq!((v.events, v.unanchored), (5, 0));
        // Changing an unanchored event instead, without the key, is caught.
        append(&app, 6..=7).await;
        exec(&app, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 7").await;
        assert!(matches!(check(&app).await.unwrap_err(), AuditError::Chain(ChainError::Changed { seq: 7 })));
    })
    .await;
}

/// A data directory from before keyed links: its keyring gains the audit key on opening, the events already
/// written keep their plain SM3 links and still verify, and the keyed events after them protect them too.
#[tokio::test]
async fn a_trail_from_before_keyed_links_still_verifies() {
    common::on_both(async || {
        let (dir, app) = trail().await;
        rechain(&app, plain_sm3).await;
        drop(app);
        let ring_path = credo_app::keyring_path(dir.path());
        let mut ring: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&ring_path).unwrap()).unwrap();
        ring.as_object_mut().unwrap().remove("audit");
        ring.as_object_mut().unwrap().remove("audit_from");
        std::fs::write(&ring_path, ring.to_string()).unwrap();

        let app = App::open_with(dir.path(), url().as_deref(), credo_domain::embedded::catalog(), Clock::System)
            .await
            .unwrap();
        assert_eq!(app.audit_from, 6, "keyed links start after the head");
        append(&app, 6..=7).await;
        assert_eq!(check(&app).await.unwrap(), 7);
        drop(app);
        let app = App::open_with(dir.path(), url().as_deref(), credo_domain::embedded::catalog(), Clock::System)
            .await
            .unwrap();
        assert_eq!(app.audit_from, 6, "recorded in the keyring once");
        assert_eq!(check(&app).await.unwrap(), 7);

        // Rewriting a plain event (and the plain links after it) breaks the first keyed link.
        exec(&app, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2").await;
        let mut prev = app.store.audit_after(0, 1).await.unwrap().remove(0).hash;
        for e in app.store.audit_after(1, 4).await.unwrap() {
            let hash = plain_sm3(&prev, &StoredAuditEvent::content(e.seq, &e.at, &e.event));
            exec(&app, &format!("UPDATE audit_events SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}", e.seq))
                .await;
            prev = hash;
        }
        let e = check(&app).await.unwrap_err();
        assert!(matches!(e, AuditError::Chain(ChainError::Broken { seq: 6, after: 5 })), "{e}");
    })
    .await;
}

#[tokio::test]
async fn old_events_are_archived_to_a_file_and_still_verify() {
    common::on_both(async || {
        let (_d, app) = trail().await;
        assert!(archive(&app, 30).await.is_err(), "less than 180 days is refused");
        assert!(archive(&app, 180).await.unwrap().is_none(), "nothing is old yet");
        // Age the first three events by a year (rechained, as if they had been written then).
        exec(&app, "UPDATE audit_events SET at = '2025-11-01T00:00:00Z' WHERE seq <= 3").await;
        rechain(&app, keyed(&app)).await;
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
    })
    .await;
}
