//! Judgements and what a same judgement changes (see `crate::judgements`).

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::json;

use super::{Backend, Db};
use crate::sql::parse_time;
use crate::{Decision, Judgement, JudgementStore, NewJudgement, Result, StoreError, Target, now_text};

type Tx = sqlx::Transaction<'static, Db>;

#[derive(sqlx::FromRow)]
struct JudgementRow {
    id: i64,
    target: String,
    subject_id: i64,
    decision: String,
    reason: String,
    actor: String,
    department_id: Option<i64>,
    at: String,
    effect: Option<String>,
    undone_at: Option<String>,
    undone_by: Option<String>,
}

const COLUMNS: &str =
    "id, target, subject_id, decision, reason, actor, department_id, at, effect, undone_at, undone_by";

impl TryFrom<JudgementRow> for Judgement {
    type Error = StoreError;
    fn try_from(r: JudgementRow) -> Result<Judgement> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("judgement {}: {what}", r.id));
        Ok(Judgement {
            id: r.id,
            target: Target::parse(&r.target).ok_or_else(|| corrupt(&r.target))?,
            subject_id: r.subject_id,
            decision: Decision::parse(&r.decision).ok_or_else(|| corrupt(&r.decision))?,
            reason: r.reason.clone(),
            actor: r.actor.clone(),
            department_id: r.department_id,
            at: parse_time(&r.at)?,
            effect: r.effect.as_deref().and_then(|e| serde_json::from_str(e).ok()),
            undone_at: r.undone_at.as_deref().map(parse_time).transpose()?,
            undone_by: r.undone_by.clone(),
        })
    }
}

