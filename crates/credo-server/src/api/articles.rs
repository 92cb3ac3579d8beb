//! `/api/v1/articles`: 信用动态, 政策法规 and 典型案例 — published articles for anyone, and drafting, review and
//! publication for the credit office (`credo_app::articles`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::articles::{self, StepRequest};
use credo_app::principal::Principal;
use credo_app::public::{self as publish, PublicRecord};
use credo_domain::articles::{ArticleKind, Draft};
use credo_store::Article;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/articles", get(list).post(create))
        .route("/api/v1/articles/{id}", get(show).put(edit))
        .route("/api/v1/articles/{id}/steps", post(step))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(list, create, show, edit, step), components(schemas(ArticleBody, StepRequest)))]
pub struct Doc;

/// 稿件
#[derive(Deserialize, ToSchema)]
struct ArticleBody {
    /// news(信用动态)、policy(政策法规)或 case(典型案例)
    kind: String,
    /// 标题(至多 120 字,不换行)
    title: String,
    /// 摘要(至多 400 字)
    #[serde(default)]
    summary: String,
    /// 正文(纯文本,每行一段,至多 20000 字);身份证号码保存时即遮蔽
    body: String,
    /// 典型案例引用的信用记录编号(至多 20 条;发布时须在公示中)
    #[serde(default)]
    records: Vec<i64>,
}

impl ArticleBody {
    fn draft(self) -> Draft {
        Draft {
            kind: Some(self.kind),
            title: self.title,
            summary: self.summary,
            body: self.body,
            records: self.records,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// news、policy 或 case;默认全部
    kind: Option<String>,
    /// 页码(每页 20 篇),默认 1
    page: Option<i64>,
}

#[derive(Serialize)]
struct ArticlePage {
    total: i64,
    page: i64,
    articles: Vec<Article>,
}

#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "articles",
    operation_id = "articles",
    summary = "信用动态、政策法规与典型案例",
    description = "已发布的文章,按发布时间由近及远,每页 20 篇。Atom 订阅见 /news/feed.xml。",
    params(ListParams),
    responses((status = 200, description = "total、page 及文章", body = Object), (status = 400, description = "invalid_request"))
)]
async fn list(State(app): State<Web>, Query(q): Query<ListParams>) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            ArticleKind::parse(k)
                .ok_or_else(|| ApiError::new(credo_app::Code::InvalidRequest, "kind 应为 news、policy 或 case"))?,
        ),
    };
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let (articles, total) = articles::published(&app, kind, page, articles::PAGE).await?;
    Ok(Json(serde_json::to_value(ArticlePage { total, page, articles }).map_err(ApiError::internal)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}",
    tag = "articles",
    operation_id = "article",
    summary = "一篇已发布的文章",
    description = "文章及其引用的、仍在公示中的信用记录(公众所见的字段,证件号码已遮蔽);hidden 为已不再公示而不显示的引用记录数。",
    params(("id" = i64, Path, description = "文章编号")),
    responses((status = 200, description = "文章", body = Object), (status = 404, description = "not_found"))
)]
async fn show(State(app): State<Web>, Path(id): Path<i64>) -> Result<Json<serde_json::Value>, ApiError> {
    let (article, records) = articles::public_view(&app, id).await?;
    let today = app.clock.today();
    let shown: Vec<PublicRecord> =
        records.iter().filter_map(|(r, disputed)| publish::record(&app.catalog, r, *disputed, today)).collect();
    let hidden = article.records.len() - shown.len();
    Ok(Json(serde_json::json!({ "article": article, "records": shown, "hidden": hidden })))
}

#[utoipa::path(
    post,
    path = "/api/v1/articles",
    tag = "articles",
    operation_id = "article_draft",
    summary = "撰写稿件",
    description = "系统管理员新建草稿;送审后由另一位信用审核员审核发布。",
    request_body = ArticleBody,
    responses(
        (status = 201, description = "草稿", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 422, description = "invalid_article"),
    )
)]
async fn create(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(b): Json<ArticleBody>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    Ok((StatusCode::CREATED, Json(articles::draft(&app, &p, &b.draft()).await?)))
}

#[utoipa::path(
    put,
    path = "/api/v1/articles/{id}",
    tag = "articles",
    operation_id = "article_edit",
    summary = "修改草稿",
    description = "撰稿人修改自己的草稿(送审后不能修改,退回后可以)。",
    params(("id" = i64, Path, description = "稿件编号")),
    request_body = ArticleBody,
    responses(
        (status = 200, description = "草稿", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_article"),
    )
)]
async fn edit(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(b): Json<ArticleBody>,
) -> Result<Json<Article>, ApiError> {
    Ok(Json(articles::edit(&app, &p, id, &b.draft()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/steps",
    tag = "articles",
    operation_id = "article_step",
    summary = "送审、退回、发布或撤下",
    description = "撰稿人送审草稿;信用审核员(不是撰稿人)发布或退回(须写理由),并可撤下已发布的文章(须写理由)。典型案例发布时,引用的记录须都在公示中。",
    params(("id" = i64, Path, description = "稿件编号")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "稿件", body = Object),
        (status = 400, description = "invalid_json, invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_article, reason_required, too_long"),
    )
)]
async fn step(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(s): Json<StepRequest>,
) -> Result<Json<Article>, ApiError> {
    Ok(Json(articles::step(&app, &p, id, &s).await?))
}
