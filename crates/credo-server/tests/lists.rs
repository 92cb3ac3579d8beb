//! The publicity lists hold every record the public may see today — not a window of the newest — in decision
//! order, with filters, keyset pages through all of them and the whole filtered list as CSV and XLSX; and they
//! follow what is stored after they were built and the days passing.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{TestApp, spawn};
use credo_app::public;
use credo_synth::builders::{Licence, Penalty, Registration};
use serde_json::json;

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

async fn submit<R: serde::Serialize>(t: &TestApp, item: &str, records: Vec<R>) {
    let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["rejected"], 0, "{item}: {s}");
}

/// The 双公示 records the public sees on the clock's day, as the store and the publicity rules say (not through
/// the list): (record id, decision day), newest decision first.
async fn expected(t: &TestApp, keep: impl Fn(&credo_store::RecordView) -> bool) -> Vec<(i64, String)> {
    let today = t.app.clock.today();
    let mut all = Vec::new();
    for item in ["xzxk", "xzcf"] {
        for r in t.app.store.records_of_items(&[item], 0, 100_000).await.unwrap() {
            if public::publicity(&t.app.catalog, &r, false, today).state.public() && keep(&r) {
                all.push((r.id, r.decided_on.map(|d| d.to_string()).unwrap_or_default()));
            }
        }
    }
    all.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    all
}

