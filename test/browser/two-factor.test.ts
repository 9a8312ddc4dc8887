// Two-factor in real Chromium: set up TOTP from the account page (QR code,
// text key, first code), the recovery codes page, then sign in on a second
// device through the second-factor page, with a TOTP code and with a recovery
// code. Any console error (a CSP violation is one) or failed request fails the
// test; axe-core runs on every page; screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../src/core/totp.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { assertFitsNarrowScreen, captureAndCheck, chromiumMissing, useChromium, newDevice, type Device, signInByLink as signInWithMail } from './harness.ts';

/** Every recovery code on one line of its own: one box per code, each below the one before. */
async function assertOneLineEach(page: Page): Promise<void> {
  const boxes = await page.getByTestId('recovery-codes').locator('code').evaluateAll((codes) =>
    codes.map((code) => ({ lines: code.getClientRects().length, top: code.getBoundingClientRect().top, left: code.getBoundingClientRect().left })),
  );
  assert.ok(boxes.every((box) => box.lines === 1), `a code wraps: ${JSON.stringify(boxes)}`);
  assert.ok(boxes.every((box, i) => i === 0 || box.top > boxes[i - 1]!.top), 'one code per line, in order');
  assert.equal(new Set(boxes.map((box) => Math.round(box.left))).size, 1, 'one column');
}

describe('two-factor in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useChromium('two-factor', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  const signInByLink = async (d: Device, email: string) => {
    await signInWithMail(d, { url: server.url, sink, clock }, email);
  };

  it('set up from the account page, then sign in elsewhere with a code, and with a recovery code', async () => {
    const email = `totp.${Date.now()}@example.com`;
    // The clipboard permission a person grants by clicking; headless Chromium needs it given.
    const owner = await newDevice(browser, server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    await signInByLink(owner, email);
    await owner.page.waitForURL(/\/auth\/account$/);

    await owner.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await owner.page.waitForURL(/\/auth\/account#two-factor$/);
    const qr = owner.page.getByRole('img', { name: /QR code that adds Latchkey/ });
    assert.ok(await qr.isVisible());
    // The image really rendered (an SVG blocked by the CSP would have no natural size).
    assert.ok((await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)) > 0, 'the QR code rendered');
    const secret = ((await owner.page.getByTestId('totp-secret').textContent()) ?? '').replaceAll(' ', '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await captureAndCheck(owner.page, server.url, 'two-factor-enrol');
    await assertFitsNarrowScreen(owner.page, 'two-factor-enrol');

    const confirm = owner.page.getByLabel('Then enter the 6-digit code the app shows');
    assert.equal(await confirm.getAttribute('inputmode'), 'numeric');
    assert.equal(await confirm.getAttribute('autocomplete'), 'one-time-code');
    await confirm.fill(totpCode(secret, clock.now()));
    await owner.page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await owner.page.waitForURL(/\/auth\/totp\/confirm$/);
    const codes = (await owner.page.getByTestId('recovery-codes').locator('code').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    await assertOneLineEach(owner.page);
    // Issue #12: on a phone the codes wrapped mid-code.
    await owner.page.setViewportSize({ width: 320, height: 700 });
    await assertOneLineEach(owner.page);
    await owner.page.setViewportSize({ width: 1280, height: 800 });

    await owner.page.getByRole('button', { name: 'Copy codes' }).click();
    await owner.page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await owner.page.evaluate(() => navigator.clipboard.readText()), `${codes.join('\n')}\n`);
    const [download] = await Promise.all([owner.page.waitForEvent('download'), owner.page.getByRole('button', { name: 'Download as a text file' }).click()]);
    assert.match(download.suggestedFilename(), /^latchkey-recovery-codes\.txt$/);
    const saved = await readFile((await download.path())!, 'utf8');
    assert.deepEqual(saved.trim().split('\n').slice(-10), codes, 'the file has every code, one per line');
    await captureAndCheck(owner.page, server.url, 'two-factor-recovery-codes');
    await assertFitsNarrowScreen(owner.page, 'two-factor-recovery-codes');
    await owner.page.getByRole('link', { name: /I have saved them/ }).click();
    await owner.page.waitForURL(/\/auth\/account$/);
    assert.match((await owner.page.getByTestId('totp-status').textContent()) ?? '', /^On since/);
    await captureAndCheck(owner.page, server.url, 'two-factor-on');
    await assertFitsNarrowScreen(owner.page, 'two-factor-on');

    // A second device: the link now leads to the second factor, not into the account.
    const laptop = await newDevice(browser, server.url);
    await signInByLink(laptop, email);
    await laptop.page.waitForURL(/\/auth\/sign-in\/totp$/);
    const field = laptop.page.getByLabel('6-digit code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    await captureAndCheck(laptop.page, server.url, 'two-factor-second-factor');
    await assertFitsNarrowScreen(laptop.page, 'second-factor');
    const right = totpCode(secret, clock.now() + 30_000);
    await field.fill(right === '000000' ? '111111' : '000000');
    await laptop.page.getByRole('button', { name: 'Continue' }).click();
    assert.match((await laptop.page.textContent('#code-error')) ?? '', /not right/);
    assert.equal(await laptop.page.getByLabel('6-digit code').getAttribute('aria-invalid'), 'true');
    await captureAndCheck(laptop.page, server.url, 'two-factor-second-factor-wrong');
    await laptop.page.getByLabel('6-digit code').fill(right.replace(/^(\d{3})/, '$1 '));
    await laptop.page.getByRole('button', { name: 'Continue' }).click();
    await laptop.page.waitForURL(/\/auth\/account$/);

    // A third device has lost the phone: a recovery code instead.
    const phone = await newDevice(browser, server.url, { viewport: { width: 375, height: 740 } });
    await signInByLink(phone, email);
    await phone.page.waitForURL(/\/auth\/sign-in\/totp$/);
    await phone.page.getByRole('link', { name: /Use a recovery code instead/ }).click();
    await phone.page.waitForURL(/method=recovery$/);
    await captureAndCheck(phone.page, server.url, 'two-factor-recovery');
    await phone.page.getByLabel('Recovery code').fill(codes[0]!.toUpperCase());
    await phone.page.getByRole('button', { name: 'Continue' }).click();
    await phone.page.waitForURL(/\/auth\/account$/);
    assert.match((await phone.page.textContent('main')) ?? '', /Unused recovery codes: 9 of 10/);

    for (const d of [owner, laptop, phone]) await d.close();
    assert.deepEqual([...owner.problems, ...laptop.problems, ...phone.problems], []);
  });
});
