//! 主体识别 by people: the unresolved queue with ranked candidates and their reasons, and judgements (same,
//! different, unsure) that link records, merge subjects and attach legacy codes, each one recorded, audited and
//! undoable (`credo_store::judgements`).
//!
//! Who may judge: a 信用审核员 (reviewer) anything; a department's 报送员 (submitter) its own department's queued
//! records. Everyone else is refused, and nobody sees another department's queue.

use credo_domain::catalog::SubjectKind;
use credo_domain::name::{name_core, normalize_name};
use credo_store::{AuditEvent, Decision, Judgement, NewJudgement, RecordView, StoreError, Target};
use serde::Serialize;

use crate::error::{Code, Error};
use crate::principal::{Principal, Role};
use crate::{App, public};

/// The most candidates shown for a record.
pub const CANDIDATES: usize = 5;

/// A subject a queued record may be about, with how sure and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub subject_id: i64,
    pub code: Option<String>,
    pub name: String,
    pub region_name: Option<String>,
    /// 0–100: 100 for the same name, lower the farther the name (by characters and by sound).
    pub score: u8,
    /// 匹配理由
    pub reasons: Vec<String>,
}

/// A queued record as a judge sees it: what it says of its subject, and its candidates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub record_id: i64,
    pub item: String,
    pub item_name: String,
    pub department: String,
    /// The subject's name as the record gives it (ID numbers masked).
    pub name: String,
    pub region_name: Option<String>,
    pub candidates: Vec<Candidate>,
    /// Judgements about the record, newest first (undone ones included).
    #[schema(value_type = Vec<Object>)]
    pub judgements: Vec<Judgement>,
}

fn may_judge(p: &Principal, record: Option<&RecordView>) -> Result<(), Error> {
    match (p, record) {
        (Principal::Account { role: Role::Reviewer, .. }, _) => Ok(()),
        (Principal::Account { role: Role::Submitter, department: Some(d), .. }, Some(r))
            if r.department_uscc == d.uscc =>
        {
            Ok(())
        }
        (Principal::Key { key, department }, Some(r))
            if r.department_uscc == department.uscc && key.scopes.iter().any(|s| s == "submit") =>
        {
            Ok(())
        }
        (Principal::Anonymous, _) => Err(Error::unauthorized("请先登录")),
        _ => Err(Error::forbidden("只有信用审核员或报送该记录的部门报送员可以判断主体")),
    }
}

async fn queued_record(app: &App, record_id: i64) -> Result<RecordView, Error> {
    app.store
        .records_by_ids(&[record_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("没有编号为 {record_id} 的记录")))
}

/// A queued record with its candidates: the subjects whose names are nearest to the one it gives (the platform's
/// search, every subject), less those judged different from it; with the reasons each may be it.
pub async fn queued(app: &App, p: &Principal, record_id: i64) -> Result<Queued, Error> {
    let record = queued_record(app, record_id).await?;
    may_judge(p, Some(&record))?;
    let item = app.catalog.item(&record.item).ok_or_else(|| Error::internal("record of an unknown item"))?;
    let s = item.subject_ref(&record.fields);
    let judgements = app.store.judgements(Some(&Target::Record(record_id)), None, 100).await?;
    let different: Vec<i64> = judgements
        .iter()
        .filter(|j| j.decision == Decision::Different && j.undone_at.is_none())
        .map(|j| j.subject_id)
        .collect();
    let (search, name) = (app.search.clone(), s.name.clone());
    let hits =
        tokio::task::spawn_blocking(move || search.search(&name, CANDIDATES + 10)).await.map_err(Error::internal)??;
    let places = app.catalog.regions.place_prefixes();
    let norm = normalize_name(&s.name);
    let core = name_core(&norm, &places);
    let mut candidates = Vec::new();
    for h in hits.into_iter().filter(|h| !different.contains(&h.id)).take(CANDIDATES) {
        let Some(subject) = app.reader.subject(h.id).await? else { continue };
        let mut reasons = Vec::new();
        let their_norm = normalize_name(&subject.name);
        let their_core = name_core(&their_norm, &places);
        if their_norm == norm {
            reasons.push("名称相同".to_string());
        } else if their_core == core {
            reasons.push(format!("名称核心相同(“{core}”)"));
        } else if let Some(alias) = &h.alias {
            reasons.push(format!("与其曾用名或别名“{}”相近", public::mask_ids(alias)));
        } else {
            reasons.push("名称相近(字形或读音)".to_string());
        }
        let rep = |fields: &std::collections::BTreeMap<String, String>| {
            item.fields.iter().find(|f| f.name.contains("法定代表人")).and_then(|f| fields.get(&f.code)).cloned()
        };
        let their_rep = subject.profile.as_ref().and_then(|p| p.get("DJ_FDDBR")).and_then(|v| v.as_str());
        if let (Some(a), Some(b)) = (rep(&record.fields), their_rep)
            && !a.is_empty()
            && normalize_name(&a) == normalize_name(b)
        {
            reasons.push("法定代表人相同".to_string());
        }
        if s.region.is_some() && s.region == subject.region {
            reasons.push("所在地区相同".to_string());
        }
        // The same deciding authority (决定机关: the item's authority field, else the submitting department).
        let authority =
            |r: &RecordView| app.catalog.publicity.authority(&r.item, &r.department_name, &r.fields).trim().to_string();
        let ours = authority(&record);
        let theirs = app.reader.subject_records(subject.id).await?;
        if theirs.iter().any(|r| authority(r) == ours) {
            reasons.push(format!("同一决定机关({ours})作出过该主体的记录"));
        }
        // Tier (1–4) and nearness, as the search ranks: 3 and above is the same name or code.
        let score = if h.score >= 3.0 {
            100
        } else if h.score >= 2.0 {
            95
        } else {
            (h.score.fract() * 90.0) as u8
        };
        candidates.push(Candidate {
            subject_id: subject.id,
            code: public::display_code(&subject),
            name: public::mask_ids(&subject.name),
            region_name: region_name(app, subject.region.as_deref()),
            score,
            reasons,
        });
    }
    Ok(Queued {
        record_id,
        item: record.item.clone(),
        item_name: item.name.clone(),
        department: record.department_name.clone(),
        name: public::mask_ids(&s.name),
        region_name: region_name(app, s.region.as_deref()),
        candidates,
        judgements,
    })
}

