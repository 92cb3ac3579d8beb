//! One error type for the API: a stable snake_case `code`, a Chinese `detail`, an HTTP status, rendered as
//! RFC 9457 problem+json. Internal causes are logged, never shown; an ID number echoed in a `detail` is masked.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
}

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
    /// `detail` is shown to the caller, in JSON and on error pages: an ID number written in it (a code, a query or a
    /// form value echoed back) is masked here, once for every error.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        let detail = match credo_domain::masking::mask_id_numbers(&detail) {
            std::borrow::Cow::Borrowed(_) => detail,
            std::borrow::Cow::Owned(masked) => masked,
        };
        ApiError { status, code, title, detail }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, "请求无效", detail)
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, "无法处理的数据", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, "冲突", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "未找到", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "未认证", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "无权访问", detail)
    }

    /// An internal failure: logged with its cause, shown as a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "服务器内部错误",
            "服务器内部错误,请稍后重试",
        )
    }
}

impl From<credo_store::StoreError> for ApiError {
    fn from(e: credo_store::StoreError) -> ApiError {
        match e {
            credo_store::StoreError::Conflict(m) => ApiError::conflict("conflict", m),
            credo_store::StoreError::NotFound(m) => ApiError::not_found(format!("没有找到{m}")),
            e => ApiError::internal(e),
        }
    }
}

impl From<credo_search::SearchError> for ApiError {
    fn from(e: credo_search::SearchError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    /// A form that is too large is 413 like any other body; one that cannot be parsed is 400.
    fn from(e: axum::extract::multipart::MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "请求过大",
                "上传的表单超过大小上限",
            );
        }
        ApiError::bad_request("bad_multipart", e.body_text())
    }
}

impl From<axum::extract::multipart::MultipartRejection> for ApiError {
    fn from(e: axum::extract::multipart::MultipartRejection) -> ApiError {
        ApiError::bad_request("bad_multipart", e.body_text())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://credit.xining.gov.cn/problems/{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (self.status, [(header::CONTENT_TYPE, "application/problem+json")], json).into_response()
    }
}
