//! The demo's 政务诚信 (issue 22): the credit office; a district bureau with an arrears finding against it, one 政务承诺
//! overdue and one open; a public institution that kept its commitment; the organisation department granted the
//! civil servants' archive, with one archive; two credit service agencies on the register.

use credo_app::App;
use credo_store::{AgencyEvaluation, NewAgency, NewGovCommitment, Permissions};
use credo_synth::uscc_from;
use time::Duration;

use crate::programmes::{department, row, submit};

/// Seeds 政务诚信; returns what to print (what, path).
pub async fn seed(app: &App) -> anyhow::Result<Vec<(&'static str, String)>> {
    let rules = app.catalog.integrity.as_ref().ok_or_else(|| anyhow::anyhow!("目录未配置政务诚信规则"))?;
    let today = app.clock.today();
    let office_code = uscc_from("11", "630100", "XYB00001");
    let office = department(app, &office_code, &rules.office, &["qkzk", "zwwy", "zccn"]).await?;
    let bureau_code = uscc_from("11", "630105", "JGJ00001");
    let bureau = department(app, &bureau_code, "西宁市城北区住房和城乡建设局", &[]).await?;
    let centre_code = uscc_from("12", "630100", "RCJ00001");
    let centre = department(app, &centre_code, "西宁市人才交流服务中心", &[]).await?;

    // The office's finding on an enterprise's complaint: the bureau owes an SME for works delivered.
    let due = (today - Duration::days(120)).to_string();
    let found = (today - Duration::days(20)).to_string();
    submit(
        app,
        &office,
        "qkzk",
        vec![row(&[
            ("QK_MC", "西宁市城北区住房和城乡建设局"),
            ("QK_SHXYM", &bureau_code),
            ("QK_RDBH", "ZW20261110K0000001"),
            ("QK_ZQQY", "青海某某建筑工程有限公司"),
            ("QK_ZQQYDM", &uscc_from("91", "630105", "JG000001")),
            ("QK_HTMC", "老旧小区改造工程(二标段)"),
            ("QK_JE", "36.8"),
            ("QK_DQRQ", &due),
            ("QK_RDRQ", &found),
            ("QK_RDJG", &rules.office),
            ("QK_SJLY", &rules.office),
            ("QK_SJLYDM", &office_code),
        ])],
    )
    .await?;
    let commitment = |department_id, body: &str, kind: &str, content: &str, due| NewGovCommitment {
        body_code: body.to_string(),
        department_id,
        kind: kind.into(),
        content: content.into(),
        due_on: due,
        created_by: "demo".into(),
    };
    let s = &app.store;
    s.add_gov_commitment(&commitment(
        bureau.id,
        &bureau_code,
        "服务时限承诺",
        "施工许可证 5 个工作日内核发",
        today - Duration::days(10),
    ))
    .await?;
    s.add_gov_commitment(&commitment(
        bureau.id,
        &bureau_code,
        "合同义务",
        "拖欠工程款年底前付清",
        today + Duration::days(27),
    ))
    .await?;
    let kept = s
        .add_gov_commitment(&commitment(
            centre.id,
            &centre_code,
            "政策承诺",
            "高校毕业生就业补贴当月发放",
            today - Duration::days(5),
        ))
        .await?;
    s.settle_gov_commitment(
        kept.id,
        credo_domain::integrity::CommitmentState::Kept,
        today - Duration::days(7),
        "已按月发放",
        "demo",
    )
    .await?;

    // The organisation department, granted the civil servants' archive, with one archive.
    let org_code = uscc_from("11", "630100", "RLB00001");
    let org = department(app, &org_code, "中共西宁市委组织部", &["gwyda"]).await?;
    let granted = Permissions { archives: vec!["gwyda".into()], ..org.permissions.clone() };
    s.set_permissions(org.id, &granted).await?;
    let first = "63010419800512123";
    let person = format!("{first}{}", credo_domain::ids::ric_check(first.as_bytes()).unwrap_or('0'));
    submit(
        app,
        &org,
        "gwyda",
        vec![row(&[
            ("GW_XM", "赵德明"),
            ("GW_ZJLX", "身份证"),
            ("GW_ZJHM", &person),
            ("GW_DW", "西宁市城北区住房和城乡建设局"),
            ("GW_DWDM", &bureau_code),
            ("GW_BH", "GW-2025-0412"),
            ("GW_LB", "年度考核"),
            ("GW_ND", "2025"),
            ("GW_JG", "优秀"),
            ("GW_RQ", "2026-01-20"),
            ("GW_JDJG", "西宁市城北区住房和城乡建设局"),
            ("GW_SJLY", "中共西宁市委组织部"),
            ("GW_SJLYDM", &org_code),
        ])],
    )
    .await?;

    // Two credit service agencies on the register.
    let filed = today - Duration::days(200);
    let mut agencies = Vec::new();
    for (body, name, no, scopes, grade) in [
        ("XYPJ0001", "青海某某信用评级有限公司", "XN-XYFW-2026-001", vec!["信用评级", "企业征信"], "A"),
        ("XYGL0002", "西宁某某信用管理咨询有限公司", "XN-XYFW-2026-002", vec!["信用管理咨询", "信用修复协助"], "B"),
    ] {
        let mut a = s
            .add_agency(&NewAgency {
                uscc: uscc_from("91", "630100", body),
                name: name.into(),
                filing_no: no.into(),
                filed_on: filed,
                scopes: scopes.into_iter().map(str::to_string).collect(),
                department_id: None,
                created_by: "demo".into(),
            })
            .await?;
        a.evaluations.push(AgencyEvaluation {
            year: 2025,
            grade: grade.into(),
            note: "年度评价:内控制度健全,业务记录完整".into(),
            by: "demo".into(),
        });
        s.update_agency(&a).await?;
        agencies.push(a.id);
    }
    Ok(vec![
        ("政务诚信监测", "/integrity".to_string()),
        ("机关的政务诚信", format!("/integrity/{bureau_code}")),
        ("信用服务机构", "/agencies".to_string()),
    ])
}
