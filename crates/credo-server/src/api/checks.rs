//! `/api/v1/checks`: 联合奖惩核查 — ask about subjects before a decision, read a signed receipt, give feedback on
//! what was done with a result, run a file of subjects in the background, see statistics.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use super::schemas;
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::Code;
use credo_app::checks::{Asker, CheckError, CheckRequest};
use credo_app::principal::Principal;

impl From<CheckError> for ApiError {
    fn from(e: CheckError) -> ApiError {
        ApiError(e.into())
    }
}

fn department(p: &Principal) -> Result<&credo_store::Department, ApiError> {
    p.department().ok_or_else(|| ApiError::forbidden("核查须以部门身份进行"))
}

#[derive(OpenApi)]
#[openapi(paths(ask, receipt, feedback, submit_job, job, stats))]
pub struct Doc;

#[utoipa::path(
    post,
    path = "/api/v1/checks",
    tag = "checks",
    operation_id = "check",
    summary = "联合奖惩核查",
    description = "在作出决定前,按核查场景核查一个或多个主体(至多 10,000 个):每个主体的结论、适用的记录与措施,\
                   附平台 SM2 签名的回执。每个被核查的主体记入审计。",
    request_body = credo_app::checks::CheckRequest,
    responses(
        (status = 200, description = "签名回执", body = schemas::CheckAnswer),
        (status = 403, description = "forbidden, scene_not_permitted"),
        (status = 422, description = "invalid_check"),
    )
)]
async fn ask(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(req): Json<CheckRequest>,
) -> Result<Json<Value>, ApiError> {
    let (actor, role, _) = p.actor();
    let asker = Asker { department: Some(department(&p)?), actor, role, client: client.map(|c| c.to_string()) };
    Ok(Json(credo_app::checks::run(&app, &asker, &req).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/checks/{id}",
    tag = "checks",
    operation_id = "check_receipt",
    summary = "核查回执",
    description = "本部门一次核查的签名回执。",
    params(("id" = String, Path, description = "核查编号(回执的 `id`)")),
    responses(
        (status = 200, description = "签名回执", body = schemas::CheckAnswer),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn receipt(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = credo_app::checks::own_check(&app, department(&p)?, &id).await?;
    Ok(Json(credo_app::checks::stored_receipt(&app, &c)?))
}

/// 核查结果反馈:部门对回执中某一结果的处理
#[derive(Deserialize, ToSchema)]
pub struct Feedback {
    /// 结果在回执中的序号
    position: i64,
    /// `已惩戒`、`已激励` 或 `未采纳`
    #[schema(examples("已惩戒"))]
    action: String,
    /// 未采纳时必填
    reason: Option<String>,
}

/// 反馈: what the department did with one result.
#[utoipa::path(
    post,
    path = "/api/v1/checks/{id}/feedback",
    tag = "checks",
    operation_id = "check_feedback",
    summary = "核查结果反馈",
    description = "部门对回执中某一结果的处理:已惩戒、已激励或未采纳(须说明理由)。",
    params(("id" = String, Path, description = "核查编号")),
    request_body = Feedback,
    responses(
        (status = 204, description = "已记录"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_feedback, reason_required"),
    )
)]
async fn feedback(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    Json(f): Json<Feedback>,
) -> Result<StatusCode, ApiError> {
    let actor = p.actor().0;
    credo_app::checks::feedback(&app, department(&p)?, &actor, &id, f.position, &f.action, f.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 批量核查的主体名单文件(`multipart/form-data`)
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the form for OpenAPI; the handler reads the fields one by one")]
struct JobUpload {
    /// 核查场景代码
    scene: String,
    /// 核查事由
    purpose: String,
    /// 业务编号
    reference: Option<String>,
    /// `YYYY-MM-DD` 或 RFC 3339 时间:按平台当时所知核查
    as_of: Option<String>,
    /// CSV 或 XLSX:列“统一社会信用代码”“代码”“证件号码”或“名称”(否则第一列),至多 1,000,000 行
    #[schema(value_type = String, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// A file of up to 1,000,000 subjects (multipart: `scene`, `purpose`, `reference`, `file`), checked in the
/// background; answers `202` with the job's address.
#[utoipa::path(
    post,
    path = "/api/v1/checks/jobs",
    tag = "checks",
    operation_id = "check_job",
    summary = "批量核查(后台任务)",
    description = "上传主体名单文件,在后台分批核查,每批一份签名回执;返回任务地址。",
    request_body(content((JobUpload = "multipart/form-data"))),
    responses(
        (status = 202, description = "任务已开始", body = schemas::JobStarted),
        (status = 400, description = "bad_multipart, missing_file"),
        (status = 403, description = "forbidden, scene_not_permitted"),
        (status = 422, description = "unusable_file, invalid_check"),
    )
)]
async fn submit_job(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    mut form: axum::extract::Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let dept = department(&p)?.clone();
    let (mut fields, mut file) = (std::collections::HashMap::new(), None);
    while let Some(f) = form.next_field().await? {
        let name = f.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = f.file_name().unwrap_or("subjects.csv").to_string();
            file = Some((file_name, f.bytes().await?));
        } else {
            fields.insert(name, f.text().await?);
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| ApiError::new(Code::MissingFile, "缺少表单字段 file(CSV 或 XLSX)"))?;
    let req = CheckRequest {
        scene: fields.remove("scene").unwrap_or_default(),
        purpose: fields.remove("purpose").unwrap_or_default(),
        reference: fields.remove("reference"),
        subjects: Vec::new(),
        as_of: fields.remove("as_of"),
    };
    let (id, total) = credo_app::checks::submit_job(&app, &dept, p.actor().0, req, file_name, bytes).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": id, "total": total, "href": format!("/api/v1/checks/jobs/{id}") }))))
}

#[utoipa::path(
    get,
    path = "/api/v1/checks/jobs/{id}",
    tag = "checks",
    operation_id = "check_job_status",
    summary = "批量核查任务进度",
    description = "本部门一个批量核查任务的进度与各批回执编号(任务只保存在服务进程内存中)。",
    params(("id" = String, Path, description = "任务编号")),
    responses(
        (status = 200, description = "任务", body = credo_app::checks::Job),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn job(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<credo_app::checks::Job>, ApiError> {
    Ok(Json(credo_app::checks::own_job(&app, department(&p)?, &id).await?))
}

/// Checks, hits and feedback rate per scene (own department; an operator sees all) and the hits still waiting
/// for feedback (执行督办).
#[utoipa::path(
    get,
    path = "/api/v1/checks/stats",
    tag = "checks",
    operation_id = "check_stats",
    summary = "核查统计与待反馈",
    description = "各场景的核查次数、命中数与反馈率(本部门;系统管理员看全部),以及尚待反馈的命中结果。",
    responses((status = 200, description = "统计", body = schemas::CheckStatsReport))
)]
async fn stats(State(app): State<Web>, Extension(p): Extension<Principal>) -> Result<Json<Value>, ApiError> {
    let dept = p.department().map(|d| d.id);
    let stats: Vec<Value> = app
        .store
        .check_stats(dept)
        .await?
        .into_iter()
        .map(|s| {
            let rate = if s.hits > 0 { (s.answered * 1000 / s.hits) as f64 / 10.0 } else { 100.0 };
            let scene = app.catalog.measures.scene(&s.scene).map(|x| x.name.clone());
            json!({ "department": s.department, "scene": s.scene, "scene_name": scene, "checks": s.checks,
                    "subjects": s.subjects, "hits": s.hits, "feedback": s.answered, "feedback_rate_percent": rate })
        })
        .collect();
    let pending = app.store.pending_feedback(dept, 500).await?;
    Ok(Json(json!({ "stats": stats, "pending": pending })))
}

/// `/api/v1/checks`: ask, read a receipt, give feedback, see statistics.
pub fn router(app: Web) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/checks", post(ask))
        .route("/api/v1/checks/stats", get(stats))
        .route(
            "/api/v1/checks/jobs",
            post(submit_job).layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_BODY)),
        )
        .route("/api/v1/checks/jobs/{id}", get(job))
        .route("/api/v1/checks/{id}", get(receipt))
        .route("/api/v1/checks/{id}/feedback", post(feedback))
        .with_state(app)
}
