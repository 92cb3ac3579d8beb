//! The audit trail (审计日志): verifying the keyed chain end to end (archived files, then the live table), the SM2
//! checkpoints that sign its head and the anchor file outside the database that keeps a copy of each, and
//! archiving old events to files (kept, never dropped).
//!
//! What each part stops, for someone who can write the database but holds neither the keyring nor the anchor:
//! the HMAC-SM3 links (key in the keyring) stop them changing, inserting or reordering events and recomputing the
//! chain; the anchored checkpoints stop them deleting events up to the last checkpoint, together with the database's
//! checkpoints, and rewinding the head. What remains is deleting the events after the last anchored checkpoint (the
//! server signs one every ten minutes), which [`Verified::unanchored`] counts.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use credo_gm::chain::{self, ChainError, Entry, GENESIS};
use credo_store::{Checkpoint, StoredAuditEvent};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::App;

const PAGE: i64 = 10_000;

/// The shortest retention the law allows (网络安全法 §21: network logs kept at least six months).
pub const MIN_RETENTION_DAYS: i64 = 180;

/// Why the trail does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}", chain_message(.0))]
    Chain(#[from] ChainError),
    #[error("审计日志末尾与链头不符(链头为第 {head} 条,日志止于第 {last} 条):末尾的记录被删除或改动")]
    Tail { head: i64, last: i64 },
    #[error("审计日志第 {seq} 条的签名检查点不符:{why}")]
    Checkpoint { seq: i64, why: &'static str },
    #[error("第 {seq} 条有签名检查点,而审计日志的链头只到第 {head} 条:其后的记录被删除,链头被回退")]
    Rewound { seq: i64, head: i64 },
    #[error("审计归档 {file}:{why}")]
    Archive { file: String, why: String },
    #[error("审计锚定文件 {file}:{why}")]
    Anchor { file: String, why: String },
    #[error("{0}")]
    Store(#[from] credo_store::StoreError),
}

fn chain_message(e: &ChainError) -> String {
    match e {
        ChainError::Changed { seq } => format!("审计日志第 {seq} 条被篡改:内容与其哈希不符"),
        ChainError::Broken { seq, after } => {
            format!("审计日志第 {seq} 条不接续第 {after} 条:其间的记录被删除或顺序被改动")
        }
        ChainError::Gap { seq, expected } => {
            format!("审计日志第 {seq} 条的序号应为 {expected}:记录被删除或顺序被改动")
        }
    }
}

impl AuditError {
    /// The sequence number of the first bad event, if one is named.
    pub fn seq(&self) -> Option<i64> {
        match self {
            AuditError::Chain(
                ChainError::Changed { seq } | ChainError::Broken { seq, .. } | ChainError::Gap { seq, .. },
            ) => Some(*seq),
            AuditError::Tail { last, .. } => Some(*last + 1),
            AuditError::Checkpoint { seq, .. } => Some(*seq),
            AuditError::Rewound { head, .. } => Some(*head + 1),
            AuditError::Archive { .. } | AuditError::Anchor { .. } | AuditError::Store(_) => None,
        }
    }
}

/// Walks the chain page by page, checking each link and every checkpoint it passes.
struct Walker<'a> {
    prev: String,
    last: i64,
    /// The chain's HMAC-SM3 key and the first event linked with it.
    key: &'a [u8],
    keyed_from: i64,
    checkpoints: &'a BTreeMap<i64, Checkpoint>,
    trusted: &'a str,
    signed: usize,
}

impl Walker<'_> {
    fn feed(&mut self, page: &[StoredAuditEvent]) -> Result<(), AuditError> {
        let contents: Vec<Vec<u8>> = page.iter().map(|e| StoredAuditEvent::content(e.seq, &e.at, &e.event)).collect();
        let entries = page.iter().zip(&contents).map(|(e, c)| Entry {
            seq: e.seq,
            prev: &e.prev_hash,
            content: c,
            hash: &e.hash,
        });
        chain::verify(self.key, self.keyed_from, &self.prev, self.last + 1, entries)?;
        for e in page {
            if let Some(c) = self.checkpoints.get(&e.seq) {
                check_checkpoint(c, &e.hash, self.trusted)?;
                self.signed += 1;
            }
        }
        if let Some(end) = page.last() {
            self.prev = end.hash.clone();
            self.last = end.seq;
        }
        Ok(())
    }
}

