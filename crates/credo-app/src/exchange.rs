//! Exchange and open data (信用信息共享与开放): what a caller may see of the records, in one form for every way out —
//! the delta feed (`GET /api/v1/feed`: the change feed as `ADD` / `MOD` / `DEL` events), the exports (`credo export`)
//! and the daily snapshots under `/open`.
//!
//! Two audiences:
//! * **the public** sees a record while the website shows it ([`public::public_until`]): its public fields, every
//!   ID number in them masked, the subject's code masked for persons;
//! * **a department granted 政务共享** (its permissions' `disclosure`) also sees records kept to 政务共享 (a
//!   person's penalties) while they are within their publicity window, with every catalog field as submitted and
//!   the subject's code in full. Records kept to 授权查询 never leave by this way.
//!
//! Events are computed from the feed when read, for the day they are read: a client that applies them in order
//! (`ADD`/`MOD` upsert the record, `DEL` removes it) holds exactly what it may see today. A version that is not
//! visible today gives a `DEL` only when the version before it was (a repair, a revocation, a change that took it
//! off); an expiry (entity `expiry`) always gives one.

use std::collections::{BTreeSet, HashMap};

use credo_domain::catalog::{Catalog, Disclosure, SubjectKind};
use credo_domain::publicity::Mark;
use credo_store::{RecordView, Subject};
use serde::Serialize;
use serde_json::Value;
use time::Date;

use crate::App;
use crate::error::{Code, Error};
use crate::principal::Principal;
use crate::public::{self, PublicField, mask_ids, shown_code};

/// Who reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// A department granted 政务共享.
    Shared,
}

impl Audience {
    /// The audience of a caller: a department (account or key) whose permissions grant 政务共享, else the public.
    pub fn of(p: &Principal) -> Audience {
        p.department().map_or(Audience::Public, Audience::of_department)
    }

    /// The audience of a department: 政务共享 when its permissions grant it.
    pub fn of_department(d: &credo_store::Department) -> Audience {
        if d.permissions.disclosure.iter().any(|x| x == "政务共享") { Audience::Shared } else { Audience::Public }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Shared => "shared",
        }
    }

    /// Whether records of this item about this kind of subject can reach the audience at all.
    fn may_know(self, catalog: &Catalog, r: &RecordView) -> Option<SubjectKind> {
        let item = catalog.item(&r.item)?;
        let kind = item.subject_ref(&r.fields).kind;
        let ok = match item.disclosure_for(kind) {
            Disclosure::公开 => true,
            Disclosure::政务共享 => self == Audience::Shared,
            Disclosure::授权查询 => false,
        };
        ok.then_some(kind)
    }

    /// Whether the audience sees this version of a record on `day`.
    pub fn sees(self, catalog: &Catalog, r: &RecordView, day: Date) -> bool {
        match self {
            Audience::Public => public::shown_on(public::public_until(catalog, r), day),
            Audience::Shared => self.may_know(catalog, r).is_some() && public::in_publicity(catalog, r, false, day),
        }
    }
}

/// A subject as the audience sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OpenSubject, description = "信用主体:公众所见的自然人证件号码已遮蔽")]
pub struct OpenSubject {
    /// 主体编号(信用西宁主体页 `/subjects/{id}`)
    pub id: i64,
    /// 统一社会信用代码或证件号码(公众所见的自然人证件号码已遮蔽)
    pub code: Option<String>,
    pub name: String,
    pub kind: SubjectKind,
    /// 所在行政区划代码
    pub region: Option<String>,
}

/// A record as the audience sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OpenRecord, description = "信用记录:公众只见公开字段(证件号码已遮蔽),政务共享部门见全部目录字段")]
pub struct OpenRecord {
    pub id: i64,
    pub version: i64,
    pub item: String,
    pub item_name: String,
    /// 作出决定的部门
    pub department: String,
    pub department_uscc: String,
    #[schema(format = Date)]
    pub decided_on: Option<String>,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// 公示截止日(含);无截止日时为空
    #[schema(format = Date)]
    pub shown_until: Option<String>,
    pub subject: OpenSubject,
    pub fields: Vec<PublicField>,
}

