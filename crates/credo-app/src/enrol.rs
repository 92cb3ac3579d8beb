//! Accounts for subjects (信用主体账号): an enterprise or a person applies online with its code, name, legal
//! representative (or ID number), contact and uploaded 营业执照 / ID and authorisation letter; the security
//! administrator reviews the application and, approving it, opens an account bound to the subject; the applicant
//! sets the password once through a one-time link (which the platform's notification channel sends to the contact
//! given). The same links reset a forgotten password, and a signed-in account changes its own.
//!
//! The applicant gets the same answer whether the platform knows the subject or not (a person's application says
//! nothing about what the platform holds on them); the reviewer sees whether the code names a known subject and
//! whether the names agree.

use credo_domain::catalog::SubjectKind;
use credo_domain::ids::{self, AnyId};
use credo_store::{Account, AuditEvent, Enrolment, EnrolmentDecision, NewAccount, NewEnrolment, StoreError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::accounts::{generate_password, token_hash};
use crate::cases::{FileIn, files, text};
use crate::error::{Code, Error};
use crate::principal::{Principal, Role, check_password};
use crate::{App, public};

/// States of an application.
pub const PENDING: &str = "待审核";
pub const APPROVED: &str = "已开通";
pub const REFUSED: &str = "未通过";

/// How long a one-time link is good for.
pub const LINK_VALID: Duration = Duration::hours(72);
/// The purpose of the one-time links that set a password (the first one, or after a reset).
const PASSWORD: &str = "password";

/// What an applicant fills in.
#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub kind: SubjectKind,
    /// 统一社会信用代码 (an organisation, an individual business) or 居民身份证号码 (a person).
    pub code: String,
    pub name: String,
    /// 法定代表人 or 经营者 (organisations, individual businesses).
    pub representative: String,
    /// Who to contact: a mobile number or an e-mail address.
    pub contact: String,
    /// The user name wished for.
    pub username: String,
    pub files: Vec<FileIn>,
}

/// The applicant as stored (sealed): what they filled in, with the code in its canonical form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applicant {
    pub kind: SubjectKind,
    pub code: String,
    pub name: String,
    pub representative: String,
    pub contact: String,
    pub username: String,
}

/// An application as the reviewer sees it.
#[derive(Debug, Clone)]
pub struct Review {
    pub enrolment: Enrolment,
    pub applicant: Applicant,
    /// The subject the code names, if the platform knows it.
    pub subject: Option<credo_store::Subject>,
    /// Whether the subject's registered name is the one given.
    pub names_agree: bool,
}

impl Review {
    /// The applicant's code as staff pages show it (a person's ID number masked).
    pub fn shown_code(&self) -> String {
        public::shown_code(self.applicant.kind, &self.applicant.code)
    }
}

fn contact_ok(c: &str) -> bool {
    let phone = c.len() == 11 && c.starts_with('1') && c.bytes().all(|b| b.is_ascii_digit());
    let mail = c.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !c.contains(' '));
    phone || mail
}

fn audit_event(p: &Principal, action: &str, target: &str, result: String) -> AuditEvent {
    let (actor, role, department) = p.actor();
    AuditEvent {
        actor,
        role,
        department,
        action: action.into(),
        target: Some(target.into()),
        purpose: Some("信用主体账号".into()),
        result,
        client: None,
    }
}

/// Files an application; returns its number (`ZH…`). Checked: the code (by its kind), the names, the contact, the
/// user name (free, and the password rule's form), the files (1 to 5, each at most 5 MiB).
pub async fn apply(app: &App, p: &Principal, a: Application) -> Result<String, Error> {
    let today = app.clock.today();
    let code = match (a.kind, ids::identify(&a.code, today)) {
        (SubjectKind::Person, Ok(AnyId::Ric(r))) => r.as_str().to_string(),
        (SubjectKind::Person, _) => {
            return Err(Error::new(Code::InvalidId, "请填写有效的居民身份证号码(18 位,含校验位)"));
        }
        (_, Ok(AnyId::Uscc(u))) => u.as_str().to_string(),
        (_, Err((_, e))) => return Err(Error::new(Code::InvalidId, format!("统一社会信用代码无效:{}", e.message()))),
        (_, Ok(_)) => return Err(Error::new(Code::InvalidId, "请填写 18 位统一社会信用代码")),
    };
    let name = text(if a.kind == SubjectKind::Person { "姓名" } else { "主体名称" }, &a.name, 100)?;
    let representative = match a.kind {
        SubjectKind::Person => String::new(),
        _ => text("法定代表人(经营者)姓名", &a.representative, 50)?,
    };
    let contact = text("联系方式", &a.contact, 100)?;
    if !contact_ok(&contact) {
        return Err(Error::new(Code::BadPhone, "联系方式须为 11 位手机号码或电子邮箱"));
    }
    let username = a.username.trim().to_string();
    if !crate::accounts::username_ok(&username) {
        return Err(Error::new(Code::InvalidRequest, "用户名须为 3–64 位字母、数字或 . _ - @"));
    }
    if app.store.account_by_username(&username).await?.is_some() {
        return Err(Error::new(Code::Conflict, format!("用户名“{username}”已被使用,请换一个")));
    }
    if a.files.is_empty() {
        let what = if a.kind == SubjectKind::Person { "居民身份证" } else { "营业执照和授权委托书" };
        return Err(Error::new(Code::MissingField, format!("请上传{what}的扫描件或照片")));
    }
    let files = files(&a.files)?;
    let subject = app.store.subject_by_code(&code).await?;
    let applicant = Applicant { kind: a.kind, code, name, representative, contact, username };
    let number = format!("ZH{}{:06}", today.year(), rand::rng().random_range(0..1_000_000));
    let json = serde_json::to_string(&applicant).map_err(Error::internal)?;
    let e = NewEnrolment { number: number.clone(), subject_id: subject.map(|s| s.id), applicant: json, files };
    app.store.add_enrolment(e).await?;
    app.store.append_audit(&audit_event(p, "enrolment.apply", &number, "filed".into())).await?;
    Ok(number)
}

