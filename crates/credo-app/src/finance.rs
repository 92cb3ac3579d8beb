//! 融资对接 (宁政办〔2015〕224号 五(一)1 "融资对接平台", 五(一)2 中小微企业 "融资对接"): lenders (banks, as
//! departments) publish credit products with their conditions (subject kinds, the grade under a scheme, regions,
//! amounts); an enterprise or a farm household applies from its own account, which authorises the lender to read its
//! archive (the 授权查询 report, in the subject's access log) until it withdraws; the lender accepts, lends or refuses
//! with a reason; the platform counts applications and loans by product, and recommends good-credit enterprises.
//!
//! Lenders are departments the city's security administrator names so (their permissions' `lending`); they act as
//! 部门核查员 (or keys with the `check` scope) of their department, and a department sees only its own products'
//! applications. The authorisation an application gives ends with it (granted, refused or withdrawn).

use credo_domain::catalog::SubjectKind;
use credo_store::{LoanApplication, LoanStats, NewAuthorisation, NewLoanApplication, NewProduct, Product};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Code, Error};
use crate::principal::{Principal, Role};

/// How long an application's authorisation lasts (days) unless withdrawn.
pub const AUTHORISATION_DAYS: i64 = 90;
/// The largest amount a product may lend (万元).
const MAX_WAN: f64 = 1_000_000.0;

/// A credit product as a lender publishes it (amounts in 万元).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductRequest {
    /// 产品名称(至多 60 字)
    pub name: String,
    /// 产品说明:利率、担保方式、办理渠道等(至多 1000 字)
    #[serde(default)]
    pub description: String,
    /// 适用主体类别:organisation、individual_business、person(农户);默认法人和个体工商户
    #[serde(default)]
    pub kinds: Vec<String>,
    /// 准入评价方案(默认 ggxy 公共信用综合评价;农户用 xyh)
    #[serde(default)]
    pub scheme: Option<String>,
    /// 准入等级(该方案的等级代码);不给出时不限等级
    #[serde(default)]
    pub grades: Vec<String>,
    /// 适用地区(行政区划代码,如 630102);不给出时全市
    #[serde(default)]
    pub regions: Vec<String>,
    /// 最低、最高额度(万元)
    pub min_amount: f64,
    pub max_amount: f64,
    /// 期限(月,1–360)
    pub term_months: i64,
}

/// An application from the subject's account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ApplyRequest {
    /// 产品编号
    pub product: i64,
    /// 申请金额(万元)
    pub amount: f64,
    /// 用途(至多 200 字)
    pub purpose: String,
}

/// The lender's answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DecisionRequest {
    /// accept(受理)、grant(放款)或 refuse(拒绝)
    pub outcome: String,
    /// 放款金额(万元,放款时必填)
    #[serde(default)]
    pub amount: Option<f64>,
    /// 理由(拒绝时必填)
    #[serde(default)]
    pub reason: Option<String>,
}

/// A product with its lender's name and its figures, as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub product: Product,
    pub lender: String,
    pub stats: LoanStats,
}

/// An application with the names a lender or an applicant reads it by.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub application: LoanApplication,
    pub product: String,
    pub lender: String,
    pub subject: String,
    /// The applicant's code (its 统一社会信用代码; a person's number masked), for the authorised report.
    pub subject_key: String,
}

fn bad(m: impl Into<String>) -> Error {
    Error::new(Code::InvalidRequest, m)
}

/// 万元 as whole 元, at least 1 元 and at most MAX (an amount that rounds to 0 元 is none).
fn yuan(wan: f64, what: &str) -> Result<i64, Error> {
    let yuan = (wan * 10_000.0).round();
    if !wan.is_finite() || yuan < 1.0 || wan > MAX_WAN {
        return Err(bad(format!("{what}应不少于 1 元(0.0001 万元)且不超过 {MAX_WAN} 万元")));
    }
    Ok(yuan as i64)
}

