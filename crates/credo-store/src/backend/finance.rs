//! 融资对接 (see `crate::finance`).

use async_trait::async_trait;

use super::Backend;
use crate::sql::parse_time;
use crate::{
    FinanceStore, LoanApplication, LoanStats, NewAuthorisation, NewLoanApplication, NewProduct, Product, Result,
    StoreError, json, now_text,
};

const PRODUCT_COLUMNS: &str = "id, department_id, name, description, kinds, scheme, grades, regions, min_amount, \
     max_amount, term_months, created_by, created_at, closed_at";
const APPLICATION_COLUMNS: &str = "id, product_id, department_id, subject_id, amount, purpose, state, \
     authorisation_id, granted_amount, reason, decided_by, applied_by, created_at, decided_at";

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    department_id: i64,
    name: String,
    description: String,
    kinds: String,
    scheme: String,
    grades: String,
    regions: String,
    min_amount: i64,
    max_amount: i64,
    term_months: i64,
    created_by: String,
    created_at: String,
    closed_at: Option<String>,
}

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;
    fn try_from(r: ProductRow) -> Result<Product> {
        let list = |s: &str| -> Result<Vec<String>> {
            serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("product {}: {e}", r.id)))
        };
        Ok(Product {
            kinds: list(&r.kinds)?,
            grades: list(&r.grades)?,
            regions: list(&r.regions)?,
            created_at: parse_time(&r.created_at)?,
            closed_at: r.closed_at.as_deref().map(parse_time).transpose()?,
            id: r.id,
            department_id: r.department_id,
            name: r.name,
            description: r.description,
            scheme: r.scheme,
            min_amount: r.min_amount,
            max_amount: r.max_amount,
            term_months: r.term_months,
            created_by: r.created_by,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: i64,
    product_id: i64,
    department_id: i64,
    subject_id: i64,
    amount: i64,
    purpose: String,
    state: String,
    authorisation_id: i64,
    granted_amount: Option<i64>,
    reason: Option<String>,
    decided_by: Option<String>,
    applied_by: String,
    created_at: String,
    decided_at: Option<String>,
}

impl TryFrom<ApplicationRow> for LoanApplication {
    type Error = StoreError;
    fn try_from(r: ApplicationRow) -> Result<LoanApplication> {
        Ok(LoanApplication {
            created_at: parse_time(&r.created_at)?,
            decided_at: r.decided_at.as_deref().map(parse_time).transpose()?,
            id: r.id,
            product_id: r.product_id,
            department_id: r.department_id,
            subject_id: r.subject_id,
            amount: r.amount,
            purpose: r.purpose,
            state: r.state,
            authorisation_id: r.authorisation_id,
            granted_amount: r.granted_amount,
            reason: r.reason,
            decided_by: r.decided_by,
            applied_by: r.applied_by,
        })
    }
}

#[async_trait]
impl FinanceStore for Backend {
    async fn add_product(&self, p: &NewProduct) -> Result<Product> {
        let mut tx = super::begin_write(&self.pool).await?;
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM credit_products WHERE department_id = $1 AND closed_at IS NULL")
                .bind(p.department_id)
                .fetch_one(&mut *tx)
                .await?;
        if open >= crate::MAX_OPEN_PRODUCTS {
            return Err(StoreError::Conflict(format!(
                "本机构在售产品已达 {} 个,请先停止部分产品再发布",
                crate::MAX_OPEN_PRODUCTS
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO credit_products (department_id, name, description, kinds, scheme, grades, regions, \
             min_amount, max_amount, term_months, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(p.department_id)
        .bind(&p.name)
        .bind(&p.description)
        .bind(json(&p.kinds))
        .bind(&p.scheme)
        .bind(json(&p.grades))
        .bind(json(&p.regions))
        .bind(p.min_amount)
        .bind(p.max_amount)
        .bind(p.term_months)
        .bind(&p.created_by)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.product(id).await?.ok_or_else(|| StoreError::NotFound(format!("product {id}")))
    }

    async fn products(&self, department: Option<i64>) -> Result<Vec<Product>> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM credit_products WHERE ($1 IS NULL OR department_id = $1) ORDER BY id DESC"
        );
        let rows: Vec<ProductRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(department).fetch_all(&self.pool).await?;
        rows.into_iter().map(Product::try_from).collect()
    }

    async fn product(&self, id: i64) -> Result<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM credit_products WHERE id = $1");
        let row: Option<ProductRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(Product::try_from).transpose()
    }

    async fn close_product(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE credit_products SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn apply_for_loan(&self, a: &NewLoanApplication, auth: &NewAuthorisation) -> Result<LoanApplication> {
        let now = now_text();
        let mut tx = super::begin_write(&self.pool).await?;
        let authorisation = super::reports::insert_authorisation(&mut *tx, auth).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO loan_applications (product_id, department_id, subject_id, amount, purpose, state, \
             authorisation_id, applied_by, created_at) VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7, $8) RETURNING id",
        )
        .bind(a.product_id)
        .bind(auth.department_id)
        .bind(a.subject_id)
        .bind(a.amount)
        .bind(&a.purpose)
        .bind(authorisation)
        .bind(&a.applied_by)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match err {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict("已有办理中的该产品申请".into())
            }
            other => other.into(),
        })?;
        tx.commit().await?;
        self.loan_application(id).await?.ok_or_else(|| StoreError::NotFound(format!("loan application {id}")))
    }

    async fn loan_application(&self, id: i64) -> Result<Option<LoanApplication>> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM loan_applications WHERE id = $1");
        let row: Option<ApplicationRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(LoanApplication::try_from).transpose()
    }

    async fn loan_applications(
        &self,
        department: Option<i64>,
        subject: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LoanApplication>> {
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM loan_applications WHERE ($1 IS NULL OR department_id = $1) \
             AND ($2 IS NULL OR subject_id = $2) ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(department)
            .bind(subject)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(LoanApplication::try_from).collect()
    }

    async fn decide_loan(
        &self,
        id: i64,
        from: &str,
        to: &str,
        by: &str,
        reason: Option<&str>,
        amount: Option<i64>,
    ) -> Result<bool> {
        let now = now_text();
        let mut tx = super::begin_write(&self.pool).await?;
        let authorisation: Option<i64> = sqlx::query_scalar(
            "UPDATE loan_applications SET state = $1, decided_by = $2, reason = COALESCE($3, reason), \
             granted_amount = COALESCE($4, granted_amount), decided_at = $5 WHERE id = $6 AND state = $7 \
             RETURNING authorisation_id",
        )
        .bind(to)
        .bind(by)
        .bind(reason)
        .bind(amount)
        .bind(&now)
        .bind(id)
        .bind(from)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(authorisation) = authorisation else { return Ok(false) };
        // An application granted or refused ends the lender's reading of the applicant's archive with it (reading
        // after a loan, 贷后, asks for an authorisation of its own).
        if to != "accepted" {
            sqlx::query("UPDATE report_authorisations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(&now)
                .bind(authorisation)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn withdraw_loan(&self, id: i64, subject: i64) -> Result<bool> {
        let now = now_text();
        let mut tx = super::begin_write(&self.pool).await?;
        let authorisation: Option<i64> = sqlx::query_scalar(
            "UPDATE loan_applications SET state = 'withdrawn', decided_at = $1 \
             WHERE id = $2 AND subject_id = $3 AND state IN ('submitted', 'accepted') RETURNING authorisation_id",
        )
        .bind(&now)
        .bind(id)
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(authorisation) = authorisation else { return Ok(false) };
        sqlx::query("UPDATE report_authorisations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(&now)
            .bind(authorisation)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn loan_stats(&self) -> Result<Vec<LoanStats>> {
        Ok(sqlx::query_as(
            "SELECT product_id, COUNT(*) AS applications, \
             CAST(SUM(CASE WHEN state IN ('accepted', 'granted') THEN 1 ELSE 0 END) AS BIGINT) AS accepted, \
             CAST(SUM(CASE WHEN state = 'granted' THEN 1 ELSE 0 END) AS BIGINT) AS granted, \
             CAST(SUM(CASE WHEN state = 'refused' THEN 1 ELSE 0 END) AS BIGINT) AS refused, \
             CAST(COALESCE(SUM(CASE WHEN state = 'granted' THEN granted_amount ELSE 0 END), 0) AS BIGINT) AS granted_amount \
             FROM loan_applications GROUP BY product_id ORDER BY product_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
