//! 融资对接: lenders' credit products and the applications subjects make for them. An application carries the
//! authorisation it gives the lender to read the applicant's archive (stored with it in one transaction, revoked with
//! its withdrawal); the lender's answer moves it on only from the state it expects. Amounts are whole 元.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::{NewAuthorisation, Result};

/// How many open products (taking applications) one lender may have: `/finance` lists them all.
pub const MAX_OPEN_PRODUCTS: i64 = 50;

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub department_id: i64,
    pub name: String,
    pub description: String,
    /// Subject kinds it lends to (`organisation`, `individual_business`, `person`).
    pub kinds: Vec<String>,
    /// The evaluation scheme whose grade it requires, and the grades it accepts (none: any).
    pub scheme: String,
    pub grades: Vec<String>,
    /// Region code prefixes it lends in (none: the whole city).
    pub regions: Vec<String>,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_months: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    pub description: String,
    pub kinds: Vec<String>,
    pub scheme: String,
    pub grades: Vec<String>,
    pub regions: Vec<String>,
    pub min_amount: i64,
    pub max_amount: i64,
    pub term_months: i64,
    /// The lender's account or key that published it (kept in the store and the trail, not shown).
    #[serde(skip_serializing)]
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewLoanApplication {
    pub product_id: i64,
    pub subject_id: i64,
    pub amount: i64,
    pub purpose: String,
    pub applied_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoanApplication {
    pub id: i64,
    pub product_id: i64,
    pub department_id: i64,
    pub subject_id: i64,
    pub amount: i64,
    pub purpose: String,
    /// submitted(已提交)、accepted(已受理)、granted(已放款)、refused(已拒绝)、withdrawn(已撤回)
    pub state: String,
    pub authorisation_id: i64,
    pub granted_amount: Option<i64>,
    pub reason: Option<String>,
    /// The lender's account that decided (for its own console and the audit trail; never serialised to the
    /// applicant or the public).
    #[serde(skip_serializing)]
    pub decided_by: Option<String>,
    #[serde(skip_serializing)]
    pub applied_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

/// A product's applications and loans.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct LoanStats {
    pub product_id: i64,
    pub applications: i64,
    pub accepted: i64,
    pub granted: i64,
    pub refused: i64,
    /// 元 lent.
    pub granted_amount: i64,
}

#[async_trait]
pub trait FinanceStore: Send + Sync {
    /// Stores a product; a lender with [`MAX_OPEN_PRODUCTS`] open ones already is refused ([`crate::StoreError::Conflict`]),
    /// counted in the insert's transaction so that products published at once cannot pass it together.
    async fn add_product(&self, p: &NewProduct) -> Result<Product>;
    /// Products, newest first: a department's, or every one.
    async fn products(&self, department: Option<i64>) -> Result<Vec<Product>>;
    async fn product(&self, id: i64) -> Result<Option<Product>>;
    /// Stops taking applications; false when already closed.
    async fn close_product(&self, id: i64) -> Result<bool>;
    /// Stores an application with the authorisation it gives the lender, in one transaction.
    async fn apply_for_loan(&self, a: &NewLoanApplication, auth: &NewAuthorisation) -> Result<LoanApplication>;
    async fn loan_application(&self, id: i64) -> Result<Option<LoanApplication>>;
    /// Applications to a department or by a subject (or all), newest first, at most `limit`.
    async fn loan_applications(
        &self,
        department: Option<i64>,
        subject: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LoanApplication>>;
    /// The lender's answer: moves the application from `from` to `to` (with its reason and the amount lent), and a
    /// refusal revokes the authorisation it gave, in one transaction; false when it is not in `from` (any more).
    async fn decide_loan(
        &self,
        id: i64,
        from: &str,
        to: &str,
        by: &str,
        reason: Option<&str>,
        amount: Option<i64>,
    ) -> Result<bool>;
    /// The applicant withdraws an open application and the authorisation it gave, in one transaction; false when
    /// it is not the subject's or no longer open.
    async fn withdraw_loan(&self, id: i64, subject: i64) -> Result<bool>;
    /// Applications and loans by product.
    async fn loan_stats(&self) -> Result<Vec<LoanStats>>;
}
