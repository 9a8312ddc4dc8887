// Every failure a person can cause, reached the way they would reach it, in
// Chromium: each page says what happened, why, the next step, and carries the
// request ID; the accessibility check and screenshots run on each. Also the
// sign-in email rendered by Chromium, for the designer's eye.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { brandFromConfig } from '../../src/branding.ts';
import type { ErrorCode } from '../../src/core/errors.ts';
import { translator } from '../../src/i18n/catalog.ts';
import { MAIL_TEMPLATES } from '../../src/mail/templates.ts';
import { VERSION } from '../../src/version.ts';
import { errorPage } from '../../src/pages/error-page.ts';
import type { Store } from '../../src/store/store.ts';
import { codeFrom, linkFrom } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import {
  assertFitsNarrowScreen,
  captureAndCheck,
  chromiumMissing,
  launchChromium,
  newDevice,
  SCREENSHOT_DIR,
  SCREENSHOTS_TAKEN,
  writeScreenshotIndex,
  type Device,
} from './harness.ts';

/** A store that can be told to fail, so the server-error page is reached through the real app. */
function faultyStore(store: Store): Store & { failNextFind: boolean } {
  const state = { failNextFind: false };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'failNextFind') return state.failNextFind;
      if (property === 'findToken' && state.failNextFind) {
        state.failNextFind = false;
        return async () => {
          throw new Error('test: store unavailable');
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(_target, property, value) {
      if (property === 'failNextFind') {
        state.failNextFind = Boolean(value);
        return true;
      }
      return false;
    },
  }) as Store & { failNextFind: boolean };
}

