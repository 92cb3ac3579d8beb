//! 联合奖惩核查: a department asks about subjects before it decides; the platform answers with the measures that
//! apply, why, on what legal basis and on which records, in a receipt signed with its SM2 key.
//!
//! Answers for today come from the in-memory [`Index`] (built from the store at start, kept current from the
//! change feed), so a check touches the store only to log itself. Answers `as_of` an earlier day replay what the
//! store had received by then ([`credo_store::RecordStore::subject_records_as_of`]); both paths share [`evaluate`].
//!
//! **Persons reached through another subject's records** (the 法定代表人 or 实际控制人 of a unit under a 限制消费令,
//! 法释〔2015〕17号 第三条): a record that carries a person's ID number is indexed under the number's blind index
//! (HMAC-SM3, [`credo_store::Vault::blind`]), never the number itself; a check of a person by 居民身份证号码 finds
//! those records exactly, and the measure applies. Where a record carries only a name for the role, a person with the
//! same name is **not** decided on: namesakes are common (张伟 …), and a wrong 禁止 or 限制 harms someone who owes
//! nothing. Such records come back in `name_only`, marked 「仅姓名相同,未作为核查结论,须人工核实身份」, so that the
//! department can verify them by hand. For the same reason a natural person asked about **by name** is not decided
//! on even when the platform knows exactly one person of that name: the answer is `ambiguous`
//! (`reason: person_by_name`) with that person as a masked hint, and asks for the 居民身份证号码. Organisations are
//! still resolved by name.
//!
//! A replay `as_of` reaches persons the same way: the subjects whose records name or named the person (the index
//! links persons from every version it has seen, superseded ones included) are read as the store had them at that
//! time; the replayed receipt says so (`replay_scope`).
//!
//! The department's own text (`purpose`, `reference`) is written into the receipt and the audit log with every ID
//! number in it masked.
//!
//! **Statutory facts** (`counts_when_unpublished`, e.g. 政府采购法 第二十二条 重大违法记录 within three years) count
//! although the record is no longer public (period over, repaired); the evidence says so. A revoked (撤销) record
//! never counts.

use std::collections::{BTreeMap, HashMap};

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_domain::measures::{BasisStatus, Decision, Fact, Hit, Measure, Measures, Reach};
use credo_domain::name::normalize_name;
use credo_domain::resolution::{Candidate, Keys, Resolution, resolve};
use credo_gm::sm2::KeyPair;
use credo_store::{Department, NewCheck};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::App;
use crate::public::mask_ids;

mod index;

use index::Match;
pub use index::{Brief, Contents, Index, Indexed, IndexedPerson, ItemCode, PersonKey};

/// Most subjects in one request (more: the CSV job).
pub const MAX_SUBJECTS: usize = 10_000;

/// Group commit for checks: receipts and their audit events are signed and written by one task, many checks per
/// signature and per transaction, and each check's answer is sent only once its transaction has committed. The
/// receipts that wait while the previous group is signed and committed form the next group: one SM2 signature
/// covers the SM3 Merkle root of their receipts, and each receipt keeps its inclusion proof
/// ([`credo_gm::batch`]).
pub struct Writer {
    tx: tokio::sync::mpsc::Sender<Pending>,
}

/// A receipt's signature (hex, DER) and its inclusion proof in the batch the signature covers.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub signature: String,
    pub proof: credo_gm::batch::Proof,
}

type Pending = (NewCheck, Vec<credo_store::AuditEvent>, tokio::sync::oneshot::Sender<Result<Sealed, String>>);

/// Most checks in one signature and one transaction.
const GROUP: usize = 512;

impl Writer {
    /// Starts the writing task (on the current tokio runtime), signing with `signer`.
    pub fn start(store: std::sync::Arc<dyn credo_store::Store>, signer: std::sync::Arc<KeyPair>) -> Writer {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Pending>(4 * GROUP);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP {
                    match rx.try_recv() {
                        Ok(p) => group.push(p),
                        Err(_) => break,
                    }
                }
                let started = std::time::Instant::now();
                let receipts: Vec<&[u8]> = group.iter().map(|(c, _, _)| c.receipt.as_bytes()).collect();
                let (signature, proofs) = credo_gm::batch::sign(&signer, &receipts);
                let signature = hex::encode(signature);
                let mut checks = Vec::with_capacity(group.len());
                let mut events = Vec::new();
                let mut waiting = Vec::with_capacity(group.len());
                for ((mut check, evs, done), proof) in group.into_iter().zip(proofs) {
                    check.signature = signature.clone();
                    check.proof = serde_json::to_string(&proof).ok();
                    checks.push(check);
                    events.extend(evs);
                    waiting.push((done, Sealed { signature: signature.clone(), proof }));
                }
                let signed = started.elapsed();
                let result = store.record_checks(&checks, &events).await.map_err(|e| e.to_string());
                // The outcomes go to the departments' webhooks (after the commit: a crash between the two loses
                // those deliveries, never sends one for a check not recorded).
                if result.is_ok()
                    && let Err(e) = crate::webhooks::on_checks(&*store, &checks).await
                {
                    tracing::error!(error = %e.detail, "check outcomes not queued for webhooks");
                }
                tracing::debug!(
                    checks = checks.len(),
                    sign_us = signed.as_micros() as u64,
                    total_us = started.elapsed().as_micros() as u64,
                    "checks signed and committed"
                );
                for (done, sealed) in waiting {
                    let _ = done.send(result.clone().map(|()| sealed));
                }
            }
        });
        Writer { tx }
    }

    /// Signs and stores a check (its `receipt` as it will be signed) and its audit events; returns the signature
    /// and the receipt's proof when they are committed.
    pub async fn write(&self, check: NewCheck, events: Vec<credo_store::AuditEvent>) -> anyhow::Result<Sealed> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx.send((check, events, done)).await.map_err(|_| anyhow::anyhow!("核查记录写入任务已停止"))?;
        wait.await.map_err(|_| anyhow::anyhow!("核查记录写入任务已停止"))?.map_err(|e| anyhow::anyhow!(e))
    }
}

