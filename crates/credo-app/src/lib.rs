//! # credo-app
//!
//! The platform's services, without HTTP: ingest ([`ingest`]), the change feed and search index ([`feed`]),
//! publicity ([`public`]), accounts and API keys ([`accounts`], [`keys`]), the audit trail ([`audit`]), checks
//! with signed receipts ([`checks`]), cases ([`cases`]); one error type with one table of codes ([`error`]).
//! The HTTP server (`credo-server`) and the CLI (`credo`) call them alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use credo_domain::catalog::Catalog;
use credo_gm::keyring::Keyring;
use credo_gm::sm2::KeyPair;
use credo_search::SubjectIndex;
use credo_store::{PgStore, SqliteStore, Store, Vault};
use time::{Date, OffsetDateTime};

pub mod accounts;
pub mod admin;
pub mod articles;
pub mod audit;
pub mod beijing;
pub mod cases;
pub mod challenge;
pub mod checks;
pub mod directory;
pub mod enrol;
pub mod error;
pub mod exchange;
pub mod export;
pub mod federation;
pub mod feed;
pub mod finance;
pub mod gov_cases;
pub mod grades;
pub mod honours;
pub mod idp;
pub mod ingest;
pub mod integrity;
pub mod keys;
pub mod listing;
pub mod offload;
pub mod portable;
pub mod principal;
pub mod public;
pub mod reports;
pub mod resolve;
pub mod search;
pub mod snapshots;
pub mod spreadsheet;
pub mod supervise;
pub mod webhooks;

pub use error::{Code, Error};

/// Where "today" and "now" come from: the wall clock in China Standard Time, a fixed day, or a day tests move on.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Fixed(Date),
    /// A day that [`Clock::set`] moves and a skew that [`Clock::advance`] adds to the wall clock; shared by every
    /// clone.
    Manual(Arc<Manual>),
}

/// A test's clock: the day (as a Julian day number) and how far "now" is ahead of the wall clock (milliseconds).
#[derive(Debug, Default)]
pub struct Manual {
    day: std::sync::atomic::AtomicI32,
    ahead_ms: std::sync::atomic::AtomicI64,
}

impl Clock {
    pub fn manual(day: Date) -> Clock {
        Clock::Manual(Arc::new(Manual { day: day.to_julian_day().into(), ahead_ms: 0.into() }))
    }

    /// Moves a manual clock to `day` (other clocks ignore it).
    pub fn set(&self, day: Date) {
        if let Clock::Manual(m) = self {
            m.day.store(day.to_julian_day(), std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Moves a manual clock's "now" on by `by` (other clocks ignore it): what a session's timeout reads, so a test
    /// need not wait for it.
    pub fn advance(&self, by: time::Duration) {
        if let Clock::Manual(m) = self {
            let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
            m.ahead_ms.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        }
    }

    pub fn today(&self) -> Date {
        match self {
            Clock::System => beijing::today(),
            Clock::Fixed(d) => *d,
            Clock::Manual(m) => {
                Date::from_julian_day(m.day.load(std::sync::atomic::Ordering::SeqCst)).unwrap_or(Date::MIN)
            }
        }
    }

    /// The instant now (UTC): the wall clock, moved on by [`Clock::advance`] on a manual clock.
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        match self {
            Clock::Manual(m) => {
                now + time::Duration::milliseconds(m.ahead_ms.load(std::sync::atomic::Ordering::SeqCst))
            }
            _ => now,
        }
    }
}

/// Security settings: session timeouts, lock-out, rate limits, TLS, audit retention.
#[derive(Debug, Clone)]
pub struct Security {
    /// A session ends after this long without a request.
    pub session_idle: time::Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute: time::Duration,
    /// Failed sign-ins in a row that lock an account.
    pub max_failures: u32,
    /// How long a locked account stays locked.
    pub lockout: time::Duration,
    /// Requests per second per client address (0: no limit).
    pub per_address: u32,
    /// Requests per second per API key (0: no limit).
    pub per_key: u32,
    /// Served over TLS: cookies are `Secure` and HSTS is sent.
    pub tls: bool,
    /// Objections and whistleblower reports filed from one client address per hour (0: no limit).
    pub case_forms_per_hour: u32,
    /// Credit reports one client address (an IPv6 /64) may download to the public per hour (0: no limit): each
    /// costs a rendering.
    pub reports_per_hour: u32,
    /// Whether webhooks may be delivered to loopback and private addresses (tests, a closed government network).
    pub webhook_private: bool,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            session_idle: time::Duration::minutes(30),
            session_absolute: time::Duration::hours(8),
            max_failures: 5,
            lockout: time::Duration::minutes(15),
            per_address: 200,
            per_key: 2000,
            tls: false,
            case_forms_per_hour: 10,
            reports_per_hour: 30,
            webhook_private: false,
        }
    }
}

