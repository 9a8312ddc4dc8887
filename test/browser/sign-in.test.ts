// The hosted pages in real Chromium (Debian's /usr/bin/chromium via playwright-core).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Store } from '../../src/store/store.ts';
import { codeFrom, linkFrom } from '../support/http-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';

const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}; browser suite skipped`;
if (missing && process.env.CI === 'true') throw new Error(`${missing}; it is required when CI=true`);

describe('hosted pages in Chromium', { skip: missing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  let store: Store;
  const problems: string[] = [];

  before(async () => {
    sink = await startSmtpSink();
    store = (await sqliteBackend.open())!;
    server = await startTestServer({ store, smtpUrl: sink.url });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    await sink?.close();
  });

  async function newDevice(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Any CSP violation or script error is a defect in the pages.
    page.on('console', (message) => {
      // A 4xx page is answered on purpose; Chromium logs it as a failed resource.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    return { context, page };
  }

  async function askForMail(page: Page, email: string) {
    await page.goto(`${server.url}/auth/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: /email me/i }).click();
    await page.waitForURL(/\/auth\/check-email$/);
    assert.match(await page.textContent('main') ?? '', new RegExp(email.replace('.', '\\.')));
    return sink.waitFor((m) => m.to === email);
  }

  it('signs in by clicking the link in the browser that asked, then signs out', async () => {
    const { context, page } = await newDevice();
    const email = `chromium.${Date.now()}@example.com`;
    const message = await askForMail(page, email);
    await page.goto(linkFrom(message.text));
    // The page continues by itself here (the flow cookie), and lands on the account page.
    await page.waitForURL(/\/auth\/account$/);
    assert.equal(await page.getByTestId('account-email').textContent(), email);
    assert.match(await page.textContent('footer') ?? '', /Latchkey \d+\.\d+\.\d+/);
    assert.match(await page.textContent('.sessions') ?? '', /this device/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/auth\/sign-in$/);
    await page.goto(`${server.url}/auth/account`);
    await page.waitForURL(/\/auth\/sign-in/);
    await context.close();
    assert.deepEqual(problems, []);
  });

  it('on another device the link names the account and waits for a click', async () => {
    const asker = await newDevice();
    const email = `other.${Date.now()}@example.com`;
    const message = await askForMail(asker.page, email);
    const other = await newDevice();
    await other.page.goto(linkFrom(message.text));
    await other.page.waitForTimeout(300);
    assert.match(other.page.url(), /\/auth\/verify\?token=/, 'did not continue by itself');
    assert.match(await other.page.textContent('h1') ?? '', /Sign in as o…@example\.com\?/);
    await other.page.getByRole('button', { name: /sign in on this device/i }).click();
    await other.page.waitForURL(/\/auth\/account$/);
    await asker.context.close();
    await other.context.close();
    assert.deepEqual(problems, []);
  });

  it('signs in by typing the code, and shows a wrong code inline', async () => {
    const { context, page } = await newDevice();
    const email = `code.${Date.now()}@example.com`;
    const message = await askForMail(page, email);
    const code = codeFrom(message.text);
    const codeInput = page.getByLabel(/6-digit code/);
    assert.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await codeInput.getAttribute('inputmode'), 'numeric');
    await codeInput.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.textContent('[role=alert]') ?? '', /not right/);
    await page.getByLabel(/6-digit code/).fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/auth\/account$/);
    await context.close();
    assert.deepEqual(problems, []);
  });

  it('shows an error page with the request ID for a used link', async () => {
    const { context, page } = await newDevice();
    const email = `used.${Date.now()}@example.com`;
    const message = await askForMail(page, email);
    await page.goto(linkFrom(message.text));
    await page.waitForURL(/\/auth\/account$/);
    const response = await page.goto(linkFrom(message.text));
    assert.equal(response?.status(), 400);
    assert.match(await page.textContent('[role=alert]') ?? '', /already been used/);
    assert.equal(await page.textContent('.request-id code'), response?.headers()['x-request-id']);
    await context.close();
  });
});
