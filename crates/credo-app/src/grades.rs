//! 信用评价: every subject's grade under each scheme of the catalog (`catalog/evaluation/*.toml`), computed from the
//! records the restriction index holds (it keeps what the measures and the schemes read), saved when it changes (the
//! history is the list of changes), kept current from the change feed and computed again for everyone once per
//! cycle, since a record leaving an indicator's window changes no record.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use credo_domain::catalog::SubjectKind;
use credo_domain::evaluation::{MemberCount, Outcome, Scheme};
use credo_store::{Grade, NewGrade, Subject};
use serde::Serialize;
use time::Date;

use crate::App;
use crate::checks::Indexed;
use crate::error::{Code, Error};

/// Subjects computed and saved at a time in a full computation (bounds the memory the new grades take).
const CHUNK: usize = 250_000;
/// Feed entries read at a time when following it.
const PAGE: i64 = 20_000;

/// What a computation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Run {
    /// Subjects graded (under every scheme that grades their kind).
    pub subjects: usize,
    /// Grades that changed (and were saved).
    pub changed: usize,
    pub ms: u128,
    /// The change feed up to here is in the grades.
    pub seq: i64,
}

/// The grade of a subject with `records` under `scheme` on `day`.
pub fn evaluate(app: &App, scheme: &Scheme, records: &[Indexed], day: Date) -> Outcome {
    let fields: Vec<_> = records.iter().map(|r| r.fields(&app.catalog)).collect();
    let facts: Vec<_> = records.iter().zip(&fields).map(|(r, f)| r.fact(f, day)).collect();
    scheme.evaluate(&facts, day)
}

fn new_grade(subject_id: i64, scheme: &Scheme, o: Outcome, day: Date) -> NewGrade {
    NewGrade {
        subject_id,
        scheme: scheme.code.clone(),
        version: scheme.version.clone(),
        grade: o.grade,
        score: i64::from(o.score),
        reasons: serde_json::to_string(&o.reasons).unwrap_or_else(|_| "[]".into()),
        moved_by: o.moved_by as i64,
        computed_on: day,
    }
}

