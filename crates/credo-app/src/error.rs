//! The platform's errors: one table of codes ([`Code`]), each with its HTTP status and Chinese title, and one
//! error type ([`Error`]) carrying a code and a Chinese detail. Services return it; the HTTP layer renders it as
//! RFC 9457 problem+json and the CLI prints it with its exit code. No code is spelled as a string anywhere else.
//!
//! Internal causes are logged, never shown; an ID number echoed in a `detail` is masked when the error is made.

use std::borrow::Cow;

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = ($code:literal, $status:literal, $title:literal),)*) => {
        /// Every error code the platform answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The stable snake_case code (the problem's `code` and the last segment of its `type`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The HTTP status the code is answered with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// The problem's Chinese title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    // 400: the request cannot be read.
    InvalidRequest = ("invalid_request", 400, "请求无效"),
    InvalidJson = ("invalid_json", 400, "请求无效"),
    BadForm = ("bad_form", 400, "请求无效"),
    BadMultipart = ("bad_multipart", 400, "请求无效"),
    MissingFile = ("missing_file", 400, "请求无效"),
    MissingItem = ("missing_item", 400, "请求无效"),
    MissingQuery = ("missing_query", 400, "请求无效"),
    QueryTooLong = ("query_too_long", 400, "请求无效"),
    // 401, 403: who is asking and what they may do.
    Unauthorized = ("unauthorized", 401, "未认证"),
    SignInRequired = ("sign_in_required", 401, "未认证"),
    Forbidden = ("forbidden", 403, "无权访问"),
    NotPermitted = ("not_permitted", 403, "无权访问"),
    CsrfTokenInvalid = ("csrf_token_invalid", 403, "无权访问"),
    OperatorAccount = ("operator_account", 403, "无权访问"),
    SceneNotPermitted = ("scene_not_permitted", 403, "无权访问"),
    // 404, 405
    NotFound = ("not_found", 404, "未找到"),
    MethodNotAllowed = ("method_not_allowed", 405, "请求方法不被允许"),
    // 409: the state does not allow it.
    Conflict = ("conflict", 409, "冲突"),
    CaseClosed = ("case_closed", 409, "冲突"),
    AlreadyBreached = ("already_breached", 409, "冲突"),
    ObjectionOpen = ("objection_open", 409, "冲突"),
    RepairOpen = ("repair_open", 409, "冲突"),
    // 413, 415
    BodyTooLarge = ("body_too_large", 413, "请求过大"),
    UnsupportedMediaType = ("unsupported_media_type", 415, "请求无效"),
    // 422: the request is read but its content is not acceptable.
    AlreadyExtended = ("already_extended", 422, "无法处理的数据"),
    BadDate = ("bad_date", 422, "无法处理的数据"),
    BadExtension = ("bad_extension", 422, "无法处理的数据"),
    BadField = ("bad_field", 422, "无法处理的数据"),
    BadFile = ("bad_file", 422, "无法处理的数据"),
    BadOutcome = ("bad_outcome", 422, "无法处理的数据"),
    BadPhone = ("bad_phone", 422, "无法处理的数据"),
    InvalidId = ("invalid_id", 422, "无法处理的数据"),
    BadType = ("bad_type", 422, "无法处理的数据"),
    ChallengeFailed = ("challenge_failed", 422, "无法处理的数据"),
    ChallengeRequired = ("challenge_required", 422, "无法处理的数据"),
    ContactRequired = ("contact_required", 422, "无法处理的数据"),
    EmptyBatch = ("empty_batch", 422, "无法处理的数据"),
    FieldsRequired = ("fields_required", 422, "无法处理的数据"),
    InvalidAccount = ("invalid_account", 422, "无法处理的数据"),
    InvalidArticle = ("invalid_article", 422, "无法处理的数据"),
    InvalidCheck = ("invalid_check", 422, "无法处理的数据"),
    InvalidExpiry = ("invalid_expiry", 422, "无法处理的数据"),
    InvalidFeedback = ("invalid_feedback", 422, "无法处理的数据"),
    InvalidPermissions = ("invalid_permissions", 422, "无法处理的数据"),
    InvalidRecord = ("invalid_record", 422, "无法处理的数据"),
    InvalidScopes = ("invalid_scopes", 422, "无法处理的数据"),
    InvalidUscc = ("invalid_uscc", 422, "无法处理的数据"),
    KeyChanged = ("key_changed", 422, "无法处理的数据"),
    MissingField = ("missing_field", 422, "无法处理的数据"),
    MissingName = ("missing_name", 422, "无法处理的数据"),
    NotACommitment = ("not_a_commitment", 422, "无法处理的数据"),
    NotExtendable = ("not_extendable", 422, "无法处理的数据"),
    NotRepairable = ("not_repairable", 422, "无法处理的数据"),
    ReasonRequired = ("reason_required", 422, "无法处理的数据"),
    RecordClosed = ("record_closed", 422, "无法处理的数据"),
    TooLong = ("too_long", 422, "无法处理的数据"),
    TooManyFiles = ("too_many_files", 422, "无法处理的数据"),
    UnknownDepartment = ("unknown_department", 422, "无法处理的数据"),
    UnknownItem = ("unknown_item", 422, "无法处理的数据"),
    UnusableFile = ("unusable_file", 422, "无法处理的数据"),
    // 422: a file that cannot be read as a table (credo_import::ImportError).
    UnknownFormat = ("unknown_format", 422, "无法处理的数据"),
    UnreadableCsv = ("unreadable_csv", 422, "无法处理的数据"),
    UnreadableXlsx = ("unreadable_xlsx", 422, "无法处理的数据"),
    NoSuchSheet = ("no_such_sheet", 422, "无法处理的数据"),
    UnreadableJson = ("unreadable_json", 422, "无法处理的数据"),
    EmptyFile = ("empty_file", 422, "无法处理的数据"),
    UnknownEncoding = ("unknown_encoding", 422, "无法处理的数据"),
    NoMatchingHeader = ("no_matching_header", 422, "无法处理的数据"),
    TooManyColumns = ("too_many_columns", 422, "无法处理的数据"),
    TooManyRows = ("too_many_rows", 422, "无法处理的数据"),
    CellTooLong = ("cell_too_long", 422, "无法处理的数据"),
    RowTooLong = ("row_too_long", 422, "无法处理的数据"),
    UnpackedTooLarge = ("unpacked_too_large", 422, "无法处理的数据"),
    // 423, 429
    AccountLocked = ("account_locked", 423, "账号已锁定"),
    RateLimited = ("rate_limited", 429, "请求过于频繁"),
    QuotaReached = ("quota_reached", 429, "已达份数上限"),
    // 500
    InternalError = ("internal_error", 500, "服务器内部错误"),
    // 503
    Unavailable = ("unavailable", 503, "服务暂不可用"),
}

