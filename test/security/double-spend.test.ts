// Attack: race one token or one code from many connections at once, hoping two
// of them win. Consumption is one conditional UPDATE on every backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, tokenFrom } from '../support/http-client.ts';
import { BACKENDS, backendSkip } from '../support/stores.ts';
import { address, askForMail, startTarget } from './harness.ts';

for (const backend of BACKENDS) {
  describe(`attack: concurrent double spend (${backend.name})`, async () => {
    const skip = await backendSkip(backend);
    if (skip) {
      it(`skipped: ${skip}`, { skip }, () => {});
      return;
    }

    it('25 parallel link posts and 25 parallel right-code posts give exactly one session each', async () => {
      const target = await startTarget({ backend, limits: { verifyAttemptsPerIpPer5Minutes: 1000 } });
      try {
        for (const kind of ['link', 'code'] as const) {
          const email = address(kind);
          await askForMail(target.server.client(), email);
          await target.settle();
          const message = target.mailsTo(email)[0]!;
          const responses = await Promise.all(
            Array.from({ length: 25 }, () =>
              kind === 'link'
                ? target.server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })
                : target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } }),
            ),
          );
          assert.equal(responses.filter((r) => r.status === 200).length, 1, kind);
          assert.ok(responses.every((r) => r.status < 500), kind);
        }
      } finally {
        await target.close();
      }
    });
  });
}
