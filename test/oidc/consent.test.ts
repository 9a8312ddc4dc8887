// Consent for third-party apps and "Apps with access" (issue #15 item 5), as the
// person, the third-party app (openid-client) and an attacker see them, over
// real HTTP on every store backend.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { Client } from '../support/http-client.ts';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { BACKENDS } from '../support/stores.ts';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, relyingParty, signInThroughApp, type AuthorizationRequest } from './harness.ts';

const PARTNER = {
  client_id: 'partner',
  client_secret: 'partner-secret-0123456789-0123456789-012345',
  redirect_uris: ['https://partner.example.net/cb'],
  client_name: 'Partner board',
};

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

for (const backend of BACKENDS) {
  describe(`OpenID Connect consent (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    useHttpServer(backend, { oidcClientsFile: clientsFile([CONFIDENTIAL, PARTNER]) }, (ready) => (parts = ready));

    /** A person signed in to Latchkey (through the first-party wiki), then sent to the partner app's authorization. */
    async function askPartner(browser: Client, extra: Record<string, string> = {}) {
      const config = await relyingParty(parts.server.url, PARTNER);
      const request = await authorizationRequest(config, PARTNER.redirect_uris[0]!, extra);
      return { config, request, hop: await follow(browser, request.url.href) };
    }

    async function consentPage(hop: Awaited<ReturnType<typeof follow>>) {
      assert.equal(hop.location, null, `no redirect to the app before consent: ${hop.hops.join(' → ')}`);
      assert.equal(hop.final.status, 200);
      assert.match(hop.at, /^\/oidc\/interaction\/[^/]+$/);
      return { path: hop.at, html: await hop.final.text(), csp: hop.final.headers.get('content-security-policy') ?? '' };
    }

    async function redeem(config: oidc.Configuration, request: AuthorizationRequest, location: string) {
      return oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    }

    it('a third-party app gets no code until the person allows it; then it is remembered, on another device too', async () => {
      const email = uniqueEmail('consent');
      const { browser } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const { config, request, hop } = await askPartner(browser);
      const page = await consentPage(hop);
      assert.match(page.html, /Allow Partner board\?/);
      assert.ok(page.html.replace(/<[^>]+>/g, '').includes(email), 'names the account');
      assert.match(page.html, /data-scope="email"/);
      assert.doesNotMatch(page.html, /data-scope="offline_access"/, 'no offline access asked');
      assert.match(page.csp, /default-src 'none'/);
      assert.match(page.csp, /frame-ancestors 'none'/);

      // A cross-site or token-less post of "allow" is refused, and still no code.
      const forged = await browser.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'allow' }, csrf: false });
      assert.equal(forged.status, 403);
      const crossSite = await browser.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'allow' }, headers: { origin: 'https://partner.example.net' } });
      assert.equal(crossSite.status, 403);

      const allowed = await browser.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'allow' } });
      assert.equal(allowed.status, 303);
      const back = await follow(browser, allowed.headers.get('location')!);
      assert.ok(back.location?.startsWith(PARTNER.redirect_uris[0]!), `a code for the app: ${back.location}`);
      const tokens = await redeem(config, request, back.location!);
      const user = await parts.store.findUserByEmail(email);
      assert.equal(tokens.claims()!.sub, user!.id);
      assert.equal(tokens.claims()!.email, email);
      const [granted] = await parts.store.listAudit({ userId: user!.id, type: 'oidc.consent_granted' });
      assert.equal(granted?.reason, PARTNER.client_id);

      // Remembered: no page the next time, nor with a fresh provider session (as on another device:
      // the provider's own session remembers grants per browser, the account's grant is found in the store).
      const again = await askPartner(browser);
      assert.ok(again.hop.location?.startsWith(PARTNER.redirect_uris[0]!), `remembered: ${again.hop.hops.join(' → ')}`);
      for (const name of [...browser.cookies.keys()]) if (name.startsWith('latchkey_oidc_')) browser.cookies.delete(name);
      const elsewhere = await askPartner(browser);
      assert.ok(elsewhere.hop.location?.startsWith(PARTNER.redirect_uris[0]!), `remembered per account: ${elsewhere.hop.hops.join(' → ')}`);
      assert.equal((await redeem(elsewhere.config, elsewhere.request, elsewhere.hop.location!)).claims()!.email, email);
    });

    it('Deny answers access_denied to the app, with its state and no code', async () => {
      const email = uniqueEmail('deny');
      const { browser } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const { request, hop } = await askPartner(browser);
      const page = await consentPage(hop);
      const denied = await browser.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'deny' } });
      assert.equal(denied.status, 303);
      const back = await follow(browser, denied.headers.get('location')!);
      const answer = new URL(back.location!);
      assert.equal(`${answer.origin}${answer.pathname}`, PARTNER.redirect_uris[0]);
      assert.equal(answer.searchParams.get('error'), 'access_denied');
      assert.equal(answer.searchParams.get('state'), request.state);
      assert.equal(answer.searchParams.get('code'), null);
      const user = await parts.store.findUserByEmail(email);
      assert.equal((await parts.store.listAudit({ userId: user!.id, type: 'oidc.consent_denied' }))[0]?.reason, PARTNER.client_id);
      // Nothing remembered: the next authorization asks again.
      await consentPage((await askPartner(browser)).hop);
    });

    it('attack: the consent page of one browser cannot be answered from another signed-in browser', async () => {
      const { browser } = await signInThroughApp(parts, CONFIDENTIAL, uniqueEmail('victim'));
      const page = await consentPage((await askPartner(browser)).hop);
      const { browser: attacker } = await signInThroughApp(parts, CONFIDENTIAL, uniqueEmail('attacker'));
      const answer = await attacker.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'allow' } });
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('location'), null);
    });

    it('Apps with access: listed with what they see; revoking kills the refresh token and the next authorization asks again', async () => {
      const email = uniqueEmail('revoke');
      const { browser } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const { config, request, hop } = await askPartner(browser, { scope: 'openid email offline_access', prompt: 'consent' });
      const page = await consentPage(hop);
      assert.match(page.html, /data-scope="offline_access"/, 'stay signed in is named');
      const allowed = await browser.request(`${page.path}/consent`, { method: 'POST', form: { decision: 'allow' } });
      const tokens = await redeem(config, request, (await follow(browser, allowed.headers.get('location')!)).location!);
      assert.ok(tokens.refresh_token);

      const listed = (await (await browser.request('/auth/apps')).json()) as { apps: Array<{ clientId: string; name: string; scopes: string[]; grantedAt: string }> };
      const partner = listed.apps.find((app) => app.clientId === PARTNER.client_id);
      assert.ok(partner, JSON.stringify(listed));
      assert.equal(partner.name, 'Partner board');
      assert.deepEqual([...partner.scopes].sort(), ['email', 'offline_access', 'openid']);
      assert.ok(Date.parse(partner.grantedAt) > 0);
      assert.ok(listed.apps.some((app) => app.clientId === CONFIDENTIAL.client_id), 'the first-party app the person signed in to is listed too');
      const account = await (await browser.request('/auth/account')).text();
      assert.match(account, /Apps with access/);
      assert.match(account, /data-client-id="partner"/);
      assert.ok(account.includes('/auth/apps/partner/revoke'));

      const revoked = await browser.request('/auth/apps/partner/revoke', { method: 'POST', form: {} });
      assert.equal(revoked.status, 303);
      assert.equal(revoked.headers.get('location'), '/auth/account');
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant');
      await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck), 'the access token is dead too');
      const user = await parts.store.findUserByEmail(email);
      assert.equal((await parts.store.listAudit({ userId: user!.id, type: 'oidc.access_revoked' }))[0]?.reason, PARTNER.client_id);
      assert.ok(!((await (await browser.request('/auth/apps')).json()) as { apps: Array<{ clientId: string }> }).apps.some((a) => a.clientId === 'partner'));
      await consentPage((await askPartner(browser)).hop);
      // The JSON API: nothing left to revoke for partner; the first-party app can be revoked by DELETE.
      assert.equal((await browser.request('/auth/apps/partner', { method: 'DELETE' })).status, 404);
      assert.equal((await browser.request(`/auth/apps/${CONFIDENTIAL.client_id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await parts.server.client().request('/auth/apps')).status, 401, 'no session: 401');
    });
  });
}
