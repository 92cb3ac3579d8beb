//! Open exports (`credo export`): every record the public may see today ([`exchange::open_record`]), as
//!
//! * `jsonl`: one [`exchange::OpenRecord`] per line;
//! * `csv`: one item, the national template's headers (the public fields' standard names, in the catalog's order)
//!   after the record's number and version, and the last day shown; UTF-8 with a BOM, formula-safe cells;
//! * `ftm`: FollowTheMoney entities as JSON lines (the format of OpenSanctions and Aleph): a `Company`,
//!   `Organization` or `Person` per subject (a person's ID number masked, as the website shows it) and a `Sanction`
//!   per penalty or list entry, with its authority, programme (the item), dates and source page. Records of other
//!   items (licences, red lists, grades of sectors) have no FollowTheMoney form: they are counted as `skipped`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;

use credo_domain::catalog::{Item, SubjectKind};
use credo_store::Subject;
use serde::Serialize;
use serde_json::{Value, json};
use time::Date;

use crate::error::{Code, Error};
use crate::exchange::{self, Audience, OpenRecord, OpenSubject};
use crate::{App, offload, reports, spreadsheet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    Ftm,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::Jsonl),
            "ftm" => Some(Format::Ftm),
            _ => None,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Written {
    /// Records written.
    pub records: usize,
    /// FollowTheMoney entities written (subjects and sanctions).
    pub entities: usize,
    /// Records shown but with no form in this format (FollowTheMoney: items that are not sanctions).
    pub skipped: usize,
}

/// Items whose records are sanctions in FollowTheMoney's sense: penalties and the lists of 失信 and 异常.
pub const SANCTIONS: [&str; 8] = ["xzcf", "yzsx", "jyyc", "sxbzxr", "xzxf", "zdss", "zfcgsx", "qxgz"];

const PAGE: i64 = 5_000;

/// Writes what the public may see today of `items` (empty: every item; `csv`: exactly one) to `out`.
pub async fn export(
    app: &App,
    format: Format,
    items: &BTreeSet<String>,
    out: &mut dyn Write,
) -> Result<Written, Error> {
    let items: Vec<String> =
        if items.is_empty() { app.catalog.items.keys().cloned().collect() } else { items.iter().cloned().collect() };
    if format == Format::Csv && items.len() != 1 {
        return Err(Error::new(Code::InvalidRequest, "CSV 按国家标准模板逐项导出:请用 --item 指定一个目录项"));
    }
    let day = app.clock.today();
    let base = reports::public_url();
    let mut written = Written::default();
    let mut subjects_done: HashSet<i64> = HashSet::new();
    for item in &items {
        let def =
            app.catalog.item(item).ok_or_else(|| Error::new(Code::InvalidRequest, format!("未知的目录项“{item}”")))?;
        if format == Format::Csv {
            out.write_all(&csv_head(def)?).map_err(io)?;
        }
        let sanctions = SANCTIONS.contains(&item.as_str());
        pages(app, Audience::Public, item, day, |page| {
            written.records += page.len();
            let buf = match format {
                Format::Jsonl => jsonl(page)?,
                Format::Csv => csv_body(def, page)?,
                Format::Ftm if !sanctions => {
                    written.skipped += page.len();
                    return Ok(());
                }
                Format::Ftm => {
                    let mut buf = Vec::new();
                    for open in page {
                        if subjects_done.insert(open.subject.id) {
                            line(&mut buf, &ftm_subject(&open.subject, &base))?;
                            written.entities += 1;
                        }
                        line(&mut buf, &ftm_sanction(open, &base))?;
                        written.entities += 1;
                    }
                    buf
                }
            };
            out.write_all(&buf).map_err(io)
        })
        .await?;
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// Every record of `item` that `audience` sees on `day`, in record order, a page at a time. `each` runs off the
/// async workers ([`offload::blocking`]): it may format, compress and write.
pub(crate) async fn pages(
    app: &App,
    audience: Audience,
    item: &str,
    day: Date,
    mut each: impl FnMut(&[OpenRecord]) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut after = 0;
    loop {
        let chunk = app.reader.records_of_items(&[item], after, PAGE).await?;
        let Some(last) = chunk.last() else { return Ok(()) };
        after = last.id;
        let ids: Vec<i64> = chunk.iter().filter_map(|r| r.subject_id).collect::<BTreeSet<_>>().into_iter().collect();
        let subjects: HashMap<i64, Subject> =
            app.reader.subjects_by_ids(&ids).await?.into_iter().map(|s| (s.id, s)).collect();
        offload::blocking(|| {
            let page: Vec<OpenRecord> = chunk
                .iter()
                .filter_map(|r| {
                    let s = subjects.get(&r.subject_id?)?;
                    exchange::open_record(&app.catalog, audience, r, s, day)
                })
                .collect();
            if page.is_empty() { Ok(()) } else { each(&page) }
        })?;
    }
}

/// The CSV file's start for one item: the byte-order mark and the national template's headers (the public fields'
/// standard names in the catalog's order) between the record's number and version and the last day shown.
pub(crate) fn csv_head(def: &Item) -> Result<Vec<u8>, Error> {
    let mut head = vec!["记录编号", "版本"];
    head.extend(def.fields.iter().filter(|f| f.public).map(|f| f.name.as_str()));
    head.push("公示截止日期");
    spreadsheet::csv_header(&head).map_err(io)
}

/// Records as rows under [`csv_head`].
pub(crate) fn csv_body(def: &Item, page: &[OpenRecord]) -> Result<Vec<u8>, Error> {
    let rows = page.iter().map(|open| {
        let mut row: Vec<String> = vec![open.id.to_string(), open.version.to_string()];
        row.extend(
            def.fields
                .iter()
                .filter(|f| f.public)
                .map(|d| open.fields.iter().find(|f| f.code == d.code).map(|f| f.value.clone()).unwrap_or_default()),
        );
        row.push(open.shown_until.clone().unwrap_or_default());
        row
    });
    let rows: Vec<Vec<String>> = rows.collect();
    spreadsheet::csv_rows(rows.iter().map(|r| r.iter().map(String::as_str))).map_err(io)
}

/// Records as JSON lines.
pub(crate) fn jsonl(page: &[OpenRecord]) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    for open in page {
        line(&mut buf, open)?;
    }
    Ok(buf)
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("写出失败:{e}"))
}

