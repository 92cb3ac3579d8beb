//! The ingest pipeline, shared by `credo import` and `POST /api/v1/batches`:
//! header mapping → validation (every problem of every row collected) → store in chunks (one transaction each)
//! → change feed → search index. Valid rows are accepted, invalid rows rejected with their row-level report;
//! nothing is half-written and nothing is silently dropped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use credo_domain::catalog::{Item, ValidationContext};
use credo_domain::resolution::{Candidate, Keys, Resolution, by_name_in_region, resolve};
use credo_import::{HeaderMap, Row, RowError, Table};
use credo_store::{BatchSummary, Department, Incoming, IngestedRow, Outcome, ReportLine};

use crate::{App, feed};

/// Rows per store transaction.
pub const CHUNK: usize = 5000;

/// Why a batch could not be processed at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Unusable(#[from] credo_import::ImportError),
    #[error("{0}")]
    Store(#[from] credo_store::StoreError),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

/// A text of the department's input as the batch keeps it: with any ID number in it masked. The report, the
/// batch's file name and its audit line are stored and shown, and whatever they echo of the input (a column name
/// that is an ID number, a cell value quoted in a message, the file's or a sheet's name) passes here first.
fn masked(text: &str) -> String {
    credo_domain::masking::mask_id_numbers(text).into_owned()
}

/// One line of a batch's report, the only way one is made: its `column` (a header from the file) and its `message`
/// (which may quote values, headers and names from the file) are masked ([`masked`]).
fn line(row: usize, column: &str, code: &str, message: String, severity: &str) -> ReportLine {
    let message = match credo_domain::masking::mask_id_numbers(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(masked) => masked,
    };
    ReportLine { row, column: masked(column), code: code.to_string(), message, severity: severity.to_string() }
}

/// Warning lines of one kind (one code) listed row by row; beyond this one line counts the rest, so that a file
/// whose every row draws the same warning gets a readable report of bounded size. Errors are always listed.
const WARNING_LINES: usize = 1000;

/// A batch's report as it is built.
#[derive(Default)]
struct Report {
    lines: Vec<ReportLine>,
    /// Warnings by code, listed or not.
    warnings: HashMap<String, usize>,
}

impl Report {
    fn push(&mut self, l: ReportLine) {
        if l.severity == "warning" {
            let n = self.warnings.entry(l.code.clone()).or_default();
            *n += 1;
            if *n > WARNING_LINES {
                return;
            }
        }
        self.lines.push(l);
    }

    /// The lines in row order, with one line per kind of warning that had more than [`WARNING_LINES`].
    fn finish(mut self) -> Vec<ReportLine> {
        let mut more: Vec<(String, usize)> = self
            .warnings
            .into_iter()
            .filter(|(_, n)| *n > WARNING_LINES)
            .map(|(c, n)| (c, n - WARNING_LINES))
            .collect();
        more.sort();
        for (code, n) in more {
            let message = format!("另有 {n} 行同样的提示“{}”(逐行说明只列前 {WARNING_LINES} 行)", issue_label(&code));
            self.lines.push(line(1, "", &code, message, "warning"));
        }
        self.lines.sort_by_key(|l| l.row);
        self.lines
    }
}

fn column_label<'a>(map: &'a HeaderMap, item: &'a Item, field: Option<&'a str>) -> &'a str {
    match field {
        Some(f) => map.column_of(f).or_else(|| item.field(f).map(|x| x.name.as_str())).unwrap_or(f),
        None => "",
    }
}

