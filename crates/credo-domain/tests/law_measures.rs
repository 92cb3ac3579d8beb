//! 联合奖惩措施 as the laws give them: a table of law cases (scene, list type, who is asked, on which day), each with
//! its source, checked against `catalog/measures.toml` through the pure rules; and the checks that refuse a
//! measures file that would answer wrongly or silently (unknown list types, unconfirmed bases not marked, persons
//! without their fields, statutory facts without their reason).

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::collections::BTreeMap;

use credo_domain::catalog::Catalog;
use credo_domain::embedded;
use credo_domain::measures::{BasisStatus, Decision, Fact, Measures, Reach};
use credo_domain::value::parse_date;

/// Who is asked about: the record's subject itself, or a person by the ID number the record carries for them.
#[derive(Clone, Copy)]
enum Asked {
    Subject,
    Person(&'static str),
}

struct Case {
    name: &'static str,
    /// The law and article (or STANDARDS.md section) the expected answer comes from.
    source: &'static str,
    scene: &'static str,
    item: &'static str,
    fields: &'static [(&'static str, &'static str)],
    /// Whether the record is still public on the day (false: expired or repaired).
    public: bool,
    asked: Asked,
    day: &'static str,
    expected: Decision,
    /// A measure that must be among the hits (when the decision is not clear).
    measure: Option<&'static str>,
}

const REP: &str = "630102199001011235";
const CTRL_A: &str = "630103198505052315";
const CTRL_B: &str = "63010419800101002X";
const STRANGER: &str = "630105197007070017";

const SXBZXR_UNIT: &[(&str, &str)] =
    &[("ZX_ZTLB", "法人及非法人组织"), ("ZX_FBRQ", "2026-05-01"), ("ZX_FDDBR", "王五"), ("ZX_FDDBR_ZJHM", REP)];
const SXBZXR_PERSON: &[(&str, &str)] = &[("ZX_ZTLB", "自然人"), ("ZX_FBRQ", "2025-03-01")];
const SXBZXR_SHIELDED: &[(&str, &str)] = &[("ZX_ZTLB", "自然人"), ("ZX_FBRQ", "2025-03-01"), ("ZX_PBRQ", "2026-01-10")];
const ZDSS: &[(&str, &str)] = &[("SS_GBRQ", "2024-05-20")];
const ZDSS_STOPPED: &[(&str, &str)] = &[("SS_GBRQ", "2024-05-20"), ("SS_TZGBRQ", "2025-02-01")];
const ZFCGSX: &[(&str, &str)] = &[("CG_CFRQ", "2025-03-01"), ("CG_JZJZRQ", "2027-02-28")];
const YZ_TAX: &[(&str, &str)] = &[("YZ_MDLX", "重大税收违法失信主体"), ("YZ_LRRQ", "2026-01-01")];
const YZ_PROCUREMENT: &[(&str, &str)] = &[("YZ_MDLX", "政府采购严重违法失信行为记录名单"), ("YZ_LRRQ", "2026-01-01")];
const YZ_SAFETY: &[(&str, &str)] = &[("YZ_MDLX", "安全生产严重失信主体名单"), ("YZ_LRRQ", "2026-01-01")];
const YZ_SAMR: &[(&str, &str)] =
    &[("YZ_MDLX", "市场监督管理严重违法失信名单"), ("YZ_LRRQ", "2026-01-01"), ("YZ_LRYY", "提交虚假材料取得登记")];
const YZ_SAMR_3Y: &[(&str, &str)] = &[
    ("YZ_MDLX", "市场监督管理严重违法失信名单"),
    ("YZ_LRRQ", "2024-03-01"),
    ("YZ_LRYY", "被列入经营异常名录届满3年仍未履行相关义务"),
    ("YZ_FDDBR", "钱七"),
    ("YZ_FDDBR_ZJHM", REP),
];
const YZ_SAMR_FALSE: &[(&str, &str)] = &[
    ("YZ_MDLX", "市场监督管理严重违法失信名单"),
    ("YZ_LRRQ", "2024-03-01"),
    ("YZ_LRYY", "提交虚假材料取得公司登记"),
    ("YZ_FDDBR", "钱七"),
    ("YZ_FDDBR_ZJHM", REP),
];
const FINE_250: &[(&str, &str)] = &[("CF_CFLB", "警告;罚款"), ("CF_NR_FK", "250"), ("CF_JDRQ", "2024-06-01")];
const FINE_OLD: &[(&str, &str)] = &[("CF_CFLB", "罚款"), ("CF_NR_FK", "300"), ("CF_JDRQ", "2023-06-01")];
const REVOKED_LICENCE: &[(&str, &str)] = &[("CF_CFLB", "吊销许可证件"), ("CF_JDRQ", "2025-01-15")];
const XZXF_UNIT: &[(&str, &str)] = &[
    ("XF_ZTLB", "法人及非法人组织"),
    ("XF_FBRQ", "2026-03-01"),
    ("XF_FDDBR", "赵六"),
    ("XF_FDDBR_ZJHM", REP),
    ("XF_SJKZR", "孙八;周九"),
    ("XF_SJKZR_ZJHM", "630103198505052315;63010419800101002X"),
];
const XZXF_LIFTED: &[(&str, &str)] = &[
    ("XF_ZTLB", "法人及非法人组织"),
    ("XF_FBRQ", "2026-03-01"),
    ("XF_JCRQ", "2026-09-01"),
    ("XF_FDDBR", "赵六"),
    ("XF_FDDBR_ZJHM", REP),
];
const QXGZ: &[(&str, &str)] = &[("QX_LRRQ", "2023-12-01")];
const QXGZ_REMOVED: &[(&str, &str)] = &[("QX_LRRQ", "2025-06-01"), ("QX_YCRQ", "2026-02-01")];

use Asked::{Person, Subject};
use Decision::{Attention, Clear, Prohibited, Restricted};

// law-case table
const CASES: &[Case] = &[
    Case {
        name: "失信被执行人 in 政府采购 is refused",
        source: "财库〔2016〕125号; STANDARDS §13.2.1",
        scene: "zfcg",
        item: "sxbzxr",
        fields: SXBZXR_UNIT,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("SXBZXR-ZFCG"),
    },
    Case {
        name: "重大税收违法失信主体 in 政府采购 is refused",
        source: "财库〔2016〕125号; STANDARDS §13.2.1",
        scene: "zfcg",
        item: "zdss",
        fields: ZDSS,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("ZDSS-ZFCG"),
    },
    Case {
        name: "重大税收违法失信主体 three years after publication no longer counts",
        source: "国家税务总局令第54号 (公布期限三年)",
        scene: "zfcg",
        item: "zdss",
        fields: ZDSS,
        public: true,
        asked: Subject,
        day: "2027-05-20",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "重大税收违法失信主体 whose publication stopped early no longer counts",
        source: "国家税务总局令第54号 (提前停止公布)",
        scene: "zfcg",
        item: "zdss",
        fields: ZDSS_STOPPED,
        public: true,
        asked: Subject,
        day: "2025-02-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "政府采购严重违法失信行为记录 within the ban is refused",
        source: "政府采购法 第七十七条; 财库〔2016〕125号",
        scene: "zfcg",
        item: "zfcgsx",
        fields: ZFCGSX,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("ZFCGSX-ZFCG"),
    },
    Case {
        name: "the ban holds on its last day",
        source: "政府采购法 第七十七条 (一至三年, to the decision's end date)",
        scene: "zfcg",
        item: "zfcgsx",
        fields: ZFCGSX,
        public: true,
        asked: Subject,
        day: "2027-02-28",
        expected: Prohibited,
        measure: Some("ZFCGSX-ZFCG"),
    },
    Case {
        name: "the ban ends the day after its end date",
        source: "政府采购法 第七十七条",
        scene: "zfcg",
        item: "zfcgsx",
        fields: ZFCGSX,
        public: true,
        asked: Subject,
        day: "2027-03-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a 严重失信主体名单 of type 重大税收违法失信主体 is refused in 政府采购",
        source: "财库〔2016〕125号; STANDARDS §13.2.1, §13.2.3",
        scene: "zfcg",
        item: "yzsx",
        fields: YZ_TAX,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("ZDSS-ZFCG"),
    },
    Case {
        name: "a 严重失信主体名单 of type 政府采购严重违法失信 is refused in 政府采购",
        source: "财库〔2016〕125号; STANDARDS §13.2.1",
        scene: "zfcg",
        item: "yzsx",
        fields: YZ_PROCUREMENT,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("ZFCGSX-ZFCG"),
    },
    Case {
        name: "安全生产 list does not trigger the 企业信息公示暂行条例 procurement measure",
        source: "企业信息公示暂行条例 第十八条; 国办发〔2020〕49号; STANDARDS §13.2.3",
        scene: "zfcg",
        item: "yzsx",
        fields: YZ_SAFETY,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "安全生产 list does not trigger the 企业信息公示暂行条例 honours measure",
        source: "企业信息公示暂行条例 第十八条; STANDARDS §13.2.3",
        scene: "pypx",
        item: "yzsx",
        fields: YZ_SAFETY,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "安全生产 list: 重点监管 (basic list, unconfirmed)",
        source: "全国失信惩戒措施基础清单 (unverified)",
        scene: "jg",
        item: "yzsx",
        fields: YZ_SAFETY,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Attention,
        measure: Some("YZSX-JG"),
    },
    Case {
        name: "市场监督管理严重违法失信名单 restricts in 政府采购 (限制或者禁入, 依法)",
        source: "企业信息公示暂行条例 第十八条; STANDARDS §13.2.3",
        scene: "zfcg",
        item: "yzsx",
        fields: YZ_SAMR,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("YZSX-ZFCG"),
    },
    Case {
        name: "the legal representative of a company listed after 3 years in 经营异常名录 is barred, by ID number",
        source: "企业信息公示暂行条例(2014) 第十七条; STANDARDS §13.2.3",
        scene: "rzzg",
        item: "yzsx",
        fields: YZ_SAMR_3Y,
        public: true,
        asked: Person(REP),
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("YZSX-RZZG"),
    },
    Case {
        name: "the three-year bar ends three years after listing",
        source: "企业信息公示暂行条例(2014) 第十七条",
        scene: "rzzg",
        item: "yzsx",
        fields: YZ_SAMR_3Y,
        public: true,
        asked: Person(REP),
        day: "2027-03-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "the bar reaches the legal representative, not the company",
        source: "企业信息公示暂行条例(2014) 第十七条",
        scene: "rzzg",
        item: "yzsx",
        fields: YZ_SAMR_3Y,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "no bar when the listing did not follow 3 years in 经营异常名录",
        source: "企业信息公示暂行条例(2014) 第十七条; STANDARDS §13.2.3",
        scene: "rzzg",
        item: "yzsx",
        fields: YZ_SAMR_FALSE,
        public: true,
        asked: Person(REP),
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a repaired 较大数额罚款 still counts in 政府采购 within 3 years",
        source: "政府采购法 第二十二条第一款第(五)项; 实施条例 第十九条; 财库〔2022〕3号",
        scene: "zfcg",
        item: "xzcf",
        fields: FINE_250,
        public: false,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("XZCF-ZFCG-FK"),
    },
    Case {
        name: "an expired 吊销许可证件 still counts in 政府采购 within 3 years",
        source: "政府采购法 第二十二条第一款第(五)项; 实施条例 第十九条",
        scene: "zfcg",
        item: "xzcf",
        fields: REVOKED_LICENCE,
        public: false,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("XZCF-ZFCG-DX"),
    },
    Case {
        name: "a repaired penalty no longer counts for 日常监管",
        source: "全国失信惩戒措施基础清单 (a management measure follows publicity)",
        scene: "jg",
        item: "xzcf",
        fields: FINE_250,
        public: false,
        asked: Subject,
        day: "2025-01-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a 较大数额罚款 more than 3 years ago does not count",
        source: "政府采购法 第二十二条 (参加政府采购活动前三年内)",
        scene: "zfcg",
        item: "xzcf",
        fields: FINE_OLD,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a person who is a 失信被执行人 may not be a director",
        source: "公司法(2023) 第一百七十八条第一款第(五)项; STANDARDS §13.2.9",
        scene: "rzzg",
        item: "sxbzxr",
        fields: SXBZXR_PERSON,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Prohibited,
        measure: Some("SXBZXR-RZZG"),
    },
    Case {
        name: "公司法第一百七十八条 concerns persons, not a listed company",
        source: "公司法(2023) 第一百七十八条第一款第(五)项",
        scene: "rzzg",
        item: "sxbzxr",
        fields: SXBZXR_UNIT,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a person shielded from the list may be a director again",
        source: "公司法(2023) 第一百七十八条; 法释〔2017〕7号 (屏蔽)",
        scene: "rzzg",
        item: "sxbzxr",
        fields: SXBZXR_SHIELDED,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "the legal representative of a 失信被执行人 unit is limited in consumption, by ID number",
        source: "法释〔2015〕17号 第一条、第三条; STANDARDS §13.2.2",
        scene: "gxf",
        item: "sxbzxr",
        fields: SXBZXR_UNIT,
        public: true,
        asked: Person(REP),
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("SXBZXR-GXF"),
    },
    Case {
        name: "a 限制消费令 unit is limited in consumption",
        source: "法释〔2015〕17号 第三条",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("XZXF-GXF"),
    },
    Case {
        name: "the legal representative of a 限制消费令 unit is reached by ID number",
        source: "法释〔2015〕17号 第三条第二款; STANDARDS §13.2.2",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Person(REP),
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("XZXF-GXF"),
    },
    Case {
        name: "each 实际控制人 of a 限制消费令 unit is reached by ID number (first)",
        source: "法释〔2015〕17号 第三条第二款",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Person(CTRL_A),
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("XZXF-GXF"),
    },
    Case {
        name: "each 实际控制人 of a 限制消费令 unit is reached by ID number (second)",
        source: "法释〔2015〕17号 第三条第二款",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Person(CTRL_B),
        day: "2026-11-25",
        expected: Restricted,
        measure: Some("XZXF-GXF"),
    },
    Case {
        name: "a person the order does not name is not reached",
        source: "法释〔2015〕17号 第三条第二款",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Person(STRANGER),
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a 限制消费令 lifted by the court no longer counts",
        source: "法释〔2015〕17号 (解除限制消费)",
        scene: "gxf",
        item: "xzxf",
        fields: XZXF_LIFTED,
        public: true,
        asked: Person(REP),
        day: "2026-09-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "a 限制消费令 does not reach 政府采购",
        source: "法释〔2015〕17号 第三条 (consumption only)",
        scene: "zfcg",
        item: "xzxf",
        fields: XZXF_UNIT,
        public: true,
        asked: Subject,
        day: "2026-11-25",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "拖欠农民工工资 list restricts in 政府采购 within 3 years",
        source: "人社部令第45号; 保障农民工工资支付条例 (unverified article)",
        scene: "zfcg",
        item: "qxgz",
        fields: QXGZ,
        public: true,
        asked: Subject,
        day: "2026-11-30",
        expected: Restricted,
        measure: Some("QXGZ-ZFCG"),
    },
    Case {
        name: "拖欠农民工工资 list lasts three years from listing",
        source: "人社部令第45号 (列入期限三年)",
        scene: "zfcg",
        item: "qxgz",
        fields: QXGZ,
        public: true,
        asked: Subject,
        day: "2026-12-01",
        expected: Clear,
        measure: None,
    },
    Case {
        name: "拖欠农民工工资 list: removed early, no longer counts",
        source: "人社部令第45号 (提前移出)",
        scene: "ztb",
        item: "qxgz",
        fields: QXGZ_REMOVED,
        public: true,
        asked: Subject,
        day: "2026-02-01",
        expected: Clear,
        measure: None,
    },
];

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The decision and the measures hit for one case, as a check computes them.
fn answer(c: &Catalog, case: &Case) -> (Decision, Vec<String>) {
    let item = c.item(case.item).unwrap();
    let fields = fields(case.fields);
    let decided = item.decision_date.as_ref().and_then(|f| fields.get(f)).and_then(|v| parse_date(v));
    let fact =
        Fact { record_id: 1, version: 1, item: case.item, fields: &fields, decided_on: decided, public: case.public };
    let day = parse_date(case.day).unwrap();
    let hits = match case.asked {
        Asked::Subject => c.measures.hits(case.scene, &[fact], day),
        Asked::Person(id) => c.measures.hits_through(case.scene, &[fact], day, |m, f| {
            let persons = m.trigger.iter().filter(|t| t.item == f.item).flat_map(|t| t.persons(f.fields));
            persons.into_iter().any(|p| p.id_number.as_deref() == Some(id) && m.names(f.item, &p))
        }),
    };
    (Measures::decide(&hits), hits.iter().map(|h| h.measure.id.clone()).collect())
}

#[test]
fn the_law_cases_hold() {
    let c = embedded::catalog();
    assert!(CASES.len() >= 15);
    let mut wrong = Vec::new();
    for case in CASES {
        let (got, hit) = answer(&c, case);
        let measure_ok = case.measure.is_none_or(|m| hit.iter().any(|h| h == m));
        if got != case.expected || !measure_ok {
            wrong.push(format!(
                "{} [{}]: {} in {} on {} → {got:?} {hit:?}, want {:?} {:?}",
                case.name, case.source, case.item, case.scene, case.day, case.expected, case.measure
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} law cases fail:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn bans_cite_their_basis_and_statutory_facts_explain_themselves() {
    let c = embedded::catalog();
    let m = |id: &str| c.measures.measures.iter().find(|m| m.id == id).unwrap();
    for id in ["SXBZXR-ZFCG", "ZDSS-ZFCG", "ZFCGSX-ZFCG"] {
        let laws: Vec<&str> = m(id).basis.iter().map(|b| b.law.as_str()).collect();
        assert!(laws.iter().any(|l| l.contains("财库〔2016〕125号")), "{id} cites 125号: {laws:?}");
        assert!(
            !laws.iter().any(|l| *l == "政府采购法" && m(id).basis.iter().any(|b| b.article.contains("第二十二条")))
        );
        assert_eq!(m(id).decision, Decision::Prohibited);
    }
    // The 2015 text: its title and the G字头 rule, and the unit's persons.
    let gxf = m("XZXF-GXF");
    assert!(gxf.basis[0].law.contains("限制被执行人高消费及有关消费的若干规定"));
    assert!(gxf.effect.contains("G字头动车组列车全部座位") && gxf.effect.contains("其他动车组列车一等以上座位"));
    for r in [Reach::LegalRepresentative, Reach::Principal, Reach::ResponsiblePerson, Reach::ActualController] {
        assert!(gxf.reaches.contains(&r), "{r:?}");
    }
    // The ID-number fields the persons are found by are never published.
    let xzxf = c.item("xzxf").unwrap();
    for p in &gxf.trigger[0].persons {
        let f = xzxf.field(p.id_number.as_deref().unwrap()).unwrap();
        assert!(!f.public, "{} is not public", f.code);
    }
    for id in ["XZCF-ZFCG-FK", "XZCF-ZFCG-TY", "XZCF-ZFCG-DX"] {
        assert!(m(id).counts_when_unpublished && m(id).unpublished_reason.as_deref().unwrap().contains("第二十二条"));
    }
    assert!(!m("XZCF-JG").counts_when_unpublished);
    // Every measure with no confirmed basis says so.
    for x in &c.measures.measures {
        if x.basis.iter().all(|b| !b.verified) {
            assert_eq!(x.basis_status, BasisStatus::Unconfirmed, "{}", x.id);
        }
    }
    // Tax grades cite the 2025 rules.
    assert!(m("NSXY-D-JG").basis[0].law.starts_with("纳税缴费信用管理办法"));
}

#[test]
fn persons_are_read_by_id_number_and_by_name_only_without_one() {
    let c = embedded::catalog();
    let t = &c.measures.measures.iter().find(|m| m.id == "XZXF-GXF").unwrap().trigger[0];
    let people = t.persons(&fields(XZXF_UNIT));
    let ids: Vec<(Reach, Option<&str>)> = people.iter().map(|p| (p.reach, p.id_number.as_deref())).collect();
    assert_eq!(
        ids,
        [
            (Reach::LegalRepresentative, Some(REP)),
            (Reach::ActualController, Some(CTRL_A)),
            (Reach::ActualController, Some(CTRL_B))
        ]
    );
    assert!(people.iter().all(|p| p.name.is_none()), "names are not used where numbers are given");
    let by_name = t.persons(&fields(&[("XF_FDDBR", "赵六"), ("XF_ZYFZR", "甲、乙")]));
    let names: Vec<(Reach, Option<&str>)> = by_name.iter().map(|p| (p.reach, p.name.as_deref())).collect();
    assert_eq!(
        names,
        [(Reach::LegalRepresentative, Some("赵六")), (Reach::Principal, Some("甲")), (Reach::Principal, Some("乙"))]
    );
}

#[test]
fn measures_that_would_answer_wrongly_or_silently_are_refused() {
    let c = embedded::catalog();
    let text = embedded::FILES.iter().find(|(n, _)| *n == "measures.toml").map(|(_, t)| *t).unwrap();
    assert!(Measures::from_toml(text, &c.items).is_ok());
    for (what, from, to) in [
        ("an unknown list type", "values = [\"重大税收违法失信主体\"]", "values = [\"重大税收违法主体\"]"),
        ("list types on a text field", "list_types = { field = \"YZ_MDLX\"", "list_types = { field = \"YZ_LRYY\""),
        ("an unconfirmed basis not marked", "basis_status = \"unconfirmed\"\n", ""),
        ("a statutory fact without its reason", "unpublished_reason = ", "# unpublished_reason = "),
        (
            "a person role without its fields",
            "{ reach = \"actual_controller\", name = \"XF_SJKZR\", id_number = \"XF_SJKZR_ZJHM\" }",
            "{ reach = \"principal\", name = \"XF_SJKZR\", id_number = \"XF_SJKZR_ZJHM\" }",
        ),
        (
            "a person's number in a field that is no ID number",
            "id_number = \"XF_FDDBR_ZJHM\"",
            "id_number = \"XF_FDDBR\"",
        ),
        (
            "a reach without persons",
            "reaches = [\"legal_representative\"]",
            "reaches = [\"legal_representative\", \"principal\"]",
        ),
    ] {
        assert!(text.contains(from), "{what}: the fixture text is gone");
        assert!(Measures::from_toml(&text.replacen(from, to, 1), &c.items).is_err(), "{what} was accepted");
    }
}

#[test]
fn list_types_are_a_controlled_vocabulary_with_aliases() {
    let c = embedded::catalog();
    let f = c.item("yzsx").unwrap().field("YZ_MDLX").unwrap();
    assert_eq!(f.enum_value("市场监管领域严重违法失信名单"), Some("市场监督管理严重违法失信名单"));
    assert_eq!(f.enum_value("重大税收违法案件当事人名单"), Some("重大税收违法失信主体"));
    assert_eq!(f.enum_value("安全生产领域严重失信主体名单"), Some("安全生产严重失信主体名单"));
    assert_eq!(f.enum_value("随便什么名单"), None, "an unknown type is refused at validation");
    // Every type the measures name is a value of the field, and every value but 其他 is covered by some measure: a
    // list of an unknown type is recorded and shown, but no measure applies to it (国办发〔2020〕49号: each list in its
    // own field).
    for v in f.values.iter().filter(|v| *v != "其他") {
        let covered = c
            .measures
            .measures
            .iter()
            .flat_map(|m| &m.trigger)
            .any(|t| t.item == "yzsx" && t.list_types.as_ref().is_some_and(|l| l.values.contains(v)));
        assert!(covered, "list type {v} has no measure at all");
    }
    let other = c.measures.measures.iter().flat_map(|m| &m.trigger).filter_map(|t| t.list_types.as_ref());
    assert!(other.clone().all(|l| !l.values.iter().any(|v| v == "其他")), "no measure reaches a list of type 其他");
}
