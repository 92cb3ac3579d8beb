//! Re-keying ([`crate::rekey`]): the work, one transaction per item, on either backend.

use std::collections::{BTreeMap, HashMap};

use credo_domain::catalog::{Catalog, Item};
use credo_domain::resolution::{Candidate, Keys, resolve};
use sqlx::Row;

use super::Db;
use crate::{MovedVersions, Rekeyed, Result, StoreError, Vault, json, now_text};

/// A connection of this backend.
type Conn = <Db as sqlx::Database>::Connection;

/// Versions read at a time.
const PAGE: i64 = 2_000;

/// Re-keys every item whose stored keys were built with another definition than the catalog's.
pub(super) async fn run(pool: &sqlx::Pool<Db>, vault: &Vault, catalog: &Catalog) -> Result<Vec<Rekeyed>> {
    let mut out = Vec::new();
    for item in catalog.items.values() {
        let definition = json(&item.natural_key);
        if stored_definition(pool, &item.code).await?.as_deref() == Some(definition.as_str()) {
            continue;
        }
        let mut tx = super::begin_write(pool).await?;
        match rekey_item(&mut tx, vault, item, &definition).await {
            Ok(done) => {
                tx.commit().await?;
                out.extend(done);
            }
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        }
    }
    Ok(out)
}

async fn stored_definition<'e>(db: impl sqlx::Executor<'e, Database = Db>, item: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT key_fields FROM item_keys WHERE item = $1").bind(item).fetch_optional(db).await?)
}

/// One stored version: its number, its key under the new definition and its content hash.
/// A record's versions that share one new key.
type KeyGroup<'a> = (String, Vec<&'a Version>);

struct Version {
    version: i64,
    key: String,
    hash: String,
}

struct Head {
    id: i64,
    department_id: i64,
    key: String,
}

async fn rekey_item(conn: &mut Conn, vault: &Vault, item: &Item, definition: &str) -> Result<Vec<Rekeyed>> {
    // Another process may have finished while this one waited for the lock.
    if stored_definition(&mut *conn, &item.code).await?.as_deref() == Some(definition) {
        return Ok(Vec::new());
    }
    let heads: Vec<Head> =
        sqlx::query("SELECT id, department_id, natural_key FROM records WHERE item = $1 ORDER BY id")
            .bind(&item.code)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(Head {
                    id: r.try_get("id")?,
                    department_id: r.try_get("department_id")?,
                    key: r.try_get("natural_key")?,
                })
            })
            .collect::<Result<_>>()?;

    // Every version's key under the new definition, from its opened fields.
    let mut versions: HashMap<i64, Vec<Version>> = HashMap::new();
    let mut after = (0_i64, 0_i64);
    loop {
        let rows = sqlx::query(
            "SELECT v.record_id, v.version, v.fields, v.content_hash FROM record_versions v
             JOIN records r ON r.id = v.record_id
             WHERE r.item = $1 AND (v.record_id, v.version) > ($2, $3)
             ORDER BY v.record_id, v.version LIMIT $4",
        )
        .bind(&item.code)
        .bind(after.0)
        .bind(after.1)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = (last.try_get("record_id")?, last.try_get("version")?);
        for r in &rows {
            let fields = vault.open_stored(&r.try_get::<String, _>("fields")?)?;
            versions.entry(r.try_get("record_id")?).or_default().push(Version {
                version: r.try_get("version")?,
                key: vault.lookup_key(&item.natural_key_of(&fields)).into_owned(),
                hash: r.try_get("content_hash")?,
            });
        }
    }

    // The records whose key changes, each with its versions grouped by key (groups in the order they first appear).
    let mut plans: Vec<(&Head, Vec<KeyGroup<'_>>)> = Vec::new();
    for head in &heads {
        let Some(vs) = versions.get(&head.id) else { continue };
        let mut groups: Vec<KeyGroup<'_>> = Vec::new();
        for v in vs {
            match groups.iter_mut().find(|(k, _)| *k == v.key) {
                Some((_, g)) => g.push(v),
                None => groups.push((v.key.clone(), vec![v])),
            }
        }
        if groups.len() > 1 || groups[0].0 != head.key {
            plans.push((head, groups));
        }
    }

    // Out of the way first, so that a new key may be one that another record is about to give up.
    for (head, _) in &plans {
        sqlx::query("UPDATE records SET natural_key = $1 WHERE id = $2")
            .bind(format!("\u{1}rekey:{}", head.id))
            .bind(head.id)
            .execute(&mut *conn)
            .await?;
    }
    let at = now_text();
    let mut next_record: i64 =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM records").fetch_one(&mut *conn).await?.unwrap_or(0)
            + 1;
    let mut out = Vec::with_capacity(plans.len());
    for (head, groups) in plans {
        let latest = groups.iter().max_by_key(|(_, g)| g.last().map(|v| v.version)).map(|(k, _)| k.clone());
        let latest = latest.unwrap_or_default();
        let mut moved = Vec::new();
        for (key, group) in groups.iter().filter(|(k, _)| *k != latest) {
            let id = next_record;
            next_record += 1;
            let last = group.last().map(|v| v.version).unwrap_or_default();
            let fields: String =
                sqlx::query_scalar("SELECT fields FROM record_versions WHERE record_id = $1 AND version = $2")
                    .bind(head.id)
                    .bind(last)
                    .fetch_one(&mut *conn)
                    .await?;
            let fields = vault.open_stored(&fields)?;
            let subject = resolve_subject(conn, vault, item, &fields).await?;
            let decided = item.decision_date.as_ref().and_then(|f| fields.get(f)).cloned();
            let hash = group.last().map(|v| v.hash.clone()).unwrap_or_default();
            insert_head(conn, id, item, head.department_id, key, subject, group.len() as i64, &hash, decided).await?;
            let mut pairs = Vec::with_capacity(group.len());
            for (n, v) in group.iter().enumerate() {
                let new = n as i64 + 1;
                move_version(conn, (head.id, v.version), (id, new)).await?;
                pairs.push((v.version, new));
            }
            change(conn, "record", id, Some(group.len() as i64), None, &at).await?;
            moved.push(MovedVersions { record_id: id, key: key.clone(), versions: pairs });
        }
        // The record keeps the versions of its latest key, renumbered in order (a freed number is always below).
        let kept_versions = groups.iter().find(|(k, _)| *k == latest).map(|(_, g)| g.as_slice()).unwrap_or_default();
        let mut kept = Vec::new();
        if !moved.is_empty() {
            for (n, v) in kept_versions.iter().enumerate() {
                let new = n as i64 + 1;
                if new != v.version {
                    move_version(conn, (head.id, v.version), (head.id, new)).await?;
                }
                kept.push((v.version, new));
            }
        }
        let done = sqlx::query("UPDATE records SET natural_key = $1, latest_version = $2 WHERE id = $3")
            .bind(&latest)
            .bind(kept_versions.len() as i64)
            .bind(head.id)
            .execute(&mut *conn)
            .await;
        match done {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "目录项 {} 按新的自然键 {:?} 重新计算后,记录 {} 与同一部门的另一条记录键值相同;未作任何改动,请人工核对后再合并",
                    item.code, item.natural_key, head.id
                )));
            }
            other => other?,
        };
        if !moved.is_empty() {
            change(conn, "record", head.id, Some(kept_versions.len() as i64), None, &at).await?;
        }
        let r = Rekeyed {
            item: item.code.clone(),
            record_id: head.id,
            old_key: head.key.clone(),
            new_key: latest,
            kept,
            moved,
        };
        change(conn, "rekey", head.id, None, Some(json(&r)), &at).await?;
        out.push(r);
    }
    sqlx::query(
        "INSERT INTO item_keys (item, key_fields, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (item) DO UPDATE SET key_fields = excluded.key_fields, updated_at = excluded.updated_at",
    )
    .bind(&item.code)
    .bind(definition)
    .bind(&at)
    .execute(&mut *conn)
    .await?;
    Ok(out)
}