/// Runs one batch. `progress` is called with the number of rows processed so far.
#[tracing::instrument(level = "info", skip_all, fields(item = %item.code, department = department.id, channel))]
pub async fn run(
    app: &App,
    item: &Item,
    department: &Department,
    table: &Table<'_>,
    channel: &str,
    file_name: Option<&str>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<BatchSummary, IngestError> {
    Ok(run_tracked(app, item, department, table, channel, file_name, progress).await?.0)
}

/// [`run`], with the record each stored row became (or was a duplicate of): `(row, record id)`.
pub async fn run_tracked(
    app: &App,
    item: &Item,
    department: &Department,
    table: &Table<'_>,
    channel: &str,
    file_name: Option<&str>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(BatchSummary, Vec<(usize, i64)>), IngestError> {
    let mut records = Vec::new();
    let map = HeaderMap::new(item, &table.headers)?;
    // The file's name is stored with the batch and in the audit trail: masked like the report.
    let file_name = file_name.map(masked);
    let file_name = file_name.as_deref();
    let batch = app.store.open_batch(department.id, &item.code, channel, file_name).await?;
    let mut report = Report::default();
    let ctx = app.catalog.context(app.clock.today());
    let mut summary = BatchSummary {
        batch,
        department: department.uscc.clone(),
        item: item.code.clone(),
        rows: 0,
        accepted: 0,
        rejected: 0,
        duplicates: 0,
        unresolved: 0,
        report: Vec::new(),
        interrupted: false,
    };
    // Validation of the next chunk overlaps with the store writing the previous one (SQLite works on its own
    // thread); chunks are still stored strictly in order.
    let mut done = 0;
    let (mut validate_time, mut store_wait) = (Duration::ZERO, Duration::ZERO);
    let mut pending: Option<(usize, tokio::task::JoinHandle<StoreResult>)> = None;
    let mut rows = table.rows.iter();
    let mut exhausted = false;
    let mut last_row = 1;
    // Non-empty cells of unmapped columns, by column: reported once each at the end.
    let mut carrying: HashMap<String, usize> = HashMap::new();
    loop {
        let started = Instant::now();
        // Reading and validating a chunk is CPU work: one of the bounded slots, off the async workers. The slot is
        // held per chunk, not while the store writes, so that a long batch does not keep sign-ins (argon2) and
        // other uploads waiting for its whole run.
        let slot = crate::offload::slot(app).await;
        let next = crate::offload::blocking(|| {
            let mut chunk = Vec::with_capacity(CHUNK);
            while !exhausted && chunk.len() < CHUNK {
                match rows.next() {
                    Some(Ok(row)) => {
                        last_row = row.0;
                        chunk.push(row);
                    }
                    Some(Err(RowError::Row { row, error })) => {
                        // This row breaks a limit: rejected as a row, the file goes on.
                        last_row = row;
                        summary.rows += 1;
                        summary.rejected += 1;
                        report.push(line(row, "", error.code(), error.to_string(), "error"));
                    }
                    Some(Err(RowError::Fatal(e))) => {
                        // The rest of the file cannot be read: say so at the row after the last one read.
                        report.push(line(
                            last_row + 1,
                            "",
                            e.code(),
                            format!("第{}行起无法读取:{e}", last_row + 1),
                            "stopped",
                        ));
                        exhausted = true;
                    }
                    None => exhausted = true,
                }
            }
            summary.rows += chunk.len();
            (!chunk.is_empty())
                .then(|| {
                    let incoming =
                        validate_chunk(item, &map, &ctx, department, &chunk, &mut summary, &mut report, &mut carrying);
                    // What the store derives from the rows alone, here rather than in its write transaction.
                    Ok::<_, credo_store::StoreError>((chunk.len(), app.store.prepare(incoming)?))
                })
                .transpose()
        });
        let next = next?;
        drop(slot);
        validate_time += started.elapsed();
        if let Some((n, handle)) = pending.take() {
            let started = Instant::now();
            let stored = handle.await.map_err(|e| anyhow::anyhow!(e))??;
            records.extend(stored.iter().map(|r| (r.row, r.record_id)));
            collect(stored, &mut summary, &mut report);
            store_wait += started.elapsed();
            done += n;
            progress(done);
        }
        let Some((n, incoming)) = next else { break };
        let store = app.store.clone();
        let dept_id = department.id;
        pending = Some((n, tokio::spawn(async move { store.ingest_prepared(batch, dept_id, &incoming).await })));
    }
    for header in map.unmapped() {
        if let Some(n) = carrying.get(header) {
            report.push(line(
                1,
                header,
                "unmapped_column",
                format!("列“{header}”不对应目录“{}”的任何字段,{n}行的该列数据已随记录原样保存,但不会公示", item.name),
                "warning",
            ));
        }
    }
    summary.report = report.finish();
    app.store.close_batch(&summary).await?;
    app.store
        .append_audit(&credo_store::AuditEvent {
            actor: channel.to_string(),
            role: "department".into(),
            department: Some(department.uscc.clone()),
            action: "batch.submit".into(),
            target: Some(format!("batch:{batch} item:{}", item.code)),
            purpose: Some("信用信息归集".into()),
            result: format!(
                "rows={} accepted={} rejected={} duplicates={}",
                summary.rows, summary.accepted, summary.rejected, summary.duplicates
            ),
            client: file_name.map(str::to_string),
        })
        .await?;
    let resolved = resolve_queue(app).await?;
    // Indexed once the batch is stored: a subject with many records in it is indexed once, not once per chunk.
    let started = Instant::now();
    feed::sync_search(app).await?;
    // Checks answer from the restriction index: this process's own batches count at once; so do grades.
    app.index.sync(app).await?;
    if let Err(e) = crate::grades::follow_changes(app).await {
        tracing::warn!(error = %e.detail, "grades not brought up to date after the batch (the follower will)");
    }
    feed::follow_records(app).await;
    tracing::info!(
        batch,
        rows = summary.rows,
        validate_ms = validate_time.as_millis() as u64,
        store_wait_ms = store_wait.as_millis() as u64,
        index_ms = started.elapsed().as_millis() as u64,
        resolved_from_queue = resolved,
        "batch processed"
    );
    Ok((summary, records))
}

/// Closes the batches that a crashed process left open (see [`credo_store::RecordStore::recover_batches`]) and records
/// each in the audit trail; called whenever the data directory is opened.
#[tracing::instrument(level = "info", skip_all)]
pub async fn recover(app: &App) -> Result<usize, IngestError> {
    let recovered = app.store.recover_batches().await?;
    for b in &recovered {
        tracing::warn!(batch = b.batch, accepted = b.accepted, "interrupted batch closed");
        app.store
            .append_audit(&credo_store::AuditEvent {
                actor: "credo".into(),
                role: "system".into(),
                department: Some(b.department.clone()),
                action: "batch.interrupted".into(),
                target: Some(format!("batch:{} item:{}", b.batch, b.item)),
                purpose: Some("信用信息归集".into()),
                result: format!("interrupted: accepted={} (rows committed before the process stopped)", b.accepted),
                client: None,
            })
            .await?;
    }
    Ok(recovered.len())
}

/// How many queued records one pass looks at.
const QUEUE_PASS: i64 = 10_000;

/// Tries the unresolved queue again (after a batch may have brought the subjects it waits for), in the order of
/// [`credo_domain::resolution`]: the primary code, the legacy codes, then the normalised name within the region.
/// Returns how many records were linked.
///
/// One difference from ingest and re-keying, kept as it was: a queued record that carries a primary code no subject
/// has (re-keying leaves such records here, since it creates no subjects) is still tried by name, where `resolve`
/// would call it a [`Resolution::NewSubject`] and never give it to a namesake. Whether the queue should follow that
/// rule too is a decision about the resolution order, not this pass's to make silently.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve_queue(app: &App) -> Result<usize, IngestError> {
    let mut linked = 0;
    for r in app.store.unresolved(None, QUEUE_PASS, 0).await? {
        let Some(item) = app.catalog.item(&r.item) else { continue };
        let s = item.subject_ref(&r.fields);
        let keys =
            Keys { primary: s.primary_code(), legacy: &s.legacy, name: &s.name_norm, region: s.region.as_deref() };
        // The codes in order, up to the first a subject carries (the store is asked one code at a time).
        let mut known: HashMap<&str, i64> = HashMap::new();
        for code in keys.codes() {
            if let Some(subject) = app.store.subject_by_code(code).await? {
                known.insert(code, subject.id);
                break;
            }
        }
        let candidates: Vec<Candidate> = if known.is_empty() {
            app.store.subjects_by_name(&s.name_norm).await?.into_iter().map(|x| (x.id, x.region)).collect()
        } else {
            Vec::new()
        };
        let found = match resolve(&keys, |code| known.get(code).copied(), |_| candidates.as_slice()) {
            // The queue's own rule (see above): the name, even with a primary code.
            Resolution::NewSubject => by_name_in_region(&candidates, keys.region),
            found => found,
        };
        if let Some(subject_id) = found.subject()
            && app.store.assign_subject(r.id, subject_id).await?
        {
            linked += 1;
        }
    }
    Ok(linked)
}

type StoreResult = Result<Vec<IngestedRow>, credo_store::StoreError>;

/// Validates one chunk of rows: valid ones become [`Incoming`], problems go to the report.
#[expect(clippy::too_many_arguments, reason = "the pipeline's state, passed explicitly")]
fn validate_chunk(
    item: &Item,
    map: &HeaderMap,
    ctx: &ValidationContext<'_>,
    department: &Department,
    chunk: &[Row],
    summary: &mut BatchSummary,
    report: &mut Report,
    carrying: &mut HashMap<String, usize>,
) -> Vec<Incoming> {
    let mut incoming = Vec::with_capacity(chunk.len());
    for (number, cells) in chunk {
        let mapped = map.map_row(*number, cells);
        for (header, _) in &mapped.extras {
            *carrying.entry(header.clone()).or_default() += 1;
        }
        if mapped.stray_cells > 0 {
            report.push(line(
                *number,
                "",
                "extra_cells",
                format!("第{number}行比表头多出{}个非空单元格,无法确定其所属字段", mapped.stray_cells),
                "error",
            ));
            summary.rejected += 1;
            continue;
        }
        match item.validate(&mapped.values, ctx) {
            Ok(record) => {
                for w in &record.warnings {
                    let column = column_label(map, item, w.field.as_deref());
                    report.push(line(*number, column, &w.code, w.message.clone(), "warning"));
                }
                if let Some(src) = &record.source_uscc
                    && src != &department.uscc
                {
                    report.push(line(
                        *number,
                        column_label(map, item, item.source.as_ref().map(|s| s.uscc.as_str())),
                        "source_mismatch",
                        format!(
                            "数据来源单位统一社会信用代码“{src}”与提交部门“{}”不一致,记录按提交部门归集",
                            department.uscc
                        ),
                        "warning",
                    ));
                }
                incoming.push(Incoming {
                    row: *number,
                    record,
                    extras: mapped.extras,
                    registration: item.registration,
                });
            }
            Err(issues) => {
                summary.rejected += 1;
                for i in issues {
                    report.push(line(
                        *number,
                        column_label(map, item, i.field.as_deref()),
                        &i.code,
                        i.message,
                        "error",
                    ));
                }
            }
        }
    }
    incoming
}

/// Counts what the store did with a chunk; unresolved and duplicate rows get a report line (each with the batch
/// that holds it).
fn collect(stored: Vec<IngestedRow>, summary: &mut BatchSummary, report: &mut Report) {
    for r in stored {
        match r.outcome {
            Outcome::Duplicate => {
                summary.duplicates += 1;
                let (code, message) = match r.existing_batch {
                    Some(b) if b != summary.batch => {
                        ("already_accepted", format!("与批次 {b} 中已接收的记录完全相同,未重复保存"))
                    }
                    _ => ("duplicate_row", "与本批次前面的一行完全相同,未重复保存".to_string()),
                };
                report.push(line(r.row, "", code, message, "warning"));
            }
            Outcome::Created | Outcome::Versioned => summary.accepted += 1,
        }
        if r.subject_id.is_none() {
            summary.unresolved += 1;
            report.push(line(
                r.row,
                "",
                "unresolved_subject",
                "未能按代码或名称匹配到信用主体,记录已保存并进入待匹配队列".to_string(),
                "warning",
            ));
        }
    }
}

/// A report line's code ([`ReportLine::code`], stable for programs) as a person reads it: the kind of problem.
/// The catalog's own conditional rules (`fine_amount_required` …) read as what they check.
pub fn issue_label(code: &str) -> &'static str {
    match code {
        "required" => "必填项缺失",
        "too_long" | "cell_too_long" => "内容超长",
        "invalid_date" | "invalid_year" => "日期格式错误",
        "date_in_future" => "日期晚于今日",
        "invalid_money" => "金额格式错误",
        "invalid_enum" => "取值不在规定范围内",
        "empty" => "代码为空",
        "invalid_length" => "代码位数错误",
        "invalid_character" => "代码含非法字符",
        "invalid_region" => "行政区划代码错误",
        "invalid_org_code_check" | "invalid_checksum" => "代码校验位错误",
        "invalid_birth_date" | "birth_date_in_future" => "证件号码中的出生日期错误",
        "unknown_format" => "代码格式无法识别",
        "extra_cells" => "单元格多于表头",
        "unmapped_column" => "列名未对应任何字段",
        "already_accepted" => "与已接收的记录相同",
        "duplicate_row" => "与本批次的行重复",
        "unresolved_subject" => "主体待匹配",
        "source_mismatch" => "数据来源单位与提交部门不一致",
        "row_too_long" | "too_many_columns" | "too_many_rows" | "unpacked_too_large" => "超出文件大小限制",
        "empty_file" | "no_matching_header" | "no_such_sheet" => "文件内容无法识别",
        "unknown_encoding" | "unreadable_csv" | "unreadable_xlsx" | "unreadable_json" => "文件无法读取",
        c if c.ends_with("_required") => "条件必填项缺失",
        _ => "不符合填报规则",
    }
}

