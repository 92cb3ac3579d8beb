//! Sign-in through the province's 统一身份认证 (an OpenID Connect provider): authorization code flow with PKCE
//! (S256), `state` bound to the browser, `nonce` in the ID token, the ID token's signature checked against the
//! provider's keys (the `openidconnect` crate), and the subject's code from the `credit` scope's claims (`uscc` for
//! an organisation or an individual business, `id_number` for a person) read from the user-info endpoint.
//!
//! The provider has verified who is signing in; the platform binds that identity to the subject its code names: an
//! account of role 信用主体 is opened on the first sign-in (user name `idp-` and a digest of issuer and subject
//! identifier, no usable password) and reused afterwards. A code the platform knows no subject for signs nobody in.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::accounts::generate_password;
use crate::error::{Code, Error};
use crate::principal::Role;

/// How the platform is registered with the provider.
#[derive(Debug, Clone)]
pub struct IdpConfig {
    /// The issuer as the provider names itself (`https://…`, compared exactly).
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only).
    pub client_secret: Option<String>,
    /// The platform's callback, as registered (`https://…/sign-in/idp/callback`).
    pub redirect: String,
}

impl IdpConfig {
    /// From `CREDO_OIDC_ISSUER`, `CREDO_OIDC_CLIENT_ID`, `CREDO_OIDC_CLIENT_SECRET` (optional) and
    /// `CREDO_OIDC_REDIRECT`; `None` when no issuer is set (the sign-in page then offers no 统一身份认证).
    pub fn from_env() -> Option<IdpConfig> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Some(IdpConfig {
            issuer: var("CREDO_OIDC_ISSUER")?,
            client_id: var("CREDO_OIDC_CLIENT_ID").unwrap_or_else(|| "credo".into()),
            client_secret: var("CREDO_OIDC_CLIENT_SECRET"),
            redirect: var("CREDO_OIDC_REDIRECT")?,
        })
    }
}

/// The claims of the `credit` scope.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreditClaims {
    pub uscc: Option<String>,
    pub id_number: Option<String>,
    pub subject_kind: Option<String>,
}

impl AdditionalClaims for CreditClaims {}

/// A sign-in on its way through the provider, kept in the store (sealed) under its `state`: the provider may send the
/// browser back to any node.
#[derive(Serialize, Deserialize)]
struct Pending {
    /// Held by the browser in a cookie: the callback must come from the browser that started.
    browser: String,
    nonce: String,
    verifier: String,
    next: String,
}

/// The provider: its configuration and its discovered metadata.
pub struct Idp {
    config: IdpConfig,
    metadata: tokio::sync::OnceCell<CoreProviderMetadata>,
    http: openidconnect::reqwest::Client,
}

/// The store's scope of the sign-ins on their way.
const PENDING: &str = "oidc-sign-in";

/// How long a sign-in may take at the provider (seconds).
const PATIENCE: i64 = 600;
/// Sign-ins on their way at most (the oldest are dropped first).
const MAX_PENDING: u64 = 10_000;

/// Where a started sign-in goes, and the cookie that binds it to the browser.
pub struct Started {
    pub url: String,
    pub browser: String,
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    tracing::warn!(error = %e, "统一身份认证不可用");
    Error::new(Code::Unavailable, "统一身份认证暂不可用,请稍后再试或使用账号密码登录")
}

