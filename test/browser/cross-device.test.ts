// Cross-device approval in real Chromium (LATCHKEY_CROSS_DEVICE_APPROVAL=on):
// a laptop asks and shows a number; a phone opens the link and picks it; the
// laptop, polling, signs in by itself while the phone stays signed out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { linkFrom } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { assertFitsNarrowScreen, captureAndCheck, chromiumMissing, useChromium, newDevice, type Device } from './harness.ts';

describe('cross-device approval in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  let n = 0;
  const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

  useChromium('cross-device', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: new TestClock().now, crossDeviceApproval: true }, (parts) => ({ sink, server } = parts));

  async function ask(laptop: Device, email: string) {
    await laptop.page.goto(`${server.url}/auth/sign-in`);
    await laptop.page.getByLabel('Email').fill(email);
    await laptop.page.getByRole('button', { name: /email me/i }).click();
    await laptop.page.waitForURL(/\/auth\/check-email$/);
    const message = await sink.waitFor((m) => m.to === email);
    const number = (await laptop.page.getByTestId('approval-number').textContent())?.trim() ?? '';
    assert.match(number, /^\d\d$/);
    return { message, number };
  }

  it('the phone picks the number the laptop shows; the laptop signs in by itself, the phone does not', async () => {
    const laptop = await newDevice(browser, server.url);
    const phone = await newDevice(browser, server.url, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const email = address('approve');
    const { message, number } = await ask(laptop, email);
    await captureAndCheck(laptop.page, server.url, 'approval-waiting');
    await phone.page.goto(linkFrom(message.text));
    assert.match((await phone.page.textContent('h1')) ?? '', /a…@example\.com/);
    assert.equal(await phone.page.locator('button.choice').count(), 3);
    await captureAndCheck(phone.page, server.url, 'approval-pick');
    await assertFitsNarrowScreen(phone.page, 'approval-pick');
    await phone.page.getByRole('button', { name: `The screen shows ${number}` }).click();
    assert.equal(await phone.page.getByTestId('approval-result').getAttribute('data-outcome'), 'approved');
    await laptop.page.waitForURL(/\/auth\/account$/, { timeout: 10_000 });
    assert.equal(await laptop.page.getByTestId('account-email').textContent(), email);
    assert.equal((await phone.context.cookies()).some((c) => c.name.endsWith('latchkey_session')), false);
    await laptop.close();
    await phone.close();
    assert.deepEqual([...laptop.problems, ...phone.problems], []);
  });

  it('a wrong pick stops the sign-in: the laptop is told it was refused and stays signed out', async () => {
    const laptop = await newDevice(browser, server.url);
    const phone = await newDevice(browser, server.url);
    const email = address('refuse');
    const { message, number } = await ask(laptop, email);
    await phone.page.goto(linkFrom(message.text));
    const wrong = (await phone.page.locator('button.choice').allTextContents()).map((s) => s.trim()).find((s) => s !== number)!;
    await phone.page.getByRole('button', { name: `The screen shows ${wrong}` }).click();
    assert.equal(await phone.page.getByTestId('approval-result').getAttribute('data-outcome'), 'mismatch');
    await laptop.page.waitForURL(/\/auth\/approval\/complete$/, { timeout: 10_000 });
    assert.match((await laptop.page.textContent('h1')) ?? '', /Sign-in refused/);
    assert.equal((await laptop.context.cookies()).some((c) => c.name.endsWith('latchkey_session')), false);
    await laptop.close();
    await phone.close();
    assert.deepEqual([...laptop.problems, ...phone.problems], []);
  });
});
