//! `/api/v1/records`, `/api/v1/objections`, `/api/v1/repairs`, `/api/v1/reports`, `/api/v1/commitments` and
//! `/api/v1/cases`: 异议, 信用修复, 举报 and 信用承诺 — filing, tracking and handling (`credo_app::cases`).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use super::schemas;
use crate::Web;
use crate::error::ApiError;
use crate::guard::ClientAddr;
use credo_app::cases::*;
use credo_app::principal::Principal;

type Answer = Result<Json<Value>, ApiError>;

#[derive(OpenApi)]
#[openapi(paths(
    record,
    breach,
    objection,
    grade_objection,
    repair,
    report,
    challenge,
    list,
    show,
    extend,
    decide,
    file,
    own,
    commit
))]
pub struct Doc;

/// The case list's query (`credo_app::cases::ListQuery`), for OpenAPI.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "describes credo_app::cases::ListQuery for OpenAPI")]
struct ListParams {
    /// 案件类型:`objection`、`repair`、`report`、`grade_objection`
    kind: Option<String>,
    /// 只列逾期案件
    overdue: Option<bool>,
    /// 包括已办结案件(默认只列未办结)
    all: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/v1/records/{id}",
    tag = "cases",
    operation_id = "record",
    summary = "公示中的一条信用记录",
    description = "公众所见的记录与其公示期;若今日不能申请信用修复,给出原因。",
    params(("id" = i64, Path, description = "记录编号")),
    responses(
        (status = 200, description = "记录", body = ShownRecord),
        (status = 404, description = "not_found"),
    )
)]
async fn record(State(app): State<Web>, Path(id): Path<i64>) -> Answer {
    Ok(Json(json!(record_view(&app, id).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/records/{id}/breach",
    tag = "cases",
    operation_id = "record_breach",
    summary = "记录信用承诺未履约",
    description = "承诺所向的部门记录未履约:承诺记录的新版本成为失信记录。",
    params(("id" = i64, Path, description = "信用承诺记录的编号")),
    request_body = BreachIn,
    responses(
        (status = 200, description = "承诺记录的新版本", body = Breached),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "already_breached"),
        (status = 422, description = "not_a_commitment, bad_date, missing_field, too_long"),
    )
)]
async fn breach(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Json(o): Json<BreachIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::breach(&app, &p, id, &o).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/objections",
    tag = "cases",
    operation_id = "file_objection",
    summary = "提出异议",
    description = "对公示中的记录提出异议。未登录者须附联系方式并完成验证题(`GET /api/v1/challenge`);\
                   同一地址每小时提交次数有限。返回案件编号与进度。",
    request_body = ObjectionIn,
    responses(
        (status = 201, description = "已受理", body = Tracking),
        (status = 404, description = "not_found"),
        (status = 409, description = "objection_open"),
        (status = 422, description = "record_closed, challenge_required, challenge_failed, contact_required, bad_phone, \
                                      missing_field, too_long, too_many_files, bad_file"),
    )
)]
async fn objection(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(o): Json<ObjectionIn>,
) -> Response {
    created(
        async {
            admit_filing(&app, &p, client, o.challenge.as_ref()).await?;
            file_objection(&app, &p, &o).await
        }
        .await,
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/grade-objections",
    tag = "cases",
    operation_id = "file_grade_objection",
    summary = "对信用评价提出异议",
    description = "对主体的信用评价等级(如公共信用综合评价)提出异议,由平台信用审核员受理并在异议时限内办理:维持,或重新评价。\
                   对评价所依据的某条记录有异议的,请对该记录提出异议(`/api/v1/objections`)。未登录者须附联系方式并完成验证题;\
                   同一地址每小时提交次数有限。返回案件编号与进度。",
    request_body = GradeObjectionIn,
    responses(
        (status = 201, description = "已受理", body = Tracking),
        (status = 404, description = "not_found"),
        (status = 422, description = "challenge_required, challenge_failed, contact_required, bad_phone, missing_field, \
                                      too_long, too_many_files, bad_file"),
    )
)]
async fn grade_objection(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(o): Json<GradeObjectionIn>,
) -> Response {
    created(
        async {
            admit_filing(&app, &p, client, o.challenge.as_ref()).await?;
            file_grade_objection(&app, &p, &o).await
        }
        .await,
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/repairs",
    tag = "cases",
    operation_id = "file_repair",
    summary = "申请信用修复",
    description = "信用主体账号为本主体的记录申请信用修复(最短公示期满后,轻微失信则履行义务后);\
                   同时生成信用承诺书并记为信用修复型承诺。",
    request_body = RepairIn,
    responses(
        (status = 201, description = "已受理", body = RepairFiled),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "repair_open"),
        (status = 422, description = "not_repairable, record_closed, missing_field, too_long, too_many_files, bad_file"),
    )
)]
async fn repair(State(app): State<Web>, Extension(p): Extension<Principal>, Json(o): Json<RepairIn>) -> Response {
    created(file_repair(&app, &p, &o).await)
}

