//! The API's description, OpenAPI 3.1: `GET /api/v1/openapi.json`, and its page, `GET /api/docs/` (Swagger UI).
//!
//! Each resource's file annotates its handlers (`#[utoipa::path]`: method, path, tag, parameters, body, the
//! success answer and the error codes the handler itself answers with) and gathers them in its own `Doc`.
//! [`document`] merges those and adds what every route shares, from the tables that decide it, so that it cannot
//! drift from them:
//!
//! * who may call an operation ([`policy::anyone_may`], [`policy::role_may`], [`policy::scope_may`]), as its
//!   security requirements and a sentence in its description, and the action's audit code as `x-credo-action`;
//! * the errors the guard and the framework answer with (sign-in required, not permitted, CSRF, rate limits,
//!   unreadable bodies, parameters or queries, server errors);
//! * every error response as RFC 9457 problem+json ([`problem_schema`]: `code` is one of [`Code::ALL`]), with one
//!   example per code. A handler's annotation names its codes in the response's description, `"not_found,
//!   forbidden"`; a name that is no code, or a code answered with another status, fails [`document`] (and so
//!   every test that serves the API).
//!
//! Swagger UI is the `utoipa-swagger-ui` crate's, with its `vendored` feature: the page's scripts and styles come
//! from a crate on the registry and are compiled into the binary; nothing is fetched from elsewhere, at build time or
//! by the browser (the platform runs on a government intranet). Its online validator is turned off.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use credo_app::Code;
use credo_app::principal::Role;
use serde_json::json;
use utoipa::OpenApi;
use utoipa::openapi::content::Content;
use utoipa::openapi::example::{Example, ExampleBuilder};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response as Answer;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, SchemaFormat};

use crate::error::ApiError;
use crate::policy::{self, Action};

/// Where the document is served.
pub const DOCUMENT: &str = "/api/v1/openapi.json";
/// Where its page is.
pub const PAGE: &str = "/api/docs/";

/// The media type of every error.
pub const PROBLEM: &str = "application/problem+json";

/// Security scheme names.
const API_KEY: &str = "api_key";
const SESSION: &str = "session";
const CSRF: &str = "csrf";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "信用西宁 Credo API",
        description = "西宁市公共信用信息平台的 HTTP 接口:信用主体查询与公示(公开)、部门数据报送与联合奖惩核查(部门 API \
                       密钥或账号)、异议、信用修复、举报与信用承诺、账号与部门管理、审计。\n\n\
                       错误一律以 RFC 9457 `application/problem+json` 返回,`code` 为稳定的机器可读错误码。\n\n\
                       身份:部门 API 密钥(`Authorization: Bearer credo_…`),或登录后的会话 Cookie `credo_session`;\
                       以会话进行的写操作须带请求头 `X-CSRF-Token`(登录时返回的 `csrf`)。",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(openapi_json),
    tags(
        (name = "subjects", description = "信用主体查询、公示与信息目录(公开)"),
        (name = "session", description = "登录、退出与本人账号;信用主体账号的本人记录与查询记录"),
        (name = "batches", description = "部门数据报送(JSON、CSV、XLSX)与待匹配记录"),
        (name = "resolution", description = "主体识别:待匹配记录的候选主体,同一/不同/无法确定的判断(关联记录、合并主体、关联旧代码)及撤销"),
        (name = "checks", description = "联合奖惩核查:核查、回执、反馈与统计"),
        (name = "exchange", description = "数据共享与开放:增量数据、实体匹配"),
        (name = "supervision", description = "分类监管:按信用评价等级分层的双随机抽查(抽取、公示、录入检查结果)"),
        (name = "articles", description = "信用动态、政策法规与典型案例:公开的文章,及撰稿、送审、审核发布与撤下"),
        (name = "finance", description = "融资对接:金融机构的融资产品、主体的申请与授权、受理放款与统计、守信企业推荐"),
        (name = "honours", description = "诚信建设示范单位:公示与命名、申报、评审与撤销"),
        (name = "integrity", description = "政务诚信:政务失信投诉、政务承诺、政务诚信监测、公务员诚信档案、信用服务机构"),
        (name = "cases", description = "异议、信用修复、举报、信用承诺与案件办理"),
        (name = "departments", description = "部门、部门权限与 API 密钥(系统管理员、安全管理员)"),
        (name = "accounts", description = "部门用户与信用主体账号(安全管理员)"),
        (name = "audit", description = "审计日志与其校验(审计管理员)"),
        (name = "docs", description = "本接口文档"),
    )
)]
struct Base;

/// This document (OpenAPI 3.1).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "docs",
    operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 文档", body = Object, content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str()).into_response()
}

static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(build);
static JSON: LazyLock<String> = LazyLock::new(|| DOC.to_json().unwrap_or_default());

/// The document (built once).
pub fn document() -> &'static utoipa::openapi::OpenApi {
    &DOC
}

