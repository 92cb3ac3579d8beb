// A real OpenID Connect provider (panva/oidc-provider, OpenID Certified) standing in for
// 青海省统一身份认证 in the integration and browser tests. See README.md in this directory.
//
// stdout carries exactly one line, `READY http://127.0.0.1:<port>`, once the provider is
// listening; everything else (oidc-provider's notices included) goes to stderr.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// oidc-provider prints its notices with console.info (stdout); keep stdout for READY only.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const { default: Provider, errors } = await import('oidc-provider');

const here = path.dirname(fileURLToPath(import.meta.url));

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT ?? '0', 10);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fail(`bad PORT ${process.env.PORT}`);

const CLIENT_ID = process.env.CLIENT_ID || 'credo';
const CLIENT_SECRET = process.env.CLIENT_SECRET || undefined;
const REDIRECT_URIS = (process.env.REDIRECT_URI ?? '').split(',').map((s) => s.trim()).filter(Boolean);
if (REDIRECT_URIS.length === 0) fail('REDIRECT_URI is required (one URL, or several separated by commas)');
const POST_LOGOUT_REDIRECT_URIS = (process.env.POST_LOGOUT_REDIRECT_URI ?? '')
  .split(',').map((s) => s.trim()).filter(Boolean);
// With a secret the client authenticates at the token endpoint with HTTP Basic (the OIDC
// default); CLIENT_AUTH_METHOD=client_secret_post switches to credentials in the form body.
const CLIENT_AUTH_METHOD = CLIENT_SECRET
  ? (process.env.CLIENT_AUTH_METHOD || 'client_secret_basic')
  : 'none';
if (!['none', 'client_secret_basic', 'client_secret_post'].includes(CLIENT_AUTH_METHOD)) {
  fail(`unsupported CLIENT_AUTH_METHOD ${CLIENT_AUTH_METHOD}`);
}
if (CLIENT_AUTH_METHOD === 'none' && process.env.CLIENT_AUTH_METHOD && process.env.CLIENT_AUTH_METHOD !== 'none') {
  fail('CLIENT_AUTH_METHOD needs CLIENT_SECRET');
}

const ACCOUNTS_FILE = process.env.ACCOUNTS || path.join(here, 'accounts.json');

// ---------------------------------------------------------------------------------------------
// Accounts

const PROFILE_CLAIMS = [
  'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
  'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
];
const EMAIL_CLAIMS = ['email', 'email_verified'];
const PHONE_CLAIMS = ['phone_number', 'phone_number_verified'];
const CREDIT_CLAIMS = ['uscc', 'id_number', 'subject_kind'];
// Keys of an account entry that are not claims.
const NOT_CLAIMS = new Set(['password', 'login']);
// Claims the provider itself sets; an account may not carry them.
const RESERVED = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'azp', 'at_hash',
  'c_hash', 's_hash', 'auth_time', 'acr', 'amr', 'sid', 'scope', 'client_id']);

let accountList;
try {
  accountList = JSON.parse(fs.readFileSync(ACCOUNTS_FILE, 'utf8'));
} catch (err) {
  fail(`cannot read ACCOUNTS file ${ACCOUNTS_FILE}: ${err.message}`);
}
if (!Array.isArray(accountList) || accountList.length === 0) fail(`${ACCOUNTS_FILE}: expected a non-empty JSON array`);

const accounts = new Map(); // sub -> entry
const byLogin = new Map(); // login (defaults to sub) -> entry
for (const [i, a] of accountList.entries()) {
  if (typeof a !== 'object' || a === null) fail(`${ACCOUNTS_FILE}[${i}]: not an object`);
  if (typeof a.sub !== 'string' || a.sub === '') fail(`${ACCOUNTS_FILE}[${i}]: "sub" must be a non-empty string`);
  if (typeof a.password !== 'string') fail(`${ACCOUNTS_FILE}[${i}]: "password" must be a string`);
  for (const k of Object.keys(a)) if (RESERVED.has(k)) fail(`${ACCOUNTS_FILE}[${i}]: "${k}" is set by the provider`);
  const login = typeof a.login === 'string' && a.login !== '' ? a.login : a.sub;
  if (accounts.has(a.sub)) fail(`${ACCOUNTS_FILE}: duplicate sub ${a.sub}`);
  if (byLogin.has(login)) fail(`${ACCOUNTS_FILE}: duplicate login ${login}`);
  accounts.set(a.sub, a);
  byLogin.set(login, a);
}