#[expect(clippy::too_many_arguments, reason = "one row of the records table")]
async fn insert_head(
    conn: &mut Conn,
    id: i64,
    item: &Item,
    department_id: i64,
    key: &str,
    subject: Option<i64>,
    latest_version: i64,
    hash: &str,
    decided_on: Option<String>,
) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO records (id, item, department_id, natural_key, subject_id, latest_version, content_hash, decided_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(&item.code)
    .bind(department_id)
    .bind(key)
    .bind(subject)
    .bind(latest_version)
    .bind(hash)
    .bind(decided_on)
    .execute(&mut *conn)
    .await;
    match done {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
            "目录项 {} 按新的自然键拆分出的记录与同一部门已有的记录键值相同;未作任何改动,请人工核对后再合并",
            item.code
        ))),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Moves one version (and a publicity expiry recorded for it) to another record or number.
async fn move_version(conn: &mut Conn, from: (i64, i64), to: (i64, i64)) -> Result<()> {
    for table in ["record_versions", "publicity_expiries"] {
        let sql = format!("UPDATE {table} SET record_id = $1, version = $2 WHERE record_id = $3 AND version = $4");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.0)
            .bind(to.1)
            .bind(from.0)
            .bind(from.1)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn change(
    conn: &mut Conn,
    entity: &str,
    id: i64,
    version: Option<i64>,
    detail: Option<String>,
    at: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO changes (entity, entity_id, version, at, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(entity)
        .bind(id)
        .bind(version)
        .bind(at)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The subject a split-off record is about, found as ingest finds it ([`credo_domain::resolution`]): by its code, a
/// legacy code, else by name within its region (only when it carries no code). `None`: it waits in the unresolved
/// queue (also when it carries a code no subject has: re-keying creates no subjects).
async fn resolve_subject(
    conn: &mut Conn,
    vault: &Vault,
    item: &Item,
    fields: &BTreeMap<String, String>,
) -> Result<Option<i64>> {
    let s = item.subject_ref(fields);
    let primary = vault.subject_code(&s)?.map(|(key, _)| key);
    let legacy: Vec<String> = s.legacy.iter().map(|c| vault.lookup_key(c).into_owned()).collect();
    let name = vault.lookup_key(&s.name_norm);
    let keys = Keys { primary: primary.as_deref(), legacy: &legacy, name: &name, region: s.region.as_deref() };
    let mut known: HashMap<&str, i64> = HashMap::new();
    for code in keys.codes() {
        let found: Option<i64> = sqlx::query_scalar("SELECT subject_id FROM subject_codes WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        known.extend(found.map(|id| (code, id)));
    }
    let candidates: Vec<Candidate> = match keys.name_lookup() {
        Some(name) => {
            sqlx::query_as(
                "SELECT id, region FROM subjects WHERE merged_into IS NULL AND (name_norm = $1
                 OR id IN (SELECT subject_id FROM subject_names WHERE name_norm = $1))",
            )
            .bind(name)
            .fetch_all(&mut *conn)
            .await?
        }
        None => Vec::new(),
    };
    Ok(resolve(&keys, |code| known.get(code).copied(), |_| candidates).subject())
}