describe('error pages in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  let store: Store & { failNextFind: boolean };
  let rawStore: Store;
  const clock = new TestClock();
  let n = 0;
  const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

  before(async () => {
    sink = await startSmtpSink();
    rawStore = (await sqliteBackend.open())!;
    store = faultyStore(rawStore);
    server = await startTestServer({ store, smtpUrl: sink.url, now: clock.now });
    browser = await launchChromium();
  });
  after(async () => {
    writeScreenshotIndex('error-pages');
    await browser?.close();
    await server?.close();
    await rawStore?.close();
    await sink?.close();
  });

  async function askForMail(d: Device, email: string, base = server.url) {
    const before = sink.messages.length;
    clock.advance(61); // keep requests for one address the resend interval apart
    await d.page.goto(`${base}/auth/sign-in`);
    // By the catalog's words, so the German device finds its own labels.
    const t = translator(d.locale ?? 'en');
    await d.page.getByLabel(t('signIn.emailLabel'), { exact: true }).fill(email);
    await d.page.getByRole('button', { name: t('signIn.submit') }).click();
    await d.page.waitForURL(/\/auth\/check-email$/);
    return sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before);
  }

  /** The page shows the code's title, message and reason, the request ID of its response, and a next step. */
  async function assertErrorPage(
    d: Device,
    code: ErrorCode,
    status: number,
    response: { status(): number; headers(): Record<string, string> } | null,
    base = server.url,
  ) {
    const t = translator('en');
    assert.equal(response?.status(), status);
    assert.equal(await d.page.getAttribute('[role=alert]', 'data-error-code'), code);
    assert.equal(await d.page.textContent('h1'), t(`error.${code}.title`));
    assert.equal(await d.page.textContent('[role=alert]'), t(`error.${code}.message`));
    assert.match((await d.page.textContent('main')) ?? '', new RegExp(t(`error.${code}.why`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await d.page.textContent('.request-id code'), response?.headers()['x-request-id']);
    assert.ok((await d.page.locator('main a.button, main button').count()) >= 1, 'a next step');
    await captureAndCheck(d.page, base, `error-${code}`);
    await assertFitsNarrowScreen(d.page, `error-${code}`);
  }

  it('expired link: offers one click to send a new link to the same address', async () => {
    const d = await newDevice(browser, server.url);
    const email = address('expired');
    const message = await askForMail(d, email);
    clock.advance(601);
    const response = await d.page.goto(linkFrom(message.text));
    await assertErrorPage(d, 'token_expired', 400, response);
    await d.page.getByRole('button', { name: `Send a new link to ${email}` }).click();
    await d.page.waitForURL(/\/auth\/check-email\?notice=sent-again$/);
    const fresh = await sink.waitFor((m) => m.to === email && m.messageId !== message.messageId);
    await d.page.goto(linkFrom(fresh.text));
    await d.page.waitForURL(/\/auth\/account$/);
    await d.close();
    assert.deepEqual(d.problems, []);
  });

  it('used link, replaced link, unknown link', async () => {
    const d = await newDevice(browser, server.url);
    const email = address('used');
    const first = await askForMail(d, email);
    const second = await askForMail(d, email);
    let response = await d.page.goto(linkFrom(first.text));
    await assertErrorPage(d, 'token_replaced', 400, response);
    await d.page.goto(linkFrom(second.text));
    await d.page.waitForURL(/\/auth\/account$/);
    response = await d.page.goto(linkFrom(second.text));
    await assertErrorPage(d, 'token_used', 400, response);
    response = await d.page.goto(`${server.url}/auth/verify?token=${'x'.repeat(43)}`);
    await assertErrorPage(d, 'token_invalid', 400, response);
    await d.close();
    assert.deepEqual(d.problems, []);
  });

  it('too many wrong codes: the request is dead; "send a new email" counts down the resend interval, then sends', async () => {
    const d = await newDevice(browser, server.url);
    await d.page.clock.install();
    const email = address('locked');
    const message = await askForMail(d, email);
    const wrong = codeFrom(message.text) === '000000' ? '111111' : '000000';
    let response = null;
    for (let attempt = 1; attempt <= 5; attempt++) {
      await d.page.getByLabel(/6-digit code/).fill(wrong);
      [response] = await Promise.all([d.page.waitForNavigation(), d.page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    }
    await assertErrorPage(d, 'code_locked', 429, response);
    // The last mail went out seconds ago and the server sends the next one only after
    // the resend interval: the button waits and says for how long, instead of
    // accepting a click that would send nothing.
    // A person who typed codes never saw a link: the page speaks of an email (issue #12).
    const button = d.page.getByRole('button', { name: `Send a new email to ${email}` });
    const status = d.page.locator('#resend-status');
    assert.equal(await button.isDisabled(), true);
    assert.match((await status.textContent()) ?? '', /You can ask for a new one in (5\d|60) s\./);
    await d.page.clock.fastForward(61_000);
    clock.advance(61); // the server's clock moves with the page's
    assert.equal(await button.isDisabled(), false);
    assert.match((await status.textContent()) ?? '', /You can ask for a new email now/);
    await button.click();
    await d.page.waitForURL(/\/auth\/check-email\?notice=sent-again$/);
    const fresh = await sink.waitFor((m) => m.to === email && m.messageId !== message.messageId);
    await d.page.getByLabel(/6-digit code/).fill(codeFrom(fresh.text));
    await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await d.page.waitForURL(/\/auth\/account$/);
    await d.close();
    assert.deepEqual(d.problems, []);
  });

  it('unknown page, cross-site form, server error', async () => {
    const d = await newDevice(browser, server.url);
    let response = await d.page.goto(`${server.url}/auth/no-such-page`);
    await assertErrorPage(d, 'not_found', 404, response);

    // A form on another site posting here (login CSRF) is refused with a page, not a blank 403.
    await d.context.route('http://attacker.test/', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><title>x</title><form method="post" action="${server.url}/auth/sign-out"><button>go</button></form></html>`,
      }),
    );
    await d.page.goto('http://attacker.test/');
    [response] = await Promise.all([d.page.waitForNavigation(), d.page.getByRole('button', { name: 'go' }).click()]);
    await assertErrorPage(d, 'forbidden', 403, response);

    const email = address('broken');
    const message = await askForMail(d, email);
    store.failNextFind = true;
    response = await d.page.goto(linkFrom(message.text));
    await assertErrorPage(d, 'internal_error', 500, response);
    await d.close();
    assert.deepEqual(d.problems, []);
  });

  it('rate limited, and a link opened away from the browser that asked (LATCHKEY_LINK_DEVICE=same)', async () => {
    // A server with the default per-IP verification limit scaled down, so a
    // person guessing codes meets it within a few tries.
    const strictStore = (await sqliteBackend.open())!;
    const strict = await startTestServer({
      store: strictStore,
      smtpUrl: sink.url,
      now: clock.now,
      linkDevice: 'same',
      limits: { verifyAttemptsPerIpPer5Minutes: 3 },
    });
    try {
      const d = await newDevice(browser, strict.url);
      const email = address('limited');
      const message = await askForMail(d, email, strict.url);
      const other = await newDevice(browser, strict.url);
      let response = await other.page.goto(linkFrom(message.text));
      await assertErrorPage(other, 'link_other_device', 400, response, strict.url);
      const wrong = codeFrom(message.text) === '000000' ? '111111' : '000000';
      for (let attempt = 1; attempt <= 3; attempt++) {
        await d.page.getByLabel(/6-digit code/).fill(wrong);
        await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
        assert.match((await d.page.textContent('#code-error')) ?? '', /not right/);
      }
      await d.page.getByLabel(/6-digit code/).fill(wrong);
      [response] = await Promise.all([d.page.waitForNavigation(), d.page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
      await assertErrorPage(d, 'rate_limited', 429, response, strict.url);
      await d.close();
      await other.close();
      assert.deepEqual([...d.problems, ...other.problems], []);
    } finally {
      await strict.close();
      await strictStore.close();
    }
  });

  it('the unavailable page renders, is accessible and has a next step', async () => {
    // No route answers it to a person today (it is the readiness answer's
    // code), so the page is rendered by the real page code and served from the
    // server's origin (its stylesheet loads from the real server).
    const d = await newDevice(browser, server.url);
    const code = 'service_unavailable';
    const requestId = 'preview-service-unavailable';
    const body = await errorPage(
      { productName: 'Latchkey', version: VERSION, requestId, t: translator('en'), brand: brandFromConfig(server.latchkey.config) },
      { code },
    );
    await d.context.route(`${server.url}/__test/${code}`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: body.toString() }));
    await d.page.goto(`${server.url}/__test/${code}`);
    assert.equal(await d.page.textContent('h1'), translator('en')(`error.${code}.title`));
    assert.equal(await d.page.textContent('.request-id code'), requestId);
    assert.ok((await d.page.locator('main a.button').count()) >= 1, 'a next step');
    await captureAndCheck(d.page, server.url, `error-${code}`);
    await d.close();
    assert.deepEqual(d.problems, []);
  });

  it('renders the sign-in email in Chromium (English and German) for a screenshot', async () => {
    const d = await newDevice(browser, server.url);
    const english = await askForMail(d, address('mail'));
    const german = await newDevice(browser, server.url, { locale: 'de-DE' });
    const deutsch = await askForMail(german, address('mail-de'));
    // Headers that help deliverability: a Message-ID on the configured domain, and auto-generated.
    for (const message of [english, deutsch]) {
      assert.match(message.messageId, /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
      assert.equal(message.headers.get('auto-submitted'), 'auto-generated');
    }
    // A blank page, as a mail client would show it: our pages' CSP (no inline style) must not apply.
    const view = await d.context.newPage();
    // The sign-in mail as it really left, and every other registered template's sample (mail/templates.ts).
    const samples = MAIL_TEMPLATES.filter((t) => t.name !== 'sign-in').map(
      (t) => [`email-${t.name}-sample-en`, t.sample({ locale: 'en', brand: brandFromConfig(server.latchkey.config), baseUrl: server.url })] as const,
    );
    for (const [name, message] of [['email-sign-in-en', english], ['email-sign-in-de', deutsch], ...samples] as const) {
      for (const width of [1280, 375]) {
        await view.setViewportSize({ width, height: 800 });
        await view.setContent(message.html);
        // No external image or script by default: the mail looks the same offline.
        assert.equal(await view.locator('img, script').count(), 0);
        const file = `${name}-light-${width}.png`;
        await view.screenshot({ path: join(SCREENSHOT_DIR, file), fullPage: true });
        SCREENSHOTS_TAKEN.push(file);
      }
    }
    // An error page in German too, for the eye.
    const response = await german.page.goto(`${server.url}/auth/verify?token=${'x'.repeat(43)}`);
    assert.equal(response?.status(), 400);
    assert.equal(await german.page.textContent('h1'), translator('de')('error.token_invalid.title'));
    await captureAndCheck(german.page, server.url, 'de-error-token_invalid');
    await d.close();
    await german.close();
    assert.deepEqual([...d.problems, ...german.problems], []);
  });
});
