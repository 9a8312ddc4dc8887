// The story every proxy must tell the same way (issue #16), run against real
// nginx and real Caddy with the configs the docs show: not signed in → sent to
// sign in; signed in and allowed → the app learns who, and only from Latchkey;
// signed in and not allowed → 403; signed out → sent to sign in again; an API
// call → 401.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_HOST, AUTH_HOST, COOKIE_DOMAIN, rawRequest, send, signIn, startBehindProxy, type Proxy, type Stack } from './harness.ts';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export function proxySuite(name: string, skip: string | false, startProxy: (stack: Omit<Stack, 'close'>) => Promise<Proxy>): void {
  describe(`forward-auth behind real ${name}`, { skip }, () => {
    let stack: Stack;
    let port: number;

    before(async () => {
      stack = await startBehindProxy(startProxy);
      port = stack.proxyPort;
    });
    after(() => stack?.close());

    it('not signed in: a browser is sent to the sign-in page with the original URL, and the app sees nothing', async () => {
      const answer = await send(port, APP_HOST, '/reports/weekly?team=ops', { headers: { accept: HTML } });
      assert.equal(answer.status, 302, answer.body);
      const location = new URL(answer.headers.location ?? '');
      assert.equal(location.origin, `http://${AUTH_HOST}:${port}`);
      assert.equal(location.pathname, '/auth/sign-in');
      assert.equal(location.searchParams.get('redirectTo'), `http://${APP_HOST}:${port}/reports/weekly?team=ops`);
      assert.equal(stack.upstream.seen.length, 0);
    });

    it('not signed in: an API call gets 401, not a redirect', async () => {
      const answer = await send(port, APP_HOST, '/api/items', { headers: { accept: 'application/json' } });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.location, undefined);
      assert.equal(stack.upstream.seen.length, 0);
    });

    it('signed in and allowed: the app receives Remote-User and Remote-Email from Latchkey, never the ones the client sent', async () => {
      const { cookie, setCookie } = await signIn(stack, 'bob@example.org');
      assert.match(setCookie, new RegExp(`; Domain=${COOKIE_DOMAIN.replace('.', '\\.')}`, 'i'));
      const user = await stack.store.findUserByEmail('bob@example.org');
      const answer = await send(port, APP_HOST, '/dashboard', {
        headers: { cookie, accept: HTML, 'remote-email': 'ada@example.org', 'Remote-User': 'someone-else', 'x-original-url': `http://${APP_HOST}/admin` },
      });
      assert.equal(answer.status, 200, answer.body);
      const seen = stack.upstream.seen.at(-1)!;
      assert.equal(seen.url, '/dashboard');
      assert.equal(seen.headers['remote-email'], 'bob@example.org');
      assert.equal(seen.headers['remote-user'], user!.id);
      // A client-written copy under another spelling does not reach the app either.
      const sneaky = await send(port, APP_HOST, '/dashboard', { headers: { cookie, Remote_Email: 'ada@example.org' } });
      assert.equal(sneaky.status, 200);
      assert.equal(stack.upstream.seen.at(-1)!.headers['remote_email'], undefined);
      // A form post to the app is asked about too (the proxy asks with GET, the app gets the POST).
      const posted = await send(port, APP_HOST, '/dashboard/save', { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
      assert.equal(posted.status, 200, posted.body);
      assert.equal(stack.upstream.seen.at(-1)!.method, 'POST');
      const allowed = await stack.store.listAudit({ type: 'forward_auth.allowed' });
      assert.equal(allowed.length, 1, 'once per session and rule, not per request');
      assert.equal(allowed[0]!.reason, `rule_2:${APP_HOST}`);
    });

    it('signed in but not allowed: 403, and the app sees nothing; a client-sent original URL does not change the decision', async () => {
      const before = stack.upstream.seen.length;
      const { cookie } = await signIn(stack, 'eve@example.com');
      const stranger = await send(port, APP_HOST, '/dashboard', { headers: { cookie, accept: HTML } });
      assert.equal(stranger.status, 403);
      const bob = await signIn(stack, 'bob2@example.org');
      const admin = await send(port, APP_HOST, '/admin/users', {
        headers: { cookie: bob.cookie, 'x-original-url': `http://${APP_HOST}:${port}/`, 'x-forwarded-uri': '/', 'x-forwarded-host': APP_HOST, accept: 'application/json' },
      });
      assert.equal(admin.status, 403);
      assert.equal(stack.upstream.seen.length, before);
      const reasons = (await stack.store.listAudit({ type: 'forward_auth.denied' })).map((event) => event.reason);
      assert.ok(reasons.includes(`not_listed:${APP_HOST}`), reasons.join());
    });

    it('after signing out, the same cookie is sent to sign in again; the proxy cookie is cleared for the whole domain', async () => {
      const { cookie, session } = await signIn(stack, 'carol@example.org');
      assert.equal((await send(port, APP_HOST, '/', { headers: { cookie } })).status, 200);
      const out = await send(port, AUTH_HOST, '/auth/sign-out', { method: 'POST', headers: { cookie: session, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(out.status, 204);
      const cleared = (out.headers['set-cookie'] ?? []).find((line) => line.startsWith('latchkey_proxy='));
      assert.match(cleared ?? '', /Max-Age=0/i);
      assert.match(cleared ?? '', new RegExp(`Domain=${COOKIE_DOMAIN.replace('.', '\\.')}`, 'i'));
      const sessionCleared = (out.headers['set-cookie'] ?? []).find((line) => line.startsWith('latchkey_session='));
      assert.match(sessionCleared ?? '', /Max-Age=0/i);
      assert.doesNotMatch(sessionCleared ?? '', /Domain=/i);
      assert.equal(out.headers['clear-site-data'], undefined, 'Clear-Site-Data would clear the sibling apps cookies');
      const again = await send(port, APP_HOST, '/', { headers: { cookie, accept: HTML } });
      assert.equal(again.status, 302);
      assert.equal(new URL(again.headers.location ?? '').pathname, '/auth/sign-in');
    });

    it('the app receives only the proxy cookie, which the auth API refuses: no account takeover from an app or its logs', async () => {
      // What a browser holds for the app's host: the proxy cookie only (the session cookie is host-only, on the auth host).
      const { cookie, session } = await signIn(stack, 'dave@example.org');
      const signedIn = await send(port, APP_HOST, '/dashboard', { headers: { cookie } });
      assert.equal(signedIn.status, 200);
      const received = String(stack.upstream.seen.at(-1)!.headers.cookie);
      assert.match(received, /^latchkey_proxy=/);
      assert.doesNotMatch(received, /latchkey_session=/);
      // Server side, as the app (or whoever reads its logs) could: straight to the auth host with the cookie it got.
      const who = await send(port, AUTH_HOST, '/auth/session', { headers: { cookie: received } });
      assert.equal(who.status, 401);
      const change = await send(port, AUTH_HOST, '/auth/email/change', {
        method: 'POST',
        headers: { cookie: received, 'content-type': 'application/json' },
        body: JSON.stringify({ newEmail: 'mallory@evil.test' }),
      });
      assert.equal(change.status, 401, change.body);
      assert.equal(await stack.store.findUserByEmail('mallory@evil.test'), null);
      // The real session, on the auth host, is untouched.
      assert.equal((await send(port, AUTH_HOST, '/auth/session', { headers: { cookie: session } })).status, 200);
    });

    it('bob (not allowed on /admin) gets nowhere under /admin by any reading of the path an app may serve', async () => {
      const { cookie } = await signIn(stack, 'bob3@example.org');
      assert.equal((await send(port, APP_HOST, '/public', { headers: { cookie } })).status, 200, 'bob may open the rest of the app');
      const before = stack.upstream.seen.length;
      // Dot segments and escapes, ';params' (Tomcat, Spring), an escaped slash (apps that decode before routing), repeated slashes.
      for (const path of ['/admin/users', '/x/..//admin/users', '/x/%2e%2e//admin/users', '//admin/users', '/%61dmin/users', '/admin;x/users', '/admin;/users', '/admin%2Fusers', '/admin%5Cusers', '/x%2F..%2Fadmin/users']) {
        const answer = await send(port, APP_HOST, path, { headers: { cookie } });
        assert.notEqual(answer.status, 200, `${path}: ${answer.status}`);
      }
      for (const target of ['/public#/../admin/users', '/public%23/../admin/users']) {
        const out = await rawRequest(port, [`GET ${target} HTTP/1.1`, `Host: ${APP_HOST}:${port}`, `Cookie: ${cookie}`, 'Connection: close']);
        assert.notEqual(Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1]), 200, `${target}: ${out.slice(0, 80)}`);
      }
      assert.deepEqual(stack.upstream.seen.slice(before).map((request) => request.url), []);
    });

    it('a client asking the endpoints on the auth host cannot write the URL decided about, so cannot map which hosts are protected', async () => {
      const asked = [
        await send(port, AUTH_HOST, '/auth/auth-request', { headers: { 'x-original-url': `http://${APP_HOST}/admin` } }),
        await send(port, AUTH_HOST, '/auth/auth-request', { headers: { 'x-original-url': 'http://nothing.example.localhost/' } }),
        await send(port, AUTH_HOST, '/auth/forward-auth', { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/admin' } }),
        await send(port, AUTH_HOST, '/auth/forward-auth', { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'nothing.example.localhost', 'x-forwarded-uri': '/' } }),
      ];
      // Never the 401 (with a sign-in Location) that a protected URL would get: the same refusal for all.
      assert.deepEqual(asked.map((answer) => [answer.status, answer.headers.location]), asked.map(() => [403, undefined]));
    });
  });
}
