//! The publicity lists (信用公示: 双公示, 严重失信主体名单 …): every record the public may see today, newest decision
//! first, with filters, keyset pages and the whole filtered list for download.
//!
//! A list is a projection of the store kept in memory, like the restriction index: per record only what ordering
//! and filters read (decision day, the last day it is shown, subject, kind, department, the masked name and title for
//! the text filter), built on first use and kept current from the change feed. A page reads the store only for its
//! own rows. Whether a record is shown is [`public::public_until`], the same rule as its publicity.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use credo_domain::catalog::SubjectKind;
use credo_store::RecordView;
use time::Date;
use tokio::sync::RwLock;

use crate::error::Error;
use crate::{App, public};

/// A publicity list: its code (in `/lists/{code}`), its title and the items it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List {
    pub code: &'static str,
    pub title: &'static str,
    pub items: &'static [&'static str],
}

/// The publicity lists. Each shows only records in publicity today (a person's records kept to 政务共享 never are).
pub const LISTS: [List; 9] = [
    List { code: "sgs", title: "双公示(行政许可、行政处罚)", items: &["xzxk", "xzcf"] },
    List { code: "yzsx", title: "严重失信主体名单", items: &["yzsx"] },
    List { code: "jyyc", title: "经营异常名录", items: &["jyyc"] },
    List { code: "sxbzxr", title: "失信被执行人", items: &["sxbzxr"] },
    List { code: "xzxf", title: "限制消费令", items: &["xzxf"] },
    List { code: "zdss", title: "重大税收违法失信主体", items: &["zdss"] },
    List { code: "zfcgsx", title: "政府采购严重违法失信行为记录名单", items: &["zfcgsx"] },
    List { code: "qxgz", title: "拖欠农民工工资失信联合惩戒对象名单", items: &["qxgz"] },
    List { code: "sxjl", title: "守信激励(红名单)", items: &["sxjl"] },
];

/// The list with this code.
pub fn list(code: &str) -> Option<&'static List> {
    LISTS.iter().find(|l| l.code == code)
}

/// A record's place in a list: decision day (newest first; records without one last), then record id (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Reverse<i32>, Reverse<i64>);

impl Key {
    fn of(decided: Option<Date>, record: i64) -> Key {
        Key(Reverse(decided.map_or(i32::MIN, Date::to_julian_day)), Reverse(record))
    }

    fn first_of_day(day: Date) -> Key {
        Key(Reverse(day.to_julian_day()), Reverse(i64::MAX))
    }

    fn last_of_day(day: Date) -> Key {
        Key(Reverse(day.to_julian_day()), Reverse(i64::MIN))
    }

    /// The key as a page link carries it (`YYYY-MM-DD.id`, or `-.id` without a decision day).
    pub fn token(&self) -> String {
        let day = Date::from_julian_day(self.0.0).map(|d| d.to_string()).unwrap_or_else(|_| "-".into());
        format!("{day}.{}", self.1.0)
    }

    /// A key from [`Key::token`]; `None` for anything else.
    pub fn parse(token: &str) -> Option<Key> {
        let (day, id) = token.rsplit_once('.')?;
        let id: i64 = id.parse().ok()?;
        let day = match day {
            "-" => None,
            d => Some(credo_domain::value::parse_date(d)?),
        };
        Some(Key::of(day, id))
    }
}

/// What a list is filtered by (all optional).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Decision day on or after.
    pub from: Option<Date>,
    /// Decision day on or before.
    pub to: Option<Date>,
    /// A district's region code (the subject's region lies in it).
    pub district: Option<String>,
    /// The deciding department's name.
    pub department: Option<String>,
    pub kind: Option<SubjectKind>,
    /// Text in the subject's name or the record's title (matched masked, as shown).
    pub text: Option<String>,
}

/// Which page: the first, the one after a key, or the one before a key.
#[derive(Debug, Clone, Copy, Default)]
pub enum Cursor {
    #[default]
    First,
    After(Key),
    Before(Key),
}