fn subject(audience: Audience, s: &Subject) -> OpenSubject {
    let (code, name) = match audience {
        Audience::Public => (s.code.as_deref().map(|c| shown_code(s.kind, c)), mask_ids(&s.name)),
        Audience::Shared => (s.code.clone(), s.name.clone()),
    };
    OpenSubject { id: s.id, code, name, kind: s.kind, region: s.region.clone() }
}

/// The record as `audience` sees it on `day`, or `None` when it does not.
pub fn open_record(
    catalog: &Catalog,
    audience: Audience,
    r: &RecordView,
    s: &Subject,
    day: Date,
) -> Option<OpenRecord> {
    if !audience.sees(catalog, r, day) {
        return None;
    }
    let item = catalog.item(&r.item)?;
    let fields = public::fields(item, r, audience == Audience::Shared);
    let shown_until = public::public_until(catalog, r).flatten().or_else(|| public::window(catalog, r).last_day);
    Some(OpenRecord {
        id: r.id,
        version: r.version,
        item: item.code.clone(),
        item_name: item.name.clone(),
        department: r.department_name.clone(),
        department_uscc: r.department_uscc.clone(),
        decided_on: r.decided_on.map(|d| d.to_string()),
        received_at: r.received_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        shown_until: shown_until.map(|d| d.to_string()),
        subject: subject(audience, s),
        fields,
    })
}

/// What an event does to the client's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Op {
    /// 新增:此前不可见的记录
    ADD,
    /// 变更:可见记录的新版本
    MOD,
    /// 撤下:记录不再可见
    DEL,
}

/// Why a record is no longer visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gone {
    /// 信用修复后撤下
    Repaired,
    /// 撤销(异议更正、部门撤回)
    Revoked,
    /// 公示期满或移出名单
    Expired,
    /// 新版本不再公示(如变更为不予公示)
    Withheld,
}

/// One event of the delta feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "增量数据中的一条事件")]
pub struct Event {
    /// 变更序号(续读时作为 after)
    pub seq: i64,
    /// 变更时间
    #[schema(format = DateTime)]
    pub at: String,
    pub op: Op,
    pub item: String,
    /// 记录编号
    pub record: i64,
    pub version: i64,
    /// 主体编号
    pub subject: Option<i64>,
    /// 撤下的原因(仅 DEL)
    pub reason: Option<Gone>,
    /// 记录(仅 ADD、MOD)
    pub data: Option<OpenRecord>,
}

/// A page of the delta feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(description = "增量数据的一页")]
pub struct FeedPage {
    pub events: Vec<Event>,
    /// 下一页的 after:本页读到的最后一个变更序号
    pub next: i64,
    /// 当前最新的变更序号
    pub last: i64,
    /// 是否还有未读的变更
    pub more: bool,
    /// 读者:public(公众)或 shared(政务共享)
    pub audience: &'static str,
}

/// The most events one page returns.
pub const MAX_LIMIT: usize = 5_000;
/// The most change-feed entries one page reads (a page with few events for the caller still ends, and says where).
const SCAN: i64 = 20_000;

