//! 脱敏 (masking): finding 居民身份证号码 wherever they are written, and hiding the digits that identify the person.
//!
//! People type a person's ID number into a name (行政相对人名称 `张三110101199003071234`), a 违法事实, a search box
//! or a URL, in many shapes: 18 digits (the last may be `X`) or the legacy 15; ASCII or full-width (`１１０１…`,
//! `Ｘ`); in groups separated by spaces, hyphens or dots (`1101 0119 9003 0712 34`); glued to other text
//! (`身份证:110101…`, `No.110101…`). [`find_id_numbers`] finds them all, [`mask_id_numbers`] replaces the county and
//! birth-date digits with `*`: the first four (province and city) and the last four (sequence and check; three for
//! a 15-digit number, whose fourth-last digit is part of the birth date) stay, as in [`Ric::masked`].
//!
//! ```
//! use credo_domain::masking::mask_id_numbers;
//! assert_eq!(mask_id_numbers("张三110101199003071234"), "张三1101**********1234");
//! assert_eq!(mask_id_numbers("身份证:1101 0119 9003 0712 34"), "身份证:1101 **** **** **12 34");
//! assert_eq!(mask_id_numbers("统一社会信用代码126301004300000193"), "统一社会信用代码126301004300000193");
//! ```
//!
//! What counts as an ID number, and why:
//! * **A run of exactly 18 digits (or 17 and `X`), or exactly 15**, is one by its shape alone. No check digit or
//!   birth date is required: a mistyped ID number is still a person's number, and publishing it is the harm to
//!   avoid. Two kinds of public code with that shape stay readable: a valid 统一社会信用代码 (GB 32100; some are
//!   all digits, such as `126301004300000193`) unless it is also a valid ID number, and a 15-digit 工商注册号
//!   (ISO 7064 MOD 11,10) or 税务登记号 (region + GB 11714 organisation code) whose 7th–12th digits are not a date,
//!   which a legacy ID number's always are.
//! * **Digits in groups**, separated by one to three spaces, hyphens, dots, middle dots or invisible characters:
//!   consecutive groups that add up to 18 or 15 digits and carry a real birth date (1900–2099); an `X` standing
//!   alone after 17 digits is their check character. The date keeps phone numbers and date ranges
//!   (`2020.01.01-2020.12.31 10`) readable.
//! * **A longer run of digits** (an ID number glued to another number): every 18 digits in it that form a complete,
//!   valid ID number (check digit and birth date). A 19-digit order number is left alone.
//! * A valid USCC standing alone (not glued to other ASCII letters or digits) is protected as a whole, so the 15
//!   digits that begin a USCC whose 16th character is a letter are not taken for a legacy ID number — unless their
//!   7th–12th digits are a date, as a legacy ID number's always are: letters glued around a person's number can
//!   pass the USCC checks by chance (one in 341), and then privacy wins over the readability of a rare code.
//!
//! A `*` counts as a digit that can no longer be read: digits left visible next to a masked number stay part of
//! its run, so masking twice changes nothing. Only ASCII and full-width digits are recognised; Chinese numerals
//! (`一一〇一…`) are not.

use std::borrow::Cow;
use std::ops::Range;

use time::{Date, Month};

use crate::ids::{RegNo, Uscc, org_code_check, ric_check};

/// Where an ID number is written inside a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSpan {
    /// Byte range in the text, from its first digit to its last character (separators inside included).
    pub range: Range<usize>,
    /// The number as written, without separators: ASCII digits and an upper-case `X` (15 or 18 characters).
    pub number: String,
}

/// The most separator characters allowed between two groups of digits.
const MAX_GAP: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit,
    /// `X`, `x`, `Ｘ`, `ｘ`: the check character of an 18-digit number.
    X,
    Letter,
    /// Spaces, hyphens, dots and invisible characters people put between groups of digits.
    Sep,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Ch {
    at: usize,
    len: usize,
    class: Class,
    /// The ASCII form of a digit or letter (letters upper-cased), `*` for a masked digit; 0 for other characters.
    ascii: u8,
}

impl Ch {
    /// A letter or a digit that can be read.
    fn alnum(&self) -> bool {
        self.ascii != 0 && self.ascii != b'*'
    }
}

