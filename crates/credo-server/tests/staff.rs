//! Staff work in the browser, over HTTP as the pages' forms post it: the checker's check with its receipt and
//! feedback, the operators' departments, permissions, keys and accounts (each role only its own duties), the
//! auditor's trail with filters and the chain's verification, a correction through the field picker, and the
//! submitter's templates, single-record entry, batch reports and 撤销.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{Auth, COMPANY, DEPT, TestApp, add_account, form_post, send, sign_in, spawn};
use credo_synth::builders::{AbnormalListing, Penalty, Registration};
use reqwest::Method;
use serde_json::json;

const NAME: &str = "西宁市城东区鑫源商贸有限公司";

async fn page(t: &TestApp, auth: &Auth, path: &str) -> common::Reply {
    send(t, auth, Method::GET, path, None).await
}

/// A department registered, its checker's jyyc listing granted by the security administrator, the company listed.
async fn listed_company(t: &TestApp) {
    let (_, s) = t.post_batch(json!({ "item": "djzc", "records": [Registration::of(NAME, COMPANY)] })).await;
    assert_eq!(s["accepted"], 1, "{s}");
    let mut dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
    dept.permissions.items.push("jyyc".into());
    credo_app::admin::set_permissions(&t.app, DEPT, &dept.permissions, None).await.unwrap();
    let (_, s) = t.post_batch(json!({ "item": "jyyc", "records": [AbnormalListing::of(NAME, COMPANY)] })).await;
    assert_eq!(s["accepted"], 1, "{s}");
}

