// An operator registers an app at run time (issue #15): the admin API makes
// its secret and shows it once, stores it sealed, and the provider serves the
// app at once; removing it ends its tokens. File clients cannot be changed here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openStore } from '../../src/store/open.ts';
import { startTestServer } from '../support/server.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import * as oidc from 'openid-client';
import { useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { sqliteBackend } from '../support/stores.ts';
import { clientsFile, CONFIDENTIAL, signInThroughApp } from './harness.ts';

const ADMIN = 'admin-token-0123456789-0123456789-0123456789';

describe('OpenID Connect clients in the admin API', () => {
  let parts!: HttpSuiteParts;
  useHttpServer(sqliteBackend, { oidcClientsFile: clientsFile(), adminToken: ADMIN }, (ready) => (parts = ready));
  const admin = (path: string, init: RequestInit = {}, token = ADMIN) =>
    fetch(`${parts.server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  it('registers an app (secret shown once, stored sealed), serves it at once, and removing it ends its tokens', async () => {
    const created = await admin('/admin/clients', {
      method: 'POST',
      body: JSON.stringify({ client_name: 'Notes', redirect_uris: ['https://notes.example.com/cb'], first_party: true }),
    });
    assert.equal(created.status, 201);
    const { client, clientSecret } = (await created.json()) as { client: { clientId: string; source: string }; clientSecret: string };
    assert.equal(client.source, 'store');
    assert.ok(clientSecret.length >= 43, '256 random bits');
    const stored = await parts.store.findOidcClient(client.clientId);
    assert.ok(stored?.secretSealed && !stored.secretSealed.includes(clientSecret) && !stored.metadata.includes(clientSecret), 'sealed, not in the metadata');

    const listed = await (await admin('/admin/clients')).text();
    assert.equal(listed.includes(clientSecret), false, 'never listed');
    assert.equal(listed.includes(CONFIDENTIAL.client_secret), false, "not the file clients' either");
    const ids = (JSON.parse(listed) as { clients: Array<{ clientId: string; source: string }> }).clients.map((c) => `${c.source}:${c.clientId}`);
    assert.ok(ids.includes(`store:${client.clientId}`) && ids.includes('file:wiki'));

    const app = { client_id: client.clientId, client_secret: clientSecret, redirect_uris: ['https://notes.example.com/cb'] };
    const email = `notes.${Date.now()}@example.com`;
    const { config, request, callback } = await signInThroughApp(parts, app, email);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    assert.equal(tokens.claims()!.email, email);

    assert.equal((await admin(`/admin/clients/${client.clientId}`, { method: 'DELETE' })).status, 204);
    assert.equal((await admin(`/admin/clients/${client.clientId}`, { method: 'DELETE' })).status, 404);
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck), 'its tokens are gone with it');
    const types = (await parts.store.listAudit({})).filter((e) => e.type.startsWith('oidc.client_')).map((e) => `${e.type}:${e.reason}`);
    assert.deepEqual(types.sort(), ['oidc.client_added:admin_api', 'oidc.client_removed:admin_api']);
  });

  it('a public app gets no secret; mistakes are named by field; taken ids and file clients are refused', async () => {
    const pub = await admin('/admin/clients', {
      method: 'POST',
      body: JSON.stringify({ client_id: 'desktop', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(pub.status, 201);
    assert.equal(((await pub.json()) as { clientSecret: string | null }).clientSecret, null);
    const again = await admin('/admin/clients', { method: 'POST', body: JSON.stringify({ client_id: 'desktop', redirect_uris: ['http://127.0.0.1/cb'] }) });
    assert.equal(again.status, 409);
    const file = await admin('/admin/clients', { method: 'POST', body: JSON.stringify({ client_id: 'wiki', redirect_uris: ['https://x.example/cb'] }) });
    assert.equal(file.status, 409);
    assert.equal((await admin('/admin/clients/wiki', { method: 'DELETE' })).status, 404, 'a file client is changed in the file');

    const bad = await admin('/admin/clients', { method: 'POST', body: JSON.stringify({ redirect_uris: ['http://notes.example.com/cb'], client_secret: 'mine' }) });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /client_secret: Latchkey makes the secret/);
    const worse = await admin('/admin/clients', { method: 'POST', body: JSON.stringify({ redirect_uris: ['http://notes.example.com/cb'] }) });
    assert.match(JSON.stringify(await worse.json()), /redirect_uris\[0\]: must be https/);
  });

  it('without the admin token nothing is listed or registered', async () => {
    assert.equal((await admin('/admin/clients', {}, 'wrong-token-0123456789-0123456789-012345')).status, 401);
    const post = await admin('/admin/clients', { method: 'POST', body: JSON.stringify({ redirect_uris: ['https://x.example/cb'] }) }, 'nope');
    assert.equal(post.status, 401);
  });
});

describe('latchkey clients (CLI)', () => {
  const run = promisify(execFile);
  const root = join(import.meta.dirname, '../..');
  const secret = 'test-secret-that-is-long-enough-0123456789';
  const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-clients-')), 'lk.db')}`;
  const file = clientsFile();
  let parts!: HttpSuiteParts;
  before(async () => {
    const sink = await startSmtpSink();
    const store = await openStore(databaseUrl);
    await store.migrate();
    const server = await startTestServer({ store, smtpUrl: sink.url, oidcClientsFile: file, secret });
    parts = { sink, store, server };
  });
  after(async () => {
    await parts.server.close();
    await parts.store.close();
    await parts.sink.close();
  });
  const env = { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl, LATCHKEY_SECRET: secret, LATCHKEY_OIDC_CLIENTS: file, NODE_ENV: 'development' };
  const cli = async (...args: string[]) => (await run(process.execPath, ['src/cli/main.ts', 'clients', ...args], { cwd: root, env })).stdout;

  it('adds an app with one command (secret printed once), lists it without the secret, removes it', async () => {
    const added = await cli('add', '--name', 'Grafana', '--redirect-uri', 'https://grafana.example.com/login/generic_oauth', '--first-party', '--json');
    const { client, clientSecret } = JSON.parse(added) as { client: { clientId: string }; clientSecret: string };
    assert.ok(clientSecret.length >= 43);
    const app = { client_id: client.clientId, client_secret: clientSecret, redirect_uris: ['https://grafana.example.com/login/generic_oauth'] };
    const email = `grafana.${Date.now()}@example.com`;
    const { config, request, callback } = await signInThroughApp(parts, app, email);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    assert.equal(tokens.claims()!.email, email, 'the server serves the app the CLI added');

    const listed = await cli('list');
    assert.match(listed, new RegExp(`${client.clientId}  "Grafana"  confidential, first party  \\(store\\)`));
    assert.match(listed, /wiki  "Team wiki"  confidential, first party  \(file\)/);
    assert.equal(listed.includes(clientSecret), false);
    assert.match(await cli('remove', client.clientId), /removed/);
    await assert.rejects(cli('remove', client.clientId), /no client/);
    await assert.rejects(cli('add', '--redirect-uri', 'http://grafana.example.com/cb'), /redirect_uris\[0\]: must be https/);
  });
});