fn classify(c: char) -> (Class, u8) {
    let full_width = |base: char| (u32::from(c) - u32::from(base)) as u8;
    match c {
        '0'..='9' => (Class::Digit, c as u8),
        '０'..='９' => (Class::Digit, b'0' + full_width('０')),
        // A digit masked already: it still belongs to its run, so the digits left visible next to it do not make a
        // new number (masking twice changes nothing).
        '*' | '＊' => (Class::Digit, b'*'),
        'X' | 'x' | 'Ｘ' | 'ｘ' => (Class::X, b'X'),
        'A'..='Z' | 'a'..='z' => (Class::Letter, (c as u8).to_ascii_uppercase()),
        'Ａ'..='Ｚ' => (Class::Letter, b'A' + full_width('Ａ')),
        'ａ'..='ｚ' => (Class::Letter, b'A' + full_width('ａ')),
        ' ' | '\t' | '\r' | '\n' | '\u{a0}' | '\u{3000}' | '\u{2000}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => {
            (Class::Sep, 0)
        }
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe63}' | '－' | '_' | '＿' => (Class::Sep, 0),
        '.' | '．' | '·' | '・' | '･' => (Class::Sep, 0),
        _ => (Class::Other, 0),
    }
}

fn scan(text: &str) -> Vec<Ch> {
    text.char_indices()
        .map(|(at, c)| {
            let (class, ascii) = classify(c);
            Ch { at, len: c.len_utf8(), class, ascii }
        })
        .collect()
}

/// A maximal run of digits (`start..end`, indices into the scanned characters), perhaps followed by an `X`.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    /// Where the `X` that follows is: right after the digits, or after a few separators (`…1858 5 X`); and
    /// whether it is surely a check character (right after the digits, or not followed by a letter or digit).
    x: Option<(usize, bool)>,
}

impl Group {
    fn digits(&self) -> usize {
        self.end - self.start
    }

    /// The `X` right after the digits, if there is one.
    fn x_adjacent(&self) -> bool {
        self.x.is_some_and(|(at, _)| at == self.end)
    }
}

fn groups(chars: &[Ch]) -> Vec<Group> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].class != Class::Digit {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].class == Class::Digit {
            i += 1;
        }
        // An `X` after a few separators is surely a check character when it stands alone; before a letter it may
        // begin a word (`Xining`), and then only a check character that is right makes it one.
        let gap = chars[i..].iter().take(MAX_GAP + 1).take_while(|c| c.class == Class::Sep).count();
        let x = Some(i + gap)
            .filter(|&x| gap <= MAX_GAP && chars.get(x).is_some_and(|c| c.class == Class::X))
            .map(|x| (x, gap == 0 || chars.get(x + 1).is_none_or(|c| !c.alnum())));
        out.push(Group { start, end: i, x });
    }
    out
}

/// Groups that follow each other with only a few separators between them (a group ending in `X` ends its chain).
fn chains(chars: &[Ch], groups: &[Group]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut first = 0;
    for k in 1..=groups.len() {
        let joined = k < groups.len() && {
            let (a, b) = (groups[k - 1], groups[k]);
            let gap = b.start - a.end;
            a.x.is_none() && (1..=MAX_GAP).contains(&gap) && chars[a.end..b.start].iter().all(|c| c.class == Class::Sep)
        };
        if !joined {
            out.push(first..k);
            first = k;
        }
    }
    out
}

/// A real birth date in an 18-character (`YYYYMMDD` at 7–14, 1900–2099) or 15-digit (`YYMMDD` at 7–12) number.
fn plausible_birth(number: &[u8]) -> bool {
    let num = |r: Range<usize>| -> Option<u32> { std::str::from_utf8(number.get(r)?).ok()?.parse().ok() };
    let (year, at) = match number.len() {
        18 => (num(6..10), 10),
        15 => (num(6..8).map(|y| 1900 + y), 8),
        _ => return false,
    };
    let (Some(year), Some(month), Some(day)) = (year, num(at..at + 2), num(at + 2..at + 4)) else {
        return false;
    };
    (1900..=2099).contains(&year)
        && Month::try_from(month as u8).is_ok_and(|m| Date::from_calendar_date(year as i32, m, day as u8).is_ok())
}

/// A complete, valid 18-character ID number: check character and birth date.
fn valid_ric(number: &[u8]) -> bool {
    number.len() == 18
        && number[..17].iter().all(u8::is_ascii_digit)
        && ric_check(&number[..17]).is_some_and(|c| c as u8 == number[17])
        && plausible_birth(number)
}

