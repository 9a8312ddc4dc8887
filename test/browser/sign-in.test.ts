// The hosted sign-in flows in real Chromium (Debian's /usr/bin/chromium via
// playwright-core), against the real server on loopback and a real SMTP server.
// Every test fails on any console error or failed request, runs axe-core on the
// pages it meets, and leaves light/dark × 1280/375 screenshots in artifacts/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { codeFrom, linkFrom } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import {
  assertFitsNarrowScreen,
  captureAndCheck,
  chromiumMissing,
  useChromium,
  newDevice,
  type Device,
} from './harness.ts';

const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40"><rect width="40" height="40" rx="8" fill="#0f766e"/><text x="50" y="27" font-family="sans-serif" font-size="20" font-weight="700" fill="#0f766e">Acme</text></svg>';

describe('hosted sign-in in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  const devices: Device[] = [];
  let n = 0;
  const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

  useChromium('sign-in', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now, supportEmail: 'help@example.com' }, (parts) => ({ sink, server } = parts));

  async function device(options?: Parameters<typeof newDevice>[2]): Promise<Device> {
    const created = await newDevice(browser, server.url, options);
    devices.push(created);
    return created;
  }

  /** Closes the devices of a test and asserts none of them saw a console error or failed request. */
  async function finish(...used: Device[]) {
    for (const d of used) await d.close();
    assert.deepEqual(used.flatMap((d) => d.problems), []);
  }

  async function askForMail(d: Device, email: string, options: { capture?: string; query?: string } = {}) {
    const { page } = d;
    const before = sink.messages.length;
    await page.goto(`${server.url}/auth/sign-in${options.query ?? ''}`);
    if (options.capture) {
      await captureAndCheck(page, server.url, `${options.capture}-sign-in`);
      await assertFitsNarrowScreen(page, 'sign-in');
    }
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: /email me/i }).click();
    await page.waitForURL(/\/auth\/check-email$/);
    assert.match((await page.getByTestId('sent-to').textContent()) ?? '', new RegExp(email.replace(/\./g, '\\.')));
    // Mail for an address may arrive more than once in a test: wait for a new one.
    return sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before);
  }

  it('signs in by clicking the link in the browser that asked (it continues by itself), then signs out', async () => {
    const d = await device();
    const email = address('same');
    const message = await askForMail(d, email, { capture: 'flow' });
    await captureAndCheck(d.page, server.url, 'flow-check-email');
    await assertFitsNarrowScreen(d.page, 'check-email');
    await d.page.goto(linkFrom(message.text));
    await d.page.waitForURL(/\/auth\/account$/);
    assert.equal(await d.page.getByTestId('account-email').textContent(), email);
    assert.match((await d.page.textContent('footer')) ?? '', /Latchkey \d+\.\d+\.\d+/);
    assert.match((await d.page.textContent('footer')) ?? '', /help@example\.com/);
    assert.match((await d.page.textContent('.sessions .current')) ?? '', /This device/);
    await captureAndCheck(d.page, server.url, 'flow-account');
    await assertFitsNarrowScreen(d.page, 'account');
    await d.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await d.page.waitForURL(/\/auth\/sign-in$/);
    await d.page.goto(`${server.url}/auth/account`);
    await d.page.waitForURL(/\/auth\/sign-in/);
    await finish(d);
  });

  it('in a second browser the link names the account, the device and time of the request, and waits for a click', async () => {
    const asker = await device();
    const email = address('other');
    const message = await askForMail(asker, email);
    const other = await device();
    await other.page.goto(linkFrom(message.text));
    // Nothing happens by itself: the page is still the confirmation, with no script that could submit it.
    assert.match(other.page.url(), /\/auth\/verify\?token=/);
    assert.equal(await other.page.locator('script[src*="verify.js"]').count(), 0);
    assert.match((await other.page.textContent('h1')) ?? '', /^Sign in as o…@example\.com\?$/);
    assert.match((await other.page.textContent('main')) ?? '', /requested from Chrome on Linux \(IP 127\.0\.0\.1\) at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.match((await other.page.textContent('main')) ?? '', /Enter the 6-digit code from the email there instead/);
    await captureAndCheck(other.page, server.url, 'flow-verify-other-device');
    await assertFitsNarrowScreen(other.page, 'verify');
    await other.page.getByRole('button', { name: /sign in on this device/i }).click();
    await other.page.waitForURL(/\/auth\/account$/);
    await finish(asker, other);
  });

  it('signs in by code: a wrong code is shown inline, a pasted "123 456" works', async () => {
    const d = await device();
    const email = address('code');
    const message = await askForMail(d, email);
    const code = codeFrom(message.text);
    const codeInput = d.page.getByLabel(/6-digit code/);
    assert.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await codeInput.getAttribute('inputmode'), 'numeric');
    await codeInput.fill(code === '000000' ? '111111' : '000000');
    await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    assert.match((await d.page.textContent('#code-error')) ?? '', /not right/);
    assert.equal(await d.page.getByLabel(/6-digit code/).getAttribute('aria-invalid'), 'true');
    await captureAndCheck(d.page, server.url, 'flow-check-email-wrong-code');
    // Pasting the whole code, spaced as people copy it, submits it.
    await d.page.getByLabel(/6-digit code/).evaluate((input, value) => {
      (input as HTMLInputElement).value = value;
      input.dispatchEvent(new InputEvent('input', { inputType: 'insertFromPaste', bubbles: true }));
    }, `${code.slice(0, 3)} ${code.slice(3)}`);
    await d.page.waitForURL(/\/auth\/account$/);
    await finish(d);
  });

  it('the resend button counts down the server interval, then sends a new email to the same address', async () => {
    const d = await device();
    const email = address('resend');
    await d.page.clock.install();
    const first = await askForMail(d, email);
    const button = d.page.getByRole('button', { name: 'Send a new email' });
    const status = d.page.locator('#resend-status');
    assert.equal(await button.isDisabled(), true);
    assert.match((await status.textContent()) ?? '', /in (60|59) s\./);
    await d.page.clock.fastForward(30_000);
    assert.match((await status.textContent()) ?? '', /in (30|29) s\./);
    assert.equal(await button.isDisabled(), true);
    await d.page.clock.fastForward(31_000);
    assert.equal(await button.isDisabled(), false);
    assert.match((await status.textContent()) ?? '', /You can ask for a new email now/);
    // The server's clock moves with the page's, so the limiter agrees it is time.
    clock.advance(61);
    await button.click();
    // "Send a new email" says it went (issue #12).
    await d.page.waitForURL(/\/auth\/check-email\?notice=sent-again$/);
    assert.match((await d.page.getByTestId('sent-again').textContent()) ?? '', /A new email is on its way/);
    const second = await sink.waitFor((m) => m.to === email && m.messageId !== first.messageId);
    assert.notEqual(linkFrom(second.text), linkFrom(first.text));
    // The new request restarts the countdown, computed by the server from the newest request.
    assert.equal(await d.page.getByRole('button', { name: 'Send a new email' }).isDisabled(), true);
    assert.match((await d.page.locator('#resend-status').textContent()) ?? '', /in (60|59) s\./);
    await finish(d);
  });

  it('offers the webmail inbox of the address, and a different email', async () => {
    const d = await device();
    const email = `inbox.${Date.now()}@gmail.com`;
    await askForMail(d, email);
    const open = d.page.getByRole('link', { name: 'Open Gmail' });
    assert.match((await open.getAttribute('href')) ?? '', /^https:\/\/mail\.google\.com\//);
    assert.equal(await open.getAttribute('rel'), 'noopener noreferrer');
    await d.page.getByRole('link', { name: 'Use a different email' }).click();
    await d.page.waitForURL(/\/auth\/sign-in$/);
    await finish(d);
  });

  it('hints at a mistyped domain while typing, and validates the address inline', async () => {
    const d = await device();
    await d.page.goto(`${server.url}/auth/sign-in`);
    const field = d.page.getByLabel('Email');
    await field.fill('nope');
    await d.page.getByRole('button', { name: /email me/i }).click();
    assert.match((await d.page.textContent('#email-error')) ?? '', /valid email address/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(d.page.url(), /\/auth\/sign-in$/, 'nothing was submitted');
    await field.fill('ada@gmial.com');
    assert.match((await d.page.textContent('#email-typo')) ?? '', /Did you mean ada@gmail\.com\?/);
    await captureAndCheck(d.page, server.url, 'sign-in-typo-hint');
    await d.page.getByRole('button', { name: 'Yes, use ada@gmail.com' }).click();
    assert.equal(await field.inputValue(), 'ada@gmail.com');
    await finish(d);
  });

  it('without JavaScript, asks about a mistyped domain after submitting, and sends to the chosen address', async () => {
    const d = await device({ javaScriptEnabled: false });
    const local = `nojs.${Date.now()}`;
    await d.page.goto(`${server.url}/auth/sign-in`);
    await d.page.getByLabel('Email').fill(`${local}@yaho.com`);
    await d.page.getByRole('button', { name: /email me/i }).click();
    assert.match((await d.page.textContent('.typo-question')) ?? '', new RegExp(`Did you mean ${local}@yahoo\\.com\\?`));
    await captureAndCheck(d.page, server.url, 'sign-in-typo-question');
    await d.page.getByRole('button', { name: `Yes, use ${local}@yahoo.com` }).click();
    await d.page.waitForURL(/\/auth\/check-email$/);
    await sink.waitFor((m) => m.to === `${local}@yahoo.com`);
    assert.equal(sink.messages.some((m) => m.to === `${local}@yaho.com`), false);
    await finish(d);
  });

  it('on the account page, signs out another device and then all others', async () => {
    const email = address('revoke');
    const laptop = await device();
    const phone = await device({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' });
    const tablet = await device();
    for (const d of [laptop, phone, tablet]) {
      clock.advance(61); // one address, three requests: keep them the resend interval apart
      const message = await askForMail(d, email);
      await d.page.goto(linkFrom(message.text));
      await d.page.waitForURL(/\/auth\/account$/);
    }
    await laptop.page.reload();
    assert.equal(await laptop.page.locator('.sessions li').count(), 3);
    assert.match((await laptop.page.textContent('.sessions')) ?? '', /Safari on iOS/);
    await captureAndCheck(laptop.page, server.url, 'account-three-devices');
    await laptop.page.getByRole('button', { name: /Sign out this device: Safari on iOS/ }).click();
    await laptop.page.waitForURL(/\/auth\/account$/);
    assert.equal(await laptop.page.locator('.sessions li').count(), 2);
    await phone.page.goto(`${server.url}/auth/account`);
    await phone.page.waitForURL(/\/auth\/sign-in/);
    await laptop.page.getByRole('button', { name: 'Sign out all other devices' }).click();
    await laptop.page.waitForURL(/\/auth\/account$/);
    assert.equal(await laptop.page.locator('.sessions li').count(), 1);
    await tablet.page.goto(`${server.url}/auth/account`);
    await tablet.page.waitForURL(/\/auth\/sign-in/);
    await finish(laptop, phone, tablet);
  });

  it('honours a checked redirectTo through the whole flow, and drops one to another site', async () => {
    const d = await device();
    const email = address('redirect');
    const message = await askForMail(d, email, { query: `?redirectTo=${encodeURIComponent('/auth/account?from=app')}` });
    await d.page.goto(linkFrom(message.text));
    await d.page.waitForURL(/\/auth\/account\?from=app$/);
    await d.page.goto(`${server.url}/auth/sign-in?redirectTo=${encodeURIComponent('https://evil.example/steal')}`);
    assert.equal(await d.page.locator('input[name="redirectTo"]').count(), 0, 'another site is not carried on');
    await finish(d);
  });

  it('without JavaScript: signs in by code and by link (one click); asking again too soon says nothing was sent', async () => {
    const d = await device({ javaScriptEnabled: false });
    const email = address('nojs-code');
    const message = await askForMail(d, email);
    await captureAndCheck(d.page, server.url, 'nojs-check-email');
    // Too soon for another mail: this browser is told so, with the wait, instead of waiting for nothing.
    await d.page.getByRole('button', { name: 'Send a new email' }).click();
    await d.page.waitForURL(/\/auth\/check-email\?notice=not-sent$/);
    assert.match((await d.page.getByTestId('not-sent').textContent()) ?? '', /No new email was sent: the last one went out less than 1 minute ago/);
    assert.match((await d.page.locator('#resend-status').textContent()) ?? '', /You can ask for a new email in \d+ s\./);
    await captureAndCheck(d.page, server.url, 'nojs-check-email-not-sent');
    // Nothing replaced the first email: its code still works, typed as the mail shows it.
    const code = codeFrom(message.text);
    await d.page.getByLabel(/6-digit code/).fill(`${code.slice(0, 3)} ${code.slice(3)}`);
    await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await d.page.waitForURL(/\/auth\/account$/);
    assert.equal(await d.page.getByTestId('account-email').textContent(), email);
    await d.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await d.page.waitForURL(/\/auth\/sign-in$/);

    // By link: in the browser that asked, one click on the confirmation (no script to continue by itself).
    const other = address('nojs-link');
    const link = linkFrom((await askForMail(d, other)).text);
    await d.page.goto(link);
    assert.match(d.page.url(), /\/auth\/verify\?token=/);
    assert.equal(await d.page.locator('#verify-status').textContent(), '', 'no "signing you in" without the script that does it');
    await captureAndCheck(d.page, server.url, 'nojs-verify');
    await d.page.getByRole('button', { name: 'Sign in on this device' }).click();
    await d.page.waitForURL(/\/auth\/account$/);
    assert.equal(await d.page.getByTestId('account-email').textContent(), other);
    await finish(d);
  });

  it('carries the configured brand (name, logo, accent colour, support address) in the pages and the email', async () => {
    const brandedStore = (await sqliteBackend.open())!;
    const branded = await startTestServer({
      store: brandedStore,
      smtpUrl: sink.url,
      productName: 'Acme Cloud',
      accentColor: '#0f766e',
      logoUrl: 'https://cdn.acme.test/logo.svg',
      supportEmail: 'support@acme.test',
    });
    try {
      const d = await newDevice(browser, branded.url);
      // The logo's own origin, answered by the test (the page's CSP names it in img-src).
      await d.context.route('https://cdn.acme.test/logo.svg', (route) => route.fulfill({ contentType: 'image/svg+xml', body: LOGO_SVG }));
      await d.page.goto(`${branded.url}/auth/sign-in`);
      assert.equal(await d.page.title(), 'Sign in · Acme Cloud');
      assert.equal(await d.page.textContent('h1'), 'Sign in to Acme Cloud');
      const logo = d.page.getByRole('img', { name: 'Acme Cloud' });
      assert.ok((await logo.evaluate((img: HTMLImageElement) => img.naturalWidth)) > 0, 'the logo loaded');
      const submit = d.page.getByRole('button', { name: /email me/i });
      assert.equal(await submit.evaluate((button) => getComputedStyle(button).backgroundColor), 'rgb(15, 118, 110)');
      assert.match((await d.page.textContent('footer')) ?? '', /Acme Cloud · Latchkey \d+\.\d+\.\d+/);
      assert.match((await d.page.textContent('footer')) ?? '', /support@acme\.test/);
      await captureAndCheck(d.page, branded.url, 'branded-sign-in');
      const email = address('branded');
      await d.page.getByLabel('Email').fill(email);
      await submit.click();
      await d.page.waitForURL(/\/auth\/check-email$/);
      const message = await sink.waitFor((m) => m.to === email);
      assert.equal(message.subject, 'Sign in to Acme Cloud');
      assert.match(message.html, /<img src="https:\/\/cdn\.acme\.test\/logo\.svg" alt="Acme Cloud"/);
      assert.match(message.html, /background:#0f766e/);
      assert.match(message.text, /support@acme\.test/);
      await finish(d);
    } finally {
      await branded.close();
      await brandedStore.close();
    }
  });

  it('speaks German to a German browser, in the pages and in the email', async () => {
    const d = await device({ locale: 'de-DE' });
    const email = address('deutsch');
    await d.page.goto(`${server.url}/auth/sign-in`);
    assert.equal(await d.page.getAttribute('html', 'lang'), 'de');
    assert.match((await d.page.textContent('h1')) ?? '', /Bei Latchkey anmelden/);
    await captureAndCheck(d.page, server.url, 'de-sign-in');
    await d.page.getByLabel('E-Mail').fill(email);
    await d.page.getByRole('button', { name: /Anmeldelink/ }).click();
    await d.page.waitForURL(/\/auth\/check-email$/);
    assert.match((await d.page.textContent('h1')) ?? '', /Sieh in dein Postfach/);
    await captureAndCheck(d.page, server.url, 'de-check-email');
    const message = await sink.waitFor((m) => m.to === email);
    assert.equal(message.subject, 'Bei Latchkey anmelden');
    assert.match(message.text, /laufen in 10 Minuten ab/);
    assert.equal(codeFrom(message.text).length, 6);
    await finish(d);
  });
});