/// One page of a list: its records (in order) and where it is.
#[derive(Debug, Clone)]
pub struct Page {
    pub ids: Vec<i64>,
    /// Records the filter matches today.
    pub total: usize,
    /// Matching records before this page.
    pub offset: usize,
    /// The key of this page's last record, when more follow.
    pub next: Option<Key>,
    /// The key of this page's first record, when records precede it.
    pub prev: Option<Key>,
}

#[derive(Debug, Clone)]
struct Entry {
    record: i64,
    subject: i64,
    /// [`public::public_until`]'s last day (`None`: no end).
    until: Option<Date>,
    kind: SubjectKind,
    department: Arc<str>,
    /// The masked subject name and title, for the text filter.
    text: Box<str>,
}

/// An entry as the scans read it: everything the filters but the text filter need, in 32 bytes, in list order in one
/// vector per list (a scan of the 750,000 双公示 of a city store reads 24 MB in order instead of chasing a tree).
#[derive(Debug, Clone, Copy)]
struct Compact {
    key: Key,
    record: i64,
    /// Last day shown, as a Julian day (`i32::MAX`: no end).
    until: i32,
    /// The subject's region code (0: unknown).
    region: u32,
    /// The department's place in the list's [`State::departments`] set.
    department: u16,
    kind: SubjectKind,
}

#[derive(Default)]
struct State {
    built: bool,
    seq: i64,
    lists: Vec<BTreeMap<Key, Entry>>,
    /// Per list, [`Compact`] entries in list order, rebuilt after a change ([`State::refresh`]).
    compact: Vec<Vec<Compact>>,
    /// Per list, the texts the text filter reads, in the same order, one line each, and where each line starts: a
    /// text is found in one pass over one string (`memchr::memmem`), not one search per record.
    texts: Vec<(String, Vec<usize>)>,
    /// The lists changed since their compact vector was made.
    dirty: Vec<bool>,
    /// Where each record is: its list and key.
    at: HashMap<i64, (usize, Key)>,
    /// The region of every subject with a record in a list.
    regions: HashMap<i64, Option<Box<str>>>,
    /// Per list, the departments with records in it (for the filter's choices).
    departments: Vec<BTreeSet<Arc<str>>>,
}

impl State {
    fn new() -> State {
        State {
            lists: vec![BTreeMap::new(); LISTS.len()],
            compact: vec![Vec::new(); LISTS.len()],
            texts: vec![(String::new(), Vec::new()); LISTS.len()],
            dirty: vec![true; LISTS.len()],
            departments: vec![BTreeSet::new(); LISTS.len()],
            ..State::default()
        }
    }

    /// Puts a record's latest version in its list (or takes it out, when the public never sees it).
    fn put(&mut self, app: &App, r: &RecordView) {
        if let Some((list, key)) = self.at.remove(&r.id)
            && let Some(l) = self.lists.get_mut(list)
        {
            l.remove(&key);
            self.dirty[list] = true;
        }
        let (Some(list), Some(subject)) = (LISTS.iter().position(|l| l.items.contains(&r.item.as_str())), r.subject_id)
        else {
            return;
        };
        let Some(until) = public::public_until(&app.catalog, r) else { return };
        let Some(item) = app.catalog.item(&r.item) else { return };
        let department = match self.departments[list].get(r.department_name.as_str()) {
            Some(d) => d.clone(),
            None => {
                let d: Arc<str> = r.department_name.as_str().into();
                self.departments[list].insert(d.clone());
                d
            }
        };
        let title = item.natural_key.first().and_then(|k| r.fields.get(k)).map(String::as_str).unwrap_or_default();
        let subject_ref = item.subject_ref(&r.fields);
        let text = public::mask_ids(&format!("{}\u{1f}{title}", subject_ref.name).replace('\n', " ")).into_boxed_str();
        let key = Key::of(r.decided_on, r.id);
        self.lists[list].insert(key, Entry { record: r.id, subject, until, kind: subject_ref.kind, department, text });
        self.at.insert(r.id, (list, key));
        self.dirty[list] = true;
    }