/// Writes a report as CSV (UTF-8 with BOM so that Excel opens it correctly; no cell runs as a formula).
pub fn report_csv(report: &[ReportLine]) -> Vec<u8> {
    let rows: Vec<[String; 5]> = report
        .iter()
        .map(|l| {
            let level = match l.severity.as_str() {
                "error" => "错误",
                "stopped" => "中止(其后各行未导入)",
                _ => "提示",
            };
            [l.row.to_string(), l.column.clone(), l.code.clone(), l.message.clone(), level.to_string()]
        })
        .collect();
    crate::spreadsheet::csv(
        &["行号", "列", "错误代码", "说明", "级别"],
        rows.iter().map(|r| r.iter().map(String::as_str)),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A warning that every row draws is listed for the first rows and counted for the rest; errors are all
    /// listed, and the lines come in row order.
    #[test]
    fn repeated_warnings_are_counted_beyond_the_first_lines_and_errors_are_all_listed() {
        let mut report = Report::default();
        for row in (2..2 + 1500).rev() {
            report.push(line(row, "", "source_mismatch", "数据来源单位不一致".into(), "warning"));
            report.push(line(row, "", "required", "必填".into(), "error"));
        }
        report.push(line(7, "", "unresolved_subject", "待匹配".into(), "warning"));
        let lines = report.finish();
        let count = |code: &str| lines.iter().filter(|l| l.code == code).count();
        assert_eq!(count("required"), 1500);
        assert_eq!(count("unresolved_subject"), 1);
        assert_eq!(count("source_mismatch"), WARNING_LINES + 1);
        let summary = lines.iter().find(|l| l.code == "source_mismatch" && l.row == 1).unwrap();
        assert!(summary.message.contains("另有 500 行"), "{}", summary.message);
        assert!(lines.windows(2).all(|w| w[0].row <= w[1].row));
    }
}
