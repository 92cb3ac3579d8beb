// End-to-end check of provider.mjs without a browser: discovery, JWKS, the authorization code
// flow with PKCE through the login form, the token endpoint, the ID token's signature and
// claims, userinfo, and the rejections (no code_challenge, no / wrong code_verifier, code reuse,
// wrong password). Run: node tests/oidc/selftest.mjs   (exit 0 when everything holds)

import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const REDIRECT_URI = 'http://127.0.0.1:9/callback'; // never contacted: the flow stops at its Location
const PASSWORD = 'Test@1234';

let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  if (ok) {
    passed += 1;
    console.log(`ok   ${what}`);
  } else {
    failed += 1;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}
class Abort extends Error {}
function must(what, ok, detail) {
  if (!check(what, ok, detail)) throw new Abort(what);
}

// ---------------------------------------------------------------------------------------------
// Starting the provider

function startProvider(env) {
  const child = spawn(process.execPath, [path.join(here, 'provider.mjs')], {
    env: { ...process.env, PORT: '0', REDIRECT_URI, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no READY line within 20 s; stderr:\n${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        const m = /^READY (http:\/\/127\.0\.0\.1:\d+)$/.exec(out.slice(0, nl));
        if (m) resolve(m[1]); else reject(new Error(`unexpected first stdout line: ${out.slice(0, nl)}`));
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`provider exited ${code}; stderr:\n${stderr}`)); });
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, ready, exited, stderr: () => stderr };
}

// ---------------------------------------------------------------------------------------------
// A minimal browser: a cookie jar and manual redirects

class Jar {
  cookies = new Map(); // name -> { value, path }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cpath = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') cpath = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path: cpath });
    }
  }

  header(url) {
    const p = new URL(url).pathname;
    return [...this.cookies]
      .filter(([, c]) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([n, c]) => `${n}=${c.value}`).join('; ');
  }
}

async function request(jar, url, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

// Follows redirects on the provider until one leaves it (to the redirect_uri) or a page is shown.
async function follow(jar, issuer, res, from) {
  let current = res;
  let url = from;
  for (let i = 0; i < 10; i += 1) {
    if (current.status < 300 || current.status >= 400) return { res: current, url };
    const next = new URL(current.headers.get('location'), url).href;
    if (!next.startsWith(issuer)) return { res: current, url: next, left: true };
    url = next;
    current = await request(jar, url);
  }
  throw new Error('too many redirects');
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const pkcePair = () => {
  const verifier = b64url(crypto.randomBytes(32));
  return { verifier, challenge: crypto.hash('sha256', verifier, 'base64url') };
};

function authUrl(meta, clientId, { scope, state, nonce, challenge }) {
  const u = new URL(meta.authorization_endpoint);
  u.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    nonce,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  });
  return u.href;
}

function formFields(html) {
  const action = /<form id="login-form" method="post" action="([^"]+)"/.exec(html)?.[1];
  return { action: action?.replace(/&amp;/g, '&') };
}

// Authorize, log in through the form if asked, and return the parameters at the redirect_uri.
async function authorize(jar, issuer, meta, clientId, { scope, login, password = PASSWORD, challenge }) {
  const state = b64url(crypto.randomBytes(12));
  const nonce = b64url(crypto.randomBytes(12));
  const start = authUrl(meta, clientId, { scope, state, nonce, challenge });
  let step = await follow(jar, issuer, await request(jar, start), start);
  let sawLoginForm = false;
  if (!step.left) {
    must('authorize leads to the login page', step.res.status === 200 && step.url.includes('/interaction/'), `${step.res.status} ${step.url}`);
    const html = await step.res.text();
    sawLoginForm = true;
    must('login page has the login form (login, password, #submit, title)',
      html.includes('name="login"') && html.includes('name="password"') && html.includes('id="submit"')
      && html.includes('<title>青海省统一身份认证(测试)</title>'));
    const { action } = formFields(html);
    const post = new URL(action, step.url).href;
    const body = new URLSearchParams({ login, password });
    const res = await request(jar, post, {
      method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    step = await follow(jar, issuer, res, post);
  }
  must('flow ends with a redirect to the redirect_uri', step.left && step.url.startsWith(REDIRECT_URI), step.url);
  const params = new URL(step.url).searchParams;
  return { params, state, nonce, sawLoginForm };
}

async function token(meta, form, auth) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = auth;
  const res = await fetch(meta.token_endpoint, { method: 'POST', body: new URLSearchParams(form), headers });
  return { status: res.status, body: await res.json() };
}

function verifyJwt(jwt, jwks) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== 'RS256') return { ok: false, header };
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  return { ok, header, claims: JSON.parse(Buffer.from(p, 'base64url')) };
}

