//! Mapping of file headers to catalog fields.
//!
//! A header matches a field when, after normalisation (NFKC so full-width brackets become half-width, spaces and
//! the `*` of required-field markers removed, ASCII upper-cased), it is:
//! 1. the field code (`CF_XDR_MC`), or
//! 2. the full national name (`统一社会信用代码`), or an alias (the template's `行政相对人代码_1(统一社会信用代码)`), or
//! 3. for a header with a parenthesised part, that part names the field (`行政相对人代码_2(组织机构代码)` →
//!    the 组织机构代码 field, whatever number the template gave it; legacy and current templates number the
//!    codes differently), or
//! 4. the name or an alias without its parenthesised part (`行政相对人代码_1`, `罚款金额`).

use std::collections::HashMap;

use credo_domain::catalog::Item;

use crate::{ImportError, MappedRow, normalize_header};

#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// For each column: the field code it maps to.
    pub columns: Vec<Option<String>>,
    pub headers: Vec<String>,
}

fn split_paren(s: &str) -> (&str, Option<&str>) {
    match (s.find('('), s.rfind(')')) {
        (Some(a), Some(b)) if a < b => (&s[..a], Some(&s[a + 1..b])),
        _ => (s, None),
    }
}

impl HeaderMap {
    pub fn new(item: &Item, headers: &[String]) -> Result<HeaderMap, ImportError> {
        let mut by_code: HashMap<String, &str> = HashMap::new();
        let mut by_name: HashMap<String, &str> = HashMap::new();
        let mut by_inner: HashMap<String, &str> = HashMap::new();
        let mut by_bare: HashMap<String, &str> = HashMap::new();
        // Names first, then aliases: an alias never takes a bare or inner part that a name has (an alias keeps a
        // template's older name, `行政相对人代码_1(统一社会信用代码)` for the field now named 统一社会信用代码, and
        // matches by its parts as that name did).
        let names = item.fields.iter().map(|f| (f, &f.name));
        let aliases = item.fields.iter().flat_map(|f| f.aliases.iter().map(move |a| (f, a)));
        for f in &item.fields {
            by_code.insert(normalize_header(&f.code), &f.code);
        }
        for (f, name) in names.chain(aliases) {
            let full = normalize_header(name);
            let (bare, inner) = split_paren(&full);
            if let Some(inner) = inner {
                by_inner.entry(inner.to_string()).or_insert(&f.code);
            }
            by_bare.entry(bare.to_string()).or_insert(&f.code);
            by_name.entry(full.clone()).or_insert(&f.code);
        }
        let mut columns = Vec::with_capacity(headers.len());
        let mut used: Vec<&str> = Vec::new();
        for h in headers {
            let n = normalize_header(h);
            let (bare, inner) = split_paren(&n);
            let hit = by_code
                .get(&n)
                .or_else(|| by_name.get(&n))
                .or_else(|| inner.and_then(|i| by_inner.get(i).or_else(|| by_name.get(i))))
                .or_else(|| by_bare.get(bare))
                .or_else(|| by_name.get(bare))
                .or_else(|| by_inner.get(bare))
                .copied()
                // Two columns for one field: the second is reported as unmapped rather than overwriting.
                .filter(|code| !used.contains(code));
            if let Some(code) = hit {
                used.push(code);
            }
            columns.push(hit.map(str::to_string));
        }
        if columns.iter().all(Option::is_none) {
            return Err(ImportError::NoMatchingHeader { item: item.code.clone(), headers: headers.join(",") });
        }
        Ok(HeaderMap { columns, headers: headers.to_vec() })
    }

    /// The header of the column a field was read from (for the report).
    pub fn column_of(&self, field: &str) -> Option<&str> {
        self.columns.iter().position(|c| c.as_deref() == Some(field)).map(|i| self.headers[i].as_str())
    }

    /// Headers that map to no field.
    pub fn unmapped(&self) -> Vec<&str> {
        self.columns.iter().zip(&self.headers).filter(|(c, _)| c.is_none()).map(|(_, h)| h.as_str()).collect()
    }

    pub fn map_row(&self, number: usize, cells: &[String]) -> MappedRow {
        let mut values = HashMap::with_capacity(self.columns.len());
        let mut extras = Vec::new();
        for (i, cell) in cells.iter().enumerate().take(self.columns.len()) {
            match &self.columns[i] {
                Some(code) => {
                    values.insert(code.clone(), cell.clone());
                }
                None if !cell.trim().is_empty() => extras.push((self.headers[i].clone(), cell.clone())),
                None => {}
            }
        }
        let stray_cells = cells.iter().skip(self.columns.len()).filter(|c| !c.trim().is_empty()).count();
        MappedRow { number, values, extras, stray_cells }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[&str]) -> Vec<Option<String>> {
        let c = credo_domain::embedded::catalog();
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        HeaderMap::new(c.item("xzcf").unwrap(), &h).unwrap().columns
    }

    #[test]
    fn template_header_forms() {
        let got = map(&[
            "行政相对人名称",
            "行政相对人代码_1(统一社会信用代码)",
            "行政相对人代码_1（统一社会信用代码）",
            "cf_wsh",
            "罚款金额",
            "*处罚类别",
            "行政相对人代码_2(组织机构代码)",
            "行政相对人代码_3",
            "某列",
        ]);
        assert_eq!(got[0].as_deref(), Some("CF_XDR_MC"));
        assert_eq!(got[1].as_deref(), Some("CF_XDR_SHXYM"));
        assert_eq!(got[2], None, "a second column for the same field is not merged silently");
        assert_eq!(got[3].as_deref(), Some("CF_WSH"));
        assert_eq!(got[4].as_deref(), Some("CF_NR_FK"));
        assert_eq!(got[5].as_deref(), Some("CF_CFLB"));
        assert_eq!(got[6].as_deref(), Some("CF_XDR_ZZJG"));
        assert_eq!(got[7], None, "组织机构代码 was already taken by the previous column");
        assert_eq!(map(&["行政相对人代码_3"])[0].as_deref(), Some("CF_XDR_ZZJG"));
        assert_eq!(map(&["统一社会信用代码"])[0].as_deref(), Some("CF_XDR_SHXYM"));
        assert_eq!(got[8], None);
    }
}
