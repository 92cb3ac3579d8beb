//! The report's PDF: readable text (pdftotext), its attached JSON and signature, verification that fails on any
//! changed byte, and openssl agreeing with the signature.

use std::process::Command;

use credo_report::{FontSource, Report, ReportError, Signed};

fn sample(records: usize) -> Report {
    credo_report::example(records, &FontSource::from_env().expect("the report font (fonts-noto-cjk)").id)
}

fn signed(records: usize) -> (Signed, credo_gm::sm2::KeyPair) {
    let key = credo_gm::sm2::KeyPair::generate();
    (Signed::sign(&sample(records), &key).expect("signed"), key)
}

#[test]
fn the_pdf_reads_as_text_and_renders_the_same_twice() {
    let font = FontSource::from_env().unwrap();
    let (s, _) = signed(60);
    let pdf = credo_report::render(&s, &font).unwrap();
    assert_eq!(pdf, credo_report::render(&s, &font).unwrap(), "the same bytes every time");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8(out.stdout).unwrap();
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains("第1页共") && compact.contains("页共"), "page numbers");
    for want in [
        "法人和非法人组织公共信用信息报告",
        "青海昆仑雪域商贸有限公司",
        "91630100MA7X00018G",
        "一、基础信息",
        "二、行政处罚信息",
        "西市监罚〔2026〕1号",
        "西市监罚〔2026〕60号",
        "XY20261203ABCDEFGHJK",
    ] {
        assert!(text.contains(want), "{want} not in the text:\n{text}");
    }
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 3, "60 penalties take several pages: {pages}");
    assert_eq!(credo_report::extract(&pdf).unwrap(), s, "the attachments are what was signed");
}

#[test]
fn verification_passes_and_fails_on_any_changed_byte() {
    let font = FontSource::from_env().unwrap();
    let (s, key) = signed(5);
    let pem = key.public_key_pem().unwrap();
    let pdf = credo_report::render(&s, &font).unwrap();
    let report = credo_report::verify(&pdf, std::slice::from_ref(&pem), &font).unwrap();
    assert_eq!(report.subject.name, "青海昆仑雪域商贸有限公司");
    // Another key is not trusted.
    let other = credo_gm::sm2::KeyPair::generate().public_key_pem().unwrap();
    assert!(matches!(credo_report::verify(&pdf, &[other], &font), Err(ReportError::UnknownKey(_))));
    // One byte changed: in the embedded JSON, the signature, a content stream, the trailer, anywhere.
    let at = |needle: &[u8]| pdf.windows(needle.len()).position(|w| w == needle).unwrap();
    let json_at = at(br#""check_code""#) + 3;
    let positions = [json_at, at(b"stream") + 20, pdf.len() / 2, pdf.len() / 3, pdf.len() - 10, 5];
    for p in positions {
        let mut bad = pdf.clone();
        bad[p] ^= 0x01;
        let r = credo_report::verify(&bad, std::slice::from_ref(&pem), &font);
        assert!(r.is_err(), "a byte changed at {p} of {} passed", pdf.len());
    }
    // A JSON changed and signed again by someone else's key is refused, though it renders.
    let mut forged = sample(5);
    forged.subject.name = "青海昆仑雪域商贸有限公司(已修复)".into();
    let thief = credo_gm::sm2::KeyPair::generate();
    let mut f = Signed::sign(&forged, &thief).unwrap();
    f.key_id = s.key_id.clone();
    let forged_pdf = credo_report::render(&f, &font).unwrap();
    assert!(matches!(credo_report::verify(&forged_pdf, &[pem], &font), Err(ReportError::BadSignature)));
}

#[test]
fn openssl_verifies_the_attached_signature() {
    let font = FontSource::from_env().unwrap();
    let (s, key) = signed(2);
    let pdf = credo_report::render(&s, &font).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let got = credo_report::extract(&pdf).unwrap();
    std::fs::write(dir.path().join("report.json"), &got.json).unwrap();
    std::fs::write(dir.path().join("report.sig"), &got.signature).unwrap();
    std::fs::write(dir.path().join("platform.pem"), key.public_key_pem().unwrap()).unwrap();
    let verify = |json: &str| {
        Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "platform.pem",
                "-rawin",
                "-in",
                json,
                "-sigfile",
                "report.sig",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
            ])
            .output()
            .unwrap()
    };
    let ok = verify("report.json");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let mut changed = got.json.clone();
    changed[10] ^= 1;
    std::fs::write(dir.path().join("changed.json"), changed).unwrap();
    assert!(!verify("changed.json").status.success());
}

/// Writes a sample report where `CREDO_REPORT_SAMPLE` says (for looking at it); does nothing otherwise.
#[test]
fn sample_file_when_asked() {
    if let Ok(path) = std::env::var("CREDO_REPORT_SAMPLE") {
        let (s, _) = signed(12);
        std::fs::write(path, credo_report::render(&s, &FontSource::from_env().unwrap()).unwrap()).unwrap();
    }
}
