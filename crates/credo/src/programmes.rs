//! The demo's programmes (issue 21): the departments that run them, the 农户信用档案 of three villages of 大通县 with
//! their township, two lawyers' occupational archives, a bank's credit product, published 信用动态 and a 典型案例.
//! Loaded through the same ingest pipeline as the rest of the demo; grades follow when the server starts.

use std::collections::BTreeMap;

use credo_app::App;
use credo_domain::articles::{ArticleKind, ArticleState, Text};
use credo_import::Table;
use credo_store::{Department, NewDepartment, NewProduct, Permissions};
use credo_synth::uscc_from;

const SURNAMES: [&str; 10] = ["马", "韩", "李", "张", "祁", "赵", "王", "杨", "鲁", "冶"];
const GIVEN: [&str; 10] = ["永福", "秀兰", "国庆", "建华", "玉梅", "德明", "成林", "海英", "占元", "春花"];

pub(crate) async fn department(app: &App, uscc: &str, name: &str, items: &[&str]) -> anyhow::Result<Department> {
    Ok(app
        .store
        .add_department(NewDepartment {
            uscc: uscc.into(),
            name: name.into(),
            region: Some(uscc[2..8].to_string()),
            created_by: "demo".into(),
            permissions: Permissions {
                items: items.iter().map(|s| s.to_string()).collect(),
                scenes: app.catalog.measures.scenes.iter().map(|s| s.code.clone()).collect(),
                disclosure: vec!["公开".into(), "政务共享".into()],
                ..Permissions::default()
            },
        })
        .await?)
}

pub(crate) async fn submit(
    app: &App,
    dept: &Department,
    item: &str,
    rows: Vec<BTreeMap<&str, String>>,
) -> anyhow::Result<()> {
    let item = app.catalog.item(item).ok_or_else(|| anyhow::anyhow!("unknown item {item}"))?.clone();
    let headers: Vec<String> = rows.first().map(|r| r.keys().map(|k| k.to_string()).collect()).unwrap_or_default();
    let cells = rows.into_iter().enumerate().map(|(i, r)| (i + 2, r.into_values().collect())).collect();
    let table = Table::from_cells(headers, cells)?;
    let s = credo_app::ingest::run(app, &item, dept, &table, "demo", None, &|_| {}).await?;
    if s.rejected > 0 {
        anyhow::bail!("演示数据有被拒绝的行({}):{:?}", item.code, s.report.first());
    }
    Ok(())
}

pub(crate) fn row<'a>(pairs: &[(&'a str, &str)]) -> BTreeMap<&'a str, String> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn ric(born: &str, n: u32) -> String {
    let first = format!("630121{born}{:03}", n % 1000);
    let check = credo_domain::ids::ric_check(first.as_bytes()).unwrap_or('0');
    format!("{first}{check}")
}

