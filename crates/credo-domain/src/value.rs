//! Field values as departments write them: dates in several forms, money in 万元, years.

use rust_decimal::Decimal;
use time::{Date, Duration, Month, macros::date};

/// 2099-12-31: the national templates' way of saying "long-term" (长期).
pub const LONG_TERM: Date = date!(2099 - 12 - 31);

fn ymd(y: &str, m: &str, d: &str) -> Option<Date> {
    let y: i32 = y.trim().parse().ok()?;
    let m: u8 = m.trim().parse().ok()?;
    let d: u8 = d.trim().parse().ok()?;
    if !(1900..=2099).contains(&y) {
        return None;
    }
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// The same day `months` calendar months later; a day the month lacks becomes its last day (01-31 + 1 month =
/// 02-28 or 02-29). Past the end of the calendar (year 9999) the answer is its last day, never an earlier one.
pub fn add_months(d: Date, months: u32) -> Date {
    // In i64: a year times 12 plus `u32::MAX` months overflows i32 (found by tests/fuzz.rs).
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(months);
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let Ok(y) = i32::try_from(y) else { return Date::MAX };
    let month = Month::try_from(m).unwrap_or(Month::January);
    let last = month.length(y);
    Date::from_calendar_date(y, month, d.day().min(last)).unwrap_or(Date::MAX)
}

/// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYY年M月D日`, `YYYYMMDD`, an Excel serial day number
/// (1900 date system) and `长期` / `永久` (= [`LONG_TERM`]). A time part after the date (`2024-01-02 00:00:00`)
/// is ignored, as Excel exports add one.
pub fn parse_date(input: &str) -> Option<Date> {
    let s = input.trim();
    if s == "长期" || s == "永久" || s == "长期有效" {
        return Some(LONG_TERM);
    }
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|c| c.is_ascii_digit()) {
        return match s.len() {
            8 => ymd(&s[..4], &s[4..6], &s[6..]),
            1..=5 => {
                let n: i64 = s.parse().ok()?;
                // Excel's day 60 is the non-existent 1900-02-29; serials after it count from 1899-12-30.
                if n <= 60 {
                    return None;
                }
                date!(1899 - 12 - 30).checked_add(Duration::days(n))
            }
            _ => None,
        };
    }
    if let Some(rest) = s.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        return ymd(y, m, d);
    }
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && !m.is_empty() && m.len() <= 2 && !d.is_empty() && d.len() <= 2 => ymd(y, m, d),
        _ => None,
    }
}

/// Parses an amount in 万元 (ten thousand yuan): a non-negative decimal with at most 6 decimal places (1 分).
/// Units, thousands separators and words are refused, so that `2000元` is never read as 2000 万元.
pub fn parse_money(input: &str) -> Option<Decimal> {
    let s = input.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let d: Decimal = s.parse().ok()?;
    if d.scale() > 6 {
        return None;
    }
    Some(d.normalize())
}

/// A four-digit year from 1949 up to `this_year`.
pub fn parse_year(input: &str, this_year: i32) -> Option<i32> {
    let s = input.trim().trim_end_matches('年');
    if s.len() != 4 {
        return None;
    }
    let y: i32 = s.parse().ok()?;
    (1949..=this_year).contains(&y).then_some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_forms() {
        let d = date!(2024 - 03 - 05);
        for s in [
            "2024-03-05",
            "2024/03/05",
            "2024/3/5",
            "20240305",
            "2024年3月5日",
            "2024.03.05",
            "45356",
            "2024-03-05 00:00:00",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("2099/12/31"), Some(LONG_TERM));
        assert_eq!(parse_date("长期"), Some(LONG_TERM));
        for bad in ["2024-02-30", "2024-13-01", "24-03-05", "", "明天", "20240230", "2024/03"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn money_forms() {
        assert_eq!(parse_money("0.2").unwrap().to_string(), "0.2");
        assert_eq!(parse_money("1.500").unwrap().to_string(), "1.5");
        assert_eq!(parse_money("12").unwrap().to_string(), "12");
        for bad in ["-1", "2000元", "1,000", "1e3", "0.0000001", ""] {
            assert!(parse_money(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn months_past_the_calendar_end_at_its_last_day() {
        // Found by tests/fuzz.rs: `i32::MAX` months overflowed (a panic in debug builds), `u32::MAX` months wrapped
        // to minus one month, and a day past 9999 came back as the starting day.
        let d = date!(2024 - 01 - 31);
        assert_eq!(add_months(d, i32::MAX as u32), Date::MAX);
        assert_eq!(add_months(d, u32::MAX), Date::MAX);
        assert_eq!(add_months(date!(9905 - 02 - 20), 1280), Date::MAX);
        assert_eq!(add_months(d, 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(d, 0), d);
    }

    #[test]
    fn years() {
        assert_eq!(parse_year("2024", 2026), Some(2024));
        assert_eq!(parse_year("2024年", 2026), Some(2024));
        assert_eq!(parse_year("2027", 2026), None);
        assert_eq!(parse_year("24", 2026), None);
    }
}

/// A date as `YYYY-MM-DD` in serialised data (`#[serde(with = "crate::value::iso_date")]`).
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_date(&text).ok_or_else(|| serde::de::Error::custom(format!("date {text}")))
    }
}

/// An optional date as `YYYY-MM-DD` or null (`#[serde(default, with = "crate::value::iso_date_opt")]`).
pub mod iso_date_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => {
                super::parse_date(&text).map(Some).ok_or_else(|| serde::de::Error::custom(format!("date {text}")))
            }
            None => Ok(None),
        }
    }
}
