// Property-based fuzzing of every JSON endpoint with fast-check: whatever the
// body, the answer is never a 5xx, and a mail only ever goes to the one stored
// (canonical) address of a sign-in request.
import { auditEmail } from '../../src/core/audit.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalizeEmail } from '../../src/core/email.ts';
import { address, startTarget } from './harness.ts';

const OPEN = { mailsPerIpPerHour: 1_000_000, mailsPerHour: 1_000_000, verifyAttemptsPerIpPer5Minutes: 1_000_000 };

/** Addresses near the edge: a real one with something spliced in. */
const trickyEmail = fc
  .tuple(
    fc.constantFrom('victim', 'a.b', 'x+y', 'Ünï', '"q"', ''),
    fc.constantFrom('', ',', ';', ' ', '\r\n', '\u0000', '<', '>', '(c)', '=?utf-8?q?x?=', '@', '%', '\\', '\u200b', 'ｅ'),
    fc.constantFrom('example.com', 'EXAMPLE.com', 'bücher.de', 'evil.example', 'localhost', '[127.0.0.1]', 'a..b', 'x.com.', 'xn--bcher-kva.de'),
    fc.string({ maxLength: 4 }),
  )
  .map(([local, splice, domain, noise]) => `${local}${splice}${noise}@${domain}`);

const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), trickyEmail, fc.string({ unit: 'binary', maxLength: 300 }));

describe('fuzz: every JSON endpoint', () => {
  it('never answers 5xx, and mails go only to the stored canonical address', async () => {
    const target = await startTarget({ limits: OPEN });
    try {
      const url = target.server.url;
      const send = async (method: string, path: string, body: unknown) => {
        const response = await fetch(new URL(path, url), {
          method,
          headers: { 'content-type': 'application/json' },
          body: typeof body === 'string' && body.startsWith('raw:') ? body.slice(4) : JSON.stringify(body),
        });
        await response.arrayBuffer();
        return response.status;
      };
      const body = fc.oneof(
        fc.record({ email: anyValue, redirectTo: fc.option(anyValue, { nil: undefined }) }, { requiredKeys: ['email'] }),
        fc.record({ email: anyValue, code: anyValue }),
        fc.record({ token: anyValue }),
        fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 5 }),
        fc.string({ maxLength: 200 }).map((raw) => `raw:${raw}`),
        anyValue,
      );
      const endpoint = fc.constantFrom(
        ['POST', '/auth/sign-in/email'],
        ['POST', '/auth/sign-in/code'],
        ['POST', '/auth/verify'],
        ['POST', '/auth/sign-out'],
        ['DELETE', '/auth/sessions/x'],
      );
      await fc.assert(
        fc.asyncProperty(endpoint, body, async ([method, path], payload) => {
          const status = await send(method!, path!, payload);
          return status < 500;
        }),
        { numRuns: 600 },
      );
      // Plus every tricky address straight into the sign-in request.
      await fc.assert(
        fc.asyncProperty(trickyEmail, async (email) => (await send('POST', '/auth/sign-in/email', { email })) < 500),
        { numRuns: 300 },
      );
      // And one real address, so at least one mail is checked end to end.
      const real = address('real');
      assert.equal(await send('POST', '/auth/sign-in/email', { email: real }), 202);
      await target.settle();

      const requested = new Set((await target.store.listAudit({ type: 'sign_in.requested', limit: 100_000 })).map((e) => e.email));
      assert.ok(target.sink.messages.length >= 1);
      for (const message of target.sink.messages) {
        assert.equal(message.envelopeTo.length, 1, 'one recipient per mail');
        const [recipient] = message.envelopeTo;
        const stored = canonicalizeEmail(recipient);
        assert.ok(stored.ok, `recipient ${recipient} is a valid address`);
        assert.ok(requested.has(auditEmail(stored.email)), `mail to ${recipient} matches a stored sign-in request`);
        assert.deepEqual(canonicalizeEmail(message.to), stored, 'To header is the same address');
      }
    } finally {
      await target.close();
    }
  });
});