/// The record ids and decision days of a list page's rows, and its links.
fn page_rows(page: &str) -> (Vec<(i64, String)>, Option<String>, Option<String>) {
    let mut rows = Vec::new();
    for tr in page.split("<tr><td data-label=\"主体\">").skip(1) {
        let id = tr.split("href=\"/records/").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        let day = tr.split("<td data-label=\"决定日期\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        rows.push((id, day));
    }
    let link = |rel: &str| {
        page.split(&format!("\" rel=\"{rel}\""))
            .next()
            .filter(|s| s.len() < page.len())
            .map(|s| s.rsplit("href=\"").next().unwrap().replace("&amp;", "&").replace("&#38;", "&"))
    };
    (rows, link("next"), link("prev"))
}

fn total(page: &str) -> usize {
    page.split("data-total=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
}

/// Every page from `path`, following the next links; then back from the last page following the previous links,
/// which must lead through the same pages. Every page states the same count, the number of rows there are.
async fn walk(t: &TestApp, path: &str) -> Vec<(i64, String)> {
    let mut url = path.to_string();
    let mut pages: Vec<Vec<(i64, String)>> = Vec::new();
    let mut count = None;
    loop {
        let (status, _, page) = t.get(&url).await;
        assert_eq!(status, 200, "{url}: {page}");
        assert_eq!(*count.get_or_insert(total(&page)), total(&page), "{url}");
        let (rows, next, prev) = page_rows(&page);
        assert_eq!(prev.is_none(), pages.is_empty(), "{url}: only the first page has no previous page");
        pages.push(rows);
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    let (_, _, page) = t.get(&url).await;
    let (rows, _, mut prev) = page_rows(&page);
    let mut back = vec![rows];
    while let Some(link) = prev {
        let (_, _, p) = t.get(&link).await;
        let (rows, _, before) = page_rows(&p);
        back.push(rows);
        prev = before;
    }
    back.reverse();
    assert_eq!(back, pages, "the previous links lead through the same pages");
    let rows = pages.concat();
    assert_eq!(count, Some(rows.len()), "the count is the rows there are");
    rows
}

#[tokio::test]
async fn lists_hold_every_public_record_in_decision_order_with_filters_pages_and_downloads() {
    common::on_both(async || {
        let t = spawn().await;
        // Subjects in two districts (城东区 630102, 城西区 630104) by their registration; licences and penalties over
        // several years, submitted out of decision order; penalties before licences, so that load order is not the
        // list's order.
        let districts = ["630102", "630104"];
        let mut regs = Vec::new();
        for n in 0..12u32 {
            regs.push(
                Registration::of(format!("西宁市列表测试{n}商贸有限公司"), code(n))
                    .set("DJ_XZQH", districts[n as usize % 2]),
            );
        }
        submit(&t, "djzc", regs).await;
        let days = ["2026/11/20", "2023/02/01", "2026/06/30", "2025/12/31", "2026/11/20", "2021/05/05"];
        let mut penalties = Vec::new();
        for n in 0..30u32 {
            let day = days[n as usize % days.len()];
            penalties.push(
                Penalty::of(format!("西宁市列表测试{}商贸有限公司", n % 12), code(n % 12))
                    .without("CF_FRDB")
                    .number(format!("宁市监罚〔2026〕{n}号"))
                    .decided(day),
            );
        }
        submit(&t, "xzcf", penalties).await;
        let mut licences = Vec::new();
        for n in 0..25u32 {
            let day = days[(n as usize + 3) % days.len()];
            licences.push(
                Licence::of(format!("西宁市列表测试{}商贸有限公司", n % 12), code(n % 12))
                    .number(format!("JY6301000{n:05}"))
                    .decided(day),
            );
        }
        submit(&t, "xzxk", licences).await;

        // The whole list, page after page, is what the store holds public today, in decision order.
        let want = expected(&t, |_| true).await;
        assert!(want.len() > 40, "more than two pages: {}", want.len());
        let got = walk(&t, "/lists/sgs?q=").await;
        assert_eq!(got, want);
        let (_, _, first) = t.get("/lists/sgs").await;
        assert!(first.contains("行政许可") && first.contains("行政处罚"), "licences and penalties both: {first}");
        assert!(first.contains("href=\"/subjects/id-"), "rows link to their subjects");
        // The home page's newest 双公示 are the list's first: newest decision first, not newest received.
        let (_, _, home) = t.get("/").await;
        let newest: Vec<i64> =
            home.split("href=\"/records/").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect();
        let top: Vec<i64> = want.iter().take(newest.len()).map(|(id, _)| *id).collect();
        assert!(!newest.is_empty() && newest == top, "home {newest:?}, list {top:?}");

        // Filters: decision days, kind, district, department, text — each against the store's own answer.
        let region_of = |id: i64| {
            let app = t.app.clone();
            async move { app.store.subject(id).await.unwrap().and_then(|s| s.region) }
        };
        let mut in_district = Vec::new();
        for r in t.app.store.records_of_items(&["xzxk", "xzcf"], 0, 100_000).await.unwrap() {
            if region_of(r.subject_id.unwrap()).await.as_deref() == Some("630102") {
                in_district.push(r.id);
            }
        }
        let want = expected(&t, |r| in_district.contains(&r.id)).await;
        assert!(!want.is_empty());
        assert_eq!(walk(&t, "/lists/sgs?district=630102").await, want, "district");
        let since = time::macros::date!(2025 - 12 - 31);
        let until = time::macros::date!(2026 - 06 - 30);
        let want = expected(&t, |r| r.decided_on.is_some_and(|d| since <= d && d <= until)).await;
        assert!(!want.is_empty());
        assert_eq!(walk(&t, "/lists/sgs?from=2025-12-31&to=2026-06-30").await, want, "decision days");
        assert_eq!(walk(&t, "/lists/sgs?kind=person").await, vec![], "no person");
        assert_eq!(walk(&t, "/lists/sgs?department=nosuch").await, vec![], "no such department");
        let want = expected(&t, |r| r.fields.get("CF_WSH").is_some_and(|w| w == "宁市监罚〔2026〕7号")).await;
        assert_eq!(walk(&t, &format!("/lists/sgs?q={}", urlencode("宁市监罚〔2026〕7号"))).await, want, "text");
        let (status, _, bad) = t.get("/lists/sgs?from=2026-02-30").await;
        assert_eq!(status, 400, "{bad}");
        assert!(bad.contains("起始日期“2026-02-30”不是有效日期"), "{bad}");
        let (status, _, _) = t.get("/lists/sgs?format=pdf").await;
        assert_eq!(status, 400);

        // The downloads hold the whole filtered list with codes, in list order.
        let want = expected(&t, |r| in_district.contains(&r.id)).await;
        let (status, ct, csv) = t.get("/lists/sgs?district=630102&format=csv").await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/csv"), "{ct}");
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert!(header.contains(&"统一社会信用代码".to_string()), "{header:?}");
        let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let ids: Vec<(i64, String)> = lines.iter().map(|l| (l[8].parse().unwrap(), l[4].to_string())).collect();
        assert_eq!(ids, want);
        assert!(lines.iter().all(|l| l[2].len() == 18), "every row has its code");
        let r = t.http.get(format!("{}/lists/sgs?district=630102&format=xlsx", t.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let table = credo_import::read_table(credo_import::Format::Xlsx, &bytes, None).unwrap();
        assert_eq!(table.headers, header);
        let rows = table.collect_rows().unwrap();
        assert_eq!(
            rows.iter().map(|r| r.1[8].parse::<i64>().unwrap()).collect::<Vec<_>>(),
            want.iter().map(|w| w.0).collect::<Vec<_>>()
        );

        // A record stored after the lists were built is on them at once; one revoked by its department leaves them.
        let before = walk(&t, "/lists/sgs?q=").await.len();
        submit(
            &t,
            "xzcf",
            vec![
                Penalty::of("西宁市列表测试0商贸有限公司", code(0))
                    .without("CF_FRDB")
                    .number("宁市监罚〔2026〕999号")
                    .decided("2026/11/24"),
            ],
        )
        .await;
        let (_, _, page) = t.get("/lists/sgs").await;
        assert_eq!(total(&page), before + 1);
        assert!(page_rows(&page).0[0].1 == "2026-11-24", "newest decision first: {page}");

        // Days pass: records whose period ended leave the list, as their publicity says.
        t.app.clock.set(time::macros::date!(2029 - 06 - 01));
        let want = expected(&t, |_| true).await;
        assert!(want.len() < before, "some periods ended by 2029");
        assert_eq!(walk(&t, "/lists/sgs?q=").await, want);
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
