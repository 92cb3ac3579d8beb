//! Follows the store's change feed into the search index (subjects, and the items they have records of). The last applied sequence number is kept next to the
//! index (`search/seq`), so a restart catches up from where it stopped and `credo reindex` starts from zero.

use std::collections::BTreeSet;

use credo_search::SubjectDoc;
use credo_store::Subject;

use crate::App;
use crate::public::display_code;

const PAGE: i64 = 20_000;

fn seq_path(app: &App) -> std::path::PathBuf {
    app.data_dir.join("search").join("seq")
}

fn read_seq(app: &App) -> i64 {
    std::fs::read_to_string(seq_path(app)).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn write_seq(app: &App, seq: i64) -> std::io::Result<()> {
    let tmp = seq_path(app).with_extension("tmp");
    std::fs::write(&tmp, seq.to_string())?;
    std::fs::rename(tmp, seq_path(app))
}

/// The change-feed sequence number the search index has applied.
pub fn applied_seq(app: &App) -> i64 {
    read_seq(app)
}

/// The index's document of a subject with the items it has records of.
pub fn to_doc(s: &Subject, items: Option<&BTreeSet<String>>) -> SubjectDoc {
    SubjectDoc {
        id: s.id,
        kind: s.kind,
        display_code: display_code(s),
        codes: s.codes.clone(),
        name: s.name.clone(),
        region: s.region.clone(),
        items: items.map(|i| i.iter().cloned().collect()).unwrap_or_default(),
        aliases: Vec::new(),
    }
}

/// The documents of `subjects` (but those merged into others: they are found as the subject they were merged
/// into), with their items and other names read from the store.
async fn docs(app: &App, subjects: &[Subject]) -> anyhow::Result<Vec<SubjectDoc>> {
    let ids: Vec<i64> = subjects.iter().filter(|s| s.merged_into.is_none()).map(|s| s.id).collect();
    let items = app.reader.subject_items(&ids).await?;
    let mut names = app.reader.subject_names(&ids).await?;
    Ok(subjects
        .iter()
        .filter(|s| s.merged_into.is_none())
        .map(|s| SubjectDoc { aliases: names.remove(&s.id).unwrap_or_default(), ..to_doc(s, items.get(&s.id)) })
        .collect())
}

/// Indexes `subjects` as they are now: merged ones are removed.
fn index(app: &App, subjects: &[Subject], docs: &[SubjectDoc]) -> anyhow::Result<()> {
    let merged: Vec<i64> = subjects.iter().filter(|s| s.merged_into.is_some()).map(|s| s.id).collect();
    app.search.remove(&merged)?;
    app.search.upsert(docs)?;
    Ok(())
}

/// Subjects gathered from the feed before they are indexed: a subject that many changes touch (one per record of a
/// large batch) is indexed once per gathering, not once per change page.
const GATHER: usize = 200_000;

/// Applies every change after the index's sequence number. Returns how many subjects were (re)indexed.
#[tracing::instrument(level = "debug", skip_all)]
/// Every record of `item` that has a subject, latest versions in id order, read `page` at a time (along the
/// `(item, id)` index): how the in-memory views are built from the store.
pub(crate) async fn scan_item(
    app: &App,
    item: &str,
    page: i64,
    mut each: impl FnMut(&credo_store::RecordView),
) -> credo_store::Result<()> {
    let mut after = 0;
    loop {
        let records = app.reader.records_of_items(&[item], after, page).await?;
        let Some(last) = records.last() else { return Ok(()) };
        after = last.id;
        records.iter().for_each(&mut each);
    }
}

pub async fn sync_search(app: &App) -> anyhow::Result<usize> {
    if !app.search.is_writable() {
        // Another process (the server) owns the index and follows the feed itself.
        app.search.reload()?;
        return Ok(0);
    }
    let _guard = app.search_sync.lock().await;
    let mut seq = read_seq(app);
    let mut total = 0;
    loop {
        // A subject changed, or one of its records did (the items it is found by): the distinct subjects of the
        // changes up to GATHER of them.
        let (mut ids, mut upto) = (BTreeSet::new(), seq);
        while ids.len() < GATHER {
            let changes = app.reader.changes_after(upto, PAGE).await?;
            let Some(last) = changes.last() else { break };
            ids.extend(changes.iter().filter(|c| c.entity == "subject").map(|c| c.entity_id));
            let records: Vec<i64> = changes.iter().filter(|c| c.entity == "record").map(|c| c.entity_id).collect();
            ids.extend(app.reader.subjects_of_records(&records).await?);
            upto = last.seq;
        }
        if upto == seq {
            break;
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        for page in ids.chunks(PAGE as usize) {
            let subjects = app.reader.subjects_by_ids(page).await?;
            index(app, &subjects, &docs(app, &subjects).await?)?;
            total += subjects.len();
        }
        app.search.commit()?;
        seq = upto;
        write_seq(app, seq)?;
    }
    Ok(total)
}

/// Rebuilds the index from the store. Returns the number of subjects indexed.
#[tracing::instrument(level = "info", skip_all)]
pub async fn reindex(app: &App) -> anyhow::Result<usize> {
    if !app.search.is_writable() {
        anyhow::bail!("搜索索引正被另一个进程(正在运行的服务)使用,请先停止服务再重建索引");
    }
    let guard = app.search_sync.lock().await;
    let upto = app.reader.last_seq().await?;
    app.search.clear()?;
    let mut after = 0;
    let mut total = 0;
    loop {
        let page = app.reader.subjects_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let docs = docs(app, &page).await?;
        app.search.upsert(&docs)?;
        total += docs.len();
    }
    app.search.commit()?;
    write_seq(app, upto)?;
    drop(guard);
    // Anything that arrived during the rebuild.
    total += sync_search(app).await?;
    compact_search(app).await?;
    Ok(total)
}

/// Merges the search index into one segment after a bulk load (a rebuild, the demo's imports), off the runtime.
pub async fn compact_search(app: &App) -> anyhow::Result<()> {
    let search = app.search.clone();
    tokio::task::spawn_blocking(move || search.compact(1)).await??;
    Ok(())
}

/// What follows the records' publicity: 示范单位 that no longer meet the standard are revoked, and 典型案例 citing a
/// record no longer public are taken down. After every batch, and every minute (a CLI import, a day's expiry).
pub async fn follow_records(app: &App) {
    if let Err(e) = crate::honours::review(app).await {
        tracing::warn!(error = %e.detail, "示范单位 review failed (the follower will try again)");
    }
    if let Err(e) = crate::articles::review(app).await {
        tracing::warn!(error = %e.detail, "典型案例 review failed (the follower will try again)");
    }
}

/// Follows the change feed forever (for the server): what other processes store (a CLI import, say) becomes
/// searchable, and counts in checks, within about a second.
pub async fn follow(app: App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut ticks: u64 = 0;
    loop {
        tick.tick().await;
        ticks += 1;
        if let Err(e) = sync_search(&app).await {
            tracing::warn!(error = %e, "search index sync failed");
        }
        if let Err(e) = app.index.sync(&app).await {
            tracing::warn!(error = %e, "restriction index sync failed");
        }
        if let Err(e) = app.listing.sync(&app).await {
            tracing::warn!(error = %e.detail, "publicity lists sync failed");
        }
        if let Err(e) = crate::grades::follow(&app).await {
            tracing::warn!(error = %e.detail, "grades sync failed");
        }
        // 示范单位 follow their records (a CLI import, a day's expiry); batches through this server review at once.
        if ticks.is_multiple_of(60) {
            follow_records(&app).await;
        }
    }
}
