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
//!
//! Every reader holds the [`limits`] before it spends memory or time on them: an XLSX is inflated once, counted,
//! before it is parsed, and its sheet is read cell by cell (never as the grid its `<dimension>` declares); JSON
//! headers are the union of keys only up to the column limit; a CSV row with too many cells or bytes is rejected
//! as that row, without building its cells. A row that breaks a limit is a row-level error ([`RowError::Row`]);
//! a file that does (its header, its unpacked size, its row count) is unusable.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, Reader};
use unicode_normalization::UnicodeNormalization;

mod csvfile;
mod header;
pub mod limits;

pub use csvfile::CsvFile;
pub use header::HeaderMap;
use limits::{
    MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROW_BYTES, MAX_ROWS, MAX_SHARED_STRINGS, MAX_UNPACKED_BYTES, MAX_ZIP_ENTRIES,
};

/// Why a file (or, as [`RowError::Row`], one row) cannot be used.
///
/// The message is shown to the submitter and may be stored in a batch's report; every text in it that comes from
/// the file (a sheet's name, the headers, a reader's message quoting the content) is shown through [`shown`], with
/// any ID number in it masked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImportError {
    #[error("无法识别的文件格式:{}(支持 .csv、.xlsx、.json、.jsonl)", shown(.0))]
    UnknownFormat(String),
    #[error("CSV 文件无法读取:{}", shown(.0))]
    Csv(String),
    #[error("XLSX 文件无法读取:{}", shown(.0))]
    Xlsx(String),
    #[error("工作簿中没有名为“{}”的工作表", shown(.0))]
    NoSheet(String),
    #[error("JSON 无法读取:{}", shown(.0))]
    Json(String),
    #[error("文件为空,没有表头行")]
    Empty,
    #[error("文件编码无法识别:既不是有效的 UTF-8,也不是有效的 GBK/GB18030")]
    Encoding,
    #[error("表头中没有任何一列能对应到目录“{item}”的字段(表头:{})", shown(.headers))]
    NoMatchingHeader { item: String, headers: String },
    #[error("{what}有 {found} 列,超过上限 {max} 列", max = MAX_COLUMNS)]
    TooManyColumns { what: &'static str, found: usize },
    #[error("数据超过 {max} 行的上限,超出部分未读取", max = MAX_ROWS)]
    TooManyRows,
    #[error("第{column}列的单元格有 {chars} 个字符,超过上限 {max} 个字符", max = MAX_CELL_CHARS)]
    CellTooLong { column: usize, chars: usize },
    #[error("该行有 {bytes} 字节,超过单行上限 {max} 字节", max = MAX_ROW_BYTES)]
    RowTooLong { bytes: usize },
    #[error("XLSX 解压后超过 {} MiB 的上限(或包含超过 {} 个文件),可能是压缩炸弹,请拆分后再提交", MAX_UNPACKED_BYTES >> 20, MAX_ZIP_ENTRIES)]
    UnpackedTooLarge,
}

/// A text from the file as an error message shows it: with any ID number in it masked.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    credo_domain::masking::mask_id_numbers(text)
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
            ImportError::TooManyColumns { .. } => "too_many_columns",
            ImportError::TooManyRows => "too_many_rows",
            ImportError::CellTooLong { .. } => "cell_too_long",
            ImportError::RowTooLong { .. } => "row_too_long",
            ImportError::UnpackedTooLarge => "unpacked_too_large",
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

/// A row that could not be read.
#[derive(Debug, Clone)]
pub enum RowError {
    /// This row is rejected (it breaks a limit); the rows after it are read.
    Row { row: usize, error: ImportError },
    /// The rest of the file cannot be read.
    Fatal(ImportError),
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Row { row, error } => write!(f, "第{row}行:{error}"),
            RowError::Fatal(error) => error.fmt(f),
        }
    }
}

/// A row as the readers give it.
pub type RowResult = Result<Row, RowError>;

/// Checks a data row's cells against the limits (count, characters per cell).
fn checked(row: usize, cells: Vec<String>) -> RowResult {
    if cells.len() > MAX_COLUMNS {
        return Err(RowError::Row { row, error: ImportError::TooManyColumns { what: "该行", found: cells.len() } });
    }
    if let Some((i, c)) =
        cells.iter().enumerate().find(|(_, c)| c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS)
    {
        return Err(RowError::Row { row, error: ImportError::CellTooLong { column: i + 1, chars: c.chars().count() } });
    }
    Ok((row, cells))
}

