//! Sealing what an earlier version of the store left readable.
//!
//! Before ID numbers were recognised in every written form ([`credo_domain::masking`]), the store sealed only
//! 证件号码 fields and text holding a standalone, valid 18-digit number. A name such as `张三110101199003071234`, a
//! legacy 15-digit number, full-width digits or digits in spaced groups stayed readable in `subjects.name` and
//! `name_norm`, `records.natural_key`, `subject_codes`, and the fields' JSON of record versions and profiles.
//! [`run`] seals and blinds them as the store does today, once per database (`PRAGMA user_version`), in one
//! `BEGIN IMMEDIATE` transaction (a second process opening the database meanwhile waits, then finds it done), with
//! `secure_delete` on so the replaced text does not linger in free space. Subjects whose name it sealed go on the
//! change feed, so the search index re-indexes them masked; `credo reindex` also drops the old index files.

use std::collections::BTreeMap;

use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::{Result, Vault, json, now_text};

/// The `user_version` of a database with nothing left to reseal.
const RESEALED: i64 = 1;
/// Rows read at a time.
const PAGE: i64 = 2_000;

/// Reseals the database once (a no-op when it is new or done).
pub(crate) async fn run(pool: &SqlitePool, vault: &Vault) -> Result<()> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(pool).await?;
    if version >= RESEALED {
        return Ok(());
    }
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let done = reseal(&mut conn, vault).await;
    let end = if done.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = sqlx::query(end).execute(&mut *conn).await;
    sqlx::query("PRAGMA secure_delete = OFF").execute(&mut *conn).await?;
    done?;
    ended?;
    Ok(())
}

/// A JSON map of fields with the values that hold an ID number sealed; `None` when nothing changes.
fn resealed_fields(vault: &Vault, stored: &str) -> Result<Option<String>> {
    let Ok(fields) = serde_json::from_str::<BTreeMap<String, String>>(stored) else { return Ok(None) };
    Ok(vault.reseal_fields(&fields)?.map(|f| json(&f)))
}

async fn reseal(conn: &mut SqliteConnection, vault: &Vault) -> Result<()> {
    // Another process may have finished while this one waited for the lock.
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *conn).await?;
    if version >= RESEALED {
        return Ok(());
    }
    let now = now_text();

    // Subjects: the name sealed, the normalised name keyed blind, the registration profile's fields.
    let mut after = 0_i64;
    loop {
        let rows = sqlx::query("SELECT id, name, name_norm, profile FROM subjects WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("id")?;
        for r in &rows {
            let (name, norm): (String, String) = (r.try_get("name")?, r.try_get("name_norm")?);
            let sealed_name =
                if Vault::is_sealed(&name) { None } else { Some(vault.stored_text(&name, "subjects.name")?) };
            let sealed_name = sealed_name.filter(|n| *n != name);
            let blind_norm =
                Some(vault.lookup_key(&norm).into_owned()).filter(|k| *k != norm && !Vault::is_blind(&norm));
            let profile = match r.try_get::<Option<String>, _>("profile")? {
                Some(p) => resealed_fields(vault, &p)?,
                None => None,
            };
            if sealed_name.is_none() && blind_norm.is_none() && profile.is_none() {
                continue;
            }
            let id: i64 = r.try_get("id")?;
            sqlx::query(
                "UPDATE subjects SET name = COALESCE(?, name), name_norm = COALESCE(?, name_norm),
                 profile = COALESCE(?, profile) WHERE id = ?",
            )
            .bind(&sealed_name)
            .bind(blind_norm)
            .bind(profile)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            if sealed_name.is_some() {
                sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ('subject', ?, NULL, ?)")
                    .bind(id)
                    .bind(&now)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }

    // Natural keys (a 文书号 or 许可证号 made of an ID number) keyed blind.
    let mut after = 0_i64;
    loop {
        let rows = sqlx::query("SELECT id, natural_key FROM records WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("id")?;
        for r in &rows {
            let key: String = r.try_get("natural_key")?;
            if Vault::is_blind(&key) || vault.lookup_key(&key) == key {
                continue;
            }
            sqlx::query("UPDATE records SET natural_key = ? WHERE id = ?")
                .bind(vault.lookup_key(&key).into_owned())
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut *conn)
                .await?;
        }
    }

    // Legacy codes (a 税务登记号 made of an ID number) keyed blind.
    let mut after = String::new();
    loop {
        let rows = sqlx::query("SELECT code, subject_id FROM subject_codes WHERE code > ? ORDER BY code LIMIT ?")
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("code")?;
        for r in &rows {
            let code: String = r.try_get("code")?;
            if Vault::is_blind(&code) || vault.lookup_key(&code) == code {
                continue;
            }
            sqlx::query("INSERT INTO subject_codes (code, subject_id) VALUES (?, ?) ON CONFLICT (code) DO NOTHING")
                .bind(vault.lookup_key(&code).into_owned())
                .bind(r.try_get::<i64, _>("subject_id")?)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM subject_codes WHERE code = ?").bind(&code).execute(&mut *conn).await?;
        }
    }

    // Every version's fields (the content hash is over the plain fields and stays as it is).
    let mut after = (0_i64, 0_i64);
    loop {
        let rows = sqlx::query(
            "SELECT record_id, version, fields FROM record_versions WHERE (record_id, version) > (?, ?)
             ORDER BY record_id, version LIMIT ?",
        )
        .bind(after.0)
        .bind(after.1)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = (last.try_get("record_id")?, last.try_get("version")?);
        for r in &rows {
            let Some(fields) = resealed_fields(vault, &r.try_get::<String, _>("fields")?)? else { continue };
            sqlx::query("UPDATE record_versions SET fields = ? WHERE record_id = ? AND version = ?")
                .bind(fields)
                .bind(r.try_get::<i64, _>("record_id")?)
                .bind(r.try_get::<i64, _>("version")?)
                .execute(&mut *conn)
                .await?;
        }
    }

    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA user_version = {RESEALED}"))).execute(&mut *conn).await?;
    Ok(())
}