fn applicant(e: &Enrolment) -> Result<Applicant, Error> {
    serde_json::from_str(&e.applicant).map_err(Error::internal)
}

/// An application with what the reviewer needs to decide it.
pub async fn review(app: &App, number: &str) -> Result<Review, Error> {
    let enrolment = app
        .store
        .enrolment(number)
        .await?
        .ok_or_else(|| Error::not_found(format!("没有编号为 {number} 的账号申请")))?;
    review_of(app, enrolment).await
}

async fn review_of(app: &App, enrolment: Enrolment) -> Result<Review, Error> {
    let applicant = applicant(&enrolment)?;
    let subject = match enrolment.subject_id {
        Some(id) => app.store.subject(id).await?,
        None => app.store.subject_by_code(&applicant.code).await?,
    };
    let names_agree = subject.as_ref().is_some_and(|s| {
        credo_domain::name::normalize_name(&s.name) == credo_domain::name::normalize_name(&applicant.name)
    });
    Ok(Review { enrolment, applicant, subject, names_agree })
}

/// Applications waiting for review, oldest first.
pub async fn pending(app: &App) -> Result<Vec<Review>, Error> {
    let mut out = Vec::new();
    for e in app.store.enrolments(Some(PENDING), 200).await? {
        out.push(review_of(app, e).await?);
    }
    Ok(out)
}

/// A new one-time link for `account` (its path, with the token).
async fn password_link(app: &App, account: &Account) -> Result<String, Error> {
    let token = hex::encode(rand::rng().random::<[u8; 32]>());
    app.store.add_account_token(&token_hash(&token), account.id, PASSWORD, app.clock.now() + LINK_VALID).await?;
    Ok(format!("/account/password?token={token}"))
}

/// What a decision made: on approval, the account and its one-time link.
#[derive(Debug)]
pub struct Decided {
    pub enrolment: Enrolment,
    pub account: Option<Account>,
    pub link: Option<String>,
}

/// Approves (opens the account, bound to the subject, and makes its one-time link) or refuses (with a reason) an
/// application, once. Only the security administrator decides.
pub async fn decide(app: &App, p: &Principal, number: &str, approve: bool, reason: &str) -> Result<Decided, Error> {
    let Principal::Account { account: me, role: Role::Secadmin, .. } = p else {
        return Err(Error::forbidden("账号申请由安全管理员审核"));
    };
    city_only(p)?;
    let r = review(app, number).await?;
    if r.enrolment.state != PENDING {
        return Err(Error::new(Code::Conflict, format!("申请 {number} 已处理(当前状态:{})", r.enrolment.state)));
    }
    let decided_by = format!("account:{}", me.username);
    if !approve {
        let reason = text("不予开通的理由", reason, 500)?;
        let d = EnrolmentDecision {
            from: PENDING.into(),
            state: REFUSED.into(),
            decided_by,
            reason: Some(reason.clone()),
            account_id: None,
        };
        let enrolment = app.store.decide_enrolment(number, d).await?;
        app.store.append_audit(&audit_event(p, "enrolment.refuse", number, format!("refused: {reason}"))).await?;
        return Ok(Decided { enrolment, account: None, link: None });
    }
    let Some(subject) = r.subject else {
        return Err(Error::new(
            Code::NotFound,
            format!("平台暂无代码为 {} 的信用主体,不能开通账号", public::mask_ids(&r.applicant.code)),
        ));
    };
    // A password nobody knows until the applicant sets one through the link.
    let hash = credo_gm::password::hash(&generate_password()).map_err(Error::internal)?;
    let account = app
        .store
        .add_account(NewAccount {
            username: r.applicant.username.clone(),
            name: r.applicant.name.clone(),
            role: Role::Subject.code().into(),
            department_id: None,
            subject_id: Some(subject.id),
            region: None,
            password_hash: hash,
            totp_secret: None,
            created_by: decided_by.clone(),
        })
        .await?;
    let d = EnrolmentDecision {
        from: PENDING.into(),
        state: APPROVED.into(),
        decided_by,
        reason: None,
        account_id: Some(account.id),
    };
    let enrolment = match app.store.decide_enrolment(number, d).await {
        Ok(e) => e,
        Err(e) => {
            // Decided meanwhile by someone else: the account just opened is closed again.
            app.store.set_disabled(account.id, true).await?;
            return Err(e.into());
        }
    };
    let link = password_link(app, &account).await?;
    app.store
        .append_audit(&audit_event(p, "enrolment.approve", number, format!("account {}", account.username)))
        .await?;
    Ok(Decided { enrolment, account: Some(account), link: Some(link) })
}

