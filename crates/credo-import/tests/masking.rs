//! Errors about a file are shown to the submitter and may be stored in a batch's report: whatever they echo of the
//! file (a sheet's name, its headers) has any ID number in it masked.

use credo_import::{Format, HeaderMap, ImportError, RowError, read_table};

const RIC: &str = "630102197505053456";
const FULL_WIDTH: &str = "６３０１０２１９７５０５０５３４５６";
const GROUPED: &str = "630102 19750505 3456";

fn assert_masked(text: &str) {
    for n in [RIC, FULL_WIDTH, GROUPED] {
        assert!(!text.contains(n), "{n} in {text}");
    }
    assert!(text.contains("**********") || text.contains("** ******** "), "{text}");
}

#[test]
fn a_sheet_named_by_an_id_number_is_masked_in_the_error() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("行政处罚").unwrap().write(0, 0, "行政相对人名称").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    for sheet in [RIC, FULL_WIDTH, GROUPED] {
        let e = read_table(Format::Xlsx, &bytes, Some(sheet)).unwrap_err();
        assert!(matches!(e, ImportError::NoSheet(_)));
        assert_masked(&e.to_string());
    }
}

#[test]
fn headers_that_are_id_numbers_are_masked_in_the_error() {
    let catalog = credo_domain::embedded::catalog();
    let headers = vec![RIC.to_string(), FULL_WIDTH.to_string(), GROUPED.to_string()];
    let e = HeaderMap::new(catalog.item("xzcf").unwrap(), &headers).unwrap_err();
    assert_eq!(e.code(), "no_matching_header");
    let text = e.to_string();
    assert_masked(&text);
    assert!(text.contains("6301**********3456") && text.contains("６３０１**********３４５６"), "{text}");
}

#[test]
fn every_message_that_quotes_the_file_is_masked() {
    for e in [
        ImportError::UnknownFormat(format!("{RIC}.doc")),
        ImportError::Csv(format!("字段“{GROUPED}”")),
        ImportError::Xlsx(format!("单元格 {FULL_WIDTH}")),
        ImportError::Json(format!("键 {RIC}")),
        ImportError::NoSheet(RIC.into()),
        ImportError::NoMatchingHeader { item: "xzcf".into(), headers: format!("{RIC},{GROUPED}") },
    ] {
        assert_masked(&e.to_string());
        assert_masked(&RowError::Row { row: 2, error: e.clone() }.to_string());
        assert_masked(&RowError::Fatal(e).to_string());
    }
}
