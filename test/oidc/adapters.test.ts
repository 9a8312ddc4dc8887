// The OpenID Connect provider through the Node adapters (issue #14 meets #15):
// mounted by toNodeHandler in plain node:http, and by latchkeyExpress behind a
// global express.urlencoded(), a relying party signs a person in end to end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import * as oidc from 'openid-client';
import { latchkeyExpress } from '../../src/adapters/express.ts';
import { toNodeHandler } from '../../src/adapters/node.ts';
import { startMounted, type MountedServer } from '../adapters/harness.ts';
import type { HttpSuiteParts } from '../support/http-suite.ts';
import { clientsFile, CONFIDENTIAL, signInThroughApp } from './harness.ts';

const partsOf = (mounted: MountedServer) =>
  ({ sink: mounted.sink, store: mounted.latchkey.store, server: { url: mounted.url, client: mounted.client, latchkey: mounted.latchkey } }) as unknown as HttpSuiteParts;

async function codeFlow(mounted: MountedServer, label: string) {
  const email = `${label}.${Date.now()}@example.com`;
  const { config, request, callback } = await signInThroughApp(partsOf(mounted), CONFIDENTIAL, email);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
  assert.equal(tokens.claims()!.email, email);
  assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).email, email);
}

describe('the OpenID Connect provider through the Node adapters', () => {
  it('node:http with a fallthrough: discovery, sign-in, code, tokens, userinfo', async () => {
    const mounted = await startMounted(
      async (latchkey) => {
        const handler = toNodeHandler(latchkey);
        return { listener: (req, res) => handler(req, res, () => res.writeHead(404).end('the app')) };
      },
      { oidcClientsFile: clientsFile() },
    );
    try {
      await codeFlow(mounted, 'node');
    } finally {
      await mounted.close();
    }
  });

  it('Express behind a global express.urlencoded(): the token endpoint still reads its form', async () => {
    const mounted = await startMounted(
      async (latchkey) => {
        const app = express();
        app.use(express.urlencoded());
        app.use(latchkeyExpress(latchkey));
        return { listener: app };
      },
      { oidcClientsFile: clientsFile() },
    );
    try {
      await codeFlow(mounted, 'express');
    } finally {
      await mounted.close();
    }
  });
});
