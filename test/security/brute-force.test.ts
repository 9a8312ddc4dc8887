// Attack: guess the 6-digit code, asking for a fresh code whenever one locks.
// Five wrong codes kill a request; twenty consecutive failures across every
// resend put the account in a delay that doubles with each further failure.
// The owner keeps a way in: a fresh link (which cannot be guessed) still works.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { codeFrom, tokenFrom } from '../support/http-client.ts';
import { BACKENDS, backendSkip } from '../support/stores.ts';
import { address, askForMail, assertRateLimited, createAccount, errorCode, startTarget, type Target } from './harness.ts';

const wrongFor = (right: string) => (right === '000000' ? '111111' : '000000');

async function freshMail(target: Target, email: string) {
  target.clock.advance(61);
  const before = target.mailsTo(email).length;
  await askForMail(target.server.client(), email);
  await target.settle();
  const mails = target.mailsTo(email);
  assert.equal(mails.length, before + 1, 'a fresh mail was sent');
  return mails[mails.length - 1]!;
}

for (const backend of BACKENDS) {
  describe(`attack: code brute force across resends (${backend.name})`, async () => {
    const skip = await backendSkip(backend);
    if (skip) {
      it(`skipped: ${skip}`, { skip }, () => {});
      return;
    }

    it('20 wrong codes over 4 resends lock the account; the right code is refused; a fresh link still signs the owner in', async () => {
      const target = await startTarget({ backend, limits: { mailsPerAddressPer15Minutes: 10 } });
      try {
        const victim = address('victim');
        const attacker = target.server.client();
        const seen: string[] = [];
        for (let round = 0; round < 4; round++) {
          const mail = await freshMail(target, victim);
          for (let i = 0; i < 5; i++) {
            const response = await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrongFor(codeFrom(mail.text)) } });
            seen.push(`${response.status} ${await errorCode(response)}`);
          }
        }
        assert.deepEqual(seen.slice(0, 5), ['400 code_invalid', '400 code_invalid', '400 code_invalid', '400 code_invalid', '429 code_locked']);
        // A new code does not reset the count: the right code of a fresh mail is refused now.
        const owner = target.server.client();
        const mail = await freshMail(target, victim);
        const right = await owner.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: codeFrom(mail.text) } });
        await assertRateLimited(right);
        assert.equal(owner.cookies.has('latchkey_session'), false);
        // The link in that same mail cannot be guessed, so it is not held back.
        const link = await owner.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } });
        assert.equal(link.status, 200);
        assert.ok(owner.cookies.has('latchkey_session'));
        // The success reset the count: the next wrong code is an ordinary wrong code.
        const next = await freshMail(target, victim);
        const again = await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrongFor(codeFrom(next.text)) } });
        assert.equal(await errorCode(again), 'code_invalid');
        const delays = await target.store.listAudit({ type: 'policy.denied', email: victim });
        assert.ok(delays.some((e) => e.reason === 'account_delay'));
      } finally {
        await target.close();
      }
    });
  });
}

// A variant of issue #12 finding 2 ("guesses must not be able to deny the owner"):
// five wrong codes locked the whole request, the link included. A stranger who
// knows only the address sprays wrong codes (free while no code is live) and kills
// every link the owner asks for, as soon as it is issued.
describe('attack: killing the owner\'s link with wrong codes', () => {
  it("a stranger's five wrong codes lock the code, not the owner's link in the same mail (sign-in and reset)", async () => {
    const target = await startTarget();
    try {
      const owner = address('owner');
      await createAccount(target, owner);
      const stranger = target.server.client();
      const mail = await freshMail(target, owner);
      const wrong = wrongFor(codeFrom(mail.text));
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await stranger.request('/auth/sign-in/code', { method: 'POST', json: { email: owner, code: wrong } });
        answers.push(`${response.status} ${await errorCode(response)}`);
      }
      assert.equal(answers[4], '429 code_locked', 'the code is locked');
      const device = target.server.client();
      const link = await device.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } });
      assert.equal(link.status, 200, `the owner's link: ${link.status}`);
      assert.ok(device.cookies.has('latchkey_session'));

      // The same for a password reset mail: its link still sets the password.
      target.clock.advance(61);
      assert.equal((await target.server.client().request('/auth/password/forgot', { method: 'POST', json: { email: owner } })).status, 202);
      await target.settle();
      const reset = target.mailsTo(owner).at(-1)!;
      const resetCode = codeFrom(reset.text);
      for (let i = 0; i < 5; i++) {
        await stranger.request('/auth/password/reset', { method: 'POST', json: { email: owner, code: wrongFor(resetCode), password: 'a new passphrase for the owner' } });
      }
      const token = /token=([A-Za-z0-9_-]{43})/.exec(reset.text)![1];
      const byLink = await target.server.client().request('/auth/password/reset', { method: 'POST', json: { token, password: 'a new passphrase for the owner' } });
      assert.equal(byLink.status, 200, `the owner's reset link: ${byLink.status}`);
    } finally {
      await target.close();
    }
  });
});

describe('attack: progressive delay', () => {
  it('the delay ends (the owner gets back in by code), and the next failure doubles it', async () => {
    const target = await startTarget({ limits: { accountFailuresBeforeDelay: 3, accountDelaySeconds: 1, mailsPerAddressPer15Minutes: 10 } });
    try {
      const victim = address('victim');
      const attacker = target.server.client();
      const mail = await freshMail(target, victim);
      const wrong = wrongFor(codeFrom(mail.text));
      for (let i = 0; i < 3; i++) await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrong } });
      await assertRateLimited(await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrong } }));
      // rate-limiter-flexible keeps its own wall clock, so this one test waits out a 1 s delay.
      await sleep(1100);
      const fourth = await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrong } });
      assert.equal(await errorCode(fourth), 'code_invalid');
      await sleep(1100); // the doubled delay (2 s) is still running
      await assertRateLimited(await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: wrong } }));
      await sleep(1000);
      const fresh = await freshMail(target, victim);
      const owner = target.server.client();
      const right = await owner.request('/auth/sign-in/code', { method: 'POST', json: { email: victim, code: codeFrom(fresh.text) } });
      assert.equal(right.status, 200);
    } finally {
      await target.close();
    }
  });

  it('an address without an account is delayed the same way, so the delay reveals nothing', async () => {
    const target = await startTarget({ limits: { accountFailuresBeforeDelay: 3 }, signup: 'closed' });
    try {
      const known = address('known');
      await createAccount(target, known);
      const answers: string[][] = [];
      for (const email of [known, address('nobody')]) {
        await askForMail(target.server.client(), email);
        const seen: string[] = [];
        for (let i = 0; i < 5; i++) {
          const response = await target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: '000000' } });
          seen.push(`${response.status} ${await errorCode(response)}`);
        }
        answers.push(seen);
      }
      assert.deepEqual(answers[0], answers[1]);
      assert.deepEqual(answers[0]!.slice(3), ['429 rate_limited', '429 rate_limited']);
    } finally {
      await target.close();
    }
  });
});
