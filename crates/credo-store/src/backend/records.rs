//! Batches, records and their versions, the unresolved queue, publicity expiries and re-keying (ingest itself is in
//! `ingest`).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use credo_domain::catalog::Catalog;
use sqlx::QueryBuilder;
use time::{Date, OffsetDateTime};

use super::{Backend, Db};
use crate::sql::{IN_LIST, parse_date, parse_time};
use crate::{
    BatchSummary, Incoming, IngestedRow, Prepared, RecordStat, RecordStore, RecordView, Rekeyed, ReportLine, Result,
    Vault, json, now_text, stored_time,
};

/// A record with one of its versions, as [`Backend::record_versions_where`] selects it.
#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    item: String,
    /// The version selected (not necessarily the latest).
    latest_version: i64,
    decided_on: Option<String>,
    subject_id: Option<i64>,
    dname: String,
    duscc: String,
    received_at: String,
    batch_id: i64,
    /// Sealed where personal.
    fields: String,
    first_received: String,
}

impl RecordRow {
    fn open(self, vault: &Vault) -> Result<RecordView> {
        Ok(RecordView {
            id: self.id,
            item: self.item,
            version: self.latest_version,
            department_name: self.dname,
            department_uscc: self.duscc,
            decided_on: parse_date(self.decided_on),
            received_at: parse_time(&self.received_at)?,
            first_received_at: parse_time(&self.first_received)?,
            batch_id: self.batch_id,
            fields: vault.open_stored(&self.fields)?,
            subject_id: self.subject_id,
        })
    }
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: i64,
    duscc: String,
    item: String,
    rows_total: i64,
    accepted: i64,
    rejected: i64,
    duplicates: i64,
    unresolved: i64,
    report: Option<String>,
    interrupted: i64,
}

impl From<BatchRow> for BatchSummary {
    fn from(r: BatchRow) -> BatchSummary {
        BatchSummary {
            batch: r.id,
            department: r.duscc,
            item: r.item,
            rows: r.rows_total as usize,
            accepted: r.accepted as usize,
            rejected: r.rejected as usize,
            duplicates: r.duplicates as usize,
            unresolved: r.unresolved as usize,
            report: r.report.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
            interrupted: r.interrupted != 0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RecordStatRow {
    department: String,
    item: String,
    decided_on: Option<String>,
    received_on: String,
    n: i64,
}

impl From<RecordStatRow> for RecordStat {
    fn from(r: RecordStatRow) -> RecordStat {
        RecordStat {
            department: r.department,
            item: r.item,
            decided_on: parse_date(r.decided_on),
            received_on: r.received_on,
            count: r.n,
        }
    }
}

impl Backend {
    async fn record_views(&self, clause: &str, binds: Vec<i64>) -> Result<Vec<RecordView>> {
        self.record_versions_where("v.version = r.latest_version", None, clause, binds).await
    }

    /// Records with the version chosen by `version` (a condition on `v`, with an optional text bind), filtered by
    /// `clause` (with integer binds).
    async fn record_versions_where(
        &self,
        version: &str,
        version_bind: Option<String>,
        clause: &str,
        binds: Vec<i64>,
    ) -> Result<Vec<RecordView>> {
        let sql = format!(
            "SELECT r.id, r.item, v.version AS latest_version, r.decided_on, r.subject_id, d.name AS dname, d.uscc AS duscc,
                    v.received_at, v.batch_id, v.fields,
                    (SELECT MIN(f.received_at) FROM record_versions f WHERE f.record_id = r.id) AS first_received
             FROM records r
             JOIN record_versions v ON v.record_id = r.id AND {version}
             JOIN departments d ON d.id = r.department_id
             WHERE {clause}"
        );
        let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(sql)).persistent(!clause.contains(" IN ("));
        if let Some(b) = version_bind {
            q = q.bind(b);
        }
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool).await?.into_iter().map(|r| r.open(&self.vault)).collect()
    }
}

#[async_trait]
impl RecordStore for Backend {
    async fn open_batch(&self, department_id: i64, item: &str, channel: &str, file_name: Option<&str>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO batches (department_id, item, channel, file_name, received_at, worker) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(department_id)
        .bind(item)
        .bind(channel)
        .bind(file_name)
        .bind(now_text())
        .bind(crate::worker::this())
        .fetch_one(&self.pool)
        .await?)
    }

    fn prepare(&self, rows: Vec<Incoming>) -> Result<Prepared> {
        self.prepare_chunk(rows)
    }

    async fn ingest_prepared(&self, batch_id: i64, department_id: i64, rows: &Prepared) -> Result<Vec<IngestedRow>> {
        self.ingest_chunk(batch_id, department_id, rows).await
    }