// Any other key in the accounts file is released under the `credit` scope.
const known = new Set(['sub', ...PROFILE_CLAIMS, ...EMAIL_CLAIMS, ...PHONE_CLAIMS, ...CREDIT_CLAIMS, ...NOT_CLAIMS]);
const extraClaims = [...new Set(accountList.flatMap((a) => Object.keys(a)).filter((k) => !known.has(k)))];

function claimsOf(account) {
  const out = {};
  for (const [k, v] of Object.entries(account)) if (!NOT_CLAIMS.has(k)) out[k] = v;
  return out;
}

function passwordMatches(account, given) {
  const a = crypto.hash('sha256', account.password);
  const b = crypto.hash('sha256', given);
  return crypto.timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

// ---------------------------------------------------------------------------------------------
// HTML

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

const TITLE = '青海省统一身份认证(测试)';
const STYLE = `
  body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#eef3f8;margin:0}
  main{max-width:360px;margin:60px auto;background:#fff;padding:24px 32px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.2)}
  h1{font-size:1.3em;text-align:center;margin:0 0 8px} .client{text-align:center;color:#555;margin:0 0 16px}
  label{display:block;margin:12px 0 4px} input{width:100%;box-sizing:border-box;padding:8px;font-size:1em}
  button{width:100%;margin-top:18px;padding:10px;font-size:1em;border:0;border-radius:4px;background:#1e6fd9;color:#fff;cursor:pointer}
  button.secondary{background:#aaa;margin-top:8px}
  .error{color:#c00;background:#fdecec;padding:8px;border-radius:4px}
  pre{white-space:pre-wrap;word-break:break-all}`;

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage({ uid, clientName, login = '', error }) {
  return page(TITLE, `<h1>${esc(TITLE)}</h1>
<p class="client">登录以继续访问 ${esc(clientName)}</p>
${error ? `<p id="error" class="error" role="alert">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label for="login">账号</label>
  <input id="login" name="login" type="text" value="${esc(login)}" required autofocus>
  <label for="password">密码</label>
  <input id="password" name="password" type="password" required>
  <button id="submit" type="submit">登录</button>
</form>
<form id="cancel-form" method="post" action="/interaction/${esc(uid)}/abort">
  <button id="cancel" class="secondary" type="submit">取消</button>
</form>`);
}

// ---------------------------------------------------------------------------------------------
// Provider configuration

async function signingKey() {
  // A fresh RS256 key per run: real signatures, published at the jwks_uri. Generated asynchronously: Node 20's
  // generateKeyPairSync can deadlock when a garbage collection runs while it converts the key (seen in CI: the
  // provider hung before listening).
  const { privateKey } = await promisify(crypto.generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  return { ...jwk, kid, use: 'sig', alg: 'RS256' };
}

const client = {
  client_id: CLIENT_ID,
  client_name: '信用西宁',
  application_type: 'web',
  redirect_uris: REDIRECT_URIS,
  post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: CLIENT_AUTH_METHOD,
  id_token_signed_response_alg: 'RS256',
  ...(CLIENT_SECRET ? { client_secret: CLIENT_SECRET } : {}),
};

// The grant for this first-party client is given without a consent screen: whatever OIDC
// scopes and claims the request asks for (and the provider supports) are granted.
async function autoGrant(ctx, provider, grantId) {
  const { oidc } = ctx;
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (!grant) {
    grant = new provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  const scopes = [...oidc.requestParamOIDCScopes];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

const configuration = {
  clients: [client],
  jwks: { keys: [await signingKey()] },
  cookies: {
    // Distinct names: browsers scope cookies by host, not port, so the relying party under test
    // on 127.0.0.1:<other port> shares this cookie jar.
    names: {
      session: 'qhidp_session',
      interaction: 'qhidp_interaction',
      resume: 'qhidp_interaction_resume',
    },
    keys: ['qh-idp-test-cookie-key-1 (not a secret)', 'qh-idp-test-cookie-key-0 (not a secret)'],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  claims: {
    openid: ['sub'],
    profile: PROFILE_CLAIMS,
    email: EMAIL_CLAIMS,
    phone: PHONE_CLAIMS,
    credit: [...CREDIT_CLAIMS, ...extraClaims],
  },
  scopes: ['openid', 'profile', 'email', 'phone', 'credit'],
  responseTypes: ['code'],
  // Put the scope-requested claims into the ID token as well, not only at userinfo
  // (OIDC Core 5.4 lets an OP do either for response_type=code).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('退出登录 - ' + TITLE, `<h1>${esc(TITLE)}</h1>
<p class="client">是否退出统一身份认证的登录？</p>
${form}
<button id="logout" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">退出</button>
<button id="stay" class="secondary" type="submit" form="op.logoutForm">保持登录</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('已退出 - ' + TITLE, `<h1>${esc(TITLE)}</h1><p id="logged-out" class="client">已退出登录。</p>`);
      },
    },
  },
  loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    return autoGrant(ctx, ctx.oidc.provider, grantId);
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      // The provider filters these by the granted scopes / claims.
      async claims() { return claimsOf(account); },
    };
  },
  async renderError(ctx, out, error) {
    ctx.type = 'html';
    ctx.body = page('出错了 - ' + TITLE, `<h1>${esc(TITLE)}</h1>
<p id="error" class="error">${esc(out.error)}</p>
${out.error_description ? `<pre id="error_description">${esc(out.error_description)}</pre>` : ''}`);
    if (error && !(error instanceof errors.OIDCProviderError)) {
      process.stderr.write(`provider.mjs: ${error.stack ?? error}\n`);
    }
  },
  clientBasedCORS: () => true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
};

