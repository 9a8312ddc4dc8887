// The way back to the app after a form of ours (issue #15; found by the
// Chromium test of examples/oidc-app): browsers apply the page's CSP
// form-action to every redirect of a form's navigation, and the last redirect
// of an authorization or a logout goes to the app's origin. So, over HTTP:
// after a sign-in form (Sec-Fetch-Site: same-origin) the finished interaction
// answers a page of ours that continues by itself (meta refresh, no script);
// from the app (single sign-on) it still redirects; the consent form is
// followed by the same page; the logout page's form-action names that
// client's origins and no other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { tokenFrom } from '../support/http-client.ts';
import { useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { sqliteBackend } from '../support/stores.ts';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, PUBLIC, relyingParty, signInByLink, signInThroughApp, THIRD_PARTY } from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

describe('OpenID Connect: the way back to the app under the CSP', () => {
  let parts!: HttpSuiteParts;
  useHttpServer(sqliteBackend, { oidcClientsFile: clientsFile() }, (ready) => (parts = ready));

  it('after a sign-in form: a page of ours that continues to the authorization, not a redirect chain to the app', async () => {
    const config = await relyingParty(parts.server.url, CONFIDENTIAL);
    const browser = parts.server.client();
    const request = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
    const first = await follow(browser, request.url.href);
    const interaction = await signInByLink(parts, browser, first.at, uniqueEmail('continue'));
    // What the browser sends when the sign-in form's 303 brings it here.
    const page = await browser.request(interaction, { headers: { 'sec-fetch-site': 'same-origin', accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('location'), null);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/, "Latchkey's CSP");
    const body = await page.text();
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(body)?.[1];
    assert.ok(refresh?.startsWith(`${parts.server.url}/oidc/auth/`), `continues to the authorization: ${refresh}`);
    assert.ok(body.includes(`href="${refresh}"`), 'and a link, should the refresh not run');
    assert.doesNotMatch(body, /<script/);
    // The page's URL goes on to the app with a code that works.
    const back = await follow(browser, refresh!);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    assert.ok(tokens.access_token);
  });

  it('signed in to Latchkey, then the app asks (a cross-site navigation): straight redirects, no page in between', async () => {
    // Signed in on Latchkey's own pages, before any app: the provider has no session of its own yet.
    const browser = parts.server.client();
    const email = uniqueEmail('sso-redirect');
    assert.equal((await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
    const token = tokenFrom((await parts.sink.waitFor((m) => m.to === email)).text);
    assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token } })).status, 200);
    const config = await relyingParty(parts.server.url, PUBLIC);
    const request = await authorizationRequest(config, PUBLIC.redirect_uris[0]!);
    const started = await browser.request(request.url.pathname + request.url.search, { headers: { 'sec-fetch-site': 'cross-site' } });
    const interaction = started.headers.get('location')!;
    assert.match(interaction, /^\/oidc\/interaction\//);
    const finished = await browser.request(interaction, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(finished.status, 303);
    assert.ok(finished.headers.get('location')?.startsWith(`${parts.server.url}/oidc/auth/`));
  });

  it('the consent form of a third-party app: Deny, posted from the page, continues through a page of ours too', async () => {
    const { browser } = await signInThroughApp(parts, CONFIDENTIAL, uniqueEmail('consent-continue'));
    const config = await relyingParty(parts.server.url, THIRD_PARTY);
    const request = await authorizationRequest(config, THIRD_PARTY.redirect_uris[0]!);
    const hop = await follow(browser, request.url.href);
    assert.match(hop.at, /^\/oidc\/interaction\/[^/]+$/, 'the consent page');
    const denied = await browser.request(`${hop.at}/consent`, { method: 'POST', form: { decision: 'deny' }, headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(denied.status, 200);
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(await denied.text())?.[1];
    assert.ok(refresh?.startsWith(`${parts.server.url}/oidc/auth/`), `continues to the authorization: ${refresh}`);
    const back = await follow(browser, refresh!);
    assert.equal(new URL(back.location!).searchParams.get('error'), 'access_denied');
  });

  it("the logout page's form-action names the client's own origins, and no other client's", async () => {
    const { config, browser, request, callback } = await signInThroughApp(parts, CONFIDENTIAL, uniqueEmail('logout-csp'));
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: CONFIDENTIAL.post_logout_redirect_uris[0]! });
    const page = await browser.request(end.pathname + end.search);
    assert.equal(page.status, 200);
    const formAction = /form-action ([^;]+)/.exec(page.headers.get('content-security-policy') ?? '')?.[1]?.split(' ') ?? [];
    assert.deepEqual(formAction.sort(), ["'self'", 'https://wiki.example.com'].sort());
  });
});