/// What a department asks.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckRequest {
    /// The check scene's code (核查场景: `zfcg` 政府采购 …); the department must be permitted it.
    pub scene: String,
    /// Why the department checks (核查事由), recorded with every subject asked about.
    pub purpose: String,
    /// The department's own reference for the matter (业务编号).
    pub reference: Option<String>,
    /// The subjects: USCCs, other registration codes, ID numbers or names (at most `MAX_SUBJECTS`, 10,000).
    pub subjects: Vec<String>,
    /// `YYYY-MM-DD` (what the platform knew at the end of that day) or an RFC 3339 time.
    pub as_of: Option<String>,
}

/// Why a check cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotPermitted(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<CheckError> for crate::Error {
    fn from(e: CheckError) -> crate::Error {
        match e {
            CheckError::Invalid(m) => crate::Error::new(crate::Code::InvalidCheck, m),
            CheckError::NotPermitted(m) => crate::Error::new(crate::Code::SceneNotPermitted, m),
            CheckError::Other(e) => crate::Error::internal(e),
        }
    }
}

impl From<credo_store::StoreError> for CheckError {
    fn from(e: credo_store::StoreError) -> CheckError {
        CheckError::Other(e.into())
    }
}

fn china() -> UtcOffset {
    crate::beijing::OFFSET
}

/// Receipt text for evidence that counts by law although it is no longer public.
const UNPUBLISHED: &str = "该记录已不在公示期内或已信用修复,不再公示,但依法仍计入本措施";
/// Receipt text for a record that names the person asked about by name only.
const NAME_ONLY: &str = "该记录未载明此人证件号码,仅姓名相同,未作为核查结论,须人工核实身份";

/// Through whom a measure reaches a person: the subject whose record names them, and in which role.
struct Through<'a> {
    subject: &'a Brief,
    reach: Reach,
    matched: Match,
}

/// One measure in an answer, with the records that trigger it.
fn measure_json(
    catalog: &Catalog,
    m: &Measure,
    hits: &[&Hit<'_>],
    via: Option<&Through<'_>>,
    items: &HashMap<i64, &Indexed>,
) -> Value {
    let evidence: Vec<Value> = hits
        .iter()
        .map(|h| {
            let rec = items.get(&h.record_id);
            let item = rec.map(|r| &*r.item).unwrap_or("");
            let mut e = json!({
                "record_id": h.record_id, "version": h.version, "item": item,
                "item_name": catalog.item(item).map(|i| i.name.as_str()),
                "decided_on": rec.and_then(|r| r.decided_on).map(|d| d.to_string()),
            });
            if h.unpublished {
                e["counts_by_law"] = json!(true);
                e["note"] = json!(format!("{UNPUBLISHED}:{}", m.unpublished_reason.as_deref().unwrap_or_default()));
            }
            e
        })
        .collect();
    let via = via.map(|t| {
        let (by, note) = match t.matched {
            Match::IdNumber => ("证件号码", None),
            Match::NameOnly => ("姓名", Some(NAME_ONLY)),
        };
        json!({ "as": t.reach.label(), "reach": t.reach, "matched_by": by, "note": note,
                "of": { "id": t.subject.id, "name": t.subject.name, "code": t.subject.code } })
    });
    json!({
        "id": m.id, "name": m.name, "kind": m.kind, "decision": m.decision, "decision_label": m.decision.label(),
        "effect": m.effect, "basis": m.basis, "basis_status": m.basis_status,
        "basis_note": (m.basis_status == BasisStatus::Unconfirmed).then_some(m.basis_status.label()),
        "reaches": m.reaches, "duration": m.duration, "applied_by": m.applied_by,
        "via": via,
        "evidence": evidence,
    })
}

/// A measure triggered by a grade, with the grade and its reasons as evidence.
fn grade_json(m: &Measure, scheme: &credo_domain::evaluation::Scheme, o: &credo_domain::evaluation::Outcome) -> Value {
    json!({
        "id": m.id, "name": m.name, "kind": m.kind, "decision": m.decision, "decision_label": m.decision.label(),
        "effect": m.effect, "basis": m.basis, "basis_status": m.basis_status,
        "basis_note": (m.basis_status == BasisStatus::Unconfirmed).then_some(m.basis_status.label()),
        "reaches": m.reaches, "duration": m.duration, "applied_by": m.applied_by,
        "via": null,
        "grade": { "scheme": scheme.code, "scheme_name": scheme.name, "version": scheme.version, "grade": o.grade,
                   "score": o.score, "reasons": o.reasons },
        "evidence": o.reasons.iter().map(|r| json!({ "record_id": r.record_id, "indicator": r.indicator,
                   "decided_on": r.on.map(|d| d.to_string()), "points": r.points, "note": r.text })).collect::<Vec<_>>(),
    })
}

/// A subject's records a check may use, in record order: revoked records never count; the others count while
/// public, or by law for statutory facts.
fn usable(recs: &[Indexed]) -> Vec<&Indexed> {
    let mut sorted: Vec<&Indexed> = recs.iter().filter(|r| !r.revoked).collect();
    sorted.sort_by_key(|r| r.record_id);
    sorted
}

/// Hits by measure, in measure-id order.
fn group<'h, 'm>(hits: &'h [Hit<'m>]) -> Vec<(&'m Measure, Vec<&'h Hit<'m>>)> {
    let mut grouped: BTreeMap<&str, (&Measure, Vec<&Hit<'_>>)> = BTreeMap::new();
    for h in hits {
        grouped.entry(h.measure.id.as_str()).or_insert((h.measure, Vec::new())).1.push(h);
    }
    grouped.into_values().collect()
}

/// A check's answer for one subject: the decision, the measures that make it, and the records that name the person
/// asked about by name only (never part of the decision: see the module notes).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decision: Decision,
    pub measures: Vec<Value>,
    pub name_only: Vec<Value>,
}

