//! Top-1 accuracy of subject search by kind of query, on a held-out evaluation set
//! ([`credo_synth::search_eval`]), compared with PostgreSQL `pg_trgm` similarity on the same set.
//!
//! ```text
//! cargo run --release -p credo-search --example search_eval [SUBJECTS] [QUERIES_PER_KIND] [--pg]
//! ```
//!
//! `--pg`: also rank by `pg_trgm` (`ORDER BY greatest(similarity(name, q), similarity(code, q))`) on the cluster
//! `$CREDO_TEST_PG` names, or on one started for the run (`credo-pgtest`).

#![expect(clippy::unwrap_used, clippy::print_stdout, reason = "a measuring tool: fails loudly, prints its figures")]

mod support;

use credo_search::SubjectIndex;
use credo_synth::search_eval::{EvalQuery, QueryKind, corpus, queries};
use support::{Outcome, evaluate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let subjects = numbers.first().copied().unwrap_or(20_000);
    let per_kind = numbers.get(1).copied().unwrap_or(500);
    let with_pg = args.iter().any(|a| a == "--pg");

    let corpus = corpus(2026, subjects);
    // Another seed than the corpus's: the queries are drawn apart from it.
    let queries = queries(&corpus, 1_000_003, per_kind);
    println!(
        "corpus: {} subjects ({} generated, the rest branches); {} queries",
        corpus.len(),
        subjects,
        queries.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    let docs = support::docs(&corpus);
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    idx.compact(1).unwrap();
    idx.warm_up();

    let credo = evaluate(&queries, |q| idx.search(q, 1).unwrap().first().map(|h| h.id));
    let trgm = with_pg.then(|| pg_trgm(&corpus, &queries));

    println!();
    println!("| kind of query | queries | Credo top-1 | pg_trgm top-1 |");
    println!("|---|---:|---:|---:|");
    let kinds: Vec<QueryKind> = credo.by_kind.keys().copied().collect();
    for kind in kinds {
        let (n, ok) = credo.by_kind[&kind];
        let other = trgm.as_ref().map_or("–".to_string(), |t| pct(t.by_kind[&kind].1, n));
        println!("| {} | {n} | {} | {other} |", kind.label(), pct(ok, n));
    }
    for (label, typos) in [("all", false), ("homophone typos", true)] {
        let select = |k: QueryKind| !typos || k.is_typo();
        let (n, share) = credo.share(select);
        let other = trgm.as_ref().map_or("–".to_string(), |t| format!("{:.1} %", 100.0 * t.share(select).1));
        println!("| **{label}** | {n} | **{:.1} %** | {other} |", 100.0 * share);
    }
    println!();
    println!("Credo: {}", credo.latency());
    if let Some(t) = &trgm {
        println!("pg_trgm: {}", t.latency());
    }
    println!();
    println!("misses (first 40):");
    for (q, got) in credo.misses.iter().take(40) {
        let name = |id: i64| corpus.get((id - 1) as usize).map_or("-".to_string(), |s| s.name.clone());
        println!("  {:?} {} → {} (meant {})", q.kind, q.text, got.map_or("nothing".into(), name), name(q.relevant[0]));
    }
}

trait Latency {
    fn latency(&self) -> String;
}

impl Latency for Outcome {
    fn latency(&self) -> String {
        let mut m = self.micros.clone();
        m.sort_unstable();
        let at = |p: f64| m[((m.len() as f64 * p) as usize).min(m.len() - 1)] as f64 / 1000.0;
        format!("p50 {:.2} ms, p99 {:.2} ms per query (one at a time)", at(0.5), at(0.99))
    }
}

fn pct(ok: usize, n: usize) -> String {
    format!("{:.1} %", 100.0 * ok as f64 / n.max(1) as f64)
}

fn pg_trgm(corpus: &[credo_synth::search_eval::EvalSubject], queries: &[EvalQuery]) -> Outcome {
    use sqlx::{Connection, PgConnection};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = credo_pgtest::server();
    let name = format!("credo_eval_{}", std::process::id());
    let mut db = rt.block_on(async {
        let mut admin = PgConnection::connect(base).await.unwrap();
        // pg_trgm takes a word's characters by the database's LC_CTYPE: in the C locale no Han character is one.
        let create =
            format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'");
        sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&mut admin).await.unwrap();
        let mut db = PgConnection::connect(&credo_pgtest::with_database(base, &name)).await.unwrap();
        sqlx::raw_sql(
            "CREATE EXTENSION pg_trgm; CREATE TABLE s (id bigint PRIMARY KEY, name text NOT NULL, code text NOT NULL)",
        )
        .execute(&mut db)
        .await
        .unwrap();
        for chunk in corpus.chunks(1000) {
            let mut b = sqlx::QueryBuilder::new("INSERT INTO s (id, name, code) ");
            b.push_values(chunk, |mut r, s| {
                r.push_bind(s.id).push_bind(&s.name).push_bind(&s.code);
            });
            b.build().execute(&mut db).await.unwrap();
        }
        sqlx::raw_sql("CREATE INDEX s_name ON s USING gist (name gist_trgm_ops); ANALYZE s")
            .execute(&mut db)
            .await
            .unwrap();
        db
    });
    let out = evaluate(queries, |q| {
        rt.block_on(
            sqlx::query_scalar(
                "SELECT id FROM s ORDER BY greatest(similarity(name, $1), similarity(code, $1)) DESC, id LIMIT 1",
            )
            .bind(q)
            .fetch_optional(&mut db),
        )
        .unwrap()
    });
    rt.block_on(async {
        db.close().await.ok();
        let mut admin = PgConnection::connect(base).await.unwrap();
        let drop = format!("DROP DATABASE {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.ok();
    });
    out
}
