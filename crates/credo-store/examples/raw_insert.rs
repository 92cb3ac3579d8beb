//! Benchmark ceiling for `credo import`: the raw SQLite insert rate of the same rows through the same driver and
//! settings (WAL, synchronous=NORMAL, multi-row INSERTs of 5,000 rows per transaction), with no parsing,
//! validation, resolution, versioning or indexing: each CSV row goes in as one JSON text.
//!
//! `cargo run --release -p credo-store --example raw_insert -- FILE.csv DIR`

use std::str::FromStr;
use std::time::Instant;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, QueryBuilder, Sqlite};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (file, dir) = match args.as_slice() {
        [_, f, d] => (f.clone(), d.clone()),
        _ => return Err("usage: raw_insert FILE.csv DIR".into()),
    };
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
    let mut reader = csv::Reader::from_path(&file)?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let key_col = headers.iter().position(|h| h == "行政处罚决定书文号").unwrap_or(0);
    let mut rows: Vec<(String, String)> = Vec::with_capacity(5000);
    let mut total = 0usize;
    let mut insert_time = std::time::Duration::ZERO;
    for rec in reader.records() {
        let rec = rec?;
        let obj: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.clone(), serde_json::Value::String(v.to_string())))
            .collect();
        rows.push((rec.get(key_col).unwrap_or("").to_string(), serde_json::to_string(&obj)?));
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
