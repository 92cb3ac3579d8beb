//! 分类监管: 双随机 draws of inspection targets, stratified by grade, and of the inspectors who go.
//!
//! **Reproducible from the published seed.** The random numbers are SM3 in counter mode: block `i` is
//! `SM3(SM3(seed) ‖ i as 8 bytes big-endian)`, read as four 64-bit big-endian numbers; a number below `n` is drawn by
//! rejection (numbers at or above the largest multiple of `n` are skipped), so that every value is equally likely.
//! The population is the subjects with a current grade, in id order; each grade's stratum is drawn, in the scheme's
//! grade order, by a partial Fisher–Yates shuffle (position `k` swaps with a drawn position in `k..len`); then, for
//! each target in order, the inspectors are drawn the same way from the list given. Anyone with the population (its
//! SM3 digest is published) and the seed draws the same targets and inspectors.
//!
//! **Rates.** Each grade has a sampling rate (the scheme's `[supervision]`): at full rate a stratum gives
//! `round(rate × size)` targets (at least one when the stratum is not empty). A draw of `count` targets shares them
//! out in proportion to `rate × size` (largest remainders, no stratum beyond its size), so that a subject's chance of
//! being drawn is its grade's rate times the same factor.

use std::collections::BTreeMap;

use serde::Serialize;
use sm3::{Digest, Sm3};

/// The random numbers of a draw (see the module notes).
pub struct SeedStream {
    key: [u8; 32],
    block: u64,
    buf: Vec<u64>,
}

impl SeedStream {
    pub fn new(seed: &str) -> SeedStream {
        SeedStream { key: Sm3::digest(seed.as_bytes()).into(), block: 0, buf: Vec::new() }
    }

    fn next_u64(&mut self) -> u64 {
        if self.buf.is_empty() {
            let mut h = Sm3::new();
            h.update(self.key);
            h.update(self.block.to_be_bytes());
            self.block += 1;
            let out = h.finalize();
            // Read back to front with pop(): reversed, so the first number is the block's first eight bytes.
            self.buf = out.chunks(8).rev().map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        }
        self.buf.pop().unwrap_or(0)
    }

    /// A number in `0..n` (`n > 0`), every one equally likely.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// `k` distinct positions of `0..n` in the order drawn (a partial Fisher–Yates shuffle).
    pub fn choose(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx
    }
}

/// One grade's stratum in a draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stratum {
    pub grade: String,
    pub population: usize,
    pub rate: f64,
    pub drawn: usize,
}

/// A draw: the strata and the targets `(subject, grade, inspectors)` in the order drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drawn {
    pub strata: Vec<Stratum>,
    pub targets: Vec<(i64, String, Vec<String>)>,
    /// SM3 over the population (`id:grade` lines in id order), hex.
    pub population_digest: String,
}

/// Why a draw cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("检查人员不足:每个对象须随机选派 {need} 名,名录中只有 {have} 名")]
    Inspectors { need: usize, have: usize },
    #[error("抽查范围内没有已评价的主体")]
    Empty,
}

/// How many targets each stratum gives: `sizes` and `rates` in grade order, `count` the total wanted (None: full
/// rate).
pub fn allocate(sizes: &[usize], rates: &[f64], count: Option<usize>) -> Vec<usize> {
    let expected: Vec<f64> = sizes.iter().zip(rates).map(|(s, r)| *s as f64 * r).collect();
    let Some(count) = count else {
        return expected
            .iter()
            .zip(sizes)
            .map(|(e, s)| if *s == 0 { 0 } else { (e.round() as usize).clamp(1, *s) })
            .collect();
    };
    let mut out = vec![0usize; sizes.len()];
    let mut left = count.min(sizes.iter().sum());
    // Share out what is left among the strata not yet full, in proportion to their expectation; repeat while a
    // stratum's share went beyond its size.
    while left > 0 {
        let open: Vec<usize> = (0..sizes.len()).filter(|&i| out[i] < sizes[i] && expected[i] > 0.0).collect();
        let total: f64 = open.iter().map(|&i| expected[i]).sum();
        if open.is_empty() || total <= 0.0 {
            break;
        }
        let quotas: Vec<(usize, f64)> = open.iter().map(|&i| (i, left as f64 * expected[i] / total)).collect();
        let mut given = 0;
        for &(i, q) in &quotas {
            let add = (q.floor() as usize).min(sizes[i] - out[i]);
            out[i] += add;
            given += add;
        }
        let mut rest: Vec<(usize, f64)> = quotas.iter().map(|&(i, q)| (i, q - q.floor())).collect();
        rest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, _) in rest {
            if given >= left {
                break;
            }
            if out[i] < sizes[i] {
                out[i] += 1;
                given += 1;
            }
        }
        if given == 0 {
            break;
        }
        left -= given;
    }
    out
}