    async fn close_batch(&self, s: &BatchSummary) -> Result<()> {
        sqlx::query(
            "UPDATE batches SET finished_at = $1, rows_total = $2, accepted = $3, rejected = $4, duplicates = $5, unresolved = $6, report = $7 WHERE id = $8",
        )
        .bind(now_text())
        .bind(s.rows as i64)
        .bind(s.accepted as i64)
        .bind(s.rejected as i64)
        .bind(s.duplicates as i64)
        .bind(s.unresolved as i64)
        .bind(json(&s.report))
        .bind(s.batch)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recover_batches(&self) -> Result<Vec<BatchSummary>> {
        let open: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, worker FROM batches WHERE finished_at IS NULL").fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for (id, owner) in open {
            if owner.as_deref().is_some_and(crate::worker::alive) {
                continue;
            }
            let accepted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_versions WHERE batch_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
            let line = ReportLine {
                row: 1,
                column: String::new(),
                code: "batch_interrupted".into(),
                message: format!(
                    "批次处理中断(服务进程意外停止):中断前已接收并保存 {accepted} 行,其余行未处理。请重新提交整个文件:\
                     已接收的行会标明“已在批次 {id} 中接收”,不会重复保存"
                ),
                severity: "error".into(),
            };
            // Only a batch still open is closed (another process may recover at the same time).
            let closed = sqlx::query(
                "UPDATE batches SET finished_at = $1, interrupted = 1, rows_total = $2, accepted = $3, report = $4 \
                 WHERE id = $5 AND finished_at IS NULL",
            )
            .bind(now_text())
            .bind(accepted)
            .bind(accepted)
            .bind(json(&vec![line]))
            .bind(id)
            .execute(&self.pool)
            .await?;
            if closed.rows_affected() == 1
                && let Some(b) = self.batch(id).await?
            {
                out.push(b);
            }
        }
        Ok(out)
    }

