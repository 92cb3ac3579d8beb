//! What both SQL backends share outside their queries: reading stored times, dates and kinds, and the sizes of
//! multi-row statements. The aggregates' implementations themselves are written once, in `backend/`, and compiled
//! for each backend (`sqlite`, `postgres`) with that backend's pool and database type; their SQL is the portable
//! subset both engines run (numbered `$n` parameters, `ON CONFLICT`, `RETURNING`, text times).

use credo_domain::catalog::SubjectKind;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::{Result, StoreError};

/// Bound parameters per statement: SQLite allows 32766 and PostgreSQL 65535; stay well below both.
pub(crate) const PARAMS_PER_STATEMENT: usize = 30000;
/// Values per `IN (…)` list.
pub(crate) const IN_LIST: usize = 900;

pub(crate) fn parse_time(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| StoreError::Corrupt(format!("time {s}: {e}")))
}

pub(crate) fn parse_date(s: Option<String>) -> Option<Date> {
    s.and_then(|s| Date::parse(&s, &time::format_description::well_known::Iso8601::DATE).ok())
}

pub(crate) fn kind_of(s: &str) -> Result<SubjectKind> {
    SubjectKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("subject kind {s}")))
}

/// One value of a row written in bulk ([`Val`] rows go to each backend's `insert_rows`: multi-row `INSERT`s on SQLite,
/// `COPY … FROM STDIN` on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Text(v)
    }
}

impl<'a, T: Into<Val<'a>>> From<Option<T>> for Val<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// `v` in PostgreSQL's `COPY` text format: `\N` for NULL; backslash, tab, newline and carriage return escaped.
pub fn copy_text(out: &mut Vec<u8>, v: Val<'_>) {
    match v {
        Val::Null => out.extend_from_slice(b"\\N"),
        Val::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Val::Text(t) => {
            for b in t.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// Rows per multi-row INSERT for a table with `cols` columns.
pub(crate) fn rows_per_insert(cols: usize) -> usize {
    PARAMS_PER_STATEMENT / cols
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_text_escapes_what_the_format_reserves() {
        let mut out = Vec::new();
        for v in [super::Val::Text("a\tb\\c\nd\re"), super::Val::Null, super::Val::Int(-7), super::Val::Text("鑫源")]
        {
            super::copy_text(&mut out, v);
            out.push(b'|');
        }
        assert_eq!(String::from_utf8(out).unwrap(), "a\\tb\\\\c\\nd\\re|\\N|-7|鑫源|");
    }
}
