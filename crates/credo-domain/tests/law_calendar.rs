//! Law cases of the working-day calendar and the withdrawal deadlines (issue 12, parts 3 and 5): the 2027 statutory
//! days computed from the lunar calendar, the published 2025 and 2026 tables, and the deadlines of
//! `catalog/publicity.toml` `[[deadlines.withdrawal]]` counted on them.

use credo_domain::calendar::{Basis, Calendar, Deadline};
use credo_domain::catalog::Catalog;
use time::Date;
use time::macros::date;

/// What a case asks of the calendar.
#[derive(Debug, Clone, Copy)]
enum Ask {
    /// Whether the day is a working day.
    Working(Date),
    /// The name of the holiday the day falls on (`None`: not a holiday).
    Holiday(Date),
    /// The statutory days computed for the day's year, whether or not a table replaces them.
    Statutory(Date),
    /// `from + n` working days.
    AddWorking(Date, u32),
    /// The last day to withdraw a record of `item` by `department` after its change or removal on `from`.
    Withdraw(&'static str, &'static str, Date),
}

#[derive(Debug, Clone)]
enum Want {
    Working(bool),
    Holiday(Option<&'static str>),
    Day(Date),
}

struct Case {
    name: &'static str,
    /// The law and article, or the STANDARDS.md section.
    source: &'static str,
    ask: Ask,
    want: Want,
    /// A word the answer's warning must contain (`None`: the answer carries no warning).
    warns: Option<&'static str>,
}

const XINING_EPB: &str = "西宁市生态环境局";
const XINING_SAMR: &str = "西宁市市场监督管理局";
const PROVISIONAL: Option<&str> = Some("补假和调休上班日未知");

// law-case table: 2027 statutory holidays, the 2025 and 2026 tables, provisional years, withdrawal deadlines.
const CASES: &[Case] = &[
    Case {
        name: "2027 元旦",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第一项; STANDARDS §12 (2027)",
        ask: Ask::Holiday(date!(2027 - 01 - 01)),
        want: Want::Holiday(Some("元旦")),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027-01-04 (Monday) is a working day",
        source: "STANDARDS §12 (2027); 《全国年节及纪念日放假办法》(2024) 第二条",
        ask: Ask::Working(date!(2027 - 01 - 04)),
        want: Want::Working(true),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 春节 starts on 除夕 2027-02-05 (Friday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第二项 (农历除夕、正月初一至初三); STANDARDS §12",
        ask: Ask::Holiday(date!(2027 - 02 - 05)),
        want: Want::Holiday(Some("春节")),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 春节 ends on 初三 2027-02-08 (Monday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第二项; STANDARDS §12",
        ask: Ask::Working(date!(2027 - 02 - 08)),
        want: Want::Working(false),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027-02-09 (初四, Tuesday) is a working day until the notice says otherwise",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第二项; STANDARDS §12",
        ask: Ask::Working(date!(2027 - 02 - 09)),
        want: Want::Working(true),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 清明节 on the solar term, 2027-04-05 (Monday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第三项 (农历清明当日); STANDARDS §12",
        ask: Ask::Working(date!(2027 - 04 - 05)),
        want: Want::Working(false),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 劳动节 5月1日",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第四项 (5月1日、2日); STANDARDS §12",
        ask: Ask::Holiday(date!(2027 - 05 - 01)),
        want: Want::Holiday(Some("劳动节")),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 劳动节 5月2日",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第四项; STANDARDS §12",
        ask: Ask::Holiday(date!(2027 - 05 - 02)),
        want: Want::Holiday(Some("劳动节")),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 端午节 2027-06-09 (Wednesday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第五项 (农历端午当日); STANDARDS §12",
        ask: Ask::Working(date!(2027 - 06 - 09)),
        want: Want::Working(false),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 中秋节 2027-09-15 (Wednesday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第六项 (农历中秋当日); STANDARDS §12",
        ask: Ask::Working(date!(2027 - 09 - 15)),
        want: Want::Working(false),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 国庆节 10月1日 (Friday)",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第七项 (10月1日、2日、3日); STANDARDS §12",
        ask: Ask::Working(date!(2027 - 10 - 01)),
        want: Want::Working(false),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027 国庆节 10月3日",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第七项; STANDARDS §12",
        ask: Ask::Holiday(date!(2027 - 10 - 03)),
        want: Want::Holiday(Some("国庆节")),
        warns: PROVISIONAL,
    },
    Case {
        name: "2027-10-04 (Monday) counts as a working day: its 补假 is not known yet",
        source: "《全国年节及纪念日放假办法》(2024) 第六条 (适逢周六、周日应当补假); STANDARDS §12",
        ask: Ask::Working(date!(2027 - 10 - 04)),
        want: Want::Working(true),
        warns: PROVISIONAL,
    },
    Case {
        name: "a deadline into 2027 is provisional and says so",
        source: "STANDARDS §12 (2027: mark the year provisional and warn that 补假 and 调休 are unknown)",
        ask: Ask::AddWorking(date!(2026 - 12 - 30), 3),
        want: Want::Day(date!(2027 - 01 - 05)),
        warns: PROVISIONAL,
    },
    Case {
        name: "2026 worked example across 春节",
        source: "国务院办公厅关于2026年部分节假日安排的通知; STANDARDS §12 worked examples",
        ask: Ask::AddWorking(date!(2026 - 02 - 13), 5),
        want: Want::Day(date!(2026 - 02 - 27)),
        warns: None,
    },
    Case {
        name: "2026 worked example across 国庆",
        source: "国务院办公厅关于2026年部分节假日安排的通知; STANDARDS §12 worked examples",
        ask: Ask::AddWorking(date!(2026 - 09 - 30), 3),
        want: Want::Day(date!(2026 - 10 - 10)),
        warns: None,
    },
    Case {
        name: "2026 worked example onto a Sunday worked (调休)",
        source: "国务院办公厅关于2026年部分节假日安排的通知; STANDARDS §12 worked examples",
        ask: Ask::AddWorking(date!(2026 - 09 - 18), 1),
        want: Want::Day(date!(2026 - 09 - 20)),
        warns: None,
    },
    Case {
        name: "2025 春节 from the verified table",
        source: "国办发明电〔2024〕12号; STANDARDS §12 (2025)",
        ask: Ask::AddWorking(date!(2025 - 01 - 27), 1),
        want: Want::Day(date!(2025 - 02 - 05)),
        warns: None,
    },
    Case {
        name: "the 2024 办法 computed for 2025 gives 除夕 2025-01-28",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第二项; 国办发明电〔2024〕12号 (春节 1月28日 农历除夕)",
        ask: Ask::Statutory(date!(2025 - 01 - 28)),
        want: Want::Holiday(Some("春节")),
        warns: None,
    },
    Case {
        name: "the 2024 办法 computed for 2025 gives 中秋 2025-10-06",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第六项; 国办发明电〔2024〕12号 (国庆节、中秋节 10月1日–8日)",
        ask: Ask::Statutory(date!(2025 - 10 - 06)),
        want: Want::Holiday(Some("中秋节")),
        warns: None,
    },
    Case {
        name: "the 2024 办法 computed for 2026 gives 除夕 2026-02-16",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第二项; 国务院办公厅关于2026年部分节假日安排的通知 (春节 2月15日–23日)",
        ask: Ask::Statutory(date!(2026 - 02 - 16)),
        want: Want::Holiday(Some("春节")),
        warns: None,
    },
    Case {
        name: "the 2024 办法 computed for 2026 gives 清明 2026-04-05",
        source: "《全国年节及纪念日放假办法》(2024) 第二条第三项; 国务院办公厅关于2026年部分节假日安排的通知 (清明节 4月4日–6日)",
        ask: Ask::Statutory(date!(2026 - 04 - 05)),
        want: Want::Holiday(Some("清明节")),
        warns: None,
    },
    Case {
        name: "2024 under the 2013 办法: 除夕 is not a statutory day",
        source: "《全国年节及纪念日放假办法》(2013) 第二条第二项 (春节放假3天: 正月初一至初三)",
        ask: Ask::Holiday(date!(2024 - 02 - 09)),
        want: Want::Holiday(None),
        warns: PROVISIONAL,
    },
    Case {
        name: "2024 under the 2013 办法: 劳动节 is one day",
        source: "《全国年节及纪念日放假办法》(2013) 第二条第四项 (5月1日)",
        ask: Ask::Working(date!(2024 - 05 - 02)),
        want: Want::Working(true),
        warns: PROVISIONAL,
    },
    Case {
        name: "before 2014 only weekends are skipped, and the answer says so",
        source: "STANDARDS §12 (a year without a table); no statutory days before the 2013 办法 (in force 2014-01-01) are kept",
        ask: Ask::AddWorking(date!(2013 - 09 - 30), 1),
        want: Want::Day(date!(2013 - 10 - 01)),
        warns: Some("仅排除周末"),
    },
    Case {
        name: "a penalty revoked on a Friday is withdrawn within 3 working days, across the weekend",
        source: "行政处罚法 (2021) 第四十八条第二款 (三日内撤回), 第八十五条 (“三日”指工作日)",
        ask: Ask::Withdraw("xzcf", XINING_EPB, date!(2026 - 11 - 06)),
        want: Want::Day(date!(2026 - 11 - 11)),
        warns: None,
    },
    Case {
        name: "a penalty changed on the eve of 2027 元旦 (provisional)",
        source: "行政处罚法 (2021) 第四十八条第二款, 第八十五条; STANDARDS §12 (2027)",
        ask: Ask::Withdraw("xzcf", XINING_EPB, date!(2026 - 12 - 31)),
        want: Want::Day(date!(2027 - 01 - 06)),
        warns: PROVISIONAL,
    },
    Case {
        name: "an SAMR penalty revoked on the Friday before 春节 2026: the Saturday worked counts, then the holiday is skipped",
        source: "总局令第45号 第十一条 (3个工作日内撤回); STANDARDS §4.6; 国务院办公厅关于2026年部分节假日安排的通知 (2月14日上班)",
        ask: Ask::Withdraw("xzcf", XINING_SAMR, date!(2026 - 02 - 13)),
        want: Want::Day(date!(2026 - 02 - 25)),
        warns: None,
    },
    Case {
        name: "a list entry removed before 国庆 2026: 3 working days, the Saturday worked counts",
        source: "STANDARDS §13.3 (3 working days after removal); 国务院办公厅关于2026年部分节假日安排的通知 (10月10日上班)",
        ask: Ask::Withdraw("jyyc", XINING_SAMR, date!(2026 - 09 - 30)),
        want: Want::Day(date!(2026 - 10 - 10)),
        warns: None,
    },
    Case {
        name: "a list entry removed before 国庆 2027: 3 working days past the statutory days",
        source: "STANDARDS §13.3; 《全国年节及纪念日放假办法》(2024) 第二条第七项; STANDARDS §12 (2027)",
        ask: Ask::Withdraw("yzsx", XINING_EPB, date!(2027 - 09 - 30)),
        want: Want::Day(date!(2027 - 10 - 06)),
        warns: PROVISIONAL,
    },
    Case {
        name: "a 失信被执行人 entry 屏蔽 on a Friday before 元旦 2027",
        source: "STANDARDS §13.3; STANDARDS §12 (2027)",
        ask: Ask::Withdraw("sxbzxr", "西宁市中级人民法院", date!(2026 - 12 - 25)),
        want: Want::Day(date!(2026 - 12 - 30)),
        warns: None,
    },
];

/// A case's answer in words, so that wanted and got compare as text.
fn words(w: &Want) -> String {
    match w {
        Want::Working(true) => "工作日".into(),
        Want::Working(false) => "休息日".into(),
        Want::Holiday(Some(name)) => name.to_string(),
        Want::Holiday(None) => "非法定节假日".into(),
        Want::Day(d) => d.to_string(),
    }
}

fn answer(cal: &Calendar, catalog: &Catalog, ask: Ask) -> Result<(String, Option<String>), String> {
    Ok(match ask {
        Ask::Working(d) => {
            let r = cal.working(d);
            (words(&Want::Working(r.value)), r.warning())
        }
        Ask::Holiday(d) => {
            let name = cal.holiday(d).0.map_or("非法定节假日".to_string(), str::to_string);
            (name, cal.working(d).warning())
        }
        Ask::Statutory(d) => {
            let y = cal.statutory_days(d.year()).ok_or_else(|| format!("{} 年没有法定节假日", d.year()))?;
            (y.holidays.get(&d).cloned().unwrap_or_else(|| "非法定节假日".into()), None)
        }
        Ask::AddWorking(from, n) => {
            let r = cal.add_working_days(from, n);
            (r.value.to_string(), r.warning())
        }
        Ask::Withdraw(item, department, from) => {
            let list = &catalog.publicity.deadlines.withdrawal;
            let d = Deadline::find(list, item, department).ok_or_else(|| format!("{item} 没有撤回时限"))?;
            let r = d.due(cal, from);
            (r.value.to_string(), r.warning())
        }
    })
}

#[test]
fn law_cases_of_the_calendar_and_the_withdrawal_deadlines() {
    let catalog = credo_domain::embedded::catalog();
    let cal = &catalog.calendar;
    let mut failed = Vec::new();
    for c in CASES {
        match answer(cal, &catalog, c.ask) {
            Ok((got, warning)) => {
                let warned_right = match (c.warns, &warning) {
                    (None, None) => true,
                    (Some(word), Some(w)) => w.contains(word),
                    _ => false,
                };
                if got != words(&c.want) || !warned_right {
                    failed.push(format!(
                        "{} [{}]: asked {:?}, want {:?} (warning with {:?}), got {:?} (warning {:?})",
                        c.name, c.source, c.ask, c.want, c.warns, got, warning
                    ));
                }
            }
            Err(e) => failed.push(format!("{} [{}]: {e}", c.name, c.source)),
        }
    }
    assert!(CASES.len() >= 6);
    assert!(failed.is_empty(), "{} of {} law cases failed:\n{}", failed.len(), CASES.len(), failed.join("\n"));
}

/// The same computation that gives 2027 must give the statutory days inside the published 2025 and 2026 tables:
/// every statutory day computed for those years is a holiday of the table, and each holiday of the table holds
/// the statutory days of its name.
#[test]
fn the_statutory_days_computed_for_2025_and_2026_lie_inside_the_published_tables() {
    let cal = credo_domain::embedded::catalog().calendar;
    for year in [2025, 2026] {
        let table = &cal.years[&year];
        assert!(table.verified && !table.provisional, "{year}: the table is verified and final");
        let computed = cal.statutory_days(year).unwrap_or_else(|| panic!("{year}: no statutory days"));
        assert_eq!(computed.holidays.len(), 13, "{year}: 11 statutory days plus 2 (除夕, 5月2日) since 2025");
        for (day, name) in &computed.holidays {
            let published = table.holidays.get(day).unwrap_or_else(|| panic!("{year}: {day} ({name}) is no holiday"));
            assert!(published.contains(name.trim_end_matches('节')), "{year}: {day} is {published}, computed {name}");
        }
    }
}

#[test]
fn the_2027_statutory_days_are_those_of_standards_12() {
    let cal = credo_domain::embedded::catalog().calendar;
    let (year, basis) = cal.year(2027);
    assert_eq!(basis, Basis::Statutory);
    let year = year.unwrap_or_else(|| panic!("no 2027"));
    assert!(year.provisional && year.workdays.is_empty());
    let days: Vec<String> = year.holidays.keys().map(Date::to_string).collect();
    assert_eq!(
        days,
        [
            "2027-01-01",
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-04-05",
            "2027-05-01",
            "2027-05-02",
            "2027-06-09",
            "2027-09-15",
            "2027-10-01",
            "2027-10-02",
            "2027-10-03",
        ]
    );
}

/// Every list item that a removal ends (`ended_by`) and the penalties have a withdrawal deadline; each cites its
/// basis. A new list item without one fails here.
#[test]
fn every_removable_item_has_a_withdrawal_deadline_with_its_basis() {
    let catalog = credo_domain::embedded::catalog();
    let deadlines = &catalog.publicity.deadlines.withdrawal;
    let removable = catalog.publicity.items.values().filter(|i| !i.ended_by.is_empty()).map(|i| i.code.as_str());
    for item in removable.chain(["xzcf"]) {
        let d = Deadline::find(deadlines, item, "西宁市某局").unwrap_or_else(|| panic!("{item}: no deadline"));
        assert!(d.days > 0 && !d.basis.is_empty(), "{item}: {d:?}");
    }
    for d in deadlines {
        let unknown: Vec<&String> = d.items.iter().filter(|i| catalog.item(i).is_none()).collect();
        assert!(unknown.is_empty(), "{}: no such catalog items {unknown:?}", d.name);
    }
    let samr = Deadline::find(deadlines, "xzcf", XINING_SAMR).map(|d| d.basis.as_str()).unwrap_or_default();
    assert!(samr.contains("总局令第45号"), "SAMR departments follow 总局令第45号 第十一条: {samr}");
    let drugs = Deadline::find(deadlines, "xzcf", "青海省药品监督管理局").map(|d| d.basis.as_str()).unwrap_or_default();
    assert!(drugs.contains("第十八条"), "药品监督管理 departments too (第十八条): {drugs}");
}

/// Every year the statutory rules cover computes (they are computed on first use, so a failure would otherwise
/// only show as a weekends-only warning), with each holiday in its season.
#[test]
fn every_statutory_year_from_2014_to_2100_computes_in_season() {
    let cal = credo_domain::embedded::catalog().calendar;
    for year in 2014..=2100 {
        let days = cal.statutory_days(year).unwrap_or_else(|| panic!("{year}: not computed"));
        // Days of holidays, counted by name: 中秋 may fall on 国庆 (2020-10-01), one day with both names.
        let named: usize = days.holidays.values().map(|n| n.split('、').count()).sum();
        assert_eq!(named, if year < 2025 { 11 } else { 13 }, "{year}");
        let first =
            |name: &str| days.holidays.iter().find(|(_, n)| n.split('、').any(|x| x == name)).map(|(d, _)| *d).unwrap();
        let spring = first("春节");
        assert!(Date::from_calendar_date(year, time::Month::January, 20).unwrap() <= spring, "{year}: {spring}");
        assert!(spring <= Date::from_calendar_date(year, time::Month::February, 20).unwrap(), "{year}: {spring}");
        let qingming = first("清明节");
        assert!(qingming.month() == time::Month::April && (4..=5).contains(&qingming.day()), "{year}: {qingming}");
        let mid_autumn = first("中秋节");
        assert!((time::Month::September..=time::Month::October).contains(&mid_autumn.month()), "{year}: {mid_autumn}");
    }
}
