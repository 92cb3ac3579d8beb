//! Webhooks (订阅推送): a department's subscriptions to record changes (of items, of subjects) and to its own
//! check outcomes, and the deliveries made for them — each with its idempotency key (unique per subscription, so
//! that an event is queued once however often it is found), its state and its attempts. A delivery is
//! `pending` until tried, `failed` while retries remain (with the time of the next), `delivered` once the
//! receiver acknowledged it (2xx), `dead` when the retries ran out; a person may queue a failed or dead one again.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::Result;

/// A subscription to add ([`WebhookStore::add_webhook`]).
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub department_id: i64,
    pub url: String,
    /// Catalog items whose record changes are sent (empty: none by item).
    pub items: Vec<String>,
    /// Subjects whose record changes are sent (empty: none by subject).
    pub subjects: Vec<i64>,
    /// Whether the department's own check outcomes are sent.
    pub checks: bool,
    /// The signing key (hex), sealed at rest.
    pub secret: String,
    /// The change feed's sequence the subscription starts after.
    pub cursor: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub department_id: i64,
    pub url: String,
    pub items: Vec<String>,
    pub subjects: Vec<i64>,
    pub checks: bool,
    /// The change feed's sequence followed to.
    pub cursor: i64,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Failed,
    Delivered,
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Failed => "failed",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        [DeliveryState::Pending, DeliveryState::Failed, DeliveryState::Delivered, DeliveryState::Dead]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// The idempotency key: the receiver's way to recognise a delivery it already has.
    pub key: String,
    /// `record` or `check`.
    pub kind: String,
    /// The JSON body sent.
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub key: String,
    pub kind: String,
    pub body: String,
    pub state: DeliveryState,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_at: Option<OffsetDateTime>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The receiver acknowledged (a 2xx answer).
    pub delivered: bool,
    pub status: Option<i64>,
    pub error: Option<String>,
    /// When not delivered: when to try again (`None`: give up, the delivery is dead).
    pub retry_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds a subscription unless its department already has `max_live` live ones (`None`: full), counted and added
    /// in one transaction holding the department, so that concurrent requests cannot pass the limit together.
    async fn add_webhook(&self, w: &NewWebhook, max_live: i64) -> Result<Option<Webhook>>;
    /// Subscriptions, newest first: of one department, or all.
    async fn webhooks(&self, department: Option<i64>) -> Result<Vec<Webhook>>;
    async fn webhook(&self, id: i64) -> Result<Option<Webhook>>;
    /// The signing key of a subscription (opened).
    async fn webhook_secret(&self, id: i64) -> Result<Option<String>>;
    /// Ends a subscription: nothing more is queued or sent for it. `false` when it had already ended.
    async fn end_webhook(&self, id: i64) -> Result<bool>;
    /// Queues `deliveries` for a subscription (those whose key it already has are skipped) and, when given, moves
    /// its cursor — in one transaction, so that an event is neither lost nor queued twice. Returns how many were
    /// queued.
    async fn enqueue_deliveries(&self, webhook: i64, cursor: Option<i64>, deliveries: &[NewDelivery]) -> Result<usize>;
    /// Deliveries due at `now` (pending or failed, of live subscriptions), oldest first.
    async fn due_deliveries(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<Delivery>>;
    /// Records attempts (delivery id, outcome), in one transaction.
    async fn record_attempts(&self, attempts: &[(i64, Attempt)]) -> Result<()>;
    /// A subscription's deliveries, newest first, of one state or all.
    async fn deliveries(&self, webhook: i64, state: Option<DeliveryState>, limit: i64) -> Result<Vec<Delivery>>;
    async fn delivery(&self, id: i64) -> Result<Option<Delivery>>;
    /// Queues a failed or dead delivery again, due now, its attempts counted afresh. `false` when it is neither.
    async fn redeliver(&self, id: i64) -> Result<bool>;
    /// Deliveries not yet acknowledged, by state (`pending`, `failed`, `dead`): of one subscription, or all.
    async fn delivery_backlog(&self, webhook: Option<i64>) -> Result<Vec<(String, i64)>>;
}
