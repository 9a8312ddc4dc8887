// Attack (a variant of issue #12 finding 14): read a developer's dev mailbox by
// DNS rebinding. The development server listens on loopback only, but any web
// page the developer visits can point its own name at 127.0.0.1 and fetch
// http://rebind.evil.example:PORT/dev/mailbox as a same-origin request: the
// browser connects to the loopback server and sends `Host: rebind.evil.example`.
// The mailbox (every sign-in link and code) must answer only a loopback name.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { startTestServer } from '../support/server.ts';
import { sqliteBackend } from '../support/stores.ts';
import { address, askForMail } from './harness.ts';

/** GET with a Host header of our choosing, as a rebound browser sends it (fetch may not set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('attack: the dev mailbox read through DNS rebinding', () => {
  it('a request naming another host gets no mailbox; loopback names still do', async () => {
    const store = await sqliteBackend.open();
    assert.ok(store);
    const server = await startTestServer({ store });
    try {
      assert.ok(server.latchkey.devMailbox, 'the dev mailbox is on (no SMTP, loopback base URL)');
      const email = address('developer');
      assert.equal((await askForMail(server.client(), email)).status, 202);
      await server.latchkey.outbox.runOnce();
      const port = new URL(server.url).port;
      for (const host of [`rebind.evil.example:${port}`, 'rebind.evil.example', `127.0.0.1.evil.example:${port}`, `localhost.evil.example:${port}`]) {
        const answer = await getWithHost(`${server.url}/dev/mailbox`, host);
        assert.equal(answer.status, 404, `Host: ${host}`);
        assert.doesNotMatch(answer.body, /token=|developer\./, `Host: ${host} saw the mailbox`);
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        const answer = await getWithHost(`${server.url}/dev/mailbox`, host);
        assert.equal(answer.status, 200, `Host: ${host}`);
        assert.match(answer.body, /developer\./);
      }
    } finally {
      await server.close();
      await store.close();
    }
  });
});
