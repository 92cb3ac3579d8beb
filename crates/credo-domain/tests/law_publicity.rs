//! Law cases for the publicity regimes (`catalog/publicity.toml`): each regime's window at its boundary days, the
//! one-year sectors matched by the law the penalty cites, 总局令第45号 counted from publication, and the settings
//! the platform chose where the law is silent. Each case cites its source; a failure names the case and source.

use std::collections::BTreeMap;

use credo_domain::embedded::{FILES, catalog};
use credo_domain::publicity::{Class, Facts, Publicity, Repair, State, Window};
use credo_domain::value::parse_date;
use time::{Date, Duration};

const ENV: &str = "西宁市生态环境局";
const AGRI: &str = "西宁市农业农村局";
const SAMR: &str = "西宁市市场监督管理局";
const NMPA: &str = "青海省药品监督管理局";
const FIRE: &str = "西宁市消防救援支队";
const TRAFFIC: &str = "西宁市公安局交通警察支队";
const ORG: (&str, &str) = ("CF_XDR_LB", "法人及非法人组织");

struct Case {
    name: &'static str,
    source: &'static str,
    department: &'static str,
    decided: &'static str,
    /// The day the platform first received the record.
    received: Option<&'static str>,
    fields: &'static [(&'static str, &'static str)],
    regime: &'static str,
    class: Class,
    published: bool,
    shown_from: Option<&'static str>,
    repairable_from: Option<&'static str>,
    last_day: Option<&'static str>,
    verified: bool,
    /// Words the window's reasons, notes, settings and explanation must contain.
    mentions: &'static [&'static str],
}

fn day(s: &str) -> Date {
    parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
}

fn window(p: &Publicity, c: &Case) -> Window {
    let fields: BTreeMap<String, String> = c.fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    p.window(&Facts {
        item: "xzcf",
        department: c.department,
        fields: &fields,
        decided_on: Some(day(c.decided)),
        received_on: c.received.map(day),
    })
}

/// Everything the window says in words.
fn said(w: &Window, on: Date) -> String {
    let mut s = w.reasons.join(";");
    s.push_str(w.start_note.as_deref().unwrap_or(""));
    for a in &w.settings {
        s.push_str(&format!("{}:{}", a.name, a.explanation));
    }
    s.push_str(w.repair_note.as_deref().unwrap_or(""));
    s.push_str(&w.status("行政处罚", None, false, on).explanation);
    s
}