/// A public code with the shape of an ID number that must stay readable (see the module documentation).
fn public_code(number: &[u8]) -> bool {
    let text = std::str::from_utf8(number).unwrap_or_default();
    match number.len() {
        18 => Uscc::parse(text).is_ok() && !valid_ric(number),
        15 => {
            let tax_number = org_code_check(&number[6..14]).is_some_and(|c| c as u8 == number[14]);
            !plausible_birth(number) && (RegNo::parse(text).is_ok() || tax_number)
        }
        _ => false,
    }
}

/// Per scanned character: whether it is part of a valid USCC written as an 18-character token of its own.
fn standalone_usccs(chars: &[Ch]) -> Vec<bool> {
    let mut out = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].alnum() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].alnum() {
            i += 1;
        }
        if i - start == 18 {
            let code: Vec<u8> = chars[start..i].iter().map(|c| c.ascii).collect();
            if public_code(&code) {
                out[start..i].fill(true);
            }
        }
    }
    out
}

/// One ID number found: the indices of its 15 or 18 characters.
struct Found(Vec<usize>);

impl Found {
    fn number(&self, chars: &[Ch]) -> Vec<u8> {
        self.0.iter().map(|&i| chars[i].ascii).collect()
    }

    /// The characters to hide: the county and the birth date.
    fn hidden(&self) -> &[usize] {
        match self.0.len() {
            18 => &self.0[4..14],
            _ => &self.0[4..12],
        }
    }
}

fn find(text: &str) -> (Vec<Ch>, Vec<Found>) {
    // Fewer than 15 digits cannot hold one: the common case costs one pass over the text.
    if text.chars().filter(|c| matches!(c, '0'..='9' | '０'..='９')).count() < 15 {
        return (Vec::new(), Vec::new());
    }
    let chars = scan(text);
    let protected = standalone_usccs(&chars);
    let groups = groups(&chars);
    let mut found = Vec::new();
    // `single`: one run of digits; `unsure`: ends in an `X` that may begin a word.
    let mut consider = |indices: Vec<usize>, single: bool, unsure: bool| {
        let number: Vec<u8> = indices.iter().map(|&i| chars[i].ascii).collect();
        if number.contains(&b'*') {
            return;
        }
        let shaped = if unsure { valid_ric(&number) } else { single || plausible_birth(&number) };
        // Only 15 digits can hide inside a USCC (18 are the whole code, which `public_code` judges), and only
        // when they could not be a legacy ID number: those always carry a real birth date.
        let in_uscc = number.len() == 15 && !plausible_birth(&number) && indices.iter().any(|&i| protected[i]);
        if shaped && !in_uscc && !public_code(&number) {
            found.push(Found(indices));
        }
    };
    for chain in chains(&chars, &groups) {
        let chain = &groups[chain];
        for i in 0..chain.len() {
            let mut digits = 0;
            for j in i..chain.len() {
                digits += chain[j].digits();
                if digits > 18 {
                    break;
                }
                let x = chain[j].x.filter(|_| digits == 17);
                if digits == 18 || digits == 15 || x.is_some() {
                    let mut indices: Vec<usize> = chain[i..=j].iter().flat_map(|g| g.start..g.end).collect();
                    indices.extend(x.map(|(at, _)| at));
                    let single = i == j && x.is_none_or(|_| chain[j].x_adjacent());
                    consider(indices, single, x.is_some_and(|(_, sure)| !sure));
                }
            }
        }
    }
    // Longer runs: every complete, valid 18-character number inside.
    for g in groups.iter().filter(|g| g.digits() + usize::from(g.x_adjacent()) > 18) {
        let last = g.end + usize::from(g.x_adjacent());
        for start in g.start..=last - 18 {
            let number: Vec<u8> = chars[start..start + 18].iter().map(|c| c.ascii).collect();
            if valid_ric(&number) {
                found.push(Found((start..start + 18).collect()));
            }
        }
    }
    // One number read twice, or 15 digits read inside an 18-digit number, is one number.
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    // The 18-digit readings as (first, last) in order of `first`, each with the furthest `last` so far: a 15-digit
    // reading lies inside one when the furthest end among those that start before it reaches its end.
    let mut reach = 0;
    let whole: Vec<(usize, usize)> = found
        .iter()
        .filter(|f| f.0.len() == 18)
        .map(|f| {
            reach = reach.max(f.0[17]);
            (f.0[0], reach)
        })
        .collect();
    found.retain(|f| {
        let before = whole.partition_point(|&(first, _)| first <= f.0[0]);
        f.0.len() == 18 || before == 0 || whole[before - 1].1 < f.0[14]
    });
    (chars, found)
}

