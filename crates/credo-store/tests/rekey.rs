//! Natural keys with the deciding authority (STANDARDS §13.2.7), end to end through ingest, and the re-keying of a
//! store filled under the old keys (a 文书号 alone): nothing lost, no duplicates, the change feed says what moved,
//! and a second run changes nothing.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::collections::HashMap;
use std::sync::Arc;

use credo_domain::catalog::Catalog;
use credo_domain::embedded;
use credo_store::prelude::*;
use credo_store::{Incoming, NewDepartment, Outcome, Permissions, Rekeyed, SqliteStore, Vault};
use credo_synth::builders::{DishonestDebtor, Licence, Penalty, Record, SeriousDishonesty};
use sqlx::Row;
use time::macros::date;

/// 西宁市市场监督管理局 and 城东区市场监督管理局: two authorities that number their decisions each on its own.
const CITY: &str = "11630100MB174225XT";
const DISTRICT: &str = "11630102MB174225XP";
const COMPANY: &str = "91630100MA7X00018G";
const SHOP: &str = "92630102MA7X000265";

/// The catalog as it was before the key held the authority: penalties keyed by 文书号 alone.
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

struct Fixture {
    dir: tempfile::TempDir,
    vault: Arc<Vault>,
    store: SqliteStore,
    /// The city's 信用办, which sends every district's decisions.
    dept: i64,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let catalog = embedded::catalog();
    let vault = Arc::new(Vault::new(&credo_gm::keyring::Keyring::generate(), catalog.sensitive_fields()).unwrap());
    let store = SqliteStore::open(dir.path(), vault.clone()).await.unwrap();
    let d = store
        .add_department(NewDepartment {
            uscc: "11630100MB1742268T".into(),
            name: "西宁市信用办".into(),
            region: None,
            created_by: "test".into(),
            permissions: Permissions::default(),
        })
        .await
        .unwrap();
    Fixture { dir, vault, store, dept: d.id }
}

fn penalty(subject: &str, code: &str, wsh: &str, authority: &str, fine: &str) -> Record {
    let name =
        if authority == CITY { "西宁市市场监督管理局" } else { "西宁市城东区市场监督管理局" };
    Penalty::of(subject, code)
        .without("CF_FRDB")
        .number(wsh)
        .facts("经查,当事人销售不合格商品")
        .basis("《中华人民共和国产品质量法》第四十九条")
        .fine(fine)
        .decided("2025-06-01")
        .valid_until("2099-12-31")
        .authority(name, authority)
        .source("西宁市信用办", "11630100MB1742268T")
        .record()
}

fn licence(wsh: &str, authority: &str) -> Record {
    Licence::of("西宁市城东区鑫源商贸有限公司", COMPANY)
        .kind("01")
        .number(wsh)
        .authority("市场监督管理局", authority)
        .source("西宁市信用办", "11630100MB1742268T")
        .record()
}

fn listing(wsh: &str, authority: &str) -> Record {
    SeriousDishonesty::of("西宁市城东区鑫源商贸有限公司", COMPANY)
        .kind("01")
        .list("市场监督管理严重违法失信名单")
        .reason("一年内三次以上同类违法")
        .basis("《市场监督管理严重违法失信名单管理办法》")
        .number(wsh)
        .listed("2025-05-01")
        .authority("市场监督管理局", authority)
        .source("西宁市信用办", "11630100MB1742268T")
        .record()
}

/// A 失信被执行人 entry: `debtor` under the 执行案号 `ah` (a unit by its USCC, or a person by ID number).
fn debtor(ah: &str, name: &str, code: &str, person: bool) -> Record {
    let debtor = if person { DishonestDebtor::person(name, code) } else { DishonestDebtor::of(name, code) };
    debtor
        .case_number(ah)
        .basis_number("(2025)青0102民初100号")
        .duty("连带偿还借款本金50万元及利息")
        .published("2026-03-02")
        .source("西宁市城东区人民法院", DISTRICT)
        .record()
}

