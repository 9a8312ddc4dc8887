// Rough edges a new user hit in the sign-in flow (issue #12), as a person sees
// them in real Chromium: "Send a new email" says it was sent, a signed-in person
// at the sign-in page is sent on, a code that no longer works speaks of the code,
// and a forged flow cookie shows nothing of someone else's request (finding 10).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { codeFrom, linkFrom } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { captureAndCheck, chromiumMissing, newDevice, useChromium, type Device } from './harness.ts';

describe('sign-in rough edges in Chromium (issue #12)', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  let n = 0;
  const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

  useChromium('sign-in-rough-edges', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  async function finish(...used: Device[]) {
    for (const d of used) await d.close();
    assert.deepEqual(used.flatMap((d) => d.problems), []);
  }

  async function askForMail(d: Device, email: string, query = '') {
    const before = sink.messages.length;
    clock.advance(61);
    await d.page.goto(`${server.url}/auth/sign-in${query}`);
    await d.page.getByLabel('Email').fill(email);
    await d.page.getByRole('button', { name: /email me/i }).click();
    await d.page.waitForURL(/\/auth\/check-email$/);
    return sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before);
  }

  it('"Send a new email": the page then says a new email is on its way, and one arrives', async () => {
    const d = await newDevice(browser, server.url);
    const email = address('again');
    await askForMail(d, email);
    assert.equal(await d.page.getByTestId('sent-again').count(), 0);
    clock.advance(61);
    await d.page.reload();
    const before = sink.messages.length;
    await d.page.getByRole('button', { name: 'Send a new email' }).click();
    await d.page.waitForURL(/\/auth\/check-email\?notice=sent-again$/);
    const notice = d.page.getByTestId('sent-again');
    assert.equal(await notice.getAttribute('role'), 'status');
    assert.match((await notice.textContent()) ?? '', new RegExp(`A new email is on its way to ${email.replace(/\./g, '\\.')}`));
    await sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before);
    await captureAndCheck(d.page, server.url, 'rough-edges-sent-again');
    await finish(d);
  });

  it('a person already signed in who opens the sign-in page lands on their account (or their redirectTo)', async () => {
    const d = await newDevice(browser, server.url);
    const email = address('in');
    const message = await askForMail(d, email);
    await d.page.getByLabel('Or enter the 6-digit code').fill(codeFrom(message.text));
    await d.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await d.page.waitForURL(/\/auth\/account$/);
    await d.page.goto(`${server.url}/auth/sign-in`);
    await d.page.waitForURL(/\/auth\/account$/);
    assert.equal(await d.page.getByTestId('account-email').textContent(), email);
    assert.equal(await d.page.locator('form[action="/auth/sign-in/email"]').count(), 0, 'no sign-in form');
    await finish(d);
  });

  it('a code typed after the link was used says the code was used, and offers a new email', async () => {
    const laptop = await newDevice(browser, server.url);
    const phone = await newDevice(browser, server.url);
    const email = address('used');
    const message = await askForMail(laptop, email);
    await phone.page.goto(linkFrom(message.text));
    await phone.page.getByRole('button', { name: 'Sign in on this device' }).click();
    await phone.page.waitForURL(/\/auth\/account$/);
    await laptop.page.getByLabel('Or enter the 6-digit code').fill(codeFrom(message.text));
    await laptop.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await laptop.page.waitForSelector('h1');
    assert.equal(await laptop.page.textContent('h1'), 'This code was already used');
    const shown = (await laptop.page.textContent('main')) ?? '';
    assert.match(shown, /This sign-in code has already been used/);
    assert.doesNotMatch(shown, /link was|sign-in link/i);
    assert.match((await laptop.page.locator('#resend button').textContent()) ?? '', /Send a new email to/);
    await captureAndCheck(laptop.page, server.url, 'rough-edges-code-used');
    await finish(laptop, phone);
  });

  it('a forged flow cookie naming someone\'s address shows nothing of their request (finding 10)', async () => {
    const victim = await newDevice(browser, server.url);
    const email = address('victim');
    await askForMail(victim, email, '?redirectTo=%2Fprojects%2Fsecret');
    const attacker = await newDevice(browser, server.url);
    const host = new URL(server.url).hostname;
    await attacker.context.addCookies([
      { name: 'latchkey_flow_email', value: email, domain: host, path: '/' },
      { name: 'latchkey_flow_request', value: email, domain: host, path: '/' },
    ]);
    await attacker.page.goto(`${server.url}/auth/check-email`);
    const shown = (await attacker.page.content()) ?? '';
    assert.match((await attacker.page.getByTestId('sent-to').textContent()) ?? '', /your email/);
    assert.ok(!shown.includes(email.split('@')[0]!), 'the address');
    assert.ok(!shown.includes('/projects/secret'), 'the redirectTo');
    assert.equal(await attacker.page.locator('#resend').count(), 0, 'no countdown of their request');
    await finish(victim, attacker);
  });
});
