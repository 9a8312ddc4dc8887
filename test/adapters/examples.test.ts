// The examples (issue #14 item 4), each started by the one command of its
// README as a child process on the embedded defaults (SQLite in a fresh data
// folder, the dev mailbox), then used as a person would: a real sign-in, then
// the protected thing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromiumMissing, launchChromium } from '../browser/harness.ts';
import { codeFrom } from '../support/http-client.ts';
import { readmeCommand, startChildApp, type ChildApp } from './child-app.ts';
import { assertGuarded, signInWithForms, signInWithJson, uniqueEmail } from './harness.ts';

function startExample(example: string): Promise<ChildApp> {
  const [node, ...args] = readmeCommand(example);
  assert.equal(node, 'node');
  return startChildApp(`example-${example}`, args);
}

describe('examples/express: an Express app with a protected page', () => {
  let example: ChildApp;
  before(async () => (example = await startExample('express')));
  after(() => example.stop());

  it('sends a visitor to sign in, and after the hosted pages, back to the dashboard', async () => {
    await assertGuarded(example, '/dashboard');
    const email = uniqueEmail('express-example');
    const browser = await signInWithForms(example, { email, redirectTo: '/dashboard' });
    const dashboard = await browser.request('/dashboard', { headers: { accept: 'text/html' } });
    assert.equal(dashboard.status, 200);
    assert.ok((await dashboard.text()).includes(`Signed in as <strong>${email}</strong>`));
  });
});

describe('examples/fastify: an API with a protected route', () => {
  let example: ChildApp;
  before(async () => (example = await startExample('fastify')));
  after(() => example.stop());

  it('answers 401 until a JSON sign-in, then tells who is signed in', async () => {
    const stranger = await example.client().request('/api/me');
    assert.equal(stranger.status, 401);
    assert.deepEqual(await (await example.client().request('/api/hello')).json(), { hello: 'anyone' });
    const client = await signInWithJson(example);
    const me = await client.request('/api/me');
    assert.equal(me.status, 200);
    assert.match(((await me.json()) as { user: { email: string } }).user.email, /^json\./);
  });
});

describe('examples/static: a static page on the JSON API, in Chromium', { skip: chromiumMissing }, () => {
  let example: ChildApp;
  before(async () => (example = await startExample('static')));
  after(() => example.stop());

  it('asks for a code, takes it, shows who is signed in, and signs out', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(10_000);
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      // Every answer but the signed-out one of GET /auth/session (401, how the page learns it) is a success.
      page.on('response', (response) => {
        const expected = response.status() === 401 && new URL(response.url()).pathname === '/auth/session';
        if (response.status() >= 400 && !expected) problems.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(example.url);
      await page.locator('#signed-out').waitFor();
      const email = uniqueEmail('static-example');
      await page.fill('#email', email);
      await page.click('#request button');
      await page.locator('#verify').waitFor();
      await page.fill('#code', codeFrom(await example.mailText(email)));
      await page.click('#verify button');
      await page.locator('#signed-in').waitFor();
      assert.equal(await page.textContent('#who'), email);
      await page.click('#sign-out');
      await page.locator('#signed-out').waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
