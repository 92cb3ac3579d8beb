//! 诚信建设示范单位 (`credo_domain::honours`, `catalog/honours.toml`): a unit applies from its own account if it meets
//! the creation standard; the committee's department (its 案件办理员) approves it for public notice or rejects it;
//! complaints during the notice are 举报 cases to the committee, and while one is open the unit is not published;
//! after the notice the committee publishes it on 信用西宁; a published unit that no longer meets the standard (a
//! serious record, its grade falling) is revoked by the platform as its records change, with the reason, in the
//! audit trail under the committee's department and on the committee's list.

use credo_domain::honours::{HonourState, Standard};
use credo_store::{CaseFilter, Department, Honour, Subject};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Code, Error};
use crate::principal::{Principal, Role};

/// A committee step as asked for.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HonourStep {
    /// approve(通过评审,进入公示)、reject(不予通过)、publish(公示期满,命名)、revoke(撤销)
    pub step: String,
    /// 不予通过和撤销须写明理由
    #[serde(default)]
    pub reason: Option<String>,
}

/// An application with its unit, as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub honour: Honour,
    pub name: String,
    pub code: Option<String>,
    pub state_label: &'static str,
}

pub fn standard(app: &App) -> Result<&Standard, Error> {
    app.catalog.honours.as_ref().ok_or_else(|| Error::not_found("本平台未设诚信建设示范单位评选"))
}

/// The committee's department.
pub async fn committee(app: &App) -> Result<Department, Error> {
    let s = standard(app)?;
    crate::admin::body_named(app, &s.committee, "暂不受理申报和评审").await
}

/// The conditions of the standard `subject` does not meet today, in words (empty: it meets them all).
pub async fn unmet(app: &App, subject: &Subject) -> Result<Vec<String>, Error> {
    let s = standard(app)?;
    let mut out = Vec::new();
    if !s.kinds.iter().any(|k| k == subject.kind.as_str()) {
        out.push(format!("{}不参加评选", subject.kind.label()));
    }
    let grade = app
        .store
        .grades_of(subject.id)
        .await?
        .into_iter()
        .find(|g| g.scheme == s.scheme && g.superseded_at.is_none())
        .map(|g| g.grade);
    if !grade.as_ref().is_some_and(|g| s.grades.contains(g)) {
        let scheme = app.catalog.evaluation.get(&s.scheme).map_or(s.scheme.clone(), |x| x.name.clone());
        out.push(format!("{scheme}须为 {}(当前{})", s.grades.join("、"), grade.as_deref().unwrap_or("尚无评价")));
    }
    app.index.ready(app).await.map_err(Error::internal)?;
    let day = app.clock.today();
    let records = app.index.own(subject.id).await;
    for item in &s.disqualifying {
        if records.iter().any(|r| &*r.item == item.as_str() && r.counts(day)) {
            let name = app.catalog.item(item).map_or(item.clone(), |i| i.name.clone());
            out.push(format!("有正在公示的{name}记录"));
        }
    }
    if s.commitment {
        let committed = records.iter().any(|r| {
            &*r.item == "xycn" && r.counts(day) && r.fields(&app.catalog).get("CN_LYZT").is_some_and(|v| v != "未履约")
        });
        if !committed {
            out.push("未向社会公开作出信用承诺(可在“我的信用”页作出)".into());
        }
    }
    Ok(out)
}

async fn audit(app: &App, p: &Principal, action: &str, h: &Honour, result: String) -> Result<(), Error> {
    crate::audit::act(app, p, action, format!("honour:{}", h.id), "诚信建设示范单位评选", result).await
}

/// Free text a unit writes for the public: ID numbers (in any written form) and every long run of digits masked.
fn public_text(s: &str) -> String {
    credo_domain::masking::mask_digit_runs(&crate::public::mask_ids(s))
}