/// Computes the grades of `ids` (`None`: every subject) on today's date and saves those that changed.
pub async fn recompute(app: &App, ids: Option<Vec<i64>>) -> Result<Run, Error> {
    let started = Instant::now();
    app.index.ready(app).await.map_err(Error::internal)?;
    let day = app.clock.today();
    let full = ids.is_none();
    // The subjects asked about (`None`: every one).
    let asked: Option<Vec<i64>> = ids.clone();
    let ids = match ids {
        Some(ids) => ids,
        None => app.index.each_subject(None, |id, _, _| Some(id)).await.map_err(Error::internal)?.1,
    };
    let mut run = Run::default();
    for chunk in ids.chunks(CHUNK) {
        let a = app.clone();
        let (seq, grades) = app
            .index
            .each_subject(Some(chunk.to_vec()), move |id, kind, records| {
                let grades: Vec<NewGrade> = a
                    .catalog
                    .evaluation
                    .iter()
                    .filter(|s| graded_here(s, kind, records, day))
                    .map(|s| new_grade(id, s, evaluate(&a, s, records, day), day))
                    .collect();
                Some(grades)
            })
            .await
            .map_err(Error::internal)?;
        let grades: Vec<NewGrade> = grades.into_iter().flatten().collect();
        run.subjects += grades.iter().map(|g| g.subject_id).collect::<BTreeSet<_>>().len();
        run.changed += app.store.save_grades(&grades).await?.len();
        app.member_lists.changed();
        run.seq = run.seq.max(seq);
    }
    // A population scheme's grade ends for a subject that no longer has its archive.
    for scheme in app.catalog.evaluation.iter().filter(|s| s.population.is_some()) {
        // A batch ends the grades of its subjects that have an archive record (withdrawn, say) but are graded no
        // more; a full run ends every current grade not given again (read once per cycle).
        let graded = app.index.each_subject(asked.clone(), {
            let s = scheme.clone();
            move |id, kind, records| {
                let had = s.population.as_deref().is_some_and(|p| records.iter().any(|r| &*r.item == p));
                had.then_some((id, graded_here(&s, kind, records, day)))
            }
        });
        let graded = graded.await.map_err(Error::internal)?.1;
        let gone: Vec<i64> = match &asked {
            Some(_) => graded.iter().filter(|(_, g)| !g).map(|(id, _)| *id).collect(),
            None => {
                let kept: BTreeSet<i64> = graded.iter().filter(|(_, g)| *g).map(|(id, _)| *id).collect();
                current(app, &scheme.code).await?.into_keys().filter(|id| !kept.contains(id)).collect()
            }
        };
        run.changed += app.store.retire_grades(&scheme.code, &gone).await? as usize;
        app.member_lists.changed();
    }
    // Then the schemes whose grades follow their members', each after its members' scheme: every group again, as a
    // member's new grade moves its group's (a household's, its village's and township's). Only when a member's
    // records were among those graded (or all were): a batch of penalties does not walk the whole index.
    let member_items: BTreeSet<String> =
        app.catalog.evaluation.by_members().iter().filter_map(|s| s.members.as_ref().map(|m| m.item.clone())).collect();
    let touched = !member_items.is_empty()
        && (full || {
            let items = member_items.clone();
            let hit = app.index.each_subject(asked.clone(), move |_, _, records| {
                records.iter().any(|r| items.contains(&*r.item)).then_some(())
            });
            let mut touched = !hit.await.map_err(Error::internal)?.1.is_empty();
            // Or a group itself changed (a village's own penalty).
            for s in app.catalog.evaluation.by_members() {
                if !touched {
                    let groups = current(app, &s.code).await?;
                    touched = asked.as_ref().is_some_and(|a| a.iter().any(|id| groups.contains_key(id)));
                }
            }
            touched
        });
    for scheme in app.catalog.evaluation.by_members().into_iter().filter(|_| touched) {
        let grades = by_members(app, scheme, day).await?;
        let kept: BTreeSet<i64> = grades.iter().map(|g| g.subject_id).collect();
        run.subjects += grades.len();
        run.changed += app.store.save_grades(&grades).await?.len();
        app.member_lists.changed();
        // A group no longer graded (too few members graded, no member left) loses its grade.
        let gone: Vec<i64> = current(app, &scheme.code).await?.into_keys().filter(|id| !kept.contains(id)).collect();
        run.changed += app.store.retire_grades(&scheme.code, &gone).await? as usize;
        app.member_lists.changed();
    }
    run.ms = started.elapsed().as_millis();
    Ok(run)
}

/// Whether `scheme` grades a subject of `kind` with `records` in the first pass: of its kinds, with a record of its
/// population's item if it names one, and not by members (those come after).
fn graded_here(scheme: &Scheme, kind: SubjectKind, records: &[Indexed], day: Date) -> bool {
    scheme.grades_kind(kind)
        && scheme.members.is_none()
        && scheme.population.as_deref().is_none_or(|p| records.iter().any(|r| &*r.item == p && r.counts(day)))
}

/// A group's members as its records of the members' item name them: the subject itself, or a code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Member {
    Subject(i64),
    Code(String),
}

