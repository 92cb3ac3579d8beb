//! Every kind of query a citizen types finds the subject, ranked first.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_domain::catalog::SubjectKind;
use credo_search::{Search, SubjectDoc, SubjectIndex};

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
            region: Some(if id % 2 == 0 { "630102" } else { "630104" }.into()),
            items: if *id <= 3 { vec!["xzcf".to_string()] } else { vec!["xzxk".to_string()] },
            aliases: Vec::new(),
        })
        .collect();
    docs.push(SubjectDoc {
        id: 7,
        kind: SubjectKind::Person,
        display_code: Some("6301**********1235".into()),
        codes: vec!["630102199001011235".into()],
        name: "李四".into(),
        region: Some("630102".into()),
        items: vec!["xzcf".into()],
        aliases: Vec::new(),
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
        items: vec![],
        aliases: Vec::new(),
    }])
    .unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.num_docs(), 7);
    assert_eq!(first(&idx, "金源商贸"), 1);
    assert_eq!(idx.search("91630100MA7X00018G", 10).unwrap()[0].name, "西宁市金源商贸有限公司");
}

#[test]
fn pinyin_prefixes() {
    let (_d, idx) = index();
    assert_eq!(first(&idx, "xinyuan"), 1, "the start of 鑫源商贸's pinyin");
    assert_eq!(first(&idx, "XinYuanShang"), 1);
    assert_eq!(first(&idx, "xys"), 1, "initials' start");
    assert_eq!(first(&idx, "mingzhu"), 6);
}

fn ids(found: &credo_search::Found) -> Vec<i64> {
    let mut v: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
    v.sort();
    v
}

/// Filters apply to every hit, not to a first page of them, and the total counts every match.
#[test]
fn filters_and_totals_over_all_hits() {
    let (_d, idx) = index();
    let all = idx.find(&Search { text: "西宁", ..Search::default() }, 0, 100).unwrap();
    assert_eq!(all.total, all.hits.len());
    let one = idx.find(&Search { text: "西宁", ..Search::default() }, 0, 1).unwrap();
    assert_eq!((one.hits.len(), one.total), (1, all.total), "the total does not depend on the page");
    let next = idx.find(&Search { text: "西宁", ..Search::default() }, 1, 1).unwrap();
    assert_eq!(next.hits.len(), 1);
    assert_ne!(next.hits[0].id, one.hits[0].id, "the next page is another hit");

    let district = Search { text: "西宁", region: Some("630102"), ..Search::default() };
    let found = idx.find(&district, 0, 100).unwrap();
    assert!(found.hits.iter().all(|h| h.region.as_deref() == Some("630102")), "{found:?}");
    assert_eq!(found.total, found.hits.len());
    let city = Search { text: "西宁", region: Some("630100"), ..Search::default() };
    assert_eq!(idx.find(&city, 0, 100).unwrap().total, all.total, "a city holds its districts");

    // Browsing without text: by item, by kind.
    let item = Search { item: Some(("xzcf", vec![SubjectKind::Organisation])), ..Search::default() };
    assert_eq!(ids(&idx.find(&item, 0, 100).unwrap()), vec![1, 2, 3], "organisations with penalties");
    let item = Search { item: Some(("xzcf", SubjectKind::ALL.to_vec())), ..Search::default() };
    assert_eq!(ids(&idx.find(&item, 0, 100).unwrap()), vec![1, 2, 3, 7]);
    let persons = Search { kind: Some(SubjectKind::Person), ..Search::default() };
    assert_eq!(ids(&idx.find(&persons, 0, 100).unwrap()), vec![7]);
    assert_eq!(idx.find(&Search::default(), 0, 100).unwrap(), credo_search::Found::default(), "no text, no filter");
}

