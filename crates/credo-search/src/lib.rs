//! # credo-search
//!
//! One-stop search (一站式查询) over credit subjects, built on tantivy and made for Chinese names.
//!
//! A subject is indexed under:
//! * its **codes** (USCC, ID number, legacy codes), matched exactly in any case;
//! * its **normalised full name** (exact match ranks first);
//! * the name as **jieba words** and as **character bigrams**, so short names and partial words match;
//! * its **name core** without place prefixes (西宁, 西宁市, 青海省 …) and legal-form suffixes (有限公司 …), so
//!   `鑫源商贸` finds `西宁市城东区鑫源商贸有限公司`;
//! * the core's **pinyin**, full and initials (`xinyuanshangmao`, `xysm`);
//! * the core's **sound** ([`credo_domain::sound`]): its syllable pairs and its whole run of syllables, every
//!   reading of a polyphonic character, near homophones folded together, so that a name typed with a homophone
//!   (`坤乐商贸` for `昆乐商贸`) still finds it;
//! * for a **branch** (分公司, 分店, 营业部 …), its head office's name, so that the head office lists its branches.
//!
//! A search ranks in two stages: the index's candidates (exact matches, then the best partial ones by BM25), then
//! the first [`RERANK`] of them by how near each name is to the query ([`credo_domain::sound::distance`]): the
//! exact full name first, then the exact core, then the nearest, where a homophone is nearer than a near
//! homophone and both nearer than another character; a query naming a branch ranks the branch, then its head
//! office.
//!
//! Queries are normalised like names (NFKC, traditional → simplified, stray spaces removed), so full-width text,
//! traditional characters and spaces do not matter. The index is derived data: [`SubjectIndex::upsert`] follows the
//! store's change feed and a rebuild recreates it.
//!
//! The index never holds an ID number written in a name (`张三110101199003071234`): names are indexed and stored
//! masked ([`credo_domain::masking`]), and a query's name is masked the same way before it is matched, so typing
//! the full name still finds the subject. Persons' own codes arrive as blind indexes.

use std::path::Path;

use credo_domain::catalog::SubjectKind;
use credo_domain::ids;
use credo_domain::masking::mask_id_numbers;
use credo_domain::name::{name_core, normalize_name, split_branch};
use credo_domain::sound::{self, Sounded};
use pinyin::ToPinyin;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, NgramTokenizer, TextAnalyzer, TokenStream, WhitespaceTokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Dir(String),
    #[error("search index is being written by another process")]
    ReadOnly,
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// The most hits one search returns.
pub const MAX_HITS: usize = 1_000;
/// Matches are counted exactly up to this many — as deep as one can page ([`MAX_HITS`]); a search that matches more
/// says "more than" (a common name part matches millions of subjects of a national store: counting them all cost a
/// second per search, and counting to 10,000 still a third of a search's time on a 1 M-subject store).
pub const COUNT_CAP: usize = MAX_HITS;
/// How many of a search's first candidates are ranked again by how near their names are to the query; those after
/// them keep the index's order.
pub const RERANK: usize = 50;

/// What the index needs to know about a subject.
#[derive(Debug, Clone)]
pub struct SubjectDoc {
    pub id: i64,
    pub kind: SubjectKind,
    /// The code shown in results (already masked for persons).
    pub display_code: Option<String>,
    /// Every code the subject can be found by (not stored in the index).
    pub codes: Vec<String>,
    /// The name as registered; indexed and stored with any ID number in it masked.
    pub name: String,
    pub region: Option<String>,
    /// The items the subject has records of (for filters and for who may find it: see [`Search`]).
    pub items: Vec<String>,
    /// Its other names (曾用名, names judged the same, names of subjects merged into it): found by them as by its
    /// name.
    pub aliases: Vec<String>,
}

/// Who a search may find, kind by kind: every subject of the kind (`None`), or those with records of one of these
/// items (a person known only from records kept to 政务共享 is found by nobody on a public surface).
pub type Visible = Vec<(SubjectKind, Option<Vec<String>>)>;

/// One search: text (a code, a name, a short name, pinyin; empty to browse by filters alone) and filters.
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    pub text: &'a str,
    pub kind: Option<SubjectKind>,
    /// A region code: the subject's region lies in it (a province, city or district).
    pub region: Option<&'a str>,
    /// Subjects with records of this item, of the kinds listed (those for which its records are shown).
    pub item: Option<(&'a str, Vec<SubjectKind>)>,
    /// Who may be found at all (`None`: everyone, for departments' own lookups).
    pub visible: Option<Visible>,
}

