//! City → province federation (信用信息上报): a Credo instance running as the provincial platform (`credo serve
//! --role province --cities FILE`) takes in the records of several city instances from their delta feeds.
//!
//! * **How**: for each city, the province reads `GET {city}/api/v1/feed?after=N&items=…` with an API key the city
//!   issued to it (its department there granted 政务共享, so that every catalog field comes, the code in full);
//!   `ADD` and `MOD` events become records (versions) of the province's department that stands for the city
//!   platform — the origin every such record carries — through the same validation as any batch (channel
//!   `federation`); a `DEL` of a withdrawal or repair marks the province's record the same way (an expiry needs
//!   nothing: the province applies the same publicity rules).
//! * **Nothing lost**: the place in each city's feed is kept in the province's store with the records it led to,
//!   after they are stored; a province that stops takes up from there (rows taken in twice are duplicates). Its
//!   next read from `after = N` is its acknowledgement to the city, which tracks it against the 7-working-day
//!   deadline (the city's operators' dashboard, `exchange::consumers`).
//! * **Format**: [`FORMAT`] is the feed's JSON (documented in the OpenAPI document and `docs/exchange.md`); a source
//!   in another format (the national platform's is not public) plugs in by converting its pages into a
//!   [`RemotePage`] ([`parse_page`] is the adapter for Credo's own).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Code, Error};
use crate::{App, cases, ingest};

/// The exchange format this side reads.
pub const FORMAT: &str = "credo-feed/1";
/// The items a city passes on by default: 双公示 and the lists.
pub const DEFAULT_ITEMS: [&str; 6] = ["xzxk", "xzcf", "yzsx", "jyyc", "sxbzxr", "sxjl"];
const PAGE: usize = 1_000;
/// The largest page of a city's feed read.
const MAX_PAGE_BYTES: usize = 64 << 20;

/// A city platform the province takes in (a `[[city]]` of the cities file).
#[derive(Debug, Clone, Deserialize)]
pub struct City {
    /// 行政区划代码 (630100).
    pub code: String,
    pub name: String,
    /// The city platform's address (`https://…`).
    pub url: String,
    /// The API key the city issued to the province.
    pub key: String,
    /// The USCC of the province's department that stands for this city platform (registered, and permitted the
    /// items, in the province).
    pub department: String,
    #[serde(default)]
    pub items: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CitiesFile {
    city: Vec<City>,
}

/// Reads the cities file (TOML, `[[city]]` tables).
pub fn load(path: &Path) -> Result<Vec<City>, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(Code::InvalidRequest, format!("无法读取城市清单 {}:{e}", path.display())))?;
    let file: CitiesFile = toml::from_str(&text)
        .map_err(|e| Error::new(Code::InvalidRequest, format!("城市清单 {} 有误:{e}", path.display())))?;
    Ok(file.city)
}

/// One event of a source's page, in the form the province applies.
#[derive(Debug, Clone)]
pub struct RemoteEvent {
    pub op: String,
    pub item: String,
    /// The record's number at the source.
    pub record: i64,
    /// `DEL`: why (`revoked`, `repaired`, `expired`, `withheld`).
    pub reason: Option<String>,
    /// `ADD` / `MOD`: the record's fields by catalog code.
    pub fields: BTreeMap<String, String>,
}

/// A page of a source's events and where to read on.
#[derive(Debug, Clone)]
pub struct RemotePage {
    pub events: Vec<RemoteEvent>,
    pub next: i64,
    pub more: bool,
}

