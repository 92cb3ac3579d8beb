//! The report's PDF: drawn with krilla (the font subset embedded, text extractable), read back with lopdf.

use std::path::Path;
use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::layout::{self, LEFT, PAGE_H, PAGE_W, QR_SIDE, QR_X, QR_Y, RIGHT};
use crate::{ReportError, Signed};

/// The font reports are drawn with: Noto Sans CJK SC (Debian's `fonts-noto-cjk`) unless `CREDO_REPORT_FONT` names
/// another (`PATH` or `PATH#INDEX` for a collection). Its id (file name and SM3 prefix) goes into each report, so a
/// verifier knows which font renders it again byte for byte.
#[derive(Clone)]
pub struct FontSource {
    data: Arc<Vec<u8>>,
    index: u32,
    /// Parsed once, shared by every report.
    font: Font,
    pub id: String,
}

impl std::fmt::Debug for FontSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FontSource({})", self.id)
    }
}

/// Noto Sans CJK as Debian installs it; index 2 of the collection is the Simplified Chinese face.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#2";

impl FontSource {
    /// The font `CREDO_REPORT_FONT` names, or [`DEFAULT_FONT`].
    pub fn from_env() -> Result<FontSource, ReportError> {
        let spec = std::env::var("CREDO_REPORT_FONT").unwrap_or_else(|_| DEFAULT_FONT.to_string());
        FontSource::open(&spec)
    }

    /// `PATH` or `PATH#INDEX`.
    pub fn open(spec: &str) -> Result<FontSource, ReportError> {
        let (path, index) = match spec.rsplit_once('#') {
            Some((p, i)) => (p, i.parse().map_err(|_| ReportError::Font(format!("“{spec}”的字体序号无效")))?),
            None => (spec, 0),
        };
        let data = std::fs::read(path).map_err(|e| {
            ReportError::Font(format!(
                "{path}:{e}(请安装 fonts-noto-cjk,或用环境变量 CREDO_REPORT_FONT 指定含中文字形的字体文件)"
            ))
        })?;
        let data = Arc::new(data);
        let font = Font::new(krilla::Data::from(data.clone()), index)
            .ok_or_else(|| ReportError::Font(format!("{path} 的第 {index} 个字体无法读取")))?;
        let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let id = format!("{name}#{index} sm3:{}", &crate::digest(&data)[..16]);
        Ok(FontSource { data, index, font, id })
    }
}

impl FontSource {
    /// `text` as glyphs of this font, one per character (the font's cmap and advance widths): Chinese, digits and
    /// Latin need no shaping beyond that. krilla's own `draw_text` shapes with a HarfBuzz face built anew for every
    /// call, which for a CJK font's large layout tables was half the time of a report.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        use skrifa::MetadataProvider;
        use skrifa::instance::{LocationRef, Size};
        let Ok(face) = skrifa::FontRef::from_index(&self.data, self.index) else { return Vec::new() };
        let charmap = face.charmap();
        let metrics = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let em = self.font.units_per_em().max(1.0);
        text.char_indices()
            .map(|(at, c)| {
                let gid = charmap.map(c).unwrap_or_default();
                let advance = metrics.advance_width(gid).unwrap_or_default() / em;
                KrillaGlyph::new(GlyphId::new(gid.to_u32()), advance, 0.0, 0.0, 0.0, at..at + c.len_utf8(), None)
            })
            .collect()
    }
}

/// Draws `text` at `at` (the baseline's start) in `font` at `size`.
fn draw_text(s: &mut Surface<'_>, font: &FontSource, at: Point, size: f32, text: &str) {
    let glyphs = font.glyphs(text);
    s.draw_glyphs(at, &glyphs, font.font.clone(), text, size, false);
}

fn fill(r: u8, g: u8, b: u8, opacity: f32) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ONE),
        rule: Default::default(),
    }
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(x, y, w, h)?);
    pb.finish()
}