// law-case table
const CASES: &[Case] = &[
    Case {
        name: "2019-06-30: before 527号, the marked fallback with 527号's periods",
        source: "发改办财金〔2019〕527号 自2019年7月1日起执行 (STANDARDS §13.2.5); no earlier national rule found",
        department: ENV,
        decided: "2019-06-30",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")],
        regime: "pre2019",
        class: Class::一般,
        published: true,
        shown_from: Some("2019-06-30"),
        repairable_from: Some("2019-09-30"),
        last_day: Some("2020-06-29"),
        verified: false,
        mentions: &["兜底"],
    },
    Case {
        name: "2019-07-01: 527号 一般失信, 3 months to 1 year",
        source: "发改办财金〔2019〕527号 (STANDARDS §5.4, §13.2.5)",
        department: ENV,
        decided: "2019-07-01",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")],
        regime: "527",
        class: Class::一般,
        published: true,
        shown_from: Some("2019-07-01"),
        repairable_from: Some("2019-10-01"),
        last_day: Some("2020-06-30"),
        verified: false,
        mentions: &["527号"],
    },
    Case {
        name: "2019-07-01: 527号 严重失信 (吊销许可证件), 6 months to 3 years",
        source: "发改办财金〔2019〕527号 (STANDARDS §5.4); 严重 by type is the platform's general table",
        department: ENV,
        decided: "2019-07-01",
        received: None,
        fields: &[("CF_CFLB", "罚款;吊销许可证件"), ORG, ("CF_NR_FK", "5")],
        regime: "527",
        class: Class::严重,
        published: true,
        shown_from: Some("2019-07-01"),
        repairable_from: Some("2020-01-01"),
        last_day: Some("2022-06-30"),
        verified: false,
        mentions: &["吊销许可证件"],
    },
    Case {
        name: "527号 特定严重失信行为: the whole maximum period, no early repair",
        source: "发改办财金〔2019〕527号: 涉及特定严重失信行为的严格按最长公示期限公示 (STANDARDS §13.2.5)",
        department: ENV,
        decided: "2020-05-10",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5"), ("CF_TDYZSX", "是")],
        regime: "527",
        class: Class::严重,
        published: true,
        shown_from: Some("2020-05-10"),
        repairable_from: None,
        last_day: Some("2023-05-09"),
        verified: true,
        mentions: &["特定严重失信行为", "不予信用修复"],
    },
    Case {
        name: "2021: 527号 still applies (the 2021 信用中国 practice is not confirmed), a warning is shown",
        source: "STANDARDS §5.4 ([unverified] 2021–2023 rule), §13.2.4 (58号 from 2023-05-01)",
        department: ENV,
        decided: "2021-06-15",
        received: None,
        fields: &[("CF_CFLB", "警告"), ORG],
        regime: "527",
        class: Class::轻微,
        published: true,
        shown_from: Some("2021-06-15"),
        repairable_from: Some("2021-09-15"),
        last_day: Some("2022-06-14"),
        verified: false,
        mentions: &["527号不区分轻微"],
    },
    Case {
        name: "2023-04-30: the last day of 527号",
        source: "发改办财金〔2019〕527号; 令2023年第58号 自2023年5月1日起施行 (STANDARDS §5.1, §13.2.4)",
        department: ENV,
        decided: "2023-04-30",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")],
        regime: "527",
        class: Class::一般,
        published: true,
        shown_from: Some("2023-04-30"),
        repairable_from: Some("2023-07-30"),
        last_day: Some("2024-04-29"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "2023-05-01: 58号, every penalty 3 months to 3 years (the transition setting is named)",
        source: "令2023年第58号 (STANDARDS §13.2.4); transition: STANDARDS §13.3, setting transition_2026",
        department: ENV,
        decided: "2023-05-01",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")],
        regime: "58",
        class: Class::一般,
        published: true,
        shown_from: Some("2023-05-01"),
        repairable_from: Some("2023-08-01"),
        last_day: Some("2026-04-30"),
        verified: false,
        mentions: &["2026年4月1日前作出的决定"],
    },
    Case {
        name: "2026-03-31: the last day of 58号, 严重 too from 3 months",
        source: "令2023年第58号 (STANDARDS §13.2.4); 令2025年第36号 自2026年4月1日起施行 (§13.1)",
        department: ENV,
        decided: "2026-03-31",
        received: None,
        fields: &[("CF_CFLB", "吊销许可证件"), ORG],
        regime: "58",
        class: Class::严重,
        published: true,
        shown_from: Some("2026-03-31"),
        repairable_from: Some("2026-06-30"),
        last_day: Some("2029-03-30"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "2026-04-01: 36号 严重, 1 to 3 years",
        source: "令2025年第36号; 国办发〔2025〕22号 二 (STANDARDS §5.3, §13.1)",
        department: ENV,
        decided: "2026-04-01",
        received: None,
        fields: &[("CF_CFLB", "吊销许可证件"), ORG],
        regime: "36",
        class: Class::严重,
        published: true,
        shown_from: Some("2026-04-01"),
        repairable_from: Some("2027-04-01"),
        last_day: Some("2029-03-31"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "2026-04-01: 36号 一般, the general table stands in for the department's, and says so",
        source: "令2025年第36号 (STANDARDS §5.3: each sector authority sets its classification; §13.3)",
        department: ENV,
        decided: "2026-04-01",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")],
        regime: "36",
        class: Class::一般,
        published: true,
        shown_from: Some("2026-04-01"),
        repairable_from: Some("2026-07-01"),
        last_day: Some("2027-03-31"),
        verified: false,
        mentions: &["未取得该部门的分类标准,按通用标准"],
    },
    Case {
        name: "2026-04-01: 36号 轻微 (警告) not published, at most 3 months",
        source: "令2025年第36号 (STANDARDS §5.3, §13.1)",
        department: ENV,
        decided: "2026-04-01",
        received: None,
        fields: &[("CF_CFLB", "警告"), ORG],
        regime: "36",
        class: Class::轻微,
        published: false,
        shown_from: None,
        repairable_from: Some("2026-04-01"),
        last_day: Some("2026-06-30"),
        verified: false,
        mentions: &["不予公示"],
    },
    Case {
        name: "58号 food safety: repair only after one year",
        source: "令2023年第58号: 食品、药品、特种设备、安全生产、消防领域最短公示期一年 (STANDARDS §13.2.4)",
        department: AGRI,
        decided: "2024-03-15",
        received: None,
        fields: &[
            ("CF_CFLB", "罚款"),
            ORG,
            ("CF_NR_FK", "5"),
            ("CF_YJ", "《中华人民共和国食品安全法》第一百二十四条第一款"),
        ],
        regime: "58",
        class: Class::一般,
        published: true,
        shown_from: Some("2024-03-15"),
        repairable_from: Some("2025-03-15"),
        last_day: Some("2027-03-14"),
        verified: false,
        mentions: &["《食品安全法》", "食品领域"],
    },
    Case {
        name: "58号 food safety by its implementing regulation",
        source: "令2023年第58号 (STANDARDS §13.2.4); 食品安全法实施条例 listed under 食品 in publicity.toml",
        department: AGRI,
        decided: "2024-03-15",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5"), ("CF_YJ", "《食品安全法实施条例》第六十七条")],
        regime: "58",
        class: Class::一般,
        published: true,
        shown_from: Some("2024-03-15"),
        repairable_from: Some("2025-03-15"),
        last_day: Some("2027-03-14"),
        verified: false,
        mentions: &["《食品安全法实施条例》"],
    },
    Case {
        name: "58号 drugs, the law written without 《》 and followed by 第",
        source: "令2023年第58号 (STANDARDS §13.2.4)",
        department: "西宁市卫生健康委员会",
        decided: "2024-09-02",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5"), ("CF_YJ", "违反药品管理法第一百一十五条")],
        regime: "58",
        class: Class::一般,
        published: true,
        shown_from: Some("2024-09-02"),
        repairable_from: Some("2025-09-02"),
        last_day: Some("2027-09-01"),
        verified: false,
        mentions: &["药品领域"],
    },
    Case {
        name: "58号 fire safety (消防法): one year",
        source: "令2023年第58号 (STANDARDS §13.2.4)",
        department: FIRE,
        decided: "2025-01-10",
        received: None,
        fields: &[
            ("CF_CFLB", "罚款"),
            ORG,
            ("CF_NR_FK", "3"),
            ("CF_YJ", "《中华人民共和国消防法》第六十条第一款第(一)项"),
        ],
        regime: "58",
        class: Class::一般,
        published: true,
        shown_from: Some("2025-01-10"),
        repairable_from: Some("2026-01-10"),
        last_day: Some("2028-01-09"),
        verified: false,
        mentions: &["消防领域"],
    },
    Case {
        name: "道路交通 penalty mentioning 消防车通道 is not a 消防 case",
        source: "令2023年第58号 (STANDARDS §13.2.4): the sector follows the law cited, 道路交通安全法 is none of the five",
        department: TRAFFIC,
        decided: "2025-01-10",
        received: None,
        fields: &[
            ("CF_CFLB", "罚款"),
            ("CF_XDR_LB", "自然人"),
            ("CF_NR_FK", "0.01"),
            ("CF_YJ", "《中华人民共和国道路交通安全法》第九十条(机动车占用消防车通道停放)"),
        ],
        regime: "58",
        class: Class::轻微,
        published: true,
        shown_from: Some("2025-01-10"),
        repairable_from: Some("2025-04-10"),
        last_day: Some("2028-01-09"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "总局令第45号: 3 months from the day of publication, not from the decision",
        source: "总局令第45号 第十三条 自公示之日起 (STANDARDS §4.6, §13.2.6)",
        department: SAMR,
        decided: "2026-05-06",
        received: Some("2026-05-08"),
        fields: &[("CF_CFLB", "通报批评"), ORG, ("CF_GSRQ", "2026-05-20")],
        regime: "samr45",
        class: Class::一般,
        published: true,
        shown_from: Some("2026-05-20"),
        repairable_from: None,
        last_day: Some("2026-08-19"),
        verified: false,
        mentions: &["公示期限自公示之日(2026年5月20日)起计算", "2026年4月1日起市场监管部门行政处罚的公示规则"],
    },
    Case {
        name: "A 市场监管局's penalty relayed by the city's 信用办: the 处罚机关, not the relaying department, picks 总局令第45号",
        source: "总局令第45号 第二条、第十三条 (STANDARDS §4.6); review of issue 12 (CF_CFJG decides)",
        department: "西宁市社会信用体系建设领导小组办公室",
        decided: "2026-05-06",
        received: Some("2026-05-08"),
        fields: &[
            ("CF_CFLB", "罚款"),
            ORG,
            ("CF_NR_FK", "5"),
            ("CF_CFJG", "西宁市市场监督管理局"),
            ("CF_GSRQ", "2026-05-20"),
        ],
        regime: "samr45",
        class: Class::一般,
        published: true,
        shown_from: Some("2026-05-20"),
        repairable_from: None,
        last_day: Some("2026-08-19"),
        verified: false,
        mentions: &["公示期限自公示之日(2026年5月20日)起计算"],
    },
    Case {
        name: "An abbreviated authority name (市场监管局) is a 市场监管 department too",
        source: "总局令第45号 第二条 (STANDARDS §4.6)",
        department: "西宁市城东区市场监管局",
        decided: "2026-05-06",
        received: Some("2026-05-08"),
        fields: &[("CF_CFLB", "通报批评"), ORG, ("CF_GSRQ", "2026-05-20")],
        regime: "samr45",
        class: Class::一般,
        published: true,
        shown_from: Some("2026-05-20"),
        repairable_from: None,
        last_day: Some("2026-08-19"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "3000元 to a company is still 简易程序's 三千元以下 (以下 includes the amount): 轻微, not published under 36号",
        source: "行政处罚法 第五十一条;民法典 第一千二百五十九条(以下包括本数);令2025年第36号",
        department: ENV,
        decided: "2026-05-06",
        received: None,
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "0.3")],
        regime: "36",
        class: Class::轻微,
        published: false,
        shown_from: None,
        repairable_from: Some("2026-05-06"),
        last_day: Some("2026-08-05"),
        verified: false,
        mentions: &[],
    },
    Case {
        name: "总局令第45号 without a publication date: from the day the platform received it",
        source: "总局令第45号 第十三条 (STANDARDS §13.2.6); 《市场监督管理信用修复管理办法》第六条 (6 months)",
        department: SAMR,
        decided: "2026-05-06",
        received: Some("2026-05-25"),
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "20")],
        regime: "samr45",
        class: Class::严重,
        published: true,
        shown_from: Some("2026-05-25"),
        repairable_from: Some("2026-11-25"),
        last_day: Some("2029-05-24"),
        verified: false,
        mentions: &["本平台收到该信息之日(2026年5月25日)"],
    },
    Case {
        name: "总局令第45号: a 简易程序 penalty is not published",
        source: "总局令第45号 第二条 (普通程序 only; STANDARDS §4.6, §13.2.6)",
        department: SAMR,
        decided: "2026-05-06",
        received: Some("2026-05-08"),
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "0.1"), ("CF_CXLX", "简易程序")],
        regime: "samr45",
        class: Class::轻微,
        published: false,
        shown_from: None,
        repairable_from: None,
        last_day: None,
        verified: false,
        mentions: &["简易程序", "不予公示"],
    },
    Case {
        name: "总局令第45号 applies to a 药品监督管理 department; drugs: repair after one year",
        source: "总局令第45号 第十八条; 《市场监督管理信用修复管理办法》第六条 (STANDARDS §13.1, §13.2.6)",
        department: NMPA,
        decided: "2026-06-01",
        received: Some("2026-06-03"),
        fields: &[
            ("CF_CFLB", "罚款"),
            ORG,
            ("CF_NR_FK", "50"),
            ("CF_YJ", "《中华人民共和国药品管理法》第一百一十七条"),
            ("CF_GSRQ", "2026-06-10"),
        ],
        regime: "samr45",
        class: Class::严重,
        published: true,
        shown_from: Some("2026-06-10"),
        repairable_from: Some("2027-06-10"),
        last_day: Some("2029-06-09"),
        verified: false,
        mentions: &["药品领域"],
    },
    Case {
        name: "总局令第45号 before 2026: food, from publication, one year to repair (no setting involved)",
        source: "总局令第45号 第十三条; 《市场监督管理信用修复管理办法》第六条 (STANDARDS §13.1)",
        department: SAMR,
        decided: "2022-03-01",
        received: None,
        fields: &[
            ("CF_CFLB", "罚款"),
            ORG,
            ("CF_NR_FK", "20"),
            ("CF_YJ", "食品安全法第一百二十四条"),
            ("CF_GSRQ", "2022-03-15"),
        ],
        regime: "samr45",
        class: Class::严重,
        published: true,
        shown_from: Some("2022-03-15"),
        repairable_from: Some("2023-03-15"),
        last_day: Some("2025-03-14"),
        // The law-name list that puts the case in the food sector is the platform's reading.
        verified: false,
        mentions: &["食品领域"],
    },
    Case {
        name: "Market regulation before 总局令第45号 took effect: the general regime of the day",
        source: "总局令第45号 自2021年9月1日起施行 (STANDARDS §4.6); 527号 (§5.4)",
        department: SAMR,
        decided: "2021-08-31",
        received: Some("2021-09-02"),
        fields: &[("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "20")],
        regime: "527",
        class: Class::一般,
        published: true,
        shown_from: Some("2021-08-31"),
        repairable_from: Some("2021-11-30"),
        last_day: Some("2022-08-30"),
        verified: false,
        mentions: &[],
    },
];

#[test]
fn law_cases() {
    let p = catalog().publicity;
    assert!(CASES.len() >= 15);
    for c in CASES {
        let at = format!("{} [{}]", c.name, c.source);
        let w = window(&p, c);
        let d = |s: Option<&str>| s.map(day);
        assert_eq!(w.regime.as_deref(), Some(c.regime), "{at}");
        assert_eq!(w.class, Some(c.class), "{at}: {:?}", w.reasons);
        assert_eq!(w.published, c.published, "{at}");
        assert_eq!(w.shown_from, d(c.shown_from), "{at}");
        assert_eq!(w.repairable_from, d(c.repairable_from), "{at}: {:?}", w.reasons);
        assert_eq!(w.last_day, d(c.last_day), "{at}");
        assert_eq!(w.verified, c.verified, "{at}: {:?} {:?}", w.reasons, w.settings);
        if c.repairable_from.is_none() {
            assert_eq!(w.repair, Repair::None, "{at}");
        }
        let words = said(&w, day(c.decided));
        for m in c.mentions {
            assert!(words.contains(m), "{at}: “{m}” not in {words}");
        }
        // On the last day the record is shown (or counted, when not published); the next day it is gone.
        let inside = if c.published { State::公示中 } else { State::不予公示 };
        if let Some(last) = d(c.last_day) {
            let on = w.status("行政处罚", None, false, last);
            assert_eq!((on.state, on.counts), (inside, true), "{at} on {last}");
            let next = w.status("行政处罚", None, false, last + Duration::days(1));
            assert_eq!((next.state, next.counts), (State::公示期满, false), "{at} after {last}");
        }
    }
}

/// The rules file with `from` replaced by `to` (each must be found).
fn rules_with(changes: &[(&str, &str)]) -> Publicity {
    let text = FILES.iter().find(|(n, _)| *n == "publicity.toml").map(|(_, t)| *t).expect("publicity.toml is embedded");
    let mut text = text.to_string();
    for (from, to) in changes {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    Publicity::from_toml(&text, &catalog().items).expect("the changed rules load")
}

fn penalty(p: &Publicity, department: &str, decided: &str, fields: &[(&str, &str)]) -> Window {
    let fields: BTreeMap<String, String> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    p.window(&Facts { item: "xzcf", department, fields: &fields, decided_on: Some(day(decided)), received_on: None })
}

#[test]
fn the_transition_setting_decides_old_records_and_says_so() {
    let fine = [("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")];
    // By the decision date (the shipped choice): 58号's three years stand, and the setting is named.
    let p = catalog().publicity;
    let kept = penalty(&p, ENV, "2025-06-01", &fine);
    assert_eq!(kept.last_day, Some(day("2028-05-31")));
    assert_eq!(kept.settings.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(), ["transition_2026"]);
    // Lighter: from 2026-04-01 on, 36号's one year for 一般 — already over, so the record ends on 2026-03-31.
    let p = rules_with(&[("choice = \"decision_date\"", "choice = \"lighter\"")]);
    let lighter = penalty(&p, ENV, "2025-06-01", &fine);
    assert_eq!((lighter.regime.as_deref(), lighter.last_day), (Some("58"), Some(day("2026-05-31"))));
    let late = penalty(&p, ENV, "2024-01-15", &fine);
    assert_eq!(late.last_day, Some(day("2026-03-31")), "not ended before the setting's day");
    assert_eq!(late.status("行政处罚", None, false, day("2026-04-01")).state, State::公示期满);
    assert!(late.reasons.iter().any(|r| r.contains("自2026年4月1日起按")), "{:?}", late.reasons);
    // A record the later regime would not change names no setting.
    let same = penalty(&p, ENV, "2023-04-30", &fine);
    assert!(same.settings.is_empty(), "{:?}", same.settings);
}

#[test]
fn the_market_regulation_setting_chooses_between_order_45_and_36() {
    let f = [("CF_CFLB", "通报批评"), ORG, ("CF_GSRQ", "2026-05-20")];
    let p = catalog().publicity;
    let w = penalty(&p, SAMR, "2026-05-06", &f);
    assert_eq!(w.regime.as_deref(), Some("samr45"));
    assert_eq!(w.settings[0].code, "samr_2026");
    let p = rules_with(&[("choice = \"samr45\"", "choice = \"general\"")]);
    let w = penalty(&p, SAMR, "2026-05-06", &f);
    assert_eq!((w.regime.as_deref(), w.class, w.published), (Some("36"), Some(Class::轻微), false));
    assert_eq!(w.settings[0].choice, "general");
    // Before the setting's day, order 45 applies whatever the choice.
    assert_eq!(penalty(&p, SAMR, "2026-03-31", &f).regime.as_deref(), Some("samr45"));
}

#[test]
fn a_departments_own_table_replaces_the_general_one() {
    let table = "[[rule]]\ngroup = \"general\"\nregimes = [\"pre2019\", \"527\"]";
    let added = "[[table]]\nname = \"某市生态环境局行政处罚信息失信程度分类标准\"\ngroup = \"env\"\nregimes = [\"36\"]\n\
        departments = [\"生态环境\"]\nbasis = \"测试\"\nverified = true\n\n[[rule]]\ngroup = \"env\"\ntypes = [\"罚款\"]\n\
        class = \"严重\"\nreason = \"生态环境领域罚款\"\n\n[[rule]]\ngroup = \"env\"\nclass = \"一般\"\nreason = \"其他\"\n\n";
    let p = rules_with(&[(table, &format!("{added}{table}"))]);
    let fine = [("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")];
    let own = penalty(&p, ENV, "2026-05-01", &fine);
    assert_eq!(own.class, Some(Class::严重));
    assert!(
        own.reasons.iter().any(|r| r.contains("按某市生态环境局行政处罚信息失信程度分类标准分类")),
        "{:?}",
        own.reasons
    );
    assert!(own.verified);
    let other = penalty(&p, TRAFFIC, "2026-05-01", &fine);
    assert_eq!(other.class, Some(Class::一般));
    assert!(other.reasons.iter().any(|r| r.starts_with("未取得该部门的分类标准,按通用标准")));
    // Before 36号, classification is not the departments': the table is not used.
    assert_eq!(penalty(&p, ENV, "2025-05-01", &fine).class, Some(Class::一般));
}

#[test]
fn sectors_follow_the_law_cited_not_a_word() {
    let p = catalog().publicity;
    let all: Vec<String> = ["食品", "药品", "特种设备", "安全生产", "消防"].map(String::from).to_vec();
    let sector = |basis: &str| p.sector_of(basis, &all).map(|(s, _)| s);
    assert_eq!(sector("《中华人民共和国消防法》第六十条"), Some("消防"));
    assert_eq!(sector("消防法第六十条"), Some("消防"));
    assert_eq!(sector("《中华人民共和国道路交通安全法》第九十条;占用消防车通道"), None);
    assert_eq!(sector("违反消防安全管理规定"), None);
    assert_eq!(sector("《中华人民共和国特种设备安全法》第八十三条"), Some("特种设备"));
    assert_eq!(sector("《安全生产法》"), Some("安全生产"));
    assert_eq!(sector("《食品安全法实施条例》第六十七条"), Some("食品"));
    assert_eq!(sector("《食品安全国家标准》"), None);
    assert_eq!(sector("《农产品质量安全法》第七十一条"), None);
    assert_eq!(sector("《药品经营质量管理规范》"), None);
    // Only the sectors a regime names: order 45's one year is for 食品、药品、特种设备.
    let samr: Vec<String> = ["食品", "药品", "特种设备"].map(String::from).to_vec();
    assert_eq!(p.sector_of("《中华人民共和国消防法》第六十条", &samr), None);
}

/// A list follows its own 管理办法, which its page cites as the rule that applied: a 严重失信主体名单 entry of 2023
/// (市场监督管理严重违法失信名单, 总局令第44号: 3 years, early removal after 1 year; STANDARDS §8.3) is not a
/// 行政处罚信息 under 58号 (3 months, notes on penalties) — unlike a penalty of the same day — and no setting between
/// the penalty regimes is named for it.
#[test]
fn a_list_entry_follows_the_lists_rules_not_the_penalty_regimes() {
    let p = catalog().publicity;
    let fields: BTreeMap<String, String> =
        [("YZ_MDLX", "市场监督管理严重违法失信名单")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let facts = |item, decided| Facts {
        item,
        department: SAMR,
        fields: &fields,
        decided_on: Some(day(decided)),
        received_on: None,
    };
    let listed = p.window(&facts("yzsx", "2023-12-06"));
    assert_eq!((listed.class, listed.regime.as_deref()), (Some(Class::严重), None));
    assert_eq!(listed.repairable_from, Some(day("2024-12-06")), "after 1 year, not 58号's 3 months");
    assert_eq!(listed.last_day, Some(day("2026-12-05")));
    let cited = listed.regime_name.clone().unwrap_or_default();
    assert!(cited.contains("严重失信主体名单") && cited.contains("总局令第44号"), "{cited}");
    let words = format!(
        "{};{}",
        listed.reasons.join(";"),
        listed.status("严重失信主体名单", None, false, day("2026-01-01")).explanation
    );
    assert!(!words.contains("58号") && !words.contains("行政处罚"), "{words}");
    assert!(listed.settings.is_empty(), "{:?}", listed.settings);
    // A penalty of the same day still follows 58号.
    let fine = [("CF_CFLB", "罚款"), ORG, ("CF_NR_FK", "5")];
    assert_eq!(penalty(&p, ENV, "2023-12-06", &fine).regime.as_deref(), Some("58"));
    // Every list item cites its own rules, whatever the decision date.
    for item in ["yzsx", "jyyc", "sxbzxr", "zdss", "zfcgsx", "qxgz", "xzxf"] {
        for decided in ["2018-06-01", "2021-06-01", "2024-06-01", "2026-06-01"] {
            let w = p.window(&facts(item, decided));
            assert_eq!(w.regime, None, "{item} {decided}");
            assert!(w.reasons.iter().all(|r| !r.contains("行政处罚")), "{item} {decided}: {:?}", w.reasons);
        }
    }
}
