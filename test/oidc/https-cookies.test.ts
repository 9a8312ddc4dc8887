// Behind a TLS-terminating proxy the provider sees plain HTTP: its cookies are
// still Secure and its URLs https, because they follow LATCHKEY_BASE_URL, not
// the connection or a client's headers.
import assert from 'node:assert/strict';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { pino } from 'pino';
import { createLatchkey } from '../../src/latchkey.ts';
import { sqliteBackend } from '../support/stores.ts';
import { clientsFile, CONFIDENTIAL } from './harness.ts';

it('an https base URL gives Secure provider cookies and https endpoints over a plain connection', async () => {
  const store = (await sqliteBackend.open())!;
  const latchkey = await createLatchkey({
    store,
    baseUrl: 'https://auth.example.com',
    smtpUrl: 'smtp://127.0.0.1:9',
    secret: 'test-secret-that-is-long-enough-0123456789',
    oidcClientsFile: clientsFile(),
    startWorker: false,
    logger: pino({ level: 'silent' }),
  });
  const server = serve({ fetch: latchkey.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const metadata = (await (await fetch(`${url}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'http' } })).json()) as Record<string, string>;
    assert.equal(metadata.issuer, 'https://auth.example.com');
    assert.equal(metadata.token_endpoint, 'https://auth.example.com/oidc/token');
    const query = new URLSearchParams({
      client_id: CONFIDENTIAL.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: CONFIDENTIAL.redirect_uris[0]!,
      state: 'state-1',
      nonce: 'nonce-1',
    });
    const authorization = await fetch(`${url}/oidc/auth?${query}`, { redirect: 'manual' });
    assert.equal(authorization.status, 303);
    const cookies = authorization.headers.getSetCookie();
    assert.ok(cookies.some((c) => c.startsWith('latchkey_oidc_interaction=')), cookies.join('\n'));
    for (const cookie of cookies) {
      assert.match(cookie, /;\s*secure/i, cookie);
      assert.match(cookie, /;\s*httponly/i, cookie);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await latchkey.close();
    await store.close();
  }
});
