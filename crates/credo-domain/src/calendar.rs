//! The working-day calendar (`catalog/calendar.toml`): statutory holidays and the weekend days declared working
//! days (调休), per year as published; and the deadlines counted on it ([`Deadline`]).
//!
//! A year has one of three kinds of answer ([`Basis`]): the State Council's table; for a year without one, the
//! statutory days (法定节假日) of the 《全国年节及纪念日放假办法》 in force that year, computed from the lunar
//! calendar and the solar terms (provisional: its 补假 and 调休 days are unknown); or, for a year covered by
//! neither, weekends only. [`Counted`] carries the years of the last two kinds, and [`Counted::warning`] says so in
//! Chinese, so that no answer resting on them looks final.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};
use tyme4rs::tyme::lunar::LunarDay;
use tyme4rs::tyme::solar::{SOLAR_TERM_NAMES, SolarDay, SolarTerm};

use crate::DataError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Holiday {
    name: String,
    from: String,
    to: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearTable {
    year: i32,
    source: String,
    verified: bool,
    holidays: Vec<Holiday>,
    workdays: Vec<String>,
}

/// One statutory holiday: where it starts (a solar date, a lunar date or a solar term) and how many days it lasts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatutoryDay {
    name: String,
    /// `MM-DD` of the solar calendar.
    on: Option<String>,
    /// `MM-DD` of the lunar calendar, or `除夕` (the last day of the lunar year).
    lunar: Option<String>,
    /// A solar term by its name (清明).
    term: Option<String>,
    days: u32,
}

/// The statutory days of one version of the 《全国年节及纪念日放假办法》, for the years `from..=until`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statutory {
    pub name: String,
    pub basis: String,
    pub from: i32,
    pub until: i32,
    pub verified: bool,
    days: Vec<StatutoryDay>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    year: Vec<YearTable>,
    #[serde(default)]
    statutory: Vec<Statutory>,
}

/// One year: as published, or computed from the statutory days.
#[derive(Debug, Clone, Default)]
pub struct Year {
    pub source: String,
    pub verified: bool,
    /// Computed from the statutory days (no State Council table): 补假 and 调休 are unknown.
    pub provisional: bool,
    /// Holiday dates with the holiday's name.
    pub holidays: BTreeMap<Date, String>,
    /// Weekend days that are working days.
    pub workdays: BTreeSet<Date>,
}

/// What a day's answer rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The State Council's table for the year.
    Table,
    /// The statutory days only (provisional).
    Statutory,
    /// Neither: weekends only.
    WeekendsOnly,
}

/// An answer that may rest on a provisional year or on a year without any holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<T> {
    pub value: T,
    /// Years counted with weekends only (neither a table nor statutory days).
    pub weekends_only: Vec<i32>,
    /// Years counted with the statutory days only (no State Council table yet: 补假 and 调休 unknown).
    pub provisional: Vec<i32>,
}

fn years_text(years: &[i32]) -> String {
    years.iter().map(i32::to_string).collect::<Vec<_>>().join("、")
}

impl<T> Counted<T> {
    /// A Chinese warning when some year had no table.
    pub fn warning(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.provisional.is_empty() {
            parts.push(format!(
                "{} 年的国务院节假日安排尚未收录,按《全国年节及纪念日放假办法》规定的法定节假日计算,补假和调休上班日未知,结果可能变化",
                years_text(&self.provisional)
            ));
        }
        if !self.weekends_only.is_empty() {
            parts.push(format!("{} 年的节假日安排尚未收录,按仅排除周末计算", years_text(&self.weekends_only)));
        }
        (!parts.is_empty()).then(|| parts.join(";"))
    }

    fn note(&mut self, d: Date, basis: Basis) {
        let list = match basis {
            Basis::Table => return,
            Basis::Statutory => &mut self.provisional,
            Basis::WeekendsOnly => &mut self.weekends_only,
        };
        if !list.contains(&d.year()) {
            list.push(d.year());
            list.sort_unstable();
        }
    }
}

fn counted<T>(value: T) -> Counted<T> {
    Counted { value, weekends_only: Vec::new(), provisional: Vec::new() }
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// The State Council's tables.
    pub years: BTreeMap<i32, Year>,
    /// The statutory days, by version of the 办法.
    pub statutory: Vec<Statutory>,
    /// Years computed from `statutory` (whether or not a table replaces them), each on first use: the index of its
    /// rule and the days once computed.
    computed: BTreeMap<i32, (usize, OnceLock<Option<Year>>)>,
}

fn weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn to_date(s: &SolarDay) -> Option<Date> {
    let month = Month::try_from(u8::try_from(s.get_month()).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(s.get_year()).ok()?, month, u8::try_from(s.get_day()).ok()?).ok()
}

