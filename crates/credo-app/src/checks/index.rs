//! The restriction index: every record a measure reads, by subject, and every subject as a check shows it, in
//! memory. Built from the store once (or loaded from its snapshot, below), then kept current from the change feed.
//!
//! **Compact**: a record keeps only what the measures read (its item, the values of the measures' fields packed in
//! one allocation, its dates and the persons it names), so that ten million records fit in the memory of one node.
//!
//! **Snapshot**: a build from the records decodes every version's JSON (tens of thousands of records a second). So
//! the index is written to the store as a snapshot of compact chunks (`index_snapshots`), and the next start of any
//! node reads those and replays the change feed after them instead. A snapshot is used only by a node with the same
//! fingerprint (snapshot format, catalog, keys, program), each chunk carries an HMAC-SM3 under a key derived from the
//! keyring (a chunk altered in the database, or moved to another place, is refused and the index built from the
//! records), and values that hold an ID number stay sealed as they are in the store. A start that had to replay a
//! long tail of the feed writes a fresh snapshot.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_domain::masking::contains_id_number;
use credo_domain::measures::{Fact, Reach};
use credo_domain::name::normalize_name;
use credo_domain::publicity::Mark;
use credo_store::{IndexSnapshot, RecordView, Subject, Vault};
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::Date;
use tokio::sync::RwLock;

use super::CheckError;
use crate::App;
use crate::public::{display_code, mask_ids};

const PAGE: i64 = 50_000;

/// The index's maps: hashed fast (foldhash, seeded per process), as they hold millions of entries.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// The snapshot's kind in `index_snapshots`, and its format: change it with anything that changes what a record
/// becomes in the index or how a snapshot is written.
const KIND: &str = "restriction";
const FORMAT: &str = "credo-restriction-index/3";
/// A snapshot chunk holds about this many bytes of entries.
const CHUNK: usize = 4 << 20;
/// A start that replays more changes than this after loading the snapshot writes a fresh one.
const REFRESH_AFTER: usize = 100_000;

/// Most distinct item codes the index holds (the catalog has a few dozen items).
const MAX_ITEMS: usize = 1024;
/// The item codes the index has seen, each once for the process: only items a measure reads get here
/// ([`Indexed::from_view`]; a snapshot's records are checked against the catalog), a handful.
static ITEMS: [OnceLock<&'static str>; MAX_ITEMS] = [const { OnceLock::new() }; MAX_ITEMS];

/// An item code in the index: its place in [`ITEMS`] (two bytes a record instead of a pointer and a length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCode(u16);

impl ItemCode {
    fn of(item: &str) -> Option<ItemCode> {
        let find = || ITEMS.iter().take_while(|s| s.get().is_some()).position(|s| s.get() == Some(&item));
        let code = |i: usize| u16::try_from(i).ok().map(ItemCode);
        if let Some(i) = find() {
            return code(i);
        }
        static ADDING: Mutex<()> = Mutex::new(());
        let _one = ADDING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = find() {
            return code(i);
        }
        let free = ITEMS.iter().position(|s| s.get().is_none())?;
        ITEMS[free].set(Box::leak(item.to_owned().into_boxed_str())).ok()?;
        code(free)
    }
}

impl std::ops::Deref for ItemCode {
    type Target = str;
    fn deref(&self) -> &str {
        ITEMS.get(usize::from(self.0)).and_then(|s| s.get().copied()).unwrap_or("")
    }
}

impl Serialize for ItemCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ItemCode, D::Error> {
        struct Code;
        impl serde::de::Visitor<'_> for Code {
            type Value = ItemCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an item code")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ItemCode, E> {
                ItemCode::of(v).ok_or_else(|| E::custom("too many item codes"))
            }
        }
        d.deserialize_str(Code)
    }
}

/// The values of the fields the measures read of one record, inline in the record up to 32 bytes (a penalty's
/// category, date and amount fit): for each field present, its position among the fields the measures read of the
/// item and the value's length (each one byte, or 255 and four bytes), then the value, UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Packed(smallvec::SmallVec<[u8; 32]>);

/// Appends `n` as one byte, or 255 and four bytes.
fn put_size(out: &mut smallvec::SmallVec<[u8; 32]>, n: usize) -> Option<()> {
    match u8::try_from(n) {
        Ok(b) if b < 255 => out.push(b),
        _ => {
            out.push(255);
            out.extend_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
        }
    }
    Some(())
}

/// Reads what [`put_size`] wrote: the number and the bytes after it.
fn get_size(rest: &[u8]) -> Option<(usize, &[u8])> {
    let (&b, rest) = rest.split_first()?;
    if b < 255 {
        return Some((usize::from(b), rest));
    }
    let (n, rest) = rest.split_at_checked(4)?;
    Some((u32::from_le_bytes(n.try_into().ok()?) as usize, rest))
}

impl Packed {
    /// `decided`: the decision date's field and the date read from it, kept beside the fields already (the field is
    /// left out when the date gives back its text exactly, [`Indexed::fields`] puts it back).
    fn pack(
        wanted: &BTreeSet<String>,
        fields: &BTreeMap<String, String>,
        decided: Option<(&str, Date)>,
    ) -> Option<Packed> {
        let mut out = smallvec::SmallVec::new();
        for (position, name) in wanted.iter().enumerate() {
            let Some(v) = fields.get(name) else { continue };
            if decided.is_some_and(|(field, day)| field == name && day.to_string() == *v) {
                continue;
            }
            put_size(&mut out, position)?;
            put_size(&mut out, v.len())?;
            out.extend_from_slice(v.as_bytes());
        }
        out.shrink_to_fit();
        Some(Packed(out))
    }

    /// The fields by name; `None` if the bytes are not what [`Packed::pack`] makes for `wanted` (a snapshot of
    /// another catalog).
    fn unpack(&self, wanted: &BTreeSet<String>) -> Option<BTreeMap<String, String>> {
        let names: Vec<&String> = wanted.iter().collect();
        let mut fields = BTreeMap::new();
        self.walk(|position, value| {
            fields.insert(names.get(position)?.to_string(), value.to_string());
            Some(())
        })?;
        Some(fields)
    }

    /// Whether the bytes are what [`Packed::pack`] makes for an item that reads `wanted` fields (without building
    /// them: a snapshot's every record is checked so as it is read).
    fn fits(&self, wanted: usize) -> bool {
        self.walk(|position, _| (position < wanted).then_some(())).is_some()
    }

    /// Each field's position and value, in order; `None` as soon as `each` says so or the bytes are malformed.
    fn walk(&self, mut each: impl FnMut(usize, &str) -> Option<()>) -> Option<()> {
        let mut rest = &self.0[..];
        while !rest.is_empty() {
            let (position, after) = get_size(rest)?;
            let (len, after) = get_size(after)?;
            let (value, after) = after.split_at_checked(len)?;
            each(position, std::str::from_utf8(value).ok()?)?;
            rest = after;
        }
        Some(())
    }
}

impl Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Packed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Packed;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("packed fields")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Packed, E> {
                Ok(Packed(smallvec::SmallVec::from_slice(v)))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

/// A record as the index keeps it: only the fields the measures read, and the persons it names beside its subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indexed {
    pub record_id: i64,
    pub version: u32,
    pub item: ItemCode,
    fields: Packed,
    pub decided_on: Option<Date>,
    /// The days the record counts at all (its publicity period, `catalog/publicity.toml`), `[from, last]`.
    pub period: (Option<Date>, Option<Date>),
    /// From this day the record is repaired and is no longer public.
    pub repaired_on: Option<Date>,
    /// The decision was revoked (撤销): the record never counts.
    pub revoked: bool,
    /// The persons the record names for measures that reach them (法定代表人, 实际控制人 …).
    pub persons: Persons,
}

