//! 政务失信投诉 (`credo_domain::integrity`): the complaint as a case holds it, and what the case's steps need from
//! it — the body's department it is assigned to (转办) and the 政务失信 record a finding (认定失信) writes, checked
//! against its item before the case moves. `crate::cases` takes the steps; `crate::integrity` files complaints.

use std::collections::BTreeMap;

use credo_domain::catalog::Item;
use credo_domain::integrity::{self as rules, Category, Finding, Integrity};
use credo_store::{Case, Department};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::App;
use crate::error::{Code, Error};

/// The city's 政务诚信 rules, or 409 when the catalog has none.
pub fn rules(app: &App) -> Result<&Integrity, Error> {
    app.catalog.integrity.as_ref().ok_or_else(|| Error::new(Code::Conflict, "目录未配置政务诚信规则(integrity.toml)"))
}

/// The credit office's department (信用办), or 409 when the platform has not registered it.
pub async fn office(app: &App) -> Result<Department, Error> {
    crate::admin::body_named(app, &rules(app)?.office, "暂不受理政务失信投诉").await
}

/// The complaint's content as stored in the case (`cases.content`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Complaint {
    pub(crate) category: Category,
    pub(crate) body_name: String,
    pub(crate) body_code: String,
    pub(crate) matter: String,
    pub(crate) amount: Option<String>,
    #[serde(default, with = "credo_domain::value::iso_date_opt")]
    pub(crate) due_on: Option<Date>,
    pub(crate) content: String,
    pub(crate) complainant: String,
    pub(crate) complainant_code: Option<String>,
}

impl Complaint {
    /// The finding; `account` is what the published record says happened (the office's own words).
    fn finding<'a>(&'a self, number: &'a str, day: Date, office: &'a Department, account: &'a str) -> Finding<'a> {
        Finding {
            body_name: &self.body_name,
            body_code: &self.body_code,
            number,
            complainant: &self.complainant,
            complainant_code: self.complainant_code.as_deref(),
            matter: &self.matter,
            content: account,
            amount: self.amount.as_deref(),
            due_on: self.due_on,
            day,
            office: &office.name,
            office_code: &office.uscc,
        }
    }
}

/// The fields of the 政务失信 record a finding writes, checked against the item as a submission would be: the
/// item and its fields, or why not (`invalid_record`). `account` is the published account of what happened: the
/// office's finding, not the complainant's text (which may name people or carry telephone numbers).
pub(crate) async fn checked_finding<'a>(
    app: &'a App,
    c: &Complaint,
    number: &str,
    day: Date,
    account: &str,
) -> Result<(&'a Item, BTreeMap<String, String>, Department), Error> {
    let r = rules(app)?;
    let office = office(app).await?;
    let item = app.catalog.item(c.category.item(r)).ok_or_else(|| Error::internal("政务失信目录项缺失"))?;
    let account = crate::public::mask_ids(account);
    let fields = rules::finding(c.category, &c.finding(number, day, &office, &account));
    crate::error::validated(app, item, &fields, day)?;
    Ok((item, fields, office))
}

fn complaint_of(c: &Case) -> Result<Complaint, Error> {
    serde_json::from_value(c.content.clone()).map_err(|e| Error::internal(format!("case {}: {e}", c.number)))
}

/// 转办: the department the case goes to — the body's own on the platform — or 409 when the body has none.
pub async fn assignee(app: &App, c: &Case) -> Result<Department, Error> {
    let complaint = complaint_of(c)?;
    app.store.department_by_uscc(&complaint.body_code).await?.ok_or_else(|| {
        Error::new(
            Code::Conflict,
            format!("被投诉机关“{}”尚未在信用西宁开通部门账号,不能转办;请线下转交并记录", complaint.body_name),
        )
    })
}

/// The record a finding writes (its item, fields and the office it is recorded under), with the office's `reason`
/// as its account of what happened, checked before the case moves; [`crate::cases::decide`] stores it.
pub async fn finding_fields<'a>(
    app: &'a App,
    c: &Case,
    day: Date,
    reason: &str,
) -> Result<(&'a Item, BTreeMap<String, String>, Department), Error> {
    let complaint = complaint_of(c)?;
    checked_finding(app, &complaint, &c.number, day, reason).await
}

/// Whether the office may decide a complaint still waiting for the body's answer: only once the answer is overdue
/// (a body that never answers cannot hold the complaint forever, nor be found against before its time is up).
pub fn may_decide_unanswered(c: &Case, today: Date) -> Result<(), Error> {
    match c.due_on {
        Some(due) if due < today => Ok(()),
        _ => Err(Error::new(
            Code::Conflict,
            format!("被投诉机关的答复期限({})未满,请等待答复", c.due_on.map(|d| d.to_string()).unwrap_or_default()),
        )),
    }
}

/// 409 when the same account already has an open complaint against the same body: one at a time, so that a
/// complainant cannot flood a body's figures.
pub async fn refuse_second_open(app: &App, account_id: i64, body_code: &str) -> Result<(), Error> {
    let filter = credo_store::CaseFilter {
        kind: Some(credo_domain::cases::Kind::GovComplaint.as_str().into()),
        account_id: Some(account_id),
        open_only: true,
        ..credo_store::CaseFilter::default()
    };
    let open = app.store.cases(&filter, 1000).await?;
    match open.iter().find(|c| c.content.get("body_code").and_then(serde_json::Value::as_str) == Some(body_code)) {
        Some(c) => {
            Err(Error::new(Code::Conflict, format!("本单位对该机关已有投诉正在办理(案件 {}),请等待办理结果", c.number)))
        }
        None => Ok(()),
    }
}
