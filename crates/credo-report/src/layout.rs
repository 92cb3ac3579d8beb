//! A report laid out on A4 pages: lines of text at their places, wrapped by an estimate of each character's width
//! (CJK and full-width forms one em, the rest 0.6 em: never narrower than Noto Sans CJK draws them).

use crate::Report;

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const LEFT: f32 = 56.0;
pub const RIGHT: f32 = PAGE_W - 56.0;
/// Where the body starts and ends on a page (the header and footer are outside).
pub const TOP: f32 = 78.0;
pub const BOTTOM: f32 = PAGE_H - 64.0;
/// The QR code's square on the first page (top right), and its side.
pub const QR_SIDE: f32 = 88.0;
pub const QR_X: f32 = RIGHT - QR_SIDE;
pub const QR_Y: f32 = TOP;

/// One line of text: its baseline at (`x`, `y`) on page `page`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub page: usize,
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
    pub grey: bool,
}

/// Width of `text` at `size`, as the layout reckons it.
pub fn width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if wide(c) { 1.0 } else { 0.6 }).sum::<f32>() * size
}

fn wide(c: char) -> bool {
    let u = c as u32;
    (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7AF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
        || u >= 0x20000
}

/// `text` broken into lines no wider than `room` at `size` (at characters: Chinese has no spaces to break at).
pub fn wrap(text: &str, size: f32, room: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
            let cw = if wide(c) { size } else { 0.6 * size };
            if w + cw > room && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    lines
}

const NUMERALS: [&str; 20] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六", "十七",
    "十八", "十九", "二十",
];

/// A section's heading as the report shows it: 一、基础信息.
pub fn section_heading(no: usize, title: &str) -> String {
    format!("{}、{title}", NUMERALS.get(no).copied().unwrap_or("…"))
}

struct Flow {
    lines: Vec<Line>,
    page: usize,
    y: f32,
}

impl Flow {
    /// Places `text` at `x` (wrapped to the right margin, later lines at `hang`), after `gap` points.
    fn text(&mut self, text: &str, size: f32, x: f32, hang: f32, gap: f32, grey: bool) {
        let lead = size * 1.55;
        let mut first = true;
        for part in wrap(text, size, RIGHT - x.max(hang)) {
            let before = if first { gap } else { 0.0 };
            if self.y + before + lead > BOTTOM {
                self.page += 1;
                self.y = TOP;
            } else {
                self.y += before;
            }
            self.y += lead;
            let at = if first { x } else { hang };
            self.lines.push(Line { page: self.page, x: at, y: self.y - size * 0.4, size, text: part, grey });
            first = false;
        }
    }
}

/// The report's lines, and the number of pages they take.
pub fn lay_out(r: &Report) -> (Vec<Line>, usize) {
    let mut f = Flow { lines: Vec::new(), page: 0, y: TOP };
    let title_size = 19.0;
    let tx = (LEFT + QR_X - width(&r.title, title_size)) / 2.0;
    f.text(&r.title, title_size, tx.max(LEFT), LEFT, 6.0, false);
    f.y += 10.0;
    let head = [
        ("报告编号", Some(r.number.as_str())),
        ("核验码", Some(r.check_code.as_str())),
        ("出具时间", Some(r.issued_at.as_str())),
        ("信息截止日期", Some(r.as_of.as_str())),
        ("出具机构", Some(r.issuer.as_str())),
        ("查询类型", Some(r.audience.as_str())),
    ];
    for (k, v) in head.iter().filter_map(|(k, v)| v.map(|v| (k, v))) {
        f.text(&format!("{k}:{v}"), 10.0, LEFT, LEFT + 60.0, 0.0, false);
    }
    // Below the QR code from here on.
    f.y = f.y.max(QR_Y + QR_SIDE + 16.0);
    f.text("信用主体", 13.0, LEFT, LEFT, 8.0, false);
    let s = &r.subject;
    let subject = [
        ("主体名称", Some(s.name.as_str())),
        ("统一社会信用代码/证件号码", s.code.as_deref()),
        ("主体类型", Some(s.kind_label.as_str())),
        ("所在地区", s.region_name.as_deref()),
        ("登记状态", s.status.as_deref()),
    ];
    for (k, v) in subject {
        f.text(&format!("{k}:{}", v.unwrap_or("—")), 10.5, LEFT + 12.0, LEFT + 24.0, 0.0, false);
    }
    f.text("综合信用状况", 13.0, LEFT, LEFT, 10.0, false);
    for line in &r.summary {
        f.text(line, 10.5, LEFT + 12.0, LEFT + 12.0, 0.0, false);
    }
    for (no, section) in r.sections.iter().enumerate() {
        f.text(&section_heading(no, &section.title), 13.0, LEFT, LEFT, 12.0, false);
        if let Some(note) = &section.note {
            f.text(note, 9.0, LEFT + 12.0, LEFT + 12.0, 0.0, true);
        }
        if section.entries.is_empty() {
            f.text("无", 10.5, LEFT + 12.0, LEFT + 12.0, 0.0, false);
        }
        for (i, e) in section.entries.iter().enumerate() {
            f.text(&format!("({}){}", i + 1, e.heading), 10.5, LEFT + 12.0, LEFT + 30.0, 4.0, false);
            for field in &e.fields {
                f.text(&format!("{}:{}", field.name, field.value), 9.5, LEFT + 30.0, LEFT + 42.0, 0.0, false);
            }
        }
    }
    f.text("说明", 13.0, LEFT, LEFT, 12.0, false);
    for (i, n) in r.notes.iter().enumerate() {
        f.text(&format!("{}. {n}", i + 1), 9.5, LEFT + 12.0, LEFT + 24.0, 0.0, false);
    }
    let pages = f.page + 1;
    (f.lines, pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_each_line_fits() {
        let text = "青海昆仑商贸有限公司因未按规定公示年度报告被列入经营异常名录ABC-123 456,依据《企业信息公示暂行条例》第十七条。";
        for room in [30.0_f32, 100.0, 300.0, 1000.0] {
            let lines = wrap(text, 10.0, room);
            assert_eq!(lines.concat(), text, "room {room}");
            assert!(lines.iter().all(|l| width(l, 10.0) <= room || l.chars().count() == 1), "room {room}");
        }
        assert_eq!(wrap("", 10.0, 100.0), vec![String::new()]);
    }
}
