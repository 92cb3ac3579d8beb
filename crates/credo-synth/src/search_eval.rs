//! A held-out evaluation set for subject search: a corpus like a city's register and the queries people type.
//!
//! The corpus is [`crate::Synth`]'s subjects (one brand in several trades, one trade under many brands,
//! individual businesses, persons) and branches of some of its companies (分公司, 营业部, 办事处, 分店). The queries
//! are drawn with another seed, so that nothing is tuned to the corpus, one [`QueryKind`] at a time; each comes with
//! the subjects a person typing it may have meant (its *relevant* set): a short name or initials several subjects
//! share are answered right by any of them. A typo that makes the name of another subject, or that sounds exactly
//! like another subject's name, means nothing certain and is not asked.
//!
//! Homophones are drawn from the 3,755 characters of GB 2312's first level (一级汉字, the common characters an IME
//! offers first), decoded from their GB 2312 code points.

use std::collections::HashMap;

use credo_domain::name::{name_core, normalize_name};
use credo_domain::sound::{self, fold, readings};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Kind, Synth, uscc_from};

#[derive(Debug, Clone)]
pub struct EvalSubject {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub code: String,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryKind {
    Code,
    FullName,
    ShortName,
    Pinyin,
    Initials,
    Traditional,
    Branch,
    Homophone,
    TwoHomophones,
    NearHomophone,
}

impl QueryKind {
    pub const ALL: [QueryKind; 10] = [
        QueryKind::Code,
        QueryKind::FullName,
        QueryKind::ShortName,
        QueryKind::Pinyin,
        QueryKind::Initials,
        QueryKind::Traditional,
        QueryKind::Branch,
        QueryKind::Homophone,
        QueryKind::TwoHomophones,
        QueryKind::NearHomophone,
    ];

    pub fn label(self) -> &'static str {
        match self {
            QueryKind::Code => "code (USCC / ID number)",
            QueryKind::FullName => "full name",
            QueryKind::ShortName => "short name (name core)",
            QueryKind::Pinyin => "pinyin",
            QueryKind::Initials => "pinyin initials",
            QueryKind::Traditional => "traditional script",
            QueryKind::Branch => "branch office",
            QueryKind::Homophone => "homophone typo (1 character)",
            QueryKind::TwoHomophones => "homophone typos (2 characters)",
            QueryKind::NearHomophone => "near-homophone typo (n/l, in/ing, z/zh …)",
        }
    }

    /// Whether the kind is a homophone typo (the issue's ≥ 90 % target).
    pub fn is_typo(self) -> bool {
        matches!(self, QueryKind::Homophone | QueryKind::TwoHomophones | QueryKind::NearHomophone)
    }
}

#[derive(Debug, Clone)]
pub struct EvalQuery {
    pub kind: QueryKind,
    pub text: String,
    /// The subjects the query may mean: top-1 is right when it is one of them.
    pub relevant: Vec<i64>,
}

const BRANCH_LABELS: [&str; 10] = ["城东", "城中", "城西", "城北", "湟中", "大通", "湟源", "海湖", "南川", "格尔木"];
const BRANCH_MARKERS: [&str; 5] = ["分公司", "分公司", "营业部", "办事处", "分店"];

/// `n` subjects from [`Synth`] with `seed`, and branches of about one company in twelve (one to three each).
pub fn corpus(seed: u64, n: usize) -> Vec<EvalSubject> {
    let today = time::Date::from_calendar_date(2026, time::Month::November, 25).unwrap_or(time::Date::MIN);
    let synth = Synth::new(seed, n, today);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xb4a2c5);
    let mut out: Vec<EvalSubject> = Vec::with_capacity(n + n / 6);
    for s in &synth.subjects {
        out.push(EvalSubject {
            id: out.len() as i64 + 1,
            kind: s.kind,
            name: s.name.clone(),
            code: s.code.clone(),
            region: s.region.clone(),
        });
    }
    let heads: Vec<EvalSubject> =
        out.iter().filter(|s| s.kind == Kind::Organisation && rng.random_bool(1.0 / 12.0)).cloned().collect();
    for head in heads {
        let mut labels: Vec<&str> = BRANCH_LABELS.to_vec();
        for _ in 0..rng.random_range(1..=3) {
            let Some(i) = (!labels.is_empty()).then(|| rng.random_range(0..labels.len())) else { break };
            let label = labels.swap_remove(i);
            let marker = BRANCH_MARKERS.choose(&mut rng).unwrap_or(&"分公司");
            let id = out.len() as i64 + 1;
            let body = format!("MB{:06}", 500_000 + id);
            out.push(EvalSubject {
                id,
                kind: Kind::Organisation,
                name: format!("{}{label}{marker}", head.name),
                code: uscc_from("91", &head.region, &body),
                region: head.region.clone(),
            });
        }
    }
    out
}

