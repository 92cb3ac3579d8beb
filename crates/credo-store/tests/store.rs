//! The `Store` contract, written against the trait so that every backend runs the same story
//! (SQLite here; the PostgreSQL store will run this file too).

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_store::{Incoming, NewAccount, NewApiKey, NewDepartment, Outcome, Permissions, SqliteStore, Store, Vault};
use credo_synth::builders::{DEPT, Penalty, Record, Registration};
use time::macros::date;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Box<dyn Store>,
    catalog: Catalog,
    dept: i64,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let catalog = credo_domain::embedded::catalog();
    let vault = Vault::new(&credo_gm::keyring::Keyring::generate(), catalog.sensitive_fields()).unwrap();
    let store: Box<dyn Store> = Box::new(SqliteStore::open(dir.path(), std::sync::Arc::new(vault)).await.unwrap());
    let d = store
        .add_department(NewDepartment {
            uscc: "11630100MB174225XT".into(),
            name: "市场监管局".into(),
            region: None,
            created_by: "test".into(),
            permissions: Permissions::default(),
        })
        .await
        .unwrap();
    Fixture { _dir: dir, store, catalog, dept: d.id }
}

impl Fixture {
    fn incoming(&self, row: usize, record: impl Into<Record>) -> Incoming {
        let raw: Record = record.into();
        let def = self.catalog.item(raw.item()).unwrap();
        let record = def.validate(&raw.raw(), &self.catalog.context(date!(2026 - 11 - 25))).unwrap();
        Incoming { row, record, extras: vec![], registration: def.registration }
    }

    async fn ingest(&self, rows: &[Incoming]) -> Vec<credo_store::IngestedRow> {
        let batch = self.store.open_batch(self.dept, &rows[0].record.item, "test", None).await.unwrap();
        self.store.ingest(batch, self.dept, rows).await.unwrap()
    }
}

/// A penalty of 市场监管局 on `name`, known by the code in `code_field` (its USCC or a legacy code).
fn penalty(name: &str, code_field: &str, code: &str, wsh: &str, fine: &str) -> Penalty {
    Penalty::named(name)
        .without("CF_FRDB")
        .set(code_field, code)
        .number(wsh)
        .conduct("违法")
        .facts("事实")
        .basis("依据")
        .fine(fine)
        .decided("2025-01-02")
        .valid_until("2099-12-31")
        .department("市场监管局", DEPT)
}

/// The registration of an individual business in 城东区, 存续.
fn shop(name: &str) -> Registration {
    Registration::of(name, "92630102MA7X000265")
        .kind("个体工商户")
        .founded("2015-03-01")
        .registrar("城东区市场监管局")
        .region("630102")
}

#[tokio::test]
async fn versions_are_appended_and_duplicates_skipped() {
    let f = fixture().await;
    let a = f.incoming(2, penalty("甲公司", "CF_XDR_SHXYM", "91630100MA7X00018G", "1号", "0.2"));
    let first = f.ingest(std::slice::from_ref(&a)).await;
    assert_eq!((first[0].outcome, first[0].version), (Outcome::Created, 1));
    let again = f.ingest(std::slice::from_ref(&a)).await;
    assert_eq!((again[0].outcome, again[0].record_id), (Outcome::Duplicate, first[0].record_id));
    let b = f.incoming(2, penalty("甲公司", "CF_XDR_SHXYM", "91630100MA7X00018G", "1号", "0.3"));
    // Within one chunk: a change and then the same change again.
    let out = f.ingest(&[b.clone(), b]).await;
    assert_eq!((out[0].outcome, out[0].version), (Outcome::Versioned, 2));
    assert_eq!(out[1].outcome, Outcome::Duplicate);
    let sid = first[0].subject_id.unwrap();
    let records = f.store.subject_records(sid).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].version, records[0].fields["CF_NR_FK"].as_str()), (2, "0.3"));
    // The feed: the department, the subject, version 1, version 2, in that order and strictly increasing.
    let feed = f.store.changes_after(0, 100).await.unwrap();
    let kinds: Vec<(&str, Option<i64>)> = feed.iter().map(|c| (c.entity.as_str(), c.version)).collect();
    assert_eq!(kinds, vec![("department", None), ("subject", None), ("record", Some(1)), ("record", Some(2))]);
    assert!(feed.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(f.store.last_seq().await.unwrap(), feed.last().unwrap().seq);
    assert_eq!(f.store.changes_after(feed[1].seq, 100).await.unwrap().len(), 2);
}

