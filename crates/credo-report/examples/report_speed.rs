//! Signing and rendering a report of a subject with 200 penalty records, many times: prints p50/p99 and the size.
//! `cargo run --release -p credo-report --example report_speed [RUNS]`

use credo_report::{Entry, Field, FontSource, Report, Section, Signed, Subject};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(50);
    let font = FontSource::from_env()?;
    let entries = (1..=200)
        .map(|i| Entry {
            heading: format!("行政处罚 西市监罚〔2026〕{i}号"),
            fields: vec![
                Field { name: "处罚类别".into(), value: "罚款;没收违法所得".into() },
                Field {
                    name: "处罚内容".into(),
                    value: format!("罚款{i}00元,没收违法所得。当事人销售不符合食品安全标准的食品。"),
                },
                Field { name: "报送部门".into(), value: "西宁市市场监督管理局".into() },
                Field { name: "公示期".into(), value: "2026-03-01 至 2029-03-01".into() },
            ],
        })
        .collect();
    let report = Report {
        format: credo_report::FORMAT.into(),
        number: "XY20261203ABCDEFGHJK".into(),
        check_code: "7K3Q9M".into(),
        kind: "public".into(),
        title: "法人和非法人组织公共信用信息报告".into(),
        issuer: "信用西宁(西宁市公共信用信息平台)".into(),
        issued_at: "2026-12-03T15:04:05+08:00".into(),
        as_of: "2026-12-03".into(),
        verify_url: "http://127.0.0.1:8080/verify?no=XY20261203ABCDEFGHJK&code=7K3Q9M".into(),
        font: font.id.clone(),
        subject: Subject {
            name: "青海昆仑雪域商贸有限公司".into(),
            code: Some("91630100MA7X00018G".into()),
            kind_label: "法人和非法人组织".into(),
            region_name: Some("城东区".into()),
            status: Some("存续".into()),
        },
        summary: vec!["截至 2026-12-03,共 200 条。".into()],
        sections: vec![Section { code: "penalties".into(), title: "行政处罚信息".into(), note: None, entries }],
        notes: vec!["说明。".into()],
    };
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
