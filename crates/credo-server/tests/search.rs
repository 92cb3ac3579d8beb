//! One-stop search tells the whole truth: totals count every subject the public may find, filters apply to all
//! matches (not to a first hundred), pages keep the filters, filters browse without a query, a mistyped code gets
//! the check-digit message and the codes one character away, and pinyin prefixes find names.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, TestApp, spawn};
use credo_store::Permissions;
use credo_synth::builders::{Penalty, Registration, SeriousDishonesty};
use serde_json::json;

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

async fn submit<R: serde::Serialize>(t: &TestApp, item: &str, records: Vec<R>) {
    let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["rejected"], 0, "{item}: {s}");
    credo_app::feed::sync_search(&t.app).await.unwrap();
}

fn total(page: &str) -> usize {
    page.split("data-total=\"").nth(1).map_or(0, |s| s.split('"').next().unwrap().parse().unwrap())
}

fn hit_ids(page: &str) -> Vec<String> {
    page.split("<td data-label=\"名称\"><a href=\"/subjects/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().into())
        .collect()
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn totals_filters_pages_codes_and_pinyin() {
    common::on_both(async || {
        let t = spawn().await;
        let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
        credo_app::admin::set_permissions(
            &t.app,
            DEPT,
            &Permissions { items: all, scenes: vec![], disclosure: vec![], ..Default::default() },
            None,
        )
        .await
        .unwrap();
        // 160 companies in two districts; the last 30 (far down any ranking by name) are on the 严重失信主体名单.
        let mut regs = Vec::new();
        for n in 0..160u32 {
            let name = format!("西宁市搜索测试{n:03}商贸有限公司");
            regs.push(Registration::of(name, code(n)).set("DJ_XZQH", if n % 2 == 0 { "630102" } else { "630104" }));
        }
        submit(&t, "djzc", regs).await;
        let listed: Vec<SeriousDishonesty> = (130..160u32)
            .map(|n| {
                SeriousDishonesty::of(format!("西宁市搜索测试{n:03}商贸有限公司"), code(n))
                    .number(format!("宁失信〔2026〕{n}号"))
            })
            .collect();
        submit(&t, "yzsx", listed).await;
        // A person known only from a penalty (政务共享): found by nobody, counted by nobody.
        submit(&t, "xzcf", vec![Penalty::person("搜索测试王某", "630102199001011235").number("宁市监罚〔2026〕1号")])
            .await;

        let q = enc("搜索测试");
        let (status, _, page) = t.get(&format!("/search?q={q}")).await;
        assert_eq!(status, 200);
        assert_eq!(total(&page), 160, "every company, not 100, and not the hidden person: {page}");
        assert!(page.contains("共 160 个主体,第 1/8 页"), "{page}");
        // The item filter over all 160 matches, kept on the next page; then browsing by it without a query.
        let (_, _, page) = t.get(&format!("/search?q={q}&item=yzsx")).await;
        assert_eq!(total(&page), 30, "{page}");
        assert_eq!(hit_ids(&page).len(), 20);
        let next = page.split("href=\"").find(|s| s.starts_with("/search?") && s.contains("page=2")).unwrap();
        let next = next.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
        assert!(next.contains("item=yzsx"), "{next}");
        let (_, _, two) = t.get(&next).await;
        assert_eq!((total(&two), hit_ids(&two).len()), (30, 10), "{two}");
        let mut both: Vec<String> = hit_ids(&page).into_iter().chain(hit_ids(&two)).collect();
        both.sort();
        both.dedup();
        assert_eq!(both.len(), 30, "two pages, thirty different subjects");
        let (_, _, browse) = t.get("/search?item=yzsx").await;
        assert_eq!(total(&browse), 30, "browsing by item without a query");
        let (_, _, browse) = t.get("/search?item=yzsx&region=630102").await;
        assert_eq!(total(&browse), 15, "and by district");
        let (_, _, browse) = t.get("/search?kind=person").await;
        assert_eq!(total(&browse), 0, "the hidden person is not browsed either: {browse}");
        let (_, _, hidden) = t.get(&format!("/search?q={}", enc("搜索测试王某"))).await;
        assert!(!hidden.contains("搜索测试王某</a>") && total(&hidden) == 160, "the companies only: {hidden}");

        // The API tells the same total.
        let v = t.get_json(&format!("/api/v1/subjects?q={q}&limit=5")).await;
        assert_eq!((v["count"].as_u64(), v["total"].as_u64()), (Some(5), Some(160)), "{v}");

        // A code with a wrong check character: the message `credo id validate` gives and the code meant.
        let good = code(7);
        let bad = format!("{}{}", &good[..17], if good.ends_with('A') { 'B' } else { 'A' });
        let (_, _, page) = t.get(&format!("/search?q={bad}")).await;
        let expected = credo_domain::ids::identify(&bad, t.app.clock.today()).unwrap_err().1.message();
        assert!(page.contains(&expected) && expected.contains("校验位"), "{page}");
        assert!(page.contains("您要找的是否是") && page.contains(&good), "the valid code one character away: {page}");
        // A mistyped ID number: the message, and no person suggested.
        let (_, _, page) = t.get("/search?q=630102199001011236").await;
        assert!(page.contains("居民身份证号码校验位") && !page.contains("您要找的是否是"), "{page}");
        assert!(!page.contains("630102199001011236"), "the number echoed masked: {page}");

        // Pinyin: full, initials and a prefix.
        for py in ["sousuoceshi", "sousuo", "ssc"] {
            let (_, _, page) = t.get(&format!("/search?q={py}")).await;
            assert_eq!(total(&page), 160, "{py}: {page}");
        }
    })
    .await;
}

/// A legacy code that no check digit vouches for (a 税务登记号 of letters and digits) is searched when a subject
/// carries it, not refused as a mistyped code; one that nobody carries still gets the refusal.
#[tokio::test]
async fn a_legacy_code_a_subject_carries_is_searched() {
    common::on_both(async || {
        let t = spawn().await;
        submit(&t, "djzc", vec![Registration::of("西宁市城西区旧码商贸有限公司", code(500))]).await;
        // A penalty that names the company and its old 税务登记号 only: matched by name, the code joins the subject's.
        let penalty = Penalty::named("西宁市城西区旧码商贸有限公司")
            .number("宁市监罚〔2026〕88号")
            .tax_number("630104MA7X0009X")
            .kinds("罚款")
            .fine("2")
            .decided("2026-11-01");
        submit(&t, "xzcf", vec![penalty]).await;
        let (_, _, page) = t.get("/search?q=630104MA7X0009X").await;
        assert!(page.contains("西宁市城西区旧码商贸有限公司"), "{page}");
        assert!(!page.contains("不是有效的代码"), "{page}");
        let (_, _, page) = t.get("/search?q=630104MA7X0008X").await;
        assert!(page.contains("不是有效的代码") || page.contains("没有找到"), "{page}");
    })
    .await;
}

/// A branch office is found by the name people type for it, before its head office; the head office's page lists
/// its branches and each branch's page links to its head office, in the web page and the API.
#[tokio::test]
async fn branches_are_found_and_linked_to_their_head_office() {
    let t = spawn().await;
    let head = "青海雪域商贸有限公司";
    let regs = vec![
        Registration::of(head, code(1)),
        Registration::of(format!("{head}城北分公司"), code(2)),
        Registration::of(format!("{head}城西分公司"), code(3)),
        Registration::of("青海坤和商贸有限公司", code(4)),
    ];
    submit(&t, "djzc", regs).await;
    let (_, _, page) = t.get(&format!("/search?q={}", enc("雪域商贸城北分公司"))).await;
    let ids = hit_ids(&page);
    let mut keys = Vec::new();
    for n in 0..=4 {
        keys.push(match credo_app::search::subject_by_key(&t.app, &code(n)).await {
            Ok(s) => format!("id-{}", s.id),
            Err(_) => String::new(),
        });
    }
    let key = |n: usize| keys[n].clone();
    assert_eq!(ids[..2], [key(2), key(1)], "the branch, then its head office: {page}");
    // 坤 for 昆 is no help here; 学域 (xue) for 雪域 is a homophone typo of the head office.
    let (_, _, page) = t.get(&format!("/search?q={}", enc("学域商贸"))).await;
    assert_eq!(hit_ids(&page)[0], key(1), "{page}");

    let (status, _, page) = t.get(&format!("/subjects/{}", key(1))).await;
    assert_eq!(status, 200);
    assert!(page.contains("分支机构(2)"), "{page}");
    assert!(page.contains(&format!("{head}城北分公司")) && page.contains(&format!("{head}城西分公司")));
    let (_, _, page) = t.get(&format!("/subjects/{}", key(2))).await;
    assert!(page.contains(&format!("<a id=\"head-office\" href=\"/subjects/{}\">{head}</a>", key(1))), "{page}");
    assert!(!page.contains("分支机构("), "a branch has no branches");

    let (status, _, body) = t.get(&format!("/api/v1/subjects/{}", code(1))).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["branches"].as_array().unwrap().len(), 2, "{v}");
    let (_, _, body) = t.get(&format!("/api/v1/subjects/{}", code(3))).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["head_office"]["name"], head, "{v}");
}