fn month_day(s: &str) -> Option<(u8, u8)> {
    let (m, d) = s.split_once('-')?;
    Some((m.parse().ok()?, d.parse().ok()?))
}

impl StatutoryDay {
    /// The first day of this holiday in `year`.
    fn start(&self, year: i32) -> Result<Date, String> {
        let y = year as isize;
        let bad = |why: &str| format!("{} 年 {}:{why}", year, self.name);
        match (&self.on, &self.lunar, &self.term) {
            (Some(on), None, None) => {
                let (m, d) = month_day(on).ok_or_else(|| bad("公历日期应为 MM-DD"))?;
                Month::try_from(m)
                    .ok()
                    .and_then(|m| Date::from_calendar_date(year, m, d).ok())
                    .ok_or_else(|| bad("公历日期无效"))
            }
            (None, Some(lunar), None) => {
                let (m, d, before) = if lunar == "除夕" {
                    (1, 1, 1)
                } else {
                    let (m, d) = month_day(lunar).ok_or_else(|| bad("农历日期应为 MM-DD 或 除夕"))?;
                    (m, d, 0)
                };
                // tyme panics on a month it does not know: check the range first.
                if !(1..=12).contains(&m) || !(1..=30).contains(&d) {
                    return Err(bad("农历日期无效"));
                }
                let day = LunarDay::new(y, isize::from(m), usize::from(d)).map_err(|e| bad(&e))?;
                let first = to_date(&day.get_solar_day()).ok_or_else(|| bad("农历换算失败"))?;
                Ok(first - Duration::days(before))
            }
            (None, None, Some(term)) => {
                // tyme panics on a name it does not know: check it first.
                if !SOLAR_TERM_NAMES.contains(&term.as_str()) {
                    return Err(bad(&format!("未知节气“{term}”")));
                }
                let t = SolarTerm::new(y, term).map_err(|e| bad(&e))?;
                let d = to_date(&t.get_solar_day()).ok_or_else(|| bad("节气换算失败"))?;
                // tyme counts the year of a term from the winter solstice before it: the term must fall in `year`.
                if d.year() != year {
                    return Err(bad(&format!("节气“{term}”不在该年")));
                }
                Ok(d)
            }
            _ => Err(bad("须恰有 on、lunar、term 之一")),
        }
    }
}

impl Statutory {
    fn year(&self, year: i32) -> Result<Year, String> {
        let mut t = Year { source: self.name.clone(), verified: self.verified, provisional: true, ..Year::default() };
        for h in &self.days {
            if h.days == 0 {
                return Err(format!("{}:{} 放假天数为 0", self.name, h.name));
            }
            let start = h.start(year)?;
            for i in 0..h.days {
                // Two holidays on one day (中秋 on 10月1日, as in 2020) keep both names.
                let name = t.holidays.entry(start + Duration::days(i.into())).or_default();
                if !name.is_empty() {
                    name.push('、');
                }
                name.push_str(&h.name);
            }
        }
        Ok(t)
    }
}

impl Calendar {
    pub fn from_toml(text: &str) -> Result<Calendar, DataError> {
        let bad = |m: String| DataError::new("calendar.toml", m);
        let f: CalendarFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let date = |s: &str| crate::value::parse_date(s).ok_or_else(|| bad(format!("日期“{s}”无效")));
        let mut years = BTreeMap::new();
        for y in f.year {
            let mut t = Year { source: y.source, verified: y.verified, ..Year::default() };
            for h in &y.holidays {
                let (from, to) = (date(&h.from)?, date(&h.to)?);
                if from > to || from.year() != y.year && to.year() != y.year {
                    return Err(bad(format!("{} 年 {}:日期范围无效", y.year, h.name)));
                }
                let mut d = from;
                while d <= to {
                    t.holidays.insert(d, h.name.clone());
                    d += Duration::days(1);
                }
            }
            for w in &y.workdays {
                let d = date(w)?;
                if !weekend(d) {
                    return Err(bad(format!("调休上班日 {w} 不是周末")));
                }
                if t.holidays.contains_key(&d) {
                    return Err(bad(format!("{w} 既是假日又是调休上班日")));
                }
                t.workdays.insert(d);
            }
            if years.insert(y.year, t).is_some() {
                return Err(bad(format!("{} 年重复", y.year)));
            }
        }
        let mut computed = BTreeMap::new();
        for (rule, s) in f.statutory.iter().enumerate() {
            if s.from > s.until {
                return Err(bad(format!("{}:年份范围无效", s.name)));
            }
            for y in s.from..=s.until {
                // The first and last years are computed now, so that a broken rule fails at load; the others when
                // first asked for (the lunar computation takes a fraction of a millisecond a year).
                let days = OnceLock::new();
                if y == s.from || y == s.until {
                    let _ = days.set(Some(s.year(y).map_err(&bad)?));
                }
                if computed.insert(y, (rule, days)).is_some() {
                    return Err(bad(format!("{y} 年有两套法定节假日")));
                }
            }
        }
        // A published table replaces the computed days; both are kept apart so that the tests can compare them.
        Ok(Calendar { years, statutory: f.statutory, computed })
    }

