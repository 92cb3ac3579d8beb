//! Withdrawal deadlines on the operators' dashboards (issue 12, part 3): a list entry removed by the 认定单位 must
//! leave the public site within 3 working days; the console and the dashboard show the ones that did so late.

#![allow(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use common::{COMPANY, DEPT, add_account, send, sign_in};
use credo_store::Permissions;
use credo_synth::builders::AbnormalListing;
use reqwest::Method;
use serde_json::json;
use time::macros::date;

fn entry(number: &str, removed: Option<&str>) -> AbnormalListing {
    let r = AbnormalListing::of("西宁高原测试贸易有限公司", COMPANY).number(number).listed("2025-07-01");
    match removed {
        Some(d) => r.removed(d),
        None => r,
    }
}

#[tokio::test]
async fn a_removal_received_after_its_deadline_is_listed_late_with_its_days() {
    common::on_both(async || {
        let t = common::spawn().await;
        // The receipt day is the wall clock's: the app's today must be the same day for the removal dates to be valid.
        let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
        t.app.clock.set(today);
        let dept = t.app.store.department_by_uscc(DEPT).await.unwrap().unwrap();
        let mut permissions: Permissions = dept.permissions.clone();
        permissions.items.push("jyyc".into());
        credo_app::admin::set_permissions(&t.app, DEPT, &permissions, None).await.unwrap();

        let listed = [entry("西市监异〔2025〕1号", None), entry("西市监异〔2025〕2号", None)];
        let (status, s) = t.post_batch(json!({ "item": "jyyc", "records": listed })).await;
        assert_eq!((status, s["accepted"].as_u64()), (200, Some(2)), "{s}");
        // One removed on 2026-01-05 (Monday) and reported only now; one removed today.
        let removed =
            [entry("西市监异〔2025〕1号", Some("2026-01-05")), entry("西市监异〔2025〕2号", Some(&today.to_string()))];
        let (status, s) = t.post_batch(json!({ "item": "jyyc", "records": removed })).await;
        assert_eq!((status, s["accepted"].as_u64()), (200, Some(2)), "{s}");

        let l = credo_server::portal::console::lateness(&t.app, None, today).await.unwrap();
        assert_eq!((l.tracked, l.late, l.pending), (2, 1, 0), "{l:?}");
        let late = &l.rows[0];
        // 2026-01-05 + 3 working days = 2026-01-08 (Thursday); withdrawn on the day it was received.
        assert_eq!(
            (late.event_on, late.due, late.withdrawn),
            (date!(2026 - 01 - 05), date!(2026 - 01 - 08), Some(today))
        );
        assert_eq!(late.late_days, (today - date!(2026 - 01 - 08)).whole_days());
        assert_eq!(late.event, "移出日期");
        assert!(late.deadline.contains("3 个工作日") && late.unverified, "{}", late.deadline);
        let none = credo_server::portal::console::lateness(&t.app, Some(dept.id + 1), today).await.unwrap();
        assert_eq!((none.tracked, none.late), (0, 0), "another department sees none of these");

        // The department's console and the platform's dashboard say the same, in Chinese.
        add_account(&t, "submitter", "submitter").await;
        add_account(&t, "ops", "sysadmin").await;
        let days = format!("超期 {} 日", late.late_days);
        for (user, path) in [("submitter", "/console"), ("ops", "/admin")] {
            let auth = sign_in(&t, user).await;
            let page = send(&t, &auth, Method::GET, path, None).await;
            assert_eq!(page.status, 200, "{path}: {}", page.text);
            let text = page.text.replace(['\n', ' '], "");
            assert!(text.contains("应停止公示的记录2条,其中超期<strong>1</strong>条"), "{path}: {}", page.text);
            assert!(page.text.contains(&days) && page.text.contains("2026-01-08"), "{path}");
            assert!(
                page.text.contains("名单移出后停止公示") && page.text.contains("总局令第45号"),
                "{path}: deadlines"
            );
        }
    })
    .await;
}
