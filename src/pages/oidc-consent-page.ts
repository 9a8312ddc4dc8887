// The consent page of a third-party app (issue #15 item 5): which app asks,
// what it will see, Allow or Deny. Shown by the interaction of an authorization
// (http/routes/oidc-interaction.ts); the form posts to the interaction's consent
// route with this browser's CSRF token. Remembered: the next authorization of
// this app does not ask again; the account page lists it under "Apps with access".
import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { rich } from './text.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

export interface ConsentPageOptions {
  uid: string;
  appName: string;
  /** The signed-in account's address. */
  email: string;
  /** The app asked for the address (`email` scope). */
  shareEmail: boolean;
  /** The app asked to stay signed in while the person is away (`offline_access`). */
  offlineAccess: boolean;
}

export function oidcConsentPage(page: PageContext, options: ConsentPageOptions): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('oidcConsent.title', { app: options.appName }),
    body: html`<h1>${t('oidcConsent.title', { app: options.appName })}</h1>
<p>${rich(t, 'oidcConsent.signedInAs', { email: options.email })}</p>
<p>${t('oidcConsent.intro', { app: options.appName })}</p>
<ul class="consent-scopes">
  <li data-scope="openid">${t('oidcConsent.identity')}</li>
  ${options.shareEmail ? html`<li data-scope="email">${t('oidcConsent.email')}</li>` : ''}
  ${options.offlineAccess ? html`<li data-scope="offline_access">${t('oidcConsent.offline')}</li>` : ''}
</ul>
<p class="hint">${t('oidcConsent.remembered')}</p>
<form method="post" action="${urlFor('oidcConsent', { uid: options.uid })}">${csrfField(page)}
  <p><button type="submit" class="primary" name="decision" value="allow" autofocus>${t('oidcConsent.allow')}</button></p>
  <p><button type="submit" class="secondary" name="decision" value="deny">${t('oidcConsent.deny')}</button></p>
</form>`,
  });
}