/// The answer for one subject from its own records and, for a person (`person`), from the records of other
/// subjects (`via`) that name them in a role a measure reaches.
pub fn evaluate(
    catalog: &Catalog,
    scene: &str,
    day: Date,
    kind: Option<SubjectKind>,
    own: &[Indexed],
    via: &[(Brief, Vec<Indexed>)],
    person: Option<&PersonKey>,
) -> Evaluation {
    let measures = &catalog.measures;
    let mut out = Evaluation { decision: Decision::Clear, measures: Vec::new(), name_only: Vec::new() };
    {
        let sorted = usable(own);
        let fields: Vec<_> = sorted.iter().map(|r| r.fields(catalog)).collect();
        let facts: Vec<Fact<'_>> = sorted.iter().zip(&fields).map(|(r, f)| r.fact(f, day)).collect();
        let by_id: HashMap<i64, &Indexed> = sorted.iter().map(|r| (r.record_id, *r)).collect();
        let hits = measures.hits(scene, &facts, day);
        out.decision = out.decision.min(Measures::decide(&hits));
        for (m, hs) in group(&hits) {
            out.measures.push(measure_json(catalog, m, &hs, None, &by_id));
        }
        // Measures triggered by the subject's grade, computed from the same records for the day asked.
        for m in measures.measures.iter().filter(|m| m.scenes.iter().any(|s| s == scene)) {
            let Some(g) = &m.grade else { continue };
            let Some(scheme) = catalog.evaluation.get(&g.scheme).filter(|s| kind.is_some_and(|k| s.grades_kind(k)))
            else {
                continue;
            };
            let graded = scheme.evaluate(&facts, day);
            if g.values.contains(&graded.grade) {
                out.decision = out.decision.min(m.decision);
                out.measures.push(grade_json(m, scheme, &graded));
            }
        }
    }
    let Some(person) = person else { return out };
    for (subject, recs) in via {
        let sorted = usable(recs);
        let fields: Vec<_> = sorted.iter().map(|r| r.fields(catalog)).collect();
        let facts: Vec<Fact<'_>> = sorted.iter().zip(&fields).map(|(r, f)| r.fact(f, day)).collect();
        let by_id: HashMap<i64, &Indexed> = sorted.iter().map(|r| (r.record_id, *r)).collect();
        // The role and the kind of match through which a record names this person for a measure.
        let named = |m: &Measure, record_id: i64| -> Option<(Reach, Match)> {
            let r = by_id.get(&record_id)?;
            let mut found: Vec<(Match, Reach)> = r
                .persons
                .iter()
                .filter(|p| m.names(&r.item, &p.named()))
                .filter_map(|p| Some((person.matches(p)?, p.reach)))
                .collect();
            found.sort_by_key(|(k, r)| (*k != Match::IdNumber, *r));
            found.first().map(|(k, r)| (*r, *k))
        };
        let hits = measures.hits_through(scene, &facts, day, |m, f| named(m, f.record_id).is_some());
        for (m, hs) in group(&hits) {
            // One entry per role and kind of match (a person may be both 法定代表人 and 实际控制人).
            let mut by_role: BTreeMap<(Reach, bool), Vec<&Hit<'_>>> = BTreeMap::new();
            for h in hs {
                if let Some((reach, k)) = named(m, h.record_id) {
                    by_role.entry((reach, k == Match::NameOnly)).or_default().push(h);
                }
            }
            for ((reach, name_only), hs) in by_role {
                let matched = if name_only { Match::NameOnly } else { Match::IdNumber };
                let through = Through { subject, reach, matched };
                let v = measure_json(catalog, m, &hs, Some(&through), &by_id);
                if name_only {
                    out.name_only.push(v);
                } else {
                    out.decision = out.decision.min(m.decision);
                    out.measures.push(v);
                }
            }
        }
    }
    out
}

/// A receipt number: `CK` + date + 12 random hex digits.
fn receipt_id(day: Date) -> String {
    let r: [u8; 6] = rand::rng().random();
    format!("CK{}{}", day.to_string().replace('-', ""), hex::encode_upper(r))
}

