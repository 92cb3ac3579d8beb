//! # credo-server
//!
//! The platform's application layer and HTTP edge: the ingest pipeline shared by the CLI and the API
//! ([`ingest`]), the change-feed follower that keeps the search index current ([`feed`]), and the axum routers
//! under `/api/v1` with RFC 9457 problem+json errors ([`api`], [`error`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use credo_domain::catalog::Catalog;
use credo_gm::keyring::Keyring;
use credo_gm::sm2::KeyPair;
use credo_search::SubjectIndex;
use credo_store::{SqliteStore, Store, Vault};
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
    /// Seals personal data at rest and computes blind indexes.
    pub vault: Arc<Vault>,
    /// The platform's SM2 key (audit checkpoints, receipts).
    pub signer: Arc<KeyPair>,
    /// One change-feed follower at a time (the server's loop, batches, the CLI).
    pub search_sync: Arc<tokio::sync::Mutex<()>>,
}

impl App {
    /// Opens the data directory: `credo.sqlite` (created and migrated if new) and the search index under `search/`,
    /// brought up to date with the change feed.
    pub async fn open(data_dir: &Path, catalog: Catalog, clock: Clock) -> anyhow::Result<App> {
        let (store, vault, ring) = open_store(data_dir, &catalog).await?;
        let search = SubjectIndex::open(&data_dir.join("search"), catalog.regions.place_prefixes())?;
        let app = App {
            store: Arc::new(store),
            search: Arc::new(search),
            catalog: Arc::new(catalog),
            clock,
            data_dir: data_dir.to_path_buf(),
            vault,
            signer: Arc::new(ring.signer()?),
            search_sync: Arc::new(tokio::sync::Mutex::new(())),
        };
        feed::sync_search(&app).await?;
        Ok(app)
    }
}

/// Where the keyring is: `$CREDO_KEYRING`, else `DATA/keys/keyring.json` (created on first use, mode 0600; in
/// production keep it on another volume than the database).
pub fn keyring_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("CREDO_KEYRING").map(PathBuf::from).unwrap_or_else(|| data_dir.join("keys").join("keyring.json"))
}

/// Opens the store with the data directory's keyring.
pub async fn open_store(data_dir: &Path, catalog: &Catalog) -> anyhow::Result<(SqliteStore, Arc<Vault>, Keyring)> {
    let ring = Keyring::load_or_create(&keyring_path(data_dir))?;
    let vault = Arc::new(Vault::new(&ring, catalog.sensitive_fields())?);
    Ok((SqliteStore::open(data_dir, vault.clone()).await?, vault, ring))
}

/// Builds the whole router.
pub fn router(app: App) -> axum::Router {
    api::router(app)
}
