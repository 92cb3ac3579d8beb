//! Identifiers of credit subjects.
//!
//! * 统一社会信用代码 (USCC, unified social credit code), GB 32100-2015: 18 characters from a 31-character
//!   alphabet; positions 1–2 registration department and category, 3–8 region digits, 9–17 the embedded
//!   组织机构代码 (organisation code, GB 11714) with its own check, 18 a MOD 31 check character.
//! * 居民身份证号码 (RIC, resident identity card number), GB 11643-1999: ISO 7064 MOD 11-2 check, a real birth
//!   date; legacy 15-digit numbers (1989 standard, no check) are upgraded to 18.
//! * 组织机构代码 (GB 11714), printed `XXXXXXXX-Y` before 2015.
//! * 工商注册号 (15 digits, GB/T 17710 / ISO 7064 MOD 11,10).
//!
//! Every parser takes the already-trimmed, upper-cased text: [`prepare`] does exactly that and nothing else, so
//! the platform never "corrects" an identifier behind a department's back.

use serde::Serialize;
use time::Date;

/// The USCC alphabet: digits and upper-case letters without I, O, Z, S, V (value = index).
pub const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
const RIC_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RIC_CHECKS: &[u8; 11] = b"10X98765432";
/// GB/T 2260 province-level prefixes (plus `10`, used by nationally registered bodies).
const PROVINCE_PREFIXES: [&str; 35] = [
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

/// Which kind of identifier a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 统一社会信用代码
    Uscc,
    /// 居民身份证号码
    Ric,
    /// 组织机构代码
    OrgCode,
    /// 工商注册号
    RegNo,
    Unknown,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Uscc => "uscc",
            IdKind::Ric => "ric",
            IdKind::OrgCode => "org_code",
            IdKind::RegNo => "reg_no",
            IdKind::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IdKind::Uscc => "统一社会信用代码",
            IdKind::Ric => "居民身份证号码",
            IdKind::OrgCode => "组织机构代码",
            IdKind::RegNo => "工商注册号",
            IdKind::Unknown => "未知代码",
        }
    }
}

/// Why an identifier is not valid. `code()` is stable and machine-readable; `message()` is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty")]
    Empty,
    #[error("invalid_length")]
    Length { kind: IdKind, expected: &'static str, got: usize },
    #[error("invalid_character")]
    Character { kind: IdKind, position: usize, found: char },
    #[error("invalid_region")]
    Region { region: String },
    #[error("invalid_org_code_check")]
    OrgCodeCheck { expected: char, found: char },
    #[error("invalid_checksum")]
    Checksum { kind: IdKind, expected: char, found: char },
    #[error("invalid_birth_date")]
    BirthDate { date: String },
    #[error("birth_date_in_future")]
    BirthDateInFuture { date: String },
    #[error("unknown_format")]
    UnknownFormat { len: usize },
}

impl IdError {
    /// The stable error code (snake_case).
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Empty => "empty",
            IdError::Length { .. } => "invalid_length",
            IdError::Character { .. } => "invalid_character",
            IdError::Region { .. } => "invalid_region",
            IdError::OrgCodeCheck { .. } => "invalid_org_code_check",
            IdError::Checksum { .. } => "invalid_checksum",
            IdError::BirthDate { .. } => "invalid_birth_date",
            IdError::BirthDateInFuture { .. } => "birth_date_in_future",
            IdError::UnknownFormat { .. } => "unknown_format",
        }
    }

    /// A Chinese explanation for the submitter.
    pub fn message(&self) -> String {
        match self {
            IdError::Empty => "代码为空".to_string(),
            IdError::Length { kind, expected, got } => {
                format!("{}长度应为{}位,实际为{}位", kind.label(), expected, got)
            }
            IdError::Character { kind, position, found } => {
                format!("{}第{}位字符“{}”不合法", kind.label(), position, found)
            }
            IdError::Region { region } => {
                format!("统一社会信用代码第3–8位“{region}”不是有效的行政区划代码")
            }
            IdError::OrgCodeCheck { expected, found } => {
                format!("统一社会信用代码第17位(组织机构代码校验码)应为“{expected}”,实际为“{found}”")
            }
            IdError::Checksum { kind, expected, found } => {
                format!("{}校验位应为“{}”,实际为“{}”", kind.label(), expected, found)
            }
            IdError::BirthDate { date } => {
                format!("居民身份证号码中的出生日期“{date}”不是有效日期")
            }
            IdError::BirthDateInFuture { date } => {
                format!("居民身份证号码中的出生日期“{date}”晚于今天")
            }
            IdError::UnknownFormat { len } => {
                format!("无法识别的代码({len}位):不是统一社会信用代码、居民身份证号码、组织机构代码或工商注册号")
            }
        }
    }
}

