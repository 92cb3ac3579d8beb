//! How a Chinese name sounds (读音), for finding a name typed with a pinyin input method.
//!
//! Most people type Chinese by pinyin, so their commonest error is a **homophone** (同音字): `坤` for `昆` (both
//! `kun`). The next commonest are **near homophones** that a fuzzy-pinyin IME setting or a regional accent produces:
//! `zh/ch/sh` for `z/c/s`, `n` for `l`, `-ing` for `-in`, `-eng` for `-en` (the fuzzy-pinyin pairs every mainstream
//! IME offers). Here:
//! * [`readings`]: a character's toneless readings, every reading of a polyphonic one (多音字: `乐` is `le` and
//!   `yue`), so that a homophone of any of them counts;
//! * [`fold`]: a syllable with the near-homophone pairs folded together (`sheng` → `sen`, `nan` → `lan`);
//! * [`distance`]: how far a typed name is from a name, where a homophone costs [`HOMOPHONE`], a near homophone
//!   [`NEAR`] and any other character 1; the intended name is the nearest.

use pinyin::ToPinyinMulti;

/// What substituting a homophone costs (an unrelated character costs 1): the two characters' commonest readings
/// are the same.
pub const HOMOPHONE: f32 = 0.25;
/// What substituting a character that shares only a rare reading costs (`信` is `xin`, rarely `shen`): more than a
/// near homophone of the commonest readings, which an IME's user meets far more often.
pub const RARE_HOMOPHONE: f32 = 0.6;
/// What substituting a near homophone costs.
pub const NEAR: f32 = 0.5;
/// What each character of the name after the typed part costs (a short name typed for a longer one: `昆乐` for
/// `昆乐商贸`).
pub const EXTRA: f32 = 0.05;
/// What each character of the name before the typed part costs: people type a name from its start, so a name
/// that only ends like the typed text (`安泰辰` for `泰沉`) is farther than a near homophone.
pub const LEADING: f32 = 0.3;

/// The toneless readings of a Han character, commonest first, each once; empty for any other character.
pub fn readings(c: char) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            let s = p.plain();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// A syllable with the near-homophone pairs folded together: `zh/ch/sh` → `z/c/s`, initial `n` → `l`, final
/// `ing/eng` → `in/en`.
pub fn fold(syllable: &str) -> String {
    let (initial, rest) = if let Some(r) = syllable.strip_prefix("zh") {
        ("z", r)
    } else if let Some(r) = syllable.strip_prefix("ch") {
        ("c", r)
    } else if let Some(r) = syllable.strip_prefix("sh") {
        ("s", r)
    } else if let Some(r) = syllable.strip_prefix('n') {
        ("l", r)
    } else {
        ("", syllable)
    };
    let rest = match rest.strip_suffix("ng") {
        Some(r) if r.ends_with('i') || r.ends_with('e') => r.to_string() + "n",
        _ => rest.to_string(),
    };
    format!("{initial}{rest}")
}

/// One character with its readings, plain and folded (computed once per name, compared many times).
#[derive(Debug, Clone)]
pub struct Sounded {
    pub c: char,
    pub readings: Vec<&'static str>,
    pub folded: Vec<String>,
}

impl Sounded {
    pub fn new(c: char) -> Sounded {
        let readings = readings(c);
        let mut folded: Vec<String> = readings.iter().map(|r| fold(r)).collect();
        folded.dedup();
        Sounded { c, readings, folded }
    }

    /// What substituting `other` for this character costs: 0 (the same), [`HOMOPHONE`], [`NEAR`],
    /// [`RARE_HOMOPHONE`] or 1.
    pub fn cost(&self, other: &Sounded) -> f32 {
        let first = |s: &Sounded| s.folded.first().cloned();
        if self.c == other.c {
            0.0
        } else if !self.readings.is_empty() && self.readings.first() == other.readings.first() {
            HOMOPHONE
        } else if first(self).is_some() && first(self) == first(other) {
            NEAR
        } else if self.readings.iter().any(|r| other.readings.contains(r)) {
            RARE_HOMOPHONE
        } else if self.folded.iter().any(|r| other.folded.contains(r)) {
            NEAR
        } else {
            1.0
        }
    }
}

/// A name's characters with their readings.
pub fn sounded(name: &str) -> Vec<Sounded> {
    name.chars().map(Sounded::new).collect()
}