/// Checks a header row: more columns than the limit make the file unusable.
fn checked_header(headers: Vec<String>) -> Result<Vec<String>, ImportError> {
    if headers.len() > MAX_COLUMNS {
        return Err(ImportError::TooManyColumns { what: "表头", found: headers.len() });
    }
    Ok(headers)
}

/// A file as a header row and its data rows.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub headers: Vec<String>,
    pub rows: Rows<'a>,
    pub encoding: Option<Encoding>,
}

/// Data rows: already split into cells (XLSX, JSON), or a CSV file parsed as it is read ([`CsvFile`]), so that a
/// large file costs a buffer rather than millions of cells.
#[derive(Debug, Clone)]
pub enum Rows<'a> {
    Cells(Vec<RowResult>),
    Csv(CsvFile<'a>),
}

impl Rows<'_> {
    /// The rows in order, blank rows skipped.
    pub fn iter(&self) -> Box<dyn Iterator<Item = RowResult> + Send + '_> {
        match self {
            Rows::Cells(rows) => Box::new(rows.iter().cloned()),
            Rows::Csv(file) => file.rows(),
        }
    }

    /// An upper bound of the number of rows (exact for cells; line ends for CSV), for progress bars.
    pub fn len_hint(&self) -> usize {
        match self {
            Rows::Cells(rows) => rows.len(),
            Rows::Csv(file) => file.line_ends,
        }
    }
}

impl Table<'_> {
    /// A table of cells (for callers that build rows themselves), checked against the limits.
    pub fn from_cells(headers: Vec<String>, rows: Vec<Row>) -> Result<Table<'static>, ImportError> {
        if rows.len() > MAX_ROWS {
            return Err(ImportError::TooManyRows);
        }
        let rows = rows.into_iter().map(|(n, cells)| checked(n, cells)).collect();
        Ok(Table { headers: checked_header(headers)?, rows: Rows::Cells(rows), encoding: None })
    }

    /// All rows at once.
    pub fn collect_rows(&self) -> Result<Vec<Row>, RowError> {
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

fn read_csv(bytes: &[u8]) -> Result<Table<'_>, ImportError> {
    let (file, headers) = CsvFile::open(csvfile::Source::Bytes(std::borrow::Cow::Borrowed(bytes)))?;
    Ok(Table { headers, encoding: Some(file.encoding), rows: Rows::Csv(file) })
}

/// Opens a CSV file on disk for reading as a stream: its size costs nothing but a buffer.
pub fn read_csv_file(path: &std::path::Path) -> Result<Table<'static>, ImportError> {
    let (file, headers) = CsvFile::open(csvfile::Source::File(path.to_path_buf()))?;
    Ok(Table { headers, encoding: Some(file.encoding), rows: Rows::Csv(file) })
}

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        // Whole days as an Excel serial number; the catalog's date parser reads those.
        DataRef::DateTime(dt) => (dt.as_f64().floor() as i64).to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Inflates every member of the zip once, counting, before anything is parsed: a sheet or shared-strings table
/// that unpacks to gigabytes (whatever its header claims) is refused after [`MAX_UNPACKED_BYTES`] bytes. A
/// shared-strings table must also hold the strings it declares: the parser reserves memory for its
/// `uniqueCount` up front, so a few bytes declaring four billion strings would otherwise abort the process.
fn check_unpacked(bytes: &[u8]) -> Result<(), ImportError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(e.to_string()))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(ImportError::UnpackedTooLarge);
    }
    let mut left = MAX_UNPACKED_BYTES;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| ImportError::Xlsx(e.to_string()))?;
        let mut reader = entry.take(left + 1);
        let (mut head, mut size) = (Vec::new(), 0u64);
        loop {
            let n = reader.read(&mut buf).map_err(|e| ImportError::Xlsx(e.to_string()))?;
            if n == 0 {
                break;
            }
            if head.len() < 4096 {
                head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
            }
            size += n as u64;
        }
        left = left.checked_sub(size).ok_or(ImportError::UnpackedTooLarge)?;
        if let Some(declared) = unique_count(&head) {
            // The shortest entry, `<si/>`, takes 5 bytes.
            if declared > (size / 5).min(MAX_SHARED_STRINGS) {
                return Err(ImportError::Xlsx(format!(
                    "共享字符串表声明 {declared} 个字符串,与其内容({size} 字节)不符或超过上限 {MAX_SHARED_STRINGS}"
                )));
            }
        }
    }
    Ok(())
}