/// A page of hits and how many subjects match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// How many subjects match: exact up to [`COUNT_CAP`]; beyond it counting stops (`total_exact` is false).
    pub total: usize,
    pub total_exact: bool,
}

impl Default for Found {
    fn default() -> Found {
        Found { hits: Vec::new(), total: 0, total_exact: true }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub kind: SubjectKind,
    pub region: Option<String>,
    pub score: f32,
    /// The other name (曾用名 …) the query matched better than the name, when one did.
    pub alias: Option<String>,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    code: Field,
    codes: Field,
    name: Field,
    name_exact: Field,
    words: Field,
    bigrams: Field,
    core_exact: Field,
    pinyin: Field,
    sounds: Field,
    sound_exact: Field,
    parent: Field,
    aliases: Field,
    kind: Field,
    region: Field,
    regions: Field,
    items: Field,
}

const JIEBA: &str = "jieba";
const BIGRAM: &str = "bigram";
const WHITESPACE: &str = "whitespace";
/// At most this many syllable pairs and whole runs of syllables per name (polyphonic characters multiply them).
const SOUND_CAP: usize = 24;

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tok: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(tok).set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let f = Fields {
        id: b.add_i64_field("id", INDEXED | STORED),
        code: b.add_text_field("code", STORED),
        codes: b.add_text_field("codes", STRING),
        name: b.add_text_field("name", STORED),
        name_exact: b.add_text_field("name_exact", STRING),
        words: b.add_text_field("words", text(JIEBA)),
        bigrams: b.add_text_field("bigrams", text(BIGRAM)),
        core_exact: b.add_text_field("core_exact", STRING),
        pinyin: b.add_text_field("pinyin", STRING),
        sounds: b.add_text_field("sounds", text(WHITESPACE)),
        sound_exact: b.add_text_field("sound_exact", STRING),
        parent: b.add_text_field("parent", STRING),
        aliases: b.add_text_field("aliases", STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        region: b.add_text_field("region", STRING | STORED),
        regions: b.add_text_field("regions", STRING),
        items: b.add_text_field("items", STRING),
    };
    (b.build(), f)
}

fn register_tokenizers(index: &Index) -> Result<()> {
    index
        .tokenizers()
        .register(JIEBA, TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new()).filter(LowerCaser).build());
    let bigram = NgramTokenizer::new(2, 2, false)?;
    index.tokenizers().register(BIGRAM, TextAnalyzer::builder(bigram).filter(LowerCaser).build());
    index.tokenizers().register(WHITESPACE, TextAnalyzer::builder(WhitespaceTokenizer::default()).build());
    Ok(())
}

