// Passkeys over real HTTP (issue #17), on SQLite and PostgreSQL, with answers
// made by a software authenticator (real ES256 signatures, test/support): a
// person who signed in by email adds a passkey and signs in with it, without
// TOTP; and every forged, replayed, stale or borrowed answer is refused with a
// stable code and no session.
import assert from 'node:assert/strict';
import { PASSKEY_REPLACE_FACTOR } from '../../src/core/policy.ts';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import { errorCode, tokenFrom, type Client } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };

for (const backend of BACKENDS) {
  describe(`passkeys over HTTP (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    const clock = new TestClock();
    useHttpServer(backend, { now: clock.now, host: 'localhost', limits: { mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 } }, (parts) => ({
      sink,
      server,
    } = parts));
    const origin = () => server.url;

    async function signedIn(email = uniqueEmail('pk')): Promise<{ email: string; browser: Client }> {
      const browser = server.client();
      clock.advance(61);
      assert.equal((await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await sink.waitFor((m) => m.to === email && /^Sign in to /.test(m.subject));
      assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
      return { email, browser };
    }

    async function options(client: Client, path: string): Promise<Options> {
      const response = await client.request(path, { method: 'POST', json: {} });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { options: Options }).options;
    }

    async function register(browser: Client, authenticator = new SoftwareAuthenticator(), name?: string) {
      const asked = await options(browser, '/auth/passkeys/registration/options');
      const response = await browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, origin()), name } });
      assert.equal(response.status, 201, await response.clone().text());
      return { authenticator, passkey: ((await response.json()) as { passkey: { id: string; name: string } }).passkey };
    }

    /** A sign-in attempt from a fresh browser; `tamper` changes the answer or the browser's state first. */
    async function attempt(authenticator: SoftwareAuthenticator, make = (o: Options) => authenticator.authenticate(o, origin())) {
      const device = server.client();
      const asked = await options(device, '/auth/passkeys/sign-in/options');
      const response = await device.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: make(asked) } });
      return { device, response, asked };
    }

    async function refused(response: Response, device: Client, code: string) {
      assert.equal(await errorCode(response), code);
      assert.equal([...device.cookies.keys()].some((name) => name.endsWith('latchkey_session')), false, 'no session cookie');
      assert.equal((await device.request('/auth/session')).status, 401);
    }

    it('signed in by email, a person adds a passkey, then signs in with it in a new browser (no email, no TOTP)', async () => {
      const { email, browser } = await signedIn();
      // TOTP on: a passkey sign-in is multi-factor and does not ask for it.
      const enrol = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(enrol.secret, clock.now()) } })).status, 200);
      const { authenticator, passkey } = await register(browser, undefined, 'My laptop');
      assert.equal(passkey.name, 'My laptop');
      const notice = await sink.waitFor((m) => m.to === email && /passkey was added/.test(m.subject));
      assert.doesNotMatch(notice.text, /\/auth\/verify\?token=/, 'the notice signs nobody in');

      const { device, response } = await attempt(authenticator);
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as { user: { email: string }; redirectTo: string };
      assert.equal(body.user.email, email);
      assert.equal(body.redirectTo, '/auth/account');
      const session = (await (await device.request('/auth/session')).json()) as { session: { amr: string[] } };
      // RFC 8176: a synced (backed-up) passkey, verified by the user.
      assert.deepEqual(session.session.amr, ['swk', 'user']);
      const succeeded = await server.latchkey.store.listAudit({ email, type: 'sign_in.succeeded' });
      assert.equal(succeeded[0]?.reason, 'passkey');
      const listed = (await (await device.request('/auth/passkeys')).json()) as { passkeys: Array<{ name: string; lastUsedAt: string | null; backedUp: boolean }> };
      assert.equal(listed.passkeys.length, 1);
      assert.equal(listed.passkeys[0]?.backedUp, true);
      assert.ok(listed.passkeys[0]?.lastUsedAt);
    });

    it('a replayed answer (its challenge already used) signs nobody in', async () => {
      const { browser } = await signedIn();
      const { authenticator } = await register(browser);
      const { device, asked, response } = await attempt(authenticator);
      assert.equal(response.status, 200);
      const thief = server.client();
      thief.cookies.set('latchkey_passkey', device.cookies.get('latchkey_passkey') ?? 'none');
      const again = await thief.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: authenticator.authenticate(asked, origin()) } });
      await refused(again, thief, 'passkey_challenge_invalid');
    });

    it('an answer from another browser than the one that asked is refused', async () => {
      const { browser } = await signedIn();
      const { authenticator } = await register(browser);
      const asker = server.client();
      const asked = await options(asker, '/auth/passkeys/sign-in/options');
      const other = server.client();
      await options(other, '/auth/passkeys/sign-in/options');
      const response = await other.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: authenticator.authenticate(asked, origin()) } });
      await refused(response, other, 'passkey_invalid');
    });

    it('an expired challenge (over 5 minutes) is refused', async () => {
      const { browser } = await signedIn();
      const { authenticator } = await register(browser);
      const device = server.client();
      const asked = await options(device, '/auth/passkeys/sign-in/options');
      clock.advance(301);
      const response = await device.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: authenticator.authenticate(asked, origin()) } });
      await refused(response, device, 'passkey_challenge_expired');
    });

    it('an answer made for another origin or another RP ID (phishing) is refused', async () => {
      const { browser } = await signedIn();
      const { authenticator } = await register(browser);
      const phished = await attempt(authenticator, (o) => authenticator.authenticate(o, 'https://latchkey.example.evil'));
      await refused(phished.response, phished.device, 'passkey_invalid');
      const otherRp = await attempt(authenticator, (o) => authenticator.authenticate(o, origin(), { rpId: 'evil.example' }));
      await refused(otherRp.response, otherRp.device, 'passkey_invalid');
      const unverified = await attempt(authenticator, (o) => authenticator.authenticate(o, origin(), { userVerified: false }));
      await refused(unverified.response, unverified.device, 'passkey_invalid');
    });

    it('a signature counter that goes backwards (a cloned authenticator) is refused and audited', async () => {
      const { email, browser } = await signedIn();
      const { authenticator } = await register(browser, new SoftwareAuthenticator({ counter: 10, backedUp: false }));
      const first = await attempt(authenticator); // counter 11
      assert.equal(first.response.status, 200);
      // A passkey bound to its device: "hwk".
      assert.deepEqual(((await first.response.json()) as { session: { amr: string[] } }).session.amr, ['hwk', 'user']);
      const clone = await attempt(authenticator, (o) => authenticator.authenticate(o, origin(), { counter: 5 }));
      await refused(clone.response, clone.device, 'passkey_invalid');
      const rejected = await server.latchkey.store.listAudit({ email, type: 'passkey.rejected' });
      assert.equal(rejected[0]?.reason, 'counter_regressed');
    });

    it('an unknown credential, and a credential answering for another account, are refused', async () => {
      const stranger = new SoftwareAuthenticator();
      stranger.userHandle = Buffer.from('someone').toString('base64url');
      const unknown = await attempt(stranger);
      await refused(unknown.response, unknown.device, 'passkey_unknown');

      const ada = await signedIn();
      const { authenticator } = await register(ada.browser);
      const eve = await signedIn();
      const eveKey = (await register(eve.browser)).authenticator;
      // Ada's credential claiming to be Eve's account.
      const borrowed = await attempt(authenticator, (o) => authenticator.authenticate(o, origin(), { userHandle: eveKey.userHandle }));
      await refused(borrowed.response, borrowed.device, 'passkey_unknown');
      // Ada's credential registered again by Eve: one account per credential.
      const asked = await options(eve.browser, '/auth/passkeys/registration/options');
      const again = await eve.browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, origin()) } });
      assert.equal(await errorCode(again), 'passkey_exists');
    });

    it('registration: a forged challenge or origin is refused; an old sign-in must sign in again first', async () => {
      const { browser } = await signedIn();
      const authenticator = new SoftwareAuthenticator();
      let asked = await options(browser, '/auth/passkeys/registration/options');
      let response = await browser.request('/auth/passkeys/registration', {
        method: 'POST',
        json: { response: authenticator.register(asked, origin(), { challenge: Buffer.from('forged').toString('base64url') }) },
      });
      assert.equal(await errorCode(response), 'passkey_invalid');
      asked = await options(browser, '/auth/passkeys/registration/options');
      response = await browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, 'http://evil.localhost:1') } });
      assert.equal(await errorCode(response), 'passkey_invalid');
      // Used up: the same answer again has no challenge.
      response = await browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, origin()) } });
      assert.equal(await errorCode(response), 'passkey_challenge_invalid');
      clock.advance(601);
      response = await browser.request('/auth/passkeys/registration/options', { method: 'POST', json: {} });
      assert.equal(await errorCode(response), 'reauthentication_required');
      assert.deepEqual(((await (await browser.request('/auth/passkeys')).json()) as { passkeys: unknown[] }).passkeys, []);
    });

    it('rename and remove: only the account\'s own passkey; a removed passkey signs nobody in', async () => {
      const ada = await signedIn();
      const { authenticator, passkey } = await register(ada.browser);
      const eve = await signedIn();
      assert.equal(await errorCode(await eve.browser.request(`/auth/passkeys/${passkey.id}`, { method: 'DELETE' })), 'passkey_not_found');
      const renamed = await eve.browser.request(`/auth/passkeys/${passkey.id}/rename`, { method: 'POST', json: { name: 'mine' } });
      assert.equal(await errorCode(renamed), 'passkey_not_found');
      assert.equal((await ada.browser.request(`/auth/passkeys/${passkey.id}/rename`, { method: 'POST', json: { name: '  Work\nlaptop ' } })).status, 204);
      const listed = (await (await ada.browser.request('/auth/passkeys')).json()) as { passkeys: Array<{ name: string }> };
      assert.equal(listed.passkeys[0]?.name, 'Work laptop');
      assert.equal((await ada.browser.request(`/auth/passkeys/${passkey.id}`, { method: 'DELETE' })).status, 204);
      await sink.waitFor((m) => m.to === ada.email && /passkey was removed/.test(m.subject));
      const gone = await attempt(authenticator);
      await refused(gone.response, gone.device, 'passkey_unknown');
    });

    it('email sign-in may ask for a passkey too: the link stops at the second step, a passkey finishes it; the last one stays', async () => {
      const { email, browser } = await signedIn();
      const { authenticator, passkey } = await register(browser);
      const set = (value: boolean) => browser.request('/auth/passkeys/settings', { method: 'POST', json: { emailSignInRequiresPasskey: value } });
      assert.equal((await set(true)).status, 204);
      await sink.waitFor((m) => m.to === email && /asks for a passkey/.test(m.subject));

      const laptop = server.client();
      clock.advance(61);
      const before = sink.messages.length;
      await laptop.request('/auth/sign-in/email', { method: 'POST', json: { email } });
      const message = await sink.waitFor((m) => m.to === email && /^Sign in to /.test(m.subject) && sink.messages.indexOf(m) >= before);
      const verified = await laptop.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.deepEqual(await verified.json(), { status: 'second_factor_required' });
      assert.equal((await laptop.request('/auth/session')).status, 401, 'the mailbox alone is not enough');
      const step = await (await laptop.request('/auth/sign-in/totp', { headers: { accept: 'text/html' } })).text();
      assert.match(step, /id="passkey-sign-in"/);
      assert.doesNotMatch(step, /name="code"/, 'no TOTP form: TOTP is off');
      const asked = await options(laptop, '/auth/passkeys/sign-in/options');
      const done = await laptop.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: authenticator.authenticate(asked, origin()) } });
      assert.equal(done.status, 200);
      assert.equal((await laptop.request('/auth/session')).status, 200);

      // The last passkey of an account whose email sign-in asks for one (TOTP off) stays.
      assert.equal(await errorCode(await browser.request(`/auth/passkeys/${passkey.id}`, { method: 'DELETE' })), 'passkey_last_way_in');
      assert.equal((await set(false)).status, 204);
      assert.equal((await browser.request(`/auth/passkeys/${passkey.id}`, { method: 'DELETE' })).status, 204);
      // Without a passkey the setting cannot be turned on.
      assert.equal(await errorCode(await set(true)), 'passkey_not_found');
    });

    it('malformed answers are refused before any work', async () => {
      const device = server.client();
      await options(device, '/auth/passkeys/sign-in/options');
      const response = await device.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: { id: 'x'.repeat(5000) } } });
      await refused(response, device, 'invalid_request');
    });
  });
}

describe('passkeys on an IP-address base URL', async () => {
  const backend = BACKENDS[0]!;
  it('are unavailable, with a clear code', async () => {
    const store = (await backend.open())!;
    const server = await startTestServer({ store });
    try {
      const response = await server.client().request('/auth/passkeys/sign-in/options', { method: 'POST', json: {} });
      assert.equal(await errorCode(response), 'passkeys_unavailable');
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('passkey ceremonies per client IP', async () => {
  const backend = BACKENDS[0]!;
  it('are limited (LATCHKEY_LIMIT_PASSKEY_PER_IP_5MIN): each new browser stores a challenge', async () => {
    const store = (await backend.open())!;
    const server = await startTestServer({ store, host: 'localhost', limits: { passkeyCeremoniesPerIpPer5Minutes: 2 } });
    try {
      const ask = (client: Client) => client.request('/auth/passkeys/sign-in/options', { method: 'POST', json: {} });
      // Browsers without a challenge (no cookie): each a new row.
      assert.equal((await ask(server.client())).status, 200);
      assert.equal((await ask(server.client())).status, 200);
      assert.equal(await errorCode(await ask(server.client())), 'rate_limited');
      const denied = await store.listAudit({ type: 'policy.denied' });
      assert.ok(denied.some((event) => event.reason === 'ip_passkey_limit'));
    } finally {
      await server.close();
      await store.close();
    }
  });
  it("a browser asking again (autofill on every page view) replaces its own challenge: a bucket ten times as large, and other browsers' new ceremonies are not starved", async () => {
    const store = (await backend.open())!;
    const server = await startTestServer({ store, host: 'localhost', limits: { passkeyCeremoniesPerIpPer5Minutes: 2 } });
    try {
      const ask = (client: Client) => client.request('/auth/passkeys/sign-in/options', { method: 'POST', json: {} });
      const reloading = server.client();
      for (let view = 0; view < 1 + 2 * PASSKEY_REPLACE_FACTOR; view++) assert.equal((await ask(reloading)).status, 200, `page view ${view + 1}`);
      assert.equal(await errorCode(await ask(reloading)), 'rate_limited', 'the replacements are bounded too');
      assert.equal((await ask(server.client())).status, 200, 'a new browser behind the same address still starts one');
    } finally {
      await server.close();
      await store.close();
    }
  });
});
