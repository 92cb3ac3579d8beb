//! State the nodes of one deployment share for a short while: one-time tokens used up, sign-ins on their way
//! through the identity provider, and sliding-window counts of what one client did. It lives in the database, not in
//! a process, so that any node can answer the next request of a flow another node started, and a limit holds for
//! the whole deployment rather than once per node. Every entry expires; [`SharedStore::purge_shared`] removes what
//! has (the daily jobs, and each new sign-in for its own kind).

use async_trait::async_trait;

use crate::Result;

#[async_trait]
pub trait SharedStore: Send + Sync {
    /// Marks `key` of `scope` used until `expires_at` (unix seconds): `true` the first time, `false` when any node
    /// already used it.
    async fn use_once(&self, scope: &str, key: &str, expires_at: i64) -> Result<bool>;
    /// Keeps `value` (sealed at rest, bound to its scope and key) under `key` of `scope` until `expires_at`. The
    /// scope holds about `max` entries: those expired at `now` are removed first, and when it is full the one that
    /// expires first makes room (a flood of new entries displaces old ones rather than refusing everyone; under
    /// concurrent puts the bound may be passed by a few).
    async fn put_shared(&self, scope: &str, key: &str, value: &str, now: i64, expires_at: i64, max: u64) -> Result<()>;
    /// Takes the value under `key` of `scope` out: once (a second take, on any node, finds nothing), and nothing if
    /// it expired before `now`.
    async fn take_shared(&self, scope: &str, key: &str, now: i64) -> Result<Option<String>>;
    /// Counts one event of `key` in `scope` at `now` if fewer than `limit` were counted in the `window` seconds
    /// before it (`true`); otherwise counts nothing (`false`). Atomic across nodes: concurrent events never count
    /// beyond the limit.
    async fn count_within(&self, scope: &str, key: &str, now: i64, window: i64, limit: u32) -> Result<bool>;
    /// Removes every entry expired before `now`; returns how many.
    async fn purge_shared(&self, now: i64) -> Result<u64>;
}
