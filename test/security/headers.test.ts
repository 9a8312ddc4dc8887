// What a browser is told on every answer: a strict CSP on pages, nosniff,
// no referrer from pages that carry a token, no caching of any auth answer,
// HSTS on https.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createLatchkey } from '../../src/latchkey.ts';
import { linkFrom } from '../support/http-client.ts';
import { sqliteBackend } from '../support/stores.ts';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack surface: response headers', () => {
  it('every auth answer (pages, JSON, errors, redirects) is no-store with nosniff; pages carry a strict CSP', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 1 } });
    try {
      const email = address('headers');
      const client = target.server.client();
      await askForMail(client, email);
      await target.settle();
      const link = linkFrom(target.mailsTo(email)[0]!.text);
      const answers: Array<[string, Response]> = [
        ['sign-in page', await client.request('/auth/sign-in')],
        ['check-email page', await client.request('/auth/check-email')],
        ['verify page', await client.request(link)],
        ['bad link page', await client.request('/auth/verify?token=nope', { headers: { accept: 'text/html' } })],
        ['account redirect', await client.request('/auth/account')],
        ['session 401', await client.request('/auth/session')],
        ['sessions 401', await client.request('/auth/sessions')],
        ['429', await askForMail(client, address('x'))],
        ['403', await client.request('/auth/sign-out', { method: 'POST', headers: { origin: 'https://evil.example' } })],
        ['404', await client.request('/nope')],
        ['sign-out', await client.request('/auth/sign-out', { method: 'POST' })],
        ['413', await client.request('/auth/verify', { method: 'POST', json: { token: 'x'.repeat(20_000) } })],
      ];
      // The hot path builds its headers separately (http/security.ts): it must carry the same set.
      const signedIn = target.server.client();
      const token = new URL(link, 'http://localhost').searchParams.get('token');
      assert.equal((await signedIn.request('/auth/verify', { method: 'POST', json: { token } })).status, 200);
      const session = await signedIn.request('/auth/session');
      assert.equal(session.status, 200);
      assert.match(session.headers.get('x-request-id') ?? '', /^[A-Za-z0-9_-]{8,}$/);
      answers.push(['session 200', session]);
      for (const [name, response] of answers) {
        assert.equal(response.headers.get('cache-control'), 'no-store', name);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff', name);
        assert.equal(response.headers.get('strict-transport-security'), null, `${name}: no HSTS on http`);
        if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
          const csp = response.headers.get('content-security-policy') ?? '';
          assert.match(csp, /frame-ancestors 'none'/, name);
          assert.match(csp, /script-src 'self'/, name);
          assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, name);
          assert.doesNotMatch(await response.text(), /<script>|<script(?![^>]*\bsrc=)[^>]*>/i, `${name}: no inline script`);
        }
      }
      assert.equal(answers[2]![1].headers.get('referrer-policy'), 'no-referrer', 'the page with a token sends no referrer');
    } finally {
      await target.close();
    }
  });

  it('sends HSTS when the base URL is https', async () => {
    const store = (await sqliteBackend.open())!;
    const latchkey = await createLatchkey({
      store,
      baseUrl: 'https://auth.example.com',
      // A public base URL has no dev mailbox (issue #12 finding 14); nothing is sent here (no worker).
      smtpUrl: 'smtp://127.0.0.1:2525',
      secret: 'test-secret-that-is-long-enough-0123456789',
      logger: pino({ level: 'silent' }),
      startWorker: false,
    });
    try {
      const response = await latchkey.fetch(new Request('https://auth.example.com/auth/sign-in'));
      assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d{8,}/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    } finally {
      await latchkey.close();
      await store.close();
    }
  });
});