/// The persons a record names: most name none, so one pointer (to the list, when there is one) rather than a list's
/// pointer and length in every record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Persons(Option<Box<Box<[IndexedPerson]>>>);

impl std::ops::Deref for Persons {
    type Target = [IndexedPerson];
    fn deref(&self) -> &[IndexedPerson] {
        self.0.as_deref().map_or(&[], |p| &p[..])
    }
}

impl std::ops::DerefMut for Persons {
    fn deref_mut(&mut self) -> &mut [IndexedPerson] {
        self.0.as_deref_mut().map_or(&mut [], |p| &mut p[..])
    }
}

impl From<Vec<IndexedPerson>> for Persons {
    fn from(v: Vec<IndexedPerson>) -> Persons {
        Persons((!v.is_empty()).then(|| Box::new(v.into_boxed_slice())))
    }
}

/// A person a record names beside its subject, as the index keeps them: the blind index of their ID number, or,
/// where the record carries none, their normalised name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IndexedPerson {
    pub reach: Reach,
    /// The name field the person comes from (see [`credo_domain::measures::NamedPerson`]).
    pub field: Box<str>,
    pub key: Option<Box<str>>,
    pub name_norm: Option<Box<str>>,
}

impl IndexedPerson {
    pub(super) fn named(&self) -> credo_domain::measures::NamedPerson {
        // The measure only needs the role and the field; numbers and names stay in the index's form.
        credo_domain::measures::NamedPerson {
            reach: self.reach,
            field: self.field.to_string(),
            id_number: None,
            name: None,
        }
    }
}

impl Indexed {
    /// The index's form of a stored record (`None` for items no measure reads). Person ID numbers are kept only as
    /// their blind index.
    pub fn from_view(catalog: &Catalog, vault: &Vault, r: &RecordView) -> Option<Indexed> {
        let wanted = catalog.indexed.get(&r.item)?;
        let item = catalog.item(&r.item)?;
        let decided_on =
            item.decision_date.as_ref().and_then(|d| r.fields.get(d)).and_then(|v| credo_domain::value::parse_date(v));
        let w = crate::public::window(catalog, r);
        let mark = Mark::of(&r.fields);
        let mut persons: Vec<IndexedPerson> = catalog
            .measures
            .measures
            .iter()
            .flat_map(|m| &m.trigger)
            .filter(|t| t.item == r.item)
            .flat_map(|t| t.persons(&r.fields))
            .map(|p| IndexedPerson {
                reach: p.reach,
                field: p.field.into(),
                key: p.id_number.map(|n| vault.blind(&n).into()),
                name_norm: p.name.map(|n| normalize_name(&n)).filter(|n| !n.is_empty()).map(Into::into),
            })
            .filter(|p| p.key.is_some() || p.name_norm.is_some())
            .collect();
        persons.sort();
        persons.dedup();
        Some(Indexed {
            record_id: r.id,
            version: u32::try_from(r.version).ok()?,
            item: ItemCode::of(&r.item)?,
            fields: Packed::pack(wanted, &r.fields, item.decision_date.as_deref().zip(decided_on))?,
            decided_on,
            period: (w.from, w.last_day),
            repaired_on: mark.as_ref().filter(|m| m.kind != "revoked").map(|m| m.on),
            revoked: mark.is_some_and(|m| m.kind == "revoked"),
            persons: persons.into(),
        })
    }

    /// The fields the measures read, by name.
    pub fn fields(&self, catalog: &Catalog) -> BTreeMap<String, String> {
        let mut fields = catalog.indexed.get(&*self.item).and_then(|w| self.fields.unpack(w)).unwrap_or_default();
        let decision = catalog.item(&self.item).and_then(|i| i.decision_date.as_ref());
        if let (Some(field), Some(day)) = (decision, self.decided_on) {
            fields.entry(field.clone()).or_insert_with(|| day.to_string());
        }
        fields
    }

    /// Whether the record is public on `day`: within its publicity period, neither repaired nor revoked. Only
    /// measures that count statutory facts look past this (and never past a revocation).
    pub fn counts(&self, day: Date) -> bool {
        let (from, last) = self.period;
        !self.revoked
            && from.is_none_or(|f| f <= day)
            && last.is_none_or(|l| day <= l)
            && self.repaired_on.is_none_or(|m| day < m)
    }

    /// The record as a measure sees it on `day`, with its `fields` ([`Indexed::fields`]).
    pub(crate) fn fact<'a>(&'a self, fields: &'a BTreeMap<String, String>, day: Date) -> Fact<'a> {
        Fact {
            record_id: self.record_id,
            version: i64::from(self.version),
            item: &self.item,
            fields,
            decided_on: self.decided_on,
            public: self.counts(day),
        }
    }

    /// Whether a record read from a snapshot is one this catalog makes (its item read by a measure, its fields
    /// packed for that item).
    fn fits(&self, catalog: &Catalog) -> bool {
        catalog.indexed.get(&*self.item).is_some_and(|w| self.fields.fits(w.len()))
    }
}

/// A person asked about, as the index finds them: the blind index of their 居民身份证号码 and their normalised name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonKey {
    pub key: Option<String>,
    pub name_norm: Option<String>,
}

/// What a check shows of a subject and finds it by, kept in memory for every subject beside the restriction index:
/// the name and code as receipts show them (ID numbers masked), and the codes as stored (a person's ID number only
/// as its blind index). No ID number is held in the clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub id: i64,
    pub kind: SubjectKind,
    /// The name, ID numbers in it masked.
    pub name: Box<str>,
    /// The code as the public sees it ([`display_code`]).
    pub code: Option<Box<str>>,
    /// A person's blind index and normalised name: how the index finds records that name them.
    pub person: Option<Box<PersonKey>>,
    /// Whether `code` is also a code as stored (an organisation's; a person's is shown masked).
    code_stored: bool,
    /// The codes as stored (plain, or the blind index of an ID number) other than `code`: most subjects have none.
    other_codes: Box<[Box<str>]>,
}

impl Brief {
    pub fn of(s: &Subject, vault: &Vault) -> Brief {
        let person = (s.kind == SubjectKind::Person).then(|| {
            Box::new(PersonKey {
                key: s.code.as_deref().filter(|c| !c.contains(':')).map(|c| vault.blind(c)),
                name_norm: Some(s.name_norm.clone()).filter(|n| !n.is_empty()),
            })
        });
        let code = display_code(s);
        let code_stored = code.as_ref().is_some_and(|c| s.codes.contains(c));
        let other_codes = s.codes.iter().filter(|c| Some(*c) != code.as_ref()).map(|c| c.as_str().into()).collect();
        Brief {
            id: s.id,
            kind: s.kind,
            name: mask_ids(&s.name).into(),
            code: code.map(Into::into),
            person,
            code_stored,
            other_codes,
        }
    }

    /// Every code as stored (plain, or the blind index of an ID number).
    fn codes(&self) -> impl Iterator<Item = &str> {
        let code = self.code.as_deref().filter(|_| self.code_stored);
        code.into_iter().chain(self.other_codes.iter().map(|c| &**c))
    }
}

/// How a record names the person asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Match {
    IdNumber,
    NameOnly,
}

