// Forward-auth in real Chromium through real nginx (issue #16): a person opens
// an app on its own host, signs in on the auth host with the link from the
// mail, and lands back on the URL they opened, signed in; the app learns who
// they are. The hosts are *.example.localhost: a secure context on http (so the
// pages' Fetch Metadata is sent), mapped to loopback by the host-resolver rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { linkFrom } from '../support/http-client.ts';
import { APP_HOST, AUTH_HOST, NGINX, proxyMissing, startBehindProxy, startNginx, type Stack } from '../forward-auth/harness.ts';
import { CHROMIUM, chromiumMissing, newDevice } from './harness.ts';

describe('forward-auth in Chromium through nginx', { skip: chromiumMissing || proxyMissing(NGINX, 'nginx') }, () => {
  let browser: Browser;
  let stack: Stack;
  let port: number;

  before(async () => {
    stack = await startBehindProxy(startNginx);
    port = stack.proxyPort;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP *.example.localhost 127.0.0.1'],
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('app host → sign-in page on the auth host → link from the mail → back on the original URL, signed in', async () => {
    const auth = `http://${AUTH_HOST}:${port}`;
    const app = `http://${APP_HOST}:${port}`;
    const d = await newDevice(browser, auth);
    try {
      await d.page.goto(`${app}/reports/weekly?team=ops`);
      await d.page.waitForURL((url) => url.href.startsWith(`${auth}/auth/sign-in?`));
      assert.equal(new URL(d.page.url()).searchParams.get('redirectTo'), `${app}/reports/weekly?team=ops`);
      await d.page.getByLabel('Email').fill('bob@example.org');
      await d.page.getByRole('button', { name: /email me/i }).click();
      await d.page.waitForURL(/\/auth\/check-email$/);
      const message = await stack.sink.waitFor((m) => m.to === 'bob@example.org');
      const link = linkFrom(message.text);
      assert.equal(new URL(link).origin, auth);
      await d.page.goto(link);
      // The verify page continues by itself in the browser that asked, and the redirect goes back to the app.
      await d.page.waitForURL((url) => url.href === `${app}/reports/weekly?team=ops`);
      assert.equal(await d.page.textContent('#who'), 'bob@example.org');
      const cookies = await d.context.cookies();
      // The proxy cookie is shared by the domain; the session cookie stays on the auth host.
      assert.equal(cookies.find((c) => c.name === 'latchkey_proxy')?.domain, '.example.localhost');
      assert.equal(cookies.find((c) => c.name === 'latchkey_session')?.domain, AUTH_HOST);
      // The next page of the app needs no sign-in: the cookie is shared.
      await d.page.goto(`${app}/other`);
      assert.equal(await d.page.textContent('#who'), 'bob@example.org');
      // Not allowed on /admin: nginx answers 403 and the app sees nothing.
      const seen = stack.upstream.seen.length;
      const admin = await d.page.goto(`${app}/admin`);
      assert.equal(admin?.status(), 403);
      assert.equal(stack.upstream.seen.length, seen);
      assert.deepEqual(d.problems.filter((p) => !p.includes('/admin')), []);
    } finally {
      await d.close();
    }
  });
});
