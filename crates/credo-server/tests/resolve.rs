//! Entity resolution by judgement (issue 18): a queued record's candidates with their reasons; a same judgement
//! links it and keeps its name, so that a re-import of the same file and the next record of that name resolve
//! alike, and `credo reindex` keeps it findable; a merge and its undo leave the search answers as before; only a
//! reviewer or the record's own department may judge.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{DEPT, TestApp, add_account, spawn};
use credo_app::principal::{Principal, Role};
use credo_app::resolve::{self, Ask};
use credo_store::{Decision, Target};
use credo_synth::builders::{Penalty, Registration};
use serde_json::json;

fn code(n: u32) -> String {
    credo_synth::uscc_from("91", "630100", &format!("MA{n:06}"))
}

async fn submit<R: serde::Serialize>(t: &TestApp, item: &str, records: Vec<R>) -> serde_json::Value {
    let (status, s) = t.post_batch(json!({ "item": item, "records": records })).await;
    assert_eq!(status, 200, "{s}");
    credo_app::feed::sync_search(&t.app).await.unwrap();
    s
}

async fn principal(t: &TestApp, username: &str) -> Principal {
    let account = t.app.store.account_by_username(username).await.unwrap().unwrap();
    let role = Role::parse(&account.role).unwrap();
    let department = match account.department_id {
        Some(id) => t.app.store.department(id).await.unwrap().map(Box::new),
        None => None,
    };
    Principal::Account { account: Box::new(account), role, department }
}

async fn id_of(t: &TestApp, code: &str) -> i64 {
    t.app.store.subject_by_code(code).await.unwrap().unwrap().id
}

fn first(t: &TestApp, q: &str) -> i64 {
    t.app.search.search(q, 1).unwrap()[0].id
}

#[tokio::test]
async fn judgements_link_survive_reimport_and_reindex_and_merges_undo_cleanly() {
    let t = spawn().await;
    add_account(&t, "rev", "reviewer").await;
    add_account(&t, "chk", "checker").await;
    let (rev, chk) = (principal(&t, "rev").await, principal(&t, "chk").await);
    submit(
        &t,
        "djzc",
        vec![
            Registration::of("青海雪域商贸有限公司", code(1)).set("DJ_FDDBR", "张三"),
            Registration::of("青海昆乐商贸有限公司", code(2)),
            Registration::of("西宁昆乐商贸有限公司", code(3)),
        ],
    )
    .await;
    let (xueyu, kunle, twin) = (id_of(&t, &code(1)).await, id_of(&t, &code(2)).await, id_of(&t, &code(3)).await);
    // No code, and a name no subject bears: the record waits.
    let batch = json!({ "item": "xzcf", "records": [Penalty::named("雪域商贸公司").set("CF_XDR_SWDJ", "630100000000101X").number("宁市监罚〔2026〕101号")] });
    let (status, s) = t.post_batch(batch.clone()).await;
    assert_eq!((status, &s["unresolved"]), (200, &json!(1)), "{s}");
    let queued = t.app.store.unresolved(None, 10, 0).await.unwrap();
    let record = queued[0].id;

    let q = resolve::queued(&t.app, &rev, record).await.unwrap();
    assert_eq!(q.candidates[0].subject_id, xueyu, "{q:?}");
    let reasons = q.candidates[0].reasons.join(";");
    assert!(reasons.contains("名称核心相同") && reasons.contains("法定代表人相同"), "{reasons}");
    let ask = |target: Target, subject: i64, decision: Decision| Ask {
        target,
        subject_id: subject,
        decision,
        reason: "经登记机关核实".into(),
    };
    assert!(
        resolve::judge(&t.app, &chk, ask(Target::Record(record), xueyu, Decision::Same)).await.is_err(),
        "a checker"
    );
    let none = Principal::Anonymous;
    assert_eq!(resolve::queued(&t.app, &none, record).await.unwrap_err().status(), 401);
    let j = resolve::judge(&t.app, &rev, ask(Target::Record(record), xueyu, Decision::Same)).await.unwrap();
    assert!(t.app.store.unresolved(None, 10, 0).await.unwrap().is_empty());

    // The same file again: a duplicate, still linked; a new record of that name resolves by it.
    let (_, s) = t.post_batch(batch).await;
    assert_eq!((&s["duplicates"], &s["unresolved"]), (&json!(1), &json!(0)), "{s}");
    let s = submit(
        &t,
        "xzcf",
        vec![Penalty::named("雪域商贸公司").set("CF_XDR_SWDJ", "630100000000101X").number("宁市监罚〔2026〕102号")],
    )
    .await;
    assert_eq!(s["unresolved"], 0, "{s}");
    let penalties = t.app.store.subject_records(xueyu).await.unwrap().into_iter().filter(|r| r.item == "xzcf").count();
    assert_eq!(penalties, 2);
    // Found by that name, after a rebuild of the index too.
    credo_app::feed::reindex(&t.app).await.unwrap();
    let hit = &t.app.search.search("雪域商贸公司", 1).unwrap()[0];
    assert_eq!((hit.id, hit.alias.as_deref()), (xueyu, Some("雪域商贸公司")));
    // A judgement's trail: in the audit trail and the change feed.
    let audit = common::select_texts(&t, "SELECT action FROM audit_events WHERE action LIKE 'resolve.%'").await;
    assert_eq!(audit, vec![Some("resolve.judged".to_string())]);
    assert_eq!(resolve::judgements(&t.app, &rev, None, Some(xueyu)).await.unwrap()[0].id, j.id);

    // A merge and its undo: the same answers as before, in the store and the index.
    let queries =
        [code(2), code(3), "昆乐商贸".to_string(), "西宁昆乐商贸有限公司".to_string(), "坤乐商贸".to_string()];
    let answers = |t: &TestApp| -> Vec<Vec<i64>> {
        queries.iter().map(|q| t.app.search.search(q, 5).unwrap().iter().map(|h| h.id).collect()).collect()
    };
    let before = answers(&t);
    let merge = resolve::judge(&t.app, &rev, ask(Target::Subject(twin), kunle, Decision::Same)).await.unwrap();
    assert_eq!(first(&t, &code(3)), kunle, "the merged one's code finds the subject it was merged into");
    assert!(answers(&t).iter().flatten().all(|id| *id != twin), "the merged one is found no more");
    credo_app::feed::reindex(&t.app).await.unwrap();
    assert_eq!(first(&t, &code(3)), kunle, "after a rebuild too");
    resolve::undo(&t.app, &rev, merge.id).await.unwrap();
    assert_eq!(answers(&t), before);
    credo_app::feed::reindex(&t.app).await.unwrap();
    assert_eq!(answers(&t), before, "and after a rebuild");
    assert_eq!(t.app.store.subject(twin).await.unwrap().unwrap().merged_into, None);
    let _ = DEPT;
}