    async fn batch(&self, id: i64) -> Result<Option<BatchSummary>> {
        let row = sqlx::query_as::<_, BatchRow>(
            "SELECT b.*, d.uscc AS duscc FROM batches b JOIN departments d ON d.id = b.department_id WHERE b.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(BatchSummary::from))
    }

    async fn recent_batches(&self, department_id: Option<i64>, limit: i64) -> Result<Vec<BatchSummary>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM batches WHERE ($1 IS NULL OR department_id = $2) AND finished_at IS NOT NULL ORDER BY id DESC LIMIT $3",
        )
        .bind(department_id)
        .bind(department_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.batch(id).await?);
        }
        Ok(out)
    }

    async fn assign_subject(&self, record_id: i64, subject_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE records SET subject_id = $1 WHERE id = $2 AND subject_id IS NULL RETURNING latest_version",
        )
        .bind(subject_id)
        .bind(record_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(version) = version else { return Ok(false) };
        super::feed_lock(&mut tx).await?;
        sqlx::query("INSERT INTO changes (entity, entity_id, version, at) VALUES ('record', $1, $2, $3)")
            .bind(record_id)
            .bind(version)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn unresolved(&self, department: Option<i64>, limit: i64, offset: i64) -> Result<Vec<RecordView>> {
        match department {
            Some(d) => {
                let clause = "r.subject_id IS NULL AND r.department_id = $1 ORDER BY r.id LIMIT $2 OFFSET $3";
                self.record_views(clause, vec![d, limit, offset]).await
            }
            None => {
                self.record_views("r.subject_id IS NULL ORDER BY r.id LIMIT $1 OFFSET $2", vec![limit, offset]).await
            }
        }
    }

    async fn subject_records(&self, subject_id: i64) -> Result<Vec<RecordView>> {
        self.record_views("r.subject_id = $1 ORDER BY r.decided_on DESC NULLS LAST, r.id DESC", vec![subject_id]).await
    }

    async fn subject_records_as_of(&self, subject_id: i64, at: OffsetDateTime) -> Result<Vec<RecordView>> {
        // Receipt times are stored texts (`stored_time`): `at` in the same form compares as an instant.
        self.record_versions_where(
            "v.version = (SELECT MAX(x.version) FROM record_versions x WHERE x.record_id = r.id AND x.received_at <= $1)",
            Some(stored_time(at)),
            "r.subject_id = $2 ORDER BY r.decided_on DESC NULLS LAST, r.id DESC",
            vec![subject_id],
        )
        .await
    }

    async fn records_of_items(&self, items: &[&str], after: i64, limit: i64) -> Result<Vec<RecordView>> {
        let list: Vec<String> =
            items.iter().filter(|i| i.chars().all(|c| c.is_ascii_alphanumeric())).map(|i| format!("'{i}'")).collect();
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let clause =
            format!("r.item IN ({}) AND r.subject_id IS NOT NULL AND r.id > $1 ORDER BY r.id LIMIT $2", list.join(","));
        self.record_views(&clause, vec![after, limit]).await
    }

    async fn records_by_ids(&self, ids: &[i64]) -> Result<Vec<RecordView>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            out.extend(self.record_views(&format!("r.id IN ({})", super::marks(chunk.len())), chunk.to_vec()).await?);
        }
        Ok(out)
    }

    async fn versions_of(&self, ids: &[i64]) -> Result<Vec<RecordView>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_LIST) {
            let clause = format!("r.id IN ({}) ORDER BY r.id, v.version", super::marks(chunk.len()));
            out.extend(self.record_versions_where("v.version > 0", None, &clause, chunk.to_vec()).await?);
        }
        Ok(out)
    }

    async fn latest_records(&self, items: &[&str], limit: i64) -> Result<Vec<RecordView>> {
        // Per item a reverse walk of the (item, id) index; the versions are read only for the few ids kept.
        let mut ids: Vec<i64> = Vec::new();
        for item in items {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM records WHERE item = $1 AND subject_id IS NOT NULL ORDER BY id DESC LIMIT $2",
            )
            .bind(item)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            ids.extend(found);
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(usize::try_from(limit).unwrap_or(0));
        let mut out = self.records_by_ids(&ids).await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    async fn department_records(&self, department_id: i64, limit: i64) -> Result<Vec<RecordView>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM records WHERE department_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(department_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        let mut out = self.records_by_ids(&ids).await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    async fn changed_records(
        &self,
        items: &[&str],
        department_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RecordView>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Db>::new("SELECT id FROM records WHERE latest_version > 1 AND id > ");
        q.push_bind(after);
        if let Some(d) = department_id {
            q.push(" AND department_id = ");
            q.push_bind(d);
        }
        q.push(" AND item IN (");
        let mut sep = q.separated(",");
        for i in items {
            sep.push_bind(i.to_string());
        }
        q.push(") ORDER BY id LIMIT ");
        q.push_bind(limit);
        let ids: Vec<i64> = q.build_query_scalar().persistent(false).fetch_all(&self.pool).await?;
        self.versions_of(&ids).await
    }

    async fn subject_items(&self, subject_ids: &[i64]) -> Result<HashMap<i64, BTreeSet<String>>> {
        let mut out: HashMap<i64, BTreeSet<String>> = HashMap::new();
        for chunk in subject_ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT DISTINCT subject_id, item FROM records WHERE subject_id IN ({})",
                super::marks(chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                q = q.bind(*id);
            }
            for (subject, item) in q.fetch_all(&self.pool).await? {
                out.entry(subject).or_default().insert(item);
            }
        }
        Ok(out)
    }

    async fn subjects_of_records(&self, record_ids: &[i64]) -> Result<Vec<i64>> {
        let mut out = BTreeSet::new();
        for chunk in record_ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT DISTINCT subject_id FROM records WHERE id IN ({}) AND subject_id IS NOT NULL",
                super::marks(chunk.len())
            );
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out.into_iter().collect())
    }

    async fn record_stats(&self) -> Result<Vec<RecordStat>> {
        // The day in Beijing (UTC+8) of the stored UTC text (`2026-06-01T16:00:00.000000000Z` → 2026-06-02).
        let day = super::beijing_day("v.received_at");
        let sql = format!(
            "SELECT d.name AS department, r.item, r.decided_on, {day} AS received_on, COUNT(*) AS n
             FROM records r
             JOIN record_versions v ON v.record_id = r.id AND v.version = 1
             JOIN departments d ON d.id = r.department_id
             GROUP BY d.name, r.item, r.decided_on, {day}"
        );
        Ok(sqlx::query_as::<_, RecordStatRow>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(RecordStat::from)
            .collect())
    }

    async fn record_expiries(&self, ended: &[(i64, i64, Date)]) -> Result<usize> {
        // Many rows per statement, the ones recorded before skipped by the conflict: the daily job (and each start)
        // offers every record whose period has ended, most of them recorded already.
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        super::feed_lock(&mut tx).await?;
        let mut new = 0;
        for chunk in ended.chunks(crate::sql::rows_per_insert(4)) {
            let mut q =
                QueryBuilder::<Db>::new("INSERT INTO publicity_expiries (record_id, version, last_day, recorded_at) ");
            q.push_values(chunk, |mut b, (record, version, last)| {
                b.push_bind(*record).push_bind(*version).push_bind(last.to_string()).push_bind(now.as_str());
            });
            q.push(" ON CONFLICT (record_id) DO NOTHING RETURNING record_id, version");
            let mut recorded: Vec<(i64, i64)> = q.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
            if recorded.is_empty() {
                continue;
            }
            // In the order offered (RETURNING promises none).
            let mut order: HashMap<i64, usize> = HashMap::new();
            for (i, (r, _, _)) in chunk.iter().enumerate() {
                order.entry(*r).or_insert(i);
            }
            recorded.sort_by_key(|(r, _)| order.get(r).copied());
            for rows in recorded.chunks(crate::sql::rows_per_insert(4)) {
                let mut q = QueryBuilder::<Db>::new("INSERT INTO changes (entity, entity_id, version, at) ");
                q.push_values(rows, |mut b, (record, version)| {
                    b.push_bind("expiry").push_bind(*record).push_bind(*version).push_bind(now.as_str());
                });
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            new += recorded.len();
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn rekey(&self, catalog: &Catalog) -> Result<Vec<Rekeyed>> {
        super::rekey::run(&self.pool, &self.vault, catalog).await
    }
}
