//! Daily open-data snapshots (开放数据快照), kept under `DATA/open/{day}/` and served at `/open/{day}/{file}`: for
//! every catalog item, what the public sees that day ([`exchange::open_record`], the same rows as `credo export`)
//!
//! * `{item}.csv.gz`: UTF-8 CSV with a byte-order mark and the national template's headers;
//! * `{item}.jsonl.gz`: one [`exchange::OpenRecord`] per line, in record order;
//! * `{item}.delta.jsonl.gz`: what changed since the previous snapshot (named in the manifest), one event per line
//!   in record order — `{"op":"ADD","record":{…}}`, `{"op":"MOD","record":{…}}`, `{"op":"DEL","id":…,"version":…}`
//!   — so that applying it to the previous day's `{item}.jsonl.gz` gives this day's, line for line;
//! * `manifest.json`: the day, the change feed's sequence when taken, and every file with its line count, size and
//!   SM3 digest; `manifest.json.sig`: its SM2 signature (DER) under the platform key (`/api/v1/keys/platform.pem`).
//!
//! A snapshot is written to a hidden directory and renamed into place when complete: a reader sees a whole snapshot
//! or none, and of two writers of one day (a server and `credo snapshot`) exactly one wins.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};
use time::Date;

use crate::error::Error;
use crate::exchange::{Audience, OpenRecord};
use crate::{App, beijing, export, offload, reports};

/// The version of the files' layout; a change that breaks a reader raises it.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.json.sig";

/// A snapshot's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub platform: String,
    pub format: u32,
    /// The day whose view the files hold.
    pub day: String,
    /// When it was taken (Beijing time).
    pub generated_at: String,
    /// The change feed's last sequence when it was taken: `GET /api/v1/feed?after=` this continues from it.
    pub feed_seq: i64,
    /// The snapshot the delta files are against.
    pub previous: Option<String>,
    /// Where the key that signed `manifest.json.sig` is published.
    pub public_key: String,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub item: String,
    /// `csv`, `jsonl` or `delta`.
    pub kind: String,
    /// Records (`csv`, `jsonl`) or events (`delta`).
    pub lines: u64,
    /// The gzip file's size in bytes.
    pub bytes: u64,
    /// SM3 of the gzip file, in hex.
    pub sm3: String,
}

/// Where the snapshots are kept.
pub fn root(app: &App) -> PathBuf {
    app.data_dir.join("open")
}

/// The days with a complete snapshot, newest first.
pub fn days(app: &App) -> Vec<Date> {
    let mut days: Vec<Date> = fs::read_dir(root(app))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| parse_day(e.file_name().to_str()?))
        .filter(|d| root(app).join(d.to_string()).join(MANIFEST).is_file())
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A day's manifest, as stored (the bytes the signature is over) and read.
pub fn manifest(app: &App, day: Date) -> Option<(Vec<u8>, Manifest)> {
    let bytes = fs::read(root(app).join(day.to_string()).join(MANIFEST)).ok()?;
    let m = serde_json::from_slice(&bytes).ok()?;
    Some((bytes, m))
}

/// The path of a snapshot's file, if `day` is a snapshot and `name` its manifest, signature or a file it lists
/// (nothing else in the data directory can be named this way).
pub fn file(app: &App, day: &str, name: &str) -> Option<PathBuf> {
    let day = parse_day(day)?;
    let (_, m) = manifest(app, day)?;
    let known = name == MANIFEST || name == SIGNATURE || m.files.iter().any(|f| f.name == name);
    known.then(|| root(app).join(day.to_string()).join(name))
}

