//! Every kind of query a citizen types finds the subject, ranked first.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_domain::catalog::SubjectKind;
use credo_search::{SubjectDoc, SubjectIndex};

fn index() -> (tempfile::TempDir, SubjectIndex) {
    let dir = tempfile::tempdir().unwrap();
    let places = credo_domain::embedded::regions().place_prefixes();
    let idx = SubjectIndex::open(dir.path(), places).unwrap();
    let subjects = [
        (1, "91630100MA7X00018G", "西宁市城东区鑫源商贸有限公司"),
        (2, "92630102MA7X000265", "城东区老马家牛肉面馆"),
        (3, "52630100MJ0000018U", "西宁市慈善助学促进会"),
        (4, "126301004300000193", "青海省西宁市第一人民医院"),
        (5, "91630100MA7X0002X1", "西宁鑫源建材有限责任公司"),
        (6, "91630100MA7X0003X2", "青海高原明珠乳业股份有限公司"),
    ];
    let mut docs: Vec<SubjectDoc> = subjects
        .iter()
        .map(|(id, code, name)| SubjectDoc {
            id: *id,
            kind: SubjectKind::Organisation,
            display_code: Some(code.to_string()),
            codes: vec![code.to_string(), format!("LEGACYCODE{id}")],
            name: name.to_string(),
            region: Some("630100".into()),
        })
        .collect();
    docs.push(SubjectDoc {
        id: 7,
        kind: SubjectKind::Person,
        display_code: Some("6301**********1235".into()),
        codes: vec!["630102199001011235".into()],
        name: "李四".into(),
        region: Some("630102".into()),
    });
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    (dir, idx)
}

fn first(idx: &SubjectIndex, q: &str) -> i64 {
    let hits = idx.search(q, 10).unwrap();
    assert!(!hits.is_empty(), "no hit for {q:?}");
    hits[0].id
}

#[test]
fn codes_in_any_case() {
    let (_d, idx) = index();
    assert_eq!(first(&idx, "91630100MA7X00018G"), 1);
    assert_eq!(first(&idx, "91630100ma7x00018g"), 1);
    assert_eq!(first(&idx, " 92630102MA7X000265 "), 2);
    assert_eq!(first(&idx, "630102199001011235"), 7);
    assert_eq!(first(&idx, "legacycode3"), 3);
}

#[test]
fn full_short_and_trade_names() {
    let (_d, idx) = index();
    assert_eq!(first(&idx, "西宁市城东区鑫源商贸有限公司"), 1);
    assert_eq!(first(&idx, "鑫源商贸"), 1);
    assert_eq!(first(&idx, "鑫源建材"), 5);
    assert_eq!(first(&idx, "牛肉面"), 2);
    assert_eq!(first(&idx, "明珠乳业"), 6);
    assert_eq!(first(&idx, "第一人民医院"), 4);
    // Both 鑫源 companies match a brand-only query.
    let ids: Vec<i64> = idx.search("鑫源", 10).unwrap().iter().map(|h| h.id).collect();
    assert!(ids.contains(&1) && ids.contains(&5), "{ids:?}");
}

#[test]
fn traditional_full_width_and_stray_spaces() {
    let (_d, idx) = index();
    assert_eq!(first(&idx, "西寧市城東區鑫源商貿有限公司"), 1);
    assert_eq!(first(&idx, "鑫源 商贸"), 1);
    assert_eq!(first(&idx, "鑫源　商贸　"), 1);
    assert_eq!(first(&idx, "明珠乳業"), 6);
}

#[test]
fn pinyin_full_and_initials() {
    let (_d, idx) = index();
    assert_eq!(first(&idx, "xinyuanshangmao"), 1);
    assert_eq!(first(&idx, "XYSM"), 1);
}

#[test]
fn upsert_replaces_and_unknown_finds_nothing() {
    let (_d, idx) = index();
    assert!(idx.search("完全无关的名字", 10).unwrap().iter().all(|h| h.score < 5.0));
    idx.upsert(&[SubjectDoc {
        id: 1,
        kind: SubjectKind::Organisation,
        display_code: Some("91630100MA7X00018G".into()),
        codes: vec!["91630100MA7X00018G".into()],
        name: "西宁市金源商贸有限公司".into(),
        region: None,
    }])
    .unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.num_docs(), 7);
    assert_eq!(first(&idx, "金源商贸"), 1);
    assert_eq!(idx.search("91630100MA7X00018G", 10).unwrap()[0].name, "西宁市金源商贸有限公司");
}