    /// Remakes the compact vector of every changed list.
    fn refresh(&mut self) {
        for n in 0..self.lists.len() {
            if !std::mem::take(&mut self.dirty[n]) {
                continue;
            }
            let departments: HashMap<&str, u16> =
                self.departments[n].iter().enumerate().map(|(i, d)| (&**d, i as u16)).collect();
            let regions = &self.regions;
            self.compact[n] = self.lists[n]
                .iter()
                .map(|(key, e)| Compact {
                    key: *key,
                    record: e.record,
                    until: e.until.map_or(i32::MAX, Date::to_julian_day),
                    region: regions
                        .get(&e.subject)
                        .and_then(|r| r.as_deref())
                        .and_then(|r| r.parse().ok())
                        .unwrap_or_default(),
                    department: departments.get(&*e.department).copied().unwrap_or(u16::MAX),
                    kind: e.kind,
                })
                .collect();
            let (mut lines, mut starts) = (String::new(), Vec::with_capacity(self.lists[n].len()));
            for e in self.lists[n].values() {
                starts.push(lines.len());
                lines.push_str(&e.text);
                lines.push('\n');
            }
            self.texts[n] = (lines, starts);
        }
    }

    /// The records of `list` the filter matches on `today`, in list order: from the compact vector (a binary search
    /// for the decision days, one pass over the rest), or, with a text to find, from the entries themselves.
    fn matching<'a>(&'a self, list: usize, f: &'a Filter, today: Date) -> Box<dyn Iterator<Item = (Key, i64)> + 'a> {
        if f.text.is_some() {
            return Box::new(
                self.range(list, f).filter(move |(_, e)| self.matches(e, f, today)).map(|(k, e)| (*k, e.record)),
            );
        }
        let all = &self.compact[list];
        let valid = match (f.from, f.to) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        };
        let lo = f.to.map_or(0, |d| all.partition_point(|c| c.key < Key::first_of_day(d)));
        let hi = f.from.map_or(all.len(), |d| all.partition_point(|c| c.key <= Key::last_of_day(d)));
        let (lo, hi) = if valid && lo < hi { (lo, hi) } else { (0, 0) };
        let today = today.to_julian_day();
        let department = f
            .department
            .as_deref()
            .map(|d| self.departments[list].iter().position(|x| **x == *d).map_or(u16::MAX - 1, |i| i as u16));
        // A district's code with its trailing zeros dropped is a prefix of the codes in it: compared as numbers.
        let district = f.district.as_deref().map(|d| {
            let prefix = d.trim_end_matches('0');
            let divisor = 10u32.pow(6u32.saturating_sub(prefix.len() as u32));
            (prefix.parse::<u32>().unwrap_or(u32::MAX), divisor)
        });
        let kind = f.kind;
        let found = f.text.as_deref().map(|t| self.found(list, t));
        Box::new(
            all[lo..hi]
                .iter()
                .enumerate()
                .filter(move |(i, c)| {
                    today <= c.until
                        && kind.is_none_or(|k| c.kind == k)
                        && department.is_none_or(|d| c.department == d)
                        && district.is_none_or(|(p, div)| c.region != 0 && c.region / div == p)
                        && found.as_ref().is_none_or(|f| f[lo + i])
                })
                .map(|(_, c)| (c.key, c.record)),
        )
    }

    /// Which entries of `list` hold `text` (by place in the compact vector).
    fn found(&self, list: usize, text: &str) -> Vec<bool> {
        let (lines, starts) = &self.texts[list];
        let mut found = vec![false; starts.len()];
        if text.contains('\n') || text.is_empty() {
            return found;
        }
        for at in memchr::memmem::find_iter(lines.as_bytes(), text.as_bytes()) {
            let i = starts.partition_point(|s| *s <= at) - 1;
            found[i] = true;
        }
        found
    }

    fn matches(&self, e: &Entry, f: &Filter, today: Date) -> bool {
        e.until.is_none_or(|u| today <= u)
            && f.kind.is_none_or(|k| e.kind == k)
            && f.department.as_deref().is_none_or(|d| *e.department == *d)
            && f.district.as_deref().is_none_or(|d| {
                let prefix = d.trim_end_matches('0');
                self.regions.get(&e.subject).and_then(|r| r.as_deref()).is_some_and(|r| r.starts_with(prefix))
            })
            && f.text.as_deref().is_none_or(|t| e.text.contains(t))
    }

    /// The entries of `list` within the filter's decision days, in list order.
    fn range<'a>(&'a self, list: usize, f: &Filter) -> impl Iterator<Item = (&'a Key, &'a Entry)> + 'a {
        let lo = f.to.map_or(Bound::Unbounded, |d| Bound::Included(Key::first_of_day(d)));
        let hi = f.from.map_or(Bound::Unbounded, |d| Bound::Included(Key::last_of_day(d)));
        let valid = match (f.from, f.to) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        };
        // With a lower decision day, records without one (keyed last) are out of range: the upper bound does it.
        self.lists[list].range((lo, if valid { hi } else { lo })).take_while(move |_| valid)
    }
}

