//! CSV that people open in Excel or WPS: UTF-8 with a BOM (so Chinese shows correctly), and no cell that a
//! spreadsheet would run as a formula. A department's data or a visitor's text that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is prefixed with `'` (OWASP's CSV injection advice), which spreadsheets show as
//! text and do not print.

/// A cell as it is written: neutralised when a spreadsheet would read it as a formula.
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A whole CSV file: the header, then the rows, every cell through [`safe_cell`].
pub fn csv<'a, R, C>(header: &[&str], rows: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a str>,
{
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.into_iter().map(safe_cell).collect::<Vec<_>>().iter().map(|c| c.as_ref()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for f in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝HYPERLINK(\"x\")"] {
            assert!(safe_cell(f).starts_with('\''), "{f}");
        }
        assert_eq!(safe_cell("西宁市鑫源商贸有限公司"), "西宁市鑫源商贸有限公司");
        let bytes = csv(&["a", "b"], [["=cmd|' /C calc'!A0", "ok"]]).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("'=cmd|"), "{text}");
    }
}
