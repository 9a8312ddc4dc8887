// The route table (src/route-table.ts) is the one place a path is spelled: the
// app serves exactly its routes, and urlFor builds the links core, mail and pages use.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createLatchkey, type Latchkey } from '../../src/latchkey.ts';
import { absoluteUrlFor, GROUP_PREFIXES, ROUTE_NAMES, ROUTES, routeNamed, urlFor } from '../../src/route-table.ts';
import { OIDC_PATHS } from '../../src/oidc/provider.ts';
import { openStore } from '../../src/store/open.ts';
import { clientsFile } from '../oidc/harness.ts';

const SECRET = 'test-secret-that-is-long-enough-0123456789';

/** The method and path of every route an app registered (middleware, registered for ALL methods, aside). */
function servedRoutes(latchkey: Latchkey['app']): Set<string> {
  return new Set(latchkey.routes.filter((route) => route.method !== 'ALL' && !providerOwn(route.path)).map((route) => `${route.method} ${route.path}`));
}

/**
 * The OpenID Connect provider's own endpoints (discovery, JWKS, token, …), handed whole to
 * oidc-provider before the body limit (http/routes/oidc.ts), and the admin API's client routes:
 * mounted apart from the table. The interaction and the account's apps are table rows.
 */
const PROVIDER_PATHS = ['/.well-known/openid-configuration', ...Object.values(OIDC_PATHS), '/admin/clients'];
function providerOwn(path: string): boolean {
  return PROVIDER_PATHS.some((own) => path === own || path.startsWith(`${own}/`));
}

describe('route table', () => {
  let full: Latchkey;
  let metricsApart: Latchkey;

  before(async () => {
    // Everything on: the admin API (its token), the dev mailbox (no SMTP, a loopback base URL), the OpenID Connect provider.
    full = await createLatchkey({
      store: await openStore(':memory:'),
      oidcClientsFile: clientsFile(),
      secret: SECRET,
      baseUrl: 'http://127.0.0.1:3000',
      adminToken: 'admin-token-0123456789-abcdefghijklmnop',
      logger: pino({ level: 'silent' }),
      startWorker: false,
    });
    metricsApart = await createLatchkey({
      store: await openStore(':memory:'),
      secret: SECRET,
      baseUrl: 'http://127.0.0.1:3000',
      metricsListen: '127.0.0.1:9464',
      logger: pino({ level: 'silent' }),
      startWorker: false,
    });
  });
  after(async () => {
    await full?.close();
    await metricsApart?.close();
  });

  it('the app serves every route of the table and nothing else', () => {
    const table = new Set(ROUTE_NAMES.map((name) => `${ROUTES[name].method} ${ROUTES[name].path}`));
    assert.deepEqual([...servedRoutes(full.app)].sort(), [...table].sort());
  });

  it('/metrics on a listener of its own: there and only there', () => {
    assert.ok(!servedRoutes(metricsApart.app).has('GET /metrics'));
    assert.deepEqual([...servedRoutes(metricsApart.metricsApp!)], ['GET /metrics']);
  });

  it('each path is spelled once: no two routes share a method and path, and a prefixed group stays under its prefix', () => {
    const keys = ROUTE_NAMES.map((name) => `${ROUTES[name].method} ${ROUTES[name].path}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const name of ROUTE_NAMES) {
      const prefix = GROUP_PREFIXES[ROUTES[name].group];
      if (prefix) assert.ok(ROUTES[name].path.startsWith(prefix), `${name} outside ${prefix}`);
    }
    assert.ok(ROUTE_NAMES.every((name) => !ROUTES[name].path.startsWith('/admin/') || ROUTES[name].group === 'admin'));
  });

  it('urlFor fills parameters, encodes the query and leaves out empty values', () => {
    assert.equal(urlFor('passwordReset'), '/auth/password/reset');
    assert.equal(urlFor('sessionRevoke', { id: 'a/b c' }), '/auth/sessions/a%2Fb%20c/revoke');
    assert.equal(urlFor('signIn', undefined, { redirectTo: '/auth/account' }), '/auth/sign-in?redirectTo=%2Fauth%2Faccount');
    assert.equal(urlFor('account', undefined, { email: 'change-sent', to: 'a+b@example.com', totp: null }), '/auth/account?email=change-sent&to=a%2Bb%40example.com');
    assert.equal(urlFor('checkEmail', undefined, { notice: undefined }), '/auth/check-email');
    assert.throws(() => urlFor('sessionRevoke'), /missing parameter id/);
  });

  it('absoluteUrlFor builds on the base URL, never on a request', () => {
    assert.equal(absoluteUrlFor(new URL('https://auth.example.com'), 'verifyPage', undefined, { token: 'abc_-1' }), 'https://auth.example.com/auth/verify?token=abc_-1');
    assert.equal(absoluteUrlFor('http://localhost:3000', 'account'), 'http://localhost:3000/auth/account');
  });

  it('a matched pattern gives back its route name (HEAD is the GET route), an unknown one nothing', () => {
    assert.equal(routeNamed('POST', '/auth/verify'), 'verify');
    assert.equal(routeNamed('GET', '/auth/verify'), 'verifyPage');
    assert.equal(routeNamed('HEAD', '/auth/session'), 'session');
    assert.equal(routeNamed('DELETE', '/auth/sessions/:id'), 'sessionDelete');
    assert.equal(routeNamed('GET', '/*'), null);
    assert.equal(routeNamed('PUT', '/auth/verify'), null);
  });

  it('the request metrics count sign-in steps by route name, and label requests by method and pattern as before', async () => {
    const client = (path: string, init?: RequestInit) => full.fetch(new Request(`http://127.0.0.1:3000${path}`, init));
    await client('/auth/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'x'.repeat(43) }) });
    // GET /auth/verify is another route (the page that shows the link), not a sign-in step.
    await client('/auth/verify?token=nope');
    await client('/auth/verify?token=nope');
    const text = await (await full.app.request('/metrics')).text();
    assert.match(text, /latchkey_sign_ins_total\{step="link",outcome="failed",reason="token_invalid"\} 1\n/);
    assert.match(text, /latchkey_http_requests_total\{method="POST",route="\/auth\/verify",status="400"\} 1\n/);
    assert.match(text, /latchkey_http_requests_total\{method="GET",route="\/auth\/verify",status="400"\} 2\n/);
  });
});
