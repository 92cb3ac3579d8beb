//! Fuzzing the parsers that read what departments and visitors type: identifiers (`ids`), dates, money and years
//! (`value`), the masking of ID numbers in free text (`masking`) and name normalisation (`name`).
//!
//! Runs on the stable toolchain under `cargo test`: [`bolero`]'s `check!()` drives each target with a random
//! engine for a fixed time. Inputs are structure-aware (valid identifiers mutated character by character, digits
//! written the ways people write them, date-shaped token soup) as well as plain random text, because a parser is
//! only exercised past its first check by inputs that look almost right.
//!
//! Every target asserts that nothing panics, that each input is handled quickly, and, where it is cheap, a property
//! (a parsed identifier re-parses to itself, an identifier built with its check characters parses, masking keeps the
//! text's length and masking again never reveals more, a parsed date formats and parses back, months added never go
//! back). What the targets found and what is still open is written at the `known_issue_*` tests (ignored).
//!
//! * `CREDO_FUZZ_SECONDS`: seconds per target (default 5; CI runs the default). An hour per target:
//!   `CREDO_FUZZ_SECONDS=3600 cargo test --release -p credo-domain --test fuzz -- --nocapture`.
//! * `CREDO_FUZZ_SLOW_MS`: an input slower than this, twice in a row, fails the target (default 5000).
//! * A failure prints the input and `BOLERO_RANDOM_SEED=…`; setting that variable replays exactly that input.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::time::{Duration, Instant};

use bolero::{TypeGenerator, check};
use credo_domain::ids::{self, AnyId, IdKind, OrgCode, RegNo, Ric, USCC_ALPHABET, Uscc};
use credo_domain::masking::{contains_id_number, find_id_numbers, mask_id_numbers};
use credo_domain::name::{name_core, normalize_name};
use credo_domain::value::{LONG_TERM, add_months, parse_date, parse_money, parse_year};
use time::Date;
use time::macros::date;

// ---------------------------------------------------------------------------------------------------------------
// Budget and timing, shared by the targets.