#[tokio::test]
async fn subjects_resolve_by_code_then_legacy_code_then_name() {
    let f = fixture().await;
    let with_legacy =
        penalty("西宁市甲商贸有限公司", "CF_XDR_SHXYM", "91630100MA7X00018G", "1号", "0.2").org_code("MA7X00018");
    let created = f.ingest(&[f.incoming(2, with_legacy)]).await;
    let sid = created[0].subject_id.unwrap();
    let s = f.store.subject(sid).await.unwrap().unwrap();
    assert_eq!(s.codes, vec!["91630100MA7X00018G".to_string(), "MA7X00018".to_string()]);

    let by_legacy = f.incoming(2, penalty("名称写法不同", "CF_XDR_ZZJG", "MA7X00018", "2号", "0.2"));
    let by_name = f.incoming(3, penalty("西宁市甲商贸有限公司", "CF_XDR_SWDJ", "630100MA7X0001X", "3号", "0.2"));
    let unknown = f.incoming(4, penalty("无此公司", "CF_XDR_SWDJ", "630100MA7X0002X", "4号", "0.2"));
    let out = f.ingest(&[by_legacy, by_name, unknown]).await;
    assert_eq!(out[0].subject_id, Some(sid), "legacy code");
    assert_eq!(out[1].subject_id, Some(sid), "normalised name");
    assert_eq!(out[2].subject_id, None, "waits in the queue");
    let queue = f.store.unresolved(None, 10, 0).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].id, out[2].record_id);
    assert_eq!(f.store.subject_by_code("MA7X00018").await.unwrap().unwrap().id, sid);
    assert_eq!(f.store.counts().await.unwrap().unresolved, 1);
}

#[tokio::test]
async fn registration_data_describes_the_subject() {
    let f = fixture().await;
    let reg = |name: &'static str, status: &'static str| f.incoming(2, shop(name).status(status));
    let out = f.ingest(&[reg("城东区马记牛肉面馆", "存续")]).await;
    let sid = out[0].subject_id.unwrap();
    let s = f.store.subject(sid).await.unwrap().unwrap();
    assert_eq!(
        (s.kind, s.status.as_deref(), s.region.as_deref()),
        (SubjectKind::IndividualBusiness, Some("存续"), Some("630102"))
    );
    assert_eq!(s.profile.unwrap()["DJ_MC"], "城东区马记牛肉面馆");
    f.ingest(&[reg("城东区马记清真牛肉面馆", "注销")]).await;
    let s = f.store.subject(sid).await.unwrap().unwrap();
    assert_eq!((s.name.as_str(), s.status.as_deref()), ("城东区马记清真牛肉面馆", Some("注销")));
    assert_eq!(f.store.subjects_by_ids(&[sid, 999]).await.unwrap().len(), 1);
}

/// A registration row renames its subject for the rows after it in the same chunk, as it would for a later chunk:
/// a row without a primary code finds the subject by its new name, not by its old one.
#[tokio::test]
async fn a_registration_row_renames_its_subject_for_the_rest_of_the_chunk() {
    let f = fixture().await;
    let reg = |name: &'static str| f.incoming(2, shop(name));
    let sid = f.ingest(&[reg("城东区马记牛肉面馆")]).await[0].subject_id.unwrap();
    let by_new_name = f.incoming(3, penalty("城东区马记清真牛肉面馆", "CF_XDR_SWDJ", "630100MA7X0003X", "1号", "0.2"));
    let by_old_name = f.incoming(4, penalty("城东区马记牛肉面馆", "CF_XDR_SWDJ", "630100MA7X0004X", "2号", "0.2"));
    let out = f.ingest(&[reg("城东区马记清真牛肉面馆"), by_new_name, by_old_name]).await;
    assert_eq!(out[0].subject_id, Some(sid));
    assert_eq!(out[1].subject_id, Some(sid), "the new name finds it");
    assert_eq!(out[2].subject_id, None, "the old name no longer does");
    assert_eq!(f.store.subject(sid).await.unwrap().unwrap().name, "城东区马记清真牛肉面馆");
}

