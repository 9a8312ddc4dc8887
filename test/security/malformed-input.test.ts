// Attack: oversized and malformed bodies, hoping for a 500, a stack trace, a
// parser disagreement (duplicate keys, __proto__) or free extra attempts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { address, askForMail, errorCode, startTarget } from './harness.ts';

const ENDPOINTS = ['/auth/sign-in/email', '/auth/sign-in/code', '/auth/verify'];

async function post(url: string, path: string, body: string, type = 'application/json') {
  return fetch(new URL(path, url), { method: 'POST', headers: { 'content-type': type }, body });
}

describe('attack: oversized and malformed input', () => {
  it('a body over 16 KiB is 413 request_too_large on every endpoint, JSON and form', async () => {
    const target = await startTarget();
    try {
      const big = JSON.stringify({ email: 'a@example.com', pad: 'x'.repeat(17 * 1024) });
      for (const path of ENDPOINTS) {
        const response = await post(target.server.url, path, big);
        assert.equal(response.status, 413, path);
        assert.equal(await errorCode(response), 'request_too_large');
        const form = await post(target.server.url, path, `email=a%40example.com&pad=${'x'.repeat(17 * 1024)}`, 'application/x-www-form-urlencoded');
        assert.equal(form.status, 413, path);
      }
    } finally {
      await target.close();
    }
  });

  it('duplicate keys, __proto__, wrong types, arrays, deep nesting and broken JSON are 400, never 500, never mail', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 1000 } });
    try {
      const victim = address('victim');
      const bodies = [
        `{"email":"${address('a')}","email":"${victim}"}`,
        `{"email":"${victim}","__proto__":{"admin":true}}`,
        `{"email":"${victim}","constructor":{"prototype":{"x":1}}}`,
        `{"email":"${victim}","redirectTo":{"__proto__":"x"}}`,
        `{"email":"${victim}","redirectTo":42}`,
        `{"email":"${victim}","redirectTo":["/a"]}`,
        `[{"email":"${victim}"}]`,
        `"${victim}"`,
        'null',
        '{"email":',
        `{"email":"${victim}"}garbage`,
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"a":${'{"a":'.repeat(50)}1${'}'.repeat(50)},"email":"${victim}"}`,
        '',
      ];
      for (const path of ENDPOINTS) {
        for (const body of bodies) {
          const response = await post(target.server.url, path, body);
          assert.ok(response.status === 400, `${path} ${body.slice(0, 60)} → ${response.status}`);
          const text = await response.text();
          assert.doesNotMatch(text, /at .*\.ts:\d+|Error:/, 'no stack trace');
        }
        const form = await post(target.server.url, path, `email=${encodeURIComponent(victim)}&email=${encodeURIComponent(address('b'))}`, 'application/x-www-form-urlencoded');
        assert.equal(form.status, 400, `${path} repeated form field`);
      }
      const unknownType = await post(target.server.url, '/auth/sign-in/email', `email=${victim}`, 'text/plain');
      assert.equal(unknownType.status, 400);
      await target.settle();
      assert.equal(target.mailsTo(victim).length, 0);
    } finally {
      await target.close();
    }
  });

  it('malformed verification bodies do not buy extra attempts: they are not counted as free guesses', async () => {
    const target = await startTarget({ limits: { verifyAttemptsPerIpPer5Minutes: 3 } });
    try {
      const email = address('victim');
      await askForMail(target.server.client(), email);
      for (let i = 0; i < 10; i++) await post(target.server.url, '/auth/sign-in/code', `{"email":"${email}","code":123456}`);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: '000000' } })).status);
      }
      // The malformed ones cost nothing; the well-formed guesses hit the IP bucket after three.
      assert.deepEqual(statuses.slice(3), [429]);
    } finally {
      await target.close();
    }
  });
});
