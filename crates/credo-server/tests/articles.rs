//! 信用动态, 政策法规 and 典型案例 (issue 21): a 系统管理员 drafts a typical case citing a penalty, with a person's ID
//! number in its text; a 信用审核员 who did not write it publishes it; the public sees it masked on its page, in the
//! list, the API and the Atom feed; the record's withdrawal takes it off the case's page and flags the case in the
//! console; every step is in the audit trail, and the steps are refused to the wrong people and states.

mod common;

use common::{Auth, add_account, form_post, on_both, send, sign_in, spawn};
use credo_synth::builders::Penalty;
use reqwest::Method;
use serde_json::json;

const ID_NUMBER: &str = "630102199003071234";

#[tokio::test]
async fn a_typical_case_is_drafted_reviewed_published_masked_and_follows_its_record() {
    on_both(async || {
        let t = spawn().await;
        let company = credo_synth::uscc_from("91", "630100", "AL000001");
        let day = (t.app.clock.today() - time::Duration::days(3)).to_string();
        let penalty = json!(
            Penalty::of("西宁曝光商贸有限公司", &company)
                .number("宁市监罚〔2026〕501号")
                .decided(&day)
                .published(&day)
        );
        let (status, batch) = t.post_batch(json!({ "item": "xzcf", "records": [penalty] })).await;
        assert_eq!((status, batch["accepted"].as_i64()), (200, Some(1)), "{batch}");
        let profile = t.get_json(&format!("/api/v1/subjects/{company}")).await;
        let record = profile["items"][0]["records"][0]["id"].as_i64().unwrap_or_else(|| panic!("{profile}"));

        for (user, role) in [("editor", "sysadmin"), ("reviewer", "reviewer"), ("reviewer2", "reviewer")] {
            add_account(&t, user, role).await;
        }
        add_account(&t, "handler", "handler").await;
        let (editor, reviewer) = (sign_in(&t, "editor").await, sign_in(&t, "reviewer").await);

        // Only the credit office drafts; the text is checked.
        let handler = sign_in(&t, "handler").await;
        let body = json!({
            "kind": "case",
            "title": "西宁曝光商贸有限公司虚假宣传被处罚",
            "summary": "典型案例",
            "body": format!("该公司法定代表人(身份证号 {ID_NUMBER})组织虚假宣传。\n市场监管部门依法作出处罚。"),
            "records": [record],
        });
        let r = send(&t, &handler, Method::POST, "/api/v1/articles", Some(body.clone())).await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = send(&t, &Auth::None, Method::POST, "/api/v1/articles", Some(body.clone())).await;
        assert_eq!(r.status, 401, "{}", r.text);
        let bad = json!({ "kind": "news", "title": "", "body": "x", "records": [record] });
        let r = send(&t, &editor, Method::POST, "/api/v1/articles", Some(bad)).await;
        assert_eq!((r.status, r.code()), (422, "invalid_article"), "{}", r.text);
        assert!(r.text.contains("标题不能为空") && r.text.contains("只有典型案例引用信用记录"), "{}", r.text);
        let r = send(&t, &editor, Method::POST, "/api/v1/articles", Some(json!({ "kind": "case", "title": "x", "body": "y", "records": [record + 999] }))).await;
        assert_eq!((r.status, r.code()), (422, "invalid_article"), "a record that does not exist: {}", r.text);

        let r = send(&t, &editor, Method::POST, "/api/v1/articles", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["state"], "draft");
        assert!(!r.text.contains(ID_NUMBER) && r.text.contains("6301**********1234"), "masked when written: {}", r.text);

        // A draft is not public; a reviewer cannot publish a draft, nor the author their own.
        assert_eq!(t.get(&format!("/news/{id}")).await.0, 404);
        assert_eq!(send(&t, &Auth::None, Method::GET, &format!("/api/v1/articles/{id}"), None).await.status, 404);
        let step = |s: &str, note: Option<&str>| Some(json!({ "step": s, "note": note }));
        let path = format!("/api/v1/articles/{id}/steps");
        let r = send(&t, &reviewer, Method::POST, &path, step("publish", None)).await;
        assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.text);
        let r = send(&t, &reviewer, Method::POST, &path, step("submit", None)).await;
        assert_eq!(r.status, 403, "only the author sends for review: {}", r.text);
        let r = send(&t, &editor, Method::POST, &path, step("submit", None)).await;
        assert_eq!((r.status, r.body["state"].as_str()), (200, Some("submitted")), "{}", r.text);
        let r = send(&t, &editor, Method::PUT, &format!("/api/v1/articles/{id}"), Some(json!({ "kind": "news", "title": "x", "body": "y" }))).await;
        assert_eq!(r.status, 409, "submitted articles are not edited: {}", r.text);
        let r = send(&t, &editor, Method::POST, &path, step("publish", None)).await;
        assert_eq!(r.status, 403, "the author does not publish: {}", r.text);
        // Nor the author's second account, a reviewer's in the same name.
        let twin = credo_app::accounts::AccountRequest {
            username: "editor-as-reviewer".into(),
            name: "测试系统管理员".into(),
            role: "reviewer".into(),
            password: Some(common::PASSWORD.into()),
            ..Default::default()
        };
        credo_app::accounts::create(&t.app, twin, "test").await.unwrap();
        let twin = sign_in(&t, "editor-as-reviewer").await;
        let r = send(&t, &twin, Method::POST, &path, Some(json!({ "step": "publish", "revision": 1 }))).await;
        assert_eq!(r.status, 403, "four eyes, not two accounts: {}", r.text);

        // Returned with a reason, edited, sent again, published.
        let r = send(&t, &reviewer, Method::POST, &path, step("return", None)).await;
        assert_eq!((r.status, r.code()), (422, "reason_required"), "{}", r.text);
        let r = send(&t, &reviewer, Method::POST, &path, step("return", Some("请补充处罚依据"))).await;
        assert_eq!((r.status, r.body["state"].as_str()), (200, Some("draft")), "{}", r.text);
        let edited = json!({
            "kind": "case",
            "title": "西宁曝光商贸有限公司虚假宣传被处罚",
            "summary": "依据《反不正当竞争法》第二十条",
            "body": format!("该公司法定代表人(身份证号 {ID_NUMBER})组织虚假宣传。\n市场监管部门依据《反不正当竞争法》第二十条作出处罚。"),
            "records": [record],
        });
        let r = send(&t, &editor, Method::PUT, &format!("/api/v1/articles/{id}"), Some(edited)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        // The second step through the console's forms.
        let r = form_post(&t, &editor, &format!("/console/articles/{id}/steps"), &[("step", "submit")]).await;
        assert_eq!((r.status, r.location()), (303, format!("/console/articles/{id}").as_str()), "{}", r.text);
        let page = send(&t, &reviewer, Method::GET, &format!("/console/articles/{id}"), None).await;
        assert!(page.text.contains("待审核") && page.text.contains("审核通过并发布"), "{}", page.text);
        assert!(!page.text.contains(ID_NUMBER));
        assert!(page.text.contains("name=\"revision\" value=\"2\""), "the form names the revision read: {}", page.text);
        let r = send(&t, &reviewer, Method::POST, &path, step("publish", None)).await;
        assert_eq!((r.status, r.code()), (422, "missing_field"), "a publication names the revision read: {}", r.text);
        let stale = form_post(&t, &reviewer, &format!("/console/articles/{id}/steps"), &[("step", "publish"), ("revision", "1")]).await;
        assert!(stale.text.contains("稿件已修改为第 2 版"), "the revision before the edit is not published: {}", stale.text);
        let r = form_post(&t, &reviewer, &format!("/console/articles/{id}/steps"), &[("step", "publish"), ("revision", "2")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let r = send(&t, &sign_in(&t, "reviewer2").await, Method::POST, &path, step("publish", None)).await;
        assert_eq!(r.status, 409, "published once: {}", r.text);

        // The public: list, page, API and feed, all masked.
        let (status, _, list) = t.get("/news?kind=case").await;
        assert_eq!(status, 200);
        assert!(list.contains(&format!("/news/{id}")) && list.contains("典型案例"), "{list}");
        let (status, _, page) = t.get(&format!("/news/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("6301**********1234") && !page.contains(ID_NUMBER), "{page}");
        assert!(page.contains(&format!("/records/{record}")) && page.contains("宁市监罚〔2026〕501号"), "{page}");
        let api = t.get_json(&format!("/api/v1/articles/{id}")).await;
        assert_eq!((api["records"][0]["id"].as_i64(), api["hidden"].as_i64()), (Some(record), Some(0)), "{api}");
        let listed = t.get_json("/api/v1/articles?kind=case").await;
        assert_eq!((listed["total"].as_i64(), listed["articles"][0]["id"].as_i64()), (Some(1), Some(id)), "{listed}");
        assert_eq!(send(&t, &Auth::None, Method::GET, "/api/v1/articles?kind=nosuch", None).await.status, 400);
        let (status, ct, feed) = t.get("/news/feed.xml").await;
        assert_eq!((status, ct.as_str()), (200, "application/atom+xml; charset=utf-8"));
        let doc = roxmltree::Document::parse(&feed).expect("the feed is well-formed XML");
        let entries: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("entry")).collect();
        assert_eq!(entries.len(), 1, "{feed}");
        assert!(feed.contains(&format!("urn:credo:630100:article:{id}")) && !feed.contains(ID_NUMBER), "{feed}");

        // The record is withdrawn: the case, which exposes its subject on the strength of it, leaves the public at
        // once, and the platform takes it down with the reason.
        let r = form_post(&t, &handler, &format!("/console/records/{record}/withdraw"), &[("reason", "处罚决定被依法撤销")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(t.get(&format!("/news/{id}")).await.0, 404, "gone from the public at once");
        assert_eq!(send(&t, &Auth::None, Method::GET, &format!("/api/v1/articles/{id}"), None).await.status, 404);
        credo_app::articles::review(&t.app).await.unwrap();
        let down = t.app.store.article(id).await.unwrap().unwrap();
        assert_eq!(down.state, credo_domain::articles::ArticleState::Withdrawn);
        assert!(down.note.as_deref().unwrap_or_default().contains(&format!("引用的信用记录 {record} 已不再公示")), "{down:?}");
        assert_eq!(t.get_json("/api/v1/articles").await["total"], 0, "nor in the list");
        let (_, _, feed) = t.get("/news/feed.xml").await;
        assert!(!feed.contains(&format!("article:{id}")), "nor in the feed: {feed}");
        // A case citing a record no longer public cannot be published.
        let again = json!({ "kind": "case", "title": "另一案例", "body": "正文", "records": [record] });
        let other = send(&t, &editor, Method::POST, "/api/v1/articles", Some(again)).await.body["id"].as_i64().unwrap();
        send(&t, &editor, Method::POST, &format!("/api/v1/articles/{other}/steps"), step("submit", None)).await;
        let publish = Some(json!({ "step": "publish", "revision": 1 }));
        let r = send(&t, &reviewer, Method::POST, &format!("/api/v1/articles/{other}/steps"), publish).await;
        assert_eq!((r.status, r.code()), (422, "invalid_article"), "{}", r.text);

        // Taken down already: a reviewer's step finds it so.
        let r = send(&t, &reviewer, Method::POST, &path, step("withdraw", Some("引用的处罚已撤销"))).await;
        assert_eq!(r.status, 409, "{}", r.text);

        // Every step is in the audit trail, with who took it.
        let mut events = t.app.store.audit_for_target(&format!("article:{id}"), 100).await.unwrap();
        events.reverse();
        let steps: Vec<(String, String)> = events.iter().map(|e| (e.event.action.clone(), e.event.actor.clone())).collect();
        let want = [
            ("article.draft", "editor"),
            ("article.submit", "editor"),
            ("article.return", "reviewer"),
            ("article.edit", "editor"),
            ("article.submit", "editor"),
            ("article.publish", "reviewer"),
            ("article.withdraw", "platform"),
        ];
        assert_eq!(steps, want.map(|(a, b)| (a.to_string(), b.to_string())));
    })
    .await;
}
