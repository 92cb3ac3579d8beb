//! 信用西宁 website: server-rendered pages (askama templates in `templates/`, one stylesheet in `static/`, no
//! script and nothing from a CDN). The pages are another face of the same services the API uses — search,
//! publicity, cases, batches — and go through the same guard: every page route is in the policy table.
//!
//! * [`home`], [`search`], [`subject`] (and records), [`lists`], [`policy`], [`verify`], [`open`]: the public
//!   pages.
//! * [`cases`]: the objection and report forms and case tracking; [`me`]: a subject's own page.
//! * [`console`]: sign-in, the department console (cases, uploads with their row-level report) and the
//!   operators' dashboards.
//! * [`chrome`] (the frame every page shares) and [`rows`] (a record as a row) are used by all of them.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::Web;

pub mod account;
pub mod admin;
pub mod articles;
pub mod audit;
pub mod cases;
pub mod charts;
pub mod checks;
pub mod chrome;
pub mod console;
pub mod districts;
pub mod finance;
pub mod home;
pub mod honours;
pub mod integrity;
pub mod lists;
pub mod me;
pub mod open;
pub mod policy;
pub mod resolve;
pub mod rows;
pub mod rural;
pub mod search;
pub mod subject;
pub mod submit;
pub mod supervision;
pub mod verify;
pub mod webhooks;

const CSS: &str = include_str!("../../static/site.css");

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

pub fn router(app: Web) -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/static/site.css", get(stylesheet))
        .route("/search", get(search::search))
        .route("/subjects/{key}", get(subject::subject))
        .route("/records/{id}", get(subject::record))
        .route("/records/{id}/objection", get(cases::objection_form).post(cases::objection))
        .route("/report", get(cases::report_form).post(cases::report))
        .route("/lists/{list}", get(lists::list))
        .route("/supervision", get(supervision::draws))
        .route("/supervision/{number}", get(supervision::draw))
        .route("/policy", get(policy::policy))
        .route("/districts", get(districts::index))
        .route("/districts/{code}", get(districts::district))
        .route("/open", get(open::open))
        .route("/open/{day}/{file}", get(open::file))
        .route("/rural", get(rural::rural))
        .route("/finance", get(finance::finance))
        .route("/integrity", get(integrity::dashboard))
        .route("/integrity/{code}", get(integrity::body))
        .route("/agencies", get(integrity::agencies))
        .route("/agencies/{id}", get(integrity::agency))
        .route("/honours", get(honours::list))
        .route("/honours/{id}", get(honours::honour))
        .route("/console/honours", get(honours::console))
        .route("/console/honours/{id}", post(honours::step))
        .route("/me/honours", post(me::apply_honour))
        .route("/me/gov-complaints", post(me::gov_complaint))
        .route("/console/finance", get(finance::console))
        .route("/console/finance/products", post(finance::publish))
        .route("/console/finance/applications/{id}", post(finance::decide))
        .route("/me/loan-applications", post(me::apply_loan))
        .route("/me/loan-applications/{id}/withdraw", post(me::withdraw_loan))
        .route("/news", get(articles::news))
        .route("/news/feed.xml", get(articles::feed))
        .route("/news/{id}", get(articles::article))
        .route("/console/articles", get(articles::console).post(articles::create))
        .route("/console/articles/{id}", get(articles::view).post(articles::edit))
        .route("/console/articles/{id}/steps", post(articles::step))
        .route("/verify", get(verify::verify))
        .route("/cases", get(cases::case_lookup))
        .route("/cases/{number}", get(cases::case))
        .route("/sign-in", get(console::sign_in_form).post(console::sign_in))
        .route("/sign-out", post(console::sign_out))
        .route("/console", get(console::console))
        .route("/console/cases/{number}", get(console::case).post(console::decide))
        .route("/console/unresolved", get(resolve::queue))
        .route("/console/unresolved/{id}", get(resolve::record).post(resolve::judge))
        .route("/console/judgements/{id}/undo", post(resolve::undo))
        .route("/console/upload", get(console::upload_form).post(console::upload))
        .route("/console/batches", get(submit::batches))
        .route("/console/batches/{id}", get(submit::batch))
        .route("/console/batches/{id}/report.csv", get(submit::batch_report))
        .route("/console/templates/{file}", get(submit::template))
        .route("/console/records/new", get(submit::entry_form))
        .route("/console/records", post(submit::entry))
        .route("/console/records/{id}", get(submit::record))
        .route("/console/records/{id}/withdraw", post(submit::withdraw))
        .route("/console/checks", get(checks::checks_form).post(checks::check))
        .route(
            "/console/checks/file",
            post(checks::check_file).layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_BODY)),
        )
        .route("/console/checks/jobs/{id}", get(checks::job))
        .route("/console/reports", post(checks::authorised_report))
        .route("/console/checks/{id}", get(checks::receipt_page))
        .route("/console/checks/{id}/receipt.json", get(checks::receipt_file))
        .route("/console/checks/{id}/feedback", post(checks::feedback))
        .route("/console/webhooks", get(webhooks::list).post(webhooks::subscribe))
        .route("/console/webhooks/{id}/end", post(webhooks::end))
        .route("/console/webhook-deliveries/{id}/redeliver", post(webhooks::redeliver))
        .route("/admin", get(console::dashboard))
        .route("/admin/departments", get(admin::departments).post(admin::add_department))
        .route("/admin/departments/{uscc}", get(admin::department))
        .route("/admin/departments/{uscc}/permissions", post(admin::set_permissions))
        .route("/admin/departments/{uscc}/keys", post(admin::issue_key))
        .route("/admin/keys/{prefix}/revoke", post(admin::revoke_key))
        .route("/admin/accounts", get(admin::accounts).post(admin::create_account))
        .route("/admin/accounts/{id}/state", post(admin::change_account))
        .route("/admin/catalog", get(console::catalog))
        .route("/admin/audit", get(audit::audit))
        .route("/admin/audit/verify", get(audit::verify))
        .route("/me", get(me::me))
        .route("/me/repairs", post(me::repair))
        .route("/me/commitments", post(me::commit))
        .route("/me/authorisations", post(me::authorise))
        .route("/me/authorisations/{id}/withdraw", post(me::withdraw))
        .route("/me/password", post(account::change_password))
        .route(
            "/register",
            get(account::register_form)
                .post(account::register)
                .layer(axum::extract::DefaultBodyLimit::max(credo_app::cases::MAX_CASE_BODY)),
        )
        .route("/account/password", get(account::password_form).post(account::set_password))
        .route("/sign-in/idp", get(account::idp_start))
        .route("/sign-in/idp/callback", get(account::idp_callback))
        .route("/admin/enrolments", get(account::enrolments))
        .route("/admin/enrolments/{number}", post(account::decide_enrolment))
        .route("/admin/enrolments/{number}/files/{n}", get(account::enrolment_file))
        .route("/admin/accounts/{id}/reset-link", post(account::reset_link))
        .with_state(app)
}