/// Checks an items filter against the catalog.
pub fn check_items(catalog: &Catalog, items: &[String]) -> Result<BTreeSet<String>, Error> {
    if items.len() > catalog.items.len() {
        return Err(Error::new(Code::InvalidRequest, "目录项过多"));
    }
    items
        .iter()
        .map(|i| match catalog.item(i) {
            Some(_) => Ok(i.clone()),
            None => Err(Error::new(Code::InvalidRequest, format!("未知的目录项“{}”", mask_ids(&truncate(i, 20))))),
        })
        .collect()
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Why version `r` of a record is not visible on `day`.
fn gone(catalog: &Catalog, r: &RecordView, day: Date) -> Gone {
    match Mark::of(&r.fields) {
        Some(m) if m.kind == "repaired" => Gone::Repaired,
        Some(_) => Gone::Revoked,
        None => match public::window(catalog, r).last_day {
            Some(last) if last < day => Gone::Expired,
            _ => Gone::Withheld,
        },
    }
}

/// The events after `after` (a change-feed sequence number) that `audience` sees, of `items` (empty: all), at most
/// `limit` of them, read for today.
pub async fn events(
    app: &App,
    audience: Audience,
    after: i64,
    items: &BTreeSet<String>,
    limit: usize,
) -> Result<FeedPage, Error> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let day = app.clock.today();
    let last = app.reader.last_seq().await?;
    let mut out = Vec::new();
    let mut next = after;
    let mut scanned = 0;
    while out.len() < limit && scanned < SCAN {
        let changes = app.reader.changes_after(next, (limit - out.len()).min(SCAN as usize) as i64).await?;
        let Some(end) = changes.last().map(|c| c.seq) else { break };
        scanned += changes.len() as i64;
        let ids: Vec<i64> = changes
            .iter()
            .filter(|c| c.entity == "record" || c.entity == "expiry")
            .map(|c| c.entity_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let versions = app.reader.versions_of(&ids).await?;
        let by: HashMap<(i64, i64), &RecordView> = versions.iter().map(|v| ((v.id, v.version), v)).collect();
        let subject_ids: Vec<i64> =
            versions.iter().filter_map(|v| v.subject_id).collect::<BTreeSet<_>>().into_iter().collect();
        let subjects: HashMap<i64, Subject> =
            app.reader.subjects_by_ids(&subject_ids).await?.into_iter().map(|s| (s.id, s)).collect();
        for c in &changes {
            let Some(v) = c.version else { continue };
            let Some(r) = by.get(&(c.entity_id, v)) else { continue };
            if (!items.is_empty() && !items.contains(&r.item)) || audience.may_know(&app.catalog, r).is_none() {
                continue;
            }
            let before = by.get(&(c.entity_id, v - 1)).filter(|p| audience.sees(&app.catalog, p, day));
            let event = |op, reason, data| Event {
                seq: c.seq,
                at: c.at.clone(),
                op,
                item: r.item.clone(),
                record: r.id,
                version: v,
                subject: r.subject_id,
                reason,
                data,
            };
            if c.entity == "expiry" {
                // A revoked or repaired version had its DEL when it came; one still shown on the day read (its
                // period was extended since) stays.
                if Mark::of(&r.fields).is_none() && !audience.sees(&app.catalog, r, day) {
                    out.push(event(Op::DEL, Some(Gone::Expired), None));
                }
                continue;
            }
            let shown = r
                .subject_id
                .and_then(|s| subjects.get(&s))
                .and_then(|s| open_record(&app.catalog, audience, r, s, day));
            match shown {
                Some(data) => out.push(event(if before.is_some() { Op::MOD } else { Op::ADD }, None, Some(data))),
                None if before.is_some() => out.push(event(Op::DEL, Some(gone(&app.catalog, r, day)), None)),
                None => {}
            }
        }
        next = end;
    }
    Ok(FeedPage { events: out, next, last, more: next < last, audience: audience.as_str() })
}

/// One query of the W3C entity-reconciliation protocol (what OpenRefine sends for each row).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReconcileQuery {
    pub query: String,
    /// `organisation`, `individual_business`, `person`: only subjects of that kind.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub limit: Option<usize>,
}

/// A candidate for a query.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// 统一社会信用代码(自然人等无公开代码者为 `id-{主体编号}`)
    pub id: String,
    pub name: String,
    pub score: f32,
    /// 名称或代码与查询完全一致
    #[serde(rename = "match")]
    pub exact: bool,
    #[serde(rename = "type")]
    pub kinds: Vec<Value>,
}

/// The most queries one request carries, and the longest query.
pub const MAX_QUERIES: usize = 50;
const MAX_QUERY_CHARS: usize = 100;

