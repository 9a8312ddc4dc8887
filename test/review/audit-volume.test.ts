// Review (h-review): one signed-in session writes one forward_auth.allowed row per distinct host under a *. rule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AUTH_HOST, freePort, send, signIn, startStack } from '../forward-auth/harness.ts';

describe('review: forward_auth.allowed audit volume', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let port: number;
  before(async () => {
    port = await freePort();
    stack = await startStack(port, { rules: [{ host: '*.example.localhost', allow: ['@example.org'] }] });
  });
  after(async () => stack?.stop());

  it('1000 requests on 1000 made-up hosts stay within a bounded number of audit rows', async () => {
    const { cookie } = await signIn({ proxyPort: stack.latchkeyPort, sink: stack.sink }, 'bob@example.org');
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      // Straight to Latchkey from 127.0.0.1 (a trusted proxy): what a client gets by asking the auth host's /auth/auth-request through the proxy.
      const answer = await send(stack.latchkeyPort, AUTH_HOST, '/auth/auth-request', { headers: { cookie, 'x-original-url': `http://h${i}.example.localhost/` } });
      assert.equal(answer.status, 200);
    }
    const rows = (await stack.store.listAudit({ type: 'forward_auth.allowed', limit: 100000 })).length;
    console.log(`rows=${rows} in ${Math.round(performance.now() - started)} ms`);
    assert.ok(rows < 50, `${rows} audit rows for one session`);
  });
});
