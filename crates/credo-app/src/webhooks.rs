//! Webhooks (订阅推送): a department subscribes to record changes of catalog items or of subjects, and to its own
//! check outcomes; the platform POSTs each event to the department's address as JSON, at least once.
//!
//! * **What is sent** is what the department may see: record events are the delta feed's ([`exchange::events`])
//!   for the department's audience (public, or 政务共享 when granted), filtered to the subscription's items and
//!   subjects; check events carry the department's own signed receipt.
//! * **Signed**: `Credo-Signature: v1=<hex>` is HMAC-SM3 with the subscription's key (shown once, when it is made)
//!   over `Credo-Timestamp` (unix seconds), a `.` and the body; a receiver checks it and refuses old timestamps.
//! * **At least once**: every delivery has an idempotency key (`Idempotency-Key`, also in the body as `id`); a
//!   delivery counts as acknowledged when the receiver answers 2xx within [`TIMEOUT`]. Otherwise it is tried again
//!   after 30 s, 1, 2, 4 … minutes (doubling, at most 6 h), [`Backoff::attempts`] times in all, then it is dead
//!   (dead-lettered); a person may queue a failed or dead delivery again from the console or the API.
//! * **Safe to send**: addresses are `http(s)` without credentials; each delivery resolves the host and refuses
//!   loopback, private, link-local and other non-public addresses (unless [`crate::Security::webhook_private`]), and
//!   connects to the address it checked (no redirects followed), so a subscription cannot reach inside the network.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use credo_store::{Attempt, Delivery, DeliveryState, NewDelivery, NewWebhook, Webhook};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::error::{Code, Error};
use crate::exchange::{self, Audience};
use crate::principal::Principal;
use crate::{App, search};

/// The most live subscriptions a department keeps, items or subjects one names, and the longest address.
pub const MAX_WEBHOOKS: usize = 20;
pub const MAX_SUBJECTS: usize = 1_000;
pub const MAX_URL: usize = 2_000;
/// How long a receiver has to answer (by default).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once.
const CONCURRENCY: usize = 32;
/// Feed events read for one subscription a page, and deliveries queued for it in one round.
const EVENTS_PER_ROUND: usize = 1_000;
const QUEUED_PER_ROUND: usize = 5_000;

/// When to try again.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The wait after the first failure; each next one doubles it, up to `max`.
    pub first: Duration,
    pub max: Duration,
    /// Attempts in all before a delivery is dead.
    pub attempts: i64,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { first: Duration::from_secs(30), max: Duration::from_secs(6 * 3600), attempts: 10, timeout: TIMEOUT }
    }
}

impl Backoff {
    /// When to try again after `attempts` failed attempts (counting the one just made), or `None` to give up.
    pub fn next(&self, attempts: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempts >= self.attempts {
            return None;
        }
        let wait = self.first.saturating_mul(1 << (attempts - 1).clamp(0, 20)).min(self.max);
        Some(now + wait)
    }
}

/// A subscription as asked for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Subscribe {
    /// 接收地址(http 或 https)
    pub url: String,
    /// 订阅的目录项代码
    #[serde(default)]
    pub items: Vec<String>,
    /// 订阅的主体(统一社会信用代码、证件号码或 `id-主体编号`)
    #[serde(default)]
    pub subjects: Vec<String>,
    /// 是否推送本部门的核查结果
    #[serde(default)]
    pub checks: bool,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidRequest, message)
}

fn department(p: &Principal) -> Result<&credo_store::Department, Error> {
    p.department().ok_or_else(|| Error::new(Code::Forbidden, "只有部门用户可以订阅推送"))
}