/// Every ID number written in `text`, in order of appearance (overlapping readings of the same digits each appear).
pub fn find_id_numbers(text: &str) -> Vec<IdSpan> {
    let (chars, found) = find(text);
    let mut spans: Vec<IdSpan> = found
        .iter()
        .map(|f| {
            let (first, last) = (chars[f.0[0]], chars[f.0[f.0.len() - 1]]);
            IdSpan {
                range: first.at..last.at + last.len,
                number: String::from_utf8(f.number(&chars)).unwrap_or_default(),
            }
        })
        .collect();
    spans.sort_by_key(|s| (s.range.start, s.range.end));
    spans.dedup();
    spans
}

/// Whether `text` holds an ID number in any of the forms [`find_id_numbers`] knows.
pub fn contains_id_number(text: &str) -> bool {
    !find(text).1.is_empty()
}

/// `text` with the county and birth-date digits of every ID number in it replaced by `*` (one per character,
/// separators kept); the text itself when it holds none.
pub fn mask_id_numbers(text: &str) -> Cow<'_, str> {
    let (chars, found) = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut hide = vec![false; chars.len()];
    for f in &found {
        for &i in f.hidden() {
            hide[i] = true;
        }
    }
    let mut out = String::with_capacity(text.len());
    for (c, hidden) in chars.iter().zip(hide) {
        if hidden {
            out.push('*');
        } else {
            out.push_str(&text[c.at..c.at + c.len]);
        }
    }
    Cow::Owned(out)
}

