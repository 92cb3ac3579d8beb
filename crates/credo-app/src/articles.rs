//! 信用动态, 政策法规 and 典型案例: the credit office's articles on 信用西宁 (`credo_domain::articles` for the steps
//! and the text rules). A 系统管理员 drafts and sends for review; a 信用审核员 who did not write it publishes or
//! returns it, and takes published ones down. Every step is one conditional write (two reviewers at once: one
//! wins, the other is told the state changed) followed by its audit event.
//!
//! A 典型案例 cites records (at least one): each must exist when drafted and be public when published. A case
//! exposes its subject only while every record it cites stays public: its page is gone the moment one is not
//! (repaired, revoked, its period over), and [`review`] takes it down, with the reason, after every batch and every
//! minute.

use credo_domain::articles::{ArticleKind, ArticleState, Draft, Step};
use credo_store::{Article, ArticleQuery};
use serde::Deserialize;

use crate::App;
use crate::error::{Code, Error};
use crate::principal::{Principal, Role};

/// Articles a public list page shows.
pub const PAGE: i64 = 20;

/// A step as asked for (API and form).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StepRequest {
    /// submit(送审)、return(退回)、publish(发布)或 withdraw(撤下)
    pub step: String,
    /// 退回和撤下须写明理由
    #[serde(default)]
    pub note: Option<String>,
    /// 所审阅稿件的版本(文章的 revision):发布时必填,稿件此后被修改的不能发布
    #[serde(default)]
    pub revision: Option<i64>,
}

fn actor(p: &Principal) -> Result<(String, Role), Error> {
    match p {
        Principal::Account { account, role, .. } if matches!(role, Role::Sysadmin | Role::Reviewer) => {
            Ok((account.username.clone(), *role))
        }
        _ => Err(Error::forbidden("稿件由系统管理员撰写、信用审核员审核发布")),
    }
}

fn invalid(errors: Vec<String>) -> Error {
    Error::new(Code::InvalidArticle, errors.join(";"))
}

/// The cited records that are public today, each with whether it is disputed (异议处理中) (the others, not found
/// or no longer public, are left out).
pub async fn public_records(app: &App, ids: &[i64]) -> Result<Vec<(credo_store::RecordView, bool)>, Error> {
    let records = app.store.records_by_ids(ids).await?;
    let disputed = app.store.disputed(ids).await?;
    let today = app.clock.today();
    Ok(records
        .into_iter()
        .map(|r| {
            let d = disputed.contains(&r.id);
            (r, d)
        })
        .filter(|(r, d)| crate::public::record(&app.catalog, r, *d, today).is_some_and(|p| p.publicity.state.public()))
        .collect())
}

async fn check_records(app: &App, ids: &[i64], public: bool) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: Vec<i64> = if public {
        public_records(app, ids).await?.iter().map(|(r, _)| r.id).collect()
    } else {
        app.store.records_by_ids(ids).await?.iter().map(|r| r.id).collect()
    };
    let missing: Vec<String> = ids.iter().filter(|id| !found.contains(id)).map(i64::to_string).collect();
    if missing.is_empty() {
        Ok(())
    } else if public {
        Err(Error::new(
            Code::InvalidArticle,
            format!("引用的记录 {} 不在公示中,不能在典型案例中曝光", missing.join("、")),
        ))
    } else {
        Err(Error::new(Code::InvalidArticle, format!("没有编号为 {} 的信用记录", missing.join("、"))))
    }
}

async fn audit(app: &App, p: &Principal, action: &str, a: &Article, result: String) -> Result<(), Error> {
    let purpose = format!("{}发布", a.kind.label());
    crate::audit::act(app, p, action, format!("article:{}", a.id), &purpose, result).await
}

/// A new draft by a 系统管理员.
pub async fn draft(app: &App, p: &Principal, d: &Draft) -> Result<Article, Error> {
    let (who, role) = actor(p)?;
    if role != Role::Sysadmin {
        return Err(Error::forbidden("稿件由系统管理员撰写"));
    }
    let text = d.check().map_err(invalid)?;
    check_records(app, &text.records, false).await?;
    let a = app.store.add_article(&text, &who).await?;
    audit(app, p, "article.draft", &a, format!("{} {}", a.kind.label(), a.title)).await?;
    Ok(a)
}

/// An article as the console shows it: staff see every state.
pub async fn staff_view(app: &App, p: &Principal, id: i64) -> Result<Article, Error> {
    actor(p)?;
    app.store.article(id).await?.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的稿件")))
}

/// Replaces a draft's text (its author only).
pub async fn edit(app: &App, p: &Principal, id: i64, d: &Draft) -> Result<Article, Error> {
    let (who, _) = actor(p)?;
    let a = staff_view(app, p, id).await?;
    if a.author != who {
        return Err(Error::forbidden("只有撰稿人可以修改稿件"));
    }
    let text = d.check().map_err(invalid)?;
    check_records(app, &text.records, false).await?;
    if !app.store.edit_article(id, &text).await? {
        return Err(Error::new(Code::Conflict, format!("稿件{},不能修改", a.state.label())));
    }
    let a = staff_view(app, p, id).await?;
    audit(app, p, "article.edit", &a, a.title.clone()).await?;
    Ok(a)
}

