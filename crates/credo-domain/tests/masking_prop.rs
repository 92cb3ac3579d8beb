//! Property tests for masking: valid ID numbers, written in any of the ways people write them (18 or 15 digits,
//! ASCII or full-width, in groups with spaces, hyphens or dots, glued to Chinese or ASCII text), never survive
//! masking with their county or birth date readable; valid USCCs in the same text survive untouched.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_domain::ids::{self, Ric, USCC_ALPHABET, Uscc};
use credo_domain::masking::{contains_id_number, find_id_numbers, mask_id_numbers};
use proptest::prelude::*;
use time::macros::date;

/// Characters people put between groups of digits.
const SEPARATORS: &[&str] = &[" ", "  ", "-", " - ", ".", "\u{3000}", "·", "\u{200b}", "－", "．", "_"];

/// Text around a number: Chinese, ASCII letters (no `x`, which could pass for a check character) and punctuation,
/// no digits.
const FILLER: &str = "[\u{4e00}-\u{9fa5}a-wyzA-WYZ:：()（）,，。、 ]{0,10}";

/// A valid 18-character ID number born 1930–2019, or its legacy 15-digit form (born in the 1900s, no check).
fn id_number() -> impl Strategy<Value = String> {
    let address = prop::sample::select(vec!["630102", "630104", "630121", "632123", "110101", "440113", "360426"]);
    (address, 0u32..32_000, 0u16..=999, any::<bool>()).prop_map(|(addr, days, seq, legacy)| {
        let born = date!(1930 - 01 - 01) + time::Duration::days(i64::from(days));
        let (y, m, d) = (born.year(), u8::from(born.month()), born.day());
        if legacy && y < 2000 {
            format!("{addr}{:02}{m:02}{d:02}{seq:03}", y % 100)
        } else {
            let first17 = format!("{addr}{y:04}{m:02}{d:02}{seq:03}");
            format!("{first17}{}", ids::ric_check(first17.as_bytes()).unwrap())
        }
    })
}

/// How a number is written: per character, full-width or not, and the check character's case; per position, a
/// separator after it or none.
#[derive(Debug, Clone)]
struct Writing {
    full_width: Vec<bool>,
    lower_x: bool,
    breaks: Vec<Option<usize>>,
}

fn writing() -> impl Strategy<Value = Writing> {
    let width = prop_oneof![Just(vec![false; 18]), Just(vec![true; 18]), prop::collection::vec(any::<bool>(), 18),];
    let breaks = prop_oneof![
        Just(vec![None; 17]),
        prop::collection::vec(prop::option::weighted(0.25, 0..SEPARATORS.len()), 17),
    ];
    (width, any::<bool>(), breaks).prop_map(|(full_width, lower_x, breaks)| Writing { full_width, lower_x, breaks })
}

fn write(number: &str, w: &Writing) -> String {
    let mut out = String::new();
    for (i, c) in number.chars().enumerate() {
        let c = if c == 'X' && w.lower_x { 'x' } else { c };
        if w.full_width[i] {
            // ０-９ and Ｘ/ｘ sit at a fixed distance from their ASCII forms.
            out.push(char::from_u32(u32::from(c) + 0xFEE0).unwrap());
        } else {
            out.push(c);
        }
        if let Some(Some(s)) = w.breaks.get(i).filter(|_| i + 1 < number.len()) {
            out.push_str(SEPARATORS[*s]);
        }
    }
    out
}

/// The digits, `X` and `*` of a text, in ASCII.
fn skeleton(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '0'..='9' | '*' => Some(c),
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0),
            'X' | 'x' | 'Ｘ' | 'ｘ' => Some('X'),
            _ => None,
        })
        .collect()
}

/// A valid USCC, often (half the time) with an all-digit organisation code.
fn uscc() -> impl Strategy<Value = String> {
    let pairs = prop::sample::select(vec!["11", "12", "13", "51", "52", "53", "91", "92", "93", "Y1", "N2"]);
    let region = prop::sample::select(vec!["630100", "630102", "630104", "630121", "632123", "110000", "440300"]);
    let body = prop_oneof![
        prop::collection::vec(prop::sample::select(USCC_ALPHABET.to_vec()), 8),
        prop::collection::vec(prop::sample::select(b"0123456789".to_vec()), 8),
    ];
    (pairs, region, body).prop_map(|(p, r, body)| {
        let body = String::from_utf8(body).unwrap();
        let first17 = format!("{p}{r}{body}{}", ids::org_code_check(body.as_bytes()).unwrap());
        format!("{first17}{}", ids::uscc_check(first17.as_bytes()).unwrap())
    })
}

