//! Property tests: generated valid identifiers validate; any single changed character never does.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use credo_domain::ids::{self, OrgCode, RegNo, Ric, USCC_ALPHABET, Uscc};
use proptest::prelude::*;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 25);

fn uscc_strategy() -> impl Strategy<Value = String> {
    let pairs =
        prop::sample::select(vec!["11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "Y1", "A1", "N2"]);
    let region = prop::sample::select(vec![
        "630100", "630102", "630103", "630104", "630105", "630106", "630121", "630122", "630123", "110000",
    ]);
    let body = prop::collection::vec(prop::sample::select(USCC_ALPHABET.to_vec()), 8);
    (pairs, region, body).prop_map(|(p, r, body)| {
        let body = String::from_utf8(body).unwrap();
        let org = format!("{body}{}", ids::org_code_check(body.as_bytes()).unwrap());
        let first17 = format!("{p}{r}{org}");
        // The org check may be 'X' or a digit; both are in the USCC alphabet.
        format!("{first17}{}", ids::uscc_check(first17.as_bytes()).unwrap())
    })
}

fn ric_strategy() -> impl Strategy<Value = String> {
    (0u32..20000, 1u16..=999, prop::sample::select(vec!["630102", "630103", "630121", "630123", "110101"])).prop_map(
        |(days, seq, addr)| {
            let born = date!(1950 - 01 - 01) + time::Duration::days(i64::from(days));
            let first17 = format!("{addr}{:04}{:02}{:02}{seq:03}", born.year(), u8::from(born.month()), born.day());
            format!("{first17}{}", ids::ric_check(first17.as_bytes()).unwrap())
        },
    )
}

fn change_one(s: &str, pos: usize, alphabet: &[u8], pick: usize) -> Option<String> {
    let mut b = s.as_bytes().to_vec();
    let i = pos % b.len();
    let choices: Vec<u8> = alphabet.iter().copied().filter(|c| *c != b[i]).collect();
    b[i] = choices[pick % choices.len()];
    String::from_utf8(b).ok()
}

proptest! {
    #[test]
    fn generated_uscc_validates(code in uscc_strategy()) {
        prop_assert!(Uscc::parse(&code).is_ok(), "{}", code);
        prop_assert!(Uscc::parse(&code.to_lowercase()).is_ok());
    }

    #[test]
    fn one_changed_uscc_character_never_validates(code in uscc_strategy(), pos in 0usize..18, pick in 0usize..40) {
        let alphabet: Vec<u8> = USCC_ALPHABET.iter().copied().chain(*b"IOZSV").collect();
        let changed = change_one(&code, pos, &alphabet, pick).unwrap();
        prop_assert!(Uscc::parse(&changed).is_err(), "{} -> {}", code, changed);
    }

    #[test]
    fn generated_ric_validates(code in ric_strategy()) {
        prop_assert!(Ric::parse(&code, TODAY).is_ok(), "{}", code);
    }

    #[test]
    fn one_changed_ric_character_never_validates(code in ric_strategy(), pos in 0usize..18, pick in 0usize..20) {
        let changed = change_one(&code, pos, b"0123456789X", pick).unwrap();
        prop_assert!(Ric::parse(&changed, TODAY).is_err(), "{} -> {}", code, changed);
    }

    #[test]
    fn one_changed_reg_no_digit_never_validates(body in "[0-9]{14}", pos in 0usize..15, pick in 0usize..20) {
        let code = format!("{body}{}", ids::reg_no_check(body.as_bytes()).unwrap());
        prop_assert!(RegNo::parse(&code).is_ok());
        let changed = change_one(&code, pos, b"0123456789", pick).unwrap();
        prop_assert!(RegNo::parse(&changed).is_err());
    }

    #[test]
    fn org_code_with_and_without_hyphen(body in "[0-9A-Z]{8}") {
        let code = format!("{body}{}", ids::org_code_check(body.as_bytes()).unwrap());
        let hyphen = format!("{body}-{}", &code[8..]);
        prop_assert_eq!(OrgCode::parse(&code).unwrap(), OrgCode::parse(&hyphen).unwrap());
    }

    #[test]
    fn identify_never_panics(s in "\\PC{0,30}") {
        let _ = ids::identify(&s, TODAY);
    }
}