fn subject_json(s: &Brief) -> Value {
    json!({ "id": s.id, "name": s.name, "code": s.code, "kind": s.kind, "kind_label": s.kind.label() })
}

/// The subject asked about as `input`, in the platform's resolution order ([`credo_domain::resolution`]): by the
/// code it identifies as (`code`, looked up beforehand in `known`), else by its normalised name — the one subject
/// bearing it (a check has no region to single out one of several) — else ranked candidates from the search. The
/// code asked by stands as the primary code whatever its kind, so that a code no subject carries is never read as
/// a name: it finds nothing, and no candidates.
async fn find_subject(
    app: &App,
    input: &str,
    code: Option<&str>,
    known: &HashMap<String, Brief>,
) -> Result<Result<Brief, Vec<Value>>, CheckError> {
    let norm = normalize_name(input);
    let keys: Keys<'_> = Keys { primary: code, legacy: &[], name: &norm, region: None };
    let named = match keys.name_lookup() {
        Some(name) => app.store.subjects_by_name(name).await?,
        None => Vec::new(),
    };
    let candidates: Vec<Candidate> = named.iter().map(|s| (s.id, s.region.clone())).collect();
    match resolve(&keys, |c| known.get(c).map(|s| s.id), |_| candidates) {
        Resolution::ByCode { .. } => Ok(code.and_then(|c| known.get(c)).cloned().ok_or_else(Vec::new)),
        Resolution::ByName { subject, .. } => {
            Ok(named.iter().find(|s| s.id == subject).map(|s| Brief::of(s, &app.vault)).ok_or_else(Vec::new))
        }
        Resolution::NewSubject => Ok(Err(Vec::new())),
        Resolution::Ambiguous { .. } | Resolution::Unknown => ranked(app, input).await.map(Err),
    }
}

/// Candidates for a name that found no one subject: the search's best five, ranked.
async fn ranked(app: &App, input: &str) -> Result<Vec<Value>, CheckError> {
    let search = app.search.clone();
    let q = input.to_string();
    let hits = tokio::task::spawn_blocking(move || search.search(&q, 5)).await.map_err(anyhow::Error::from)?;
    let hits = hits.map_err(anyhow::Error::from)?;
    Ok(hits
        .into_iter()
        .map(|h| json!({ "id": h.id, "name": mask_ids(&h.name), "code": h.code, "kind": h.kind, "rank_score": (h.score * 100.0) as i64 }))
        .collect())
}

/// Receipt text for a natural person asked by name.
const PERSON_BY_NAME: &str = "按姓名核查自然人不作结论:同名者常见,误作禁止或限制将损害无关的人。平台有一名同名自然人(见 candidates,证件号码已遮蔽),请以其居民身份证号码重新核查";

/// Receipt text for a replay `as_of`: how persons reached through other subjects' records were found.
const REPLAY_PERSONS: &str = "回溯核查:经由其他主体记录关联的人员(法定代表人、实际控制人等)已纳入,按这些主体截至回溯时点已收到的记录版本核查(其后更正为他人的,仍按当时版本)";

/// Whether any of `recs` names `person` (by number, or by name where it carries none).
fn names(recs: &[Indexed], person: &PersonKey) -> bool {
    recs.iter().any(|r| r.persons.iter().any(|p| person.matches(p).is_some()))
}

/// The masked hint for a person asked by name: no decision, only enough to tell the department whom to ask about.
fn person_hint(s: &Brief) -> Value {
    json!({ "name": s.name, "code": s.code, "kind": s.kind, "kind_label": s.kind.label() })
}

/// For a replay `as_of`: the subjects whose records named the person asked about, with their records as the store
/// had them at `at`. The candidates are those the index links to the person (from every version it has seen); a
/// subject counts only if one of its records then named the person.
async fn replay_via(
    app: &App,
    subject: Option<i64>,
    person: &PersonKey,
    at: OffsetDateTime,
) -> Result<Vec<(Brief, Vec<Indexed>)>, CheckError> {
    let ids = app.index.naming(subject, person).await;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let subjects = app.store.subjects_by_ids(&ids).await?;
    let mut via = Vec::new();
    for id in ids {
        let Some(s) = subjects.iter().find(|s| s.id == id) else { continue };
        let recs: Vec<Indexed> = app
            .store
            .subject_records_as_of(id, at)
            .await?
            .iter()
            .filter_map(|r| Indexed::from_view(&app.catalog, &app.vault, r))
            .collect();
        if names(&recs, person) {
            via.push((Brief::of(s, &app.vault), recs));
        }
    }
    Ok(via)
}

/// Who asks: the department (none for an operator on the command line) and the audit actor.
pub struct Asker<'a> {
    pub department: Option<&'a Department>,
    pub actor: String,
    pub role: String,
    pub client: Option<String>,
}

/// Longest 核查事由 and 业务编号 (both go into the signed receipt and into one audit event per subject).
pub const MAX_PURPOSE: usize = 500;
pub const MAX_REFERENCE: usize = 200;

