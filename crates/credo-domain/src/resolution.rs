//! 主体识别 (subject resolution): which known subject a record is about, from what the record says of it.
//!
//! One order, used wherever a record meets the subjects table (ingest, re-keying, the unresolved queue, checks):
//!
//! 1. the **primary code**: 统一社会信用代码 (USCC), else 居民身份证号码, else another identity document;
//! 2. each **legacy code** in turn (工商注册号, 组织机构代码, 税务登记号 …, as the item lists them);
//! 3. only when the record carries **no primary code**: the **normalised name** ([`crate::name::normalize_name`]):
//!    the one subject of that name, else the one subject of that name registered in the record's region;
//!    several, and the region does not single one out: **ambiguous**, and the record waits in the unresolved queue.
//!
//! A record with a primary code that no subject carries names a subject the platform does not know yet
//! ([`Resolution::NewSubject`]); it is never matched by name, so that a namesake cannot take its records. The order
//! follows ARCHITECTURE.md "Flows: Ingest" (code first, then normalised exact name within region, else unresolved
//! queue); GB 32100-2015 makes the USCC the one lifelong code of an organisation (STANDARDS §1), which is why it
//! outranks everything else.
//!
//! Nothing here reads the store: the caller says which subject carries a code and which subjects bear a name,
//! from a map filled beforehand or a query, keyed however it keys them (a person's codes and names by their blind
//! index).
//!
//! ```
//! use credo_domain::resolution::{Keys, Resolution, Via, resolve};
//! let keys = Keys { primary: None, legacy: &["630100123456789"], name: "西宁鑫源商贸有限公司", region: None };
//! let found = resolve(&keys, |code| (code == "630100123456789").then_some(7), |_| Vec::new());
//! assert_eq!(found, Resolution::ByCode { subject: 7, via: Via::Legacy(0) });
//! assert_eq!(found.subject(), Some(7));
//! ```

/// A subject bearing the name asked about: `(subject id, region code)`.
pub type Candidate = (i64, Option<String>);

/// What a record says about its subject, each code and the name keyed as the caller's lookups key them.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a, S = &'a str> {
    /// USCC, else 居民身份证号码, else another identity document ([`crate::catalog::SubjectRef::primary_code`]).
    pub primary: Option<&'a str>,
    /// Legacy codes, in the item's order.
    pub legacy: &'a [S],
    /// The normalised name.
    pub name: &'a str,
    /// The record's region (its own field, else from the USCC or the ID number).
    pub region: Option<&'a str>,
}

impl<S: AsRef<str>> Keys<'_, S> {
    /// The codes to look up, in the order they count: the primary code, then the legacy codes.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.primary.into_iter().chain(self.legacy.iter().map(AsRef::as_ref))
    }

    /// The name to look up when no code finds the subject: `None` when the record carries a primary code (a code
    /// no subject carries names a new subject, never a namesake).
    pub fn name_lookup(&self) -> Option<&str> {
        self.primary.is_none().then_some(self.name)
    }
}

/// Which code found the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Primary,
    /// The legacy code at this index of [`Keys::legacy`].
    Legacy(usize),
}

/// How a record's subject was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A subject carries one of the record's codes.
    ByCode { subject: i64, via: Via },
    /// No code found it; the name did: the only subject of that name, or (`within_region`) the only one of them in
    /// the record's region.
    ByName { subject: i64, within_region: bool },
    /// The record carries a primary code that no subject carries: it names a subject not known yet, to be keyed
    /// by that code (ingest creates it; elsewhere the record waits in the unresolved queue).
    NewSubject,
    /// No code, and several subjects bear the name without the region singling one out: the subjects of that name
    /// (those of the record's region, when there are several of them).
    Ambiguous { candidates: Vec<i64> },
    /// No code, and no subject bears the name.
    Unknown,
}

impl Resolution {
    /// The subject found, if any.
    pub fn subject(&self) -> Option<i64> {
        match self {
            Resolution::ByCode { subject, .. } | Resolution::ByName { subject, .. } => Some(*subject),
            _ => None,
        }
    }
}

/// Resolves a record's subject in the platform's order (see the module): `by_code` says which subject carries a
/// code; `by_name` lists the subjects bearing a name (asked at most once, and only when the record has no primary
/// code).
pub fn resolve<S, C>(
    keys: &Keys<'_, S>,
    mut by_code: impl FnMut(&str) -> Option<i64>,
    by_name: impl FnOnce(&str) -> C,
) -> Resolution
where
    S: AsRef<str>,
    C: AsRef<[Candidate]>,
{
    if let Some(subject) = keys.primary.and_then(&mut by_code) {
        return Resolution::ByCode { subject, via: Via::Primary };
    }
    if let Some((n, subject)) = keys.legacy.iter().enumerate().find_map(|(n, c)| Some((n, by_code(c.as_ref())?))) {
        return Resolution::ByCode { subject, via: Via::Legacy(n) };
    }
    match keys.name_lookup() {
        Some(name) => by_name_in_region(by_name(name).as_ref(), keys.region),
        None => Resolution::NewSubject,
    }
}