/// The PDF of a signed report: deterministic (no dates or random ids), so that the same JSON, signature and font
/// always give the same bytes.
pub fn render(signed: &Signed, font_source: &FontSource) -> Result<Vec<u8>, ReportError> {
    let report = signed.report()?;
    let (lines, pages) = layout::lay_out(&report);
    let qr = qrcode::QrCode::new(report.verify_url.as_bytes()).map_err(|e| ReportError::Render(e.to_string()))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} {}", report.title, report.number))
            .creator(report.issuer.clone())
            .language("zh-CN".into()),
    );
    let mark = watermark(font_source, &format!("{} {}", report.issuer, report.number))?;
    for page_no in 0..pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::Render("页面尺寸".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        if let Some(mark) = &mark {
            draw_watermark(&mut s, mark);
        }
        // Header and footer.
        s.set_fill(Some(fill(90, 90, 90, 1.0)));
        let head = format!("{} · {}", report.issuer, report.title);
        draw_text(&mut s, font_source, Point::from_xy(LEFT, 40.0), 8.0, &head);
        let no = format!("报告编号:{}", report.number);
        let x = RIGHT - layout::width(&no, 8.0);
        draw_text(&mut s, font_source, Point::from_xy(x, 40.0), 8.0, &no);
        if let Some(p) = rect(LEFT, 48.0, RIGHT - LEFT, 0.6) {
            s.set_fill(Some(fill(160, 30, 30, 1.0)));
            s.draw_path(&p);
        }
        s.set_fill(Some(fill(90, 90, 90, 1.0)));
        let foot = format!("第 {} 页 共 {} 页", page_no + 1, pages);
        let x = (PAGE_W - layout::width(&foot, 8.0)) / 2.0;
        draw_text(&mut s, font_source, Point::from_xy(x, PAGE_H - 36.0), 8.0, &foot);
        let check = format!("核验:{}", report.verify_url);
        draw_text(&mut s, font_source, Point::from_xy(LEFT, PAGE_H - 24.0), 7.0, &check);
        if page_no == 0 {
            draw_qr(&mut s, &qr);
        }
        for l in lines.iter().filter(|l| l.page == page_no) {
            let shade = if l.grey { 100 } else { 20 };
            s.set_fill(Some(fill(shade, shade, shade, 1.0)));
            draw_text(&mut s, font_source, Point::from_xy(l.x, l.y), l.size, &l.text);
        }
        s.finish();
        page.finish();
    }
    let attach = |path: &str, mime: &str, description: &str, data: Vec<u8>| EmbeddedFile {
        path: path.into(),
        mime_type: MimeType::new(mime),
        description: Some(description.into()),
        association_kind: AssociationKind::Source,
        data: data.into(),
        modification_date: None,
        compress: Some(false),
        location: None,
    };
    let files = [
        attach("report.json", "application/json", "报告内容(签署的 JSON)", signed.json.clone()),
        attach("report.sig", "application/octet-stream", "SM2 签名(DER,SM3,默认 ID)", signed.signature.clone()),
        attach("report.key", "text/plain", "签名密钥编号", signed.key_id.clone().into_bytes()),
    ];
    for f in files {
        doc.embed_file(f).ok_or_else(|| ReportError::Render("附件重名".into()))?;
    }
    doc.finish().map_err(|e| ReportError::Render(format!("{e:?}")))
}

/// The watermark as the glyphs' outlines (shapes, not text: a text extractor reads the report without it), built
/// once per report.
fn watermark(font: &FontSource, text: &str) -> Result<Option<krilla::geom::Path>, ReportError> {
    use skrifa::MetadataProvider;
    use skrifa::instance::{LocationRef, Size};
    let face = skrifa::FontRef::from_index(&font.data, font.index).map_err(|e| ReportError::Font(e.to_string()))?;
    let size = Size::new(26.0);
    let (charmap, outlines) = (face.charmap(), face.outline_glyphs());
    let metrics = face.glyph_metrics(size, LocationRef::default());
    let mut pb = PathBuilder::new();
    for (x0, y0) in [(90.0_f32, 300.0_f32), (90.0, 560.0), (90.0, 820.0)] {
        let (cos, sin) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let mut advance = 0.0;
        for c in text.chars() {
            let Some(gid) = charmap.map(c) else { continue };
            if let Some(glyph) = outlines.get(gid) {
                let mut pen = Pen { pb: &mut pb, at: (x0, y0), dx: advance, cos, sin };
                let settings = skrifa::outline::DrawSettings::unhinted(size, LocationRef::default());
                glyph.draw(settings, &mut pen).map_err(|e| ReportError::Render(format!("{e:?}")))?;
            }
            advance += metrics.advance_width(gid).unwrap_or(26.0);
        }
    }
    Ok(pb.finish())
}

/// Paints the watermark under the page as a pattern of the page's size: the same pattern on every page, so the PDF
/// holds its shapes once.
fn draw_watermark(s: &mut Surface<'_>, mark: &krilla::geom::Path) {
    let mut builder = s.stream_builder();
    let mut inner = builder.surface();
    inner.set_fill(Some(fill(200, 60, 60, 0.07)));
    inner.draw_path(mark);
    inner.finish();
    let pattern = krilla::paint::Pattern {
        stream: builder.finish(),
        transform: Default::default(),
        width: PAGE_W,
        height: PAGE_H,
    };
    if let Some(page) = rect(0.0, 0.0, PAGE_W, PAGE_H) {
        s.set_fill(Some(Fill { paint: pattern.into(), opacity: NormalizedF32::ONE, rule: Default::default() }));
        s.draw_path(&page);
    }
}