/// Takes the snapshot of `day` (the app's today: the records are read as they stand now), or returns `None` when
/// there already is one.
pub async fn take(app: &App, day: Date) -> Result<Option<Manifest>, Error> {
    let root = root(app);
    if root.join(day.to_string()).join(MANIFEST).is_file() {
        return Ok(None);
    }
    fs::create_dir_all(&root).map_err(io)?;
    let tmp = root.join(format!(".partial-{day}-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    fs::create_dir(&tmp).map_err(io)?;
    let taken = write(app, day, &tmp).await;
    let done = taken.and_then(|m| match fs::rename(&tmp, root.join(day.to_string())) {
        Ok(()) => Ok(Some(m)),
        // Another writer finished the day first: its snapshot stands.
        Err(_) if root.join(day.to_string()).join(MANIFEST).is_file() => Ok(None),
        Err(e) => Err(io(e)),
    });
    if !matches!(done, Ok(Some(_))) {
        let _ = fs::remove_dir_all(&tmp);
    }
    done
}

async fn write(app: &App, day: Date, dir: &Path) -> Result<Manifest, Error> {
    let feed_seq = app.store.last_seq().await?;
    let previous = days(app).into_iter().find(|d| *d < day).and_then(|d| Some((d, manifest(app, d)?.1)));
    let mut files = Vec::new();
    for (code, def) in app.catalog.items.iter() {
        let mut csv = Gz::create(dir, format!("{code}.csv.gz"), code, "csv")?;
        let mut jsonl = Gz::create(dir, format!("{code}.jsonl.gz"), code, "jsonl")?;
        // The delta against the previous snapshot's file of the item, when there is one and it is intact.
        let before = previous.as_ref().and_then(|(d, m)| {
            let entry = m.files.iter().find(|f| f.item == *code && f.kind == "jsonl")?;
            let path = root(app).join(d.to_string()).join(&entry.name);
            match offload::blocking(|| Before::open(&path, &entry.sm3)) {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::warn!(item = %code, day = %d, error = %e.detail, "no delta: previous snapshot unreadable");
                    None
                }
            }
        });
        let mut delta = match before {
            Some(b) => Some((b, Gz::create(dir, format!("{code}.delta.jsonl.gz"), code, "delta")?)),
            None => None,
        };
        csv.put(&export::csv_head(def)?, 0)?;
        export::pages(app, Audience::Public, code, day, |page| {
            csv.put(&export::csv_body(def, page)?, page.len() as u64)?;
            let mut lines = Vec::new();
            let mut events = Vec::new();
            let mut n = 0;
            for open in page {
                let line = serde_json::to_string(open).map_err(io)?;
                if let Some((before, _)) = &mut delta {
                    n += before.diff(open, &line, &mut events)?;
                }
                lines.extend_from_slice(line.as_bytes());
                lines.push(b'\n');
            }
            jsonl.put(&lines, page.len() as u64)?;
            if let Some((_, out)) = &mut delta {
                out.put(&events, n)?;
            }
            Ok(())
        })
        .await?;
        offload::blocking(|| -> Result<(), Error> {
            files.push(csv.finish()?);
            files.push(jsonl.finish()?);
            if let Some((mut before, mut out)) = delta {
                let mut events = Vec::new();
                let n = before.rest(&mut events)?;
                out.put(&events, n)?;
                files.push(out.finish()?);
            }
            Ok(())
        })?;
    }
    let manifest = Manifest {
        platform: "信用西宁".into(),
        format: FORMAT,
        day: day.to_string(),
        generated_at: beijing::format(app.clock.now()),
        feed_seq,
        previous: previous.map(|(d, _)| d.to_string()),
        public_key: format!("{}/api/v1/keys/platform.pem", reports::public_url()),
        files,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(io)?;
    bytes.push(b'\n');
    fs::write(dir.join(MANIFEST), &bytes).map_err(io)?;
    fs::write(dir.join(SIGNATURE), app.signer.sign(&bytes)).map_err(io)?;
    Ok(manifest)
}

/// Removes snapshots older than `keep` days before `today`, and half-written ones left by a crash (a day old).
pub fn prune(app: &App, today: Date, keep: i64) -> Result<usize, Error> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(root(app)) else { return Ok(0) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let old = match parse_day(&name) {
            Some(d) => d < today - time::Duration::days(keep),
            None if name.starts_with(".partial-") => e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|a| a.as_secs() > 24 * 3600)),
            None => false,
        };
        if old {
            fs::remove_dir_all(e.path()).map_err(io)?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("开放数据快照写出失败:{e}"))
}

