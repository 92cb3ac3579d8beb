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
    let mut out = csv_header(header)?;
    out.extend(csv_rows(rows)?);
    Ok(out)
}

/// The start of a CSV file written in parts: the byte-order mark and the header.
pub fn csv_header(header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(header)?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Rows of a CSV file written in parts (after [`csv_header`]).
pub fn csv_rows<'a, R, C>(rows: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a str>,
{
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in rows {
        w.write_record(row.into_iter().map(safe_cell).collect::<Vec<_>>().iter().map(|c| c.as_ref()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The most rows one worksheet holds (Excel's limit, the header included).
pub const XLSX_MAX_ROWS: usize = 1_048_576;

/// A whole XLSX workbook of one sheet: the header (bold, frozen), then the rows as text. Written row by row in
/// constant memory (the sheet goes through a temporary file); more rows than a sheet holds are an error.
pub fn xlsx<'a, R, C>(sheet: &str, header: &[&str], rows: R) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a str>,
{
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let mut book = Workbook::new();
    let ws = book.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col(c)?, *h, &bold)?;
        ws.set_column_width(col(c)?, 18)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in rows.into_iter().enumerate() {
        let r = u32::try_from(r + 1)
            .ok()
            .filter(|r| (*r as usize) < XLSX_MAX_ROWS)
            .ok_or(XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.into_iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r, col(c)?, cell)?;
            }
        }
    }
    book.save_to_buffer()
}

fn col(c: usize) -> Result<u16, rust_xlsxwriter::XlsxError> {
    u16::try_from(c).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)
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

    #[test]
    fn workbooks_open_with_their_rows() {
        let bytes =
            xlsx("名单", &["主体名称", "代码"], [["西宁市鑫源商贸有限公司", "91630100MA7XXXXXX1"], ["=1+1", ""]])
                .unwrap_or_default();
        assert!(bytes.starts_with(b"PK"), "a zip");
        let table = credo_import::read_table(credo_import::Format::Xlsx, &bytes, Some("名单")).unwrap();
        assert_eq!(table.headers, ["主体名称", "代码"]);
        let rows = table.collect_rows().unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].1[0], "西宁市鑫源商贸有限公司");
        assert_eq!(rows[1].1[0], "=1+1", "text, not a formula");
    }
}
