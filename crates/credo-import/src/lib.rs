//! # credo-import
//!
//! Reads departments' files into rows of catalog fields, with row numbers for the report.
//!
//! * **CSV** in UTF-8 (with or without BOM) or GBK/GB18030 (detected: a file that is not valid UTF-8 is read as
//!   GB18030, the superset of GBK that Excel's "CSV" export writes on Chinese Windows), CRLF or LF, quoted
//!   multi-line fields.
//! * **XLSX** (first sheet, or a named one). Date cells become Excel serial numbers, which the catalog parses.
//! * **JSON**: an array of objects, or JSON lines.
//!
//! Headers are mapped to catalog fields as departments' templates write them ([`HeaderMap`]). A column that maps
//! to nothing is kept (as an extra) and reported, never silently dropped. Row numbers count the header as row 1,
//! as Excel shows them.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use unicode_normalization::UnicodeNormalization;

mod header;

pub use header::HeaderMap;

/// Why a file cannot be used at all (as opposed to problems in single rows).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("无法识别的文件格式:{0}(支持 .csv、.xlsx、.json、.jsonl)")]
    UnknownFormat(String),
    #[error("CSV 文件无法读取:{0}")]
    Csv(String),
    #[error("XLSX 文件无法读取:{0}")]
    Xlsx(String),
    #[error("工作簿中没有名为“{0}”的工作表")]
    NoSheet(String),
    #[error("JSON 无法读取:{0}")]
    Json(String),
    #[error("文件为空,没有表头行")]
    Empty,
    #[error("文件编码无法识别:既不是有效的 UTF-8,也不是有效的 GBK/GB18030")]
    Encoding,
    #[error("表头中没有任何一列能对应到目录“{item}”的字段(表头:{headers})")]
    NoMatchingHeader { item: String, headers: String },
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::UnknownFormat(_) => "unknown_format",
            ImportError::Csv(_) => "unreadable_csv",
            ImportError::Xlsx(_) => "unreadable_xlsx",
            ImportError::NoSheet(_) => "no_such_sheet",
            ImportError::Json(_) => "unreadable_json",
            ImportError::Empty => "empty_file",
            ImportError::Encoding => "unknown_encoding",
            ImportError::NoMatchingHeader { .. } => "no_matching_header",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    /// From a file name's extension, else from the content (`PK` zip magic, a leading `[` or `{`, else CSV).
    pub fn detect(name: &str, bytes: &[u8]) -> Format {
        let lower = name.to_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            return Format::Xlsx;
        }
        if lower.ends_with(".json") || lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            return Format::Json;
        }
        if lower.ends_with(".csv") || lower.ends_with(".txt") {
            return Format::Csv;
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return Format::Xlsx;
        }
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') | Some(b'{') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// Which text encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// Decodes CSV bytes: UTF-8 (BOM stripped) when valid, otherwise GB18030 (which includes GBK and GB2312).
/// Bytes that are valid in neither make the file unusable: nothing is stored with replacement characters.
/// Valid UTF-8 is borrowed, not copied.
pub fn decode(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, Encoding), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((std::borrow::Cow::Borrowed(s), Encoding::Utf8)),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| (text, Encoding::Gb18030))
            .ok_or(ImportError::Encoding),
    }
}

/// One data row: its number as Excel shows it (the header is row 1) and its cells.
pub type Row = (usize, Vec<String>);

/// A file as a header row and its data rows.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub headers: Vec<String>,
    pub rows: Rows<'a>,
    pub encoding: Option<Encoding>,
}

/// Data rows: already split into cells (XLSX, JSON), or CSV text parsed as it is read, so that a large file is
/// held once as text rather than again as millions of cells.
#[derive(Debug, Clone)]
pub enum Rows<'a> {
    Cells(Vec<Row>),
    Csv(std::borrow::Cow<'a, str>),
}

impl Rows<'_> {
    /// The rows in order, blank rows skipped.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Result<Row, ImportError>> + Send + '_> {
        match self {
            Rows::Cells(rows) => Box::new(rows.iter().cloned().map(Ok)),
            Rows::Csv(text) => Box::new(CsvRows::new(text)),
        }
    }

    /// An upper bound of the number of rows (exact for cells; line breaks for CSV), for progress bars.
    pub fn len_hint(&self) -> usize {
        match self {
            Rows::Cells(rows) => rows.len(),
            Rows::Csv(text) => text.bytes().filter(|b| *b == b'\n').count(),
        }
    }
}

impl Table<'_> {
    /// A table of cells (for callers that build rows themselves).
    pub fn from_cells(headers: Vec<String>, rows: Vec<Row>) -> Table<'static> {
        Table { headers, rows: Rows::Cells(rows), encoding: None }
    }

    /// All rows at once.
    pub fn collect_rows(&self) -> Result<Vec<Row>, ImportError> {
        self.rows.iter().collect()
    }
}

/// Reads a whole file of the given format. `sheet` picks an XLSX worksheet by name (default: the first).
pub fn read_table<'a>(format: Format, bytes: &'a [u8], sheet: Option<&str>) -> Result<Table<'a>, ImportError> {
    match format {
        Format::Csv => read_csv(bytes),
        Format::Xlsx => read_xlsx(bytes, sheet),
        Format::Json => read_json(bytes),
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes())
}

fn newlines(r: &csv::StringRecord) -> u64 {
    r.iter().map(|c| c.matches('\n').count() as u64).sum()
}