/// How far `typed` is from `name`: the cheapest alignment of every typed character with one of the name's (a
/// substitution costs [`Sounded::cost`], a typed character missing from the name or a name's character missing
/// inside the typed part 1), where the name's characters before the aligned part cost [`LEADING`] each and those
/// after it [`EXTRA`] (a short name typed for a full one is near it). 0 for the same name.
pub fn distance(typed: &[Sounded], name: &[Sounded]) -> f32 {
    // Semi-global edit distance: row i is typed[..i], column j is name[..j]; a prefix of the name costs LEADING a
    // character, and the best end column pays EXTRA for the rest.
    let n = name.len();
    let mut prev: Vec<f32> = (0..=n).map(|j| j as f32 * LEADING).collect();
    let mut cur = vec![0.0; n + 1];
    for t in typed {
        cur[0] = prev[0] + 1.0;
        for j in 1..=n {
            let sub = prev[j - 1] + t.cost(&name[j - 1]);
            cur[j] = sub.min(prev[j] + 1.0).min(cur[j - 1] + 1.0);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (0..=n).map(|j| prev[j] + (n - j) as f32 * EXTRA).fold(f32::INFINITY, f32::min)
}

/// The syllable pairs of a name, folded ([`fold`]): `kunle`, `lesang`, `sangmao` for `昆乐商贸`, up to `readings`
/// readings of a polyphonic character combined (commonest first), each once, at most `cap`. Pairs span adjacent
/// Han characters only. A homophone or near homophone in a typed name leaves these the same, where it changes the
/// character pairs. A name is indexed with three readings a character, a query asks with two (the reading its
/// writer typed is the commonest one of the intended character far more often than not).
pub fn syllable_pairs(name: &[Sounded], readings: usize, cap: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in name.windows(2) {
        for a in w[0].folded.iter().take(readings) {
            for b in w[1].folded.iter().take(readings) {
                let pair = format!("{a}{b}");
                if out.len() < cap && !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

/// The folded syllables of a whole name run together (`kunlesangmao`), every combination of the readings of its
/// polyphonic characters, at most `cap`; empty when a character is not Han. Two names with the same run are
/// homophones or near homophones of each other.
pub fn folded_runs(name: &[Sounded], cap: usize) -> Vec<String> {
    let mut runs = vec![String::new()];
    for s in name {
        if s.folded.is_empty() {
            return Vec::new();
        }
        let mut next = Vec::with_capacity(runs.len());
        for r in &runs {
            for f in &s.folded {
                if next.len() < cap {
                    next.push(format!("{r}{f}"));
                }
            }
        }
        runs = next;
    }
    runs.sort_unstable();
    runs.dedup();
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str) -> f32 {
        distance(&sounded(a), &sounded(b))
    }

    #[test]
    fn readings_and_folds() {
        assert_eq!(readings('昆')[0], "kun");
        assert!(readings('乐').contains(&"le") && readings('乐').contains(&"yue"));
        assert!(readings('A').is_empty());
        assert_eq!(fold("sheng"), "sen");
        assert_eq!(fold("nan"), "lan");
        assert_eq!(fold("ming"), "min");
        assert_eq!(fold("zhong"), "zong");
        assert_eq!(fold("long"), "long");
    }

    #[test]
    fn homophones_are_nearer_than_near_homophones_nearer_than_others() {
        assert_eq!(d("昆乐商贸", "昆乐商贸"), 0.0);
        assert_eq!(d("坤乐商贸", "昆乐商贸"), HOMOPHONE);
        // 兰 (lan) for 南 (nan): n/l.
        assert_eq!(d("兰山商贸", "南山商贸"), NEAR);
        assert_eq!(d("北山商贸", "南山商贸"), 1.0);
        assert!(d("坤勒商贸", "昆乐商贸") < d("北乐商贸", "昆乐商贸"));
    }

    #[test]
    fn a_short_name_is_near_its_full_name() {
        assert!((d("昆乐", "昆乐商贸") - 2.0 * EXTRA).abs() < 1e-6);
        assert!(d("昆乐", "昆乐商贸") < d("昆乐", "坤和商贸"));
        // 辰 is a homophone of 沉, 诚 only a near one; but nobody types 泰沉 for 安泰辰.
        assert!(d("泰沉建材", "泰诚建材") < d("泰沉建材", "安泰辰建材"));
        assert_eq!(d("昆乐商贸城北", "昆乐商贸"), 2.0);
    }

    #[test]
    fn pairs_and_runs_are_the_same_for_homophones() {
        let a = sounded("昆乐商贸");
        let b = sounded("坤勒商贸");
        assert!(syllable_pairs(&a, 3, 16).contains(&"kunle".to_string()));
        let c = sounded("坤乐商贸");
        assert_eq!(syllable_pairs(&c, 1, 16), vec!["kunle", "lesang", "sangmao"], "the commonest readings only");
        assert!(folded_runs(&a, 8).iter().any(|r| folded_runs(&b, 8).contains(r)));
        assert!(folded_runs(&sounded("AB商贸"), 8).is_empty());
    }
}
