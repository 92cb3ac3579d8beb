//! 订阅推送 in the department console: a department's webhook subscriptions, their deliveries by state, and
//! redelivery (`credo_app::webhooks`).

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::principal::Principal;
use credo_app::webhooks::{self, Subscribe};
use credo_store::DeliveryState;
use serde::Deserialize;

use super::chrome::{Chrome, refused, render, see_other};
use crate::Web;
use crate::error::ApiError;

struct HookRow {
    id: i64,
    url: String,
    what: String,
    backlog: String,
    state: &'static str,
    live: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    error: Option<String>,
    created: Option<(i64, String)>,
    /// The form as sent: url, items, subjects, checks.
    form: (String, String, String, bool),
    hooks: Vec<HookRow>,
    shown: Option<i64>,
    state: String,
    states: Vec<(&'static str, &'static str)>,
    deliveries: Vec<DeliveryRow>,
}

struct DeliveryRow {
    id: i64,
    key: String,
    kind: &'static str,
    state: &'static str,
    attempts: i64,
    last: String,
    /// The next attempt's time, or when it was acknowledged.
    when: String,
    again: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct WebhooksQuery {
    webhook: Option<i64>,
    #[serde(default)]
    state: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    subjects: String,
    #[serde(default)]
    checks: Option<String>,
}

fn label(s: DeliveryState) -> &'static str {
    match s {
        DeliveryState::Pending => "待推送",
        DeliveryState::Failed => "失败待重试",
        DeliveryState::Delivered => "已确认",
        DeliveryState::Dead => "已放弃",
    }
}

async fn page(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    q: WebhooksQuery,
    error: Option<String>,
    created: Option<(i64, String)>,
    form: (String, String, String, bool),
) -> Result<WebhooksPage, ApiError> {
    let mut hooks = Vec::new();
    for w in webhooks::list(app, p).await? {
        let mut what = Vec::new();
        if !w.items.is_empty() {
            what.push(format!("目录项 {}", w.items.join("、")));
        }
        if !w.subjects.is_empty() {
            what.push(format!("{} 个主体", w.subjects.len()));
        }
        if w.checks {
            what.push("核查结果".into());
        }
        let backlog = app.store.delivery_backlog(Some(w.id)).await?;
        let count = |state: &str| backlog.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
        let counts = [count("pending"), count("failed"), count("dead")];
        hooks.push(HookRow {
            id: w.id,
            url: w.url,
            what: what.join(";"),
            backlog: format!("{} / {} / {}", counts[0], counts[1], counts[2]),
            state: if w.ended_at.is_none() { "启用" } else { "已停用" },
            live: w.ended_at.is_none(),
        });
    }
    let deliveries = match q.webhook {
        Some(id) => webhooks::deliveries(app, p, id, Some(&q.state))
            .await?
            .into_iter()
            .map(|d| {
                let last = match (&d.last_status, &d.last_error) {
                    (_, Some(e)) => e.clone(),
                    (Some(s), None) => format!("应答 {s}"),
                    _ => "—".into(),
                };
                let when = d.delivered_at.or(d.next_at).map(credo_app::beijing::format).unwrap_or_else(|| "—".into());
                let again = matches!(d.state, DeliveryState::Failed | DeliveryState::Dead);
                let kind = if d.kind == "check" { "核查结果" } else { "记录变更" };
                DeliveryRow {
                    id: d.id,
                    key: d.key,
                    kind,
                    state: label(d.state),
                    attempts: d.attempts,
                    last,
                    when,
                    again,
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let states = vec![
        ("", "全部"),
        ("pending", "待推送"),
        ("failed", "失败待重试"),
        ("delivered", "已确认"),
        ("dead", "已放弃"),
    ];
    Ok(WebhooksPage {
        chrome: Chrome::of(p, headers),
        error,
        created,
        form,
        hooks,
        shown: q.webhook,
        state: q.state,
        states,
        deliveries,
    })
}

pub async fn list(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<WebhooksQuery>,
) -> Result<Response, ApiError> {
    render(&page(&app, &p, &headers, q, None, None, Default::default()).await?)
}

pub async fn subscribe(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, ApiError> {
    let split = |s: &str| -> Vec<String> {
        s.split([',', ',', '\n', '\r', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
    };
    let s = Subscribe {
        url: f.url.clone(),
        items: split(&f.items),
        subjects: split(&f.subjects),
        checks: f.checks.is_some(),
    };
    match webhooks::subscribe(&app, &p, &s).await {
        Ok((w, secret)) => render(
            &page(&app, &p, &headers, WebhooksQuery::default(), None, Some((w.id, secret)), Default::default()).await?,
        ),
        Err(e) if e.is_client_error() => {
            let form = (f.url, f.items, f.subjects, f.checks.is_some());
            refused(&page(&app, &p, &headers, WebhooksQuery::default(), Some(e.detail), None, form).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn end(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    webhooks::unsubscribe(&app, &p, id).await?;
    Ok(see_other("/console/webhooks", None))
}

pub async fn redeliver(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let d = webhooks::redeliver(&app, &p, id).await?;
    Ok(see_other(&format!("/console/webhooks?webhook={}", d.webhook_id), None))
}