/// Whether a code holds a run of exactly 15 digits with a date at its 7th–12th digits.
fn reads_as_legacy_number(code: &str) -> bool {
    code.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() == 15).any(|run| {
        let n = |r: std::ops::Range<usize>| run[r].parse::<u8>().unwrap();
        time::Month::try_from(n(8..10))
            .is_ok_and(|m| time::Date::from_calendar_date(1900 + i32::from(n(6..8)), m, n(10..12)).is_ok())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_id_numbers_lose_their_county_and_birth_date(
        number in id_number(),
        how in writing(),
        before in FILLER,
        after in FILLER,
        glue in prop::sample::select(vec!["", "号", ":", " ", "身份证", "ID", "No."]),
    ) {
        let text = format!("{before}{glue}{}{after}", write(&number, &how));
        prop_assert!(contains_id_number(&text), "{}", text);
        let spans = find_id_numbers(&text);
        prop_assert!(spans.iter().any(|s| s.number == number), "{} → {:?}", text, spans);

        let masked = mask_id_numbers(&text);
        let hidden = if number.len() == 18 { 4..14 } else { 4..12 };
        // The filler has no digits: what is left of the number is exactly its public form.
        let expected = format!("{}{}{}", &number[..4], "*".repeat(hidden.len()), &number[hidden.end..]);
        prop_assert_eq!(skeleton(&masked), expected, "{} → {}", text, masked);
        prop_assert!(!skeleton(&masked).contains(&number[6..12]), "birth date readable: {}", masked);
        // Nothing else changed: the same characters, one `*` for each hidden digit.
        prop_assert_eq!(masked.chars().count(), text.chars().count());
        prop_assert!(!contains_id_number(&masked), "masking is final: {}", masked);
    }

    #[test]
    fn two_numbers_in_one_text_are_both_masked(a in id_number(), b in id_number(), between in FILLER) {
        let text = format!("当事人{a}{}与{b}", if between.is_empty() { "，" } else { &between });
        let masked = mask_id_numbers(&text);
        for n in [&a, &b] {
            prop_assert!(!masked.contains(&n[4..12]), "{} → {}", text, masked);
        }
    }

    #[test]
    fn valid_usccs_survive_untouched(
        code in uscc(),
        lower in any::<bool>(),
        before in FILLER,
        after in FILLER,
        // Standing alone: not glued to ASCII letters or digits (see the module documentation).
        edges in prop::sample::select(vec![("代码:", "。"), ("（", "）"), (" ", " "), ("统一社会信用代码", "的"), ("，", "，")]),
        number in id_number(),
    ) {
        // A USCC that is also a complete, valid ID number, or that holds 15 digits that read as a legacy one, is
        // masked on purpose (see the module documentation).
        prop_assume!(Ric::parse(&code, time::Date::MAX).is_err());
        prop_assume!(!reads_as_legacy_number(&code));
        prop_assert!(Uscc::parse(&code).is_ok());
        let code = if lower { code.to_lowercase() } else { code };
        let text = format!("{before}{}{code}{}{after}，当事人{number}", edges.0, edges.1);
        let masked = mask_id_numbers(&text);
        prop_assert!(masked.contains(&code), "{} → {}", text, masked);
        prop_assert!(!masked.contains(&number), "{} → {}", text, masked);
    }

    #[test]
    fn masking_twice_changes_nothing(text in "[0-9０-９xXＸ*_ .\\-张三号]{0,60}") {
        let masked = mask_id_numbers(&text);
        let twice = mask_id_numbers(&masked);
        prop_assert_eq!(&twice, &masked, "{}", text);
        prop_assert!(!contains_id_number(&masked), "{} → {}", text, masked);
        for (a, b) in text.chars().zip(masked.chars()) {
            prop_assert!(a == b || b == '*', "only digits become stars: {} → {}", text, masked);
        }
    }

    #[test]
    fn masking_never_panics_and_keeps_the_length(text in "\\PC{0,60}") {
        let masked = mask_id_numbers(&text);
        prop_assert_eq!(masked.chars().count(), text.chars().count());
        for s in find_id_numbers(&text) {
            prop_assert!(text.get(s.range.clone()).is_some());
        }
    }
}
