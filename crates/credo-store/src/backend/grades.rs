//! Grades and 双随机 draws (see `crate::grades`).

use std::collections::HashMap;

use async_trait::async_trait;
use time::Date;

use super::Backend;
use crate::sql::{IN_LIST, Val, parse_date, parse_time};
use crate::{Draw, Grade, GradeCount, GradeStore, InspectionTarget, NewDraw, NewGrade, Result, StoreError, now_text};

#[derive(sqlx::FromRow)]
struct GradeRow {
    id: i64,
    subject_id: i64,
    scheme: String,
    version: String,
    grade: String,
    score: i64,
    reasons: String,
    moved_by: i64,
    computed_on: String,
    computed_at: String,
    superseded_at: Option<String>,
}

impl TryFrom<GradeRow> for Grade {
    type Error = StoreError;
    fn try_from(r: GradeRow) -> Result<Grade> {
        Ok(Grade {
            id: r.id,
            subject_id: r.subject_id,
            scheme: r.scheme,
            version: r.version,
            grade: r.grade,
            score: r.score,
            reasons: serde_json::from_str(&r.reasons)
                .map_err(|e| StoreError::Corrupt(format!("grade {}: reasons {e}", r.id)))?,
            moved_by: r.moved_by,
            computed_on: parse_date(Some(r.computed_on.clone()))
                .ok_or_else(|| StoreError::Corrupt(format!("grade {}: day {}", r.id, r.computed_on)))?,
            computed_at: parse_time(&r.computed_at)?,
            superseded_at: r.superseded_at.as_deref().map(parse_time).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DrawRow {
    id: i64,
    number: String,
    department_id: i64,
    scheme: String,
    scope: String,
    task: String,
    seed: String,
    population: i64,
    population_digest: String,
    strata: String,
    actor: String,
    drawn_at: String,
}

impl TryFrom<DrawRow> for Draw {
    type Error = StoreError;
    fn try_from(r: DrawRow) -> Result<Draw> {
        let json = |t: &str| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(format!("draw {}: {e}", r.id)));
        Ok(Draw {
            id: r.id,
            scope: json(&r.scope)?,
            strata: json(&r.strata)?,
            number: r.number,
            department_id: r.department_id,
            scheme: r.scheme,
            task: r.task,
            seed: r.seed,
            population: r.population,
            population_digest: r.population_digest,
            actor: r.actor,
            drawn_at: parse_time(&r.drawn_at)?,
        })
    }
}

const DRAW_COLUMNS: &str =
    "id, number, department_id, scheme, scope, task, seed, population, population_digest, strata, actor, drawn_at";

#[async_trait]
impl GradeStore for Backend {
    async fn retire_grades(&self, scheme: &str, subjects: &[i64]) -> Result<u64> {
        let now = now_text();
        let mut ended = 0;
        for chunk in subjects.chunks(IN_LIST) {
            let sql = format!(
                "UPDATE grades SET superseded_at = $1 WHERE scheme = $2 AND superseded_at IS NULL AND subject_id IN ({})",
                (3..3 + chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false).bind(&now).bind(scheme);
            for id in chunk {
                q = q.bind(id);
            }
            ended += q.execute(&self.pool).await?.rows_affected();
        }
        Ok(ended)
    }

    async fn save_grades(&self, grades: &[NewGrade]) -> Result<Vec<i64>> {
        let mut written = Vec::new();
        let now = now_text();
        // One transaction per chunk: a long computation does not hold the write lock for all of it, and every chunk
        // is whole (a subject's current grade is always one row).
        for chunk in grades.chunks(IN_LIST) {
            let mut tx = super::begin_write(&self.pool).await?;
            let mut current: HashMap<(i64, &str), (i64, String, i64, String, String)> = HashMap::new();
            let mut by_scheme: HashMap<&str, Vec<i64>> = HashMap::new();
            for g in chunk {
                by_scheme.entry(g.scheme.as_str()).or_default().push(g.subject_id);
            }
            for (scheme, ids) in &by_scheme {
                let sql = format!(
                    "SELECT id, subject_id, grade, score, reasons, version FROM grades \
                     WHERE scheme = ${} AND superseded_at IS NULL AND subject_id IN ({})",
                    ids.len() + 1,
                    super::marks(ids.len())
                );
                let mut q = sqlx::query_as::<_, (i64, i64, String, i64, String, String)>(sqlx::AssertSqlSafe(sql))
                    .persistent(false);
                for id in ids {
                    q = q.bind(id);
                }
                for (id, subject, grade, score, reasons, version) in q.bind(*scheme).fetch_all(&mut *tx).await? {
                    current.insert((subject, scheme), (id, grade, score, reasons, version));
                }
            }
            let mut superseded = Vec::new();
            let mut rows = Vec::new();
            let days: Vec<String> = chunk.iter().map(|g| g.computed_on.to_string()).collect();
            for (g, day) in chunk.iter().zip(&days) {
                let now_same =
                    current.get(&(g.subject_id, g.scheme.as_str())).is_some_and(|(_, grade, score, r, v)| {
                        *grade == g.grade && *score == g.score && *r == g.reasons && *v == g.version
                    });
                if now_same {
                    continue;
                }
                if let Some((id, ..)) = current.get(&(g.subject_id, g.scheme.as_str())) {
                    superseded.push(*id);
                }
                written.push(g.subject_id);
                rows.push([
                    Val::Int(g.subject_id),
                    Val::Text(&g.scheme),
                    Val::Text(&g.version),
                    Val::Text(&g.grade),
                    Val::Int(g.score),
                    Val::Text(&g.reasons),
                    Val::Int(g.moved_by),
                    Val::Text(day),
                    Val::Text(&now),
                ]);
            }
            if !superseded.is_empty() {
                let sql = format!(
                    "UPDATE grades SET superseded_at = ${} WHERE id IN ({})",
                    superseded.len() + 1,
                    super::marks(superseded.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
                for id in &superseded {
                    q = q.bind(id);
                }
                q.bind(&now).execute(&mut *tx).await?;
            }
            super::insert_rows(
                &mut tx,
                "grades",
                [
                    "subject_id",
                    "scheme",
                    "version",
                    "grade",
                    "score",
                    "reasons",
                    "moved_by",
                    "computed_on",
                    "computed_at",
                ],
                &rows,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(written)
    }

    async fn current_grades(
        &self,
        scheme: &str,
        region: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT g.subject_id, g.grade FROM grades g JOIN subjects s ON s.id = g.subject_id \
             WHERE g.scheme = $1 AND g.superseded_at IS NULL AND g.subject_id > $2 AND s.merged_into IS NULL \
             AND ($4 = '' OR s.region LIKE $4) ORDER BY g.subject_id LIMIT $3",
        )
        .bind(scheme)
        .bind(after)
        .bind(limit)
        .bind(region.map(|r| format!("{r}%")).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?)
    }

    async fn grades_of(&self, subject: i64) -> Result<Vec<Grade>> {
        let rows: Vec<GradeRow> = sqlx::query_as(
            "SELECT id, subject_id, scheme, version, grade, score, reasons, moved_by, computed_on, computed_at, \
             superseded_at FROM grades WHERE subject_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Grade::try_from).collect()
    }

    async fn grade_counts(&self, scheme: &str) -> Result<Vec<GradeCount>> {
        let rows: Vec<(Option<String>, String, i64)> = sqlx::query_as(
            "SELECT s.region, g.grade, COUNT(*) FROM grades g JOIN subjects s ON s.id = g.subject_id \
             WHERE g.scheme = $1 AND g.superseded_at IS NULL GROUP BY s.region, g.grade ORDER BY s.region, g.grade",
        )
        .bind(scheme)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(region, grade, subjects)| GradeCount { region, grade, subjects }).collect())
    }

    async fn graded_under_another_version(&self, scheme: &str, version: &str) -> Result<bool> {
        let first: Option<String> = sqlx::query_scalar(
            "SELECT version FROM grades WHERE scheme = $1 AND superseded_at IS NULL ORDER BY subject_id LIMIT 1",
        )
        .bind(scheme)
        .fetch_optional(&self.pool)
        .await?;
        Ok(first.is_some_and(|v| v != version))
    }

    async fn grades_followed(&self) -> Result<(i64, Option<Date>)> {
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT seq, full_on FROM grade_state WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(row.map_or((0, None), |(seq, day)| (seq, parse_date(day))))
    }

    async fn set_grades_followed(&self, seq: i64, full_on: Option<Date>) -> Result<()> {
        sqlx::query(
            "INSERT INTO grade_state (id, seq, full_on) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, full_on = COALESCE(excluded.full_on, grade_state.full_on)",
        )
        .bind(seq)
        .bind(full_on.map(|d| d.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_draw(&self, draw: &NewDraw, region: &str) -> Result<Draw> {
        let now = now_text();
        let year = &now[..4];
        let mut tx = super::begin_write(&self.pool).await?;
        let prefix = format!("CC{region}-{year}-");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inspection_draws WHERE number LIKE $1")
            .bind(format!("{prefix}%"))
            .fetch_one(&mut *tx)
            .await?;
        let number = format!("{prefix}{:06}", count + 1);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO inspection_draws (number, department_id, scheme, scope, task, seed, population, \
             population_digest, strata, actor, drawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&number)
        .bind(draw.department_id)
        .bind(&draw.scheme)
        .bind(&draw.scope)
        .bind(&draw.task)
        .bind(&draw.seed)
        .bind(draw.population)
        .bind(&draw.population_digest)
        .bind(&draw.strata)
        .bind(&draw.actor)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let inspectors: Vec<String> = draw.targets.iter().map(|t| crate::json(&t.2)).collect();
        let ns: Vec<i64> = (1..=draw.targets.len() as i64).collect();
        let rows: Vec<[Val<'_>; 5]> = draw
            .targets
            .iter()
            .zip(&inspectors)
            .zip(&ns)
            .map(|((t, i), n)| [Val::Int(id), Val::Int(*n), Val::Int(t.0), Val::Text(&t.1), Val::Text(i)])
            .collect();
        super::insert_rows(&mut tx, "inspection_targets", ["draw_id", "n", "subject_id", "grade", "inspectors"], &rows)
            .await?;
        tx.commit().await?;
        self.draw(&number).await?.map(|(d, _)| d).ok_or_else(|| StoreError::NotFound(number))
    }

    async fn draws(&self, department: Option<i64>, limit: i64) -> Result<Vec<Draw>> {
        let sql = format!(
            "SELECT {DRAW_COLUMNS} FROM inspection_draws WHERE ($1 IS NULL OR department_id = $1) ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<DrawRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(department).bind(limit).fetch_all(&self.pool).await?;
        rows.into_iter().map(Draw::try_from).collect()
    }

    async fn draw(&self, number: &str) -> Result<Option<(Draw, Vec<InspectionTarget>)>> {
        let sql = format!("SELECT {DRAW_COLUMNS} FROM inspection_draws WHERE number = $1");
        let Some(row) =
            sqlx::query_as::<_, DrawRow>(sqlx::AssertSqlSafe(sql)).bind(number).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        let draw = Draw::try_from(row)?;
        let rows: Vec<(i64, i64, String, String, Option<String>, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT n, subject_id, grade, inspectors, result, result_on, record_id FROM inspection_targets \
             WHERE draw_id = $1 ORDER BY n",
        )
        .bind(draw.id)
        .fetch_all(&self.pool)
        .await?;
        let targets = rows
            .into_iter()
            .map(|(n, subject_id, grade, inspectors, result, result_on, record_id)| {
                Ok(InspectionTarget {
                    n,
                    subject_id,
                    grade,
                    inspectors: serde_json::from_str(&inspectors)
                        .map_err(|e| StoreError::Corrupt(format!("draw {}: {e}", draw.id)))?,
                    result,
                    result_on: parse_date(result_on),
                    record_id,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((draw, targets)))
    }

    async fn link_inspection_record(&self, draw: i64, subject: i64, record_id: i64) -> Result<()> {
        sqlx::query("UPDATE inspection_targets SET record_id = $1 WHERE draw_id = $2 AND subject_id = $3")
            .bind(record_id)
            .bind(draw)
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_inspection_result(
        &self,
        draw: i64,
        subject: i64,
        result: &str,
        on: Date,
        record_id: Option<i64>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE inspection_targets SET result = $1, result_on = $2, record_id = $3 \
             WHERE draw_id = $4 AND subject_id = $5 AND result IS NULL",
        )
        .bind(result)
        .bind(on.to_string())
        .bind(record_id)
        .bind(draw)
        .bind(subject)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("抽查 {draw} 的对象 {subject} 不存在或已录入结果")));
        }
        Ok(())
    }
}
