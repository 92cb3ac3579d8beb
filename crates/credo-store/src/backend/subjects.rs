//! Subjects, read with all their codes.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use credo_domain::name::normalize_name;

use super::Backend;
use crate::sql::{IN_LIST, kind_of};
use crate::{Result, Subject, SubjectStore, Vault};

/// A subject joined with one of its codes (`known_code`): a subject with several codes comes as several rows.
#[derive(sqlx::FromRow)]
struct SubjectRow {
    id: i64,
    kind: String,
    /// Sealed when it is an ID number.
    code: Option<String>,
    /// Sealed when an ID number is written in it.
    name: String,
    /// The blind index of the normal form when the name is sealed.
    name_norm: String,
    region: Option<String>,
    status: Option<String>,
    /// Registration fields (JSON), those with an ID number sealed.
    profile: Option<String>,
    merged_into: Option<i64>,
    known_code: Option<String>,
}

impl SubjectRow {
    fn open(self, vault: &Vault) -> Result<Subject> {
        let profile = match self.profile.and_then(|p| serde_json::from_str::<BTreeMap<String, String>>(&p).ok()) {
            Some(mut fields) => {
                vault.open_fields(&mut fields)?;
                Some(serde_json::to_value(fields).unwrap_or_default())
            }
            None => None,
        };
        // A name with an ID number written in it is sealed, and keyed by the blind index of its normal form.
        let name = vault.open(self.name, "subjects.name")?;
        let name_norm = if Vault::is_blind(&self.name_norm) { normalize_name(&name) } else { self.name_norm };
        Ok(Subject {
            id: self.id,
            kind: kind_of(&self.kind)?,
            code: self.code.map(|c| vault.open(c, "subjects.code")).transpose()?,
            name,
            name_norm,
            region: self.region,
            status: self.status,
            profile,
            codes: self.known_code.into_iter().collect(),
            merged_into: self.merged_into,
        })
    }
}

impl Backend {
    /// Subjects chosen by `clause` (over `subjects`), each with all its codes, in one query: the codes are
    /// joined in and folded back, so reading a subject costs one round trip to the database.
    async fn subjects_where(&self, clause: &str, bind: Vec<i64>, text: &[&str]) -> Result<Vec<Subject>> {
        self.subjects_with(clause, bind, text, "s.profile").await
    }

    /// [`Backend::subjects_where`] with `profile` as the profile column (a NULL leaves it unread and unopened).
    async fn subjects_with(&self, clause: &str, bind: Vec<i64>, text: &[&str], profile: &str) -> Result<Vec<Subject>> {
        let sql = format!(
            "SELECT s.id, s.kind, s.code, s.name, s.name_norm, s.region, s.status, {profile} AS profile, s.merged_into,
                    c.code AS known_code
             FROM subjects s LEFT JOIN subject_codes c ON c.subject_id = s.id
             WHERE s.id IN (SELECT id FROM subjects WHERE {clause})
             ORDER BY s.id, c.code"
        );
        // Fixed clauses and short lists are worth a cached prepared statement; lists of every length are not.
        let cache = !clause.contains(" IN (") || bind.len() + text.len() <= 4;
        let mut q = sqlx::query_as::<_, SubjectRow>(sqlx::AssertSqlSafe(sql)).persistent(cache);
        for t in text {
            q = q.bind(t.to_string());
        }
        for b in bind {
            q = q.bind(b);
        }
        let mut out: Vec<Subject> = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            if let Some(last) = out.last_mut().filter(|s| s.id == r.id) {
                last.codes.extend(r.known_code);
                continue;
            }
            out.push(r.open(&self.vault)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl SubjectStore for Backend {
    async fn subject_by_code(&self, code: &str) -> Result<Option<Subject>> {
        Ok(self.subjects_by_codes(&[code]).await?.remove(code))
    }

    async fn subjects_by_codes(&self, codes: &[&str]) -> Result<HashMap<String, Subject>> {
        // One query per chunk: the subjects with their codes; a code asked for is found as itself or as its blind
        // index among them.
        let mut out = HashMap::with_capacity(codes.len());
        for chunk in codes.chunks(IN_LIST / 2) {
            let keys: Vec<[String; 2]> = chunk.iter().map(|c| self.vault.lookup_keys(c)).collect();
            let flat: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
            let clause =
                format!("id IN (SELECT subject_id FROM subject_codes WHERE code IN ({}))", super::marks(flat.len()));
            let subjects = self.subjects_where(&clause, vec![], &flat).await?;
            let by_code: HashMap<&str, &Subject> =
                subjects.iter().flat_map(|s| s.codes.iter().map(move |c| (c.as_str(), s))).collect();
            for (code, [plain, blind]) in chunk.iter().zip(&keys) {
                if let Some(s) = by_code.get(plain.as_str()).or_else(|| by_code.get(blind.as_str())) {
                    out.insert(code.to_string(), (*s).clone());
                }
            }
        }
        Ok(out)
    }

    async fn subject(&self, id: i64) -> Result<Option<Subject>> {
        Ok(self.subjects_where("id = $1", vec![id], &[]).await?.pop())
    }

    async fn subjects_by_ids(&self, ids: &[i64]) -> Result<Vec<Subject>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            let clause = format!("id IN ({}) ORDER BY id", super::marks(chunk.len()));
            out.extend(self.subjects_where(&clause, chunk.to_vec(), &[]).await?);
        }
        Ok(out)
    }

    async fn subjects_after(&self, after: i64, limit: i64) -> Result<Vec<Subject>> {
        self.subjects_with("id > $1 ORDER BY id LIMIT $2", vec![after, limit], &[], "CAST(NULL AS TEXT)").await
    }

    async fn subjects_by_name(&self, name_norm: &str) -> Result<Vec<Subject>> {
        // Its own name, or one of its other names (曾用名, judged, merged in); never a subject merged into another.
        let clause = "merged_into IS NULL AND (name_norm = $1 OR id IN (SELECT subject_id FROM subject_names WHERE name_norm = $1)) ORDER BY id";
        self.subjects_where(clause, vec![], &[&self.vault.lookup_key(name_norm)]).await
    }
}
