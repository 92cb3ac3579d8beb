//! Verifying a credit report (信用报告, by its number and check code, or the QR code's link) and a check receipt
//! (核查回执) on the website.

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
    no: String,
    code: String,
    report: Option<Result<ReportView, String>>,
}

/// A report as the verification page shows it.
struct ReportView {
    state: String,
    valid: bool,
    note: Option<String>,
    rows: Vec<(String, String)>,
    summary: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    number: String,
    /// 报告编号 and 核验码 (the QR code's link carries both).
    #[serde(default)]
    no: String,
    #[serde(default)]
    code: String,
}

fn report_view(v: credo_app::reports::Verification) -> ReportView {
    let kind = match v.kind.as_str() {
        "special" => "专项信用报告",
        _ => "公共信用信息报告",
    };
    let mut rows = vec![
        ("报告名称".to_string(), v.summary.title.clone()),
        ("报告种类".into(), kind.into()),
        ("信用主体".into(), v.summary.subject_name.clone()),
    ];
    if let Some(c) = &v.summary.subject_code {
        rows.push(("统一社会信用代码/证件号码".into(), c.clone()));
    }
    rows.extend([
        ("查询类型".into(), v.summary.audience.clone()),
        ("信息截止日期".into(), v.as_of.to_string()),
        ("出具时间(北京时间)".into(), v.issued_at.clone()),
        ("所列信息条数".into(), v.summary.entries.to_string()),
        ("报告文件摘要(SM3)".into(), v.pdf_sm3.clone()),
        ("签署内容摘要(SM3)".into(), v.json_sm3.clone()),
    ]);
    ReportView { valid: v.state != "已撤销", state: v.state, note: v.note, rows, summary: v.summary.summary }
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
    let report = if q.no.trim().is_empty() && q.code.trim().is_empty() {
        None
    } else {
        Some(match credo_app::reports::verify(&app, &q.no, &q.code).await {
            Ok(v) => Ok(report_view(v)),
            Err(e) if e.code == credo_app::Code::NotFound => Err(e.detail),
            Err(e) => return Err(e.into()),
        })
    };
    let (no, code) = match &report {
        Some(Ok(_)) => (q.no.trim().to_uppercase(), q.code.trim().to_uppercase()),
        _ => (publish::mask_ids(q.no.trim()), String::new()),
    };
    render(&VerifyPage { chrome: Chrome::of(&p, &headers), number, result, no, code, report })
}
