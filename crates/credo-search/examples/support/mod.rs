//! What the `search_eval` example and the evaluation test share: the corpus as index documents, and top-1 by kind.

use std::collections::BTreeMap;
use std::time::Instant;

use credo_domain::catalog::SubjectKind;
use credo_search::SubjectDoc;
use credo_synth::Kind;
use credo_synth::search_eval::{EvalQuery, EvalSubject, QueryKind};

/// The corpus as the index's documents.
pub fn docs(corpus: &[EvalSubject]) -> Vec<SubjectDoc> {
    corpus
        .iter()
        .map(|s| SubjectDoc {
            id: s.id,
            kind: match s.kind {
                Kind::Organisation => SubjectKind::Organisation,
                Kind::IndividualBusiness => SubjectKind::IndividualBusiness,
                Kind::Person => SubjectKind::Person,
            },
            display_code: Some(s.code.clone()),
            codes: vec![s.code.clone()],
            name: s.name.clone(),
            region: Some(s.region.clone()),
            items: Vec::new(),
            aliases: Vec::new(),
        })
        .collect()
}

/// Top-1 of each query: `(queries, right)` by kind, each query's time, and the misses with what came first.
pub struct Outcome {
    pub by_kind: BTreeMap<QueryKind, (usize, usize)>,
    pub micros: Vec<u64>,
    pub misses: Vec<(EvalQuery, Option<i64>)>,
}

impl Outcome {
    /// The share right among the kinds `select` picks.
    pub fn share(&self, select: impl Fn(QueryKind) -> bool) -> (usize, f64) {
        let (n, ok) = self.by_kind.iter().filter(|(k, _)| select(**k)).fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
        (n, ok as f64 / n.max(1) as f64)
    }
}

/// Asks each query of `queries` with `first` (the id ranked first, if any).
pub fn evaluate(queries: &[EvalQuery], mut first: impl FnMut(&str) -> Option<i64>) -> Outcome {
    let mut out = Outcome { by_kind: BTreeMap::new(), micros: Vec::new(), misses: Vec::new() };
    for q in queries {
        let t = Instant::now();
        let got = first(&q.text);
        out.micros.push(t.elapsed().as_micros() as u64);
        let right = got.is_some_and(|id| q.relevant.contains(&id));
        let e = out.by_kind.entry(q.kind).or_default();
        e.0 += 1;
        e.1 += usize::from(right);
        if !right {
            out.misses.push((q.clone(), got));
        }
    }
    out
}
