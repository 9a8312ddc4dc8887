// Attack: learn whether an address has an account, from the answer's content
// or from its timing. Known, unknown and closed-signup addresses must look and
// take the same, also while SMTP is slow (mail leaves from the outbox worker,
// never inside the request).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKENDS, backendSkip, type Backend } from '../support/stores.ts';
import { address, askForMail, createAccount, observable, startTarget } from './harness.ts';

const OPEN_LIMITS = { mailsPerIpPerHour: 1_000_000, mailsPerHour: 1_000_000, verifyAttemptsPerIpPer5Minutes: 1_000_000 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** 100 interleaved pairs (order alternating), each address used once; medians in ms. */
async function timePairs(backend: Backend, signup: 'open' | 'closed', smtpDelayMs = 0) {
  const target = await startTarget({ backend, signup, smtpDelayMs, limits: OPEN_LIMITS });
  try {
    const known = Array.from({ length: 110 }, () => address('known'));
    for (const email of known) await createAccount(target, email);
    const client = target.server.client();
    const time = async (email: string) => {
      const start = performance.now();
      const response = await askForMail(client, email);
      await response.arrayBuffer();
      assert.equal(response.status, 202);
      return performance.now() - start;
    };
    for (let i = 0; i < 10; i++) await time(i % 2 ? known.pop()! : address('warmup')); // JIT and pools warm
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 100; i++) {
      const email = known.pop()!;
      if (i % 2 === 0) {
        knownTimes.push(await time(email));
        unknownTimes.push(await time(address('unknown')));
      } else {
        unknownTimes.push(await time(address('unknown')));
        knownTimes.push(await time(email));
      }
    }
    return { known: median(knownTimes), unknown: median(unknownTimes) };
  } finally {
    await target.close();
  }
}

for (const backend of BACKENDS) {
  describe(`attack: account enumeration (${backend.name})`, async () => {
    const skip = await backendSkip(backend);
    if (skip) {
      it(`skipped: ${skip}`, { skip }, () => {});
      return;
    }

    for (const signup of ['open', 'closed'] as const) {
      it(`sign-in request (${signup} signup): same status, body and header set for a known and an unknown address, JSON and form`, async () => {
        const target = await startTarget({ backend, signup });
        try {
          const known = address('known');
          await createAccount(target, known);
          for (const kind of ['json', 'form'] as const) {
            const answers = [];
            for (const email of [known, address('unknown')]) {
              target.clock.advance(61);
              const client = target.server.client();
              const response =
                kind === 'json'
                  ? await askForMail(client, email)
                  : await client.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } });
              answers.push(await observable(response));
            }
            assert.deepEqual(answers[0], answers[1], kind);
          }
        } finally {
          await target.close();
        }
      });

      it(`code endpoint (${signup} signup): a wrong code answers alike for a known and an unknown address`, async () => {
        const target = await startTarget({ backend, signup });
        try {
          const known = address('known');
          await createAccount(target, known);
          const answers = [];
          for (const email of [known, address('unknown')]) {
            await askForMail(target.server.client(), email);
            const response = await target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: '000000' } });
            const seen = await observable(response);
            answers.push({ ...seen, body: seen.body.replace(/"requestId":"[^"]+"/, '') });
          }
          assert.deepEqual(answers[0], answers[1]);
        } finally {
          await target.close();
        }
      });
    }

    for (const [signup, smtpDelayMs] of [['open', 0], ['closed', 0], ['closed', 300]] as const) {
      it(`timing (${signup} signup${smtpDelayMs ? `, SMTP answering in ${smtpDelayMs} ms` : ''}): medians of 100 interleaved pairs differ by < 5 ms`, async (t) => {
        const result = await timePairs(backend, signup, smtpDelayMs);
        t.diagnostic(`median known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms`);
        assert.ok(Math.abs(result.known - result.unknown) < 5, `known ${result.known} ms vs unknown ${result.unknown} ms`);
      });
    }
  });
}