/// The adapter for Credo's own feed ([`FORMAT`]).
pub fn parse_page(v: &Value) -> Result<RemotePage, Error> {
    let bad = |what: &str| Error::internal(format!("城市平台的增量数据格式不符({FORMAT}):{what}"));
    let events = v["events"].as_array().ok_or_else(|| bad("events"))?;
    let events = events
        .iter()
        .map(|e| {
            let fields = e["data"]["fields"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| Some((f["code"].as_str()?.to_string(), f["value"].as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            Ok(RemoteEvent {
                op: e["op"].as_str().ok_or_else(|| bad("op"))?.to_string(),
                item: e["item"].as_str().ok_or_else(|| bad("item"))?.to_string(),
                record: e["record"].as_i64().ok_or_else(|| bad("record"))?,
                reason: e["reason"].as_str().map(str::to_string),
                fields,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(RemotePage {
        events,
        next: v["next"].as_i64().ok_or_else(|| bad("next"))?,
        more: v["more"].as_bool().ok_or_else(|| bad("more"))?,
    })
}

/// Reads a page of a city's feed from the province's place in it.
async fn fetch(client: &reqwest::Client, city: &City, after: i64) -> Result<RemotePage, Error> {
    let items = if city.items.is_empty() { DEFAULT_ITEMS.join(",") } else { city.items.join(",") };
    let url = format!("{}/api/v1/feed?after={after}&limit={PAGE}&items={items}", city.url.trim_end_matches('/'));
    let r = client
        .get(&url)
        .bearer_auth(&city.key)
        .send()
        .await
        .map_err(|e| Error::internal(format!("{} 的平台无法连接:{e}", city.name)))?;
    let status = r.status();
    // Read up to a bound before anything is parsed: a page of 1,000 events is a few MB.
    let mut r = r;
    let mut bytes = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| Error::internal(format!("{} 的应答中断:{e}", city.name)))?
    {
        if bytes.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(Error::internal(format!("{} 的一页增量数据超过 {} MB", city.name, MAX_PAGE_BYTES >> 20)));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::internal(format!("{} 的应答不是 JSON:{e}", city.name)))?;
    if !status.is_success() {
        return Err(Error::internal(format!("{} 的平台应答 {status}:{}", city.name, body["detail"])));
    }
    parse_page(&body)
}

/// Takes in one page of a city's feed; returns the events applied and whether more wait.
pub async fn take_page(app: &App, client: &reqwest::Client, city: &City) -> Result<(usize, bool), Error> {
    let department = app
        .store
        .department_by_uscc(&city.department)
        .await?
        .ok_or_else(|| Error::internal(format!("省级平台没有代表{}的部门 {}", city.name, city.department)))?;
    let after = app.store.federation_cursor(&city.code).await?;
    let page = fetch(client, city, after).await?;
    let mut links = Vec::new();
    // Consecutive upserts of one item go in as one batch; a DEL applies in its place.
    let mut i = 0;
    while i < page.events.len() {
        let e = &page.events[i];
        if e.op == "DEL" {
            if let Some(record) = app.store.federated_record(&city.code, e.record).await? {
                let kind = match e.reason.as_deref() {
                    Some("repaired") => Some("repaired"),
                    Some("revoked" | "withheld") => Some("revoked"),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let case = format!("{}平台撤下(记录 {})", city.name, e.record);
                    cases::mark_as_origin(app, record, kind, &case).await?;
                }
            }
            i += 1;
            continue;
        }
        let run: Vec<&RemoteEvent> =
            page.events[i..].iter().take_while(|x| x.op != "DEL" && x.item == e.item).collect();
        i += run.len();
        let item = app
            .catalog
            .item(&e.item)
            .ok_or_else(|| Error::internal(format!("{} 上报的目录项 {} 本平台没有", city.name, e.item)))?;
        let headers: Vec<String> = item.fields.iter().map(|f| f.code.clone()).collect();
        let rows = run
            .iter()
            .enumerate()
            .map(|(n, ev)| Ok((n + 1, headers.iter().map(|h| ev.fields.get(h).cloned().unwrap_or_default()).collect())))
            .collect();
        let table = credo_import::Table { headers, rows: credo_import::Rows::Cells(rows), encoding: None };
        let file = format!("{}({})上报", city.name, city.code);
        let (summary, stored) = ingest::run_tracked(app, item, &department, &table, "federation", Some(&file), &|_| {})
            .await
            .map_err(Error::internal)?;
        if summary.rejected > 0 {
            tracing::warn!(city = %city.code, batch = summary.batch, rejected = summary.rejected, "city records rejected (see the batch report)");
        }
        links.extend(
            stored.into_iter().filter_map(|(row, record)| Some((run.get(row.checked_sub(1)?)?.record, record))),
        );
    }
    app.store.advance_federation(&city.code, page.next, &links).await?;
    Ok((page.events.len(), page.more))
}

/// The province's follower: every `every`, on the server that runs the scheduled jobs, each city's feed taken in to
/// its end.
pub async fn run(app: App, cities: Vec<City>, every: Duration, leads: impl AsyncFn(&App) -> bool) {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(60)).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(%e, "federation: no HTTP client");
            return;
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !leads(&app).await {
            continue;
        }
        for city in &cities {
            loop {
                match take_page(&app, &client, city).await {
                    Ok((n, more)) => {
                        if n > 0 {
                            tracing::info!(city = %city.code, events = n, "city records taken in");
                        }
                        if !more {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(city = %city.code, error = %e.detail, "city feed not taken in; trying again");
                        break;
                    }
                }
            }
        }
    }
}