// ---------------------------------------------------------------------------------------------
// Interactions: the login form; consent is given without asking

async function readForm(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new errors.InvalidRequest('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function interactionRoutes(provider) {
  return async function interactions(ctx, next) {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/.exec(ctx.path);
    if (!m) return next();
    const [, uid, action] = m;
    ctx.set('Cache-Control', 'no-store');

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('出错了 - ' + TITLE, `<h1>${esc(TITLE)}</h1><p id="error" class="error">登录会话已失效，请返回应用重新登录。</p><pre>${esc(err.message)}</pre>`);
      return undefined;
    }
    if (details.uid !== uid) {
      ctx.status = 400;
      ctx.body = 'interaction mismatch';
      return undefined;
    }
    const clientName = (await provider.Client.find(details.params.client_id))?.clientName ?? details.params.client_id;
    const { prompt } = details;

    const finish = async (result) => {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
    };

    if (ctx.method === 'GET' && !action) {
      if (prompt.name === 'login') {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientName, login: details.params.login_hint ?? '' });
        return undefined;
      }
      if (prompt.name === 'consent') {
        // First-party client: grant what is asked for, no screen.
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const d = prompt.details;
        if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
        if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
        if (d.missingResourceScopes) {
          for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) {
            grant.addResourceScope(indicator, scopes.join(' '));
          }
        }
        const grantId = await grant.save();
        return finish({ consent: { grantId } });
      }
      ctx.status = 400;
      ctx.body = `unsupported prompt ${prompt.name}`;
      return undefined;
    }

    if (ctx.method === 'POST' && action === 'login') {
      if (prompt.name !== 'login') {
        ctx.status = 400;
        ctx.body = 'not a login interaction';
        return undefined;
      }
      const form = await readForm(ctx.req);
      const login = form.get('login') ?? '';
      const password = form.get('password') ?? '';
      const account = byLogin.get(login);
      if (!account || !passwordMatches(account, password)) {
        ctx.status = 200;
        ctx.type = 'html';
        // The form comes back empty (no pre-filled login), so a test can type both fields again.
        ctx.body = loginPage({ uid, clientName, error: '账号或密码错误' });
        return undefined;
      }
      return finish({ login: { accountId: account.sub, amr: ['pwd'] } });
    }

    if (ctx.method === 'POST' && action === 'abort') {
      await readForm(ctx.req);
      return finish({ error: 'access_denied', error_description: 'End-User aborted interaction' });
    }

    ctx.status = 405;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Start: listen first (PORT=0 picks a free port), then build the provider for that issuer.

let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = http.createServer((req, res) => handler(req, res));
server.on('error', (err) => fail(`cannot listen on ${HOST}:${PORT}: ${err.message}`));
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST}:${port}`;
  const provider = new Provider(issuer, configuration);
  provider.use(interactionRoutes(provider));
  provider.on('server_error', (ctx, err) => process.stderr.write(`provider.mjs: server_error ${err.stack ?? err}\n`));
  handler = provider.callback();
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