/// A unit applies for this year from its own account.
pub async fn apply(app: &App, p: &Principal, statement: &str) -> Result<Honour, Error> {
    let Principal::Account { account, role: Role::Subject, .. } = p else {
        return Err(Error::forbidden("请以本单位的信用主体账号申报"));
    };
    let subject_id = account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?;
    let subject = app.store.subject(subject_id).await?.ok_or_else(|| Error::not_found("绑定的信用主体不存在"))?;
    committee(app).await?;
    let statement = statement.trim();
    if statement.chars().count() > 4000 {
        return Err(Error::new(Code::TooLong, "创建情况至多 4000 字"));
    }
    if statement.is_empty() {
        return Err(Error::new(Code::MissingField, "请填写创建情况(将随公示一并公开)"));
    }
    let year = i64::from(app.clock.today().year());
    let mine = app.store.honours(None, Some(year), Some(subject_id)).await?;
    if mine.iter().any(|h| matches!(h.state, HonourState::Applied | HonourState::Notice | HonourState::Published)) {
        return Err(Error::new(Code::Conflict, format!("本单位 {year} 年度已申报")));
    }
    let unmet = unmet(app, &subject).await?;
    if !unmet.is_empty() {
        return Err(Error::new(Code::NotPermitted, format!("不符合创建标准:{}", unmet.join(";"))));
    }
    let h = app
        .store
        // Published with the notice: ID numbers, telephones and other long numbers are masked when written.
        .add_honour(year, subject_id, &public_text(statement), &format!("account:{}", account.id))
        .await?;
    audit(app, p, "honour.apply", &h, format!("{year} 年度")).await?;
    Ok(h)
}

/// A committee step by a 案件办理员 of the committee's department.
pub async fn step(app: &App, p: &Principal, id: i64, r: &HonourStep) -> Result<Honour, Error> {
    let committee = committee(app).await?;
    if !matches!(p, Principal::Account { role: Role::Handler, department: Some(d), .. } if d.id == committee.id) {
        return Err(Error::forbidden(format!("评选由{}的案件办理员办理", committee.name)));
    }
    let h = app.store.honour(id).await?.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的申报")))?;
    let step = r.step.trim();
    if !["approve", "reject", "publish", "revoke"].contains(&step) {
        return Err(Error::new(Code::InvalidRequest, "step 应为 approve、reject、publish 或 revoke"));
    }
    let to = h.state.step(step).map_err(|e| Error::new(Code::Conflict, e))?;
    let reason = r.reason.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if matches!(step, "reject" | "revoke") && reason.is_none() {
        return Err(Error::new(Code::ReasonRequired, "不予通过或撤销须写明理由"));
    }
    if reason.is_some_and(|s| s.chars().count() > 500) {
        return Err(Error::new(Code::TooLong, "理由至多 500 字"));
    }
    let subject = app.store.subject(h.subject_id).await?.ok_or_else(|| Error::not_found("申报单位不存在"))?;
    let today = app.clock.today();
    let mut notice_until = None;
    if matches!(step, "approve" | "publish") {
        let unmet = unmet(app, &subject).await?;
        if !unmet.is_empty() {
            return Err(Error::new(Code::NotPermitted, format!("不符合创建标准:{}", unmet.join(";"))));
        }
    }
    if step == "approve" {
        let days = standard(app)?.notice_days;
        notice_until = Some(app.catalog.calendar.add_working_days(today, days).value);
    }
    if step == "publish" {
        if h.notice_until.is_some_and(|u| today <= u) {
            return Err(Error::new(
                Code::Conflict,
                format!("公示期至 {},期满后方可命名", h.notice_until.map(|d| d.to_string()).unwrap_or_default()),
            ));
        }
        let open = open_complaints(app, &committee, h.subject_id).await?;
        if !open.is_empty() {
            return Err(Error::new(Code::Conflict, format!("有未办结的投诉:{},办结后方可命名", open.join("、"))));
        }
    }
    let reason = reason.map(crate::public::mask_ids);
    if !app.store.move_honour(id, h.state, to, &p.actor().0, reason.as_deref(), notice_until).await? {
        return Err(Error::new(Code::Conflict, "该申报的状态已被他人改变,请刷新后再办理"));
    }
    let h = app.store.honour(id).await?.unwrap_or(h);
    let result = format!("{} → {}{}", step, to.label(), reason.map(|r| format!(":{r}")).unwrap_or_default());
    audit(app, p, &format!("honour.{step}"), &h, result).await?;
    Ok(h)
}