/// The name step alone: the only subject among `candidates` (those bearing the name), else the only one of them in
/// `region`; [`Resolution::Ambiguous`] when neither singles one out, [`Resolution::Unknown`] when there is none.
pub fn by_name_in_region(candidates: &[Candidate], region: Option<&str>) -> Resolution {
    match candidates {
        [] => return Resolution::Unknown,
        [(subject, _)] => return Resolution::ByName { subject: *subject, within_region: false },
        _ => {}
    }
    let same: Vec<i64> =
        candidates.iter().filter(|(_, r)| region.is_some() && r.as_deref() == region).map(|(id, _)| *id).collect();
    match same.as_slice() {
        [subject] => Resolution::ByName { subject: *subject, within_region: true },
        [] => Resolution::Ambiguous { candidates: candidates.iter().map(|(id, _)| *id).collect() },
        _ => Resolution::Ambiguous { candidates: same },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn codes(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(c, id)| (c.to_string(), *id)).collect()
    }

    fn region(r: &str) -> Option<String> {
        Some(r.to_string())
    }

    #[test]
    fn the_primary_code_wins_over_legacy_codes_and_the_name() {
        let known = codes(&[("USCC", 1), ("REG", 2)]);
        let keys = Keys { primary: Some("USCC"), legacy: &["REG"], name: "甲", region: None };
        let r = resolve(&keys, |c| known.get(c).copied(), |_| -> Vec<Candidate> { panic!("no name lookup") });
        assert_eq!(r, Resolution::ByCode { subject: 1, via: Via::Primary });
    }

    #[test]
    fn legacy_codes_count_in_order_after_the_primary_code() {
        let known = codes(&[("ORG", 3), ("TAX", 4)]);
        let keys = Keys { primary: Some("USCC"), legacy: &["REG", "ORG", "TAX"], name: "甲", region: None };
        let r = resolve(&keys, |c| known.get(c).copied(), |_| Vec::new());
        assert_eq!(r, Resolution::ByCode { subject: 3, via: Via::Legacy(1) });
        assert_eq!(keys.codes().collect::<Vec<_>>(), ["USCC", "REG", "ORG", "TAX"]);
    }

    #[test]
    fn an_unknown_primary_code_is_a_new_subject_never_a_namesake() {
        let keys = Keys { primary: Some("USCC"), legacy: &["REG"], name: "甲", region: None };
        let mut asked = false;
        let r = resolve(
            &keys,
            |_| None,
            |_| {
                asked = true;
                vec![(9, None)]
            },
        );
        assert_eq!((r, asked), (Resolution::NewSubject, false));
        assert_eq!(keys.name_lookup(), None);
    }

    #[test]
    fn without_a_code_the_name_decides() {
        let keys = Keys { primary: None, legacy: &["REG"], name: "甲", region: Some("630103") };
        assert_eq!(keys.name_lookup(), Some("甲"));
        // The only subject of that name, whatever its region.
        let r = resolve(&keys, |_| None, |n| if n == "甲" { vec![(5, region("630104"))] } else { vec![] });
        assert_eq!(r, Resolution::ByName { subject: 5, within_region: false });
        // Several: the one in the record's region.
        let two = vec![(5, region("630102")), (6, region("630103"))];
        let r = resolve(&keys, |_| None, |_| two.clone());
        assert_eq!(r, Resolution::ByName { subject: 6, within_region: true });
        assert_eq!(resolve(&keys, |_| None, |_| Vec::new()), Resolution::Unknown);
    }

    #[test]
    fn several_namesakes_without_one_in_the_region_are_ambiguous() {
        let two = [(5, region("630102")), (6, region("630103"))];
        let by = |r: Option<&str>| by_name_in_region(&two, r);
        assert_eq!(by(None), Resolution::Ambiguous { candidates: vec![5, 6] });
        assert_eq!(by(Some("630104")), Resolution::Ambiguous { candidates: vec![5, 6] });
        let three = [(5, region("630102")), (6, region("630103")), (7, region("630103")), (8, None)];
        assert_eq!(by_name_in_region(&three, Some("630103")), Resolution::Ambiguous { candidates: vec![6, 7] });
        // A subject without a region never matches "no region".
        assert_eq!(by_name_in_region(&[(1, None), (2, None)], None), Resolution::Ambiguous { candidates: vec![1, 2] });
        assert_eq!(by(None).subject(), None);
    }
}
