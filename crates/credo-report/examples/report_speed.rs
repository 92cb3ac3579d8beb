//! Signing and rendering a report of a subject with 200 penalty records, many times: prints p50/p99 and the size.
//! `cargo run --release -p credo-report --example report_speed [RUNS]`

use credo_report::{FontSource, Signed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(50);
    let font = FontSource::from_env()?;
    let report = credo_report::example(200, &font.id);
    let key = credo_gm::sm2::KeyPair::generate();
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let signed = Signed::sign(&report, &key)?;
        size = credo_report::render(&signed, &font)?.len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!("runs {runs}: p50 {:.1} ms, p99 {:.1} ms, {size} bytes", at(0.5), at(0.99));
    Ok(())
}
