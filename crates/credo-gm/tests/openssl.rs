//! Interoperability with the machine's `openssl` (3.x): SM2 with SM3 and the default ID, both directions.

use std::process::Command;

use credo_gm::sm2::{DEFAULT_ID, KeyPair, verify};

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl").args(args).output().expect("openssl must be installed for this test")
}

#[test]
fn a_credo_signature_verifies_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let key = KeyPair::generate();
    let message = "核查回执 No.2026-000001 信用西宁".as_bytes();
    std::fs::write(p("pub.pem"), key.public_key_pem().unwrap()).unwrap();
    std::fs::write(p("msg"), message).unwrap();
    std::fs::write(p("sig"), key.sign(message)).unwrap();
    let distid = format!("distid:{DEFAULT_ID}");
    let args = [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        &p("pub.pem"),
        "-rawin",
        "-in",
        &p("msg"),
        "-sigfile",
        &p("sig"),
        "-digest",
        "sm3",
        "-pkeyopt",
        &distid,
    ];
    let out = openssl(&args);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // And a changed message does not verify.
    std::fs::write(p("msg"), "核查回执 No.2026-000002 信用西宁").unwrap();
    assert!(!openssl(&args).status.success());
}

#[test]
fn an_openssl_signature_verifies_in_credo() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    assert!(
        openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", &p("key.pem")])
            .status
            .success()
    );
    assert!(openssl(&["pkey", "-in", &p("key.pem"), "-pubout", "-out", &p("pub.pem")]).status.success());
    let message = "信用报告 XN-2026-0001".as_bytes();
    std::fs::write(p("msg"), message).unwrap();
    let distid = format!("distid:{DEFAULT_ID}");
    let out = openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        &p("key.pem"),
        "-rawin",
        "-in",
        &p("msg"),
        "-digest",
        "sm3",
        "-pkeyopt",
        &distid,
        "-out",
        &p("sig"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pem = std::fs::read_to_string(p("pub.pem")).unwrap();
    let sig = std::fs::read(p("sig")).unwrap();
    assert_eq!(verify(&pem, message, &sig), Ok(()));
    assert!(verify(&pem, "信用报告 XN-2026-0002".as_bytes(), &sig).is_err());
}