/// Every run of seven or more digits (ASCII or full-width, with an ID number's final X) replaced by asterisks:
/// telephones, bank cards and ID numbers in free text that a person wrote and others read.
pub fn mask_digit_runs(s: &str) -> String {
    fn digit(c: char) -> bool {
        c.is_ascii_digit() || ('０'..='９').contains(&c)
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && digit(chars[i]) {
            i += 1;
        }
        if i > start {
            let mut end = i;
            if i - start >= 7 && chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x' | 'Ｘ')) {
                end += 1;
            }
            if i - start >= 7 {
                out.extend(std::iter::repeat_n('*', end - start));
            } else {
                out.extend(&chars[start..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A character free text shown to others may not hold: control characters (but line breaks and tabs), the
/// bidirectional formatting characters that make a text read other than it is written (U+202A–202E, U+2066–2069,
/// U+200E, U+200F, U+061C), and noncharacters (U+FDD0–FDEF, U+xFFFE, U+xFFFF), which XML (an Atom feed) refuses.
pub fn hidden_char(c: char) -> bool {
    let u = u32::from(c);
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(u, 0x202A..=0x202E | 0x2066..=0x2069 | 0x200E | 0x200F | 0x061C | 0xFDD0..=0xFDEF)
        || u & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(s: &str) -> String {
        mask_id_numbers(s).into_owned()
    }

    #[test]
    fn every_written_form_is_masked() {
        for (text, want) in [
            ("张三110101199003071234", "张三1101**********1234"),
            ("630102199001011235", "6301**********1235"),
            ("44011320141005001X", "4401**********001X"),
            ("44011320141005001x号", "4401**********001x号"),
            ("ID110101199003071234abc", "ID1101**********1234abc"),
            ("身份证:1101 0119 9003 0712 34", "身份证:1101 **** **** **12 34"),
            ("110101-19900307-1234", "1101**-********-1234"),
            ("110.101.199.003.071.234", "110.1**.***.***.**1.234"),
            ("44011319590618585 X", "4401**********585 X"),
            ("44011319590618585 XA", "4401**********585 XA"),
            ("李四１１０１０１１９９００３０７１２３４", "李四１１０１**********１２３４"),
            ("４４０１１３２０１４１００５００１Ｘ", "４４０１**********００１Ｘ"),
            (
                "1101\u{3000}0119\u{3000}9003\u{3000}0712\u{3000}34",
                "1101\u{3000}****\u{3000}****\u{3000}**12\u{3000}34",
            ),
            ("旧证630102900101123", "旧证6301********123"),
            ("630102 900101 123", "6301** ****** 123"),
            // Wrong check digit: still a person's number by its shape.
            ("110101199003071235", "1101**********1235"),
            // Glued to another digit: the valid number inside is found.
            ("订单1630102199001011235", "订单16301**********1235"),
            // An ID number and a phone number separated by a space.
            ("630102199001011235 13800138000", "6301**********1235 13800138000"),
            // Broken across lines, as text pasted from a PDF is.
            ("身份证号630102199001\n011235", "身份证号6301********\n**1235"),
            ("630102\r\n199001011235", "6301**\r\n********1235"),
        ] {
            assert_eq!(masked(text), want, "{text}");
            assert!(contains_id_number(text), "{text}");
            assert!(!contains_id_number(want), "masking is final: {want}");
        }
    }

    #[test]
    fn public_codes_and_other_numbers_stay() {
        for text in [
            "91630100MA7X00018G",
            "统一社会信用代码126301004300000193。",
            "代码:121200004013590816",
            "9144030071526726XG",
            "9131012056010553X5",
            "91110000600037341L",
            "注册号110108000000016",
            "订单号1234567890123456789",
            "电话0971-8888888 13800138000",
            "2020.01.01-2020.12.31 10时",
            "批号12345678901234567 Xining",
            "尺寸 63010219900101123 XL",
            "罚款金额 1,234,567.89 元",
            "宁市监罚〔2025〕99号",
            "",
        ] {
            assert_eq!(masked(text), text, "{text}");
            assert!(find_id_numbers(text).is_empty(), "{text}: {:?}", find_id_numbers(text));
        }
    }

    #[test]
    fn hidden_characters_are_known() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\u{1b}',
            '\u{85}',
            '\u{202e}',
            '\u{2067}',
            '\u{200f}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{1fffe}',
            '\u{fdd0}',
        ] {
            assert!(hidden_char(c), "{:?}", c);
        }
        for c in ['\n', '\r', '\t', ' ', '张', 'X', '\u{3000}', '\u{fffd}', '\u{200d}'] {
            assert!(!hidden_char(c), "{:?}", c);
        }
    }

    #[test]
    fn digit_runs_of_seven_or_more_are_hidden() {
        for (text, want) in [
            ("联系人电话13800138000", "联系人电话***********"),
            ("0971-8888888", "0971-*******"),
            ("44011320141005001X号", "******************号"),
            ("１３８００１３８０００", "***********"),
            ("2026年第123456号", "2026年第123456号"),
        ] {
            assert_eq!(mask_digit_runs(text), want, "{text}");
        }
    }

    #[test]
    fn masking_twice_changes_nothing() {
        for text in [
            "12345678901630102199001011235",
            "0_9_9_0_2_4_4_8_0_2_1_1_0_1_291110000600037341L",
            "6301**********1235 13800138000",
            "1101 **** **** **12 34",
        ] {
            let once = masked(text);
            assert_eq!(masked(&once), once, "{text}");
            assert!(!contains_id_number(&once), "{text} → {once}");
        }
        // A number next to a masked one is still found.
        assert_eq!(masked("6301**********1235630102199001011235"), "6301**********12356301**********1235");
    }

    #[test]
    fn long_texts_take_linear_time() {
        // Digits in single-digit groups: every offset is read, many with a real birth date.
        let text = "1 1 0 1 0 1 1 9 9 0 0 3 0 7 1 2 3 4 9 1 6 3 0 1 0 0 M A 7 X 0 0 0 1 8 G ".repeat(3_000);
        let started = std::time::Instant::now();
        let masked = mask_id_numbers(&text);
        assert!(!masked.contains("1 9 9 0 0 3 0 7"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    }

    #[test]
    fn spans_point_at_the_number_as_written() {
        let text = "当事人１１０１ ０１１９ ９００３ ０７１２ ３４。";
        let spans = find_id_numbers(text);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].number, "110101199003071234");
        assert_eq!(&text[spans[0].range.clone()], "１１０１ ０１１９ ９００３ ０７１２ ３４");
    }

    #[test]
    fn a_uscc_that_is_also_a_valid_id_number_is_masked() {
        // Positions 3–4 a province, 7–14 a date, both check characters right: rare, and privacy wins.
        let mut found = None;
        'search: for seq in 0..1000u32 {
            for day in 1..=28u32 {
                let first17 = format!("1163011990{:02}{day:02}{seq:03}", 1 + seq % 12);
                let ric = ric_check(first17.as_bytes()).map(|c| format!("{first17}{c}"));
                if let Some(ric) = ric.filter(|r| Uscc::parse(r).is_ok()) {
                    found = Some(ric);
                    break 'search;
                }
            }
        }
        let code = found.expect("such a number exists");
        assert!(valid_ric(code.as_bytes()));
        assert_ne!(masked(&code), code);
    }
}
