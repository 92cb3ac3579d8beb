//! Which process handles a batch or a check job (`host/pid:start-time`), and whether it still runs. A pid alone could
//! be reused after a restart, so the process's start time (from `/proc`) is part of it; the machine's name, because
//! several server nodes may share one PostgreSQL database.

fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime), counted after the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(')')?.1.split_whitespace().nth(19).map(str::to_string)
}

/// This machine's name (several server nodes may share one PostgreSQL database).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default()
}

/// This process: `host/pid:start-time`.
pub(crate) fn this() -> String {
    let pid = std::process::id();
    format!("{}/{pid}:{}", host(), start_time(pid).unwrap_or_default())
}

/// Whether the process a batch names still runs. A process on another machine (a node sharing the database)
/// cannot be seen from here and counts as running: its own machine recovers its batches when it restarts.
/// A name without a machine (written by an earlier version) is of this machine.
pub(crate) fn alive(worker: &str) -> bool {
    let local = match worker.split_once('/') {
        Some((h, rest)) if h == host() => rest,
        Some(_) => return true,
        None => worker,
    };
    let Some((pid, started)) = local.split_once(':') else { return false };
    pid.parse().ok().and_then(start_time).is_some_and(|s| s == started)
}