/// Everything a request or a command needs.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// Where reads that may lag a moment go: the change feed's followers (search index, restriction index, lists)
    /// and the public subject pages. The store itself, unless a streaming replica is given ([`App::with_read_store`]).
    pub reader: Arc<dyn Store>,
    pub search: Arc<SubjectIndex>,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    pub data_dir: PathBuf,
    /// Seals personal data at rest and computes blind indexes.
    pub vault: Arc<Vault>,
    /// The platform's SM2 key (audit checkpoints, receipts).
    pub signer: Arc<KeyPair>,
    /// The first audit event linked under the keyring's audit key (earlier ones have plain SM3 links).
    pub audit_from: i64,
    pub security: Arc<Security>,
    /// The API keys and departments in memory, kept current from the change feed ([`directory`]).
    pub directory: Arc<directory::Directory>,
    /// The restriction index for checks (built on first use).
    pub index: Arc<checks::Index>,
    /// The publicity lists (built on first use).
    pub listing: Arc<listing::Listing>,
    /// The province's 统一身份认证 (OpenID Connect), when configured.
    pub idp: Option<Arc<idp::Idp>>,
    /// Writes checks with their audit events, many per transaction.
    pub check_writer: Arc<checks::Writer>,
    /// One change-feed follower at a time (the server's loop, batches, the CLI).
    pub search_sync: Arc<tokio::sync::Mutex<()>>,
    /// Slots for CPU-heavy work (reading and validating files, password hashing): see [`offload`].
    pub heavy: Arc<tokio::sync::Semaphore>,
    /// The anonymous case forms' challenges and per-address limits.
    pub challenges: Arc<challenge::Challenges>,
    pub case_forms: Arc<challenge::FormLimits>,
    /// The public lists of groups graded by members (/rural), kept until grades change.
    pub member_lists: Arc<grades::MemberListsCache>,
}

impl App {
    /// Opens the data directory: `credo.sqlite` (created and migrated if new) and the search index under `search/`,
    /// brought up to date with the change feed.
    pub async fn open(data_dir: &Path, catalog: Catalog, clock: Clock) -> anyhow::Result<App> {
        App::open_with(data_dir, None, catalog, clock).await
    }

    /// Opens the data directory (keyring, search index) with the store at `store` ([`StoreUrl`]; `None`: SQLite in
    /// the data directory).
    pub async fn open_with(
        data_dir: &Path,
        store: Option<&str>,
        catalog: Catalog,
        clock: Clock,
    ) -> anyhow::Result<App> {
        let (store, vault, ring) = open_store(data_dir, store, &catalog).await?;
        let challenges = Arc::new(challenge::Challenges::new(vault.derived_key("challenge")));
        let case_forms = Arc::new(challenge::FormLimits::new(
            Security::default().case_forms_per_hour,
            vault.derived_key("case-forms"),
        ));
        let search = SubjectIndex::open(&data_dir.join("search"), catalog.regions.place_prefixes())?;
        let signer = Arc::new(ring.signer()?);
        let app = App {
            check_writer: Arc::new(checks::Writer::start(store.clone(), signer.clone())),
            reader: store.clone(),
            store,
            search: Arc::new(search),
            catalog: Arc::new(catalog),
            clock,
            data_dir: data_dir.to_path_buf(),
            vault,
            signer,
            audit_from: ring.audit_from.unwrap_or(1),
            security: Arc::new(Security::default()),
            directory: Arc::default(),
            index: Arc::new(checks::Index::default()),
            listing: Arc::default(),
            idp: None,
            search_sync: Arc::new(tokio::sync::Mutex::new(())),
            heavy: Arc::new(tokio::sync::Semaphore::new(offload::slots())),
            challenges,
            case_forms,
            member_lists: Arc::default(),
        };
        ingest::recover(&app).await?;
        checks::recover_jobs(&app).await?;
        feed::sync_search(&app).await?;
        Ok(app)
    }
}

impl App {
    /// The same app signing in through the province's 统一身份认证 (OpenID Connect).
    pub fn with_idp(mut self, config: idp::IdpConfig) -> Result<App, Error> {
        self.idp = Some(Arc::new(idp::Idp::new(config)?));
        Ok(self)
    }

