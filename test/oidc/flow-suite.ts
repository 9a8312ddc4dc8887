// Sign in to an app with Latchkey (issue #15), as a relying party and an
// attacker see it, over real HTTP with openid-client as the relying party.
// Run on every store backend (flow-sqlite.test.ts, flow-postgres.test.ts).

import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createLatchkey } from '../../src/latchkey.ts';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import type { Backend } from '../support/stores.ts';
import {
  authorizationRequest,
  clientsFile,
  CONFIDENTIAL,
  follow,
  GUESSED,
  PUBLIC,
  PUBLIC_WEB,
  relyingParty,
  signInByLink,
  signInThroughApp as signInThroughAppWith,
  THIRD_PARTY,
  type RegisteredClient,
} from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

export function runOidcFlowSuite(backend: Backend): void {
  describe(`OpenID Connect provider (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    const clients = clientsFile();
    useHttpServer(backend, { oidcClientsFile: clients }, (ready) => (parts = ready));
    const issuer = () => parts.server.url;

    const signInThroughApp = (client: RegisteredClient, email: string, extra: Record<string, string> = {}) => signInThroughAppWith(parts, client, email, extra);

    it('discovery: the issuer is the base URL exactly, and only the code flow is advertised', async () => {
      const response = await fetch(`${issuer()}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.ok(response.headers.get('x-request-id'));
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, issuer());
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
      assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.equal(metadata.token_endpoint, `${issuer()}/oidc/token`);
      assert.equal(metadata.end_session_endpoint, `${issuer()}/oidc/session/end`);
      assert.equal(metadata.revocation_endpoint, `${issuer()}/oidc/token/revocation`);
      assert.equal(metadata.introspection_endpoint, `${issuer()}/oidc/token/introspection`);
      const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0]!.alg, 'RS256');
      assert.equal(jwks.keys[0]!.d, undefined, 'the JWKS holds no private part');
    });

    it('attack: a forged Host header does not change the issuer or the endpoints; an oversized body is refused', async () => {
      const { request } = await import('node:http');
      const url = new URL(`${issuer()}/.well-known/openid-configuration`);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(body.includes('evil.example'), false);
      assert.equal((JSON.parse(body) as { issuer: string }).issuer, issuer());
      const huge = await fetch(`${issuer()}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=authorization_code&code=${'a'.repeat(100_000)}`,
      });
      assert.equal(huge.status, 400);
    });

    it('a confidential client: sign-in by link, code, tokens, id_token validated, userinfo', async () => {
      const email = uniqueEmail('wiki');
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, email);
      assert.equal(callback.searchParams.get('iss'), issuer(), 'RFC 9207 iss in the response');
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const user = await parts.store.findUserByEmail(email);
      assert.equal(claims.sub, user!.id, 'sub is the stable user id, not the address');
      assert.equal(claims.aud, CONFIDENTIAL.client_id);
      assert.equal(claims.iss, issuer());
      assert.equal(claims.email, email);
      assert.equal(claims.email_verified, true);
      assert.equal(typeof claims.auth_time, 'number');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.email, email);
      const metrics = await (await fetch(`${issuer()}/metrics`)).text();
      assert.match(metrics, /latchkey_oidc_requests_total\{endpoint="token",client="wiki",outcome="success"\} [1-9]/);
      assert.match(metrics, /latchkey_oidc_requests_total\{endpoint="authorization",client="wiki",outcome="success"\} [1-9]/);
      // The audit trail names the client and the request, never the code or a token.
      for (const type of ['oidc.authorized', 'oidc.token_issued'] as const) {
        const [event] = await parts.store.listAudit({ userId: user!.id, type });
        assert.equal(event?.reason, CONFIDENTIAL.client_id, type);
        assert.ok(event?.requestId, `${type} has its request ID`);
      }
      // The signature, checked against the published JWKS (RS256) by hand.
      const [header, payload, signature] = tokens.id_token!.split('.') as [string, string, string];
      const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string; alg: string };
      assert.equal(alg, 'RS256');
      const jwks = (await (await fetch(`${issuer()}/oidc/jwks`)).json()) as { keys: Array<{ kid: string }> };
      const key = createPublicKey({ key: jwks.keys.find((k) => k.kid === kid)!, format: 'jwk' });
      assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')));
    });

    it('library mode without Node request objects: the provider endpoints answer not_found', async () => {
      const response = await parts.server.latchkey.fetch(new Request(`${issuer()}/.well-known/openid-configuration`));
      assert.equal(response.status, 404);
    });

    it('a public client with PKCE: the code is redeemed without a secret', async () => {
      const email = uniqueEmail('cli');
      const { config, request, callback } = await signInThroughApp(PUBLIC, email);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      assert.equal(tokens.claims()!.email, email);
    });

    it('single sign-on: a second authorization, for another client too, needs no sign-in page', async () => {
      const email = uniqueEmail('sso');
      const { browser } = await signInThroughApp(CONFIDENTIAL, email);
      const again = await authorizationRequest(await relyingParty(issuer(), CONFIDENTIAL), CONFIDENTIAL.redirect_uris[0]!);
      const first = await follow(browser, again.url.href);
      assert.ok(first.location?.startsWith(CONFIDENTIAL.redirect_uris[0]!));
      assert.ok(!first.hops.includes('/auth/sign-in'), `no sign-in page: ${first.hops.join(' → ')}`);
      const cli = await relyingParty(issuer(), PUBLIC);
      const other = await authorizationRequest(cli, PUBLIC.redirect_uris[0]!);
      const second = await follow(browser, other.url.href);
      assert.ok(!second.hops.includes('/auth/sign-in'), `no sign-in page: ${second.hops.join(' → ')}`);
      const tokens = await oidc.authorizationCodeGrant(cli, new URL(second.location!), {
        pkceCodeVerifier: other.verifier,
        expectedNonce: other.nonce,
        expectedState: other.state,
      });
      assert.equal(tokens.claims()!.email, email);
    });

    it('signing out of Latchkey ends single sign-on: the next authorization asks to sign in', async () => {
      const { browser, config } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('out'));
      assert.equal((await browser.request('/auth/sign-out', { method: 'POST', form: {} })).status, 303);
      const again = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      const hop = await follow(browser, again.url.href);
      assert.equal(hop.location, null);
      assert.ok(hop.at.startsWith('/auth/sign-in?'), `sent to sign in: ${hop.at}`);
    });

    it('prompt=login asks a signed-in person to sign in again; prompt=none without a session answers login_required', async () => {
      const { browser, config } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('prompt'));
      const login = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!, { prompt: 'login' });
      const hop = await follow(browser, login.url.href);
      assert.equal(hop.final.status, 200);
      assert.ok(hop.at.startsWith('/auth/sign-in?') && hop.at.includes('prompt=login'), `the sign-in page shows: ${hop.at}`);

      const stranger = parts.server.client();
      const silent = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!, { prompt: 'none' });
      const answer = await follow(stranger, silent.url.href);
      const back = new URL(answer.location!);
      assert.equal(back.searchParams.get('error'), 'login_required');
      assert.equal(back.searchParams.get('state'), silent.state);
      assert.equal(back.searchParams.get('code'), null);
    });

    it('attack: an unregistered or look-alike redirect_uri gets an error page, never a redirect', async () => {
      const config = await relyingParty(issuer(), CONFIDENTIAL);
      for (const evil of ['https://evil.example/cb', 'https://wiki.example.com/oidc/callback/../evil', 'https://wiki.example.com.evil.example/oidc/callback', 'https://wiki.example.com/oidc/callback?x=1']) {
        const request = await authorizationRequest(config, evil);
        const response = await parts.server.client().request(request.url.pathname + request.url.search);
        assert.equal(response.status, 400, evil);
        assert.equal(response.headers.get('location'), null, evil);
        assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/, "Latchkey's page, under its CSP");
        const page = await response.text();
        assert.match(page, /data-error-code="oidc_request_invalid"/);
        assert.match(page, /<code>invalid_redirect_uri<\/code>/);
        assert.equal(page.includes('evil'), false, 'no request text echoed');
      }
    });

    it('attack: a public client without PKCE, or with plain, gets no code', async () => {
      const config = await relyingParty(issuer(), PUBLIC);
      const base = { client_id: PUBLIC.client_id, response_type: 'code', scope: 'openid', redirect_uri: PUBLIC.redirect_uris[0]!, state: 's1', nonce: 'n1' };
      for (const params of [base, { ...base, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }]) {
        const url = new URL(config.serverMetadata().authorization_endpoint!);
        url.search = new URLSearchParams(params).toString();
        const answer = await follow(parts.server.client(), url.href);
        const back = new URL(answer.location!);
        assert.equal(back.searchParams.get('error'), 'invalid_request', JSON.stringify(params));
        assert.equal(back.searchParams.get('code'), null);
      }
    });

    it('attack: a code redeemed twice is refused, and what it issued is revoked; another client cannot redeem it', async () => {
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('replay'));
      const stolen = new URL(callback);
      const thief = await relyingParty(issuer(), THIRD_PARTY);
      await assert.rejects(
        oidc.authorizationCodeGrant(thief, new URL(stolen.href.replace(CONFIDENTIAL.redirect_uris[0]!, THIRD_PARTY.redirect_uris[0]!)), {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
        }),
        (error: { error?: string }) => error.error === 'invalid_grant',
      );
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      await assert.rejects(
        oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state }),
        (error: { error?: string }) => error.error === 'invalid_grant',
      );
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck), 'the access token of a replayed code is revoked');
    });

    it("a disabled account's access token is dead at once: userinfo refuses it", async () => {
      const email = uniqueEmail('disabled');
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, email);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      const user = await parts.store.findUserByEmail(email);
      await parts.store.setUserDisabled(user!.id, Date.now(), Date.now(), []);
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, user!.id));
    });

    it('offline_access: a refresh token, rotated on use for a public client; the rotated one used again revokes the family', async () => {
      const { config, request, callback } = await signInThroughApp(PUBLIC, uniqueEmail('refresh'), { scope: 'openid email offline_access', prompt: 'consent' });
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      assert.ok(tokens.refresh_token, 'a refresh token with offline_access');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated');
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (error: { error?: string }) => error.error === 'invalid_grant');
      await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant', 'the whole family is revoked');
    });

    it('without offline_access no refresh token is issued', async () => {
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('norefresh'));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      assert.equal(tokens.refresh_token, undefined);
    });

    it('two instances on one database act as one: a code issued by one is redeemed at the other, with the same keys', async () => {
      const { request, callback } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('cluster'));
      const other = await createLatchkey({
        store: parts.store,
        baseUrl: issuer(),
        secret: 'test-secret-that-is-long-enough-0123456789',
        smtpUrl: parts.sink.url,
        oidcClientsFile: clients,
        startWorker: false,
        logger: pino({ level: 'silent' }),
      });
      const server = serve({ fetch: other.app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      const otherUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        assert.deepEqual(await (await fetch(`${otherUrl}/oidc/jwks`)).json(), await (await fetch(`${issuer()}/oidc/jwks`)).json());
        const response = await fetch(`${otherUrl}/oidc/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${CONFIDENTIAL.client_id}:${CONFIDENTIAL.client_secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code')!,
            redirect_uri: CONFIDENTIAL.redirect_uris[0]!,
            code_verifier: request.verifier,
          }),
        });
        assert.equal(response.status, 200);
        const tokens = (await response.json()) as { access_token: string; id_token: string };
        assert.ok(tokens.id_token);
        const info = await fetch(`${issuer()}/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        assert.equal(info.status, 200, 'the token issued by one instance works at the other');
      } finally {
        await new Promise((resolve) => server.close(resolve));
        await other.close();
      }
    });

    it('CORS: the token endpoint answers a browser app only from its own origin; never for a confidential client', async () => {
      const token = (origin: string, clientId: string) =>
        fetch(`${issuer()}/oidc/token`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://spa.example.com/callback', client_id: clientId, code_verifier: 'v'.repeat(43) }),
        });
      const own = await token('https://spa.example.com', PUBLIC_WEB.client_id);
      assert.equal(own.headers.get('access-control-allow-origin'), 'https://spa.example.com');
      assert.equal(((await own.json()) as { error: string }).error, 'invalid_grant', 'the request itself was processed');
      const evil = await token('https://evil.example', PUBLIC_WEB.client_id);
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      assert.equal(((await evil.json()) as { error: string }).error, 'invalid_request');
      const confidential = await token('https://wiki.example.com', CONFIDENTIAL.client_id);
      assert.equal(confidential.headers.get('access-control-allow-origin'), null);
      const discovery = await fetch(`${issuer()}/.well-known/openid-configuration`, { headers: { origin: 'https://anyone.example' } });
      assert.equal(discovery.headers.get('access-control-allow-origin'), 'https://anyone.example', 'discovery is public');
    });

    it('attack: guessing a client secret puts the client in its delay; then even the right secret waits (429)', async () => {
      const token = (secret: string) =>
        fetch(`${issuer()}/oidc/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${GUESSED.client_id}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: GUESSED.redirect_uris[0]! }),
        });
      for (let i = 0; i < 20; i += 1) {
        const wrong = await token(`guess-${i}`);
        assert.equal(wrong.status, 401, `guess ${i}`);
        assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
      }
      const right = await token(GUESSED.client_secret);
      assert.equal(right.status, 429, 'the delay holds for every caller, the right secret too');
      const denied = await parts.store.listAudit({ type: 'policy.denied' });
      assert.ok(denied.some((e) => e.reason === 'client_delay'));
      assert.ok(denied.some((e) => e.reason === 'account_delay'), 'the delay started with the 20th failure');
    });

    it('introspection (RFC 7662): a confidential client sees its own live token; another client, a public one, or a disabled account: inactive', async () => {
      const email = uniqueEmail('introspect');
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, email, { scope: 'openid email offline_access', prompt: 'consent' });
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      const user = await parts.store.findUserByEmail(email);
      const own = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(own.active, true);
      assert.equal(own.sub, user!.id);
      assert.equal(own.client_id, CONFIDENTIAL.client_id);
      const other = await oidc.tokenIntrospection(await relyingParty(issuer(), THIRD_PARTY), tokens.access_token);
      assert.equal(other.active, false, "another client's token");
      const pub = await oidc.tokenIntrospection(await relyingParty(issuer(), PUBLIC), tokens.access_token);
      assert.equal(pub.active, false, 'a public client introspects nothing');
      await parts.store.setUserDisabled(user!.id, Date.now(), Date.now(), []);
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false, 'a disabled account: inactive at once');
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant', 'and its refresh token is refused');
    });

    it('revocation (RFC 7009): a revoked access token and a revoked refresh token stop working', async () => {
      const { config, request, callback } = await signInThroughApp(PUBLIC, uniqueEmail('revoke'), { scope: 'openid email offline_access', prompt: 'consent' });
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
      await oidc.tokenRevocation(config, tokens.access_token);
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck));
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant');
    });

    it('RP-initiated logout: a confirmation page, then the Latchkey session is over and the app gets its registered page with its state', async () => {
      const { config, browser, request, callback } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('logout'));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: CONFIDENTIAL.post_logout_redirect_uris[0]!, state: 'bye-1' });
      const page = await browser.request(end.pathname + end.search);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const body = await page.text();
      assert.match(body, /Team wiki asks to sign you out/);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(body)?.[1];
      assert.ok(xsrf);
      const confirmed = await browser.request('/oidc/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' }, csrf: false });
      assert.equal(confirmed.status, 303);
      // The cookie goes with the attributes it was set with (http/cookies.ts sessionClearingHeaders).
      assert.match(confirmed.headers.getSetCookie().find((line) => /^(__Host-)?latchkey_session=;/.test(line)) ?? '', /Max-Age=0; Path=\/; HttpOnly/);
      const back = new URL(confirmed.headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, CONFIDENTIAL.post_logout_redirect_uris[0]);
      assert.equal(back.searchParams.get('state'), 'bye-1');
      assert.equal((await browser.request('/auth/session')).status, 401, 'the Latchkey session is over');
      const again = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      assert.ok((await follow(browser, again.url.href)).at.startsWith('/auth/sign-in?'), 'the next authorization asks to sign in');
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck), 'the grant is revoked');
      const events = await parts.store.listAudit({ type: 'oidc.logout' });
      assert.ok(events.some((e) => e.reason === CONFIDENTIAL.client_id));
    });

    it('attack: an unregistered post_logout_redirect_uri gets an error page, never a redirect', async () => {
      const { config, browser, request, callback } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('logout-evil'));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/bye' });
      const page = await browser.request(end.pathname + end.search);
      assert.equal(page.status, 400);
      assert.equal(page.headers.get('location'), null);
      assert.equal((await browser.request('/auth/session')).status, 200, 'still signed in');
    });

    it('another person signing in to Latchkey in the same browser: the next authorization is theirs, not the previous account', async () => {
      const first = uniqueEmail('first');
      const second = uniqueEmail('second');
      const { config, browser } = await signInThroughApp(CONFIDENTIAL, first);
      assert.equal((await browser.request('/auth/sign-out', { method: 'POST', form: {} })).status, 303);
      const request = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      const hop = await follow(browser, request.url.href);
      const interaction = await signInByLink(parts, browser, hop.at, second);
      // Signing out of Latchkey ended the first account's provider session too: no provider logout page in between.
      const back = await follow(browser, interaction);
      assert.ok(back.location, `back to the app: ${back.hops.join(' → ')}`);
      assert.ok(!back.hops.includes('/oidc/session/end/confirm'));
      assert.equal((await browser.request('/auth/session')).status, 200, "the second person's Latchkey session stays");
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      assert.equal(tokens.claims()!.email, second);
      assert.equal(tokens.claims()!.sub, (await parts.store.findUserByEmail(second))!.id);
    });

    it('the interaction page in another browser (a forwarded link) finishes nothing: oidc_interaction_expired', async () => {
      const config = await relyingParty(issuer(), CONFIDENTIAL);
      const request = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      const started = await follow(parts.server.client(), request.url.href);
      const interaction = new URL(started.at, issuer()).searchParams.get('redirectTo')!;
      const { browser: someoneElse } = await signInThroughApp(CONFIDENTIAL, uniqueEmail('other-browser'));
      const page = await someoneElse.request(interaction, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 400);
      assert.equal(page.headers.get('location'), null);
      assert.match(await page.text(), /data-error-code="oidc_interaction_expired"/);
    });
  });
}
