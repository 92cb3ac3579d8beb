//! The store contract: what every [`Store`] backend must do, method by method, written against the trait alone.
//!
//! Each contract is an `async fn NAME(b: Backend)` that gets a fresh, empty store. `contract_suite!(name, factory)`
//! (at the end of this file) turns every contract into a `#[tokio::test]` in `mod name`, so a backend joins the suite
//! with one line: SQLite and PostgreSQL (each has its arm in [`open`] and a factory). Two plain tests keep the suite whole:
//! `every_store_method_is_covered` (each method of the store traits in `src/` is called here) and
//! `every_contract_runs_on_every_backend` (each contract is in the macro's list).
//!
//! What is asserted is what callers may rely on: returns, errors (conflict, not found), idempotency, order, limits
//! and offsets, and atomicity where the method promises it (many tasks at once, released together). Times are the
//! store's own clock; nothing sleeps.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_domain::name::normalize_name;
use credo_domain::{embedded, ids};
use credo_gm::keyring::Keyring;
use credo_store::{
    Account, ApiKey, AuditEvent, AuditFilter, BatchSummary, CaseFilter, CaseUpdate, Change, Checkpoint, Counts,
    Department, Enrolment, EnrolmentDecision, Incoming, IngestedRow, NewAccount, NewApiKey, NewAuthorisation, NewCase,
    NewCaseFile, NewCheck, NewDepartment, NewEnrolment, NewReport, Outcome, PendingFeedback, Permissions, PgStore,
    RecordView, ReportLine, ReportQuota, SqliteStore, Store, StoreError, StoredAuditEvent, Vault,
};
use time::format_description::well_known::Rfc3339;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// The store as the contracts see it. When the trait is split (SubjectStore, RecordStore, AccountStore …), this
/// becomes a trait with all of them as supertraits; the contracts call the same method names.
type Db = dyn Store;

// ---------------------------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------------------------

/// A fresh, empty store of one backend, and what the contracts need beside it.
struct Backend {
    store: Arc<Db>,
    /// The vault the store seals with (and links the audit chain with).
    vault: Arc<Vault>,
    catalog: Catalog,
    /// Where the store is (`sqlite:DIR` …): [`open`] opens it again, also in another process.
    location: String,
    /// The keyring the vault was made from.
    keyring: PathBuf,
    _home: tempfile::TempDir,
}

/// Opens the store at `location`: one arm per backend.
async fn open(location: &str, vault: Arc<Vault>) -> Arc<Db> {
    if let Some(dir) = location.strip_prefix("sqlite:") {
        return Arc::new(SqliteStore::open(Path::new(dir), vault).await.unwrap());
    }
    if location.starts_with("postgres://") {
        return Arc::new(PgStore::connect(location, vault).await.unwrap());
    }
    panic!("no backend for {location}");
}

fn vault(keyring: &Path, catalog: &Catalog) -> Arc<Vault> {
    let ring = Keyring::load_or_create(keyring).unwrap();
    Arc::new(Vault::new(&ring, catalog.sensitive_fields()).unwrap())
}

impl Backend {
    /// Opens the store at `location` with a new keyring kept in `home`.
    async fn create(home: tempfile::TempDir, location: String) -> Backend {
        let catalog = embedded::catalog();
        let keyring = home.path().join("keyring.json");
        let vault = vault(&keyring, &catalog);
        let store = open(&location, vault.clone()).await;
        Backend { store, vault, catalog, location, keyring, _home: home }
    }
}

/// The SQLite backend: a store in a fresh temporary directory.
async fn sqlite_store() -> Backend {
    let home = tempfile::tempdir().unwrap();
    let location = format!("sqlite:{}", home.path().join("db").display());
    Backend::create(home, location).await
}