/// Checks an address: `http(s)://host[:port]/path`, no credentials, not too long; a literal address must be public
/// (names are checked when they are resolved, at each delivery).
pub fn check_url(url: &str, private_ok: bool) -> Result<reqwest::Url, Error> {
    if url.len() > MAX_URL {
        return Err(bad(format!("接收地址超过 {MAX_URL} 个字符")));
    }
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| bad("接收地址不是有效的网址"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(bad("接收地址须为 http 或 https 网址"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("接收地址不得含用户名或密码;请用签名核验请求来源"));
    }
    let literal = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']).parse::<IpAddr>().ok();
    if let Some(ip) = literal
        && !private_ok
        && !is_public(ip)
    {
        return Err(bad("接收地址不得为本机、内网或保留地址"));
    }
    Ok(parsed)
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared, documentation,
/// multicast or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [x, y, ..] = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || x == 0
                || (x == 100 && (64..128).contains(&y))
                || x >= 240)
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = a.segments()[0];
                !(a.is_loopback()
                    || a.is_unspecified()
                    || a.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Makes a subscription for the caller's department; returns it with its signing key (shown this once).
pub async fn subscribe(app: &App, p: &Principal, s: &Subscribe) -> Result<(Webhook, String), Error> {
    let dept = department(p)?;
    let url = check_url(&s.url, app.security.webhook_private)?;
    let items = exchange::check_items(&app.catalog, &s.items)?;
    if s.subjects.len() > MAX_SUBJECTS {
        return Err(bad(format!("一个订阅至多 {MAX_SUBJECTS} 个主体")));
    }
    let mut subjects = BTreeSet::new();
    for key in &s.subjects {
        subjects.insert(search::subject_by_key(app, key.trim()).await?.id);
    }
    if items.is_empty() && subjects.is_empty() && !s.checks {
        return Err(bad("请至少订阅一个目录项、一个主体或本部门的核查结果"));
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let (actor, ..) = p.actor();
    let w = app
        .store
        .add_webhook(
            &NewWebhook {
                department_id: dept.id,
                url: url.to_string(),
                items: items.into_iter().collect(),
                subjects: subjects.into_iter().collect(),
                checks: s.checks,
                secret: secret.clone(),
                cursor: app.store.last_seq().await?,
                created_by: actor,
            },
            MAX_WEBHOOKS as i64,
        )
        .await?
        .ok_or_else(|| Error::new(Code::Conflict, format!("每个部门至多 {MAX_WEBHOOKS} 个订阅,请先停用不用的")))?;
    audit(app, p, "webhook.subscribe", &w, format!("url {}", w.url)).await?;
    Ok((w, secret))
}

/// A subscription of the caller's department (another department's is "not found").
pub async fn own(app: &App, p: &Principal, id: i64) -> Result<Webhook, Error> {
    let dept = department(p)?;
    match app.store.webhook(id).await? {
        Some(w) if w.department_id == dept.id => Ok(w),
        _ => Err(Error::not_found(format!("没有编号为 {id} 的订阅"))),
    }
}

/// The caller's department's subscriptions.
pub async fn list(app: &App, p: &Principal) -> Result<Vec<Webhook>, Error> {
    Ok(app.store.webhooks(Some(department(p)?.id)).await?)
}

pub async fn unsubscribe(app: &App, p: &Principal, id: i64) -> Result<Webhook, Error> {
    let w = own(app, p, id).await?;
    if !app.store.end_webhook(w.id).await? {
        return Err(Error::new(Code::Conflict, "该订阅已停用"));
    }
    audit(app, p, "webhook.unsubscribe", &w, "ended".into()).await?;
    own(app, p, id).await
}

/// A subscription's deliveries, newest first (at most 200), of one state or all.
pub async fn deliveries(app: &App, p: &Principal, id: i64, state: Option<&str>) -> Result<Vec<Delivery>, Error> {
    let w = own(app, p, id).await?;
    let state = match state {
        None | Some("") => None,
        Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| bad("状态须为 pending、failed、delivered 或 dead"))?),
    };
    Ok(app.store.deliveries(w.id, state, 200).await?)
}

/// Queues a failed or dead delivery of the caller's department again.
pub async fn redeliver(app: &App, p: &Principal, delivery: i64) -> Result<Delivery, Error> {
    let d = app.store.delivery(delivery).await?.ok_or_else(|| Error::not_found("没有这个推送"))?;
    let w = own(app, p, d.webhook_id).await.map_err(|_| Error::not_found("没有这个推送"))?;
    if !app.store.redeliver(d.id).await? {
        return Err(Error::new(Code::Conflict, "只有失败或已放弃的推送可以重新推送"));
    }
    audit(app, p, "webhook.redeliver", &w, format!("delivery {}", d.key)).await?;
    app.store.delivery(d.id).await?.ok_or_else(|| Error::not_found("没有这个推送"))
}

async fn audit(app: &App, p: &Principal, action: &str, w: &Webhook, result: String) -> Result<(), Error> {
    crate::audit::act(app, p, action, format!("webhook:{}", w.id), "订阅推送", result).await
}

/// Queues the record events every live subscription has not yet had; returns how many deliveries were queued.
pub async fn collect(app: &App) -> Result<usize, Error> {
    let mut queued = 0;
    let mut departments = HashMap::new();
    for w in app.store.webhooks(None).await? {
        if w.ended_at.is_some() || (w.items.is_empty() && w.subjects.is_empty()) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = departments.entry(w.department_id) {
            e.insert(app.store.department(w.department_id).await?);
        }
        let Some(Some(dept)) = departments.get(&w.department_id) else { continue };
        let audience = Audience::of_department(dept);
        // Subjects are followed across every item; items alone filter the read.
        let filter: BTreeSet<String> =
            if w.subjects.is_empty() { w.items.iter().cloned().collect() } else { BTreeSet::new() };
        // Up to a round's worth of deliveries (the rest next round: the cursor keeps the place).
        let (mut cursor, mut mine) = (w.cursor, 0);
        loop {
            let page = exchange::events(app, audience, cursor, &filter, EVENTS_PER_ROUND).await?;
            let deliveries: Vec<NewDelivery> = page
                .events
                .iter()
                .filter(|e| w.items.contains(&e.item) || e.subject.is_some_and(|s| w.subjects.contains(&s)))
                .map(|e| {
                    let key = format!("record-{}-{}", e.seq, e.record);
                    let body = json!({ "id": key, "kind": "record", "webhook": w.id, "event": e });
                    NewDelivery { key, kind: "record".into(), body: body.to_string() }
                })
                .collect();
            mine += app.store.enqueue_deliveries(w.id, Some(page.next), &deliveries).await?;
            cursor = page.next;
            if !page.more || mine >= QUEUED_PER_ROUND {
                break;
            }
        }
        queued += mine;
    }
    Ok(queued)
}

/// Queues check outcomes for the subscriptions of the departments that made the checks.
pub async fn on_checks(store: &dyn credo_store::Store, checks: &[credo_store::NewCheck]) -> Result<usize, Error> {
    let mut by_department: HashMap<i64, Vec<&credo_store::NewCheck>> = HashMap::new();
    for c in checks {
        if let Some(d) = c.department_id {
            by_department.entry(d).or_default().push(c);
        }
    }
    let mut queued = 0;
    for (dept, checks) in by_department {
        for w in store.webhooks(Some(dept)).await? {
            if w.ended_at.is_some() || !w.checks {
                continue;
            }
            let deliveries: Vec<NewDelivery> = checks
                .iter()
                .map(|c| {
                    let key = format!("check-{}", c.id);
                    let receipt: serde_json::Value = serde_json::from_str(&c.receipt).unwrap_or_default();
                    let body = json!({
                        "id": key, "kind": "check", "webhook": w.id,
                        "check": { "id": c.id, "scene": c.scene, "receipt": receipt, "signature": c.signature },
                    });
                    NewDelivery { key, kind: "check".into(), body: body.to_string() }
                })
                .collect();
            queued += store.enqueue_deliveries(w.id, None, &deliveries).await?;
        }
    }
    Ok(queued)
}

/// The headers that sign a body: `Credo-Timestamp` and `Credo-Signature` (`v1=` HMAC-SM3 over `timestamp.body`).
pub fn signature(secret_hex: &str, timestamp: i64, body: &str) -> String {
    let key = hex::decode(secret_hex).unwrap_or_default();
    format!("v1={}", credo_gm::hmac_sm3_hex(&key, format!("{timestamp}.{body}").as_bytes()))
}

/// What sends deliveries: the retry policy, and an HTTP client per receiver address (each pinned to the address
/// that was checked, keeping its connections alive between deliveries).
pub struct Sender {
    pub backoff: Backoff,
    clients: std::sync::Mutex<HashMap<(String, SocketAddr), reqwest::Client>>,
}

/// The most receiver clients kept (past it, they are made afresh).
const CLIENTS: usize = 1_000;

impl Sender {
    pub fn new(backoff: Backoff) -> Sender {
        Sender { backoff, clients: Default::default() }
    }

    fn client(&self, host: &str, addr: SocketAddr) -> Result<reqwest::Client, String> {
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = clients.get(&(host.to_string(), addr)) {
            return Ok(c.clone());
        }
        let client = reqwest::Client::builder()
            .resolve(host, addr)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.backoff.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        if clients.len() >= CLIENTS {
            clients.clear();
        }
        clients.insert((host.to_string(), addr), client.clone());
        Ok(client)
    }
}

/// Sends the deliveries due now (at most `limit`, [`CONCURRENCY`] at a time); returns how many were acknowledged.
pub async fn send_due(app: &App, sender: &Sender, limit: i64) -> Result<usize, Error> {
    use futures_util::StreamExt;
    let backoff = &sender.backoff;
    let due = app.store.due_deliveries(app.clock.now(), limit).await?;
    let mut secrets: HashMap<i64, Option<(String, String)>> = HashMap::new();
    for d in &due {
        if let std::collections::hash_map::Entry::Vacant(e) = secrets.entry(d.webhook_id) {
            let w = app.store.webhook(d.webhook_id).await?;
            let s = app.store.webhook_secret(d.webhook_id).await?;
            e.insert(w.zip(s).map(|(w, s)| (w.url, s)));
        }
    }
    // Collected first: an iterator's closures in a spawned future trip the compiler's `Send` inference.
    let mut sends = Vec::with_capacity(due.len());
    for d in &due {
        if let Some(Some((url, secret))) = secrets.get(&d.webhook_id) {
            sends.push(async move {
                let attempt = match send(app, sender, url, secret, d).await {
                    Ok(()) => Attempt { delivered: true, status: Some(200), error: None, retry_at: None },
                    Err((status, error)) => Attempt {
                        delivered: false,
                        status,
                        retry_at: backoff.next(d.attempts + 1, app.clock.now()),
                        error: Some(error),
                    },
                };
                (d.id, attempt)
            });
        }
    }
    // The outcomes are recorded together, a transaction per [`CONCURRENCY`] (a crash before one is recorded sends
    // those deliveries again: at least once).
    let mut outcomes = futures_util::stream::iter(sends).buffer_unordered(CONCURRENCY).chunks(CONCURRENCY);
    let mut acknowledged = 0;
    while let Some(attempts) = outcomes.next().await {
        acknowledged += attempts.iter().filter(|(_, a)| a.delivered).count();
        app.store.record_attempts(&attempts).await?;
    }
    Ok(acknowledged)
}

/// One attempt: resolve, check the address, POST, wait for a 2xx.
async fn send(app: &App, sender: &Sender, url: &str, secret: &str, d: &Delivery) -> Result<(), (Option<i64>, String)> {
    let parsed = check_url(url, app.security.webhook_private).map_err(|e| (None, e.detail))?;
    let host = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| (None, format!("无法解析 {host}:{e}")))?
        .collect();
    let Some(addr) = addrs.iter().find(|a| app.security.webhook_private || is_public(a.ip())).copied() else {
        return Err((None, format!("{host} 解析为本机、内网或保留地址,不予推送")));
    };
    let client = sender.client(&host, addr).map_err(|e| (None, e))?;
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let r = client
        .post(parsed)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &d.key)
        .header("Credo-Timestamp", timestamp.to_string())
        .header("Credo-Signature", signature(secret, timestamp, &d.body))
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| (None, if e.is_timeout() { "接收方超时未应答".to_string() } else { format!("连接失败:{e}") }))?;
    let status = r.status();
    if status.is_success() {
        Ok(())
    } else {
        Err((Some(i64::from(status.as_u16())), format!("接收方应答 {status}")))
    }
}

/// The dispatcher: every `every`, on the server that runs the scheduled jobs, queue new events and send what is due.
pub async fn run(app: App, every: Duration, backoff: Backoff, leads: impl AsyncFn(&App) -> bool) {
    let sender = Sender::new(backoff);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !leads(&app).await {
            continue;
        }
        // Queue and send until there is nothing new (a backlog drains without waiting for the next tick).
        loop {
            let queued = collect(&app).await.unwrap_or_else(|e| {
                tracing::error!(error = %e.detail, "webhook events not queued");
                0
            });
            let sent = send_due(&app, &sender, 256).await.unwrap_or_else(|e| {
                tracing::error!(error = %e.detail, "webhook deliveries failed");
                0
            });
            if queued == 0 && sent == 0 {
                break;
            }
        }
    }
}