#[tokio::test]
async fn departments_and_keys() {
    let f = fixture().await;
    let dup = f
        .store
        .add_department(NewDepartment {
            uscc: "11630100MB174225XT".into(),
            name: "x".into(),
            region: None,
            created_by: "t".into(),
            permissions: Permissions::default(),
        })
        .await;
    assert!(matches!(dup, Err(credo_store::StoreError::Conflict(_))));
    let k = f
        .store
        .add_api_key(NewApiKey {
            department_id: f.dept,
            prefix: "abcd1234".into(),
            hash: "hash".into(),
            scopes: vec!["submit".into(), "check".into()],
            expires_at: Some(time::macros::datetime!(2027-11-25 0:00 UTC)),
            created_by: "t".into(),
            purpose: None,
            daily_quota: None,
        })
        .await
        .unwrap();
    let stored = f.store.api_key("abcd1234").await.unwrap().unwrap();
    assert!(!stored.revoked);
    assert_eq!((stored.scopes.len(), stored.expires_at), (2, Some(time::macros::datetime!(2027-11-25 0:00 UTC))));
    assert_eq!(f.store.api_keys(f.dept).await.unwrap().len(), 1);
    let p = Permissions {
        items: vec!["xzcf".into()],
        scenes: vec!["zfcg".into()],
        disclosure: vec!["公开".into()],
        ..Default::default()
    };
    f.store.set_permissions(f.dept, &p).await.unwrap();
    assert_eq!(f.store.department_by_uscc("11630100MB174225XT").await.unwrap().unwrap().permissions, p);
    assert!(f.store.revoke_api_key(&k.prefix).await.unwrap());
    assert!(f.store.api_key("abcd1234").await.unwrap().unwrap().revoked);
    assert!(!f.store.revoke_api_key(&k.prefix).await.unwrap(), "already revoked");
}

#[tokio::test]
async fn accounts_lock_out_and_sessions() {
    let f = fixture().await;
    let new = |username: &str| NewAccount {
        username: username.into(),
        name: "张三".into(),
        role: "submitter".into(),
        department_id: Some(f.dept),
        subject_id: None,
        region: None,
        password_hash: "$argon2id$x".into(),
        totp_secret: Some("3132333435363738393031323334353637383930".into()),
        created_by: "t".into(),
    };
    let a = f.store.add_account(new("zhangsan")).await.unwrap();
    assert!(matches!(f.store.add_account(new("zhangsan")).await, Err(credo_store::StoreError::Conflict(_))));
    assert_eq!(a.totp_secret.as_deref(), Some("3132333435363738393031323334353637383930"), "opened on read");
    let now = time::macros::datetime!(2029-12-31 23:45 UTC);
    let until = time::macros::datetime!(2030-01-01 0:00 UTC);
    assert_eq!(f.store.login_attempt(a.id, now, 2, until).await.unwrap(), Some(1));
    assert_eq!(f.store.login_attempt(a.id, now, 2, until).await.unwrap(), Some(2), "the second try locks");
    let locked = f.store.account(a.id).await.unwrap().unwrap();
    assert_eq!((locked.failed_logins, locked.locked_until), (2, Some(until)));
    assert_eq!(f.store.login_attempt(a.id, now, 2, until).await.unwrap(), None, "locked: no try");
    let later = time::macros::datetime!(2030-01-01 0:00:01 UTC);
    assert_eq!(f.store.login_attempt(a.id, later, 2, later).await.unwrap(), Some(1), "a spent lock starts again");
    assert!(f.store.claim_totp_step(a.id, 7).await.unwrap());
    assert!(!f.store.claim_totp_step(a.id, 7).await.unwrap(), "a step works once");
    assert!(!f.store.claim_totp_step(a.id, 6).await.unwrap(), "an older step is a replay");
    f.store.login_succeeded(a.id, Some(7)).await.unwrap();
    let ok = f.store.account_by_username("zhangsan").await.unwrap().unwrap();
    assert_eq!((ok.failed_logins, ok.locked_until, ok.totp_last_step), (0, None, Some(7)));

    f.store.add_session("h1", a.id, Some("127.0.0.1")).await.unwrap();
    assert_eq!(f.store.session("h1").await.unwrap().unwrap().account_id, a.id);
    f.store.set_password(a.id, "$argon2id$y").await.unwrap();
    assert!(f.store.session("h1").await.unwrap().is_none(), "a new password ends sessions");
    f.store.add_session("h2", a.id, None).await.unwrap();
    f.store.set_disabled(a.id, true).await.unwrap();
    assert!(f.store.session("h2").await.unwrap().is_none(), "disabling ends sessions");
    assert!(f.store.account(a.id).await.unwrap().unwrap().disabled);
    f.store.set_disabled(a.id, false).await.unwrap();
    f.store.set_totp(a.id, None).await.unwrap();
    assert_eq!(f.store.accounts().await.unwrap()[0].totp_secret, None);
}
