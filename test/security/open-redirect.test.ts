// Attack: use the sign-in as an open redirect to a phishing page, via
// redirectTo. Only same-origin paths and exact allowlisted origins pass, at
// issue and again at use; the mailed link never carries a chosen URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom, tokenFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget, type Target } from './harness.ts';

const EVIL = [
  'https://evil.example/phish',
  '//evil.example/phish',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  'https:evil.example',
  'https://app.example.com.evil.example/',
  'https://app.example.com@evil.example/',
  'https://user:pass@app.example.com/',
  'http://app.example.com/',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/\t/evil.example',
  ' https://evil.example',
  // Dot segments that collapse into a protocol-relative path (issue #12 finding 13).
  '/.//evil.example/login',
  '/a/..//evil.example',
];

async function signInWith(target: Target, redirectTo: unknown) {
  const email = address('redirect');
  target.clock.advance(61);
  const browser = target.server.client();
  await askForMail(browser, email, { redirectTo });
  await target.settle();
  const message = target.mailsTo(email)[0]!;
  assert.doesNotMatch(linkFrom(message.text), /redirect|evil/i);
  const response = await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(message.text) } });
  assert.equal(response.status, 303);
  return response.headers.get('location');
}

describe('attack: open redirect', () => {
  it('foreign, protocol-relative, backslashed, credentialed and script URLs fall back to the default page', async () => {
    // Every refusal stored one by one here; the bound on denial rows is test/security/denial-flood.test.ts's story.
    const target = await startTarget({
      allowedRedirectOrigins: ['https://app.example.com'],
      limits: { mailsPerIpPerHour: 1000, deniedAuditEventsPerKeyPerMinute: 1000 },
    });
    try {
      for (const redirectTo of EVIL) assert.equal(await signInWith(target, redirectTo), '/auth/account', JSON.stringify(redirectTo));
      assert.equal(await signInWith(target, 'https://app.example.com/welcome?x=1'), 'https://app.example.com/welcome?x=1');
      assert.equal(await signInWith(target, '/app/inbox#new'), '/app/inbox#new');
      // Over-long (a smuggled URL padded past our checks) is refused outright.
      const long = await askForMail(target.server.client(), address('long'), { redirectTo: `/${'a'.repeat(3000)}` });
      assert.equal(long.status, 400);
      const refused = await target.store.listAudit({ type: 'policy.denied' });
      assert.equal(refused.filter((e) => e.reason === 'redirect_refused').length, EVIL.length);
    } finally {
      await target.close();
    }
  });

  it('is checked again at use: an origin removed from the allowlist after the mail no longer redirects', async () => {
    const target = await startTarget({ allowedRedirectOrigins: ['https://app.example.com'] });
    try {
      const email = address('redirect');
      const browser = target.server.client();
      await askForMail(browser, email, { redirectTo: 'https://app.example.com/x' });
      await target.settle();
      const token = tokenFrom(target.mailsTo(email)[0]!.text);
      // The operator removes the origin (redirect policy shared with the running flow).
      const policy = target.server.latchkey.config.allowedRedirectOrigins;
      policy.splice(0, policy.length);
      const response = await browser.request('/auth/verify', { method: 'POST', form: { token } });
      assert.equal(response.headers.get('location'), '/auth/account');
    } finally {
      await target.close();
    }
  });

  it('the sign-in page does not reflect a foreign redirectTo into its form', async () => {
    const target = await startTarget();
    try {
      const page = await target.server.client().request('/auth/sign-in?redirectTo=https%3A%2F%2Fevil.example%2F');
      assert.doesNotMatch(await page.text(), /evil\.example/);
    } finally {
      await target.close();
    }
  });
});