/// Who may be found: a person with only records the public may not see is found by nobody, by name or number.
#[test]
fn visibility_hides_subjects_known_only_from_hidden_records() {
    let (_d, idx) = index();
    let public = || {
        Some(vec![
            (SubjectKind::Organisation, None),
            (SubjectKind::IndividualBusiness, None),
            (SubjectKind::Person, Some(vec!["sxbzxr".to_string()])),
        ])
    };
    for q in ["李四", "630102199001011235"] {
        assert_eq!(first(&idx, q), 7, "departments find the person");
        let found = idx.find(&Search { text: q, visible: public(), ..Search::default() }, 0, 10).unwrap();
        assert!(found.hits.iter().all(|h| h.id != 7) && found.total == found.hits.len(), "{q}: {found:?}");
    }
    let found = idx.find(&Search { text: "鑫源商贸", visible: public(), ..Search::default() }, 0, 10).unwrap();
    assert_eq!(found.hits[0].id, 1);
}

#[test]
fn near_codes_are_one_character_away() {
    let (_d, idx) = index();
    // A wrong check character, a swapped pair, a lost character.
    for typo in ["91630100MA7X00018H", "91630100MA7X00081G", "9163010MA7X00018G"] {
        let near: Vec<i64> = idx.near_codes(typo, None, 5).unwrap().iter().map(|h| h.id).collect();
        assert!(near.contains(&1), "{typo}: {near:?}");
    }
    assert!(idx.near_codes("91630100MA7X99999Z", None, 5).unwrap().is_empty());
}

/// An index written with another layout is recreated empty (derived data the store refills), not an error.
#[test]
fn an_index_of_another_layout_is_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tantivy::schema::Schema::builder();
    b.add_text_field("other", tantivy::schema::STRING);
    let old = tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
    drop(old);
    std::fs::write(dir.path().join("seq"), "42").unwrap();
    let idx = SubjectIndex::open(dir.path(), vec![]).unwrap();
    assert_eq!(idx.num_docs(), 0);
    assert!(!dir.path().join("seq").exists(), "the feed position goes with it");
}

/// Matches are counted exactly up to `COUNT_CAP` and no further (a common name part matches millions of subjects
/// of a large store); the exact and best hits still come first, and browsing by a filter counts alike.
#[test]
fn counts_stop_at_the_cap_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    let n = credo_search::COUNT_CAP + 5;
    let docs: Vec<SubjectDoc> = (1..=n as i64).map(|id| trading_company(id, "630102")).collect();
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    let wanted = format!("青海{}商贸有限公司", brand(777));
    let found = idx.find(&Search { text: &wanted, ..Search::default() }, 0, 5).unwrap();
    assert_eq!(found.hits[0].id, 777, "the exact name first");
    assert_eq!((found.total, found.total_exact), (credo_search::COUNT_CAP, false), "more than the cap match");
    let browse = Search { region: Some("630102"), ..Search::default() };
    let found = idx.find(&browse, 0, 20).unwrap();
    assert_eq!((found.hits.len(), found.total, found.total_exact), (20, credo_search::COUNT_CAP, false));
    let few = idx.find(&Search { text: "鑫源", ..Search::default() }, 0, 20).unwrap();
    assert!(few.total_exact && few.total == few.hits.len(), "{few:?}");
}

/// 青海{brand}商贸有限公司 with penalties (xzcf), in `region`: many companies sharing the name part 商贸.
fn trading_company(id: i64, region: &str) -> SubjectDoc {
    SubjectDoc {
        id,
        kind: SubjectKind::Organisation,
        display_code: None,
        codes: vec![],
        name: format!("青海{}商贸有限公司", brand(id)),
        region: Some(region.into()),
        items: vec!["xzcf".into()],
        aliases: Vec::new(),
    }
}

/// A distinct two-character brand for `id` from a small alphabet (no real names).
fn brand(id: i64) -> String {
    const CHARS: [char; 20] = [
        '昆', '仑', '雪', '域', '高', '原', '湟', '水', '青', '湖', '祁', '连', '丹', '霞', '柴', '达', '江', '源',
        '河', '川',
    ];
    let (a, b, c) = (id % 20, (id / 20) % 20, (id / 400) % 20);
    [CHARS[a as usize], CHARS[b as usize], CHARS[c as usize]].iter().collect()
}

