// Review (h-review): every protected app receives the domain-wide Latchkey session cookie and can use it on Latchkey's own API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_HOST, AUTH_HOST, freePort, send, signIn, startNginx, startStack, type Proxy } from '../forward-auth/harness.ts';

describe('review: the upstream app receives the Latchkey session', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let proxy: Proxy;
  let port: number;
  before(async () => {
    port = await freePort();
    stack = await startStack(port);
    proxy = await startNginx(stack);
  });
  after(async () => {
    await proxy?.close();
    await stack?.stop();
  });
  it('the app (e.g. compromised, or logging headers) takes over the Latchkey account with the cookie it was sent', { todo: 'review finding 2' }, async () => {
    const { cookie } = await signIn(stack, 'bob@example.org');
    assert.equal((await send(port, APP_HOST, '/dashboard', { headers: { cookie } })).status, 200);
    const received = String(stack.upstream.seen.at(-1)!.headers.cookie);
    console.log('upstream got Cookie:', received.slice(0, 30) + '…');
    // Server side, from the app's own host: no Origin, no Sec-Fetch-Site, JSON.
    const change = await send(stack.latchkeyPort, AUTH_HOST, '/auth/email/change', {
      method: 'POST',
      headers: { cookie: received, 'content-type': 'application/json' },
      body: JSON.stringify({ newEmail: 'mallory@evil.test' }),
    });
    console.log('email change from the app server:', change.status, change.body);
    assert.notEqual(change.status, 202, 'an app behind the proxy could move the account to its own mailbox');
  });
});
