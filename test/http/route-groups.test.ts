// Guards per route group (http/route-groups.ts). A machine-to-machine endpoint
// (a future OAuth token endpoint: form-encoded, no cookie, posted from another
// site) must reach its handler without the browser guards, while the very same
// request to a browser route is refused and audited. Both routes are mounted by
// the app's own mechanism, with the guards a real Latchkey builds from its
// configuration and policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { pino } from 'pino';
import { deriveKey } from '../../src/core/crypto.ts';
import { cookieNames } from '../../src/http/cookies.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { jsonError } from '../../src/http/errors.ts';
import { readBody } from '../../src/http/request.ts';
import { groupGuards, mountRoute, type Handler } from '../../src/http/route-groups.ts';
import { createLatchkey, type Latchkey } from '../../src/latchkey.ts';
import { ROUTES } from '../../src/route-table.ts';
import { openStore } from '../../src/store/open.ts';

const BASE = 'http://127.0.0.1:3000';

describe('route groups: guards per group', () => {
  let latchkey: Latchkey;
  let app: Hono<AppEnv>;
  const received: Array<{ route: string; body: Record<string, unknown> | null }> = [];

  before(async () => {
    latchkey = await createLatchkey({
      store: await openStore(':memory:'),
      secret: 'test-secret-that-is-long-enough-0123456789',
      baseUrl: BASE,
      logger: pino({ level: 'silent' }),
      startWorker: false,
    });
    // As createApp builds them: the cookie names and the CSRF key from the configuration.
    const guards = groupGuards({
      config: latchkey.config,
      policy: latchkey.policy,
      cookies: cookieNames(latchkey.config),
      csrfKey: deriveKey(latchkey.config.secret, 'csrf-token'),
      refuse: (c, code) => jsonError(c, code),
    });
    const answer =
      (route: string): Handler =>
      async (c) => {
        received.push({ route, body: await readBody(c) });
        return c.json({ received: true });
      };
    app = new Hono<AppEnv>();
    mountRoute(app, guards, { method: 'POST', path: '/test/oauth/token', group: 'machine' }, answer('machine'));
    mountRoute(app, guards, { method: 'POST', path: '/test/form', group: 'browser' }, answer('browser'));
  });
  after(async () => {
    await latchkey?.close();
  });

  // What a relying party's server, or a page on another site, posts to a token endpoint.
  const tokenRequest = (path: string, headers: Record<string, string>) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: 'grant_type=authorization_code&code=abc&client_id=app',
    });
  const crossSite = { origin: 'https://client.example', 'sec-fetch-site': 'cross-site' };

  it('a machine-to-machine route receives a cross-site form post without a CSRF token', async () => {
    const response = await tokenRequest('/test/oauth/token', crossSite);
    assert.equal(response.status, 200);
    assert.deepEqual(received.at(-1), { route: 'machine', body: { grant_type: 'authorization_code', code: 'abc', client_id: 'app' } });
    // And from a server: no Origin, no Fetch Metadata, no cookie.
    assert.equal((await tokenRequest('/test/oauth/token', {})).status, 200);
  });

  it('the same post to a browser route is refused and audited, and never reaches the handler', async () => {
    const before = received.length;
    const cross = await tokenRequest('/test/form', crossSite);
    assert.equal(cross.status, 403);
    assert.equal(((await cross.json()) as { error: { code: string } }).error.code, 'forbidden');
    // Same origin but without this browser's form token: the second guard.
    const tokenless = await tokenRequest('/test/form', { 'sec-fetch-site': 'same-origin' });
    assert.equal(tokenless.status, 403);
    assert.equal(received.length, before, 'no browser-route handler ran');
    const denied = await latchkey.store.listAudit({ type: 'policy.denied' });
    assert.deepEqual(denied.map((event) => event.reason).sort(), ['cross_site', 'csrf_token']);
  });

  it('an app mounts only the groups it has guards for: a browser route without its guards is a programming error', () => {
    assert.throws(() => mountRoute(new Hono<AppEnv>(), { metrics: [] }, ROUTES.verify, (c) => c.body(null, 204)), /no guards for the browser group/);
  });
});
