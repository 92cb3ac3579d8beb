//! The auditor's page (审计管理员): the audit trail, newest first, filtered by who, what, on what, with which result
//! and when (Beijing days); the last signed checkpoint; and the verification of the whole chain on request (it reads
//! every event, so it is a separate page rather than part of every view). Reading it is itself audited by the guard.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::App;
use credo_app::principal::{Principal, Role};
use credo_store::{AuditFilter, StoredAuditEvent};
use serde::Deserialize;
use time::Date;

use super::chrome::{Chrome, query_string, refused, render};
use crate::Web;
use crate::error::ApiError;

/// Events on one page.
const PER_PAGE: i64 = 50;

/// What an audit action code means, in words (the code itself is shown beside it).
pub fn action_label(app: &App, code: &str) -> String {
    let (noun, verb) = code.split_once('.').unwrap_or((code, ""));
    if noun == "check" {
        return match verb {
            "follow_up" => "核查回执与反馈".into(),
            "stats" => "核查统计".into(),
            "" => "核查".into(),
            scene => format!("核查({})", super::console::scene_name(app, scene)),
        };
    }
    let noun = match noun {
        "session" => "会话",
        "auth" => "认证",
        "account" => "账号",
        "batch" => "报送批次",
        "unresolved" => "待匹配记录",
        "department" => "部门",
        "key" => "API 密钥",
        "audit" => "审计日志",
        "subject" => "信用主体",
        "case" => "案件",
        "objection" => "异议",
        "repair" => "信用修复",
        "report" => "举报",
        "commitment" => "信用承诺",
        "enrolment" => "账号申请",
        "dashboard" => "运行监测",
        "public" => "公开信息",
        "record" => "信用记录",
        _ => return String::new(),
    };
    let verb = match verb {
        "sign_in" => "登录",
        "sign_out" => "退出",
        "read" => "查看",
        "own" => "本人操作",
        "submit" => "报送",
        "interrupted" => "中断",
        "manage" => "变更",
        "permissions" => "授权",
        "file" => "提出",
        "file_read" => "查看材料",
        "decide" => "办理决定",
        "extend" => "延期",
        "handle" => "办理",
        "make" => "作出",
        "breach" => "违诺认定",
        "apply" => "申请",
        "approve" => "通过",
        "refuse" => "不予通过",
        "password" => "修改密码",
        "password_by_link" => "凭链接设置密码",
        "reset_link" => "签发重置链接",
        "withdraw" => "撤销",
        "key" => "密钥",
        "session" => "会话",
        "" => "",
        _ => return String::new(),
    };
    format!("{noun}{verb}")
}

/// One event as the page shows it.
pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub department: String,
    pub action: String,
    pub action_label: String,
    pub target: String,
    pub purpose: String,
    pub result: String,
    pub client: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    result: String,
    /// Beijing days, `YYYY-MM-DD`, both included.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The page before this sequence number.
    #[serde(default)]
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    events: Vec<EventRow>,
    /// The next (older) page's link, if there is one.
    older: Option<String>,
    /// The newest signed checkpoint: sequence number and time (北京时间).
    checkpoint: Option<(i64, String)>,
    head: i64,
    error: Option<String>,
}

/// The first instant of a Beijing day as a stored time text.
fn day_start(d: Date) -> String {
    let t = d.midnight().assume_offset(credo_app::beijing::OFFSET).to_offset(time::UtcOffset::UTC);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn filter(q: &AuditQuery) -> Result<AuditFilter, String> {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let day = |s: &str, what: &str| -> Result<Option<Date>, String> {
        match some(s) {
            None => Ok(None),
            Some(t) => credo_domain::value::parse_date(&t)
                .map(Some)
                .ok_or_else(|| format!("{what}“{t}”不是有效日期(应为 年-月-日)")),
        }
    };
    let from = day(&q.from, "起始日期")?;
    let to = day(&q.to, "截止日期")?;
    Ok(AuditFilter {
        actor: some(&q.actor),
        action: some(&q.action),
        target: some(&q.target),
        result: some(&q.result),
        from: from.map(day_start),
        to: to.and_then(|d| d.next_day()).map(day_start),
    })
}

/// An event as the auditor reads it: every text the event carries with its ID numbers masked (a path asked for, a
/// refusal's reason, a user name may hold one).
fn row(app: &App, e: StoredAuditEvent) -> EventRow {
    let ev = e.event;
    let masked = |t: Option<String>| t.map(|t| credo_app::public::mask_ids(&t)).unwrap_or_default();
    EventRow {
        seq: e.seq,
        at: credo_app::beijing::stored(&e.at),
        role: Role::parse(&ev.role).map_or_else(|| ev.role.clone(), |r| r.label().to_string()),
        action_label: action_label(app, &ev.action),
        actor: masked(Some(ev.actor)),
        department: ev.department.unwrap_or_default(),
        action: ev.action,
        target: masked(ev.target),
        purpose: masked(ev.purpose),
        result: masked(Some(ev.result)),
        client: ev.client.unwrap_or_default(),
    }
}

/// 审计日志: the trail, newest first, with filters.
pub async fn audit(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let (events, error) = match filter(&q) {
        Ok(f) => (app.store.audit_search(&f, q.before, PER_PAGE + 1).await?, None),
        Err(m) => (Vec::new(), Some(m)),
    };
    let more = events.len() as i64 > PER_PAGE;
    let events: Vec<EventRow> = events.into_iter().take(PER_PAGE as usize).map(|e| row(&app, e)).collect();
    let older = match (more, events.last()) {
        (true, Some(last)) => {
            let before = last.seq.to_string();
            Some(format!(
                "/admin/audit?{}",
                query_string(&[
                    ("actor", &q.actor),
                    ("action", &q.action),
                    ("target", &q.target),
                    ("result", &q.result),
                    ("from", &q.from),
                    ("to", &q.to),
                    ("before", &before),
                ])
            ))
        }
        _ => None,
    };
    let checkpoint = app.store.checkpoints().await?.last().map(|c| (c.seq, credo_app::beijing::stored(&c.at)));
    let head = app.store.audit_head().await?.0;
    let page = AuditPage { chrome: Chrome::of(&p, &headers), q, events, older, checkpoint, head, error };
    if page.error.is_some() { refused(&page) } else { render(&page) }
}

#[derive(Template)]
#[template(path = "admin_audit_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    intact: bool,
    /// Counts when intact: events checked, archived, signed checkpoints, events under the anchor, not yet anchored.
    counts: Vec<(&'static str, i64)>,
    first_bad: Option<i64>,
    message: String,
    at: String,
}

/// 校验审计日志: the whole chain, its signed checkpoints and the anchor file, as `credo audit verify` does.
pub async fn verify(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let report = credo_app::audit::report(&app).await?;
    let n = |k: &str| report[k].as_i64().unwrap_or_default();
    let intact = report["intact"].as_bool().unwrap_or(false);
    render(&VerifyPage {
        chrome: Chrome::of(&p, &headers),
        intact,
        counts: if intact {
            vec![
                ("已校验事件", n("events")),
                ("已归档事件", n("archived")),
                ("签名检查点", n("checkpoints")),
                ("已锚定的检查点", n("anchored")),
                ("尚未锚定的事件", n("not_yet_anchored")),
            ]
        } else {
            Vec::new()
        },
        first_bad: report["first_bad_event"].as_i64(),
        message: report["message"].as_str().unwrap_or_default().to_string(),
        at: credo_app::beijing::format(app.clock.now()),
    })
}
