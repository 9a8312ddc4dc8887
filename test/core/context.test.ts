// The context injects the clock and the random source everywhere (src/context.ts):
// a whole sign-in, run twice with the same fixed clock and the same seeded
// source on two fresh stores, gives the same link, code, account id and session,
// and another seed gives others. A direct randomUUID() or Date.now() anywhere on
// the path would make the two runs differ.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLatchkey } from '../../src/latchkey.ts';
import { codeFrom, tokenFrom } from '../support/http-client.ts';
import { seededRandom } from '../support/seeded-random.ts';

const T0 = Date.UTC(2030, 0, 2, 3, 4, 5);

async function signInOnce(seed: string) {
  const latchkey = await createLatchkey({
    databaseUrl: 'sqlite::memory:',
    secret: 'x'.repeat(40),
    baseUrl: 'http://localhost:3000',
    startWorker: false,
    logLevel: 'silent',
    now: () => T0,
    random: seededRandom(seed),
  });
  try {
    assert.deepEqual(await latchkey.requestSignIn({ email: 'ada@example.com' }), { ok: true, email: 'ada@example.com', throttled: false });
    await latchkey.outbox.runOnce();
    const [mail] = latchkey.devMailbox!.list();
    assert.ok(mail, 'the sign-in mail was sent');
    const token = tokenFrom(mail.text);
    const code = codeFrom(mail.text);
    const outcome = await latchkey.verify(token);
    assert.ok(outcome.ok && outcome.status === 'signed_in', 'the link signs in');
    return { token, code, userId: outcome.user.id, sessionId: outcome.session.id, sessionToken: outcome.sessionToken, createdAt: outcome.session.createdAt };
  } finally {
    await latchkey.close();
  }
}

describe('context: injected clock and random source', () => {
  it('the same clock and seed give the same sign-in, to the byte; another seed another', async () => {
    const first = await signInOnce('seed-a');
    const again = await signInOnce('seed-a');
    const other = await signInOnce('seed-b');
    assert.deepEqual(again, first);
    assert.equal(first.createdAt, T0);
    assert.match(first.userId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const key of ['token', 'code', 'userId', 'sessionId', 'sessionToken'] as const) assert.notEqual(other[key], first[key], key);
  });
});
