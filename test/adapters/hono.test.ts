// Hono (or any fetch runtime) needs no adapter: latchkey.fetch is the handler.
// On @hono/node-server, c.env carries the socket (`incoming`), so the client IP
// works as in `latchkey start`. This is the README's one line, in a real Hono app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { signInWithForms, signInWithJson, startMounted, type MountedServer } from './harness.ts';

describe('Hono on @hono/node-server, with latchkey.fetch on /auth/*', () => {
  let server: MountedServer;
  before(async () => {
    server = await startMounted(async (latchkey) => {
      const app = new Hono<{ Bindings: HttpBindings }>();
      app.all('/auth/*', (c) => latchkey.fetch(c.req.raw, c.env));
      app.get('/me', async (c) => {
        const found = await latchkey.getSession(c.req.raw);
        return found ? c.json({ email: found.user.email }) : c.json({ error: 'not signed in' }, 401);
      });
      return { listener: getRequestListener(app.fetch) };
    });
  });
  after(() => server.close());

  it('signs in with JSON and on the hosted pages; getSession takes the Request', async () => {
    const client = await signInWithJson(server);
    assert.equal((await client.request('/me')).status, 200);
    await signInWithForms(server);
    assert.equal((await server.client().request('/me')).status, 401);
  });

  it('records the socket peer as the client IP', async () => {
    const client = await signInWithJson(server);
    const listed = (await (await client.request('/auth/sessions')).json()) as { sessions: { ip: string | null; current: boolean }[] };
    assert.equal(listed.sessions.find((s) => s.current)?.ip, '127.0.0.1');
  });
});