fn region_name(app: &App, code: Option<&str>) -> Option<String> {
    code.and_then(|r| app.catalog.regions.get(r)).map(|r| r.name.clone())
}

/// One judgement as asked: about what, which subject, the decision and why.
#[derive(Debug, Clone)]
pub struct Ask {
    pub target: Target,
    pub subject_id: i64,
    pub decision: Decision,
    pub reason: String,
}

fn store_error(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(m) => Error::not_found(format!("没有找到:{m}")),
        StoreError::Conflict(m) => Error::new(Code::Conflict, m),
        e => e.into(),
    }
}

/// Records a judgement and applies a same one; audited (`resolve.judged`), and the search index follows.
pub async fn judge(app: &App, p: &Principal, ask: Ask) -> Result<Judgement, Error> {
    let reason = ask.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::new(Code::ReasonRequired, "请说明判断理由(不超过 500 字)"));
    }
    let subject = app
        .reader
        .subject(ask.subject_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("没有编号为 {} 的主体", ask.subject_id)))?;
    let alias = match &ask.target {
        Target::Record(id) => {
            let record = queued_record(app, *id).await?;
            may_judge(p, Some(&record))?;
            let item = app.catalog.item(&record.item).ok_or_else(|| Error::internal("record of an unknown item"))?;
            Some(item.subject_ref(&record.fields).name)
        }
        Target::Subject(other) => {
            may_judge(p, None)?;
            let other = app
                .reader
                .subject(*other)
                .await?
                .ok_or_else(|| Error::not_found(format!("没有编号为 {other} 的主体")))?;
            if ask.decision == Decision::Same
                && (other.kind == SubjectKind::Person) != (subject.kind == SubjectKind::Person)
            {
                return Err(Error::new(Code::Conflict, "自然人不能与组织合并"));
            }
            None
        }
        Target::Code(code) => {
            may_judge(p, None)?;
            if credo_domain::masking::contains_id_number(code) {
                return Err(Error::new(Code::InvalidRequest, "证件号码不能作为旧代码关联"));
            }
            None
        }
    };
    let (actor, _, _) = p.actor();
    let new = NewJudgement {
        target: ask.target.clone(),
        subject_id: ask.subject_id,
        decision: ask.decision,
        reason,
        actor,
        department_id: p.department().map(|d| d.id),
        alias,
    };
    let j = app.store.judge(&new).await.map_err(store_error)?;
    audit(app, p, "resolve.judged", &j).await?;
    crate::feed::sync_search(app).await.map_err(Error::internal)?;
    Ok(j)
}

/// Undoes a judgement (what it changed is changed back); audited (`resolve.undone`).
pub async fn undo(app: &App, p: &Principal, id: i64) -> Result<Judgement, Error> {
    let j = app.store.judgement(id).await?.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的判断")))?;
    let record = match &j.target {
        Target::Record(r) => Some(queued_record(app, *r).await?),
        _ => None,
    };
    may_judge(p, record.as_ref())?;
    let (actor, _, _) = p.actor();
    let j = app.store.undo_judgement(id, &actor).await.map_err(store_error)?;
    audit(app, p, "resolve.undone", &j).await?;
    crate::feed::sync_search(app).await.map_err(Error::internal)?;
    Ok(j)
}

/// Judgements, newest first: about a target, or a subject, or all (reviewers; a submitter its department's).
pub async fn judgements(
    app: &App,
    p: &Principal,
    target: Option<&Target>,
    subject: Option<i64>,
) -> Result<Vec<Judgement>, Error> {
    let all = app.store.judgements(target, subject, 200).await?;
    match p {
        Principal::Account { role: Role::Reviewer, .. } => Ok(all),
        Principal::Account { role: Role::Submitter, department: Some(d), .. } => {
            Ok(all.into_iter().filter(|j| j.department_id == Some(d.id)).collect())
        }
        Principal::Key { key, department } if key.scopes.iter().any(|s| s == "submit") => {
            Ok(all.into_iter().filter(|j| j.department_id == Some(department.id)).collect())
        }
        Principal::Anonymous => Err(Error::unauthorized("请先登录")),
        _ => Err(Error::forbidden("只有信用审核员或部门报送员可以查看主体判断")),
    }
}

async fn audit(app: &App, p: &Principal, action: &str, j: &Judgement) -> Result<(), Error> {
    let (actor, role, department) = p.actor();
    let result = format!("{}:{} → 主体 {}", j.decision.label(), j.target, j.subject_id);
    app.store
        .append_audit(&AuditEvent {
            actor,
            role,
            department,
            action: action.into(),
            target: Some(format!("judgement:{}", j.id)),
            purpose: Some("主体识别".into()),
            result,
            client: None,
        })
        .await?;
    Ok(())
}
