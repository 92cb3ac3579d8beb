//! Verifying a check receipt (核查回执) on the website.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::chrome::{Chrome, render};
use crate::Web;
use crate::error::ApiError;
use credo_app::principal::Principal;
use credo_app::public as publish;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    number: String,
    result: Option<Result<Vec<(String, String)>, String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    number: String,
}

/// 回执验证: whether a check receipt with this number was issued here, and whether its SM2 signature holds. Only
/// the receipt's frame is shown (who asked, when, in which scene, how many subjects), not its answers.
pub async fn verify(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let number = q.number.trim().to_uppercase();
    let result = if number.is_empty() {
        None
    } else {
        Some(match app.store.check(&number).await? {
            None => Err(format!("没有编号为 {} 的核查回执。请核对编号。", publish::mask_ids(&number))),
            Some(c) => {
                let signed = credo_app::checks::stored_receipt(&app, &c)?;
                match credo_app::checks::verify_receipt(&signed.to_string(), None) {
                    Err(e) => Err(e),
                    Ok(_) => {
                        let r = &signed["receipt"];
                        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                        Ok(vec![
                            ("签名".into(), "SM2 签名有效,回执内容未被改动".into()),
                            ("签发时间(北京时间)".into(), credo_app::beijing::stored(&s(&r["issued_at"]))),
                            ("核查部门".into(), s(&r["department"]["name"])),
                            ("核查场景".into(), s(&r["scene"]["name"])),
                            ("核查主体数".into(), r["results"].as_array().map(|a| a.len()).unwrap_or(0).to_string()),
                            ("措施清单版本".into(), s(&r["measures_version"])),
                        ])
                    }
                }
            }
        })
    };
    // A number that is not a receipt's is echoed masked (it may be anything typed in).
    let number = if matches!(result, Some(Ok(_))) { number } else { publish::mask_ids(&number) };
    render(&VerifyPage { chrome: Chrome::of(&p, &headers), number, result })
}
