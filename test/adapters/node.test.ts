// Latchkey on plain node:http (issue #14): the whole server, or only its own
// paths with the rest falling through to the app; and requireSession.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireSession, toNodeHandler } from '../../src/adapters/node.ts';
import { checkSession } from '../../src/adapters/session-gate.ts';
import { assertGuarded, signInWithForms, signInWithJson, startMounted, type MountedServer } from './harness.ts';

describe('node:http: http.createServer(toNodeHandler(latchkey))', () => {
  let server: MountedServer;
  before(async () => (server = await startMounted(async (latchkey) => ({ listener: toNodeHandler(latchkey) }))));
  after(() => server.close());

  it('serves every path, / included (the sign-in page)', async () => {
    const root = await server.client().request('/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/auth/sign-in');
  });

  it('signs in with JSON and on the hosted pages', async () => {
    await signInWithJson(server);
    await signInWithForms(server);
  });

  it('records the socket peer as the client IP', async () => {
    const client = await signInWithJson(server);
    const listed = (await (await client.request('/auth/sessions')).json()) as { sessions: { ip: string | null; current: boolean }[] };
    assert.equal(listed.sessions.find((s) => s.current)?.ip, '127.0.0.1');
  });
});

describe('node:http: Latchkey beside the app (a `next` for the paths it does not serve)', () => {
  let server: MountedServer;
  before(async () => {
    server = await startMounted(async (latchkey) => {
      const latchkeyHandler = toNodeHandler(latchkey);
      const profile = requireSession(latchkey, (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`profile of ${req.latchkey.user.email}`);
      });
      return {
        listener: (req, res) =>
          latchkeyHandler(req, res, () => {
            if (req.url?.startsWith('/profile')) return void profile(req, res);
            res.writeHead(200, { 'content-type': 'text/plain' }).end(`the app answers ${req.url}`);
          }),
      };
    });
  });
  after(() => server.close());

  it('leaves / and every other path of the app to the app', async () => {
    for (const path of ['/', '/favicon.ico', '/about', '/authority']) {
      const response = await server.client().request(path);
      assert.equal(await response.text(), `the app answers ${path}`);
    }
  });

  it('answers its own names, unknown paths under them included', async () => {
    assert.equal((await server.client().request('/healthz')).status, 200);
    const unknown = await server.client().request('/auth/unknown', { headers: { accept: 'application/json' } });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('requireSession: 303 to sign in for a browser, 401 JSON otherwise, the handler with the session when signed in', async () => {
    await assertGuarded(server, '/profile?x=1');
    const browser = await signInWithForms(server, { redirectTo: '/profile?x=1' });
    const page = await browser.request('/profile?x=1');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /^profile of form\./);
  });

  it('requireSession never sends a browser on to another host', async () => {
    // A request target the sign-in would refuse as redirectTo (protocol-relative) is left out.
    for (const target of ['//evil.example/profile', '/\\evil.example']) {
      const gate = await checkSession(server.latchkey, { method: 'GET', target, headers: { accept: 'text/html' } });
      assert.deepEqual(gate, { outcome: 'redirect', status: 303, location: '/auth/sign-in' });
    }
  });
});