/// What every check passes before anything is looked up, direct or from a file: a scene the platform knows and the
/// department may use, and a purpose (and reference) of bounded length. Returns the scene.
fn admit(
    app: &App,
    department: Option<&Department>,
    req: &CheckRequest,
) -> Result<credo_domain::measures::Scene, CheckError> {
    let scene = app.catalog.measures.scene(&req.scene).cloned().ok_or_else(|| {
        let known: Vec<&str> = app.catalog.measures.scenes.iter().map(|s| s.code.as_str()).collect();
        CheckError::Invalid(format!("未知的核查场景“{}”,可选:{}", req.scene, known.join("、")))
    })?;
    if let Some(d) = department
        && !d.permissions.scenes.contains(&scene.code)
    {
        return Err(CheckError::NotPermitted(format!("{}未获准使用核查场景“{}”({})", d.name, scene.name, scene.code)));
    }
    if req.purpose.trim().is_empty() {
        return Err(CheckError::Invalid("请说明核查事由".into()));
    }
    if req.purpose.chars().count() > MAX_PURPOSE {
        return Err(CheckError::Invalid(format!("核查事由不能超过 {MAX_PURPOSE} 字")));
    }
    if req.reference.as_deref().is_some_and(|r| r.chars().count() > MAX_REFERENCE) {
        return Err(CheckError::Invalid(format!("业务编号不能超过 {MAX_REFERENCE} 字")));
    }
    Ok(scene)
}

/// Answers a check, signs and stores the receipt, and logs one access per subject. Returns the signed receipt
/// (`{"receipt", "signature", "public_key"}`).
#[tracing::instrument(level = "debug", skip_all, fields(scene = %req.scene, subjects = req.subjects.len()))]
pub async fn run(app: &App, asker: &Asker<'_>, req: &CheckRequest) -> Result<Value, CheckError> {
    let scene = admit(app, asker.department, req)?;
    if req.subjects.is_empty() || req.subjects.len() > MAX_SUBJECTS {
        return Err(CheckError::Invalid(format!("每次核查 1–{MAX_SUBJECTS} 个主体(收到 {} 个)", req.subjects.len())));
    }
    let (day, replay) = crate::beijing::as_of(req.as_of.as_deref(), app.clock.today()).map_err(CheckError::Invalid)?;
    // What the department wrote may hold an ID number (a 身份证号码 in the 事由 or the 文号): the receipt and the audit
    // log keep it masked, like every other text they show.
    let purpose = mask_ids(req.purpose.trim());
    let reference = req.reference.as_deref().map(mask_ids);
    app.index.ready(app).await?;
    let now = OffsetDateTime::now_utc().to_offset(china());
    let mut results = Vec::with_capacity(req.subjects.len());
    let mut lines = Vec::with_capacity(req.subjects.len());
    let mut events = Vec::new();
    // Codes are looked up all at once; names one by one. A code is read as the department typed it: full-width,
    // grouped, hyphenated or lower-case forms are one code (`ids::identify` normalises); a text that does not
    // identify as a code is a name, looked up as written.
    let today = app.clock.today();
    let ids: Vec<Option<credo_domain::ids::AnyId>> =
        req.subjects.iter().map(|i| credo_domain::ids::identify(i, today).ok()).collect();
    let codes: Vec<Option<String>> = ids.iter().map(|id| id.as_ref().map(|id| id.as_str().to_string())).collect();
    let wanted: Vec<&str> = codes.iter().flatten().map(String::as_str).collect();
    let known = app.index.briefs_by_codes(app, &wanted).await?;
    // The receipt (signed, stored, handed on) shows names and the inputs as asked with any ID number masked: the
    // department matches its answers by position.
    for (position, input) in req.subjects.iter().enumerate() {
        let found = find_subject(app, input, codes[position].as_deref(), &known).await?;
        let (subject, candidates) = match found {
            // A natural person asked by name is not decided on: namesakes are common, and a wrong 禁止 or 限制 harms
            // someone who owes nothing. The one person of that name comes back as a masked hint; the department
            // asks again by 居民身份证号码.
            Ok(s) if codes[position].is_none() && s.kind == SubjectKind::Person => {
                lines.push((None, None));
                results.push(json!({
                    "position": position, "input": mask_ids(input), "status": "ambiguous",
                    "reason": "person_by_name", "decision": null, "candidates": [person_hint(&s)],
                    "note": PERSON_BY_NAME,
                }));
                continue;
            }
            Ok(s) => (Some(s), Vec::new()),
            Err(c) => (None, c),
        };
        // A person is found in others' records by the blind index of their 居民身份证号码 (and their name, for the
        // hints): asked by number, or known to the store as a subject with one.
        // (A 15-digit number may identify as a 工商注册号 and still be a legacy ID number: read it as one too.)
        let asked_ric = match &ids[position] {
            Some(credo_domain::ids::AnyId::Ric(r)) => Some(r.clone()),
            _ => credo_domain::ids::Ric::parse(&credo_domain::ids::normalize_typed(input), today).ok(),
        };
        let person = match &subject {
            Some(s) => s.person.as_deref().cloned(),
            None => asked_ric.as_ref().map(|r| PersonKey { key: Some(app.vault.blind(r.as_str())), name_norm: None }),
        };
        let (own, via) = match replay {
            None => {
                let none = PersonKey::default();
                let (own, via) =
                    app.index.facts(subject.as_ref().map(|s| s.id), person.as_ref().unwrap_or(&none)).await;
                let ids: Vec<i64> = via.iter().map(|(id, _)| *id).collect();
                let subjects = app.store.subjects_by_ids(&ids).await?;
                let via: Vec<(Brief, Vec<Indexed>)> = via
                    .into_iter()
                    .filter_map(|(id, recs)| Some((Brief::of(subjects.iter().find(|s| s.id == id)?, &app.vault), recs)))
                    .collect();
                (own, via)
            }
            Some(at) => {
                let own = match &subject {
                    Some(s) => app.store.subject_records_as_of(s.id, at).await?,
                    None => Vec::new(),
                };
                let own = own.iter().filter_map(|r| Indexed::from_view(&app.catalog, &app.vault, r)).collect();
                let via = match &person {
                    Some(p) => replay_via(app, subject.as_ref().map(|s| s.id), p, at).await?,
                    None => Vec::new(),
                };
                (own, via)
            }
        };
        // A person the store knows only from others' records is answered when those records name them by number.
        if subject.is_none() && via.is_empty() {
            lines.push((None, None));
            let status = if candidates.is_empty() { "not_found" } else { "ambiguous" };
            results.push(json!({ "position": position, "input": mask_ids(input), "status": status, "decision": null, "candidates": candidates }));
            continue;
        }
        let answer =
            evaluate(&app.catalog, &scene.code, day, subject.as_ref().map(|s| s.kind), &own, &via, person.as_ref());
        let decision = answer.decision;
        lines.push((subject.as_ref().map(|s| s.id), Some(decision.code().to_string())));
        events.push(credo_store::AuditEvent {
            actor: asker.actor.clone(),
            role: asker.role.clone(),
            department: asker.department.map(|d| d.uscc.clone()),
            action: format!("check.{}", scene.code),
            target: Some(match &subject {
                Some(s) => format!("subject:{}", s.id),
                None => format!("person:{}", mask_ids(input)),
            }),
            purpose: Some(format!("{purpose}({})", scene.name)),
            result: decision.code().to_string(),
            client: asker.client.clone(),
        });
        // A person known only from others' records: the number asked about, in its canonical masked form (however
        // it was typed).
        let asked_code = asked_ric.as_ref().map_or_else(|| mask_ids(input), |r| r.masked());
        let subject_value = match &subject {
            Some(s) => subject_json(s),
            None => json!({ "id": null, "name": null, "code": asked_code, "kind": SubjectKind::Person,
                            "kind_label": SubjectKind::Person.label(), "note": "本平台无此人作为主体的记录,据其他主体记录中载明的证件号码核查" }),
        };
        let mut result = json!({
            "position": position, "input": mask_ids(input), "status": "resolved", "subject": subject_value,
            "decision": decision, "decision_label": decision.label(), "measures": answer.measures,
        });
        if !answer.name_only.is_empty() {
            result["name_only"] = json!(answer.name_only);
        }
        results.push(result);
    }
    if replay.is_none() {
        mark_disputed(app, &mut results).await?;
    }
    let id = receipt_id(now.date());
    let mut receipt = json!({
        "id": id,
        "platform": "信用西宁 公共信用信息平台",
        "issued_at": now.format(&Rfc3339).unwrap_or_default(),
        "department": asker.department.map(|d| json!({ "uscc": d.uscc, "name": d.name })),
        "scene": { "code": scene.code, "name": scene.name },
        "purpose": purpose,
        "reference": reference,
        "as_of": day.to_string(),
        "replayed_to": replay.map(|t| t.format(&Rfc3339).unwrap_or_default()),
        "measures_version": app.catalog.measures.version,
        "results": results,
    });
    if replay.is_some() {
        receipt["replay_scope"] = json!({
            "persons_through_others": "replayed",
            "note": REPLAY_PERSONS,
        });
    }
    let check = NewCheck {
        id: id.clone(),
        department_id: asker.department.map(|d| d.id),
        scene: scene.code.clone(),
        receipt: receipt.to_string(),
        signature: String::new(),
        proof: None,
        results: lines,
    };
    let sealed = app.check_writer.write(check, events).await?;
    signed(app, receipt, &sealed.signature, Some(&sealed.proof))
        .map_err(|e| CheckError::Other(anyhow::anyhow!(e.detail)))
}