impl PersonKey {
    /// How `p` names this person, if it does: by ID number, or by name where the record has no number.
    pub(super) fn matches(&self, p: &IndexedPerson) -> Option<Match> {
        match (&p.key, &self.key) {
            (Some(a), Some(b)) if **a == **b => Some(Match::IdNumber),
            (Some(_), _) => None,
            (None, _) => (p.name_norm.is_some() && p.name_norm.as_deref() == self.name_norm.as_deref())
                .then_some(Match::NameOnly),
        }
    }
}

/// One entry of a snapshot.
#[derive(Serialize, Deserialize)]
enum Entry {
    /// A record; where one of its values holds an ID number, its fields are sealed (`sealed`) instead.
    Record {
        subject: i64,
        record: Indexed,
        sealed: Option<String>,
    },
    /// A person's blind index and the subjects whose records name (or named) them.
    Person {
        key: String,
        subjects: Vec<i64>,
    },
    /// A person's normalised name (named without an ID number) and the subjects whose records name them.
    PersonName {
        name: String,
        subjects: Vec<i64>,
    },
    Brief(Brief),
    /// How many of each follow (first in a snapshot, so that the maps are sized once).
    Sizes {
        records: usize,
        subjects: usize,
        persons: usize,
        person_names: usize,
        briefs: usize,
    },
    /// The snapshot's last entry: how many chunks it has.
    End {
        chunks: i64,
    },
}

#[derive(Default)]
struct State {
    built: bool,
    /// Loaded from a snapshot (not built from the records).
    loaded: bool,
    seq: i64,
    by_subject: IdMap<Vec<Indexed>>,
    /// Blind indexes of persons' ID numbers → subjects whose records name them (法定代表人, 实际控制人 …).
    by_person: Map<String, Vec<i64>>,
    /// Normalised names of persons named without an ID number → subjects whose records name them.
    by_person_name: Map<String, Vec<i64>>,
    subject_of: SubjectOf,
    /// Every subject as a check shows it, and the codes that find it ([`Brief`]).
    briefs: IdMap<Arc<Brief>>,
    by_code: Codes,
}

/// A map keyed by a store id. Ids are dense from 1 in both stores, so a vector indexed by the id (a slot a key, with
/// no key or hash kept: `Option<V>` costs nothing over `V` for boxes, lists and non-zero numbers) rather than a hash
/// map (the key, the value and an empty slot for about every full one); an id far past the others (or negative) goes
/// to a map, so no id can make the vector large.
struct IdMap<V> {
    dense: Vec<Option<V>>,
    sparse: Map<i64, V>,
    len: usize,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap { dense: Vec::new(), sparse: Map::default(), len: 0 }
    }
}

impl<V> IdMap<V> {
    /// Ids up to this far past twice the number of entries are held in the vector.
    const SLACK: usize = 1 << 20;

    fn slot(&self, id: i64) -> Option<usize> {
        usize::try_from(id).ok()
    }

    fn get(&self, id: i64) -> Option<&V> {
        let dense = self.slot(id).and_then(|i| self.dense.get(i)).and_then(Option::as_ref);
        dense.or_else(|| self.sparse.get(&id))
    }

    fn get_mut(&mut self, id: i64) -> Option<&mut V> {
        match self.slot(id).and_then(|i| self.dense.get_mut(i)).and_then(Option::as_mut) {
            Some(v) => Some(v),
            None => self.sparse.get_mut(&id),
        }
    }

    fn contains(&self, id: i64) -> bool {
        self.get(id).is_some()
    }

    fn remove(&mut self, id: i64) -> Option<V> {
        let old = match self.slot(id).and_then(|i| self.dense.get_mut(i)).and_then(Option::take) {
            Some(v) => Some(v),
            None => self.sparse.remove(&id),
        };
        self.len -= usize::from(old.is_some());
        old
    }

    /// Keeps `v` under `id`; returns what was there.
    fn insert(&mut self, id: i64, v: V) -> Option<V> {
        let old = self.remove(id);
        match self.slot(id).filter(|i| *i <= 2 * self.len + Self::SLACK) {
            Some(i) => {
                if i >= self.dense.len() {
                    self.dense.resize_with(i + 1, || None);
                }
                self.dense[i] = Some(v);
            }
            None => {
                self.sparse.insert(id, v);
            }
        }
        self.len += 1;
        old
    }

    /// The value under `id`, made with `make` if there is none.
    fn get_or_insert_with(&mut self, id: i64, make: impl FnOnce() -> V) -> &mut V {
        if !self.contains(id) {
            self.insert(id, make());
        }
        self.get_mut(id).expect("inserted above")
    }

    /// Room for ids up to `ids` without growing the vector again.
    fn reserve(&mut self, ids: usize) {
        self.dense.reserve(ids.saturating_add(1).saturating_sub(self.dense.len()));
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Every entry: the vector's in id order, then the map's.
    fn iter(&self) -> impl Iterator<Item = (i64, &V)> {
        let dense = self.dense.iter().enumerate().filter_map(|(i, v)| Some((i64::try_from(i).ok()?, v.as_ref()?)));
        dense.chain(self.sparse.iter().map(|(id, v)| (*id, v)))
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.dense.iter_mut().filter_map(Option::as_mut).chain(self.sparse.values_mut())
    }
}

/// Which subject each record is kept under: four bytes a record ([`IdMap`] of non-zero `u32`), and a map for the
/// subject ids beyond `u32`.
#[derive(Default)]
struct SubjectOf {
    small: IdMap<std::num::NonZeroU32>,
    large: Map<i64, i64>,
}

impl SubjectOf {
    fn get(&self, record: i64) -> Option<i64> {
        let small = self.small.get(record).map(|s| i64::from(s.get()));
        small.or_else(|| self.large.get(&record).copied())
    }

    /// Keeps `record` under `subject`; returns the subject it was under.
    fn insert(&mut self, record: i64, subject: i64) -> Option<i64> {
        match u32::try_from(subject).ok().and_then(std::num::NonZeroU32::new) {
            Some(s) => {
                let was = self.large.remove(&record);
                self.small.insert(record, s).map(|s| i64::from(s.get())).or(was)
            }
            None => {
                let was = self.small.remove(record).map(|s| i64::from(s.get()));
                self.large.insert(record, subject).or(was)
            }
        }
    }

    fn reserve(&mut self, records: usize) {
        self.small.reserve(records);
    }

    fn len(&self) -> usize {
        self.small.len() + self.large.len()
    }
}

/// The codes that find each subject (as stored: plain, or an ID number's blind index), without a copy of them: a
/// table of (subject id, the code's place among the subject's codes), hashed by the code and compared through the
/// subject's [`Brief`] — 16 bytes a code instead of a map's key, its heap block and the id (about 100).
#[derive(Default)]
struct Codes {
    table: hashbrown::HashTable<(i64, u8)>,
    hasher: foldhash::fast::RandomState,
}

impl Codes {
    fn hash(hasher: &foldhash::fast::RandomState, code: &str) -> u64 {
        std::hash::BuildHasher::hash_one(hasher, code)
    }

    /// The code an entry stands for.
    fn code(briefs: &IdMap<Arc<Brief>>, (id, place): (i64, u8)) -> Option<&str> {
        briefs.get(id)?.codes().nth(usize::from(place))
    }

    fn get(&self, briefs: &IdMap<Arc<Brief>>, code: &str) -> Option<i64> {
        let found = self.table.find(Self::hash(&self.hasher, code), |e| Self::code(briefs, *e) == Some(code));
        found.map(|e| e.0)
    }

