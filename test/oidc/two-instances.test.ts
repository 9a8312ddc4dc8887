// Two Latchkey instances on one PostgreSQL act as one OpenID Connect provider
// (issue #15 item 9): one issuer (the base URL), two servers behind it, as a
// load balancer would spread a relying party's requests. A code issued on one
// is redeemed on the other, once; a refresh token rotated on one is refused on
// the other (and its family with it); both serve the same JWKS, made once
// although they started together. openid-client is the relying party; its
// requests go to the instance the test names.
// Needs PostgreSQL: skipped with a message without it, unless CI=true.
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import * as oidc from 'openid-client';
import pg from 'pg';
import { pino } from 'pino';
import { createLatchkey, type Latchkey } from '../../src/latchkey.ts';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/store.ts';
import { Client, tokenFrom } from '../support/http-client.ts';
import type { HttpSuiteParts } from '../support/http-suite.ts';
import { RELAXED_IP_LIMITS } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { backendSkip, postgresBackend, POSTGRES_URL } from '../support/stores.ts';
import { clientsFile, CONFIDENTIAL, PUBLIC, signInThroughApp, type RegisteredClient } from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

interface Instance {
  url: string;
  server: Server;
  store: Store;
  latchkey: Latchkey;
}

describe('two instances on one PostgreSQL act as one OpenID Connect provider', async () => {
  const skip = await backendSkip(postgresBackend);
  if (skip) {
    it(`skipped: ${skip}`, { skip }, () => {});
    return;
  }

  const schema = `lk_oidc_two_${randomBytes(4).toString('hex')}`;
  const clients = clientsFile();
  let sink: SmtpSink;
  let issuer: string;
  let a: Instance;
  let b: Instance;

  before(async () => {
    sink = await startSmtpSink();
    const servers = await Promise.all([0, 1].map(() => listen()));
    const [first] = servers as [Server, Server];
    // One issuer for both, as behind a load balancer: the first server's address.
    issuer = `http://127.0.0.1:${(first.address() as AddressInfo).port}`;
    const migrated = await openPostgresStore(POSTGRES_URL, { schema });
    await migrated.migrate();
    const stores = [migrated, await openPostgresStore(POSTGRES_URL, { schema })];
    // Started together: the first start of both makes one signing key, not two.
    const latchkeys = await Promise.all(
      stores.map((store) =>
        createLatchkey({
          store,
          baseUrl: issuer,
          secret: 'test-secret-that-is-long-enough-0123456789',
          logger: pino({ level: 'silent' }),
          smtpUrl: sink.url,
          oidcClientsFile: clients,
          limits: RELAXED_IP_LIMITS,
        }),
      ),
    );
    [a, b] = servers.map((server, i) => {
      const latchkey = latchkeys[i]!;
      server.removeAllListeners('request');
      server.on('request', getRequestListener((request, env) => latchkey.app.fetch(request, env)));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, store: stores[i]!, latchkey };
    }) as [Instance, Instance];
  });

  after(async () => {
    for (const instance of [a, b]) {
      if (!instance) continue;
      instance.server.closeAllConnections();
      await new Promise<void>((resolve) => instance.server.close(() => resolve()));
      await instance.latchkey.close();
      await instance.store.close();
    }
    await sink?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
  });

  /** The relying party's view, its every request sent to `instance` (the issuer's URLs rewritten to it). */
  async function relyingPartyOn(instance: Instance, client: { client_id: string; client_secret?: string }): Promise<oidc.Configuration> {
    const send: oidc.CustomFetch = (url, options) => fetch(url.replace(issuer, instance.url), options as RequestInit);
    const auth = client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None();
    const config = await oidc.discovery(new URL(issuer), client.client_id, undefined, auth, { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: send });
    config[oidc.customFetch] = send;
    return config;
  }

  /** A person signs in through the app on instance A (the sign-in, the interaction and the code all there). */
  function signInOnA(client: RegisteredClient, email: string, extra: Record<string, string> = {}) {
    const parts = { sink, store: a.store, server: { url: a.url, client: () => new Client(a.url) } } as unknown as HttpSuiteParts;
    return signInThroughApp(parts, client, email, extra);
  }

  it('both serve the same JWKS, with one key although they started together', async () => {
    const [jwksA, jwksB] = await Promise.all([a, b].map(async (instance) => (await fetch(`${instance.url}/oidc/jwks`)).json() as Promise<{ keys: Array<{ kid: string }> }>));
    assert.equal(jwksA!.keys.length, 1);
    assert.deepEqual(jwksB, jwksA);
    const discoveryB = (await (await fetch(`${b.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    assert.equal(discoveryB.issuer, issuer, 'B names the one issuer, not its own address');
    assert.equal(discoveryB.jwks_uri, `${issuer}/oidc/jwks`);
  });

  it('a code issued on A is redeemed on B, once: the id_token B signs verifies with the JWKS of A; replayed on A it is refused', async () => {
    const email = uniqueEmail('two-code');
    const { request, callback } = await signInOnA(CONFIDENTIAL, email);
    const onB = await relyingPartyOn(b, CONFIDENTIAL);
    const checks = { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state, idTokenExpected: true };
    const tokens = await oidc.authorizationCodeGrant(onB, callback, checks);
    assert.equal(tokens.claims()!.email, email);
    // Signed on B, verified with the key A publishes.
    const [header, payload, signature] = tokens.id_token!.split('.') as [string, string, string];
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const jwksA = (await (await fetch(`${a.url}/oidc/jwks`)).json()) as { keys: Array<{ kid: string }> };
    const key = createPublicKey({ key: jwksA.keys.find((k) => k.kid === kid)!, format: 'jwk' });
    assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')));
    // The access token B issued works on A.
    const onA = await relyingPartyOn(a, CONFIDENTIAL);
    assert.equal((await oidc.fetchUserInfo(onA, tokens.access_token, tokens.claims()!.sub)).email, email);
    // The same code again, on A: refused, and what B issued for it is revoked on both.
    await assert.rejects(oidc.authorizationCodeGrant(onA, callback, checks), (error: { error?: string }) => error.error === 'invalid_grant');
    for (const config of [onA, onB]) await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
  });

  it('a refresh token rotated on A is refused on B, and its whole family with it', async () => {
    const { request, callback } = await signInOnA(PUBLIC, uniqueEmail('two-refresh'), { scope: 'openid email offline_access', prompt: 'consent' });
    const onA = await relyingPartyOn(a, PUBLIC);
    const onB = await relyingPartyOn(b, PUBLIC);
    const tokens = await oidc.authorizationCodeGrant(onB, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    assert.ok(tokens.refresh_token, 'offline_access: a refresh token');
    const rotated = await oidc.refreshTokenGrant(onA, tokens.refresh_token);
    assert.ok(rotated.refresh_token && rotated.refresh_token !== tokens.refresh_token, 'rotated on A');
    await assert.rejects(oidc.refreshTokenGrant(onB, tokens.refresh_token), (error: { error?: string }) => error.error === 'invalid_grant', 'the old one on B');
    await assert.rejects(oidc.refreshTokenGrant(onB, rotated.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant', 'the family is revoked: the new one too');
    await assert.rejects(oidc.refreshTokenGrant(onA, rotated.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant', 'on A as well');
  });

  it('an authorization started on A finishes on B (the interaction and the provider session are in the database)', async () => {
    const email = uniqueEmail('two-interaction');
    const onA = await relyingPartyOn(a, CONFIDENTIAL);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(onA, {
      redirect_uri: CONFIDENTIAL.redirect_uris[0]!,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'two-state',
      nonce: 'two-nonce',
    });
    const browserA = new Client(a.url);
    const started = await browserA.request(url.pathname + url.search);
    const interaction = started.headers.get('location');
    assert.ok(interaction?.startsWith('/oidc/interaction/'), `to the interaction: ${interaction}`);
    // The load balancer sends the rest of this browser's requests to B.
    const browserB = new Client(b.url);
    for (const [name, value] of browserA.cookies) browserB.cookies.set(name, value);
    const asked = await browserB.request('/auth/sign-in/email', { method: 'POST', json: { email, redirectTo: interaction } });
    assert.equal(asked.status, 202);
    const token = tokenFrom((await sink.waitFor((m) => m.to === email)).text);
    // The browser's one origin is the issuer's, whichever server answers.
    assert.equal((await browserB.request('/auth/verify', { method: 'POST', form: { token }, headers: { origin: issuer } })).status, 303);
    const finished = await browserB.request(interaction!);
    const resume = finished.headers.get('location');
    assert.ok(resume?.startsWith(`${issuer}/oidc/auth/`), `resumed: ${finished.status} ${resume}`);
    const back = await browserB.request(new URL(resume!).pathname);
    const callback = new URL(back.headers.get('location')!);
    assert.ok(callback.href.startsWith(CONFIDENTIAL.redirect_uris[0]!), `back to the app: ${callback.href}`);
    const tokens = await oidc.authorizationCodeGrant(onA, callback, { pkceCodeVerifier: verifier, expectedNonce: 'two-nonce', expectedState: 'two-state' });
    assert.equal(tokens.claims()!.email, email);
  });
});

function listen(): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(503).end());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
