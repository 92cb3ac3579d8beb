//! Interoperability with the machine's `openssl` (3.x): SM2 with SM3 and the default ID, both directions.

use std::process::Command;

use credo_gm::sm2::{DEFAULT_ID, KeyPair, verify};

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl").args(args).output().expect("openssl must be installed for this test")
}

/// `openssl pkeyutl -verify` of the DER signature in file `sig` over the file `message` under the PEM key in file
/// `public_key` (SM3, the default ID).
fn openssl_verifies(public_key: &str, message: &str, sig: &str) -> std::process::Output {
    let distid = format!("distid:{DEFAULT_ID}");
    openssl(&[
        "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin", "-in", message, "-sigfile", sig, "-digest",
        "sm3", "-pkeyopt", &distid,
    ])
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
    let out = openssl_verifies(&p("pub.pem"), &p("msg"), &p("sig"));
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // And a changed message does not verify.
    std::fs::write(p("msg"), "核查回执 No.2026-000002 信用西宁").unwrap();
    assert!(!openssl_verifies(&p("pub.pem"), &p("msg"), &p("sig")).status.success());
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

/// A batch signature (issue 16) checked with openssl alone: the leaves and the node of a two-receipt batch hashed
/// with `openssl dgst -sm3` give the proof's root, and the signature over the root's statement verifies with
/// `openssl pkeyutl` (docs/receipts.md).
#[test]
fn a_batch_root_and_its_signature_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let key = KeyPair::generate();
    let docs: [&[u8]; 2] = ["{\"id\":\"CK1\"}".as_bytes(), "{\"id\":\"CK2\",\"信用\":\"西宁\"}".as_bytes()];
    let (sig, proofs) = credo_gm::batch::sign(&key, &docs);
    let sm3 = |name: &str, bytes: &[u8]| -> Vec<u8> {
        std::fs::write(p(name), bytes).unwrap();
        let out = openssl(&["dgst", "-sm3", "-binary", &p(name)]);
        assert!(out.status.success());
        out.stdout
    };
    let leaf = |i: usize| sm3(&format!("leaf{i}"), &[&[0u8][..], docs[i]].concat());
    let root = sm3("node", &[&[1u8][..], &leaf(0), &leaf(1)].concat());
    assert_eq!(hex::encode(&root), proofs[0].root);
    assert_eq!(proofs[1].path, vec![hex::encode(leaf(0))], "the second receipt's path is the first leaf");
    std::fs::write(p("pub.pem"), key.public_key_pem().unwrap()).unwrap();
    std::fs::write(p("statement"), credo_gm::batch::statement(2, &proofs[0].root)).unwrap();
    std::fs::write(p("sig"), &sig).unwrap();
    let verify = |statement: &str| openssl_verifies(&p("pub.pem"), &p(statement), &p("sig"));
    let out = verify("statement");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::write(p("other"), credo_gm::batch::statement(3, &proofs[0].root)).unwrap();
    assert!(!verify("other").status.success(), "the size is signed too");
}