/// The `uniqueCount` a shared-strings table (`<sst … uniqueCount="N">`) declares at its start.
fn unique_count(head: &[u8]) -> Option<u64> {
    let at = head.windows(13).position(|w| w == b"uniqueCount=\"")? + 13;
    let digits: Vec<u8> = head[at..].iter().take_while(|b| b.is_ascii_digit()).copied().collect();
    // More digits than u64 holds is a declaration too large by any measure.
    Some(std::str::from_utf8(&digits).ok()?.parse().unwrap_or(u64::MAX))
}

/// Reads an XLSX. The workbook parser is a third party's: some malformed cell references make it overflow
/// arithmetic (a panic in debug builds; found by `tests/fuzz.rs`), so a panic while reading is caught and the file
/// is refused as unreadable rather than taking the request down.
fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table<'static>, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_xlsx_cells(bytes, sheet)))
        .unwrap_or_else(|_| Err(ImportError::Xlsx("工作表内容格式错误(单元格引用无效)".into())))
}

fn read_xlsx_cells(bytes: &[u8], sheet: Option<&str>) -> Result<Table<'static>, ImportError> {
    check_unpacked(bytes)?;
    let xlsx_err = |e: calamine::XlsxError| ImportError::Xlsx(e.to_string());
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_err)?;
    let name = match sheet {
        Some(name) if book.sheet_names().iter().any(|n| n == name) => name.to_string(),
        Some(name) => return Err(ImportError::NoSheet(name.to_string())),
        None => book.sheet_names().first().cloned().ok_or(ImportError::Empty)?,
    };
    // Cell by cell, as stored: the `<dimension>` a sheet declares is never allocated, so a sheet that claims
    // A1:XFD1048576 costs what its real cells cost. Cells are kept by row (sparse), each row only as wide as its
    // last non-empty cell, and a cell beyond the column limit rejects its row instead of widening it.
    let mut reader = book.worksheet_cells_reader(&name).map_err(xlsx_err)?;
    let mut rows: std::collections::BTreeMap<u32, Result<Vec<String>, ImportError>> = Default::default();
    while let Some(cell) = reader.next_cell().map_err(xlsx_err)? {
        let text = cell_text(cell.get_value());
        if text.trim().is_empty() {
            continue;
        }
        let (r, c) = cell.get_position();
        if r as usize > MAX_ROWS {
            // Header plus MAX_ROWS data rows at most (Excel's own sheet has 1,048,576 rows).
            return Err(ImportError::TooManyRows);
        }
        let entry = rows.entry(r).or_insert_with(|| Ok(Vec::new()));
        let Ok(cells) = entry else { continue };
        let c = c as usize;
        if c >= MAX_COLUMNS {
            *entry = Err(ImportError::TooManyColumns { what: "该行", found: c + 1 });
            continue;
        }
        if cells.len() <= c {
            cells.resize(c + 1, String::new());
        }
        cells[c] = text;
    }
    let mut rows = rows.into_iter();
    let headers = match rows.next() {
        Some((_, Ok(h))) => h,
        Some((_, Err(e))) => {
            return Err(match e {
                ImportError::TooManyColumns { found, .. } => ImportError::TooManyColumns { what: "表头", found },
                other => other,
            });
        }
        None => return Err(ImportError::Empty),
    };
    // Row numbers as Excel shows them (1-based); missing rows were blank.
    let out = rows
        .map(|(r, cells)| {
            let row = r as usize + 1;
            cells.map_err(|error| RowError::Row { row, error }).and_then(|cells| checked(row, cells))
        })
        .collect();
    Ok(Table { headers: checked_header(headers)?, rows: Rows::Cells(out), encoding: None })
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
    table_from_objects(objects)
}

/// Builds a table from JSON objects: the headers are the union of their keys in first-seen order, refused once
/// there are more than [`MAX_COLUMNS`] of them (before any row is widened to them).
/// Row numbers count a virtual header as row 1, so the n-th object is row n + 1.
pub fn table_from_objects(
    objects: Vec<(usize, serde_json::Map<String, serde_json::Value>)>,
) -> Result<Table<'static>, ImportError> {
    if objects.len() > MAX_ROWS {
        return Err(ImportError::TooManyRows);
    }
    let mut headers: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (_, o) in &objects {
        for k in o.keys() {
            if !index.contains_key(k) {
                if headers.len() == MAX_COLUMNS {
                    return Err(ImportError::TooManyColumns { what: "记录的键(字段)", found: MAX_COLUMNS + 1 });
                }
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