#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "cases",
    operation_id = "file_report",
    summary = "举报",
    description = "向负责部门举报失信行为。未登录者须完成验证题;举报人联系方式必填。返回案件编号与进度。",
    request_body = ReportIn,
    responses(
        (status = 201, description = "已受理", body = Tracking),
        (status = 422, description = "unknown_department, challenge_required, challenge_failed, contact_required, \
                                      bad_phone, missing_field, too_long, too_many_files, bad_file"),
    )
)]
async fn report(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(o): Json<ReportIn>,
) -> Response {
    created(
        async {
            admit_filing(&app, &p, client, o.challenge.as_ref()).await?;
            file_report(&app, &p, &o).await
        }
        .await,
    )
}

/// A new challenge for an anonymous filing: `{"image": "data:image/svg+xml;base64,…", "token": …}`.
#[utoipa::path(
    get,
    path = "/api/v1/challenge",
    tag = "cases",
    operation_id = "challenge",
    summary = "验证题",
    description = "未登录者提交异议或举报前须完成的验证题:图中算式的结果与 `token` 一并提交(`challenge`)。",
    responses((status = 200, description = "验证题", body = schemas::Challenge))
)]
async fn challenge(State(app): State<Web>) -> Json<Value> {
    let c = app.challenges.issue();
    Json(
        json!({ "image": c.image, "token": c.token, "valid_minutes": credo_app::challenge::VALID_FOR.whole_minutes() }),
    )
}