/// Seeds the programmes; returns what to print (what, path).
pub async fn seed(app: &App) -> anyhow::Result<Vec<(&'static str, String)>> {
    let agri_code = uscc_from("11", "630100", "NYN00001");
    let agri = department(app, &agri_code, "西宁市农业农村局", &["nhxx", "nydy", "xycn"]).await?;
    let justice_code = uscc_from("11", "630100", "GJA00001");
    let justice = department(app, &justice_code, "西宁市司法局", &["zyzg", "zyjc"]).await?;
    department(app, &uscc_from("11", "630100", "WMB00001"), "西宁市精神文明建设委员会办公室", &[]).await?;
    let bank = department(app, &uscc_from("91", "630100", "YH000001"), "青海银行西宁分行", &[]).await?;
    let lending = Permissions { lending: true, ..bank.permissions.clone() };
    app.store.set_permissions(bank.id, &lending).await?;
    let today = app.clock.today().to_string();

    // 长宁镇 and three of its villages (their commitments to the 信用村 creation make them known), and their households.
    let township = uscc_from("11", "630121", "CNA00001");
    let villages = [
        ("长宁镇上庄村股份经济合作社", "上庄村", uscc_from("N2", "630121", "CN000001")),
        ("长宁镇下庄村股份经济合作社", "下庄村", uscc_from("N2", "630121", "CN000002")),
        ("长宁镇河州村股份经济合作社", "河州村", uscc_from("N2", "630121", "CN000003")),
    ];
    let mut commitments = vec![("大通回族土族自治县长宁镇人民政府".to_string(), township.clone())];
    commitments.extend(villages.iter().map(|(name, _, code)| (name.to_string(), code.clone())));
    let rows = commitments
        .iter()
        .enumerate()
        .map(|(n, (name, code))| {
            row(&[
                ("CN_MC", name),
                ("CN_ZTLB", "法人及非法人组织"),
                ("CN_SHXYM", code),
                ("CN_CNLX", "主动型"),
                ("CN_CNSX", "信用村(乡镇)创建"),
                ("CN_CNNR", "诚实守信,按时还贷,配合农户信用信息采集"),
                ("CN_CNBH", &format!("NYCN-2026-{n:03}")),
                ("CN_CNRQ", "2026-03-01"),
                ("CN_SLDW", "西宁市农业农村局"),
                ("CN_SLDWDM", &agri_code),
                ("CN_LYZT", "履约中"),
                ("CN_SJLY", "西宁市农业农村局"),
                ("CN_SJLYDM", &agri_code),
            ])
        })
        .collect();
    submit(app, &agri, "xycn", rows).await?;
    let mut rows = Vec::new();
    for (v, (_, village, code)) in villages.iter().enumerate() {
        // Twelve households a village (a village is graded from ten graded households on).
        for h in 0..12u32 {
            let n = v as u32 * 20 + h;
            // 河州村's neighbours think less well of some households: it does not reach seven in ten.
            let opinion = if v == 2 && h < 5 {
                "一般"
            } else if h == 5 {
                "较好"
            } else {
                "好"
            };
            let name = format!("{}{}", SURNAMES[(n as usize) % 10], GIVEN[(n as usize * 3) % 10]);
            rows.push(row(&[
                ("NH_MC", &name),
                ("NH_ZTLB", "自然人"),
                ("NH_NHLX", if h == 0 { "种养大户" } else { "普通农户" }),
                ("NH_ZJLX", "身份证"),
                ("NH_ZJHM", &ric("19750301", n)),
                ("NH_XZQH", "630121"),
                ("NH_XZ", "长宁镇"),
                ("NH_XZDM", &township),
                ("NH_CWH", village),
                ("NH_CWHDM", code),
                ("NH_CJND", "2026"),
                ("NH_ZYCY", if h % 2 == 0 { "马铃薯种植" } else { "牛羊养殖" }),
                ("NH_NSR", &format!("{}", 4 + h)),
                ("NH_HYQK", opinion),
                ("NH_CJRQ", "2026-06-15"),
                ("NH_SJLY", "西宁市农业农村局"),
                ("NH_SJLYDM", &agri_code),
            ]));
        }
    }
    submit(app, &agri, "nhxx", rows).await?;

    // Two lawyers: one in good standing, one whose licence was revoked (a 任职资格 check reaches them).
    let firm = uscc_from("31", "630000", "LF000001");
    let lawyers = [("韩明远", ric("19820510", 901), "有效"), ("鲁建国", ric("19790822", 902), "吊销")];
    let rows = lawyers
        .iter()
        .enumerate()
        .map(|(n, (name, id, state))| {
            row(&[
                ("ZG_XM", name),
                ("ZG_ZJLX", "身份证"),
                ("ZG_ZJHM", id),
                ("ZG_ZY", "律师"),
                ("ZG_ZSMC", "律师执业证"),
                ("ZG_ZSBH", &format!("1630120101000{n:04}")),
                ("ZG_FZJG", "青海省司法厅"),
                ("ZG_FZRQ", "2012-07-01"),
                ("ZG_ZT", state),
                ("ZG_ZYJG", "青海湟水律师事务所"),
                ("ZG_ZYJGDM", &firm),
                ("ZG_SJLY", "西宁市司法局"),
                ("ZG_SJLYDM", &justice_code),
            ])
        })
        .collect();
    submit(app, &justice, "zyzg", rows).await?;
    let sanction = row(&[
        ("JC_XM", lawyers[1].0),
        ("JC_ZJLX", "身份证"),
        ("JC_ZJHM", &lawyers[1].1),
        ("JC_ZY", "律师"),
        ("JC_ZSBH", "16301201010000001"),
        ("JC_LB", "行政处罚"),
        ("JC_WH", "青司罚决字〔2026〕3号"),
        ("JC_SY", "向承办案件的法官行贿"),
        ("JC_JG", "吊销执业证书"),
        ("JC_YJ", "《中华人民共和国律师法》第四十九条"),
        ("JC_JDRQ", &today),
        ("JC_JDJG", "青海省司法厅"),
        ("JC_ZYJG", "青海湟水律师事务所"),
        ("JC_ZYJGDM", &firm),
        ("JC_SJLY", "西宁市司法局"),
        ("JC_SJLYDM", &justice_code),
    ]);
    submit(app, &justice, "zyjc", vec![sanction]).await?;

    // A bank's products: 信易贷 for good-credit enterprises, 惠农贷 for 信用户.
    for (name, kinds, scheme, grades, max) in [
        ("信易贷·惠企", vec!["organisation", "individual_business"], "ggxy", vec!["A", "B"], 3_000_000),
        ("惠农信用贷", vec!["person", "individual_business"], "xyh", vec!["优秀", "较好", "一般"], 300_000),
    ] {
        app.store
            .add_product(&NewProduct {
                department_id: bank.id,
                name: name.into(),
                description: "纯信用,无需抵押,年利率以合同为准(演示)".into(),
                kinds: kinds.into_iter().map(String::from).collect(),
                scheme: scheme.into(),
                grades: grades.into_iter().map(String::from).collect(),
                regions: vec![],
                min_amount: 10_000,
                max_amount: max,
                term_months: 12,
                created_by: "demo".into(),
            })
            .await?;
    }

    // 信用动态 and 政策法规, published (drafted by demo-sysadmin, published by demo-reviewer).
    let articles = [
        (
            ArticleKind::News,
            "大通县长宁镇开展信用户、信用村评定",
            "以村为单位采集农户信用信息,评定结果供金融机构授信参考。\n评定办法与结果见信用西宁“农村信用”栏目。",
        ),
        (
            ArticleKind::Policy,
            "西宁市社会信用体系建设规划(宁政办〔2015〕224号)",
            "规划明确推进政务诚信、商务诚信、社会诚信和司法公信建设,建设信用西宁公共信用信息平台。",
        ),
    ];
    for (kind, title, body) in articles {
        let text = Text { kind, title: title.into(), summary: String::new(), body: body.into(), records: vec![] };
        let a = app.store.add_article(&text, "demo-sysadmin").await?;
        app.store.move_article(a.id, ArticleState::Draft, ArticleState::Submitted, None, None).await?;
        app.store
            .move_article(a.id, ArticleState::Submitted, ArticleState::Published, Some(("demo-reviewer", None)), None)
            .await?;
    }
    Ok(vec![
        ("农村信用      ", "/rural".into()),
        ("融资对接      ", "/finance".into()),
        ("诚信建设示范单位", "/honours".into()),
        ("信用动态      ", "/news".into()),
    ])
}