/// A gzip file being written, its compressed bytes counted and hashed as they go out.
struct Gz {
    gz: GzEncoder<Hashed>,
    entry: FileEntry,
}

struct Hashed {
    file: BufWriter<File>,
    sm3: Sm3,
    bytes: u64,
}

impl Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sm3.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Gz {
    fn create(dir: &Path, name: String, item: &str, kind: &str) -> Result<Gz, Error> {
        let file = BufWriter::new(File::create(dir.join(&name)).map_err(io)?);
        let hashed = Hashed { file, sm3: Sm3::new(), bytes: 0 };
        let entry = FileEntry { name, item: item.into(), kind: kind.into(), lines: 0, bytes: 0, sm3: String::new() };
        Ok(Gz { gz: GzEncoder::new(hashed, Compression::default()), entry })
    }

    fn put(&mut self, bytes: &[u8], lines: u64) -> Result<(), Error> {
        self.entry.lines += lines;
        self.gz.write_all(bytes).map_err(io)
    }

    fn finish(self) -> Result<FileEntry, Error> {
        let mut hashed = self.gz.finish().map_err(io)?;
        hashed.file.flush().map_err(io)?;
        hashed.file.get_ref().sync_all().map_err(io)?;
        Ok(FileEntry { bytes: hashed.bytes, sm3: hex::encode(hashed.sm3.finalize()), ..self.entry })
    }
}

/// The previous snapshot's records of an item, read alongside this one's (both in record order) to find the
/// differences.
struct Before {
    lines: std::io::Lines<BufReader<MultiGzDecoder<File>>>,
    next: Option<(i64, i64, String)>,
}

#[derive(Deserialize)]
struct Head {
    id: i64,
    version: i64,
}

impl Before {
    /// Opens the file after checking it is the one its manifest describes.
    fn open(path: &Path, sm3_hex: &str) -> Result<Before, Error> {
        let mut hasher = Sm3::new();
        let mut file = File::open(path).map_err(io)?;
        let mut buf = vec![0; 1 << 16];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if hex::encode(hasher.finalize()) != sm3_hex {
            return Err(io(format!("{} 的 SM3 与清单不符", path.display())));
        }
        let file = File::open(path).map_err(io)?;
        let mut before = Before { lines: BufReader::new(MultiGzDecoder::new(file)).lines(), next: None };
        before.advance()?;
        Ok(before)
    }

    fn advance(&mut self) -> Result<(), Error> {
        self.next = match self.lines.next() {
            None => None,
            Some(line) => {
                let line = line.map_err(io)?;
                let head: Head = serde_json::from_str(&line).map_err(io)?;
                Some((head.id, head.version, line))
            }
        };
        Ok(())
    }

    /// The events that take the previous file up to and including `open` (as `line`); how many.
    fn diff(&mut self, open: &OpenRecord, line: &str, events: &mut Vec<u8>) -> Result<u64, Error> {
        let mut n = 0;
        while let Some((id, version, _)) = &self.next
            && *id < open.id
        {
            gone(events, *id, *version);
            n += 1;
            self.advance()?;
        }
        let op = match &self.next {
            Some((id, _, before)) if *id == open.id => {
                let same = before == line;
                self.advance()?;
                if same {
                    return Ok(n);
                }
                "MOD"
            }
            _ => "ADD",
        };
        events.extend_from_slice(format!("{{\"op\":\"{op}\",\"record\":{line}}}\n").as_bytes());
        Ok(n + 1)
    }

    /// `DEL` for the previous records after the last one seen.
    fn rest(&mut self, events: &mut Vec<u8>) -> Result<u64, Error> {
        let mut n = 0;
        while let Some((id, version, _)) = &self.next {
            gone(events, *id, *version);
            n += 1;
            self.advance()?;
        }
        Ok(n)
    }
}

fn gone(events: &mut Vec<u8>, id: i64, version: i64) {
    events.extend_from_slice(format!("{{\"op\":\"DEL\",\"id\":{id},\"version\":{version}}}\n").as_bytes());
}
