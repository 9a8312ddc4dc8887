// Passkeys' bounds (issue #17 review), over real HTTP with a software
// authenticator: an account holds at most LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT
// passkeys (asked at the options and again at the answer), a key of an
// algorithm README does not list is refused, and the "passkey added" notice
// tells its reader what to do if it was not them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderAccountMessage } from '../../src/mail/account-messages.ts';
import { errorCode, tokenFrom, type Client } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { openStore } from '../../src/store/open.ts';
import { after, before } from 'node:test';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
type Options = { challenge: string; rp: { id: string }; user: { id: string } };
const MAX = 2;

describe('passkey limits', () => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({
      store: await openStore(':memory:'),
      smtpUrl: sink.url,
      host: 'localhost',
      now: clock.now,
      limits: { passkeysPerAccount: MAX, noticesPerAddressPerHour: 100, mailsPerAddressPer15Minutes: 100 },
    });
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });

  async function signedIn(email: string): Promise<Client> {
    const browser = server.client();
    clock.advance(61);
    assert.equal((await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
    const message = await sink.waitFor((m) => m.to === email && /^Sign in to /.test(m.subject) && !used.has(m));
    used.add(message);
    assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
    return browser;
  }
  const used = new Set<object>();

  const askOptions = (browser: Client) => browser.request('/auth/passkeys/registration/options', { method: 'POST', json: {} });
  async function answer(browser: Client, asked: Options, authenticator = new SoftwareAuthenticator()) {
    return browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, server.url) } });
  }
  async function add(browser: Client): Promise<Response> {
    const response = await askOptions(browser);
    assert.equal(response.status, 200, await response.clone().text());
    return answer(browser, ((await response.json()) as { options: Options }).options);
  }
  const listed = async (browser: Client) => ((await (await browser.request('/auth/passkeys')).json()) as { passkeys: { id: string }[] }).passkeys;

  it(`an account holds at most ${MAX} passkeys: the options and a late answer are refused with passkey_limit_reached`, async () => {
    const email = uniqueEmail('cap');
    const laptop = await signedIn(email);
    const phone = await signedIn(email);
    assert.equal((await add(laptop)).status, 201);
    // The phone asks while there is room, the laptop fills it, then the phone answers.
    const early = (await (await askOptions(phone)).json()) as { options: Options };
    assert.equal((await add(laptop)).status, 201);
    const late = await answer(phone, early.options);
    assert.equal(late.status, 409);
    assert.equal(await errorCode(late), 'passkey_limit_reached');
    const refused = await askOptions(laptop);
    assert.equal(refused.status, 409);
    assert.equal(await errorCode(refused), 'passkey_limit_reached');
    assert.equal((await listed(laptop)).length, MAX);

    const [first] = await listed(laptop);
    assert.equal((await laptop.request(`/auth/passkeys/${first!.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await add(laptop)).status, 201, 'room again after a removal');
  });

  // The library's verification default adds ML-DSA-44 where the runtime has it (Node 24 does): not offered, not accepted.
  for (const keyType of ['ML-DSA-44', 'ES384'] as const) {
    it(`a key of an algorithm not offered (${keyType}) is refused: only Ed25519, ES256 and RS256 are accepted`, async () => {
      const browser = await signedIn(uniqueEmail('alg'));
      const asked = (await (await askOptions(browser)).json()) as { options: Options & { pubKeyCredParams: { alg: number }[] } };
      assert.deepEqual(asked.options.pubKeyCredParams.map((p) => p.alg), [-8, -7, -257]);
      const refused = await answer(browser, asked.options, new SoftwareAuthenticator({ keyType }));
      assert.equal(refused.status, 400);
      assert.equal(await errorCode(refused), 'passkey_invalid');
      assert.deepEqual(await listed(browser), []);
    });
  }

  it('the "passkey added" notice says what to do if it was not you: sign in, remove the passkey, sign out elsewhere (en, de)', async () => {
    const email = uniqueEmail('notice');
    const browser = await signedIn(email);
    assert.equal((await add(browser)).status, 201);
    const notice = await sink.waitFor((m) => m.to === email && /passkey was added/.test(m.subject));
    assert.match(notice.text.replace(/\s+/g, ' '), /If this wasn.t you, someone else can sign in to your account: sign in now, remove this passkey under Passkeys on your account page, and sign out every other device/);
    const de = renderAccountMessage({
      mail: { kind: 'passkey_added', accountLink: 'https://auth.example.com/auth/account' },
      email,
      at: 0,
      ip: null,
      userAgent: null,
      locale: 'de',
    });
    assert.match(de.text.replace(/\s+/g, ' '), /entferne diesen Passkey unter „Passkeys“ auf deiner Kontoseite/);
  });
});
