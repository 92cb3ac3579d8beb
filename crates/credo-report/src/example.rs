//! A made-up report, the same everywhere it is needed: the crate's tests and its speed example.

use crate::{Entry, FORMAT, Field, Report, Section, Subject};

/// The 公共信用信息报告 of a made-up company with `penalties` administrative penalties, rendered with the font `font`
/// (its id, [`crate::FontSource::id`]).
pub fn example(penalties: usize, font: &str) -> Report {
    let entries = (1..=penalties)
        .map(|i| Entry {
            heading: format!("行政处罚 西市监罚〔2026〕{i}号"),
            fields: vec![
                Field { name: "处罚类别".into(), value: "罚款;没收违法所得".into() },
                Field {
                    name: "处罚内容".into(),
                    value: format!(
                        "罚款{i}00元。当事人销售不符合食品安全标准的食品,违反《中华人民共和国食品安全法》第三十四条的规定。"
                    ),
                },
                Field { name: "报送部门".into(), value: "西宁市市场监督管理局".into() },
                Field { name: "公示期".into(), value: "2026-03-01 至 2029-03-01".into() },
            ],
        })
        .collect();
    Report {
        format: FORMAT.into(),
        number: "XY20261203ABCDEFGHJK".into(),
        check_code: "7K3Q9M".into(),
        kind: "public".into(),
        title: "法人和非法人组织公共信用信息报告".into(),
        issuer: "信用西宁(西宁市公共信用信息平台)".into(),
        audience: "社会公众查询".into(),
        issued_at: "2026-12-03T15:04:05+08:00".into(),
        as_of: "2026-12-03".into(),
        verify_url: "http://127.0.0.1:8080/verify?no=XY20261203ABCDEFGHJK&code=7K3Q9M".into(),
        font: font.into(),
        subject: Subject {
            name: "青海昆仑雪域商贸有限公司".into(),
            code: Some("91630100MA7X00018G".into()),
            kind_label: "法人和非法人组织".into(),
            region_name: Some("城东区".into()),
            status: Some("存续".into()),
        },
        summary: vec![format!(
            "截至 2026-12-03,本平台归集到该主体正在公示的信用信息共 {penalties} 条:行政处罚信息 {penalties} 条。"
        )],
        sections: vec![
            Section { code: "basic".into(), title: "基础信息".into(), note: None, entries: vec![] },
            Section {
                code: "penalties".into(),
                title: "行政处罚信息".into(),
                note: Some("含简易程序作出的行政处罚。".into()),
                entries,
            },
        ],
        notes: vec!["本报告仅反映信息截止日期时本平台正在公示的公共信用信息。".into()],
    }
}