/// The groups of a scheme graded by members, with their members: group code → members.
async fn groups(app: &App, scheme: &Scheme, day: Date) -> Result<BTreeMap<String, BTreeSet<Member>>, Error> {
    let Some(m) = scheme.members.clone() else { return Ok(BTreeMap::new()) };
    let a = app.clone();
    let (_, links) = app
        .index
        .each_subject(None, move |id, _, records| {
            // A household that moved is its village's by its newest archive record only.
            let newest = records
                .iter()
                .filter(|r| *r.item == m.item && r.counts(day))
                .max_by_key(|r| (r.decided_on, r.record_id));
            let links: Vec<(String, Member)> = newest
                .into_iter()
                .filter_map(|r| {
                    let f = r.fields(&a.catalog);
                    let group = f.get(&m.of)?.clone();
                    let member = match &m.member {
                        Some(field) => Member::Code(f.get(field)?.clone()),
                        None => Member::Subject(id),
                    };
                    Some((group, member))
                })
                .collect();
            (!links.is_empty()).then_some(links)
        })
        .await
        .map_err(Error::internal)?;
    let mut out: BTreeMap<String, BTreeSet<Member>> = BTreeMap::new();
    for (group, member) in links.into_iter().flatten() {
        out.entry(group).or_default().insert(member);
    }
    Ok(out)
}

/// Every current grade of `scheme`, by subject.
async fn current(app: &App, scheme: &str) -> Result<HashMap<i64, String>, Error> {
    let mut out = HashMap::new();
    let mut after = 0;
    loop {
        let page = app.store.current_grades(scheme, None, after, 10_000).await?;
        let Some(&(last, _)) = page.last() else { break };
        out.extend(page);
        after = last;
    }
    Ok(out)
}

/// The grades of every group of a scheme graded by members on `day`: the share of its members with a good grade
/// under the members' scheme, and the group's own records. A group the platform does not know as a subject, or
/// with too few graded members, gets none.
async fn by_members(app: &App, scheme: &Scheme, day: Date) -> Result<Vec<NewGrade>, Error> {
    let Some(m) = &scheme.members else { return Ok(Vec::new()) };
    let grades = current(app, &m.scheme).await?;
    let mut ids: HashMap<String, Option<i64>> = HashMap::new();
    let mut out = Vec::new();
    for (group, members) in groups(app, scheme, day).await? {
        let Some(subject) = app.store.subject_by_code(&group).await? else { continue };
        if !scheme.grades_kind(subject.kind) {
            continue;
        }
        let mut count = MemberCount::default();
        for member in members {
            let id = match member {
                Member::Subject(id) => Some(id),
                Member::Code(code) => match ids.get(&code) {
                    Some(id) => *id,
                    None => {
                        let id = app.store.subject_by_code(&code).await?.map(|s| s.id);
                        ids.insert(code, id);
                        id
                    }
                },
            };
            let Some(grade) = id.and_then(|id| grades.get(&id)) else { continue };
            count.graded += 1;
            count.good += usize::from(m.good.contains(grade));
        }
        let records = app.index.own(subject.id).await;
        let fields: Vec<_> = records.iter().map(|r| r.fields(&app.catalog)).collect();
        let facts: Vec<_> = records.iter().zip(&fields).map(|(r, f)| r.fact(f, day)).collect();
        if let Some(outcome) = scheme.evaluate_members(&facts, day, count) {
            out.push(new_grade(subject.id, scheme, outcome, day));
        }
    }
    Ok(out)
}

/// Brings the grades up to date (for the server's follower, and after an import): on the first day of a new cycle of
/// any scheme, every subject's grade is computed again; otherwise those of the subjects whose records (or who
/// themselves) changed since the last time. Only the process that leads the scheduled jobs computes; and only once
/// the restriction index is built. Returns what it did, if anything.
pub async fn follow(app: &App) -> Result<Option<Run>, Error> {
    if app.catalog.evaluation.schemes.is_empty() || !app.index.is_built().await || !app.store.lead_jobs().await? {
        return Ok(None);
    }
    let (_, full_on) = app.store.grades_followed().await?;
    let today = app.clock.today();
    let mut due = app.catalog.evaluation.iter().any(|s| full_on.is_none_or(|f| f < s.cycle.start(today)));
    // A scheme's rules changed (a new version in the catalog): every grade is computed again under them, not at the
    // next cycle.
    for s in app.catalog.evaluation.iter() {
        if !due && app.store.graded_under_another_version(&s.code, &s.version).await? {
            tracing::info!(scheme = %s.code, version = %s.version, "grades computed again under the scheme's new version");
            due = true;
        }
    }
    if due {
        let run = recompute(app, None).await?;
        app.store.set_grades_followed(run.seq, Some(today)).await?;
        tracing::info!(subjects = run.subjects, changed = run.changed, ms = run.ms as u64, "grades computed (cycle)");
        return Ok(Some(run));
    }
    follow_changes(app).await.map(Some)
}

