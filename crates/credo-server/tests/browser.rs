//! The 信用西宁 website in a real Chromium (Debian's `chromium` and `chromium-driver`, headless, over WebDriver):
//! a citizen searches by short name, opens the subject and the record, files an objection; the department sees it
//! in its console and corrects the record; the public pages show the outcome. A department uploads a CSV with an
//! error and reads the row-level report; an operator opens the dashboards. Screenshots of the main pages at
//! desktop and phone widths go to `screenshots/` at the repository root.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::{COMPANY, DEPT, PASSWORD, TestApp, add_account, spawn, totp_now};
use credo_synth::builders::{AbnormalListing, Licence, Penalty, Registration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> (Driver, Client) {
    browser_downloading_to(None).await
}

/// A browser that saves downloads in `downloads` without asking.
async fn browser_downloading_to(downloads: Option<&std::path::Path>) -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("chromedriver is needed for the browser tests (apt-get install chromium-driver): {e}")
        });
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1280,900"],
            "prefs": downloads.map(|d| json!({
                "download.default_directory": d.to_str().unwrap(),
                "download.prompt_for_download": false,
            })).unwrap_or(json!({})),
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::new(HttpConnector::new()).capabilities(caps.clone()).connect(&url).await {
            return (driver, c);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Words in Latin letters that a user of the website legitimately reads: the file formats they upload and download
/// (CSV, XLSX, JSON, Excel, UTF-8, GBK, GB18030) and a file size's unit (MB), the API that departments call, the
/// names of the signature and fingerprint algorithms shown beside their values (SM2, SM3, with digits, pass as codes).
/// Everything else in Latin letters on a page is English or one of the platform's internal codes.
const LATIN_WORDS_READ: [&str; 9] = ["CSV", "XLSX", "JSON", "Excel", "UTF", "GBK", "MB", "API", "PDF"];

/// The words in Latin letters in `text` that no user should read: tokens of letters (with `-_.` inside) that are not
/// codes or numbers (a token with a digit: 统一社会信用代码, record and case numbers like CK…, YY…, dates, versions),
/// not paths or URLs, not a single capital (纳税信用 A 级) and not in [`LATIN_WORDS_READ`].
fn latin_words(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let joins = |c: char| c.is_ascii_alphanumeric() || "-_./:@#%+=~?&".contains(c);
    for token in text.split(|c: char| !joins(c)).filter(|t| !t.is_empty()) {
        if token.starts_with('/') || token.contains("://") || token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()) {
            let single_capital = word.len() == 1 && word.chars().all(|c| c.is_ascii_uppercase());
            if !single_capital && !LATIN_WORDS_READ.contains(&word) {
                found.push(word.to_string());
            }
        }
    }
    found
}

#[test]
fn latin_words_are_found_outside_codes_numbers_and_urls() {
    let page = "主体 91630100MA7X00018G 回执 CK20261201AB12 状态 filed,当前身份(handler),字段 CF_NR_FK,\
                下载 CSV 或 XLSX,UTF-8 编码,接口 /api/v1/checks,纳税信用 A 级,SM2 签名,see https://example.org";
    assert_eq!(latin_words(page), ["filed", "handler", "CF", "NR", "FK", "see"]);
}

/// The page's visible text (its title, and its body without `<code>` elements: commands and key prefixes an
/// operator types are codes) holds no Latin words a user should not read ([`latin_words`]).
async fn no_english(c: &Client) {
    let script = "const codes = [...document.querySelectorAll('code')];\
        const kept = codes.map(e => e.textContent);\
        codes.forEach(e => { e.textContent = ''; });\
        const text = document.title + '\\n' + document.body.innerText;\
        codes.forEach((e, i) => { e.textContent = kept[i]; });\
        return text;";
    let text = c.execute(script, vec![]).await.unwrap();
    let text = text.as_str().unwrap_or_default();
    let words = latin_words(text);
    assert!(words.is_empty(), "English or internal codes on {}: {words:?}\n{text}", c.current_url().await.unwrap());
}