/// Trims surrounding white space (including full-width spaces) and upper-cases ASCII letters. Nothing else.
pub fn prepare(input: &str) -> String {
    input.trim().to_ascii_uppercase()
}

/// An identifier as a person types it into a check, a search box or a URL, in one canonical form: full-width
/// forms made half-width (NFKC: `９１６３…ＭＡ３ＰＲＴＢ１Ｘ５`), white space, hyphens and dashes and invisible
/// characters removed wherever they are (`630102 19750505 3456`, `91630100-MA3PRTB1X5`, `59467239－9`, a
/// zero-width space pasted from a web page), ASCII letters upper-cased (`…345x`). The written forms are those that
/// [`crate::masking`] recognises in text.
///
/// This reads what someone *asks about*; the parsers themselves take a department's data as [`prepare`] leaves it,
/// so the platform never corrects a submitted identifier behind a department's back. Whether the result is an
/// identifier at all is for [`identify`] (which applies this first) to say: callers keep the text as typed when it
/// does not identify, so a name with a hyphen or a space in it stays a name.
pub fn normalize_typed(input: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    input
        .nfkc()
        .filter(|c| {
            !(c.is_whitespace()
                || matches!(
                    c,
                    // Hyphens and dashes (NFKC has made `－` and `﹣` into `-`, and `‑` into `‐`).
                    '-' | '\u{2010}'..='\u{2015}' | '\u{2212}'
                    // Invisible: zero-width space, (non-)joiners, word joiner, BOM, soft hyphen.
                    | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
                ))
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET.iter().position(|&a| a == c).map(|v| v as u32)
}

fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().unwrap_or('?')
}

/// Computes the GB 11714 check character for an 8-character organisation-code body.
pub fn org_code_check(body: &[u8]) -> Option<char> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.iter().zip(ORG_WEIGHTS) {
        sum += org_value(*c)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from(b'0' + v as u8),
    })
}

/// Computes the GB 32100 check character for the first 17 characters of a USCC.
pub fn uscc_check(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(*c)? * w;
    }
    Some(char::from(USCC_ALPHABET[((31 - sum % 31) % 31) as usize]))
}

/// Computes the GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of a RIC.
pub fn ric_check(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(RIC_WEIGHTS) {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * w;
    }
    Some(char::from(RIC_CHECKS[(sum % 11) as usize]))
}

/// ISO 7064 MOD 11,10 running checksum used by the 15-digit 工商注册号 (GB/T 17710).
fn mod_11_10(digits: &[u8]) -> u32 {
    let mut check = 5;
    for d in digits {
        let carry = if check == 0 { 10 } else { check };
        check = ((carry * 2) % 11 + u32::from(d - b'0')) % 10;
    }
    check
}

/// Computes the check digit of a 工商注册号 from its first 14 digits.
pub fn reg_no_check(first14: &[u8]) -> Option<char> {
    if first14.len() != 14 || !first14.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let c = mod_11_10(first14);
    let carry = if c == 0 { 10 } else { c };
    Some(char::from(b'0' + ((11 - (carry * 2) % 11) % 10) as u8))
}

