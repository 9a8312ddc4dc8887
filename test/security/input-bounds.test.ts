// Attack (issue #12 finding 1): stall the server with input that is cheap to send
// and expensive to look at: a 15,000-character address fed to the typo hint's
// edit distance, a domain of thousands of labels, a huge redirectTo. Every
// input is bounded before any work on it, and every refused request still
// spends the per-IP mail bucket, so refusals are no free way to make us work.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestEmail } from '../../src/pages/email-typo.ts';
import { address, askForMail, assertRateLimited, errorCode, startTarget } from './harness.ts';

const typoForm = (email: string) => ({ method: 'POST', form: { email } });

describe('attack: oversized input on the sign-in form (issue #12 finding 1)', () => {
  it('an oversized address gets the invalid-address answer, never a typo suggestion', async () => {
    const target = await startTarget();
    try {
      const browser = target.server.client();
      // Over 254 octets (RFC 5321 4.5.3.1.3), with a domain one slip from gmail.com.
      const page = await browser.request('/auth/sign-in/email', typoForm(`${'x'.repeat(300)}@gmial.com`));
      const html = await page.text();
      assert.equal(page.status, 400);
      assert.doesNotMatch(html, /Did you mean [^{]/);
      assert.match(html, /valid email address/i);
      // A domain of thousands of labels and a domain of 15,000 letters: the same answer, JSON and form.
      for (const email of [`a@${'a.'.repeat(5000)}com`, `a@${'g'.repeat(15_000)}.com`]) {
        const json = await askForMail(target.server.client(), email);
        assert.equal(json.status, 400);
        assert.equal(await errorCode(json), 'invalid_email');
        const form = await target.server.client().request('/auth/sign-in/email', typoForm(email));
        assert.equal(form.status, 400);
        assert.doesNotMatch(await form.text(), /Did you mean [^{]/);
      }
      await target.settle();
      assert.equal(target.sink.messages.length, 0);
    } finally {
      await target.close();
    }
  });

  it('a valid address with a mistyped domain still gets the hint', async () => {
    const target = await startTarget();
    try {
      const page = await target.server.client().request('/auth/sign-in/email', typoForm('someone@gmial.com'));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Did you mean someone@gmail\.com\?/);
    } finally {
      await target.close();
    }
  });

  it('refused and malformed requests use up the per-IP mail bucket: afterwards even a valid request gets 429', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 5 } });
    try {
      const attacker = target.server.client();
      // Five refusals of five kinds, JSON and form alike.
      assert.equal((await askForMail(attacker, `${'x'.repeat(300)}@example.com`)).status, 400);
      assert.equal((await askForMail(attacker, address('long'), { redirectTo: `/${'a'.repeat(5000)}` })).status, 400);
      assert.equal((await askForMail(attacker, { not: 'a string' })).status, 400);
      assert.equal((await attacker.request('/auth/sign-in/email', typoForm(`${'x'.repeat(300)}@gmial.com`))).status, 400);
      assert.equal((await attacker.request('/auth/sign-in/email', typoForm('someone@gmial.com'))).status, 200);
      await assertRateLimited(await askForMail(attacker, address('valid')));
      await target.settle();
      assert.equal(target.sink.messages.length, 0);
    } finally {
      await target.close();
    }
  });

  it('the typo hint itself refuses to measure anything longer than an address may be', () => {
    assert.equal(suggestEmail(`${'x'.repeat(300)}@gmial.com`), null);
    assert.equal(suggestEmail(`a@${'g'.repeat(15_000)}.com`), null);
    assert.equal(suggestEmail('a@gmial.com'), 'a@gmail.com');
  });

  it('malformed bodies on every route that checks a secret spend the per-IP verify bucket: then even a well-formed guess gets 429', async () => {
    const target = await startTarget({ limits: { verifyAttemptsPerIpPer5Minutes: 7 } });
    try {
      const attacker = target.server.client();
      const json = (body: unknown) => ({ method: 'POST', json: body });
      // Seven refusals on six routes: none of them is a free try.
      for (const [path, body, code] of [
        ['/auth/sign-in/code', { email: address('a'), code: 'x'.repeat(5000) }, 'invalid_request'],
        ['/auth/sign-in/code', { email: `${'x'.repeat(300)}@example.com`, code: '123456' }, 'invalid_email'],
        ['/auth/sign-in/password', { email: 42, password: 'long enough password' }, 'invalid_email'],
        ['/auth/sign-in/totp', { code: { nested: true } }, 'invalid_request'],
        ['/auth/password/reset', { password: 'long enough password' }, 'invalid_request'],
        ['/auth/verify/approve', { token: 7 }, 'invalid_request'],
        ['/auth/email/verify', { token: 'y'.repeat(5000) }, 'invalid_request'],
      ] as const) {
        const response = await attacker.request(path, json(body));
        assert.equal(response.status, 400, path);
        assert.equal(await errorCode(response), code, path);
      }
      const guess = await attacker.request('/auth/sign-in/code', json({ email: address('victim'), code: '123456' }));
      await assertRateLimited(guess);
    } finally {
      await target.close();
    }
  });
});
