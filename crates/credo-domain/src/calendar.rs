//! The working-day calendar (`catalog/calendar.toml`): statutory holidays and the weekend days declared working
//! days (调休), per year as published. Deadlines of objections, repairs and reports are counted with
//! [`Calendar::add_working_days`]; a year without a table counts weekends only and is named in the answer's
//! warnings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use time::{Date, Duration, Weekday};

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
    #[serde(default = "yes")]
    verified: bool,
    holidays: Vec<Holiday>,
    workdays: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    year: Vec<YearTable>,
}

/// One year as published.
#[derive(Debug, Clone, Default)]
pub struct Year {
    pub source: String,
    pub verified: bool,
    /// Holiday dates with the holiday's name.
    pub holidays: BTreeMap<Date, String>,
    /// Weekend days that are working days.
    pub workdays: BTreeSet<Date>,
}

/// An answer that may rest on a year without a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<T> {
    pub value: T,
    /// Years counted with weekends only (no published table).
    pub weekends_only: Vec<i32>,
}

impl<T> Counted<T> {
    /// A Chinese warning when some year had no table.
    pub fn warning(&self) -> Option<String> {
        if self.weekends_only.is_empty() {
            return None;
        }
        let years: Vec<String> = self.weekends_only.iter().map(i32::to_string).collect();
        Some(format!("{} 年的节假日安排尚未收录,按仅排除周末计算", years.join("、")))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub years: BTreeMap<i32, Year>,
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
                if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
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
        Ok(Calendar { years })
    }

    /// Whether `d` is a working day, and whether its year has a table.
    pub fn is_working_day(&self, d: Date) -> (bool, bool) {
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        match self.years.get(&d.year()) {
            Some(y) => (if weekend { y.workdays.contains(&d) } else { !y.holidays.contains_key(&d) }, true),
            None => (!weekend, false),
        }
    }

    /// The day that is `n` working days after `from` (`from` itself not counted; `n = 0` gives `from`).
    pub fn add_working_days(&self, from: Date, n: u32) -> Counted<Date> {
        let mut d = from;
        let mut left = n;
        let mut missing = BTreeSet::new();
        while left > 0 {
            d += Duration::days(1);
            let (working, known) = self.is_working_day(d);
            if !known {
                missing.insert(d.year());
            }
            if working {
                left -= 1;
            }
        }
        Counted { value: d, weekends_only: missing.into_iter().collect() }
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> Counted<u32> {
        let mut n = 0;
        let mut missing = BTreeSet::new();
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            let (working, known) = self.is_working_day(d);
            if !known {
                missing.insert(d.year());
            }
            if working {
                n += 1;
            }
        }
        Counted { value: n, weekends_only: missing.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

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
    fn a_year_without_a_table_counts_weekends_and_says_so() {
        let c = cal();
        let r = c.add_working_days(date!(2026 - 12 - 30), 3);
        // 12-31 (Thu) counts; 2027-01-01 (Fri) counts: no 2027 table yet; then Mon 01-04.
        assert_eq!(r.value, date!(2027 - 01 - 04));
        assert_eq!(r.weekends_only, vec![2027]);
        assert!(r.warning().unwrap().contains("2027"));
    }

    #[test]
    fn broken_tables_are_refused() {
        let bad = "[[year]]\nyear = 2026\nsource = \"x\"\nholidays = []\nworkdays = [\"2026-01-05\"]\n";
        assert!(super::Calendar::from_toml(bad).is_err(), "a Monday cannot be a 调休 working day");
    }

    proptest::proptest! {
        #[test]
        fn adding_lands_on_a_working_day_and_counting_back_gives_n(offset in 0i64..1100, n in 0u32..60) {
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
