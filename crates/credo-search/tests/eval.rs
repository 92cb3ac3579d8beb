//! Top-1 accuracy on a small held-out evaluation set (`credo_synth::search_eval`): every kind of query, each above
//! the targets (the full figures, on 20,000 subjects and against `pg_trgm`, come from the `search_eval`
//! example; BENCHMARKS.md, issue 18).

#[path = "../examples/support/mod.rs"]
mod support;

use credo_search::SubjectIndex;
use credo_synth::search_eval::{QueryKind, corpus, queries};

#[test]
fn every_kind_of_query_finds_the_subject_first() {
    let corpus = corpus(11, 3_000);
    let queries = queries(&corpus, 12, 40);
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    idx.upsert(&support::docs(&corpus)).unwrap();
    idx.commit().unwrap();
    let found = support::evaluate(&queries, |q| idx.search(q, 1).unwrap().first().map(|h| h.id));
    let misses: Vec<&str> = found.misses.iter().map(|(q, _)| q.text.as_str()).collect();
    assert_eq!(found.by_kind.len(), QueryKind::ALL.len(), "every kind asked");
    let all = found.share(|_| true).1;
    assert!(all >= 0.97, "overall {all:.3}; missed {misses:?}");
    let typos = found.share(QueryKind::is_typo).1;
    assert!(typos >= 0.90, "homophone typos {typos:.3}; missed {misses:?}");
    for kind in QueryKind::ALL {
        let share = found.share(|k| k == kind).1;
        assert!(share >= 0.85, "{kind:?} {share:.3}; missed {misses:?}");
    }
}
