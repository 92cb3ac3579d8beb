//! Accounts and sign-in, shared by the API and the CLI: creating accounts (with a generated password and a TOTP
//! secret shown once), the password rule, lock-out after repeated failures, TOTP codes that work once, and
//! sessions as random tokens of which only the SM3 hash is stored.

use credo_store::{Account, NewAccount, Session, Store};
use rand::Rng;
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::principal::{Role, check_password};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] credo_store::StoreError),
}

/// Why a sign-in failed. The messages never say whether the account exists, is disabled, or whether the password
/// was right and only the one-time code wrong: every such refusal is [`SignInError::BadCredentials`], and the
/// reason goes to the audit trail ([`SignInError::reason`]).
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("账号、密码或动态口令不正确")]
    BadCredentials(&'static str),
    #[error("账号已锁定,请于 {until} 后重试或联系安全管理员解锁")]
    Locked { until: String },
    #[error(transparent)]
    Store(#[from] credo_store::StoreError),
    #[error("服务器繁忙")]
    Internal(#[from] anyhow::Error),
}

impl SignInError {
    /// What the audit trail records (never shown to the person signing in).
    pub fn reason(&self) -> String {
        match self {
            SignInError::BadCredentials(why) => (*why).to_string(),
            other => other.to_string(),
        }
    }
}

/// What an operator asks for.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountRequest {
    pub username: String,
    pub name: String,
    pub role: String,
    /// The department's USCC, for department users.
    pub department: Option<String>,
    /// The subject's code, for subject accounts.
    pub subject: Option<String>,
    /// When absent, a password is generated and shown once.
    pub password: Option<String>,
    /// 区县管理员: the district (行政区划代码, e.g. 630102) a 系统管理员 or 安全管理员 account is limited to; absent:
    /// the whole city.
    #[serde(default)]
    pub region: Option<String>,
}

/// A TOTP secret to enrol in an authenticator app (shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    pub secret: String,
    pub uri: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub account: Account,
    pub role_label: &'static str,
    /// The generated password, when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpSetup>,
}

/// A random password that satisfies the rule (shown once).
pub fn generate_password() -> String {
    const SETS: [&[u8]; 4] = [b"ABCDEFGHJKLMNPQRSTUVWXYZ", b"abcdefghijkmnopqrstuvwxyz", b"23456789", b"-_.!@#%+="];
    let mut rng = rand::rng();
    let mut chars: Vec<u8> = SETS.iter().map(|s| s[rng.random_range(0..s.len())]).collect();
    let all: Vec<u8> = SETS.concat();
    chars.extend((0..14).map(|_| all[rng.random_range(0..all.len())]));
    // Shuffle so the classes are not in a fixed order.
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    String::from_utf8(chars).unwrap_or_default()
}

