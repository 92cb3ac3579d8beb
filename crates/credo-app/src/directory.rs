//! The API keys and departments (with their permissions) each node keeps in memory, so that finding who asks costs a
//! lookup instead of two round trips to the store on every request.
//!
//! **Invalidation from the change feed, immediate on every node.** A change to who may do what (a department
//! added or its permissions replaced, a key issued or revoked) is an entry on the feed (`department`, `api_key`).
//! Each node polls the feed for such entries every [`POLL`] and reloads its directory when it finds one. A node
//! answers from its directory only while its last successful poll *started* less than [`LEASE`] ago; past that, the
//! request itself polls first. The call that revokes a key or narrows permissions returns only [`LEASE`] after its
//! commit ([`Directory::changed`]). So when it returns, every node has either polled since the commit (and seen the
//! change) or holds a lease that has run out (and polls before its next answer): the next request on any node is
//! refused. The waiting is the writer's (an administrator's action, a fraction of a second), never a reader's.
//!
//! The bound is the lease plus however long a request that passed the check is paused before it acts (a request
//! already past authentication finishes); a check file already running keeps the department it started with.
//!
//! A key the directory does not know makes the request poll at once (a key issued on another node a moment ago
//! works at once too); an unknown prefix costs what the store lookup cost before.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use credo_store::{ApiKey, Department, StoreError};

use crate::App;

/// How often a node looks for changes to keys and departments on the feed.
pub const POLL: Duration = Duration::from_millis(50);
/// How long a node answers from a poll: the longest a change made on another node could go unseen, and how long
/// the call that makes it waits before it returns.
pub const LEASE: Duration = Duration::from_millis(400);

#[derive(Default)]
struct Entries {
    keys: HashMap<String, ApiKey>,
    departments: HashMap<i64, Department>,
    /// The feed position the entries reflect.
    seq: i64,
    /// When the last successful poll started (none before the first load).
    polled: Option<Instant>,
}

/// A node's directory of keys and departments (see the module notes).
#[derive(Default)]
pub struct Directory {
    entries: RwLock<Entries>,
    /// One poll at a time.
    polling: tokio::sync::Mutex<()>,
}

type Result<T> = std::result::Result<T, StoreError>;

impl Directory {
    /// The key with this prefix (revoked and expired ones too: the caller refuses them) and its department.
    pub async fn key(&self, app: &App, prefix: &str) -> Result<Option<(ApiKey, Option<Department>)>> {
        self.fresh(app).await?;
        if let Some(found) = self.lookup(prefix) {
            return Ok(Some(found));
        }
        // Perhaps issued on another node since the last poll.
        self.poll(app, Instant::now()).await?;
        Ok(self.lookup(prefix))
    }

    /// A department by id.
    pub async fn department(&self, app: &App, id: i64) -> Result<Option<Department>> {
        self.fresh(app).await?;
        if let Some(d) = self.read().departments.get(&id) {
            return Ok(Some(d.clone()));
        }
        self.poll(app, Instant::now()).await?;
        Ok(self.read().departments.get(&id).cloned())
    }

    /// After this node changed a key or a department: reloads at once, then waits out the lease so that every other
    /// node has seen the change (or stopped answering from before it) when the caller returns.
    /// Waits out the lease even when the reload fails: the change is committed, and other nodes may answer from
    /// before it until then.
    pub async fn changed(&self, app: &App) -> Result<()> {
        let reloaded = self.poll(app, Instant::now()).await;
        tokio::time::sleep(LEASE).await;
        reloaded
    }

    /// Polls the feed every [`POLL`], for ever (the server's task); a failed poll is logged and retried, and the
    /// lease running out makes requests poll for themselves meanwhile.
    pub async fn follow(app: App) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = app.directory.poll(&app, Instant::now()).await {
                tracing::warn!(error = %e, "directory of keys and departments: poll failed");
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn lookup(&self, prefix: &str) -> Option<(ApiKey, Option<Department>)> {
        let e = self.read();
        e.keys.get(prefix).map(|k| (k.clone(), e.departments.get(&k.department_id).cloned()))
    }

    /// Polls unless a poll that started within the lease has succeeded.
    async fn fresh(&self, app: &App) -> Result<()> {
        if self.read().polled.is_some_and(|t| t.elapsed() < LEASE) {
            return Ok(());
        }
        self.poll(app, Instant::now()).await
    }

    /// Brings the directory up to the feed as it is after `asked` (a poll that started after it will do), reloading
    /// every key and department when one changed (they are few; changes are rare).
    async fn poll(&self, app: &App, asked: Instant) -> Result<()> {
        let _one = self.polling.lock().await;
        let (seq, polled) = {
            let e = self.read();
            (e.seq, e.polled)
        };
        if polled.is_some_and(|t| t >= asked) {
            return Ok(());
        }
        let started = Instant::now();
        // Writes go to the store, so the poll reads there too (never a replica that may lag).
        let (last, changed) = match polled {
            None => (app.store.last_seq().await?, true),
            Some(_) => app.store.access_changed_after(seq).await?,
        };
        let reloaded = if changed {
            let departments = app.store.departments().await?.into_iter().map(|d| (d.id, d)).collect();
            let keys = app.store.all_api_keys().await?.into_iter().map(|k| (k.prefix.clone(), k)).collect();
            Some((keys, departments))
        } else {
            None
        };
        let mut e = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some((keys, departments)) = reloaded {
            e.keys = keys;
            e.departments = departments;
        }
        e.seq = last;
        e.polled = Some(started);
        Ok(())
    }
}
