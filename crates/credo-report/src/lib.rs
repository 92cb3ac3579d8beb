//! # credo-report
//!
//! Credit reports (信用报告) as documents anyone can check. A [`Report`] is what the platform knew of a subject on a
//! day, as data; its compact JSON is signed (SM2 with SM3 and the default ID, the platform's key), and the PDF shows
//! it and carries it: the JSON as the attached file `report.json`, the DER signature as `report.sig` and the key's
//! id as `report.key`. [`verify`] checks the signature under a trusted key and that the PDF is exactly the rendering
//! of that JSON (the rendering is deterministic: the same JSON, signature and font give the same bytes), so one
//! changed byte anywhere in the file fails.
//!
//! The platform builds the report (credo-app); this crate only renders, reads back and verifies it.

mod example;
mod layout;
mod pdf;

use serde::{Deserialize, Serialize};

pub use example::example;
pub use pdf::{FontSource, render};

/// The format of the JSON and of its rendering: a verifier renders with the same format.
pub const FORMAT: &str = "credo-report/1";

/// A report: a subject as the platform knew it on `as_of`, sections in the order of the report standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    /// 报告编号
    pub number: String,
    /// 核验码: with the number, opens the report on the verification page.
    pub check_code: String,
    /// `public`, `own`, `special` or `authorised`.
    pub kind: String,
    /// The report's title (法人和非法人组织公共信用信息报告 …).
    pub title: String,
    /// 出具机构
    pub issuer: String,
    /// 查询类型: to whom it was issued (社会公众查询, 本人查询, 授权查询 with the department and purpose).
    pub audience: String,
    /// 出具时间 (Beijing time, RFC 3339).
    pub issued_at: String,
    /// 信息截止日期: the day whose knowledge the report shows.
    pub as_of: String,
    /// The verification page for this report (number and check code in the link): the QR code's content.
    pub verify_url: String,
    /// The font the PDF is rendered with (file name and SM3 prefix), so that a verifier knows which it needs.
    pub font: String,
    pub subject: Subject,
    /// 综合信用状况: one sentence per line.
    pub summary: Vec<String>,
    pub sections: Vec<Section>,
    /// 说明: what the report covers and does not, how to check it, how to object.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    /// The code as shown (an ID number masked, except in a subject's own report).
    pub code: Option<String>,
    pub kind_label: String,
    pub region_name: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub code: String,
    pub title: String,
    /// What the section covers, or why it is empty.
    pub note: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub heading: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// A report's JSON as signed, its DER signature, and the id of the key that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub json: Vec<u8>,
    pub signature: Vec<u8>,
    pub key_id: String,
}

impl Signed {
    /// Signs the report's compact JSON with `key`.
    pub fn sign(report: &Report, key: &credo_gm::sm2::KeyPair) -> Result<Signed, ReportError> {
        let json = serde_json::to_vec(report).map_err(|e| ReportError::Invalid(e.to_string()))?;
        let pem = key.public_key_pem().map_err(|_| ReportError::Key)?;
        Ok(Signed { signature: key.sign(&json), json, key_id: key_id(&pem) })
    }

    pub fn report(&self) -> Result<Report, ReportError> {
        serde_json::from_slice(&self.json).map_err(|e| ReportError::Invalid(format!("report.json 无法解析:{e}")))
    }
}

/// A public key's id: the first 16 hex digits of the SM3 digest of its PEM text (trimmed), so that keys can rotate
/// and a report names the one that signed it.
pub fn key_id(public_key_pem: &str) -> String {
    use sm3::Digest;
    hex::encode(&sm3::Sm3::digest(public_key_pem.trim().as_bytes())[..8])
}

/// The SM3 digest of a file, in hex (shown on the verification page).
pub fn digest(bytes: &[u8]) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("报告内容无效:{0}")]
    Invalid(String),
    #[error("签名密钥不可用")]
    Key,
    #[error("报告字体不可用:{0}")]
    Font(String),
    #[error("生成 PDF 失败:{0}")]
    Render(String),
    #[error("不是本平台出具的报告文件:{0}")]
    NotAReport(String),
    #[error("签名密钥 {0} 不是本平台公布的密钥")]
    UnknownKey(String),
    #[error("签名无效:report.json 不是该密钥签署的内容")]
    BadSignature,
    #[error("报告用字体 {wanted} 生成,本机字体为 {have}:请用相同字体核验")]
    OtherFont { wanted: String, have: String },
    #[error("文件与其签署内容的排版不一致:文件已被改动")]
    Altered,
}

/// Reads the attached `report.json`, `report.sig` and `report.key` of a PDF.
pub fn extract(pdf: &[u8]) -> Result<Signed, ReportError> {
    let files = pdf::attachments(pdf)?;
    let get = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| ReportError::NotAReport(format!("缺少附件 {name}")))
    };
    let key_id = String::from_utf8(get("report.key")?).map_err(|_| ReportError::NotAReport("report.key".into()))?;
    Ok(Signed { json: get("report.json")?, signature: get("report.sig")?, key_id: key_id.trim().to_string() })
}

/// Verifies a report file: its signature under one of the `trusted` public keys (PEM; the one whose [`key_id`] the
/// file names), and that the file is byte for byte the rendering of what was signed, with `font`. Returns the
/// report.
pub fn verify(pdf_bytes: &[u8], trusted: &[String], font: &FontSource) -> Result<Report, ReportError> {
    let signed = extract(pdf_bytes)?;
    let pem = trusted
        .iter()
        .find(|p| key_id(p) == signed.key_id)
        .ok_or_else(|| ReportError::UnknownKey(signed.key_id.clone()))?;
    credo_gm::sm2::verify(pem, &signed.json, &signed.signature).map_err(|_| ReportError::BadSignature)?;
    let report = signed.report()?;
    if report.font != font.id {
        return Err(ReportError::OtherFont { wanted: report.font, have: font.id.clone() });
    }
    if render(&signed, font)? != pdf_bytes {
        return Err(ReportError::Altered);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    /// The server keeps one font for every report, shared across threads.
    #[test]
    fn the_font_can_be_shared_across_threads() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<crate::FontSource>();
    }
}