/// Filters are checked on a sample of the best partial matches first, and on every match when the sample holds too
/// few that pass (issue 16): a filter that the best matches all fail still finds those that pass, best first, and
/// nothing that fails it comes back; a filter most pass gives the same hits as no filter, minus the ones it drops.
#[test]
fn filtered_partial_matches_are_the_best_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    // 600 companies with the same name part; every 50th in 城东区, the others in 城中区.
    let docs: Vec<SubjectDoc> =
        (1..=600_i64).map(|id| trading_company(id, if id % 50 == 0 { "630102" } else { "630103" })).collect();
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    let ids = |f: &credo_search::Found| f.hits.iter().map(|h| h.id).collect::<Vec<_>>();
    let rare = idx.find(&Search { text: "商贸", region: Some("630102"), ..Search::default() }, 0, 20).unwrap();
    assert_eq!(rare.hits.len(), 12, "all twelve in 城东区, though the best 60 overall hold one");
    assert!(ids(&rare).iter().all(|id| id % 50 == 0));
    let all = idx.find(&Search { text: "商贸", ..Search::default() }, 0, 100).unwrap();
    let most = idx.find(&Search { text: "商贸", region: Some("630103"), ..Search::default() }, 0, 20).unwrap();
    let expected: Vec<i64> = ids(&all).into_iter().filter(|id| id % 50 != 0).take(20).collect();
    assert_eq!(ids(&most), expected, "the unfiltered ranking, without what the filter drops");
}

/// A bulk load committed in many parts leaves many segments; `compact` merges them into one (and does nothing when
/// there are few enough), and every search answers as before, with the same scores.
#[test]
fn compacting_merges_segments_and_changes_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    for part in 0..6_i64 {
        let docs: Vec<SubjectDoc> = (1..=100).map(|i| trading_company(part * 100 + i, "630102")).collect();
        idx.upsert(&docs).unwrap();
        idx.commit().unwrap();
    }
    // One replaced after the parts: its old version is a deleted document in an older segment.
    let mut moved = trading_company(5, "630103");
    moved.name = "青海雪域明珠商贸有限公司".into();
    idx.upsert(&[moved]).unwrap();
    idx.commit().unwrap();
    let queries = ["商贸", "青海雪域明珠商贸有限公司", &format!("青海{}商贸有限公司", brand(377)), "昆仑"];
    let answers = |idx: &SubjectIndex| -> Vec<Vec<(i64, String)>> {
        queries
            .iter()
            .map(|q| {
                // The first 20: many of these names score alike, and which of equals reach the reranked window
                // (the index's first RERANK candidates) is decided by document order, which a merge changes.
                let found = idx.find(&Search { text: q, ..Search::default() }, 0, 20).unwrap();
                found.hits.iter().map(|h| (h.id, format!("{:.4}", h.score))).collect()
            })
            .collect()
    };
    let before = answers(&idx);
    let segments = idx.compact(1).unwrap();
    assert_eq!(segments, 1);
    assert_eq!(idx.compact(1).unwrap(), 1, "nothing left to merge");
    let after = answers(&idx);
    // Scores use the index's statistics, which the deleted document no longer counts in: same hits, same order.
    let order = |a: &Vec<Vec<(i64, String)>>| -> Vec<Vec<i64>> {
        a.iter().map(|hits| hits.iter().map(|(id, _)| *id).collect()).collect()
    };
    assert_eq!(order(&before), order(&after));
    assert_eq!(after[1][0].0, 5, "the replaced subject by its new name");
    let total = idx.find(&Search { text: "商贸", ..Search::default() }, 0, 10).unwrap().total;
    assert_eq!(total, 600, "every subject once, none twice");
}

