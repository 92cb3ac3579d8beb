//! 融资对接: the public list of credit products with their figures, and the lender's console — its products, the
//! applications it received (with the applicant's authorised report), its answers and the recommended enterprises
//! (`credo_app::finance`).

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::finance::{self, DecisionRequest, Listed, ProductRequest, Shown, wan};
use credo_app::principal::Principal;
use serde::Deserialize;

use super::chrome::{Chrome, refused, render, see_other};
use crate::Web;
use crate::error::ApiError;

/// A product as a row: name, lender, conditions, figures.
pub struct ProductRow {
    id: i64,
    name: String,
    lender: String,
    description: String,
    conditions: String,
    open: bool,
    figures: String,
}

fn product_row(app: &Web, l: &Listed) -> ProductRow {
    let p = &l.product;
    let kinds: Vec<&str> = credo_domain::catalog::SubjectKind::ALL
        .iter()
        .filter(|k| p.kinds.iter().any(|x| x == k.as_str()))
        .map(|k| if *k == credo_domain::catalog::SubjectKind::Person { "农户等自然人" } else { k.label() })
        .collect();
    let mut conditions = vec![format!("面向{}", kinds.join("、"))];
    if !p.grades.is_empty() {
        let scheme = app.catalog.evaluation.get(&p.scheme);
        let labels: Vec<String> =
            p.grades.iter().map(|g| scheme.and_then(|s| s.grade(g)).map_or(g.clone(), |d| d.label.clone())).collect();
        conditions.push(format!("{}为{}", scheme.map_or(p.scheme.as_str(), |s| s.name.as_str()), labels.join("、")));
    }
    if !p.regions.is_empty() {
        let names: Vec<String> =
            p.regions.iter().map(|r| app.catalog.regions.get(r).map_or(r.clone(), |x| x.name.clone())).collect();
        conditions.push(format!("限{}", names.join("、")));
    }
    conditions.push(format!("{}–{} 万元,{} 个月", wan(p.min_amount), wan(p.max_amount), p.term_months));
    let s = &l.stats;
    ProductRow {
        id: p.id,
        name: p.name.clone(),
        lender: l.lender.clone(),
        description: p.description.clone(),
        conditions: conditions.join(";"),
        open: p.closed_at.is_none(),
        figures: format!(
            "申请 {} 笔,受理 {} 笔,放款 {} 笔 {} 万元,拒绝 {} 笔",
            s.applications,
            s.accepted,
            s.granted,
            wan(s.granted_amount),
            s.refused
        ),
    }
}

/// An application as a row, for the applicant and the lender.
pub struct LoanRow {
    pub id: i64,
    pub product: String,
    pub lender: String,
    pub subject: String,
    pub subject_key: String,
    pub amount: String,
    pub state: &'static str,
    /// The amount lent or the reason refused.
    pub note: String,
    /// Still open (the applicant may withdraw, the lender answer).
    pub open: bool,
    pub accepted: bool,
}

impl LoanRow {
    pub fn of(s: Shown) -> LoanRow {
        let a = &s.application;
        let state = match a.state.as_str() {
            "submitted" => "已提交",
            "accepted" => "已受理",
            "granted" => "已放款",
            "refused" => "已拒绝",
            _ => "已撤回",
        };
        let note = match (a.granted_amount, &a.reason) {
            (Some(x), _) => format!("放款 {} 万元", wan(x)),
            (None, Some(r)) => r.clone(),
            _ => String::new(),
        };
        LoanRow {
            id: a.id,
            amount: format!("{} 万元", wan(a.amount)),
            open: matches!(a.state.as_str(), "submitted" | "accepted"),
            accepted: a.state == "accepted",
            state,
            note,
            product: s.product,
            lender: s.lender,
            subject: s.subject,
            subject_key: s.subject_key,
        }
    }
}

#[derive(Template)]
#[template(path = "finance.html")]
struct FinancePage {
    chrome: Chrome,
    products: Vec<ProductRow>,
    /// Loans and amount lent in all.
    totals: (i64, String),
}

pub async fn finance(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let listed = finance::listed(&app).await?;
    let totals =
        (listed.iter().map(|l| l.stats.granted).sum(), wan(listed.iter().map(|l| l.stats.granted_amount).sum()));
    let products = listed.iter().map(|l| product_row(&app, l)).collect();
    render(&FinancePage { chrome: Chrome::of(&p, &headers), products, totals })
}

#[derive(Template)]
#[template(path = "lending.html")]
struct LendingPage {
    chrome: Chrome,
    error: Option<String>,
    products: Vec<ProductRow>,
    applications: Vec<LoanRow>,
    recommended: Vec<(String, String, String)>,
    schemes: Vec<(String, String)>,
}

async fn lending(
    app: &Web,
    p: &Principal,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<LendingPage, ApiError> {
    let department = p.department().map(|d| d.id);
    let products = finance::listed(app)
        .await?
        .iter()
        .filter(|l| Some(l.product.department_id) == department)
        .map(|l| product_row(app, l))
        .collect();
    let applications = finance::received(app, p).await?.into_iter().map(LoanRow::of).collect();
    let recommended = finance::recommended(app, p, 50)
        .await?
        .into_iter()
        .map(|(s, grade)| (s.name, s.code.unwrap_or_default(), grade))
        .collect();
    let schemes = app
        .catalog
        .evaluation
        .iter()
        .filter(|s| s.members.is_none())
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    Ok(LendingPage { chrome: Chrome::of(p, headers), error, products, applications, recommended, schemes })
}

pub async fn console(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    render(&lending(&app, &p, &headers, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    kinds: String,
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    grades: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    min_amount: f64,
    #[serde(default)]
    max_amount: f64,
    #[serde(default)]
    term_months: i64,
}

fn split(s: &str) -> Vec<String> {
    s.split([',', ',', '、', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
}

pub async fn publish(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<ProductForm>,
) -> Result<Response, ApiError> {
    let r = ProductRequest {
        name: f.name,
        description: f.description,
        kinds: split(&f.kinds),
        scheme: Some(f.scheme).filter(|s| !s.is_empty()),
        grades: split(&f.grades),
        regions: split(&f.regions),
        min_amount: f.min_amount,
        max_amount: f.max_amount,
        term_months: f.term_months,
    };
    match finance::publish(&app, &p, &r).await {
        Ok(_) => Ok(see_other("/console/finance", None)),
        Err(e) if e.is_client_error() => refused(&lending(&app, &p, &headers, Some(e.detail)).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, ApiError> {
    let r = DecisionRequest {
        outcome: f.outcome,
        amount: f.amount.trim().parse().ok(),
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    match finance::decide(&app, &p, id, &r).await {
        Ok(_) => Ok(see_other("/console/finance", None)),
        Err(e) if e.is_client_error() && e.code != credo_app::Code::NotFound => {
            refused(&lending(&app, &p, &headers, Some(e.detail)).await?)
        }
        Err(e) => Err(e.into()),
    }
}
