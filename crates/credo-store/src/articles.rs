//! 信用动态, 政策法规 and 典型案例: the articles the credit office publishes on 信用西宁, with their state
//! (`credo_domain::articles`). A step is taken only from the state it expects, so two reviewers acting at once
//! cannot both publish or both return the same draft.

use async_trait::async_trait;
use credo_domain::articles::{ArticleKind, ArticleState, Text};
use serde::Serialize;
use time::OffsetDateTime;

use crate::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Article {
    pub id: i64,
    pub kind: ArticleKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// The records a 典型案例 cites.
    pub records: Vec<i64>,
    pub state: ArticleState,
    /// The account that drafted it (staff pages only: not serialised).
    #[serde(skip_serializing)]
    pub author: String,
    /// The account of the last review step (published, returned or taken down) and its note (staff pages only).
    #[serde(skip_serializing)]
    pub reviewer: Option<String>,
    #[serde(skip_serializing)]
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    /// The text's revision: 1 when drafted, one more with every edit.
    pub revision: i64,
}

/// Which articles to list: of a kind, in a state, newest first (published ones by their publication time).
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    pub kind: Option<ArticleKind>,
    pub state: Option<ArticleState>,
    pub offset: i64,
    pub limit: i64,
}

#[async_trait]
pub trait ArticleStore: Send + Sync {
    /// Adds a draft by `author`.
    async fn add_article(&self, text: &Text, author: &str) -> Result<Article>;
    async fn article(&self, id: i64) -> Result<Option<Article>>;
    /// The articles the query asks for, and how many there are in all.
    async fn articles(&self, q: &ArticleQuery) -> Result<(Vec<Article>, i64)>;
    /// Replaces a draft's text; false when the article is not a draft (any more).
    async fn edit_article(&self, id: i64, text: &Text) -> Result<bool>;
    /// Moves an article from `from` to `to` (publishing sets its publication time); `by` and `note` are kept as the
    /// last review step's when `review`. False when the article is not in `from` (any more), or, when `revision` is
    /// given, its text is not at that revision (any more).
    async fn move_article(
        &self,
        id: i64,
        from: ArticleState,
        to: ArticleState,
        review: Option<(&str, Option<&str>)>,
        revision: Option<i64>,
    ) -> Result<bool>;
}
