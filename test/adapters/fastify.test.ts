// Latchkey registered in a real Fastify 5 app (issue #14): a full sign-in by
// JSON and by the hosted pages' forms, while the app's own routes keep Fastify's
// parsers, and requireSession guarding the app's API.
import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fastify from 'fastify';
import { latchkeyFastify, requireSession } from '../../src/adapters/fastify.ts';
import { assertGuarded, signInWithForms, signInWithJson, startMounted, type MountedServer } from './harness.ts';

describe('Fastify with the Latchkey plugin', () => {
  let server: MountedServer;
  before(async () => {
    server = await startMounted(async (latchkey) => {
      // The test binds the port itself (the base URL names it), so Fastify gets the socket's requests through its handler.
      let listener: RequestListener | undefined;
      const app = fastify({
        serverFactory: (handler) => {
          listener = handler;
          return createServer();
        },
      });
      await app.register(latchkeyFastify(latchkey));
      app.get('/api/public', async () => ({ hello: 'anyone' }));
      app.get('/api/me', { preHandler: requireSession(latchkey) }, async (request) => ({ email: request.latchkey!.user.email }));
      app.post('/api/notes', { preHandler: requireSession(latchkey) }, async (request) => ({ received: request.body }));
      await app.ready();
      return { listener: listener!, cleanup: () => app.close() };
    });
  });
  after(() => server.close());

  it('signs in with JSON, and the session opens the protected route', async () => {
    const client = await signInWithJson(server);
    const me = await client.request('/api/me');
    assert.equal(me.status, 200);
    assert.match(((await me.json()) as { email: string }).email, /^json\./);
  });

  it('signs in on the hosted pages (forms with the CSRF token of a real page) and lands back where it was going', async () => {
    const browser = await signInWithForms(server, { redirectTo: '/api/me' });
    assert.equal((await browser.request('/api/me')).status, 200);
  });

  it('leaves Fastify its own routes and parsers', async () => {
    const anyone = await server.client().request('/api/public');
    assert.deepEqual(await anyone.json(), { hello: 'anyone' });
    const client = await signInWithJson(server);
    const notes = await client.request('/api/notes', { method: 'POST', json: { text: 'parsed by Fastify' } });
    assert.equal(notes.status, 200);
    assert.deepEqual(await notes.json(), { received: { text: 'parsed by Fastify' } });
  });

  it('requireSession: a browser is sent to sign in, an API client gets 401 JSON', async () => {
    await assertGuarded(server, '/api/me');
  });

  it('answers unknown paths under Latchkey’s names itself, and bounds their bodies', async () => {
    const unknown = await server.client().request('/auth/nothing-here', { headers: { accept: 'application/json' } });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'not_found');
    const big = await server.client().request('/auth/sign-in/email', { method: 'POST', json: { email: 'x'.repeat(20_000) } });
    assert.equal(big.status, 413);
  });

  it('sends the client IP of the socket: the session records it', async () => {
    const client = await signInWithJson(server);
    const listed = (await (await client.request('/auth/sessions')).json()) as { sessions: { ip: string | null; current: boolean }[] };
    assert.equal(listed.sessions.find((s) => s.current)?.ip, '127.0.0.1');
  });
});