/// Full pinyin and initials of the Chinese characters in `s` (other characters are kept, lower-cased); `ü` is
/// written `v`, as on a keyboard (`lvyou` for 旅游).
fn pinyin_forms(s: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (c, p) in s.chars().zip(s.to_pinyin()) {
        match p {
            Some(p) => {
                full.push_str(&p.plain().replace('ü', "v"));
                initials.push_str(p.first_letter());
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

/// The region codes a region lies in, as indexed: its province (2 digits), city (4) and itself.
fn region_prefixes(region: &str) -> Vec<&str> {
    let mut out: Vec<&str> = [2, 4].iter().filter_map(|n| region.get(..*n)).collect();
    out.push(region);
    out.dedup();
    out
}

/// The indexed prefix a region code stands for: `630000` → `63`, `630100` → `6301`, `630102` → `630102`.
fn region_term(code: &str) -> &str {
    if code.len() == 6 && code.ends_with("0000") {
        &code[..2]
    } else if code.len() == 6 && code.ends_with("00") {
        &code[..4]
    } else {
        code
    }
}

pub struct SubjectIndex {
    index: Index,
    reader: IndexReader,
    /// `None` when another process (a running server) holds the index's write lock: this one then only reads,
    /// and the writer's own change-feed follower indexes what this process stores.
    writer: Option<std::sync::Mutex<IndexWriter>>,
    fields: Fields,
    places: Vec<String>,
}

impl SubjectIndex {
    /// Opens the index in `dir`, creating it if it does not exist. `places` are the place prefixes for name cores.
    pub fn open(dir: &Path, places: Vec<String>) -> Result<SubjectIndex> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Dir(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Dir(e.to_string()))?;
        let index = match Index::open_or_create(mmap.clone(), schema.clone()) {
            Ok(index) => index,
            // An index of an older layout: derived data, recreated empty (the caller refills it from the store).
            Err(tantivy::TantivyError::SchemaError(_)) => {
                for entry in std::fs::read_dir(dir).map_err(|e| SearchError::Dir(e.to_string()))?.flatten() {
                    let path = entry.path();
                    let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                }
                let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Dir(e.to_string()))?;
                Index::create(mmap, schema, tantivy::IndexSettings::default())?
            }
            Err(e) => return Err(e.into()),
        };
        register_tokenizers(&index)?;
        let writer = match index.writer_with_num_threads(1, 100_000_000) {
            Ok(w) => {
                // Segments of similar size merged as soon as there are three (tantivy waits for eight).
                let mut policy = tantivy::merge_policy::LogMergePolicy::default();
                policy.set_min_num_segments(3);
                w.set_merge_policy(Box::new(policy));
                Some(std::sync::Mutex::new(w))
            }
            Err(tantivy::TantivyError::LockFailure(..)) => None,
            Err(e) => return Err(e.into()),
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SubjectIndex { index, reader, writer, fields, places })
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&self) -> Result<()> {
        let Some(w) = &self.writer else { return Err(SearchError::ReadOnly) };
        let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
        w.delete_all_documents()?;
        w.commit()?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds or replaces subjects. Call [`SubjectIndex::commit`] to make them visible.
    pub fn upsert(&self, docs: &[SubjectDoc]) -> Result<()> {
        let f = self.fields;
        let Some(w) = &self.writer else { return Err(SearchError::ReadOnly) };
        let w = w.lock().unwrap_or_else(|e| e.into_inner());
        for d in docs {
            w.delete_term(Term::from_field_i64(f.id, d.id));
            let name = mask_id_numbers(&d.name);
            let norm = normalize_name(&name);
            let core = name_core(&norm, &self.places);
            let (py_full, py_initials) = pinyin_forms(&core);
            let mut doc = doc!(
                f.id => d.id,
                f.name => name.into_owned(),
                f.kind => d.kind.as_str(),
            );
            self.add_name(&mut doc, &norm, &core);
            for alias in d.aliases.iter().map(|a| mask_id_numbers(a)) {
                let norm = normalize_name(&alias);
                self.add_name(&mut doc, &norm, &name_core(&norm, &self.places));
                doc.add_text(f.aliases, alias);
            }
            if let Some(parent) = split_branch(&norm).and_then(|b| b.parent) {
                doc.add_text(f.parent, parent);
            }
            if !py_full.is_empty() {
                doc.add_text(f.pinyin, &py_full);
                doc.add_text(f.pinyin, &py_initials);
                // `u` for `ü` too, as some type it (`luyou`).
                if py_full.contains('v') && !core.is_ascii() {
                    doc.add_text(f.pinyin, py_full.replace('v', "u"));
                }
            }
            // From each later word on as well, so that a pinyin prefix finds a word inside the name
            // (`mingzhu` in 高原明珠乳业).
            for start in self.word_starts(&core).into_iter().filter(|s| *s > 0) {
                let (full, initials) = pinyin_forms(&core[start..]);
                if full.len() >= 3 {
                    doc.add_text(f.pinyin, &full);
                    doc.add_text(f.pinyin, &initials);
                }
            }
            if let Some(c) = &d.display_code {
                doc.add_text(f.code, c);
            }
            for c in &d.codes {
                doc.add_text(f.codes, c.to_uppercase());
            }
            if let Some(r) = &d.region {
                doc.add_text(f.region, r);
                for p in region_prefixes(r) {
                    doc.add_text(f.regions, p);
                }
            }
            for i in &d.items {
                doc.add_text(f.items, i);
            }
            w.add_document(doc)?;
        }
        Ok(())
    }

    /// The name fields of one name (the subject's, or another of its names).
    fn add_name(&self, doc: &mut TantivyDocument, norm: &str, core: &str) {
        let f = self.fields;
        doc.add_text(f.name_exact, norm);
        doc.add_text(f.words, norm);
        doc.add_text(f.bigrams, norm);
        doc.add_text(f.core_exact, core);
        if core != norm {
            doc.add_text(f.words, core);
        }
        let sounded = sound::sounded(core);
        doc.add_text(f.sounds, sound::syllable_pairs(&sounded, 3, SOUND_CAP).join(" "));
        for run in sound::folded_runs(&sounded, SOUND_CAP) {
            doc.add_text(f.sound_exact, run);
        }
    }

    /// Removes subjects (merged into others). Call [`SubjectIndex::commit`] to make it visible.
    pub fn remove(&self, ids: &[i64]) -> Result<()> {
        let Some(w) = &self.writer else { return Err(SearchError::ReadOnly) };
        let w = w.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            w.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        Ok(())
    }

    pub fn commit(&self) -> Result<()> {
        let Some(w) = &self.writer else { return Err(SearchError::ReadOnly) };
        w.lock().unwrap_or_else(|e| e.into_inner()).commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one, when there are more than `most`, and waits for it. Each commit of a bulk load
    /// leaves a segment, and a search ranks in every segment on its own: on the 1 M-subject demo store, seven
    /// segments answered name searches at 240 q/s and one at 390 q/s (BENCHMARKS.md, issue 16). Called after bulk
    /// loads (`credo reindex`, the demo); the writer's merge policy keeps the count low between them.
    pub fn compact(&self, most: usize) -> Result<usize> {
        let Some(w) = &self.writer else { return Err(SearchError::ReadOnly) };
        // A merge of the policy's, running in the background, may take some of the segments first: then they are
        // listed again.
        for _ in 0..20 {
            let ids = self.index.searchable_segment_ids()?;
            if ids.len() <= most {
                break;
            }
            let merged = w.lock().unwrap_or_else(|e| e.into_inner()).merge(&ids).wait();
            match merged {
                Ok(_) => break,
                Err(tantivy::TantivyError::InvalidArgument(_)) => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.reader.reload()?;
        Ok(self.index.searchable_segment_ids()?.len())
    }

    /// Whether this process may write the index (it holds the write lock).
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// Picks up segments committed by another process.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Loads jieba's dictionary now (it is loaded on first use, which takes a moment). A server calls this before
    /// it answers: otherwise the first searches after a start all wait for one thread to load it, the others
    /// spinning on the lock of the lazily initialised dictionary (seen as 35 % of a loaded server's time).
    pub fn warm_up(&self) {
        let _ = self.word_starts("西宁市城中区信用商贸有限公司");
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Where jieba's words start in `text` (byte offsets, ascending).
    fn word_starts(&self, text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(mut a) = self.index.tokenizers().get(JIEBA) {
            let mut stream = a.token_stream(text);
            while stream.advance() {
                out.push(stream.token().offset_from);
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|o| text.is_char_boundary(*o));
        out
    }

    fn tokens(&self, analyzer: &str, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(mut a) = self.index.tokenizers().get(analyzer) {
            let mut stream = a.token_stream(text);
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
        }
        out
    }

    /// A query's two index queries and what its candidates are ranked by: `exact` (codes, the normalised full name,
    /// the name core, its sound, pinyin: tiny posting lists, boosted) and `fuzzy` (jieba words, bigrams and
    /// syllable pairs of the core: a plain union of term queries, which tantivy answers with block-max WAND instead
    /// of scoring every matching document).
    fn prepare(&self, q: &str) -> Option<Prepared> {
        let f = self.fields;
        let prepared = ids::prepare(q);
        let compact: String = prepared.chars().filter(|c| !c.is_whitespace()).collect();
        let term =
            |field: Field, text: &str| TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
        let boosted = |field: Field, text: &str, boost: f32| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(BoostQuery::new(Box::new(term(field, text)), boost)))
        };
        let mut exact: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // A code in any case: exact match on codes. Codes are alphanumeric, so also try when it merely looks so.
        let mut codes: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if compact.len() >= 8 && compact.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            codes.push(boosted(f.codes, &compact, 100.0));
            codes.push(boosted(f.codes, &compact.replace('-', ""), 100.0));
            exact.push((
                Occur::Should,
                Box::new(BooleanQuery::new(codes.iter().map(|(o, q)| (*o, q.box_clone())).collect())),
            ));
        }
        // Names are indexed masked: a query for a name with an ID number in it is masked alike.
        let norm = normalize_name(&mask_id_numbers(q));
        if norm.is_empty() {
            return None;
        }
        let core = name_core(&norm, &self.places);
        exact.push(boosted(f.name_exact, &norm, 50.0));
        exact.push(boosted(f.core_exact, &core, 20.0));
        if norm.chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || c == 'Ü') {
            let py: String =
                norm.replace('Ü', "V").chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>().to_lowercase();
            exact.push(boosted(f.pinyin, &py, 10.0));
            // A pinyin prefix (`xinyuan` for `xinyuanshangmao`, `xys` for `xysm`): a prefix automaton over the
            // pinyin terms.
            if py.len() >= 3 {
                let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(f.pinyin, &py), 0, false);
                exact.push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefix), 5.0))));
            }
        }
        let typed = sound::sounded(&core);
        let chinese = typed.iter().any(|s| !s.readings.is_empty());
        // The same sound as the whole core: a name typed with homophones.
        for run in sound::folded_runs(&typed, SOUND_CAP) {
            exact.push(boosted(f.sound_exact, &run, 8.0));
        }
        let mut fuzzy: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in self.tokens(JIEBA, &core) {
            fuzzy.push((Occur::Should, Box::new(term(f.words, &w))));
        }
        for b in self.tokens(BIGRAM, &core) {
            fuzzy.push((Occur::Should, Box::new(term(f.bigrams, &b))));
        }
        // Two readings a character: each pair is a term of the union every search walks.
        for pair in sound::syllable_pairs(&typed, 2, SOUND_CAP) {
            fuzzy.push((Occur::Should, Box::new(term(f.sounds, &pair))));
        }
        Some(Prepared {
            exact: BooleanQuery::new(exact),
            fuzzy: BooleanQuery::new(fuzzy),
            codes: (!codes.is_empty()).then(|| BooleanQuery::new(codes)),
            branch: split_branch(&norm).is_some(),
            norm,
            core,
            typed: chinese.then_some(typed),
        })
    }

    /// Ranked hits for a query (a code, a full or short name, pinyin …): exact matches first, then the best
    /// partial matches. At most [`MAX_HITS`]. Every subject is found (departments' lookups); public surfaces use
    /// [`SubjectIndex::find`] with [`Search::visible`].
    pub fn search(&self, q: &str, limit: usize) -> Result<Vec<Hit>> {
        Ok(self.find(&Search { text: q, ..Search::default() }, 0, limit)?.hits)
    }

    /// The filters of a search as queries every hit must match (scoring nothing).
    fn filters(&self, s: &Search<'_>) -> Vec<Box<dyn Query>> {
        let f = self.fields;
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        let any = |qs: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(qs.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        let all = |qs: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(qs.into_iter().map(|q| (Occur::Must, q)).collect()))
        };
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(k) = s.kind {
            out.push(term(f.kind, k.as_str()));
        }
        if let Some(r) = s.region.filter(|r| !r.is_empty()) {
            out.push(term(f.regions, region_term(r)));
        }
        if let Some((item, kinds)) = &s.item {
            out.push(all(vec![term(f.items, item), any(kinds.iter().map(|k| term(f.kind, k.as_str())).collect())]));
        }
        if let Some(visible) = &s.visible {
            out.push(any(visible
                .iter()
                .map(|(kind, items)| match items {
                    None => term(f.kind, kind.as_str()),
                    Some(items) => {
                        all(vec![term(f.kind, kind.as_str()), any(items.iter().map(|i| term(f.items, i)).collect())])
                    }
                })
                .collect()));
        }
        out.into_iter().map(|q| Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>).collect()
    }

    /// One page of hits (`offset`, `limit`; together at most [`MAX_HITS`] deep) with the number of subjects that
    /// match in all. With text: exact matches first (codes, full name, name core, pinyin), then the best partial
    /// ones; without: every subject the filters allow.
    pub fn find(&self, s: &Search<'_>, offset: usize, limit: usize) -> Result<Found> {
        let filters = self.filters(s);
        let with = |q: Box<dyn Query>| -> BooleanQuery {
            let mut clauses = vec![(Occur::Must, q)];
            clauses.extend(filters.iter().map(|f| (Occur::Must, f.box_clone())));
            BooleanQuery::new(clauses)
        };
        let searcher = self.reader.searcher();
        let depth = (offset + limit.max(1)).min(MAX_HITS);
        if !s.text.trim().is_empty() {
            let Some(q) = self.prepare(s.text) else {
                return Ok(Found::default());
            };
            let either = BooleanQuery::new(vec![
                (Occur::Should, Box::new(q.exact.clone()) as Box<dyn Query>),
                (Occur::Should, Box::new(q.fuzzy.clone())),
            ]);
            let (total, total_exact) = count_upto(&searcher, &with(Box::new(either)), COUNT_CAP, |_| {})?;
            let hits = self.ranked(&searcher, &q, &filters, offset, depth)?;
            return Ok(Found { hits, total, total_exact });
        }
        if filters.is_empty() {
            return Ok(Found::default());
        }
        // Browsing by filters: every hit scores alike, so the first in index order, counted as far as the cap.
        let mut first = Vec::with_capacity(depth);
        let (total, total_exact) =
            count_upto(&searcher, &with(Box::new(tantivy::query::AllQuery)), COUNT_CAP, |addr| {
                if first.len() < depth {
                    first.push(addr);
                }
            })?;
        let hits = first.into_iter().skip(offset).map(|addr| self.hit(&searcher, 1.0, addr)).collect::<Result<_>>()?;
        Ok(Found { hits, total, total_exact })
    }

    /// Hits `offset..depth` of a text query: the index's candidates (exact matches first, then the best partial
    /// ones), the first [`RERANK`] of them ranked again by [`Prepared::rank`].
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        q: &Prepared,
        filters: &[Box<dyn Query>],
        offset: usize,
        depth: usize,
    ) -> Result<Vec<Hit>> {
        let with = |query: &BooleanQuery| -> BooleanQuery {
            let mut clauses = vec![(Occur::Must, Box::new(query.clone()) as Box<dyn Query>)];
            clauses.extend(filters.iter().map(|f| (Occur::Must, f.box_clone())));
            BooleanQuery::new(clauses)
        };
        let window = depth.max(RERANK);
        // Exact hits outrank every partial one in the index's order.
        const EXACT_BONUS: f32 = 1000.0;
        let mut candidates: Vec<(f32, tantivy::DocAddress)> = searcher
            .search(&with(&q.exact), &TopDocs::with_limit(window).order_by_score())?
            .into_iter()
            .map(|(s, a)| (s + EXACT_BONUS, a))
            .collect();
        if candidates.len() < window {
            let more = self.top_passing(searcher, q.fuzzy.clone(), filters, window + candidates.len())?;
            let seen: std::collections::HashSet<tantivy::DocAddress> = candidates.iter().map(|(_, a)| *a).collect();
            candidates.extend(more.into_iter().filter(|(_, a)| !seen.contains(a)).take(window - candidates.len()));
        }
        let by_code: std::collections::HashSet<tantivy::DocAddress> = match &q.codes {
            Some(codes) => searcher
                .search(&with(codes), &TopDocs::with_limit(RERANK).order_by_score())?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            None => Default::default(),
        };
        let head = candidates.len().min(RERANK);
        let mut first: Vec<(RankKey, Hit)> = candidates[..head]
            .iter()
            .map(|(score, addr)| {
                let (mut hit, aliases) = self.hit_and_aliases(searcher, *score, *addr)?;
                let by_code = by_code.contains(addr);
                let (tier, near, kind, near_name) = q.rank(&hit.name, by_code, &self.places);
                let mut key = (tier, near, kind, near_name, *score);
                // Found by another name (曾用名 …) better than by its own: ranked by that, and says so.
                for alias in aliases {
                    let (tier, near, kind, near_name) = q.rank(&alias, by_code, &self.places);
                    if (tier, near) > (key.0, key.1) {
                        key = (tier, near, kind, near_name, *score);
                        hit.alias = Some(alias);
                    }
                }
                Ok((key, hit))
            })
            .collect::<Result<_>>()?;
        first.sort_by(|(a, x), (b, y)| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal).then(x.id.cmp(&y.id)));
        let mut hits: Vec<Hit> = first
            .into_iter()
            .map(|((tier, near, ..), mut hit)| {
                hit.score = f32::from(tier) + near.clamp(0.0, 0.999);
                hit
            })
            .skip(offset)
            .take(depth.saturating_sub(offset))
            .collect();
        for (score, addr) in candidates.iter().take(depth).skip(head.max(offset)) {
            // After the ranked ones, below every one of them.
            hits.push(self.hit(searcher, score / (score + 1.0), *addr)?);
        }
        Ok(hits)
    }

    /// The best `limit` hits of `query` that pass every one of `filters`. The query alone first — a pure union of
    /// terms, which tantivy prunes with block-max WAND — oversampled, then the filters checked on those hits only;
    /// the intersection, which scores every match that passes (a common name part matches most of a large store),
    /// only when too few of the sample pass. Both give the same hits in the same order: the sample is a prefix of
    /// the ranking the intersection would score.
    fn top_passing(
        &self,
        searcher: &tantivy::Searcher,
        query: BooleanQuery,
        filters: &[Box<dyn Query>],
        limit: usize,
    ) -> Result<Vec<(f32, tantivy::DocAddress)>> {
        let sample = limit * 2 + 20;
        let ranked = searcher.search(&query, &TopDocs::with_limit(sample).order_by_score())?;
        let complete = ranked.len() < sample;
        let passing = passing(searcher, filters, ranked)?;
        if passing.len() >= limit || complete {
            return Ok(passing.into_iter().take(limit).collect());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(query))];
        clauses.extend(filters.iter().map(|f| (Occur::Must, f.box_clone())));
        Ok(searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())?)
    }

    /// The branches of the subject named `parent` (分公司, 分店 … whose names start with its full name), among those
    /// `visible`, by name.
    pub fn branches(&self, parent: &str, visible: Option<Visible>, limit: usize) -> Result<Vec<Hit>> {
        let mut hits = self.matching(self.fields.parent, parent, visible, limit)?;
        hits.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(hits)
    }

    /// The subjects of exactly the name `name` (normalised), among those `visible`: a branch's head office.
    pub fn named(&self, name: &str, visible: Option<Visible>, limit: usize) -> Result<Vec<Hit>> {
        self.matching(self.fields.name_exact, name, visible, limit)
    }

    fn matching(&self, field: Field, name: &str, visible: Option<Visible>, limit: usize) -> Result<Vec<Hit>> {
        let term = Term::from_field_text(field, &normalize_name(&mask_id_numbers(name)));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic)))];
        let only = Search { visible, ..Search::default() };
        clauses.extend(self.filters(&only).into_iter().map(|q| (Occur::Must, q)));
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.clamp(1, MAX_HITS)).order_by_score())?;
        top.into_iter().map(|(score, addr)| self.hit(&searcher, score, addr)).collect()
    }

    /// Subjects whose codes are one character (a substitution, an insertion, a deletion or two swapped) from
    /// `code`, among those `visible`: the codes a typo may have meant.
    pub fn near_codes(&self, code: &str, visible: Option<Visible>, limit: usize) -> Result<Vec<Hit>> {
        let f = self.fields;
        let near = FuzzyTermQuery::new(Term::from_field_text(f.codes, &code.to_uppercase()), 1, true);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(near))];
        let only = Search { visible, ..Search::default() };
        clauses.extend(self.filters(&only).into_iter().map(|q| (Occur::Must, q)));
        let searcher = self.reader.searcher();
        let top =
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.clamp(1, 20)).order_by_score())?;
        top.into_iter().map(|(score, addr)| self.hit(&searcher, score, addr)).collect()
    }

    fn hit(&self, searcher: &tantivy::Searcher, score: f32, addr: tantivy::DocAddress) -> Result<Hit> {
        Ok(self.hit_and_aliases(searcher, score, addr)?.0)
    }

    /// A hit and the subject's other names.
    fn hit_and_aliases(
        &self,
        searcher: &tantivy::Searcher,
        score: f32,
        addr: tantivy::DocAddress,
    ) -> Result<(Hit, Vec<String>)> {
        let f = self.fields;
        let d: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| d.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        let aliases = d.get_all(f.aliases).filter_map(|v| v.as_str().map(str::to_string)).collect();
        let hit = Hit {
            id: d.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default(),
            code: text(f.code),
            name: text(f.name).unwrap_or_default(),
            kind: text(f.kind).and_then(|k| SubjectKind::parse(&k)).unwrap_or(SubjectKind::Organisation),
            region: text(f.region),
            score,
            alias: None,
        };
        Ok((hit, aliases))
    }
}

