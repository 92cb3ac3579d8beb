//! The limits every reader holds before it spends memory or time. Each is far above what a department's real
//! file needs and low enough that one request cannot exhaust the server.

/// Columns in a header or a row (the widest catalog item has a few dozen fields; Excel 2003 stopped at 256).
pub const MAX_COLUMNS: usize = 256;
/// Data rows in one file (Excel's own sheet holds 1,048,576 rows).
pub const MAX_ROWS: usize = 1_048_576;
/// Characters in one cell (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// Bytes in one CSV row (a record, quoted line breaks included).
pub const MAX_ROW_BYTES: usize = 1024 * 1024;
/// Bytes an XLSX may unpack to, all members together (a 1,000,000-row sheet of 30 columns is about 1 GiB of XML).
pub const MAX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;
/// Members in an XLSX's zip (a workbook has a few dozen).
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Distinct strings an XLSX's shared-strings table may declare (the parser reserves memory for them up front).
pub const MAX_SHARED_STRINGS: u64 = 32_000_000;