    /// The same app reading what may lag from a PostgreSQL streaming replica at `url` (`--read-store`): the feed's
    /// followers and the public subject pages; everything else, writes and reads of one's own writes, stays on the
    /// store. A replica replays the primary's commits in order, so a follower sees a prefix of the feed and never
    /// skips an entry; what it may see late is what the primary committed in the replica's lag.
    pub async fn with_read_store(mut self, url: &str) -> anyhow::Result<App> {
        let StoreUrl::Postgres(url) = StoreUrl::parse(Some(url))? else {
            anyhow::bail!("只读副本须是 PostgreSQL:postgres://…");
        };
        let replica = PgStore::connect_only(&url, self.vault.clone()).await?;
        if !replica.pending_migrations().await?.is_empty() {
            anyhow::bail!("只读副本的数据库结构落后于本版本:请先在主库运行 credo migrate,并等待副本同步");
        }
        self.reader = Arc::new(replica);
        Ok(self)
    }

    /// The same app with other security settings.
    pub fn with_security(mut self, security: Security) -> App {
        self.case_forms =
            Arc::new(challenge::FormLimits::new(security.case_forms_per_hour, self.vault.derived_key("case-forms")));
        self.security = Arc::new(security);
        self
    }
}

/// Where the keyring is: `$CREDO_KEYRING`, else `DATA/keys/keyring.json` (created on first use, mode 0600; in
/// production keep it on another volume than the database).
pub fn keyring_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("CREDO_KEYRING").map(PathBuf::from).unwrap_or_else(|| data_dir.join("keys").join("keyring.json"))
}

/// Where the store is: SQLite in the data directory (the default), or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite,
    Postgres(String),
}

impl StoreUrl {
    /// `None` or empty: SQLite in the data directory; `postgres://…` or `postgresql://…`: that database.
    pub fn parse(url: Option<&str>) -> Result<StoreUrl, Error> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None | Some("sqlite") => Ok(StoreUrl::Sqlite),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(StoreUrl::Postgres(u.to_string()))
            }
            Some(_) => Err(Error::new(
                Code::InvalidRequest,
                "存储地址应为 postgres://用户:密码@主机:端口/数据库,或不填(使用数据目录中的 SQLite)",
            )),
        }
    }
}

/// Opens the store with the data directory's keyring (`store`: see [`StoreUrl::parse`]). A PostgreSQL database
/// must have had its migrations applied (`credo migrate`); SQLite applies its own. When the keyring has just been
/// given its audit chain key (it was written by an older version), records in it that keyed links start after the
/// chain's current head.
pub async fn open_store(
    data_dir: &Path,
    store: Option<&str>,
    catalog: &Catalog,
) -> anyhow::Result<(Arc<dyn Store>, Arc<Vault>, Keyring)> {
    let path = keyring_path(data_dir);
    let mut ring = Keyring::load_or_create(&path)?;
    let vault = Arc::new(Vault::new(&ring, catalog.sensitive_fields())?);
    let store: Arc<dyn Store> = match StoreUrl::parse(store)? {
        StoreUrl::Sqlite => Arc::new(SqliteStore::open(data_dir, vault.clone()).await?),
        StoreUrl::Postgres(url) => {
            let pg = PgStore::connect_only(&url, vault.clone()).await?;
            let pending = pg.pending_migrations().await?;
            if !pending.is_empty() {
                anyhow::bail!(
                    "PostgreSQL 数据库尚未升级到本版本的结构(待执行的迁移:{}),请先运行 credo migrate --store …",
                    pending.iter().map(i64::to_string).collect::<Vec<_>>().join("、")
                );
            }
            Arc::new(pg)
        }
    };
    // Before anything is ingested: stored natural keys follow the catalog's definitions (split records are logged).
    let started = std::time::Instant::now();
    let rekeyed = store.rekey(catalog).await?;
    if !rekeyed.is_empty() {
        let split = rekeyed.iter().filter(|r| !r.moved.is_empty()).count();
        let ms = started.elapsed().as_millis();
        tracing::info!(records = rekeyed.len(), split, ms, "记录已按新的自然键重新计算(详见变更流 rekey)");
    }
    if ring.audit_from.is_none() {
        ring.audit_from = Some(store.audit_head().await?.0 + 1);
        ring.save(&path)?;
    }
    Ok((store, vault, ring))
}
