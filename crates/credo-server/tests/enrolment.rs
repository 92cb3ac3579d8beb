//! Accounts for subjects on the website: an enterprise applies online with its documents, the security
//! administrator approves it (the account is opened, bound to the subject, with a one-time link), the applicant sets
//! the password once through the link and signs in, changes the password on `/me`; a refused or repeated decision,
//! a used or expired link and a password that breaks the rule are each answered plainly.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{COMPANY, TestApp, add_account, sign_in, spawn};
use credo_synth::builders::Penalty;
use serde_json::json;

const NEW_PASSWORD: &str = "Credit-2026-Mima";

async fn penalty(t: &TestApp) {
    let p = Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY).number("宁市监罚〔2026〕5号");
    let (status, s) = t.post_batch(json!({ "item": "xzcf", "records": [p] })).await;
    assert_eq!(status, 200, "{s}");
}

/// Posts the application form (multipart, with a solved challenge); returns status and page.
async fn apply(t: &TestApp, username: &str, code: &str, files: bool) -> (u16, String) {
    let c = common::solved_challenge(t).await;
    let mut form = reqwest::multipart::Form::new()
        .text("kind", "organisation")
        .text("code", code.to_string())
        .text("name", "西宁市城东区鑫源商贸有限公司")
        .text("representative", "马鑫源")
        .text("contact", "13900000000")
        .text("username", username.to_string())
        .text("challenge_token", c["token"].as_str().unwrap().to_string())
        .text("challenge_answer", c["answer"].as_str().unwrap().to_string());
    if files {
        form = form
            .part("files", reqwest::multipart::Part::bytes(b"%PDF-1.4 licence".to_vec()).file_name("营业执照.pdf"))
            .part("files", reqwest::multipart::Part::bytes(b"%PDF-1.4 letter".to_vec()).file_name("授权委托书.pdf"));
    }
    let r = t.http.post(format!("{}/register", t.base)).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A signed-in page request with the session cookie (and the CSRF token for forms).
async fn form(t: &TestApp, auth: &common::Auth, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let common::Auth::Session { cookie, csrf } = auth else { panic!("a session") };
    let mut body: Vec<(&str, &str)> = fields.to_vec();
    body.push(("csrf", csrf));
    let r = t.http.post(format!("{}{path}", t.base)).header("cookie", cookie).form(&body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get_as(t: &TestApp, auth: &common::Auth, path: &str) -> (u16, String) {
    let common::Auth::Session { cookie, .. } = auth else { panic!("a session") };
    let r = t.http.get(format!("{}{path}", t.base)).header("cookie", cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn link_in(page: &str) -> String {
    page.split("<code id=\"one-time-link\">").nth(1).unwrap().split('<').next().unwrap().replace("&#61;", "=")
}

#[tokio::test]
async fn an_enterprise_applies_is_approved_sets_its_password_and_signs_in() {
    common::on_both(async || {
        let t = spawn().await;
        penalty(&t).await;
        add_account(&t, "secadmin", "secadmin").await;
        let admin = sign_in(&t, "secadmin").await;

        // Refused with clear messages: no documents, a mistyped code, a taken user name.
        let (status, page) = apply(&t, "xinyuan", COMPANY, false).await;
        assert_eq!(status, 200);
        assert!(page.contains("请上传营业执照和授权委托书"), "{page}");
        assert!(page.contains("value=\"xinyuan\""), "the form comes back filled in");
        let bad = format!("{}{}", &COMPANY[..17], if COMPANY.ends_with('A') { 'B' } else { 'A' });
        let (_, page) = apply(&t, "xinyuan", &bad, true).await;
        assert!(page.contains("统一社会信用代码无效") && page.contains("校验位"), "{page}");
        let (_, page) = apply(&t, "secadmin", COMPANY, true).await;
        assert!(page.contains("已被使用"), "{page}");

        let (status, page) = apply(&t, "xinyuan", COMPANY, true).await;
        assert_eq!(status, 200, "{page}");
        let number = page.split("申请编号:").nth(1).unwrap().split('。').next().unwrap().to_string();
        assert!(number.starts_with("ZH"), "{number}");
        // Documents and contact are sealed at rest.
        assert!(common::assert_nowhere_in_data(&t, &["13900000000", "马鑫源"]).await > 0, "the data was read");

        // The review: visible to the security administrator only, with the subject found and the documents.
        let (status, _, _) = t.get("/admin/enrolments").await;
        assert_eq!(status, 303, "anonymous visitors are sent to sign in");
        add_account(&t, "auditor", "auditor").await;
        let auditor = sign_in(&t, "auditor").await;
        assert_eq!(get_as(&t, &auditor, "/admin/enrolments").await.0, 403);
        let (status, page) = get_as(&t, &admin, "/admin/enrolments").await;
        assert_eq!(status, 200);
        assert!(page.contains(&number) && page.contains("名称一致") && page.contains("营业执照.pdf"), "{page}");
        let file = format!("/admin/enrolments/{number}/files/1");
        let (status, body) = get_as(&t, &admin, &file).await;
        assert_eq!((status, body.as_str()), (200, "%PDF-1.4 licence"));

        // Approved once: a second decision is refused.
        let (status, page) = form(&t, &admin, &format!("/admin/enrolments/{number}"), &[("decision", "approve")]).await;
        assert_eq!(status, 200, "{page}");
        let link = link_in(&page);
        assert!(link.starts_with("/account/password?token="), "{link}");
        let (status, _) =
            form(&t, &admin, &format!("/admin/enrolments/{number}"), &[("decision", "refuse"), ("reason", "重复")])
                .await;
        assert_eq!(status, 409);
        let account = t.app.store.account_by_username("xinyuan").await.unwrap().unwrap();
        let subject = t.app.store.subject_by_code(COMPANY).await.unwrap().unwrap();
        assert_eq!((account.role.as_str(), account.subject_id), ("subject", Some(subject.id)));

        // The link sets the password once; a password that breaks the rule gets a fresh link back.
        let token = link.split("token=").nth(1).unwrap();
        let set = |token: String, password: &'static str| {
            let (http, base) = (t.http.clone(), t.base.clone());
            async move {
                let body = [("token", token.as_str()), ("password", password), ("confirm", password)];
                let r = http.post(format!("{base}/account/password")).form(&body).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (_, page) = set(token.to_string(), "short").await;
        assert!(page.contains("role=\"alert\""), "{page}");
        let fresh = page.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_ne!(fresh, token);
        let (_, page) = set(token.to_string(), NEW_PASSWORD).await;
        assert!(page.contains("链接已失效"), "the first link was used: {page}");
        let (_, page) = set(fresh.clone(), NEW_PASSWORD).await;
        assert!(page.contains("密码已设置"), "{page}");
        let (_, page) = set(fresh, NEW_PASSWORD).await;
        assert!(page.contains("链接已失效"), "used once: {page}");

        let r = common::sign_in_with(&t, "xinyuan", NEW_PASSWORD, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let me = sign_in_as(&t, "xinyuan", NEW_PASSWORD).await;
        let (status, page) = get_as(&t, &me, "/me").await;
        assert_eq!(status, 200);
        assert!(page.contains("宁市监罚〔2026〕5号") && page.contains("修改密码"), "{page}");

        // Changing the password: the current one first; then the old sessions end.
        let (_, page) = form(
            &t,
            &me,
            "/me/password",
            &[("current", "wrong"), ("password", "Another-Pass-2026"), ("confirm", "Another-Pass-2026")],
        )
        .await;
        assert!(page.contains("当前密码不正确"), "{page}");
        let (_, page) = form(
            &t,
            &me,
            "/me/password",
            &[("current", NEW_PASSWORD), ("password", "Another-Pass-2026"), ("confirm", "Another-Pass-2026")],
        )
        .await;
        assert!(page.contains("密码已修改"), "{page}");
        assert_eq!(get_as(&t, &me, "/me").await.0, 303, "the session ended with the old password");
        assert_eq!(common::sign_in_with(&t, "xinyuan", "Another-Pass-2026", None).await.status, 200);

        // A reset link from the security administrator, for subject accounts only.
        let (status, page) = form(&t, &admin, &format!("/admin/accounts/{}/reset-link", account.id), &[]).await;
        assert_eq!(status, 200, "{page}");
        assert!(link_in(&page).starts_with("/account/password?token="));
        let admin_id = t.app.store.account_by_username("secadmin").await.unwrap().unwrap().id;
        let (status, _) = form(&t, &admin, &format!("/admin/accounts/{admin_id}/reset-link"), &[]).await;
        assert_eq!(status, 400, "not for staff accounts");

        // A refusal keeps the reason, opens nothing.
        let (_, page) = apply(&t, "xinyuan2", COMPANY, true).await;
        let second = page.split("申请编号:").nth(1).unwrap().split('。').next().unwrap().to_string();
        let (status, page) =
            form(&t, &admin, &format!("/admin/enrolments/{second}"), &[("decision", "refuse"), ("reason", "已有账号")])
                .await;
        assert_eq!(status, 200, "{page}");
        let e = t.app.store.enrolment(&second).await.unwrap().unwrap();
        assert_eq!((e.state.as_str(), e.reason.as_deref()), ("未通过", Some("已有账号")));
        assert!(t.app.store.account_by_username("xinyuan2").await.unwrap().is_none());
        // Every step is in the audit trail.
        let trail = t.app.store.audit_after(0, 1000).await.unwrap();
        for action in [
            "enrolment.apply",
            "enrolment.approve",
            "enrolment.refuse",
            "account.password_by_link",
            "account.password",
            "account.reset_link",
        ] {
            assert!(trail.iter().any(|e| e.event.action == action), "{action} audited");
        }
    })
    .await;
}

async fn sign_in_as(t: &TestApp, username: &str, password: &str) -> common::Auth {
    let r = common::sign_in_with(t, username, password, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let set = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    common::Auth::Session {
        cookie: set.split(';').next().unwrap().to_string(),
        csrf: r.body["csrf"].as_str().unwrap().to_string(),
    }
}