/// Takes a step: the author sends a draft for review; a 信用审核员 other than the author publishes, returns or
/// takes down.
pub async fn step(app: &App, p: &Principal, id: i64, req: &StepRequest) -> Result<Article, Error> {
    let (who, role) = actor(p)?;
    let step = Step::parse(req.step.trim())
        .ok_or_else(|| Error::new(Code::InvalidRequest, "step 应为 submit、return、publish 或 withdraw"))?;
    let a = staff_view(app, p, id).await?;
    let to = step.from(a.state).map_err(|e| Error::new(Code::Conflict, e))?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if step.is_review() {
        if role != Role::Reviewer {
            return Err(Error::forbidden("审核、发布和撤下由信用审核员办理"));
        }
        // Four eyes: not the author's account, nor another account in the author's name (a person holding both a
        // 系统管理员 and a 信用审核员 account).
        let author = app.store.account_by_username(&a.author).await?;
        let same_person = match (p, author) {
            (Principal::Account { account, .. }, Some(author)) => account.name.trim() == author.name.trim(),
            _ => false,
        };
        if a.author == who || same_person {
            return Err(Error::forbidden("撰稿人不能审核自己的稿件(审核须由另一人办理)"));
        }
    } else if a.author != who {
        return Err(Error::forbidden("只有撰稿人可以送审"));
    }
    if step.needs_note() && note.is_none() {
        return Err(Error::new(Code::ReasonRequired, format!("{}须写明理由", step.label())));
    }
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(Error::new(Code::TooLong, "理由至多 500 字"));
    }
    let note = note.map(|n| credo_domain::masking::mask_id_numbers(n).into_owned());
    let revision = match (step, req.revision) {
        (Step::Publish, None) => {
            return Err(Error::new(Code::MissingField, "发布须注明所审阅稿件的版本(revision)"));
        }
        (_, Some(r)) if r != a.revision => {
            return Err(Error::new(
                Code::Conflict,
                format!("稿件已修改为第 {} 版(所审阅的是第 {r} 版),请重新审阅后再办理", a.revision),
            ));
        }
        (_, r) => r,
    };
    if step == Step::Publish {
        if a.kind == ArticleKind::Case && a.records.is_empty() {
            return Err(Error::new(Code::InvalidArticle, "典型案例须引用至少一条公示中的信用记录"));
        }
        check_records(app, &a.records, true).await?;
    }
    let review = step.is_review().then_some((who.as_str(), note.as_deref()));
    if !app.store.move_article(id, a.state, to, review, revision).await? {
        return Err(Error::new(Code::Conflict, "稿件状态或内容已被他人改变,请刷新后再办理"));
    }
    let a = staff_view(app, p, id).await?;
    let result = match &note {
        Some(n) => format!("{} → {}:{n}", step.label(), to.label()),
        None => format!("{} → {}", step.label(), to.label()),
    };
    audit(app, p, &format!("article.{}", step.as_str()), &a, result).await?;
    Ok(a)
}

/// The console's list: every article of a state (all states when none), newest first.
pub async fn staff_list(
    app: &App,
    p: &Principal,
    state: Option<ArticleState>,
    page: i64,
) -> Result<(Vec<Article>, i64), Error> {
    actor(p)?;
    Ok(app.store.articles(&ArticleQuery { kind: None, state, offset: (page.max(1) - 1) * PAGE, limit: PAGE }).await?)
}

/// Published articles of a kind (all kinds when none), newest first, a page of them and how many in all.
pub async fn published(
    app: &App,
    kind: Option<ArticleKind>,
    page: i64,
    limit: i64,
) -> Result<(Vec<Article>, i64), Error> {
    let q = ArticleQuery {
        kind,
        state: Some(ArticleState::Published),
        offset: (page.max(1) - 1).saturating_mul(limit),
        limit,
    };
    Ok(app.store.articles(&q).await?)
}

/// A published article with its cited records (anyone; other states, and a case one of whose records is no longer
/// public, are "not found").
pub async fn public_view(app: &App, id: i64) -> Result<(Article, Vec<(credo_store::RecordView, bool)>), Error> {
    let not_found = || Error::not_found(format!("没有编号为 {id} 的已发布文章"));
    let a = app.store.article(id).await?.filter(|a| a.state == ArticleState::Published).ok_or_else(not_found)?;
    let records = public_records(app, &a.records).await?;
    if records.len() < a.records.len() || (a.kind == ArticleKind::Case && a.records.is_empty()) {
        return Err(not_found());
    }
    Ok((a, records))
}

/// Takes down every published 典型案例 citing a record no longer public, with the reason, in the trail as the
/// platform's step. Only the process leading scheduled jobs does it. Returns how many.
pub async fn review(app: &App) -> Result<usize, Error> {
    if !app.store.lead_jobs().await? {
        return Ok(0);
    }
    let mut down = 0;
    let mut offset = 0;
    loop {
        let q =
            ArticleQuery { kind: Some(ArticleKind::Case), state: Some(ArticleState::Published), offset, limit: 200 };
        let (page, _) = app.store.articles(&q).await?;
        let mut kept = 0;
        for a in &page {
            let public: Vec<i64> = public_records(app, &a.records).await?.iter().map(|(r, _)| r.id).collect();
            let gone: Vec<String> = a.records.iter().filter(|id| !public.contains(id)).map(i64::to_string).collect();
            let note = if a.records.is_empty() {
                "典型案例未引用公示中的信用记录,平台自动撤下".to_string()
            } else if gone.is_empty() {
                kept += 1;
                continue;
            } else {
                format!("引用的信用记录 {} 已不再公示(已修复、撤销或公示期满),平台自动撤下", gone.join("、"))
            };
            let (from, to) = (ArticleState::Published, ArticleState::Withdrawn);
            if app.store.move_article(a.id, from, to, Some(("platform", Some(&note))), None).await? {
                down += 1;
                let target = format!("article:{}", a.id);
                crate::audit::by_platform(app, None, "article.withdraw", target, "典型案例发布", note).await?;
            }
        }
        // Those taken down leave the list: the next page starts after those kept.
        offset += kept;
        if page.len() < 200 {
            break;
        }
    }
    Ok(down)
}