impl Code {
    /// The code named `s`, if there is one.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its code and a Chinese detail for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Error {
    pub code: Code,
    pub detail: String,
    /// The framework's own status for a rejection it made (see the HTTP layer); otherwise the code's.
    status: Option<u16>,
}

impl Error {
    /// `detail` is shown to the caller, in JSON, on error pages and in the CLI: an ID number written in it (a code,
    /// a query or a form value echoed back) is masked here, once for every error.
    pub fn new(code: Code, detail: impl Into<String>) -> Error {
        let detail = detail.into();
        let detail = match credo_domain::masking::mask_id_numbers(&detail) {
            Cow::Borrowed(_) => detail,
            Cow::Owned(masked) => masked,
        };
        Error { code, detail, status: None }
    }

    /// A rejection the HTTP framework made with its own status (a 422 for a JSON body of the wrong shape, an
    /// unusual 4xx): rendered with that status and `code`.
    pub fn with_status(code: Code, status: u16, detail: impl Into<String>) -> Error {
        Error { status: Some(status), ..Error::new(code, detail) }
    }

    pub fn not_found(detail: impl Into<String>) -> Error {
        Error::new(Code::NotFound, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Error {
        Error::new(Code::Forbidden, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Error {
        Error::new(Code::Unauthorized, detail)
    }

    /// An internal failure: logged with its cause, shown as a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Error {
        tracing::error!(%cause, "internal error");
        Error::new(Code::InternalError, "服务器内部错误,请稍后重试")
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or(self.code.status())
    }

    /// The caller's mistake (4xx), shown back on the form that made it.
    pub fn is_client_error(&self) -> bool {
        (400..500).contains(&self.status())
    }

    pub fn title(&self) -> &'static str {
        self.code.title()
    }
}

impl From<credo_store::StoreError> for Error {
    fn from(e: credo_store::StoreError) -> Error {
        match e {
            credo_store::StoreError::Conflict(m) => Error::new(Code::Conflict, m),
            credo_store::StoreError::NotFound(m) => Error::not_found(format!("没有找到{m}")),
            e => Error::internal(e),
        }
    }
}

impl From<credo_search::SearchError> for Error {
    fn from(e: credo_search::SearchError) -> Error {
        Error::internal(e)
    }
}

impl Code {
    /// The code of a file that cannot be read as a table (also a row's code in an ingest report): the import
    /// crate names it, and the table above lists every one it names (a test holds them together).
    pub fn of_import(e: &credo_import::ImportError) -> Code {
        Code::parse(e.code()).unwrap_or(Code::UnusableFile)
    }
}

impl From<credo_import::ImportError> for Error {
    fn from(e: credo_import::ImportError) -> Error {
        Error::new(Code::of_import(&e), e.to_string())
    }
}

impl Code {
    /// The code a case rule names for its refusal ([`credo_domain::cases`]: `NotExtendable::code` …): the table above
    /// lists every one (a test holds them together); an unlisted one would be a bug, answered as one.
    pub fn of_rule(code: &str) -> Code {
        Code::parse(code).unwrap_or(Code::InternalError)
    }
}

/// The refusals of the case rules that name their code, with their Chinese sentence as the detail.
macro_rules! from_rule {
    ($($t:ty),+ $(,)?) => {
        $(impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error::new(Code::of_rule(e.code()), e.to_string())
            }
        })+
    };
}

