//! 北京时间: every time and day a person reads, and every "day" the platform counts in, is China Standard Time
//! (Asia/Shanghai, UTC+8; no daylight saving since 1991). The store keeps instants as UTC texts
//! (`2030-01-01T00:00:00.500000000Z`); this module is the one place that turns them into the day and the time a
//! user reads (`2030-01-01 08:00:00`), so that no page shows UTC, an offset or nanoseconds.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

/// UTC+8.
pub const OFFSET: UtcOffset = time::macros::offset!(+8);

/// The day in Beijing of an instant.
pub fn day(t: OffsetDateTime) -> Date {
    t.to_offset(OFFSET).date()
}

/// Today in Beijing by the wall clock.
pub fn today() -> Date {
    day(OffsetDateTime::now_utc())
}

/// An instant as a user reads it: Beijing time to the second, `2026-03-01 10:15:07`.
pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(OFFSET);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A stored time text (RFC 3339, any offset) as [`format`] shows it; a text that is not one is returned as it is.
pub fn stored(text: &str) -> String {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map(format).unwrap_or_else(|_| text.to_string())
}

/// The Beijing day of a stored time text (RFC 3339), or of a plain `YYYY-MM-DD` date.
pub fn stored_day(text: &str) -> Option<Date> {
    match OffsetDateTime::parse(text.trim(), &Rfc3339) {
        Ok(t) => Some(day(t)),
        Err(_) => credo_domain::value::parse_date(text),
    }
}

/// The day an `as_of` asks about (`YYYY-MM-DD`, the end of that day in Beijing, or an RFC 3339 instant) and, when
/// it is before `today`, the instant up to which what the store received counts (a replay); none asked: today, no
/// replay. A day after `today` is refused.
pub fn as_of(text: Option<&str>, today: Date) -> Result<(Date, Option<OffsetDateTime>), String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok((today, None)) };
    let at = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => t,
        Err(_) => {
            let d = credo_domain::value::parse_date(text)
                .ok_or_else(|| format!("as_of“{text}”应为 YYYY-MM-DD 或 RFC 3339 时间"))?;
            d.next_day().unwrap_or(d).midnight().assume_offset(OFFSET) - time::Duration::nanoseconds(1)
        }
    };
    let day = day(at);
    if day > today {
        return Err(format!("as_of({day})不能晚于今天({today})"));
    }
    Ok((day, (day < today).then_some(at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn beijing_time_to_the_second() {
        assert_eq!(format(datetime!(2026-03-01 02:15:07.123456789 UTC)), "2026-03-01 10:15:07");
        // Late evening UTC is the next morning in Beijing.
        assert_eq!(format(datetime!(2026-12-31 16:00:00 UTC)), "2027-01-01 00:00:00");
        assert_eq!(stored("2026-03-01T02:15:07.500000000Z"), "2026-03-01 10:15:07");
        assert_eq!(stored("2026-03-01T10:15:07+08:00"), "2026-03-01 10:15:07");
        assert_eq!(stored("不是时间"), "不是时间");
    }

    #[test]
    fn beijing_day() {
        assert_eq!(day(datetime!(2026-06-01 15:59:59 UTC)), date!(2026 - 06 - 01));
        assert_eq!(day(datetime!(2026-06-01 16:00:00 UTC)), date!(2026 - 06 - 02));
        assert_eq!(stored_day("2026-06-01T16:00:00.000000000Z"), Some(date!(2026 - 06 - 02)));
        assert_eq!(stored_day("2026-06-01"), Some(date!(2026 - 06 - 01)));
    }
}
