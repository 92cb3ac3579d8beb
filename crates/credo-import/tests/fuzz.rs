//! Fuzzing the readers with what a department's file, or an attacker's, may hold: CSV bytes and text (UTF-8,
//! GB18030, quotes, commas, CR/LF), XLSX workbooks (real ones mutated byte by byte, their XML mutated and re-zipped,
//! and workbooks written from random cells), JSON (bytes, and random values as an array or as lines), and the
//! header mapping and row validation that follow every read.
//!
//! Runs on the stable toolchain under `cargo test`: [`bolero`]'s `check!()` drives each target with a random
//! engine for a fixed time. Every target asserts that nothing panics, that each input is read quickly, that what is
//! read keeps the [`limits`](credo_import::limits), and, where the input is well-formed by construction, that the
//! reader gives back what was written. What the targets found is written at the regression tests below; what is
//! still open, at the `known_issue_*` tests (ignored).
//!
//! * `CREDO_FUZZ_SECONDS`: seconds per target (default 5; CI runs the default). An hour per target:
//!   `CREDO_FUZZ_SECONDS=3600 cargo test --release -p credo-import --test fuzz -- --nocapture`.
//! * `CREDO_FUZZ_SLOW_MS`: an input slower than this, twice in a row, fails the target (default 5000).
//! * A failure prints the input and `BOLERO_RANDOM_SEED=…`; setting that variable replays exactly that input.
//! * `CREDO_FUZZ_TRACE=FILE`: each input is written to FILE before it runs, so that one that aborts the process
//!   (a failed allocation is not a panic, and bolero cannot report it) is left there.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read, Write};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use bolero::{TypeGenerator, check};
use credo_domain::catalog::{Catalog, FieldType, Item};
use credo_import::limits::{MAX_CELL_CHARS, MAX_COLUMNS};
use credo_import::{Format, HeaderMap, RowError, RowResult, read_table, table_from_objects};
use serde_json::{Map, Value};
use time::macros::date;

// ---------------------------------------------------------------------------------------------------------------
// Budget and timing, shared by the targets.