/// The numbers of the open 举报 cases the committee holds about the unit.
async fn open_complaints(app: &App, committee: &Department, subject: i64) -> Result<Vec<String>, Error> {
    let filter = CaseFilter {
        kind: Some("report".into()),
        department_id: Some(committee.id),
        subject_id: Some(subject),
        open_only: true,
        ..CaseFilter::default()
    };
    Ok(app.store.cases(&filter, 100).await?.into_iter().map(|c| c.number).collect())
}

async fn listed(app: &App, list: Vec<Honour>) -> Result<Vec<Listed>, Error> {
    let mut out = Vec::new();
    for h in list {
        let Some(s) = app.store.subject(h.subject_id).await? else { continue };
        let code = crate::public::display_code(&s);
        out.push(Listed { state_label: h.state.label(), name: crate::public::mask_ids(&s.name), code, honour: h });
    }
    Ok(out)
}

/// What the public sees: units in public notice and units published (revoked ones are taken off).
pub async fn public_lists(app: &App) -> Result<(Vec<Listed>, Vec<Listed>), Error> {
    let notice = listed(app, app.store.honours(Some(HonourState::Notice), None, None).await?).await?;
    let published = listed(app, app.store.honours(Some(HonourState::Published), None, None).await?).await?;
    Ok((notice, published))
}

/// One unit's public page (in notice or published), with its open complaints' count for the committee to weigh.
pub async fn public_view(app: &App, id: i64) -> Result<Listed, Error> {
    let h = app.store.honour(id).await?.filter(|h| matches!(h.state, HonourState::Notice | HonourState::Published));
    let h = h.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的公示或命名单位")))?;
    listed(app, vec![h]).await?.pop().ok_or_else(|| Error::not_found("单位不存在"))
}

/// Every application, for the committee's department and the credit office's 信用审核员 (who oversee it).
pub async fn committee_list(app: &App, p: &Principal) -> Result<Vec<Listed>, Error> {
    let reviewer = matches!(p, Principal::Account { role: Role::Reviewer, .. });
    if !reviewer {
        let committee = committee(app).await.map_err(|e| Error::forbidden(e.detail))?;
        if p.department().map(|d| d.id) != Some(committee.id) {
            return Err(Error::forbidden(format!("评选由{}办理", committee.name)));
        }
    }
    listed(app, app.store.honours(None, None, None).await?).await
}

/// The unit's own applications.
pub async fn own(app: &App, p: &Principal) -> Result<Vec<Listed>, Error> {
    let Principal::Account { account, role: Role::Subject, .. } = p else { return Ok(Vec::new()) };
    let Some(subject) = account.subject_id else { return Ok(Vec::new()) };
    listed(app, app.store.honours(None, None, Some(subject)).await?).await
}

/// 年度复核 as records change: every published unit that no longer meets the standard is revoked, with the reason,
/// in the trail under the committee's department. Only the process leading scheduled jobs does it. Returns how many.
pub async fn review(app: &App) -> Result<usize, Error> {
    if app.catalog.honours.is_none() || !app.store.lead_jobs().await? {
        return Ok(0);
    }
    let published = app.store.honours(Some(HonourState::Published), None, None).await?;
    if published.is_empty() {
        return Ok(0);
    }
    let committee = committee(app).await.ok().map(|d| d.uscc);
    let mut revoked = 0;
    for h in published {
        let Some(subject) = app.store.subject(h.subject_id).await? else { continue };
        let unmet = unmet(app, &subject).await?;
        if unmet.is_empty() {
            continue;
        }
        let reason = format!("不再符合创建标准:{}", unmet.join(";"));
        if app
            .store
            .move_honour(h.id, HonourState::Published, HonourState::Revoked, "platform", Some(&reason), None)
            .await?
        {
            revoked += 1;
            // The platform acts, not a person: the event names it, under the committee's department.
            let target = format!("honour:{}", h.id);
            crate::audit::by_platform(
                app,
                committee.clone(),
                "honour.revoke",
                target,
                "诚信建设示范单位动态复核",
                reason,
            )
            .await?;
        }
    }
    Ok(revoked)
}
