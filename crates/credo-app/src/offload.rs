//! CPU-heavy work off the async workers. Reading and validating a file, parsing a large JSON body and checking an
//! argon2 password take milliseconds to minutes; done on a runtime worker they stall every other request on it
//! (two uploads once stalled `/healthz` for 5 s on a 2-core server). Such work takes one of a bounded number of
//! slots ([`App::heavy`], one per core) — so that a flood of uploads queues instead of starving the machine —
//! and runs where the runtime can hand the worker's other tasks to another thread.

use crate::App;

/// How many heavy jobs run at once: the machine's cores (at least 1).
pub fn slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// A slot for heavy work, waited for without blocking; returned to the pool when dropped. (`None` only if the
/// semaphore were closed, which nothing does.)
pub async fn slot(app: &App) -> Option<tokio::sync::SemaphorePermit<'_>> {
    app.heavy.acquire().await.ok()
}

/// Runs `f` (which may borrow) on this thread after telling the runtime to move its other tasks elsewhere
/// (`block_in_place`); on a single-threaded runtime (some tests, the CLI) it just runs `f`.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs owned work on the blocking pool, in a slot.
pub async fn run<T: Send + 'static>(app: &App, f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let _slot = slot(app).await;
    Ok(tokio::task::spawn_blocking(f).await?)
}
