//! Name normalisation for matching subjects by name (主体名称).
//!
//! Departments write the same company in many ways: full-width letters and brackets (`（`), stray spaces,
//! traditional characters, a `西宁市` prefix or not. [`normalize_name`] maps them to one form; [`name_core`]
//! further strips place prefixes and legal-form suffixes, leaving the brand and trade words that people search for.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use unicode_normalization::UnicodeNormalization;

/// Legal-form suffixes (组织形式), longest first so that `股份有限公司` wins over `有限公司`.
pub const LEGAL_FORM_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "农民专业合作社",
    "专业合作社",
    "个人独资企业",
    "普通合伙企业",
    "有限合伙企业",
    "合伙企业",
    "有限公司",
    "分公司",
    "合作社",
    "公司",
];

fn t2s() -> Option<&'static OpenCC> {
    static CONVERTER: OnceLock<Option<OpenCC>> = OnceLock::new();
    CONVERTER.get_or_init(|| OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s).ok()).as_ref()
}

/// Traditional → simplified Chinese (OpenCC `t2s`); unchanged text when the dictionary is unavailable.
pub fn to_simplified(s: &str) -> String {
    match t2s() {
        Some(c) => c.convert(s),
        None => s.to_string(),
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
}

/// NFKC (full-width letters, digits, spaces and brackets become half-width), traditional → simplified, ASCII
/// upper-case, one form of brackets `()`, surrounding spaces trimmed, runs of spaces collapsed, and spaces next to
/// a Chinese character or a bracket removed (they are always stray in Chinese names).
pub fn normalize_name(input: &str) -> String {
    let nfkc: String = input.nfkc().collect();
    let simplified = if nfkc.chars().any(is_cjk) { to_simplified(&nfkc) } else { nfkc };
    let mut chars: Vec<char> = Vec::with_capacity(simplified.len());
    for c in simplified.chars() {
        let c = match c {
            '[' | '【' | '〔' | '［' | '｛' | '{' => '(',
            ']' | '】' | '〕' | '］' | '｝' | '}' => ')',
            c if c.is_whitespace() => ' ',
            c => c.to_ascii_uppercase(),
        };
        if c == ' ' && chars.last().is_none_or(|&p| p == ' ') {
            continue;
        }
        chars.push(c);
    }
    while chars.last() == Some(&' ') {
        chars.pop();
    }
    let joiner = |c: char| is_cjk(c) || c == '(' || c == ')';
    let mut out = String::with_capacity(chars.len() * 3);
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if joiner(prev) || joiner(next) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The distinctive core of a normalised name: without leading place names (`青海省`, `西宁市`, `城东区` …, possibly
/// several), without a parenthesised place (`(西宁)`), and without a legal-form suffix. Never empty: when nothing
/// would be left, the normalised name is returned.
pub fn name_core(normalized: &str, place_prefixes: &[String]) -> String {
    let mut s = normalized;
    // Longest prefix first; a name that is only a place name stays as it is.
    while let Some(rest) = place_prefixes.iter().find_map(|p| s.strip_prefix(p.as_str())) {
        if rest.is_empty() {
            break;
        }
        s = rest;
    }
    let mut core = s.to_string();
    for suffix in LEGAL_FORM_SUFFIXES {
        if let Some(rest) = core.strip_suffix(suffix)
            && !rest.is_empty()
        {
            core = rest.to_string();
            break;
        }
    }
    for p in place_prefixes {
        core = core.replace(&format!("({p})"), "");
    }
    if core.is_empty() { normalized.to_string() } else { core }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_width_spaces_brackets_and_script() {
        assert_eq!(normalize_name("  西宁市　鑫源商贸（有限）公司 "), "西宁市鑫源商贸(有限)公司");
        assert_eq!(normalize_name("ＡＢＣ 科技"), "ABC科技");
        assert_eq!(normalize_name("Qinghai   Salt  Lake"), "QINGHAI SALT LAKE");
        assert_eq!(normalize_name("西寧市東方貿易有限責任公司"), "西宁市东方贸易有限责任公司");
        assert_eq!(normalize_name("【西宁】鑫源"), "(西宁)鑫源");
    }

    #[test]
    fn core_strips_places_and_forms() {
        let places = crate::embedded::regions().place_prefixes();
        assert_eq!(name_core("青海省西宁市城东区鑫源商贸有限公司", &places), "鑫源商贸");
        assert_eq!(name_core("西宁鑫源商贸股份有限公司", &places), "鑫源商贸");
        assert_eq!(name_core("鑫源商贸(西宁)有限公司", &places), "鑫源商贸");
        assert_eq!(name_core("西宁市", &places), "西宁市");
    }
}