/// Flags evidence under an open objection (异议处理中): the measure still applies, the department should know.
async fn mark_disputed(app: &App, results: &mut [Value]) -> Result<(), CheckError> {
    let ids: Vec<i64> = results
        .iter()
        .flat_map(|r| r["measures"].as_array().into_iter().flatten())
        .flat_map(|m| m["evidence"].as_array().into_iter().flatten())
        .filter_map(|e| e["record_id"].as_i64())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let disputed = app.store.disputed(&ids).await?;
    for r in results.iter_mut() {
        for m in r["measures"].as_array_mut().into_iter().flatten() {
            for e in m["evidence"].as_array_mut().into_iter().flatten() {
                if e["record_id"].as_i64().is_some_and(|id| disputed.contains(&id)) {
                    e["disputed"] = json!(true);
                    e["state"] = json!("异议处理中");
                }
            }
        }
    }
    Ok(())
}

/// `{"receipt", "signature", "public_key", "proof"}`: the signature is SM2 (SM3, ID 1234567812345678) over the
/// statement of the SM3 Merkle root of a batch of receipts (`credo-batch:v1:{size}:{root}`), and `proof` leads from
/// the receipt's compact JSON to that root ([`credo_gm::batch`]), so anyone can verify one receipt offline with the
/// platform's public key. A receipt signed before batching has no `proof`: its signature is over its compact JSON.
pub fn signed(
    app: &App,
    receipt: Value,
    signature: &str,
    proof: Option<&credo_gm::batch::Proof>,
) -> Result<Value, crate::Error> {
    let public_key = app.signer.public_key_pem().map_err(crate::Error::internal)?;
    let mut v = json!({ "receipt": receipt, "signature": signature, "public_key": public_key });
    if let Some(p) = proof {
        v["proof"] = json!(p);
    }
    Ok(v)
}