fn line(buf: &mut Vec<u8>, v: &impl Serialize) -> Result<(), Error> {
    serde_json::to_writer(&mut *buf, v).map_err(io)?;
    buf.push(b'\n');
    Ok(())
}

/// The FollowTheMoney id of a subject: stable across exports.
fn subject_id(id: i64) -> String {
    format!("xn-credo-subject-{id}")
}

/// A subject as a FollowTheMoney entity: a `Person` (its ID number as the public sees it), a `Company` (enterprises
/// and 个体工商户) or an `Organization` (机关, 事业单位, 社会组织).
pub fn ftm_subject(s: &OpenSubject, base: &str) -> Value {
    let mut props = serde_json::Map::new();
    props.insert("name".into(), json!([s.name]));
    props.insert("country".into(), json!(["cn"]));
    props.insert("sourceUrl".into(), json!([format!("{base}/subjects/{}", s.id)]));
    let schema = match s.kind {
        SubjectKind::Person => {
            if let Some(c) = &s.code {
                props.insert("idNumber".into(), json!([c]));
            }
            "Person"
        }
        kind => {
            if let Some(c) = &s.code {
                props.insert("registrationNumber".into(), json!([c]));
            }
            props.insert("jurisdiction".into(), json!(["cn"]));
            let company = matches!(kind, SubjectKind::IndividualBusiness)
                || s.code.as_deref().is_some_and(|c| c.starts_with("91") || c.starts_with("92"));
            if company { "Company" } else { "Organization" }
        }
    };
    json!({ "id": subject_id(s.id), "schema": schema, "properties": props })
}

/// A penalty or list entry as a FollowTheMoney `Sanction` of its subject.
pub fn ftm_sanction(r: &OpenRecord, base: &str) -> Value {
    let mut props = serde_json::Map::new();
    props.insert("entity".into(), json!([subject_id(r.subject.id)]));
    props.insert("authority".into(), json!([r.department]));
    props.insert("program".into(), json!([r.item_name]));
    props.insert("country".into(), json!(["cn"]));
    props.insert("sourceUrl".into(), json!([format!("{base}/records/{}", r.id)]));
    props.insert("listingDate".into(), json!([&r.received_at[..10.min(r.received_at.len())]]));
    if let Some(d) = &r.decided_on {
        props.insert("startDate".into(), json!([d]));
    }
    if let Some(d) = &r.shown_until {
        props.insert("endDate".into(), json!([d]));
    }
    // The record's public fields in one text: what was done, on what grounds, and the decision.
    let summary: Vec<String> = r.fields.iter().map(|f| format!("{}:{}", f.name, f.value)).collect();
    if !summary.is_empty() {
        props.insert("summary".into(), json!([summary.join(";")]));
    }
    json!({ "id": format!("xn-credo-record-{}", r.id), "schema": "Sanction", "properties": props })
}