    /// Finds the subject of `brief` by its codes, instead of any other subject found by them so far; `old` is the
    /// subject's brief before (its codes no longer find it). `briefs` already holds the new brief.
    fn update(&mut self, briefs: &IdMap<Arc<Brief>>, brief: &Brief, old: Option<&Brief>) {
        let hasher = &self.hasher;
        if let Some(old) = old {
            for c in old.codes() {
                let was = |e: &(i64, u8)| e.0 == brief.id && old.codes().nth(usize::from(e.1)) == Some(c);
                if let Ok(e) = self.table.find_entry(Self::hash(hasher, c), was) {
                    e.remove();
                }
            }
        }
        for (place, c) in brief.codes().enumerate() {
            // A subject with more than 255 codes is found by the first 255 here, by the rest through the store.
            let Ok(place) = u8::try_from(place) else { break };
            let hash = Self::hash(hasher, c);
            match self.table.find_mut(hash, |e| Self::code(briefs, *e) == Some(c)) {
                Some(e) => *e = (brief.id, place),
                None => {
                    let rehash = |e: &(i64, u8)| Self::code(briefs, *e).map_or(0, |c| Self::hash(hasher, c));
                    self.table.insert_unique(hash, (brief.id, place), rehash);
                }
            }
        }
    }

    fn reserve(&mut self, codes: usize, briefs: &IdMap<Arc<Brief>>) {
        let hasher = &self.hasher;
        self.table.reserve(codes, |e| Self::code(briefs, *e).map_or(0, |c| Self::hash(hasher, c)));
    }
}

impl State {
    /// Keeps a subject's brief, and finds it by its codes as they are now (codes it no longer has are dropped).
    fn brief(&mut self, b: Brief) {
        let b = Arc::new(b);
        let old = self.briefs.insert(b.id, b.clone());
        self.by_code.update(&self.briefs, &b, old.as_deref());
    }

    fn put(&mut self, subject: i64, rec: Indexed) {
        self.link(subject, &rec.persons);
        self.place(subject, rec);
    }

    /// Keeps the record under its subject (moving it from the subject it was under).
    fn place(&mut self, subject: i64, rec: Indexed) {
        if let Some(old) = self.subject_of.insert(rec.record_id, subject)
            && let Some(list) = self.by_subject.get_mut(old)
        {
            list.retain(|r| r.record_id != rec.record_id);
        }
        self.by_subject.get_or_insert_with(subject, Vec::new).push(rec);
    }

    /// Keeps the records of one subject read together: in a list of exactly their number when the subject has none
    /// yet (a list grown record by record holds up to twice what it needs, and shrinking it later leaves the rest as
    /// holes in the heap).
    fn place_run(&mut self, subject: i64, recs: &mut Vec<Indexed>) {
        if recs.is_empty() {
            return;
        }
        let fresh =
            !self.by_subject.contains(subject) && recs.iter().all(|r| self.subject_of.get(r.record_id).is_none());
        if fresh {
            for r in recs.iter() {
                self.subject_of.insert(r.record_id, subject);
            }
            let mut list = Vec::with_capacity(recs.len());
            list.append(recs);
            self.by_subject.insert(subject, list);
        } else {
            for r in recs.drain(..) {
                self.place(subject, r);
            }
        }
    }

    /// Links the persons a record names to its subject. Entries are never removed: a stale one (a later version no
    /// longer names the person) is harmless, as a match is checked against the subject's current records; for a
    /// replay `as_of` it is what finds the subject whose records named the person then.
    fn link(&mut self, subject: i64, persons: &[IndexedPerson]) {
        for p in persons {
            let (map, key) = match (&p.key, &p.name_norm) {
                (Some(k), _) => (&mut self.by_person, k),
                (None, Some(n)) => (&mut self.by_person_name, n),
                (None, None) => continue,
            };
            let subjects = map.entry(key.to_string()).or_default();
            if !subjects.contains(&subject) {
                subjects.push(subject);
            }
        }
    }

    /// Subjects other than `subject` whose records name `person` (by the blind index of the number, or by name).
    fn naming(&self, subject: Option<i64>, person: &PersonKey) -> Vec<i64> {
        let mut others: Vec<i64> = Vec::new();
        let by_key = person.key.as_ref().and_then(|k| self.by_person.get(k));
        let by_name = person.name_norm.as_ref().and_then(|n| self.by_person_name.get(n));
        for other in by_key.into_iter().chain(by_name).flatten() {
            if Some(*other) != subject && !others.contains(other) {
                others.push(*other);
            }
        }
        others.sort();
        others
    }

    /// Applies one page of the change feed: the records and subjects it names, as the store has them now.
    fn apply(&mut self, app: &App, page: &Changed) -> usize {
        let mut n = 0;
        for r in &page.records {
            if let (Some(sid), Some(rec)) = (r.subject_id, Indexed::from_view(&app.catalog, &app.vault, r)) {
                self.put(sid, rec);
                n += 1;
            }
        }
        for r in &page.versions {
            if let (Some(sid), Some(rec)) = (r.subject_id, Indexed::from_view(&app.catalog, &app.vault, r)) {
                self.link(sid, &rec.persons);
            }
        }
        for s in &page.subjects {
            self.brief(Brief::of(s, &app.vault));
        }
        self.seq = self.seq.max(page.last);
        n
    }

    /// Reads everything a measure reads from the store: records item by item, persons named in superseded versions,
    /// and every subject.
    async fn build(&mut self, app: &App) -> anyhow::Result<()> {
        // Changes that land while the tables are read are replayed after.
        self.seq = app.reader.last_seq().await?;
        let items: Vec<&str> = app.catalog.indexed.keys().map(String::as_str).collect();
        for item in items {
            crate::feed::scan_item(app, item, PAGE, |r| {
                if let (Some(sid), Some(rec)) = (r.subject_id, Indexed::from_view(&app.catalog, &app.vault, r)) {
                    self.put(sid, rec);
                }
            })
            .await?;
        }
        // Persons named only in superseded versions (a later version names someone else): linked too, so that a
        // replay `as_of` finds the subject whose records named them then.
        let items: Vec<&str> = person_items(&app.catalog).into_iter().collect();
        let mut after = 0;
        loop {
            let page = app.reader.changed_records(&items, None, after, PAGE / 10).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for r in &page {
                if let (Some(sid), Some(rec)) = (r.subject_id, Indexed::from_view(&app.catalog, &app.vault, r)) {
                    self.link(sid, &rec.persons);
                }
            }
        }
        // Every subject, as a check shows it and finds it by code.
        let mut after = 0;
        loop {
            let page = app.reader.subjects_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for s in &page {
                self.brief(Brief::of(s, &app.vault));
            }
        }
        Ok(())
    }