fn check_checkpoint(c: &Checkpoint, hash: &str, trusted: &str) -> Result<(), AuditError> {
    let bad = |why| Err(AuditError::Checkpoint { seq: c.seq, why });
    if c.hash != hash {
        return bad("链上该条的哈希与签名时不同:此前的记录被改写");
    }
    if c.public_key.trim() != trusted.trim() {
        return bad("签名公钥不是本平台的公钥");
    }
    let sig = hex::decode(&c.signature).unwrap_or_default();
    if credo_gm::sm2::verify(&c.public_key, &Checkpoint::message(c.seq, &c.hash), &sig).is_err() {
        return bad("SM2 签名无效");
    }
    Ok(())
}

/// What verification found.
#[derive(Debug)]
pub struct Verified {
    pub events: i64,
    pub archived: i64,
    /// Checkpoints in the database, each checked against the chain and its signature.
    pub checkpoints: usize,
    /// Distinct checkpoints in the anchor file, each found unchanged in the database and within the chain.
    pub anchored: usize,
    /// Events after the last anchored checkpoint: deleting these (and rewinding the head) is the one change that
    /// verification cannot see, until the next checkpoint is anchored.
    pub unanchored: i64,
}

/// Where checkpoints are anchored outside the database: `$CREDO_AUDIT_ANCHOR`, else `DATA/audit-anchor.jsonl`.
/// Production should put it on another volume than the database (or ship its lines to a notary), like the keyring.
pub fn anchor_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("CREDO_AUDIT_ANCHOR").map(PathBuf::from).unwrap_or_else(|| data_dir.join("audit-anchor.jsonl"))
}

/// The checkpoints in the anchor file, one JSON object per line (none when it does not exist yet).
pub fn read_anchor(path: &Path) -> Result<Vec<Checkpoint>, AuditError> {
    let bad = |why: String| AuditError::Anchor { file: path.display().to_string(), why };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(bad(format!("无法读取:{e}"))),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| bad(format!("第 {} 行格式不正确:{e}", i + 1))))
        .collect()
}

/// Appends a checkpoint to the anchor file as one JSON line (one `write`, so concurrent writers do not interleave).
fn append_anchor(path: &Path, c: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let line = serde_json::to_string(c).map_err(std::io::Error::other)?;
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_data()
}

/// Checks the anchor file against the database: every anchored checkpoint must be within the chain (else its
/// tail was deleted and the head rewound) and stored unchanged (else it was deleted or changed), and so was
/// checked against the chain and its signature by the walk. Returns the number of distinct anchored checkpoints and
/// the last anchored sequence number.
fn check_anchor(
    anchor: &[Checkpoint],
    stored: &BTreeMap<i64, Checkpoint>,
    head: i64,
) -> Result<(usize, i64), AuditError> {
    let mut seen = std::collections::BTreeSet::new();
    for c in anchor {
        if c.seq > head {
            return Err(AuditError::Rewound { seq: c.seq, head });
        }
        let why = match stored.get(&c.seq) {
            None => "锚定文件中有而数据库中没有:检查点被删除",
            Some(s) if s != c => "与锚定文件中的不同:检查点被改动",
            Some(_) => {
                seen.insert(c.seq);
                continue;
            }
        };
        return Err(AuditError::Checkpoint { seq: c.seq, why });
    }
    Ok((seen.len(), seen.last().copied().unwrap_or(0)))
}