/// Grades again the subjects whose records (or who themselves) changed since the grades last followed the feed, up to
/// what the restriction index holds: what ingest and case decisions call right after they apply the feed to the
/// index, so that a subject's grade follows its new record at once on the node that took it. Only the process that
/// leads the scheduled jobs grades (one writer of grades at a time); the others leave it to the leader's follower.
pub async fn follow_changes(app: &App) -> Result<Run, Error> {
    if app.catalog.evaluation.schemes.is_empty() || !app.index.is_built().await || !app.store.lead_jobs().await? {
        return Ok(Run::default());
    }
    let (seq, full_on) = app.store.grades_followed().await?;
    let upto = app.index.position().await;
    // Before the first full computation every subject is to be graded: that is the follower's cycle, not a batch's.
    if full_on.is_none() || upto <= seq {
        return Ok(Run { seq, ..Run::default() });
    }
    let mut subjects = BTreeSet::new();
    let mut at = seq;
    while at < upto {
        let changes = app.reader.changes_after(at, PAGE).await?;
        let Some(last) = changes.last() else { break };
        let changes: Vec<_> = changes.iter().filter(|c| c.seq <= upto).collect();
        subjects.extend(changes.iter().filter(|c| c.entity == "subject").map(|c| c.entity_id));
        let records: Vec<i64> =
            changes.iter().filter(|c| c.entity == "record" || c.entity == "expiry").map(|c| c.entity_id).collect();
        subjects.extend(app.reader.subjects_of_records(&records).await?);
        at = last.seq;
    }
    let mut run =
        if subjects.is_empty() { Run::default() } else { recompute(app, Some(subjects.into_iter().collect())).await? };
    app.store.set_grades_followed(upto, None).await?;
    run.seq = upto;
    Ok(run)
}

/// A subject's grade under a scheme as shown: the scheme, the grade as kept, and the grade's meaning.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub scheme: String,
    pub scheme_name: String,
    pub sector: Option<String>,
    pub grade: String,
    pub grade_name: String,
    pub grade_label: String,
    pub meaning: String,
    pub score: i64,
    pub reasons: Vec<credo_domain::evaluation::Reason>,
    pub moved_by: i64,
    #[serde(with = "credo_domain::value::iso_date")]
    pub computed_on: Date,
    pub version: String,
    pub note: String,
    /// Earlier grades, newest first: `(grade, score, day computed)`.
    pub history: Vec<(String, i64, String)>,
}

/// The subject's current grades under every scheme with their history, as kept (empty before the first computation).
pub async fn of_subject(app: &App, subject: &Subject) -> Result<Vec<Shown>, Error> {
    let all = app.store.grades_of(subject.id).await?;
    let mut out = Vec::new();
    for scheme in app.catalog.evaluation.iter().filter(|s| s.grades_kind(subject.kind)) {
        let mine: Vec<&Grade> = all.iter().filter(|g| g.scheme == scheme.code).collect();
        let Some(current) = mine.iter().find(|g| g.superseded_at.is_none()) else { continue };
        let def = scheme.grade(&current.grade);
        out.push(Shown {
            scheme: scheme.code.clone(),
            scheme_name: scheme.name.clone(),
            sector: scheme.sector.clone(),
            grade: current.grade.clone(),
            grade_name: def.map(|d| d.name.clone()).unwrap_or_default(),
            grade_label: def.map(|d| d.label.clone()).unwrap_or_default(),
            meaning: def.map(|d| d.meaning.clone()).unwrap_or_default(),
            score: current.score,
            reasons: serde_json::from_value(current.reasons.clone()).unwrap_or_default(),
            moved_by: current.moved_by,
            computed_on: current.computed_on,
            version: current.version.clone(),
            note: scheme.note.clone(),
            history: mine
                .iter()
                .filter(|g| g.superseded_at.is_some())
                .map(|g| (g.grade.clone(), g.score, g.computed_on.to_string()))
                .collect(),
        });
    }
    Ok(out)
}