/// A stored check as its signed receipt (the same JSON the check answered with).
pub fn stored_receipt(app: &App, c: &credo_store::StoredCheck) -> Result<Value, crate::Error> {
    let receipt: Value = serde_json::from_str(&c.receipt).map_err(crate::Error::internal)?;
    let proof: Option<credo_gm::batch::Proof> =
        c.proof.as_deref().map(serde_json::from_str).transpose().map_err(crate::Error::internal)?;
    signed(app, receipt, &c.signature, proof.as_ref())
}

/// Checks a signed receipt: its proof up to the signed root of its batch and the signature over that root (or,
/// for a receipt signed alone, the signature over its compact JSON) under the enclosed key — and, when given, that
/// the key is the expected one. Returns the receipt id.
pub fn verify_receipt(text: &str, expected_key: Option<&str>) -> Result<String, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("不是有效的 JSON 回执:{e}"))?;
    let receipt = v.get("receipt").ok_or("缺少 receipt")?;
    let sig = v.get("signature").and_then(Value::as_str).ok_or("缺少 signature")?;
    let key = v.get("public_key").and_then(Value::as_str).ok_or("缺少 public_key")?;
    if let Some(want) = expected_key
        && want.trim() != key.trim()
    {
        return Err("回执所附公钥不是指定的平台公钥".into());
    }
    let bytes = serde_json::to_vec(receipt).map_err(|e| e.to_string())?;
    let sig = hex::decode(sig).map_err(|_| "签名不是十六进制".to_string())?;
    match v.get("proof").filter(|p| !p.is_null()) {
        Some(p) => {
            let proof: credo_gm::batch::Proof =
                serde_json::from_value(p.clone()).map_err(|e| format!("proof 格式不正确:{e}"))?;
            credo_gm::batch::verify(key, &bytes, &proof, &sig).map_err(|e| format!("回执无效:{e}"))?;
        }
        None => credo_gm::sm2::verify(key, &bytes, &sig)
            .map_err(|_| "签名与回执内容不符:回执被改动或不是本平台签发".to_string())?,
    }
    Ok(receipt.get("id").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// What a department may answer about one result of its check (反馈).
pub const FEEDBACK: [&str; 3] = ["已惩戒", "已激励", "未采纳"];

/// A stored check of `department` (another department's is "not found").
pub async fn own_check(app: &App, department: &Department, id: &str) -> Result<credo_store::StoredCheck, crate::Error> {
    app.store
        .check(id)
        .await?
        .filter(|c| c.department_id == Some(department.id))
        .ok_or_else(|| crate::Error::not_found(format!("本部门没有编号为 {id} 的核查")))
}

/// Records what `department` did with the result at `position` of its check `id`: 已惩戒, 已激励, or 未采纳 with a
/// reason. A result is answered once.
pub async fn feedback(
    app: &App,
    department: &Department,
    actor: &str,
    id: &str,
    position: i64,
    action: &str,
    reason: Option<&str>,
) -> Result<(), crate::Error> {
    use crate::{Code, Error};
    if !FEEDBACK.contains(&action) {
        return Err(Error::new(Code::InvalidFeedback, format!("处理结果应为 {}", FEEDBACK.join("、"))));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if action == "未采纳" && reason.is_none() {
        return Err(Error::new(Code::ReasonRequired, "未采纳核查结果时须说明理由"));
    }
    own_check(app, department, id).await?;
    match app.store.add_feedback(id, position, action, reason.map(mask_ids).as_deref(), actor).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::not_found(format!("核查 {id} 没有序号为 {position} 的结果"))),
        Err(credo_store::StoreError::Conflict(m)) => Err(Error::new(Code::Conflict, m)),
        Err(e) => Err(e.into()),
    }
}

/// A job of `department` by its id (another department's is "not found"), from the store: any node answers.
pub async fn own_job(app: &App, department: &Department, id: &str) -> Result<Job, crate::Error> {
    app.store
        .check_job(id)
        .await?
        .filter(|j| j.department_id == department.id)
        .ok_or_else(|| crate::Error::not_found(format!("本部门没有编号为 {id} 的核查任务")))
}

/// Starts a job for the subjects of a file after the same checks as a direct request (a known scene the
/// department may use, a purpose); returns its id and the number of subjects.
pub async fn submit_job(
    app: &App,
    department: &Department,
    actor: String,
    mut req: CheckRequest,
    file_name: String,
    bytes: impl AsRef<[u8]> + Send + 'static,
) -> Result<(String, usize), crate::Error> {
    admit(app, Some(department), &req)?;
    req.subjects = crate::offload::run(app, move || subjects_from_file(&file_name, bytes.as_ref()))
        .await?
        .map_err(|m| crate::Error::new(crate::Code::UnusableFile, m))?;
    let total = req.subjects.len();
    Ok((start_job(app, department.clone(), actor, req).await?, total))
}

/// A batch check from a file, run in the background in requests of [`MAX_SUBJECTS`]: one receipt per part. Kept in
/// the store (a job whose process died is closed as failed when a node starts: [`credo_store::CheckStore::recover_check_jobs`]).
pub type Job = credo_store::CheckJob;