fn build() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    for part in [
        super::subjects::Doc::openapi(),
        super::session::Doc::openapi(),
        super::batches::Doc::openapi(),
        super::judgements::Doc::openapi(),
        super::supervision::Doc::openapi(),
        super::exchange::Doc::openapi(),
        super::webhooks::Doc::openapi(),
        super::articles::Doc::openapi(),
        super::finance::Doc::openapi(),
        super::honours::Doc::openapi(),
        super::integrity::Doc::openapi(),
        super::checks::Doc::openapi(),
        super::cases::Doc::openapi(),
        super::departments::Doc::openapi(),
        super::accounts::Doc::openapi(),
        super::audit::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert("Problem".into(), RefOr::T(problem_schema()));
    components.examples.extend(problem_examples());
    components.security_schemes.insert(
        API_KEY.into(),
        RefOr::T(SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("credo_<prefix>_<secret>")
                .description(Some(
                    "部门 API 密钥:`Authorization: Bearer credo_…`(由安全管理员签发,按权限范围 submit、check 授权)",
                ))
                .build(),
        )),
    );
    components.security_schemes.insert(
        SESSION.into(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::cookies::COOKIE,
            "会话 Cookie:`POST /api/v1/session` 登录后设置(HttpOnly, SameSite=Strict)",
        )))),
    );
    components.security_schemes.insert(
        CSRF.into(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            crate::cookies::CSRF_HEADER,
            "CSRF 令牌:以会话 Cookie 进行的写操作(POST、PUT、DELETE)必须携带,值为登录或 `GET /api/v1/me` 返回的 `csrf`",
        )))),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ] {
            if let Some(op) = op {
                finish(method, path, op);
            }
        }
    }
    doc
}

/// Who may call, the guard's and the framework's errors, and problem+json for every error.
fn finish(method: &str, path: &str, op: &mut Operation) {
    let Some(action) = policy::action_for(method, path) else {
        panic!("{method} {path} is documented but not in the policy table");
    };
    let unsafe_method = method != "GET";
    // Security: none for public routes; an optional session where anyone may, but a session acts as itself
    // (filing as the subject, signing out); else a session, with CSRF on writes, or a key with a scope that may.
    let session = || {
        let r = SecurityRequirement::new(SESSION, Vec::<String>::new());
        if unsafe_method { r.add(CSRF, Vec::<String>::new()) } else { r }
    };
    let scopes: Vec<&str> =
        credo_app::keys::SCOPES.iter().map(|(s, _)| *s).filter(|s| policy::scope_may(s, action)).collect();
    let roles: Vec<Role> = Role::ALL.into_iter().filter(|r| policy::role_may(*r, action)).collect();
    let mut security = Vec::new();
    let who = if policy::anyone_may(action) {
        if action != Action::Public {
            security.push(SecurityRequirement::default());
            security.push(session());
        }
        "任何人(无需登录)".to_string()
    } else {
        security.push(session());
        if !scopes.is_empty() {
            security.push(SecurityRequirement::new(API_KEY, Vec::<String>::new()));
        }
        let mut who: Vec<String> = if roles.len() == Role::ALL.len() {
            vec!["任何已登录账号".into()]
        } else {
            roles.iter().map(|r| format!("{}(`{}`)", r.label(), r.code())).collect()
        };
        who.extend(scopes.iter().map(|s| format!("权限范围含 `{s}` 的部门 API 密钥")));
        who.join("、")
    };
    if !security.is_empty() {
        op.security = Some(security);
    }
    let line = format!("**可调用者**:{who}。审计动作:`{}`。", action.code());
    op.description = Some(match op.description.take() {
        Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
        _ => line,
    });
    op.extensions
        .get_or_insert_with(Default::default)
        .merge(ExtensionsBuilder::new().add("x-credo-action", action.code()).build());

    // The errors every operation may meet, by what it reads and who may call it.
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p.parameter_in.clone()),
        RefOr::Ref(_) => None,
    });
    let (mut in_path, mut in_query) = (false, false);
    for p in params {
        in_path |= matches!(p, ParameterIn::Path);
        in_query |= matches!(p, ParameterIn::Query);
    }
    // A department key that is wrong, expired or revoked is refused on every route, public ones too; a session's
    // write without its CSRF token likewise.
    let mut shared: Vec<Code> = vec![Code::Unauthorized, Code::RateLimited, Code::InternalError];
    if unsafe_method {
        shared.push(Code::CsrfTokenInvalid);
    }
    if in_path || in_query {
        shared.push(Code::InvalidRequest);
    }
    if let Some(RefOr::T(body)) = &op.request_body {
        shared.extend([Code::InvalidRequest, Code::BodyTooLarge, Code::UnsupportedMediaType]);
        if body.content.contains_key("application/json") {
            // A JSON body of the wrong shape: the framework's 422, as `invalid_request` (see `guard::as_problem`).
            add_codes(op, 422, &[Code::InvalidRequest]);
        }
    }
    if !policy::anyone_may(action) {
        shared.extend([Code::SignInRequired, Code::NotPermitted]);
    }
    for code in shared {
        add_codes(op, code.status(), &[code]);
    }
    for (status, answer) in op.responses.responses.iter_mut() {
        let status: u16 = status.parse().unwrap_or(0);
        if let (RefOr::T(answer), 400..) = (answer, status) {
            problem_response(&format!("{method} {path}"), status, answer);
        }
    }
}

