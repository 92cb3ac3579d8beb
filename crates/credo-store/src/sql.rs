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

/// Rows per multi-row INSERT for a table with `cols` columns.
pub(crate) fn rows_per_insert(cols: usize) -> usize {
    PARAMS_PER_STATEMENT / cols
}

/// `$first,$first+1,…` for an `IN (…)` list of `n` values whose first is parameter number `first`.
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn marks_number_the_parameters_from_the_first() {
        assert_eq!(super::marks(1, 3), "$1,$2,$3");
        assert_eq!(super::marks(4, 2), "$4,$5");
        assert_eq!(super::marks(1, 0), "");
    }
}
