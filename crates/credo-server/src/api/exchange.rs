//! `/api/v1/feed`: the delta feed (增量数据) of what the caller may see (`credo_app::exchange`): the public's, or a
//! department's granted 政务共享 (each such page read is audited).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use credo_app::exchange::{self, Audience, FeedPage};
use credo_app::principal::Principal;
use credo_store::AuditEvent;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new().route("/api/v1/feed", get(feed)).with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(feed))]
pub struct Doc;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    /// 从此变更序号之后读起(默认 0:从头读起;续读时用上一页的 next)
    after: Option<i64>,
    /// 只读这些目录项,逗号分隔(如 xzcf,yzsx;默认全部)
    items: Option<String>,
    /// 每页事件数(1–5000,默认 1000)
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/feed",
    tag = "exchange",
    operation_id = "feed",
    summary = "增量数据",
    description = "按变更序号顺序读取调用者可见记录的增量事件:ADD(新增可见)、MOD(新版本)、DEL(撤下:信用修复、撤销、公示期满或不再公示)。依次应用全部事件(ADD、MOD 写入记录,DEL 删除)即得调用者当日可见的全部记录。公众所见为公示记录的公开字段(证件号码已遮蔽);具有“政务共享”权限的部门还可见政务共享记录及全部目录字段(每次读取记入审计日志)。每页最多读取 20000 条变更:事件少于 limit 而 more 为真时,用 next 续读。",
    params(FeedParams),
    responses(
        (status = 200, description = "一页增量事件", body = FeedPage),
        (status = 400, description = "invalid_request"),
    )
)]
async fn feed(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Query(q): Query<FeedParams>,
) -> Result<Json<FeedPage>, ApiError> {
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::new(credo_app::Code::InvalidRequest, "after 不能为负数"));
    }
    let items: Vec<String> = q
        .items
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let items = exchange::check_items(&app.catalog, &items)?;
    let audience = Audience::of(&p);
    let page = exchange::events(&app, audience, after, &items, q.limit.unwrap_or(1000)).await?;
    if audience == Audience::Shared {
        let (actor, role, department) = p.actor();
        app.store
            .append_audit(&AuditEvent {
                actor,
                role,
                department,
                action: "feed.read".into(),
                target: Some(format!("feed:{after}..{}", page.next)),
                purpose: Some("政务共享增量数据".into()),
                result: format!("{} 条事件", page.events.len()),
                client: None,
            })
            .await?;
    }
    Ok(Json(page))
}