    /// Writes the state as a snapshot (chunk by chunk, then made current in one step).
    async fn save(&self, app: &App, fingerprint: &str) -> anyhow::Result<usize> {
        let generation: i64 = rand::rng().random_range(1..i64::MAX);
        let key = snapshot_key(app);
        let mut chunks = 0;
        let mut written = 0;
        let mut buf = Vec::with_capacity(CHUNK + (64 << 10));
        let records = self.by_subject.iter().flat_map(|(s, recs)| recs.iter().map(move |r| (s, r)));
        let sizes = EntryRef::Sizes {
            records: self.subject_of.len(),
            subjects: self.by_subject.len(),
            persons: self.by_person.len(),
            person_names: self.by_person_name.len(),
            briefs: self.briefs.len(),
        };
        let entries =
            std::iter::once(Ok(sizes))
                .chain(records.map(|(subject, record)| record_entry(app, subject, record)))
                .chain(self.by_person.iter().map(|(key, subjects)| Ok(EntryRef::Person { key, subjects })))
                .chain(self.by_person_name.iter().map(|(name, subjects)| {
                    Ok(EntryRef::PersonName { name: sealed_if_personal(app, name)?, subjects })
                }))
                .chain(self.briefs.values().map(|b| brief_entry(app, b)));
        // Boxed: the iterator lives across the writes, and its closures' types would not be `Send` for every
        // lifetime the compiler asks about.
        let entries: Box<dyn Iterator<Item = anyhow::Result<EntryRef<'_>>> + Send + '_> = Box::new(entries);
        let mut entries = entries.peekable();
        loop {
            buf.clear();
            for entry in entries.by_ref() {
                buf = postcard::to_extend(&entry?, buf)?;
                if buf.len() >= CHUNK {
                    break;
                }
            }
            let last = entries.peek().is_none();
            if last {
                buf = postcard::to_extend(&EntryRef::End { chunks: chunks + 1 }, buf)?;
            }
            let chunk = seal_chunk(&key, &chunk_head(generation, chunks, self.seq, fingerprint), &buf);
            app.store.put_index_chunk(generation, chunks, &chunk).await?;
            written += chunk.len();
            chunks += 1;
            if last {
                break;
            }
        }
        let snapshot = IndexSnapshot { generation, fingerprint: fingerprint.to_string(), seq: self.seq, chunks };
        app.store.commit_index_snapshot(KIND, &snapshot).await?;
        Ok(written)
    }

    /// Loads a snapshot into an empty state: `Ok(false)` if there is none for this fingerprint.
    async fn load(&mut self, app: &App, fingerprint: &str) -> anyhow::Result<bool> {
        let Some(snap) = app.reader.index_snapshot(KIND).await? else { return Ok(false) };
        if snap.fingerprint != fingerprint {
            tracing::info!("restriction index snapshot was written with another catalog, key or program: not used");
            return Ok(false);
        }
        // Chunks are read, checked and decoded by a task of their own while this one puts the entries in place.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<Entry>>>(2);
        let reader = app.reader.clone();
        let key = snapshot_key(app);
        let (generation, chunks, seq) = (snap.generation, snap.chunks, snap.seq);
        let fingerprint = fingerprint.to_string();
        let producer = tokio::spawn(async move {
            let key = Arc::new(key);
            for no in 0..chunks {
                let decoded = async {
                    let data = reader.index_chunk(generation, no).await?;
                    let data = data.ok_or_else(|| anyhow::anyhow!("快照块 {no} 已不存在"))?;
                    let (key, head) = (key.clone(), chunk_head(generation, no, seq, &fingerprint));
                    tokio::task::spawn_blocking(move || open_chunk(&key, &head, no, &data)).await?
                };
                let decoded = decoded.await;
                let failed = decoded.is_err();
                if tx.send(decoded).await.is_err() || failed {
                    break;
                }
            }
        });
        let (mut received, mut ended) = (0, false);
        // The records of the subject being read (a snapshot holds each subject's records in one run).
        let mut run: (i64, Vec<Indexed>) = (0, Vec::new());
        while let Some(entries) = rx.recv().await {
            received += 1;
            for e in entries? {
                anyhow::ensure!(!ended, "快照在末尾标记之后还有内容");
                if !matches!(&e, Entry::Record { subject, .. } if *subject == run.0) {
                    self.place_run(run.0, &mut run.1);
                }
                match e {
                    Entry::Record { subject, mut record, sealed } => {
                        if let Some(sealed) = sealed {
                            record.fields = Packed(hex::decode(app.vault.open(sealed, SEALED)?)?.into());
                        }
                        for p in record.persons.iter_mut() {
                            if let Some(n) = p.name_norm.take() {
                                p.name_norm = Some(opened(app, n.into())?.into());
                            }
                        }
                        anyhow::ensure!(record.fits(&app.catalog), "快照中的记录 {} 与目录不符", record.record_id);
                        run.0 = subject;
                        run.1.push(record);
                    }
                    Entry::Person { key, subjects } => {
                        self.by_person.insert(key, subjects);
                    }
                    Entry::PersonName { name, subjects } => {
                        self.by_person_name.insert(opened(app, name)?, subjects);
                    }
                    Entry::Brief(mut b) => {
                        if let Some(p) = &mut b.person
                            && let Some(n) = p.name_norm.take()
                        {
                            p.name_norm = Some(opened(app, n)?);
                        }
                        self.brief(b)
                    }
                    Entry::End { chunks: n } => {
                        anyhow::ensure!(n == chunks && received == chunks, "快照的块数与末尾标记不符");
                        ended = true;
                    }
                    Entry::Sizes { records, subjects, persons, person_names, briefs } => {
                        // Only as a hint, bounded: the snapshot passed its tag, but a size is no reason to reserve
                        // more than its chunks could hold.
                        let most = usize::try_from(chunks).unwrap_or(0).saturating_mul(CHUNK / 8);
                        self.subject_of.reserve(records.min(most));
                        self.by_subject.reserve(subjects.min(most));
                        self.by_person.reserve(persons.min(most));
                        self.by_person_name.reserve(person_names.min(most));
                        self.briefs.reserve(briefs.min(most));
                        self.by_code.reserve(briefs.min(most), &self.briefs);
                    }
                }
            }
        }
        producer.await?;
        anyhow::ensure!(ended && received == chunks, "快照只读到 {received} 块,未见末尾标记");
        self.seq = snap.seq;
        Ok(true)
    }
}

/// [`Entry`] borrowed from the state, for writing.
#[derive(Serialize)]
enum EntryRef<'a> {
    Record { subject: i64, record: std::borrow::Cow<'a, Indexed>, sealed: Option<String> },
    Person { key: &'a str, subjects: &'a [i64] },
    PersonName { name: std::borrow::Cow<'a, str>, subjects: &'a [i64] },
    Brief(std::borrow::Cow<'a, Brief>),
    Sizes { records: usize, subjects: usize, persons: usize, person_names: usize, briefs: usize },
    End { chunks: i64 },
}

/// A record as a snapshot keeps it: its fields sealed where a value holds an ID number, as in the store.
fn record_entry<'a>(app: &App, subject: i64, record: &'a Indexed) -> anyhow::Result<EntryRef<'a>> {
    let personal_fields = record.fields(&app.catalog).iter().any(|(k, v)| app.vault.personal_value(k, v));
    let personal_names = record.persons.iter().filter_map(|p| p.name_norm.as_deref()).any(contains_id_number);
    if !personal_fields && !personal_names {
        return Ok(EntryRef::Record { subject, record: std::borrow::Cow::Borrowed(record), sealed: None });
    }
    let mut bare = record.clone();
    for p in bare.persons.iter_mut() {
        if let Some(n) = &p.name_norm {
            p.name_norm = Some(sealed_if_personal(app, n)?.into());
        }
    }
    let sealed = if personal_fields {
        bare.fields = Packed::default();
        Some(app.vault.seal(&hex::encode(&record.fields.0), SEALED)?)
    } else {
        None
    };
    Ok(EntryRef::Record { subject, record: std::borrow::Cow::Owned(bare), sealed })
}

