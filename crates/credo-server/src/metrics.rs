//! Prometheus metrics (`GET /metrics`, text exposition format): requests by route and status and their latencies
//! (counted by [`track`] for every routed request), and at each scrape the store's counts, the change feed's head,
//! how far the search index lags behind it, and the index's size. Served to operators signed in (系统管理员,
//! 安全管理员, 审计管理员, 信用审核员) and to scrapers on the machine itself (loopback); everyone else is refused.

use std::net::IpAddr;
use std::time::Instant;

use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use credo_app::principal::Principal;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    consumer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CountLabels {
    what: String,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    feed_head: Gauge,
    feed_lag: Family<ConsumerLabels, Gauge>,
    index_docs: Gauge,
    store: Family<CountLabels, Gauge>,
    webhook_backlog: Family<CountLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("credo");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route template and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("http_request_duration_seconds", "HTTP request latency by route template", latency.clone());
        let feed_head = Gauge::default();
        registry.register("feed_head_seq", "The change feed's last sequence number", feed_head.clone());
        let feed_lag = Family::<ConsumerLabels, Gauge>::default();
        registry.register("feed_lag", "Change-feed entries a consumer has not applied yet", feed_lag.clone());
        let index_docs = Gauge::default();
        registry.register("search_index_documents", "Subjects in this node's search index", index_docs.clone());
        let store = Family::<CountLabels, Gauge>::default();
        registry.register(
            "store_count",
            "Subjects, records, unresolved records, departments, batches and check receipts in the store",
            store.clone(),
        );
        let webhook_backlog = Family::<CountLabels, Gauge>::default();
        registry.register(
            "webhook_backlog",
            "Webhook deliveries not acknowledged, by state (pending, failed, dead)",
            webhook_backlog.clone(),
        );
        Metrics { registry, requests, latency, feed_head, feed_lag, index_docs, store, webhook_backlog }
    }
}

/// Counts a routed request (by its route template, never its path: no codes or names in labels) and its latency.
pub async fn track(State(app): State<Web>, req: Request, next: Next) -> Response {
    // Known methods only: a client's invented method names would each add a series.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    app.metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    app.metrics.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    response
}

/// Whether `p` from `addr` may read the metrics: an operator, or a scraper on the machine itself.
pub fn may_read(p: &Principal, addr: Option<IpAddr>) -> bool {
    let operator = matches!(p, Principal::Account { role, .. } if role.is_operator());
    operator || addr.is_some_and(|a| a.is_loopback())
}

/// `GET /metrics`.
pub async fn metrics(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
) -> Result<Response, ApiError> {
    if !may_read(&p, addr) {
        return Err(ApiError::forbidden("运行指标只对运维账号和本机采集开放"));
    }
    let m = &app.metrics;
    let head = app.reader.last_seq().await?;
    m.feed_head.set(head);
    m.feed_lag
        .get_or_create(&ConsumerLabels { consumer: "search".into() })
        .set(head - credo_app::feed::applied_seq(&app));
    m.index_docs.set(i64::try_from(app.search.num_docs()).unwrap_or(i64::MAX));
    let counts = app.reader.counts().await?;
    for (what, n) in [
        ("subjects", counts.subjects),
        ("records", counts.records),
        ("unresolved", counts.unresolved),
        ("departments", counts.departments),
        ("batches", counts.batches),
        ("checks", counts.checks),
    ] {
        m.store.get_or_create(&CountLabels { what: what.into() }).set(n);
    }
    let backlog = app.reader.delivery_backlog(None).await?;
    for state in ["pending", "failed", "dead"] {
        let n = backlog.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
        m.webhook_backlog.get_or_create(&CountLabels { what: state.into() }).set(n);
    }
    // Each department that reads the feed (by its acknowledgements), and each live webhook, is a consumer.
    for c in app.reader.feed_consumers().await? {
        m.feed_lag
            .get_or_create(&ConsumerLabels { consumer: format!("department-{}", c.department_id) })
            .set(head - c.acked_seq);
    }
    for w in app.reader.webhooks(None).await? {
        if w.ended_at.is_none() {
            m.feed_lag.get_or_create(&ConsumerLabels { consumer: format!("webhook-{}", w.id) }).set(head - w.cursor);
        }
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_operators_or_loopback_read_the_metrics() {
        let loopback: Option<IpAddr> = "127.0.0.1".parse().ok();
        let outside: Option<IpAddr> = "203.0.113.9".parse().ok();
        assert!(may_read(&Principal::Anonymous, loopback));
        assert!(may_read(&Principal::Anonymous, "::1".parse().ok()));
        assert!(!may_read(&Principal::Anonymous, outside));
        assert!(!may_read(&Principal::Anonymous, None));
    }
}
