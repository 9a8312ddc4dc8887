// Passwords, reset and email change in real Chromium (issue #5): add a password
// on the account page, sign in with it, reset it with the emailed code, change
// the address and undo it with "this wasn't me". Any console error (a CSP
// violation is one) or failed request fails the test; axe-core runs on every
// page in light and dark; each page must fit 320 px; screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Store } from '../../src/store/store.ts';
import { codeFrom } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { assertFitsNarrowScreen, captureAndCheck, chromiumMissing, useChromium, newDevice, type Device, signInByLink as signInWithMail } from './harness.ts';

describe('passwords and email change in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  let store: Store;
  const clock = new TestClock();

  useChromium('accounts', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, store, server } = parts));

  async function check(d: Device, name: string) {
    await captureAndCheck(d.page, server.url, name);
    await assertFitsNarrowScreen(d.page, name);
    assert.deepEqual(d.problems, [], `${name}: console errors or failed requests`);
  }

  async function mailTo(email: string, subject: RegExp, before: number) {
    return sink.waitFor((m) => m.to === email && subject.test(m.subject) && sink.messages.indexOf(m) >= before);
  }

  const signInByLink = async (d: Device, email: string) => {
    await signInWithMail(d, { url: server.url, sink, clock }, email);
    await d.page.waitForURL(/\/auth\/account$/);
  };

  it('add a password, sign in with it, reset it by code', async () => {
    const email = `pw.${Date.now()}@example.com`;
    const owner = await newDevice(browser, server.url);
    await signInByLink(owner, email);
    await check(owner, 'account-security');
    await owner.page.getByLabel('New password').fill('a long and memorable passphrase');
    await owner.page.getByRole('button', { name: 'Add a password' }).click();
    await owner.page.waitForURL(/password=added#password$/);
    assert.match(await owner.page.getByRole('status').first().innerText(), /Password added/);

    const laptop = await newDevice(browser, server.url);
    await laptop.page.goto(`${server.url}/auth/sign-in`);
    await laptop.page.getByRole('link', { name: 'Sign in with a password instead' }).click();
    await laptop.page.waitForURL(/\/auth\/sign-in\/password$/);
    await check(laptop, 'password-sign-in');
    await laptop.page.getByLabel('Email').fill(email);
    await laptop.page.getByLabel('Password', { exact: true }).fill('not the passphrase');
    await laptop.page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await laptop.page.getByRole('alert').innerText(), /do not match/);
    await check(laptop, 'password-sign-in-error');
    await laptop.page.getByLabel('Password', { exact: true }).fill('a long and memorable passphrase');
    await laptop.page.getByRole('button', { name: 'Sign in' }).click();
    await laptop.page.waitForURL(/\/auth\/account$/);

    const phone = await newDevice(browser, server.url, { viewport: { width: 375, height: 740 } });
    await phone.page.goto(`${server.url}/auth/password/forgot`);
    await check(phone, 'password-forgot');
    await phone.page.getByLabel('Email').fill(email);
    const before = sink.messages.length;
    await phone.page.getByRole('button', { name: 'Email me a reset link' }).click();
    await phone.page.getByLabel('6-digit code').waitFor();
    await check(phone, 'password-reset-code');
    const message = await mailTo(email, /^Reset your/, before);
    await phone.page.getByLabel('6-digit code').fill(codeFrom(message.text));
    await phone.page.getByLabel('New password').fill('password');
    await phone.page.getByRole('button', { name: 'Save new password' }).click();
    assert.match(await phone.page.locator('#new-password-error').innerText(), /most common/);
    await phone.page.getByLabel('New password').fill('a brand new reset passphrase');
    await phone.page.getByRole('button', { name: 'Save new password' }).click();
    await phone.page.waitForURL(/\/auth\/account$/);

    // The reset signed the others out.
    await laptop.page.goto(`${server.url}/auth/account`);
    await laptop.page.waitForURL(/\/auth\/sign-in/);
    for (const d of [owner, laptop, phone]) await d.close();
  });

  it('change the address, confirm it from the new mailbox, undo it from the old one', async () => {
    const email = `move.${Date.now()}@example.com`;
    const newEmail = `moved.${Date.now()}@example.com`;
    const owner = await newDevice(browser, server.url);
    await signInByLink(owner, email);
    let before = sink.messages.length;
    await owner.page.getByLabel('New email address').fill(newEmail);
    await owner.page.getByRole('button', { name: 'Change email address' }).click();
    await owner.page.waitForURL(/email=change-sent/);
    const confirmation = await mailTo(newEmail, /^Confirm your new/, before);
    const notice = await mailTo(email, /about to change/, before);

    const reader = await newDevice(browser, server.url, { locale: 'de-DE' });
    await reader.page.goto(/https?:\/\/\S+\/auth\/email\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(confirmation.text)![0]);
    await check(reader, 'email-confirm-de');
    await reader.page.getByRole('button', { name: 'Diese Adresse verwenden' }).click();
    await reader.page.getByRole('heading', { name: 'Deine Adresse ist geändert' }).waitFor();
    await check(reader, 'email-confirmed-de');

    before = sink.messages.length;
    const victim = await newDevice(browser, server.url);
    await victim.page.goto(/https?:\/\/\S+\/auth\/email\/cancel\?token=[A-Za-z0-9_-]{43}/.exec(notice.text)![0]);
    await check(victim, 'email-cancel');
    await victim.page.getByRole('button', { name: /Cancel the change and sign out everywhere/ }).click();
    await victim.page.getByRole('heading', { name: 'Change cancelled' }).waitFor();
    await check(victim, 'email-cancelled');
    assert.equal((await store.findUserByEmail(email))?.email, email);
    await owner.page.goto(`${server.url}/auth/account`);
    await owner.page.waitForURL(/\/auth\/sign-in/);
    for (const d of [owner, reader, victim]) await d.close();
  });
});