/// Where archived events are written.
pub fn archive_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit-archive")
}

fn archive_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(i64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let first = p.file_name()?.to_str()?.strip_prefix("audit-")?.split('-').next()?.parse().ok()?;
            Some((first, p))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// Verifies the app's trail: the archived files and the live chain, each link under the keyring's audit key,
/// against the head, the SM2 checkpoints (signed by the platform's key) and the anchor file.
#[tracing::instrument(level = "info", skip_all)]
pub async fn verify(app: &App) -> Result<Verified, AuditError> {
    let trusted = app.signer.public_key_pem().unwrap_or_default();
    let anchor = read_anchor(&anchor_path(&app.data_dir))?;
    let store = app.store.as_ref();
    let checkpoints: BTreeMap<i64, Checkpoint> = store.checkpoints().await?.into_iter().map(|c| (c.seq, c)).collect();
    let mut w = Walker {
        prev: GENESIS.to_string(),
        last: 0,
        key: app.vault.audit_key(),
        keyed_from: app.audit_from,
        checkpoints: &checkpoints,
        trusted: &trusted,
        signed: 0,
    };
    let archive = archive_dir(&app.data_dir);
    let archive = archive.as_path();
    let (base_seq, base_hash) = store.audit_base().await?;
    for file in archive_files(archive) {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| AuditError::Archive { file: name.clone(), why: e.to_string() })?;
        let page: Vec<StoredAuditEvent> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| AuditError::Archive { file: name.clone(), why: format!("格式不正确:{e}") })?;
        w.feed(&page)?;
    }
    if (w.last, w.prev.as_str()) != (base_seq, base_hash.as_str()) {
        return Err(AuditError::Archive {
            file: archive.display().to_string(),
            why: format!("归档止于第 {} 条,与在线日志的起点(第 {base_seq} 条)不接续:归档文件缺失或被改动", w.last),
        });
    }
    let archived = w.last;
    loop {
        let page = store.audit_after(w.last, PAGE).await?;
        if page.is_empty() {
            break;
        }
        w.feed(&page)?;
    }
    let (head_seq, head_hash) = store.audit_head().await?;
    if head_seq != w.last || head_hash != w.prev {
        return Err(AuditError::Tail { head: head_seq, last: w.last });
    }
    if let Some(c) = checkpoints.values().next_back().filter(|c| c.seq > head_seq) {
        return Err(AuditError::Rewound { seq: c.seq, head: head_seq });
    }
    let (anchored, anchored_to) = check_anchor(&anchor, &checkpoints, head_seq)?;
    Ok(Verified { events: w.last, archived, checkpoints: w.signed, anchored, unanchored: head_seq - anchored_to })
}

/// Verifies the app's trail and reports as JSON (for the CLI and the auditors' API).
pub async fn report(app: &App) -> Result<Value, credo_store::StoreError> {
    // It reads the whole chain: one verification at a time, however many auditors ask.
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = ONE.lock().await;
    Ok(match verify(app).await {
        Ok(v) => json!({
            "intact": true, "events": v.events, "archived": v.archived, "checkpoints": v.checkpoints,
            "anchored": v.anchored, "not_yet_anchored": v.unanchored,
        }),
        Err(AuditError::Store(e)) => return Err(e),
        Err(e) => json!({ "intact": false, "first_bad_event": e.seq(), "message": e.to_string() }),
    })
}

