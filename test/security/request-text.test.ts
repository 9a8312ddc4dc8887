// Attack (issue #12 finding 7): write your own words into a genuine mail or page.
// The attacker asks for a sign-in link for the victim with a User-Agent that
// reads like a warning ("URGENT: … visit https://evil.example/…"); the product
// names the requesting browser in the mail ("Requested from …") and on the
// verify page. Only a browser and an OS from a closed list may appear there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom, tokenFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget } from './harness.ts';

const CRAFTED = [
  'URGENT: your account is locked, visit https://evil.example/unlock/1 (x',
  // bowser's fallback takes the text before "/" as a browser name and reads an OS from it.
  'Call-evil.example-now/1.0 (Windows NT 10.0)',
  // A real engine token after the bait: the browser is known, the bait is not shown.
  'Mozilla/5.0 (X11; visit evil.example) Gecko/20100101 Firefox/133.0',
  // An OS token with bait as its "version".
  'Mozilla/5.0 (Linux; Android evil.example-unlock) Evil.example/1',
];

// What "Requested from …" may say: names from the closed lists, nothing else.
const BROWSER = '(Chrome|Firefox|Safari|Edge|Opera|Samsung Internet|Android Browser)';
const OS = '(Windows|macOS|iOS|Android|Linux|ChromeOS)';
const SHOWN_DEVICE = new RegExp(`Requested from (${BROWSER}|${BROWSER} on ${OS}|an unknown browser|an unknown browser on ${OS}), IP 127\\.0\\.0\\.1,`);

describe('attack: request text inside genuine mail and pages', () => {
  for (const userAgent of CRAFTED) {
    it(`a User-Agent ${JSON.stringify(userAgent.slice(0, 40))} never reaches the mail or the verify page`, async () => {
      const target = await startTarget();
      try {
        const victim = address('victim');
        const attacker = target.server.client().fork(userAgent);
        await askForMail(attacker, victim);
        await target.settle();
        const message = target.mailsTo(victim)[0];
        assert.ok(message, 'the victim got the sign-in mail');
        for (const body of [message.text, message.html]) {
          assert.doesNotMatch(body, /evil|URGENT|unlock|Call/i);
          assert.match(body, SHOWN_DEVICE);
        }
        // The victim opens the link in their own browser: the page names the asker the same way.
        const page = await (await target.server.client().request(linkFrom(message.text))).text();
        assert.doesNotMatch(page, /evil|URGENT|unlock|Call/i);
      } finally {
        await target.close();
      }
    });
  }

  it('a known browser is still named, without its version', async () => {
    const target = await startTarget();
    try {
      const victim = address('victim');
      const asking = target.server.client().fork('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0');
      await askForMail(asking, victim);
      await target.settle();
      const message = target.mailsTo(victim)[0]!;
      assert.match(message.text, /Requested from Firefox on Windows, IP 127\.0\.0\.1,/);
      assert.doesNotMatch(message.text, /133/);
    } finally {
      await target.close();
    }
  });

  // A variant of finding 7: X-Request-Id is request text too. A well-formed one
  // ([A-Za-z0-9_-]{8,128}) was kept from any client and became the genuine mail's
  // X-Latchkey-Request-Id header, and the ID under which the audit trail files the request.
  it('an X-Request-Id sent by a client never reaches the mail; one set by a trusted proxy does', async () => {
    const bait = 'URGENT-your-account-is-locked-call-evil-example-now';
    for (const trustedProxies of [[], ['127.0.0.1']]) {
      const target = await startTarget({ trustedProxies });
      try {
        const victim = address('victim');
        const asked = await askForMail(target.server.client(), victim, {}, { 'x-request-id': bait });
        assert.equal(asked.status, 202);
        await target.settle();
        const message = target.mailsTo(victim)[0];
        assert.ok(message, 'the victim got the sign-in mail');
        const header = message.headers.get('x-latchkey-request-id');
        assert.equal(header, asked.headers.get('x-request-id'), 'the mail carries the ID the answer gave');
        if (trustedProxies.length === 0) assert.notEqual(header, bait, "a client's own text reached the mail header");
        else assert.equal(header, bait, "our proxy's request ID is kept");
      } finally {
        await target.close();
      }
    }
  });

  // A variant of finding 7: an address is text its owner chose. Anyone can sign up
  // with a bait address on their own domain and ask to move that account to a
  // stranger's address: the stranger's genuine confirmation mail (and the page its
  // link opens) named the bait address as the account asking.
  it('an email change to a stranger\'s address: the mail and the confirm page never show the asking account\'s address', async () => {
    const target = await startTarget();
    try {
      const bait = `urgent.account-locked.call-0800-555-0199.${Date.now()}@evil.example`;
      const attacker = target.server.client();
      await askForMail(attacker, bait);
      await target.settle();
      const signIn = target.mailsTo(bait).at(-1)!;
      assert.equal((await attacker.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(signIn.text) } })).status, 200);
      const stranger = address('stranger');
      assert.equal((await attacker.request('/auth/email/change', { method: 'POST', json: { newEmail: stranger } })).status, 202);
      await target.settle();
      const message = target.mailsTo(stranger)[0];
      assert.ok(message, 'the stranger got the confirmation mail');
      for (const body of [message.text, message.html]) assert.doesNotMatch(body, /urgent|locked|0800|evil/i);
      const confirmLink = /https?:\/\/\S+\/auth\/email\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(message.text)?.[0];
      assert.ok(confirmLink, 'the mail has its confirm link');
      const page = await target.server.client().request(confirmLink);
      assert.equal(page.status, 200);
      assert.doesNotMatch(await page.text(), /urgent|locked|0800|evil/i);
    } finally {
      await target.close();
    }
  });
});