/// The subject's grades as anyone may see them: without the schemes graded from archives the public never sees
/// (a `population` scheme such as 农户信用评价: its grade and reasons come from 政务共享 data).
pub async fn public_of_subject(app: &App, subject: &Subject) -> Result<Vec<Shown>, Error> {
    let open = |code: &str| app.catalog.evaluation.get(code).is_some_and(|s| s.population.is_none());
    Ok(of_subject(app, subject).await?.into_iter().filter(|g| open(&g.scheme)).collect())
}

/// Every reason of a subject's grade under `scheme` as it would be computed now (not only the strongest), with the
/// outcome: what `credo grade explain` prints.
pub async fn explain(app: &App, subject: &Subject, scheme: &str) -> Result<(Outcome, Vec<String>), Error> {
    let scheme = app
        .catalog
        .evaluation
        .get(scheme)
        .ok_or_else(|| Error::new(Code::NotFound, format!("没有评价方案 {scheme}")))?;
    if !scheme.grades_kind(subject.kind) {
        return Err(Error::new(Code::InvalidRequest, format!("{} 不评价{}", scheme.name, subject.kind.label())));
    }
    app.index.ready(app).await.map_err(Error::internal)?;
    let records = app.index.own(subject.id).await;
    let day = app.clock.today();
    let full = Scheme { top: usize::MAX, ..scheme.clone() };
    let outcome = if full.members.is_some() {
        let mine = by_members(app, &full, day).await?.into_iter().find(|g| g.subject_id == subject.id);
        let g = mine.ok_or_else(|| {
            Error::new(Code::InvalidRequest, format!("{} 未按{}评定(成员不足或未登记)", subject.name, scheme.name))
        })?;
        Outcome {
            grade: g.grade,
            score: g.score as i32,
            reasons: serde_json::from_str(&g.reasons).unwrap_or_default(),
            moved_by: g.moved_by as usize,
        }
    } else {
        evaluate(app, &full, &records, day)
    };
    let lines = if outcome.reasons.is_empty() {
        vec![scheme.plain_reason()]
    } else {
        outcome
            .reasons
            .iter()
            .map(|r| if r.record_id > 0 { format!("{}(记录 {})", r.text, r.record_id) } else { r.text.clone() })
            .collect()
    };
    Ok((outcome, lines))
}

/// Whether subjects of `kind` have a grade under some scheme.
pub fn graded(app: &App, kind: SubjectKind) -> bool {
    app.catalog.evaluation.iter().any(|s| s.grades_kind(kind))
}

/// A subject graded by members, as a public list shows it: name, region, grade label and the members' reason.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub subject_id: i64,
    pub name: String,
    pub region: Option<String>,
    /// The grade's label (信用村 …), none before the subject is graded.
    pub grade: Option<String>,
    /// Whether the grade is one its parent counts as good.
    pub good: bool,
    /// Why (the band of the share of good members: "信用户占比不低于 80%……").
    pub reason: String,
}

