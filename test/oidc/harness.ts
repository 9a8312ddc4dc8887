// A relying party's view of Latchkey as an OpenID Connect provider (issue #15):
// a real Latchkey over HTTP with a clients file, a real SMTP sink for the
// sign-in mail, a browser-like client that follows the provider's redirects,
// and openid-client (v6) as the relying party.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { tokenFrom, type Client } from '../support/http-client.ts';
import type { HttpSuiteParts } from '../support/http-suite.ts';

export const CONFIDENTIAL = {
  client_id: 'wiki',
  client_secret: 'wiki-secret-0123456789-0123456789-0123456789',
  redirect_uris: ['https://wiki.example.com/oidc/callback'],
  post_logout_redirect_uris: ['https://wiki.example.com/signed-out'],
  client_name: 'Team wiki',
  first_party: true,
};

export const PUBLIC = {
  client_id: 'cli',
  redirect_uris: ['http://127.0.0.1/callback'],
  client_name: 'Command line',
  first_party: true,
};

/** A browser app: public, its origin allowed CORS on the token and userinfo endpoints. */
export const PUBLIC_WEB = {
  client_id: 'spa',
  redirect_uris: ['https://spa.example.com/callback'],
  first_party: true,
};

/** A confidential client the brute-force case guesses the secret of (its delay would slow the others). */
export const GUESSED = {
  client_id: 'guessed',
  client_secret: 'guessed-secret-0123456789-0123456789-012345',
  redirect_uris: ['https://guessed.example.com/cb'],
  first_party: true,
};

export const THIRD_PARTY = {
  client_id: 'stranger',
  client_secret: 'stranger-secret-0123456789-0123456789-01234',
  redirect_uris: ['https://stranger.example.net/cb'],
};

/** A clients file in a fresh directory: its path, for LATCHKEY_OIDC_CLIENTS. */
export function clientsFile(clients: unknown[] = [CONFIDENTIAL, PUBLIC, PUBLIC_WEB, GUESSED, THIRD_PARTY]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'latchkey-oidc-')), 'clients.json');
  writeFileSync(path, JSON.stringify(clients));
  return path;
}

/** openid-client's view of a registered client: discovery from the issuer (http in tests). */
export async function relyingParty(issuer: string, client: { client_id: string; client_secret?: string }): Promise<oidc.Configuration> {
  const auth = client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None();
  return oidc.discovery(new URL(issuer), client.client_id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extra,
  });
  return { url, verifier, nonce, state };
}

/** Follows same-origin redirects until one leaves the server (to the client) or a page answers. Returns every hop. */
export async function follow(browser: Client, start: string, max = 10): Promise<{ final: Response; at: string; location: string | null; hops: string[] }> {
  const hops: string[] = [];
  let url = new URL(start, browser.baseUrl);
  for (let i = 0; i < max; i += 1) {
    hops.push(url.pathname);
    const response = await browser.request(url.pathname + url.search);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { final: response, at: url.pathname + url.search, location: null, hops };
    const next = new URL(location, url);
    if (next.origin !== new URL(browser.baseUrl).origin) return { final: response, at: url.pathname + url.search, location: next.href, hops };
    await response.arrayBuffer();
    url = next;
  }
  throw new Error(`more than ${max} redirects: ${hops.join(' → ')}`);
}

/**
 * The person signs in with an emailed link from Latchkey's sign-in page that the
 * authorization sent the browser to, then goes back where the page would send them.
 */
export async function signInByLink(parts: HttpSuiteParts, browser: Client, signInPage: string, email: string): Promise<string> {
  const page = new URL(signInPage, browser.baseUrl);
  assert.equal(page.pathname, '/auth/sign-in');
  const redirectTo = page.searchParams.get('redirectTo');
  assert.ok(redirectTo?.startsWith('/oidc/interaction/'), `the sign-in page returns to the interaction (${redirectTo})`);
  // A link mailed for this request: not one of an earlier sign-in of the same address.
  const earlier = new Set(parts.sink.messages);
  const asked = await browser.request('/auth/sign-in/email', { method: 'POST', json: { email, redirectTo } });
  assert.equal(asked.status, 202);
  const message = await parts.sink.waitFor((m) => m.to === email && !earlier.has(m));
  const verified = await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(message.text) } });
  assert.equal(verified.status, 303);
  assert.equal(verified.headers.get('location'), redirectTo, 'the sign-in sends the browser back to the interaction');
  return redirectTo!;
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

/** A person not signed in authorizes `client`: Latchkey's sign-in by link, back to the authorization, a code for the client. */
export async function signInThroughApp(parts: HttpSuiteParts, client: RegisteredClient, email: string, extra: Record<string, string> = {}) {
  const config = await relyingParty(parts.server.url, client);
  const browser = parts.server.client();
  const request = await authorizationRequest(config, client.redirect_uris[0]!, extra);
  const first = await follow(browser, request.url.href);
  assert.equal(first.location, null);
  assert.equal(first.final.status, 200);
  assert.match(await first.final.text(), /<form/, 'not signed in: the sign-in page');
  const interaction = await signInByLink(parts, browser, first.at, email);
  const back = await follow(browser, interaction);
  assert.ok(back.location?.startsWith(client.redirect_uris[0]!), `the browser goes back to the client (${back.location})`);
  return { config, browser, request, callback: new URL(back.location!) };
}
