//! Exchange and open data (issue 20): the delta feed gives each audience exactly what it may see, in order,
//! resumably; a client that applies it holds the records shown today.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::collections::BTreeMap;

use common::{Auth, DEPT, TestApp, add_account, form_post, on_both, send, sign_in, spawn};
use credo_store::Permissions;
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::{Value, json};
use time::macros::date;

const PERSON: &str = "630102199001011235";

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("EX{n:06}"))
}

async fn submit(t: &TestApp, records: Value) -> Value {
    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": records })).await;
    assert_eq!((status, s["rejected"].as_u64()), (200, Some(0)), "{s}");
    s
}

/// Reads the whole feed from `after`, `limit` events a page, as `auth`.
async fn read_all(t: &TestApp, auth: &Auth, query: &str, limit: usize) -> (Vec<Value>, i64) {
    let (mut events, mut after) = (Vec::new(), 0);
    loop {
        let path = format!("/api/v1/feed?after={after}&limit={limit}{query}");
        let r = send(t, auth, Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        events.extend(r.body["events"].as_array().unwrap().iter().cloned());
        after = r.body["next"].as_i64().unwrap();
        if !r.body["more"].as_bool().unwrap() {
            return (events, after);
        }
    }
}

/// What a client holds after applying `events`: record id → its data.
fn apply(events: &[Value]) -> BTreeMap<i64, Value> {
    let mut held = BTreeMap::new();
    for e in events {
        let id = e["record"].as_i64().unwrap();
        match e["op"].as_str().unwrap() {
            "ADD" | "MOD" => drop(held.insert(id, e["data"].clone())),
            "DEL" => drop(held.remove(&id)),
            op => panic!("unknown op {op}"),
        }
    }
    held
}

fn ops(events: &[Value], record: i64) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["record"] == record)
        .map(|e| {
            format!(
                "{}{}",
                e["op"].as_str().unwrap(),
                e["reason"].as_str().map(|r| format!(":{r}")).unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn the_feed_gives_each_audience_what_it_may_see_in_order() {
    on_both(async || {
        let t = spawn().await;
        t.app.clock.set(date!(2026 - 05 - 06));
        // A: a fine, shown for three years; B: 通报批评 only, shown three months (to 2026-08-05); P: a person's
        // penalty, kept to 政务共享.
        let (a, b) = (code(1), code(2));
        submit(
            &t,
            json!([
                Penalty::of("西宁交换甲商贸有限公司", &a)
                    .number("宁市监罚〔2026〕101号")
                    .decided("2026-05-06")
                    .published("2026-05-06"),
                Penalty::of("西宁交换乙商贸有限公司", &b)
                    .number("宁市监罚〔2026〕102号")
                    .decided("2026-05-06")
                    .published("2026-05-06")
                    .kinds("通报批评")
                    .content("通报批评")
                    .without("CF_NR_FK"),
                Penalty::person("李四", PERSON)
                    .number("宁市监罚〔2026〕103号")
                    .decided("2026-05-06")
                    .published("2026-05-06")
                    .facts(format!("当事人李四(身份证号{PERSON})无证经营")),
            ]),
        )
        .await;
        // A changes (a new version), then is withdrawn by its department.
        submit(
            &t,
            json!([Penalty::of("西宁交换甲商贸有限公司", &a)
                .number("宁市监罚〔2026〕101号")
                .decided("2026-05-06")
                .published("2026-05-06")
                .fine("2000")]),
        )
        .await;
        let (public, _) = read_all(&t, &Auth::None, "", 1000).await;
        let id = |name: &str| {
            public.iter().find(|e| e["data"]["subject"]["name"] == name).map(|e| e["record"].as_i64().unwrap())
        };
        let (ra, rb) = (id("西宁交换甲商贸有限公司").unwrap(), id("西宁交换乙商贸有限公司").unwrap());
        assert_eq!(ops(&public, ra), ["ADD", "MOD"]);
        assert_eq!(public.len(), 3, "the person's penalty is not public: {public:?}");

        add_account(&t, "handler", "handler").await;
        let handler = sign_in(&t, "handler").await;
        let r =
            form_post(&t, &handler, &format!("/console/records/{ra}/withdraw"), &[("reason", "决定已被撤销")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        // B's three months end; the daily job records it.
        t.app.clock.set(date!(2026 - 08 - 06));
        assert_eq!(
            credo_app::cases::record_expiries(&t.app, date!(2026 - 08 - 06)).await.unwrap(),
            2,
            "B, and A revoked"
        );

        let (public, last) = read_all(&t, &Auth::None, "", 1000).await;
        // Read on 08-06, a version shown then counts; A's history ends with its withdrawal.
        assert_eq!(ops(&public, ra).last().map(String::as_str), Some("DEL:revoked"), "{public:?}");
        assert_eq!(ops(&public, rb), ["DEL:expired"], "B is read today: no longer shown, then its expiry");
        assert!(apply(&public).is_empty(), "nothing of these is shown today");
        // Page by page (one event a page) gives the same events, and resuming from the end gives none.
        let (paged, _) = read_all(&t, &Auth::None, "", 1).await;
        assert_eq!(paged, public);
        let r = send(&t, &Auth::None, Method::GET, &format!("/api/v1/feed?after={last}"), None).await;
        assert_eq!((r.body["events"].as_array().unwrap().len(), r.body["more"].as_bool()), (0, Some(false)));

        // A department granted 政务共享 also sees the person's penalty, in full; the public never saw it.
        t.app.clock.set(date!(2026 - 06 - 01));
        let p = Permissions {
            items: vec!["xzcf".into()],
            scenes: vec![],
            disclosure: vec!["公开".into(), "政务共享".into()],
            ..Default::default()
        };
        credo_app::admin::set_permissions(&t.app, DEPT, &p, None).await.unwrap();
        let key = Auth::Key(t.key.clone());
        let (shared, _) = read_all(&t, &key, "&items=xzcf", 1000).await;
        let person: Vec<&Value> = shared.iter().filter(|e| e["data"]["subject"]["kind"] == "person").collect();
        assert_eq!(person.len(), 1, "{shared:?}");
        assert_eq!(person[0]["data"]["subject"]["code"], PERSON, "政务共享: the code in full");
        let (public, _) = read_all(&t, &Auth::None, "", 1000).await;
        let text = serde_json::to_string(&public).unwrap();
        assert!(!text.contains(PERSON) && !text.contains("李四"), "the public never sees the person: {text}");
        assert_eq!(apply(&public).keys().copied().collect::<Vec<_>>(), [rb], "on 06-01 only B is shown");
        // Every 政务共享 page read is audited.
        let audited = t.app.store.audit_after(0, 10_000).await.unwrap();
        assert!(audited.iter().any(|e| e.event.action == "feed.read"), "feed reads audited");

        // Unknown items and negative positions are refused with a problem.
        for q in ["items=nosuch", "after=-1", "limit=abc"] {
            let r = send(&t, &Auth::None, Method::GET, &format!("/api/v1/feed?{q}"), None).await;
            assert_eq!(r.status, 400, "{q}: {}", r.text);
        }
    })
    .await;
}

#[tokio::test]
async fn a_public_person_is_masked_in_the_feed() {
    let t = common::spawn_publishing_persons().await;
    t.app.clock.set(date!(2026 - 05 - 06));
    submit(
        &t,
        json!([Penalty::person("李四", PERSON)
            .number("宁市监罚〔2026〕201号")
            .decided("2026-05-06")
            .published("2026-05-06")
            .facts(format!("当事人李四(身份证号{PERSON})无证经营"))]),
    )
    .await;
    let (events, _) = read_all(&t, &Auth::None, "", 100).await;
    assert_eq!(events.len(), 1);
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(PERSON), "{text}");
    assert_eq!(events[0]["data"]["subject"]["code"], "6301**********1235");
    assert!(text.contains("6301**********1235"), "masked in the facts as well");
}

/// Entities by id, each with its schema and its properties' values as sets.
fn entities(jsonl: &str) -> BTreeMap<String, (String, BTreeMap<String, std::collections::BTreeSet<String>>)> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let props = v["properties"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, vs)| {
                    (k.clone(), vs.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect())
                })
                .collect();
            (v["id"].as_str().unwrap().to_string(), (v["schema"].as_str().unwrap().to_string(), props))
        })
        .collect()
}