/// A subject's brief as a snapshot keeps it: a person's normalised name sealed where it holds an ID number.
fn brief_entry<'a>(app: &App, b: &'a Brief) -> anyhow::Result<EntryRef<'a>> {
    let Some(name) = b.person.as_ref().and_then(|p| p.name_norm.as_deref()).filter(|n| contains_id_number(n)) else {
        return Ok(EntryRef::Brief(std::borrow::Cow::Borrowed(b)));
    };
    let sealed = sealed_if_personal(app, name)?.into_owned();
    let mut b = b.clone();
    if let Some(p) = &mut b.person {
        p.name_norm = Some(sealed);
    }
    Ok(EntryRef::Brief(std::borrow::Cow::Owned(b)))
}

/// `text` sealed if it holds an ID number (a name written with one), as it is otherwise.
fn sealed_if_personal<'a>(app: &App, text: &'a str) -> anyhow::Result<std::borrow::Cow<'a, str>> {
    Ok(if contains_id_number(text) { app.vault.seal(text, SEALED_NAME)?.into() } else { text.into() })
}

/// Opens what [`sealed_if_personal`] sealed (a text that is not sealed comes back as it is).
fn opened(app: &App, text: String) -> anyhow::Result<String> {
    Ok(app.vault.open(text, SEALED_NAME)?)
}

/// The context of sealed names in a snapshot.
const SEALED_NAME: &str = "index_snapshot_chunks.name";

/// The context of sealed fields in a snapshot.
const SEALED: &str = "index_snapshot_chunks.fields";

/// The key of the snapshot's chunk tags, derived from the keyring.
fn snapshot_key(app: &App) -> Vec<u8> {
    app.vault.derived_key("restriction-index-snapshot")
}

/// What a chunk says it belongs to, under its tag: its snapshot (generation, feed position, fingerprint) and its
/// place in it. The snapshot's row in the store is not trusted: what it says must match every chunk, and the last
/// chunk ends with the number of chunks ([`Entry::End`]).
fn chunk_head(generation: i64, no: i64, seq: i64, fingerprint: &str) -> Vec<u8> {
    let mut head = Vec::with_capacity(24 + fingerprint.len());
    head.extend_from_slice(&generation.to_le_bytes());
    head.extend_from_slice(&no.to_le_bytes());
    head.extend_from_slice(&seq.to_le_bytes());
    head.extend_from_slice(fingerprint.as_bytes());
    head
}

/// A chunk as stored: its HMAC-SM3 (hex) over its head ([`chunk_head`]) and the entries, then both.
fn seal_chunk(key: &[u8], head: &[u8], entries: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(head.len() + entries.len());
    body.extend_from_slice(head);
    body.extend_from_slice(entries);
    let mut out = credo_gm::hmac_sm3_hex(key, &body).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The entries of a stored chunk, if its tag holds and its head is `head`.
fn open_chunk(key: &[u8], head: &[u8], no: i64, chunk: &[u8]) -> anyhow::Result<Vec<Entry>> {
    let bad = || anyhow::anyhow!("快照块 {no} 校验失败(被改动、不完整或不属于此快照)");
    let (tag, body) = chunk.split_at_checked(64).ok_or_else(bad)?;
    let tag = std::str::from_utf8(tag).map_err(|_| bad())?;
    if !credo_gm::ct_eq(tag, &credo_gm::hmac_sm3_hex(key, body)) {
        return Err(bad());
    }
    let (found, mut rest) = body.split_at_checked(head.len()).ok_or_else(bad)?;
    if found != head {
        return Err(bad());
    }
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let (e, r) = postcard::take_from_bytes::<Entry>(rest)?;
        entries.push(e);
        rest = r;
    }
    Ok(entries)
}

/// What a snapshot must have been written with to be used: its format, the catalog, the keyring (a value only it
/// gives) and the program (a build that derives records differently writes its own).
async fn fingerprint(app: &App) -> anyhow::Result<String> {
    static PROGRAM: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let program = PROGRAM.get_or_try_init(|| async { tokio::task::spawn_blocking(program).await? }).await?;
    let keyed = app.vault.blind("\0credo-index-snapshot");
    Ok(credo_gm::sm3_hex(format!("{FORMAT}\0{}\0{keyed}\0{program}", app.catalog.digest).as_bytes()))
}

/// The running program's identity: the build ID the linker wrote into the executable (a digest of its contents,
/// read from its notes without reading the file), or where it has none, SM3 of the whole file.
fn program() -> anyhow::Result<String> {
    use object::Object;
    // The running program even if its file was replaced since it started (where there is a /proc).
    let proc = std::path::PathBuf::from("/proc/self/exe");
    let path = if proc.exists() { proc } else { std::env::current_exe()? };
    let cache = object::ReadCache::new(std::fs::File::open(&path)?);
    if let Ok(file) = object::File::parse(&cache)
        && let Ok(Some(id)) = file.build_id()
    {
        return Ok(format!("build-id:{}", hex::encode(id)));
    }
    Ok(format!("sm3:{}", credo_gm::sm3_hex(&std::fs::read(&path)?)))
}

/// The items whose records name persons a measure reaches.
fn person_items(catalog: &Catalog) -> BTreeSet<&str> {
    let triggers = catalog.measures.measures.iter().flat_map(|m| &m.trigger);
    triggers.filter(|t| !t.persons.is_empty()).map(|t| t.item.as_str()).collect()
}

/// The records and subjects one page of the change feed names, as the store has them now.
struct Changed {
    records: Vec<RecordView>,
    /// Every version of the records that got more than one version in the page (persons named in one that is
    /// already superseded are linked too, as a build from the records links them).
    versions: Vec<RecordView>,
    subjects: Vec<Subject>,
    last: i64,
}

async fn changed_after(app: &App, seq: i64) -> anyhow::Result<Option<Changed>> {
    let changes = app.reader.changes_after(seq, PAGE).await?;
    let Some(last) = changes.last() else { return Ok(None) };
    let ids: Vec<i64> = changes.iter().filter(|c| c.entity == "record").map(|c| c.entity_id).collect();
    let records = app.reader.records_by_ids(&ids).await?;
    // The subjects whose records changed (a new subject comes with its first record, a new name with a registration
    // record) or that changed themselves.
    let mut touched: Vec<i64> = records.iter().filter_map(|r| r.subject_id).collect();
    touched.extend(changes.iter().filter(|c| c.entity == "subject").map(|c| c.entity_id));
    touched.sort_unstable();
    touched.dedup();
    let subjects = app.reader.subjects_by_ids(&touched).await?;
    let naming = person_items(&app.catalog);
    let latest: HashMap<i64, i64> =
        records.iter().filter(|r| naming.contains(r.item.as_str())).map(|r| (r.id, r.version)).collect();
    let mut passed: Vec<i64> = changes
        .iter()
        .filter(|c| c.entity == "record")
        .filter(|c| matches!((c.version, latest.get(&c.entity_id)), (Some(v), Some(l)) if v < *l))
        .map(|c| c.entity_id)
        .collect();
    passed.sort_unstable();
    passed.dedup();
    let versions = if passed.is_empty() { Vec::new() } else { app.reader.versions_of(&passed).await? };
    Ok(Some(Changed { records, versions, subjects, last: last.seq }))
}

/// What [`Index::contents`] shows.
#[derive(Debug, PartialEq)]
pub struct Contents {
    pub records: BTreeMap<i64, Vec<Indexed>>,
    pub persons: BTreeMap<String, BTreeSet<i64>>,
    pub person_names: BTreeMap<String, BTreeSet<i64>>,
    pub briefs: BTreeMap<i64, Brief>,
}