/// How long each target runs.
fn budget() -> Duration {
    let secs = std::env::var("CREDO_FUZZ_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(5.0);
    Duration::from_secs_f64(secs.max(0.1))
}

/// The slowest an input may be.
fn slow_limit() -> Duration {
    let ms = std::env::var("CREDO_FUZZ_SLOW_MS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(5000);
    Duration::from_millis(ms)
}

/// Counts a target's inputs and fails one that is too slow; prints the figures when the target ends.
struct Meter {
    target: &'static str,
    started: Instant,
    inputs: u64,
    slowest: Duration,
    limit: Duration,
}

impl Meter {
    fn new(target: &'static str) -> Meter {
        Meter { target, started: Instant::now(), inputs: 0, slowest: Duration::ZERO, limit: slow_limit() }
    }

    /// Runs `f` on one input. An input slower than the limit is run again, so that a moment when the machine was
    /// busy elsewhere is not taken for a slow input; slow twice, it fails.
    fn time<R>(&mut self, f: impl Fn() -> R) -> R {
        let t = Instant::now();
        let mut r = f();
        let mut took = t.elapsed();
        if took > self.limit {
            let again = Instant::now();
            r = f();
            took = took.min(again.elapsed());
        }
        self.inputs += 1;
        self.slowest = self.slowest.max(took);
        assert!(took <= self.limit, "{}: one input took {took:?} twice (limit {:?})", self.target, self.limit);
        r
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        println!(
            "fuzz {}: {} inputs in {:.1} s, slowest {:.2} ms",
            self.target,
            self.inputs,
            self.started.elapsed().as_secs_f64(),
            self.slowest.as_secs_f64() * 1000.0
        );
    }
}

const TODAY: Date = date!(2026 - 11 - 25);

/// Characters that matter to identifiers and dates, their look-alikes, and a few that break naive byte slicing.
const POOL: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'G', 'H', 'I', 'L', 'M', 'N', 'O', 'P', 'S', 'T', 'V',
    'X', 'Y', 'Z', 'a', 'm', 'x', 'y', '-', '.', '/', ' ', '*', '_', '\t', '\n', '\u{3000}', '\u{a0}', '\u{200b}',
    '\u{feff}', '０', '９', 'Ｘ', 'ｘ', '－', '·', '年', '月', '日', '中', '身', 'é', '𠀀', '\u{0}', '+', '%',
];

fn pool_char(b: u8) -> char {
    POOL[usize::from(b) % POOL.len()]
}

/// Published and hand-checked valid identifiers of every kind.
const VALID: &[&str] = &[
    "91630100MA7X00018G",
    "126301004300000193",
    "91110000600037341L",
    "9144030071526726XG",
    "92340602MA2PBMEM24",
    "52630100MJ0000018U",
    "630102199001011235",
    "44011320141005001X",
    "630106200002290011",
    "630102900101123",
    "59467239-9",
    "594672399",
    "MA7X00018",
    "110108000000016",
];

/// An edit of a text: the positions and characters are reduced modulo the text's length and [`POOL`].
#[derive(Debug, Clone, TypeGenerator)]
enum Edit {
    Replace(u8, u8),
    Insert(u8, u8),
    Delete(u8),
    Swap(u8, u8),
    Lower,
    Pad(u8),
    FullWidth(u8),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |i: u8, extra: usize| usize::from(i) % (chars.len() + extra).max(1);
        match *e {
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = at(i, 0);
                chars[i] = pool_char(c);
            }
            Edit::Insert(i, c) => {
                let i = at(i, 1);
                chars.insert(i, pool_char(c));
            }
            Edit::Delete(i) if !chars.is_empty() => {
                let i = at(i, 0);
                chars.remove(i);
            }
            Edit::Swap(i, j) if !chars.is_empty() => {
                let (i, j) = (at(i, 0), at(j, 0));
                chars.swap(i, j);
            }
            Edit::Lower => chars.iter_mut().for_each(|c| *c = c.to_ascii_lowercase()),
            Edit::Pad(c) => {
                let c = pool_char(c);
                chars.insert(0, c);
                chars.push(c);
            }
            Edit::FullWidth(i) if !chars.is_empty() => {
                let i = at(i, 0);
                if chars[i].is_ascii_alphanumeric() {
                    chars[i] = char::from_u32(u32::from(chars[i]) + 0xFEE0).unwrap_or(chars[i]);
                }
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Identifiers.

/// An identifier built from random parts with its check characters computed: valid by construction.
#[derive(Debug, Clone, TypeGenerator)]
enum Built {
    Uscc { head: [u8; 2], province: u8, county: u16, body: [u8; 8] },
    Ric { address: u32, days: u16, seq: u16 },
    OrgCode { body: [u8; 8], hyphen: bool },
    RegNo { body: u64 },
}

/// GB/T 2260 province-level prefixes that the USCC parser accepts.
const PROVINCES: &[&str] = &[
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

impl Built {
    fn text(&self) -> String {
        match *self {
            Built::Uscc { head, province, county, body } => {
                let pick = |b: u8| char::from(USCC_ALPHABET[usize::from(b) % USCC_ALPHABET.len()]);
                let body: String = body.iter().map(|b| pick(*b)).collect();
                let org = format!("{body}{}", ids::org_code_check(body.as_bytes()).unwrap());
                let province = PROVINCES[usize::from(province) % PROVINCES.len()];
                let first17 = format!("{}{}{province}{:04}{org}", pick(head[0]), pick(head[1]), county % 10_000);
                format!("{first17}{}", ids::uscc_check(first17.as_bytes()).unwrap())
            }
            Built::Ric { address, days, seq } => {
                // Born between 1900-01-01 and today.
                let span = (TODAY - date!(1900 - 01 - 01)).whole_days();
                let born = date!(1900 - 01 - 01) + time::Duration::days(i64::from(days) % (span + 1));
                let first17 = format!(
                    "{:06}{:04}{:02}{:02}{:03}",
                    address % 1_000_000,
                    born.year(),
                    u8::from(born.month()),
                    born.day(),
                    seq % 1000
                );
                format!("{first17}{}", ids::ric_check(first17.as_bytes()).unwrap())
            }
            Built::OrgCode { body, hyphen } => {
                const ORG: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                let body: String = body.iter().map(|b| char::from(ORG[usize::from(*b) % ORG.len()])).collect();
                let check = ids::org_code_check(body.as_bytes()).unwrap();
                if hyphen { format!("{body}-{check}") } else { format!("{body}{check}") }
            }
            Built::RegNo { body } => {
                let first14 = format!("{:014}", body % 100_000_000_000_000);
                format!("{first14}{}", ids::reg_no_check(first14.as_bytes()).unwrap())
            }
        }
    }
}

#[derive(Debug, Clone, TypeGenerator)]
enum IdInput {
    /// Any text.
    Raw(String),
    /// Characters of the identifiers' alphabets and their look-alikes, about an identifier's length.
    Shaped(#[generator(Vec::produce().with().len(0usize..=22))] Vec<u8>),
    /// A known valid identifier, edited.
    Mutated {
        base: u8,
        #[generator(Vec::produce().with().len(0usize..=4))]
        edits: Vec<Edit>,
    },
    /// A valid identifier built from parts, perhaps edited.
    Built {
        built: Built,
        #[generator(Vec::produce().with().len(0usize..=2))]
        edits: Vec<Edit>,
    },
}

impl IdInput {
    fn text(&self) -> String {
        match self {
            IdInput::Raw(s) => s.clone(),
            IdInput::Shaped(bytes) => bytes.iter().map(|b| pool_char(*b)).collect(),
            IdInput::Mutated { base, edits } => apply(VALID[usize::from(*base) % VALID.len()], edits),
            IdInput::Built { built, edits } => apply(&built.text(), edits),
        }
    }
}

/// The properties every parser result must have, whatever the input.
fn check_ids(input: &str, today: Date) {
    let prepared = ids::prepare(input);
    assert_eq!(ids::prepare(&prepared), prepared, "prepare is idempotent");
    match Uscc::parse(input) {
        Ok(u) => {
            assert_eq!(u.as_str(), prepared, "a USCC is the prepared text");
            assert_eq!(u.as_str().len(), 18);
            assert_eq!(Uscc::parse(u.as_str()).as_ref(), Ok(&u), "a USCC re-parses to itself");
            assert!(u.region().bytes().all(|c| c.is_ascii_digit()));
            let _ = (u.department(), u.category(), u.is_individual_business());
            let org = u.org_code();
            assert_eq!(OrgCode::parse(org.as_str()).as_ref(), Ok(&org), "the embedded organisation code is valid");
        }
        Err(e) => assert!(!e.message().is_empty() && !e.code().is_empty()),
    }
    match OrgCode::parse(input) {
        Ok(o) => {
            assert_eq!(o.as_str().len(), 9);
            assert_eq!(OrgCode::parse(o.as_str()).as_ref(), Ok(&o));
            let hyphenated = format!("{}-{}", &o.as_str()[..8], &o.as_str()[8..]);
            assert_eq!(OrgCode::parse(&hyphenated).as_ref(), Ok(&o));
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
    match RegNo::parse(input) {
        Ok(r) => {
            assert!(r.as_str().len() == 15 && r.as_str().bytes().all(|c| c.is_ascii_digit()));
            assert_eq!(RegNo::parse(r.as_str()).as_ref(), Ok(&r));
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
    match Ric::parse(input, today) {
        Ok(r) => {
            assert_eq!(r.as_str().len(), 18);
            assert_eq!(Ric::parse(r.as_str(), today).as_ref(), Ok(&r), "an ID number re-parses to itself");
            let born = r.birth_date().expect("a parsed ID number has a birth date");
            assert!(born <= today);
            assert_eq!(r.address_code().len(), 6);
            let masked = r.masked();
            assert_eq!(masked.chars().count(), 18);
            assert_eq!(&masked[..4], &r.as_str()[..4]);
            assert_eq!(ids::mask_middle(&masked, 4, 4), masked, "masking an ID number is idempotent");
            assert!(Ric::parse(&masked, today).is_err());
            assert_eq!(mask_id_numbers(&masked), masked, "a masked number holds no ID number");
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
    match ids::identify(input, today) {
        Ok(id) => {
            let again = match id.kind() {
                IdKind::Uscc => Uscc::parse(id.as_str()).map(AnyId::Uscc),
                IdKind::Ric => Ric::parse(id.as_str(), today).map(AnyId::Ric),
                IdKind::OrgCode => OrgCode::parse(id.as_str()).map(AnyId::OrgCode),
                IdKind::RegNo => RegNo::parse(id.as_str()).map(AnyId::RegNo),
                IdKind::Unknown => panic!("identify returned an unknown kind"),
            };
            assert_eq!(again.as_ref(), Ok(&id), "an identified code parses as its kind");
            let _ = (id.kind().as_str(), id.kind().label());
        }
        Err((kind, e)) => {
            assert!(!e.message().is_empty());
            let _ = (kind.as_str(), kind.label());
        }
    }
    // The check functions take any bytes.
    let b = prepared.as_bytes();
    for n in [8, 14, 17] {
        let head = &b[..n.min(b.len())];
        let _ = (ids::org_code_check(head), ids::uscc_check(head), ids::ric_check(head), ids::reg_no_check(head));
    }
    for (head, tail) in [(0, 0), (4, 4), (1, 30), (30, 1)] {
        let m = ids::mask_middle(input, head, tail);
        assert_eq!(m.chars().count(), input.chars().count());
        assert_eq!(ids::mask_middle(&m, head, tail), m, "mask_middle is idempotent");
    }
}

#[test]
fn fuzz_identifiers() {
    let mut meter = Meter::new("identifiers");
    check!().with_type::<(IdInput, u16)>().with_test_time(budget()).with_iterations(usize::MAX).for_each(
        |(input, day)| {
            // `today` anywhere from 1950 to 2099: the birth-date bound moves with it.
            let today = date!(1950 - 01 - 01) + time::Duration::days(i64::from(*day) % 54_000);
            meter.time(|| {
                let text = input.text();
                check_ids(&text, today);
                if let IdInput::Built { built, edits } = input
                    && edits.is_empty()
                {
                    // Built with its check characters: valid, in any case and with white space around it.
                    let want = built.text();
                    let ok = match built {
                        Built::Uscc { .. } => Uscc::parse(&want).is_ok(),
                        Built::Ric { .. } => Ric::parse(&want, TODAY).is_ok(),
                        Built::OrgCode { .. } => OrgCode::parse(&want).is_ok(),
                        Built::RegNo { .. } => RegNo::parse(&want).is_ok(),
                    };
                    assert!(ok, "{want} is valid by construction");
                    let padded = format!(" \u{3000}{} \t", want.to_lowercase());
                    assert_eq!(ids::identify(&padded, TODAY).is_ok(), ids::identify(&want, TODAY).is_ok());
                }
            })
        },
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Dates, money, years.

/// A token of a date-, money- or year-shaped text.
#[derive(Debug, Clone, TypeGenerator)]
enum Tok {
    /// A number written with at least `width` digits.
    Num(u32, u8),
    Sep(u8),
    Char(u8),
    Word(u8),
}

const SEPARATORS: &[&str] = &["-", "/", ".", "年", "月", "日", " ", "T", ":", "+", "−", "\u{3000}", ",", "e", "\t"];
const WORDS: &[&str] = &["长期", "永久", "长期有效", "2099-12-31", "00:00:00", "1900", "2024", "60", "61", "99999"];

fn tokens(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match *t {
            Tok::Num(n, w) => {
                let n = match w % 4 {
                    0 => n % 100,
                    1 => n % 10_000,
                    2 => n % 100_000,
                    _ => n,
                };
                s.push_str(&format!("{n:0width$}", width = usize::from(w % 9)));
            }
            Tok::Sep(i) => s.push_str(SEPARATORS[usize::from(i) % SEPARATORS.len()]),
            Tok::Char(c) => s.push(pool_char(c)),
            Tok::Word(i) => s.push_str(WORDS[usize::from(i) % WORDS.len()]),
        }
    }
    s
}

#[derive(Debug, Clone, TypeGenerator)]
enum ValueInput {
    Raw(String),
    Tokens(#[generator(Vec::produce().with().len(0usize..=8))] Vec<Tok>),
    /// A day, written in one of the accepted forms (and then perhaps edited).
    Day {
        julian: i32,
        form: u8,
        #[generator(Vec::produce().with().len(0usize..=2))]
        edits: Vec<Edit>,
    },
}

fn written(d: Date, form: u8) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    match form % 7 {
        0 => format!("{y:04}-{m:02}-{day:02}"),
        1 => format!("{y:04}/{m}/{day}"),
        2 => format!("{y:04}.{m:02}.{day:02}"),
        3 => format!("{y}年{m}月{day}日"),
        4 => format!("{y:04}{m:02}{day:02}"),
        5 => format!("{y:04}-{m:02}-{day:02} 00:00:00"),
        _ => (d - date!(1899 - 12 - 30)).whole_days().to_string(),
    }
}

fn day_from(julian: i32) -> Date {
    let (lo, hi) = (Date::MIN.to_julian_day(), Date::MAX.to_julian_day());
    let span = i64::from(hi) - i64::from(lo) + 1;
    let j = i64::from(lo) + (i64::from(julian) - i64::from(i32::MIN)) % span;
    Date::from_julian_day(j as i32).unwrap()
}

fn check_values(text: &str, this_year: i32) {
    if let Some(d) = parse_date(text) {
        // 1900–2099 as written; Excel serials (at most 99999) reach 2173.
        assert!((1900..=2173).contains(&d.year()), "{text} → {d}");
        if d.year() <= 2099 {
            assert_eq!(parse_date(&d.to_string()), Some(d), "{text} → {d} does not parse back");
        }
    }
    if let Some(m) = parse_money(text) {
        assert!(!m.is_sign_negative() || m.is_zero(), "{text} → {m}");
        assert!(m.scale() <= 6, "{text} → {m}");
        assert_eq!(parse_money(&m.to_string()), Some(m), "{text} → {m} does not parse back");
    }
    if let Some(y) = parse_year(text, this_year) {
        assert!((1949..=this_year).contains(&y), "{text} → {y}");
        assert_eq!(parse_year(&y.to_string(), this_year), Some(y));
    }
}

#[test]
fn fuzz_values() {
    let mut meter = Meter::new("values");
    check!().with_type::<(ValueInput, i16, u32)>().with_test_time(budget()).with_iterations(usize::MAX).for_each(
        |(input, year, months)| {
            let this_year = 2026 + i32::from(*year) % 200;
            meter.time(|| match input {
                ValueInput::Raw(s) => check_values(s, this_year),
                ValueInput::Tokens(toks) => check_values(&tokens(toks), this_year),
                ValueInput::Day { julian, form, edits } => {
                    let d = day_from(*julian);
                    let text = written(d, *form);
                    check_values(&apply(&text, edits), this_year);
                    let serial = (d - date!(1899 - 12 - 30)).whole_days();
                    let representable = if form % 7 == 6 { (61..=99_999).contains(&serial) } else { true };
                    if edits.is_empty() && (1900..=2099).contains(&d.year()) && representable {
                        assert_eq!(parse_date(&text), Some(d), "{text}");
                    }
                    // Months later: never earlier, the months counted exactly unless the calendar ends first.
                    let later = add_months(d, *months);
                    assert!(later >= d, "{d} + {months} months = {later}");
                    assert_eq!(add_months(d, 0), d);
                    let count = |x: Date| i64::from(x.year()) * 12 + i64::from(u8::from(x.month()));
                    if later != Date::MAX {
                        assert_eq!(count(later) - count(d), i64::from(*months), "{d} + {months} months = {later}");
                        assert!(later.day() <= d.day());
                    }
                    let more = add_months(d, months.saturating_add(1));
                    assert!(more >= later, "months later is monotone");
                }
            })
        },
    );
    assert_eq!(parse_date("长期"), Some(LONG_TERM));
}

// ---------------------------------------------------------------------------------------------------------------
// Masking of ID numbers in free text.

/// A piece of a free text (a 违法事实, a name, a search box).
#[derive(Debug, Clone, TypeGenerator)]
enum Piece {
    /// A run of ASCII or full-width digits.
    Digits {
        seed: u64,
        len: u8,
        full_width: bool,
    },
    /// A valid ID number (18 or legacy 15), written in groups, full-width or not.
    IdNumber {
        address: u32,
        days: u16,
        seq: u16,
        groups: u8,
        gap: u8,
        full_width: bool,
        legacy: bool,
    },
    /// A known identifier of any kind.
    Known(u8),
    Sep(u8),
    Char(u8),
    Filler(u8),
    Text(String),
}

const FILLER: &[&str] = &["张三", "身份证:", "号", "ID", "No.", "，", "（", "）", "统一社会信用代码", "x", "X", "订单"];
const GAPS: &[&str] = &[" ", "  ", "-", " - ", ".", "\u{3000}", "·", "\u{200b}", "－", "．", "_", "    "];

fn widen(s: &str, full_width: bool) -> String {
    if !full_width {
        return s.to_string();
    }
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { char::from_u32(u32::from(c) + 0xFEE0).unwrap() } else { c })
        .collect()
}

fn free_text(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Digits { seed, len, full_width } => {
                let digits: String = format!("{seed:020}").chars().cycle().take(usize::from(*len % 40)).collect();
                s.push_str(&widen(&digits, *full_width));
            }
            Piece::IdNumber { address, days, seq, groups, gap, full_width, legacy } => {
                let mut number = Built::Ric { address: *address, days: *days, seq: *seq }.text();
                if *legacy && &number[6..8] == "19" {
                    // The 1989 form: no century, no check character.
                    number = format!("{}{}", &number[..6], &number[8..17]);
                }
                // Groups of `every` characters with a gap between them, or none (groups ≥ 8).
                let every = 1 + usize::from(*groups % 8);
                let gap = GAPS[usize::from(*gap) % GAPS.len()];
                let mut written = String::new();
                for (i, c) in number.chars().enumerate() {
                    if i > 0 && *groups < 8 && i.is_multiple_of(every) {
                        written.push_str(gap);
                    }
                    written.push(c);
                }
                s.push_str(&widen(&written, *full_width));
            }
            Piece::Known(i) => s.push_str(VALID[usize::from(*i) % VALID.len()]),
            Piece::Sep(i) => s.push_str(GAPS[usize::from(*i) % GAPS.len()]),
            Piece::Char(c) => s.push(pool_char(*c)),
            Piece::Filler(i) => s.push_str(FILLER[usize::from(*i) % FILLER.len()]),
            Piece::Text(t) => s.extend(t.chars().take(8)),
        }
    }
    s
}

fn check_masking(text: &str) {
    let spans = find_id_numbers(text);
    for s in &spans {
        assert!(text.get(s.range.clone()).is_some(), "{text}: span {:?} is not on character boundaries", s.range);
        assert!(s.number.len() == 15 || s.number.len() == 18, "{text}: {s:?}");
        assert!(s.number.bytes().enumerate().all(|(i, c)| c.is_ascii_digit() || (i == 17 && c == b'X')), "{s:?}");
    }
    assert_eq!(contains_id_number(text), !spans.is_empty(), "{text}");
    let masked = mask_id_numbers(text);
    assert_eq!(masked.chars().count(), text.chars().count(), "{text} → {masked}");
    for (a, b) in text.chars().zip(masked.chars()) {
        assert!(a == b || b == '*', "{text} → {masked}: only digits become stars");
    }
    if spans.is_empty() {
        assert_eq!(masked, text);
    }
    // Masking again never shows more: it can only hide further digits. It is not always idempotent (see
    // `known_issue_masking_twice_hides_more`).
    let twice = mask_id_numbers(&masked);
    assert_eq!(twice.chars().count(), masked.chars().count());
    for (a, b) in masked.chars().zip(twice.chars()) {
        assert!(a == b || b == '*', "masking twice changed more than digits: {text} → {masked} → {twice}");
    }
}

/// Found by `fuzz_masking`: the digits left visible next to a masked number can make a new number. A valid ID number
/// glued behind 11 other digits is masked, and those 11 plus its first 4 are then a 15-digit run that a second
/// masking takes for a legacy ID number; likewise single digits separated by `_` in front of a masked number form a
/// new chain with its first 4. Nothing is revealed, but `mask_id_numbers` is not idempotent, and
/// `contains_id_number` is true of some masked texts.
#[test]
#[ignore = "known issue in credo_domain::masking, reported; not a crash"]
fn known_issue_masking_twice_hides_more() {
    for (text, once) in [
        ("12345678901630102199001011235", "123456789016301**********1235"),
        ("0_9_9_0_2_4_4_8_0_2_1_1_0_1_291110000600037341L", "0_9_9_0_2_4_4_8_0_2_1_1_0_1_2911**********7341L"),
    ] {
        let masked = mask_id_numbers(text);
        assert_eq!(masked, once);
        assert_eq!(mask_id_numbers(&masked), masked, "{text}");
        assert!(!contains_id_number(&masked), "{text}");
    }
}

#[test]
fn fuzz_masking() {
    let mut meter = Meter::new("masking");
    check!()
        .with_generator(Vec::<Piece>::produce().with().len(0usize..=12))
        .with_test_time(budget())
        .with_iterations(usize::MAX)
        .for_each(|pieces| meter.time(|| check_masking(&free_text(pieces))));
}

#[test]
fn fuzz_masking_raw_text() {
    let mut meter = Meter::new("masking_raw_text");
    check!()
        .with_type::<String>()
        .with_test_time(budget() / 2)
        .with_iterations(usize::MAX)
        .for_each(|text| meter.time(|| check_masking(text)));
}

// ---------------------------------------------------------------------------------------------------------------
// Names.

#[test]
fn fuzz_names() {
    let prefixes = credo_domain::embedded::regions().place_prefixes();
    let mut meter = Meter::new("names");
    check!().with_type::<(String, Vec<Piece>)>().with_test_time(budget() / 2).with_iterations(usize::MAX).for_each(
        |(raw, pieces)| {
            meter.time(|| {
                for text in [raw.clone(), free_text(pieces), format!("西宁市{raw}（青海）有限公司")] {
                    let n = normalize_name(&text);
                    assert_eq!(n.trim(), n, "{text:?} → {n:?}");
                    if !n.chars().any(|c| c as u32 >= 0x2e80) {
                        // Without Chinese characters, normalising twice changes nothing (with them, see
                        // `known_issue_simplifying_twice_changes_a_name`).
                        assert_eq!(normalize_name(&n), n, "normalising is idempotent: {text:?}");
                    }
                    let core = name_core(&n, &prefixes);
                    assert!(!core.is_empty() || n.is_empty(), "{text:?} → {n:?} → empty core");
                }
            })
        },
    );
}

/// Found by `fuzz_names`: traditional → simplified conversion is not idempotent for some characters (OpenCC maps
/// 薴 to 苧 and 苧 to 苎), so a name normalised twice differs from the name normalised once, and two departments
/// writing 薴 and 苧 get different normalised names.
#[test]
#[ignore = "known issue in credo_domain::name (OpenCC's tables), reported; not a crash"]
fn known_issue_simplifying_twice_changes_a_name() {
    let once = normalize_name("薴");
    assert_eq!(normalize_name(&once), once);
}
