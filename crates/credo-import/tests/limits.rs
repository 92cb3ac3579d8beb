//! Files built to exhaust the server: every limit holds before memory or time is spent on it, and the error says
//! which limit, at which row.

use std::io::Write;
use std::time::{Duration, Instant};

use credo_import::limits::{MAX_COLUMNS, MAX_ROW_BYTES, MAX_UNPACKED_BYTES};
use credo_import::{Format, ImportError, RowError, read_table, table_from_objects};

/// Each file here is read well within this (the attacks cost hours or hundreds of GiB without the limits).
const QUICK: Duration = Duration::from_secs(20);

fn row_error(r: &Result<(usize, Vec<String>), RowError>) -> Option<(usize, &'static str)> {
    match r {
        Err(RowError::Row { row, error }) => Some((*row, error.code())),
        _ => None,
    }
}

#[test]
fn xlsx_that_declares_the_whole_grid_costs_only_its_cells() {
    // A1 and XFD1048576: the sheet declares A1:XFD1048576 (17 billion cells), the file is a few KB.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let s = wb.add_worksheet();
    s.write(0, 0, "行政相对人名称").unwrap();
    s.write(1, 0, "甲公司").unwrap();
    s.write(1_048_575, 16_383, "x").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert!(bytes.len() < 16 * 1024, "{}", bytes.len());
    let started = Instant::now();
    let t = read_table(Format::Xlsx, &bytes, None).unwrap();
    let rows: Vec<_> = t.rows.iter().collect();
    assert!(started.elapsed() < QUICK);
    assert_eq!(t.headers, vec!["行政相对人名称"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].as_ref().unwrap().1, vec!["甲公司"]);
    assert_eq!(row_error(&rows[1]), Some((1_048_576, "too_many_columns")), "the far cell rejects its row");
}

#[test]
fn xlsx_header_wider_than_the_limit_is_unusable() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let s = wb.add_worksheet();
    for c in 0..=MAX_COLUMNS as u16 {
        s.write(0, c, format!("列{c}")).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let e = read_table(Format::Xlsx, &bytes, None).unwrap_err();
    assert_eq!(e.code(), "too_many_columns", "{e}");
}

#[test]
fn xlsx_that_inflates_past_the_limit_is_refused_while_counting() {
    // One member of spaces a little over the limit: about 10 MB compressed (deflate at its fastest).
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..(MAX_UNPACKED_BYTES >> 20) + 1 {
        zip.write_all(&block).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 16 << 20, "{}", bytes.len());
    let started = Instant::now();
    let e = read_table(Format::Xlsx, &bytes, None).unwrap_err();
    assert!(started.elapsed() < QUICK);
    assert!(matches!(e, ImportError::UnpackedTooLarge), "{e}");
}

#[test]
fn json_with_a_new_key_in_every_record_stops_at_the_column_limit() {
    // 20,000 records with distinct keys would be a 20,000 × 20,000 table.
    let objects: Vec<_> = (0..20_000)
        .map(|i| {
            let mut m = serde_json::Map::new();
            m.insert(format!("k{i}"), serde_json::Value::from("v"));
            (i + 2, m)
        })
        .collect();
    let started = Instant::now();
    let e = table_from_objects(objects).unwrap_err();
    assert!(started.elapsed() < QUICK);
    assert_eq!(e.code(), "too_many_columns");
    let text = format!("[{}]", (0..20_000).map(|i| format!("{{\"k{i}\": 1}}")).collect::<Vec<_>>().join(","));
    assert_eq!(read_table(Format::Json, text.as_bytes(), None).unwrap_err().code(), "too_many_columns");
}

#[test]
fn csv_rows_that_break_a_limit_are_rejected_as_rows_and_reading_goes_on() {
    let wide = vec!["x"; 1_000_000].join(",");
    let long = "长".repeat(MAX_ROW_BYTES / 3 + 1);
    let text = format!("名称,代码\n甲公司,1\n{wide}\n乙公司,\"{long}\"\n丙公司,3\n");
    let started = Instant::now();
    let t = read_table(Format::Csv, text.as_bytes(), None).unwrap();
    let rows: Vec<_> = t.rows.iter().collect();
    assert!(started.elapsed() < QUICK);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].as_ref().unwrap().1[0], "甲公司");
    assert_eq!(row_error(&rows[1]), Some((3, "too_many_columns")));
    assert_eq!(row_error(&rows[2]), Some((4, "row_too_long")));
    assert_eq!(rows[3].as_ref().unwrap(), &(5, vec!["丙公司".to_string(), "3".to_string()]));
    // A header that wide makes the file unusable.
    let e = read_table(Format::Csv, format!("{wide}\n1\n").as_bytes(), None).unwrap_err();
    assert_eq!(e.code(), "too_many_columns");
}

#[test]
fn cells_longer_than_excel_allows_reject_their_row() {
    let text = format!("名称,说明\n甲公司,{}\n", "a".repeat(40_000));
    let t = read_table(Format::Csv, text.as_bytes(), None).unwrap();
    let rows: Vec<_> = t.rows.iter().collect();
    assert_eq!(row_error(&rows[0]), Some((2, "cell_too_long")));
}

/// A record so long that buffering it would cost more than a few rows' limit stops the reading there (the rest of
/// the file cannot be split into rows reliably); the rows before it are kept.
#[test]
fn a_csv_record_of_many_megabytes_stops_the_reading_at_its_row() {
    let huge = "x".repeat(6 * 1024 * 1024);
    let text = format!("行政相对人名称,处罚类别\n甲公司,罚款\n\"{huge}\",警告\n乙公司,罚款\n");
    let t = read_table(Format::Csv, text.as_bytes(), None).unwrap();
    let rows: Vec<_> = t.rows.iter().collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].as_ref().unwrap().0, 2);
    match &rows[1] {
        Err(RowError::Fatal(e)) => assert_eq!(e.code(), "row_too_long"),
        other => panic!("{other:?}"),
    }
}

/// Blank lines cost the parser nothing: millions of them (a sheet exported with its empty rows) are skipped, not
/// taken for one long record.
#[test]
fn millions_of_blank_lines_are_skipped() {
    let text = format!("行政相对人名称,处罚类别\n甲公司,罚款\n{}乙公司,警告\n", "\r\n".repeat(3_000_000));
    let t = read_table(Format::Csv, text.as_bytes(), None).unwrap();
    let rows: Vec<(usize, Vec<String>)> = t.collect_rows().unwrap();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3_000_003]);
}