/// Closes as failed the check jobs whose process died (at start: a job runs in the process that accepted it), each
/// in the audit trail. Returns how many.
pub async fn recover_jobs(app: &App) -> Result<usize, crate::Error> {
    let recovered = app.store.recover_check_jobs().await?;
    for j in &recovered {
        tracing::warn!(job = %j.id, done = j.done, total = j.total, "interrupted check job closed");
        app.store
            .append_audit(&credo_store::AuditEvent {
                actor: "credo".into(),
                role: "system".into(),
                department: None,
                action: "check.job.interrupted".into(),
                target: Some(format!("job:{} department:{}", j.id, j.department_id)),
                purpose: Some("联合奖惩核查".into()),
                result: format!("interrupted: done={} of {} (receipts kept)", j.done, j.total),
                client: None,
            })
            .await?;
    }
    Ok(recovered.len())
}

/// Most rows in one job file.
pub const MAX_JOB_ROWS: usize = 1_000_000;

/// The subjects listed in a file: the column headed 统一社会信用代码 / 代码 / 证件号码 / 名称 (or the first column).
pub fn subjects_from_file(name: &str, bytes: &[u8]) -> Result<Vec<String>, String> {
    let table =
        credo_import::read_table(credo_import::Format::detect(name, bytes), bytes, None).map_err(|e| e.to_string())?;
    const HEADERS: [&str; 6] = ["统一社会信用代码", "代码", "证件号码", "身份证号码", "名称", "主体名称"];
    let col = HEADERS.iter().find_map(|h| table.headers.iter().position(|x| x.trim() == *h)).unwrap_or(0);
    let mut out = Vec::new();
    for row in table.rows.iter() {
        let (n, cells) = row.map_err(|e| e.to_string())?;
        if let Some(v) = cells.get(col).map(|c| c.trim()).filter(|c| !c.is_empty()) {
            out.push(v.to_string());
        }
        if out.len() > MAX_JOB_ROWS {
            return Err(format!("文件超过 {MAX_JOB_ROWS} 行(第 {n} 行)"));
        }
    }
    if out.is_empty() {
        return Err("文件中没有要核查的主体".into());
    }
    Ok(out)
}

/// Most jobs of one department running at once (each holds its list of subjects in memory).
pub const MAX_RUNNING_JOBS: usize = 2;

/// Starts a job; returns its id at once, or refuses while the department already runs [`MAX_RUNNING_JOBS`].
#[tracing::instrument(level = "info", skip_all, fields(department = department.id, subjects = req.subjects.len()))]
pub async fn start_job(
    app: &App,
    department: Department,
    actor: String,
    req: CheckRequest,
) -> Result<String, crate::Error> {
    let id = format!("JOB{}", &receipt_id(app.clock.today())[2..]);
    let mut job = Job {
        id: id.clone(),
        department_id: department.id,
        scene: req.scene.clone(),
        status: "running".into(),
        total: req.subjects.len() as i64,
        done: 0,
        hits: 0,
        unresolved: 0,
        receipts: Vec::new(),
        error: None,
    };
    // Counted and inserted atomically by the store (also across nodes): two uploads at once cannot both pass.
    if !app.store.start_check_job(&job, MAX_RUNNING_JOBS as i64).await? {
        return Err(crate::Error::new(
            crate::Code::Conflict,
            format!("本部门已有 {MAX_RUNNING_JOBS} 个批量核查任务正在进行,请待其完成后再提交"),
        ));
    }
    let (app, job_id) = (app.clone(), id.clone());
    tokio::spawn(async move {
        let store = app.store.clone();
        let save = |job: Job| {
            let store = store.clone();
            async move {
                if let Err(e) = store.update_check_job(&job).await {
                    tracing::error!(job = %job.id, error = %e, "check job progress not saved");
                }
            }
        };
        let asker = Asker { department: Some(&department), actor, role: "job".into(), client: None };
        for part in req.subjects.chunks(MAX_SUBJECTS) {
            let part_req = CheckRequest { subjects: part.to_vec(), ..req.clone() };
            match run(&app, &asker, &part_req).await {
                Ok(signed) => {
                    let results = signed["receipt"]["results"].as_array().cloned().unwrap_or_default();
                    let hits = results.iter().filter(|r| r["decision"].as_str().is_some_and(|d| d != "clear")).count();
                    let unresolved = results.iter().filter(|r| r["decision"].is_null()).count();
                    let rid = signed["receipt"]["id"].as_str().unwrap_or_default().to_string();
                    job.done += part.len() as i64;
                    job.hits += hits as i64;
                    job.unresolved += unresolved as i64;
                    job.receipts.push(rid);
                    save(job.clone()).await;
                }
                Err(e) => {
                    // A refusal is said as it is; anything else is logged, and the department reads a sentence.
                    let msg = match &e {
                        CheckError::Invalid(m) | CheckError::NotPermitted(m) => m.clone(),
                        CheckError::Other(cause) => {
                            tracing::error!(job = %job_id, error = %cause, "check job failed");
                            "服务器内部错误,任务已中止;已完成的各批回执已保存".to_string()
                        }
                    };
                    job.status = "failed".into();
                    job.error = Some(msg);
                    save(job).await;
                    return;
                }
            }
        }
        job.status = "done".into();
        save(job).await;
    });
    Ok(id)
}