from_rule!(
    credo_domain::cases::NotExtendable,
    credo_domain::cases::BadCorrection,
    credo_domain::cases::Ineligible,
    credo_domain::cases::BadCommitmentType,
    credo_domain::cases::NoBreach,
);

/// A case step that is another role's or another department's: 403.
impl From<credo_domain::cases::NotYours> for Error {
    fn from(e: credo_domain::cases::NotYours) -> Error {
        Error::forbidden(e.to_string())
    }
}

/// An objection about a record the one objecting may not see is a 404 (as for a record that does not exist); about
/// a revoked or repaired one, `record_closed`.
impl From<credo_domain::cases::NotObjectable> for Error {
    fn from(e: credo_domain::cases::NotObjectable) -> Error {
        match e {
            credo_domain::cases::NotObjectable::NotPublic(_) => Error::not_found(e.to_string()),
            credo_domain::cases::NotObjectable::Closed(_) => Error::new(Code::RecordClosed, e.to_string()),
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Error {
        Error::internal(e)
    }
}

/// A value the client sent, as an error message may quote it: at most 30 characters, ID numbers masked.
pub fn echo(s: &str) -> String {
    let short: String = s.chars().take(30).collect();
    crate::public::mask_ids(&short)
}

/// `fields` (catalog codes, marks left out) checked as a row of `item` on `day`, or `invalid_record` listing what is
/// wrong with them: a record the platform writes itself (a case's, a finding's) is held to the submission's rules.
pub fn validated(
    app: &crate::App,
    item: &credo_domain::catalog::Item,
    fields: &std::collections::BTreeMap<String, String>,
    day: time::Date,
) -> Result<credo_domain::catalog::ValidRecord, Error> {
    let raw: std::collections::HashMap<String, String> =
        fields.iter().filter(|(k, _)| !k.starts_with('@')).map(|(k, v)| (k.clone(), v.clone())).collect();
    item.validate(&raw, &app.catalog.context(day)).map_err(|issues| {
        let list: Vec<String> =
            issues.iter().map(|i| format!("{}:{}", i.field.as_deref().unwrap_or("记录"), i.message)).collect();
        Error::new(Code::InvalidRecord, list.join(";"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_parses() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} listed twice");
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!((400..600).contains(&c.status()), "{c}");
            assert!(!c.title().is_empty());
        }
    }

    #[test]
    fn every_import_error_has_its_code_in_the_table() {
        use credo_import::ImportError as I;
        let all = [
            I::UnknownFormat(String::new()),
            I::Csv(String::new()),
            I::Xlsx(String::new()),
            I::NoSheet(String::new()),
            I::Json(String::new()),
            I::Empty,
            I::Encoding,
            I::NoMatchingHeader { item: String::new(), headers: String::new() },
            I::TooManyColumns { what: "", found: 0 },
            I::TooManyRows,
            I::CellTooLong { column: 0, chars: 0 },
            I::RowTooLong { bytes: 0 },
            I::UnpackedTooLarge,
        ];
        for e in &all {
            assert_eq!(Code::of_import(e).as_str(), e.code(), "{e:?}");
        }
    }

    #[test]
    fn every_case_rule_has_its_code_in_the_table() {
        use credo_domain::cases::{
            BadCommitmentType, BadCorrection, CaseRuleError, Ineligible, Kind, NoBreach, NotExtendable, State,
        };
        let rules = [
            (NotExtendable::NotAnOpenObjection.code(), Code::NotExtendable),
            (NotExtendable::AlreadyExtended.code(), Code::AlreadyExtended),
            (NotExtendable::BadDays { max: 15, total: 20 }.code(), Code::BadExtension),
            (BadCorrection::Empty.code(), Code::FieldsRequired),
            (BadCorrection::Reserved(String::new()).code(), Code::BadField),
            (Ineligible::NotNegative.code(), Code::NotRepairable),
            (BadCommitmentType.code(), Code::BadType),
            (NoBreach::NotACommitment.code(), Code::NotACommitment),
            (NoBreach::AlreadyBreached.code(), Code::AlreadyBreached),
            (NoBreach::BadDate(String::new()).code(), Code::BadDate),
            (CaseRuleError::Closed { kind: Kind::Repair, state: State::Repaired }.code(), Code::CaseClosed),
            (
                CaseRuleError::NotAllowed { kind: Kind::Report, state: State::InProgress, allowed: String::new() }
                    .code(),
                Code::BadOutcome,
            ),
        ];
        for (named, code) in rules {
            assert_eq!(Code::of_rule(named), code, "{named}");
        }
        let open: Vec<_> =
            Kind::ALL.iter().filter_map(|k| k.one_open_per_record()).map(|(c, _)| Code::of_rule(c)).collect();
        assert_eq!(open, [Code::ObjectionOpen, Code::RepairOpen]);
    }

    #[test]
    fn an_echoed_id_number_is_masked() {
        let e = Error::new(Code::NotFound, "没有找到 630102199001011234");
        assert!(!e.detail.contains("199001011234"), "{}", e.detail);
    }
}
