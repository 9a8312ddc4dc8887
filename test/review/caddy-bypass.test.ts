// Review (h-review): path-rule bypasses through the documented Caddyfile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_HOST, freePort, send, signIn, startCaddy, startStack, type Proxy } from '../forward-auth/harness.ts';

describe('review: caddy path-rule bypass', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let proxy: Proxy;
  let port: number;
  let cookie: string;
  before(async () => {
    port = await freePort();
    stack = await startStack(port);
    proxy = await startCaddy(stack);
    cookie = (await signIn(stack, 'bob@example.org')).cookie;
  });
  after(async () => {
    await proxy?.close();
    await stack?.stop();
  });

  for (const path of ['/admin/users', '/x/..//admin/users', '/x/%2e%2e//admin/users', '//admin/users', '/admin;x/users', '/admin%2Fusers', '/ADMIN/users', '/%61dmin/users']) {
    // ";", %2F and case: every reading of the path must be allowed (review finding 4, core/access-rules.ts pathReadings).
    it(`bob asks ${path}`, async () => {
      const before = stack.upstream.seen.length;
      const answer = await send(port, APP_HOST, path, { headers: { cookie } });
      const seen = stack.upstream.seen.slice(before).map((r) => r.url);
      assert.notEqual(answer.status, 200, `bob got ${answer.status}; upstream saw ${JSON.stringify(seen)}`);
    });
  }
});
