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
        assert_eq!(credo_app::cases::record_expiries(&t.app, date!(2026 - 08 - 06)).await.unwrap(), 2, "B, and A revoked");

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
        };
        credo_app::admin::set_permissions(&t.app, DEPT, &p).await.unwrap();
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
