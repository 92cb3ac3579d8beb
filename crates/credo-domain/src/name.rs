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

/// Words that end the name of a branch (分支机构) after its head office's name and the branch's own label.
pub const BRANCH_MARKERS: &[&str] =
    &["分公司", "分店", "营业部", "办事处", "分厂", "分部", "经营部", "门市部", "分行", "支行", "分社", "分理处"];

/// A branch's name taken apart: `青海雪域商贸有限公司城北分公司` is the branch `城北` (marker `分公司`) of
/// `青海雪域商贸有限公司`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Branch<'a> {
    /// The head office's full name, when the name gives it (it ends with a legal form); a name typed as
    /// `雪域商贸城北分公司` does not say where the head office's name ends.
    pub parent: Option<&'a str>,
    /// What tells the branch from its head office's other branches (`城北`); may be empty.
    pub label: &'a str,
    pub marker: &'static str,
}

/// The parts of a normalised name that names a branch; `None` for any other name.
pub fn split_branch(normalized: &str) -> Option<Branch<'_>> {
    let (marker, rest) = BRANCH_MARKERS.iter().find_map(|m| Some((*m, normalized.strip_suffix(m)?)))?;
    if rest.is_empty() {
        return None;
    }
    // The head office's name ends with the last legal form inside the name (not 分公司 itself, stripped above).
    let parent_end = LEGAL_FORM_SUFFIXES
        .iter()
        .filter(|f| **f != "分公司")
        .filter_map(|f| rest.rfind(f).map(|i| i + f.len()))
        .max()
        .filter(|end| *end > 0);
    Some(match parent_end {
        Some(end) => Branch { parent: Some(&rest[..end]), label: &rest[end..], marker },
        None => Branch { parent: None, label: rest, marker },
    })
}

/// The distinctive core of a normalised name: without leading place names (`青海省`, `西宁市`, `城东区` …, possibly
/// several), without a parenthesised place (`(西宁)`), and without a legal-form suffix. A branch's core is its head
/// office's core and its label (`雪域商贸城北` for `青海雪域商贸有限公司城北分公司` and for `雪域商贸城北分公司`).
/// Never empty: when nothing would be left, the normalised name is returned.
pub fn name_core(normalized: &str, place_prefixes: &[String]) -> String {
    if let Some(b) = split_branch(normalized) {
        let head = match b.parent {
            Some(parent) => single_core(parent, place_prefixes),
            None => String::new(),
        };
        let label = if head.is_empty() { single_core(b.label, place_prefixes) } else { b.label.to_string() };
        let core = head + &label;
        return if core.is_empty() { normalized.to_string() } else { core };
    }
    single_core(normalized, place_prefixes)
}

fn single_core(normalized: &str, place_prefixes: &[String]) -> String {
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

    #[test]
    fn branches_are_their_head_office_and_label() {
        let places = crate::embedded::regions().place_prefixes();
        let b = split_branch("青海雪域商贸有限公司城北分公司").unwrap();
        assert_eq!((b.parent, b.label, b.marker), (Some("青海雪域商贸有限公司"), "城北", "分公司"));
        let typed = split_branch("雪域商贸城北分公司").unwrap();
        assert_eq!((typed.parent, typed.label), (None, "雪域商贸城北"));
        assert_eq!(split_branch("青海雪域商贸有限公司"), None);
        assert_eq!(split_branch("分公司"), None);
        assert_eq!(name_core("青海雪域商贸有限公司城北分公司", &places), "雪域商贸城北");
        assert_eq!(name_core("雪域商贸城北分公司", &places), "雪域商贸城北");
        assert_eq!(name_core("西宁市雪域商贸城北分公司", &places), "雪域商贸城北");
        assert_eq!(name_core("青海银行股份有限公司城东支行", &places), "银行城东");
    }
}