/// 元 as 万元 for people.
pub fn wan(yuan: i64) -> String {
    let s = format!("{:.4}", yuan as f64 / 10_000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The lender's department (a 部门核查员 or a `check` key of a department granted `lending`).
fn lender(p: &Principal) -> Result<&credo_store::Department, Error> {
    let d = match p {
        Principal::Account { role: Role::Checker, department: Some(d), .. } => d,
        Principal::Key { key, department } if key.scopes.iter().any(|s| s == "check") => department,
        _ => return Err(Error::forbidden("融资产品和申请由金融机构(部门)的核查员办理")),
    };
    if !d.permissions.lending {
        return Err(Error::forbidden("本部门未登记为金融机构,不能发布融资产品或办理融资申请;请联系市级安全管理员授权"));
    }
    Ok(d)
}

fn applicant(p: &Principal) -> Result<(i64, i64), Error> {
    match p {
        Principal::Account { account, role: Role::Subject, .. } => {
            Ok((account.id, account.subject_id.ok_or_else(|| Error::forbidden("账号未绑定信用主体"))?))
        }
        _ => Err(Error::forbidden("请以信用主体账号登录后申请")),
    }
}

async fn audit(app: &App, p: &Principal, action: &str, target: String, result: String) -> Result<(), Error> {
    crate::audit::act(app, p, action, target, "融资对接", result).await
}

/// Publishes a product of the caller's department.
pub async fn publish(app: &App, p: &Principal, r: &ProductRequest) -> Result<Product, Error> {
    let dept = lender(p)?;
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 60 || r.description.chars().count() > 1000 {
        return Err(bad("产品名称须为 1 至 60 字,说明至多 1000 字"));
    }
    let mut kinds =
        if r.kinds.is_empty() { vec!["organisation".into(), "individual_business".into()] } else { r.kinds.clone() };
    kinds.sort();
    kinds.dedup();
    if r.grades.len() > 20 || r.regions.len() > 50 || kinds.len() > SubjectKind::ALL.len() {
        return Err(bad("准入等级至多 20 个,地区至多 50 个,主体类别至多 3 类"));
    }
    if let Some(k) = kinds.iter().find(|k| SubjectKind::ALL.iter().all(|x| x.as_str() != k.as_str())) {
        let k: String = k.chars().take(30).collect();
        return Err(bad(format!("主体类别 {k} 应为 organisation、individual_business 或 person")));
    }
    let code = r.scheme.clone().unwrap_or_else(|| "ggxy".into());
    let scheme = app
        .catalog
        .evaluation
        .get(&code)
        .filter(|s| s.members.is_none())
        .ok_or_else(|| bad(format!("没有可用于融资产品的评价方案 {}", crate::error::echo(&code))))?;
    if !r.grades.is_empty()
        && let Some(k) =
            SubjectKind::ALL.iter().find(|k| kinds.iter().any(|x| x == k.as_str()) && !scheme.grades_kind(**k))
    {
        return Err(bad(format!("{}不评价{},不能作为其准入条件", scheme.name, k.label())));
    }
    if let Some(g) = r.grades.iter().find(|g| scheme.grade(g).is_none()) {
        let g: String = g.chars().take(30).collect();
        return Err(bad(format!("{g} 不是{}的等级", scheme.name)));
    }
    let today = app.clock.today();
    if let Some(x) = r.regions.iter().find(|x| !app.catalog.regions.get(x).is_some_and(|r| r.valid_on(today))) {
        return Err(bad(format!("行政区划代码 {} 不存在", x.chars().take(12).collect::<String>())));
    }
    let (min, max) = (yuan(r.min_amount, "最低额度")?, yuan(r.max_amount, "最高额度")?);
    if min > max || !(1..=360).contains(&r.term_months) {
        return Err(bad("最低额度不得高于最高额度,期限为 1 至 360 个月"));
    }
    let (actor, ..) = p.actor();
    let product = app
        .store
        .add_product(&NewProduct {
            department_id: dept.id,
            name: name.into(),
            description: r.description.trim().into(),
            kinds,
            scheme: code,
            grades: r.grades.clone(),
            regions: r.regions.clone(),
            min_amount: min,
            max_amount: max,
            term_months: r.term_months,
            created_by: actor,
        })
        .await?;
    audit(app, p, "loan.product", format!("product:{}", product.id), product.name.clone()).await?;
    Ok(product)
}

/// Stops a product of the caller's department taking applications.
pub async fn close(app: &App, p: &Principal, id: i64) -> Result<Product, Error> {
    let dept = lender(p)?;
    let product = app.store.product(id).await?.filter(|x| x.department_id == dept.id);
    let product = product.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的本机构产品")))?;
    if !app.store.close_product(id).await? {
        return Err(Error::new(Code::Conflict, "该产品已停止申请"));
    }
    audit(app, p, "loan.product_close", format!("product:{id}"), product.name.clone()).await?;
    Ok(app.store.product(id).await?.unwrap_or(product))
}

/// Every product of a lender (a department with `lending`) with its lender and figures (open ones first).
pub async fn listed(app: &App) -> Result<Vec<Listed>, Error> {
    let stats = app.store.loan_stats().await?;
    let lenders: Vec<credo_store::Department> =
        app.store.departments().await?.into_iter().filter(|d| d.permissions.lending).collect();
    let mut out: Vec<Listed> = app
        .store
        .products(None)
        .await?
        .into_iter()
        .filter_map(|product| {
            let lender = lenders.iter().find(|d| d.id == product.department_id)?.name.clone();
            Some((product, lender))
        })
        .map(|(product, lender)| Listed {
            lender,
            stats: stats
                .iter()
                .find(|s| s.product_id == product.id)
                .cloned()
                .unwrap_or(LoanStats { product_id: product.id, ..LoanStats::default() }),
            product,
        })
        .collect();
    out.sort_by_key(|l| l.product.closed_at.is_some());
    Ok(out)
}

/// Why `subject` may not apply for `product` today, if it may not.
async fn eligible(app: &App, product: &Product, subject: &credo_store::Subject) -> Result<(), Error> {
    let refuse = |m: String| Err(Error::new(Code::NotPermitted, m));
    if product.closed_at.is_some() {
        return Err(Error::new(Code::Conflict, format!("{} 已停止申请", product.name)));
    }
    // A department no longer named a lender reads no applicant's archive, whatever it published before.
    if !app.store.department(product.department_id).await?.is_some_and(|d| d.permissions.lending) {
        return Err(Error::new(Code::Conflict, format!("{} 的发布机构已不办理融资对接", product.name)));
    }
    if !product.kinds.iter().any(|k| k == subject.kind.as_str()) {
        return refuse(format!("{} 不面向{}", product.name, subject.kind.label()));
    }
    if !product.regions.is_empty()
        && !subject
            .region
            .as_deref()
            .is_some_and(|r| product.regions.iter().any(|x| r.starts_with(x.trim_end_matches('0'))))
    {
        return refuse(format!("{} 只面向 {} 的主体", product.name, product.regions.join("、")));
    }
    if !product.grades.is_empty() {
        let grade = app
            .store
            .grades_of(subject.id)
            .await?
            .into_iter()
            .find(|g| g.scheme == product.scheme && g.superseded_at.is_none())
            .map(|g| g.grade);
        let scheme = app.catalog.evaluation.get(&product.scheme).map_or(product.scheme.clone(), |s| s.name.clone());
        match grade {
            Some(g) if product.grades.contains(&g) => {}
            Some(g) => {
                return refuse(format!(
                    "{} 要求{}为 {},本主体当前为 {g}",
                    product.name,
                    scheme,
                    product.grades.join("、")
                ));
            }
            None => {
                return refuse(format!(
                    "{} 要求{}为 {},本主体尚无评价结果",
                    product.name,
                    scheme,
                    product.grades.join("、")
                ));
            }
        }
    }
    Ok(())
}

/// Applies for a product from the subject's own account, authorising the lender to read its archive.
pub async fn apply(app: &App, p: &Principal, r: &ApplyRequest) -> Result<LoanApplication, Error> {
    let (account, subject_id) = applicant(p)?;
    let product = app
        .store
        .product(r.product)
        .await?
        .ok_or_else(|| Error::not_found(format!("没有编号为 {} 的融资产品", r.product)))?;
    let subject = app.store.subject(subject_id).await?.ok_or_else(|| Error::not_found("绑定的信用主体不存在"))?;
    eligible(app, &product, &subject).await?;
    let amount = yuan(r.amount, "申请金额")?;
    if amount < product.min_amount || amount > product.max_amount {
        return Err(bad(format!("申请金额应在 {} 至 {} 万元之间", wan(product.min_amount), wan(product.max_amount))));
    }
    let purpose = r.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        return Err(bad("请填写用途(至多 200 字)"));
    }
    let open = app.store.loan_applications(None, Some(subject_id), 1000).await?;
    if open.iter().any(|a| a.product_id == product.id && matches!(a.state.as_str(), "submitted" | "accepted")) {
        return Err(Error::new(Code::Conflict, format!("已有办理中的 {} 申请", product.name)));
    }
    let today = app.clock.today();
    let application = app
        .store
        .apply_for_loan(
            &NewLoanApplication {
                product_id: product.id,
                subject_id,
                amount,
                purpose: crate::public::mask_ids(purpose),
                applied_by: format!("account:{account}"),
            },
            &NewAuthorisation {
                subject_id,
                department_id: product.department_id,
                purpose: format!("融资对接:申请{}", product.name).chars().take(100).collect(),
                granted_by: format!("account:{account}"),
                expires_on: today + time::Duration::days(AUTHORISATION_DAYS - 1),
            },
        )
        .await?;
    audit(app, p, "loan.apply", format!("loan:{}", application.id), format!("{} {} 万元", product.name, wan(amount)))
        .await?;
    Ok(application)
}

/// Withdraws an open application of the caller's subject, and the authorisation it gave.
pub async fn withdraw(app: &App, p: &Principal, id: i64) -> Result<LoanApplication, Error> {
    let (_, subject_id) = applicant(p)?;
    let a = app.store.loan_application(id).await?.filter(|a| a.subject_id == subject_id);
    let a = a.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的本主体申请")))?;
    if !app.store.withdraw_loan(id, subject_id).await? {
        return Err(Error::new(Code::Conflict, "该申请已办结,不能撤回"));
    }
    audit(app, p, "loan.withdraw", format!("loan:{id}"), "撤回申请并撤销授权".into()).await?;
    Ok(app.store.loan_application(id).await?.unwrap_or(a))
}

async fn shown(app: &App, list: Vec<LoanApplication>) -> Result<Vec<Shown>, Error> {
    let products = app.store.products(None).await?;
    let departments = app.store.departments().await?;
    let mut out = Vec::new();
    for a in list {
        let subject = app.store.subject(a.subject_id).await?;
        let (name, key) = match subject {
            Some(s) => (crate::public::mask_ids(&s.name), format!("id-{}", s.id)),
            None => (String::new(), String::new()),
        };
        out.push(Shown {
            product: products.iter().find(|x| x.id == a.product_id).map(|x| x.name.clone()).unwrap_or_default(),
            lender: departments.iter().find(|d| d.id == a.department_id).map(|d| d.name.clone()).unwrap_or_default(),
            subject: name,
            subject_key: key,
            application: a,
        });
    }
    Ok(out)
}

/// The caller's subject's applications.
pub async fn own(app: &App, p: &Principal) -> Result<Vec<Shown>, Error> {
    let (_, subject_id) = applicant(p)?;
    shown(app, app.store.loan_applications(None, Some(subject_id), 200).await?).await
}

/// The applications to the caller's department, newest first.
pub async fn received(app: &App, p: &Principal) -> Result<Vec<Shown>, Error> {
    let dept = lender(p)?;
    shown(app, app.store.loan_applications(Some(dept.id), None, 500).await?).await
}

/// The lender's answer: accept (受理), grant (放款, with the amount) or refuse (拒绝, with the reason).
pub async fn decide(app: &App, p: &Principal, id: i64, r: &DecisionRequest) -> Result<LoanApplication, Error> {
    let dept = lender(p)?;
    let a = app.store.loan_application(id).await?.filter(|a| a.department_id == dept.id);
    let a = a.ok_or_else(|| Error::not_found(format!("没有编号为 {id} 的本机构申请")))?;
    let product = app.store.product(a.product_id).await?.ok_or_else(|| Error::not_found("产品不存在"))?;
    let reason = r.reason.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if reason.is_some_and(|s| s.chars().count() > 500) {
        return Err(Error::new(Code::TooLong, "理由至多 500 字"));
    }
    let reason = reason.map(crate::public::mask_ids);
    let reason = reason.as_deref();
    let (to, froms, amount): (&str, &[&str], Option<i64>) = match r.outcome.as_str() {
        "accept" => ("accepted", &["submitted"], None),
        "grant" => {
            let amount = yuan(r.amount.ok_or_else(|| bad("放款须填写金额"))?, "放款金额")?;
            if amount > product.max_amount {
                return Err(bad(format!("放款金额不得超过产品最高额度 {} 万元", wan(product.max_amount))));
            }
            ("granted", &["accepted", "submitted"], Some(amount))
        }
        "refuse" => {
            if reason.is_none() {
                return Err(Error::new(Code::ReasonRequired, "拒绝须写明理由"));
            }
            ("refused", &["submitted", "accepted"], None)
        }
        _ => return Err(bad("outcome 应为 accept、grant 或 refuse")),
    };
    if !froms.contains(&a.state.as_str())
        || !app.store.decide_loan(id, &a.state, to, &p.actor().0, reason, amount).await?
    {
        return Err(Error::new(Code::Conflict, "该申请的状态不允许此操作(或已被他人办理),请刷新"));
    }
    let result = match (amount, reason) {
        (Some(x), _) => format!("{to} {} 万元", wan(x)),
        (None, Some(why)) => format!("{to}:{why}"),
        _ => to.to_string(),
    };
    audit(app, p, &format!("loan.{}", r.outcome), format!("loan:{id}"), result).await?;
    Ok(app.store.loan_application(id).await?.unwrap_or(a))
}

/// Good-credit enterprises a lender may approach (宁政办〔2015〕224号 五(一)2: "对信用资质好……的企业向市场推荐"):
/// organisations and individual businesses whose current 公共信用综合评价 grade is the best one, at most `limit`.
pub async fn recommended(app: &App, p: &Principal, limit: usize) -> Result<Vec<(credo_store::Subject, String)>, Error> {
    lender(p)?;
    let Some(scheme) = app.catalog.evaluation.public() else { return Ok(Vec::new()) };
    let Some(best) = scheme.grades.first() else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let mut after = 0;
    while out.len() < limit {
        let page = app.store.current_grades(&scheme.code, None, after, 5_000).await?;
        let Some(&(last, _)) = page.last() else { break };
        for (id, _) in page.into_iter().filter(|(_, g)| *g == best.code) {
            if let Some(s) = app.store.subject(id).await?.filter(|s| s.kind != SubjectKind::Person) {
                out.push((s, best.label.clone()));
                if out.len() == limit {
                    break;
                }
            }
        }
        after = last;
    }
    Ok(out)
}