/// Draws targets from `population` (`(subject, grade)`, any order) by the `rates` of `grades` (best first), and
/// `per_target` inspectors for each from `inspectors`.
pub fn draw(
    population: &[(i64, String)],
    grades: &[String],
    rates: &BTreeMap<String, f64>,
    count: Option<usize>,
    seed: &str,
    inspectors: &[String],
    per_target: usize,
) -> Result<Drawn, DrawError> {
    if inspectors.len() < per_target {
        return Err(DrawError::Inspectors { need: per_target, have: inspectors.len() });
    }
    if population.is_empty() {
        return Err(DrawError::Empty);
    }
    let mut sorted: Vec<&(i64, String)> = population.iter().collect();
    sorted.sort_by_key(|(id, _)| *id);
    let mut digest = Sm3::new();
    for (id, grade) in &sorted {
        digest.update(format!("{id}:{grade}\n").as_bytes());
    }
    let strata_members: Vec<Vec<i64>> =
        grades.iter().map(|g| sorted.iter().filter(|(_, x)| x == g).map(|(id, _)| *id).collect()).collect();
    let sizes: Vec<usize> = strata_members.iter().map(Vec::len).collect();
    let rate_of: Vec<f64> = grades.iter().map(|g| rates.get(g).copied().unwrap_or(0.0)).collect();
    let counts = allocate(&sizes, &rate_of, count);
    let mut rng = SeedStream::new(seed);
    let mut targets = Vec::new();
    for ((grade, members), n) in grades.iter().zip(&strata_members).zip(&counts) {
        for pos in rng.choose(members.len(), *n) {
            targets.push((members[pos], grade.clone(), Vec::new()));
        }
    }
    for t in &mut targets {
        t.2 = rng.choose(inspectors.len(), per_target).into_iter().map(|i| inspectors[i].clone()).collect();
    }
    Ok(Drawn {
        strata: grades
            .iter()
            .zip(&sizes)
            .zip(&rate_of)
            .zip(&counts)
            .map(|(((g, s), r), n)| Stratum { grade: g.clone(), population: *s, rate: *r, drawn: *n })
            .collect(),
        targets,
        population_digest: digest.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades() -> Vec<String> {
        ["A", "B", "C", "D"].map(String::from).to_vec()
    }

    fn rates() -> BTreeMap<String, f64> {
        [("A", 0.03), ("B", 0.05), ("C", 0.15), ("D", 0.40)].into_iter().map(|(g, r)| (g.to_string(), r)).collect()
    }

    /// 2,000 subjects: 300 A, 1,200 B, 400 C, 100 D.
    fn population() -> Vec<(i64, String)> {
        (1..=2000)
            .map(|id| {
                let g = match id % 20 {
                    0..=2 => "A",
                    3..=14 => "B",
                    15..=18 => "C",
                    _ => "D",
                };
                (id, g.to_string())
            })
            .collect()
    }

    fn people() -> Vec<String> {
        (1..=6).map(|i| format!("执法人员{i}")).collect()
    }

    #[test]
    fn a_draw_is_reproducible_from_its_seed() {
        let p = population();
        let a = draw(&p, &grades(), &rates(), None, "2026-12-01 市场监管局 第1次", &people(), 2).unwrap();
        let mut shuffled = p.clone();
        shuffled.reverse();
        let b = draw(&shuffled, &grades(), &rates(), None, "2026-12-01 市场监管局 第1次", &people(), 2).unwrap();
        assert_eq!(a, b, "the same population (in any order) and seed draw the same");
        let c = draw(&p, &grades(), &rates(), None, "2026-12-01 市场监管局 第2次", &people(), 2).unwrap();
        assert_ne!(a.targets, c.targets, "another seed draws others");
        assert_eq!(a.strata.iter().map(|s| s.drawn).collect::<Vec<_>>(), [9, 60, 60, 40], "round(rate × size)");
        for t in &a.targets {
            assert_eq!(t.2.len(), 2);
            assert_ne!(t.2[0], t.2[1], "two different inspectors");
        }
        let ids: std::collections::BTreeSet<i64> = a.targets.iter().map(|t| t.0).collect();
        assert_eq!(ids.len(), a.targets.len(), "no subject twice");
        assert_eq!(
            draw(&p, &grades(), &rates(), None, "s", &people()[..1], 2),
            Err(DrawError::Inspectors { need: 2, have: 1 })
        );
    }

    #[test]
    fn counts_are_shared_by_rate_times_size() {
        assert_eq!(allocate(&[300, 1200, 400, 100], &[0.03, 0.05, 0.15, 0.40], Some(169)), [9, 60, 60, 40]);
        let n = allocate(&[300, 1200, 400, 100], &[0.03, 0.05, 0.15, 0.40], Some(50));
        assert_eq!(n.iter().sum::<usize>(), 50);
        // A stratum never gives more than it has: the rest goes to the others.
        let full = allocate(&[10, 1000], &[1.0, 0.01], Some(100));
        assert_eq!(full, [10, 90]);
        assert_eq!(allocate(&[5, 5], &[0.5, 0.5], Some(100)), [5, 5]);
    }

    /// Over many draws, each grade's subjects are drawn as often as its rate says, and every subject of a grade
    /// alike (a chi-square test on the per-subject counts).
    #[test]
    fn frequencies_match_the_rates() {
        let p = population();
        let runs = 400;
        let mut per_subject: BTreeMap<i64, usize> = BTreeMap::new();
        for run in 0..runs {
            let d = draw(&p, &grades(), &rates(), Some(100), &format!("seed-{run}"), &people(), 2).unwrap();
            for t in d.targets {
                *per_subject.entry(t.0).or_default() += 1;
            }
        }
        let counts = allocate(&[300, 1200, 400, 100], &[0.03, 0.05, 0.15, 0.40], Some(100));
        for (g, (size, n)) in grades().iter().zip([300usize, 1200, 400, 100].iter().zip(&counts)) {
            let members: Vec<i64> = p.iter().filter(|(_, x)| x == g).map(|(id, _)| *id).collect();
            let observed: Vec<f64> = members.iter().map(|id| *per_subject.get(id).unwrap_or(&0) as f64).collect();
            let expected = runs as f64 * *n as f64 / *size as f64;
            let freq = observed.iter().sum::<f64>() / (runs * size) as f64;
            let rate = rates()[g] * 100.0 / (300.0 * 0.03 + 1200.0 * 0.05 + 400.0 * 0.15 + 100.0 * 0.40);
            // The counts are whole numbers: a grade's frequency is its rate's share up to one subject in its size.
            assert!((freq - rate).abs() <= 1.0 / *size as f64, "{g}: frequency {freq} vs rate {rate}");
            // Uniform within the grade: chi-square with size − 1 degrees of freedom, well inside its 99.9 % bound.
            let chi: f64 = observed.iter().map(|o| (o - expected).powi(2) / expected).sum();
            let df = (*size - 1) as f64;
            let bound = df + 3.1 * (2.0 * df).sqrt() + 10.0;
            assert!(chi < bound, "{g}: chi-square {chi} over {bound}");
        }
    }
}
