//! Top-1 accuracy on a small held-out evaluation set (`credo_synth::search_eval`): every kind of query, each above
//! the targets (the full figures, on 20,000 subjects and against `pg_trgm`, come from the `search_eval`
//! example; BENCHMARKS.md, issue 18).

use credo_domain::catalog::SubjectKind;
use credo_search::{SubjectDoc, SubjectIndex};
use credo_synth::search_eval::{QueryKind, corpus, queries};

#[test]
fn every_kind_of_query_finds_the_subject_first() {
    let corpus = corpus(11, 3_000);
    let queries = queries(&corpus, 12, 40);
    let dir = tempfile::tempdir().unwrap();
    let idx = SubjectIndex::open(dir.path(), credo_domain::embedded::regions().place_prefixes()).unwrap();
    let docs: Vec<SubjectDoc> = corpus
        .iter()
        .map(|s| SubjectDoc {
            id: s.id,
            kind: SubjectKind::Organisation,
            display_code: Some(s.code.clone()),
            codes: vec![s.code.clone()],
            name: s.name.clone(),
            region: Some(s.region.clone()),
            items: Vec::new(),
            aliases: Vec::new(),
        })
        .collect();
    idx.upsert(&docs).unwrap();
    idx.commit().unwrap();
    let mut right = std::collections::BTreeMap::<QueryKind, (usize, usize)>::new();
    let mut misses = Vec::new();
    for q in &queries {
        let got = idx.search(&q.text, 1).unwrap().first().map(|h| h.id);
        let ok = got.is_some_and(|id| q.relevant.contains(&id));
        let e = right.entry(q.kind).or_default();
        e.0 += 1;
        e.1 += usize::from(ok);
        if !ok {
            misses.push(&q.text);
        }
    }
    let share = |select: &dyn Fn(QueryKind) -> bool| {
        let (n, ok) = right.iter().filter(|(k, _)| select(**k)).fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
        ok as f64 / n as f64
    };
    assert_eq!(right.len(), QueryKind::ALL.len(), "every kind asked");
    assert!(share(&|_| true) >= 0.97, "overall {:.3}; missed {misses:?}", share(&|_| true));
    assert!(share(&QueryKind::is_typo) >= 0.90, "homophone typos {:.3}; missed {misses:?}", share(&QueryKind::is_typo));
    for kind in QueryKind::ALL {
        assert!(share(&|k| k == kind) >= 0.85, "{kind:?} {:.3}; missed {misses:?}", share(&|k| k == kind));
    }
}
