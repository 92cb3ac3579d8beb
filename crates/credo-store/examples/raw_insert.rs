//! Benchmark ceiling for `credo import`: the raw insert rate of the same rows through the same driver, with no
//! validation, resolution, versioning or indexing: each CSV row goes in as one JSON text.
//!
//! * SQLite (`DIR`): the store's settings (WAL, synchronous=NORMAL), multi-row INSERTs of 5,000 rows per transaction.
//! * PostgreSQL (`postgres://…`, an empty database): `COPY raw FROM STDIN` (text format) into a bare table (no
//!   index), 50,000 rows per `COPY`.
//!
//! `cargo run --release -p credo-store --example raw_insert -- FILE.csv DIR|postgres://…`

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
        _ => return Err("usage: raw_insert FILE.csv DIR".into()),
    };
    if dir.starts_with("postgres://") {
        return copy(&file, &dir).await;
    }
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{dir}/raw.sqlite");
    let _ = std::fs::remove_file(format!("{dir}/raw.sqlite"));
    let mut conn = SqliteConnectOptions::from_str(&db)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", "-65536")
        .connect()
        .await?;
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