pub(crate) fn username_ok(u: &str) -> bool {
    (3..=64).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

/// The name authenticator apps show for the platform's codes.
pub const ISSUER: &str = "信用西宁";

/// A new TOTP secret for `username`: stored as hex, shown as base32 and an `otpauth://` URI.
pub fn new_totp(username: &str) -> (String, TotpSetup) {
    let secret = credo_gm::totp::new_secret();
    let b32 = credo_gm::totp::secret_base32(&secret);
    // The authenticator app shows the issuer: the platform's name, percent-encoded (Key URI Format).
    let issuer: String = ISSUER.bytes().map(|b| format!("%{b:02X}")).collect();
    let uri = format!("otpauth://totp/{issuer}:{username}?secret={b32}&issuer={issuer}&digits=6&period=30");
    (hex::encode(secret), TotpSetup { secret: b32, uri })
}

/// Why the API (the security administrator, or anyone else reaching it) may not `what` (开设, 停用, …) an
/// account of `role`, if it may not: operator accounts ([`Role::is_operator`]) are created and recovered only with
/// `cli` on the server. Department users' and subject accounts stay the security administrator's over the API.
pub fn api_refuses(role: Role, what: &str, cli: &str) -> Option<String> {
    role.is_operator().then(|| {
        format!(
            "{}账号不能通过 API 或页面{what}:按三员分立,系统管理员、安全管理员、审计管理员和信用审核员账号只能由\
             服务器上的 `{cli}` 办理",
            role.label()
        )
    })
}

/// Creates an account after checking the role, the department or subject it is bound to and the password. Who may
/// ask for which role is the caller's to check: the CLI on the server may create any, the API only what
/// [`api_refuses`] lets through.
#[tracing::instrument(level = "info", skip_all, fields(created_by))]
pub async fn create(app: &App, req: AccountRequest, created_by: &str) -> Result<Created, AccountError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        AccountError::Invalid(format!("未知角色“{}”,可选:{}", req.role, all.join("、")))
    })?;
    if !username_ok(&req.username) {
        return Err(AccountError::Invalid("账号名须为 3–64 位字母、数字或 . _ - @".into()));
    }
    if req.name.trim().is_empty() {
        return Err(AccountError::Invalid("请填写姓名或名称".into()));
    }
    let department_id = match (role.needs_department(), &req.department) {
        (true, Some(uscc)) => Some(
            app.store
                .department_by_uscc(uscc)
                .await?
                .ok_or_else(|| AccountError::NotFound(format!("没有统一社会信用代码为 {uscc} 的部门")))?
                .id,
        ),
        (true, None) => return Err(AccountError::Invalid(format!("{}须属于一个部门(department)", role.label()))),
        (false, Some(_)) => return Err(AccountError::Invalid(format!("{}不属于部门", role.label()))),
        (false, None) => None,
    };
    if let Some(region) = &req.region {
        let districts = app.catalog.regions.xining_districts(app.clock.today());
        if !matches!(role, Role::Sysadmin | Role::Secadmin | Role::Reviewer) {
            return Err(AccountError::Invalid(format!(
                "{}不按区县划分(只有系统管理员、安全管理员、信用审核员可限于一个区县)",
                role.label()
            )));
        }
        if !districts.iter().any(|d| d.code == *region) {
            return Err(AccountError::Invalid(format!(
                "“{}”不是西宁市的区县代码",
                region.chars().take(12).collect::<String>()
            )));
        }
    }
    let subject_id = match (role, &req.subject) {
        (Role::Subject, Some(code)) => Some(
            app.store
                .subject_by_code(&credo_domain::ids::typed_code(code, app.clock.today()))
                .await?
                .ok_or_else(|| AccountError::NotFound(format!("没有代码为“{code}”的信用主体")))?
                .id,
        ),
        (Role::Subject, None) => return Err(AccountError::Invalid("信用主体账号须绑定主体代码(subject)".into())),
        (_, Some(_)) => return Err(AccountError::Invalid("只有信用主体账号绑定主体".into())),
        (_, None) => None,
    };
    let (password, generated) = match req.password {
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    check_password(&req.username, &password).map_err(AccountError::Invalid)?;
    let (totp_secret, totp) = match role.needs_totp() {
        true => {
            let (secret, setup) = new_totp(&req.username);
            (Some(secret), Some(setup))
        }
        false => (None, None),
    };
    let account = app
        .store
        .add_account(NewAccount {
            username: req.username,
            name: req.name.trim().to_string(),
            role: role.code().to_string(),
            department_id,
            subject_id,
            region: req.region.clone(),
            password_hash: credo_gm::password::hash(&password).map_err(|e| AccountError::Invalid(e.to_string()))?,
            totp_secret,
            created_by: created_by.to_string(),
        })
        .await
        .map_err(|e| match e {
            credo_store::StoreError::Conflict(m) => AccountError::Conflict(m),
            other => other.into(),
        })?;
    Ok(Created { account, role_label: role.label(), password: generated, totp })
}

