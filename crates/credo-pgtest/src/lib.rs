//! # credo-pgtest
//!
//! A real PostgreSQL for tests, never a mock: [`database`] returns the URL of a fresh, empty database (UTF-8, byte
//! order collation) on a cluster that is
//!
//! * the one `$CREDO_TEST_PG` names (`postgres://postgres@127.0.0.1:PORT/postgres`): `.ci/run` starts one cluster
//!   for the whole run, with Debian's PostgreSQL 15 (`initdb` into a temporary directory, `pg_ctl start` on a
//!   loopback port);
//! * otherwise one this test process starts itself, the same way, on the first call: `initdb` and `postgres` from
//!   `PATH` or `/usr/lib/postgresql/*/bin`, as the `postgres` user when the tests run as root, on a free loopback
//!   port, in a directory under the system's temporary directory. The server is this process's child and gets
//!   `SIGTERM` when the process ends; a directory a process left behind is removed by the next one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection as _;

/// The environment variable naming a running cluster (its `postgres` database).
pub const ENV: &str = "CREDO_TEST_PG";

/// The URL of the cluster's `postgres` database (starting a cluster on the first call when [`ENV`] is not set).
pub fn server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var(ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => start().unwrap_or_else(|e| panic!("could not start PostgreSQL for the tests (or set {ENV}): {e}")),
    })
}

/// A fresh, empty database on the test cluster: its URL.
pub async fn database() -> String {
    database_on(server()).await
}

/// A fresh, empty database on the cluster whose `postgres` database is at `base`: its URL.
pub async fn database_on(base: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!("credo_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    // A server just started accepts connections a moment before it accepts queries.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match sqlx::PgConnection::connect(base).await {
            Ok(conn) => break conn,
            Err(e) if std::time::Instant::now() > deadline => panic!("{base}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let sql = format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    conn.close().await.ok();
    with_database(base, &name)
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Where Debian (or `PATH`) keeps PostgreSQL's programs.
fn program(name: &str) -> PathBuf {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .max();
    debian.unwrap_or_else(|| PathBuf::from(name))
}

/// The uid and gid of the `postgres` user, when running as root (PostgreSQL refuses to run as root).
fn postgres_user() -> Option<(libc::uid_t, libc::gid_t)> {
    // SAFETY: geteuid has no preconditions; getpwnam returns a pointer to static storage or null, read at once.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let pw = libc::getpwnam(c"postgres".as_ptr());
        if pw.is_null() {
            return None;
        }
        Some(((*pw).pw_uid, (*pw).pw_gid))
    }
}

/// `cmd` as the `postgres` user (when root), ending with this process (`SIGTERM` when its spawning thread ends:
/// the server is spawned from a thread that lives as long as the process).
fn as_postgres(cmd: &mut Command, user: Option<(libc::uid_t, libc::gid_t)>, die_with_parent: bool) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: between fork and exec only async-signal-safe calls are made (setgroups, setgid, setuid, prctl).
    unsafe {
        cmd.pre_exec(move || {
            if let Some((uid, gid)) = user
                && (libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            if die_with_parent && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A free loopback port (bound and released: another process may take it first, which `start` then reports).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Removes the directories earlier test processes left behind (their process is gone).
fn remove_leftovers(parent: &Path) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("credo-pgtest-")).and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } != 0 {
            std::fs::remove_dir_all(entry.path()).ok();
        }
    }
}

/// A new directory for a cluster (owned by the `postgres` user when running as root).
fn new_dir(name: &str) -> Result<PathBuf, String> {
    let parent = std::env::temp_dir();
    remove_leftovers(&parent);
    let dir = parent.join(format!("credo-pgtest-{}", std::process::id())).join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Some((uid, gid)) = postgres_user() {
        for d in [dir.parent().unwrap_or(&dir), &dir] {
            std::os::unix::fs::chown(d, Some(uid), Some(gid)).map_err(|e| format!("chown {}: {e}", d.display()))?;
        }
    }
    Ok(dir)
}

/// Runs one of PostgreSQL's programs (as the `postgres` user when root) to its end.
fn run(program_name: &str, args: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new(program(program_name));
    cmd.args(args);
    as_postgres(&mut cmd, postgres_user(), false);
    let out = cmd.output().map_err(|e| format!("{program_name}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{program_name}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// Starts `postgres` on the data directory `dir/data` on a free loopback port; returns the URL of its `postgres`
/// database once it accepts connections.
fn serve(dir: &Path) -> Result<String, String> {
    let user = postgres_user();
    let data = dir.join("data");
    let port = free_port().map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("log")).map_err(|e| e.to_string())?;
    let mut postgres = Command::new(program("postgres"));
    postgres
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c"])
        .arg(format!("unix_socket_directories={}", dir.display()))
        // A throwaway cluster: no fsync (durability across a machine crash is not what these tests test), room
        // for many pools at once.
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
        .args(["-c", "max_connections=400", "-c", "shared_buffers=128MB"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    as_postgres(&mut postgres, user, true);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("credo-pgtest".into())
        .spawn(move || match postgres.spawn() {
            Ok(mut child) => {
                tx.send(Ok(())).ok();
                let status = child.wait();
                eprintln!("credo-pgtest: PostgreSQL stopped: {status:?}");
            }
            Err(e) => {
                tx.send(Err(format!("postgres: {e}"))).ok();
            }
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())??;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!("PostgreSQL did not start on port {port}: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(url)
}

/// A new cluster: `initdb` (trust on loopback, replication included), then served.
fn start_cluster(name: &str) -> Result<String, String> {
    let dir = new_dir(name)?;
    let data = dir.join("data");
    let data = data.to_str().ok_or("data directory not UTF-8")?;
    run("initdb", &["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D", data])?;
    serve(&dir)
}

fn start() -> Result<String, String> {
    start_cluster("main")
}

/// A primary and a streaming-replication standby of it (`pg_basebackup -R`), both started for this process: the
/// URLs of their `postgres` databases. A database created on the primary appears on the standby moments later.
pub fn replicated() -> (&'static str, &'static str) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    let (primary, standby) = PAIR.get_or_init(|| {
        let pair = || -> Result<(String, String), String> {
            let primary = start_cluster("primary")?;
            let port = primary.rsplit(':').next().and_then(|p| p.split('/').next()).unwrap_or_default().to_string();
            let dir = new_dir("standby")?;
            let data = dir.join("data");
            let data = data.to_str().ok_or("data directory not UTF-8")?;
            run(
                "pg_basebackup",
                &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", data, "-R", "-X", "stream"],
            )?;
            let standby = serve(&dir)?;
            Ok((primary, standby))
        };
        pair().unwrap_or_else(|e| panic!("could not start a primary and its standby: {e}"))
    });
    (primary, standby)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_gets_another_database() {
        let f = super::with_database;
        assert_eq!(f("postgres://postgres@127.0.0.1:5/postgres", "t1"), "postgres://postgres@127.0.0.1:5/t1");
        assert_eq!(f("postgres://u:p@h:5/db?sslmode=disable", "t2"), "postgres://u:p@h:5/t2?sslmode=disable");
        assert_eq!(f("postgres://h:5", "t3"), "postgres://h:5/t3");
    }
}