/// The lists' projection (see the module).
#[derive(Default)]
pub struct Listing {
    state: RwLock<State>,
}

/// Records read per store query while building.
const PAGE: i64 = 20_000;

impl Listing {
    /// Builds the projection on first use, then applies the change feed since: a page reflects every record
    /// stored before it was asked for.
    pub async fn ready(&self, app: &App) -> Result<(), Error> {
        if !self.state.read().await.built {
            let mut st = self.state.write().await;
            if !st.built {
                let started = std::time::Instant::now();
                let mut fresh = State::new();
                // Changes that land while the records are read are applied by the sync below.
                fresh.seq = app.reader.last_seq().await?;
                for item in LISTS.iter().flat_map(|l| l.items) {
                    crate::feed::scan_item(app, item, PAGE, |r| fresh.put(app, r)).await?;
                }
                let subjects: Vec<i64> = fresh.lists.iter().flat_map(|l| l.values().map(|e| e.subject)).collect();
                load_regions(app, &mut fresh, subjects).await?;
                fresh.refresh();
                fresh.built = true;
                tracing::info!(
                    records = fresh.at.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "publicity lists built"
                );
                *st = fresh;
            }
        }
        self.sync(app).await
    }

    /// Applies the change feed: records (re)placed, subjects' regions refreshed.
    pub async fn sync(&self, app: &App) -> Result<(), Error> {
        let mut seq = {
            let st = self.state.read().await;
            if !st.built {
                return Ok(());
            }
            st.seq
        };
        loop {
            let changes = app.reader.changes_after(seq, PAGE).await?;
            let Some(last) = changes.last() else { return Ok(()) };
            let ids: Vec<i64> = changes.iter().filter(|c| c.entity == "record").map(|c| c.entity_id).collect();
            let records = app.reader.records_by_ids(&ids).await?;
            let mut st = self.state.write().await;
            if st.seq >= last.seq {
                // Another request applied these meanwhile.
                seq = st.seq;
                continue;
            }
            for r in &records {
                st.put(app, r);
            }
            let mut subjects: Vec<i64> = changes
                .iter()
                .filter(|c| c.entity == "subject" && st.regions.contains_key(&c.entity_id))
                .map(|c| c.entity_id)
                .collect();
            subjects.extend(records.iter().filter_map(|r| r.subject_id).filter(|s| !st.regions.contains_key(s)));
            let regions_changed = !subjects.is_empty();
            load_regions(app, &mut st, subjects).await?;
            if regions_changed {
                st.dirty.iter_mut().for_each(|d| *d = true);
            }
            st.refresh();
            seq = last.seq;
            st.seq = seq;
        }
    }