/// Screenshots of the current page at desktop and phone widths.
async fn shoot(c: &Client, name: &str) {
    no_english(c).await;
    for (suffix, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        c.set_window_size(w, h).await.unwrap();
        let png = c.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(shots().join(format!("{name}-{suffix}.png")), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// The page's main text (the page is checked for English and internal codes first: [`no_english`]).
async fn text(c: &Client) -> String {
    no_english(c).await;
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

/// The page's main text once it contains `needle` (a click's navigation finishes asynchronously).
async fn wait_for(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(m) = c.find(Locator::Css("main")).await
            && let Ok(t) = m.text().await
        {
            if t.contains(needle) {
                no_english(c).await;
                return t;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the page never showed “{needle}”:\n{last}");
}

/// Every visible form control has a label (keyboard and screen-reader users need one).
async fn unlabelled(c: &Client) {
    let script = "return [...document.querySelectorAll('input,select,textarea')]\
        .filter(e => e.type !== 'hidden' && !e.closest('label') && !(e.id && document.querySelector('label[for=\"' + e.id + '\"]')))\
        .map(e => e.name || e.id);";
    let missing = c.execute(script, vec![]).await.unwrap();
    assert_eq!(missing, json!([]), "controls without a label on {}", c.current_url().await.unwrap());
}

async fn sign_in(t: &TestApp, c: &Client, username: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{}/sign-in", t.base)).await.unwrap();
    c.find(Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    if let Some(code) = totp_now(t, username).await {
        c.find(Locator::Id("totp")).await.unwrap().send_keys(&code).await.unwrap();
    }
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    for _ in 0..100 {
        if !c.current_url().await.unwrap().path().starts_with("/sign-in") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{username} was not signed in: {}", text(c).await);
}

async fn seed(t: &TestApp) {
    let registration =
        Registration::of("西宁市城东区鑫源商贸有限公司", COMPANY).legal_rep("张三").founded("2018-03-01");
    let (status, s) = t.post_batch(json!({ "item": "djzc", "records": [registration] })).await;
    assert_eq!((status, s["accepted"].as_u64()), (200, Some(1)), "{s}");
    let penalty = Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY)
        .without("CF_FRDB")
        .number("宁市监罚〔2026〕21号")
        .content("罚款15万元")
        .fine("15")
        .decided("2026-06-01")
        .published("2026-06-01")
        .valid_until("2099-12-31");
    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": [penalty] })).await;
    assert_eq!((status, s["accepted"].as_u64()), (200, Some(1)), "{s}");
}

/// The programmes' public pages have something to show: three households of a village and its township (graded),
/// a bank's product, and a unit in public notice as 诚信建设示范单位.
/// An overdue 政务承诺 of the market regulator (a 机关) and a credit agency on the register, with its evaluation.
async fn seed_integrity(t: &TestApp) -> i64 {
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    t.app
        .store
        .add_gov_commitment(&credo_store::NewGovCommitment {
            body_code: DEPT.into(),
            department_id: dept.id,
            kind: "服务时限承诺".into(),
            content: "企业开办一个工作日内办结".into(),
            due_on: time::macros::date!(2026 - 11 - 20),
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let mut a = t
        .app
        .store
        .add_agency(&credo_store::NewAgency {
            uscc: credo_synth::uscc_from("91", "630100", "XYPJ0001"),
            name: "青海某某信用评级有限公司".into(),
            filing_no: "XN-XYFW-2026-001".into(),
            filed_on: time::macros::date!(2026 - 03 - 01),
            scopes: vec!["信用评级".into(), "企业征信".into()],
            department_id: None,
            created_by: "test".into(),
        })
        .await
        .unwrap();
    a.evaluations.push(credo_store::AgencyEvaluation {
        year: 2025,
        grade: "A".into(),
        note: "内控健全,未发现违规".into(),
        by: "test".into(),
    });
    assert!(t.app.store.update_agency(&a).await.unwrap());
    a.id
}

async fn seed_programmes(t: &TestApp) {
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let mut perms = dept.permissions.clone();
    perms.items.extend(["nhxx".to_string(), "xycn".to_string()]);
    perms.lending = true;
    t.app.store.set_permissions(dept.id, &perms).await.unwrap();
    let township = credo_synth::uscc_from("11", "630121", "CNA00001");
    let village = credo_synth::uscc_from("N2", "630121", "CN000001");
    let commitment = |name: &str, code: &str, n: u32| {
        json!({
            "CN_MC": name, "CN_ZTLB": "法人及非法人组织", "CN_SHXYM": code, "CN_CNLX": "主动型", "CN_CNSX": "信用村创建",
            "CN_CNNR": "诚实守信", "CN_CNBH": format!("CN-{n}"), "CN_CNRQ": "2026-05-01", "CN_SLDW": "西宁市市场监督管理局",
            "CN_SLDWDM": DEPT, "CN_LYZT": "履约中", "CN_SJLY": "西宁市市场监督管理局", "CN_SJLYDM": DEPT,
        })
    };
    let rows = json!([
        commitment("大通回族土族自治县长宁镇人民政府", &township, 1),
        commitment("长宁镇上庄村股份经济合作社", &village, 2),
        commitment("西宁市城东区鑫源商贸有限公司", COMPANY, 3),
    ]);
    let (status, s) = t.post_batch(json!({ "item": "xycn", "records": rows })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    // Ten households: a village is graded from ten on.
    let households: Vec<_> = (0..10u32)
        .map(|n| {
            let first = format!("630121198001010{n:02}");
            let id = format!("{first}{}", credo_domain::ids::ric_check(first.as_bytes()).unwrap());
            json!({
                "NH_MC": format!("农户{n}"), "NH_ZTLB": "自然人", "NH_NHLX": "普通农户", "NH_ZJLX": "身份证", "NH_ZJHM": id,
                "NH_XZQH": "630121", "NH_XZ": "长宁镇", "NH_XZDM": township, "NH_CWH": "上庄村", "NH_CWHDM": village,
                "NH_CJND": "2026", "NH_ZYCY": "马铃薯种植", "NH_HYQK": "好", "NH_CJRQ": "2026-06-01",
                "NH_SJLY": "西宁市市场监督管理局", "NH_SJLYDM": DEPT,
            })
        })
        .collect();
    let (status, s) = t.post_batch(json!({ "item": "nhxx", "records": households })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    credo_app::grades::recompute(&t.app, None).await.unwrap();
    t.app
        .store
        .add_product(&credo_store::NewProduct {
            department_id: dept.id,
            name: "惠农信用贷".into(),
            description: "纯信用,无需抵押".into(),
            kinds: vec!["person".into()],
            scheme: "xyh".into(),
            grades: vec!["优秀".into(), "较好".into(), "一般".into()],
            regions: vec!["630121".into()],
            min_amount: 10_000,
            max_amount: 300_000,
            term_months: 12,
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
    let h = t.app.store.add_honour(2026, subject.id, "守合同重信用,诚信经营", "test").await.unwrap();
    use credo_domain::honours::HonourState::{Applied, Notice};
    let until = time::macros::date!(2026 - 12 - 02);
    t.app.store.move_honour(h.id, Applied, Notice, "test", None, Some(until)).await.unwrap();
    let committee = credo_synth::uscc_from("11", "630100", "WMB00001");
    t.app
        .store
        .add_department(credo_store::NewDepartment {
            uscc: committee,
            name: "西宁市精神文明建设委员会办公室".into(),
            region: Some("630100".into()),
            created_by: "test".into(),
            permissions: credo_store::Permissions::default(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_website_end_to_end_in_chromium() {
    let t = spawn().await;
    seed(&t).await;
    for (name, role) in [
        ("handler1", "handler"),
        ("submitter1", "submitter"),
        ("sysadmin1", "sysadmin"),
        ("company1", "subject"),
        ("reviewer1", "reviewer"),
    ] {
        add_account(&t, name, role).await;
    }
    let (_driver, c) = browser().await;

    // A citizen: the home page, a search by short name, the subject, the record.
    c.goto(&format!("{}/", t.base)).await.unwrap();
    assert_eq!(c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().as_deref(), Some("zh-CN"));
    assert!(text(&c).await.contains("最新双公示"));
    shoot(&c, "home").await;
    c.find(Locator::Id("q")).await.unwrap().send_keys("鑫源商贸").await.unwrap();
    c.find(Locator::Css("form.search button")).await.unwrap().click().await.unwrap();
    wait_for(&c, "共 1 个主体").await;
    shoot(&c, "search").await;
    unlabelled(&c).await;
    let q = "/search?q=%E9%91%AB%E6%BA%90%E5%95%86%E8%B4%B8";
    c.goto(&format!("{}{q}&item=sxbzxr", t.base)).await.unwrap();
    wait_for(&c, "没有找到").await;
    c.goto(&format!("{}{q}&item=xzcf", t.base)).await.unwrap();
    wait_for(&c, "共 1 个主体").await;
    c.find(Locator::LinkText("西宁市城东区鑫源商贸有限公司")).await.unwrap().click().await.unwrap();
    wait_for(&c, "91630100MA7X00018G").await;
    shoot(&c, "subject").await;
    c.find(Locator::XPath("//ul[@class='tabs']//a[contains(., '行政处罚')]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "严重失信信息").await;
    assert!(page.contains("公示中"), "{page}");
    c.find(Locator::XPath("//main//a[contains(., '宁市监罚〔2026〕21号')]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "信息内容").await;
    assert!(page.contains("自2026年6月1日起公示") && page.contains("2029-05-31"), "{page}");
    shoot(&c, "record").await;

    // The objection form: a missing contact is refused on the page, then it is filed.
    c.find(Locator::LinkText("对此信息提出异议")).await.unwrap().click().await.unwrap();
    wait_for(&c, "异议理由").await;
    c.find(Locator::Id("reason")).await.unwrap().send_keys("罚款金额登记有误,应为12万元").await.unwrap();
    c.find(Locator::Id("name")).await.unwrap().send_keys("王五").await.unwrap();
    c.find(Locator::Id("phone")).await.unwrap().send_keys("0971-8888888").await.unwrap();
    let evidence = std::env::temp_dir().join(format!("缴款凭证-{}.txt", std::process::id()));
    std::fs::write(&evidence, "缴款凭证:120000元").unwrap();
    c.find(Locator::Id("files")).await.unwrap().send_keys(evidence.to_str().unwrap()).await.unwrap();
    // The challenge a visitor answers (the test asks the server's process for the sum it drew).
    let token = c.find(Locator::Css("input[name=challenge_token]")).await.unwrap().attr("value").await.unwrap();
    let answer = t.app.challenges.solve(&token.unwrap()).unwrap();
    c.find(Locator::Id("challenge_answer")).await.unwrap().send_keys(&answer.to_string()).await.unwrap();
    shoot(&c, "objection").await;
    unlabelled(&c).await;
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "已提交").await;
    assert!(page.contains("待受理"), "{page}");
    let number = c.find(Locator::Css("main .notice strong")).await.unwrap().text().await.unwrap();
    assert!(number.starts_with("YY"), "{number}");
    shoot(&c, "case").await;
    c.goto(&format!("{}/subjects/{COMPANY}?tab=xzcf", t.base)).await.unwrap();
    assert!(!text(&c).await.contains("异议处理中"), "not marked before the department accepts it");

    // The department: its inbox has the case; it corrects the amount.
    sign_in(&t, &c, "handler1").await;
    c.goto(&format!("{}/console", t.base)).await.unwrap();
    let page = wait_for(&c, &number).await;
    assert!(page.contains("本部门最新信息") && page.contains("宁市监罚〔2026〕21号"), "{page}");
    shoot(&c, "console").await;
    c.find(Locator::LinkText(&number)).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "申请内容").await;
    assert!(
        page.contains("王五") && page.contains("缴款凭证"),
        "the handler sees the applicant and the evidence: {page}"
    );
    // First it accepts the objection (受理), which marks the record in public.
    c.find(Locator::Css("input[name=outcome][value=受理]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("reason")).await.unwrap().send_keys("材料齐全,予以受理").await.unwrap();
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "办理中").await;
    let marked = t.http.get(format!("{}/subjects/{COMPANY}?tab=xzcf", t.base)).send().await.unwrap();
    assert!(marked.text().await.unwrap().contains("异议处理中"), "marked once accepted");
    c.find(Locator::Css("input[name=outcome][value=更正]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("reason")).await.unwrap().send_keys("经核对原始案卷,罚款金额应为12万元,予以更正").await.unwrap();
    // 更正 through the field picker: the fine by its name, beside its old value.
    let picker = c.find(Locator::Id("correction")).await.unwrap().text().await.unwrap();
    assert!(picker.contains("罚款金额") && picker.contains("15"), "{picker}");
    c.find(Locator::Id("field-CF_NR_FK")).await.unwrap().send_keys("12").await.unwrap();
    shoot(&c, "console-case").await;
    unlabelled(&c).await;
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "已办结").await;

    // The public sees the outcome.
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{}/cases/{number}", t.base)).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("更正") && page.contains("予以更正"), "{page}");
    c.goto(&format!("{}/subjects/{COMPANY}?tab=xzcf", t.base)).await.unwrap();
    let page = text(&c).await;
    assert!(page.contains("公示中") && !page.contains("异议处理中"), "{page}");
    c.find(Locator::XPath("//main//a[contains(., '宁市监罚〔2026〕21号')]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "信息内容").await;
    assert!(page.contains("罚款金额(万元)\n12"), "the corrected amount: {page}");

    // The publicity list, its CSV, the policy page, and a check receipt verified by its number.
    c.goto(&format!("{}/lists/sgs", t.base)).await.unwrap();
    let page = wait_for(&c, "宁市监罚〔2026〕21号").await;
    assert!(page.contains("共 1 条"), "{page}");
    shoot(&c, "list").await;
    let csv = t.http.get(format!("{}/lists/sgs?format=csv", t.base)).send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "a BOM, so that Excel reads UTF-8");
    let line = format!("西宁市城东区鑫源商贸有限公司,{COMPANY},宁市监罚〔2026〕21号");
    assert!(String::from_utf8_lossy(&bytes).contains(&line), "the subject's code in the list's CSV");
    c.goto(&format!("{}/policy", t.base)).await.unwrap();
    assert!(wait_for(&c, "公示期限").await.contains("信用修复管理办法"));
    // A district's page, and the open-data page with the day's snapshot.
    c.goto(&format!("{}/districts/630102", t.base)).await.unwrap();
    assert!(wait_for(&c, "城东区信用信息").await.contains("公示名单"));
    shoot(&c, "district").await;
    // The programmes: rural credit, financing, the 示范单位 in notice with the way to complain.
    seed_programmes(&t).await;
    c.goto(&format!("{}/rural", t.base)).await.unwrap();
    assert!(wait_for(&c, "长宁镇上庄村股份经济合作社").await.contains("信用村"));
    shoot(&c, "rural").await;
    c.goto(&format!("{}/finance", t.base)).await.unwrap();
    assert!(wait_for(&c, "惠农信用贷").await.contains("限大通回族土族自治县"));
    shoot(&c, "finance").await;
    c.goto(&format!("{}/honours", t.base)).await.unwrap();
    wait_for(&c, "公示中").await;
    c.find(Locator::XPath("//main//a[contains(., '鑫源商贸')]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "接受投诉").await;
    shoot(&c, "honour").await;
    c.find(Locator::Id("complain")).await.unwrap().click().await.unwrap();
    wait_for(&c, "失信行为举报").await;
    let name = c.find(Locator::Id("subject_name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("西宁市城东区鑫源商贸有限公司"), "the complaint form is prefilled");
    // 政务诚信: the monitoring page, a body's page with its overdue commitment, the agencies' register.
    let agency = seed_integrity(&t).await;
    c.goto(&format!("{}/integrity", t.base)).await.unwrap();
    assert!(wait_for(&c, "各部门使用信用信息情况").await.contains("西宁市市场监督管理局"));
    shoot(&c, "integrity").await;
    c.find(Locator::XPath("//table[@id='bodies']//a[contains(., '市场监督管理局')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(wait_for(&c, "政务承诺").await.contains("已逾期"), "the overdue commitment shows");
    shoot(&c, "integrity-body").await;
    c.goto(&format!("{}/agencies", t.base)).await.unwrap();
    wait_for(&c, "信用服务机构名录").await;
    c.find(Locator::XPath("//main//a[contains(., '信用评级')]")).await.unwrap().click().await.unwrap();
    assert!(wait_for(&c, "年度评价").await.contains("XN-XYFW-2026-001"));
    shoot(&c, "agency").await;
    assert_eq!(c.current_url().await.unwrap().path(), format!("/agencies/{agency}"));
    credo_app::snapshots::take(&t.app, t.app.clock.today()).await.unwrap();
    c.goto(&format!("{}/open", t.base)).await.unwrap();
    assert!(wait_for(&c, "xzcf.jsonl.gz").await.contains("快照"));
    shoot(&c, "open-data").await;
    let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    let (key, _) =
        credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
    let body = json!({ "scene": "jg", "purpose": "回执验证", "subjects": [COMPANY] });
    let r = t.http.post(format!("{}/api/v1/checks", t.base)).bearer_auth(key).json(&body).send().await.unwrap();
    let receipt: serde_json::Value = r.json().await.unwrap();
    let id = receipt["receipt"]["id"].as_str().unwrap();
    c.goto(&format!("{}/verify", t.base)).await.unwrap();
    c.find(Locator::Id("number")).await.unwrap().send_keys(id).await.unwrap();
    c.find(Locator::Id("verify-receipt")).await.unwrap().click().await.unwrap();
    assert!(wait_for(&c, "真实有效").await.contains("日常监管"));
    shoot(&c, "verify").await;

    // The subject itself: its records, who looked (the check above), and credit repair once the minimum period is over.
    sign_in(&t, &c, "company1").await;
    c.goto(&format!("{}/me", t.base)).await.unwrap();
    let page = wait_for(&c, "谁查看了我的信用信息").await;
    assert!(page.contains("回执验证"), "the check's purpose is in the access log: {page}");
    assert!(page.contains("自2026年12月1日起可申请信用修复"), "{page}");
    let button = Locator::XPath("//button[contains(., '申请信用修复')]");
    assert!(c.find_all(button).await.unwrap().is_empty(), "no repair before 2026-12-01");
    t.app.clock.set(time::macros::date!(2026 - 12 - 01));
    c.refresh().await.unwrap();
    wait_for(&c, "已满最短公示期").await;
    shoot(&c, "me").await;
    c.find(Locator::Css("textarea[name=reason]")).await.unwrap().send_keys("罚款已缴清,已整改到位").await.unwrap();
    c.find(Locator::Css("input[type=file][name=files]"))
        .await
        .unwrap()
        .send_keys(evidence.to_str().unwrap())
        .await
        .unwrap();
    unlabelled(&c).await;
    c.find(button).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "已提交").await;
    assert!(page.contains("信用修复") && page.contains("待受理"), "{page}");
    let repair = c.find(Locator::Css("main .notice strong")).await.unwrap().text().await.unwrap();
    let case = t.app.store.case(&repair).await.unwrap().unwrap();
    assert_eq!(case.files.len(), 1, "the proof travelled with the application");
    t.app.clock.set(time::macros::date!(2026 - 11 - 25));

    // A department uploads a CSV with an error and reads the row-level report.
    sign_in(&t, &c, "submitter1").await;
    c.goto(&format!("{}/console/upload", t.base)).await.unwrap();
    let csv = std::env::temp_dir().join(format!("处罚-{}.csv", std::process::id()));
    let header = "行政相对人名称,行政相对人类别,行政相对人代码_1(统一社会信用代码),行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额(万元),处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码";
    let tail = format!("西宁市市场监督管理局,{DEPT},西宁市市场监督管理局,{DEPT}");
    let good = format!(
        "甲商贸有限公司,法人及非法人组织,91630100MA7X00018G,宁市监罚〔2026〕30号,虚假宣传,经查属实,《广告法》,罚款,罚款,20,2026-10-01,2099-12-31,{tail}"
    );
    let bad = format!(
        "乙商贸有限公司,法人及非法人组织,91630100MA7X00018X,宁市监罚〔2026〕31号,虚假宣传,经查属实,《广告法》,罚款,罚款,20,2026-10-01,2099-12-31,{tail}"
    );
    std::fs::write(&csv, format!("{header}\n{good}\n{bad}\n")).unwrap();
    c.find(Locator::Id("item")).await.unwrap().select_by_value("xzcf").await.unwrap();
    c.find(Locator::Id("file")).await.unwrap().send_keys(csv.to_str().unwrap()).await.unwrap();
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "处理报告").await;
    let report = c.find(Locator::Id("report")).await.unwrap().text().await.unwrap();
    assert!(report.contains('3') && report.contains("错误(拒收)"), "row 3 is rejected: {report}");
    shoot(&c, "upload-report").await;
    unlabelled(&c).await;

    // An operator opens the dashboards.
    sign_in(&t, &c, "sysadmin1").await;
    c.goto(&format!("{}/admin", t.base)).await.unwrap();
    let charts = c.find_all(Locator::Css("svg.chart")).await.unwrap();
    assert!(charts.len() >= 8, "{} charts", charts.len());
    assert!(text(&c).await.contains("双公示及时率"));
    shoot(&c, "dashboard").await;
    for (path, needle) in [
        ("/admin/departments", "西宁市市场监督管理局"),
        ("/admin/accounts", "无权访问"), // 三员分立: accounts are the security administrator's
        ("/admin/catalog", "行政处罚"),
    ] {
        c.goto(&format!("{}{path}", t.base)).await.unwrap();
        wait_for(&c, needle).await;
    }
    shoot(&c, "catalog").await;

    // The 系统管理员 drafts a 典型案例 citing the penalty (an ID number in its text), a 信用审核员 publishes it, the
    // public reads it masked.
    let profile = t.get_json(&format!("/api/v1/subjects/{COMPANY}")).await;
    let penalty =
        profile["items"].as_array().unwrap().iter().find(|i| i["item"] == "xzcf").unwrap()["records"][0]["id"]
            .as_i64()
            .unwrap();
    c.goto(&format!("{}/console/articles", t.base)).await.unwrap();
    wait_for(&c, "新建稿件").await;
    unlabelled(&c).await;
    c.find(Locator::Id("kind")).await.unwrap().select_by_value("case").await.unwrap();
    c.find(Locator::Id("title")).await.unwrap().send_keys("鑫源商贸虚假宣传被处罚").await.unwrap();
    c.find(Locator::Id("summary")).await.unwrap().send_keys("失信曝光:虚假宣传被处以罚款").await.unwrap();
    let body = "该公司经营者(身份证号 630102199003071234)组织虚假宣传。\n市场监管部门依法处以罚款。";
    c.find(Locator::Id("body")).await.unwrap().send_keys(body).await.unwrap();
    c.find(Locator::Id("records")).await.unwrap().send_keys(&penalty.to_string()).await.unwrap();
    shoot(&c, "console-articles").await;
    c.find(Locator::Css("#new-article button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "保存修改").await;
    c.find(Locator::Css("#step-submit button")).await.unwrap().click().await.unwrap();
    wait_for(&c, "待审核").await;
    let article = c.current_url().await.unwrap().path().to_string();
    sign_in(&t, &c, "reviewer1").await;
    c.goto(&format!("{}{article}", t.base)).await.unwrap();
    wait_for(&c, "审核通过并发布").await;
    c.find(Locator::Css("#step-publish button")).await.unwrap().click().await.unwrap();
    wait_for(&c, "已发布").await;
    c.goto(&format!("{}/news", t.base)).await.unwrap();
    wait_for(&c, "鑫源商贸虚假宣传被处罚").await;
    shoot(&c, "news").await;
    c.find(Locator::XPath("//main//a[contains(., '鑫源商贸虚假宣传被处罚')]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "案例涉及的信用记录").await;
    assert!(page.contains("6301**********1234") && !page.contains("630102199003071234"), "{page}");
    let cited = Locator::Css(&format!("#cited a[href='/records/{penalty}']"));
    assert!(page.contains("行政处罚") && c.find(cited).await.is_ok(), "the cited record: {page}");
    shoot(&c, "news-article").await;
    // Nothing on these pages showed a full ID number, and no page loaded a script.
    assert!(!c.source().await.unwrap().contains("<script"));
    c.close().await.unwrap();
    let _ = std::fs::remove_file(evidence);
    let _ = std::fs::remove_file(csv);
}

/// An enterprise applies for its account on the website, the security administrator approves it, the applicant
/// sets the password through the one-time link; then, signed in through the province's 统一身份认证 (a real OpenID
/// provider, authorization code with PKCE), the enterprise files a repair from its record's page.
#[tokio::test]
async fn an_enterprise_gets_an_account_and_repairs_a_record_in_chromium() {
    let mut provider = None;
    let t = common::spawn_with_idp(|base| {
        let accounts = json!([{ "sub": "qh-org-0001", "password": "Test@1234", "name": "西宁市城东区鑫源商贸有限公司",
                                "subject_kind": "organisation", "uscc": COMPANY }]);
        let p = common::oidc_provider(&format!("{base}/sign-in/idp/callback"), accounts);
        let config = credo_app::idp::IdpConfig {
            issuer: p.issuer.clone(),
            client_id: "credo".into(),
            client_secret: None,
            redirect: format!("{base}/sign-in/idp/callback"),
        };
        provider = Some(p);
        Some(config)
    })
    .await;
    // Decided by a department outside market supervision (whose 45号 penalties are not repaired): repairable.
    let p = Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY)
        .number("宁应急罚〔2026〕31号")
        .authority("西宁市应急管理局", DEPT)
        .fine("12")
        .decided("2026/06/01");
    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": [p] })).await;
    assert_eq!(status, 200, "{s}");
    let record = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
    let record = t.app.store.subject_records(record.id).await.unwrap()[0].id;
    add_account(&t, "secadmin", "secadmin").await;
    let (_driver, c) = browser().await;

    // The record page leads to the application.
    c.goto(&format!("{}/records/{record}", t.base)).await.unwrap();
    assert!(wait_for(&c, "登录后申请信用修复").await.contains("申请账号"));
    c.find(Locator::LinkText("申请账号")).await.unwrap().click().await.unwrap();
    wait_for(&c, "申请信用主体账号").await;
    unlabelled(&c).await;
    let licence = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(licence.path(), b"%PDF-1.4 licence").unwrap();
    for (id, value) in [
        ("code", COMPANY),
        ("name", "西宁市城东区鑫源商贸有限公司"),
        ("representative", "马鑫源"),
        ("contact", "13900000000"),
        ("username", "xinyuan"),
        ("files", licence.path().to_str().unwrap()),
    ] {
        c.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    let token = c.find(Locator::Css("input[name=challenge_token]")).await.unwrap().attr("value").await.unwrap();
    let answer = t.app.challenges.solve(&token.unwrap()).unwrap();
    c.find(Locator::Id("challenge_answer")).await.unwrap().send_keys(&answer.to_string()).await.unwrap();
    shoot(&c, "register").await;
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "申请已提交").await;
    let number = page.split("申请编号:").nth(1).unwrap().split('。').next().unwrap().to_string();

    // The security administrator approves it and gets the one-time link.
    sign_in(&t, &c, "secadmin").await;
    c.goto(&format!("{}/admin/enrolments", t.base)).await.unwrap();
    assert!(wait_for(&c, &number).await.contains("名称一致"));
    shoot(&c, "enrolments").await;
    c.find(Locator::Id(&format!("approve-{number}"))).await.unwrap().click().await.unwrap();
    wait_for(&c, "已开通").await;
    let link = c.find(Locator::Id("one-time-link")).await.unwrap().text().await.unwrap();

    // The applicant sets the password and signs in with it.
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{}{link}", t.base)).await.unwrap();
    wait_for(&c, "设置密码").await;
    for id in ["password", "confirm"] {
        c.find(Locator::Id(id)).await.unwrap().send_keys("Credit-2026-Mima").await.unwrap();
    }
    c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "密码已设置").await;

    // Signed in through the 统一身份认证 from the record page, the enterprise files its repair.
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{}/records/{record}", t.base)).await.unwrap();
    wait_for(&c, "统一身份认证").await;
    c.find(Locator::LinkText("统一身份认证")).await.unwrap().click().await.unwrap();
    for _ in 0..100 {
        if c.find(Locator::Css("input[name=login]")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    shoot(&c, "idp-sign-in").await;
    c.find(Locator::Css("input[name=login]")).await.unwrap().send_keys("qh-org-0001").await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("Test@1234").await.unwrap();
    c.find(Locator::Id("submit")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "我的信用记录").await;
    assert!(page.contains("宁应急罚〔2026〕31号"), "{page}");
    assert!(c.current_url().await.unwrap().as_str().contains(&format!("/me?record={record}")));
    c.find(Locator::Id(&format!("reason-{record}")))
        .await
        .unwrap()
        .send_keys("罚款已于 2026 年 7 月缴清,违法行为已纠正")
        .await
        .unwrap();
    c.find(Locator::Css(&format!("#record-{record} button[type=submit]"))).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "XF").await;
    assert!(page.contains("信用修复"), "{page}");
    shoot(&c, "repair-filed").await;
    let cases = t
        .app
        .store
        .cases(&credo_store::CaseFilter { kind: Some("repair".into()), ..Default::default() }, 10)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    let filer = t.app.store.account(cases[0].account_id.unwrap()).await.unwrap().unwrap();
    assert!(filer.username.starts_with("idp-"), "filed by the account of the 统一身份认证: {}", filer.username);
    drop(provider);
}

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

/// The text of every cell in a table's column (by its `data-label`).
async fn column(c: &Client, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    for cell in c.find_all(Locator::Css(&format!("main table td[data-label='{label}']"))).await.unwrap() {
        out.push(cell.text().await.unwrap());
    }
    out
}

/// The complete lists and a filtered search over more than 100 subjects; then staff work in the browser: a checker's
/// check with its feedback, the security administrator granting an item and opening a department user, the
/// auditor's trail and the chain's verification, a submitter's templates and single-record entry.
#[tokio::test]
async fn complete_lists_and_staff_work_in_chromium() {
    let t = spawn().await;
    seed(&t).await;
    // 120 more companies, each with a licence decided on a different day of 2026.
    let day = |n: u32| format!("2026-{:02}-{:02}", 1 + n % 10, 1 + n % 28);
    let regs: Vec<Registration> =
        (1..=120).map(|n| Registration::of(format!("西宁高原{n}号商贸有限公司"), code(n))).collect();
    let (_, s) = t.post_batch(json!({ "item": "djzc", "records": regs })).await;
    assert_eq!(s["accepted"], 120, "{s}");
    let licences: Vec<Licence> = (1..=120)
        .map(|n| {
            Licence::of(format!("西宁高原{n}号商贸有限公司"), code(n))
                .number(format!("JY1630100{n:04}"))
                .decided(day(n))
                .valid_from(day(n))
        })
        .collect();
    let (_, s) = t.post_batch(json!({ "item": "xzxk", "records": licences })).await;
    assert_eq!(s["accepted"], 120, "{s}");
    for (name, role) in
        [("checker1", "checker"), ("secadmin1", "secadmin"), ("auditor1", "auditor"), ("submitter1", "submitter")]
    {
        add_account(&t, name, role).await;
    }
    let (_driver, c) = browser().await;

    // The 双公示 list: licences and penalties, newest decision first, with the store's count.
    c.goto(&format!("{}/lists/sgs", t.base)).await.unwrap();
    let page = wait_for(&c, "共 121 条").await;
    assert!(page.contains("行政许可") && page.contains("行政处罚"), "{page}");
    let dates = column(&c, "决定日期").await;
    assert_eq!(dates.len(), 20);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest decision first: {dates:?}");
    c.find(Locator::Css("a[rel=next]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "第 21–40 条").await;
    assert!(page.contains("共 121 条"), "{page}");
    let next = column(&c, "决定日期").await;
    assert!(next[0] <= dates[19], "the next page goes on where the first ended");

    // A filtered search over more than 100 hits: the true total, kept across pages.
    c.goto(&format!("{}/search?q=%E5%85%AC%E5%8F%B8&item=xzxk", t.base)).await.unwrap();
    let page = wait_for(&c, "共 120 个主体").await;
    assert!(page.contains("第 1/6 页"), "{page}");
    c.find(Locator::Css("a[rel=next]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "第 2/6 页").await;
    assert!(c.current_url().await.unwrap().as_str().contains("item=xzxk"), "the filter is kept");

    // The security administrator grants the department 经营异常名录 and opens a checker for it.
    sign_in(&t, &c, "secadmin1").await;
    c.goto(&format!("{}/admin/departments/{DEPT}", t.base)).await.unwrap();
    wait_for(&c, "可报送的目录项").await;
    c.find(Locator::Css("input[name=item][value=jyyc]")).await.unwrap().click().await.unwrap();
    unlabelled(&c).await;
    shoot(&c, "admin-department").await;
    c.find(Locator::Css("#permissions-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "签发新密钥").await;
    let d = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    assert!(d.permissions.items.contains(&"jyyc".to_string()), "granted");
    c.goto(&format!("{}/admin/accounts", t.base)).await.unwrap();
    wait_for(&c, "开设账号").await;
    c.find(Locator::Id("role")).await.unwrap().select_by_value("checker").await.unwrap();
    c.find(Locator::Id("username")).await.unwrap().send_keys("zfcg.checker").await.unwrap();
    c.find(Locator::Id("name")).await.unwrap().send_keys("采购核查员").await.unwrap();
    c.find(Locator::Id("department")).await.unwrap().select_by_value(DEPT).await.unwrap();
    unlabelled(&c).await;
    shoot(&c, "admin-accounts").await;
    c.find(Locator::Css("#account-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "已开设账号").await;
    assert!(page.contains("初始密码") && page.contains("动态口令密钥"), "{page}");
    let created = t.app.store.account_by_username("zfcg.checker").await.unwrap().unwrap();
    assert_eq!((created.role.as_str(), created.department_id), ("checker", Some(d.id)));
    shoot(&c, "account-created").await;

    // The department lists the company as 经营异常; its checker checks before a procurement and gives feedback.
    let (_, s) = t
        .post_batch(
            json!({ "item": "jyyc", "records": [AbnormalListing::of("西宁市城东区鑫源商贸有限公司", COMPANY)] }),
        )
        .await;
    assert_eq!(s["accepted"], 1, "{s}");
    sign_in(&t, &c, "checker1").await;
    c.goto(&format!("{}/console/checks", t.base)).await.unwrap();
    wait_for(&c, "核查事由").await;
    c.find(Locator::Id("scene")).await.unwrap().select_by_value("zfcg").await.unwrap();
    c.find(Locator::Id("purpose")).await.unwrap().send_keys("市政道路维修项目采购资格审查").await.unwrap();
    c.find(Locator::Id("subjects")).await.unwrap().send_keys(&format!("{COMPANY}\n{}", code(7))).await.unwrap();
    unlabelled(&c).await;
    shoot(&c, "checks").await;
    c.find(Locator::Css("#check-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "核查回执").await;
    assert!(page.contains("西宁市城东区鑫源商贸有限公司") && page.contains("限制"), "{page}");
    assert!(page.contains("西宁高原7号商贸有限公司") && page.contains("没有适用的联合奖惩措施"), "{page}");
    shoot(&c, "check-receipt").await;
    c.find(Locator::Css("input[name=action][value=已惩戒]")).await.unwrap().click().await.unwrap();
    unlabelled(&c).await;
    c.find(Locator::Css("form.feedback button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "已反馈:已惩戒").await;
    assert!(t.app.store.pending_feedback(None, 10).await.unwrap().is_empty(), "answered");

    // The submitter's templates and one record typed in.
    sign_in(&t, &c, "submitter1").await;
    c.goto(&format!("{}/console/batches", t.base)).await.unwrap();
    wait_for(&c, "报送模板").await;
    shoot(&c, "batches").await;
    c.goto(&format!("{}/console/records/new?item=xzcf", t.base)).await.unwrap();
    wait_for(&c, "行政处罚决定书文号").await;
    unlabelled(&c).await;
    shoot(&c, "entry").await;

    // The auditor: every step above is in the trail, filtered by who did it; the chain verifies.
    sign_in(&t, &c, "auditor1").await;
    c.goto(&format!("{}/admin/audit?actor=checker1", t.base)).await.unwrap();
    let page = wait_for(&c, "审计日志").await;
    assert!(page.contains("核查(政府采购") || page.contains("核查("), "the checks by their scene: {page}");
    assert!(!page.contains("secadmin1"), "only the checker's events");
    unlabelled(&c).await;
    shoot(&c, "audit").await;
    c.find(Locator::Id("verify-chain")).await.unwrap().click().await.unwrap();
    wait_for(&c, "审计日志完好").await;
    shoot(&c, "audit-verify").await;
    assert!(!c.source().await.unwrap().contains("<script"));
    c.close().await.unwrap();
}

/// A citizen downloads an enterprise's credit report from its page; the file verifies under the published key, and
/// its number and check code open it on the verification page with the file's SM3.
#[tokio::test]
async fn a_report_downloaded_from_the_subject_page_opens_on_the_verification_page() {
    let t = spawn().await;
    seed(&t).await;
    let downloads = tempfile::tempdir().unwrap();
    let (_driver, c) = browser_downloading_to(Some(downloads.path())).await;
    let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
    c.goto(&format!("{}/subjects/id-{}", t.base, subject.id)).await.unwrap();
    wait_for(&c, "下载公共信用信息报告").await;
    c.find(Locator::Id("download-report")).await.unwrap().click().await.unwrap();
    let mut file = None;
    for _ in 0..200 {
        file = std::fs::read_dir(downloads.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "pdf"));
        if file.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let file = file.expect("the report was downloaded");
    let bytes = std::fs::read(&file).unwrap();
    let pem = credo_app::reports::platform_key(&t.app).unwrap();
    let report = credo_report::verify(&bytes, &[pem], &credo_report::FontSource::from_env().unwrap()).unwrap();
    assert!(file.file_name().unwrap().to_str().unwrap().contains(&report.number));

    c.goto(&format!("{}/verify", t.base)).await.unwrap();
    c.find(Locator::Id("no")).await.unwrap().send_keys(&report.number).await.unwrap();
    c.find(Locator::Id("code")).await.unwrap().send_keys(&report.check_code).await.unwrap();
    c.find(Locator::Id("verify-report")).await.unwrap().click().await.unwrap();
    let page = wait_for(&c, "由本平台出具").await;
    assert!(page.contains("有效") && page.contains(&credo_report::digest(&bytes)), "{page}");
    assert!(page.contains("西宁市城东区鑫源商贸有限公司"), "{page}");
    shoot(&c, "verify-report").await;
}