/// The API: the record's department (its submission key) sees the record's candidates and judges it; another
/// role is refused; the judgement is undone once, then a conflict in problem+json.
#[tokio::test]
async fn the_api_judges_and_undoes_for_the_records_department() {
    use common::{Auth, send};
    use reqwest::Method;
    let t = spawn().await;
    add_account(&t, "chk", "checker").await;
    add_account(&t, "rev", "reviewer").await;
    submit(&t, "djzc", vec![Registration::of("青海雪域商贸有限公司", code(1))]).await;
    let xueyu = id_of(&t, &code(1)).await;
    let batch = json!({ "item": "xzcf", "records": [Penalty::named("雪域商贸公司").set("CF_XDR_SWDJ", "630100000000101X").number("宁市监罚〔2026〕101号")] });
    t.post_batch(batch).await;
    let record = t.app.store.unresolved(None, 1, 0).await.unwrap()[0].id;
    let key = Auth::Key(t.key.clone());
    let r = send(&t, &key, Method::GET, &format!("/api/v1/unresolved/{record}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["candidates"][0]["subject_id"], xueyu, "{}", r.body);
    let chk = common::sign_in(&t, "chk").await;
    let r = send(&t, &chk, Method::GET, &format!("/api/v1/unresolved/{record}"), None).await;
    assert_eq!(r.status, 403);
    let body = json!({ "target": format!("record:{record}"), "subject_id": xueyu, "decision": "same", "reason": "同一登记机关核实" });
    let r = send(&t, &key, Method::POST, "/api/v1/judgements", Some(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["effect"]["record"], record);
    let r = send(&t, &key, Method::POST, "/api/v1/judgements", Some(body)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("conflict")), "{}", r.text);
    let bad = json!({ "target": "record:x", "subject_id": xueyu, "decision": "same", "reason": "x" });
    assert_eq!(send(&t, &key, Method::POST, "/api/v1/judgements", Some(bad)).await.status, 400);
    let rev = common::sign_in(&t, "rev").await;
    let listed = send(&t, &rev, Method::GET, &format!("/api/v1/judgements?subject={xueyu}"), None).await;
    assert_eq!(listed.body[0]["id"], id, "{}", listed.text);
    let r = send(&t, &rev, Method::POST, &format!("/api/v1/judgements/{id}/undo"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t, &rev, Method::POST, &format!("/api/v1/judgements/{id}/undo"), None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("conflict")), "{}", r.text);
    assert_eq!(t.app.store.unresolved(None, 10, 0).await.unwrap().len(), 1, "back in the queue");
}

/// The console: the department's submitter opens its queued record, sees the candidates with their reasons, judges
/// one the same with a reason, sees the judgement and undoes it; a reason is required.
#[tokio::test]
async fn the_console_judges_and_undoes() {
    let t = spawn().await;
    add_account(&t, "sub", "submitter").await;
    submit(&t, "djzc", vec![Registration::of("青海雪域商贸有限公司", code(1))]).await;
    let xueyu = id_of(&t, &code(1)).await;
    let batch = json!({ "item": "xzcf", "records": [Penalty::named("雪域商贸公司").set("CF_XDR_SWDJ", "630100000000101X").number("宁市监罚〔2026〕101号")] });
    t.post_batch(batch).await;
    let record = t.app.store.unresolved(None, 1, 0).await.unwrap()[0].id;
    let sub = common::sign_in(&t, "sub").await;
    let r = common::send(&t, &sub, reqwest::Method::GET, "/console/unresolved", None).await;
    assert!(r.text.contains(&format!("/console/unresolved/{record}")), "{}", r.text);
    let path = format!("/console/unresolved/{record}");
    let r = common::send(&t, &sub, reqwest::Method::GET, &path, None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("青海雪域商贸有限公司") && r.text.contains("名称核心相同"), "{}", r.text);
    let subject = xueyu.to_string();
    let r =
        common::form_post(&t, &sub, &path, &[("subject_id", &subject), ("decision", "same"), ("reason", " ")]).await;
    assert!(r.text.contains("请说明判断理由"), "a reason is required: {}", r.text);
    let r =
        common::form_post(&t, &sub, &path, &[("subject_id", &subject), ("decision", "same"), ("reason", "核实")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let page = common::send(&t, &sub, reqwest::Method::GET, &path, None).await.text;
    assert!(page.contains("同一主体") && page.contains("撤销"), "{page}");
    let j = t.app.store.judgements(Some(&Target::Record(record)), None, 1).await.unwrap()[0].id;
    let r = common::form_post(&t, &sub, &format!("/console/judgements/{j}/undo"), &[]).await;
    assert_eq!((r.status, r.location()), (303, path.as_str()));
    assert_eq!(t.app.store.unresolved(None, 10, 0).await.unwrap().len(), 1);
}

/// 曾用名: a registration under a new name keeps the old one; the old name finds the subject (and says so), a
/// record naming it resolves to the subject, and the subject's page lists it. A merged subject's page is the other's.
#[tokio::test]
async fn former_names_are_kept_found_and_shown() {
    let t = spawn().await;
    add_account(&t, "rev", "reviewer").await;
    let rev = principal(&t, "rev").await;
    submit(&t, "djzc", vec![Registration::of("青海夏都乳业有限公司", code(7))]).await;
    submit(&t, "djzc", vec![Registration::of("青海高原明珠乳业有限公司", code(7)).set("DJ_HZRQ", "2026-11-01")]).await;
    let id = id_of(&t, &code(7)).await;
    assert_eq!(t.app.store.subject(id).await.unwrap().unwrap().name, "青海高原明珠乳业有限公司");
    assert_eq!(t.app.store.subject_names(&[id]).await.unwrap()[&id], vec!["青海夏都乳业有限公司".to_string()]);
    let hit = &t.app.search.search("青海夏都乳业有限公司", 1).unwrap()[0];
    assert_eq!((hit.id, hit.alias.as_deref()), (id, Some("青海夏都乳业有限公司")));
    let (_, _, page) = t.get(&format!("/search?q={}", "%E5%A4%8F%E9%83%BD%E4%B9%B3%E4%B8%9A")).await;
    assert!(page.contains("曾用名/别名:青海夏都乳业有限公司"), "{page}");
    let s = submit(
        &t,
        "xzcf",
        vec![
            Penalty::named("青海夏都乳业有限公司").set("CF_XDR_SWDJ", "630100000000777X").number("宁市监罚〔2026〕7号"),
        ],
    )
    .await;
    assert_eq!(s["unresolved"], 0, "a record naming the former name resolves: {s}");
    let (status, _, page) = t.get(&format!("/subjects/id-{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<dd id=\"other-names\">青海夏都乳业有限公司</dd>"), "{page}");

    submit(&t, "djzc", vec![Registration::of("西宁明珠乳业有限公司", code(8))]).await;
    let other = id_of(&t, &code(8)).await;
    let ask =
        Ask { target: Target::Subject(other), subject_id: id, decision: Decision::Same, reason: "同一企业".into() };
    resolve::judge(&t.app, &rev, ask).await.unwrap();
    let r = common::send(&t, &common::Auth::None, reqwest::Method::GET, &format!("/subjects/id-{other}"), None).await;
    assert_eq!((r.status, r.location()), (303, format!("/subjects/id-{id}").as_str()), "to the subject it is in now");
}