/// What a candidate is ranked by: [`Prepared::rank`], then the index's score.
type RankKey = (u8, f32, bool, f32, f32);

/// A text query prepared: its index queries and what its candidates are ranked by.
struct Prepared {
    exact: BooleanQuery,
    fuzzy: BooleanQuery,
    /// The codes alone, when the text looks like a code.
    codes: Option<BooleanQuery>,
    norm: String,
    core: String,
    /// The core's characters with their readings, when it is Chinese (a name typed in pinyin is ranked by the
    /// index alone).
    typed: Option<Vec<Sounded>>,
    /// Whether the query names a branch (ends with 分公司, 分店 …).
    branch: bool,
}

impl Prepared {
    /// How a candidate named `name` ranks: `(tier, nearness of the core, same kind of branch, nearness of the full
    /// name)`, compared in that order (then by the index's score). Tier 4: one of its codes is the query; 3: its
    /// full name; 2: its name core; 1: any other. Nearness is [`sound::distance`] over the query's length: 1 for
    /// the same, lower the farther; the kind of branch (分公司, 营业部 …) and the full name's nearness tell apart
    /// names of the same core (the place, the legal form). When the query names a branch, the head office the
    /// branch belongs to is nearer than any other branch.
    fn rank(&self, name: &str, by_code: bool, places: &[String]) -> (u8, f32, bool, f32) {
        if by_code {
            return (4, 0.0, false, 0.0);
        }
        let norm = normalize_name(name);
        if norm == self.norm {
            return (3, 0.0, false, 0.0);
        }
        let Some(typed) = &self.typed else {
            return (1, 0.0, false, 0.0);
        };
        let marker = |n: &str| split_branch(n).map(|b| b.marker);
        let same_kind = marker(&norm) == marker(&self.norm);
        let nearness = |typed: &[Sounded], name: &str| {
            1.0 - sound::distance(typed, &sound::sounded(name)) / typed.len().max(1) as f32
        };
        let near_name = nearness(&sound::sounded(&self.norm), &norm);
        let core = name_core(&norm, places);
        if core == self.core && (same_kind || !self.branch) {
            return (2, 0.0, same_kind, near_name);
        }
        // The same core but another kind of branch than the one asked for: after the head office.
        let mut near = if core == self.core { 0.9 } else { nearness(typed, &core) };
        if self.branch && split_branch(&norm).is_none() && self.core.starts_with(&core) {
            near = near.max(0.95);
        }
        (1, near, same_kind, near_name)
    }
}

