//! What the public sees: a person known to the platform only from records kept to 政务共享 (a person's penalties,
//! `disclosure_by_kind`) is, on every public route, indistinguishable from a person the platform does not know —
//! search by name, by ID number and with item filters, the subject page and API, the lists and their CSV, the home
//! page — while departments' checks and the person's own view still see the records. And the list items
//! (重大税收违法失信主体, 政府采购严重违法失信行为记录名单, 拖欠农民工工资失信联合惩戒对象名单, 限制消费令) are shown on
//! the subject page's 失信惩戒 tab and have their list pages with CSV.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, PASSWORD, TestApp, spawn};
use credo_app::accounts::{self, AccountRequest};
use credo_store::Permissions;
use credo_synth::builders::{
    AbnormalListing, ConsumptionRestriction, DishonestDebtor, Penalty, ProcurementBan, TaxViolation, WageArrears,
};
use reqwest::Method;
use serde_json::{Value, json};

/// 王建国: known only from a penalty (政务共享 for persons).
const HIDDEN: &str = "630102199001011235";
/// 王建军: a 失信被执行人 (public for persons) who also has a penalty (not public).
const LISTED: &str = "630103198502023455";
/// Nobody the platform knows.
const UNKNOWN: &str = "630104197001010017";

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

fn penalty(name: &str, kind: &str, id: &str, n: u32) -> Penalty {
    let p = if kind == "自然人" { Penalty::person(name, id) } else { Penalty::of(name, id).without("CF_FRDB") };
    p.number(format!("宁市监罚〔2026〕{n}号")).conduct("违法行为").fine("150").decided("2026/10/01")
}

fn person_sxbzxr(name: &str, ric: &str) -> DishonestDebtor {
    DishonestDebtor::person(name, ric).case_number("(2026)青0103执77号").published("2026-02-01")
}

fn zdss(name: &str, uscc: &str) -> TaxViolation {
    TaxViolation::of(name, uscc).number("宁税稽失〔2026〕8号")
}

fn qxgz(name: &str, kind: &str, id: &str, n: u32) -> WageArrears {
    let w = if kind == "自然人" { WageArrears::person(name, id) } else { WageArrears::of(name, id) };
    w.number(format!("宁人社惩〔2026〕{n}号"))
}

fn xzxf(name: &str, kind: &str, id: &str, n: u32) -> ConsumptionRestriction {
    let x = if kind == "自然人" {
        ConsumptionRestriction::person(name, id)
    } else {
        ConsumptionRestriction::of(name, id).legal_rep("郑一").legal_rep_id(LISTED)
    };
    x.case_number(format!("(2026)青0103执{n}号"))
}

async fn setup() -> TestApp {
    let t = spawn().await;
    let all: Vec<String> = t.app.catalog.items.keys().cloned().collect();
    let scenes: Vec<String> = t.app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect();
    let p = Permissions { items: all, scenes, disclosure: vec!["公开".into()], ..Default::default() };
    credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
    t
}

async fn submit<R: serde::Serialize>(t: &TestApp, item: &str, records: Vec<R>) {
    let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["rejected"], 0, "{item}: {s}");
    assert_eq!(s["unresolved"], 0, "{item}: {s}");
    credo_app::feed::sync_search(&t.app).await.unwrap();
}

/// A 404 body with the key as asked (and as masked) taken out: what is left must not depend on the subject.
fn shape(body: &str, key: &str) -> String {
    let masked = credo_app::public::mask_ids(key);
    body.replace(key, "KEY").replace(&masked, "KEY")
}

async fn people(t: &TestApp) {
    submit(
        t,
        "xzcf",
        vec![
            penalty("王建国", "自然人", HIDDEN, 1),
            penalty("王建军", "自然人", LISTED, 2),
            penalty("王建商贸有限公司", "法人及非法人组织", &code(3), 3),
        ],
    )
    .await;
    submit(t, "sxbzxr", vec![person_sxbzxr("王建军", LISTED)]).await;
}