/// The PostgreSQL backend: a fresh database on the test cluster ([`credo_pgtest`]).
async fn postgres_store() -> Backend {
    let home = tempfile::tempdir().unwrap();
    Backend::create(home, credo_pgtest::database().await).await
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------------

/// A row as a department sends it: catalog field code → text.
type Raw = HashMap<String, String>;

fn raw(pairs: &[(&str, &str)]) -> Raw {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// `r` with some cells replaced.
fn with(mut r: Raw, pairs: &[(&str, &str)]) -> Raw {
    r.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    r
}

/// A valid 统一社会信用代码 numbered `n`; `kind` is its first two characters (`91` a company, `11` an authority).
fn uscc(kind: &str, n: u32) -> String {
    let org = format!("MA{n:06}");
    let org = format!("{org}{}", ids::org_code_check(org.as_bytes()).unwrap());
    let first17 = format!("{kind}630100{org}");
    format!("{first17}{}", ids::uscc_check(first17.as_bytes()).unwrap())
}

/// The 组织机构代码 inside a USCC: a legacy code of the same subject.
fn org_code(uscc: &str) -> &str {
    &uscc[8..17]
}

/// A valid 居民身份证号码 numbered `n` (below 1000).
fn ric(n: u32) -> String {
    let first17 = format!("63010219900101{n:03}");
    format!("{first17}{}", ids::ric_check(first17.as_bytes()).unwrap())
}

/// 城东区马记牛肉面馆, an individual business (its registration rows are in `registration`).
const SHOP: &str = "92630102MA7X000265";

/// The authority that decides the penalties (and the first department).
fn authority() -> String {
    uscc("11", 1)
}

/// Someone a record is about.
#[derive(Debug, Clone)]
struct Party {
    name: String,
    /// 行政相对人类别.
    kind: &'static str,
    code: String,
}

impl Party {
    /// A company with a USCC.
    fn company(n: u32) -> Party {
        Party::named(&format!("西宁市城东区第{n}商贸有限公司"), n)
    }

    /// A company with a USCC and this name.
    fn named(name: &str, n: u32) -> Party {
        Party { name: name.into(), kind: "法人及非法人组织", code: uscc("91", n) }
    }

    /// A person with an ID number.
    fn person(n: u32) -> Party {
        Party { name: format!("王某{n}"), kind: "自然人", code: ric(n) }
    }

    /// A shop known only by a tax number nobody else has and a name nobody has: its records wait for a subject.
    fn unknown(n: u32) -> Party {
        Party {
            name: format!("查无此号第{n}经营部"), kind: "法人及非法人组织", code: format!("63010000{n:07}X")
        }
    }

    /// The cells naming the party in a row of the item whose fields start with `prefix` (`CF`, `XK`).
    fn cells(&self, prefix: &str) -> Vec<(String, String)> {
        let mut cells =
            vec![(format!("{prefix}_XDR_MC"), self.name.clone()), (format!("{prefix}_XDR_LB"), self.kind.into())];
        if self.kind == "自然人" {
            cells.push((format!("{prefix}_XDR_ZJLX"), "身份证".into()));
            cells.push((format!("{prefix}_XDR_ZJHM"), self.code.clone()));
        } else if self.code.len() == 18 {
            cells.push((format!("{prefix}_XDR_SHXYM"), self.code.clone()));
        } else {
            cells.push((format!("{prefix}_XDR_SWDJ"), self.code.clone()));
        }
        cells
    }
}

/// A 行政处罚 (xzcf) about `who`, decided by [`authority`] on 2025-01-02, a fine of 0.2 (万元).
fn penalty(who: &Party, wsh: &str) -> Raw {
    let a = authority();
    let mut r = raw(&[
        ("CF_WSH", wsh),
        ("CF_WFXW", "销售不合格商品"),
        ("CF_SY", "经查,当事人销售不合格商品"),
        ("CF_YJ", "《中华人民共和国产品质量法》第四十九条"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款"),
        ("CF_NR_FK", "0.2"),
        ("CF_JDRQ", "2025-01-02"),
        ("CF_YXQ", "2099-12-31"),
        ("CF_CFJG", "西宁市市场监督管理局"),
        ("CF_CFJGDM", &a),
        ("CF_SJLY", "西宁市市场监督管理局"),
        ("CF_SJLYDM", &a),
    ]);
    r.extend(who.cells("CF"));
    r
}

/// A 行政许可 (xzxk) for `who`.
fn licence(who: &Party, wsh: &str) -> Raw {
    let a = authority();
    let mut r = raw(&[
        ("XK_XKWS", "食品经营许可决定书"),
        ("XK_WSH", wsh),
        ("XK_XKLB", "普通"),
        ("XK_NR", "食品经营"),
        ("XK_JDRQ", "2025-03-01"),
        ("XK_YXQZ", "2025-03-01"),
        ("XK_YXQZI", "2030-02-28"),
        ("XK_XKJG", "西宁市市场监督管理局"),
        ("XK_XKJGDM", &a),
        ("XK_ZT", "有效"),
        ("XK_LYDW", "西宁市市场监督管理局"),
        ("XK_LYDWDM", &a),
    ]);
    r.extend(who.cells("XK"));
    r
}

/// A 登记注册基本信息 (djzc) row of the individual business [`SHOP`].
fn registration(name: &str, status: &str) -> Raw {
    raw(&[
        ("DJ_MC", name),
        ("DJ_SHXYM", SHOP),
        ("DJ_ZTLB", "个体工商户"),
        ("DJ_CLRQ", "2015-03-01"),
        ("DJ_DJJG", "城东区市场监管局"),
        ("DJ_HZRQ", "2015-03-01"),
        ("DJ_XZQH", "630102"),
        ("DJ_DJZT", status),
    ])
}

/// Validates `raw` as row `n` of `item` with `catalog`.
fn row_in(catalog: &Catalog, item: &str, n: usize, raw: &Raw) -> Incoming {
    let def = catalog.item(item).unwrap();
    let record = def.validate(raw, &catalog.context(date!(2026 - 11 - 25))).unwrap_or_else(|e| panic!("{e:?}"));
    Incoming { row: n, record, extras: vec![], registration: def.registration }
}

fn new_department(n: u32) -> NewDepartment {
    NewDepartment {
        uscc: uscc("11", n),
        name: format!("第{n}部门"),
        region: Some("630100".into()),
        created_by: "test".into(),
        permissions: Permissions::default(),
    }
}

fn new_account(username: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        name: "张三".into(),
        role: "submitter".into(),
        department_id: None,
        subject_id: None,
        region: None,
        password_hash: "$argon2id$v=19$one".into(),
        totp_secret: None,
        created_by: "test".into(),
    }
}

fn new_key(department_id: i64, prefix: &str) -> NewApiKey {
    NewApiKey {
        department_id,
        prefix: prefix.into(),
        hash: format!("sm3:{prefix}"),
        scopes: vec!["submit".into()],
        expires_at: None,
        created_by: "test".into(),
        purpose: None,
        daily_quota: None,
    }
}

fn event(n: usize, target: Option<&str>) -> AuditEvent {
    AuditEvent {
        actor: format!("user{n}"),
        role: "operator".into(),
        department: Some(authority()),
        action: "subject.read".into(),
        target: target.map(str::to_string),
        purpose: Some("行政审批".into()),
        result: "ok".into(),
        client: Some("10.0.0.1".into()),
    }
}

fn new_check(id: &str, department_id: Option<i64>, scene: &str, results: &[(Option<i64>, Option<&str>)]) -> NewCheck {
    NewCheck {
        id: id.into(),
        department_id,
        scene: scene.into(),
        receipt: format!("{{\"check\":\"{id}\"}}"),
        signature: format!("sig-{id}"),
        proof: Some(format!("{{\"index\":0,\"check\":\"{id}\"}}")),
        results: results.iter().map(|(s, d)| (*s, d.map(str::to_string))).collect(),
    }
}

fn new_case(number: &str, kind: &str) -> NewCase {
    NewCase {
        number: number.into(),
        kind: kind.into(),
        record_id: None,
        subject_id: None,
        department_id: None,
        account_id: None,
        applicant: None,
        content: serde_json::json!({ "reason": "信息有误" }),
        state: "待受理".into(),
        due_on: None,
        actor: "account:1".into(),
        files: vec![],
        open_key: None,
    }
}

/// A step from state `from` to `state`, by `handler:li`.
fn step(from: &str, state: &str, step: &str) -> CaseUpdate {
    CaseUpdate {
        from: from.into(),
        state: state.into(),
        due_on: None,
        extended_days: 0,
        outcome: None,
        outcome_reason: None,
        closed: false,
        actor: "handler:li".into(),
        step: step.into(),
        note: None,
        assign_to: None,
    }
}

impl Backend {
    /// Adds department `n` (see [`new_department`]).
    async fn dept(&self, n: u32) -> Department {
        self.store.add_department(new_department(n)).await.unwrap()
    }

    async fn account(&self, username: &str) -> Account {
        self.store.add_account(new_account(username)).await.unwrap()
    }

    /// The account as stored now.
    async fn reread(&self, id: i64) -> Account {
        self.store.account(id).await.unwrap().unwrap()
    }

    /// Stores `rows` of `item` as one new batch of department `dept` (rows numbered from 2, under a header): the
    /// batch, left open, and what happened to each row.
    async fn submit(&self, dept: i64, item: &str, rows: &[Raw]) -> (i64, Vec<IngestedRow>) {
        let incoming: Vec<Incoming> =
            rows.iter().enumerate().map(|(i, r)| row_in(&self.catalog, item, i + 2, r)).collect();
        let batch = self.store.open_batch(dept, item, "test", None).await.unwrap();
        let out = self.store.ingest(batch, dept, &incoming).await.unwrap();
        assert_eq!(out.len(), rows.len(), "one outcome per row");
        (batch, out)
    }

    /// Stores one row in a batch of its own.
    async fn submit_one(&self, dept: i64, item: &str, row: Raw) -> IngestedRow {
        self.submit(dept, item, &[row]).await.1.remove(0)
    }

    /// A record's latest version.
    async fn view(&self, record: i64) -> RecordView {
        let mut views = self.store.records_by_ids(&[record]).await.unwrap();
        assert_eq!(views.len(), 1, "record {record}");
        views.remove(0)
    }

    /// Penalties about `n` new companies, sent by `dept`: their subjects.
    async fn subjects(&self, dept: i64, n: u32) -> Vec<i64> {
        let rows: Vec<Raw> = (1..=n).map(|i| penalty(&Party::company(100 + i), &format!("主体{i}号"))).collect();
        self.submit(dept, "xzcf", &rows).await.1.iter().map(|r| r.subject_id.unwrap()).collect()
    }

    /// `(entity, id, version)` of the change-feed entries after `seq`.
    async fn feed_after(&self, seq: i64) -> Vec<(String, i64, Option<i64>)> {
        let changes = self.store.changes_after(seq, 1000).await.unwrap();
        changes.into_iter().map(|c| (c.entity, c.entity_id, c.version)).collect()
    }
}

fn record_ids(views: &[RecordView]) -> Vec<i64> {
    views.iter().map(|v| v.id).collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn entry(entity: &str, id: i64, version: Option<i64>) -> (String, i64, Option<i64>) {
    (entity.to_string(), id, version)
}

/// A time the store wrote as RFC 3339 text.
fn parse(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn assert_between(t: OffsetDateTime, before: OffsetDateTime, after: OffsetDateTime, what: &str) {
    assert!(before <= t && t <= after, "{what}: {t} not within {before} … {after}");
}

/// Checks that `events` continue the audit chain from `(seq, hash)` with no gap, each linked under the vault's key.
fn assert_chain(vault: &Vault, from: (i64, String), events: &[StoredAuditEvent]) {
    let (mut seq, mut hash) = from;
    for e in events {
        assert_eq!((e.seq, e.prev_hash.as_str()), (seq + 1, hash.as_str()), "event {} follows {seq}", e.seq);
        let content = StoredAuditEvent::content(e.seq, &e.at, &e.event);
        assert_eq!(e.hash, vault.audit_link(&e.prev_hash, &content), "event {} is linked under the audit key", e.seq);
        (seq, hash) = (e.seq, e.hash.clone());
    }
}

/// Runs `n` tasks at once (on the multi-threaded runtime, released together by a barrier) and returns their results
/// in task order.
async fn at_once<T, F>(n: usize, task: impl Fn(usize) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, work) = (barrier.clone(), task(i));
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn count<T>(results: &[T], f: impl Fn(&T) -> bool) -> usize {
    results.iter().filter(|r| f(r)).count()
}

fn is_conflict<T>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

// ---------------------------------------------------------------------------------------------------------------
// Departments and API keys
// ---------------------------------------------------------------------------------------------------------------

/// One department per USCC (a second is a conflict that changes nothing); found by id and USCC; listed in id order;
/// each on the change feed once.
async fn departments_are_unique_by_uscc_and_found_by_id(b: Backend) {
    let s = &*b.store;
    let permissions = Permissions {
        items: vec!["xzcf".into()],
        scenes: vec!["zfcg".into()],
        disclosure: vec!["公开".into()],
        ..Default::default()
    };
    let new = NewDepartment {
        uscc: uscc("11", 1),
        name: "西宁市市场监督管理局".into(),
        region: Some("630100".into()),
        created_by: "cli:dept add".into(),
        permissions: permissions.clone(),
    };
    let before = OffsetDateTime::now_utc();
    let a = s.add_department(new.clone()).await.unwrap();
    assert_between(a.created_at, before, OffsetDateTime::now_utc(), "created_at");
    assert_eq!(
        (a.uscc.as_str(), a.name.as_str(), a.region.as_deref(), a.created_by.as_str(), &a.permissions),
        (new.uscc.as_str(), "西宁市市场监督管理局", Some("630100"), "cli:dept add", &permissions)
    );
    let c = s.add_department(NewDepartment { region: None, ..new_department(2) }).await.unwrap();
    assert_ne!(a.id, c.id);
    assert_eq!(c.region, None);
    assert_eq!(s.department(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.department_by_uscc(&c.uscc).await.unwrap(), Some(c.clone()));
    assert_eq!(s.department(a.id.max(c.id) + 1000).await.unwrap(), None);
    assert_eq!(s.department_by_uscc(&uscc("11", 3)).await.unwrap(), None);

    let dup = s.add_department(NewDepartment { name: "另一个名称".into(), ..new }).await;
    assert!(is_conflict(&dup), "{dup:?}");
    assert_eq!(s.departments().await.unwrap(), vec![a.clone(), c.clone()], "in id order, the first unchanged");
    assert_eq!(b.feed_after(0).await, vec![entry("department", a.id, None), entry("department", c.id, None)]);
}

/// Registering one department from many tasks at once: one succeeds, the others are conflicts.
async fn concurrent_registrations_of_one_department_admit_one(b: Backend) {
    let results = at_once(8, |i| {
        let s = b.store.clone();
        async move { s.add_department(NewDepartment { name: format!("部门{i}"), ..new_department(1) }).await }
    })
    .await;
    assert_eq!((count(&results, Result::is_ok), count(&results, is_conflict)), (1, 7), "{results:?}");
    assert_eq!(b.store.departments().await.unwrap().len(), 1);
    assert_eq!(b.feed_after(0).await.len(), 1, "one feed entry");
}

/// Permissions are replaced as a whole, for that department only.
async fn permissions_are_replaced_whole(b: Backend) {
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let p1 = Permissions {
        items: vec!["xzcf".into(), "xzxk".into()],
        scenes: vec!["zfcg".into()],
        disclosure: vec!["公开".into(), "政务共享".into()],
        ..Default::default()
    };
    b.store.set_permissions(a.id, &p1).await.unwrap();
    assert_eq!(b.store.department(a.id).await.unwrap().unwrap().permissions, p1);
    let p2 = Permissions { items: vec!["djzc".into()], ..Permissions::default() };
    b.store.set_permissions(a.id, &p2).await.unwrap();
    assert_eq!(b.store.department_by_uscc(&a.uscc).await.unwrap().unwrap().permissions, p2, "replaced, not merged");
    assert_eq!(b.store.departments().await.unwrap()[0].permissions, p2);
    assert_eq!(b.store.department(c.id).await.unwrap().unwrap().permissions, Permissions::default(), "others keep");
}

/// Keys: found by prefix (one key per prefix), listed per department in id order, revoked once.
async fn api_keys_are_found_by_prefix_and_revoked_once(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    // An expiry in China time is the same instant when read back.
    let expires = datetime!(2027-11-25 8:00 +8);
    let scopes = vec!["submit".to_string(), "check".to_string()];
    let k1 = s
        .add_api_key(NewApiKey { scopes: scopes.clone(), expires_at: Some(expires), ..new_key(a.id, "k1aaaaaa") })
        .await
        .unwrap();
    assert_eq!(
        (k1.department_id, k1.prefix.as_str(), k1.hash.as_str(), &k1.scopes, k1.expires_at, k1.revoked),
        (a.id, "k1aaaaaa", "sm3:k1aaaaaa", &scopes, Some(expires), false)
    );
    let k2 = s.add_api_key(new_key(a.id, "k2bbbbbb")).await.unwrap();
    let k3 = s.add_api_key(new_key(c.id, "k3cccccc")).await.unwrap();
    assert_eq!((k2.expires_at, &k2.scopes), (None, &vec!["submit".to_string()]));
    let found = s.api_key("k1aaaaaa").await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.hash.as_str(), &found.scopes, found.expires_at, found.revoked),
        (k1.id, "sm3:k1aaaaaa", &scopes, Some(expires), false)
    );
    assert!(s.api_key("nosuchkey").await.unwrap().is_none());
    let key_ids = |keys: Vec<ApiKey>| keys.iter().map(|k| k.id).collect::<Vec<_>>();
    assert_eq!(key_ids(s.api_keys(a.id).await.unwrap()), vec![k1.id, k2.id]);
    assert_eq!(key_ids(s.api_keys(c.id).await.unwrap()), vec![k3.id]);
    assert!(s.api_keys(c.id + 1000).await.unwrap().is_empty());

    let dup = s.add_api_key(NewApiKey { hash: "other".into(), ..new_key(c.id, "k1aaaaaa") }).await;
    assert!(dup.is_err(), "a prefix names one key");
    assert_eq!(s.api_key("k1aaaaaa").await.unwrap().unwrap().hash, "sm3:k1aaaaaa", "the first key stays");
    assert!(s.add_api_key(new_key(c.id + 1000, "k4dddddd")).await.is_err(), "a key belongs to a department");

    assert!(s.revoke_api_key("k1aaaaaa").await.unwrap());
    assert!(s.api_key("k1aaaaaa").await.unwrap().unwrap().revoked);
    assert!(!s.revoke_api_key("k1aaaaaa").await.unwrap(), "already revoked");
    assert!(!s.revoke_api_key("nosuchkey").await.unwrap());
    assert!(!s.api_key("k2bbbbbb").await.unwrap().unwrap().revoked, "only that key");
    let revoked = at_once(8, |_| {
        let s = b.store.clone();
        async move { s.revoke_api_key("k2bbbbbb").await.unwrap() }
    })
    .await;
    assert_eq!(count(&revoked, |r| *r), 1, "revoked once, also at once");
}

/// An index snapshot becomes current only whole (all its chunks put), replaces the one before (whose chunks go; those
/// of another writer still at work stay), is found by kind, and no chunk over the limit is kept.
async fn index_snapshots_are_committed_whole_and_replace_the_last(b: Backend) {
    let s = &*b.store;
    assert_eq!(s.index_snapshot("restriction").await.unwrap(), None);
    let snap = |generation, chunks| credo_store::IndexSnapshot {
        generation,
        fingerprint: format!("fp{generation}"),
        seq: generation * 10,
        chunks,
    };
    s.put_index_chunk(1, 0, b"a0").await.unwrap();
    assert!(is_conflict(&s.commit_index_snapshot("restriction", &snap(1, 2)).await), "a chunk is missing");
    assert_eq!(s.index_snapshot("restriction").await.unwrap(), None);
    s.put_index_chunk(1, 1, &[0, 255, 1]).await.unwrap();
    s.put_index_chunk(7, 0, b"abandoned").await.unwrap();
    s.commit_index_snapshot("restriction", &snap(1, 2)).await.unwrap();
    assert_eq!(s.index_snapshot("restriction").await.unwrap(), Some(snap(1, 2)));
    assert_eq!(s.index_chunk(1, 1).await.unwrap().as_deref(), Some(&[0u8, 255, 1][..]), "bytes as put");
    assert_eq!(
        s.index_chunk(7, 0).await.unwrap().as_deref(),
        Some(&b"abandoned"[..]),
        "another writer's, a moment ago"
    );
    let too_big = vec![0u8; credo_store::MAX_INDEX_CHUNK + 1];
    assert!(is_conflict(&s.put_index_chunk(3, 0, &too_big).await), "a chunk over the limit");
    assert!(s.put_index_chunk(1, 1, b"again").await.is_err(), "a chunk is written once");
    s.put_index_chunk(2, 0, b"b0").await.unwrap();
    s.commit_index_snapshot("restriction", &snap(2, 1)).await.unwrap();
    assert_eq!(s.index_snapshot("restriction").await.unwrap(), Some(snap(2, 1)));
    assert_eq!(s.index_chunk(1, 0).await.unwrap(), None, "the last snapshot's chunks are gone");
    assert_eq!(s.index_chunk(2, 0).await.unwrap().as_deref(), Some(&b"b0"[..]));
    assert_eq!(s.index_snapshot("other").await.unwrap(), None);
    assert!(s.drop_index_snapshot("restriction").await.unwrap());
    assert_eq!(s.index_snapshot("restriction").await.unwrap(), None);
    assert_eq!(s.index_chunk(2, 0).await.unwrap(), None, "its chunks go with it");
    assert!(!s.drop_index_snapshot("restriction").await.unwrap(), "nothing left to drop");
}

/// Who may do what changes on the feed (issue 16: the nodes' directories poll for it): a department added, its
/// permissions replaced, a key issued or revoked is an entry (`department`, `api_key`); records are not; every key
/// is listed, revoked ones too.
async fn access_changes_are_on_the_feed(b: Backend) {
    let s = &*b.store;
    let start = s.last_seq().await.unwrap();
    assert_eq!(s.access_changed_after(start).await.unwrap(), (start, false), "nothing yet");
    let a = b.dept(1).await;
    let (seq, changed) = s.access_changed_after(start).await.unwrap();
    assert!(changed && seq > start, "a department added");
    assert_eq!(s.access_changed_after(seq).await.unwrap(), (seq, false));
    b.subjects(a.id, 2).await;
    let (after_records, changed) = s.access_changed_after(seq).await.unwrap();
    assert!(!changed && after_records > seq, "records move the feed, not the directory");
    let key = s.add_api_key(new_key(a.id, "k1aaaaaa")).await.unwrap();
    let (seq, changed) = s.access_changed_after(after_records).await.unwrap();
    assert!(changed, "a key issued");
    assert_eq!(b.feed_after(after_records).await, vec![("api_key".to_string(), key.id, None)]);
    s.set_permissions(a.id, &Permissions { scenes: vec!["zfcg".into()], ..Permissions::default() }).await.unwrap();
    assert_eq!(b.feed_after(seq).await, vec![("department".to_string(), a.id, None)], "permissions replaced");
    let seq = s.last_seq().await.unwrap();
    assert!(!s.revoke_api_key("nosuchkey").await.unwrap());
    assert_eq!(s.access_changed_after(seq).await.unwrap(), (seq, false), "revoking nothing changes nothing");
    assert!(s.revoke_api_key("k1aaaaaa").await.unwrap());
    assert_eq!(b.feed_after(seq).await, vec![("api_key".to_string(), key.id, None)], "a key revoked");
    let c = b.dept(2).await;
    s.add_api_key(new_key(c.id, "k2bbbbbb")).await.unwrap();
    let all: Vec<(String, bool)> = s.all_api_keys().await.unwrap().into_iter().map(|k| (k.prefix, k.revoked)).collect();
    assert_eq!(all, vec![("k1aaaaaa".to_string(), true), ("k2bbbbbb".to_string(), false)], "every key, in id order");
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts and sessions
// ---------------------------------------------------------------------------------------------------------------

const TOTP: &str = "JBSWY3DPEHPK3PXP";

/// One account per username (a second is a conflict, also at once); found by id and username; the TOTP secret is
/// given back opened.
async fn accounts_are_unique_by_username_and_open_their_secret(b: Backend) {
    let s = &*b.store;
    let d = b.dept(1).await;
    let before = OffsetDateTime::now_utc();
    let a = s
        .add_account(NewAccount {
            department_id: Some(d.id),
            totp_secret: Some(TOTP.into()),
            ..new_account("zhangsan")
        })
        .await
        .unwrap();
    let after = OffsetDateTime::now_utc();
    assert_eq!(
        (a.username.as_str(), a.name.as_str(), a.role.as_str(), a.department_id, a.subject_id),
        ("zhangsan", "张三", "submitter", Some(d.id), None)
    );
    assert_eq!(
        (a.password_hash.as_str(), a.totp_secret.as_deref(), a.totp_last_step),
        ("$argon2id$v=19$one", Some(TOTP), None)
    );
    assert_eq!((a.failed_logins, a.locked_until, a.disabled), (0, None, false));
    assert_between(a.created_at, before, after, "created_at");
    assert_between(a.password_set_at, before, after, "password_set_at");

    let o = b.account("lisi").await;
    assert_eq!(format!("{:?}", b.reread(a.id).await), format!("{a:?}"));
    assert_eq!(s.account_by_username("lisi").await.unwrap().unwrap().id, o.id);
    assert_eq!(s.account_by_username("zhangsan").await.unwrap().unwrap().totp_secret.as_deref(), Some(TOTP));
    assert!(s.account(a.id.max(o.id) + 1000).await.unwrap().is_none());
    assert!(s.account_by_username("wangwu").await.unwrap().is_none());
    let all = s.accounts().await.unwrap();
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![a.id, o.id], "in id order");
    assert_eq!(all[0].totp_secret.as_deref(), Some(TOTP));

    let dup = s.add_account(NewAccount { password_hash: "other".into(), ..new_account("zhangsan") }).await;
    assert!(is_conflict(&dup), "{dup:?}");
    assert_eq!(b.reread(a.id).await.password_hash, "$argon2id$v=19$one", "the first account stays");
    assert!(s.add_account(NewAccount { department_id: Some(d.id + 1000), ..new_account("x") }).await.is_err());

    let results = at_once(8, |_| {
        let s = b.store.clone();
        async move { s.add_account(new_account("wangwu")).await }
    })
    .await;
    assert_eq!((count(&results, Result::is_ok), count(&results, is_conflict)), (1, 7));
    assert_eq!(s.accounts().await.unwrap().len(), 3);
}

/// A new password and disabling end the account's sessions, and only its own.
async fn a_new_password_or_disabling_ends_only_that_accounts_sessions(b: Backend) {
    let s = &*b.store;
    let (a, o) = (b.account("zhangsan").await, b.account("lisi").await);
    for token in ["a1", "a2"] {
        s.add_session(token, a.id, Some("10.0.0.1")).await.unwrap();
    }
    s.add_session("o1", o.id, None).await.unwrap();
    let before = OffsetDateTime::now_utc();
    s.set_password(a.id, "$argon2id$v=19$two").await.unwrap();
    let changed = b.reread(a.id).await;
    assert_eq!(changed.password_hash, "$argon2id$v=19$two");
    assert_between(changed.password_set_at, before, OffsetDateTime::now_utc(), "password_set_at");
    assert!(s.session("a1").await.unwrap().is_none() && s.session("a2").await.unwrap().is_none());
    assert_eq!(s.session("o1").await.unwrap().unwrap().account_id, o.id, "another account's session stays");
    assert_eq!(b.reread(o.id).await.password_hash, "$argon2id$v=19$one");

    s.add_session("a3", a.id, None).await.unwrap();
    s.set_disabled(a.id, true).await.unwrap();
    assert!(b.reread(a.id).await.disabled);
    assert!(s.session("a3").await.unwrap().is_none(), "disabling ends sessions");
    assert!(s.session("o1").await.unwrap().is_some());
    assert!(!b.reread(o.id).await.disabled);
    s.set_disabled(a.id, false).await.unwrap();
    assert!(!b.reread(a.id).await.disabled, "re-enabled");
    s.add_session("a4", a.id, None).await.unwrap();
    assert!(s.session("a4").await.unwrap().is_some());
}

/// The TOTP secret is set, replaced (a new secret starts its steps afresh) and cleared.
async fn totp_secrets_are_set_replaced_and_cleared(b: Backend) {
    let s = &*b.store;
    let (a, o) = (b.account("zhangsan").await, b.account("lisi").await);
    assert_eq!(a.totp_secret, None);
    s.set_totp(a.id, Some(TOTP)).await.unwrap();
    assert_eq!(b.reread(a.id).await.totp_secret.as_deref(), Some(TOTP));
    assert!(s.claim_totp_step(a.id, 50).await.unwrap());
    s.set_totp(a.id, Some("KRSXG5CTMVRXEZLU")).await.unwrap();
    let replaced = b.reread(a.id).await;
    assert_eq!((replaced.totp_secret.as_deref(), replaced.totp_last_step), (Some("KRSXG5CTMVRXEZLU"), None));
    assert!(s.claim_totp_step(a.id, 10).await.unwrap(), "steps of the new secret");
    s.set_totp(a.id, None).await.unwrap();
    assert_eq!(b.reread(a.id).await.totp_secret, None);
    assert_eq!(b.reread(o.id).await.totp_secret, None);
}

/// Sign-in tries: counted one by one; the try that reaches `max` locks until `lock_until`; a locked account takes
/// no try; a lock that has run out starts again at 1; success and unlock give the tries back. Times in China time
/// are the same instants.
async fn login_attempts_count_lock_and_start_again(b: Backend) {
    let s = &*b.store;
    let (a, o) = (b.account("zhangsan").await, b.account("lisi").await);
    let now = datetime!(2030-01-01 8:00 +8);
    let until = now + Duration::minutes(15);
    let later = until + Duration::minutes(15);
    assert_eq!(s.login_attempt(a.id, now, 3, until).await.unwrap(), Some(1));
    let one = b.reread(a.id).await;
    assert_eq!((one.failed_logins, one.locked_until), (1, None), "below the limit: not locked");
    assert_eq!(s.login_attempt(a.id, now + Duration::seconds(1), 3, until).await.unwrap(), Some(2));
    assert_eq!(s.login_attempt(a.id, now + Duration::seconds(2), 3, until).await.unwrap(), Some(3));
    let locked = b.reread(a.id).await;
    assert_eq!((locked.failed_logins, locked.locked_until), (3, Some(until)), "the try that reaches max locks");
    assert_eq!(s.login_attempt(a.id, until - Duration::seconds(1), 3, later).await.unwrap(), None, "locked");
    let still = b.reread(a.id).await;
    assert_eq!((still.failed_logins, still.locked_until), (3, Some(until)), "a refused try changes nothing");
    assert_eq!(b.reread(o.id).await.failed_logins, 0, "per account");

    assert_eq!(s.login_attempt(a.id, until, 3, later).await.unwrap(), Some(1), "the lock has run out at until");
    let again = b.reread(a.id).await;
    assert_eq!((again.failed_logins, again.locked_until), (1, None));
    s.login_succeeded(a.id, None).await.unwrap();
    let ok = b.reread(a.id).await;
    assert_eq!((ok.failed_logins, ok.locked_until), (0, None), "success gives the tries back");

    let t = later + Duration::hours(1);
    assert_eq!(s.login_attempt(a.id, t, 1, t + Duration::minutes(15)).await.unwrap(), Some(1), "max 1 locks at once");
    assert_eq!(s.login_attempt(a.id, t, 1, t + Duration::minutes(15)).await.unwrap(), None);
    s.login_succeeded(a.id, None).await.unwrap();
    assert_eq!(b.reread(a.id).await.locked_until, None, "success also ends a lock");
    assert_eq!(s.login_attempt(a.id, t, 1, t + Duration::minutes(15)).await.unwrap(), Some(1));
    s.unlock(a.id).await.unwrap();
    let unlocked = b.reread(a.id).await;
    assert_eq!((unlocked.failed_logins, unlocked.locked_until), (0, None));
    assert_eq!(s.login_attempt(a.id, t, 1, t + Duration::minutes(15)).await.unwrap(), Some(1), "tries again");
}

/// Many sign-in tries at once: each is counted once, and no more than `max` get through.
async fn concurrent_login_attempts_never_pass_the_limit(b: Backend) {
    let id = b.account("zhangsan").await.id;
    let now = datetime!(2030-01-01 0:00 UTC);
    let until = now + Duration::minutes(15);
    let tries = at_once(20, |_| {
        let s = b.store.clone();
        async move { s.login_attempt(id, now, 5, until).await.unwrap() }
    })
    .await;
    let counted = sorted(tries.iter().flatten().copied().collect());
    assert_eq!(counted, vec![1, 2, 3, 4, 5], "each try counted once: {tries:?}");
    let locked = b.reread(id).await;
    assert_eq!((locked.failed_logins, locked.locked_until), (5, Some(until)));
}

/// A one-time token is used once across every store over the same data (every node), until it expires and is
/// purged.
async fn tokens_are_used_once_across_nodes(b: Backend) {
    let other = open(&b.location, b.vault.clone()).await;
    assert!(b.store.use_once("challenge", "n1", 1_000).await.unwrap(), "first use");
    assert!(!b.store.use_once("challenge", "n1", 1_000).await.unwrap(), "again on the same node");
    assert!(!other.use_once("challenge", "n1", 1_000).await.unwrap(), "again on another node");
    assert!(other.use_once("elsewhere", "n1", 1_000).await.unwrap(), "per scope");
    let firsts = at_once(12, |_| {
        let s = b.store.clone();
        async move { s.use_once("challenge", "n2", 1_000).await.unwrap() }
    })
    .await;
    assert_eq!(firsts.iter().filter(|f| **f).count(), 1, "one of many at once: {firsts:?}");
    assert_eq!(b.store.purge_shared(1_000).await.unwrap(), 0, "nothing expired before its last second");
    assert_eq!(b.store.purge_shared(1_001).await.unwrap(), 3);
    assert!(b.store.use_once("challenge", "n1", 2_000).await.unwrap(), "purged, so new again");
}

/// A value put on one node is taken on another, once; it is sealed at rest, expires, and a scope holds at most
/// `max` values: the first to expire makes room for a new one.
async fn shared_values_are_taken_once_sealed_and_expire(b: Backend) {
    let other = open(&b.location, b.vault.clone()).await;
    let value = r#"{"verifier":"s3cret-verifier"}"#;
    b.store.put_shared("sign-in", "state1", value, 100, 700, 3).await.unwrap();
    let stored = exported(&*b.store).await.into_iter().find(|(t, _)| t == "shared_state").unwrap().1;
    assert_eq!(stored.len(), 1);
    let raw = format!("{:?}", stored[0]);
    assert!(!raw.contains("s3cret") && raw.contains("sm4gcm:"), "sealed at rest: {raw}");
    assert_eq!(other.take_shared("sign-in", "state1", 200).await.unwrap().as_deref(), Some(value), "another node");
    assert_eq!(b.store.take_shared("sign-in", "state1", 200).await.unwrap(), None, "taken once");
    b.store.put_shared("sign-in", "state2", value, 100, 700, 3).await.unwrap();
    assert_eq!(b.store.take_shared("sign-in", "state2", 701).await.unwrap(), None, "expired");
    assert_eq!(b.store.take_shared("sign-in", "state2", 200).await.unwrap(), None, "an expired take removes it");
    for (k, until) in [("a", 600), ("b", 700), ("c", 650)] {
        b.store.put_shared("sign-in", k, value, 100, until, 3).await.unwrap();
    }
    b.store.put_shared("sign-in", "d", value, 100, 700, 3).await.unwrap();
    assert_eq!(b.store.take_shared("sign-in", "a", 200).await.unwrap(), None, "the first to expire made room");
    for k in ["b", "c", "d"] {
        assert_eq!(b.store.take_shared("sign-in", k, 200).await.unwrap().as_deref(), Some(value), "{k} kept");
    }
    b.store.put_shared("other", "d", value, 100, 700, 3).await.unwrap();
    assert!(b.store.put_shared("other", "d", value, 100, 700, 3).await.is_err(), "a key is put once");
}

/// Events counted per key in a sliding window: never beyond the limit, also when many come at once from several
/// nodes; older events leave the window.
async fn counts_within_a_window_hold_their_limit_across_nodes(b: Backend) {
    let other = open(&b.location, b.vault.clone()).await;
    let s = &*b.store;
    assert!(s.count_within("forms", "10.0.0.1", 1_000, 3600, 2).await.unwrap());
    assert!(other.count_within("forms", "10.0.0.1", 1_500, 3600, 2).await.unwrap(), "counted on another node");
    assert!(!s.count_within("forms", "10.0.0.1", 1_600, 3600, 2).await.unwrap(), "the limit holds across nodes");
    assert!(s.count_within("forms", "10.0.0.2", 1_600, 3600, 2).await.unwrap(), "per key");
    assert!(s.count_within("forms", "10.0.0.1", 4_601, 3600, 2).await.unwrap(), "the first left the window");
    assert!(!other.count_within("forms", "10.0.0.1", 4_700, 3600, 2).await.unwrap(), "the second has not");
    let stores = [b.store.clone(), other.clone()];
    let counted = at_once(16, |i| {
        let s = stores[i % 2].clone();
        async move { s.count_within("forms", "10.0.0.9", 5_000, 3600, 5).await.unwrap() }
    })
    .await;
    assert_eq!(counted.iter().filter(|c| **c).count(), 5, "exactly the limit of many at once: {counted:?}");
    assert_eq!(s.purge_shared(8_600).await.unwrap(), 2, "keys whose last event left the window");
    assert_eq!(s.purge_shared(8_601).await.unwrap(), 1, "a count lives a window after its last event");
}

/// A lock holds to its last instant (sub-second times are instants too).
async fn a_lock_holds_until_its_last_instant(b: Backend) {
    let id = b.account("zhangsan").await.id;
    let t = datetime!(2030-01-01 0:00 UTC);
    let until = t + Duration::milliseconds(900);
    assert_eq!(b.store.login_attempt(id, t + Duration::milliseconds(100), 1, until).await.unwrap(), Some(1));
    assert_eq!(b.store.login_attempt(id, t + Duration::milliseconds(500), 1, until).await.unwrap(), None, "locked");
    assert_eq!(b.reread(id).await.locked_until, Some(until));
}

/// A TOTP step works once per account; an older step is a replay; success remembers the step it used.
async fn totp_steps_are_claimed_once_and_in_order(b: Backend) {
    let s = &*b.store;
    let (a, o) = (b.account("zhangsan").await, b.account("lisi").await);
    assert!(s.claim_totp_step(a.id, 7).await.unwrap());
    assert!(!s.claim_totp_step(a.id, 7).await.unwrap(), "a step works once");
    assert!(!s.claim_totp_step(a.id, 6).await.unwrap(), "an older step is a replay");
    assert!(s.claim_totp_step(o.id, 7).await.unwrap(), "per account");
    assert!(s.claim_totp_step(a.id, 8).await.unwrap());
    assert_eq!(b.reread(a.id).await.totp_last_step, Some(8));
    s.login_succeeded(a.id, Some(20)).await.unwrap();
    assert_eq!(b.reread(a.id).await.totp_last_step, Some(20));
    assert!(!s.claim_totp_step(a.id, 20).await.unwrap() && !s.claim_totp_step(a.id, 15).await.unwrap());
    s.login_succeeded(a.id, None).await.unwrap();
    assert_eq!(b.reread(a.id).await.totp_last_step, Some(20), "success without a code keeps the step");
    s.unlock(a.id).await.unwrap();
    assert_eq!(b.reread(a.id).await.totp_last_step, Some(20), "unlocking keeps it too");
    assert!(s.claim_totp_step(a.id, 21).await.unwrap());
}

/// Claims at once: one sign-in gets a step; of different steps, the newest always succeeds and stays.
async fn concurrent_totp_claims_admit_one_per_step(b: Backend) {
    let id = b.account("zhangsan").await.id;
    let claim = |step: i64| {
        let s = b.store.clone();
        async move { s.claim_totp_step(id, step).await.unwrap() }
    };
    let same = at_once(16, |_| claim(100)).await;
    assert_eq!(count(&same, |c| *c), 1, "one sign-in gets the code");
    let steps = at_once(16, |i| claim(101 + i as i64)).await;
    assert!(steps[15], "the newest step is never a replay");
    assert_eq!(b.reread(id).await.totp_last_step, Some(116));
}

/// Sessions: added for an account (one per token), touched (seen now), ended (idempotently).
async fn sessions_are_added_touched_and_ended(b: Backend) {
    let s = &*b.store;
    let a = b.account("zhangsan").await;
    let before = OffsetDateTime::now_utc();
    s.add_session("hash-1", a.id, Some("10.0.0.1")).await.unwrap();
    let after = OffsetDateTime::now_utc();
    let one = s.session("hash-1").await.unwrap().unwrap();
    assert_eq!(one.account_id, a.id);
    assert_between(one.created_at, before, after, "created_at");
    assert_between(one.last_seen, one.created_at, after, "last_seen");
    let before_touch = OffsetDateTime::now_utc();
    s.touch_session("hash-1").await.unwrap();
    let touched = s.session("hash-1").await.unwrap().unwrap();
    assert_between(touched.last_seen, before_touch, OffsetDateTime::now_utc(), "touched: seen now");
    assert_eq!(touched.created_at, one.created_at);
    s.touch_session("no-such").await.unwrap();
    assert!(s.session("no-such").await.unwrap().is_none(), "touching creates nothing");

    assert!(s.add_session("hash-1", a.id, None).await.is_err(), "a token names one session");
    assert!(s.add_session("hash-2", a.id + 1000, None).await.is_err(), "a session belongs to an account");
    s.add_session("hash-3", a.id, None).await.unwrap();
    s.end_session("hash-1").await.unwrap();
    assert!(s.session("hash-1").await.unwrap().is_none());
    assert!(s.session("hash-3").await.unwrap().is_some(), "only that session");
    s.end_session("hash-1").await.unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// Batches and ingest
// ---------------------------------------------------------------------------------------------------------------

/// Ingest: a new record is version 1, a change a new version, the same content a duplicate naming the batch that
/// holds it; records are per department; every new subject and version is on the feed once, in order.
async fn ingest_creates_versions_and_skips_duplicates(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let firm = Party::company(1);
    let p1 = penalty(&firm, "宁市监罚〔2025〕1号");
    let seq0 = s.last_seq().await.unwrap();
    let (b1, out) = b.submit(a.id, "xzcf", &[p1.clone(), penalty(&Party::unknown(1), "宁市监罚〔2025〕2号")]).await;
    assert_eq!((out[0].row, out[0].outcome, out[0].version, out[0].existing_batch), (2, Outcome::Created, 1, None));
    assert_eq!((out[1].row, out[1].outcome, out[1].subject_id), (3, Outcome::Created, None), "queued");
    let (sid, r1, queued) = (out[0].subject_id.unwrap(), out[0].record_id, out[1].record_id);
    assert_ne!(r1, queued);

    let (_, again) = b.submit(a.id, "xzcf", std::slice::from_ref(&p1)).await;
    assert_eq!(
        (again[0].record_id, again[0].version, again[0].outcome, again[0].existing_batch, again[0].subject_id),
        (r1, 1, Outcome::Duplicate, Some(b1), Some(sid)),
        "the same content again: nothing written, the batch that holds it named"
    );
    let changed = with(p1.clone(), &[("CF_NR_FK", "0.3")]);
    let (b3, out) = b.submit(a.id, "xzcf", &[changed.clone(), changed]).await;
    assert_eq!((out[0].record_id, out[0].version, out[0].outcome), (r1, 2, Outcome::Versioned));
    assert_eq!(
        (out[1].record_id, out[1].version, out[1].outcome, out[1].existing_batch),
        (r1, 2, Outcome::Duplicate, Some(b3))
    );
    let view = b.view(r1).await;
    assert_eq!((view.version, view.batch_id, view.fields["CF_NR_FK"].as_str()), (2, b3, "0.3"));

    let other = b.submit_one(c.id, "xzcf", p1).await;
    assert_eq!((other.outcome, other.version, other.subject_id), (Outcome::Created, 1, Some(sid)), "per department");
    assert_ne!(other.record_id, r1);

    // Created and changed within one chunk, prepared before it is written (as the import pipeline does): stored
    // with its final head.
    let p2 = penalty(&firm, "宁市监罚〔2025〕3号");
    let rows = [p2.clone(), with(p2, &[("CF_NR_FK", "0.5")])];
    let prepared =
        s.prepare(rows.iter().enumerate().map(|(i, r)| row_in(&b.catalog, "xzcf", i + 2, r)).collect()).unwrap();
    assert_eq!(prepared.len(), 2);
    let batch = s.open_batch(a.id, "xzcf", "test", None).await.unwrap();
    let out = s.ingest_prepared(batch, a.id, &prepared).await.unwrap();
    assert_eq!((out[0].outcome, out[1].outcome, out[1].version), (Outcome::Created, Outcome::Versioned, 2));
    let r2 = out[0].record_id;
    assert_eq!(out[1].record_id, r2);
    assert_eq!((b.view(r2).await.version, b.view(r2).await.fields["CF_NR_FK"].as_str()), (2, "0.5"));

    let seq = s.last_seq().await.unwrap();
    let empty = s.open_batch(a.id, "xzcf", "test", None).await.unwrap();
    assert!(s.ingest(empty, a.id, &[]).await.unwrap().is_empty());
    assert_eq!(s.last_seq().await.unwrap(), seq, "nothing in, nothing written");

    let feed = b.feed_after(seq0).await;
    let records: Vec<_> = feed.iter().filter(|e| e.0 == "record").cloned().collect();
    assert_eq!(
        records,
        vec![
            entry("record", r1, Some(1)),
            entry("record", queued, Some(1)),
            entry("record", r1, Some(2)),
            entry("record", other.record_id, Some(1)),
            entry("record", r2, Some(1)),
            entry("record", r2, Some(2)),
        ],
        "every new version once, in order"
    );
    assert_eq!(
        feed.iter().filter(|e| e.0 == "subject").cloned().collect::<Vec<_>>(),
        vec![entry("subject", sid, None)]
    );
    let n = s.counts().await.unwrap();
    assert_eq!((n.subjects, n.records, n.unresolved, n.departments), (1, 4, 1, 2));
}

/// A row without a code resolves by name to a subject that an earlier row of the same chunk created, as it would
/// if that row had come in an earlier chunk: how a file is cut into chunks does not change where its rows go.
async fn ingest_resolves_by_name_within_a_chunk_as_across_chunks(b: Backend) {
    let a = b.dept(1).await;
    // The same name as a known company, and a tax number nobody has yet: found by name.
    let by_name = |who: &Party, tax: &str, wsh: &str| penalty(&Party { code: tax.into(), ..who.clone() }, wsh);
    let firm = Party::company(1);
    let (_, across) = b.submit(a.id, "xzcf", &[penalty(&firm, "1号")]).await;
    let later = b.submit_one(a.id, "xzcf", by_name(&firm, "630100000000001X", "2号")).await;
    assert_eq!(later.subject_id, across[0].subject_id, "across chunks: by name");

    let other = Party::company(2);
    let (_, within) =
        b.submit(a.id, "xzcf", &[penalty(&other, "3号"), by_name(&other, "630100000000002X", "4号")]).await;
    assert!(within[0].subject_id.is_some());
    assert_eq!(within[1].subject_id, within[0].subject_id, "within one chunk: by name too");
}

/// Registration rows describe their subject (name, kind, region, status, profile); a change is on the feed; other
/// items do not change the description.
async fn registration_rows_describe_their_subject(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let first = b.submit_one(a.id, "djzc", registration("城东区马记牛肉面馆", "存续")).await;
    let sid = first.subject_id.unwrap();
    let shop = s.subject(sid).await.unwrap().unwrap();
    assert_eq!(
        (shop.kind, shop.name.as_str(), shop.code.as_deref(), shop.region.as_deref(), shop.status.as_deref()),
        (SubjectKind::IndividualBusiness, "城东区马记牛肉面馆", Some(SHOP), Some("630102"), Some("存续"))
    );
    assert_eq!(shop.profile.unwrap()["DJ_MC"], "城东区马记牛肉面馆");
    let seq = s.last_seq().await.unwrap();
    let second = b.submit_one(a.id, "djzc", registration("城东区马记清真牛肉面馆", "注销")).await;
    assert_eq!((second.subject_id, second.outcome, second.version), (Some(sid), Outcome::Versioned, 2));
    let shop = s.subject(sid).await.unwrap().unwrap();
    assert_eq!((shop.name.as_str(), shop.status.as_deref()), ("城东区马记清真牛肉面馆", Some("注销")));
    assert_eq!(shop.name_norm, normalize_name("城东区马记清真牛肉面馆"));
    assert_eq!(shop.profile.unwrap()["DJ_DJZT"], "注销");
    assert!(b.feed_after(seq).await.contains(&entry("subject", sid, None)), "the new description is on the feed");

    let named_otherwise = Party { name: "马记面馆".into(), kind: "个体工商户", code: SHOP.into() };
    let p = b.submit_one(a.id, "xzcf", penalty(&named_otherwise, "1号")).await;
    assert_eq!(p.subject_id, Some(sid));
    assert_eq!(s.subject(sid).await.unwrap().unwrap().name, "城东区马记清真牛肉面馆", "a penalty names, not describes");
}

/// One record sent in many batches at once is stored once (one Created, the rest duplicates); different records at
/// once each get their own id and subject.
async fn concurrent_ingest_stores_each_record_once(b: Backend) {
    let a = b.dept(1).await.id;
    let rows: Vec<Incoming> =
        (0..8).map(|i| row_in(&b.catalog, "xzcf", 2, &penalty(&Party::company(10 + i), &format!("{i}号")))).collect();
    let ingest = |row: Incoming| {
        let s = b.store.clone();
        async move {
            let batch = s.open_batch(a, "xzcf", "api", None).await.unwrap();
            s.ingest(batch, a, &[row]).await.unwrap().remove(0)
        }
    };
    let same = at_once(8, |_| ingest(rows[0].clone())).await;
    assert_eq!(
        (count(&same, |r| r.outcome == Outcome::Created), count(&same, |r| r.outcome == Outcome::Duplicate)),
        (1, 7),
        "{same:?}"
    );
    assert!(same.iter().all(|r| (r.record_id, r.version) == (same[0].record_id, 1)));
    let feed = b.feed_after(0).await;
    assert_eq!((count(&feed, |e| e.0 == "record"), count(&feed, |e| e.0 == "subject")), (1, 1));

    let different = at_once(8, |i| ingest(rows[i].clone())).await;
    let records: HashSet<i64> = different.iter().map(|r| r.record_id).collect();
    let subjects: HashSet<i64> = different.iter().filter_map(|r| r.subject_id).collect();
    assert_eq!((records.len(), subjects.len()), (8, 8));
    let n = b.store.counts().await.unwrap();
    assert_eq!((n.subjects, n.records), (8, 8));
}

/// Batches: opened for a department (ids increase), closed with their counts and report, listed newest first.
async fn batches_are_opened_closed_and_listed_newest_first(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let b1 = s.open_batch(a.id, "xzcf", "api", Some("处罚.csv")).await.unwrap();
    let b2 = s.open_batch(a.id, "xzxk", "portal", None).await.unwrap();
    assert!(b2 > b1);
    let open = s.batch(b1).await.unwrap().unwrap();
    assert_eq!(
        (open.batch, open.department.as_str(), open.item.as_str(), open.rows, open.accepted, open.interrupted),
        (b1, a.uscc.as_str(), "xzcf", 0, 0, false)
    );
    assert!(open.report.is_empty());
    assert!(s.batch(b2 + 1000).await.unwrap().is_none());
    assert!(s.open_batch(c.id + 1000, "xzcf", "api", None).await.is_err(), "a batch belongs to a department");

    let report = vec![
        ReportLine {
            row: 4,
            column: "CF_JDRQ".into(),
            code: "date".into(),
            message: "日期格式不正确".into(),
            severity: "error".into(),
        },
        ReportLine {
            row: 5,
            column: "CF_XDR_MC".into(),
            code: "name".into(),
            message: "名称含空格".into(),
            severity: "warning".into(),
        },
    ];
    let summary = BatchSummary {
        batch: b1,
        department: a.uscc.clone(),
        item: "xzcf".into(),
        rows: 5,
        accepted: 3,
        rejected: 1,
        duplicates: 1,
        unresolved: 1,
        report: report.clone(),
        interrupted: false,
    };
    s.close_batch(&summary).await.unwrap();
    let closed = s.batch(b1).await.unwrap().unwrap();
    assert_eq!(
        (closed.rows, closed.accepted, closed.rejected, closed.duplicates, closed.unresolved, &closed.report),
        (5, 3, 1, 1, 1, &report)
    );
    assert!(!closed.interrupted);
    s.close_batch(&BatchSummary {
        batch: b2,
        item: "xzxk".into(),
        rows: 0,
        accepted: 0,
        report: vec![],
        ..summary.clone()
    })
    .await
    .unwrap();
    assert_eq!(s.batch(b2).await.unwrap().unwrap().rows, 0);
    let b3 = s.open_batch(c.id, "xzcf", "api", None).await.unwrap();
    s.close_batch(&BatchSummary { batch: b3, department: c.uscc.clone(), ..summary }).await.unwrap();

    let listed = |v: Vec<BatchSummary>| v.iter().map(|x| x.batch).collect::<Vec<_>>();
    assert_eq!(listed(s.recent_batches(None, 10).await.unwrap()), vec![b3, b2, b1]);
    assert_eq!(listed(s.recent_batches(Some(a.id), 10).await.unwrap()), vec![b2, b1]);
    assert_eq!(listed(s.recent_batches(None, 2).await.unwrap()), vec![b3, b2]);
    assert_eq!(listed(s.recent_batches(Some(c.id), 10).await.unwrap()), vec![b3]);
    assert_eq!(s.recent_batches(Some(a.id), 10).await.unwrap()[1].report, report);
}

/// The child process of `recover_batches_closes_what_a_dead_process_left_open` names its store so.
const CHILD_LOCATION: &str = "CREDO_CONTRACT_CHILD_LOCATION";
const CHILD_KEYRING: &str = "CREDO_CONTRACT_CHILD_KEYRING";
const CHILD_DEPARTMENT: &str = "CREDO_CONTRACT_CHILD_DEPARTMENT";
const CHILD_SAYS: &str = "contract-child-batch=";

/// Batches left open by a process that died are closed as interrupted, with the rows they committed, once; a batch
/// whose process still runs is left alone.
async fn recover_batches_closes_what_a_dead_process_left_open(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let (mine, _) = b.submit(a.id, "xzcf", &[penalty(&Party::company(1), "1号")]).await;
    assert!(s.recover_batches().await.unwrap().is_empty(), "this process runs: its batch is not interrupted");

    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_opens_a_batch_and_exits", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_LOCATION, &b.location)
        .env(CHILD_KEYRING, &b.keyring)
        .env(CHILD_DEPARTMENT, a.id.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&child.stderr));
    let theirs: i64 = stdout.lines().find_map(|l| Some(l.split_once(CHILD_SAYS)?.1)).unwrap().trim().parse().unwrap();
    assert!(!s.batch(theirs).await.unwrap().unwrap().interrupted, "not yet recovered");

    let recovered = s.recover_batches().await.unwrap();
    assert_eq!(recovered.iter().map(|r| r.batch).collect::<Vec<_>>(), vec![theirs], "only the dead process's batch");
    let r = &recovered[0];
    assert_eq!(
        (r.department.as_str(), r.item.as_str(), r.rows, r.accepted, r.interrupted),
        (a.uscc.as_str(), "xzcf", 2, 2, true),
        "closed with the rows it committed"
    );
    assert_eq!(
        (r.report.len(), r.report[0].code.as_str(), r.report[0].severity.as_str()),
        (1, "batch_interrupted", "error")
    );
    let stored = s.batch(theirs).await.unwrap().unwrap();
    assert_eq!((stored.interrupted, stored.accepted, &stored.report), (true, 2, &r.report));
    assert!(s.recover_batches().await.unwrap().is_empty(), "recovered once");
    assert!(!s.batch(mine).await.unwrap().unwrap().interrupted);
    assert!(s.recent_batches(Some(a.id), 10).await.unwrap().iter().any(|x| x.batch == theirs), "it is closed");
}

/// Not a contract: the process that dies with a batch open, for `recover_batches_closes_what_a_dead_process_left_open`.
/// Run only as that contract's child (its environment names the store); it does nothing otherwise.
#[tokio::test]
#[ignore = "run by a contract as its child process"]
async fn child_opens_a_batch_and_exits() {
    let (Ok(location), Ok(keyring), Ok(dept)) =
        (std::env::var(CHILD_LOCATION), std::env::var(CHILD_KEYRING), std::env::var(CHILD_DEPARTMENT))
    else {
        return;
    };
    let catalog = embedded::catalog();
    let store = open(&location, vault(Path::new(&keyring), &catalog)).await;
    let dept: i64 = dept.parse().unwrap();
    let rows: Vec<Incoming> = (2..4)
        .map(|n| row_in(&catalog, "xzcf", n, &penalty(&Party::company(50 + n as u32), &format!("中断{n}号"))))
        .collect();
    let batch = store.open_batch(dept, "xzcf", "api", Some("中断.csv")).await.unwrap();
    store.ingest(batch, dept, &rows).await.unwrap();
    assert!(store.start_check_job(&job(dept, "JOB-CHILD"), 2).await.unwrap());
    println!("{CHILD_SAYS}{batch}");
}

/// A check job of `department`, as it starts.
fn job(department: i64, id: &str) -> credo_store::CheckJob {
    credo_store::CheckJob {
        id: id.into(),
        department_id: department,
        scene: "zfcg".into(),
        status: "running".into(),
        total: 10,
        done: 0,
        hits: 0,
        unresolved: 0,
        receipts: Vec::new(),
        error: None,
    }
}

/// Check jobs start under a per-department limit counted atomically (many at once admit exactly the limit), keep
/// their progress, and are closed as failed once their process has died (never while it runs).
async fn check_jobs_start_within_the_limit_and_keep_their_progress(b: Backend) {
    let s = &*b.store;
    let (a, other) = (b.dept(1).await, b.dept(2).await);
    let admitted = at_once(6, |i| {
        let (store, j) = (b.store.clone(), job(a.id, &format!("JOB{i}")));
        async move { store.start_check_job(&j, 2).await.unwrap().then_some(j.id) }
    })
    .await;
    let admitted: Vec<String> = admitted.into_iter().flatten().collect();
    assert_eq!(admitted.len(), 2, "exactly the limit, however many ask at once");
    assert!(s.start_check_job(&job(other.id, "JOB-OTHER"), 2).await.unwrap(), "per department");
    let mut j = s.check_job(&admitted[0]).await.unwrap().unwrap();
    assert_eq!(j, job(a.id, &admitted[0]));
    (j.status, j.done, j.hits, j.unresolved, j.receipts) = ("done".into(), 10, 2, 1, vec!["CK1".into(), "CK2".into()]);
    s.update_check_job(&j).await.unwrap();
    assert_eq!(s.check_job(&j.id).await.unwrap().unwrap(), j, "its progress kept");
    assert!(s.start_check_job(&job(a.id, "JOB-NEXT"), 2).await.unwrap(), "a finished job frees its place");
    assert!(!s.start_check_job(&job(a.id, "JOB-MORE"), 2).await.unwrap());
    assert!(s.check_job("JOB-MORE").await.unwrap().is_none() && s.check_job("nope").await.unwrap().is_none());
    assert!(s.recover_check_jobs().await.unwrap().is_empty(), "this process runs: its jobs go on");

    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_opens_a_batch_and_exits", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_LOCATION, &b.location)
        .env(CHILD_KEYRING, &b.keyring)
        .env(CHILD_DEPARTMENT, other.id.to_string())
        .output()
        .await
        .unwrap();
    assert!(child.status.success(), "{}", String::from_utf8_lossy(&child.stderr));
    let recovered = s.recover_check_jobs().await.unwrap();
    assert_eq!(recovered.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), ["JOB-CHILD"], "only the dead process's");
    assert_eq!(recovered[0].status, "failed");
    assert!(recovered[0].error.as_deref().is_some_and(|e| e.contains("中断")));
    assert!(s.recover_check_jobs().await.unwrap().is_empty(), "recovered once");
}

// ---------------------------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------------------------

/// Subjects are found by their primary code, a legacy code, or (for a person) the ID number, which is given back
/// as sent although it is sealed at rest; many codes at once give a map keyed by the code as asked.
async fn subjects_are_found_by_any_of_their_codes(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let (firm, man) = (Party::company(1), Party::person(1));
    let org = org_code(&firm.code);
    let with_legacy = with(penalty(&firm, "1号"), &[("CF_XDR_ZZJG", org)]);
    let (_, out) = b.submit(a.id, "xzcf", &[with_legacy, penalty(&man, "2号")]).await;
    let (fid, pid) = (out[0].subject_id.unwrap(), out[1].subject_id.unwrap());
    assert_ne!(fid, pid);
    let f = s.subject(fid).await.unwrap().unwrap();
    assert_eq!(
        (f.id, f.kind, f.code.as_deref(), f.name.as_str()),
        (fid, SubjectKind::Organisation, Some(firm.code.as_str()), firm.name.as_str())
    );
    assert_eq!(f.name_norm, normalize_name(&firm.name));
    assert!(f.codes.contains(&firm.code) && f.codes.iter().any(|c| c == org), "{:?}", f.codes);
    assert_eq!(s.subject_by_code(&firm.code).await.unwrap(), Some(f.clone()));
    assert_eq!(s.subject_by_code(org).await.unwrap(), Some(f.clone()), "by a legacy code");
    let p = s.subject_by_code(&man.code).await.unwrap().unwrap();
    assert_eq!(
        (p.id, p.kind, p.code.as_deref(), p.name.as_str()),
        (pid, SubjectKind::Person, Some(man.code.as_str()), man.name.as_str())
    );
    assert_eq!(s.subject(pid).await.unwrap(), Some(p.clone()));
    assert_eq!(b.view(out[1].record_id).await.fields["CF_XDR_ZJHM"], man.code, "opened on the way out");
    assert!(s.subject_by_code(&uscc("91", 2)).await.unwrap().is_none());
    assert!(s.subject(fid.max(pid) + 1000).await.unwrap().is_none());

    let unknown = uscc("91", 2);
    let found = s.subjects_by_codes(&[&firm.code, org, &man.code, &unknown]).await.unwrap();
    assert_eq!(
        found.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from([firm.code.as_str(), org, man.code.as_str()])
    );
    assert_eq!((&found[&firm.code], &found[org], &found[&man.code]), (&f, &f, &p));
    assert!(s.subjects_by_codes(&[]).await.unwrap().is_empty());
}

/// Subjects page by id (`id > after`, in id order, at most `limit`); by ids, missing ids are skipped.
async fn subjects_page_in_id_order(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let ids = sorted(b.subjects(a.id, 5).await);
    let mut paged = Vec::new();
    let mut after = 0;
    for _ in 0..10 {
        let page = s.subjects_after(after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = last.id;
        paged.extend(page.iter().map(|x| x.id));
    }
    assert_eq!(paged, ids, "every subject once, in id order");
    let page: Vec<i64> = s.subjects_after(ids[1], 2).await.unwrap().iter().map(|x| x.id).collect();
    assert_eq!(page, ids[2..4]);
    assert!(s.subjects_after(ids[4], 10).await.unwrap().is_empty());
    let whole = s.subject(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        s.subjects_after(0, 1).await.unwrap()[0],
        credo_store::Subject { profile: None, ..whole },
        "all but the profile"
    );

    let got = s.subjects_by_ids(&[ids[3], ids[4] + 1000, ids[0]]).await.unwrap();
    assert_eq!(sorted(got.iter().map(|x| x.id).collect()), vec![ids[0], ids[3]]);
    assert_eq!(got.iter().find(|x| x.id == ids[3]), s.subject(ids[3]).await.unwrap().as_ref());
    assert!(s.subjects_by_ids(&[]).await.unwrap().is_empty());
}

/// By name: the subjects with exactly this normalised name (also one sealed because an ID number is written in it).
async fn subjects_by_name_match_the_normalised_name_exactly(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let twin = "西宁市同名商贸有限公司";
    let with_id = "王某630102199001011235经营部";
    let parties = [Party::named(twin, 1), Party::named(twin, 2), Party::company(3), Party::named(with_id, 4)];
    let rows: Vec<Raw> = parties.iter().enumerate().map(|(i, p)| penalty(p, &format!("{i}号"))).collect();
    let (_, out) = b.submit(a.id, "xzcf", &rows).await;
    let sid: Vec<i64> = out.iter().map(|r| r.subject_id.unwrap()).collect();
    let named = |norm: String| async move {
        let found = s.subjects_by_name(&norm).await.unwrap();
        assert!(found.iter().all(|x| x.name_norm == norm), "{found:?}");
        sorted(found.iter().map(|x| x.id).collect::<Vec<_>>())
    };
    assert_eq!(named(normalize_name(twin)).await, sorted(vec![sid[0], sid[1]]));
    assert_eq!(named(normalize_name(&parties[2].name)).await, vec![sid[2]]);
    assert_eq!(named(normalize_name(with_id)).await, vec![sid[3]]);
    assert_eq!(s.subject(sid[3]).await.unwrap().unwrap().name, with_id, "opened on the way out");
    assert!(named(format!("{}分公司", normalize_name(twin))).await.is_empty(), "exactly this name");
    assert!(named(String::new()).await.is_empty());
}

/// Records without a subject wait in the queue, oldest first, one department's or all, paged by limit and offset.
async fn unresolved_records_wait_oldest_first_and_page(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let mut queued_a = Vec::new();
    for (n, who) in [Party::unknown(1), Party::company(1), Party::unknown(2), Party::unknown(3)].iter().enumerate() {
        let r = b.submit_one(a.id, "xzcf", penalty(who, &format!("{n}号"))).await;
        if r.subject_id.is_none() {
            queued_a.push(r.record_id);
        }
    }
    let queued_c = b.submit_one(c.id, "xzcf", penalty(&Party::unknown(4), "9号")).await.record_id;
    assert_eq!(queued_a.len(), 3);
    let all = s.unresolved(None, 10, 0).await.unwrap();
    assert!(all.iter().all(|r| r.subject_id.is_none()));
    assert_eq!(record_ids(&all), [queued_a.clone(), vec![queued_c]].concat(), "oldest first");
    assert_eq!(record_ids(&s.unresolved(Some(a.id), 2, 0).await.unwrap()), queued_a[..2]);
    assert_eq!(record_ids(&s.unresolved(Some(a.id), 2, 2).await.unwrap()), queued_a[2..]);
    assert!(s.unresolved(Some(a.id), 2, 4).await.unwrap().is_empty());
    assert_eq!(record_ids(&s.unresolved(None, 2, 3).await.unwrap()), vec![queued_c]);
    let theirs = s.unresolved(Some(c.id), 10, 0).await.unwrap();
    assert_eq!(record_ids(&theirs), vec![queued_c]);
    assert_eq!(
        (
            theirs[0].department_uscc.as_str(),
            theirs[0].department_name.as_str(),
            theirs[0].item.as_str(),
            theirs[0].version
        ),
        (c.uscc.as_str(), c.name.as_str(), "xzcf", 1)
    );
}

/// A queued record is linked to its subject once (a feed entry for its latest version); later versions keep the
/// link; at once, one assignment takes it.
async fn assign_subject_takes_a_record_off_the_queue_once(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let (nobody, somebody) = (Party::unknown(1), Party::unknown(2));
    let (_, out) = b
        .submit(a.id, "xzcf", &[penalty(&nobody, "1号"), penalty(&Party::company(1), "2号"), penalty(&somebody, "3号")])
        .await;
    let (queued, resolved, other) = (out[0].record_id, out[1].record_id, out[2].record_id);
    let sid = out[1].subject_id.unwrap();
    let v2 = b.submit_one(a.id, "xzcf", with(penalty(&nobody, "1号"), &[("CF_NR_FK", "0.3")])).await;
    assert_eq!((v2.record_id, v2.version, v2.subject_id), (queued, 2, None));

    let seq = s.last_seq().await.unwrap();
    assert!(s.assign_subject(queued, sid).await.unwrap());
    assert_eq!(b.feed_after(seq).await, vec![entry("record", queued, Some(2))]);
    assert_eq!(b.view(queued).await.subject_id, Some(sid));
    assert!(record_ids(&s.subject_records(sid).await.unwrap()).contains(&queued));
    assert_eq!(record_ids(&s.unresolved(None, 10, 0).await.unwrap()), vec![other]);
    assert!(!s.assign_subject(queued, sid).await.unwrap(), "no longer queued");
    assert!(!s.assign_subject(resolved, sid).await.unwrap(), "never queued");
    assert!(!s.assign_subject(other.max(queued) + 1000, sid).await.unwrap(), "no such record");
    assert_eq!(b.feed_after(seq).await.len(), 1, "a refused assignment is not on the feed");

    let v3 = b.submit_one(a.id, "xzcf", with(penalty(&nobody, "1号"), &[("CF_NR_FK", "0.4")])).await;
    assert_eq!((v3.record_id, v3.version), (queued, 3));
    assert_eq!(b.view(queued).await.subject_id, Some(sid), "a later version does not put it back in the queue");

    let seq = s.last_seq().await.unwrap();
    let took = at_once(8, |_| {
        let s = b.store.clone();
        async move { s.assign_subject(other, sid).await.unwrap() }
    })
    .await;
    assert_eq!(count(&took, |t| *t), 1);
    assert_eq!(b.feed_after(seq).await, vec![entry("record", other, Some(1))]);
    assert_eq!(s.counts().await.unwrap().unresolved, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------------------------

/// A subject's records: latest versions, newest decision first (then newest record), with the version's batch and
/// receipt and the first version's receipt.
async fn subject_records_are_latest_versions_newest_decision_first(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let firm = Party::company(1);
    let on = |wsh: &str, day: &str| with(penalty(&firm, wsh), &[("CF_JDRQ", day)]);
    let jan = on("1号", "2025-01-02");
    let rows = [jan.clone(), on("2号", "2025-03-04"), on("3号", "2024-12-01"), on("4号", "2025-03-04")];
    let (_, out) = b.submit(a.id, "xzcf", &rows).await;
    b.submit_one(a.id, "xzcf", penalty(&Party::company(2), "5号")).await;
    let sid = out[0].subject_id.unwrap();
    let first = b.view(out[0].record_id).await.received_at;
    let (b2, _) = b.submit(a.id, "xzcf", &[with(jan, &[("CF_NR_FK", "0.3")])]).await;

    let recs = s.subject_records(sid).await.unwrap();
    let (march_old, march_new) = (out[1].record_id.min(out[3].record_id), out[1].record_id.max(out[3].record_id));
    assert_eq!(record_ids(&recs), vec![march_new, march_old, out[0].record_id, out[2].record_id]);
    let j = &recs[2];
    assert_eq!(
        (j.version, j.batch_id, j.fields["CF_NR_FK"].as_str(), j.decided_on, j.subject_id),
        (2, b2, "0.3", Some(date!(2025 - 01 - 02)), Some(sid))
    );
    assert_eq!(
        (j.department_name.as_str(), j.department_uscc.as_str(), j.item.as_str()),
        (a.name.as_str(), a.uscc.as_str(), "xzcf")
    );
    assert_eq!(j.first_received_at, first, "the first version's receipt");
    assert!(j.received_at > first, "the latest version's receipt");
    assert!(s.subject_records(sid + 1000).await.unwrap().is_empty());
}

/// Latest versions of the records of some items that have a subject, `id > after`, in id order, at most `limit`.
async fn records_of_items_page_in_id_order(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let firm = Party::company(1);
    let (_, pens) = b
        .submit(a.id, "xzcf", &[penalty(&firm, "1号"), penalty(&Party::unknown(1), "2号"), penalty(&firm, "3号")])
        .await;
    let l1 = b.submit_one(a.id, "xzxk", licence(&firm, "许1号")).await.record_id;
    b.submit_one(a.id, "xzcf", with(penalty(&firm, "1号"), &[("CF_NR_FK", "0.3")])).await;
    let (p1, p3) = (pens[0].record_id, pens[2].record_id);
    let xzcf = s.records_of_items(&["xzcf"], 0, 10).await.unwrap();
    assert_eq!(record_ids(&xzcf), sorted(vec![p1, p3]), "only records with a subject");
    assert_eq!((xzcf[0].version, xzcf[0].fields["CF_NR_FK"].as_str()), (2, "0.3"), "latest versions");
    let both = sorted(vec![p1, p3, l1]);
    assert_eq!(record_ids(&s.records_of_items(&["xzcf", "xzxk"], 0, 10).await.unwrap()), both);
    assert_eq!(record_ids(&s.records_of_items(&["xzcf", "xzxk"], both[0], 1).await.unwrap()), vec![both[1]]);
    let mut paged = Vec::new();
    let mut after = 0;
    while let Some(r) = s.records_of_items(&["xzcf", "xzxk"], after, 1).await.unwrap().pop() {
        after = r.id;
        paged.push(r.id);
        assert!(paged.len() <= 3);
    }
    assert_eq!(paged, both);
    assert!(s.records_of_items(&["xzxk"], l1, 10).await.unwrap().is_empty());
    assert!(s.records_of_items(&["djzc"], 0, 10).await.unwrap().is_empty());
    assert!(s.records_of_items(&[], 0, 10).await.unwrap().is_empty());
}

/// Records by id (missing ids skipped, queued records too); the newest records of some items that have a subject,
/// newest first.
async fn records_by_ids_and_latest_records(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let firm = Party::company(1);
    let p1 = b.submit_one(a.id, "xzcf", penalty(&firm, "1号")).await.record_id;
    let q = b.submit_one(a.id, "xzcf", penalty(&Party::unknown(1), "2号")).await.record_id;
    let p3 = b.submit_one(a.id, "xzcf", penalty(&firm, "3号")).await.record_id;
    let l1 = b.submit_one(a.id, "xzxk", licence(&firm, "许1号")).await.record_id;
    b.submit_one(a.id, "xzxk", with(licence(&firm, "许1号"), &[("XK_NR", "食品经营(含冷食)")])).await;

    let got = s.records_by_ids(&[p3, l1 + 1000, p1, q]).await.unwrap();
    assert_eq!(sorted(record_ids(&got)), sorted(vec![p1, p3, q]));
    assert_eq!(got.iter().find(|r| r.id == q).unwrap().subject_id, None);
    assert!(s.records_by_ids(&[]).await.unwrap().is_empty());
    assert_eq!(b.view(l1).await.version, 2);

    assert_eq!(record_ids(&s.latest_records(&["xzcf", "xzxk"], 2).await.unwrap()), vec![l1, p3], "newest first");
    let xzcf = s.latest_records(&["xzcf"], 10).await.unwrap();
    assert_eq!(record_ids(&xzcf), vec![p3, p1], "records without a subject are left out");
    let lic = s.latest_records(&["xzxk"], 10).await.unwrap();
    assert_eq!((record_ids(&lic), lic[0].version), (vec![l1], 2), "latest versions");
    assert!(s.latest_records(&[], 10).await.unwrap().is_empty());
    assert!(s.latest_records(&["xzcf"], 0).await.unwrap().is_empty());
}

/// A department's records, newest first (the queued ones too), latest versions, at most `limit`.
async fn department_records_are_its_newest_first(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let firm = Party::company(1);
    let r1 = b.submit_one(a.id, "xzcf", penalty(&firm, "1号")).await.record_id;
    let q = b.submit_one(a.id, "xzcf", penalty(&Party::unknown(1), "2号")).await.record_id;
    let r3 = b.submit_one(a.id, "xzcf", penalty(&firm, "3号")).await.record_id;
    b.submit_one(a.id, "xzcf", with(penalty(&firm, "3号"), &[("CF_NR_FK", "0.3")])).await;
    let theirs = b.submit_one(c.id, "xzcf", penalty(&firm, "1号")).await.record_id;

    let mine = s.department_records(a.id, 10).await.unwrap();
    assert_eq!(record_ids(&mine), vec![r3, q, r1]);
    assert_eq!((mine[0].version, mine[0].fields["CF_NR_FK"].as_str()), (2, "0.3"));
    assert_eq!(record_ids(&s.department_records(a.id, 2).await.unwrap()), vec![r3, q]);
    assert_eq!(record_ids(&s.department_records(c.id, 10).await.unwrap()), vec![theirs]);
    assert!(s.department_records(c.id + 1000, 10).await.unwrap().is_empty());
}

/// Every version, in order, of the records of some items that have more than one version; `limit` counts records.
async fn changed_records_list_every_version_of_changed_records(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let firm = Party::company(1);
    let p = |wsh: &str, fine: &str| with(penalty(&firm, wsh), &[("CF_NR_FK", fine)]);
    let (ba, out) = b.submit(a.id, "xzcf", &[p("1号", "0.2"), p("2号", "0.2"), p("3号", "0.2")]).await;
    let (r1, r3) = (out[0].record_id, out[2].record_id);
    let (bb, _) = b.submit(a.id, "xzcf", &[p("1号", "0.3"), p("3号", "0.3")]).await;
    let (bc, _) = b.submit(a.id, "xzcf", &[p("3号", "0.4")]).await;
    let l1 = b.submit_one(a.id, "xzxk", licence(&firm, "许1号")).await.record_id;
    b.submit_one(a.id, "xzxk", with(licence(&firm, "许1号"), &[("XK_NR", "食品经营(含冷食)")])).await;
    let q1 = b.submit_one(c.id, "xzcf", p("1号", "0.2")).await.record_id;
    b.submit_one(c.id, "xzcf", p("1号", "0.5")).await;

    type Key = (i64, i64, Option<String>);
    let keys =
        |v: &[RecordView]| v.iter().map(|r| (r.id, r.version, r.fields.get("CF_NR_FK").cloned())).collect::<Vec<Key>>();
    let k = |id: i64, version: i64, fine: &str| (id, version, Some(fine.to_string()));
    let r1_versions = vec![k(r1, 1, "0.2"), k(r1, 2, "0.3")];
    let r3_versions = vec![k(r3, 1, "0.2"), k(r3, 2, "0.3"), k(r3, 3, "0.4")];
    let q1_versions = vec![k(q1, 1, "0.2"), k(q1, 2, "0.5")];
    let all = s.changed_records(&["xzcf"], None, 0, 10).await.unwrap();
    assert_eq!(keys(&all), [r1_versions.clone(), r3_versions.clone(), q1_versions].concat());
    let r3_views: Vec<&RecordView> = all.iter().filter(|r| r.id == r3).collect();
    assert_eq!(r3_views.iter().map(|r| r.batch_id).collect::<Vec<_>>(), vec![ba, bb, bc], "each version's batch");
    assert!(r3_views.iter().all(|r| r.first_received_at == r3_views[0].received_at), "the first receipt throughout");
    assert!(r3_views.windows(2).all(|w| w[0].received_at <= w[1].received_at));

    assert_eq!(
        keys(&s.changed_records(&["xzcf"], Some(a.id), 0, 10).await.unwrap()),
        [r1_versions.clone(), r3_versions.clone()].concat()
    );
    assert_eq!(keys(&s.changed_records(&["xzcf"], None, 0, 1).await.unwrap()), r1_versions, "the limit counts records");
    assert_eq!(keys(&s.changed_records(&["xzcf"], None, r1, 1).await.unwrap()), r3_versions);
    let with_licences = s.changed_records(&["xzcf", "xzxk"], Some(a.id), 0, 10).await.unwrap();
    assert_eq!(with_licences.iter().map(|r| r.id).collect::<BTreeSet<_>>(), BTreeSet::from([r1, r3, l1]));
    assert!(s.changed_records(&["xzxk"], Some(c.id), 0, 10).await.unwrap().is_empty());
    assert!(s.changed_records(&[], None, 0, 10).await.unwrap().is_empty());
    // Every version of records named by id, whatever their item, those of one version too.
    let two = s.versions_of(&[r3, out[1].record_id]).await.unwrap();
    assert_eq!(keys(&two), [vec![k(out[1].record_id, 1, "0.2")], r3_versions.clone()].concat());
    assert!(s.versions_of(&[]).await.unwrap().is_empty());
}

/// The items each subject asked about has records of, and the subjects of records (not of queued ones).
async fn subject_items_are_the_items_of_their_records(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let p1 = b.submit_one(a.id, "xzcf", penalty(&Party::company(1), "1号")).await;
    let s1 = p1.subject_id.unwrap();
    let p2 = b.submit_one(a.id, "xzcf", penalty(&Party::company(1), "2号")).await;
    let l1 = b.submit_one(a.id, "xzxk", licence(&Party::company(1), "许0号")).await;
    let s2 = b.submit_one(a.id, "xzxk", licence(&Party::company(2), "许1号")).await.subject_id.unwrap();
    let s3 = b.submit_one(a.id, "djzc", registration("城东区马记牛肉面馆", "存续")).await.subject_id.unwrap();
    let none = s1.max(s2).max(s3) + 1000;
    let items = s.subject_items(&[s1, s2, s3, none]).await.unwrap();
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[&s1], set(&["xzcf", "xzxk"]));
    assert_eq!(items[&s2], set(&["xzxk"]));
    assert_eq!(items[&s3], set(&["djzc"]));
    assert!(s.subject_items(&[]).await.unwrap().is_empty());
    let many: Vec<i64> = (0..2_000).map(|i| none + i).chain([s2]).collect();
    assert_eq!(s.subject_items(&many).await.unwrap().len(), 1, "past one statement's parameters");

    let queued = b.submit_one(a.id, "xzcf", penalty(&Party::unknown(1), "3号")).await;
    assert!(queued.subject_id.is_none());
    let queued = queued.record_id;
    let of = s.subjects_of_records(&[p1.record_id, p2.record_id, l1.record_id, queued, none]).await.unwrap();
    assert_eq!(of, vec![s1], "each subject once; none for a queued record or an unknown one");
    assert!(s.subjects_of_records(&[]).await.unwrap().is_empty());
}

/// Record counts by department, item, decision day and first receipt day (in Beijing): records, not versions.
async fn record_stats_count_records_not_versions(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let firm = Party::company(1);
    let on = |wsh: &str, day: &str| with(penalty(&firm, wsh), &[("CF_JDRQ", day)]);
    let (_, mine) =
        b.submit(a.id, "xzcf", &[on("1号", "2025-01-02"), on("2号", "2025-01-02"), on("3号", "2025-03-04")]).await;
    b.submit_one(a.id, "xzcf", with(on("1号", "2025-01-02"), &[("CF_NR_FK", "0.3")])).await;
    let l = b.submit_one(a.id, "xzxk", licence(&firm, "许1号")).await;
    let theirs = b.submit_one(c.id, "xzcf", on("1号", "2025-01-02")).await;

    let all: Vec<i64> = mine.iter().chain([&l, &theirs]).map(|r| r.record_id).collect();
    let mut expected: HashMap<(String, String, Option<Date>, String), i64> = HashMap::new();
    for v in s.records_by_ids(&all).await.unwrap() {
        // The day in Beijing: between 16:00 and 24:00 UTC it is already the next day.
        let received_on = v.first_received_at.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap()).date().to_string();
        *expected.entry((v.department_name, v.item, v.decided_on, received_on)).or_default() += 1;
    }
    let rows = s.record_stats().await.unwrap();
    assert_eq!(rows.iter().map(|r| r.count).sum::<i64>(), 5, "five records, six versions");
    let stats: HashMap<_, _> =
        rows.into_iter().map(|r| ((r.department, r.item, r.decided_on, r.received_on), r.count)).collect();
    assert_eq!(stats, expected, "one row per department, item, decision day and receipt day");
    assert!(stats.values().any(|n| *n == 2), "two of the department's penalties share a day: {stats:?}");
}

/// A subject's records as the platform knew them at an instant: per record, the last version received by then.
async fn subject_records_as_of_returns_what_was_received_by_then(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let firm = Party::company(1);
    let on = |wsh: &str, day: &str| with(penalty(&firm, wsh), &[("CF_JDRQ", day)]);
    let one = b.submit_one(a.id, "xzcf", on("1号", "2025-01-02")).await;
    let sid = one.subject_id.unwrap();
    let r1 = b.view(one.record_id).await.received_at;
    let two = b.submit_one(a.id, "xzcf", on("2号", "2025-03-04")).await;
    let r2 = b.view(two.record_id).await.received_at;
    b.submit_one(a.id, "xzcf", with(on("1号", "2025-01-02"), &[("CF_NR_FK", "0.3")])).await;
    let r3 = b.view(one.record_id).await.received_at;
    assert!(r1 < r2 && r2 < r3, "{r1} {r2} {r3}");
    b.submit_one(a.id, "xzcf", penalty(&Party::company(2), "3号")).await;

    let at = |t: OffsetDateTime| async move {
        let views = s.subject_records_as_of(sid, t).await.unwrap();
        views.iter().map(|v| (v.id, v.version)).collect::<Vec<_>>()
    };
    // Instants written with the same fraction of a second as the receipts (see the next contract for others).
    assert!(at(r1 - Duration::seconds(1)).await.is_empty(), "before the first receipt");
    assert_eq!(at(r1).await, vec![(one.record_id, 1)], "a version counts from the instant it was received");
    assert_eq!(at(r2).await, vec![(two.record_id, 1), (one.record_id, 1)], "newest decision first");
    assert_eq!(at(r3).await, vec![(two.record_id, 1), (one.record_id, 2)]);
    assert_eq!(at(datetime!(2099-01-01 0:00 UTC)).await, vec![(two.record_id, 1), (one.record_id, 2)]);
    let views = s.subject_records_as_of(sid, r2).await.unwrap();
    assert_eq!(
        (views[1].fields["CF_NR_FK"].as_str(), views[1].received_at, views[1].first_received_at),
        ("0.2", r1, r1)
    );
    assert!(s.subject_records_as_of(sid + 1000, r3).await.unwrap().is_empty());
}

/// Instants are compared as instants however they are written: in China time, on a whole second, or a nanosecond
/// before a receipt.
async fn subject_records_as_of_compares_instants(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let firm = Party::company(1);
    let one = b.submit_one(a.id, "xzcf", penalty(&firm, "1号")).await;
    let sid = one.subject_id.unwrap();
    let r1 = b.view(one.record_id).await.received_at;
    b.submit_one(a.id, "xzcf", with(penalty(&firm, "1号"), &[("CF_NR_FK", "0.3")])).await;
    let r2 = b.view(one.record_id).await.received_at;
    let versions = |t: OffsetDateTime| async move {
        s.subject_records_as_of(sid, t).await.unwrap().iter().map(|v| v.version).collect::<Vec<_>>()
    };
    assert_eq!((versions(r1).await, versions(r2).await), (vec![1], vec![2]));
    let whole_second = r1.replace_nanosecond(0).unwrap();
    let china = UtcOffset::from_hms(8, 0, 0).unwrap();
    let cases = [
        (r1.to_offset(china), vec![1]),
        (r2.to_offset(china), vec![2]),
        (if whole_second < r1 { whole_second } else { r1 - Duration::seconds(1) }, vec![]),
        (r1 - Duration::nanoseconds(1), vec![]),
        (r2 - Duration::nanoseconds(1), vec![1]),
    ];
    let mut wrong = Vec::new();
    for (t, expected) in cases {
        let seen = versions(t).await;
        if seen != expected {
            wrong.push(format!("at {t} (receipts {r1}, {r2}): versions {seen:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------------------------

/// Audit events form one chain keyed by the vault's audit key: sequence numbers from 1 without gaps, each linked to
/// the one before; the head is the last event; events after a sequence number come in order, at most `limit`.
async fn audit_events_form_a_keyed_chain(b: Backend) {
    let s = &*b.store;
    let base = s.audit_base().await.unwrap();
    assert_eq!(base.0, 0);
    assert_eq!(s.audit_head().await.unwrap(), base, "an empty chain's head is its base");
    assert!(s.audit_after(0, 10).await.unwrap().is_empty());
    let events: Vec<AuditEvent> = (1..=5).map(|n| event(n, Some("subject:1"))).collect();
    for (n, e) in events[..3].iter().enumerate() {
        assert_eq!(s.append_audit(e).await.unwrap(), n as i64 + 1);
    }
    assert_eq!(s.append_audit_many(&events[3..]).await.unwrap(), 5, "the last sequence number");
    let head = s.audit_head().await.unwrap();
    assert_eq!(s.append_audit_many(&[]).await.unwrap(), 5, "nothing appended");
    assert_eq!(s.audit_head().await.unwrap(), head);

    let stored = s.audit_after(0, 100).await.unwrap();
    assert_eq!(stored.iter().map(|e| &e.event).collect::<Vec<_>>(), events.iter().collect::<Vec<_>>());
    assert_chain(&b.vault, base, &stored);
    assert_eq!(head, (5, stored[4].hash.clone()));
    assert!(stored.iter().all(|e| !e.at.is_empty()));
    let page = s.audit_after(2, 2).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(page[0], stored[2]);
    assert!(s.audit_after(5, 10).await.unwrap().is_empty());
}

/// The auditors' search: newest first, below a sequence number, each filter narrowing (an action also matching the
/// actions under it, never a mere prefix of a word), times as `[from, to)`.
async fn audit_search_filters_newest_first(b: Backend) {
    let s = &*b.store;
    let mut events: Vec<AuditEvent> = (1..=6).map(|n| event(n % 2, Some(&format!("subject:{n}")))).collect();
    events[1].action = "check.zfcg".into();
    events[2].action = "check".into();
    events[3].action = "checkpoint.sign".into();
    events[4].action = "check_x".into();
    events[5].result = "denied: csrf".into();
    s.append_audit_many(&events).await.unwrap();
    let seqs = |v: Vec<credo_store::StoredAuditEvent>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
    let all = AuditFilter::default();
    assert_eq!(seqs(s.audit_search(&all, None, 100).await.unwrap()), vec![6, 5, 4, 3, 2, 1]);
    assert_eq!(seqs(s.audit_search(&all, Some(4), 2).await.unwrap()), vec![3, 2], "below 4, at most 2");
    let by_actor = AuditFilter { actor: Some("user1".into()), ..AuditFilter::default() };
    assert_eq!(seqs(s.audit_search(&by_actor, None, 100).await.unwrap()), vec![5, 3, 1]);
    let checks = AuditFilter { action: Some("check".into()), ..AuditFilter::default() };
    assert_eq!(
        seqs(s.audit_search(&checks, None, 100).await.unwrap()),
        vec![3, 2],
        "check and check.*, not checkpoint"
    );
    let wild = AuditFilter { action: Some("check%".into()), ..AuditFilter::default() };
    assert!(s.audit_search(&wild, None, 100).await.unwrap().is_empty(), "% is a character, not a pattern");
    let target = AuditFilter { target: Some("subject:4".into()), ..AuditFilter::default() };
    assert_eq!(seqs(s.audit_search(&target, None, 100).await.unwrap()), vec![4]);
    let denied =
        AuditFilter { result: Some("denied: csrf".into()), actor: Some("user0".into()), ..AuditFilter::default() };
    assert_eq!(seqs(s.audit_search(&denied, None, 100).await.unwrap()), vec![6]);
    let at = s.audit_after(0, 1).await.unwrap().remove(0).at;
    let from = AuditFilter { from: Some(at.clone()), ..AuditFilter::default() };
    assert_eq!(s.audit_search(&from, None, 100).await.unwrap().len(), 6, "from is included");
    let to = AuditFilter { to: Some(at), ..AuditFilter::default() };
    assert!(s.audit_search(&to, None, 100).await.unwrap().is_empty(), "to is not");
}

/// Appends at once, single and several: one chain, every event once, no sequence number given twice.
async fn concurrent_audit_appends_keep_one_chain(b: Backend) {
    let s = &*b.store;
    let base = s.audit_base().await.unwrap();
    // Every fifth task appends three events together (actor `many{i}`), the others one each (actor `user{i}`).
    let together = |i: usize| -> Vec<AuditEvent> {
        (0..3).map(|k| AuditEvent { actor: format!("many{i}"), ..event(k, Some(&k.to_string())) }).collect()
    };
    let last = at_once(20, |i| {
        let (s, many) = (b.store.clone(), together(i));
        async move {
            if i % 5 == 0 {
                s.append_audit_many(&many).await.unwrap()
            } else {
                s.append_audit(&event(i, None)).await.unwrap()
            }
        }
    })
    .await;
    assert_eq!(last.iter().collect::<HashSet<_>>().len(), 20, "each append ends at its own sequence number");
    let stored = s.audit_after(0, 100).await.unwrap();
    assert_eq!(stored.len(), 16 + 4 * 3);
    assert_chain(&b.vault, base, &stored);
    assert_eq!(s.audit_head().await.unwrap(), (28, stored[27].hash.clone()));
    let distinct: HashSet<(&str, Option<&str>)> =
        stored.iter().map(|e| (e.event.actor.as_str(), e.event.target.as_deref())).collect();
    assert_eq!(distinct.len(), 28, "every event once");
    for i in (0..20).filter(|i| i % 5 == 0) {
        let seqs: Vec<i64> = stored.iter().filter(|e| e.event.actor == format!("many{i}")).map(|e| e.seq).collect();
        assert_eq!(seqs.len(), 3);
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "appended together, kept together: {seqs:?}");
        assert_eq!(seqs[2], last[i], "the last sequence number is returned");
    }
}

/// Archiving removes the events up to a sequence number and moves the base there, never back; the chain goes on
/// from the head.
async fn archiving_moves_the_base_forward_only(b: Backend) {
    let s = &*b.store;
    for n in 1..=5 {
        s.append_audit(&event(n, None)).await.unwrap();
    }
    let all = s.audit_after(0, 100).await.unwrap();
    let head = s.audit_head().await.unwrap();
    s.archive_audit(3, &all[2].hash).await.unwrap();
    assert_eq!(s.audit_base().await.unwrap(), (3, all[2].hash.clone()));
    let live = s.audit_after(0, 100).await.unwrap();
    assert_eq!(live, all[3..], "events up to 3 are gone");
    assert_chain(&b.vault, s.audit_base().await.unwrap(), &live);
    assert_eq!(s.audit_head().await.unwrap(), head, "the head stays");
    s.archive_audit(2, &all[1].hash).await.unwrap();
    assert_eq!(s.audit_base().await.unwrap(), (3, all[2].hash.clone()), "never back");
    assert_eq!(s.audit_after(0, 100).await.unwrap(), live);
    assert_eq!(s.append_audit(&event(6, None)).await.unwrap(), 6);
    assert_chain(&b.vault, s.audit_base().await.unwrap(), &s.audit_after(0, 100).await.unwrap());
}

/// Signed checkpoints: kept once per sequence number (the first one stays), listed by sequence number.
async fn checkpoints_are_kept_once_per_seq(b: Backend) {
    let s = &*b.store;
    assert!(s.checkpoints().await.unwrap().is_empty());
    let cp = |seq: i64, signature: &str| Checkpoint {
        seq,
        hash: format!("{seq:064x}"),
        at: "2026-11-25T08:00:00Z".into(),
        signature: signature.into(),
        public_key: "04abcd".into(),
    };
    s.add_checkpoint(&cp(2, "sig-a")).await.unwrap();
    s.add_checkpoint(&cp(1, "sig-b")).await.unwrap();
    s.add_checkpoint(&cp(2, "sig-c")).await.unwrap();
    assert_eq!(s.checkpoints().await.unwrap(), vec![cp(1, "sig-b"), cp(2, "sig-a")]);
}

/// Events about one target, newest first, at most `limit`; archived events are gone.
async fn audit_for_target_is_newest_first(b: Backend) {
    let s = &*b.store;
    let targets = [Some("subject:1"), Some("subject:2"), Some("subject:1"), None, Some("subject:1"), Some("subject:2")];
    for (n, t) in targets.iter().enumerate() {
        s.append_audit(&event(n, *t)).await.unwrap();
    }
    let seqs = |v: Vec<StoredAuditEvent>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
    let one = s.audit_for_target("subject:1", 10).await.unwrap();
    assert!(one.iter().all(|e| e.event.target.as_deref() == Some("subject:1")));
    assert_eq!(seqs(one), vec![5, 3, 1]);
    assert_eq!(seqs(s.audit_for_target("subject:1", 2).await.unwrap()), vec![5, 3]);
    assert_eq!(seqs(s.audit_for_target("subject:2", 10).await.unwrap()), vec![6, 2]);
    assert!(s.audit_for_target("subject:3", 10).await.unwrap().is_empty());
    let third = s.audit_after(2, 1).await.unwrap().remove(0);
    s.archive_audit(3, &third.hash).await.unwrap();
    assert_eq!(seqs(s.audit_for_target("subject:1", 10).await.unwrap()), vec![5]);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------------

/// A check is kept with its receipt and signature, once (never overwritten); an operator's check has no
/// department; adding a check logs no audit event of its own.
async fn checks_are_kept_with_their_receipts(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let subj = b.subjects(a.id, 2).await;
    let c1 = new_check("chk-1", Some(a.id), "zfcg", &[(Some(subj[0]), Some("restrict")), (None, None)]);
    s.add_check(&c1).await.unwrap();
    let stored = s.check("chk-1").await.unwrap().unwrap();
    assert_eq!(
        (
            stored.id.as_str(),
            stored.department_id,
            stored.scene.as_str(),
            stored.receipt.as_str(),
            stored.signature.as_str()
        ),
        ("chk-1", Some(a.id), "zfcg", c1.receipt.as_str(), "sig-chk-1")
    );
    assert!(s.check("chk-x").await.unwrap().is_none());
    assert!(s.add_check(&NewCheck { receipt: "forged".into(), ..c1.clone() }).await.is_err());
    assert_eq!(s.check("chk-1").await.unwrap().unwrap().receipt, c1.receipt, "never overwritten");
    s.add_check(&new_check("chk-2", None, "zfcg", &[(Some(subj[1]), Some("clear"))])).await.unwrap();
    assert_eq!(s.check("chk-2").await.unwrap().unwrap().department_id, None);
    assert_eq!(s.audit_head().await.unwrap().0, 0);
}

/// Checks and their audit events are stored together or not at all (a check already stored fails the whole group);
/// groups committed at once keep one chain.
async fn record_checks_stores_checks_and_events_together(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let subj = b.subjects(a.id, 1).await[0];
    let check = |id: &str| new_check(id, Some(a.id), "zfcg", &[(Some(subj), Some("restrict"))]);
    let events: Vec<AuditEvent> = (1..=3).map(|n| event(n, Some("subject:1"))).collect();
    s.record_checks(&[check("g-1"), check("g-2")], &events).await.unwrap();
    for id in ["g-1", "g-2"] {
        let stored = s.check(id).await.unwrap().unwrap();
        assert_eq!((stored.receipt, stored.proof), (check(id).receipt, check(id).proof), "{id} with its proof");
    }
    let stored = s.audit_after(0, 100).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events);

    let head = s.audit_head().await.unwrap();
    let failed = s.record_checks(&[check("g-3"), check("g-1")], &[event(4, None)]).await;
    assert!(failed.is_err(), "g-1 is stored already");
    assert!(s.check("g-3").await.unwrap().is_none(), "nothing of the failed group is kept");
    assert_eq!(s.audit_head().await.unwrap(), head, "nor its audit events");
    s.record_checks(&[], &[]).await.unwrap();
    assert_eq!(s.audit_head().await.unwrap(), head);

    at_once(4, |i| {
        let (s, c, e) = (b.store.clone(), check(&format!("p-{i}")), event(10 + i, None));
        async move { s.record_checks(&[c], &[e]).await.unwrap() }
    })
    .await;
    for i in 0..4 {
        assert!(s.check(&format!("p-{i}")).await.unwrap().is_some());
    }
    assert_eq!(s.audit_head().await.unwrap().0, 7);
    assert_chain(&b.vault, s.audit_base().await.unwrap(), &s.audit_after(0, 100).await.unwrap());
}

/// Feedback on a result: once (a second is a conflict, also at once); `false` for a result that does not exist.
async fn feedback_is_given_once_per_result(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let subj = b.subjects(a.id, 1).await[0];
    s.add_check(&new_check("c1", Some(a.id), "zfcg", &[(Some(subj), Some("restrict")), (None, None)])).await.unwrap();
    assert!(s.add_feedback("c1", 0, "已限制", Some("依法限制投标"), "zhang").await.unwrap());
    let again = s.add_feedback("c1", 0, "未限制", None, "li").await;
    assert!(is_conflict(&again), "{again:?}");
    assert!(!s.add_feedback("c1", 9, "已限制", None, "zhang").await.unwrap(), "no such position");
    assert!(!s.add_feedback("nope", 0, "已限制", None, "zhang").await.unwrap(), "no such check");
    assert_eq!(s.check_stats(Some(a.id)).await.unwrap()[0].answered, 1, "the first feedback stays");

    s.add_check(&new_check("c2", Some(a.id), "zfcg", &[(Some(subj), Some("forbid"))])).await.unwrap();
    let results = at_once(8, |i| {
        let s = b.store.clone();
        async move { s.add_feedback("c2", 0, "已限制", None, &format!("user{i}")).await }
    })
    .await;
    assert_eq!((count(&results, |r| matches!(r, Ok(true))), count(&results, is_conflict)), (1, 7), "{results:?}");
}

/// A check's feedback by position; a department's checks newest first with their counts, no other department's.
async fn check_feedback_and_recent_checks(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let subj = b.subjects(a.id, 1).await[0];
    s.add_check(&new_check("c1", Some(a.id), "zfcg", &[(Some(subj), Some("restrict")), (None, None)])).await.unwrap();
    s.add_check(&new_check("c2", Some(a.id), "ztb", &[(Some(subj), Some("clear"))])).await.unwrap();
    s.add_check(&new_check("c3", Some(c.id), "zfcg", &[(Some(subj), Some("forbid"))])).await.unwrap();
    assert!(s.check_feedback("c1").await.unwrap().is_empty());
    s.add_feedback("c1", 0, "未采纳", Some("已另行核实"), "zhang").await.unwrap();
    let fb = s.check_feedback("c1").await.unwrap();
    assert_eq!(fb.len(), 1);
    assert_eq!((fb[0].position, fb[0].action.as_str(), fb[0].reason.as_deref()), (0, "未采纳", Some("已另行核实")));
    assert_eq!(fb[0].actor, "zhang");
    assert!(!fb[0].at.is_empty());

    let recent = s.recent_checks(Some(a.id), 10).await.unwrap();
    let ids: BTreeSet<&str> = recent.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["c1", "c2"]), "only its own");
    let c1 = recent.iter().find(|r| r.id == "c1").unwrap();
    assert_eq!((c1.scene.as_str(), c1.subjects, c1.hits, c1.answered), ("zfcg", 2, 1, 1));
    assert!(recent.windows(2).all(|w| (&w[0].created_at, &w[0].id) >= (&w[1].created_at, &w[1].id)), "newest first");
    assert_eq!(s.recent_checks(Some(a.id), 1).await.unwrap().len(), 1, "at most the limit");
    assert!(s.recent_checks(None, 10).await.unwrap().is_empty(), "no check without a department");
}

/// Counts per department and scene (checks, results, hits other than `clear`, answered hits); hits waiting for
/// feedback, oldest first, one department's or all.
async fn check_stats_and_pending_feedback(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let subj = b.subjects(a.id, 2).await;
    let (s1, s2) = (subj[0], subj[1]);
    s.add_check(&new_check(
        "c1",
        Some(a.id),
        "zfcg",
        &[(Some(s1), Some("clear")), (Some(s2), Some("restrict")), (None, None)],
    ))
    .await
    .unwrap();
    s.add_check(&new_check("c2", Some(a.id), "zfcg", &[(Some(s2), Some("forbid"))])).await.unwrap();
    s.add_check(&new_check("c3", Some(c.id), "pjpy", &[(Some(s1), Some("restrict"))])).await.unwrap();
    s.add_check(&new_check("c4", None, "zfcg", &[(Some(s2), Some("restrict"))])).await.unwrap();
    s.add_feedback("c1", 1, "已限制", None, "zhang").await.unwrap();

    let stats: BTreeSet<(Option<String>, String, i64, i64, i64, i64)> = s
        .check_stats(None)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.department, x.scene, x.checks, x.subjects, x.hits, x.answered))
        .collect();
    let row = |d: Option<&Department>, scene: &str, n: [i64; 4]| {
        (d.map(|d| d.uscc.clone()), scene.to_string(), n[0], n[1], n[2], n[3])
    };
    assert_eq!(
        stats,
        BTreeSet::from([
            row(Some(&a), "zfcg", [2, 4, 2, 1]),
            row(Some(&c), "pjpy", [1, 1, 1, 0]),
            row(None, "zfcg", [1, 1, 1, 0])
        ])
    );
    let theirs = s.check_stats(Some(c.id)).await.unwrap();
    assert_eq!(
        (theirs.len(), theirs[0].department.as_deref(), theirs[0].scene.as_str()),
        (1, Some(c.uscc.as_str()), "pjpy")
    );

    let pending = |v: Vec<PendingFeedback>| v.iter().map(|p| (p.check_id.clone(), p.position)).collect::<Vec<_>>();
    let all = s.pending_feedback(None, 10).await.unwrap();
    assert_eq!(
        pending(all.clone()),
        vec![("c2".into(), 0), ("c3".into(), 0), ("c4".into(), 0)],
        "hits without feedback, oldest first"
    );
    assert_eq!((all[0].subject_id, all[0].decision.as_str(), all[0].scene.as_str()), (Some(s2), "forbid", "zfcg"));
    assert!(!all[0].checked_at.is_empty());
    assert_eq!(pending(s.pending_feedback(None, 1).await.unwrap()), vec![("c2".into(), 0)]);
    assert_eq!(pending(s.pending_feedback(Some(a.id), 10).await.unwrap()), vec![("c2".into(), 0)]);
    assert_eq!(pending(s.pending_feedback(Some(c.id), 10).await.unwrap()), vec![("c3".into(), 0)]);
    s.add_feedback("c2", 0, "已限制", None, "zhang").await.unwrap();
    assert!(s.pending_feedback(Some(a.id), 10).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------------

/// A case is filed with its evidence (numbered from 1, bytes kept exactly) and a first step; one case per number.
async fn cases_are_filed_with_their_files_and_a_first_step(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let account = b.account("zhangsan").await;
    let out = b.submit_one(a.id, "xzcf", penalty(&Party::company(1), "1号")).await;
    let pdf = vec![0x25, 0x50, 0x44, 0x46, 0x00, 0x9f, 0xff];
    let applicant = r#"{"name":"张三","phone":"13900000000"}"#;
    let new = NewCase {
        record_id: Some(out.record_id),
        subject_id: out.subject_id,
        department_id: Some(a.id),
        account_id: Some(account.id),
        applicant: Some(applicant.into()),
        content: serde_json::json!({ "reason": "罚款金额有误", "details": "应为0.1万元" }),
        due_on: Some(date!(2026 - 12 - 10)),
        files: vec![
            NewCaseFile { name: "证明.pdf".into(), sm3: credo_gm::sm3_hex(&pdf), bytes: pdf.clone() },
            NewCaseFile { name: "照片.jpg".into(), sm3: credo_gm::sm3_hex(b"jpg"), bytes: b"jpg".to_vec() },
        ],
        ..new_case("YY2026000001", "objection")
    };
    let before = OffsetDateTime::now_utc();
    let filed = s.add_case(new.clone()).await.unwrap();
    let after = OffsetDateTime::now_utc();
    assert_eq!(
        (
            filed.number.as_str(),
            filed.kind.as_str(),
            filed.record_id,
            filed.subject_id,
            filed.department_id,
            filed.account_id
        ),
        ("YY2026000001", "objection", Some(out.record_id), out.subject_id, Some(a.id), Some(account.id))
    );
    assert_eq!(
        (filed.applicant.as_deref(), &filed.content, filed.state.as_str()),
        (Some(applicant), &new.content, "待受理")
    );
    assert_eq!((filed.due_on, filed.extended_days, &filed.closed_at, &filed.outcome), (new.due_on, 0, &None, &None));
    assert_between(parse(&filed.filed_at), before, after, "filed_at");
    let files: Vec<(i64, &str, &str, i64)> =
        filed.files.iter().map(|f| (f.n, f.name.as_str(), f.sm3.as_str(), f.size)).collect();
    assert_eq!(
        files,
        vec![(1, "证明.pdf", new.files[0].sm3.as_str(), 7), (2, "照片.jpg", new.files[1].sm3.as_str(), 3)]
    );
    assert_eq!(filed.steps.len(), 1);
    assert_eq!(
        (filed.steps[0].actor.as_str(), filed.steps[0].step.as_str(), &filed.steps[0].note),
        ("account:1", "filed", &None)
    );
    assert_between(parse(&filed.steps[0].at), before, after, "the first step's time");
    assert_eq!(format!("{:?}", s.case("YY2026000001").await.unwrap().unwrap()), format!("{filed:?}"));
    assert!(s.case("YY2026999999").await.unwrap().is_none());

    assert_eq!(s.case_file("YY2026000001", 1).await.unwrap(), Some(("证明.pdf".to_string(), pdf)));
    assert_eq!(s.case_file("YY2026000001", 2).await.unwrap(), Some(("照片.jpg".to_string(), b"jpg".to_vec())));
    assert_eq!(s.case_file("YY2026000001", 3).await.unwrap(), None);
    assert_eq!(s.case_file("YY2026999999", 1).await.unwrap(), None);

    assert!(s.add_case(new_case("YY2026000001", "report")).await.is_err(), "one case per number");
    let kept = s.case("YY2026000001").await.unwrap().unwrap();
    assert_eq!((kept.kind.as_str(), kept.files.len()), ("objection", 2));
    let bare = s.add_case(new_case("YY2026000002", "report")).await.unwrap();
    assert_eq!((bare.applicant, bare.files.len(), bare.steps.len(), bare.record_id), (None, 0, 1, None));
}

/// An application is stored with its applicant and files (opened as given), listed by state oldest first, and
/// decided once: a second decision, also a concurrent one, is a conflict.
async fn enrolments_are_filed_listed_and_decided_once(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let subject = b.submit_one(a.id, "xzcf", penalty(&Party::company(1), "1号")).await.subject_id;
    let licence = vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xff];
    let applicant = r#"{"name":"西宁市鑫源商贸有限公司","contact":"13900000000"}"#;
    let new = |number: &str, subject_id: Option<i64>| NewEnrolment {
        number: number.into(),
        subject_id,
        applicant: applicant.into(),
        files: vec![NewCaseFile {
            name: "营业执照.pdf".into(),
            sm3: credo_gm::sm3_hex(&licence),
            bytes: licence.clone(),
        }],
    };
    let before = OffsetDateTime::now_utc();
    let filed = s.add_enrolment(new("ZH2026000001", subject)).await.unwrap();
    let after = OffsetDateTime::now_utc();
    assert_eq!(
        (filed.number.as_str(), filed.subject_id, filed.applicant.as_str()),
        ("ZH2026000001", subject, applicant)
    );
    assert_eq!((filed.state.as_str(), filed.decided_at, filed.account_id), ("待审核", None, None));
    assert_between(filed.filed_at, before, after, "filed_at");
    assert_eq!(
        filed.files.iter().map(|f| (f.n, f.name.as_str(), f.size)).collect::<Vec<_>>(),
        vec![(1, "营业执照.pdf", 6)]
    );
    assert_eq!(s.enrolment_file("ZH2026000001", 1).await.unwrap(), Some(("营业执照.pdf".to_string(), licence.clone())));
    assert_eq!(s.enrolment_file("ZH2026000001", 2).await.unwrap(), None);
    assert!(s.enrolment("ZH2026999999").await.unwrap().is_none());
    assert!(is_conflict(&s.add_enrolment(new("ZH2026000001", None)).await), "one application per number");
    s.add_enrolment(new("ZH2026000002", None)).await.unwrap();

    let numbers = |v: Vec<Enrolment>| v.into_iter().map(|e| e.number).collect::<Vec<_>>();
    assert_eq!(numbers(s.enrolments(Some("待审核"), 10).await.unwrap()), ["ZH2026000001", "ZH2026000002"]);
    assert_eq!(numbers(s.enrolments(None, 1).await.unwrap()), ["ZH2026000001"]);

    let account = b.account("xinyuan").await;
    let decide = |state: &str, account_id: Option<i64>| EnrolmentDecision {
        from: "待审核".into(),
        state: state.into(),
        decided_by: "account:9".into(),
        reason: (state == "未通过").then(|| "材料不全".into()),
        account_id,
    };
    let results = at_once(8, |i| {
        let (store, d) = (b.store.clone(), decide(if i % 2 == 0 { "已开通" } else { "未通过" }, Some(account.id)));
        async move { store.decide_enrolment("ZH2026000001", d).await }
    })
    .await;
    assert_eq!(count(&results, Result::is_ok), 1, "decided once");
    assert_eq!(count(&results, is_conflict), 7);
    let decided = s.enrolment("ZH2026000001").await.unwrap().unwrap();
    assert!(decided.decided_at.is_some() && decided.decided_by.as_deref() == Some("account:9"));
    assert_ne!(decided.state, "待审核");
    assert_eq!(numbers(s.enrolments(Some("待审核"), 10).await.unwrap()), ["ZH2026000002"]);
    assert!(matches!(s.decide_enrolment("ZH2026999999", decide("已开通", None)).await, Err(StoreError::NotFound(_))));
}

/// An issued report is kept with what its verification shows; each counts against its subject's quota for its
/// channel and year, which many concurrent requests never overshoot; a newer report of the same subject, kind and
/// channel supersedes it; it is revoked once.
async fn reports_are_issued_within_their_quota_and_revoked_once(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let subject = b.submit_one(a.id, "xzcf", penalty(&Party::company(1), "1号")).await.subject_id.unwrap();
    let other = b.submit_one(a.id, "xzcf", penalty(&Party::company(2), "2号")).await.subject_id.unwrap();
    let at = datetime!(2026-12-03 10:00 +8);
    let new = |number: &str, subject_id: i64, channel: &str, minutes: i64| NewReport {
        number: number.into(),
        check_hash: format!("hash-{number}"),
        kind: "public".into(),
        subject_id,
        as_of: date!(2026 - 12 - 03),
        issued_at: at + Duration::minutes(minutes),
        channel: channel.into(),
        requested_by: "public:127.0.0.1".into(),
        summary: r#"{"title":"公共信用信息报告"}"#.into(),
        pdf_sm3: "a".repeat(64),
        json_sm3: "b".repeat(64),
    };
    let quota = ReportQuota { year: 2026, limit: 5 };
    let first = s.add_report(new("XY1", subject, "public", 0), quota).await.unwrap();
    assert_eq!((first.number.as_str(), first.kind.as_str(), first.subject_id), ("XY1", "public", subject));
    assert_eq!((first.as_of, first.issued_at, first.check_hash.as_str()), (date!(2026 - 12 - 03), at, "hash-XY1"));
    assert_eq!((first.revoked_at, first.summary.as_str()), (None, r#"{"title":"公共信用信息报告"}"#));
    assert_eq!(s.issued_report("XY1").await.unwrap().map(|r| r.pdf_sm3), Some("a".repeat(64)));
    assert!(s.issued_report("XY9").await.unwrap().is_none());
    assert!(is_conflict(&s.add_report(new("XY1", subject, "public", 1), quota).await), "one report per number");
    assert_eq!(s.reports_used(subject, "public", 2026).await.unwrap(), 1, "a refused report does not count");

    let results = at_once(8, |i| {
        let store = b.store.clone();
        let r = new(&format!("XYC{i}"), subject, "public", 10 + i as i64);
        async move { store.add_report(r, quota).await }
    })
    .await;
    assert_eq!(count(&results, Result::is_ok), 4, "the quota of 5 holds under concurrency");
    assert_eq!(count(&results, is_conflict), 4);
    assert_eq!(s.reports_used(subject, "public", 2026).await.unwrap(), 5);
    assert!(is_conflict(&s.add_report(new("XY2", subject, "public", 30), quota).await), "quota used up");
    s.add_report(new("XY3", subject, "own", 40), quota).await.unwrap();
    s.add_report(new("XY4", other, "public", 40), quota).await.unwrap();
    s.add_report(new("XY5", subject, "public", 50), ReportQuota { year: 2027, limit: 5 }).await.unwrap();
    assert!(is_conflict(&s.add_report(new("XY6", other, "public", 50), ReportQuota { year: 2027, limit: 0 }).await));
    assert_eq!(
        (s.reports_used(subject, "own", 2026).await.unwrap(), s.reports_used(other, "public", 2026).await.unwrap()),
        (1, 1)
    );

    assert_eq!(s.newer_report("XY1").await.unwrap().as_deref(), Some("XY5"), "the newest of the same channel");
    assert_eq!(s.newer_report("XY5").await.unwrap(), None);
    assert_eq!(s.newer_report("XY3").await.unwrap(), None, "own reports are not superseded by public ones");
    let listed: Vec<String> = s.subject_reports(subject, 3).await.unwrap().into_iter().map(|r| r.number).collect();
    assert_eq!((listed.len(), &listed[..2]), (3, &["XY5".to_string(), "XY3".to_string()][..]), "newest first");

    let revoked = s.revoke_report("XY5", "出具有误").await.unwrap();
    assert!(revoked.revoked_at.is_some() && revoked.revoked_reason.as_deref() == Some("出具有误"));
    assert!(is_conflict(&s.revoke_report("XY5", "again").await), "revoked once");
    assert!(matches!(s.revoke_report("XY9", "x").await, Err(StoreError::NotFound(_))));
    assert_ne!(s.newer_report("XY1").await.unwrap().as_deref(), Some("XY5"), "a revoked report supersedes nothing");

    let grant = |subject_id: i64, purpose: &str| NewAuthorisation {
        subject_id,
        department_id: a.id,
        purpose: purpose.into(),
        granted_by: "account:7".into(),
        expires_on: date!(2027 - 03 - 01),
    };
    let g1 = s.add_authorisation(grant(subject, "银行贷款审查")).await.unwrap();
    let g2 = s.add_authorisation(grant(subject, "招标投标")).await.unwrap();
    s.add_authorisation(grant(other, "其他")).await.unwrap();
    assert_eq!((g1.department_id, g1.purpose.as_str(), g1.expires_on), (a.id, "银行贷款审查", date!(2027 - 03 - 01)));
    assert_eq!((g1.granted_by.as_str(), g1.revoked_at), ("account:7", None));
    let ids: Vec<i64> = s.authorisations(subject).await.unwrap().iter().map(|g| g.id).collect();
    assert_eq!(ids, [g2.id, g1.id], "the subject's own, newest first");
    assert!(matches!(s.revoke_authorisation(other, g1.id).await, Err(StoreError::NotFound(_))), "not another's");
    assert!(s.revoke_authorisation(subject, g1.id).await.unwrap().revoked_at.is_some());
    assert!(is_conflict(&s.revoke_authorisation(subject, g1.id).await), "revoked once");
    assert!(s.authorisations(subject).await.unwrap().iter().any(|g| g.id == g2.id && g.revoked_at.is_none()));
}

/// A one-time link is taken once — of many concurrent takes exactly one gets the account — only for its purpose and
/// only before it expires.
async fn account_tokens_are_taken_once_before_they_expire(b: Backend) {
    let s = &*b.store;
    let account = b.account("zhangsan").await;
    let now = OffsetDateTime::now_utc();
    s.add_account_token("h1", account.id, "password", now + Duration::hours(24)).await.unwrap();
    s.add_account_token("h2", account.id, "password", now + Duration::seconds(1)).await.unwrap();
    assert_eq!(s.take_account_token("h1", "reset", now).await.unwrap(), None, "another purpose");
    let takes = at_once(8, |_| {
        let store = b.store.clone();
        async move { store.take_account_token("h1", "password", now).await.unwrap() }
    })
    .await;
    assert_eq!(count(&takes, |t| *t == Some(account.id)), 1, "{takes:?}");
    assert_eq!(count(&takes, Option::is_none), 7);
    assert_eq!(s.take_account_token("h2", "password", now + Duration::seconds(2)).await.unwrap(), None, "expired");
    assert_eq!(s.take_account_token("h2", "password", now).await.unwrap(), Some(account.id), "still valid at now");
    assert_eq!(s.take_account_token("nosuch", "password", now).await.unwrap(), None);
}

/// Cases matching a filter (kind, department, account, record, open only), oldest first, at most `limit`.
async fn cases_are_filtered_and_listed_oldest_first(b: Backend) {
    let s = &*b.store;
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let x = b.account("zhangsan").await;
    let (_, out) =
        b.submit(a.id, "xzcf", &[penalty(&Party::company(1), "1号"), penalty(&Party::company(1), "2号")]).await;
    let (r1, r2) = (out[0].record_id, out[1].record_id);
    let file = |number: &str, kind: &str, d: &Department, account: Option<i64>, record: Option<i64>| NewCase {
        department_id: Some(d.id),
        account_id: account,
        record_id: record,
        ..new_case(number, kind)
    };
    let c1 = s.add_case(file("A1", "objection", &a, Some(x.id), Some(r1))).await.unwrap().id;
    let c2 = s.add_case(file("A2", "repair", &a, None, Some(r2))).await.unwrap().id;
    let c3 = s.add_case(file("A3", "report", &c, Some(x.id), None)).await.unwrap().id;
    s.update_case(
        "A2",
        CaseUpdate {
            closed: true, outcome: Some("不予受理".into()), ..step("待受理", "不予受理", "rejected")
        },
    )
    .await
    .unwrap();

    let listed = |f: CaseFilter, limit: i64| async move {
        s.cases(&f, limit).await.unwrap().iter().map(|k| k.id).collect::<Vec<_>>()
    };
    assert_eq!(listed(CaseFilter::default(), 10).await, vec![c1, c2, c3]);
    assert_eq!(listed(CaseFilter::default(), 2).await, vec![c1, c2]);
    assert_eq!(listed(CaseFilter { kind: Some("objection".into()), ..Default::default() }, 10).await, vec![c1]);
    assert_eq!(listed(CaseFilter { department_id: Some(a.id), ..Default::default() }, 10).await, vec![c1, c2]);
    assert_eq!(listed(CaseFilter { account_id: Some(x.id), ..Default::default() }, 10).await, vec![c1, c3]);
    assert_eq!(listed(CaseFilter { record_id: Some(r2), ..Default::default() }, 10).await, vec![c2]);
    assert_eq!(listed(CaseFilter { open_only: true, ..Default::default() }, 10).await, vec![c1, c3]);
    let open_here = CaseFilter { department_id: Some(a.id), open_only: true, ..Default::default() };
    assert_eq!(listed(open_here, 10).await, vec![c1]);
    assert!(
        listed(CaseFilter { kind: Some("repair".into()), account_id: Some(x.id), ..Default::default() }, 10)
            .await
            .is_empty()
    );
    let full = s.cases(&CaseFilter { record_id: Some(r1), ..Default::default() }, 10).await.unwrap();
    assert_eq!(format!("{:?}", full[0]), format!("{:?}", s.case("A1").await.unwrap().unwrap()), "whole cases");
    let about = out[0].subject_id;
    let c4 = s.add_case(NewCase { subject_id: about, ..file("A4", "report", &c, None, None) }).await.unwrap().id;
    let reports_about =
        CaseFilter { subject_id: about, kind: Some("report".into()), open_only: true, ..Default::default() };
    assert_eq!(listed(reports_about, 10).await, vec![c4], "by the subject they are about");
}

/// A case moves on only from the state the step expects (else a conflict that changes nothing; an unknown case is
/// not found); each step is appended; closing sets the closing time and outcome.
async fn update_case_moves_only_from_the_expected_state(b: Backend) {
    let s = &*b.store;
    s.add_case(new_case("YY1", "objection")).await.unwrap();
    let wrong = s.update_case("YY1", step("办理中", "已办结", "closed")).await;
    assert!(is_conflict(&wrong), "{wrong:?}");
    let unchanged = s.case("YY1").await.unwrap().unwrap();
    assert_eq!((unchanged.state.as_str(), unchanged.steps.len()), ("待受理", 1), "a refused step leaves no trace");
    let missing = s.update_case("YY404", step("待受理", "办理中", "accepted")).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");

    let accepted = s
        .update_case(
            "YY1",
            CaseUpdate {
                due_on: Some(date!(2026 - 12 - 10)),
                note: Some("材料齐全".into()),
                ..step("待受理", "办理中", "accepted")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (accepted.state.as_str(), accepted.due_on, accepted.closed_at.as_deref()),
        ("办理中", Some(date!(2026 - 12 - 10)), None)
    );
    let last = accepted.steps.last().unwrap();
    assert_eq!(
        (accepted.steps.len(), last.actor.as_str(), last.step.as_str(), last.note.as_deref()),
        (2, "handler:li", "accepted", Some("材料齐全"))
    );
    let extended = s
        .update_case(
            "YY1",
            CaseUpdate {
                due_on: Some(date!(2026 - 12 - 20)),
                extended_days: 10,
                ..step("办理中", "办理中", "extended")
            },
        )
        .await
        .unwrap();
    assert_eq!((extended.due_on, extended.extended_days, extended.steps.len()), (Some(date!(2026 - 12 - 20)), 10, 3));

    let before = OffsetDateTime::now_utc();
    let closed = s
        .update_case(
            "YY1",
            CaseUpdate {
                outcome: Some("维持".into()),
                outcome_reason: Some("原决定正确".into()),
                closed: true,
                ..step("办理中", "已办结", "decided")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.outcome.as_deref(), closed.outcome_reason.as_deref(), closed.due_on),
        ("已办结", Some("维持"), Some("原决定正确"), None)
    );
    assert_between(parse(closed.closed_at.as_deref().unwrap()), before, OffsetDateTime::now_utc(), "closed_at");
    assert_eq!(
        closed.steps.iter().map(|x| x.step.as_str()).collect::<Vec<_>>(),
        vec!["filed", "accepted", "extended", "decided"]
    );
    assert_eq!(format!("{closed:?}"), format!("{:?}", s.case("YY1").await.unwrap().unwrap()));
    assert!(is_conflict(&s.update_case("YY1", step("办理中", "已办结", "again")).await), "closed cases stay closed");
}

/// The same step from a few tasks at once: one moves the case, the others are conflicts.
async fn concurrent_case_updates_admit_one(b: Backend) {
    case_updates_at_once(&b, 3).await;
}

/// The same, from more tasks than a store may have connections (eight; the SQLite store pools four): still one
/// moves the case and the others are conflicts, without waiting for a timeout.
async fn case_updates_at_once_beyond_the_pool_size_admit_one(b: Backend) {
    case_updates_at_once(&b, 8).await;
}

async fn case_updates_at_once(b: &Backend, n: usize) {
    b.store.add_case(new_case("YY1", "objection")).await.unwrap();
    let results = at_once(n, |i| {
        let s = b.store.clone();
        let u = CaseUpdate { actor: format!("handler{i}"), ..step("待受理", "办理中", "accepted") };
        async move { s.update_case("YY1", u).await }
    })
    .await;
    assert_eq!((count(&results, Result::is_ok), count(&results, is_conflict)), (1, n - 1), "{results:?}");
    let case = b.store.case("YY1").await.unwrap().unwrap();
    assert_eq!((case.state.as_str(), case.steps.len()), ("办理中", 2));
}

/// One open case of a kind per open key, even when filed at once: a second is refused until the first closes; other
/// kinds and cases without a key are not held.
async fn one_open_case_per_key_even_at_once(b: Backend) {
    let s = &*b.store;
    let keyed = |number: String, kind: &str, key: Option<&str>| NewCase {
        open_key: key.map(str::to_string),
        ..new_case(&number, kind)
    };
    let results = at_once(8, |i| {
        let s = b.store.clone();
        let new = keyed(format!("K{i}"), "objection", Some("7"));
        async move { s.add_case(new).await }
    })
    .await;
    assert_eq!((count(&results, Result::is_ok), count(&results, is_conflict)), (1, 7), "{results:?}");
    let first = results.iter().find_map(|r| r.as_ref().ok()).unwrap().number.clone();
    s.add_case(keyed("R1".into(), "repair", Some("7"))).await.expect("another kind, same key");
    s.add_case(keyed("N1".into(), "objection", None)).await.expect("no key");
    s.add_case(keyed("N2".into(), "objection", None)).await.expect("no key, again");
    assert!(is_conflict(&s.add_case(keyed("K9".into(), "objection", Some("7"))).await));
    s.update_case(
        &first,
        CaseUpdate { closed: true, outcome: Some("维持".into()), ..step("待受理", "不予受理", "rejected") },
    )
    .await
    .unwrap();
    s.add_case(keyed("K10".into(), "objection", Some("7"))).await.expect("the first closed");
}

/// A record is disputed while an objection about it is in progress (办理中) and open: not while filed, not after it
/// is closed, not by other kinds of case.
async fn only_open_objections_in_progress_dispute_a_record(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let rows: Vec<Raw> = (1..=4).map(|n| penalty(&Party::company(1), &format!("{n}号"))).collect();
    let (_, out) = b.submit(a.id, "xzcf", &rows).await;
    let r: Vec<i64> = out.iter().map(|o| o.record_id).collect();
    let about = |number: &str, kind: &str, record: i64| NewCase { record_id: Some(record), ..new_case(number, kind) };
    let accept = |number: &'static str| async move {
        s.update_case(number, step("待受理", "办理中", "accepted")).await.unwrap()
    };

    s.add_case(about("O1", "objection", r[0])).await.unwrap();
    assert!(s.disputed(&r).await.unwrap().is_empty(), "filed, not yet in progress");
    accept("O1").await;
    assert_eq!(s.disputed(&r).await.unwrap(), HashSet::from([r[0]]));
    s.add_case(about("R2", "repair", r[1])).await.unwrap();
    accept("R2").await;
    s.add_case(about("O3", "objection", r[2])).await.unwrap();
    accept("O3").await;
    assert_eq!(s.disputed(&r).await.unwrap(), HashSet::from([r[0], r[2]]));
    s.update_case(
        "O3",
        CaseUpdate { closed: true, outcome: Some("维持".into()), ..step("办理中", "已办结", "decided") },
    )
    .await
    .unwrap();
    s.add_case(about("O4", "objection", r[3])).await.unwrap();
    accept("O4").await;
    assert_eq!(s.disputed(&r).await.unwrap(), HashSet::from([r[0], r[3]]));
    assert_eq!(s.disputed(&[r[3], r[1]]).await.unwrap(), HashSet::from([r[3]]), "only those asked about");
    assert!(s.disputed(&[]).await.unwrap().is_empty());

    // Replayed: what `disputed` said at each moment.
    let now = OffsetDateTime::now_utc();
    assert_eq!(s.disputed_at(&r, now).await.unwrap(), HashSet::from([r[0], r[3]]));
    assert!(s.disputed_at(&r, now - Duration::hours(1)).await.unwrap().is_empty(), "before any was accepted");
    let o3 = s.case("O3").await.unwrap().unwrap();
    let accepted_o3 = parse(&o3.steps[1].at);
    assert!(s.disputed_at(&r, accepted_o3).await.unwrap().contains(&r[2]), "O3 in progress then");
    assert!(!s.disputed_at(&r, now).await.unwrap().contains(&r[2]), "closed since");
    s.add_case(about("O5", "objection", r[1])).await.unwrap();
    assert!(!s.disputed_at(&r, OffsetDateTime::now_utc()).await.unwrap().contains(&r[1]), "filed only");
}

// ---------------------------------------------------------------------------------------------------------------
// Change feed
// ---------------------------------------------------------------------------------------------------------------

/// The end of publicity is recorded once per record (a feed entry `expiry` each time it is new), also at once.
async fn expiries_are_recorded_once_per_record(b: Backend) {
    let s = &*b.store;
    let a = b.dept(1).await;
    let rows: Vec<Raw> = (1..=3).map(|n| penalty(&Party::company(1), &format!("{n}号"))).collect();
    let (_, out) = b.submit(a.id, "xzcf", &rows).await;
    let r: Vec<i64> = out.iter().map(|o| o.record_id).collect();
    let seq = s.last_seq().await.unwrap();
    let (d1, d2) = (date!(2026 - 01 - 02), date!(2026 - 03 - 04));
    assert_eq!(s.record_expiries(&[(r[0], 1, d1), (r[1], 1, d2), (r[0], 1, d1)]).await.unwrap(), 2);
    assert_eq!(b.feed_after(seq).await, vec![entry("expiry", r[0], Some(1)), entry("expiry", r[1], Some(1))]);
    let seq = s.last_seq().await.unwrap();
    assert_eq!(s.record_expiries(&[(r[0], 1, d1)]).await.unwrap(), 0, "once per record");
    assert_eq!(s.record_expiries(&[(r[0], 2, d2)]).await.unwrap(), 0, "also for another version");
    assert_eq!(s.record_expiries(&[]).await.unwrap(), 0);
    assert!(b.feed_after(seq).await.is_empty());
    let new = at_once(8, |_| {
        let s = b.store.clone();
        let record = r[2];
        async move { s.record_expiries(&[(record, 1, d1)]).await.unwrap() }
    })
    .await;
    assert_eq!(new.iter().sum::<usize>(), 1);
    assert_eq!(b.feed_after(seq).await, vec![entry("expiry", r[2], Some(1))]);
}

/// The catalog as it was before penalties were keyed by their authority: by 文书号 alone.
fn old_catalog() -> Catalog {
    let files: Vec<(&str, String)> = embedded::FILES
        .iter()
        .map(|(name, text)| {
            let text = if *name == "xzcf.toml" {
                assert!(text.contains("natural_key = [\"CF_WSH\", \"CF_CFJGDM\"]"), "the new key is in xzcf.toml");
                text.replace("natural_key = [\"CF_WSH\", \"CF_CFJGDM\"]", "natural_key = [\"CF_WSH\"]")
            } else {
                text.to_string()
            };
            (*name, text)
        })
        .collect();
    Catalog::from_files(files.iter().map(|(n, t)| (*n, t.as_str()))).unwrap()
}

/// Re-keying: nothing to do on an empty store or twice; records merged under an old key are split under the new
/// one (the id stays with the latest version's key), each on the feed with what moved; a key that would merge
/// records is refused without change.
async fn rekeying_follows_a_changed_natural_key(b: Backend) {
    let s = &*b.store;
    let (new, old) = (&b.catalog, old_catalog());
    let a = b.dept(1).await;
    assert!(s.rekey(new).await.unwrap().is_empty(), "an empty store has nothing to re-key");
    assert!(s.rekey(&old).await.unwrap().is_empty(), "nor under another definition");
    let (city, district) = (uscc("11", 1), uscc("11", 2));
    let wsh = "宁市监罚〔2025〕12号";
    let firm = Party::company(1);
    let shop = Party { name: "城东区马记牛肉面馆".into(), kind: "个体工商户", code: SHOP.into() };
    let by_city = with(penalty(&firm, wsh), &[("CF_CFJGDM", &city)]);
    let by_district = with(penalty(&shop, wsh), &[("CF_CFJGDM", &district), ("CF_CFJG", "城东区市场监督管理局")]);
    let rows = [row_in(&old, "xzcf", 2, &by_city), row_in(&old, "xzcf", 3, &by_district)];
    let batch = s.open_batch(a.id, "xzcf", "test", None).await.unwrap();
    let out = s.ingest(batch, a.id, &rows).await.unwrap();
    assert_eq!((out[0].outcome, out[1].outcome), (Outcome::Created, Outcome::Versioned), "the old key merged them");
    let merged = out[0].record_id;
    let seq = s.last_seq().await.unwrap();

    let done = s.rekey(new).await.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    let r = &done[0];
    assert_eq!(
        (r.item.as_str(), r.record_id, r.old_key.as_str(), r.new_key.clone(), &r.kept),
        ("xzcf", merged, wsh, format!("{wsh}|{district}"), &vec![(2, 1)])
    );
    assert_eq!(r.moved.len(), 1);
    let moved = &r.moved[0];
    assert_eq!((moved.key.clone(), &moved.versions), (format!("{wsh}|{city}"), &vec![(1, 1)]));
    assert_eq!(s.counts().await.unwrap().records, 2, "nothing lost");
    let (kept, split) = (b.view(merged).await, b.view(moved.record_id).await);
    assert_eq!((kept.version, kept.fields["CF_CFJGDM"].as_str()), (1, district.as_str()));
    assert_eq!((split.version, split.fields["CF_CFJGDM"].as_str(), split.batch_id), (1, city.as_str(), batch));
    assert_eq!(split.subject_id, s.subject_by_code(&firm.code).await.unwrap().map(|x| x.id), "its own subject");
    let changes: Vec<Change> = s.changes_after(seq, 100).await.unwrap();
    let said = changes.iter().find(|c| c.entity == "rekey" && c.entity_id == merged).unwrap();
    assert_eq!(said.detail, Some(serde_json::to_value(r).unwrap()), "the feed says what moved");
    assert!(
        changes.iter().any(|c| (c.entity.as_str(), c.entity_id, c.version) == ("record", moved.record_id, Some(1)))
    );

    let seq = s.last_seq().await.unwrap();
    assert!(s.rekey(new).await.unwrap().is_empty(), "twice changes nothing");
    assert_eq!(s.last_seq().await.unwrap(), seq);
    let again = s.ingest(batch, a.id, &[row_in(new, "xzcf", 2, &by_city)]).await.unwrap();
    assert_eq!((again[0].outcome, again[0].record_id), (Outcome::Duplicate, moved.record_id));

    let refused = s.rekey(&old).await;
    assert!(is_conflict(&refused), "{refused:?}");
    assert_eq!((s.counts().await.unwrap().records, s.last_seq().await.unwrap()), (2, seq), "nothing changed");
}

/// The feed: a strictly increasing sequence, paged by `seq > after` and `limit`; the last sequence number is its
/// end (0 when empty); writers at once lose no entry.
async fn the_change_feed_is_ordered_and_paged(b: Backend) {
    let s = &*b.store;
    assert_eq!(s.last_seq().await.unwrap(), 0);
    assert!(s.changes_after(0, 10).await.unwrap().is_empty());
    let a = b.dept(1).await;
    b.subjects(a.id, 3).await;
    let all = s.changes_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 7, "a department, three subjects, three records");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let last = s.last_seq().await.unwrap();
    assert_eq!(last, all[6].seq);
    assert_eq!((all[0].entity.as_str(), all[0].entity_id, all[0].version), ("department", a.id, None));
    assert!(all.iter().all(|c| c.detail.is_none()), "only a re-key carries detail");
    assert_eq!(s.changes_after(0, 3).await.unwrap(), all[..3]);
    assert_eq!(s.changes_after(all[2].seq, 3).await.unwrap(), all[3..6]);
    assert_eq!(s.changes_after(all[5].seq, 3).await.unwrap(), all[6..]);
    assert!(s.changes_after(last, 10).await.unwrap().is_empty());

    let added = at_once(6, |i| {
        let s = b.store.clone();
        async move { s.add_department(new_department(10 + i as u32)).await.unwrap().id }
    })
    .await;
    let more = s.changes_after(last, 100).await.unwrap();
    assert!(more.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(more.iter().map(|c| c.entity_id).collect::<HashSet<_>>(), added.into_iter().collect::<HashSet<_>>());
    assert_eq!(s.last_seq().await.unwrap(), more.last().unwrap().seq);
}

/// Counts of subjects, records, queued records and departments.
/// Exactly one store over the same data leads the scheduled jobs; the lead passes on when its holder is gone.
async fn one_store_at_a_time_leads_the_jobs(b: Backend) {
    assert!(b.store.lead_jobs().await.unwrap(), "the first to ask leads");
    assert!(b.store.lead_jobs().await.unwrap(), "and keeps the lead");
    let other = open(&b.location, b.vault.clone()).await;
    assert!(!other.lead_jobs().await.unwrap(), "a second store over the same data does not lead");
    let Backend { store, _home, .. } = b;
    drop(store);
    let mut took = false;
    for _ in 0..100 {
        if other.lead_jobs().await.unwrap() {
            took = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(took, "the lead passes on when its holder is gone");
    assert!(other.lead_jobs().await.unwrap());
}

/// An empty store of `b`'s backend, sealing with `b`'s vault (and its home, to keep while the store is used).
async fn empty_like(b: &Backend) -> (Arc<Db>, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let location = if b.location.starts_with("postgres://") {
        credo_pgtest::database().await
    } else {
        format!("sqlite:{}", home.path().join("db").display())
    };
    (open(&location, b.vault.clone()).await, home)
}

/// The tables a judgement changes (not the judgements, the feed or the audit trail).
async fn resolution_tables(s: &Db) -> Vec<(String, Vec<credo_store::Row>)> {
    let keep = ["subjects", "subject_codes", "records", "subject_names"];
    exported(s).await.into_iter().filter(|(t, _)| keep.contains(&t.as_str())).collect()
}

/// A grade is written only when it changes (the old one is superseded and kept as history); current grades page in
/// subject order, within a region; counts are by region and grade; a draw keeps its targets in order and takes
/// each result once.
async fn feed_acknowledgements_move_forward_and_count_the_late(b: Backend) {
    let s = &*b.store;
    let d = b.dept(1).await;
    b.submit_one(d.id, "xzcf", penalty(&Party::company(1), "1号")).await;
    b.submit_one(d.id, "xzcf", penalty(&Party::company(2), "2号")).await;
    let head = s.last_seq().await.unwrap();
    let (past, future) =
        (OffsetDateTime::now_utc() - Duration::days(30), OffsetDateTime::now_utc() + Duration::days(1));
    assert!(s.feed_consumers().await.unwrap().is_empty());
    let all = s.unacknowledged(0, future).await.unwrap();
    assert!(all.count >= 2 && all.overdue == all.count && all.oldest.is_some(), "{all:?}");
    assert_eq!(s.unacknowledged(0, past).await.unwrap().overdue, 0);
    // Acknowledged in time, then (another read) late, then a read from behind changes only when it was read.
    s.acknowledge_feed(d.id, 1, OffsetDateTime::now_utc(), past).await.unwrap();
    s.acknowledge_feed(d.id, head, OffsetDateTime::now_utc(), future).await.unwrap();
    s.acknowledge_feed(d.id, 1, OffsetDateTime::now_utc(), future).await.unwrap();
    let c = &s.feed_consumers().await.unwrap()[0];
    assert_eq!((c.department_id, c.acked_seq), (d.id, head));
    assert_eq!(c.late, s.unacknowledged(1, future).await.unwrap().count, "what came after 1, acknowledged late");
    assert_eq!(s.unacknowledged(head, future).await.unwrap().count, 0);
}

async fn articles_move_only_from_the_state_they_are_in(b: Backend) {
    use credo_domain::articles::{ArticleKind, ArticleState, Text};
    use credo_store::ArticleQuery;
    let s = &*b.store;
    let text = |kind, title: &str| Text {
        kind,
        title: title.into(),
        summary: String::new(),
        body: "正文".into(),
        records: if kind == ArticleKind::Case { vec![1, 2] } else { vec![] },
    };
    let news = s.add_article(&text(ArticleKind::News, "动态一"), "editor").await.unwrap();
    let case = s.add_article(&text(ArticleKind::Case, "案例一"), "editor").await.unwrap();
    assert_eq!((news.state, news.author.as_str(), case.records.clone()), (ArticleState::Draft, "editor", vec![1, 2]));
    assert_eq!(news.revision, 1);
    assert!(s.edit_article(news.id, &text(ArticleKind::News, "动态一(改)")).await.unwrap());
    let edited = s.article(news.id).await.unwrap().unwrap();
    assert_eq!((edited.title.as_str(), edited.revision), ("动态一(改)", 2), "an edit is a new revision");
    assert!(s.move_article(news.id, ArticleState::Draft, ArticleState::Submitted, None, None).await.unwrap());
    assert!(!s.edit_article(news.id, &text(ArticleKind::News, "x")).await.unwrap(), "only drafts are edited");
    let publish = (ArticleState::Submitted, ArticleState::Published);
    let stale = s.move_article(news.id, publish.0, publish.1, Some(("reviewer", None)), Some(1)).await.unwrap();
    assert!(!stale, "not the revision the reviewer read");
    assert!(s.move_article(news.id, publish.0, publish.1, Some(("reviewer", None)), Some(2)).await.unwrap());
    assert!(!s.move_article(news.id, publish.0, publish.1, Some(("reviewer2", None)), None).await.unwrap(), "once");
    let shown = s.article(news.id).await.unwrap().unwrap();
    assert_eq!((shown.state, shown.reviewer.as_deref()), (ArticleState::Published, Some("reviewer")));
    assert!(shown.published_at.is_some());
    let q = |kind, state| ArticleQuery { kind, state, offset: 0, limit: 10 };
    let (list, total) = s.articles(&q(None, Some(ArticleState::Published))).await.unwrap();
    assert_eq!((list.iter().map(|a| a.id).collect::<Vec<_>>(), total), (vec![news.id], 1));
    let (list, total) = s.articles(&q(Some(ArticleKind::Case), None)).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
    let (all, total) = s.articles(&ArticleQuery { limit: 1, offset: 1, ..q(None, None) }).await.unwrap();
    assert_eq!((all.len(), total), (1, 2), "a page of one, of two");
    let down = (ArticleState::Published, ArticleState::Withdrawn);
    assert!(s.move_article(news.id, down.0, down.1, Some(("reviewer", Some("引用记录已修复"))), None).await.unwrap());
    let shown = s.article(news.id).await.unwrap().unwrap();
    assert_eq!((shown.note.as_deref(), shown.published_at.is_some()), (Some("引用记录已修复"), true));
    assert!(s.article(case.id + 100).await.unwrap().is_none());
}

async fn loan_applications_carry_their_authorisation_and_move_once(b: Backend) {
    use credo_store::{NewAuthorisation, NewLoanApplication, NewProduct};
    let s = &*b.store;
    let bank = b.dept(1).await;
    let subjects = b.subjects(bank.id, 1).await;
    let product = s
        .add_product(&NewProduct {
            department_id: bank.id,
            name: "信易贷".into(),
            description: "纯信用".into(),
            kinds: vec!["organisation".into()],
            scheme: "ggxy".into(),
            grades: vec!["A".into(), "B".into()],
            regions: vec![],
            min_amount: 100_000,
            max_amount: 3_000_000,
            term_months: 12,
            created_by: "bank".into(),
        })
        .await
        .unwrap();
    assert_eq!((product.grades.len(), product.closed_at), (2, None));
    assert_eq!(s.products(Some(bank.id)).await.unwrap().len(), 1);
    assert!(s.products(Some(bank.id + 100)).await.unwrap().is_empty());
    let application = NewLoanApplication {
        product_id: product.id,
        subject_id: subjects[0],
        amount: 500_000,
        purpose: "购置设备".into(),
        applied_by: "account:1".into(),
    };
    let auth = NewAuthorisation {
        subject_id: subjects[0],
        department_id: bank.id,
        purpose: "融资对接".into(),
        granted_by: "account:1".into(),
        expires_on: time::macros::date!(2099 - 01 - 01),
    };
    let a = s.apply_for_loan(&application, &auth).await.unwrap();
    assert_eq!((a.state.as_str(), a.department_id), ("submitted", bank.id));
    let granted = s.authorisations(subjects[0]).await.unwrap();
    assert_eq!(granted.iter().map(|g| g.id).collect::<Vec<_>>(), [a.authorisation_id], "stored with it");
    assert!(s.decide_loan(a.id, "submitted", "accepted", "loan-officer", None, None).await.unwrap());
    assert!(!s.decide_loan(a.id, "submitted", "refused", "other", Some("x"), None).await.unwrap(), "once");
    assert!(s.decide_loan(a.id, "accepted", "granted", "loan-officer", None, Some(400_000)).await.unwrap());
    let done = s.loan_application(a.id).await.unwrap().unwrap();
    assert_eq!((done.state.as_str(), done.granted_amount), ("granted", Some(400_000)));
    assert!(!s.withdraw_loan(a.id, subjects[0]).await.unwrap(), "a granted loan is not withdrawn");
    let twice = s.apply_for_loan(&application, &auth).await.unwrap();
    assert!(
        matches!(s.apply_for_loan(&application, &auth).await, Err(credo_store::StoreError::Conflict(_))),
        "one open application per product and subject"
    );
    assert!(s.withdraw_loan(twice.id, subjects[0]).await.unwrap());
    let second = s.apply_for_loan(&application, &auth).await.unwrap();
    assert!(!s.withdraw_loan(second.id, subjects[0] + 1).await.unwrap(), "not another subject's");
    assert!(s.withdraw_loan(second.id, subjects[0]).await.unwrap());
    let third = s.apply_for_loan(&application, &auth).await.unwrap();
    assert!(s.decide_loan(third.id, "submitted", "refused", "loan-officer", Some("流水不足"), None).await.unwrap());
    let after = s.authorisations(subjects[0]).await.unwrap();
    assert!(after.iter().find(|g| g.id == third.authorisation_id).unwrap().revoked_at.is_some(), "refusal ends it");
    let revoked = s.authorisations(subjects[0]).await.unwrap();
    assert!(revoked.iter().find(|g| g.id == second.authorisation_id).unwrap().revoked_at.is_some());
    assert!(revoked.iter().find(|g| g.id == a.authorisation_id).unwrap().revoked_at.is_some(), "a grant ends it");
    // Withdrawing the authorisation withdraws the open application that lives on it.
    let fourth = s.apply_for_loan(&application, &auth).await.unwrap();
    s.revoke_authorisation(subjects[0], fourth.authorisation_id).await.unwrap();
    assert_eq!(s.loan_application(fourth.id).await.unwrap().unwrap().state, "withdrawn");
    assert!(!s.decide_loan(fourth.id, "submitted", "accepted", "loan-officer", None, None).await.unwrap());
    assert_eq!(s.loan_applications(Some(bank.id), None, 10).await.unwrap().len(), 5);
    assert_eq!(s.loan_applications(None, Some(subjects[0] + 1), 10).await.unwrap().len(), 0);
    let stats = s.loan_stats().await.unwrap();
    assert_eq!(
        (stats[0].applications, stats[0].granted, stats[0].refused, stats[0].granted_amount),
        (5, 1, 1, 400_000)
    );
    assert!(s.close_product(product.id).await.unwrap());
    assert!(!s.close_product(product.id).await.unwrap());
    assert!(s.product(product.id).await.unwrap().unwrap().closed_at.is_some());
}

/// A lender has at most `MAX_OPEN_PRODUCTS` open products, also when it publishes several at once; a closed one
/// makes room.
async fn a_lender_has_a_bounded_number_of_open_products(b: Backend) {
    use credo_store::{MAX_OPEN_PRODUCTS, NewProduct};
    let s = &*b.store;
    let bank = b.dept(1).await;
    let new = |n: i64| NewProduct {
        department_id: bank.id,
        name: format!("产品{n}"),
        description: String::new(),
        kinds: vec!["organisation".into()],
        scheme: "ggxy".into(),
        grades: vec![],
        regions: vec![],
        min_amount: 1,
        max_amount: 10,
        term_months: 12,
        created_by: "bank".into(),
    };
    for n in 0..MAX_OPEN_PRODUCTS - 2 {
        s.add_product(&new(n)).await.unwrap();
    }
    let results = at_once(6, |i| {
        let (s, p) = (b.store.clone(), new(100 + i as i64));
        async move { s.add_product(&p).await }
    })
    .await;
    assert_eq!((count(&results, Result::is_ok), count(&results, is_conflict)), (2, 4), "{results:?}");
    assert!(is_conflict(&s.add_product(&new(200)).await));
    let first = s.products(Some(bank.id)).await.unwrap().last().unwrap().id;
    assert!(s.close_product(first).await.unwrap());
    s.add_product(&new(201)).await.expect("a closed product makes room");
    assert!(s.add_product(&NewProduct { department_id: b.dept(2).await.id, ..new(1) }).await.is_ok(), "per lender");
}

async fn honours_move_only_from_the_state_they_are_in(b: Backend) {
    use credo_domain::honours::HonourState::*;
    let s = &*b.store;
    let d = b.dept(1).await;
    let subjects = b.subjects(d.id, 2).await;
    let h = s.add_honour(2026, subjects[0], "创建情况", "account:1").await.unwrap();
    assert_eq!((h.state, h.year, h.notice_until), (Applied, 2026, None));
    let until = time::macros::date!(2026 - 12 - 10);
    assert!(s.move_honour(h.id, Applied, Notice, "committee", None, Some(until)).await.unwrap());
    assert!(!s.move_honour(h.id, Applied, Rejected, "committee2", Some("x"), None).await.unwrap(), "once");
    assert!(s.move_honour(h.id, Notice, Published, "committee", None, None).await.unwrap());
    let shown = s.honour(h.id).await.unwrap().unwrap();
    assert_eq!(
        (shown.state, shown.notice_until, shown.decided_by.as_deref()),
        (Published, Some(until), Some("committee"))
    );
    let other = s.add_honour(2025, subjects[1], "", "account:2").await.unwrap();
    assert!(
        matches!(s.add_honour(2025, subjects[1], "", "account:2").await, Err(credo_store::StoreError::Conflict(_))),
        "one live application per unit and year"
    );
    assert_eq!(s.honours(Some(Published), None, None).await.unwrap().len(), 1);
    assert_eq!(s.honours(None, Some(2025), None).await.unwrap()[0].id, other.id);
    assert_eq!(s.honours(None, None, Some(subjects[0])).await.unwrap().len(), 1);
    assert!(s.move_honour(h.id, Published, Revoked, "platform", Some("列入严重失信主体名单"), None).await.unwrap());
    assert_eq!(s.honour(h.id).await.unwrap().unwrap().reason.as_deref(), Some("列入严重失信主体名单"));
    assert!(s.honour(other.id + 10).await.unwrap().is_none());
}

async fn gov_commitments_settle_once(b: Backend) {
    use credo_domain::integrity::CommitmentState::*;
    let s = &*b.store;
    let d = b.dept(1).await;
    let due = time::macros::date!(2026 - 12 - 10);
    let new = |body: &str| credo_store::NewGovCommitment {
        body_code: body.into(),
        department_id: d.id,
        kind: "服务时限承诺".into(),
        content: "一日办结".into(),
        due_on: due,
        created_by: "account:1".into(),
    };
    let c = s.add_gov_commitment(&new(&d.uscc)).await.unwrap();
    let other = s.add_gov_commitment(&new("12630100MB0000000X")).await.unwrap();
    assert_eq!((c.state, c.due_on, c.settled_on), (Open, due, None));
    let on = time::macros::date!(2026 - 12 - 01);
    assert!(s.settle_gov_commitment(c.id, Kept, on, "已办结", "account:1").await.unwrap());
    assert!(!s.settle_gov_commitment(c.id, Broken, on, "改口", "account:2").await.unwrap(), "settled once");
    let shown = s.gov_commitment(c.id).await.unwrap().unwrap();
    assert_eq!((shown.state, shown.settled_on, shown.note.as_deref()), (Kept, Some(on), Some("已办结")));
    assert_eq!(s.gov_commitments(Some(&d.uscc)).await.unwrap().len(), 1);
    let all = s.gov_commitments(None).await.unwrap();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), vec![other.id, c.id], "newest first");
    assert!(s.gov_commitment(other.id + 10).await.unwrap().is_none());
}

async fn agencies_are_filed_once_and_updated_at_their_version(b: Backend) {
    let s = &*b.store;
    let d = b.dept(1).await;
    let new = credo_store::NewAgency {
        uscc: "91630100MA0000001X".into(),
        name: "某信用评级公司".into(),
        filing_no: "XN-2026-001".into(),
        filed_on: time::macros::date!(2026 - 03 - 01),
        scopes: vec!["信用评级".into()],
        department_id: Some(d.id),
        created_by: "reviewer".into(),
    };
    let a = s.add_agency(&new).await.unwrap();
    assert_eq!((a.state.as_str(), a.version, a.scopes.clone()), ("active", 1, vec!["信用评级".to_string()]));
    assert!(matches!(s.add_agency(&new).await, Err(credo_store::StoreError::Conflict(_))), "filed once");
    let mut changed = a.clone();
    changed.evaluations.push(credo_store::AgencyEvaluation {
        year: 2025,
        grade: "A".into(),
        note: "好".into(),
        by: "r".into(),
    });
    assert!(s.update_agency(&changed).await.unwrap());
    assert!(!s.update_agency(&changed).await.unwrap(), "a stale version is refused");
    let shown = s.agency(a.id).await.unwrap().unwrap();
    assert_eq!((shown.version, shown.evaluations.len()), (2, 1));
    assert_eq!(s.agency_by_department(d.id).await.unwrap().map(|x| x.id), Some(a.id));
    assert_eq!(s.agencies().await.unwrap().len(), 1);
}

async fn a_keys_daily_quota_holds_under_concurrent_calls(b: Backend) {
    let s = b.store.clone();
    let d = b.dept(1).await;
    let key = s.add_api_key(new_key(d.id, "q1aaaaaa")).await.unwrap();
    let day = time::macros::date!(2026 - 11 - 25);
    let calls = (0..12).map(|_| {
        let s = s.clone();
        tokio::spawn(async move { s.use_api_key(key.id, day, 5).await.unwrap() })
    });
    let mut passed = Vec::new();
    for c in calls {
        passed.extend(c.await.unwrap());
    }
    passed.sort_unstable();
    assert_eq!(passed, vec![1, 2, 3, 4, 5], "exactly the quota passes");
    assert_eq!(s.use_api_key(key.id, day.next_day().unwrap(), 5).await.unwrap(), Some(1), "a new day");
    assert_eq!(s.use_api_key(key.id, day, 0).await.unwrap(), None, "no quota, no call");
}

async fn retired_grades_are_no_longer_current(b: Backend) {
    use credo_store::NewGrade;
    let s = &*b.store;
    let d = b.dept(1).await;
    let subjects = b.subjects(d.id, 2).await;
    let day = time::macros::date!(2026 - 06 - 01);
    let grade = |subject_id| NewGrade {
        subject_id,
        scheme: "xyc".into(),
        version: "1".into(),
        grade: "信用村".into(),
        score: 90,
        reasons: "[]".into(),
        moved_by: 0,
        computed_on: day,
    };
    s.save_grades(&[grade(subjects[0]), grade(subjects[1])]).await.unwrap();
    assert_eq!(s.retire_grades("xyc", &[subjects[0]]).await.unwrap(), 1);
    assert_eq!(s.retire_grades("xyc", &[subjects[0]]).await.unwrap(), 0, "already ended");
    assert_eq!(s.retire_grades("ggxy", &[subjects[1]]).await.unwrap(), 0, "another scheme's");
    let current = s.current_grades("xyc", None, 0, 10).await.unwrap();
    assert_eq!(current, vec![(subjects[1], "信用村".to_string())]);
    let history = s.grades_of(subjects[0]).await.unwrap();
    assert!(history.len() == 1 && history[0].superseded_at.is_some(), "the history keeps it");
    // A scheme's new version shows in its current grades until they are computed again under it.
    assert!(!s.graded_under_another_version("xyc", "1").await.unwrap());
    assert!(s.graded_under_another_version("xyc", "2").await.unwrap(), "graded under 1");
    assert!(!s.graded_under_another_version("ggxy", "2").await.unwrap(), "no grades: nothing to compute again");
    s.save_grades(&[NewGrade { version: "2".into(), ..grade(subjects[1]) }]).await.unwrap();
    assert!(!s.graded_under_another_version("xyc", "2").await.unwrap(), "computed again");
}

async fn federation_places_and_links_are_kept_together(b: Backend) {
    let s = &*b.store;
    let d = b.dept(1).await;
    let r = b.submit_one(d.id, "xzcf", penalty(&Party::company(1), "1号")).await.record_id;
    assert_eq!(s.federation_cursor("630100").await.unwrap(), 0);
    s.advance_federation("630100", 42, &[(7, r)]).await.unwrap();
    s.advance_federation("632100", 5, &[]).await.unwrap();
    assert_eq!(s.federation_cursor("630100").await.unwrap(), 42);
    assert_eq!(s.federation_cursor("632100").await.unwrap(), 5);
    assert_eq!(s.federated_record("630100", 7).await.unwrap(), Some(r));
    assert_eq!(s.federated_record("632100", 7).await.unwrap(), None, "another city's record 7");
    assert_eq!(s.federated_origin(r).await.unwrap(), Some(("630100".to_string(), 7)));
    // Taking a page in again: the same link, the place moves on.
    s.advance_federation("630100", 50, &[(7, r)]).await.unwrap();
    assert_eq!(s.federation_cursor("630100").await.unwrap(), 50);
    assert_eq!(s.federated_origin(r + 1000).await.unwrap(), None);
}

async fn webhook_deliveries_are_queued_once_retried_and_acknowledged(b: Backend) {
    use credo_store::{Attempt, DeliveryState, NewDelivery, NewWebhook};
    let s = &*b.store;
    let d = b.dept(1).await;
    let new = NewWebhook {
        department_id: d.id,
        url: "https://xxgk.example.cn/hook".into(),
        items: vec!["xzcf".into()],
        subjects: vec![7],
        checks: true,
        secret: "ab".repeat(32),
        cursor: 5,
        created_by: "checker".into(),
    };
    let w = s.add_webhook(&new, 5).await.unwrap().unwrap();
    assert_eq!((w.items.clone(), w.subjects.clone(), w.checks, w.cursor), (vec!["xzcf".to_string()], vec![7], true, 5));
    assert_eq!(s.webhook_secret(w.id).await.unwrap().as_deref(), Some("ab".repeat(32).as_str()));
    let other = s.add_webhook(&NewWebhook { checks: false, ..new.clone() }, 5).await.unwrap().unwrap();
    assert!(s.add_webhook(&new, 2).await.unwrap().is_none(), "two live already");
    // Six at once for a department with none, against a limit of three: exactly three.
    let other_dept = b.dept(2).await;
    let theirs = NewWebhook { department_id: other_dept.id, ..new.clone() };
    let (a, c) = tokio::join!(
        async { tokio::join!(s.add_webhook(&theirs, 3), s.add_webhook(&theirs, 3), s.add_webhook(&theirs, 3)) },
        async { tokio::join!(s.add_webhook(&theirs, 3), s.add_webhook(&theirs, 3), s.add_webhook(&theirs, 3)) }
    );
    let made = [a.0, a.1, a.2, c.0, c.1, c.2].into_iter().filter(|r| r.as_ref().unwrap().is_some()).count();
    assert_eq!(made, 3, "concurrent subscriptions never pass the limit together");
    assert_eq!(s.webhooks(Some(d.id)).await.unwrap().iter().map(|x| x.id).collect::<Vec<_>>(), [other.id, w.id]);
    assert!(s.webhooks(Some(d.id + 1000)).await.unwrap().is_empty());

    let delivery = |k: &str| NewDelivery { key: k.into(), kind: "record".into(), body: format!("{{\"id\":\"{k}\"}}") };
    assert_eq!(s.enqueue_deliveries(w.id, Some(9), &[delivery("a"), delivery("b")]).await.unwrap(), 2);
    // The same keys again: nothing queued twice; the cursor never goes back.
    assert_eq!(s.enqueue_deliveries(w.id, Some(7), &[delivery("a"), delivery("c")]).await.unwrap(), 1);
    assert_eq!(s.webhook(w.id).await.unwrap().unwrap().cursor, 9);
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    let due = s.due_deliveries(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);

    let later = now + Duration::minutes(5);
    let failed = Attempt { delivered: false, status: Some(503), error: Some("503".into()), retry_at: Some(later) };
    let ok = Attempt { delivered: true, status: Some(200), error: None, retry_at: None };
    let gave_up = Attempt { retry_at: None, ..failed.clone() };
    s.record_attempts(&[(due[0].id, failed.clone()), (due[1].id, ok), (due[2].id, gave_up)]).await.unwrap();
    // An acknowledged delivery stays acknowledged whatever a late attempt says.
    s.record_attempts(&[(due[1].id, failed.clone())]).await.unwrap();
    let state = |id| async move { s.delivery(id).await.unwrap().unwrap() };
    assert_eq!((state(due[0].id).await.state, state(due[0].id).await.attempts), (DeliveryState::Failed, 1));
    assert_eq!(state(due[1].id).await.state, DeliveryState::Delivered);
    assert!(state(due[1].id).await.delivered_at.is_some());
    assert_eq!(state(due[2].id).await.state, DeliveryState::Dead);
    assert!(s.due_deliveries(now, 10).await.unwrap().is_empty(), "the failed one waits, the dead one is not due");
    assert_eq!(s.due_deliveries(later, 10).await.unwrap().len(), 1);
    assert_eq!(s.delivery_backlog(None).await.unwrap(), [("dead".to_string(), 1), ("failed".to_string(), 1)]);
    assert_eq!(s.delivery_backlog(Some(w.id)).await.unwrap().len(), 2);
    assert!(s.delivery_backlog(Some(other.id)).await.unwrap().is_empty());
    assert_eq!(s.deliveries(w.id, Some(DeliveryState::Dead), 10).await.unwrap().len(), 1);
    assert_eq!(
        s.deliveries(w.id, None, 10).await.unwrap().iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        ["c", "b", "a"]
    );

    assert!(s.redeliver(due[2].id).await.unwrap());
    assert!(!s.redeliver(due[2].id).await.unwrap(), "pending already");
    assert!(!s.redeliver(due[1].id).await.unwrap(), "delivered");
    assert_eq!((state(due[2].id).await.state, state(due[2].id).await.attempts), (DeliveryState::Pending, 0));
    // An ended subscription sends nothing more.
    assert!(s.end_webhook(w.id).await.unwrap());
    assert!(!s.end_webhook(w.id).await.unwrap());
    assert!(s.due_deliveries(later, 10).await.unwrap().is_empty());
}

async fn grades_keep_changes_only_and_draws_take_each_result_once(b: Backend) {
    use credo_store::{NewDraw, NewGrade};
    let s = &*b.store;
    let d = b.dept(1).await;
    let (one, two) = (Party::company(1), Party::company(2));
    let s1 = b.submit_one(d.id, "xzcf", penalty(&one, "1号")).await.subject_id.unwrap();
    let s2 = b.submit_one(d.id, "xzcf", penalty(&two, "2号")).await.subject_id.unwrap();
    let day = time::macros::date!(2026 - 11 - 25);
    let grade = |subject: i64, grade: &str, score: i64| NewGrade {
        subject_id: subject,
        scheme: "ggxy".into(),
        version: "2026.1".into(),
        grade: grade.into(),
        score,
        reasons: "[]".into(),
        moved_by: 0,
        computed_on: day,
    };
    assert_eq!(sorted(s.save_grades(&[grade(s1, "B", 700), grade(s2, "C", 600)]).await.unwrap()), sorted(vec![s1, s2]));
    assert_eq!(
        s.save_grades(&[grade(s1, "B", 700), grade(s2, "C", 600)]).await.unwrap(),
        Vec::<i64>::new(),
        "unchanged"
    );
    assert_eq!(s.save_grades(&[grade(s1, "A", 820)]).await.unwrap(), vec![s1]);
    let history = s.grades_of(s1).await.unwrap();
    assert_eq!(
        history.iter().map(|g| (g.grade.as_str(), g.superseded_at.is_some())).collect::<Vec<_>>(),
        [("A", false), ("B", true)]
    );
    assert_eq!(
        s.current_grades("ggxy", None, 0, 10).await.unwrap(),
        vec![(s1, "A".to_string()), (s2, "C".to_string())]
    );
    assert_eq!(s.current_grades("ggxy", None, s1, 10).await.unwrap(), vec![(s2, "C".to_string())]);
    assert_eq!(s.current_grades("ggxy", Some("6399"), 0, 10).await.unwrap(), vec![], "no subject of that region");
    let counts = s.grade_counts("ggxy").await.unwrap();
    assert_eq!(counts.iter().map(|c| c.subjects).sum::<i64>(), 2);
    assert_eq!(s.grades_followed().await.unwrap(), (0, None));
    s.set_grades_followed(7, Some(day)).await.unwrap();
    s.set_grades_followed(9, None).await.unwrap();
    assert_eq!(s.grades_followed().await.unwrap(), (9, Some(day)), "a follow keeps the last full day");

    let draw = NewDraw {
        department_id: d.id,
        scheme: "ggxy".into(),
        scope: "{}".into(),
        task: "检查".into(),
        seed: "种子".into(),
        population: 2,
        population_digest: "00".into(),
        strata: "[]".into(),
        actor: "tester".into(),
        targets: vec![
            (s2, "C".into(), vec!["甲".into(), "乙".into()]),
            (s1, "A".into(), vec!["丙".into(), "甲".into()]),
        ],
    };
    let first = s.record_draw(&draw, "630100").await.unwrap();
    let second = s.record_draw(&draw, "630100").await.unwrap();
    assert!(
        first.number.starts_with("CC630100-") && first.number != second.number,
        "{} {}",
        first.number,
        second.number
    );
    let (_, targets) = s.draw(&first.number).await.unwrap().unwrap();
    assert_eq!(targets.iter().map(|t| (t.n, t.subject_id)).collect::<Vec<_>>(), [(1, s2), (2, s1)]);
    assert_eq!(targets[0].inspectors, ["甲", "乙"]);
    s.set_inspection_result(first.id, s2, "不合格", day, Some(5)).await.unwrap();
    assert!(is_conflict(&s.set_inspection_result(first.id, s2, "合格", day, None).await), "once");
    let (_, targets) = s.draw(&first.number).await.unwrap().unwrap();
    assert_eq!((targets[0].result.as_deref(), targets[0].record_id), (Some("不合格"), Some(5)));
    s.link_inspection_record(first.id, s2, 6).await.unwrap();
    let (_, targets) = s.draw(&first.number).await.unwrap().unwrap();
    assert_eq!(targets[0].record_id, Some(6));
    assert_eq!(s.draws(Some(d.id), 10).await.unwrap().iter().map(|x| x.id).collect::<Vec<_>>(), [second.id, first.id]);
    assert!(s.draw("CC-none").await.unwrap().is_none());
}

/// A record judged the same is linked and its name becomes the subject's; two subjects judged the same are merged
/// (codes, records and names move; the merged one points to the other), and undoing the merge leaves those tables
/// exactly as before; a legacy code is attached once; what cannot be applied is a conflict.
async fn judgements_link_merge_and_undo_exactly(b: Backend) {
    use credo_store::{Decision, NewJudgement, Target};
    let s = &*b.store;
    let d = b.dept(1).await;
    let (one, two) = (Party::company(1), Party::company(2));
    let s1 = b.submit_one(d.id, "xzcf", penalty(&one, "1号")).await.subject_id.unwrap();
    let s2 = b.submit_one(d.id, "xzcf", penalty(&two, "2号")).await.subject_id.unwrap();
    let shop = Party::unknown(5);
    let queued = b.submit_one(d.id, "xzcf", penalty(&shop, "3号")).await;
    assert_eq!(queued.subject_id, None);
    let judge = |target: Target, subject: i64, decision: Decision| NewJudgement {
        target,
        subject_id: subject,
        decision,
        reason: "经核实".into(),
        actor: "reviewer".into(),
        department_id: None,
        alias: Some(shop.name.clone()),
    };
    let different = s.judge(&judge(Target::Record(queued.record_id), s1, Decision::Different)).await.unwrap();
    assert_eq!((different.decision, different.effect.clone()), (Decision::Different, None));
    assert_eq!(b.view(queued.record_id).await.subject_id, None, "different changes nothing");
    let linked = s.judge(&judge(Target::Record(queued.record_id), s2, Decision::Same)).await.unwrap();
    assert_eq!(b.view(queued.record_id).await.subject_id, Some(s2));
    let named = s.subjects_by_name(&normalize_name(&shop.name)).await.unwrap();
    assert_eq!(named.iter().map(|x| x.id).collect::<Vec<_>>(), vec![s2], "the record's name is the subject's now");
    assert_eq!(s.subject_names(&[s2]).await.unwrap()[&s2], vec![shop.name.clone()]);
    assert!(
        is_conflict(&s.judge(&judge(Target::Record(queued.record_id), s1, Decision::Same)).await),
        "queued no more"
    );

    let before = resolution_tables(s).await;
    let merge = s.judge(&judge(Target::Subject(s2), s1, Decision::Same)).await.unwrap();
    assert_eq!(s.subject(s2).await.unwrap().unwrap().merged_into, Some(s1));
    assert_eq!(s.subject_by_code(&two.code).await.unwrap().unwrap().id, s1, "its code is the other's");
    let records = record_ids(&s.subject_records(s1).await.unwrap());
    assert_eq!(records.len(), 3, "every record of both");
    let named = s.subjects_by_name(&normalize_name(&two.name)).await.unwrap();
    assert_eq!(named.iter().map(|x| x.id).collect::<Vec<_>>(), vec![s1], "found by the merged one's name");
    assert!(is_conflict(&s.judge(&judge(Target::Subject(s1), s2, Decision::Same)).await), "merged already");
    assert!(is_conflict(&s.judge(&judge(Target::Subject(s1), s1, Decision::Same)).await), "not with itself");
    let undone = s.undo_judgement(merge.id, "reviewer2").await.unwrap();
    assert_eq!(undone.undone_by.as_deref(), Some("reviewer2"));
    let read = s.judgement(merge.id).await.unwrap().unwrap();
    assert_eq!((read.target, read.subject_id, read.undone_at), (Target::Subject(s2), s1, undone.undone_at));
    assert!(s.judgement(merge.id + 1000).await.unwrap().is_none());
    assert!(is_conflict(&s.undo_judgement(merge.id, "reviewer2").await), "once");
    assert_eq!(resolution_tables(s).await, before, "the merge undone leaves the tables as they were");

    let code = "630100400012345";
    let attached = s.judge(&judge(Target::Code(code.into()), s1, Decision::Same)).await.unwrap();
    assert_eq!(s.subject_by_code(code).await.unwrap().unwrap().id, s1);
    assert!(is_conflict(&s.judge(&judge(Target::Code(code.into()), s2, Decision::Same)).await), "another's code");
    s.undo_judgement(attached.id, "reviewer").await.unwrap();
    assert!(s.subject_by_code(code).await.unwrap().is_none());
    s.undo_judgement(linked.id, "reviewer").await.unwrap();
    assert_eq!(b.view(queued.record_id).await.subject_id, None, "back in the queue");
    assert!(s.subject_names(&[s2]).await.unwrap().is_empty());
    let listed = s.judgements(Some(&Target::Record(queued.record_id)), None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![linked.id, different.id], "newest first");
    assert_eq!(s.judgements(None, Some(s2), 10).await.unwrap().len(), 2, "the link and the merge");
    let entities: Vec<String> = s.changes_after(0, 10_000).await.unwrap().into_iter().map(|c| c.entity).collect();
    assert_eq!(entities.iter().filter(|e| *e == "judgement").count(), 4 + 3, "each judgement and each undo");
}

/// Every row of every table, as exported.
async fn exported(s: &Db) -> Vec<(String, Vec<credo_store::Row>)> {
    let mut out = Vec::new();
    for (table, _) in credo_store::TABLES {
        let mut rows = Vec::new();
        let n = s
            .export_table(table, &mut |r| {
                rows.push(r);
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(n as usize, rows.len());
        out.push((table.to_string(), rows));
    }
    out
}

/// A store moved whole (every table exported, then imported into an empty store) holds and reads the same, and its
/// counters go on after the imported ids.
async fn a_store_moves_whole_into_an_empty_one(b: Backend) {
    let s = &*b.store;
    let d = b.dept(1).await;
    let firm = Party::company(1);
    b.submit(
        d.id,
        "xzcf",
        &[penalty(&firm, "宁市监罚〔2025〕1号"), penalty(&Party::unknown(1), "宁市监罚〔2025〕2号")],
    )
    .await;
    b.submit(d.id, "xzcf", &[with(penalty(&firm, "宁市监罚〔2025〕1号"), &[("CF_NR_FK", "0.3")])]).await;
    for n in 1..=3 {
        s.append_audit(&event(n, Some("subject:1"))).await.unwrap();
    }
    b.account("zhangsan").await;
    let (moved, _home) = empty_like(&b).await;
    assert!(moved.is_empty().await.unwrap() && !s.is_empty().await.unwrap());
    let before = exported(s).await;
    for (table, rows) in &before {
        moved.import_rows(table, rows).await.unwrap();
    }
    moved.finish_import().await.unwrap();
    assert_eq!(exported(&*moved).await, before, "every row of every table, as it was");
    assert!(before.iter().filter(|(_, rows)| !rows.is_empty()).count() >= 10, "most tables had rows");

    let code = firm.code.as_str();
    assert_eq!(
        moved.subject_by_code(code).await.unwrap(),
        s.subject_by_code(code).await.unwrap(),
        "sealed, read alike"
    );
    assert_eq!(moved.counts().await.unwrap().records, 2);
    assert_eq!(moved.audit_head().await.unwrap(), s.audit_head().await.unwrap());
    assert_eq!(moved.changes_after(0, 1000).await.unwrap(), s.changes_after(0, 1000).await.unwrap());
    let next = moved
        .add_department(NewDepartment {
            uscc: "11630100MB1742000X".into(),
            name: "新部门".into(),
            region: None,
            created_by: "test".into(),
            permissions: Permissions::default(),
        })
        .await
        .unwrap();
    assert!(next.id > d.id, "new ids continue after the imported ones");
    let seq = moved.last_seq().await.unwrap();
    assert!(seq > s.last_seq().await.unwrap(), "and so does the change feed");
    assert_eq!(moved.append_audit(&event(4, None)).await.unwrap(), 4, "and the audit chain");
}

async fn counts_follow_the_store(b: Backend) {
    let s = &*b.store;
    let tuple = |n: Counts| (n.subjects, n.records, n.unresolved, n.departments);
    assert_eq!(tuple(s.counts().await.unwrap()), (0, 0, 0, 0));
    let (a, c) = (b.dept(1).await, b.dept(2).await);
    let firm = Party::company(1);
    let (_, out) = b
        .submit(
            a.id,
            "xzcf",
            &[penalty(&firm, "1号"), penalty(&Party::unknown(1), "2号"), penalty(&Party::person(1), "3号")],
        )
        .await;
    b.submit_one(c.id, "xzcf", penalty(&firm, "1号")).await;
    assert_eq!(tuple(s.counts().await.unwrap()), (2, 4, 1, 2));
    let n = s.counts().await.unwrap();
    assert_eq!((n.batches, n.checks), (2, 0));
    b.submit_one(a.id, "xzcf", with(penalty(&firm, "1号"), &[("CF_NR_FK", "0.3")])).await;
    assert_eq!(tuple(s.counts().await.unwrap()), (2, 4, 1, 2), "a version is not a record");
    s.add_check(&new_check("CK1", Some(a.id), "zfcg", &[(None, None)])).await.unwrap();
    let n = s.counts().await.unwrap();
    assert_eq!((n.batches, n.checks), (3, 1), "a batch per submission, a receipt per check");
    s.assign_subject(out[1].record_id, out[0].subject_id.unwrap()).await.unwrap();
    assert_eq!(tuple(s.counts().await.unwrap()), (2, 4, 0, 2));
}

// ---------------------------------------------------------------------------------------------------------------
// The suite, per backend
// ---------------------------------------------------------------------------------------------------------------

/// Runs every contract against a backend: `contract_suite!(name, factory)` makes `mod name` with one
/// `#[tokio::test]` per contract (multi-threaded, so tasks at once run in parallel), each on a fresh store from the
/// factory expression. The list below is checked against the contracts by `every_contract_runs_on_every_backend`.
macro_rules! contract_suite {
    ($backend:ident, $factory:expr) => {
        contract_suite!(@each $backend, $factory, [
            // contracts:begin
            audit_search_filters_newest_first,
            check_feedback_and_recent_checks,
            departments_are_unique_by_uscc_and_found_by_id,
            concurrent_registrations_of_one_department_admit_one,
            permissions_are_replaced_whole,
            api_keys_are_found_by_prefix_and_revoked_once,
            access_changes_are_on_the_feed,
            index_snapshots_are_committed_whole_and_replace_the_last,
            accounts_are_unique_by_username_and_open_their_secret,
            a_new_password_or_disabling_ends_only_that_accounts_sessions,
            totp_secrets_are_set_replaced_and_cleared,
            login_attempts_count_lock_and_start_again,
            concurrent_login_attempts_never_pass_the_limit,
            a_lock_holds_until_its_last_instant,
            tokens_are_used_once_across_nodes,
            shared_values_are_taken_once_sealed_and_expire,
            counts_within_a_window_hold_their_limit_across_nodes,
            totp_steps_are_claimed_once_and_in_order,
            concurrent_totp_claims_admit_one_per_step,
            sessions_are_added_touched_and_ended,
            enrolments_are_filed_listed_and_decided_once,
            reports_are_issued_within_their_quota_and_revoked_once,
            account_tokens_are_taken_once_before_they_expire,
            ingest_creates_versions_and_skips_duplicates,
            ingest_resolves_by_name_within_a_chunk_as_across_chunks,
            registration_rows_describe_their_subject,
            concurrent_ingest_stores_each_record_once,
            batches_are_opened_closed_and_listed_newest_first,
            recover_batches_closes_what_a_dead_process_left_open,
            subjects_are_found_by_any_of_their_codes,
            subjects_page_in_id_order,
            subjects_by_name_match_the_normalised_name_exactly,
            unresolved_records_wait_oldest_first_and_page,
            judgements_link_merge_and_undo_exactly,
            grades_keep_changes_only_and_draws_take_each_result_once,
            webhook_deliveries_are_queued_once_retried_and_acknowledged,
            federation_places_and_links_are_kept_together,
            articles_move_only_from_the_state_they_are_in,
            loan_applications_carry_their_authorisation_and_move_once,
            honours_move_only_from_the_state_they_are_in,
            gov_commitments_settle_once,
            agencies_are_filed_once_and_updated_at_their_version,
            a_keys_daily_quota_holds_under_concurrent_calls,
            retired_grades_are_no_longer_current,
            feed_acknowledgements_move_forward_and_count_the_late,
            assign_subject_takes_a_record_off_the_queue_once,
            subject_records_are_latest_versions_newest_decision_first,
            records_of_items_page_in_id_order,
            records_by_ids_and_latest_records,
            department_records_are_its_newest_first,
            changed_records_list_every_version_of_changed_records,
            subject_items_are_the_items_of_their_records,
            record_stats_count_records_not_versions,
            subject_records_as_of_returns_what_was_received_by_then,
            subject_records_as_of_compares_instants,
            audit_events_form_a_keyed_chain,
            concurrent_audit_appends_keep_one_chain,
            archiving_moves_the_base_forward_only,
            checkpoints_are_kept_once_per_seq,
            audit_for_target_is_newest_first,
            checks_are_kept_with_their_receipts,
            record_checks_stores_checks_and_events_together,
            feedback_is_given_once_per_result,
            check_stats_and_pending_feedback,
            cases_are_filed_with_their_files_and_a_first_step,
            cases_are_filtered_and_listed_oldest_first,
            update_case_moves_only_from_the_expected_state,
            concurrent_case_updates_admit_one,
            case_updates_at_once_beyond_the_pool_size_admit_one,
            only_open_objections_in_progress_dispute_a_record,
            one_open_case_per_key_even_at_once,
            a_lender_has_a_bounded_number_of_open_products,
            expiries_are_recorded_once_per_record,
            rekeying_follows_a_changed_natural_key,
            the_change_feed_is_ordered_and_paged,
            counts_follow_the_store,
            one_store_at_a_time_leads_the_jobs,
            a_store_moves_whole_into_an_empty_one,
            check_jobs_start_within_the_limit_and_keep_their_progress,
            // contracts:end
        ]);
    };
    (@each $backend:ident, $factory:expr, [$($(#[$attr:meta])* $contract:ident),* $(,)?]) => {
        mod $backend {
            use super::*;
            $(
                $(#[$attr])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $contract() {
                    super::$contract($factory).await;
                }
            )*
        }
    };
}

contract_suite!(sqlite, sqlite_store().await);
contract_suite!(postgres, postgres_store().await);

// ---------------------------------------------------------------------------------------------------------------
// The suite's own checks
// ---------------------------------------------------------------------------------------------------------------

/// Source text without its comment lines (so that a method named in a comment does not count as called).
fn code_of(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The methods of every `pub trait …Store` and `pub trait …Feed` in the Rust files under `dir`: `(trait, method)`.
fn store_trait_methods(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        // Line comments out (doc comments name methods too); the trait bodies hold no `//` in strings.
        let text: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
            .collect::<Vec<_>>()
            .join("\n");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("pub trait ") {
            rest = &rest[at + "pub trait ".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let Some(open) = rest.find('{') else { break };
            // The trait body at its own level (default method bodies left out).
            let (mut depth, mut body) = (0, String::new());
            for ch in rest[open..].chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ if depth == 1 => body.push(ch),
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
            if name.ends_with("Store") || name.ends_with("Feed") {
                let words: Vec<&str> =
                    body.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
                out.extend(words.windows(2).filter(|w| w[0] == "fn").map(|w| (name.clone(), w[1].to_string())));
            }
            rest = &rest[open + 1..];
        }
    }
    out
}

/// The suite's source: this file and any modules under `tests/contract/`.
fn suite_source() -> String {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut text = std::fs::read_to_string(tests.join("contract.rs")).unwrap();
    let mut todo = vec![tests.join("contract")];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    code_of(&text)
}

/// Every method of the store traits (`pub trait …Store` / `…Feed` anywhere under `src/`, so also after the trait is
/// split) is called somewhere in this suite, as `.method(`.
#[test]
fn every_store_method_is_covered() {
    let methods = store_trait_methods(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        methods.len() > 50 && methods.iter().any(|(_, m)| m == "ingest"),
        "the trait parser should find the store's methods, found {methods:?}"
    );
    let suite = suite_source();
    let missing: Vec<String> =
        methods.iter().filter(|(_, m)| !suite.contains(&format!(".{m}("))).map(|(t, m)| format!("{t}::{m}")).collect();
    assert!(missing.is_empty(), "store methods the contract suite never calls: {}", missing.join(", "));
}

/// Moving a store carries every table: `credo_store::TABLES` names each table the migrations of either backend
/// create, and no other.
#[test]
fn every_table_is_moved_whole() {
    let mut created = BTreeSet::new();
    for backend in ["sqlite", "postgres"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        for file in std::fs::read_dir(dir).unwrap() {
            let sql = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for part in sql.split("CREATE TABLE ").skip(1) {
                let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                created.insert(name);
            }
        }
    }
    let moved: BTreeSet<String> = credo_store::TABLES.iter().map(|(t, _)| t.to_string()).collect();
    let derived: BTreeSet<String> = credo_store::DERIVED_TABLES.iter().map(|t| t.to_string()).collect();
    assert!(created.len() > 20, "{created:?}");
    assert!(moved.is_disjoint(&derived), "a derived table is not moved");
    assert_eq!(&moved | &derived, created, "tables export-store carries or rebuilds / tables the migrations create");
}

/// Every contract (`async fn NAME(b: Backend)`) is in `contract_suite!`'s list, and every listed name is a contract.
#[test]
fn every_contract_runs_on_every_backend() {
    let text = include_str!("contract.rs");
    let defined: BTreeSet<&str> =
        text.lines().filter_map(|l| l.strip_prefix("async fn ")?.strip_suffix("(b: Backend) {")).collect();
    let (_, list) = text.split_once("// contracts:begin").unwrap();
    let (list, _) = list.split_once("// contracts:end").unwrap();
    let listed: BTreeSet<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("#[") && !l.starts_with("//"))
        .map(|l| l.trim_end_matches(','))
        .collect();
    assert!(defined.len() > 40, "found {defined:?}");
    assert_eq!(
        defined.difference(&listed).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "contracts missing from contract_suite!"
    );
    assert_eq!(listed.difference(&defined).collect::<Vec<_>>(), Vec::<&&str>::new(), "listed but not contracts");
}