fn read_csv(bytes: &[u8]) -> Result<Table<'_>, ImportError> {
    let (text, encoding) = decode(bytes)?;
    let header = match csv_reader(&text).records().next() {
        Some(r) => r.map_err(|e| ImportError::Csv(e.to_string()))?,
        None => return Err(ImportError::Empty),
    };
    let headers: Vec<String> = header.iter().map(str::to_string).collect();
    Ok(Table { headers, rows: Rows::Csv(text), encoding: Some(encoding) })
}

/// CSV data rows parsed lazily from the text, numbered as Excel numbers them.
struct CsvRows<'a> {
    text: &'a str,
    records: csv::StringRecordsIntoIter<&'a [u8]>,
    /// Line breaks inside quoted cells so far: Excel's row number is the record's first line minus these.
    embedded: u64,
}

impl<'a> CsvRows<'a> {
    fn new(text: &'a str) -> CsvRows<'a> {
        let mut records = csv_reader(text).into_records();
        let embedded = match records.next() {
            Some(Ok(header)) => newlines(&header),
            _ => 0,
        };
        CsvRows { text, records, embedded }
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<Row, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let r = match self.records.next()? {
                Ok(r) => r,
                Err(e) => return Some(Err(ImportError::Csv(e.to_string()))),
            };
            // The reader reports a record as starting right after the previous terminator character, which may be
            // the `\n` of a CRLF or the line breaks of skipped blank lines (which Excel counts as rows): step over
            // those to the record's real first line.
            let line = r
                .position()
                .map(|p| {
                    let rest = &self.text.as_bytes()[(p.byte() as usize).min(self.text.len())..];
                    let skipped =
                        rest.iter().take_while(|b| **b == b'\n' || **b == b'\r').filter(|b| **b == b'\n').count();
                    p.line() + skipped as u64
                })
                .unwrap_or(0);
            let row = (line - self.embedded.min(line)) as usize;
            self.embedded += newlines(&r);
            if r.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Some(Ok((row, r.iter().map(str::to_string).collect())));
        }
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        // Whole days as an Excel serial number; the catalog's date parser reads those.
        Data::DateTime(dt) => (dt.as_f64().floor() as i64).to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table<'static>, ImportError> {
    let mut book =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(e.to_string()))?;
    let range = match sheet {
        Some(name) => {
            if !book.sheet_names().iter().any(|n| n == name) {
                return Err(ImportError::NoSheet(name.to_string()));
            }
            book.worksheet_range(name).map_err(|e| ImportError::Xlsx(e.to_string()))?
        }
        None => book.worksheet_range_at(0).ok_or(ImportError::Empty)?.map_err(|e| ImportError::Xlsx(e.to_string()))?,
    };
    // Row numbers as Excel shows them: the range may start below row 1.
    let first_row = range.start().map(|(r, _)| r as usize + 1).unwrap_or(1);
    let mut rows = range.rows();
    let headers: Vec<String> = rows.next().ok_or(ImportError::Empty)?.iter().map(cell_text).collect();
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.push((first_row + i + 1, cells));
    }
    Ok(Table::from_cells(headers, out))
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read_json(bytes: &[u8]) -> Result<Table<'static>, ImportError> {
    let (text, _) = decode(bytes)?;
    let trimmed = text.trim_start();
    let objects: Vec<(usize, serde_json::Map<String, serde_json::Value>)> = if trimmed.starts_with('[') {
        let arr: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| ImportError::Json(e.to_string()))?;
        arr.into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                serde_json::Value::Object(m) => Ok((i + 2, m)),
                _ => Err(ImportError::Json(format!("第{}个元素不是对象", i + 1))),
            })
            .collect::<Result<_, _>>()?
    } else {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(serde_json::Value::Object(m)) => out.push((i + 2, m)),
                Ok(_) => return Err(ImportError::Json(format!("第{}行不是 JSON 对象", i + 1))),
                Err(e) => return Err(ImportError::Json(format!("第{}行:{e}", i + 1))),
            }
        }
        out
    };
    Ok(table_from_objects(objects))
}

/// Builds a table from JSON objects: the headers are the union of their keys in first-seen order.
/// Row numbers count a virtual header as row 1, so the n-th object is row n + 1.
pub fn table_from_objects(objects: Vec<(usize, serde_json::Map<String, serde_json::Value>)>) -> Table<'static> {
    let mut headers: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (_, o) in &objects {
        for k in o.keys() {
            if !index.contains_key(k) {
                index.insert(k.clone(), headers.len());
                headers.push(k.clone());
            }
        }
    }
    let rows = objects
        .into_iter()
        .map(|(n, o)| {
            let mut cells = vec![String::new(); headers.len()];
            for (k, v) in o {
                cells[index[&k]] = json_text(&v);
            }
            (n, cells)
        })
        .collect();
    Table::from_cells(headers, rows)
}

/// One data row mapped to catalog fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow {
    pub number: usize,
    pub values: HashMap<String, String>,
    /// Non-empty cells of columns that map to no field, by header: kept with the record, never published.
    pub extras: Vec<(String, String)>,
    /// Cells beyond the last header (a malformed row).
    pub stray_cells: usize,
}

pub(crate) fn normalize_header(h: &str) -> String {
    h.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .map(|c| match c {
            '【' | '[' | '〔' => '(',
            '】' | ']' | '〕' => ')',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}