#[tokio::test]
async fn exports_are_what_the_public_sees_and_followthemoney_reads_them_whole() {
    let t = common::spawn_publishing_persons().await;
    t.app.clock.set(date!(2026 - 05 - 06));
    let a = code(11);
    submit(
        &t,
        json!([
            Penalty::of("西宁导出甲商贸有限公司", &a)
                .number("宁市监罚〔2026〕301号")
                .decided("2026-05-06")
                .published("2026-05-06"),
            Penalty::person("李四", PERSON)
                .number("宁市监罚〔2026〕302号")
                .decided("2026-05-06")
                .published("2026-05-06")
                .facts(format!("当事人李四(身份证号{PERSON})无证经营")),
        ]),
    )
    .await;
    let (status, _) = t
        .post_batch(
            json!({ "item": "xzxk", "records": [credo_synth::builders::Licence::of("西宁导出甲商贸有限公司", &a)] }),
        )
        .await;
    assert_eq!(status, 200);
    let run = async |format, items: &[&str]| {
        let items = items.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let w = credo_app::export::export(&t.app, format, &items, &mut out).await;
        (w, String::from_utf8(out).unwrap())
    };
    use credo_app::export::Format;

    // JSON lines: the two penalties and the licence, nothing personal in clear.
    let (w, jsonl) = run(Format::Jsonl, &[]).await;
    assert_eq!(w.unwrap().records, 3, "{jsonl}");
    assert!(!jsonl.contains(PERSON) && jsonl.contains("6301**********1235"), "{jsonl}");

    // CSV: one item, the national headers of its public fields.
    let (w, csv) = run(Format::Csv, &["xzcf"]).await;
    assert_eq!(w.unwrap().records, 2);
    let item = t.app.catalog.item("xzcf").unwrap();
    let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap().to_string();
    let mut expected = vec!["记录编号".to_string(), "版本".into()];
    expected.extend(item.fields.iter().filter(|f| f.public).map(|f| f.name.clone()));
    expected.push("公示截止日期".into());
    assert_eq!(header, expected.join(","));
    assert!(!csv.contains(PERSON));
    assert!(run(Format::Csv, &[]).await.0.is_err(), "CSV needs one item");

    // FollowTheMoney: a Company, a Person and two Sanctions; the licence has no such form and is counted.
    let (w, ftm) = run(Format::Ftm, &[]).await;
    let w = w.unwrap();
    assert_eq!((w.records, w.entities, w.skipped), (3, 4, 1));
    let ours = entities(&ftm);
    let schemas: Vec<&str> = ours.values().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        schemas.iter().copied().collect::<std::collections::BTreeSet<_>>(),
        ["Company", "Person", "Sanction"].into_iter().collect()
    );
    assert!(!ftm.contains(PERSON), "{ftm}");
    // `ftm validate` (the followthemoney package) re-parses every entity and keeps every property value.
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.json"), dir.path().join("out.json"));
    std::fs::write(&input, &ftm).unwrap();
    let ran = std::process::Command::new("ftm")
        .args(["validate", "-i"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("the `ftm` command (pip install followthemoney; .ci/run installs it)");
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let theirs = entities(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(theirs.keys().collect::<Vec<_>>(), ours.keys().collect::<Vec<_>>(), "no entity dropped");
    for (id, (schema, props)) in &ours {
        let (s, p) = &theirs[id];
        assert_eq!(s, schema);
        for (name, values) in props {
            assert_eq!(p.get(name).map(|v| v.len()), Some(values.len()), "{id}.{name}: {values:?} → {:?}", p.get(name));
        }
    }
}

#[tokio::test]
async fn a_column_of_names_is_reconciled_to_codes() {
    let t = spawn().await;
    t.app.clock.set(date!(2026 - 05 - 06));
    let (a, b) = (code(21), code(22));
    submit(
        &t,
        json!([
            Penalty::of("西宁匹配甲商贸有限公司", &a).number("宁市监罚〔2026〕401号"),
            Penalty::of("西宁匹配乙餐饮有限公司", &b).number("宁市监罚〔2026〕402号"),
        ]),
    )
    .await;
    credo_app::feed::sync_search(&t.app).await.unwrap();
    let manifest = t.get_json("/api/v1/reconcile").await;
    assert_eq!(manifest["versions"][0], "0.2");
    // As OpenRefine sends it: a form with the queries as JSON.
    let queries = json!({
        "q0": { "query": "西宁匹配甲商贸有限公司" },
        "q1": { "query": "匹配乙餐饮", "type": "organisation", "limit": 3 },
        "q2": { "query": &b },
        "q3": { "query": "完全不存在的名称" },
    });
    let r = t
        .http
        .post(format!("{}/api/v1/reconcile", t.base))
        .form(&[("queries", queries.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let first = |q: &str| v[q]["result"][0].clone();
    assert_eq!((first("q0")["id"].as_str(), first("q0")["match"].as_bool()), (Some(a.as_str()), Some(true)), "{v}");
    assert_eq!((first("q1")["id"].as_str(), first("q1")["match"].as_bool()), (Some(b.as_str()), Some(false)), "{v}");
    assert_eq!((first("q2")["id"].as_str(), first("q2")["match"].as_bool()), (Some(b.as_str()), Some(true)), "{v}");
    assert_eq!(v["q3"]["result"].as_array().map(Vec::len), Some(0), "{v}");
    // Limits hold before work is done.
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("q{i}"), json!({"query": "西宁"}))).collect();
    for bad in [Value::Object(many).to_string(), "{".to_string(), json!({"q": {"query": "x".repeat(101)}}).to_string()]
    {
        let r =
            send(&t, &Auth::None, Method::GET, &format!("/api/v1/reconcile?queries={}", urlencode(&bad)), None).await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_feed_lag() {
    let t = spawn().await;
    submit(&t, json!([Penalty::of("西宁指标甲商贸有限公司", code(31)).number("宁市监罚〔2026〕501号")])).await;
    let a = code(31);
    let _ = t.get(&format!("/api/v1/subjects/{a}")).await;
    let _ = t.get("/api/v1/feed").await;
    let (status, content_type, text) = t.get("/metrics").await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(text.contains(r#"credo_http_requests_total{method="GET",route="/api/v1/feed",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"route="/api/v1/subjects/{key}""#), "route templates, not paths: {text}");
    assert!(!text.contains(&a), "no code in a label");
    assert!(text.contains("credo_feed_lag{consumer=\"search\"}"), "{text}");
    assert!(text.contains("credo_store_count{what=\"records\"} 1"), "{text}");
    // Invented methods and unknown paths add no series of their own.
    for m in ["BREW", "XYZZY"] {
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        let _ = t.http.request(method, format!("{}/no/such/{m}", t.base)).send().await.unwrap();
    }
    let (_, _, text) = t.get("/metrics").await;
    assert!(!text.contains("BREW") && !text.contains("XYZZY"), "{text}");
}

/// A snapshot file's lines, decompressed.
fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(bytes), &mut text).unwrap();
    text
}

async fn get_bytes(t: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = t.http.get(format!("{}{path}", t.base)).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Applies a delta file to the previous snapshot's JSON lines, as a reuser would.
fn apply_delta(before: &str, delta: &str) -> String {
    let mut held: BTreeMap<i64, String> = before
        .lines()
        .map(|l| (serde_json::from_str::<Value>(l).unwrap()["id"].as_i64().unwrap(), l.to_string()))
        .collect();
    for e in delta.lines() {
        let e: Value = serde_json::from_str(e).unwrap();
        match e["op"].as_str().unwrap() {
            "ADD" | "MOD" => drop(held.insert(e["record"]["id"].as_i64().unwrap(), e["record"].to_string())),
            "DEL" => assert!(held.remove(&e["id"].as_i64().unwrap()).is_some(), "DEL of a record not held: {e}"),
            op => panic!("unknown op {op}"),
        }
    }
    held.into_values().map(|l| l + "\n").collect()
}

#[tokio::test]
async fn daily_snapshots_are_signed_served_and_their_deltas_rebuild_the_next_day() {
    let t = spawn().await;
    t.app.clock.set(date!(2026 - 05 - 06));
    let penalty = |n: u32| {
        Penalty::of(format!("西宁快照{n}号商贸有限公司"), code(100 + n))
            .number(format!("宁市监罚〔2026〕2{n:02}号"))
            .decided("2026-05-06")
            .published("2026-05-06")
    };
    submit(&t, json!([penalty(1), penalty(2), penalty(3)])).await;
    let day1 = credo_app::snapshots::take(&t.app, date!(2026 - 05 - 06)).await.unwrap().unwrap();
    assert!(credo_app::snapshots::take(&t.app, date!(2026 - 05 - 06)).await.unwrap().is_none(), "once a day");
    let xzcf = |m: &credo_app::snapshots::Manifest, kind: &str| {
        m.files.iter().find(|f| f.item == "xzcf" && f.kind == kind).cloned().unwrap()
    };
    assert_eq!((xzcf(&day1, "jsonl").lines, xzcf(&day1, "csv").lines), (3, 3));
    assert!(day1.files.iter().all(|f| f.kind != "delta"), "the first snapshot has nothing to be a delta of");

    // The manifest is signed by the platform key, and every file is what it lists.
    let (status, manifest) = get_bytes(&t, "/open/2026-05-06/manifest.json").await;
    assert_eq!(status, 200);
    let (_, sig) = get_bytes(&t, "/open/2026-05-06/manifest.json.sig").await;
    let pem = t.app.signer.public_key_pem().unwrap();
    credo_gm::sm2::verify(&pem, &manifest, &sig).unwrap();
    let mut forged = manifest.clone();
    forged[20] ^= 1;
    assert!(credo_gm::sm2::verify(&pem, &forged, &sig).is_err());
    for f in &day1.files {
        let (status, bytes) = get_bytes(&t, &format!("/open/2026-05-06/{}", f.name)).await;
        assert_eq!(
            (status, bytes.len() as u64, credo_gm::sm3_hex(&bytes)),
            (200, f.bytes, f.sm3.clone()),
            "{}",
            f.name
        );
    }
    let (_, csv) = get_bytes(&t, "/open/2026-05-06/xzcf.csv.gz").await;
    let csv = gunzip(&csv);
    assert!(csv.starts_with("\u{feff}记录编号,版本,"), "{csv}");
    assert!(csv.contains("西宁快照2号商贸有限公司"));
    // Nothing but the listed files can be named, however the name is spelt.
    for path in [
        "/open/2026-05-06/..%2F..%2Fkeyring",
        "/open/2026-05-06/xzcf.csv",
        "/open/2026-05-07/manifest.json",
        "/open/..%2Fopen/manifest.json",
        "/open/2026-5-6/manifest.json",
    ] {
        assert_eq!(get_bytes(&t, path).await.0, 404, "{path}");
    }
    let page = send(&t, &Auth::None, Method::GET, "/open", None).await;
    assert_eq!(page.status, 200);
    // A day asked for that has no snapshot: not found, and what was typed is not echoed unmasked.
    let missing = send(&t, &Auth::None, Method::GET, &format!("/open?day={PERSON}"), None).await;
    assert_eq!(missing.status, 404);
    assert!(!missing.text.contains(PERSON), "{}", missing.text);
    assert!(page.text.contains("xzcf.delta.jsonl.gz") || page.text.contains("xzcf.jsonl.gz"), "{}", page.text);

    // The next day: 1 changes, 2 is withdrawn, 4 is new.
    submit(&t, json!([penalty(1).fine("2000"), penalty(4)])).await;
    let (_, before) = get_bytes(&t, "/open/2026-05-06/xzcf.jsonl.gz").await;
    let before = gunzip(&before);
    let two = before
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["subject"]["name"] == "西宁快照2号商贸有限公司")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    add_account(&t, "handler", "handler").await;
    let handler = sign_in(&t, "handler").await;
    let r = form_post(&t, &handler, &format!("/console/records/{two}/withdraw"), &[("reason", "决定已被撤销")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    t.app.clock.set(date!(2026 - 05 - 07));
    let day2 = credo_app::snapshots::take(&t.app, date!(2026 - 05 - 07)).await.unwrap().unwrap();
    assert_eq!(day2.previous.as_deref(), Some("2026-05-06"));
    assert!(day2.feed_seq > day1.feed_seq);
    let (_, after) = get_bytes(&t, "/open/2026-05-07/xzcf.jsonl.gz").await;
    let (_, delta) = get_bytes(&t, "/open/2026-05-07/xzcf.delta.jsonl.gz").await;
    let (after, delta) = (gunzip(&after), gunzip(&delta));
    let ops: Vec<&str> = delta.lines().map(|l| if l.contains("\"op\":\"DEL\"") { "DEL" } else { &l[7..10] }).collect();
    assert_eq!(ops, ["MOD", "DEL", "ADD"], "{delta}");
    assert_eq!(xzcf(&day2, "delta").lines, 3);
    assert_eq!(apply_delta(&before, &delta), after, "the delta takes the 6th's file to the 7th's");

    // Two writers of one day: exactly one snapshot, whole.
    t.app.clock.set(date!(2026 - 05 - 08));
    let (a, b) = tokio::join!(
        credo_app::snapshots::take(&t.app, date!(2026 - 05 - 08)),
        credo_app::snapshots::take(&t.app, date!(2026 - 05 - 08))
    );
    assert_eq!(a.unwrap().is_some() as u8 + b.unwrap().is_some() as u8, 1);
    let days = credo_app::snapshots::days(&t.app);
    assert_eq!(days, [date!(2026 - 05 - 08), date!(2026 - 05 - 07), date!(2026 - 05 - 06)]);
    let leftovers = std::fs::read_dir(credo_app::snapshots::root(&t.app)).unwrap().count();
    assert_eq!(leftovers, 3, "no half-written directory is left");
    // Kept for a day: the older ones go.
    assert_eq!(credo_app::snapshots::prune(&t.app, date!(2026 - 05 - 08), 1).unwrap(), 1);
    assert_eq!(credo_app::snapshots::days(&t.app).len(), 2);
}

#[tokio::test]
async fn a_snapshot_masks_a_public_person() {
    let t = common::spawn_publishing_persons().await;
    t.app.clock.set(date!(2026 - 05 - 06));
    submit(
        &t,
        json!([Penalty::person("王五", PERSON)
            .number("宁市监罚〔2026〕301号")
            .decided("2026-05-06")
            .published("2026-05-06")]),
    )
    .await;
    credo_app::snapshots::take(&t.app, date!(2026 - 05 - 06)).await.unwrap().unwrap();
    for name in ["xzcf.jsonl.gz", "xzcf.csv.gz"] {
        let (status, bytes) = get_bytes(&t, &format!("/open/2026-05-06/{name}")).await;
        let text = gunzip(&bytes);
        assert_eq!(status, 200);
        assert!(text.contains("王五") && !text.contains(PERSON), "{name}: {text}");
    }
}

#[tokio::test]
async fn a_consumer_acknowledges_by_reading_on_and_the_deadline_is_tracked() {
    on_both(async || {
        let t = spawn().await;
        submit(
            &t,
            json!([
                Penalty::of("西宁确认甲商贸有限公司", code(301)).number("宁市监罚〔2026〕501号"),
                Penalty::of("西宁确认乙商贸有限公司", code(302)).number("宁市监罚〔2026〕502号"),
            ]),
        )
        .await;
        let dept = t.app.store.department_by_uscc(common::DEPT).await.unwrap().unwrap();
        let (key, _) =
            credo_app::keys::create(t.app.store.as_ref(), &dept, vec!["check".into()], None, "test").await.unwrap();
        let province = Auth::Key(key);
        // From the start: nothing acknowledged yet.
        let first = send(&t, &province, Method::GET, "/api/v1/feed?after=0&limit=1", None).await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert!(credo_app::exchange::consumers(&t.app).await.unwrap().is_empty());
        let next = first.body["next"].as_i64().unwrap();
        assert_eq!(send(&t, &province, Method::GET, &format!("/api/v1/feed?after={next}"), None).await.status, 200);
        let c = &credo_app::exchange::consumers(&t.app).await.unwrap()[0];
        assert_eq!((c.department.as_str(), c.acked_seq, c.late), ("西宁市市场监督管理局", next, 0));
        assert!(c.pending.count >= 1 && c.pending.overdue == 0, "{c:?}");

        // Three weeks on, what it has not acknowledged is overdue (7 working days).
        let later = t.app.clock.today() + time::Duration::days(21);
        t.app.clock.set(later);
        let c = &credo_app::exchange::consumers(&t.app).await.unwrap()[0];
        assert_eq!(c.pending.overdue, c.pending.count, "{c:?}");
        let waiting = c.pending.count;
        // It reads on to the end and acknowledges them: late.
        let last = t.app.store.last_seq().await.unwrap();
        assert_eq!(send(&t, &province, Method::GET, &format!("/api/v1/feed?after={last}"), None).await.status, 200);
        let c = &credo_app::exchange::consumers(&t.app).await.unwrap()[0];
        assert_eq!((c.acked_seq, c.pending.count, c.late), (last, 0, waiting));
        // A read from an earlier place does not take the acknowledgement back.
        assert_eq!(send(&t, &province, Method::GET, &format!("/api/v1/feed?after={next}"), None).await.status, 200);
        assert_eq!(credo_app::exchange::consumers(&t.app).await.unwrap()[0].acked_seq, last);
        // The operators see it.
        add_account(&t, "sysadmin", "sysadmin").await;
        let admin = sign_in(&t, "sysadmin").await;
        let page = send(&t, &admin, Method::GET, "/admin", None).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("信息共享确认") && page.text.contains("西宁市市场监督管理局"), "{}", page.text);
        let metrics = t.http.get(format!("{}/metrics", t.base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains(&format!("credo_feed_lag{{consumer=\"department-{}\"}} 0", dept.id)), "{metrics}");
    })
    .await;
}

#[tokio::test]
async fn a_district_page_shows_its_lists_and_its_departments() {
    let t = spawn().await;
    // A company in 城东区 (630102) on the 双公示 list, one in 城中区 (630103); a department located in 城东区.
    let (east, middle) =
        (credo_synth::uscc_from("91", "630102", "DE000001"), credo_synth::uscc_from("91", "630103", "DE000002"));
    submit(
        &t,
        json!([
            Penalty::of("城东区示范商贸有限公司", &east).number("宁市监罚〔2026〕601号"),
            Penalty::of("城中区示范商贸有限公司", &middle).number("宁市监罚〔2026〕602号"),
        ]),
    )
    .await;
    t.app
        .store
        .add_department(credo_store::NewDepartment {
            uscc: credo_synth::uscc_from("11", "630102", "CDJ00001"),
            name: "西宁市城东区市场监督管理局".into(),
            region: Some("630102".into()),
            created_by: "test".into(),
            permissions: Permissions::default(),
        })
        .await
        .unwrap();
    t.app.listing.sync(&t.app).await.unwrap();
    let index = send(&t, &Auth::None, Method::GET, "/districts", None).await;
    assert_eq!(index.status, 200);
    assert!(index.text.contains("/districts/630102") && index.text.contains("城东区"), "{}", index.text);
    let page = send(&t, &Auth::None, Method::GET, "/districts/630102", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("城东区示范商贸有限公司"), "{}", page.text);
    assert!(!page.text.contains("城中区示范商贸有限公司"), "another district's subject");
    assert!(page.text.contains("/lists/sgs?district=630102"));
    assert!(page.text.contains("西宁市城东区市场监督管理局"), "its department");
    assert!(
        !page.text.contains("<td data-label=\"部门\">西宁市市场监督管理局"),
        "the city's department is not the district's"
    );
    for bad in ["/districts/630100", "/districts/110101", "/districts/%3Cscript%3E"] {
        assert_eq!(send(&t, &Auth::None, Method::GET, bad, None).await.status, 404, "{bad}");
    }
}