/// Adds `codes` to the operation's response for `status` (its description lists codes until [`problem_response`]).
fn add_codes(op: &mut Operation, status: u16, codes: &[Code]) {
    let entry = op.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::T(Answer::new("")));
    if let RefOr::T(answer) = entry {
        for code in codes {
            let listed: Vec<&str> = answer.description.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            if !listed.contains(&code.as_str()) {
                answer.description =
                    if listed.is_empty() { code.as_str().into() } else { format!("{}, {code}", answer.description) };
            }
        }
    }
}

/// The codes an error response's description names (`"not_found, forbidden"`), turned into the response: the
/// codes with their titles, problem+json with one example per code.
fn problem_response(operation: &str, status: u16, answer: &mut Answer) {
    let mut examples = BTreeMap::new();
    let mut lines = Vec::new();
    for name in answer.description.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some(code) = Code::parse(name) else {
            panic!("{operation}: the {status} response names `{name}`, which is no error code");
        };
        // The framework's own rejections keep its status (a JSON body of the wrong shape: 422 `invalid_request`).
        let framework = code == Code::InvalidRequest && status == 422;
        assert!(
            code.status() == status || framework,
            "{operation}: `{code}` is answered with {}, not {status}",
            code.status()
        );
        lines.push(format!("`{code}`:{}", code.title()));
        let example = if framework { format!("{code}_{status}") } else { code.to_string() };
        examples.insert(code.to_string(), RefOr::Ref(Ref::new(format!("#/components/examples/{example}"))));
    }
    assert!(!lines.is_empty(), "{operation}: the {status} response names no error code");
    answer.description = lines.join(";");
    let mut content = Content::new(Some(RefOr::<Schema>::Ref(Ref::from_schema_name("Problem"))));
    content.examples = examples;
    answer.content.clear();
    answer.content.insert(PROBLEM.into(), RefOr::T(content));
}

/// One example problem per code (and one for the framework's 422 `invalid_request`), referred to by the responses.
fn problem_examples() -> impl Iterator<Item = (String, RefOr<Example>)> {
    let example = |code: Code, status: u16| {
        let value = json!({
            "type": format!("https://credit.xining.gov.cn/problems/{code}"), "title": code.title(), "status": status,
            "detail": "……", "code": code.as_str(),
        });
        RefOr::T(ExampleBuilder::new().summary(format!("{code}:{}", code.title())).value(Some(value)).build())
    };
    Code::ALL
        .iter()
        .map(move |c| (c.to_string(), example(*c, c.status())))
        .chain([(format!("{}_422", Code::InvalidRequest), example(Code::InvalidRequest, 422))])
}

/// RFC 9457 problem details, with the platform's stable `code`.
pub fn problem_schema() -> Schema {
    let string = |description: &str| ObjectBuilder::new().schema_type(Type::String).description(Some(description));
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("RFC 9457 problem details (`application/problem+json`)"))
            .property(
                "type",
                string("`https://credit.xining.gov.cn/problems/{code}`")
                    .format(Some(SchemaFormat::Custom("uri".into()))),
            )
            .required("type")
            .property("title", string("The code's Chinese title"))
            .required("title")
            .property("status", ObjectBuilder::new().schema_type(Type::Integer).description(Some("The HTTP status")))
            .required("status")
            .property("detail", string("What went wrong, in Chinese, for the caller (ID numbers masked)"))
            .required("detail")
            .property(
                "code",
                string("The stable, machine-readable error code")
                    .enum_values(Some(Code::ALL.iter().map(|c| c.as_str()))),
            )
            .required("code")
            .build(),
    )
}

/// Swagger UI's configuration: the document above, nothing from elsewhere.
static UI: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> = LazyLock::new(|| {
    Arc::new(utoipa_swagger_ui::Config::new([DOCUMENT]).validator_url("none").display_request_duration(true))
});

/// A file of the page (`index.html` for the page itself).
async fn ui_file(file: Option<Path<String>>) -> Result<Response, ApiError> {
    let file = file.map(|Path(f)| f).unwrap_or_default();
    let not_found = || ApiError::not_found(format!("接口文档没有文件“{file}”"));
    match utoipa_swagger_ui::serve(&file, UI.clone()) {
        Ok(Some(f)) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, f.content_type), (header::CACHE_CONTROL, "public, max-age=3600".into())],
            f.bytes.into_owned(),
        )
            .into_response()),
        Ok(None) => Err(not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The routes of the document and its page. The document is built here, when the server starts: an annotation that
/// names an unknown error code, or a route missing from the policy table, stops it.
pub fn router() -> Router {
    LazyLock::force(&JSON);
    Router::new()
        .route(DOCUMENT, get(openapi_json))
        .route("/api/docs", get(|| async { Redirect::permanent(PAGE) }))
        .route(PAGE, get(|| ui_file(None)))
        .route("/api/docs/{file}", get(|file: Path<String>| ui_file(Some(file))))
}
