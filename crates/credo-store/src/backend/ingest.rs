//! Ingest: one chunk of valid rows in one transaction. Subjects are resolved in `credo_domain::resolution`'s order
//! against what was stored before the chunk and what its earlier rows did; records are created or versioned (a
//! duplicate is skipped); everything new goes on the change feed.

use std::collections::HashMap;

use credo_domain::resolution::{Candidate, Keys, Resolution, resolve};
use sqlx::{QueryBuilder, Transaction};

use super::{Backend, Db};
use crate::records::PreparedRow;
use crate::sql::{IN_LIST, Val, rows_per_insert};
use crate::{Incoming, IngestedRow, Outcome, Prepared, Result, json, now_text};

/// Runs `{select} IN (…)` over many text values, in lists of at most [`IN_LIST`].
async fn select_in<T>(tx: &mut Transaction<'_, Db>, select: &str, values: &[&str]) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    let mut rows = Vec::new();
    for chunk in values.chunks(IN_LIST) {
        let mut q = QueryBuilder::<Db>::new(select);
        q.push(" IN (");
        let mut sep = q.separated(",");
        for v in chunk {
            sep.push_bind(*v);
        }
        q.push(")");
        rows.extend(q.build_query_as::<T>().persistent(false).fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// Looks up `code → subject_id` for many codes at once.
async fn lookup_codes(tx: &mut Transaction<'_, Db>, codes: &[&str]) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        select_in(tx, "SELECT code, subject_id FROM subject_codes WHERE code", codes).await?;
    Ok(rows.into_iter().collect())
}

/// Looks up `name_norm → [(subject_id, region)]` for many names at once.
async fn lookup_names(tx: &mut Transaction<'_, Db>, names: &[&str]) -> Result<HashMap<String, Vec<Candidate>>> {
    let mut out: HashMap<String, Vec<Candidate>> = HashMap::new();
    let mut rows: Vec<(i64, String, Option<String>)> =
        select_in(tx, "SELECT id, name_norm, region FROM subjects WHERE merged_into IS NULL AND name_norm", names)
            .await?;
    // A subject's other names (曾用名, judged, merged in) find it as its own does.
    let select = "SELECT s.id, n.name_norm, s.region FROM subject_names n JOIN subjects s ON s.id = n.subject_id \
                  WHERE s.merged_into IS NULL AND n.name_norm";
    rows.extend(select_in::<(i64, String, Option<String>)>(tx, select, names).await?);
    for (id, name_norm, region) in rows {
        let bearers = out.entry(name_norm).or_default();
        if !bearers.iter().any(|(b, _)| *b == id) {
            bearers.push((id, region));
        }
    }
    Ok(out)
}

/// Who bears each name a chunk looks up, as its rows see it: the subjects stored before the chunk, then what its
/// earlier rows did (a new subject; a registration row's name and region), so that a row resolves by name as it
/// would had the rows before it come in an earlier chunk.
struct Bearers {
    by_name: HashMap<String, Vec<Candidate>>,
    /// Each subject listed: its name key and region.
    placed: HashMap<i64, (String, Option<String>)>,
}

impl Bearers {
    fn new(by_name: HashMap<String, Vec<Candidate>>) -> Bearers {
        let placed = by_name
            .iter()
            .flat_map(|(name, c)| c.iter().map(move |(id, region)| (*id, (name.clone(), region.clone()))))
            .collect();
        Bearers { by_name, placed }
    }

    fn of(&self, name: &str) -> &[Candidate] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The region of subject `id`, if it is listed.
    fn region(&self, id: i64) -> Option<Option<String>> {
        self.placed.get(&id).map(|(_, region)| region.clone())
    }

    /// Subject `id` now bears `name` (a name key) in `region`.
    fn place(&mut self, id: i64, name: &str, region: Option<String>) {
        if let Some((old, _)) = self.placed.remove(&id)
            && let Some(bearers) = self.by_name.get_mut(&old)
        {
            bearers.retain(|(other, _)| *other != id);
        }
        self.by_name.entry(name.to_string()).or_default().push((id, region.clone()));
        self.placed.insert(id, (name.to_string(), region));
    }
}

/// A record's head as ingest finds it (by item and natural key), kept up to date through the chunk.
struct ExistingRecord {
    id: i64,
    version: i64,
    hash: String,
    /// The batch of the latest version.
    batch: i64,
}

/// A stored record's head as a chunk changes it: its version, digest, subject and decision day.
type Changed<'a> = (i64, &'a str, Option<i64>, Option<String>);

/// A new record's head as it is written (its final state within the chunk).
struct NewHead<'a> {
    id: i64,
    item: &'a str,
    /// The natural key as stored (its blind index when an ID number is in it).
    key: &'a str,
    version: i64,
    hash: &'a str,
    subject: Option<i64>,
    decided: Option<String>,
}

/// 登记状态 of a registration row (`存续`, `注销` …), if it is one.
fn registration_status(r: &Incoming) -> Option<String> {
    if !r.registration {
        return None;
    }
    r.record.subject.status.clone()
}

/// A record's head with its latest version's batch.
#[derive(sqlx::FromRow)]
struct HeadRow {
    id: i64,
    item: String,
    natural_key: String,
    latest_version: i64,
    content_hash: String,
    batch_id: i64,
}

impl Backend {
    /// [`crate::RecordStore::prepare`]: per row, what needs no lookup.
    pub(super) fn prepare_chunk(&self, rows: Vec<Incoming>) -> Result<Prepared> {
        let rows = rows
            .into_iter()
            .map(|incoming| {
                let r = &incoming.record;
                // The subject reference derives from the fields, so the fields' JSON is the whole content; the
                // digest is over the plain fields (sealing is randomised), what is stored is sealed.
                let plain = json(&r.fields);
                let hash = self.vault.digest(plain.as_bytes());
                let fields = self.vault.stored_json(&r.fields, Some(plain))?;
                let extras = (!incoming.extras.is_empty())
                    .then(|| self.vault.seal(&json(&incoming.extras), "extras"))
                    .transpose()?;
                Ok(PreparedRow {
                    primary: self.vault.subject_code(&r.subject)?,
                    legacy: r.subject.legacy.iter().map(|c| self.vault.lookup_key(c).into_owned()).collect(),
                    name: self.vault.lookup_key(&r.subject.name_norm).into_owned(),
                    natural: self.vault.lookup_key(&r.natural_key).into_owned(),
                    hash,
                    fields,
                    extras,
                    incoming,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Prepared { rows })
    }

    /// [`crate::RecordStore::ingest_prepared`]: one chunk, one transaction.
    pub(super) async fn ingest_chunk(
        &self,
        batch_id: i64,
        department_id: i64,
        prepared: &Prepared,
    ) -> Result<Vec<IngestedRow>> {
        let prepared: &[PreparedRow] = &prepared.rows;
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_text();
        // One chunk at a time (the feed lock; on SQLite the write lock that the first write below takes), so the
        // lookups below see every earlier chunk and new ids are free.
        let mut tx = self.begin_bulk().await?;
        super::feed_lock(&mut tx).await?;
        sqlx::query("UPDATE batches SET finished_at = NULL WHERE id = $1").bind(batch_id).execute(&mut *tx).await?;

        // 1. Subjects, in the order of `credo_domain::resolution`: by code (primary, then legacy), then, only for
        // a row without a primary code, by normalised name within the region. A person's ID number is keyed by
        // its blind index and stored sealed; so are legacy codes and names with an ID number written in them. The
        // codes and names of the whole chunk are looked up at once, before resolving row by row.
        let keys: Vec<Keys<'_, String>> = prepared
            .iter()
            .map(|p| Keys {
                primary: p.primary.as_ref().map(|(key, _)| key.as_str()),
                legacy: &p.legacy,
                name: &p.name,
                region: p.incoming.record.subject.region.as_deref(),
            })
            .collect();
        let mut all_codes: Vec<&str> = keys.iter().flat_map(Keys::codes).collect();
        all_codes.sort_unstable();
        all_codes.dedup();
        let mut code_map = lookup_codes(&mut tx, &all_codes).await?;
        let mut names: Vec<&str> = keys.iter().filter_map(Keys::name_lookup).collect();
        names.sort_unstable();
        names.dedup();
        let mut bearers = Bearers::new(lookup_names(&mut tx, &names).await?);

        let mut next_subject = super::next_id(&mut tx, "subjects").await?;
        // New subjects with the row that introduced them (a registration row, when there is one, wins: its
        // status and profile go straight into the INSERT) and their region.
        let mut new_subjects: Vec<(i64, &PreparedRow, &str, Option<String>)> = Vec::new();
        let mut new_index: HashMap<i64, usize> = HashMap::new();
        let mut new_codes: Vec<(String, i64)> = Vec::new();
        let mut subject_ids: Vec<Option<i64>> = Vec::with_capacity(prepared.len());
        for (p, k) in prepared.iter().zip(&keys) {
            let found = resolve(k, |code| code_map.get(code).copied(), |name| bearers.of(name));
            let r = &p.incoming;
            let s = &r.record.subject;
            let id = match (found, &p.primary) {
                (Resolution::ByCode { subject, .. } | Resolution::ByName { subject, .. }, _) => Some(subject),
                // Codes and names of new subjects count for the rest of the chunk.
                (Resolution::NewSubject, Some((key, stored))) => {
                    let id = next_subject;
                    next_subject += 1;
                    new_index.insert(id, new_subjects.len());
                    new_subjects.push((id, p, stored, s.region.clone()));
                    bearers.place(id, k.name, s.region.clone());
                    code_map.insert(key.clone(), id);
                    new_codes.push((key.clone(), id));
                    Some(id)
                }
                _ => None,
            };
            if let Some(id) = id {
                for c in k.legacy {
                    if !code_map.contains_key(&**c) {
                        code_map.insert(c.to_string(), id);
                        new_codes.push((c.to_string(), id));
                    }
                }
            }
            // Registration data describes its subject from this row on: its name, and its region if it gives one
            // (a new subject is inserted so described; a stored one is updated below).
            if let (true, Some(id)) = (r.registration, id) {
                let region = match (&s.region, bearers.region(id)) {
                    (Some(region), _) => Some(region.clone()),
                    (None, Some(listed)) => listed,
                    (None, None) => {
                        sqlx::query_scalar::<_, Option<String>>("SELECT region FROM subjects WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?
                            .flatten()
                    }
                };
                bearers.place(id, k.name, region.clone());
                if let Some(&i) = new_index.get(&id) {
                    (new_subjects[i].1, new_subjects[i].3) = (p, region);
                }
            }
            subject_ids.push(id);
        }
        // Registration data updates the subject it describes.
        let mut changes: Vec<(&str, i64, Option<i64>)> = Vec::new();
        for (p, sid) in prepared.iter().zip(&subject_ids) {
            let r = &p.incoming;
            let (true, Some(sid)) = (r.registration, sid) else {
                continue;
            };
            if new_index.contains_key(sid) {
                continue;
            }
            let profile = self.vault.stored_json(&r.record.fields, None)?;
            let s = &r.record.subject;
            // A registration under a new name: the old one becomes a 曾用名, by which records still resolve.
            sqlx::query(
                "INSERT INTO subject_names (subject_id, name, name_norm, source, since)
                 SELECT id, name, name_norm, 'former', $1 FROM subjects WHERE id = $2 AND name_norm <> $3
                 ON CONFLICT DO NOTHING",
            )
            .bind(&now)
            .bind(sid)
            .bind(&p.name)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE subjects SET name = $1, name_norm = $2, region = COALESCE($3, region), kind = $4, status = $5, profile = $6, updated_at = $7 WHERE id = $8")
                .bind(self.vault.stored_text(&s.name, "subjects.name")?)
                .bind(&p.name)
                .bind(&s.region)
                .bind(s.kind.as_str())
                .bind(registration_status(r))
                .bind(profile)
                .bind(&now)
                .bind(sid)
                .execute(&mut *tx)
                .await?;
            changes.push(("subject", *sid, None));
        }
        let new_profiles: Vec<Option<String>> = new_subjects
            .iter()
            .map(|(_, p, _, _)| {
                p.incoming.registration.then(|| self.vault.stored_json(&p.incoming.record.fields, None)).transpose()
            })
            .collect::<Result<_>>()?;
        let new_names: Vec<(String, String)> = new_subjects
            .iter()
            .map(|(_, p, _, _)| {
                Ok((self.vault.stored_text(&p.incoming.record.subject.name, "subjects.name")?, p.name.clone()))
            })
            .collect::<Result<_>>()?;
        let statuses: Vec<Option<String>> =
            new_subjects.iter().map(|(_, p, _, _)| registration_status(&p.incoming)).collect();
        let subject_rows: Vec<[Val<'_>; 10]> = new_subjects
            .iter()
            .zip(&new_profiles)
            .zip(&new_names)
            .zip(&statuses)
            .map(|((((id, r, stored, region), profile), (name, norm)), status)| {
                [
                    Val::Int(*id),
                    Val::Text(r.incoming.record.subject.kind.as_str()),
                    Val::Text(stored),
                    Val::Text(name),
                    Val::Text(norm),
                    region.as_deref().into(),
                    status.as_deref().into(),
                    profile.as_deref().into(),
                    Val::Text(&now),
                    Val::Text(&now),
                ]
            })
            .collect();
        super::insert_rows(
            &mut tx,
            "subjects",
            ["id", "kind", "code", "name", "name_norm", "region", "status", "profile", "created_at", "updated_at"],
            &subject_rows,
        )
        .await?;
        for chunk in new_codes.chunks(rows_per_insert(2)) {
            let mut q = QueryBuilder::<Db>::new("INSERT INTO subject_codes (code, subject_id) ");
            q.push_values(chunk, |mut b, (code, id)| {
                b.push_bind(code.as_str()).push_bind(*id);
            });
            q.push(" ON CONFLICT (code) DO NOTHING");
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        changes.extend(new_subjects.iter().map(|(id, ..)| ("subject", *id, None)));

        // 3. Records: find existing heads by natural key.
        let mut existing: HashMap<(String, String), ExistingRecord> = HashMap::new();
        let mut keys: Vec<(&str, &str)> =
            prepared.iter().map(|p| (p.incoming.record.item.as_str(), p.natural.as_str())).collect();
        keys.sort_unstable();
        keys.dedup();
        for chunk in keys.chunks(IN_LIST / 2) {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT r.id, r.item, r.natural_key, r.latest_version, r.content_hash, v.batch_id FROM records r \
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.latest_version WHERE r.department_id = ",
            );
            q.push_bind(department_id);
            q.push(" AND (r.item, r.natural_key) IN (VALUES ");
            let mut sep = q.separated(",");
            for (item, key) in chunk {
                sep.push("(");
                sep.push_bind_unseparated(item.to_string());
                sep.push_unseparated(",");
                sep.push_bind_unseparated(key.to_string());
                sep.push_unseparated(")");
            }
            q.push(")");
            for r in q.build_query_as::<HeadRow>().persistent(false).fetch_all(&mut *tx).await? {
                existing.insert(
                    (r.item, r.natural_key),
                    ExistingRecord { id: r.id, version: r.latest_version, hash: r.content_hash, batch: r.batch_id },
                );
            }
        }
        let mut next_record = super::next_id(&mut tx, "records").await?;
        let mut out = Vec::with_capacity(prepared.len());
        let mut new_records: Vec<(i64, &PreparedRow, Option<i64>)> = Vec::new();
        let mut updated: HashMap<i64, Changed<'_>> = HashMap::new();
        let mut versions: Vec<(i64, i64, &PreparedRow)> = Vec::new();
        for (p, sid) in prepared.iter().zip(&subject_ids) {
            let (r, hash) = (&p.incoming, p.hash.as_str());
            let key = (r.record.item.clone(), p.natural.clone());
            let decided = r.record.decided_on.map(|d| d.to_string());
            let mut existing_batch = None;
            let (id, version, outcome) = match existing.get_mut(&key) {
                Some(e) if e.hash == hash => {
                    existing_batch = Some(e.batch);
                    (e.id, e.version, Outcome::Duplicate)
                }
                Some(e) => {
                    e.version += 1;
                    e.hash = hash.to_string();
                    e.batch = batch_id;
                    updated.insert(e.id, (e.version, hash, *sid, decided));
                    (e.id, e.version, Outcome::Versioned)
                }
                None => {
                    let id = next_record;
                    next_record += 1;
                    existing.insert(key, ExistingRecord { id, version: 1, hash: hash.to_string(), batch: batch_id });
                    new_records.push((id, p, *sid));
                    (id, 1, Outcome::Created)
                }
            };
            if outcome != Outcome::Duplicate {
                versions.push((id, version, p));
                changes.push(("record", id, Some(version)));
            }
            out.push(IngestedRow { row: r.row, record_id: id, version, outcome, subject_id: *sid, existing_batch });
        }
        // A record created and then changed within the chunk is inserted with its final head.
        let heads: Vec<NewHead<'_>> = new_records
            .iter()
            .map(|(id, p, sid)| {
                let (version, hash, subject, decided) = match updated.remove(id) {
                    Some((v, h, s, d)) => (v, h, s, d),
                    None => (1, p.hash.as_str(), *sid, p.incoming.record.decided_on.map(|d| d.to_string())),
                };
                NewHead { id: *id, item: &p.incoming.record.item, key: &p.natural, version, hash, subject, decided }
            })
            .collect();
        let record_rows: Vec<[Val<'_>; 8]> = heads
            .iter()
            .map(|h| {
                [
                    Val::Int(h.id),
                    Val::Text(h.item),
                    Val::Int(department_id),
                    Val::Text(h.key),
                    h.subject.into(),
                    Val::Int(h.version),
                    Val::Text(h.hash),
                    h.decided.as_deref().into(),
                ]
            })
            .collect();
        super::insert_rows(
            &mut tx,
            "records",
            [
                "id",
                "item",
                "department_id",
                "natural_key",
                "subject_id",
                "latest_version",
                "content_hash",
                "decided_on",
            ],
            &record_rows,
        )
        .await?;
        for (id, (version, hash, sid, decided)) in updated {
            sqlx::query("UPDATE records SET latest_version = $1, content_hash = $2, subject_id = COALESCE($3, subject_id), decided_on = $4 WHERE id = $5")
                .bind(version)
                .bind(hash)
                .bind(sid)
                .bind(decided)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let version_rows: Vec<[Val<'_>; 7]> = versions
            .iter()
            .map(|(id, version, p)| {
                [
                    Val::Int(*id),
                    Val::Int(*version),
                    Val::Int(batch_id),
                    Val::Text(&now),
                    Val::Text(&p.hash),
                    Val::Text(&p.fields),
                    p.extras.as_deref().into(),
                ]
            })
            .collect();
        super::insert_rows(
            &mut tx,
            "record_versions",
            ["record_id", "version", "batch_id", "received_at", "content_hash", "fields", "extras"],
            &version_rows,
        )
        .await?;
        let change_rows: Vec<[Val<'_>; 4]> = changes
            .iter()
            .map(|(entity, id, version)| [Val::Text(entity), Val::Int(*id), (*version).into(), Val::Text(&now)])
            .collect();
        super::insert_rows(&mut tx, "changes", ["entity", "entity_id", "version", "at"], &change_rows).await?;
        tx.commit().await?;
        Ok(out)
    }
}