/// Sets a new password (checked against the rule); ends the account's sessions.
pub async fn set_password(store: &dyn Store, account: &Account, password: &str) -> Result<(), AccountError> {
    check_password(&account.username, password).map_err(AccountError::Invalid)?;
    let hash = credo_gm::password::hash(password).map_err(|e| AccountError::Invalid(e.to_string()))?;
    store.set_password(account.id, &hash).await?;
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Checks a sign-in and opens a session; returns the session token (to set as a cookie) and the account.
///
/// Safe under concurrency: each attempt first takes one of the account's [`crate::Security::max_failures`]
/// tries in a single atomic statement ([`credo_store::AccountStore::login_attempt`]) and only then checks the password, so however
/// many wrong passwords arrive at once, at most that many are ever tested before the lock holds; a TOTP step is
/// claimed with a single conditional update ([`credo_store::AccountStore::claim_totp_step`]), so one code opens one session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sign_in(
    app: &App,
    username: &str,
    password: &str,
    totp: Option<&str>,
    client: Option<&str>,
) -> Result<(String, Account), SignInError> {
    let now = OffsetDateTime::now_utc();
    let Some(account) = app.store.account_by_username(username).await? else {
        // Spend the same time as a real check, so timing does not reveal which accounts exist.
        let password = password.to_string();
        crate::offload::run(app, move || credo_gm::password::verify(&password, &DUMMY_HASH)).await?;
        return Err(SignInError::BadCredentials("unknown account"));
    };
    let locked = |until: Option<OffsetDateTime>| SignInError::Locked {
        until: rfc3339(until.unwrap_or(now + app.security.lockout).to_offset(time::macros::offset!(+8))),
    };
    let max = i64::from(app.security.max_failures);
    let Some(tries) = app.store.login_attempt(account.id, now, max, now + app.security.lockout).await? else {
        let until = app.store.account(account.id).await?.and_then(|a| a.locked_until);
        return Err(locked(until));
    };
    // A failure is already counted; the try that reaches the limit has locked the account.
    let fail = |why: &'static str| if tries >= max { locked(None) } else { SignInError::BadCredentials(why) };
    let (given, hash) = (password.to_string(), account.password_hash.clone());
    if !crate::offload::run(app, move || credo_gm::password::verify(&given, &hash)).await? {
        return Err(fail("wrong password"));
    }
    if account.disabled {
        return Err(fail("account disabled"));
    }
    let role = Role::parse(&account.role).ok_or(SignInError::BadCredentials("unknown role"))?;
    let step = match (&account.totp_secret, role.needs_totp()) {
        (None, true) => return Err(fail("TOTP not enrolled")),
        (None, false) => None,
        (Some(secret), _) => {
            let Some(code) = totp.filter(|c| !c.trim().is_empty()) else {
                return Err(fail("TOTP code missing"));
            };
            let secret = hex::decode(secret).map_err(|_| fail("TOTP secret unreadable"))?;
            let step = credo_gm::totp::check(&secret, code, now.unix_timestamp().max(0) as u64)
                .ok()
                .flatten()
                .ok_or_else(|| fail("wrong TOTP code"))?;
            // A code is good once: the step is claimed atomically, a step at or before the last one is a replay.
            if !app.store.claim_totp_step(account.id, step as i64).await? {
                return Err(fail("TOTP code replayed"));
            }
            Some(step as i64)
        }
    };
    app.store.login_succeeded(account.id, step).await?;
    let token = open_session(app, &account, client).await?;
    Ok((token, account))
}

/// Opens a session for an account (signed in by [`sign_in`], or through the 统一身份认证); returns its token.
pub async fn open_session(
    app: &App,
    account: &Account,
    client: Option<&str>,
) -> Result<String, credo_store::StoreError> {
    let token = hex::encode(rand::rng().random::<[u8; 32]>());
    app.store.add_session(&token_hash(&token), account.id, client).await?;
    Ok(token)
}

/// A real argon2id hash of a random string (for refusals that take as long as a real check).
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| credo_gm::password::hash(&generate_password()).unwrap_or_default());

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    credo_gm::sm3_hex(token.as_bytes())
}

/// The CSRF token that goes with a session: derived from the session token, which scripts and other sites cannot
/// read (HttpOnly, SameSite), so only the platform's own pages can present it.
pub fn csrf_token(session_token: &str) -> String {
    credo_gm::sm3_hex(format!("credo-csrf:{session_token}").as_bytes())
}

/// Whether a session is still valid at `now`: within the idle and the absolute timeout.
pub fn session_alive(s: &Session, now: OffsetDateTime, security: &crate::Security) -> Result<(), &'static str> {
    if now - s.created_at > security.session_absolute {
        return Err("会话已超过最长时限,请重新登录");
    }
    if now - s.last_seen > security.session_idle {
        return Err("会话因长时间未操作已超时,请重新登录");
    }
    Ok(())
}

/// Checks permissions against the catalog and the known scenes and disclosure levels.
pub fn check_permissions(app: &App, p: &credo_store::Permissions) -> Result<(), String> {
    for i in &p.items {
        if app.catalog.item(i).is_none() {
            return Err(format!("未知的目录项“{i}”"));
        }
    }
    for s in &p.scenes {
        if app.catalog.measures.scene(s).is_none() {
            let known: Vec<&str> = app.catalog.measures.scenes.iter().map(|s| s.code.as_str()).collect();
            return Err(format!("未知的核查场景“{s}”,可选:{}", known.join("、")));
        }
    }
    for d in &p.disclosure {
        if !DISCLOSURE.contains(&d.as_str()) {
            return Err(format!("未知的公开属性“{d}”,可选:{}", DISCLOSURE.join("、")));
        }
    }
    for a in &p.archives {
        if !app.catalog.item(a).is_some_and(|i| i.restricted) {
            return Err(format!("“{}”不是受限档案", crate::error::echo(a)));
        }
    }
    Ok(())
}

/// Disclosure levels.
pub const DISCLOSURE: [&str; 3] = ["公开", "政务共享", "授权查询"];