async fn group(app: &App, scheme: &Scheme, good: &[String], subject: Subject) -> Result<Group, Error> {
    let current = app
        .store
        .grades_of(subject.id)
        .await?
        .into_iter()
        .find(|g| g.scheme == scheme.code && g.superseded_at.is_none());
    let reasons: Vec<credo_domain::evaluation::Reason> =
        current.as_ref().and_then(|g| serde_json::from_value(g.reasons.clone()).ok()).unwrap_or_default();
    Ok(Group {
        subject_id: subject.id,
        name: subject.name,
        region: subject.region,
        good: current.as_ref().is_some_and(|g| good.contains(&g.grade)),
        grade: current.as_ref().map(|g| scheme.grade(&g.grade).map_or(g.grade.clone(), |d| d.label.clone())),
        reason: reasons.iter().find(|r| r.indicator == "members").map(|r| r.text.clone()).unwrap_or_default(),
    })
}

/// The lists [`member_lists`] answers, kept while no grade changes in this process, the day is the same and a minute
/// has not passed (grades written by another process). One computation at a time: a crowd of visitors to /rural
/// waits for one walk of the index, not one each.
#[derive(Default)]
pub struct MemberListsCache {
    generation: std::sync::atomic::AtomicU64,
    kept: tokio::sync::Mutex<HashMap<String, KeptLists>>,
}

type Lists = Arc<Vec<(Group, Vec<Group>)>>;

struct KeptLists {
    generation: u64,
    day: Date,
    at: Instant,
    lists: Lists,
}

impl MemberListsCache {
    /// Grades were written or retired: the lists are computed again when next asked for.
    pub fn changed(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How long lists are kept at most, for grades another process writes.
const LISTS_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

/// [`member_lists`] as the public pages read them: from [`MemberListsCache`] while it holds.
pub async fn public_member_lists(app: &App, scheme: &str) -> Result<Lists, Error> {
    let cache = &app.member_lists;
    let mut kept = cache.kept.lock().await;
    let generation = cache.generation.load(std::sync::atomic::Ordering::Relaxed);
    let day = app.clock.today();
    if let Some(k) = kept.get(scheme)
        && k.generation == generation
        && k.day == day
        && k.at.elapsed() < LISTS_KEPT
    {
        return Ok(k.lists.clone());
    }
    let lists = Arc::new(member_lists(app, scheme).await?);
    kept.insert(scheme.to_string(), KeptLists { generation, day, at: Instant::now(), lists: lists.clone() });
    Ok(lists)
}

/// The groups of a scheme whose members are named by code (信用乡镇 and their villages), each with its members and
/// their grades under the members' scheme: the public list of 信用乡镇 and 信用村. Groups and members the platform
/// does not know as subjects are left out.
pub async fn member_lists(app: &App, scheme: &str) -> Result<Vec<(Group, Vec<Group>)>, Error> {
    let scheme =
        app.catalog.evaluation.get(scheme).ok_or_else(|| Error::not_found(format!("没有评价方案 {scheme}")))?;
    let Some(m) = &scheme.members else { return Ok(Vec::new()) };
    let of =
        app.catalog.evaluation.get(&m.scheme).ok_or_else(|| Error::not_found(format!("没有评价方案 {}", m.scheme)))?;
    app.index.ready(app).await.map_err(Error::internal)?;
    let mut out = Vec::new();
    for (code, members) in groups(app, scheme, app.clock.today()).await? {
        let Some(subject) = app.store.subject_by_code(&code).await? else { continue };
        let head = group(app, scheme, &[], subject).await?;
        let mut rows = Vec::new();
        for member in members {
            let Member::Code(code) = member else { continue };
            if let Some(s) = app.store.subject_by_code(&code).await? {
                rows.push(group(app, of, &m.good, s).await?);
            }
        }
        rows.sort_by(|a, b| b.good.cmp(&a.good).then(a.name.cmp(&b.name)));
        out.push((head, rows));
    }
    out.sort_by(|a, b| a.0.region.cmp(&b.0.region).then(a.0.name.cmp(&b.0.name)));
    Ok(out)
}
