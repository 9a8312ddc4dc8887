// Changing and verifying the address over real HTTP, with mail read from a real
// SMTP server, on SQLite and PostgreSQL: the new address confirms, the old one
// is told and can undo it ("this wasn't me" signs out everywhere), a taken
// address gets the same answer and no mail, and an unverified address verifies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { errorCode, linkToken, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { ParsedMessage, SmtpSink } from '../support/smtp-sink.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

for (const backend of BACKENDS) {
  describe(`email change and verification over HTTP (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    let store!: Store;
    const clock = new TestClock();
    const seen = new Set<object>();

    useHttpServer(backend, { now: clock.now, limits: { mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 } }, (parts) => ({ sink, store, server } = parts));

    async function nextMail(to: string, subject?: RegExp): Promise<ParsedMessage> {
      const message = await sink.waitFor((m) => m.to === to && !seen.has(m) && (!subject || subject.test(m.subject)));
      seen.add(message);
      return message;
    }

    async function signIn(email: string, client: Client = server.client()) {
      clock.advance(61);
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await nextMail(email, /^Sign in/);
      const response = await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(response.status, 200);
      return { client, userId: ((await response.json()) as { user: { id: string } }).user.id };
    }

    /** Asks to move `email` to a new address; returns both mails' tokens. */
    async function askToChange(client: Client, email: string, newEmail: string) {
      const asked = await client.request('/auth/email/change', { method: 'POST', json: { newEmail } });
      assert.equal(asked.status, 202);
      assert.deepEqual(await asked.json(), { status: 'sent' });
      const notice = await nextMail(email, /about to change/);
      assert.ok(notice.text.includes(newEmail), 'the notice names the new address');
      return { cancel: linkToken(notice.text, '/auth/email/cancel'), notice };
    }

    const who = async (client: Client) => {
      const response = await client.request('/auth/session');
      return response.status === 200 ? ((await response.json()) as { user: { id: string; email: string } }).user : response.status;
    };

    it('confirming from the new mailbox switches the address of the same account and signs out the other devices', async () => {
      const email = uniqueEmail('move');
      const newEmail = uniqueEmail('moved');
      const { client: laptop, userId } = await signIn(email);
      const { client: phone } = await signIn(email, server.client('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1'));
      await askToChange(laptop, email, newEmail);
      const confirmation = await nextMail(newEmail, /^Confirm your new/);
      // Not the old address: it is text its owner chose, mailed to any address they name (issue #12 finding 7).
      assert.ok(!confirmation.text.includes(email), 'the confirmation does not name the old address');
      const token = linkToken(confirmation.text, '/auth/email/confirm');
      assert.deepEqual(await who(laptop), { id: userId, email }, 'nothing changes before the confirmation');

      const page = await server.client().request(`/auth/email/confirm?token=${token}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /name="token"/);
      const confirmed = await laptop.request('/auth/email/confirm', { method: 'POST', json: { token } });
      assert.equal(confirmed.status, 200);
      assert.deepEqual(await confirmed.json(), { user: { id: userId, email: newEmail } });
      assert.deepEqual(await who(laptop), { id: userId, email: newEmail }, 'the confirming browser keeps its session');
      assert.equal(await who(phone), 401, 'the other device is signed out');
      assert.equal((await store.findUserByEmail(newEmail))?.emailVerified, true);
      assert.equal(await store.findUserByEmail(email), null);
      const { userId: again } = await signIn(newEmail);
      assert.equal(again, userId, 'the new address signs in to the same account');
      const reused = await laptop.request('/auth/email/confirm', { method: 'POST', json: { token } });
      assert.equal(await errorCode(reused), 'token_used');
    });

    it('"this wasn\'t me" after the change was confirmed: the old address back, every session signed out, the password gone', async () => {
      const email = uniqueEmail('owner');
      const intruderEmail = uniqueEmail('intruder');
      const { client: owner, userId } = await signIn(email);
      // An intruder holding a fresh session of the account sets a password and moves the address.
      const { client: intruder } = await signIn(email, server.client('Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0'));
      assert.equal((await intruder.request('/auth/password', { method: 'POST', json: { password: 'the intruder password' } })).status, 204);
      const { cancel } = await askToChange(intruder, email, intruderEmail);
      const token = linkToken((await nextMail(intruderEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token } })).status, 200);
      assert.equal(await who(owner), 401, 'the owner was signed out by the change');

      const page = await server.client().request(`/auth/email/cancel?token=${cancel}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.ok(html.includes(intruderEmail), 'the page says what is being undone');
      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: cancel } });
      assert.equal(undone.status, 200);
      assert.deepEqual(await undone.json(), { status: 'cancelled', email, restored: true, passwordRemoved: true, totpRemoved: false, passkeysRemoved: 0 });
      assert.equal(await who(intruder), 401, 'the intruder is signed out');
      assert.equal(await store.findUserByEmail(intruderEmail), null);
      const byPassword = await server.client().request('/auth/sign-in/password', { method: 'POST', json: { email, password: 'the intruder password' } });
      assert.equal(await errorCode(byPassword), 'credentials_invalid', "the intruder's password is gone");
      const { userId: back } = await signIn(email);
      assert.equal(back, userId, 'the owner signs in to the same account with the old address');
      assert.equal(await errorCode(await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: cancel } })), 'token_used');
      const types = (await store.listAudit({ userId })).map((e) => e.type);
      assert.ok(types.includes('email_change.cancelled') && types.includes('email_change.confirmed'));
    });

    // Issue #12 finding 3: changes are chained, and the first owner's link always wins.
    it('"this wasn\'t me" after a second confirmed change (and after the intruder\'s own cancel link) still restores the first address', async () => {
      const email = uniqueEmail('chain');
      const first = uniqueEmail('chain-a1');
      const second = uniqueEmail('chain-a2');
      const { userId } = await signIn(email);
      const { client: intruder } = await signIn(email, server.client('Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0'));
      const { cancel: ownerCancel } = await askToChange(intruder, email, first);
      const confirmFirst = linkToken((await nextMail(first, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token: confirmFirst } })).status, 200);
      clock.advance(61);
      const { cancel: intruderCancel } = await askToChange(intruder, first, second);
      const confirmSecond = linkToken((await nextMail(second, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token: confirmSecond } })).status, 200);
      // The intruder undoes the second change with the link mailed to their first address.
      const own = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: intruderCancel } });
      assert.equal(own.status, 200);
      assert.equal(((await own.json()) as { email: string }).email, first);

      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: ownerCancel } });
      assert.equal(undone.status, 200);
      assert.deepEqual(await undone.json(), { status: 'cancelled', email, restored: true, passwordRemoved: false, totpRemoved: false, passkeysRemoved: 0 });
      assert.equal(await store.findUserByEmail(first), null);
      assert.equal(await store.findUserByEmail(second), null);
      const { userId: back } = await signIn(email);
      assert.equal(back, userId, 'the owner has the account back under the first address');
    });

    it('the owner\'s link used first retires every later one: the intruder\'s link of a later change cannot take it back', async () => {
      const email = uniqueEmail('chain-first');
      const first = uniqueEmail('chain-first-a1');
      const second = uniqueEmail('chain-first-a2');
      const { client: intruder } = await signIn(email);
      const { cancel: ownerCancel } = await askToChange(intruder, email, first);
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token: linkToken((await nextMail(first, /^Confirm your new/)).text, '/auth/email/confirm') } })).status, 200);
      clock.advance(61);
      const { cancel: intruderCancel } = await askToChange(intruder, first, second);
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token: linkToken((await nextMail(second, /^Confirm your new/)).text, '/auth/email/confirm') } })).status, 200);
      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: ownerCancel } });
      assert.equal(((await undone.json()) as { restored: boolean }).restored, true);
      const late = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: intruderCancel } });
      assert.equal(await errorCode(late), 'token_replaced');
      assert.equal((await store.findUserByEmail(email))?.email, email);
    });

    it('"this wasn\'t me" before the confirmation: the confirmation link dies and every session is signed out', async () => {
      const email = uniqueEmail('early');
      const newEmail = uniqueEmail('early-new');
      const { client } = await signIn(email);
      const { cancel } = await askToChange(client, email, newEmail);
      const confirm = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      const form = await client.request('/auth/email/cancel', { method: 'POST', form: { token: cancel } });
      assert.equal(form.status, 200);
      assert.match(await form.text(), /Change cancelled/);
      assert.equal(await who(client), 401);
      const late = await server.client().request('/auth/email/confirm', { method: 'POST', json: { token: confirm } });
      assert.equal(await errorCode(late), 'token_replaced');
      assert.equal((await store.findUserByEmail(email))?.email, email);
    });

    it('a taken address: the same answer and notice, no mail to it, and nothing learned about its owner', async () => {
      const email = uniqueEmail('asker');
      const taken = uniqueEmail('taken');
      await signIn(taken);
      const free = uniqueEmail('free');
      const { client } = await signIn(email);
      const answers = [];
      for (const newEmail of [taken, free]) {
        clock.advance(61);
        const response = await client.request('/auth/email/change', { method: 'POST', json: { newEmail } });
        answers.push(`${response.status} ${await response.text()}`);
        await nextMail(email, /about to change/);
      }
      assert.equal(answers[0], answers[1]);
      await nextMail(free, /^Confirm your new/);
      assert.equal(sink.messages.filter((m) => m.to === taken && /Confirm your new/.test(m.subject)).length, 0, 'the owner of the taken address gets nothing');
      const audit = await store.listAudit({ type: 'email_change.requested', email });
      assert.deepEqual(audit.map((e) => e.reason).sort(), ['address_taken', null].sort());
    });

    it('a confirmation for an address taken meanwhile is refused (email_taken) and changes nothing', async () => {
      const email = uniqueEmail('race');
      const wanted = uniqueEmail('wanted');
      const { client, userId } = await signIn(email);
      await askToChange(client, email, wanted);
      const token = linkToken((await nextMail(wanted, /^Confirm your new/)).text, '/auth/email/confirm');
      await signIn(wanted); // someone signs up with it first
      const refused = await client.request('/auth/email/confirm', { method: 'POST', json: { token } });
      assert.equal(refused.status, 409);
      assert.equal(await errorCode(refused), 'email_taken');
      assert.deepEqual(await who(client), { id: userId, email });
    });

    it('needs a recent sign-in; the same address and malformed ones are refused', async () => {
      const email = uniqueEmail('rules');
      const { client } = await signIn(email);
      assert.equal(await errorCode(await client.request('/auth/email/change', { method: 'POST', json: { newEmail: email.toUpperCase() } })), 'email_unchanged');
      assert.equal(await errorCode(await client.request('/auth/email/change', { method: 'POST', json: { newEmail: 'nope' } })), 'invalid_email');
      clock.advance(11 * 60);
      const late = await client.request('/auth/email/change', { method: 'POST', json: { newEmail: uniqueEmail('later') } });
      assert.equal(late.status, 403);
      assert.equal(await errorCode(late), 'reauthentication_required');
      assert.equal(await errorCode(await server.client().request('/auth/email/change', { method: 'POST', json: { newEmail: 'x@example.com' } })), 'unauthenticated');
    });

    it('the hosted account page: change the address by form, with the notice and the confirmation page', async () => {
      const email = uniqueEmail('page');
      const newEmail = uniqueEmail('page-new');
      const { client } = await signIn(email);
      const asked = await client.request('/auth/email/change', { method: 'POST', form: { newEmail } });
      assert.equal(asked.status, 303);
      // Addresses may wrap before @ and dots (<wbr>).
      const page = (await (await client.request(asked.headers.get('location')!)).text()).replace(/<wbr>/g, '');
      assert.ok(page.includes(newEmail), 'the account page says where the link went');
      const token = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      const confirmed = await client.request('/auth/email/confirm', { method: 'POST', form: { token } });
      assert.equal(confirmed.status, 200);
      assert.match(await confirmed.text(), /Your address is changed/);
      const bad = await server.client().request(`/auth/email/cancel?token=${'y'.repeat(43)}`);
      assert.equal(bad.status, 400);
    });

    it('email verification: an unverified address verifies by its link, which no other flow accepts', async () => {
      // An operator created the account; it has a password (so it signs in without proving the address).
      const email = uniqueEmail('verify');
      const { randomUUID } = await import('node:crypto');
      const user = (await store.createUser({ id: randomUUID(), email, now: clock.now() }, []))!;
      const { hashPassword, OWASP_ARGON2ID } = await import('../../src/core/passwords.ts');
      await store.setPassword({ userId: user.id, passwordHash: await hashPassword('operator set this one', OWASP_ARGON2ID), now: clock.now(), keepSessionId: null, verifiedEmail: null, mail: null, events: [] });
      const client = server.client();
      assert.equal((await client.request('/auth/sign-in/password', { method: 'POST', json: { email, password: 'operator set this one' } })).status, 200);
      assert.match(await (await client.request('/auth/account')).text(), /not verified yet/);

      assert.equal((await client.request('/auth/email/verification', { method: 'POST', json: {} })).status, 202);
      const token = linkToken((await nextMail(email, /^Verify your email/)).text, '/auth/email/verify');
      assert.equal(await errorCode(await client.request('/auth/email/confirm', { method: 'POST', json: { token } })), 'token_invalid');
      assert.equal((await server.client().request(`/auth/email/verify?token=${token}`)).status, 200);
      const verified = await server.client().request('/auth/email/verify', { method: 'POST', json: { token } });
      assert.deepEqual(await verified.json(), { status: 'verified', email });
      assert.equal((await store.findUserByEmail(email))?.emailVerified, true);
      assert.match(await (await client.request('/auth/account')).text(), /This address is verified/);
    });
  });
}
