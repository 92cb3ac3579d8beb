//! # credo-server
//!
//! The platform's application layer and HTTP edge: the ingest pipeline shared by the CLI and the API
//! ([`ingest`]), the change-feed follower that keeps the search index current ([`feed`]), and the axum routers
//! under `/api/v1` with RFC 9457 problem+json errors ([`api`], [`error`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use credo_domain::catalog::Catalog;
use credo_search::SubjectIndex;
use credo_store::{SqliteStore, Store};
use time::{Date, OffsetDateTime, UtcOffset};

pub mod api;
pub mod audit;
pub mod error;
pub mod feed;
pub mod ingest;
pub mod keys;
pub mod public;

/// Where "today" comes from: the wall clock in China Standard Time, or a fixed day for tests.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(Date),
}

impl Clock {
    pub fn today(&self) -> Date {
        match self {
            Clock::System => {
                OffsetDateTime::now_utc().to_offset(UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC)).date()
            }
            Clock::Fixed(d) => *d,
        }
    }
}

/// Everything a request or a command needs.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub search: Arc<SubjectIndex>,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    pub data_dir: PathBuf,
    /// One change-feed follower at a time (the server's loop, batches, the CLI).
    pub search_sync: Arc<tokio::sync::Mutex<()>>,
}

impl App {
    /// Opens the data directory: `credo.sqlite` (created and migrated if new) and the search index under `search/`,
    /// brought up to date with the change feed.
    pub async fn open(data_dir: &Path, catalog: Catalog, clock: Clock) -> anyhow::Result<App> {
        let store = SqliteStore::open(data_dir).await?;
        let search = SubjectIndex::open(&data_dir.join("search"), catalog.regions.place_prefixes())?;
        let app = App {
            store: Arc::new(store),
            search: Arc::new(search),
            catalog: Arc::new(catalog),
            clock,
            data_dir: data_dir.to_path_buf(),
            search_sync: Arc::new(tokio::sync::Mutex::new(())),
        };
        feed::sync_search(&app).await?;
        Ok(app)
    }
}

/// Builds the whole router.
pub fn router(app: App) -> axum::Router {
    api::router(app)
}
