//! Files as departments produce them: Excel's GB18030 CSV, UTF-8 with BOM, XLSX with date cells, JSON.

use credo_import::{Encoding, Format, HeaderMap, read_table};
use proptest::prelude::*;

const HEADER: &str =
    "行政相对人名称,行政相对人类别,行政相对人代码_1（统一社会信用代码）,处罚类别,违法事实,处罚决定日期";

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn gb18030_csv_as_excel_writes_it() {
    // Excel on Chinese Windows: GB18030/GBK bytes, CRLF line ends, a quoted cell with a line break inside.
    let text = format!(
        "{HEADER}\r\n西宁市城东区鑫源商贸有限公司,法人及非法人组织,91630100MA7X00018G,罚款,\"第一行\r\n第二行,含逗号\",2025/6/1\r\n\r\n青海湟源县𠀀记商店,个体工商户,92630102MA7X000265,警告,无,20250602\r\n"
    );
    let bytes = gb18030(&text);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let t = read_table(Format::Csv, &bytes, None).unwrap();
    assert_eq!(t.encoding, Some(Encoding::Gb18030));
    assert_eq!(t.headers.len(), 6);
    assert_eq!(t.collect_rows().unwrap().len(), 2, "blank line skipped");
    assert_eq!(t.collect_rows().unwrap()[0].0, 2);
    assert_eq!(t.collect_rows().unwrap()[0].1[0], "西宁市城东区鑫源商贸有限公司");
    assert_eq!(t.collect_rows().unwrap()[0].1[4], "第一行\r\n第二行,含逗号");
    // A 4-byte GB18030 character (outside GBK) survives.
    assert!(t.collect_rows().unwrap()[1].1[0].contains('𠀀'));
    assert_eq!(t.collect_rows().unwrap()[1].0, 4, "row numbers count records as Excel shows them, blank row included");
    let c = credo_domain::embedded::catalog();
    let map = HeaderMap::new(c.item("xzcf").unwrap(), &t.headers).unwrap();
    assert_eq!(map.columns[2].as_deref(), Some("CF_XDR_SHXYM"));
}

#[test]
fn utf8_with_and_without_bom() {
    let body = format!("{HEADER}\n甲公司,法人及非法人组织,91630100MA7X00018G,罚款,事实,2025-06-01\n");
    for bytes in [body.as_bytes().to_vec(), [b"\xEF\xBB\xBF".as_slice(), body.as_bytes()].concat()] {
        let t = read_table(Format::Csv, &bytes, None).unwrap();
        assert_eq!(t.encoding, Some(Encoding::Utf8));
        assert_eq!(t.headers[0], "行政相对人名称", "BOM stripped from the first header");
        assert_eq!(t.collect_rows().unwrap()[0].1[0], "甲公司");
    }
}

#[test]
fn xlsx_first_or_named_sheet_with_date_cells() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let s1 = wb.add_worksheet().set_name("说明").unwrap();
    s1.write(0, 0, "填表说明").unwrap();
    let s2 = wb.add_worksheet().set_name("行政处罚").unwrap();
    for (i, h) in HEADER.split(',').enumerate() {
        s2.write(0, i as u16, h).unwrap();
    }
    s2.write(1, 0, "甲公司").unwrap();
    s2.write(1, 2, "91630100MA7X00018G").unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 6, 1).unwrap();
    s2.write_datetime_with_format(1, 5, &date, &fmt).unwrap();
    s2.write(2, 0, 0.2).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert_eq!(Format::detect("upload", &bytes), Format::Xlsx);

    let first = read_table(Format::Xlsx, &bytes, None).unwrap();
    assert_eq!(first.headers, vec!["填表说明"]);
    let t = read_table(Format::Xlsx, &bytes, Some("行政处罚")).unwrap();
    assert_eq!(t.collect_rows().unwrap()[0].1[0], "甲公司");
    assert_eq!(credo_domain::value::parse_date(&t.collect_rows().unwrap()[0].1[5]).unwrap().to_string(), "2025-06-01");
    assert_eq!(t.collect_rows().unwrap()[1].1[0], "0.2");
    assert_eq!(t.collect_rows().unwrap()[1].0, 3);
    assert!(matches!(read_table(Format::Xlsx, &bytes, Some("没有")), Err(credo_import::ImportError::NoSheet(_))));
}