/// Answers reconciliation queries from the public search: for each, the best subjects the public may find.
pub async fn reconcile(
    app: &App,
    queries: &std::collections::BTreeMap<String, ReconcileQuery>,
) -> Result<std::collections::BTreeMap<String, Value>, Error> {
    if queries.len() > MAX_QUERIES {
        return Err(Error::new(Code::InvalidRequest, format!("一次至多 {MAX_QUERIES} 个查询")));
    }
    let mut out = std::collections::BTreeMap::new();
    for (key, q) in queries {
        let text = q.query.trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::new(
                Code::QueryTooLong,
                format!("查询 {} 超过{MAX_QUERY_CHARS}个字符", truncate(key, 20)),
            ));
        }
        let kind = match q.kind.as_deref() {
            None | Some("") => None,
            Some(k) => Some(SubjectKind::parse(k).ok_or_else(|| {
                Error::new(Code::InvalidRequest, format!("未知的主体类型“{}”", mask_ids(&truncate(k, 20))))
            })?),
        };
        let candidates = if text.is_empty() {
            Vec::new()
        } else {
            let query = crate::search::Query { text, kind, ..Default::default() };
            let page = crate::search::find_page(app, &query, 0, q.limit.unwrap_or(5).clamp(1, 25)).await?;
            page.hits
                .into_iter()
                .map(|h| Candidate {
                    exact: h.name == text || h.code.as_deref() == Some(text),
                    id: match (&h.code, h.kind) {
                        (Some(c), k) if k != SubjectKind::Person => c.clone(),
                        _ => format!("id-{}", h.id),
                    },
                    name: h.name,
                    score: h.score,
                    kinds: vec![serde_json::json!({ "id": h.kind, "name": h.kind_label })],
                })
                .collect()
        };
        out.insert(key.clone(), serde_json::json!({ "result": candidates }));
    }
    Ok(out)
}

/// The start (Beijing time) of the first day whose record entries are still within the deadline on `today`: an entry
/// made before it had to be passed on by today at the latest (发改办财金〔2018〕424号: 7 working days, the catalog's
/// `deadlines.publication`), so a consumer that acknowledges it now or later is late.
pub fn deadline_start(catalog: &Catalog, today: Date) -> time::OffsetDateTime {
    let n = catalog.publicity.deadlines.publication;
    let mut first = today;
    // Back while the day before still has time: its last day (n working days on) is today or later.
    for _ in 0..366 {
        let before = first - time::Duration::days(1);
        if catalog.calendar.add_working_days(before, n).value < today {
            break;
        }
        first = before;
    }
    first.midnight().assume_offset(time::macros::offset!(+8))
}

/// A department's read of the feed from `after`: its acknowledgement of everything up to `after`.
pub async fn acknowledge(app: &App, department: i64, after: i64) -> Result<(), Error> {
    let late_before = deadline_start(&app.catalog, app.clock.today());
    app.store.acknowledge_feed(department, after, app.clock.now(), late_before).await?;
    Ok(())
}

/// A consumer of the feed as the operators' dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumerState {
    pub department: String,
    pub acked_seq: i64,
    pub acked_at: Option<String>,
    pub read_at: String,
    /// Entries after its place (all, and record entries not acknowledged).
    pub lag: i64,
    pub pending: credo_store::Unacknowledged,
    /// Record entries acknowledged after their deadline.
    pub late: i64,
}

/// Every department that reads the feed: how far it has acknowledged, what waits, what is overdue.
pub async fn consumers(app: &App) -> Result<Vec<ConsumerState>, Error> {
    let head = app.reader.last_seq().await?;
    let late_before = deadline_start(&app.catalog, app.clock.today());
    let names: HashMap<i64, String> = app.reader.departments().await?.into_iter().map(|d| (d.id, d.name)).collect();
    let mut out = Vec::new();
    for c in app.reader.feed_consumers().await? {
        out.push(ConsumerState {
            department: names.get(&c.department_id).cloned().unwrap_or_default(),
            lag: head - c.acked_seq,
            pending: {
                let mut u = app.reader.unacknowledged(c.acked_seq, late_before).await?;
                u.oldest = u.oldest.as_deref().map(crate::beijing::stored);
                u
            },
            acked_seq: c.acked_seq,
            acked_at: c.acked_at.as_deref().map(crate::beijing::stored),
            read_at: crate::beijing::stored(&c.read_at),
            late: c.late,
        });
    }
    Ok(out)
}
