//! # credo-server
//!
//! The platform's HTTP edge, and nothing else: the guard every request passes ([`guard`], [`policy`]), the axum
//! routers under `/api/v1` with RFC 9457 problem+json errors ([`api`], [`error`]) and the 信用西宁 website
//! ([`portal`]). The services they call are `credo_app`'s.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use credo_app::App;

pub mod api;
pub mod cookies;
pub mod error;
pub mod guard;
pub mod linger;
pub mod metrics;
pub mod policy;
pub mod portal;

/// What every handler is given: the platform's services ([`App`], which it dereferences to) and what only the
/// HTTP edge keeps (rate limits, the home page's cached data).
#[derive(Clone)]
pub struct Web {
    pub app: App,
    pub limits: Arc<guard::Limits>,
    /// The home page's data (counts, newest 双公示), reused for [`portal::home::HOME_TTL`].
    pub home: Arc<tokio::sync::Mutex<Option<portal::home::HomeData>>>,
    /// Prometheus metrics ([`metrics`]).
    pub metrics: Arc<metrics::Metrics>,
}

impl Web {
    pub fn new(app: App) -> Web {
        let limits =
            Arc::new(guard::Limits::new(app.security.per_address, app.security.per_key, app.security.reports_per_hour));
        Web { app, limits, home: Arc::default(), metrics: Arc::default() }
    }
}

impl Deref for Web {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// Serves the router on `listener`, with client addresses known to the guard.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).await
}

/// Serves the router over TLS (rustls) with a PEM certificate chain and private key.
pub async fn serve_tls(addr: std::net::SocketAddr, app: App, cert: &Path, key: &Path) -> anyhow::Result<()> {
    // One process-wide crypto provider; a second install (tests) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum_server::bind_rustls(addr, config).serve(service).await?;
    Ok(())
}

/// Builds the whole router.
pub fn router(app: App) -> axum::Router {
    let tls = app.security.tls;
    let app = Web::new(app);
    api::router(app.clone())
        .merge(portal::router(app.clone()))
        .route("/metrics", axum::routing::get(metrics::metrics).with_state(app.clone()))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), guard::guard))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), metrics::track))
        .fallback(|| async { error::ApiError::not_found("没有这个地址") })
        .layer(axum::middleware::from_fn_with_state(tls, guard::headers))
        .layer(axum::middleware::from_fn(linger::linger))
}