impl Fixture {
    /// Validates the rows with `catalog` and stores them as one batch of the 信用办.
    async fn ingest(&self, catalog: &Catalog, item: &str, rows: &[Record]) -> Vec<Outcome> {
        let def = catalog.item(item).unwrap();
        let incoming: Vec<Incoming> = rows
            .iter()
            .enumerate()
            .map(|(n, raw)| Incoming {
                row: n + 1,
                record: def.validate(&raw.raw(), &catalog.context(date!(2026 - 11 - 25))).unwrap(),
                extras: vec![],
                registration: false,
            })
            .collect();
        let batch = self.store.open_batch(self.dept, item, "test", None).await.unwrap();
        self.store.ingest(batch, self.dept, &incoming).await.unwrap().into_iter().map(|r| r.outcome).collect()
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(self.store.pool()).await.unwrap()
    }

    /// (records, versions, distinct record keys) of an item.
    async fn counts(&self, item: &str) -> (i64, i64, i64) {
        (
            self.scalar(&format!("SELECT COUNT(*) FROM records WHERE item = '{item}'")).await,
            self.scalar(&format!(
                "SELECT COUNT(*) FROM record_versions v JOIN records r ON r.id = v.record_id WHERE r.item = '{item}'"
            ))
            .await,
            self.scalar(&format!(
                "SELECT COUNT(DISTINCT department_id || '/' || natural_key) FROM records WHERE item = '{item}'"
            ))
            .await,
        )
    }

    /// Every version of a record: (version, batch, 处罚机关代码), in order.
    async fn versions(&self, record: i64) -> Vec<(i64, i64, String)> {
        let rows =
            sqlx::query("SELECT version, batch_id, fields FROM record_versions WHERE record_id = ? ORDER BY version")
                .bind(record)
                .fetch_all(self.store.pool())
                .await
                .unwrap();
        rows.iter()
            .map(|r| {
                let fields: HashMap<String, String> =
                    serde_json::from_str(&r.try_get::<String, _>("fields").unwrap()).unwrap();
                (r.try_get("version").unwrap(), r.try_get("batch_id").unwrap(), fields["CF_CFJGDM"].clone())
            })
            .collect()
    }
}

/// One law case: rows of one item sent by one department, and how many records the store must keep.
struct Case {
    name: &'static str,
    source: &'static str,
    item: &'static str,
    rows: Vec<Record>,
    records: i64,
    outcomes: Vec<Outcome>,
}

#[tokio::test]
async fn a_document_number_identifies_a_record_only_with_its_authority() {
    use Outcome::*;
    // law-case table
    let cases = vec![
        Case {
            name: "同一文书号、两个处罚机关:两条处罚记录,而不是一条记录的两个版本",
            source: "STANDARDS §13.2.7(决定书文号只在作出机关内唯一,自然键为处罚机关代码+文书号)",
            item: "xzcf",
            rows: vec![
                penalty("西宁市城东区鑫源商贸有限公司", COMPANY, "宁市监罚〔2025〕12号", CITY, "0.2"),
                penalty("西宁市城东区小明便利店", SHOP, "宁市监罚〔2025〕12号", DISTRICT, "0.1"),
            ],
            records: 2,
            outcomes: vec![Created, Created],
        },
        Case {
            name: "同一处罚机关更正同一文书号的处罚:同一条记录的新版本",
            source: "STANDARDS §13.2.7;行政处罚法 第四十八条(决定变更后公开的信息随之更正)",
            item: "xzcf",
            rows: vec![
                penalty("西宁市城东区鑫源商贸有限公司", COMPANY, "宁市监罚〔2025〕13号", CITY, "0.2"),
                penalty("西宁市城东区鑫源商贸有限公司", COMPANY, "宁市监罚〔2025〕13号", CITY, "0.3"),
            ],
            records: 1,
            outcomes: vec![Created, Versioned],
        },
        Case {
            name: "同一许可文书号、两个许可机关:两条许可记录",
            source: "STANDARDS §13.2.7(许可同理:许可机关代码+文书号)",
            item: "xzxk",
            rows: vec![licence("JY16301000001", CITY), licence("JY16301000001", DISTRICT)],
            records: 2,
            outcomes: vec![Created, Created],
        },
        Case {
            name: "同一列入决定书文号、两个认定部门:两条名单记录",
            source: "issue 12 第4项;STANDARDS §13.2.7(名单同理:认定部门代码+文书号)",
            item: "yzsx",
            rows: vec![listing("宁市监严〔2025〕1号", CITY), listing("宁市监严〔2025〕1号", DISTRICT)],
            records: 2,
            outcomes: vec![Created, Created],
        },
        Case {
            name: "同一执行案号、两个被执行人(公司及其连带责任保证人):两条失信被执行人记录,各自受财库〔2016〕125号约束",
            source: "法释〔2017〕7号 第六条(逐一公布被执行人信息);财库〔2016〕125号;review of issue 12",
            item: "sxbzxr",
            rows: vec![
                debtor("(2026)青0102执500号", "西宁市城东区鑫源商贸有限公司", COMPANY, false),
                debtor("(2026)青0102执500号", "王五", "630102199001011235", true),
            ],
            records: 2,
            outcomes: vec![Created, Created],
        },
    ];
    let catalog = embedded::catalog();
    for case in cases {
        let f = fixture().await;
        f.store.rekey(&catalog).await.unwrap();
        let outcomes = f.ingest(&catalog, case.item, &case.rows).await;
        let (records, _, keys) = f.counts(case.item).await;
        assert_eq!(
            (outcomes, records, keys),
            (case.outcomes, case.records, case.records),
            "{} ({})",
            case.name,
            case.source
        );
    }
}

