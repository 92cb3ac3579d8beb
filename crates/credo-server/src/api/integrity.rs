//! `/api/v1/integrity`, `/api/v1/agencies`, `/api/v1/me/gov-complaints`, `/api/v1/civil-servants/archive`: 政务诚信
//! and the credit service market (`credo_app::integrity`).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use credo_app::integrity::{
    self, AgencyIn, AgencyView, Archive, ArchiveQuery, Body, CommitmentIn, CommitmentView, ComplaintIn, Dashboard,
    EvaluationIn, PaidIn, SettleIn, StaffIn,
};
use credo_app::principal::Principal;
use credo_store::Agency;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi};

use crate::Web;
use crate::error::ApiError;

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/api/v1/integrity", get(dashboard))
        .route("/api/v1/integrity/bodies/{code}", get(body))
        .route("/api/v1/integrity/commitments", post(register_commitment))
        .route("/api/v1/integrity/commitments/{id}/settle", post(settle_commitment))
        .route("/api/v1/integrity/arrears/{id}/paid", post(paid))
        .route("/api/v1/me/gov-complaints", post(complain))
        .route("/api/v1/civil-servants/archive", post(archive))
        .route("/api/v1/agencies", get(agencies).post(register_agency))
        .route("/api/v1/agencies/{id}", get(agency))
        .route("/api/v1/agencies/{id}/staff", post(add_staff))
        .route("/api/v1/agencies/{id}/evaluations", post(evaluate))
        .with_state(app)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        dashboard,
        body,
        register_commitment,
        settle_commitment,
        paid,
        complain,
        archive,
        agencies,
        register_agency,
        agency,
        add_staff,
        evaluate
    ),
    components(schemas(
        ComplaintIn,
        CommitmentIn,
        SettleIn,
        PaidIn,
        ArchiveQuery,
        Archive,
        AgencyIn,
        StaffIn,
        EvaluationIn,
        AgencyView,
        Dashboard,
        Body,
        CommitmentView
    ))
)]
pub struct Doc;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DashboardQuery {
    /// 只看一个区县(行政区划代码)
    district: Option<String>,
    /// `csv`:导出为 CSV
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/integrity",
    tag = "integrity",
    operation_id = "integrity_dashboard",
    summary = "政务诚信监测",
    description = "各机关、事业单位的政务失信记录、拖欠企业账款(未清偿与已清偿)、政务失信投诉及其按期答复、政务承诺兑现与逾期,按区县合计;以及各部门使用信用信息的情况(按场景的核查数与反馈率)。`format=csv` 导出。",
    params(DashboardQuery),
    responses(
        (status = 200, description = "监测数据", body = Dashboard),
        (status = 409, description = "conflict"),
    )
)]
async fn dashboard(State(app): State<Web>, Query(q): Query<DashboardQuery>) -> Result<Response, ApiError> {
    let district = q.district.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let d = integrity::dashboard(&app, district).await?;
    if q.format.as_deref() == Some("csv") {
        let bytes = integrity::dashboard_csv(&d)?;
        let disposition = format!("attachment; filename=\"integrity-{}.csv\"", d.day);
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            bytes,
        )
            .into_response());
    }
    Ok(Json(d).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/integrity/bodies/{code}",
    tag = "integrity",
    operation_id = "integrity_body",
    summary = "机关的政务诚信",
    description = "公示中的政务失信信息、政务承诺(含逾期)及监测指标。",
    params(("code" = String, Path, description = "机关、事业单位的统一社会信用代码")),
    responses((status = 200, description = "机关", body = Body), (status = 404, description = "not_found"))
)]
async fn body(State(app): State<Web>, Path(code): Path<String>) -> Result<Json<Body>, ApiError> {
    Ok(Json(integrity::body(&app, &code).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/integrity/commitments",
    tag = "integrity",
    operation_id = "gov_commitment_register",
    summary = "登记政务承诺",
    description = "机关、事业单位本部门的报送员或案件办理员(或报送密钥)登记承诺及兑现期限。",
    request_body = CommitmentIn,
    responses(
        (status = 201, description = "承诺", body = CommitmentView),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 422, description = "bad_field, bad_date, missing_field, too_long"),
    )
)]
async fn register_commitment(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(o): Json<CommitmentIn>,
) -> Result<(StatusCode, Json<CommitmentView>), ApiError> {
    Ok((StatusCode::CREATED, Json(integrity::register_commitment(&app, &p, &o).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/integrity/commitments/{id}/settle",
    tag = "integrity",
    operation_id = "gov_commitment_settle",
    summary = "登记政务承诺的兑现结果",
    params(("id" = i64, Path, description = "承诺编号")),
    request_body = SettleIn,
    responses(
        (status = 200, description = "承诺", body = CommitmentView),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "bad_field, missing_field"),
    )
)]
async fn settle_commitment(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<SettleIn>,
) -> Result<Json<CommitmentView>, ApiError> {
    Ok(Json(integrity::settle_commitment(&app, &p, id, &o).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/integrity/arrears/{id}/paid",
    tag = "integrity",
    operation_id = "arrears_paid",
    summary = "记录拖欠企业账款已清偿",
    description = "欠款机关本部门或信用办信用审核员记录;记录的新版本带清偿日期,不再公示,监测中计为已清偿。",
    params(("id" = i64, Path, description = "拖欠企业账款记录编号")),
    request_body = PaidIn,
    responses(
        (status = 200, description = "记录编号、版本与清偿日期", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "bad_date"),
    )
)]
async fn paid(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<PaidIn>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(integrity::mark_paid(&app, &p, id, &o).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/gov-complaints",
    tag = "integrity",
    operation_id = "gov_complaint_file",
    summary = "政务失信投诉",
    description = "企业以本单位的信用主体账号投诉机关、事业单位拖欠账款、违约或政策承诺未兑现;由信用办受理转办,机关限期答复,信用办认定或驳回。返回案件编号与进度。",
    request_body = ComplaintIn,
    responses(
        (status = 201, description = "案件进度", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_uscc, bad_field, bad_date, missing_field, invalid_record, too_long"),
    )
)]
async fn complain(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(o): Json<ComplaintIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(integrity::file_complaint(&app, &p, &o).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/civil-servants/archive",
    tag = "integrity",
    operation_id = "civil_servant_archive",
    summary = "查阅公务员诚信档案",
    description = "仅限经授权的组织、人事部门的核查员或案件办理员,须写明查阅目的;每次查阅记入本人的被查询记录。身份证号码放在请求体中,不出现在网址里。",
    request_body = ArchiveQuery,
    responses(
        (status = 200, description = "档案", body = Archive),
        (status = 400, description = "invalid_json"),
        (status = 401, description = "sign_in_required"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 422, description = "missing_field, too_long"),
    )
)]
async fn archive(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(q): Json<ArchiveQuery>,
) -> Result<Json<Archive>, ApiError> {
    Ok(Json(integrity::read_archive(&app, &p, &q).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies",
    tag = "integrity",
    operation_id = "agencies",
    summary = "信用服务机构名录",
    description = "备案的信用服务机构:业务范围、从业人员(姓名已遮蔽)、年度评价和收到的举报。",
    responses((status = 200, description = "机构", body = [AgencyView]), (status = 409, description = "conflict"))
)]
async fn agencies(State(app): State<Web>) -> Result<Json<Vec<AgencyView>>, ApiError> {
    Ok(Json(integrity::agencies(&app).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{id}",
    tag = "integrity",
    operation_id = "agency",
    summary = "信用服务机构",
    params(("id" = i64, Path, description = "机构编号")),
    responses((status = 200, description = "机构", body = AgencyView), (status = 404, description = "not_found"))
)]
async fn agency(State(app): State<Web>, Path(id): Path<i64>) -> Result<Json<AgencyView>, ApiError> {
    Ok(Json(integrity::agency_public(&app, id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/agencies",
    tag = "integrity",
    operation_id = "agency_register",
    summary = "信用服务机构备案",
    description = "信用办信用审核员办理。",
    request_body = AgencyIn,
    responses(
        (status = 201, description = "机构", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 409, description = "conflict"),
        (status = 422, description = "invalid_uscc, bad_field, bad_date, missing_field, unknown_department"),
    )
)]
async fn register_agency(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Json(o): Json<AgencyIn>,
) -> Result<(StatusCode, Json<Agency>), ApiError> {
    Ok((StatusCode::CREATED, Json(integrity::register_agency(&app, &p, &o).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/agencies/{id}/staff",
    tag = "integrity",
    operation_id = "agency_staff",
    summary = "登记机构从业人员",
    description = "信用办信用审核员办理;人员须已有职业信用档案。",
    params(("id" = i64, Path, description = "机构编号")),
    request_body = StaffIn,
    responses(
        (status = 200, description = "机构", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "missing_field, too_long"),
    )
)]
async fn add_staff(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<StaffIn>,
) -> Result<Json<Agency>, ApiError> {
    Ok(Json(integrity::add_staff(&app, &p, id, &o).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/agencies/{id}/evaluations",
    tag = "integrity",
    operation_id = "agency_evaluate",
    summary = "机构年度评价",
    params(("id" = i64, Path, description = "机构编号")),
    request_body = EvaluationIn,
    responses(
        (status = 200, description = "机构", body = Object),
        (status = 400, description = "invalid_json"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "conflict"),
        (status = 422, description = "bad_field, missing_field"),
    )
)]
async fn evaluate(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<EvaluationIn>,
) -> Result<Json<Agency>, ApiError> {
    Ok(Json(integrity::evaluate_agency(&app, &p, id, &o).await?))
}
