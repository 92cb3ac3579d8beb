//! Benchmark ceiling for `credo import`: the raw insert rate of the same rows through the same driver, with no
//! validation, resolution, versioning or indexing: each CSV row goes in as one JSON text.
//!
//! * SQLite (`DIR`): the store's settings (WAL, synchronous=NORMAL), multi-row INSERTs of 5,000 rows per transaction.
//! * PostgreSQL (`postgres://…`, an empty database): `COPY raw FROM STDIN` (text format) into a bare table (no
//!   index), 50,000 rows per `COPY`.
//!
//! * `--schema` (SQLite): the platform's own tables and indexes (its migrations), written as `credo import` writes
//!   them for new records — a subject and its code for each new code, the record's head, its first version and its
//!   change-feed entries — but with nothing else: no validation, no lookups in the store (codes are kept in a map),
//!   no sealing or digests. The ceiling the schema itself sets.
//!
//! `cargo run --release -p credo-store --example raw_insert -- FILE.csv DIR|postgres://… [--schema]`

use std::str::FromStr;
use std::time::Instant;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, QueryBuilder, Sqlite};

type Error = Box<dyn std::error::Error>;

/// Each row of the CSV file as its 行政处罚决定书文号 and the whole row as one JSON text, read as it is asked for.
fn json_rows(file: &str) -> Result<impl Iterator<Item = Result<(String, String), Error>>, Error> {
    let mut reader = csv::Reader::from_path(file)?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let key_col = headers.iter().position(|h| h == "行政处罚决定书文号").unwrap_or(0);
    Ok(reader.into_records().map(move |rec| {
        let rec = rec?;
        let obj: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.clone(), serde_json::Value::String(v.to_string())))
            .collect();
        Ok((rec.get(key_col).unwrap_or("").to_string(), serde_json::to_string(&obj)?))
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (file, dir) = match args.as_slice() {
        [_, f, d] => (f.clone(), d.clone()),
        [_, f, d, s] if s == "--schema" => return schema(f, d).await,
        _ => return Err("usage: raw_insert FILE.csv DIR|postgres://… [--schema]".into()),
    };
    if dir.starts_with("postgres://") {
        return copy(&file, &dir).await;
    }
    let mut conn = fresh_sqlite(&dir, "raw.sqlite", "-65536").await?;
    sqlx::query("CREATE TABLE raw (id INTEGER PRIMARY KEY, natural_key TEXT NOT NULL UNIQUE, fields TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let started = Instant::now();
    let mut rows: Vec<(String, String)> = Vec::with_capacity(5000);
    let mut total = 0usize;
    let mut insert_time = std::time::Duration::ZERO;
    for row in json_rows(&file)? {
        rows.push(row?);
        if rows.len() == 5000 {
            let t = Instant::now();
            flush(&mut conn, &rows).await?;
            insert_time += t.elapsed();
            total += rows.len();
            rows.clear();
        }
    }
    let t = Instant::now();
    flush(&mut conn, &rows).await?;
    insert_time += t.elapsed();
    total += rows.len();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"rows\": {total}, \"seconds\": {secs:.2}, \"rows_per_s\": {:.0}, \"insert_seconds\": {:.2}, \"insert_rows_per_s\": {:.0}}}",
        total as f64 / secs,
        insert_time.as_secs_f64(),
        total as f64 / insert_time.as_secs_f64()
    );
    Ok(())
}

/// A new database `file` in `dir` (one there before is removed) with the store's settings (WAL, synchronous=NORMAL)
/// and a page cache of `cache_size` (SQLite's pragma: negative is KiB).
async fn fresh_sqlite(dir: &str, file: &str, cache_size: &str) -> Result<sqlx::SqliteConnection, Error> {
    std::fs::create_dir_all(dir)?;
    let _ = std::fs::remove_file(format!("{dir}/{file}"));
    Ok(SqliteConnectOptions::from_str(&format!("sqlite://{dir}/{file}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", cache_size.to_string())
        .connect()
        .await?)
}

async fn flush(conn: &mut sqlx::SqliteConnection, rows: &[(String, String)]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = sqlx::Connection::begin(conn).await?;
    for chunk in rows.chunks(10_000) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO raw (natural_key, fields) ");
        q.push_values(chunk, |mut b, (k, f)| {
            b.push_bind(k.clone()).push_bind(f.clone());
        });
        q.build().execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The PostgreSQL ceiling: the same rows, one JSON text each, by `COPY` into a bare table.
async fn copy(file: &str, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("DROP TABLE IF EXISTS raw").execute(&mut conn).await?;
    sqlx::query("CREATE TABLE raw (natural_key TEXT NOT NULL, fields TEXT NOT NULL)").execute(&mut conn).await?;
    let started = Instant::now();
    let (mut buf, mut in_buf, mut total) = (Vec::with_capacity(64 << 20), 0usize, 0usize);
    let mut copy_time = std::time::Duration::ZERO;
    for row in json_rows(file)? {
        let (key, fields) = row?;
        credo_store::copy_text(&mut buf, credo_store::Val::Text(&key));
        buf.push(b'\t');
        credo_store::copy_text(&mut buf, credo_store::Val::Text(&fields));
        buf.push(b'\n');
        in_buf += 1;
        if in_buf == 50_000 {
            let t = Instant::now();
            send(&mut conn, &buf).await?;
            copy_time += t.elapsed();
            (total, in_buf) = (total + in_buf, 0);
            buf.clear();
        }
    }
    let t = Instant::now();
    send(&mut conn, &buf).await?;
    copy_time += t.elapsed();
    total += in_buf;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"rows\": {total}, \"seconds\": {secs:.2}, \"rows_per_s\": {:.0}, \"copy_seconds\": {:.2}, \"copy_rows_per_s\": {:.0}}}",
        total as f64 / secs,
        copy_time.as_secs_f64(),
        total as f64 / copy_time.as_secs_f64()
    );
    Ok(())
}

async fn send(conn: &mut sqlx::PgConnection, text: &[u8]) -> Result<(), sqlx::Error> {
    if text.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw("COPY raw (natural_key, fields) FROM STDIN").await?;
    copy.send(text).await?;
    copy.finish().await?;
    Ok(())
}

/// The rows as `credo import` stores new records, into the platform's schema, with nothing else (see the module notes).
async fn schema(file: &str, dir: &str) -> Result<(), Error> {
    use std::collections::HashMap;
    let mut conn = fresh_sqlite(dir, "schema.sqlite", "-131072").await?;
    sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
    let now = "2026-12-02T00:00:00Z";
    sqlx::query("INSERT INTO departments (id, uscc, name, created_at, created_by, permissions) VALUES (1, '11630100MB17400002', '部门', $1, 'bench', '{}')")
        .bind(now)
        .execute(&mut conn)
        .await?;
    sqlx::query("INSERT INTO batches (id, department_id, item, channel, received_at) VALUES (1, 1, 'xzcf', 'cli', $1)")
        .bind(now)
        .execute(&mut conn)
        .await?;
    let mut reader = csv::Reader::from_path(file)?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or(format!("no column {name}"));
    let (name_col, code_col, key_col, date_col) =
        (col("行政相对人名称")?, col("统一社会信用代码")?, col("行政处罚决定书文号")?, col("处罚决定日期")?);
    // (natural key, subject code, subject name, decision date, fields JSON)
    type Row = (String, String, String, String, String);
    let started = Instant::now();
    let mut insert_time = std::time::Duration::ZERO;
    let mut subjects: HashMap<String, i64> = HashMap::new();
    let (mut next_record, mut total) = (1i64, 0usize);
    let mut rows: Vec<Row> = Vec::with_capacity(5000);
    let mut records = reader.into_records();
    loop {
        let next = records.next().transpose()?;
        if let Some(rec) = &next {
            let obj: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.clone(), serde_json::Value::String(v.to_string())))
                .collect();
            let get = |c: usize| rec.get(c).unwrap_or("").to_string();
            rows.push((get(key_col), get(code_col), get(name_col), get(date_col), serde_json::to_string(&obj)?));
        }
        if rows.len() < 5000 && next.is_some() {
            continue;
        }
        let t = Instant::now();
        let mut tx = sqlx::Connection::begin(&mut conn).await?;
        // 256 rows per statement, as the store does.
        for chunk in rows.chunks(256) {
            let mut new_subjects: Vec<(i64, &str, &str)> = Vec::new();
            let mut placed: Vec<(i64, i64, &Row)> = Vec::new();
            for r in chunk {
                let id = match subjects.get(&r.1) {
                    Some(id) => *id,
                    None => {
                        let id = subjects.len() as i64 + 1;
                        subjects.insert(r.1.clone(), id);
                        new_subjects.push((id, &r.1, &r.2));
                        id
                    }
                };
                placed.push((next_record, id, r));
                next_record += 1;
            }
            if !new_subjects.is_empty() {
                let mut q = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO subjects (id, kind, code, name, name_norm, created_at, updated_at) ",
                );
                q.push_values(&new_subjects, |mut b, (id, code, name)| {
                    b.push_bind(*id).push_bind("organisation").push_bind(*code).push_bind(*name).push_bind(*name);
                    b.push_bind(now).push_bind(now);
                });
                q.build().execute(&mut *tx).await?;
                let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO subject_codes (code, subject_id) ");
                q.push_values(&new_subjects, |mut b, (id, code, _)| {
                    b.push_bind(*code).push_bind(*id);
                });
                q.build().execute(&mut *tx).await?;
            }
            let hash = "0".repeat(64);
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (id, item, department_id, natural_key, subject_id, latest_version, content_hash, decided_on) ",
            );
            q.push_values(&placed, |mut b, (id, subject, r)| {
                b.push_bind(*id).push_bind("xzcf").push_bind(1).push_bind(&r.0).push_bind(*subject).push_bind(1);
                b.push_bind(&hash).push_bind(&r.3);
            });
            q.build().execute(&mut *tx).await?;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO record_versions (record_id, version, batch_id, received_at, content_hash, fields) ",
            );
            q.push_values(&placed, |mut b, (id, _, r)| {
                b.push_bind(*id).push_bind(1).push_bind(1).push_bind(now).push_bind(&hash).push_bind(&r.4);
            });
            q.build().execute(&mut *tx).await?;
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO changes (entity, entity_id, version, at) ");
            let feed = new_subjects
                .iter()
                .map(|s| ("subject", s.0, None))
                .chain(placed.iter().map(|p| ("record", p.0, Some(1))));
            q.push_values(feed, |mut b, (entity, id, version)| {
                b.push_bind(entity).push_bind(id).push_bind(version).push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        insert_time += t.elapsed();
        total += rows.len();
        rows.clear();
        if next.is_none() {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"rows\": {total}, \"subjects\": {}, \"seconds\": {secs:.2}, \"rows_per_s\": {:.0}, \"insert_seconds\": {:.2}, \"insert_rows_per_s\": {:.0}}}",
        subjects.len(),
        total as f64 / secs,
        insert_time.as_secs_f64(),
        total as f64 / insert_time.as_secs_f64()
    );
    Ok(())
}