/// Law case (STANDARDS §13.2.7, issue 12 第4项): a store filled under the old key (文书号 alone), where the city's
/// 信用办 sent the district's penalty with the city's 文书号 and it became a version of the city's record, is
/// re-keyed: the district's version becomes its own record again, nothing is lost, nothing is doubled, and the
/// change feed says what moved.
#[tokio::test]
async fn rekeying_splits_what_the_old_key_merged_and_says_so() {
    let f = fixture().await;
    let old = old_catalog();
    let new = embedded::catalog();
    assert!(f.store.rekey(&old).await.unwrap().is_empty(), "an empty store has nothing to re-key");

    let wsh = "宁市监罚〔2025〕12号";
    let city = penalty("西宁市城东区鑫源商贸有限公司", COMPANY, wsh, CITY, "0.2");
    let district = penalty("西宁市城东区小明便利店", SHOP, wsh, DISTRICT, "0.1");
    let corrected = penalty("西宁市城东区鑫源商贸有限公司", COMPANY, wsh, CITY, "0.3");
    let other = penalty("西宁市城东区鑫源商贸有限公司", COMPANY, "宁市监罚〔2025〕14号", CITY, "0.5");
    // The old key merged them: one record with three versions (city, district, city), and another record.
    assert_eq!(f.ingest(&old, "xzcf", std::slice::from_ref(&city)).await, [Outcome::Created]);
    assert_eq!(f.ingest(&old, "xzcf", std::slice::from_ref(&district)).await, [Outcome::Versioned]);
    assert_eq!(f.ingest(&old, "xzcf", &[corrected, other]).await, [Outcome::Versioned, Outcome::Created]);
    let merged: i64 = f.scalar("SELECT id FROM records WHERE latest_version = 3").await;
    // The daily job had recorded the end of publicity while the district's version was the latest.
    f.store.record_expiries(&[(merged, 2, date!(2026 - 06 - 01))]).await.unwrap();
    assert_eq!(f.counts("xzcf").await, (2, 4, 2));
    let before = f.store.last_seq().await.unwrap();

    let done = f.store.rekey(&new).await.unwrap();
    assert_eq!(done.len(), 2, "both records took the new key: {done:?}");

    // Nothing lost, no duplicates: 3 records, still 4 versions, every (department, key) once.
    assert_eq!(f.counts("xzcf").await, (3, 4, 3));
    let split: &Rekeyed = done.iter().find(|r| r.record_id == merged).unwrap();
    assert_eq!((split.old_key.as_str(), split.new_key.clone()), (wsh, format!("{wsh}|{CITY}")));
    assert_eq!(split.kept, [(1, 1), (3, 2)], "the city's versions, renumbered in their order");
    assert_eq!(split.moved.len(), 1);
    let moved = &split.moved[0];
    assert_eq!((moved.key.clone(), moved.versions.clone()), (format!("{wsh}|{DISTRICT}"), vec![(2, 1)]));

    // The record id stays with the latest version's authority; the batches stay with their versions.
    let kept = f.versions(merged).await;
    assert_eq!(kept.iter().map(|v| (v.0, v.2.as_str())).collect::<Vec<_>>(), [(1, CITY), (2, CITY)]);
    let district_versions = f.versions(moved.record_id).await;
    assert_eq!(district_versions.len(), 1);
    assert_eq!(district_versions[0].2, DISTRICT);
    assert_eq!(district_versions[0].1, kept[0].1 + 1, "the district's version keeps the batch that brought it");
    // Its subject is the shop it is about, not the company of the record it was split from.
    let shop = f.store.subject_by_code(SHOP).await.unwrap().unwrap();
    let views = f.store.records_by_ids(&[merged, moved.record_id]).await.unwrap();
    let by_id: HashMap<i64, _> = views.iter().map(|v| (v.id, v)).collect();
    assert_eq!(by_id[&moved.record_id].subject_id, Some(shop.id));
    assert_eq!((by_id[&merged].version, by_id[&merged].fields["CF_NR_FK"].as_str()), (2, "0.3"));
    // The recorded expiry followed its version.
    let expiry: (i64, i64) =
        sqlx::query_as("SELECT record_id, version FROM publicity_expiries").fetch_one(f.store.pool()).await.unwrap();
    assert_eq!(expiry, (moved.record_id, 1));

    // The change feed says what moved, and puts both records on it for the indexes.
    let changes = f.store.changes_after(before, 100).await.unwrap();
    let rekey = changes.iter().find(|c| c.entity == "rekey" && c.entity_id == merged).unwrap();
    let detail: Rekeyed = serde_json::from_value(rekey.detail.clone().unwrap()).unwrap();
    assert_eq!(&detail, split);
    assert!(changes.iter().any(|c| c.entity == "record" && c.entity_id == moved.record_id && c.version == Some(1)));
    assert!(changes.iter().any(|c| c.entity == "record" && c.entity_id == merged && c.version == Some(2)));
    assert_eq!(changes.iter().filter(|c| c.entity == "rekey").count(), 2);

    // Twice changes nothing, also after the store is opened again.
    let seq = f.store.last_seq().await.unwrap();
    assert!(f.store.rekey(&new).await.unwrap().is_empty());
    let reopened = SqliteStore::open(f.dir.path(), f.vault.clone()).await.unwrap();
    assert!(reopened.rekey(&new).await.unwrap().is_empty());
    assert_eq!((f.store.last_seq().await.unwrap(), f.counts("xzcf").await), (seq, (3, 4, 3)));

    // Ingest under the new key meets the re-keyed records: the district's penalty again is a duplicate of its own.
    assert_eq!(f.ingest(&new, "xzcf", &[district]).await, [Outcome::Duplicate]);
}

/// A definition that would make two stored records one is refused, and nothing changes.
#[tokio::test]
async fn rekeying_that_would_merge_records_is_refused_without_change() {
    let f = fixture().await;
    let new = embedded::catalog();
    f.store.rekey(&new).await.unwrap();
    let wsh = "宁市监罚〔2025〕12号";
    let rows = [
        penalty("西宁市城东区鑫源商贸有限公司", COMPANY, wsh, CITY, "0.2"),
        penalty("西宁市城东区小明便利店", SHOP, wsh, DISTRICT, "0.1"),
    ];
    f.ingest(&new, "xzcf", &rows).await;
    let seq = f.store.last_seq().await.unwrap();
    let err = f.store.rekey(&old_catalog()).await.unwrap_err();
    assert!(matches!(err, credo_store::StoreError::Conflict(_)), "{err}");
    assert_eq!((f.counts("xzcf").await, f.store.last_seq().await.unwrap()), ((2, 2, 2), seq));
    let keys: i64 = f.scalar(&format!("SELECT COUNT(*) FROM records WHERE natural_key LIKE '%|{CITY}'")).await;
    assert_eq!(keys, 1, "the keys are as they were");
}
