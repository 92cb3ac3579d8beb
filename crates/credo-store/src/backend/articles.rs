//! Articles (see `crate::articles`).

use async_trait::async_trait;
use credo_domain::articles::{ArticleKind, ArticleState, Text};

use super::Backend;
use crate::sql::parse_time;
use crate::{Article, ArticleQuery, ArticleStore, Result, StoreError, now_text};

const COLUMNS: &str = "id, kind, title, summary, body, records, state, author, reviewer, note, created_at, updated_at, published_at, revision";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    title: String,
    summary: String,
    body: String,
    records: String,
    state: String,
    author: String,
    reviewer: Option<String>,
    note: Option<String>,
    created_at: String,
    updated_at: String,
    published_at: Option<String>,
    revision: i64,
}

impl TryFrom<Row> for Article {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Article> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("article {}: {what}", r.id));
        Ok(Article {
            kind: ArticleKind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
            state: ArticleState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            records: serde_json::from_str(&r.records).map_err(|_| corrupt("records"))?,
            created_at: parse_time(&r.created_at)?,
            updated_at: parse_time(&r.updated_at)?,
            published_at: r.published_at.as_deref().map(parse_time).transpose()?,
            id: r.id,
            title: r.title,
            summary: r.summary,
            body: r.body,
            author: r.author,
            reviewer: r.reviewer,
            note: r.note,
            revision: r.revision,
        })
    }
}

fn records(text: &Text) -> String {
    serde_json::to_string(&text.records).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl ArticleStore for Backend {
    async fn add_article(&self, text: &Text, author: &str) -> Result<Article> {
        let now = now_text();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (kind, title, summary, body, records, state, author, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $7) RETURNING id",
        )
        .bind(text.kind.as_str())
        .bind(&text.title)
        .bind(&text.summary)
        .bind(&text.body)
        .bind(records(text))
        .bind(author)
        .bind(&now)
        .fetch_one(&self.pool)
        .await?;
        self.article(id).await?.ok_or_else(|| StoreError::Corrupt(format!("article {id} not found after insert")))
    }

    async fn article(&self, id: i64) -> Result<Option<Article>> {
        let sql = format!("SELECT {COLUMNS} FROM articles WHERE id = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Article::try_from).transpose()
    }

    async fn articles(&self, q: &ArticleQuery) -> Result<(Vec<Article>, i64)> {
        let filter = "($1 IS NULL OR kind = $1) AND ($2 IS NULL OR state = $2)";
        let sql = format!(
            "SELECT {COLUMNS} FROM articles WHERE {filter} \
             ORDER BY COALESCE(published_at, updated_at) DESC, id DESC LIMIT $3 OFFSET $4"
        );
        let kind = q.kind.map(ArticleKind::as_str);
        let state = q.state.map(ArticleState::as_str);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .bind(state)
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&self.pool)
            .await?;
        let count = format!("SELECT COUNT(*) FROM articles WHERE {filter}");
        let total: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(kind).bind(state).fetch_one(&self.pool).await?;
        Ok((rows.into_iter().map(Article::try_from).collect::<Result<_>>()?, total))
    }

    async fn edit_article(&self, id: i64, text: &Text) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE articles SET kind = $1, title = $2, summary = $3, body = $4, records = $5, updated_at = $6, \
             revision = revision + 1 WHERE id = $7 AND state = 'draft'",
        )
        .bind(text.kind.as_str())
        .bind(&text.title)
        .bind(&text.summary)
        .bind(&text.body)
        .bind(records(text))
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn move_article(
        &self,
        id: i64,
        from: ArticleState,
        to: ArticleState,
        review: Option<(&str, Option<&str>)>,
        revision: Option<i64>,
    ) -> Result<bool> {
        let now = now_text();
        let published = (to == ArticleState::Published).then_some(now.as_str());
        let done = sqlx::query(
            "UPDATE articles SET state = $1, updated_at = $2, published_at = COALESCE($3, published_at), \
             reviewer = COALESCE($4, reviewer), note = CASE WHEN $5 = 1 THEN $6 ELSE note END \
             WHERE id = $7 AND state = $8 AND ($9 IS NULL OR revision = $9)",
        )
        .bind(to.as_str())
        .bind(&now)
        .bind(published)
        .bind(review.map(|r| r.0))
        .bind(i64::from(review.is_some()))
        .bind(review.and_then(|r| r.1))
        .bind(id)
        .bind(from.as_str())
        .bind(revision)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
