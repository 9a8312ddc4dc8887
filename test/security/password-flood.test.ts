// Attack (issue #12 finding 5): one signed-in session posts its password over
// and over. Each post ran Argon2id and queued a "password changed" notice
// outside every mail cap (256 mails in 5 s), and /auth/reauthenticate renewed
// the recent-sign-in window without limit. Now every change and
// re-authentication counts against the account's hourly share, and every
// notice goes through the policy's notice cap (per mailbox and kind).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenFrom, type Client } from '../support/http-client.ts';
import { address, askForMail, assertRateLimited, startTarget, type Target } from './harness.ts';

const PASSWORD = 'correct horse battery staple 42';

/** A fresh session, signed in by the emailed link (the account is created). */
async function signedIn(target: Target, email: string): Promise<Client> {
  const browser = target.server.client();
  assert.equal((await askForMail(browser, email)).status, 202);
  await target.settle();
  const mail = target.mailsTo(email).at(-1)!;
  assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } })).status, 200);
  return browser;
}

describe('attack: password changes and their notices (issue #12 finding 5)', () => {
  it('one session setting and removing its password in a loop: 3 changes an hour, each noticed; then 429', async () => {
    // Every denial stored, so the trail can be counted (finding 8 bounds them by default).
    const target = await startTarget({ limits: { deniedAuditEventsPerKeyPerMinute: 1000 } });
    try {
      const email = address('owner');
      const browser = await signedIn(target, email);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const response = i % 3 === 2
          ? await browser.request('/auth/password', { method: 'DELETE' })
          : await browser.request('/auth/password', { method: 'POST', json: { password: `${PASSWORD} ${i}` } });
        statuses.push(response.status);
        if (response.status === 429) await assertRateLimited(response);
      }
      // A change whose notice the cap would drop is refused, never made unseen (a variant of issue
      // #12 finding 12: the last mail must tell the state); the account's share still counts each try.
      // After set, change, remove there is no password left to remove (409 password_not_set).
      assert.deepEqual(statuses, statuses.map((_, i) => (i < 3 ? 204 : i % 3 === 2 ? 409 : 429)));
      await target.settle();
      const notices = target.mailsTo(email).filter((m) => /password/i.test(m.subject));
      assert.equal(notices.length, 3);
      const reasons = (await target.store.listAudit({ type: 'policy.denied', email })).map((e) => e.reason);
      // Ten tries take the account's share (3 made, 7 refused by the notice cap), the other 11 sets find it spent.
      assert.equal(reasons.filter((r) => r === 'notice_limit').length, 7);
      assert.equal(reasons.filter((r) => r === 'account_change_limit').length, 11);
      // Another account is not held back by this one.
      const other = await signedIn(target, address('other'));
      assert.equal((await other.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
    } finally {
      await target.close();
    }
  });

  // A variant of finding 8 (and 5): starting TOTP enrolment took no limit at all, and each
  // start stores a new sealed secret and a totp.enrolment_started row with the 512-byte
  // User-Agent. Any throwaway account (open signup) could write rows as fast as it could post.
  it('one session restarting TOTP enrolment in a loop: the account\'s hourly share bounds the rows', async () => {
    const target = await startTarget();
    try {
      const email = address('enroller');
      const browser = await signedIn(target, email);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await browser.request('/auth/totp/enrol', { method: 'POST' })).status);
      assert.deepEqual(statuses, [...Array(10).fill(200), ...Array(20).fill(429)]);
      const rows = await target.store.listAudit({ type: 'totp.enrolment_started', email });
      assert.equal(rows.length, 10, `${rows.length} enrolment rows for 30 posts`);
    } finally {
      await target.close();
    }
  });

  it('email change requests to ever-new addresses cannot bomb the old address with notices', async () => {
    // Per-IP mail bucket out of the way: the account's share is what must hold.
    const target = await startTarget({ limits: { mailsPerIpPerHour: 1000 } });
    try {
      const email = address('changer');
      const browser = await signedIn(target, email);
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        statuses.push((await browser.request('/auth/email/change', { method: 'POST', json: { newEmail: address(`new${i}`) } })).status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(202), ...Array(5).fill(429)]);
      await target.settle();
      // The sign-in mail, then one notice (with its undo link) per accepted change.
      assert.equal(target.mailsTo(email).length, 11);
    } finally {
      await target.close();
    }
  });

  it('/auth/reauthenticate cannot renew the recent window without limit', async () => {
    const target = await startTarget();
    try {
      const email = address('renewer');
      const browser = await signedIn(target, email);
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push((await browser.request('/auth/reauthenticate', { method: 'POST', json: { password: PASSWORD } })).status);
      }
      // The password set used one of the account's 10 changes this hour.
      assert.deepEqual(statuses, [...Array(9).fill(204), 429, 429, 429]);
    } finally {
      await target.close();
    }
  });

  it('while every Argon2id slot is taken and its queue full, password requests get 429 at once instead of piling up', async () => {
    const target = await startTarget({ limits: { passwordHashConcurrency: 1 } });
    try {
      const email = address('hasher');
      const browser = await signedIn(target, email);
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
      // Someone else's hashes hold the one slot and its eight places in the queue.
      const policy = target.server.latchkey.policy;
      const context = { requestId: null, ip: '192.0.2.1', userAgent: null };
      const held = await policy.acquirePasswordHash(context);
      const queued = Array.from({ length: 8 }, () => policy.acquirePasswordHash(context));
      const signIn = () => target.server.client().request('/auth/sign-in/password', { method: 'POST', json: { email, password: PASSWORD } });
      await assertRateLimited(await signIn());
      await assertRateLimited(await browser.request('/auth/password', { method: 'POST', json: { password: `${PASSWORD} new` } }));
      await assertRateLimited(await browser.request('/auth/reauthenticate', { method: 'POST', json: { password: PASSWORD } }));
      const busy = (await target.store.listAudit({ type: 'policy.denied' })).filter((e) => e.reason === 'password_hash_busy');
      assert.equal(busy.length, 3);
      held.release();
      for (const slot of queued) (await slot).release();
      assert.equal((await signIn()).status, 200);
    } finally {
      await target.close();
    }
  });
});
