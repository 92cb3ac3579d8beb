//! The HTTP face of the platform's errors ([`credo_app::Error`], with its one table of codes): RFC 9457
//! problem+json with the code's status and Chinese title. Internal causes are logged, never shown; an ID number
//! echoed in a `detail` is masked when the error is made.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use credo_app::{Code, Error};
use serde::Serialize;

/// A platform error on its way out as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub Error);

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError(Error::new(code, detail))
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError(Error::not_found(detail))
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError(Error::unauthorized(detail))
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError(Error::forbidden(detail))
    }

    /// An internal failure: logged with its cause, shown as a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError(Error::internal(cause))
    }

    /// The caller's mistake (4xx), shown back on the form that made it.
    pub fn is_client_error(&self) -> bool {
        self.0.is_client_error()
    }

    pub fn code(&self) -> Code {
        self.0.code
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

impl From<credo_app::accounts::AccountError> for ApiError {
    fn from(e: credo_app::accounts::AccountError) -> ApiError {
        match e {
            credo_app::accounts::AccountError::Invalid(m) => ApiError::new(Code::InvalidAccount, m),
            credo_app::accounts::AccountError::Conflict(m) => ApiError::new(Code::Conflict, m),
            credo_app::accounts::AccountError::NotFound(m) => ApiError::not_found(m),
            credo_app::accounts::AccountError::Store(e) => ApiError::internal(e),
        }
    }
}

impl From<credo_store::StoreError> for ApiError {
    fn from(e: credo_store::StoreError) -> ApiError {
        ApiError(e.into())
    }
}

impl From<credo_search::SearchError> for ApiError {
    fn from(e: credo_search::SearchError) -> ApiError {
        ApiError(e.into())
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    /// A form that is too large is 413 like any other body; one that cannot be parsed is 400.
    fn from(e: axum::extract::multipart::MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(Code::BodyTooLarge, "上传的表单超过大小上限");
        }
        // The framework's reason is English: logged, not shown.
        tracing::info!(reason = %e.body_text(), "multipart form refused");
        ApiError::new(Code::BadMultipart, "上传的表单无法解析,请重新选择文件后提交")
    }
}

impl From<axum::extract::multipart::MultipartRejection> for ApiError {
    fn from(e: axum::extract::multipart::MultipartRejection) -> ApiError {
        tracing::info!(reason = %e.body_text(), "multipart form refused");
        ApiError::new(Code::BadMultipart, "请以 multipart/form-data 表单上传")
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let e = self.0;
        let body = Problem {
            kind: format!("https://credit.xining.gov.cn/problems/{}", e.code),
            title: e.title(),
            status: status.as_u16(),
            detail: &e.detail,
            code: e.code.as_str(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], json).into_response()
    }
}