/// How long each target runs.
fn budget() -> Duration {
    let secs = std::env::var("CREDO_FUZZ_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(5.0);
    Duration::from_secs_f64(secs.max(0.1))
}

/// The slowest an input may be.
fn slow_limit() -> Duration {
    let ms = std::env::var("CREDO_FUZZ_SLOW_MS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(5000);
    Duration::from_millis(ms)
}

/// Counts a target's inputs and fails one that is too slow; prints the figures when the target ends.
struct Meter {
    target: &'static str,
    started: Instant,
    inputs: u64,
    slowest: Duration,
    limit: Duration,
}

impl Meter {
    fn new(target: &'static str) -> Meter {
        Meter { target, started: Instant::now(), inputs: 0, slowest: Duration::ZERO, limit: slow_limit() }
    }

    /// Runs `f` on one input. An input slower than the limit is run again, so that a moment when the machine was
    /// busy elsewhere is not taken for a slow input; slow twice, it fails.
    fn time<R>(&mut self, f: impl Fn() -> R) -> R {
        let t = Instant::now();
        let mut r = f();
        let mut took = t.elapsed();
        if took > self.limit {
            let again = Instant::now();
            r = f();
            took = took.min(again.elapsed());
        }
        self.inputs += 1;
        self.slowest = self.slowest.max(took);
        assert!(took <= self.limit, "{}: one input took {took:?} twice (limit {:?})", self.target, self.limit);
        r
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        println!(
            "fuzz {}: {} inputs in {:.1} s, slowest {:.2} ms",
            self.target,
            self.inputs,
            self.started.elapsed().as_secs_f64(),
            self.slowest.as_secs_f64() * 1000.0
        );
    }
}

fn fuzz<T: std::fmt::Debug + TypeGenerator>(target: &'static str, f: impl Fn(&T) + std::panic::RefUnwindSafe) {
    let mut meter = Meter::new(target);
    let trace = std::env::var_os("CREDO_FUZZ_TRACE");
    check!().with_type::<T>().with_test_time(budget()).with_iterations(usize::MAX).for_each(|input| {
        if let Some(path) = &trace {
            std::fs::write(path, format!("{target}: {input:#?}")).unwrap();
        }
        meter.time(|| f(input));
    });
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(credo_domain::embedded::catalog);

fn xzcf() -> &'static Item {
    CATALOG.item("xzcf").unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// What every read must satisfy.

/// What a reader gave: the headers and every row.
struct Got {
    headers: Vec<String>,
    rows: Vec<RowResult>,
}

/// Reads a whole file as the server does (headers, then every row, then each row mapped to the catalog), checking
/// the limits on what comes out. `None` when the file is refused.
fn read_all(format: Format, bytes: &[u8], sheet: Option<&str>) -> Option<Got> {
    let table = match read_table(format, bytes, sheet) {
        Ok(t) => t,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return None;
        }
    };
    assert!(table.headers.len() <= MAX_COLUMNS, "{} headers", table.headers.len());
    let hint = table.rows.len_hint();
    let rows: Vec<RowResult> = table.rows.iter().collect();
    if !matches!(table.rows, credo_import::Rows::Csv(_)) {
        assert_eq!(hint, rows.len());
    }
    let mut last = 1;
    for r in &rows {
        match r {
            Ok((n, cells)) => {
                assert!(cells.len() <= MAX_COLUMNS, "row {n}: {} cells", cells.len());
                assert!(cells.iter().all(|c| c.chars().count() <= MAX_CELL_CHARS), "row {n}: a cell too long");
                assert!(cells.iter().any(|c| !c.trim().is_empty()) || format == Format::Json, "row {n} is blank");
                assert!(*n > last, "row {n} after row {last}");
                last = *n;
            }
            Err(e @ RowError::Row { row, .. }) => {
                assert!(!e.to_string().is_empty());
                last = *row;
            }
            Err(e @ RowError::Fatal(_)) => assert!(!e.to_string().is_empty()),
        }
    }
    // Reading again gives the same rows (CSV rows are parsed lazily, each time).
    assert_eq!(table.rows.iter().count(), rows.len());
    if let Ok(map) = HeaderMap::new(xzcf(), &table.headers) {
        for (n, cells) in rows.iter().flatten() {
            let mapped = map.map_row(*n, cells);
            assert!(mapped.values.len() + mapped.extras.len() <= map.columns.len());
            assert!(mapped.stray_cells <= cells.len().saturating_sub(map.columns.len()));
        }
    }
    Some(Got { headers: table.headers, rows })
}

/// The rows that were read without error.
fn good_rows(read: &Got) -> Vec<(usize, Vec<String>)> {
    read.rows.iter().flatten().cloned().collect()
}

// ---------------------------------------------------------------------------------------------------------------
// CSV.

#[test]
fn fuzz_csv_bytes() {
    let mut meter = Meter::new("csv_bytes");
    check!()
        .with_generator(Vec::<u8>::produce().with().len(0usize..=600))
        .with_test_time(budget())
        .with_iterations(usize::MAX)
        .for_each(|bytes| {
            meter.time(|| {
                let _ = Format::detect("upload", bytes);
                let _ = credo_import::decode(bytes);
                read_all(Format::Csv, bytes, None);
            })
        });
}

/// Text pieces a CSV cell is made of: what Excel writes, and what breaks naive parsers.
const CSV_PIECES: &[&str] = &[
    "西宁市城东区鑫源商贸有限公司",
    "91630100MA7X00018G",
    "630102199001011235",
    "2025/6/1",
    "0.2",
    "𠀀",
    "\u{feff}",
    "\"",
    "\"\"",
    ",",
    ";",
    "\t",
    "\r",
    "\n",
    "\r\n",
    " ",
    "\u{3000}",
    "=SUM(A1)",
    "\u{0}",
    "é",
    "行政相对人名称",
    "*处罚类别",
    "行政相对人代码_1（统一社会信用代码）",
];

#[derive(Debug, Clone, TypeGenerator)]
enum CsvCell {
    Piece(u8),
    Text(String),
    Pieces(#[generator(Vec::produce().with().len(0usize..=4))] Vec<u8>),
}

impl CsvCell {
    fn text(&self) -> String {
        let piece = |i: &u8| CSV_PIECES[usize::from(*i) % CSV_PIECES.len()];
        match self {
            CsvCell::Piece(i) => piece(i).to_string(),
            CsvCell::Text(s) => s.chars().take(12).collect(),
            CsvCell::Pieces(p) => p.iter().map(piece).collect(),
        }
    }
}

#[derive(Debug, Clone, TypeGenerator)]
struct CsvRow(#[generator(Vec::produce().with().len(1usize..=5))] Vec<CsvCell>);

#[derive(Debug, Clone, TypeGenerator)]
struct CsvFile {
    #[generator(Vec::produce().with().len(1usize..=6))]
    rows: Vec<CsvRow>,
    /// How the text is written: by the csv crate (well-formed) or joined by hand (anything goes).
    by_hand: bool,
    /// 0: LF, 1: CRLF, 2: CR, 3: mixed.
    line_end: u8,
    bom: bool,
    gb18030: bool,
    /// Blank lines put between records.
    blank_lines: u8,
    /// Bytes appended at the end (an invalid byte, a truncated GB18030 character …).
    #[generator(Vec::produce().with().len(0usize..=3))]
    tail: Vec<u8>,
}

impl CsvFile {
    fn cells(&self) -> Vec<Vec<String>> {
        self.rows.iter().map(|r| r.0.iter().map(CsvCell::text).collect()).collect()
    }

    fn text(&self) -> String {
        let ends = ["\n", "\r\n", "\r"];
        let end = |i: usize| if self.line_end % 4 == 3 { ends[i % 3] } else { ends[usize::from(self.line_end % 4)] };
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        for (i, row) in self.cells().iter().enumerate() {
            if self.by_hand {
                out.push_str(&row.join(","));
            } else {
                let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(vec![]);
                w.write_record(row).unwrap();
                let line = String::from_utf8(w.into_inner().unwrap()).unwrap();
                out.push_str(line.strip_suffix('\n').unwrap_or(&line));
            }
            out.push_str(end(i));
            for _ in 0..self.blank_lines % 3 {
                out.push_str(end(i));
            }
        }
        out
    }

    fn bytes(&self) -> Vec<u8> {
        let text = self.text();
        let mut bytes =
            if self.gb18030 { encoding_rs::GB18030.encode(&text).0.into_owned() } else { text.into_bytes() };
        bytes.extend(&self.tail);
        bytes
    }
}

#[test]
fn fuzz_csv_text() {
    fuzz::<CsvFile>("csv_text", |file| {
        let bytes = file.bytes();
        let Some(read) = read_all(Format::Csv, &bytes, None) else {
            return;
        };
        // Written by the csv crate with LF or CRLF, in UTF-8 (or GB18030 that could not pass for UTF-8), nothing
        // appended: the reader gives back every record, blank ones skipped, numbered as Excel shows them.
        // GB18030 maps some private-use code points to bytes that decode to the characters later standards gave
        // them (U+E78D → A6D9 → U+FE10): such text does not come back as it was, by the standard.
        let private_use = file.text().chars().any(|c| ('\u{e000}'..='\u{f8ff}').contains(&c));
        let plain_gb = file.gb18030 && !private_use && (std::str::from_utf8(&bytes).is_err() || file.text().is_ascii());
        let clean = !file.by_hand && file.line_end % 4 < 2 && file.tail.is_empty() && (!file.gb18030 || plain_gb);
        // A cell that starts with a BOM loses it when it is the file's first; a lone CR inside an unquoted
        // cell is a line end.
        let cells = file.cells();
        if !clean || cells[0].first().is_some_and(|c| c.starts_with('\u{feff}')) {
            return;
        }
        assert_eq!(read.headers, cells[0], "{bytes:?}");
        let want: Vec<&Vec<String>> = cells[1..].iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
        let got = good_rows(&read);
        assert_eq!(got.iter().map(|(_, c)| c).collect::<Vec<_>>(), want, "{:?}", file.text());
        // Row numbers: the header is row 1, each record is one row however many lines its cells span, and blank
        // lines count.
        let mut row = 1 + 1 + usize::from(file.blank_lines % 3);
        let mut expected = Vec::new();
        for r in &cells[1..] {
            if r.iter().any(|c| !c.trim().is_empty()) {
                expected.push(row);
            }
            row += 1 + usize::from(file.blank_lines % 3);
        }
        assert_eq!(got.iter().map(|(n, _)| *n).collect::<Vec<_>>(), expected, "{:?}", file.text());
    });
}

// ---------------------------------------------------------------------------------------------------------------
// XLSX.

/// Small real workbooks, as rust_xlsxwriter (and so Excel) writes them.
static WORKBOOKS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let date = Style::new().set_num_format("yyyy-mm-dd");
    let mut out = Vec::new();
    // A template as departments fill it: headers, strings, a date, a number, a blank row.
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    for (i, f) in xzcf().fields.iter().take(8).enumerate() {
        s.write(0, i as u16, f.name.as_str()).unwrap();
    }
    s.write(1, 0, "西宁市城东区鑫源商贸有限公司").unwrap();
    s.write(1, 2, "91630100MA7X00018G").unwrap();
    s.write_number_with_format(1, 5, 45_356, &date).unwrap();
    s.write(1, 6, 0.2).unwrap();
    s.write(3, 0, "青海湟源县𠀀记商店").unwrap();
    s.write_boolean(3, 1, true).unwrap();
    s.write_formula(3, 3, "=1+1").unwrap();
    out.push(wb.save_to_buffer().unwrap());
    // Two sheets, the data on the second.
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("说明").unwrap().write(0, 0, "填表说明").unwrap();
    let s = wb.add_worksheet().set_name("行政处罚").unwrap();
    s.write(0, 0, "行政相对人名称").unwrap();
    s.write(0, 1, "处罚决定日期").unwrap();
    s.write(1, 0, "甲公司").unwrap();
    s.write_number_with_format(1, 1, 45_000.5, &date).unwrap();
    s.write_url(2, 0, "https://example.invalid/").unwrap();
    out.push(wb.save_to_buffer().unwrap());
    // One cell far away, as a declared dimension attack would place it.
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.write(0, 0, "行政相对人名称").unwrap();
    s.write(1, 0, "甲公司").unwrap();
    s.write(70_000, 300, "x").unwrap();
    out.push(wb.save_to_buffer().unwrap());
    out
});

/// A workbook's zip members: `(name, bytes)`.
type Members = Vec<(String, Vec<u8>)>;

/// The members of each of [`WORKBOOKS`], unzipped.
static MEMBERS: LazyLock<Vec<Members>> = LazyLock::new(|| {
    WORKBOOKS
        .iter()
        .map(|book| {
            let mut zip = zip::ZipArchive::new(Cursor::new(book)).unwrap();
            (0..zip.len())
                .map(|i| {
                    let mut f = zip.by_index(i).unwrap();
                    let mut bytes = Vec::new();
                    f.read_to_end(&mut bytes).unwrap();
                    (f.name().unwrap().to_string(), bytes)
                })
                .collect()
        })
        .collect()
});

/// A change to bytes; positions and lengths are reduced modulo what they apply to.
#[derive(Debug, Clone, TypeGenerator)]
enum ByteEdit {
    Flip(u32, u8),
    Set(u32, u8),
    Insert(u32, #[generator(Vec::produce().with().len(1usize..=8))] Vec<u8>),
    Delete(u32, u8),
    Duplicate(u32, u8),
    Truncate(u32),
    /// Near a zip record signature (local header, central directory, end of central directory): where sizes,
    /// offsets and counts are.
    NearSignature(u8, u8, u8),
}

fn edit_bytes(bytes: &mut Vec<u8>, edits: &[ByteEdit]) {
    for e in edits {
        let len = bytes.len().max(1);
        let at = |i: u32| usize::try_from(i).unwrap_or(0) % len;
        match e {
            ByteEdit::Flip(i, bit) if !bytes.is_empty() => bytes[at(*i)] ^= 1 << (bit % 8),
            ByteEdit::Set(i, v) if !bytes.is_empty() => bytes[at(*i)] = *v,
            ByteEdit::Insert(i, v) => {
                let i = at(*i).min(bytes.len());
                bytes.splice(i..i, v.iter().copied());
            }
            ByteEdit::Delete(i, n) if !bytes.is_empty() => {
                let i = at(*i);
                let end = (i + usize::from(*n)).min(bytes.len());
                bytes.drain(i..end);
            }
            ByteEdit::Duplicate(i, n) if !bytes.is_empty() => {
                let i = at(*i);
                let end = (i + usize::from(*n)).min(bytes.len());
                let chunk = bytes[i..end].to_vec();
                bytes.splice(end..end, chunk);
            }
            ByteEdit::Truncate(i) => bytes.truncate(at(*i)),
            ByteEdit::NearSignature(which, offset, v) => {
                let signatures: Vec<usize> =
                    bytes.windows(2).enumerate().filter(|(_, w)| *w == b"PK").map(|(i, _)| i).collect();
                if !signatures.is_empty() {
                    let i = signatures[usize::from(*which) % signatures.len()] + usize::from(offset % 48);
                    if i < bytes.len() {
                        bytes[i] = *v;
                    }
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, TypeGenerator)]
struct XlsxBytes {
    book: u8,
    #[generator(Vec::produce().with().len(1usize..=6))]
    edits: Vec<ByteEdit>,
    sheet: Option<u8>,
}

const SHEET_NAMES: &[&str] = &["Sheet1", "Sheet2", "说明", "行政处罚", "", "a'b"];

#[test]
fn fuzz_xlsx_bytes() {
    fuzz::<XlsxBytes>("xlsx_bytes", |input| {
        let mut bytes = WORKBOOKS[usize::from(input.book) % WORKBOOKS.len()].clone();
        edit_bytes(&mut bytes, &input.edits);
        let sheet = input.sheet.map(|s| SHEET_NAMES[usize::from(s) % SHEET_NAMES.len()]);
        read_all(Format::Xlsx, &bytes, sheet);
    });
}

/// XML (and zip) fragments that workbooks hold, and that break parsers of them.
const XML_SNIPPETS: &[&str] = &[
    r#"<c r="A1" t="s"><v>0</v></c>"#,
    r#"<c r="B2" t="s"><v>999999</v></c>"#,
    r#"<c r="A1" t="s"><v>-1</v></c>"#,
    r#"<c r="XFD1048576" t="s"><v>0</v></c>"#,
    r#"<c r="XFE1"><v>1</v></c>"#,
    r#"<c r="ZZZZZZ99999999999"><v>1</v></c>"#,
    r#"<c r=""><v>1</v></c>"#,
    r#"<c><v>1</v></c>"#,
    r#"<c r="A1" t="inlineStr"><is><t>内联</t></is></c>"#,
    r#"<c r="A2" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c>"#,
    r#"<c r="C3" t="d"><v>2024-01-01T00:00:00</v></c>"#,
    r#"<c r="C3" t="d"><v>not a date</v></c>"#,
    r#"<c r="D4" t="e"><v>#DIV/0!</v></c>"#,
    r#"<c r="D4" t="b"><v>2</v></c>"#,
    r#"<c r="E5" s="1"><v>1e308</v></c>"#,
    r#"<c r="E5" s="1"><v>-99999999999</v></c>"#,
    r#"<c r="E5" s="9999"><v>45000</v></c>"#,
    r#"<c r="F6" t="str"><f>SUM(A1:A2)</f><v>3</v></c>"#,
    r#"<c r="F6" t="n"><v>NaN</v></c>"#,
    r#"<c r="F6" t="n"><v></v></c>"#,
    r#"<row r="0">"#,
    r#"<row r="4294967296">"#,
    r#"<row r="2" spans="1:16384">"#,
    "</row>",
    "<row>",
    r#"<dimension ref="A1:XFD1048576"/>"#,
    "<si><t>共享</t></si>",
    r#"<si><t xml:space="preserve">  </t></si>"#,
    "<si><r><t>富</t></r><r><t>文本</t></r></si>",
    r#"<sst count="99999999" uniqueCount="99999999">"#,
    r#"<sheet name="S" sheetId="9" r:id="rId99"/>"#,
    r#"<sheet name="行政处罚" sheetId="1" r:id="rId1"/>"#,
    r#"<Relationship Id="rId1" Type="x" Target="../../../../etc/passwd"/>"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet9.xml"/>"#,
    r#"<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>"#,
    r#"<xf numFmtId="14"/>"#,
    r#"<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>"#,
    "&b;",
    "&#0;",
    "&#xFFFFFFFF;",
    "&unknown;",
    "<![CDATA[<c>]]>",
    "_x0000_",
    "_xD800_",
    "<",
    ">",
    "\"",
    "\u{0}",
    "\u{feff}",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
];

/// A change to one member of a workbook's zip.
#[derive(Debug, Clone, TypeGenerator)]
enum XmlEdit {
    /// A snippet put at the `n`-th `<` (or `>` + 1) of the member.
    Snippet {
        member: u8,
        at: u16,
        after: bool,
        snippet: u8,
    },
    /// The `n`-th number in the member replaced.
    Number {
        member: u8,
        at: u16,
        value: u8,
    },
    /// The text between the `n`-th and `m`-th tags removed or repeated.
    Span {
        member: u8,
        from: u16,
        len: u8,
        repeat: bool,
    },
    Bytes {
        member: u8,
        #[generator(Vec::produce().with().len(1usize..=3))]
        edits: Vec<ByteEdit>,
    },
    Drop(u8),
    Rename(u8, u8),
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "65536",
    "16384",
    "1048576",
    "1048577",
    "4294967295",
    "4294967296",
    "1e9",
    "99999999999999999999",
];

/// Positions of `<` in `text`.
fn tags(text: &[u8]) -> Vec<usize> {
    text.iter().enumerate().filter(|(_, b)| **b == b'<').map(|(i, _)| i).collect()
}

fn edit_members(members: &mut Vec<(String, Vec<u8>)>, edits: &[XmlEdit]) {
    for e in edits {
        if members.is_empty() {
            return;
        }
        let n = members.len();
        match e {
            XmlEdit::Snippet { member, at, after, snippet } => {
                let text = &mut members[usize::from(*member) % n].1;
                let tags = tags(text);
                let i = if tags.is_empty() {
                    0
                } else {
                    let t = tags[usize::from(*at) % tags.len()];
                    if *after { text[t..].iter().position(|b| *b == b'>').map_or(t, |p| t + p + 1) } else { t }
                };
                let s = XML_SNIPPETS[usize::from(*snippet) % XML_SNIPPETS.len()].as_bytes();
                text.splice(i..i, s.iter().copied());
            }
            XmlEdit::Number { member, at, value } => {
                let text = &mut members[usize::from(*member) % n].1;
                let starts: Vec<usize> = (0..text.len())
                    .filter(|&i| text[i].is_ascii_digit() && (i == 0 || !text[i - 1].is_ascii_digit()))
                    .collect();
                if let Some(&i) = starts.get(usize::from(*at) % starts.len().max(1)) {
                    let end = i + text[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                    let v = NUMBERS[usize::from(*value) % NUMBERS.len()].as_bytes();
                    text.splice(i..end, v.iter().copied());
                }
            }
            XmlEdit::Span { member, from, len, repeat } => {
                let text = &mut members[usize::from(*member) % n].1;
                let tags = tags(text);
                if tags.len() >= 2 {
                    let a = usize::from(*from) % tags.len();
                    let b = (a + 1 + usize::from(*len) % 8).min(tags.len() - 1);
                    let (a, b) = (tags[a], tags[b]);
                    if *repeat {
                        let chunk = text[a..b].to_vec();
                        for _ in 0..3 {
                            text.splice(b..b, chunk.iter().copied());
                        }
                    } else {
                        text.drain(a..b);
                    }
                }
            }
            XmlEdit::Bytes { member, edits } => edit_bytes(&mut members[usize::from(*member) % n].1, edits),
            XmlEdit::Drop(m) => {
                members.remove(usize::from(*m) % n);
            }
            XmlEdit::Rename(m, to) => {
                let names = ["xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/workbook.xml", "../evil.xml"];
                members[usize::from(*m) % n].0 = names[usize::from(*to) % names.len()].to_string();
            }
        }
    }
}

fn zip_members(members: &[(String, Vec<u8>)], stored: bool) -> Vec<u8> {
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in members {
        // A duplicate name (after a rename) is refused by the writer: that member is left out.
        if w.start_file(name.as_str(), options).is_ok() {
            w.write_all(bytes).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

/// Found by `fuzz_xlsx_xml` (the process died: "memory allocation of 103079215080 bytes failed"): calamine 0.38's
/// `read_shared_strings` (xlsx/mod.rs:364) calls `Vec::<String>::reserve(uniqueCount)` with the count the file
/// declares (tafia/calamine#684, unfixed in the latest release). A 2 KB workbook whose `xl/sharedStrings.xml` says
/// `uniqueCount="4294967295"` asked for 96 GiB, and the failed allocation aborted the process (not a panic: nothing
/// catches it, in release builds too; in the server one upload stopped it). `read_xlsx` now refuses a declared count
/// that the member cannot hold before the parser sees it. The read runs in a child process, so that a regression
/// fails this test instead of ending the test binary.
#[test]
fn a_shared_strings_count_the_file_cannot_hold_is_refused() {
    // The read runs in a child process: an abort would end this one.
    if std::env::var_os("CREDO_FUZZ_CHILD").is_some() {
        let bytes = workbook_with_unique_count("4294967295");
        assert!(read_table(Format::Xlsx, &bytes, None).is_err(), "the declared count is impossible");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_shared_strings_count_the_file_cannot_hold_is_refused"])
        .env("CREDO_FUZZ_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A small real workbook whose shared-strings part declares `count` unique strings.
fn workbook_with_unique_count(count: &str) -> Vec<u8> {
    let mut members = MEMBERS[0].clone();
    let sst = members.iter_mut().find(|(name, _)| name == "xl/sharedStrings.xml").unwrap();
    let xml = String::from_utf8(sst.1.clone()).unwrap();
    let at = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
    let end = at + xml[at..].find('"').unwrap();
    sst.1 = format!("{}{count}{}", &xml[..at], &xml[end..]).into_bytes();
    zip_members(&members, false)
}

/// Found by `fuzz_xlsx_xml`: a cell reference with a row past u32 (`<c r="A4294967296">`, or 7 column letters)
/// overflows in calamine 0.38's `get_row_and_optional_column` (xlsx/mod.rs:3112, tafia/calamine#694, unfixed in the
/// latest release). Debug builds panicked ("attempt to multiply with overflow") inside `read_table`; `read_xlsx` now
/// catches a panic of the parser and refuses the file. (Release builds wrap instead of panicking.)
#[test]
fn a_cell_reference_past_u32_is_refused_not_a_panic() {
    for reference in ["A4294967296", "A99999999999", "ZZZZZZZ1"] {
        let bytes = workbook_with_cell_reference(reference);
        let read = std::panic::catch_unwind(|| read_table(Format::Xlsx, &bytes, None).map(|t| t.headers));
        let read = read.unwrap_or_else(|_| panic!("{reference}: the reader panicked"));
        assert_eq!(read.map_err(|e| e.code()), Err("unreadable_xlsx"), "{reference}");
    }
}

/// A small real workbook whose one data cell's reference is replaced by `reference`.
fn workbook_with_cell_reference(reference: &str) -> Vec<u8> {
    let mut members = MEMBERS[0].clone();
    let sheet = members.iter_mut().find(|(name, _)| name == "xl/worksheets/sheet1.xml").unwrap();
    let xml = String::from_utf8(sheet.1.clone()).unwrap();
    assert!(xml.contains(r#"r="A2""#));
    sheet.1 = xml.replacen(r#"r="A2""#, &format!(r#"r="{reference}""#), 1).into_bytes();
    zip_members(&members, false)
}

#[derive(Debug, Clone, TypeGenerator)]
struct XlsxXml {
    book: u8,
    #[generator(Vec::produce().with().len(1usize..=5))]
    edits: Vec<XmlEdit>,
    stored: bool,
    sheet: Option<u8>,
}

#[test]
fn fuzz_xlsx_xml() {
    fuzz::<XlsxXml>("xlsx_xml", |input| {
        let mut members = MEMBERS[usize::from(input.book) % MEMBERS.len()].clone();
        // Edits go to the sheets, shared strings, styles and workbook parts more often than to the rest.
        members
            .sort_by_key(|(name, _)| !(name.contains("sheet") || name.contains("shared") || name.contains("styles")));
        edit_members(&mut members, &input.edits);
        let bytes = zip_members(&members, input.stored);
        let sheet = input.sheet.map(|s| SHEET_NAMES[usize::from(s) % SHEET_NAMES.len()]);
        read_all(Format::Xlsx, &bytes, sheet);
    });
}

/// Characters of the cells written to workbooks (those that round-trip through XML text).
const CELL_CHARS: &[char] = &[
    'a', 'Z', 'x', '_', '0', '9', ' ', ',', '"', '<', '&', '>', '\'', '\n', '\t', '中', '国', '𠀀', 'é', '（', '*', '=',
];

#[derive(Debug, Clone, TypeGenerator)]
enum CellValue {
    Text(#[generator(Vec::produce().with().len(0usize..=12))] Vec<u8>),
    Any(String),
    Number(f64),
    Integer(i32),
    Bool(bool),
    Date(u32),
    Formula(u8),
    Url,
}

#[derive(Debug, Clone, TypeGenerator)]
struct CellSpec {
    sheet: u8,
    /// Rows and columns near the top left mostly, sometimes far.
    row: u16,
    col: u8,
    /// Used when its first part is below 16 (one cell in sixteen).
    far: (u8, u32, u16),
    value: CellValue,
}

#[derive(Debug, Clone, TypeGenerator)]
struct XlsxCells {
    #[generator(1u8..=3)]
    sheets: u8,
    #[generator(Vec::produce().with().len(0usize..=24))]
    cells: Vec<CellSpec>,
    /// Which sheet to read by name (`None`: the first).
    read: Option<u8>,
}

const FORMULAS: &[&str] = &["=1+1", "=A1", "=SUM(A1:A3)", "=\"文本\"", "=1/0", "=NOW()"];

/// What was written to a cell, as far as reading it back is concerned.
#[derive(Debug, Clone)]
enum Written {
    Text(String),
    /// A number, boolean, date, formula or link: never blank when read.
    Other,
    /// A string of any characters (control characters are escaped in XML): perhaps blank when read.
    Unknown,
}

#[test]
fn fuzz_xlsx_cells() {
    use rust_xlsxwriter::{Format as Style, Workbook};
    fuzz::<XlsxCells>("xlsx_cells", |input| {
        let date = Style::new().set_num_format("yyyy-mm-dd");
        let mut wb = Workbook::new();
        let names: Vec<&str> = (0..input.sheets).map(|i| ["Sheet1", "行政处罚", "说明"][usize::from(i)]).collect();
        for name in &names {
            wb.add_worksheet().set_name(*name).unwrap();
        }
        let mut written: Vec<BTreeMap<(u32, u16), Written>> = vec![BTreeMap::new(); names.len()];
        for c in &input.cells {
            let sheet = usize::from(c.sheet) % names.len();
            let (row, col) = match c.far {
                (chance, row, col) if chance < 16 => (row, col),
                _ => (u32::from(c.row % 40), u16::from(c.col % 12)),
            };
            let (row, col) = (row % 1_048_576, col % 16_384);
            let s = wb.worksheet_from_index(sheet).unwrap();
            let (ok, what) = match &c.value {
                CellValue::Text(chars) => {
                    let t: String = chars.iter().map(|b| CELL_CHARS[usize::from(*b) % CELL_CHARS.len()]).collect();
                    (s.write_string(row, col, t.as_str()).is_ok(), Written::Text(t))
                }
                CellValue::Any(t) => {
                    let t: String = t.chars().take(40).collect();
                    (s.write_string(row, col, t.as_str()).is_ok(), Written::Unknown)
                }
                CellValue::Number(n) => {
                    let what = if n.is_finite() { Written::Other } else { Written::Unknown };
                    (s.write_number(row, col, *n).is_ok(), what)
                }
                CellValue::Integer(n) => (s.write_number(row, col, *n).is_ok(), Written::Other),
                CellValue::Bool(b) => (s.write_boolean(row, col, *b).is_ok(), Written::Other),
                CellValue::Date(d) => {
                    (s.write_number_with_format(row, col, f64::from(*d % 3_000_000), &date).is_ok(), Written::Other)
                }
                CellValue::Formula(f) => {
                    (s.write_formula(row, col, FORMULAS[usize::from(*f) % FORMULAS.len()]).is_ok(), Written::Other)
                }
                CellValue::Url => (s.write_url(row, col, "https://example.invalid/a?b=1").is_ok(), Written::Other),
            };
            // rust_xlsxwriter ignores an empty string (Excel has no empty string cells): the cell keeps what it had.
            let ignored = matches!(&what, Written::Text(t) if t.is_empty());
            if ok && !ignored {
                written[sheet].insert((row, col), what);
            }
        }
        let Ok(bytes) = wb.save_to_buffer() else { return };
        let sheet = input.read.map(|i| usize::from(i) % names.len());
        let Some(read) = read_all(Format::Xlsx, &bytes, sheet.map(|i| names[i])) else {
            return;
        };
        // What was written comes back: the first row with a non-blank cell is the header; every text cell is
        // where it was written; rows with a cell past the column limit are refused as rows.
        let cells = &written[sheet.unwrap_or(0)];
        let blank = |w: &Written| matches!(w, Written::Text(t) if t.trim().is_empty());
        let mut rows: BTreeMap<u32, Vec<(u16, &Written)>> = BTreeMap::new();
        for ((r, c), w) in cells {
            if !blank(w) {
                rows.entry(*r).or_default().push((*c, w));
            }
        }
        if cells.values().any(|w| matches!(w, Written::Unknown)) {
            return;
        }
        let Some((&first, header)) = rows.iter().next() else {
            panic!("an empty sheet was read: {:?}", read.headers);
        };
        for (c, w) in header {
            if let Written::Text(t) = w {
                assert_eq!(read.headers.get(usize::from(*c)), Some(t), "header cell {first}/{c}");
            }
        }
        let expected: Vec<usize> = rows.keys().skip(1).map(|r| *r as usize + 1).collect();
        let got: Vec<usize> = read
            .rows
            .iter()
            .map(|r| match r {
                Ok((n, _)) | Err(RowError::Row { row: n, .. }) => *n,
                Err(RowError::Fatal(e)) => panic!("{e}"),
            })
            .collect();
        assert_eq!(got, expected);
        for (n, cells) in good_rows(&read) {
            for (c, w) in &rows[&(n as u32 - 1)] {
                if let Written::Text(t) = w {
                    assert_eq!(cells.get(usize::from(*c)), Some(t), "cell {n}/{c}");
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------------------------
// JSON.

/// JSON fragments, for token soup.
const JSON_PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"CF_XDR_MC\"",
    "\"行政相对人名称\"",
    "\"\"",
    "null",
    "true",
    "1",
    "-0",
    "1e999",
    "18446744073709551616",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\n",
    "\r\n",
    " ",
    "\u{feff}",
    "[[[[[[[[",
    "{\"a\":",
];

#[derive(Debug, Clone, TypeGenerator)]
enum JsonBytes {
    Raw(#[generator(Vec::produce().with().len(0usize..=400))] Vec<u8>),
    Soup(#[generator(Vec::produce().with().len(0usize..=40))] Vec<u8>),
    /// Nested arrays or objects deeper than a parser's recursion limit.
    Deep {
        depth: u16,
        object: bool,
        lines: bool,
    },
}

#[test]
fn fuzz_json_bytes() {
    fuzz::<JsonBytes>("json_bytes", |input| {
        let bytes = match input {
            JsonBytes::Raw(b) => b.clone(),
            JsonBytes::Soup(p) => {
                p.iter().map(|i| JSON_PIECES[usize::from(*i) % JSON_PIECES.len()]).collect::<String>().into_bytes()
            }
            JsonBytes::Deep { depth, object, lines } => {
                let depth = usize::from(*depth % 5000);
                let (open, close) = if *object { ("{\"a\":", "}") } else { ("[", "]") };
                let prefix = if *lines { "{\"a\":" } else { "[{\"a\":" };
                let suffix = if *lines { "}" } else { "}]" };
                format!("{prefix}{}1{}{suffix}", open.repeat(depth), close.repeat(depth)).into_bytes()
            }
        };
        let _ = Format::detect("x.json", &bytes);
        read_all(Format::Json, &bytes, None);
    });
}

/// A JSON value, generated (bolero has no generator for serde_json's).
#[derive(Debug, Clone, TypeGenerator)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(u8),
    Text(String),
    Array(#[generator(Vec::produce().with().len(0usize..=4))] Vec<J>),
    Object(#[generator(Vec::produce().with().len(0usize..=6))] Vec<(Key, J)>),
}

#[derive(Debug, Clone, TypeGenerator)]
enum Key {
    Field(u8),
    Text(String),
}

const STRINGS: &[&str] =
    &["", " ", "西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G", "2025-06-01", "0.2", "\u{0}", "\n"];

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Field(i) => {
                let fields = &xzcf().fields;
                let f = &fields[usize::from(*i) % fields.len()];
                if i.is_multiple_of(2) { f.code.clone() } else { f.name.clone() }
            }
            Key::Text(s) => s.clone(),
        }
    }
}

impl J {
    fn value(&self) -> Value {
        match self {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Int(i) => Value::from(*i),
            J::Big(u) => Value::from(*u),
            J::Float(f) => Value::from(*f),
            J::Str(i) => Value::from(STRINGS[usize::from(*i) % STRINGS.len()]),
            J::Text(s) => Value::from(s.as_str()),
            J::Array(v) => Value::Array(v.iter().map(J::value).collect()),
            J::Object(kv) => Value::Object(kv.iter().map(|(k, v)| (k.text(), v.value())).collect()),
        }
    }
}

/// A record: an object, or (rarely) another value in its place.
#[derive(Debug, Clone, TypeGenerator)]
struct Record {
    #[generator(Vec::produce().with().len(0usize..=6))]
    fields: Vec<(Key, J)>,
    other: Option<(u8, J)>,
}

impl Record {
    fn value(&self) -> Value {
        match &self.other {
            Some((chance, v)) if *chance < 16 => v.value(),
            _ => Value::Object(self.fields.iter().map(|(k, v)| (k.text(), v.value())).collect()),
        }
    }
}

#[derive(Debug, Clone, TypeGenerator)]
struct JsonFile {
    #[generator(Vec::produce().with().len(0usize..=6))]
    records: Vec<Record>,
    lines: bool,
    pretty: bool,
    gb18030: bool,
    blank_lines: bool,
}

fn json_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn fuzz_json_values() {
    fuzz::<JsonFile>("json_values", |file| {
        let written: Vec<Value> = file.records.iter().map(Record::value).collect();
        let text = if file.lines {
            let sep = if file.blank_lines { "\n\r\n" } else { "\n" };
            written.iter().map(|r| serde_json::to_string(r).unwrap()).collect::<Vec<_>>().join(sep)
        } else if file.pretty {
            serde_json::to_string_pretty(&written).unwrap()
        } else {
            serde_json::to_string(&written).unwrap()
        };
        // What the reader should see is what serde_json parses back: its default float parsing may change the last
        // digit of a number with 17 significant digits (see `known_issue_json_numbers_are_rewritten`).
        // A text that starts with `[` is one array (a JSON-lines file of one array line is read so too); otherwise
        // each non-blank line is a record, numbered by its line (after a virtual header).
        let records: Option<Vec<(usize, Value)>> = if text.trim_start().starts_with('[') {
            let all: Option<Vec<Value>> = serde_json::from_str(text.trim_start()).ok();
            all.map(|v| v.into_iter().enumerate().map(|(i, v)| (i + 2, v)).collect())
        } else {
            let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
            lines.map(|(i, l)| serde_json::from_str(l).ok().map(|v| (i + 2, v))).collect()
        };
        let bytes =
            if file.gb18030 { encoding_rs::GB18030.encode(&text).0.into_owned() } else { text.clone().into_bytes() };
        let read = read_all(Format::Json, &bytes, None);
        // GB18030 bytes that happen to be valid UTF-8 are read as UTF-8 (see `credo_import::decode`); private-use
        // code points do not survive GB18030 (see `fuzz_csv_text`).
        let private_use = text.chars().any(|c| ('\u{e000}'..='\u{f8ff}').contains(&c));
        if file.gb18030 && ((!text.is_ascii() && std::str::from_utf8(&bytes).is_ok()) || private_use) {
            return;
        }
        // A value that is not an object, in an array or a line, makes the file unusable.
        let objects: Option<Vec<(usize, &Map<String, Value>)>> =
            records.as_ref().and_then(|r| r.iter().map(|(n, v)| v.as_object().map(|o| (*n, o))).collect());
        let Some(objects) = objects else {
            assert!(read.is_none(), "{text}");
            return;
        };
        let mut headers: Vec<String> = Vec::new();
        for (_, o) in &objects {
            for k in o.keys() {
                if !headers.contains(k) {
                    headers.push(k.clone());
                }
            }
        }
        let read = read.expect("an array of objects is read");
        assert_eq!(read.headers, headers);
        let rows = good_rows(&read);
        assert_eq!(rows.len(), objects.len());
        for ((n, cells), (line, o)) in rows.iter().zip(&objects) {
            assert_eq!(n, line);
            for (h, cell) in headers.iter().zip(cells) {
                assert_eq!(*cell, o.get(h).map(json_text).unwrap_or_default(), "{h}");
            }
        }
        // The same objects handed over directly (as the JSON batch API does), under any row numbers.
        let numbered: Vec<(usize, Map<String, Value>)> =
            objects.iter().enumerate().map(|(i, (_, o))| (i * 7 + 3, (*o).clone())).collect();
        let t = table_from_objects(numbered).unwrap();
        assert_eq!(t.headers, headers);
        assert_eq!(
            t.rows.iter().map(|r| r.unwrap().0).collect::<Vec<_>>(),
            (0..objects.len()).map(|i| i * 7 + 3).collect::<Vec<_>>()
        );
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Headers, rows and validation.

/// A header as a department's template may write a field's name.
#[derive(Debug, Clone, TypeGenerator)]
enum Header {
    Field {
        field: u8,
        form: u8,
        #[generator(Vec::produce().with().len(0usize..=2))]
        noise: Vec<u8>,
    },
    Text(String),
}

const HEADER_NOISE: &[&str] = &["*", " ", "\u{3000}", "（", "）", "(", ")", "【", "】", "_1", "_2", "x", "\u{feff}"];

impl Header {
    fn text(&self, item: &Item) -> String {
        match self {
            Header::Field { field, form, noise } => {
                let f = &item.fields[usize::from(*field) % item.fields.len()];
                let name = &f.name;
                let mut h = match form % 8 {
                    0 => f.code.clone(),
                    1 => f.code.to_lowercase(),
                    2 => name.clone(),
                    3 => format!("*{name}"),
                    4 => name.replace('(', "（").replace(')', "）"),
                    5 => name.split('(').next().unwrap_or(name).to_string(),
                    6 => name.split(['(', ')']).nth(1).unwrap_or(name).to_string(),
                    _ => f.aliases.first().cloned().unwrap_or_else(|| name.clone()),
                };
                for n in noise {
                    let piece = HEADER_NOISE[usize::from(*n) % HEADER_NOISE.len()];
                    if n.is_multiple_of(2) { h.insert_str(0, piece) } else { h.push_str(piece) }
                }
                h
            }
            Header::Text(s) => s.clone(),
        }
    }
}

/// A cell's value: empty, a value of the right kind for its column, a value that is almost right, or anything.
#[derive(Debug, Clone, TypeGenerator)]
enum Cell {
    Empty,
    Fitting(u8),
    Tricky(u8),
    Text(String),
}

/// Values that are valid for one field type and wrong for the others, and values that are nearly valid.
const TRICKY: &[&str] = &[
    "91630100MA7X00018G",
    "92630102MA7X000265",
    "91630100MA7X00018H",
    "630102199001011235",
    "630102900101123",
    "AB",
    "身份证",
    "身 份 证",
    "身份證",
    "居民身份证",
    " 身份证 ",
    "护照号",
    "自然人",
    "法人及非法人组织",
    "个体工商户",
    "2025/6/1",
    "20250601",
    "45356",
    "长期",
    "2099-12-31",
    "2200-01-01",
    "0.2",
    "1e3",
    "-1",
    "2024",
    "630100",
    "630199",
    "59467239-9",
    "110108000000016",
    "警告;罚款",
    "警告；；罚款、",
    "\u{0}",
    " ",
];

fn fitting(item: &Item, column_field: Option<&str>, pick: u8) -> String {
    let Some(f) = column_field.and_then(|c| item.field(c)) else {
        return TRICKY[usize::from(pick) % TRICKY.len()].to_string();
    };
    let i = usize::from(pick);
    match f.kind {
        FieldType::Enum if !f.values.is_empty() => {
            let mut all: Vec<&String> = f.values.iter().chain(f.value_aliases.keys()).collect();
            all.sort();
            all[i % all.len()].clone()
        }
        FieldType::Date => ["2025/6/1", "2025-06-01", "2025年6月1日", "45356", "长期"][i % 5].to_string(),
        FieldType::Money => ["0.2", "12", "1.500000"][i % 3].to_string(),
        FieldType::Year => "2024".to_string(),
        FieldType::Uscc => ["91630100MA7X00018G", "92630102MA7X000265", "126301004300000193"][i % 3].to_string(),
        FieldType::OrgCode => "59467239-9".to_string(),
        FieldType::RegNo => "110108000000016".to_string(),
        FieldType::IdNumber => ["630102199001011235", "630102900101123", "E12345678"][i % 3].to_string(),
        FieldType::Region => ["630100", "630102", "630121"][i % 3].to_string(),
        _ => ["西宁市城东区鑫源商贸有限公司", "张三", "宁市监罚〔2025〕1号"][i % 3].to_string(),
    }
}

#[derive(Debug, Clone, TypeGenerator)]
struct Mapping {
    item: u8,
    #[generator(Vec::produce().with().len(0usize..=14))]
    headers: Vec<Header>,
    #[generator(Vec::produce().with().len(0usize..=3))]
    rows: Vec<Vec<Cell>>,
    /// The day validation runs on, from 2000 to 2054.
    day: u16,
}

#[test]
fn fuzz_headers_and_rows() {
    let items: Vec<&Item> = CATALOG.items.values().collect();
    fuzz::<Mapping>("headers_and_rows", |input| {
        let item = items[usize::from(input.item) % items.len()];
        let headers: Vec<String> = input.headers.iter().map(|h| h.text(item)).collect();
        let map = match HeaderMap::new(item, &headers) {
            Ok(map) => map,
            Err(e) => {
                assert_eq!(e.code(), "no_matching_header");
                return;
            }
        };
        assert_eq!(map.columns.len(), headers.len());
        let mut seen = HashSet::new();
        for code in map.columns.iter().flatten() {
            assert!(item.field(code).is_some(), "{code} is not a field of {}", item.code);
            assert!(seen.insert(code), "two columns map to {code}");
        }
        for (h, c) in headers.iter().zip(&map.columns) {
            if let Some(f) = item.fields.iter().find(|f| f.code == *h) {
                assert!(c.is_some() || map.columns.contains(&Some(f.code.clone())), "{h} maps to nothing");
            }
        }
        let _ = map.unmapped();
        let today = date!(2000 - 01 - 01) + time::Duration::days(i64::from(input.day) % 20_000);
        let ctx = CATALOG.context(today);
        for (n, row) in input.rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Cell::Empty => String::new(),
                    Cell::Fitting(p) => fitting(item, map.columns.get(i).and_then(|c| c.as_deref()), *p),
                    Cell::Tricky(p) => TRICKY[usize::from(*p) % TRICKY.len()].to_string(),
                    Cell::Text(s) => s.clone(),
                })
                .collect();
            let mapped = map.map_row(n + 2, &cells);
            for code in mapped.values.keys() {
                assert!(map.columns.contains(&Some(code.clone())));
                let _ = map.column_of(code).unwrap();
            }
            match item.validate(&mapped.values, &ctx) {
                Ok(record) => {
                    assert_eq!(record.item, item.code);
                    assert!(record.fields.keys().all(|k| item.field(k).is_some()));
                    if let Some(d) = record.decided_on {
                        assert!(d.year() >= 1900, "{d}");
                    }
                    let _ = record.subject.primary_code();
                }
                Err(issues) => assert!(!issues.is_empty()),
            }
        }
    });
}

/// Found by `fuzz_csv_bytes`: with CR line ends (classic Mac Excel's "CSV (Macintosh)", or a CR typed into an
/// unquoted cell) the CSV parser ends records at each CR, and so does the line count behind the row numbers (it
/// once moved only at LF, numbering every record 1).
#[test]
fn csv_with_cr_line_ends_is_numbered_by_its_lines() {
    let t = read_table(
        Format::Csv,
        "行政相对人名称,处罚类别\r甲公司,罚款\r\r乙公司,\"警告\r\n第二行\"\r丙公司,警告\r".as_bytes(),
        None,
    )
    .unwrap();
    let numbers: Vec<usize> = t.rows.iter().map(|r| r.unwrap().0).collect();
    assert_eq!(numbers, [2, 4, 5]);
    assert!(t.rows.len_hint() >= numbers.len(), "the progress hint counts CR line ends");
}

/// Found by `fuzz_json_values`: JSON numbers reach the catalog as serde_json prints them after parsing them, not as
/// the department wrote them. Without serde_json's `float_roundtrip` feature a 17-digit number may come back with a
/// different last digit; and `1E3` becomes `1000.0`, `0.20` becomes `0.2`.
#[test]
#[ignore = "known issue: JSON numbers are rewritten (serde_json without float_roundtrip), reported"]
fn known_issue_json_numbers_are_rewritten() {
    let t = read_table(Format::Json, br#"[{"CF_NR_FK": 1.4451225479578407e-304}]"#, None).unwrap();
    let rows = t.collect_rows().unwrap();
    assert_eq!(rows[0].1[0], "1.4451225479578407e-304");
}