    /// One page of `list` on `today`: `per` records from the cursor on, with the total the filter matches.
    pub async fn page(&self, app: &App, list: &List, f: &Filter, cursor: Cursor, per: usize) -> Result<Page, Error> {
        self.ready(app).await?;
        let today = app.clock.today();
        let st = self.state.read().await;
        let Some(n) = LISTS.iter().position(|l| l == list) else {
            return Err(Error::not_found("没有这个公示目录"));
        };
        let per = per.max(1);
        let mut total = 0;
        let mut before = 0;
        let mut rows: std::collections::VecDeque<(Key, i64)> = std::collections::VecDeque::with_capacity(per + 1);
        for (key, record) in st.matching(n, f, today) {
            total += 1;
            match cursor {
                Cursor::First if rows.len() < per => rows.push_back((key, record)),
                Cursor::After(k) if key <= k => before += 1,
                Cursor::After(_) if rows.len() < per => rows.push_back((key, record)),
                Cursor::Before(k) if key < k => {
                    // The last `per` records before the key.
                    rows.push_back((key, record));
                    if rows.len() > per {
                        rows.pop_front();
                        before += 1;
                    }
                }
                _ => {}
            }
        }
        let first = rows.front().map(|r| r.0);
        let last = rows.back().map(|r| r.0);
        let more = before + rows.len() < total;
        Ok(Page {
            ids: rows.into_iter().map(|r| r.1).collect(),
            total,
            offset: before,
            next: last.filter(|_| more),
            prev: first.filter(|_| before > 0),
        })
    }

    /// The newest `per` records of `list` shown today, once the projection is built (`None` before: the home page
    /// does not wait for the build).
    pub async fn newest(&self, app: &App, list: &List, per: usize) -> Result<Option<Vec<i64>>, Error> {
        if !self.state.read().await.built {
            return Ok(None);
        }
        Ok(Some(self.page(app, list, &Filter::default(), Cursor::First, per).await?.ids))
    }

    /// Every record of `list` the filter matches on `today`, in list order (for the download).
    pub async fn all(&self, app: &App, list: &List, f: &Filter) -> Result<Vec<i64>, Error> {
        self.ready(app).await?;
        let today = app.clock.today();
        let st = self.state.read().await;
        let Some(n) = LISTS.iter().position(|l| l == list) else { return Ok(Vec::new()) };
        Ok(st.matching(n, f, today).map(|(_, record)| record).collect())
    }

    /// The departments with records in `list` (the department filter's choices).
    pub async fn departments(&self, app: &App, list: &List) -> Result<Vec<String>, Error> {
        self.ready(app).await?;
        let st = self.state.read().await;
        let n = LISTS.iter().position(|l| l == list).unwrap_or_default();
        Ok(st.departments.get(n).map(|d| d.iter().map(|d| d.to_string()).collect()).unwrap_or_default())
    }
}

/// Reads the regions of `subjects` into the state.
async fn load_regions(app: &App, st: &mut State, mut subjects: Vec<i64>) -> Result<(), Error> {
    subjects.sort_unstable();
    subjects.dedup();
    for chunk in subjects.chunks(PAGE as usize) {
        for s in app.reader.subjects_by_ids(chunk).await? {
            st.regions.insert(s.id, s.region.map(String::into_boxed_str));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_newest_decision_first_and_round_trip() {
        let d = |s: &str| credo_domain::value::parse_date(s);
        let a = Key::of(d("2026-03-01"), 5);
        let b = Key::of(d("2026-03-01"), 9);
        let c = Key::of(d("2025-12-31"), 100);
        let none = Key::of(None, 1_000);
        let mut keys = vec![none, c, a, b];
        keys.sort();
        assert_eq!(keys, vec![b, a, c, none]);
        for k in keys {
            assert_eq!(Key::parse(&k.token()), Some(k), "{}", k.token());
        }
        assert!(Key::first_of_day(d("2026-03-01").unwrap()) < b && a < Key::last_of_day(d("2026-03-01").unwrap()));
        for bad in ["", "x", "2026-13-01.1", "2026-03-01", "2026-03-01.x", "..1"] {
            assert_eq!(Key::parse(bad), None, "{bad}");
        }
    }
}