/// A one-time link to set a new password for a subject's account (the security administrator's, for a forgotten
/// password; sent through the contact the subject gave).
/// Subject accounts are the city's: a district's administrator (区县管理员) neither reviews applications nor
/// resets their passwords.
pub fn city_only(p: &Principal) -> Result<(), Error> {
    match p.district() {
        Some(_) => Err(Error::forbidden("信用主体账号由市级安全管理员办理,区县管理员无此权限")),
        None => Ok(()),
    }
}

pub async fn reset_link(app: &App, p: &Principal, account_id: i64) -> Result<String, Error> {
    if !matches!(p, Principal::Account { role: Role::Secadmin, .. }) {
        return Err(Error::forbidden("重置链接由安全管理员签发"));
    }
    city_only(p)?;
    let account = app.store.account(account_id).await?.ok_or_else(|| Error::not_found("没有这个账号"))?;
    if Role::parse(&account.role) != Some(Role::Subject) {
        return Err(Error::new(Code::InvalidRequest, "只有信用主体账号通过链接重置密码;部门账号由安全管理员重设"));
    }
    let link = password_link(app, &account).await?;
    app.store.append_audit(&audit_event(p, "account.reset_link", &account.username, "issued".into())).await?;
    Ok(link)
}

/// Why a one-time link did not set the password.
#[derive(Debug)]
pub enum LinkError {
    /// Unknown, used or expired.
    Dead,
    /// The password breaks the rule; the link was used, so a new one comes with the message.
    Password {
        message: String,
        link: String,
    },
    Other(Error),
}

impl From<Error> for LinkError {
    fn from(e: Error) -> LinkError {
        LinkError::Other(e)
    }
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> LinkError {
        LinkError::Other(e.into())
    }
}

/// Sets the password through a one-time link: the link is taken (once, atomically) and the password checked
/// against the rule; a password that breaks it gets a fresh link back with the message.
pub async fn set_password_by_link(app: &App, token: &str, password: &str) -> Result<Account, LinkError> {
    let Some(id) = app.store.take_account_token(&token_hash(token), PASSWORD, app.clock.now()).await? else {
        return Err(LinkError::Dead);
    };
    let account = app.store.account(id).await?.ok_or(LinkError::Dead)?;
    if account.disabled {
        return Err(LinkError::Dead);
    }
    if let Err(message) = check_password(&account.username, password) {
        let link = password_link(app, &account).await?;
        return Err(LinkError::Password { message, link });
    }
    crate::accounts::set_password(app.store.as_ref(), &account, password)
        .await
        .map_err(|e| Error::new(Code::InvalidRequest, e.to_string()))?;
    let p = Principal::Anonymous;
    app.store.append_audit(&audit_event(&p, "account.password_by_link", &account.username, "set".into())).await?;
    Ok(account)
}

/// A signed-in account changes its own password: the current one first.
pub async fn change_password(app: &App, p: &Principal, current: &str, new: &str) -> Result<(), Error> {
    let Principal::Account { account, .. } = p else { return Err(Error::unauthorized("请先登录")) };
    let (given, hash) = (current.to_string(), account.password_hash.clone());
    let ok =
        crate::offload::run(app, move || credo_gm::password::verify(&given, &hash)).await.map_err(Error::internal)?;
    if !ok {
        return Err(Error::new(Code::InvalidRequest, "当前密码不正确"));
    }
    crate::accounts::set_password(app.store.as_ref(), account, new)
        .await
        .map_err(|e| Error::new(Code::InvalidRequest, e.to_string()))?;
    app.store.append_audit(&audit_event(p, "account.password", &account.username, "changed".into())).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_phones_or_mail() {
        for ok in ["13900000000", "zhang@example.cn"] {
            assert!(contact_ok(ok), "{ok}");
        }
        for bad in ["1390000000", "23900000000", "zhang@", "@x.cn", "a b@x.cn", "电话"] {
            assert!(!contact_ok(bad), "{bad}");
        }
    }
}