fn created(r: Result<Value, credo_app::Error>) -> Response {
    match r {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    operation_id = "cases",
    summary = "待办案件",
    description = "案件办理员:本部门的案件(含申请人);信用审核员:全部异议与修复案件(不含申请人)。默认只列未办结的。",
    params(ListParams),
    responses(
        (status = 200, description = "案件", body = CaseList),
        (status = 403, description = "forbidden"),
    )
)]
async fn list(State(app): State<Web>, Extension(p): Extension<Principal>, Query(q): Query<ListQuery>) -> Answer {
    Ok(Json(json!(credo_app::cases::list(&app, &p, &q).await?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}",
    tag = "cases",
    operation_id = "case",
    summary = "案件",
    description = "办理人员与申请人看到完整案件;其他知道编号的人只看到进度。",
    params(("number" = String, Path, description = "案件编号")),
    responses(
        (status = 200, description = "案件或其进度", body = Shown),
        (status = 404, description = "not_found"),
    )
)]
async fn show(State(app): State<Web>, Extension(p): Extension<Principal>, Path(number): Path<String>) -> Answer {
    Ok(Json(json!(credo_app::cases::show(&app, &p, &number).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/extend",
    tag = "cases",
    operation_id = "case_extend",
    summary = "异议延期",
    description = "异议案件的办理期限延长一次,总计不超过规定的工作日。",
    params(("number" = String, Path, description = "案件编号")),
    request_body = ExtendIn,
    responses(
        (status = 200, description = "案件", body = CaseDetail),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "case_closed"),
        (status = 422, description = "not_extendable, already_extended, bad_extension, missing_field, too_long"),
    )
)]
async fn extend(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(number): Path<String>,
    Json(o): Json<ExtendIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::extend(&app, &p, &number, &o).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/decide",
    tag = "cases",
    operation_id = "case_decide",
    summary = "办理案件",
    description = "案件的下一步:受理、更正、撤销、维持、准予修复、不予修复、办结举报等(错误信息列出当前状态允许的结果)。",
    params(("number" = String, Path, description = "案件编号")),
    request_body = DecideIn,
    responses(
        (status = 200, description = "案件", body = CaseDetail),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 409, description = "case_closed"),
        (status = 422, description = "bad_outcome, fields_required, bad_field, invalid_record, key_changed, \
                                      missing_field, too_long"),
    )
)]
async fn decide(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path(number): Path<String>,
    Json(o): Json<DecideIn>,
) -> Answer {
    Ok(Json(json!(credo_app::cases::decide(&app, &p, &number, &o).await?)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}/files/{n}",
    tag = "cases",
    operation_id = "case_file",
    summary = "案件证明材料",
    description = "案件的第 n 个证明材料文件(本部门案件办理员、信用审核员)。",
    params(
        ("number" = String, Path, description = "案件编号"),
        ("n" = i64, Path, description = "文件序号(从 1 起)"),
    ),
    responses(
        (status = 200, description = "文件(`Content-Disposition: attachment`)", body = Vec<u8>,
         content_type = "application/octet-stream"),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
    )
)]
async fn file(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    Path((number, n)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = credo_app::cases::file(&app, &p, &number, n).await?;
    let disposition = format!("attachment; filename*=UTF-8''{}", urlencoding(&name));
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

/// RFC 5987 percent-encoding of a file name.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/api/v1/me/cases",
    tag = "cases",
    operation_id = "own_cases",
    summary = "本人提交的案件",
    description = "信用主体账号提交的异议、修复与举报。",
    responses(
        (status = 200, description = "案件", body = OwnCases),
        (status = 403, description = "forbidden"),
    )
)]
async fn own(State(app): State<Web>, Extension(p): Extension<Principal>) -> Answer {
    Ok(Json(json!(own_cases(&app, &p).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/commitments",
    tag = "cases",
    operation_id = "commit",
    summary = "作出信用承诺",
    description = "信用主体账号向部门作出信用承诺;承诺成为该部门的公示记录(履约中)。",
    request_body = CommitIn,
    responses(
        (status = 201, description = "承诺记录", body = Committed),
        (status = 403, description = "forbidden"),
        (status = 404, description = "not_found"),
        (status = 422, description = "unknown_department, bad_type, missing_field, too_long"),
    )
)]
async fn commit(State(app): State<Web>, Extension(p): Extension<Principal>, Json(o): Json<CommitIn>) -> Response {
    created(credo_app::cases::commit(&app, &p, &o).await)
}

pub fn router(app: Web) -> axum::Router {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    let limit = || DefaultBodyLimit::max(MAX_CASE_BODY);
    axum::Router::new()
        .route("/api/v1/records/{id}", get(record))
        .route("/api/v1/records/{id}/breach", post(breach))
        .route("/api/v1/objections", post(objection).layer(limit()))
        .route("/api/v1/grade-objections", post(grade_objection).layer(limit()))
        .route("/api/v1/repairs", post(repair).layer(limit()))
        .route("/api/v1/reports", post(report).layer(limit()))
        .route("/api/v1/challenge", get(challenge))
        .route("/api/v1/cases", get(list))
        .route("/api/v1/cases/{number}", get(show))
        .route("/api/v1/cases/{number}/extend", post(extend))
        .route("/api/v1/cases/{number}/decide", post(decide))
        .route("/api/v1/cases/{number}/files/{n}", get(file))
        .route("/api/v1/me/cases", get(own))
        .route("/api/v1/commitments", post(commit))
        .with_state(app)
}
