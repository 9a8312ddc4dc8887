// "Confirm it's you" in real Chromium (issues #16/#17): a person signed in by
// email, with TOTP on, opens the step-up page, types the code and lands where
// redirectTo said with a new session that passed the second factor. Any
// console error (a CSP violation is one) or failed request fails the test;
// axe-core runs on the page; screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { totpCode } from '../../src/core/totp.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { captureAndCheck, chromiumMissing, newDevice, signInByLink, useChromium } from './harness.ts';

describe('step-up in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useChromium('step-up', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  it('the code from the authenticator app steps the session up and goes on to redirectTo', async () => {
    const email = `step-up.${Date.now()}@example.com`;
    const d = await newDevice(browser, server.url);
    try {
      await signInByLink(d, { url: server.url, sink, clock }, email);
      await d.page.waitForURL(/\/auth\/account$/);
      // TOTP on from this session (its sign-in passed no second factor: amr ["email"]).
      const { secret } = (await (await d.page.request.post(`${server.url}/auth/totp/enrol`)).json()) as { secret: string };
      const confirmed = await d.page.request.post(`${server.url}/auth/totp/confirm`, { data: { code: totpCode(secret, clock.now()) } });
      assert.equal(confirmed.status(), 200);
      const before = (await (await d.page.request.get(`${server.url}/auth/session`)).json()) as { session: { id: string; amr: string[] } };
      assert.deepEqual(before.session.amr, ['email']);

      await d.page.goto(`${server.url}/auth/step-up?redirectTo=${encodeURIComponent('/auth/account')}`);
      await d.page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
      await captureAndCheck(d.page, server.url, 'step-up');
      clock.advance(30);
      const field = d.page.getByLabel('6-digit code');
      assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
      await field.fill(totpCode(secret, clock.now()));
      await d.page.getByRole('button', { name: 'Continue' }).click();
      await d.page.waitForURL(/\/auth\/account$/);

      const after = (await (await d.page.request.get(`${server.url}/auth/session`)).json()) as { session: { id: string; amr: string[] } };
      assert.notEqual(after.session.id, before.session.id);
      assert.deepEqual(after.session.amr, ['email', 'otp']);
      assert.deepEqual(d.problems, []);
    } finally {
      await d.close();
    }
  });
});