/// The hits (in their order) that every one of `filters` matches: each segment's filter is walked once, seeking
/// the hits' documents in ascending order.
fn passing(
    searcher: &tantivy::Searcher,
    filters: &[Box<dyn Query>],
    hits: Vec<(f32, tantivy::DocAddress)>,
) -> Result<Vec<(f32, tantivy::DocAddress)>> {
    use tantivy::DocSet as _;
    if filters.is_empty() {
        return Ok(hits);
    }
    let all = BooleanQuery::new(filters.iter().map(|f| (Occur::Must, f.box_clone())).collect());
    let weight = all.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut wanted: Vec<tantivy::DocAddress> = hits.iter().map(|(_, a)| *a).collect();
    wanted.sort_unstable();
    let mut pass = std::collections::HashSet::new();
    for segment in wanted.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let mut scorer = weight.scorer(searcher.segment_reader(segment[0].segment_ord), 1.0)?;
        for a in segment {
            let at = if scorer.doc() < a.doc_id { scorer.seek(a.doc_id) } else { scorer.doc() };
            if at == a.doc_id {
                pass.insert(*a);
            }
        }
    }
    Ok(hits.into_iter().filter(|(_, a)| pass.contains(a)).collect())
}

/// The documents `query` matches, in index order, each given to `each`, counted until `cap` (then counting stops):
/// returns the count and whether it is exact. Scoring is off, so a union of terms costs what its first `cap`
/// documents cost, not every posting of its commonest term.
fn count_upto(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    cap: usize,
    mut each: impl FnMut(tantivy::DocAddress),
) -> Result<(usize, bool)> {
    use tantivy::DocSet as _;
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut n = 0;
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                if n == cap {
                    return Ok((n, false));
                }
                n += 1;
                each(tantivy::DocAddress::new(ord as u32, doc));
            }
            doc = scorer.advance();
        }
    }
    Ok((n, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_of_core() {
        assert_eq!(pinyin_forms("鑫源商贸"), ("xinyuanshangmao".to_string(), "xysm".to_string()));
    }
}
