// getSession reads the session cookie from whatever a host framework hands its
// handlers (issue #14: with an Express request it threw "headers.get is not a
// function"): a Request, a Headers, a Node IncomingMessage, an Express or
// Fastify request, or a plain headers object.
import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import fastify from 'fastify';
import type { SessionSource } from '../../src/http/session-source.ts';
import { tokenFrom } from '../support/http-client.ts';
import { startMounted, uniqueEmail, type MountedServer } from './harness.ts';

/** One request with `cookie` to a real server running `listener`. */
async function requestOnce(listener: RequestListener, cookie: string): Promise<void> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: { cookie } })).text();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('getSession, given each shape of request', () => {
  let server: MountedServer;
  let email: string;
  let cookie: string;
  before(async () => {
    // Signed in through the library API; the mounted listener is never asked.
    server = await startMounted(async () => ({ listener: (_req, res) => void res.writeHead(404).end() }));
    email = uniqueEmail('shapes');
    assert.equal((await server.latchkey.requestSignIn({ email })).ok, true);
    const token = tokenFrom((await server.sink.waitFor((m) => m.to === email)).text);
    const outcome = await server.latchkey.verify(token);
    assert.ok(outcome.ok && outcome.status === 'signed_in');
    cookie = `theme=dark; latchkey_session=${outcome.sessionToken}; other=1`;
  });
  after(() => server.close());

  const emailOf = async (source: SessionSource) => (await server.latchkey.getSession(source))?.user.email ?? null;

  it('a fetch Request and a Headers', async () => {
    assert.equal(await emailOf(new Request('http://localhost/', { headers: { cookie } })), email);
    assert.equal(await emailOf(new Headers({ cookie })), email);
  });

  it('a plain headers object: lower-case, capitalised, or the value as a list', async () => {
    assert.equal(await emailOf({ cookie }), email);
    assert.equal(await emailOf({ Cookie: cookie }), email);
    assert.equal(await emailOf({ cookie: cookie.split('; ') }), email);
    assert.equal(await emailOf({ accept: 'text/html' }), null);
  });

  it('a Node IncomingMessage, in a real node:http handler', async () => {
    let found: Promise<string | null> | undefined;
    await requestOnce((req, res) => {
      found = emailOf(req);
      res.end();
    }, cookie);
    assert.equal(await found, email);
  });

  it('an Express request, in a real Express handler', async () => {
    let found: Promise<string | null> | undefined;
    const app = express();
    app.get('/', (req, res) => {
      found = emailOf(req);
      res.end();
    });
    await requestOnce(app, cookie);
    assert.equal(await found, email);
  });

  it('a Fastify request and its raw request, in a real Fastify handler', async () => {
    for (const pick of ['request', 'raw'] as const) {
      let listener: RequestListener | undefined;
      let found: Promise<string | null> | undefined;
      const app = fastify({
        serverFactory: (handler) => {
          listener = handler;
          return createServer();
        },
      });
      app.get('/', async (request) => {
        found = emailOf(pick === 'raw' ? request.raw : request);
        return 'ok';
      });
      await app.ready();
      await requestOnce(listener!, cookie);
      assert.equal(await found, email, pick);
      await app.close();
    }
  });

  it('null without the cookie, or with one that is not a live session', async () => {
    assert.equal(await emailOf(new Headers()), null);
    assert.equal(await emailOf({ cookie: 'latchkey_session=' + 'A'.repeat(43) }), null);
    assert.equal(await emailOf({}), null);
  });
});
