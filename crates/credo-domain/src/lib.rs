//! # credo-domain
//!
//! The rules of the 信用西宁 platform, free of I/O: identifiers (统一社会信用代码, 居民身份证号码, 组织机构代码,
//! 工商注册号) and the masking of ID numbers written anywhere in text, region codes, the information catalog with
//! its field schemas and conditional rules, value parsing, and name normalisation. Time comes in as an argument;
//! nothing here reads a clock, a file or a socket.
//!
//! ```
//! use credo_domain::ids::Uscc;
//! let code = Uscc::parse("91630100MA7X00018G").unwrap();
//! assert_eq!(code.region(), "630100");
//! ```

pub mod articles;
pub mod calendar;
pub mod cases;
pub mod catalog;
pub mod embedded;
pub mod evaluation;
pub mod honours;
pub mod ids;
pub mod integrity;
pub mod masking;
pub mod measures;
pub mod name;
pub mod publicity;
pub mod region;
pub mod registrar;
pub mod reports;
pub mod resolution;
pub mod sound;
pub mod sources;
pub mod supervision;
pub mod template;

pub mod value;

/// A data file (catalog item or code table) that does not parse or is inconsistent.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct DataError {
    pub file: String,
    pub message: String,
}

impl DataError {
    pub fn new(file: &str, message: impl std::fmt::Display) -> DataError {
        DataError { file: file.to_string(), message: message.to_string() }
    }
}