#[tokio::test]
async fn search_finds_no_one_through_hidden_records() {
    common::on_both(async || {
        let t = setup().await;
        people(&t).await;

        // The site's search: by name, with kind and item filters.
        let page = |path: &str| {
            let path = path.to_string();
            let t = &t;
            async move {
                let (status, _, body) = t.get(&path).await;
                assert_eq!(status, 200, "{path}: {body}");
                body
            }
        };
        let b = page("/search?kind=person&item=xzcf&q=%E7%8E%8B%E5%BB%BA").await;
        assert!(
            !b.contains("王建国") && !b.contains("王建军"),
            "no person is found through a penalty kept to 政务共享: {b}"
        );
        assert!(b.contains("没有找到"), "{b}");
        let b = page("/search?item=xzcf&q=%E7%8E%8B%E5%BB%BA").await;
        assert!(b.contains("王建商贸有限公司"), "an organisation's penalty is public: {b}");
        assert!(!b.contains("王建国") && !b.contains("王建军"), "{b}");
        let b = page("/search?item=sxbzxr&q=%E7%8E%8B%E5%BB%BA").await;
        assert!(b.contains("王建军") && !b.contains("王建国"), "a person is found through a public record: {b}");
        // The exact name: nothing (a fuzzy hit on 王建军 may come; 王建国 is not among the hits).
        let b = page(&format!("/search?kind=person&q={}", urlencode("王建国"))).await;
        assert!(!b.contains("6301**********1235") && !b.contains("城东区</td>"), "{b}");
        assert_eq!(b.matches("王建国").count(), 1, "only the query echoed: {b}");
        let b = page(&format!("/search?q={HIDDEN}")).await;
        assert!(b.contains("没有找到") && !b.contains("/subjects/id-"), "{b}");
        let b = page("/search?kind=person&q=%E7%8E%8B%E5%BB%BA").await;
        assert!(b.contains("王建军") && !b.contains("王建国"), "{b}");

        // The API's search: the count too.
        for q in ["王建国", HIDDEN] {
            let v = t.get_json(&format!("/api/v1/subjects?q={}", urlencode(q))).await;
            let hits = v["hits"].as_array().unwrap();
            assert_eq!(v["count"], hits.len(), "{q}: {v}");
            assert!(hits.iter().all(|h| h["name"] != "王建国" && h["code"] != "6301**********1235"), "{q}: {v}");
        }
        let v = t.get_json(&format!("/api/v1/subjects?q={}", urlencode("王建"))).await;
        let names: Vec<&str> = v["hits"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"王建军") && names.contains(&"王建商贸有限公司") && !names.contains(&"王建国"), "{v}");
        assert_eq!(v["count"], names.len(), "{v}");
        let v = t.get_json(&format!("/api/v1/subjects?q={LISTED}")).await;
        assert_eq!(v["count"], 1, "{v}");
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn a_person_known_only_from_hidden_records_is_not_there() {
    common::on_both(async || {
        let t = setup().await;
        people(&t).await;
        let hidden = t.app.store.subject_by_code(HIDDEN).await.unwrap().expect("the platform holds the person");

        // The API: the same 404, the same body, for the hidden person and for nobody.
        let (s1, ct1, b1) = t.get(&format!("/api/v1/subjects/{HIDDEN}")).await;
        let (s2, ct2, b2) = t.get(&format!("/api/v1/subjects/{UNKNOWN}")).await;
        assert_eq!((s1, s2), (404, 404), "{b1} / {b2}");
        assert_eq!(ct1, ct2);
        assert_eq!(shape(&b1, HIDDEN), shape(&b2, UNKNOWN));
        assert!(!b1.contains(HIDDEN), "the number asked is echoed masked: {b1}");
        let (s1, _, b1) = t.get(&format!("/api/v1/subjects/id-{}", hidden.id)).await;
        let (s2, _, b2) = t.get("/api/v1/subjects/id-987654").await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(shape(&b1, &format!("id-{}", hidden.id)), shape(&b2, "id-987654"));

        // The site: the same.
        let (s1, ct1, b1) = t.get(&format!("/subjects/{HIDDEN}")).await;
        let (s2, ct2, b2) = t.get(&format!("/subjects/{UNKNOWN}")).await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(ct1, ct2);
        assert_eq!(shape(&b1, HIDDEN), shape(&b2, UNKNOWN));
        assert!(!b1.contains("王建国"));
        let (s1, _, b1) = t.get(&format!("/subjects/id-{}?tab=xzcf", hidden.id)).await;
        let (s2, _, b2) = t.get("/subjects/id-987654?tab=xzcf").await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(shape(&b1, &format!("id-{}", hidden.id)), shape(&b2, "id-987654"));

        // A person with a public record is there, with that record only.
        let v = t.get_json(&format!("/api/v1/subjects/{LISTED}")).await;
        let items: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["item"].as_str().unwrap()).collect();
        assert_eq!(items, ["sxbzxr"], "{v}");
        assert_eq!(v["subject"]["code"], "6301**********3455", "{v}");
        let (status, _, b) = t.get(&format!("/subjects/{LISTED}?tab=xzcf")).await;
        assert_eq!(status, 200, "{b}");
        assert!(b.contains("王建军") && !b.contains("宁市监罚〔2026〕2号"), "{b}");
        // An organisation's penalty is there.
        let v = t.get_json(&format!("/api/v1/subjects/{}", code(3))).await;
        assert_eq!(v["items"][0]["item"], "xzcf", "{v}");

        // The home page and the lists: no hidden record, nor its person.
        let (_, _, home) = t.get("/").await;
        assert!(home.contains("王建商贸有限公司") && !home.contains("王建国"), "{home}");
        for path in [
            "/lists/sgs",
            "/lists/sgs?format=csv",
            "/lists/sgs?q=%E7%8E%8B%E5%BB%BA%E5%BB%BA%E5%9B%BD",
            "/lists/sxbzxr?format=csv",
        ] {
            let (status, _, b) = t.get(path).await;
            assert_eq!(status, 200, "{path}");
            assert!(!b.contains("王建国") && !b.contains("宁市监罚〔2026〕1号"), "{path}: {b}");
            assert!(!b.contains("宁市监罚〔2026〕2号"), "{path}: {b}");
        }
        let (_, _, b) = t.get("/lists/sxbzxr?format=csv").await;
        assert!(b.contains("王建军") && !b.contains(LISTED), "{b}");

        // Departments' checks still reach the person by ID number and see the penalty.
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let key =
            credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap().0;
        let body = json!({ "scene": "xzxk", "purpose": "测试核查", "subjects": [HIDDEN] });
        let r = t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(key).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        let result = &v["receipt"]["results"][0];
        assert_eq!(result["status"], "resolved", "the department's check reaches the person: {result}");
        assert_eq!(result["subject"]["name"], "王建国", "{result}");

        // The person's own view still holds the record.
        accounts::create(
            &t.app,
            AccountRequest {
                username: "wangwu".into(),
                name: "王建国".into(),
                role: "subject".into(),
                department: None,
                subject: Some(HIDDEN.into()),
                password: Some(PASSWORD.into()),
                region: None,
            },
            "test",
        )
        .await
        .unwrap();
        let auth = common::sign_in(&t, "wangwu").await;
        let r = common::send(&t, &auth, Method::GET, "/api/v1/me/records", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body["records"].to_string().contains("宁市监罚〔2026〕1号"), "{}", r.body);
    })
    .await;
}

/// The four list items on the 失信惩戒 tab and on their list pages (page, filters, CSV), persons' entries left out.
#[tokio::test]
async fn list_items_on_the_tab_and_their_pages() {
    common::on_both(async || {
        let t = setup().await;
        let company = code(10);
        let name = "西宁市城中区诚信失守建筑有限公司";
        submit(&t, "zdss", vec![zdss(name, &company)]).await;
        submit(&t, "zfcgsx", vec![ProcurementBan::of(name, &company)]).await;
        // An ID number written in a name is masked on every list.
        let marked = format!("欠薪{HIDDEN}劳务有限公司");
        submit(
            &t,
            "qxgz",
            vec![qxgz(name, "法人及非法人组织", &company, 5), qxgz(&marked, "法人及非法人组织", &code(11), 6)],
        )
        .await;
        submit(&t, "xzxf", vec![xzxf(name, "法人及非法人组织", &company, 5), xzxf("王建国", "自然人", HIDDEN, 6)])
            .await;

        let (status, _, b) = t.get(&format!("/subjects/{company}?tab=sxcj")).await;
        assert_eq!(status, 200, "{b}");
        for item in [
            "重大税收违法失信主体",
            "政府采购严重违法失信行为记录名单",
            "拖欠农民工工资失信联合惩戒对象名单",
            "限制消费令",
        ] {
            assert!(b.contains(item), "{item} on the 失信惩戒 tab: {b}");
        }
        assert!(b.contains("失信惩戒") && b.contains("(2026)青0103执5号"), "{b}");
        let tab = credo_server::portal::subject::TABS.iter().position(|t| t.0 == "sxcj").unwrap();
        assert!(tab > 0);
        for item in ["zdss", "zfcgsx", "qxgz", "xzxf", "yzsx", "jyyc", "sxbzxr"] {
            let i = t.app.catalog.item(item).unwrap();
            assert_eq!(credo_server::portal::subject::tab_of(i), "sxcj", "{item}");
        }
        for (item, tab) in
            [("djzc", "jbxx"), ("xzxk", "xzxk"), ("xzcf", "xzcf"), ("sxjl", "sxjl"), ("xycn", "xycn"), ("nsxy", "xypj")]
        {
            assert_eq!(credo_server::portal::subject::tab_of(t.app.catalog.item(item).unwrap()), tab, "{item}");
        }
        let v = t.get_json(&format!("/api/v1/subjects/{company}")).await;
        assert_eq!(v["items"].as_array().unwrap().len(), 4, "{v}");

        let (_, _, home) = t.get("/").await;
        for (list, title) in [
            ("zdss", "重大税收违法失信主体"),
            ("zfcgsx", "政府采购严重违法失信行为记录名单"),
            ("qxgz", "拖欠农民工工资失信联合惩戒对象名单"),
            ("xzxf", "限制消费令"),
        ] {
            assert!(home.contains(&format!("href=\"/lists/{list}\"")), "{list} linked from the home page");
            let (status, _, page) = t.get(&format!("/lists/{list}")).await;
            assert_eq!(status, 200, "{list}: {page}");
            assert!(page.contains(title) && page.contains(name), "{list}: {page}");
            assert!(page.contains(&format!("href=\"/lists/{list}\" aria-current=\"page\"")), "{list}: {page}");
            assert!(!page.contains("王建国") && !page.contains(HIDDEN) && !page.contains(LISTED), "{list}: {page}");
            let (status, ct, csv) = t.get(&format!("/lists/{list}?format=csv")).await;
            assert_eq!(status, 200);
            assert!(ct.starts_with("text/csv"), "{ct}");
            assert!(csv.contains(name) && csv.contains(title), "{list}: {csv}");
            assert!(!csv.contains("王建国") && !csv.contains(HIDDEN) && !csv.contains(LISTED), "{list}: {csv}");
            // Filters: a name that is not there, a department that is not there.
            let (_, _, none) = t.get(&format!("/lists/{list}?q=%E6%97%A0%E6%AD%A4%E4%B8%BB%E4%BD%93")).await;
            assert!(none.contains("共 0 条") && !none.contains(name), "{list}: {none}");
            let (_, _, none) = t.get(&format!("/lists/{list}?department=nosuch")).await;
            assert!(none.contains("共 0 条"), "{list}: {none}");
            let (_, _, one) = t.get(&format!("/lists/{list}?q={}&page=1", urlencode("诚信失守"))).await;
            assert!(one.contains("共 1 条") && one.contains(name), "{list}: {one}");
        }
        let (_, _, page) = t.get("/lists/qxgz").await;
        assert!(page.contains("共 2 条") && page.contains("欠薪6301**********1235劳务有限公司"), "{page}");
        let (_, _, csv) = t.get("/lists/qxgz?format=csv").await;
        assert!(csv.contains("欠薪6301**********1235劳务有限公司") && !csv.contains(HIDDEN), "{csv}");
        // The person's 限制消费令 is kept to 政务共享: not listed, and the person is not there.
        let (status, _, _) = t.get(&format!("/api/v1/subjects/{HIDDEN}")).await;
        assert_eq!(status, 404);
    })
    .await;
}

/// A subject on a 失信 list today says so at the top of its page, whatever the tab, naming each list with links to
/// the records that put it there; a subject whose listing ended (移出) and one on no list have no banner.
#[tokio::test]
async fn a_listed_subject_says_so_at_the_top_of_its_page() {
    common::on_both(async || {
        let t = setup().await;
        let (listed, removed, clean) = (code(20), code(21), code(22));
        let name = "西宁市城西区异常商贸有限公司";
        submit(
            &t,
            "jyyc",
            vec![
                AbnormalListing::of(name, &listed),
                AbnormalListing::of("西宁市城西区已改正商贸有限公司", &removed)
                    .number("宁市监异〔2026〕2号")
                    .removed("2026-06-01"),
            ],
        )
        .await;
        submit(&t, "zdss", vec![zdss(name, &listed)]).await;
        submit(&t, "xzcf", vec![penalty("西宁市城西区守法商贸有限公司", "法人及非法人组织", &clean, 30)]).await;
        for tab in ["jbxx", "xzcf", "sxcj"] {
            let (status, _, b) = t.get(&format!("/subjects/{listed}?tab={tab}")).await;
            assert_eq!(status, 200, "{b}");
            let at = b.find("status-banner").unwrap_or_else(|| panic!("a banner on the {tab} tab: {b}"));
            assert!(at < b.find("信用信息分类").unwrap(), "the banner comes before the tabs");
            let banner = &b[at..at + b[at..].find("</div>").unwrap()];
            for list in ["经营异常名录", "重大税收违法失信主体"] {
                assert!(banner.contains(list), "{list} named in the banner: {banner}");
            }
            assert!(
                banner.contains("宁市监异〔2026〕1号") && banner.matches("href=\"/records/").count() == 2,
                "{banner}"
            );
        }
        for (who, why) in [(&removed, "removed from the list"), (&clean, "on no list")] {
            let (status, _, b) = t.get(&format!("/subjects/{who}")).await;
            assert_eq!(status, 200, "{b}");
            assert!(!b.contains("status-banner"), "no banner for a subject {why}: {b}");
        }
    })
    .await;
}

/// A page of search hits full of hidden persons does not hide the visible subject behind them: the search looks
/// further than the page when it left hits out (and asks the index only for the page when it did not).
#[tokio::test]
async fn hidden_persons_ahead_of_a_visible_subject_do_not_push_it_off_the_page() {
    common::on_both(async || {
        let t = setup().await;
        let ric = |n: u32| {
            let first17 = format!("630102199001{:02}{:03}", 1 + n / 900, n % 900 + 1);
            let check = credo_domain::ids::ric_check(first17.as_bytes()).unwrap();
            format!("{first17}{check}")
        };
        // 30 persons named exactly like the query, known only from penalties (政务共享), and one company whose name
        // merely contains it.
        let hidden: Vec<Penalty> = (0..30).map(|n| penalty("李向东", "自然人", &ric(n), 100 + n)).collect();
        submit(&t, "xzcf", hidden).await;
        submit(&t, "xzcf", vec![penalty("西宁李向东商贸有限公司", "法人及非法人组织", &code(40), 200)]).await;
        let hits = t.get_json("/api/v1/subjects?q=%E6%9D%8E%E5%90%91%E4%B8%9C&limit=5").await;
        let names: Vec<&str> = hits["hits"].as_array().unwrap().iter().filter_map(|h| h["name"].as_str()).collect();
        assert_eq!(names, ["西宁李向东商贸有限公司"], "{hits}");
    })
    .await;
}