/// Signs the chain's head with the platform's SM2 key, if it moved since the last checkpoint, and appends the
/// checkpoint to the anchor file (after the database, so the anchor never holds one the database lacks).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkpoint(app: &App) -> anyhow::Result<Option<Checkpoint>> {
    let (seq, hash) = app.store.audit_head().await?;
    let last = app.store.checkpoints().await?.last().map(|c| c.seq).unwrap_or(0);
    if seq == 0 || seq <= last {
        return Ok(None);
    }
    let c = Checkpoint {
        seq,
        at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
        signature: hex::encode(app.signer.sign(&Checkpoint::message(seq, &hash))),
        public_key: app.signer.public_key_pem().map_err(|e| credo_store::StoreError::Corrupt(e.to_string()))?,
        hash,
    };
    app.store.add_checkpoint(&c).await?;
    let path = anchor_path(&app.data_dir);
    append_anchor(&path, &c).map_err(|e| anyhow::anyhow!("无法写入审计锚定文件 {}:{e}", path.display()))?;
    Ok(Some(c))
}

/// Whether a retention period is long enough.
pub fn check_retention(keep_days: i64) -> Result<(), String> {
    if keep_days < MIN_RETENTION_DAYS {
        return Err(format!("审计日志至少保留 {MIN_RETENTION_DAYS} 天(网络安全法第二十一条),不能设为 {keep_days} 天"));
    }
    Ok(())
}

/// Moves events older than `keep_days` (at least [`MIN_RETENTION_DAYS`]) to a JSON-lines file under
/// [`archive_dir`], with their hashes, so the chain still verifies across the archive. Returns the file and the
/// number of events, or `None` when nothing is old enough.
#[tracing::instrument(level = "info", skip_all, fields(keep_days))]
pub async fn archive(app: &App, keep_days: i64) -> anyhow::Result<Option<(PathBuf, usize)>> {
    check_retention(keep_days).map_err(anyhow::Error::msg)?;
    let cutoff = (OffsetDateTime::now_utc() - time::Duration::days(keep_days)).format(&Rfc3339)?;
    let (base, _) = app.store.audit_base().await?;
    let mut old: Vec<StoredAuditEvent> = Vec::new();
    loop {
        let page = app.store.audit_after(old.last().map_or(base, |e| e.seq), PAGE).await?;
        let fetched = page.len();
        let aged: Vec<StoredAuditEvent> = page.into_iter().take_while(|e| e.at < cutoff).collect();
        let more = aged.len() == fetched && fetched == PAGE as usize;
        old.extend(aged);
        if !more {
            break;
        }
    }
    let (Some(first), Some(last)) = (old.first(), old.last()) else { return Ok(None) };
    // Sign the head first, so the archived part is covered by a checkpoint the live table keeps.
    checkpoint(app).await?;
    let dir = archive_dir(&app.data_dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("audit-{}-{}.jsonl", first.seq, last.seq));
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        for e in &old {
            serde_json::to_writer(&mut f, e)?;
            f.write_all(b"\n")?;
        }
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    app.store.archive_audit(last.seq, &last.hash).await?;
    Ok(Some((path, old.len())))
}

/// Appends the audit event of the platform itself acting (a rule applied as records change, not a person's step),
/// under `department` when it acts for one.
pub async fn by_platform(
    app: &App,
    department: Option<String>,
    action: &str,
    target: String,
    purpose: &str,
    result: String,
) -> Result<(), crate::Error> {
    append(app, ("platform".into(), "system".into(), department), action, target, purpose, result).await
}

/// Appends the audit event of `p` acting: `action` on `target`, for `purpose`, with its `result`.
pub async fn act(
    app: &App,
    p: &crate::principal::Principal,
    action: &str,
    target: String,
    purpose: &str,
    result: String,
) -> Result<(), crate::Error> {
    append(app, p.actor(), action, target, purpose, result).await
}

/// The event of `who` (actor, role, department) acting.
async fn append(
    app: &App,
    (actor, role, department): (String, String, Option<String>),
    action: &str,
    target: String,
    purpose: &str,
    result: String,
) -> Result<(), crate::Error> {
    app.store
        .append_audit(&credo_store::AuditEvent {
            actor,
            role,
            department,
            action: action.into(),
            target: Some(target),
            purpose: Some(purpose.into()),
            result,
            client: None,
        })
        .await?;
    Ok(())
}