/// Draws glyph outlines (font space: y up) into a path on the page (y down), `dx` along a baseline from `at`
/// rising at the angle whose cosine and sine are given.
struct Pen<'a> {
    pb: &'a mut PathBuilder,
    at: (f32, f32),
    dx: f32,
    cos: f32,
    sin: f32,
}

impl Pen<'_> {
    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let (u, v) = (x + self.dx, y);
        (self.at.0 + u * self.cos - v * self.sin, self.at.1 - (u * self.sin + v * self.cos))
    }
}

impl skrifa::outline::OutlinePen for Pen<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.pb.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.pb.line_to(x, y);
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        let ((a, b), (x, y)) = (self.map(cx0, cy0), self.map(x, y));
        self.pb.quad_to(a, b, x, y);
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        let ((a, b), (c, d), (x, y)) = (self.map(cx0, cy0), self.map(cx1, cy1), self.map(x, y));
        self.pb.cubic_to(a, b, c, d, x, y);
    }
    fn close(&mut self) {
        self.pb.close();
    }
}

fn draw_qr(s: &mut Surface<'_>, qr: &qrcode::QrCode) {
    let n = qr.width();
    let quiet = 2.0;
    let cell = QR_SIDE / (n as f32 + 2.0 * quiet);
    let colors = qr.to_colors();
    let mut pb = PathBuilder::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = ((i % n) as f32 + quiet, (i / n) as f32 + quiet);
            if let Some(r) = Rect::from_xywh(QR_X + x * cell, QR_Y + y * cell, cell, cell) {
                pb.push_rect(r);
            }
        }
    }
    if let Some(p) = pb.finish() {
        s.set_fill(Some(fill(0, 0, 0, 1.0)));
        s.draw_path(&p);
    }
}

/// The files attached to a PDF (its `EmbeddedFiles` name tree), by name.
pub fn attachments(pdf: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let bad = |what: &str| ReportError::NotAReport(what.to_string());
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| ReportError::NotAReport(format!("无法读取 PDF:{e}")))?;
    fn deref<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> Result<&'a lopdf::Object, ReportError> {
        doc.dereference(o).map(|(_, o)| o).map_err(|_| ReportError::NotAReport("对象引用无效".into()))
    }
    let catalog = doc.catalog().map_err(|_| bad("没有文档目录"))?;
    let names =
        deref(&doc, catalog.get(b"Names").map_err(|_| bad("没有附件"))?)?.as_dict().map_err(|_| bad("Names"))?;
    let tree = deref(&doc, names.get(b"EmbeddedFiles").map_err(|_| bad("没有附件"))?)?;
    let mut out = Vec::new();
    let mut nodes = vec![tree];
    // The name tree: leaves with `Names` [name, filespec …], inner nodes with `Kids` (bounded walk).
    let mut seen = 0;
    while let Some(node) = nodes.pop() {
        seen += 1;
        if seen > 1000 {
            return Err(bad("附件目录过深"));
        }
        let node = node.as_dict().map_err(|_| bad("附件目录"))?;
        if let Ok(kids) = node.get(b"Kids").and_then(|k| k.as_array()) {
            for k in kids {
                nodes.push(deref(&doc, k)?);
            }
        }
        let Ok(pairs) = node.get(b"Names").and_then(|n| n.as_array()) else { continue };
        for pair in pairs.chunks(2) {
            let [name, spec] = pair else { return Err(bad("附件目录")) };
            let name = String::from_utf8_lossy(deref(&doc, name)?.as_str().map_err(|_| bad("附件名"))?).into_owned();
            let spec = deref(&doc, spec)?.as_dict().map_err(|_| bad("附件说明"))?;
            let ef = deref(&doc, spec.get(b"EF").map_err(|_| bad("附件内容"))?)?.as_dict().map_err(|_| bad("EF"))?;
            let stream =
                deref(&doc, ef.get(b"F").map_err(|_| bad("附件内容"))?)?.as_stream().map_err(|_| bad("附件流"))?;
            let data = if stream.dict.get(b"Filter").is_ok() {
                stream.decompressed_content().map_err(|_| bad("附件无法解压"))?
            } else {
                stream.content.clone()
            };
            out.push((name, data));
        }
    }
    Ok(out)
}
