// A relying party's back-channel logout endpoint (OpenID Connect Back-Channel
// Logout 1.0) as a real HTTP server in the test process: it records each POST's
// logout_token with the path it came to (/fail answers 500), and verifies a
// token the way an app must: signature against the provider's JWKS, issuer,
// audience, typ, the back-channel event, no nonce.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface Received {
  path: string;
  token: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The token of the next POST (rejects after 5 s). */
  next(): Promise<string>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const waiting: Array<(token: string) => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      received.push({ path: req.url ?? '', token });
      waiting.shift()?.(token);
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    next: () =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no logout token within 5 s')), 5000);
        waiting.push((token) => {
          clearTimeout(timer);
          resolve(token);
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the app checks before it ends anything: a valid logout token for `audience` from `issuer`. */
export async function verifyLogoutToken(token: string, issuer: string, audience: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/oidc/jwks`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, typ: 'logout+jwt', maxTokenAge: '2 minutes' });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(payload.nonce, undefined, 'a logout token has no nonce');
  assert.ok(typeof payload.jti === 'string' && payload.jti.length > 0);
  return payload;
}
