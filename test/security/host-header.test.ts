// Attack: poison the link in the victim's mail by sending the sign-in request
// with a Host (or forwarded host) of the attacker's. Links come only from
// LATCHKEY_BASE_URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack: host-header poisoning', () => {
  it('Host, X-Forwarded-Host, X-Forwarded-Proto and Forwarded do not change the mailed link', async () => {
    const target = await startTarget({ trustedProxies: ['127.0.0.1'] });
    try {
      const spoofs: Record<string, string>[] = [
        { host: 'evil.example' },
        { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
        { forwarded: 'host=evil.example;proto=https' },
        { 'x-original-url': 'https://evil.example/', 'x-rewrite-url': 'https://evil.example/' },
      ];
      const victims: string[] = [];
      for (const headers of spoofs) {
        const victim = address('victim');
        victims.push(victim);
        assert.equal((await askForMail(target.server.client(), victim, {}, headers)).status, 202);
      }
      await target.settle();
      for (const victim of victims) {
        const [message] = target.mailsTo(victim);
        assert.ok(message, 'mail sent');
        assert.ok(linkFrom(message.text).startsWith(`${target.server.url}/auth/verify?token=`));
        assert.doesNotMatch(`${message.text}${message.html}`, /evil\.example/);
      }
    } finally {
      await target.close();
    }
  });
});
