// Review (h-review): a fragment or query mark in the request target (nginx passes '#' raw to the app).
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { APP_HOST, freePort, signIn, startCaddy, startNginx, startStack, type Proxy } from '../forward-auth/harness.ts';

function raw(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(lines.join('\r\n') + '\r\n\r\n'));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

for (const [name, start] of [['caddy', startCaddy], ['nginx', startNginx]] as const) {
  describe(`review: ${name} fragment in the request target`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    let proxy: Proxy;
    let port: number;
    let cookie: string;
    before(async () => {
      port = await freePort();
      stack = await startStack(port);
      proxy = await start(stack);
      cookie = (await signIn(stack, 'bob@example.org')).cookie;
    });
    after(async () => {
      await proxy?.close();
      await stack?.stop();
    });
    for (const target of ['/public#/../admin/users', '/public%23/../admin/users', '/public?/../admin/users']) {
      it(`bob: GET ${target}`, async () => {
        const before = stack.upstream.seen.length;
        const out = await raw(port, [`GET ${target} HTTP/1.1`, `Host: ${APP_HOST}:${port}`, `Cookie: ${cookie}`, 'Connection: close']);
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1]);
        const seen = stack.upstream.seen.slice(before).map((r) => r.url);
        console.log(name, target, status, JSON.stringify(seen));
      });
    }
  });
}
