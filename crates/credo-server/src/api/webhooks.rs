//! `/api/v1/webhooks`: a department's webhook subscriptions and their deliveries (`credo_app::webhooks`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use credo_app::principal::Principal;
use credo_app::webhooks::{self, Subscribe};
use credo_store::{Delivery, Webhook};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(subscribe))
        .route("/api/v1/webhooks/{id}", delete(unsubscribe))
        .route("/api/v1/webhooks/{id}/deliveries", get(deliveries))
        .route("/api/v1/webhooks/deliveries/{id}/redeliver", post(redeliver))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(paths(list, subscribe, unsubscribe, deliveries, redeliver), components(schemas(Subscribe)))]
pub struct Doc;

#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "exchange",
    operation_id = "webhooks",
    summary = "本部门的订阅",
    responses((status = 200, description = "订阅(新者在前)", body = [Object]), (status = 403, description = "forbidden"))
)]
async fn list(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(webhooks::list(&app, &p).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "exchange",
    operation_id = "webhook_subscribe",
    summary = "订阅推送",
    description = "订阅目录项或主体的记录变更(与增量数据接口同样的事件,按本部门可见范围)及本部门的核查结果。平台以 POST 推送 JSON,请求头 Idempotency-Key 为推送的幂等键(至少推送一次,重复时按此去重),Credo-Timestamp 为 Unix 秒,Credo-Signature 为 v1= 加 HMAC-SM3(密钥,时间戳 + \".\" + 请求体)的十六进制。接收方 10 秒内应答 2xx 即为确认;否则按 30 秒起倍增的间隔重试,共 10 次后放弃(可重新推送)。签名密钥只在此返回一次。接收地址须为公网地址(部署时另行允许的除外)。",
    request_body = Subscribe,
    responses(
        (status = 201, description = "订阅及其签名密钥", body = Object),
        (status = 400, description = "invalid_request, invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn subscribe(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(s): Json<Subscribe>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (webhook, secret) = webhooks::subscribe(&app, &p, &s).await?;
    Ok((StatusCode::CREATED, Json(json!({ "webhook": webhook, "secret": secret }))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "exchange",
    operation_id = "webhook_unsubscribe",
    summary = "停用订阅",
    params(("id" = i64, Path, description = "订阅编号")),
    responses(
        (status = 200, description = "已停用的订阅", body = Object),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn unsubscribe(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(webhooks::unsubscribe(&app, &p, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryParams {
    /// pending(待推送)、failed(失败待重试)、delivered(已确认)或 dead(已放弃);默认全部
    state: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "exchange",
    operation_id = "webhook_deliveries",
    summary = "订阅的推送记录",
    params(("id" = i64, Path, description = "订阅编号"), DeliveryParams),
    responses(
        (status = 200, description = "推送(新者在前,至多 200 条)", body = [Object]),
        (status = 400, description = "invalid_request"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn deliveries(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Query(q): Query<DeliveryParams>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(webhooks::deliveries(&app, &p, id, q.state.as_deref()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/deliveries/{id}/redeliver",
    tag = "exchange",
    operation_id = "webhook_redeliver",
    summary = "重新推送",
    description = "把失败或已放弃的推送重新排入队列,立即推送(幂等键不变)。",
    params(("id" = i64, Path, description = "推送编号")),
    responses(
        (status = 200, description = "推送", body = Object),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
    )
)]
async fn redeliver(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(webhooks::redeliver(&app, &p, id).await?))
}
