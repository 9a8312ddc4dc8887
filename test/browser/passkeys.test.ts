// Passkeys in real Chromium with a virtual authenticator (Chrome DevTools
// Protocol WebAuthn domain: CTAP2, internal transport, resident keys, user
// verification), issue #17: sign in by link, add a passkey from the account
// page, sign out, sign in with the button and by autofill, without the TOTP
// step the account has on; a browser without the credential gets nowhere; the
// passkey is removed. The pages keep their strict CSP (any console error fails),
// and axe-core checks them in light and dark.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { totpCode } from '../../src/core/totp.ts';
import { linkToken } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';
import { captureAndCheck, chromiumMissing, newDevice, useChromium, type Device, signInByLink as signInWithMail } from './harness.ts';

/** A platform authenticator that answers at once, as if the person touched it. */
async function withAuthenticator(device: Device): Promise<void> {
  const cdp = await device.context.newCDPSession(device.page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

describe('passkeys in Chromium', { skip: chromiumMissing }, () => {
  let browser: Browser;
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useChromium('passkeys', (launched) => (browser = launched));
  useHttpServer(sqliteBackend, { now: clock.now, host: 'localhost' }, (parts) => ({ sink, server } = parts));

  const signInByLink = async (d: Device, email: string) => {
    await signInWithMail(d, { url: server.url, sink, clock }, email);
  };

  it('by link, add a passkey, sign out, back in with one touch (no TOTP), by autofill too; another browser cannot; remove it', async () => {
    const email = `passkey.${Date.now()}@example.com`;
    const owner = await newDevice(browser, server.url);
    await withAuthenticator(owner);
    await signInByLink(owner, email);
    await owner.page.waitForURL(/\/auth\/account$/);

    // TOTP on, so an email sign-in would stop at the second factor: a passkey must not.
    const api = owner.context.request;
    const enrol = (await (await api.post(`${server.url}/auth/totp/enrol`, { data: {} })).json()) as { secret: string };
    assert.equal((await api.post(`${server.url}/auth/totp/confirm`, { data: { code: totpCode(enrol.secret, clock.now()) } })).status(), 200);
    await owner.page.reload();

    // Right after an email sign-in: the offer, and the section's button.
    await owner.page.getByRole('heading', { name: 'Sign in faster next time' }).waitFor();
    assert.equal(await owner.page.getByTestId('passkey-none').textContent(), 'No passkeys yet.');
    await captureAndCheck(owner.page, server.url, 'passkeys-offer');
    await owner.page.locator('#passkey-add').click();
    await owner.page.waitForURL(/\/auth\/account\?passkey=added#passkeys$/);
    assert.match((await owner.page.getByRole('status').textContent()) ?? '', /Passkey added/);
    assert.deepEqual(await owner.page.getByTestId('passkey-name').allTextContents(), ['Chrome on Linux']);
    assert.equal(await owner.page.locator('#passkey-offer').count(), 0, 'no offer once the account has a passkey');
    await sink.waitFor((m) => m.to === email && /passkey was added/.test(m.subject));
    await captureAndCheck(owner.page, server.url, 'passkeys-account');

    // Sign out: the sign-in page offers the passkey in the email field (autofill), which the authenticator takes.
    await owner.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await owner.page.waitForURL(/\/auth\/account$/);
    assert.equal(await owner.page.getByTestId('account-email').textContent(), email);
    const succeeded = await server.latchkey.store.listAudit({ type: 'sign_in.succeeded', email });
    assert.equal(succeeded[0]?.reason, 'passkey', 'signed in by the passkey, with no TOTP step');

    // A browser without autofill (conditional mediation): the button, one touch.
    await owner.context.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await owner.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await owner.page.waitForURL(/\/auth\/sign-in$/);
    assert.equal(await owner.page.locator('#email').getAttribute('autocomplete'), 'email webauthn');
    await captureAndCheck(owner.page, server.url, 'passkeys-sign-in');
    await owner.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await owner.page.waitForURL(/\/auth\/account$/);
    assert.equal(await owner.page.getByTestId('account-email').textContent(), email);

    // A browser without the credential: refused, still on the sign-in page, no session.
    const stranger = await newDevice(browser, server.url);
    await withAuthenticator(stranger);
    await stranger.page.goto(`${server.url}/auth/sign-in`);
    await stranger.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await stranger.page.locator('#passkey-error:not(:empty)').waitFor();
    assert.match(stranger.page.url(), /\/auth\/sign-in$/);
    assert.equal((await stranger.context.request.get(`${server.url}/auth/session`)).status(), 401);

    // Remove it (the passkey sign-in is recent); the notice goes out.
    await owner.page.getByRole('button', { name: 'Remove: Chrome on Linux' }).click();
    await owner.page.waitForURL(/\/auth\/account\?passkey=removed#passkeys$/);
    assert.equal(await owner.page.getByTestId('passkey-none').textContent(), 'No passkeys yet.');
    await sink.waitFor((m) => m.to === email && /passkey was removed/.test(m.subject));
    assert.deepEqual(owner.problems, []);
    assert.deepEqual(stranger.problems.filter((p) => !/\/auth\/passkeys\/sign-in/.test(p)), []);
  });

  /** Signed in by link, a passkey added from the account page, and "email sign-in also asks for my passkey" on. */
  async function ownerWhosePasskeyIsRequired(email: string) {
    const owner = await newDevice(browser, server.url);
    await withAuthenticator(owner);
    await signInByLink(owner, email);
    await owner.page.waitForURL(/\/auth\/account$/);
    await owner.page.locator('#passkey-add').click();
    await owner.page.waitForURL(/\/auth\/account\?passkey=added#passkeys$/);
    const api = owner.context.request;
    assert.equal((await api.post(`${server.url}/auth/passkeys/settings`, { data: { emailSignInRequiresPasskey: true } })).status(), 204);
    return { owner, api };
  }

  it('"email sign-in also asks for my passkey": the link stops at the second step, whose passkey button finishes it', async () => {
    const email = `passkey.step.${Date.now()}@example.com`;
    const { owner, api } = await ownerWhosePasskeyIsRequired(email);

    // Signed out, the mailed link alone does not sign in: the step page asks for the passkey (no TOTP on this account).
    // No autofill, set before signing out: the virtual authenticator would answer the sign-in page's
    // conditional request by itself, and that sign-in could land after the cookies are cleared (a flaky race).
    await owner.context.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await owner.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await owner.page.waitForURL(/\/auth\/sign-in$/);
    await owner.context.clearCookies();
    await signInByLink(owner, email);
    await owner.page.waitForURL(/\/auth\/sign-in\/totp/);
    assert.equal((await api.get(`${server.url}/auth/session`)).status(), 401, 'no session before the passkey');
    await captureAndCheck(owner.page, server.url, 'passkeys-second-step');
    await owner.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await owner.page.waitForURL(/\/auth\/account$/);
    assert.equal(await owner.page.getByTestId('account-email').textContent(), email);
    const session = (await (await api.get(`${server.url}/auth/session`)).json()) as { session: { amr: string[] } };
    assert.ok(session.session.amr.includes('user'), `a passkey session (amr ${session.session.amr.join(',')})`);
    assert.deepEqual(owner.problems, []);
  });

  it('a password reset held by "email sign-in also asks for my passkey": the step page\'s passkey button completes it and sets the new password', async () => {
    const email = `passkey.reset.${Date.now()}@example.com`;
    const { owner, api } = await ownerWhosePasskeyIsRequired(email);
    const user = await server.latchkey.store.findUserByEmail(email);
    assert.equal(await server.latchkey.store.getPassword(user!.id), null);

    // The reset by mail (TOTP off): the new password waits in the step, which offers the passkey.
    clock.advance(61);
    const before = sink.messages.length;
    assert.equal((await api.post(`${server.url}/auth/password/forgot`, { data: { email } })).status(), 202);
    const message = await sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before && /^Reset your/.test(m.subject));
    await owner.page.goto(`${server.url}/auth/password/reset?token=${linkToken(message.text, '/auth/password/reset')}`);
    await owner.page.locator('#new-password').fill('a passphrase held in the step');
    await owner.page.locator('#new-password').press('Enter');
    await owner.page.waitForURL(/\/auth\/sign-in\/totp$/);
    assert.equal(await server.latchkey.store.getPassword(user!.id), null, 'nothing set yet');
    await captureAndCheck(owner.page, server.url, 'passkeys-second-step-reset');
    await owner.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await owner.page.waitForURL(/\/auth\/account$/);
    assert.notEqual(await server.latchkey.store.getPassword(user!.id), null, 'the held password is set');
    const succeeded = await server.latchkey.store.listAudit({ type: 'sign_in.succeeded', email });
    assert.equal(succeeded[0]?.reason, 'link+passkey');
    assert.deepEqual(owner.problems, []);
  });
});