// ---------------------------------------------------------------------------------------------
// The scenarios

async function scenario(label, env) {
  console.log(`# ${label}`);
  const clientId = env.CLIENT_ID ?? 'credo';
  const secret = env.CLIENT_SECRET;
  // RFC 6749 2.3.1: id and secret are form-urlencoded before they go into HTTP Basic.
  const clientAuth = (form, useSecret = secret) => {
    if (!secret) return [{ ...form, client_id: clientId }, undefined];
    if (env.CLIENT_AUTH_METHOD === 'client_secret_post') return [{ ...form, client_id: clientId, client_secret: useSecret }, undefined];
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(useSecret)}`).toString('base64')}`;
    return [form, basic];
  };

  const p = startProvider(env);
  try {
    const issuer = await p.ready;
    check('READY line names the issuer', /^http:\/\/127\.0\.0\.1:\d+$/.test(issuer), issuer);

    const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    must('discovery: issuer matches', meta.issuer === issuer, meta.issuer);
    check('discovery: code flow, S256, scopes, auth method',
      meta.response_types_supported.includes('code')
      && JSON.stringify(meta.code_challenge_methods_supported) === '["S256"]'
      && ['openid', 'profile', 'credit'].every((s) => meta.scopes_supported.includes(s))
      && meta.token_endpoint_auth_methods_supported.includes(secret ? (env.CLIENT_AUTH_METHOD ?? 'client_secret_basic') : 'none')
      && meta.userinfo_endpoint && meta.jwks_uri && meta.end_session_endpoint, JSON.stringify(meta));
    const jwks = await (await fetch(meta.jwks_uri)).json();
    check('jwks: one RS256 signing key', jwks.keys.length === 1 && jwks.keys[0].kty === 'RSA' && !('d' in jwks.keys[0]));

    // No code_challenge: refused at the authorization endpoint (back to the client with an error).
    {
      const jar = new Jar();
      const url = authUrl(meta, clientId, { scope: 'openid', state: 's', nonce: 'n' });
      const res = await request(jar, url);
      const loc = res.headers.get('location') ?? '';
      const q = loc.startsWith(REDIRECT_URI) ? new URL(loc).searchParams : new URLSearchParams();
      check('authorize without code_challenge is refused',
        q.get('error') === 'invalid_request' && /PKCE|code_challenge/.test(q.get('error_description') ?? ''), `${res.status} ${loc}`);
    }

    // The organisation: full flow.
    const jar = new Jar();
    const { verifier, challenge } = pkcePair();

    {
      // Wrong password first: the page says so and stays on the form.
      const state = 'w';
      const start = authUrl(meta, clientId, { scope: 'openid', state, nonce: 'n', challenge });
      const step = await follow(jar, issuer, await request(jar, start), start);
      const { action } = formFields(await step.res.text());
      const post = new URL(action, step.url).href;
      const res = await request(jar, post, {
        method: 'POST',
        body: new URLSearchParams({ login: 'qh-org-0001', password: 'wrong' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const html = await res.text();
      check('wrong password shows an error on the login page',
        res.status === 200 && html.includes('id="error"') && html.includes('账号或密码错误') && html.includes('id="submit"'));
    }

    const a = await authorize(jar, issuer, meta, clientId, { scope: 'openid profile credit', login: 'qh-org-0001', challenge });
    check('login form was shown and no consent screen', a.sawLoginForm);
    check('redirect carries code, state and iss', a.params.get('code') && a.params.get('state') === a.state && a.params.get('iss') === issuer,
      a.params.toString());
    const code = a.params.get('code');

    let r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }));
    check('token without code_verifier is rejected (invalid_grant)', r.status === 400 && r.body.error === 'invalid_grant', JSON.stringify(r));
    r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkcePair().verifier }));
    check('token with a wrong code_verifier is rejected (invalid_grant)', r.status === 400 && r.body.error === 'invalid_grant', JSON.stringify(r));
    if (secret) {
      r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, 'nope'));
      check('token with a wrong client secret is rejected (invalid_client)', r.status === 401 && r.body.error === 'invalid_client', JSON.stringify(r));
    }
    r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }));
    must('token with the code_verifier succeeds', r.status === 200 && r.body.id_token && r.body.access_token && r.body.token_type === 'Bearer', JSON.stringify(r));
    check('scope granted as asked', r.body.scope === 'openid profile credit', r.body.scope);

    const v = verifyJwt(r.body.id_token, jwks);
    check('id_token signature verifies with the JWKS (RS256)', v.ok, JSON.stringify(v.header));
    const c = v.claims;
    const now = Math.floor(Date.now() / 1000);
    check('id_token iss, aud, nonce, iat/exp', c.iss === issuer && c.aud === clientId && c.nonce === a.nonce
      && Math.abs(c.iat - now) < 60 && c.exp > now, JSON.stringify(c));
    check('id_token carries sub, name, uscc, subject_kind',
      c.sub === 'qh-org-0001' && c.name === '西宁示例商贸有限公司' && c.uscc === '91630100MA7QH0014T' && c.subject_kind === 'organisation',
      JSON.stringify(c));
    check('id_token has no password and no id_number for this account', !('password' in c) && !('id_number' in c));
    console.log(`     id_token claims: ${JSON.stringify(c)}`);

    const ui = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${r.body.access_token}` } });
    const uinfo = await ui.json();
    check('userinfo returns the same claims', ui.status === 200 && uinfo.sub === c.sub && uinfo.name === c.name && uinfo.uscc === c.uscc,
      JSON.stringify(uinfo));

    r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }));
    check('the code cannot be used twice', r.status === 400 && r.body.error === 'invalid_grant', JSON.stringify(r));

    // Same browser again: the session at the provider signs in without the form.
    const second = pkcePair();
    const b = await authorize(jar, issuer, meta, clientId, { scope: 'openid profile', login: 'qh-org-0001', challenge: second.challenge });
    check('second authorize in the same browser needs no login form', !b.sawLoginForm);
    r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code: b.params.get('code'), redirect_uri: REDIRECT_URI, code_verifier: second.verifier }));
    const c2 = verifyJwt(r.body.id_token, jwks).claims;
    check('scope openid profile only: name but no credit claims', c2.sub === 'qh-org-0001' && c2.name && !('uscc' in c2) && !('subject_kind' in c2),
      JSON.stringify(c2));

    // A person, in a fresh browser.
    const third = pkcePair();
    const pj = new Jar();
    const d = await authorize(pj, issuer, meta, clientId, { scope: 'openid profile credit', login: 'qh-person-0001', challenge: third.challenge });
    r = await token(meta, ...clientAuth({ grant_type: 'authorization_code', code: d.params.get('code'), redirect_uri: REDIRECT_URI, code_verifier: third.verifier }));
    const c3 = verifyJwt(r.body.id_token, jwks).claims;
    check('person: id_number and subject_kind in the id_token', c3.sub === 'qh-person-0001' && c3.id_number === '630102199001011235'
      && c3.subject_kind === 'person' && !('uscc' in c3), JSON.stringify(c3));

    // Cancel on the login page: access_denied back at the client.
    {
      const cj = new Jar();
      const start = authUrl(meta, clientId, { scope: 'openid', state: 'c', nonce: 'n', challenge: pkcePair().challenge });
      const step = await follow(cj, issuer, await request(cj, start), start);
      const html = await step.res.text();
      const abort = new URL(/<form id="cancel-form" method="post" action="([^"]+)"/.exec(html)[1], step.url).href;
      const end = await follow(cj, issuer, await request(cj, abort, { method: 'POST', body: '' }), abort);
      const q = new URL(end.url).searchParams;
      check('cancel returns error=access_denied to the redirect_uri', end.left && q.get('error') === 'access_denied' && q.get('state') === 'c', end.url);
    }

    // RP-initiated logout page is there and has the button.
    {
      const url = `${meta.end_session_endpoint}?${new URLSearchParams({ id_token_hint: r.body.id_token, client_id: clientId })}`;
      const res = await request(pj, url);
      const html = await res.text();
      check('end_session shows the logout confirmation', res.status === 200 && html.includes('id="logout"'), `${res.status}`);
    }
  } catch (err) {
    if (!(err instanceof Abort)) check(`${label}: unexpected error`, false, `${err.stack}\n${p.stderr()}`);
  } finally {
    p.child.kill('SIGTERM');
    const { code, signal } = await p.exited;
    check('provider exits 0 on SIGTERM', code === 0, `code ${code} signal ${signal}`);
    const unexpected = p.stderr().split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING:') && !l.startsWith('oidc-provider NOTICE:'));
    check('provider stderr has nothing but oidc-provider notices', unexpected.length === 0, unexpected.join('\n'));
  }
}

await scenario('public client (token_endpoint_auth_method none)', {});
await scenario('confidential client (client_secret_basic)', { CLIENT_ID: 'credo-web', CLIENT_SECRET: 's3cret:with/odd+chars' });
await scenario('confidential client (client_secret_post)', { CLIENT_SECRET: 'another-secret', CLIENT_AUTH_METHOD: 'client_secret_post' });

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
