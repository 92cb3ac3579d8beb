//! Moving a store whole: `credo export-store` writes every table's rows as JSON lines, `credo import-store` reads them
//! into an empty store of either backend (SQLite → PostgreSQL, or back). Run while no one writes (servers stopped):
//! each table is read in one pass, not all of them in one snapshot.
//!
//! The file: a first line `{"format":"credo-store","version":1}`, then one line per row `{"t":TABLE,"r":{column:
//! value}}` in the order of [`credo_store::TABLES`] (foreign keys first), then `{"end":{"counts":{TABLE:N}}}`. An
//! import without the last line, or whose counts differ, is reported as incomplete. Sealed fields stay sealed: the
//! target must be opened with the same keyring.

use std::collections::BTreeMap;
use std::io::{BufRead, Read as _, Write};

use credo_store::{Row, Store, TABLES};
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error};

/// Rows written in one statement batch on import.
const IMPORT_BATCH: usize = 2_000;
/// The longest line an export may hold (an evidence file of 20 MiB, sealed and base64-encoded, fits).
const MAX_LINE: usize = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
struct Line {
    t: String,
    r: Row,
}

#[derive(Serialize, Deserialize)]
struct End {
    end: Counts,
}

#[derive(Serialize, Deserialize)]
struct Counts {
    counts: BTreeMap<String, u64>,
}

/// An export's lines, read one at a time, each at most [`MAX_LINE`] bytes.
struct Lines<'a> {
    input: &'a mut (dyn BufRead + Send),
    line: String,
    number: usize,
}

impl Lines<'_> {
    /// Reads the next line into `self.line`; `false` at the end.
    fn next(&mut self) -> anyhow::Result<bool> {
        self.line.clear();
        let n = (&mut *self.input).take(MAX_LINE as u64 + 1).read_line(&mut self.line)?;
        self.number += 1;
        if n > MAX_LINE {
            return Err(Error::new(Code::InvalidRequest, format!("第 {} 行超过 {MAX_LINE} 字节", self.number)).into());
        }
        Ok(n > 0)
    }
}

fn bad(what: &str) -> anyhow::Error {
    Error::new(Code::InvalidRequest, format!("不是 credo export-store 的文件:{what}")).into()
}

/// Writes every row of `store` to `out`; returns the rows per table.
pub async fn export(store: &dyn Store, out: &mut (dyn Write + Send)) -> anyhow::Result<BTreeMap<String, u64>> {
    serde_json::to_writer(&mut *out, &Header { format: "credo-store".into(), version: 1 })?;
    out.write_all(b"\n")?;
    let mut counts = BTreeMap::new();
    for (table, _) in TABLES {
        let mut failed = None;
        let n = store
            .export_table(table, &mut |r| {
                let line = Line { t: table.to_string(), r };
                if let Err(e) = serde_json::to_writer(&mut *out, &line)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    failed.get_or_insert(e);
                }
                Ok(())
            })
            .await?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        counts.insert(table.to_string(), n);
    }
    serde_json::to_writer(&mut *out, &End { end: Counts { counts: counts.clone() } })?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(counts)
}

/// Reads an export into `store`, which must be empty; returns the rows per table. Refuses (before writing anything)
/// a store that holds data and a file that is not an export; reports a file cut short or whose counts differ.
pub async fn import(store: &dyn Store, input: &mut (dyn BufRead + Send)) -> anyhow::Result<BTreeMap<String, u64>> {
    if !store.is_empty().await? {
        return Err(Error::new(Code::Conflict, "目标存储不是空的:只能导入到新建的空存储(先运行 credo migrate)").into());
    }
    let mut reader = Lines { input, line: String::new(), number: 0 };
    if !reader.next()? {
        return Err(bad("文件为空"));
    }
    let header: Header = serde_json::from_str(&reader.line).map_err(|_| bad("第一行不是文件头"))?;
    if header.format != "credo-store" || header.version != 1 {
        return Err(bad("格式或版本不符"));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let (mut table, mut rows): (Option<String>, Vec<Row>) = (None, Vec::new());
    let order: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
    let end = loop {
        if !reader.next()? {
            break None;
        }
        if let Ok(end) = serde_json::from_str::<End>(&reader.line) {
            break Some(end.end.counts);
        }
        let lines = reader.number;
        let Line { t, r } = serde_json::from_str(&reader.line).map_err(|e| bad(&format!("第 {lines} 行:{e}")))?;
        if table.as_deref() != Some(t.as_str()) {
            if let Some(done) = &table {
                store.import_rows(done, &rows).await?;
                rows.clear();
                let (before, after) = (order.iter().position(|x| x == done), order.iter().position(|x| *x == t));
                if after.is_none() || after <= before {
                    return Err(bad(&format!("第 {lines} 行:表 {t} 不在应有的位置")));
                }
            }
            table = Some(t.clone());
        }
        *counts.entry(t).or_default() += 1;
        rows.push(r);
        if rows.len() >= IMPORT_BATCH {
            store.import_rows(table.as_deref().unwrap_or_default(), &rows).await?;
            rows.clear();
        }
    };
    if let Some(done) = &table {
        store.import_rows(done, &rows).await?;
    }
    store.finish_import().await?;
    let Some(expected) = end else {
        return Err(
            Error::new(Code::InvalidRequest, "文件不完整(缺少结尾行):已导入的部分不可用,请重建空库后重新导入").into()
        );
    };
    let expected: BTreeMap<String, u64> = expected.into_iter().filter(|(_, n)| *n > 0).collect();
    if expected != counts {
        return Err(
            Error::new(Code::InvalidRequest, format!("行数与文件结尾不符:文件 {expected:?},导入 {counts:?}")).into()
        );
    }
    Ok(counts)
}
