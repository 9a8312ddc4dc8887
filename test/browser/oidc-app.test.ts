// examples/oidc-app in Chromium (issue #15): the app started by the one command
// of its README (it starts its Latchkey beside it), then used as a person would:
// "Sign in with Latchkey", a sign-in by link in the same browser or by code, back
// to the app signed in; single sign-on into a second copy of the app, registered
// as another client with `latchkey clients add` as its README shows; sign-out
// from the app, confirmed on Latchkey, back to the app and signed out of both;
// a partner's app (third party) asks for consent first, and Deny is answered.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { codeFrom, linkFrom } from '../support/http-client.ts';
import { freePort, readmeCommand, ROOT, startChildApp, type ChildApp } from '../adapters/child-app.ts';
import { captureAndCheck, chromiumMissing, newDevice, useChromium, type Device } from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

describe('examples/oidc-app: Sign in with Latchkey from another app, in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let app: ChildApp;
  let second: ChildApp;
  let partner: ChildApp;
  let latchkeyUrl: string;
  const devices: Device[] = [];

  useChromium('oidc-app', (launched) => (browser = launched));

  before(async () => {
    const latchkeyPort = await freePort();
    latchkeyUrl = `http://localhost:${latchkeyPort}`;
    const [node, ...args] = readmeCommand('oidc-app');
    assert.equal(node, 'node');
    app = await startChildApp('example-oidc-app', args, { env: { LATCHKEY_PORT: String(latchkeyPort) }, mailbox: latchkeyUrl });

    // The second app (first party) and a partner's app (third party): registered with the CLI
    // against the running Latchkey's store, as the README shows, each started as its own copy.
    second = await startRegisteredCopy('second-app', 'Second app', ['--first-party']);
    partner = await startRegisteredCopy('partner-app', 'Partner app', []);
  });

  async function startRegisteredCopy(clientId: string, title: string, flags: string[]): Promise<ChildApp> {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'src/cli/main.ts'), 'clients', 'add', '--id', clientId, '--name', title, '--redirect-uri', `${url}/callback`, '--post-logout-redirect-uri', `${url}/`, ...flags, '--json'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          LATCHKEY_DATA_DIR: app.dataDir,
          LATCHKEY_DATABASE_URL: `sqlite:${join(app.dataDir, 'latchkey.db')}`,
          LATCHKEY_OIDC_CLIENTS: join(app.dataDir, 'clients.json'),
        },
      },
    );
    const { clientSecret } = JSON.parse(stdout) as { clientSecret: string };
    assert.ok(clientSecret.length >= 43, 'the CLI made a secret of 256 bits');
    const [, ...args] = readmeCommand('oidc-app');
    const copy = await startChildApp(`example-oidc-app-${clientId}`, args, {
      port,
      env: { LATCHKEY_ISSUER: latchkeyUrl, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, APP_TITLE: title },
      mailbox: latchkeyUrl,
    });
    assert.equal(copy.url, url);
    return copy;
  }

  after(async () => {
    for (const d of devices) await d.close();
    await partner?.stop();
    await second?.stop();
    await app?.stop();
  });

  async function device(): Promise<Device> {
    const created = await newDevice(browser, latchkeyUrl);
    devices.push(created);
    return created;
  }

  /** Every navigation request of the page, redirects included, as origin + path: where the browser went on its way. */
  function trail(page: Page): string[] {
    const seen: string[] = [];
    page.on('request', (request) => {
      if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
      const url = new URL(request.url());
      seen.push(`${url.origin}${url.pathname}`);
    });
    return seen;
  }

  /** From the app's page: "Sign in with Latchkey", the email on Latchkey's sign-in page, the mail. */
  async function startSignIn(page: Page, target: ChildApp, email: string, capture?: string): Promise<string> {
    await page.goto(target.url);
    await page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await page.waitForURL((url) => url.origin === latchkeyUrl && url.pathname === '/auth/sign-in');
    if (capture) await captureAndCheck(page, latchkeyUrl, `${capture}-sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: /email me/i }).click();
    await page.waitForURL((url) => url.pathname === '/auth/check-email');
    return target.mailText(email);
  }

  async function assertSignedIn(page: Page, target: ChildApp, email: string): Promise<void> {
    await page.waitForURL(`${target.url}/`);
    assert.equal(await page.getByTestId('email').textContent(), email);
  }

  it('by the link, opened in the browser that asked: back to the app, signed in, the email shown', async () => {
    const d = await device();
    const email = uniqueEmail('oidc-link');
    const mail = await startSignIn(d.page, app, email, 'oidc-app');
    await d.page.goto(linkFrom(mail), { waitUntil: 'commit' });
    // The same browser: the link page continues by itself, then the authorization finishes and the app has its code.
    await assertSignedIn(d.page, app, email);
    assert.equal(await d.page.title(), 'Example app');
    assert.deepEqual(d.problems, []);
  });

  it('by the code typed on the check-email page: back to the app, signed in', async () => {
    const d = await device();
    const email = uniqueEmail('oidc-code');
    const mail = await startSignIn(d.page, app, email);
    await d.page.getByLabel(/6-digit code/).fill(codeFrom(mail));
    await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await assertSignedIn(d.page, app, email);
    assert.deepEqual(d.problems, []);
  });

  it('single sign-on: signed in to the first app, the second app signs in without a sign-in page', async () => {
    const d = await device();
    const email = uniqueEmail('oidc-sso');
    const mail = await startSignIn(d.page, app, email);
    await d.page.goto(linkFrom(mail), { waitUntil: 'commit' });
    await assertSignedIn(d.page, app, email);
    const went = trail(d.page);
    await d.page.goto(second.url);
    assert.equal(await d.page.title(), 'Second app');
    await d.page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await assertSignedIn(d.page, second, email);
    assert.ok(went.some((hop) => hop.startsWith(`${latchkeyUrl}/oidc/`)), `through Latchkey's authorization: ${went.join(' → ')}`);
    assert.ok(!went.some((hop) => hop.startsWith(`${latchkeyUrl}/auth/`)), `no sign-in page: ${went.join(' → ')}`);
    assert.deepEqual(d.problems, []);
  });

  it('sign-out: confirmed on Latchkey, back to the app signed out; signing in again asks for a sign-in', async () => {
    const d = await device();
    const email = uniqueEmail('oidc-logout');
    const mail = await startSignIn(d.page, app, email);
    await d.page.goto(linkFrom(mail), { waitUntil: 'commit' });
    await assertSignedIn(d.page, app, email);
    await d.page.getByRole('button', { name: 'Sign out' }).click();
    // Latchkey's confirmation page names the app.
    await d.page.waitForURL((url) => url.origin === latchkeyUrl && url.pathname.startsWith('/oidc/session/end'));
    assert.match((await d.page.textContent('main')) ?? '', /Example app asks to sign you out/);
    await captureAndCheck(d.page, latchkeyUrl, 'oidc-app-logout-confirm');
    await d.page.getByRole('button', { name: 'Sign me out' }).click();
    // Back on the app's post_logout_redirect_uri with the state it sent.
    await d.page.waitForURL((url) => url.origin === app.url && url.pathname === '/' && url.searchParams.has('state'));
    await d.page.getByTestId('signed-out').waitFor();
    // Latchkey's session is over: no single sign-on any more, in this app or the other.
    await d.page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await d.page.waitForURL((url) => url.origin === latchkeyUrl && url.pathname === '/auth/sign-in');
    await d.page.goto(second.url);
    await d.page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await d.page.waitForURL((url) => url.origin === latchkeyUrl && url.pathname === '/auth/sign-in');
    await d.page.goto(`${latchkeyUrl}/auth/account`);
    await d.page.waitForURL((url) => url.pathname === '/auth/sign-in');
    assert.deepEqual(d.problems, []);
  });
  it("a partner's app (third party): the consent page names it; Deny leaves it without a sign-in, Allow signs in, and the answer is remembered", async () => {
    const d = await device();
    const email = uniqueEmail('oidc-consent');
    const mail = await startSignIn(d.page, app, email);
    await d.page.goto(linkFrom(mail), { waitUntil: 'commit' });
    await assertSignedIn(d.page, app, email);
    // Signed in to Latchkey already: the partner's app gets a consent page, not a sign-in page.
    await d.page.goto(partner.url);
    await d.page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await d.page.waitForURL((url) => url.origin === latchkeyUrl && url.pathname.startsWith('/oidc/interaction/'));
    assert.equal(await d.page.textContent('h1'), 'Allow Partner app?');
    const main = (await d.page.textContent('main')) ?? '';
    assert.ok(main.includes(email) && main.includes('Your email address'), main);
    await captureAndCheck(d.page, latchkeyUrl, 'oidc-app-consent');
    await d.page.getByRole('button', { name: 'Deny' }).click();
    await d.page.waitForURL((url) => url.origin === partner.url && url.pathname === '/callback');
    assert.match((await d.page.textContent('main')) ?? '', /access_denied/);
    // Again, and Allow: back to the partner's app, signed in.
    await d.page.getByRole('link', { name: 'Try again' }).click();
    await d.page.waitForURL((url) => url.pathname.startsWith('/oidc/interaction/'));
    await d.page.getByRole('button', { name: 'Allow' }).click();
    await assertSignedIn(d.page, partner, email);
    // Remembered: once the partner's app forgets this browser, signing in there asks nothing.
    await d.context.clearCookies({ name: 'oidc_app_session' });
    const went = trail(d.page);
    await d.page.goto(partner.url);
    await d.page.getByRole('link', { name: 'Sign in with Latchkey' }).click();
    await assertSignedIn(d.page, partner, email);
    assert.ok(!went.some((hop) => hop.includes('/oidc/interaction/') || hop.includes('/auth/sign-in')), `no consent or sign-in page: ${went.join(' → ')}`);
    assert.deepEqual(d.problems, []);
  });
});