/// The first-level characters of GB 2312 (rows 16–55), in their code order.
pub fn common_characters() -> Vec<char> {
    let mut bytes = Vec::new();
    for row in 0xB0u8..=0xD7 {
        for cell in 0xA1u8..=0xFE {
            if row == 0xD7 && cell > 0xF9 {
                break;
            }
            bytes.extend_from_slice(&[row, cell]);
        }
    }
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    text.chars().collect()
}

/// Homophones from the common characters: by a character's commonest reading, and by its folded reading.
struct Homophones {
    by_reading: HashMap<&'static str, Vec<char>>,
    by_fold: HashMap<String, Vec<char>>,
}

impl Homophones {
    fn new() -> Homophones {
        let mut by_reading: HashMap<&'static str, Vec<char>> = HashMap::new();
        let mut by_fold: HashMap<String, Vec<char>> = HashMap::new();
        for c in common_characters() {
            if let Some(r) = readings(c).first() {
                by_reading.entry(r).or_default().push(c);
                by_fold.entry(fold(r)).or_default().push(c);
            }
        }
        Homophones { by_reading, by_fold }
    }

    /// A common character read as `c`'s commonest reading (`near`: read as its folded reading but not the same).
    fn pick(&self, c: char, near: bool, rng: &mut ChaCha8Rng) -> Option<char> {
        let r = *readings(c).first()?;
        let pool: Vec<char> = if near {
            let own = readings(c);
            self.by_fold
                .get(&fold(r))?
                .iter()
                .copied()
                .filter(|h| readings(*h).first().is_some_and(|hr| !own.contains(hr)))
                .collect()
        } else {
            self.by_reading.get(r)?.iter().copied().filter(|h| *h != c).collect()
        };
        pool.choose(rng).copied()
    }
}