#[test]
fn json_array_and_lines() {
    let arr = r#"[{"CF_XDR_MC": "甲公司", "CF_NR_FK": 0.2}, {"CF_XDR_MC": "乙公司", "CF_WSH": null}]"#;
    let t = read_table(Format::Json, arr.as_bytes(), None).unwrap();
    assert_eq!(t.headers, vec!["CF_XDR_MC", "CF_NR_FK", "CF_WSH"]);
    assert_eq!(t.collect_rows().unwrap()[0].1, vec!["甲公司", "0.2", ""]);
    let lines = "{\"CF_XDR_MC\": \"甲公司\"}\n\n{\"CF_XDR_MC\": \"乙公司\"}\n";
    let t = read_table(Format::Json, lines.as_bytes(), None).unwrap();
    assert_eq!(t.collect_rows().unwrap().len(), 2);
    assert!(read_table(Format::Json, b"[1, 2]", None).is_err());
    assert!(read_table(Format::Json, b"{\"a\": 1}\nnot json", None).is_err());
}

#[test]
fn unusable_files() {
    assert!(matches!(read_table(Format::Csv, b"", None), Err(credo_import::ImportError::Empty)));
    let c = credo_domain::embedded::catalog();
    let t = read_table(Format::Csv, "名字,年龄\n张三,3\n".as_bytes(), None).unwrap();
    let e = HeaderMap::new(c.item("xzcf").unwrap(), &t.headers).unwrap_err();
    assert_eq!(e.code(), "no_matching_header");
    assert!(read_table(Format::Xlsx, b"PK\x03\x04garbage", None).is_err());
    // Neither UTF-8 nor GB18030: refused rather than stored with replacement characters.
    let e = read_table(Format::Csv, b"\xe5\x90\x8d,a\n\xff\xfe\xff,b\n", None).unwrap_err();
    assert_eq!(e.code(), "unknown_encoding");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        for f in [Format::Csv, Format::Json, Format::Xlsx] {
            let _ = read_table(f, &bytes, None);
        }
    }

    #[test]
    fn csv_round_trips_any_text(cells in prop::collection::vec("[^\r\n\u{feff}]{0,12}", 1..6)) {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cells.iter().map(|_| "h")).unwrap();
        w.write_record(&cells).unwrap();
        let bytes = w.into_inner().unwrap();
        let t = read_table(Format::Csv, &bytes, None).unwrap();
        if cells.iter().any(|c| !c.trim().is_empty()) {
            prop_assert_eq!(&t.collect_rows().unwrap()[0].1, &cells);
        }
    }
}

/// A CSV file on disk is read as a stream: the same header, rows and numbers as the same bytes read from memory,
/// in either encoding, and read again gives the same rows.
#[test]
fn a_csv_file_streams_the_rows_its_bytes_hold() {
    let text = format!(
        "\u{feff}{HEADER}\r\n甲公司,法人及非法人组织,91630100MA7X00018G,罚款,\"第一行\r\n第二行\",2025/6/1\r\n\r\n乙公司,个体工商户,92630102MA7X000265,警告,无,20250602\r\n"
    );
    // Enough rows that the file spans many of the reader's blocks.
    let text = text + &"丙公司,个体工商户,92630102MA7X000265,警告,无,20250602\n".repeat(20_000);
    for bytes in [text.as_bytes().to_vec(), gb18030(&text[3..])] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, &bytes).unwrap();
        let file = credo_import::read_csv_file(&path).unwrap();
        let memory = read_table(Format::Csv, &bytes, None).unwrap();
        assert_eq!(file.headers, memory.headers);
        assert_eq!(file.encoding, memory.encoding);
        let rows = file.collect_rows().unwrap();
        assert_eq!(rows, memory.collect_rows().unwrap());
        assert_eq!(rows.len(), 20_002);
        assert_eq!((rows[0].0, rows[1].0, rows[2].0), (2, 4, 5));
        assert_eq!(rows[20_001].0, 20_004);
        assert_eq!(file.collect_rows().unwrap().len(), 20_002, "read again");
        assert!(file.rows.len_hint() >= rows.len());
    }
}