    /// The year's days and what they rest on (`None`: weekends only).
    pub fn year(&self, y: i32) -> (Option<&Year>, Basis) {
        match (self.years.get(&y), self.statutory_days(y)) {
            (Some(t), _) => (Some(t), Basis::Table),
            (None, Some(t)) => (Some(t), Basis::Statutory),
            (None, None) => (None, Basis::WeekendsOnly),
        }
    }

    /// The statutory days computed for `y` (whether or not a table replaces them).
    pub fn statutory_days(&self, y: i32) -> Option<&Year> {
        let (rule, days) = self.computed.get(&y)?;
        // A year that fails to compute (checked at load for each rule's first and last year) has no statutory days
        // and counts weekends only, with that warning.
        days.get_or_init(|| self.statutory.get(*rule).and_then(|s| s.year(y).ok())).as_ref()
    }

    /// Whether `d` is a working day, and what the answer rests on.
    pub fn is_working_day(&self, d: Date) -> (bool, Basis) {
        match self.year(d.year()) {
            (Some(y), basis) => {
                (if weekend(d) { y.workdays.contains(&d) } else { !y.holidays.contains_key(&d) }, basis)
            }
            (None, basis) => (!weekend(d), basis),
        }
    }

    /// Whether `d` is a working day, with the warning of its year.
    pub fn working(&self, d: Date) -> Counted<bool> {
        let (working, basis) = self.is_working_day(d);
        let mut out = counted(working);
        out.note(d, basis);
        out
    }

    /// The holiday `d` falls on, if any (with what the answer rests on).
    pub fn holiday(&self, d: Date) -> (Option<&str>, Basis) {
        let (y, basis) = self.year(d.year());
        (y.and_then(|y| y.holidays.get(&d)).map(String::as_str), basis)
    }

    /// The day that is `n` working days after `from` (`from` itself not counted; `n = 0` gives `from`).
    pub fn add_working_days(&self, from: Date, n: u32) -> Counted<Date> {
        let mut out = counted(from);
        let mut left = n;
        while left > 0 {
            out.value += Duration::days(1);
            let (working, basis) = self.is_working_day(out.value);
            out.note(out.value, basis);
            if working {
                left -= 1;
            }
        }
        out
    }