/// The restriction index: every record a measure reads, by subject.
#[derive(Default)]
pub struct Index {
    state: RwLock<State>,
    /// One feed update at a time (the follower, ingest and cases all apply the feed): two that overlapped could
    /// write older rows over newer ones, and the feed position past them would never replay the change.
    syncing: tokio::sync::Mutex<()>,
}

impl Index {
    /// Builds the index on first use: from its snapshot if there is one for this node, else from the records (and
    /// then writes a snapshot), and applies the change feed since. Afterwards the feed follower and the ingest
    /// pipeline keep it current, so a check does not touch the store for it.
    pub async fn ready(&self, app: &App) -> anyhow::Result<()> {
        if self.state.read().await.built {
            return Ok(());
        }
        let _one = self.syncing.lock().await;
        let mut st = self.state.write().await;
        if st.built {
            return Ok(());
        }
        let started = std::time::Instant::now();
        // Whatever an earlier attempt (cancelled, or failed) left is not kept.
        *st = State::default();
        // Without the program's identity no snapshot is read or written (the index is built from the records).
        let fingerprint = match fingerprint(app).await {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::warn!(error = %e, "restriction index snapshot not used: the program is not identified");
                None
            }
        };
        let mut loaded = false;
        if let Some(fingerprint) = &fingerprint {
            // A snapshot replaced while it is read (another node committed a newer one) is read again, newer.
            for _ in 0..3 {
                let tried = app.reader.index_snapshot(KIND).await.ok().flatten().map(|s| s.generation);
                match st.load(app, fingerprint).await {
                    Ok(found) => loaded = found,
                    Err(e) => {
                        *st = State::default();
                        let now = app.reader.index_snapshot(KIND).await.ok().flatten().map(|s| s.generation);
                        if now != tried {
                            continue;
                        }
                        tracing::warn!(error = %e, "restriction index snapshot unusable: building from the records");
                    }
                }
                break;
            }
        }
        let read_ms = started.elapsed().as_millis() as u64;
        if !loaded {
            st.build(app).await?;
        }
        let mut replayed = 0;
        while let Some(page) = changed_after(app, st.seq).await? {
            replayed += st.apply(app, &page);
        }
        // Lists grown record by record hold up to twice what they need.
        for recs in st.by_subject.values_mut() {
            recs.shrink_to_fit();
        }
        st.built = true;
        st.loaded = loaded;
        // Checks go on while the snapshot is written (they only read); the feed waits for it (`syncing`).
        let st = st.downgrade();
        let mut snapshot_bytes = None;
        if let Some(fingerprint) = fingerprint.filter(|_| !loaded || replayed > REFRESH_AFTER) {
            match st.save(app, &fingerprint).await {
                Ok(bytes) => snapshot_bytes = Some(bytes),
                Err(e) => tracing::warn!(error = %e, "restriction index snapshot not written"),
            }
        }
        tracing::info!(
            subjects = st.by_subject.len(),
            records = st.subject_of.len(),
            known = st.briefs.len(),
            from = if loaded { "snapshot" } else { "records" },
            read_ms,
            replayed,
            snapshot_bytes,
            ms = started.elapsed().as_millis() as u64,
            "restriction index built"
        );
        Ok(())
    }

    /// Applies record changes from the feed; returns how many records were (re)indexed.
    pub async fn sync(&self, app: &App) -> anyhow::Result<usize> {
        let _one = self.syncing.lock().await;
        let mut seq = {
            let st = self.state.read().await;
            if !st.built {
                return Ok(0);
            }
            st.seq
        };
        let mut n = 0;
        while let Some(page) = changed_after(app, seq).await? {
            seq = page.last;
            n += self.state.write().await.apply(app, &page);
        }
        Ok(n)
    }

    /// The subject's indexed records (none for a person the store knows only from others' records), and those of
    /// subjects whose records name the person asked about (by ID number, or by name where they carry none).
    pub(super) async fn facts(
        &self,
        subject: Option<i64>,
        person: &PersonKey,
    ) -> (Vec<Indexed>, Vec<(i64, Vec<Indexed>)>) {
        let st = self.state.read().await;
        let own = subject.and_then(|id| st.by_subject.get(id)).cloned().unwrap_or_default();
        let via = st
            .naming(subject, person)
            .into_iter()
            .map(|o| (o, st.by_subject.get(o).cloned().unwrap_or_default()))
            // A subject linked through a superseded version only (its records now name someone else) is not one.
            .filter(|(_, recs)| super::names(recs, person))
            .collect();
        (own, via)
    }

    /// The subjects (other than `subject`) whose indexed records name the person asked about, by ID number or by
    /// name, in id order: the candidates a replay `as_of` reads as the store had them then.
    pub(super) async fn naming(&self, subject: Option<i64>, person: &PersonKey) -> Vec<i64> {
        self.state.read().await.naming(subject, person)
    }

    /// The subjects known by `codes` (as a department typed them, normalised), keyed by the code as asked: from
    /// memory once the index is built, from the store for codes it does not know (yet: a subject another node
    /// stored a moment ago) and before it is built.
    pub async fn briefs_by_codes(&self, app: &App, codes: &[&str]) -> Result<HashMap<String, Brief>, CheckError> {
        let mut found = HashMap::with_capacity(codes.len());
        let mut missing = Vec::new();
        {
            let st = self.state.read().await;
            for code in codes {
                // A code as itself, or an ID number as its blind index.
                let brief = st.built.then(|| {
                    let id = st
                        .by_code
                        .get(&st.briefs, code)
                        .or_else(|| st.by_code.get(&st.briefs, &app.vault.blind(code)))?;
                    st.briefs.get(id)
                });
                match brief.flatten() {
                    Some(b) => {
                        found.insert(code.to_string(), Brief::clone(b));
                    }
                    None => missing.push(*code),
                }
            }
        }
        if !missing.is_empty() {
            for (code, s) in app.store.subjects_by_codes(&missing).await? {
                found.insert(code, Brief::of(&s, &app.vault));
            }
        }
        Ok(found)
    }

    /// `f` of every subject the index knows (or of those of `ids` it knows), with its kind and its indexed records,
    /// in id order: computed off the async runtime, on every core. Returns the feed position the index was at.
    pub async fn each_subject<T: Send + 'static>(
        self: &Arc<Self>,
        ids: Option<Vec<i64>>,
        f: impl Fn(i64, SubjectKind, &[Indexed]) -> Option<T> + Send + Sync + 'static,
    ) -> anyhow::Result<(i64, Vec<T>)> {
        let index = self.clone();
        Ok(tokio::task::spawn_blocking(move || {
            let st = index.state.blocking_read();
            let ids = ids.unwrap_or_else(|| st.briefs.iter().map(|(id, _)| id).collect());
            let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 16);
            let per = ids.len().div_ceil(threads).max(1);
            let run = |chunk: &[i64]| -> Vec<T> {
                chunk
                    .iter()
                    .filter_map(|&id| {
                        let brief = st.briefs.get(id)?;
                        f(id, brief.kind, st.by_subject.get(id).map_or(&[], Vec::as_slice))
                    })
                    .collect()
            };
            let run = &run;
            let out: Vec<T> = std::thread::scope(|s| {
                let parts: Vec<_> = ids.chunks(per).map(|c| s.spawn(move || run(c))).collect();
                parts.into_iter().flat_map(|p| p.join().unwrap_or_default()).collect()
            });
            (st.seq, out)
        })
        .await?)
    }

    /// Whether the index has been built (and is kept current from the feed).
    pub async fn is_built(&self) -> bool {
        self.state.read().await.built
    }

    /// The feed position the index holds everything up to.
    pub async fn position(&self) -> i64 {
        self.state.read().await.seq
    }

    /// The subject's own indexed records (for comparing the index with the store).
    pub async fn own(&self, subject_id: i64) -> Vec<Indexed> {
        self.state.read().await.by_subject.get(subject_id).cloned().unwrap_or_default()
    }

    /// Discards the index's snapshot in the store: every node's next start builds the index from the records (and
    /// writes a new one). `false` if there was none.
    pub async fn discard_snapshot(app: &App) -> anyhow::Result<bool> {
        Ok(app.store.drop_index_snapshot(KIND).await?)
    }

    /// Whether the index was loaded from a snapshot (rather than built from the records).
    pub async fn from_snapshot(&self) -> bool {
        self.state.read().await.loaded
    }

    /// Writes a snapshot of the index as it is now (built first if it is not); returns its size in bytes.
    pub async fn save_snapshot(&self, app: &App) -> anyhow::Result<usize> {
        self.ready(app).await?;
        let _one = self.syncing.lock().await;
        let st = self.state.read().await;
        st.save(app, &fingerprint(app).await?).await
    }

    /// Everything the index holds, in a fixed order (for comparing two indexes): records by subject, persons'
    /// blind indexes and names with the subjects that name them, and subjects' briefs.
    pub async fn contents(&self) -> Contents {
        let st = self.state.read().await;
        let sorted = |m: &Map<String, Vec<i64>>| -> BTreeMap<String, BTreeSet<i64>> {
            m.iter().map(|(k, v)| (k.clone(), v.iter().copied().collect())).collect()
        };
        Contents {
            records: st
                .by_subject
                .iter()
                .filter(|(_, recs)| !recs.is_empty())
                .map(|(s, recs)| {
                    let mut recs = recs.clone();
                    recs.sort_by_key(|r| r.record_id);
                    (s, recs)
                })
                .collect(),
            persons: sorted(&st.by_person),
            person_names: sorted(&st.by_person_name),
            briefs: st.briefs.iter().map(|(id, b)| (id, Brief::clone(b))).collect(),
        }
    }

    /// Number of subjects and records indexed.
    pub async fn size(&self) -> (usize, usize) {
        let st = self.state.read().await;
        (st.by_subject.len(), st.subject_of.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use credo_domain::catalog::SubjectKind;
    use rand::{Rng, SeedableRng};

    use super::{Brief, Codes, IdMap, SubjectOf};

    fn brief(id: i64, codes: &[String]) -> Brief {
        Brief {
            id,
            kind: SubjectKind::Organisation,
            name: format!("主体{id}").into(),
            code: codes.first().map(|c| c.as_str().into()),
            person: None,
            code_stored: !codes.is_empty(),
            other_codes: codes.iter().skip(1).map(|c| c.as_str().into()).collect(),
        }
    }

    /// The table of (subject, place of the code) answers as a map from each code to the subject that last took it
    /// would: through subjects replacing their codes, dropping them, repeating one, taking another subject's code, and
    /// the table growing (every entry rehashed through the briefs) from empty past thousands of codes.
    #[test]
    fn codes_answer_as_a_map_from_code_to_the_subject_that_took_it() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let mut briefs: IdMap<Arc<Brief>> = IdMap::default();
        let mut codes = Codes::default();
        let mut want: HashMap<String, i64> = HashMap::new();
        let pool = |n: u32| format!("91630100MA{n:08}");
        for step in 0..20_000u32 {
            let id = rng.random_range(1..3000);
            // Mostly codes of its own, sometimes one from anywhere in the pool (another subject's), sometimes none.
            let n = rng.random_range(0..4);
            let mut new: Vec<String> = (0..n)
                .map(
                    |i| if rng.random_bool(0.2) { pool(rng.random_range(0..step * 4 + 4)) } else { pool(step * 4 + i) },
                )
                .collect();
            if n > 1 && rng.random_bool(0.1) {
                new.push(new[0].clone());
            }
            let b = brief(id, &new);
            let old = briefs.insert(id, Arc::new(b.clone()));
            if let Some(old) = &old {
                for c in old.codes() {
                    if want.get(c) == Some(&id) {
                        want.remove(c);
                    }
                }
            }
            for c in &new {
                want.insert(c.clone(), id);
            }
            codes.update(&briefs, &b, old.as_deref());
            if step % 1000 == 999 {
                for n in 0..(step + 1) * 4 + 4 {
                    let c = pool(n);
                    assert_eq!(codes.get(&briefs, &c), want.get(&c).copied(), "code {c} after step {step}");
                }
            }
        }
        assert_eq!(codes.table.len(), want.len(), "no stale entries are left behind");
        assert!(want.len() > 2000, "the table grew past its first sizes: {}", want.len());
    }

    /// Random inserts, removals and lookups over ids near the others, far past them and negative: the id map
    /// answers as a hash map does, iterates over exactly its entries, and its vector stays near the ids it holds.
    #[test]
    fn id_map_answers_as_a_hash_map() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let mut m: IdMap<String> = IdMap::default();
        let mut want: HashMap<i64, String> = HashMap::new();
        for step in 0..50_000 {
            let id = match rng.random_range(0..10) {
                0 => rng.random_range(i64::MIN..0),
                1 => rng.random_range(10_000_000..i64::MAX),
                _ => rng.random_range(0..5_000),
            };
            match rng.random_range(0..4) {
                0 => assert_eq!(m.remove(id), want.remove(&id), "step {step}: remove {id}"),
                1 => {
                    m.get_or_insert_with(id, || format!("new {step}")).push('+');
                    want.entry(id).or_insert_with(|| format!("new {step}")).push('+');
                }
                _ => assert_eq!(m.insert(id, step.to_string()), want.insert(id, step.to_string()), "step {step}"),
            }
            assert_eq!(m.get(id), want.get(&id), "step {step}: get {id}");
            assert_eq!(m.len(), want.len(), "step {step}");
        }
        let mut all: Vec<(i64, String)> = m.iter().map(|(id, v)| (id, v.clone())).collect();
        all.sort();
        let mut expected: Vec<(i64, String)> = want.into_iter().collect();
        expected.sort();
        assert_eq!(all, expected);
        assert!(m.dense.len() <= 5_000 + IdMap::<String>::SLACK, "the vector grew to {}", m.dense.len());
        assert!(!m.sparse.is_empty(), "far and negative ids went to the map");
    }

    /// The vector and the map answer as one map would, also for ids far past the others, subject ids beyond `u32`
    /// and records moved between the two.
    #[test]
    fn record_subjects_answer_as_a_map_for_any_ids() {
        let mut m = SubjectOf::default();
        let mut want = std::collections::HashMap::new();
        let ids: [(i64, i64); 9] = [
            (1, 7),
            (2, 7),
            (i64::MAX, 3),
            (-5, 4),
            (3, i64::from(u32::MAX) + 9),
            (3, 8),
            (1, 9),
            (5_000_000_000, 2),
            (2, i64::MAX),
        ];
        for (record, subject) in ids {
            assert_eq!(m.insert(record, subject), want.insert(record, subject), "record {record}");
            assert_eq!(m.len(), want.len());
        }
        for (record, subject) in &want {
            assert_eq!(m.get(*record), Some(*subject));
        }
        assert_eq!(m.get(4), None);
        // An id far past the others never grows the vector to it.
        assert!(m.small.dense.len() <= IdMap::<std::num::NonZeroU32>::SLACK + 2 * m.len() + 1);
    }
}