async fn change(tx: &mut Tx, entity: &str, id: i64, version: Option<i64>, at: &str) -> Result<()> {
    sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ($1, $2, $3, $4)")
        .bind(entity)
        .bind(id)
        .bind(version)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A feed entry for each record (its latest version): their subject changed.
async fn record_changes(tx: &mut Tx, records: &[i64], at: &str) -> Result<()> {
    for id in records {
        let version: Option<i64> = sqlx::query_scalar("SELECT latest_version FROM records WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        change(tx, "record", *id, version, at).await?;
    }
    Ok(())
}

fn conflict(message: impl Into<String>) -> StoreError {
    StoreError::Conflict(message.into())
}

/// A subject that is not merged into another (a conflict otherwise).
async fn live_subject(tx: &mut Tx, id: i64) -> Result<()> {
    let merged: Option<Option<i64>> =
        sqlx::query_scalar("SELECT merged_into FROM subjects WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    match merged {
        None => Err(StoreError::NotFound(format!("subject {id}"))),
        Some(Some(into)) => Err(conflict(format!("主体 {id} 已并入主体 {into}"))),
        Some(None) => Ok(()),
    }
}

impl Backend {
    /// Applies a same judgement: what it changed, as its effect.
    async fn apply_same(&self, tx: &mut Tx, j: &NewJudgement, id: i64, at: &str) -> Result<serde_json::Value> {
        let s = j.subject_id;
        live_subject(tx, s).await?;
        match &j.target {
            Target::Record(record) => {
                let linked = sqlx::query("UPDATE records SET subject_id = $1 WHERE id = $2 AND subject_id IS NULL")
                    .bind(s)
                    .bind(record)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                if linked == 0 {
                    return Err(conflict(format!("记录 {record} 不在待匹配队列中")));
                }
                let mut alias = false;
                if let Some(name) = &j.alias {
                    let norm = credo_domain::name::normalize_name(name);
                    let key = self.vault.lookup_key(&norm).into_owned();
                    let own: Option<String> = sqlx::query_scalar("SELECT name_norm FROM subjects WHERE id = $1")
                        .bind(s)
                        .fetch_optional(&mut **tx)
                        .await?;
                    if own.as_deref() != Some(key.as_str()) {
                        alias = sqlx::query(
                            "INSERT INTO subject_names (subject_id, name, name_norm, source, judgement_id, since)
                             VALUES ($1, $2, $3, 'judgement', $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(s)
                        .bind(self.vault.stored_text(name, "subject_names.name")?)
                        .bind(&key)
                        .bind(id)
                        .bind(at)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected()
                            == 1;
                    }
                }
                record_changes(tx, &[*record], at).await?;
                change(tx, "subject", s, None, at).await?;
                Ok(json!({ "record": record, "alias": alias }))
            }
            Target::Subject(b) => {
                if *b == s {
                    return Err(conflict("不能将主体与其自身合并"));
                }
                live_subject(tx, *b).await?;
                let codes: Vec<String> =
                    sqlx::query_scalar("SELECT code FROM subject_codes WHERE subject_id = $1 ORDER BY code")
                        .bind(b)
                        .fetch_all(&mut **tx)
                        .await?;
                let records: Vec<i64> = sqlx::query_scalar("SELECT id FROM records WHERE subject_id = $1 ORDER BY id")
                    .bind(b)
                    .fetch_all(&mut **tx)
                    .await?;
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT name_norm FROM subject_names WHERE subject_id = $1 ORDER BY name_norm")
                        .bind(b)
                        .fetch_all(&mut **tx)
                        .await?;
                // Names the subject has already stay with the merged one (the key is the subject and the name).
                let mut moved_names = Vec::new();
                for n in &names {
                    let moved = sqlx::query(
                        "UPDATE subject_names SET subject_id = $1 WHERE subject_id = $2 AND name_norm = $3
                         AND NOT EXISTS (SELECT 1 FROM subject_names x WHERE x.subject_id = $1 AND x.name_norm = $3)",
                    )
                    .bind(s)
                    .bind(b)
                    .bind(n)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    if moved == 1 {
                        moved_names.push(n.clone());
                    }
                }
                sqlx::query("UPDATE subject_codes SET subject_id = $1 WHERE subject_id = $2")
                    .bind(s)
                    .bind(b)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("UPDATE records SET subject_id = $1 WHERE subject_id = $2")
                    .bind(s)
                    .bind(b)
                    .execute(&mut **tx)
                    .await?;
                let alias = sqlx::query(
                    "INSERT INTO subject_names (subject_id, name, name_norm, source, judgement_id, since)
                     SELECT $1, b.name, b.name_norm, 'merged', $2, $3 FROM subjects b, subjects s
                     WHERE b.id = $4 AND s.id = $1 AND b.name_norm <> s.name_norm
                     ON CONFLICT DO NOTHING",
                )
                .bind(s)
                .bind(id)
                .bind(at)
                .bind(b)
                .execute(&mut **tx)
                .await?
                .rows_affected()
                    == 1;
                sqlx::query("UPDATE subjects SET merged_into = $1 WHERE id = $2")
                    .bind(s)
                    .bind(b)
                    .execute(&mut **tx)
                    .await?;
                record_changes(tx, &records, at).await?;
                change(tx, "subject", s, None, at).await?;
                change(tx, "subject", *b, None, at).await?;
                Ok(json!({ "merged": b, "codes": codes, "records": records, "names": moved_names, "alias": alias }))
            }
            Target::Code(code) => {
                let key = self.vault.lookup_key(code).into_owned();
                let holder: Option<i64> = sqlx::query_scalar("SELECT subject_id FROM subject_codes WHERE code = $1")
                    .bind(&key)
                    .fetch_optional(&mut **tx)
                    .await?;
                match holder {
                    Some(h) if h == s => return Err(conflict(format!("代码 {code} 已属于该主体"))),
                    Some(h) => {
                        return Err(conflict(format!(
                            "代码 {code} 已属于主体 {h}:若两者是同一主体,请对主体 {h} 作出“同一主体”的判断(合并)"
                        )));
                    }
                    None => {}
                }
                sqlx::query("INSERT INTO subject_codes (code, subject_id) VALUES ($1, $2)")
                    .bind(&key)
                    .bind(s)
                    .execute(&mut **tx)
                    .await?;
                change(tx, "subject", s, None, at).await?;
                Ok(json!({ "code": key }))
            }
        }
    }

    /// Changes back what a same judgement changed (what has moved on since stays).
    async fn unapply(&self, tx: &mut Tx, j: &Judgement, at: &str) -> Result<()> {
        let Some(effect) = &j.effect else { return Ok(()) };
        let s = j.subject_id;
        let ids = |k: &str| -> Vec<i64> {
            effect[k].as_array().map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect()).unwrap_or_default()
        };
        let texts = |k: &str| -> Vec<String> {
            effect[k]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let alias = effect["alias"].as_bool().unwrap_or(false);
        let drop_alias = async |tx: &mut Tx| -> Result<()> {
            if alias {
                sqlx::query("DELETE FROM subject_names WHERE subject_id = $1 AND judgement_id = $2")
                    .bind(s)
                    .bind(j.id)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        };
        match &j.target {
            Target::Record(record) => {
                let unlinked = sqlx::query("UPDATE records SET subject_id = NULL WHERE id = $1 AND subject_id = $2")
                    .bind(record)
                    .bind(s)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                drop_alias(tx).await?;
                if unlinked == 1 {
                    record_changes(tx, &[*record], at).await?;
                }
                change(tx, "subject", s, None, at).await?;
            }
            Target::Subject(b) => {
                for code in texts("codes") {
                    sqlx::query("UPDATE subject_codes SET subject_id = $1 WHERE code = $2 AND subject_id = $3")
                        .bind(b)
                        .bind(&code)
                        .bind(s)
                        .execute(&mut **tx)
                        .await?;
                }
                let records = ids("records");
                for r in &records {
                    sqlx::query("UPDATE records SET subject_id = $1 WHERE id = $2 AND subject_id = $3")
                        .bind(b)
                        .bind(r)
                        .bind(s)
                        .execute(&mut **tx)
                        .await?;
                }
                for n in texts("names") {
                    sqlx::query("UPDATE subject_names SET subject_id = $1 WHERE subject_id = $2 AND name_norm = $3")
                        .bind(b)
                        .bind(s)
                        .bind(&n)
                        .execute(&mut **tx)
                        .await?;
                }
                drop_alias(tx).await?;
                sqlx::query("UPDATE subjects SET merged_into = NULL WHERE id = $1 AND merged_into = $2")
                    .bind(b)
                    .bind(s)
                    .execute(&mut **tx)
                    .await?;
                record_changes(tx, &records, at).await?;
                change(tx, "subject", s, None, at).await?;
                change(tx, "subject", *b, None, at).await?;
            }
            Target::Code(_) => {
                if let Some(key) = effect["code"].as_str() {
                    sqlx::query("DELETE FROM subject_codes WHERE code = $1 AND subject_id = $2")
                        .bind(key)
                        .bind(s)
                        .execute(&mut **tx)
                        .await?;
                }
                change(tx, "subject", s, None, at).await?;
            }
        }
        Ok(())
    }

    async fn judgements_where(&self, clause: &str, text: Option<String>, int: Option<i64>) -> Result<Vec<Judgement>> {
        let sql = format!("SELECT {COLUMNS} FROM judgements WHERE {clause}");
        let mut q = sqlx::query_as::<_, JudgementRow>(sqlx::AssertSqlSafe(sql));
        if let Some(t) = text {
            q = q.bind(t);
        }
        if let Some(i) = int {
            q = q.bind(i);
        }
        q.fetch_all(&self.pool).await?.into_iter().map(Judgement::try_from).collect()
    }
}

#[async_trait]
impl JudgementStore for Backend {
    async fn judge(&self, j: &NewJudgement) -> Result<Judgement> {
        let mut tx = super::begin_write(&self.pool).await?;
        super::feed_lock(&mut tx).await?;
        let at = now_text();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO judgements (target, subject_id, decision, reason, actor, department_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(j.target.to_string())
        .bind(j.subject_id)
        .bind(j.decision.as_str())
        .bind(&j.reason)
        .bind(&j.actor)
        .bind(j.department_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        if j.decision == Decision::Same {
            let effect = self.apply_same(&mut tx, j, id, &at).await?;
            sqlx::query("UPDATE judgements SET effect = $1 WHERE id = $2")
                .bind(effect.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        } else {
            live_subject(&mut tx, j.subject_id).await?;
        }
        change(&mut tx, "judgement", id, None, &at).await?;
        tx.commit().await?;
        self.judgement(id).await?.ok_or_else(|| StoreError::NotFound(format!("judgement {id}")))
    }

    async fn undo_judgement(&self, id: i64, actor: &str) -> Result<Judgement> {
        let mut tx = super::begin_write(&self.pool).await?;
        super::feed_lock(&mut tx).await?;
        let at = now_text();
        let undone =
            sqlx::query("UPDATE judgements SET undone_at = $1, undone_by = $2 WHERE id = $3 AND undone_at IS NULL")
                .bind(&at)
                .bind(actor)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let row: Option<JudgementRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM judgements WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else { return Err(StoreError::NotFound(format!("judgement {id}"))) };
        if undone == 0 {
            return Err(conflict(format!("判断 {id} 已于 {} 撤销", row.undone_at.unwrap_or_default())));
        }
        let j = Judgement::try_from(row)?;
        if j.decision == Decision::Same {
            self.unapply(&mut tx, &j, &at).await?;
        }
        change(&mut tx, "judgement", id, None, &at).await?;
        tx.commit().await?;
        self.judgement(id).await?.ok_or_else(|| StoreError::NotFound(format!("judgement {id}")))
    }

    async fn judgement(&self, id: i64) -> Result<Option<Judgement>> {
        Ok(self.judgements_where("id = $1", None, Some(id)).await?.pop())
    }

    async fn judgements(&self, target: Option<&Target>, subject: Option<i64>, limit: i64) -> Result<Vec<Judgement>> {
        let limit = limit.clamp(1, 1000);
        match (target, subject) {
            (Some(t), _) => {
                let clause = format!("target = $1 ORDER BY id DESC LIMIT {limit}");
                self.judgements_where(&clause, Some(t.to_string()), None).await
            }
            (None, Some(s)) => {
                let clause = format!("(subject_id = $2 OR target = $1) ORDER BY id DESC LIMIT {limit}");
                self.judgements_where(&clause, Some(Target::Subject(s).to_string()), Some(s)).await
            }
            (None, None) => self.judgements_where(&format!("1 = 1 ORDER BY id DESC LIMIT {limit}"), None, None).await,
        }
    }

    async fn subject_names(&self, subjects: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in subjects.chunks(crate::sql::IN_LIST) {
            let sql = format!(
                "SELECT subject_id, name FROM subject_names WHERE subject_id IN ({}) ORDER BY subject_id, since, name_norm",
                super::marks(chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                q = q.bind(id);
            }
            for (id, name) in q.fetch_all(&self.pool).await? {
                out.entry(id).or_default().push(self.vault.open(name, "subject_names.name")?);
            }
        }
        Ok(out)
    }
}