    /// `n` calendar days after `from`; when that day is not a working day, the next working day (期间的最后一日是
    /// 法定休假日的,以法定休假日结束的次日为期间的最后一日, 民法典 第二百零三条).
    pub fn add_days(&self, from: Date, n: u32) -> Counted<Date> {
        let mut out = counted(from + Duration::days(n.into()));
        loop {
            let (working, basis) = self.is_working_day(out.value);
            out.note(out.value, basis);
            if working {
                return out;
            }
            out.value += Duration::days(1);
        }
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> Counted<u32> {
        let mut out = counted(0);
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            let (working, basis) = self.is_working_day(d);
            out.note(d, basis);
            if working {
                out.value += 1;
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deadlines as data.

/// How a deadline's days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 工作日: weekends and holidays skipped, 调休 days counted.
    Working,
    /// 日 (calendar days), the last day moved past a holiday.
    Calendar,
}

/// A deadline after an event (a penalty changed or revoked, a list entry removed): by which items and departments
/// it applies, how many days, its legal basis.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    /// What must be done, in Chinese (撤回行政处罚公示).
    pub name: String,
    /// What starts the clock, in Chinese.
    pub after: String,
    pub days: u32,
    pub unit: Unit,
    /// Catalog items it applies to.
    pub items: Vec<String>,
    /// Departments whose name contains one of these words (empty: any department).
    #[serde(default)]
    pub departments: Vec<String>,
    pub basis: String,
    pub verified: bool,
}

impl Deadline {
    /// The last day allowed for an event on `from`.
    pub fn due(&self, calendar: &Calendar, from: Date) -> Counted<Date> {
        match self.unit {
            Unit::Working => calendar.add_working_days(from, self.days),
            Unit::Calendar => calendar.add_days(from, self.days),
        }
    }

    /// `3 个工作日` / `3 日`.
    pub fn period(&self) -> String {
        match self.unit {
            Unit::Working => format!("{} 个工作日", self.days),
            Unit::Calendar => format!("{} 日", self.days),
        }
    }

    /// The deadline for a record of `item` by `department`: the first in `list` that covers both (a
    /// department-specific entry is listed before the general one).
    pub fn find<'a>(list: &'a [Deadline], item: &str, department: &str) -> Option<&'a Deadline> {
        list.iter().find(|d| {
            d.items.iter().any(|i| i == item)
                && (d.departments.is_empty() || d.departments.iter().any(|w| department.contains(w.as_str())))
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::Basis;

    fn cal() -> super::Calendar {
        crate::embedded::catalog().calendar
    }

    #[test]
    fn worked_examples_of_the_2026_table() {
        let c = cal();
        assert_eq!(c.add_working_days(date!(2026 - 02 - 13), 5).value, date!(2026 - 02 - 27), "across 春节");
        assert_eq!(c.add_working_days(date!(2026 - 09 - 30), 3).value, date!(2026 - 10 - 10), "across 国庆");
        assert_eq!(c.add_working_days(date!(2026 - 09 - 18), 1).value, date!(2026 - 09 - 20), "a Sunday worked");
        assert_eq!(c.add_working_days(date!(2026 - 11 - 25), 0).value, date!(2026 - 11 - 25));
        assert!(c.add_working_days(date!(2026 - 02 - 13), 5).warning().is_none());
    }

    #[test]
    fn spring_festival_2025_and_between_is_the_inverse() {
        let c = cal();
        // 2025-01-24 (Fri) + 1: 01-26 is a Sunday worked.
        assert_eq!(c.add_working_days(date!(2025 - 01 - 24), 1).value, date!(2025 - 01 - 26));
        assert_eq!(c.add_working_days(date!(2025 - 01 - 26), 1).value, date!(2025 - 01 - 27));
        assert_eq!(c.add_working_days(date!(2025 - 01 - 27), 1).value, date!(2025 - 02 - 05), "holiday 01-28 to 02-04");
        for (from, n) in [(date!(2026 - 02 - 10), 20), (date!(2025 - 09 - 26), 5), (date!(2026 - 12 - 20), 15)] {
            let to = c.add_working_days(from, n).value;
            assert_eq!(c.working_days_between(from, to).value, n, "{from} + {n}");
        }
    }

    #[test]
    fn a_year_without_a_table_counts_its_statutory_days_and_says_so() {
        let c = cal();
        let r = c.add_working_days(date!(2026 - 12 - 30), 3);
        // 12-31 (Thu) counts; 2027-01-01 (Fri) is 元旦; then Mon 01-04 and Tue 01-05.
        assert_eq!(r.value, date!(2027 - 01 - 05));
        assert_eq!((r.provisional.clone(), r.weekends_only.clone()), (vec![2027], vec![]));
        let w = r.warning().unwrap_or_default();
        assert!(w.contains("2027") && w.contains("补假") && w.contains("调休"), "{w}");
        assert_eq!(c.is_working_day(date!(2027 - 01 - 01)), (false, Basis::Statutory));
    }

    #[test]
    fn past_the_statutory_years_only_weekends_count_and_the_answer_says_so() {
        let c = cal();
        let r = c.add_working_days(date!(2101 - 01 - 01), 1);
        assert_eq!(r.value, date!(2101 - 01 - 03), "2101-01-01 is a Saturday; Monday 01-03 is next");
        assert_eq!(r.weekends_only, vec![2101]);
        assert!(r.warning().unwrap_or_default().contains("仅排除周末"));
    }

    #[test]
    fn calendar_days_end_on_a_working_day() {
        let c = cal();
        // 2026-09-28 (Mon) + 3 days = 10-01, a holiday: the period ends on the next working day, 10-08.
        assert_eq!(c.add_days(date!(2026 - 09 - 28), 3).value, date!(2026 - 10 - 08));
        assert_eq!(c.add_days(date!(2026 - 11 - 02), 3).value, date!(2026 - 11 - 05));
    }

    #[test]
    fn broken_tables_are_refused() {
        let bad =
            "[[year]]\nyear = 2026\nsource = \"x\"\nverified = true\nholidays = []\nworkdays = [\"2026-01-05\"]\n";
        assert!(super::Calendar::from_toml(bad).is_err(), "a Monday cannot be a 调休 working day");
        let two = "year = []\n[[statutory]]\nname = \"a\"\nbasis = \"b\"\nfrom = 2030\nuntil = 2030\nverified = false\n\
                   days = [{ name = \"x\", on = \"01-01\", lunar = \"01-01\", days = 1 }]\n";
        assert!(super::Calendar::from_toml(two).is_err(), "a day is a solar date or a lunar date, not both");
    }

    proptest::proptest! {
        #[test]
        fn adding_lands_on_a_working_day_and_counting_back_gives_n(offset in 0i64..1500, n in 0u32..60) {
            let c = cal();
            let from = date!(2025 - 01 - 01) + time::Duration::days(offset);
            let to = c.add_working_days(from, n).value;
            proptest::prop_assert_eq!(c.working_days_between(from, to).value, n);
            if n > 0 {
                proptest::prop_assert!(c.is_working_day(to).0, "{} is not a working day", to);
            }
        }
    }
}