#[tokio::test]
async fn a_checker_checks_from_the_form_reads_the_receipt_and_gives_feedback() {
    common::on_both(async || {
        let t = spawn().await;
        listed_company(&t).await;
        add_account(&t, "checker", "checker").await;
        let checker = sign_in(&t, "checker").await;

        let form = page(&t, &checker, "/console/checks").await;
        assert_eq!(form.status, 200, "{}", form.text);
        assert!(form.text.contains("value=\"zfcg\""), "the department's scenes are offered");
        // Refusals come back on the form with what was typed.
        let r =
            form_post(&t, &checker, "/console/checks", &[("scene", "zfcg"), ("purpose", " "), ("subjects", COMPANY)])
                .await;
        assert_eq!(r.status, 422, "a refused form is shown again as refused");
        assert!(r.text.contains("核查事由") && r.text.contains(COMPANY), "{}", r.text);

        let r = form_post(
            &t,
            &checker,
            "/console/checks",
            &[
                ("scene", "zfcg"),
                ("purpose", "市政道路维修项目采购资格审查"),
                ("subjects", &format!("{COMPANY}\n不存在的公司")),
            ],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let receipt_path = r.location().to_string();
        assert!(receipt_path.starts_with("/console/checks/"), "{receipt_path}");
        let id = receipt_path.trim_start_matches("/console/checks/").to_string();

        let receipt = page(&t, &checker, &receipt_path).await;
        assert_eq!(receipt.status, 200);
        assert!(receipt.text.contains(NAME) && receipt.text.contains("限制"), "the hit in words: {}", receipt.text);
        assert!(receipt.text.contains("未找到该主体"), "the second line did not resolve");
        let measure = t.app.catalog.measures.measures.iter().find(|m| m.name == "限制参加政府采购").unwrap();
        let basis = credo_domain::measures::Basis::cite_all(&measure.basis);
        assert!(!basis.is_empty() && receipt.text.contains(&basis), "the legal basis is cited: {basis}");
        assert!(receipt.text.contains("反馈处理结果"), "a hit asks for feedback");
        // Each subject asked about is in the audit trail.
        let events = t.app.store.audit_after(0, 10_000).await.unwrap();
        assert!(events.iter().any(|e| e.event.action == "check.zfcg" && e.event.actor == "checker"));

        // The signed receipt verifies with the platform's key.
        let file = page(&t, &checker, &format!("{receipt_path}/receipt.json")).await;
        assert_eq!(file.status, 200);
        assert!(file.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(credo_app::checks::verify_receipt(&file.text, None).unwrap(), id);

        // Feedback: 未采纳 needs a reason; once given, the result says so and cannot be answered again.
        let fb = format!("{receipt_path}/feedback");
        let r = form_post(&t, &checker, &fb, &[("position", "0"), ("action", "未采纳"), ("reason", "")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("须说明理由"), "{}", r.text);
        let r = form_post(&t, &checker, &fb, &[("position", "0"), ("action", "已惩戒")]).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let receipt = page(&t, &checker, &receipt_path).await;
        assert!(receipt.text.contains("已反馈:已惩戒"), "{}", receipt.text);
        let r = form_post(&t, &checker, &fb, &[("position", "0"), ("action", "已激励")]).await;
        assert!(r.text.contains("已反馈"), "a second answer is refused: {}", r.text);
        assert_eq!(t.app.store.pending_feedback(None, 10).await.unwrap().len(), 0);
        let history = page(&t, &checker, "/console/checks").await;
        assert!(history.text.contains(&id), "the check is in the department's history");

        // Another department's checker finds nothing; a handler may not check at all.
        let other = t
            .app
            .store
            .add_department(credo_store::NewDepartment {
                uscc: "11630100MB1742268T".into(),
                name: "西宁市税务局".into(),
                region: None,
                created_by: "test".into(),
                permissions: credo_store::Permissions { scenes: vec!["zfcg".into()], ..Default::default() },
            })
            .await;
        if let Ok(other) = other {
            let req = credo_app::accounts::AccountRequest {
                username: "checker_b".into(),
                name: "另一部门核查员".into(),
                role: "checker".into(),
                department: Some(other.uscc),
                subject: None,
                password: Some(common::PASSWORD.into()),
                region: None,
            };
            credo_app::accounts::create(&t.app, req, "test").await.unwrap();
            let b = sign_in(&t, "checker_b").await;
            assert_eq!(page(&t, &b, &receipt_path).await.status, 404);
            assert_eq!(form_post(&t, &b, &fb, &[("position", "0"), ("action", "已惩戒")]).await.status, 404);
        }
        add_account(&t, "handler", "handler").await;
        let handler = sign_in(&t, "handler").await;
        assert_eq!(page(&t, &handler, "/console/checks").await.status, 403);
    })
    .await;
}

#[tokio::test]
async fn operators_do_their_own_duties_in_the_browser_and_no_other() {
    common::on_both(async || {
        let t = spawn().await;
        for role in ["sysadmin", "secadmin", "auditor"] {
            add_account(&t, role, role).await;
        }
        let (sys, sec, aud) =
            (sign_in(&t, "sysadmin").await, sign_in(&t, "secadmin").await, sign_in(&t, "auditor").await);
        const NEW: &str = "11630100MB1742268T";

        // 系统管理员 registers a department; the others may not.
        let fields = [("uscc", NEW), ("name", "西宁市税务局"), ("region", "")];
        assert_eq!(form_post(&t, &sec, "/admin/departments", &fields).await.status, 403);
        let bad = form_post(&t, &sys, "/admin/departments", &[("uscc", "11630100MB1742260Z"), ("name", "x")]).await;
        assert!(bad.status == 422 && bad.text.contains("无效"), "a wrong check character: {}", bad.text);
        let r = form_post(&t, &sys, "/admin/departments", &fields).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert!(page(&t, &sys, "/admin/departments").await.text.contains("西宁市税务局"));
        let sys_view = page(&t, &sys, &format!("/admin/departments/{NEW}")).await;
        assert!(!sys_view.text.contains("permissions-form"), "permissions are not the system administrator's");

        // 安全管理员 grants permissions and issues a key; the system administrator may not.
        let grant = [("item", "xzcf"), ("scene", "zfcg"), ("disclosure", "公开"), ("disclosure", "政务共享")];
        let path = format!("/admin/departments/{NEW}/permissions");
        assert_eq!(form_post(&t, &sys, &path, &grant).await.status, 403);
        assert_eq!(form_post(&t, &sec, &path, &grant).await.status, 303);
        let d = t.app.store.department_by_uscc(NEW).await.unwrap().unwrap();
        assert_eq!((d.permissions.items, d.permissions.scenes), (vec!["xzcf".to_string()], vec!["zfcg".to_string()]));
        let r = form_post(&t, &sec, &path, &[("item", "nonsense")]).await;
        assert!(r.text.contains("未知的目录项"), "{}", r.text);

        let r =
            form_post(&t, &sec, &format!("/admin/departments/{NEW}/keys"), &[("scope", "check"), ("days", "30")]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let key = r.text.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        assert!(key.starts_with("credo_"), "{key}");
        let prefix = key.split('_').nth(1).unwrap().to_string();
        let asked = send(&t, &Auth::Key(key.clone()), Method::GET, "/api/v1/checks/stats", None).await;
        assert_eq!(asked.status, 200, "the key works at once");
        assert_eq!(form_post(&t, &sec, &format!("/admin/keys/{prefix}/revoke"), &[]).await.status, 303);
        let asked = send(&t, &Auth::Key(key), Method::GET, "/api/v1/checks/stats", None).await;
        assert_eq!(asked.status, 401, "revoked");

        // 安全管理员 opens a department user (password and TOTP shown once), disables and enables it.
        let user = [("role", "checker"), ("username", "tax.checker"), ("name", "税务核查员"), ("department", NEW)];
        assert_eq!(form_post(&t, &aud, "/admin/accounts", &user).await.status, 403);
        let r = form_post(&t, &sec, "/admin/accounts", &user).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("初始密码") && r.text.contains("动态口令密钥"), "{}", r.text);
        let a = t.app.store.account_by_username("tax.checker").await.unwrap().unwrap();
        assert_eq!((a.role.as_str(), a.department_id), ("checker", Some(d.id)));
        let state = format!("/admin/accounts/{}/state", a.id);
        assert_eq!(form_post(&t, &sec, &state, &[("change", "disable")]).await.status, 303);
        assert!(t.app.store.account(a.id).await.unwrap().unwrap().disabled);
        assert_eq!(form_post(&t, &sec, &state, &[("change", "enable")]).await.status, 303);
        assert!(!t.app.store.account(a.id).await.unwrap().unwrap().disabled);
        // Operator accounts are the server's: neither opened nor disabled here.
        let r = form_post(&t, &sec, "/admin/accounts", &[("role", "auditor"), ("username", "aud2"), ("name", "审计")])
            .await;
        assert!(r.text.contains("三员分立"), "{}", r.text);
        let op = t.app.store.account_by_username("auditor").await.unwrap().unwrap();
        let r = form_post(&t, &sec, &format!("/admin/accounts/{}/state", op.id), &[("change", "disable")]).await;
        assert!(r.text.contains("三员分立"), "{}", r.text);
        assert!(!t.app.store.account(op.id).await.unwrap().unwrap().disabled);

        // Every change is in the audit trail, with who made it.
        let events = t.app.store.audit_after(0, 10_000).await.unwrap();
        for (actor, action) in [
            ("sysadmin", "department.manage"),
            ("secadmin", "department.permissions"),
            ("secadmin", "key.manage"),
            ("secadmin", "account.manage"),
        ] {
            assert!(events.iter().any(|e| e.event.actor == actor && e.event.action == action), "{actor} {action}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_auditor_filters_the_trail_and_verifies_the_chain() {
    common::on_both(async || {
        let t = spawn().await;
        for role in ["auditor", "secadmin"] {
            add_account(&t, role, role).await;
        }
        let (aud, sec) = (sign_in(&t, "auditor").await, sign_in(&t, "secadmin").await);
        page(&t, &sec, "/admin/accounts").await;
        assert_eq!(page(&t, &sec, "/admin/audit").await.status, 403, "the trail is the auditor's alone");

        let all = page(&t, &aud, "/admin/audit").await;
        assert_eq!(all.status, 200);
        assert!(all.text.contains("<code>secadmin</code>") && all.text.contains("<code>auditor</code>"));
        let mine = page(&t, &aud, "/admin/audit?actor=secadmin").await;
        assert!(mine.text.contains("<code>secadmin</code>"), "{}", mine.text);
        assert!(!mine.text.contains("<code>auditor</code>"), "filtered by actor");
        let signs = page(&t, &aud, "/admin/audit?action=session").await;
        assert!(signs.text.contains("会话登录") && !signs.text.contains("account.read"), "{}", signs.text);
        let future = page(&t, &aud, "/admin/audit?from=2999-01-01").await;
        assert!(future.text.contains("没有符合条件的审计事件"));
        let bad = page(&t, &aud, "/admin/audit?from=2026-13-01").await;
        assert!(bad.text.contains("不是有效日期"), "{}", bad.text);

        // Paging goes back through the whole trail without repeating an event.
        for _ in 0..60 {
            page(&t, &sec, "/admin/accounts").await;
        }
        let first = page(&t, &aud, "/admin/audit").await;
        let next = first.text.split("href=\"/admin/audit?before=").nth(1).unwrap().split('"').next().unwrap();
        let older = page(&t, &aud, &format!("/admin/audit?before={next}")).await;
        assert_eq!(older.status, 200);
        let seq: i64 = next.parse().unwrap();
        assert!(
            older.text.contains(&format!("<td data-label=\"序号\">{}</td>", seq - 1)),
            "the page goes on below {seq}"
        );

        let verified = page(&t, &aud, "/admin/audit/verify").await;
        assert!(verified.text.contains("审计日志完好"), "{}", verified.text);
        // An event rewritten behind the platform's back is found.
        assert_eq!(common::execute(&t, "UPDATE audit_events SET actor = 'nobody' WHERE seq = 2").await, 1);
        let broken = page(&t, &aud, "/admin/audit/verify").await;
        assert!(broken.text.contains("校验未通过") && broken.text.contains("第 2 个"), "{}", broken.text);
    })
    .await;
}

#[tokio::test]
async fn a_correction_is_picked_by_field_name_with_the_old_value() {
    common::on_both(async || {
        let t = spawn().await;
        let (_, s) = t.post_batch(json!({ "item": "djzc", "records": [Registration::of(NAME, COMPANY)] })).await;
        assert_eq!(s["accepted"], 1);
        let penalty =
            Penalty::of(NAME, COMPANY).number("宁市监罚〔2026〕7号").kinds("罚款").fine("15").decided("2026-11-20");
        let (_, s) = t.post_batch(json!({ "item": "xzcf", "records": [penalty] })).await;
        assert_eq!(s["accepted"], 1, "{s}");
        let id = t
            .app
            .store
            .department_records(t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap().id, 5)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.item == "xzcf")
            .unwrap()
            .id;
        add_account(&t, "handler", "handler").await;
        let handler = sign_in(&t, "handler").await;
        let mut objection =
            json!({ "record": id, "reason": "罚款金额登记有误", "contact": { "name": "王五", "phone": "0971-8888888" } });
        objection["challenge"] = common::solved_challenge(&t).await;
        let filed = send(&t, &Auth::None, Method::POST, "/api/v1/objections", Some(objection)).await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        let number = filed.body["number"].as_str().unwrap().to_string();
        let case = format!("/console/cases/{number}");
        let r = form_post(&t, &handler, &case, &[("outcome", "受理"), ("reason", "已受理")]).await;
        assert_eq!(r.status, 303, "{}", r.text);

        let open = form_post(&t, &handler, &format!("/console/records/{id}/withdraw"), &[("reason", "误报")]).await;
        assert!(open.status == 422 && open.text.contains(&number), "not while the objection is open: {}", open.text);
        let form = page(&t, &handler, &case).await;
        assert!(form.text.contains("id=\"correction\""), "{}", form.text);
        assert!(form.text.contains("name=\"field.CF_NR_FK\""), "the fine is offered by its name");
        assert!(!form.text.contains("name=\"field.CF_WSH\""), "the document number identifies the record");
        assert!(!form.text.contains("name=\"field.CF_XDR_SHXYM\""), "the subject's code is not corrected");
        let moved = [("outcome", "更正"), ("reason", "改主体"), ("field.CF_XDR_SHXYM", "91630100MA7X00026E")];
        let r = form_post(&t, &handler, &case, &moved).await;
        assert!(r.status == 422 && r.text.contains("另一主体"), "{}", r.text);
        assert!(!form.text.contains("CF_NR_FK=8"), "no internal codes to type");
        let fine_row = form.text.split("field-CF_NR_FK\">").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(fine_row.contains("15"), "the old value is shown: {fine_row}");

        let r = form_post(
            &t,
            &handler,
            &case,
            &[("outcome", "更正"), ("reason", "经核查更正"), ("field.CF_NR_FK", "8"), ("field.CF_SY", "")],
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let v = t.app.store.records_by_ids(&[id]).await.unwrap().remove(0);
        assert_eq!((v.version, v.fields["CF_NR_FK"].as_str()), (2, "8"));
        assert!(v.fields.get("CF_SY").is_some_and(|s| !s.is_empty()), "a field left empty is not changed");
    })
    .await;
}

#[tokio::test]
async fn a_submitter_uses_the_template_enters_one_record_reads_reports_and_withdraws() {
    common::on_both(async || {
        let t = spawn().await;
        add_account(&t, "submitter", "submitter").await;
        let sub = sign_in(&t, "submitter").await;

        // The template: the national headers and an example row that the platform accepts as it is.
        let csv = page(&t, &sub, "/console/templates/xzcf.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.text.contains("行政相对人名称") && csv.text.contains("行政处罚决定书文号"), "{}", csv.text);
        let xlsx = t
            .http
            .get(format!("{}/console/templates/xzcf.xlsx", t.base))
            .header("cookie", cookie(&sub))
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"), "a workbook");
        assert_eq!(
            page(&t, &sub, "/console/templates/jyyc.csv").await.status,
            404,
            "an item the department may not submit"
        );
        let part = reqwest::multipart::Part::bytes(csv.text.into_bytes()).file_name("xzcf.csv");
        let form = reqwest::multipart::Form::new().text("csrf", csrf(&sub)).text("item", "xzcf").part("file", part);
        let r = t
            .http
            .post(format!("{}/console/upload", t.base))
            .header("cookie", cookie(&sub))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains("全部行均已接收"), "{text}");
        assert!(text.contains("<option value=\"xzcf\" selected>"), "the item stays chosen after the upload");

        // One record typed in: refused with the report and what was typed kept, then accepted.
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let entry = page(&t, &sub, "/console/records/new?item=xzcf").await;
        assert!(entry.text.contains("name=\"field.CF_WSH\""), "{}", entry.text);
        let mut fields: Vec<(String, String)> = credo_domain::template::headers(t.app.catalog.item("xzcf").unwrap())
            .into_iter()
            .zip(credo_domain::template::example(
                t.app.catalog.item("xzcf").unwrap(),
                &credo_domain::template::Department { name: &dept.name, uscc: &dept.uscc },
            ))
            .zip(t.app.catalog.item("xzcf").unwrap().fields.iter())
            .map(|((_, v), f)| (format!("field.{}", f.code), v))
            .collect();
        fields.push(("item".into(), "xzcf".into()));
        let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
            fields.iter_mut().find(|(key, _)| key == k).unwrap().1 = v.to_string();
        };
        set(&mut fields, "field.CF_WSH", "宁市监罚〔2026〕99号");
        // Decided last week, so that it is still shown in public (the example's day is long past its period).
        let decided = format!("field.{}", t.app.catalog.item("xzcf").unwrap().decision_date.clone().unwrap());
        set(&mut fields, &decided, "2026-11-20");
        // A fine, not a warning alone: warnings are not published (总局令第45号).
        set(&mut fields, "field.CF_CFLB", "罚款");
        set(&mut fields, "field.CF_NR_FK", "1");
        set(&mut fields, "field.CF_XDR_SHXYM", "91630100MA7X00018X");
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = form_post(&t, &sub, "/console/records", &borrowed).await;
        assert!(r.text.contains("错误(拒收)") && r.text.contains("宁市监罚〔2026〕99号"), "refused, kept: {}", r.text);
        set(&mut fields, "field.CF_XDR_SHXYM", COMPANY);
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = form_post(&t, &sub, "/console/records", &borrowed).await;
        assert!(r.text.contains("全部行均已接收"), "{}", r.text);

        // The batches, each with its report to read and download.
        let batches = t.app.store.recent_batches(Some(dept.id), 10).await.unwrap();
        let refused = batches.iter().find(|b| b.rejected == 1).unwrap().batch;
        let list = page(&t, &sub, "/console/batches").await;
        assert!(list.text.contains(&format!("/console/batches/{refused}/report.csv")), "{}", list.text);
        let report = page(&t, &sub, &format!("/console/batches/{refused}/report.csv")).await;
        assert!(report.text.contains("行号") && report.text.contains("统一社会信用代码"), "{}", report.text);

        // 撤销 with a reason: the public no longer sees it, and the trail says why.
        let id = t
            .app
            .store
            .department_records(dept.id, 5)
            .await
            .unwrap()
            .iter()
            .find(|r| r.fields.get("CF_WSH").is_some_and(|w| w.contains("99号")))
            .unwrap()
            .id;
        let shown = page(&t, &sub, &format!("/console/records/{id}")).await;
        assert_eq!(t.get(&format!("/records/{id}")).await.0, 200, "{}", shown.text);
        assert!(!shown.text.contains("withdraw-form"), "the submitter does not 撤销");
        let withdraw = format!("/console/records/{id}/withdraw");
        let reason = [("reason", "该决定已经行政复议撤销")];
        assert_eq!(form_post(&t, &sub, &withdraw, &reason).await.status, 403, "the department's 案件办理员 does");
        add_account(&t, "handler", "handler").await;
        let handler = sign_in(&t, "handler").await;
        let r = form_post(&t, &handler, &withdraw, &[("reason", "")]).await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("请填写撤销理由"), "{}", r.text);
        let r = form_post(&t, &handler, &withdraw, &reason).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let r = form_post(&t, &handler, &withdraw, &reason).await;
        assert!(r.status == 422 && r.text.contains("已撤销"), "once: {}", r.text);
        let after = page(&t, &handler, &format!("/console/records/{id}")).await;
        assert!(
            after.text.contains("已撤销")
                && after.text.contains("报送部门撤销")
                && !after.text.contains("withdraw-form")
        );
        assert_ne!(t.get(&format!("/records/{id}")).await.0, 200, "no longer public");
        let events = t.app.store.audit_after(0, 10_000).await.unwrap();
        assert!(events.iter().any(|e| e.event.action == "record.withdraw" && e.event.result.contains("行政复议")));
        // The page's audit event says done for the redirect, refused for the form shown again.
        let posts: Vec<&str> = events
            .iter()
            .filter(|e| e.event.target.as_deref() == Some(withdraw.as_str()) && e.event.actor == "handler")
            .map(|e| e.event.result.as_str())
            .collect();
        assert_eq!(posts, ["error: 422", "ok", "error: 422"], "{posts:?}");
    })
    .await;
}

fn cookie(a: &Auth) -> String {
    match a {
        Auth::Session { cookie, .. } => cookie.clone(),
        _ => panic!("a session"),
    }
}

fn csrf(a: &Auth) -> String {
    match a {
        Auth::Session { csrf, .. } => csrf.clone(),
        _ => panic!("a session"),
    }
}