fn pinyin_of(core: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for c in core.chars() {
        match readings(c).first() {
            Some(r) => {
                full.push_str(&r.replace('ü', "v"));
                initials.push_str(&r[..1]);
            }
            None if c.is_ascii_alphanumeric() => {
                full.push(c.to_ascii_lowercase());
                initials.push(c.to_ascii_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

fn to_traditional(s: &str) -> String {
    use std::sync::OnceLock;
    static S2T: OnceLock<Option<ferrous_opencc::OpenCC>> = OnceLock::new();
    S2T.get_or_init(|| ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t).ok())
        .as_ref()
        .map_or_else(|| s.to_string(), |c| c.convert(s))
}

/// `per_kind` queries of each kind about `corpus`, drawn with `seed` (use another seed than the corpus's).
pub fn queries(corpus: &[EvalSubject], seed: u64, per_kind: usize) -> Vec<EvalQuery> {
    let places = credo_domain::embedded::regions().place_prefixes();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let homophones = Homophones::new();
    let norms: Vec<String> = corpus.iter().map(|s| normalize_name(&s.name)).collect();
    let cores: Vec<String> = norms.iter().map(|n| name_core(n, &places)).collect();
    let mut by_key: HashMap<(u8, String), Vec<i64>> = HashMap::new();
    for (i, s) in corpus.iter().enumerate() {
        let (full, initials) = pinyin_of(&cores[i]);
        let runs = sound::folded_runs(&sound::sounded(&cores[i]), 24);
        let commonest: String = cores[i].chars().map(|c| readings(c).first().copied().unwrap_or("?")).collect();
        let keys = [
            (0, norms[i].clone()),
            (1, cores[i].clone()),
            (2, full),
            (3, initials),
            (5, commonest),
            (6, short_branch(&norms[i], &places)),
        ];
        for k in keys.into_iter().chain(runs.into_iter().map(|r| (4, r))) {
            by_key.entry(k).or_default().push(s.id);
        }
    }
    let same = |kind: u8, key: &str| by_key.get(&(kind, key.to_string())).cloned().unwrap_or_default();
    let branches: Vec<usize> =
        (0..corpus.len()).filter(|i| credo_domain::name::split_branch(&norms[*i]).is_some()).collect();
    let not_persons: Vec<usize> = (0..corpus.len()).filter(|i| corpus[*i].kind != Kind::Person).collect();
    let mut out = Vec::new();
    for kind in QueryKind::ALL {
        let mut made = 0;
        let mut tries = 0;
        while made < per_kind && tries < per_kind * 50 {
            tries += 1;
            let pool = match kind {
                QueryKind::Branch => &branches,
                QueryKind::Code | QueryKind::FullName => &(0..corpus.len()).collect(),
                _ => &not_persons,
            };
            let Some(&i) = pool.choose(&mut rng) else { break };
            let s = &corpus[i];
            let core = &cores[i];
            let query = match kind {
                QueryKind::Code => Some((s.code.clone(), vec![s.id])),
                QueryKind::FullName => Some((s.name.clone(), same(0, &norms[i]))),
                QueryKind::ShortName => Some((core.clone(), same(1, core))),
                QueryKind::Pinyin => {
                    let (full, _) = pinyin_of(core);
                    Some((full.clone(), same(2, &full)))
                }
                QueryKind::Initials => {
                    let (_, initials) = pinyin_of(core);
                    (initials.len() >= 3).then(|| (initials.clone(), same(3, &initials)))
                }
                QueryKind::Traditional => {
                    let (text, relevant) =
                        if rng.random_bool(0.5) { (&s.name, same(0, &norms[i])) } else { (core, same(1, core)) };
                    let t = to_traditional(text);
                    (t != *text).then_some((t, relevant))
                }
                QueryKind::Branch => Some(if rng.random_bool(0.5) {
                    (s.name.clone(), same(0, &norms[i]))
                } else {
                    // Typed short, it means any branch of that core and kind (two heads of one core may both
                    // have a 城中分店).
                    let short = short_branch(&norms[i], &places);
                    (short.clone(), same(6, &short))
                }),
                QueryKind::Homophone | QueryKind::TwoHomophones | QueryKind::NearHomophone => {
                    let n = if kind == QueryKind::TwoHomophones { 2 } else { 1 };
                    let near = kind == QueryKind::NearHomophone;
                    typo(core, n, near, &homophones, &mut rng).and_then(|typed| {
                        // Not asked: the typo is another subject's core, or sounds as near to another core as to
                        // the intended one (then nobody can tell which was meant).
                        let taken = !same(1, &typed).is_empty();
                        let sounded = sound::sounded(&typed);
                        let twins = sound::folded_runs(&sounded, 24)
                            .iter()
                            .flat_map(|r| same(4, r))
                            .any(|id| cores[(id - 1) as usize] != *core);
                        let commonest: String =
                            typed.chars().map(|c| readings(c).first().copied().unwrap_or("?")).collect();
                        let exact_twins =
                            near && same(5, &commonest).iter().any(|id| cores[(id - 1) as usize] != *core);
                        // The typo in a full name half of the time (then the place and legal form single out the
                        // subject); its core alone may mean any subject of that core.
                        let (text, relevant) = if rng.random_bool(0.5) && s.name.contains(core.as_str()) {
                            (s.name.replacen(core.as_str(), &typed, 1), vec![s.id])
                        } else {
                            (typed, same(1, core))
                        };
                        (!taken && !twins && !exact_twins).then_some((text, relevant))
                    })
                }
            };
            if let Some((text, relevant)) = query
                && !relevant.is_empty()
            {
                out.push(EvalQuery { kind, text, relevant });
                made += 1;
            }
        }
    }
    out
}

/// How people type a branch: its head office's core, its label and its marker (`雪域商贸城北分公司`).
fn short_branch(norm: &str, places: &[String]) -> String {
    match credo_domain::name::split_branch(norm) {
        Some(b) => format!("{}{}", name_core(norm, places), b.marker),
        None => norm.to_string(),
    }
}

/// `core` with `n` of its Han characters replaced by homophones (or near homophones), at distinct places.
fn typo(core: &str, n: usize, near: bool, homophones: &Homophones, rng: &mut ChaCha8Rng) -> Option<String> {
    let mut chars: Vec<char> = core.chars().collect();
    let mut places: Vec<usize> = (0..chars.len()).filter(|i| !readings(chars[*i]).is_empty()).collect();
    if places.len() < n.max(2) {
        return None;
    }
    for _ in 0..n {
        let k = rng.random_range(0..places.len());
        let at = places.swap_remove(k);
        chars[at] = homophones.pick(chars[at], near, rng)?;
    }
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_characters_are_gb2312_level_one() {
        let chars = common_characters();
        assert_eq!(chars.len(), 3755);
        assert_eq!(chars[0], '啊');
        assert_eq!(chars[3754], '座');
    }

    #[test]
    fn queries_are_deterministic_and_of_every_kind() {
        let corpus = corpus(7, 2_000);
        assert!(corpus.iter().any(|s| s.name.ends_with("分公司")));
        let a = queries(&corpus, 8, 20);
        let b = queries(&corpus, 8, 20);
        assert_eq!(a.iter().map(|q| &q.text).collect::<Vec<_>>(), b.iter().map(|q| &q.text).collect::<Vec<_>>());
        for kind in QueryKind::ALL {
            assert!(a.iter().filter(|q| q.kind == kind).count() >= 15, "{kind:?}");
        }
        let homophone = a.iter().find(|q| q.kind == QueryKind::Homophone).unwrap();
        let meant = &corpus[(homophone.relevant[0] - 1) as usize];
        assert_ne!(normalize_name(&homophone.text), normalize_name(&meant.name));
    }
}