/// A valid 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(input: &str) -> Result<Uscc, IdError> {
        let s = prepare(input);
        let b = s.as_bytes();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() != 18 {
            return Err(IdError::Length { kind: IdKind::Uscc, expected: "18", got: s.chars().count() });
        }
        for (i, c) in b.iter().enumerate() {
            let ok = if (2..8).contains(&i) { c.is_ascii_digit() } else { uscc_value(*c).is_some() };
            if !ok {
                return Err(IdError::Character { kind: IdKind::Uscc, position: i + 1, found: char_at(&s, i) });
            }
        }
        let region = &s[2..8];
        if !PROVINCE_PREFIXES.contains(&&region[..2]) {
            return Err(IdError::Region { region: region.to_string() });
        }
        let org_expected = org_code_check(&b[8..16]).ok_or(IdError::Character {
            kind: IdKind::Uscc,
            position: 9,
            found: char_at(&s, 8),
        })?;
        if char::from(b[16]) != org_expected {
            return Err(IdError::OrgCodeCheck { expected: org_expected, found: char::from(b[16]) });
        }
        let expected = uscc_check(&b[..17]).ok_or(IdError::UnknownFormat { len: 18 })?;
        if char::from(b[17]) != expected {
            return Err(IdError::Checksum { kind: IdKind::Uscc, expected, found: char::from(b[17]) });
        }
        Ok(Uscc(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 登记管理部门码 (position 1).
    pub fn department(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// 机构类别码 (position 2).
    pub fn category(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// 登记管理机关行政区划码 (positions 3–8).
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }

    /// The embedded organisation code (positions 9–17).
    pub fn org_code(&self) -> OrgCode {
        OrgCode(self.0[8..17].to_string())
    }

    /// 个体工商户 (registered by market regulation, category 2).
    pub fn is_individual_business(&self) -> bool {
        self.department() == '9' && self.category() == '2'
    }
}

/// A valid 组织机构代码 (stored without the hyphen).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(input: &str) -> Result<OrgCode, IdError> {
        let s = prepare(input);
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let compact: String = match s.len() {
            10 if s.as_bytes()[8] == b'-' => s.replacen('-', "", 1),
            _ => s.clone(),
        };
        if compact.chars().count() != 9 {
            return Err(IdError::Length {
                kind: IdKind::OrgCode, expected: "9(或带连字符10)", got: s.chars().count()
            });
        }
        let b = compact.as_bytes();
        for (i, c) in b.iter().enumerate() {
            let ok =
                if i < 8 { c.is_ascii_uppercase() || c.is_ascii_digit() } else { c.is_ascii_digit() || *c == b'X' };
            if !ok {
                return Err(IdError::Character { kind: IdKind::OrgCode, position: i + 1, found: char_at(&compact, i) });
            }
        }
        let expected = org_code_check(&b[..8]).ok_or(IdError::UnknownFormat { len: 9 })?;
        if char::from(b[8]) != expected {
            return Err(IdError::Checksum { kind: IdKind::OrgCode, expected, found: char::from(b[8]) });
        }
        Ok(OrgCode(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A valid 15-digit 工商注册号.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RegNo(String);

impl RegNo {
    pub fn parse(input: &str) -> Result<RegNo, IdError> {
        let s = prepare(input);
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() != 15 {
            return Err(IdError::Length { kind: IdKind::RegNo, expected: "15", got: s.chars().count() });
        }
        if let Some(i) = s.bytes().position(|c| !c.is_ascii_digit()) {
            return Err(IdError::Character { kind: IdKind::RegNo, position: i + 1, found: char_at(&s, i) });
        }
        let b = s.as_bytes();
        if mod_11_10(b) != 1 {
            let expected = reg_no_check(&b[..14]).unwrap_or('?');
            return Err(IdError::Checksum { kind: IdKind::RegNo, expected, found: char::from(b[14]) });
        }
        Ok(RegNo(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A valid 居民身份证号码, always in the 18-character form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Ric(String);

fn birth_date(yyyymmdd: &str) -> Option<Date> {
    let y: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let m: u8 = yyyymmdd.get(4..6)?.parse().ok()?;
    let d: u8 = yyyymmdd.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

impl Ric {
    /// Parses an 18-character number, or upgrades a legacy 15-digit one. `today` bounds the birth date.
    pub fn parse(input: &str, today: Date) -> Result<Ric, IdError> {
        let s = prepare(input);
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let len = s.chars().count();
        let full = match len {
            18 => s,
            15 => {
                if let Some(i) = s.bytes().position(|c| !c.is_ascii_digit()) {
                    return Err(IdError::Character { kind: IdKind::Ric, position: i + 1, found: char_at(&s, i) });
                }
                // 1989 standard: 6 address + YYMMDD + 3 sequence, all born in the 1900s.
                let first17 = format!("{}19{}", &s[..6], &s[6..]);
                let check = ric_check(first17.as_bytes()).ok_or(IdError::UnknownFormat { len })?;
                format!("{first17}{check}")
            }
            _ => {
                return Err(IdError::Length { kind: IdKind::Ric, expected: "18(或旧版15)", got: len });
            }
        };
        let b = full.as_bytes();
        for (i, c) in b.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && *c == b'X');
            if !ok {
                return Err(IdError::Character { kind: IdKind::Ric, position: i + 1, found: char_at(&full, i) });
            }
        }
        let date_text = &full[6..14];
        let born = birth_date(date_text).ok_or_else(|| IdError::BirthDate { date: date_text.to_string() })?;
        if born > today {
            return Err(IdError::BirthDateInFuture { date: date_text.to_string() });
        }
        let expected = ric_check(&b[..17]).ok_or(IdError::UnknownFormat { len })?;
        if char::from(b[17]) != expected {
            return Err(IdError::Checksum { kind: IdKind::Ric, expected, found: char::from(b[17]) });
        }
        Ok(Ric(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 地址码: the county of first registration.
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> Option<Date> {
        birth_date(&self.0[6..14])
    }

    /// The public form: first 4 and last 4 characters, the rest as `*` (`6301**********1235`).
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 4, 4)
    }
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest.
pub fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Any recognised identifier, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyId {
    Uscc(Uscc),
    Ric(Ric),
    OrgCode(OrgCode),
    RegNo(RegNo),
}

impl AnyId {
    pub fn kind(&self) -> IdKind {
        match self {
            AnyId::Uscc(_) => IdKind::Uscc,
            AnyId::Ric(_) => IdKind::Ric,
            AnyId::OrgCode(_) => IdKind::OrgCode,
            AnyId::RegNo(_) => IdKind::RegNo,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AnyId::Uscc(c) => c.as_str(),
            AnyId::Ric(c) => c.as_str(),
            AnyId::OrgCode(c) => c.as_str(),
            AnyId::RegNo(c) => c.as_str(),
        }
    }
}

/// Guesses the kind of a text and parses it as that kind.
///
/// Ambiguities and how they are settled:
/// * 18 characters: a valid RIC or a valid USCC wins; otherwise a text whose positions 7–14 form a plausible
///   birth date (19xx/20xx) and that is all digits (last may be `X`) is reported as a RIC, else as a USCC.
/// * 15 digits: a 工商注册号 if its MOD 11,10 check holds (legacy 15-digit RICs have no check and were mostly
///   replaced before 2013), else a legacy RIC if it carries a valid date, else a 工商注册号 with a bad check.
/// * 9 characters, or 10 with a hyphen before the last: an organisation code.
///
/// The input is read as typed ([`normalize_typed`]): full-width, grouped, hyphenated or lower-case forms of one
/// code all identify as that code.
/// A code as typed by a person (full-width, grouped, hyphenated, lower-case x …) in its canonical form when it is
/// one, else the text as [`prepare`] leaves it: what every lookup of a typed code should search for.
pub fn typed_code(input: &str, today: Date) -> String {
    identify(input, today).map(|id| id.as_str().to_string()).unwrap_or_else(|_| prepare(input))
}

pub fn identify(input: &str, today: Date) -> Result<AnyId, (IdKind, IdError)> {
    let s = normalize_typed(input);
    if s.is_empty() {
        return Err((IdKind::Unknown, IdError::Empty));
    }
    let len = s.chars().count();
    match len {
        18 => {
            let ric = Ric::parse(&s, today);
            if let Ok(r) = ric {
                return Ok(AnyId::Ric(r));
            }
            let uscc = Uscc::parse(&s);
            match (uscc, ric) {
                (Ok(u), _) => Ok(AnyId::Uscc(u)),
                (Err(ue), Err(re)) => {
                    let digits = s.bytes().take(17).all(|c| c.is_ascii_digit());
                    let y = &s.get(6..8).unwrap_or("");
                    if digits && (*y == "19" || *y == "20") { Err((IdKind::Ric, re)) } else { Err((IdKind::Uscc, ue)) }
                }
                (Err(ue), Ok(_)) => Err((IdKind::Uscc, ue)),
            }
        }
        15 => match RegNo::parse(&s) {
            Ok(r) => Ok(AnyId::RegNo(r)),
            Err(reg_err) => match Ric::parse(&s, today) {
                Ok(r) => Ok(AnyId::Ric(r)),
                Err(_) => Err((IdKind::RegNo, reg_err)),
            },
        },
        9 | 10 => OrgCode::parse(&s).map(AnyId::OrgCode).map_err(|e| (IdKind::OrgCode, e)),
        _ => Err((IdKind::Unknown, IdError::UnknownFormat { len })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 25);

    #[test]
    fn published_uscc_vectors_validate() {
        for code in [
            "91110000600037341L",
            "121200004013590816",
            "91110000710926094P",
            "91120224064012553U",
            "91310000631696382C",
            "91310115MA1K3BTP2B",
            "91340600MA2PBM9HXD",
            "91620105L015101280",
            "9144030071526726XG",
            "92340602MA2PBMEM24",
            "91440300568520498A",
            "91310116052958608G",
            "91152201078371135X",
            "9131012056010553X5",
            "92340621MA2PBKRXXG",
            "91420684MA4927PJ7B",
            "91630100MA7X00018G",
            "92630102MA7X000265",
            "52630100MJ0000018U",
            "126301004300000193",
        ] {
            assert!(Uscc::parse(code).is_ok(), "{code}: {:?}", Uscc::parse(code));
        }
    }

    #[test]
    fn published_uscc_invalid_vectors() {
        assert_eq!(Uscc::parse("91110000600037341N").unwrap_err().code(), "invalid_checksum");
        assert_eq!(Uscc::parse("9111000060003IOZSV").unwrap_err().code(), "invalid_character");
        assert_eq!(Uscc::parse("12345").unwrap_err().code(), "invalid_length");
        assert_eq!(Uscc::parse("").unwrap_err().code(), "empty");
        // Region digits must be digits and a real province.
        assert_eq!(Uscc::parse("91A30100MA7X00018G").unwrap_err().code(), "invalid_character");
        assert_eq!(Uscc::parse("91990100MA7X00018G").unwrap_err().code(), "invalid_region");
        // A broken embedded organisation-code check is named as such.
        assert_eq!(Uscc::parse("91630100MA7X00019G").unwrap_err().code(), "invalid_org_code_check");
    }

    #[test]
    fn uscc_lower_case_is_upper_cased() {
        let u = Uscc::parse("  91310115ma1k3btp2b ").unwrap();
        assert_eq!(u.as_str(), "91310115MA1K3BTP2B");
        assert_eq!(u.region(), "310115");
        assert_eq!(u.org_code().as_str(), "MA1K3BTP2");
    }

    #[test]
    fn ric_vectors() {
        for ok in [
            "360426199101010071",
            "44011320141005001X",
            "44011320141005001x",
            "110102199101010078",
            "412723199010050012",
            "120110199212010072",
            "630102199001011235",
            "630121198506150024",
            "630106200002290011",
        ] {
            assert!(Ric::parse(ok, TODAY).is_ok(), "{ok}");
        }
        assert_eq!(Ric::parse("36042619910102009X", TODAY).unwrap_err().code(), "invalid_checksum");
        assert_eq!(Ric::parse("360426199113010079", TODAY).unwrap_err().code(), "invalid_birth_date");
        assert_eq!(Ric::parse("630102199102290011", TODAY).unwrap_err().code(), "invalid_birth_date");
        let future = format!("63010220991231001{}", ric_check(b"63010220991231001").unwrap());
        assert_eq!(Ric::parse(&future, TODAY).unwrap_err().code(), "birth_date_in_future");
        assert_eq!(Ric::parse("6301021990010112X5", TODAY).unwrap_err().code(), "invalid_character");
    }

    #[test]
    fn legacy_ric_upgrades() {
        let r = Ric::parse("630102900101123", TODAY).unwrap();
        assert_eq!(r.as_str().len(), 18);
        assert_eq!(&r.as_str()[..17], "63010219900101123");
        assert!(Ric::parse(r.as_str(), TODAY).is_ok());
    }

    #[test]
    fn masking_keeps_four_and_four() {
        let r = Ric::parse("630102199001011235", TODAY).unwrap();
        assert_eq!(r.masked(), "6301**********1235");
    }

    #[test]
    fn org_codes() {
        assert!(OrgCode::parse("59467239-9").is_ok());
        assert!(OrgCode::parse("594672399").is_ok());
        assert!(OrgCode::parse("MA7X00018").is_ok());
        assert_eq!(OrgCode::parse("59467239-8").unwrap_err().code(), "invalid_checksum");
        assert_eq!(OrgCode::parse("5946723").unwrap_err().code(), "invalid_length");
        assert_eq!(OrgCode::parse("5946723#9").unwrap_err().code(), "invalid_character");
    }

    #[test]
    fn reg_numbers() {
        let body = b"63010000000012";
        let c = reg_no_check(body).unwrap();
        let ok = format!("{}{c}", std::str::from_utf8(body).unwrap());
        assert!(RegNo::parse(&ok).is_ok());
        // Published example of a valid 注册号 (python-stdnum doc of ISO 7064 Mod 11,10 style registration numbers).
        assert!(RegNo::parse("110108000000016").is_ok());
        let wrong = format!("{}{}", &ok[..14], if c == '0' { '1' } else { '0' });
        assert_eq!(RegNo::parse(&wrong).unwrap_err().code(), "invalid_checksum");
    }

    #[test]
    fn typed_forms_identify_as_the_code() {
        for (typed, want) in [
            ("９１６３０１００ＭＡ３ＰＲＴＢ１Ｘ５", "91630100MA3PRTB1X5"),
            ("91630100-MA3PRTB1X5", "91630100MA3PRTB1X5"),
            ("9163 0100 MA3P RTB1 X5", "91630100MA3PRTB1X5"),
            ("91630100ma3prtb1x5", "91630100MA3PRTB1X5"),
            ("\u{feff}91630100\u{200b}MA3PRTB1X5\u{3000}", "91630100MA3PRTB1X5"),
            ("630102 19750505 3456", "630102197505053456"),
            ("630102-19750505-3456", "630102197505053456"),
            ("６３０１０２１９７５０５０５３４５６", "630102197505053456"),
            ("６３０１０２ １９７５０５０５ ３４５６", "630102197505053456"),
            ("63010219750501000x", "63010219750501000X"),
            ("６３０１０２１９７５０５０１０００ｘ", "63010219750501000X"),
            ("630102–19750501–000x", "63010219750501000X"),
            ("59467239－9", "594672399"),
            ("59467239 - 9", "594672399"),
        ] {
            let id = identify(typed, TODAY).unwrap_or_else(|e| panic!("{typed}: {e:?}"));
            assert_eq!(id.as_str(), want, "{typed}");
        }
        assert_eq!(normalize_typed(" ９１６３－ａｂ\u{200d} "), "9163AB");
        // Names stay names: nothing that is not an identifier is made one.
        for name in ["西宁-鑫源 商贸有限公司", "ABC-123 Trading", "王 五", "9163-"] {
            assert!(identify(name, TODAY).is_err(), "{name}");
        }
        // The parsers of submitted data are unchanged: a department's hyphenated USCC is not corrected.
        assert!(Uscc::parse("91630100-MA3PRTB1X5").is_err());
        assert!(Uscc::parse("９１６３０１００ＭＡ３ＰＲＴＢ１Ｘ５").is_err());
    }

    #[test]
    fn identify_kinds() {
        assert_eq!(identify("91630100MA7X00018G", TODAY).unwrap().kind(), IdKind::Uscc);
        assert_eq!(identify("126301004300000193", TODAY).unwrap().kind(), IdKind::Uscc);
        assert_eq!(identify("630102199001011235", TODAY).unwrap().kind(), IdKind::Ric);
        assert_eq!(identify("59467239-9", TODAY).unwrap().kind(), IdKind::OrgCode);
        assert_eq!(identify("110108000000016", TODAY).unwrap().kind(), IdKind::RegNo);
        assert_eq!(identify("630102199001011236", TODAY).unwrap_err().0, IdKind::Ric);
        assert_eq!(identify("91630100MA7X00018H", TODAY).unwrap_err().0, IdKind::Uscc);
        assert_eq!(identify("abc", TODAY).unwrap_err().1.code(), "unknown_format");
    }
}