fn company(id: i64, name: &str) -> SubjectDoc {
    SubjectDoc {
        id,
        kind: SubjectKind::Organisation,
        display_code: None,
        codes: vec![],
        name: name.into(),
        region: Some("630102".into()),
        items: vec!["xzcf".into()],
        aliases: Vec::new(),
    }
}

fn index_of(names: &[&str]) -> (tempfile::TempDir, SubjectIndex) {
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    let docs: Vec<SubjectDoc> = names.iter().enumerate().map(|(i, n)| company(i as i64 + 1, n)).collect();
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    (dir, idx)
}

fn order(idx: &SubjectIndex, q: &str) -> Vec<i64> {
    idx.search(q, 10).unwrap().iter().map(|h| h.id).collect()
}

/// A name typed with one or two homophones (a pinyin IME's commonest error) finds the subject first; a near
/// homophone (n/l, in/ing, z/zh …) is nearer than an unrelated character; the exact name wins over any of them.
#[test]
fn homophones_and_near_homophones() {
    let (_d, idx) = index_of(&[
        "青海昆乐商贸有限公司", // 1
        "青海北乐商贸有限公司", // 2: one unrelated character away from 坤乐
        "西宁坤和商贸有限公司", // 3: shares 坤 with the typo
        "青海南山建材有限公司", // 4
        "青海北山建材有限公司", // 5
        "青海乐坤商贸有限公司", // 6: the same characters, swapped
    ]);
    assert_eq!(order(&idx, "坤乐商贸")[0], 1, "one homophone (坤 for 昆)");
    assert_eq!(order(&idx, "青海坤乐商贸有限公司")[0], 1, "in the full name");
    assert_eq!(order(&idx, "坤勒商贸")[0], 1, "two homophones (坤勒 for 昆乐)");
    assert_eq!(order(&idx, "kunleshangmao")[0], 1, "pinyin");
    let lan = order(&idx, "兰山建材");
    assert_eq!(lan[0], 4, "兰 (lan) for 南 (nan): n/l");
    assert!(lan.iter().position(|id| *id == 4) < lan.iter().position(|id| *id == 5));

    // A subject of exactly the typed name is what was meant.
    let (_d, idx) = index_of(&["青海昆乐商贸有限公司", "青海坤乐商贸有限公司"]);
    assert_eq!(order(&idx, "坤乐商贸")[0], 2);
    assert_eq!(order(&idx, "昆乐商贸")[0], 1);
}

/// A query naming a branch ranks that branch first and its head office next; the head office lists its branches;
/// a query for the head office finds it before its branches.
#[test]
fn branches_rank_and_are_listed() {
    let (_d, idx) = index_of(&[
        "青海雪域商贸有限公司",           // 1
        "青海雪域商贸有限公司城北分公司", // 2
        "青海雪域商贸有限公司城西分公司", // 3
        "青海雪域建材有限公司",           // 4
        "西宁雪域商贸有限公司城北营业部", // 5: another head office's
        "西宁雪域商贸有限公司",           // 6
    ]);
    let o = order(&idx, "雪域商贸城北分公司");
    assert_eq!(o[0], 2, "{o:?}");
    assert!([1, 6].contains(&o[1]), "a head office of that name next: {o:?}");
    assert!(o.iter().position(|id| *id == 3) > o.iter().position(|id| *id == 1), "the sibling after the head");
    assert_eq!(order(&idx, "青海雪域商贸有限公司城北分公司")[0], 2);
    assert_eq!(order(&idx, "雪域商贸城北营业部")[0], 5, "the kind of branch tells the two 城北 apart");
    assert_eq!(order(&idx, "青海雪域商贸有限公司")[0], 1);
    let listed: Vec<i64> = idx.branches("青海雪域商贸有限公司", None, 10).unwrap().iter().map(|h| h.id).collect();
    assert_eq!(listed, vec![2, 3], "its two branches, by name; not the other head office's");
    let head: Vec<i64> = idx.named("青海雪域商贸有限公司", None, 2).unwrap().iter().map(|h| h.id).collect();
    assert_eq!(head, vec![1]);
}
