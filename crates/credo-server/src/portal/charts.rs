//! Charts drawn on the server as SVG (no script, no charting library): horizontal bars with their values, which
//! read well on a phone and print; every chart carries a title and a text alternative.

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart of `(label, value)` with `unit` after each value (`%` bars are scaled to 100).
pub fn bars(title: &str, rows: &[(String, f64)], unit: &str) -> String {
    const ROW: usize = 26;
    const LABEL: f64 = 220.0;
    const WIDTH: f64 = 640.0;
    let max = if unit == "%" { 100.0 } else { rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1.0) };
    let height = 30 + rows.len().max(1) * ROW;
    let summary: Vec<String> = rows.iter().map(|(l, v)| format!("{l} {v:.0}{unit}")).collect();
    let mut out = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-label="{}"><title>{}</title>"#,
        esc(&format!("{title}:{}", summary.join(","))),
        esc(title)
    );
    if rows.is_empty() {
        out.push_str(r#"<text x="8" y="40">暂无数据</text>"#);
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 20 + i * ROW;
        let w = ((WIDTH - LABEL - 80.0) * value / max).max(1.0);
        let shown: String = label.chars().take(16).collect();
        out.push_str(&format!(
            r##"<text x="{x}" y="{ty}" text-anchor="end">{l}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="18" fill="#b3202a"></rect><text x="{vx:.1}" y="{ty}">{v}</text>"##,
            x = LABEL - 8.0,
            ty = y + 14,
            l = esc(&shown),
            bx = LABEL,
            vx = LABEL + w + 6.0,
            v = esc(&format!("{value:.0}{unit}")),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_percentages() {
        let svg = bars("拒收率", &[("<x>".into(), 50.0), ("乙".into(), 100.0)], "%");
        assert!(svg.contains("&lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title>拒收率</title>"));
        let widths: Vec<f64> =
            svg.split("width=\"").skip(2).filter_map(|s| s.split('"').next()?.parse().ok()).collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[1] / widths[0] - 2.0).abs() < 0.01, "{widths:?}");
        assert!(bars("空", &[], "").contains("暂无数据"));
    }
}