impl Idp {
    pub fn new(config: IdpConfig) -> Result<Idp, Error> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would open the client to SSRF.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(Error::internal)?;
        Ok(Idp { config, metadata: tokio::sync::OnceCell::new(), http })
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Error,
    > {
        let metadata = self
            .metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(unavailable)?;
                CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(unavailable)
            })
            .await?;
        let redirect = RedirectUrl::new(self.config.redirect.clone()).map_err(Error::internal)?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's authorization URL (with PKCE challenge, state and nonce) and the value the
    /// browser keeps in a cookie until it comes back. `next` is where to go after (a local path).
    pub async fn start(&self, app: &App, next: &str) -> Result<Started, Error> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("credit".into()))
            .set_pkce_challenge(challenge)
            .url();
        let browser = hex::encode(rand::rng().random::<[u8; 24]>());
        let pending = Pending {
            browser: browser.clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: next.to_string(),
        };
        let value = serde_json::to_string(&pending).map_err(Error::internal)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        app.store.put_shared(PENDING, state.secret(), &value, now, now + PATIENCE, MAX_PENDING).await?;
        Ok(Started { url: url.to_string(), browser })
    }

    /// Completes a sign-in from the provider's answer (`state`, `code`) in the browser holding `browser`: exchanges
    /// the code with the PKCE verifier, checks the ID token (signature, issuer, audience, expiry, nonce), reads the
    /// credit claims from user info (same subject identifier) and returns the account to sign in and where to go.
    pub async fn finish(
        &self,
        app: &App,
        state: &str,
        code: &str,
        browser: &str,
    ) -> Result<(credo_store::Account, String), Error> {
        let expired = || Error::new(Code::InvalidRequest, "登录已过期或不是从本浏览器发起的,请重新登录");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let value = app.store.take_shared(PENDING, state, now).await?.ok_or_else(expired)?;
        let p: Pending = serde_json::from_str(&value).map_err(Error::internal)?;
        if !credo_gm::ct_eq(&p.browser, browser) {
            return Err(expired());
        }
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(p.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "统一身份认证:授权码换取令牌失败");
                Error::new(Code::Unauthorized, "统一身份认证未能确认您的身份,请重新登录")
            })?;
        let id_token = token.id_token().ok_or_else(|| unavailable("no id_token"))?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(p.nonce)).map_err(|e| {
            tracing::warn!(error = %e, "统一身份认证:ID 令牌无效");
            Error::new(Code::Unauthorized, "统一身份认证的身份令牌无效,请重新登录")
        })?;
        let info: UserInfoClaims<CreditClaims, CoreGenderClaim> = client
            .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            .map_err(unavailable)?
            .request_async(&self.http)
            .await
            .map_err(unavailable)?;
        let credit = info.additional_claims();
        let issuer = claims.issuer().as_str().to_string();
        let account =
            bind(app, &issuer, claims.subject().as_str(), info.name().and_then(|n| n.get(None)), credit).await?;
        Ok((account, p.next))
    }
}

/// The account of the provider's identity: found by its user name, or opened bound to the subject the claims'
/// code names.
async fn bind(
    app: &App,
    issuer: &str,
    sub: &str,
    name: Option<&openidconnect::EndUserName>,
    credit: &CreditClaims,
) -> Result<credo_store::Account, Error> {
    let username = format!("idp-{}", &credo_gm::sm3_hex(format!("{issuer}\n{sub}").as_bytes())[..24]);
    let code = credit.uscc.as_deref().or(credit.id_number.as_deref()).ok_or_else(|| {
        Error::new(Code::Unauthorized, "统一身份认证未提供统一社会信用代码或身份证号码,无法确定信用主体")
    })?;
    let code = credo_domain::ids::typed_code(code, app.clock.today());
    let subject = app.store.subject_by_code(&code).await?.ok_or_else(|| {
        Error::new(
            Code::NotFound,
            "平台暂无您(贵单位)的信用信息,无需登录即可查询公示信息;如需办理信用修复或异议,请在有相关记录后再登录",
        )
    })?;
    if let Some(a) = app.store.account_by_username(&username).await? {
        if a.disabled || a.subject_id != Some(subject.id) {
            return Err(Error::forbidden("该账号已停用或绑定的主体已变更,请联系信用办"));
        }
        return Ok(a);
    }
    let hash = credo_gm::password::hash(&generate_password()).map_err(Error::internal)?;
    let display = name.map(|n| n.as_str().to_string()).unwrap_or_else(|| subject.name.clone());
    let account = app
        .store
        .add_account(credo_store::NewAccount {
            username,
            name: display.chars().take(100).collect(),
            role: Role::Subject.code().into(),
            department_id: None,
            subject_id: Some(subject.id),
            region: None,
            password_hash: hash,
            totp_secret: None,
            created_by: format!("idp:{issuer}"),
        })
        .await?;
    Ok(account)
}
