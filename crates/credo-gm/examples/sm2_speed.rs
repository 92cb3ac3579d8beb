//! How fast the platform key signs and verifies (receipts are signed one by one).
//! `cargo run --release -p credo-gm --example sm2_speed`

fn main() {
    let k = credo_gm::sm2::KeyPair::generate();
    let msg = vec![b'x'; 2000];
    let n = 2000;
    let t = std::time::Instant::now();
    let mut sig = Vec::new();
    for _ in 0..n {
        sig = k.sign(&msg);
    }
    let sign = t.elapsed().as_secs_f64() / n as f64;
    let pem = k.public_key_pem().unwrap_or_default();
    let t = std::time::Instant::now();
    for _ in 0..n {
        let _ = credo_gm::sm2::verify(&pem, &msg, &sig);
    }
    let verify = t.elapsed().as_secs_f64() / n as f64;
    println!("{{\"sign_us\": {:.1}, \"verify_us\": {:.1}}}", sign * 1e6, verify * 1e6);
}
