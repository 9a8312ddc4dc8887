// The pages of RP-initiated logout (issue #15): the confirmation ("sign out of
// Latchkey on this device?") and the "signed out" page when the app named no
// page to return to. Latchkey's layout, language and CSP; the form is the
// provider's (its action and one-time xsrf value), submitted by our buttons.

import { html, raw } from 'hono/html';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { brandFromConfig } from '../branding.ts';
import type { LatchkeyConfig } from '../config.ts';
import { securityHeaderList } from '../http/security.ts';
import { negotiateLocale, translator } from '../i18n/catalog.ts';
import type { PageContext } from '../pages/context.ts';
import { layout } from '../pages/layout.ts';
import { VERSION } from '../version.ts';
import { providerRequests } from './audit.ts';

export type LogoutPageConfig = Parameters<typeof securityHeaderList>[0] &
  Pick<LatchkeyConfig, 'productName' | 'logoUrl' | 'accentColor' | 'supportEmail' | 'locale'>;

/**
 * The origins the logout form's navigation may end on: the client's
 * post_logout_redirect_uris (and redirect_uris: a logout inside an
 * authorization resumes it). Browsers apply form-action to every redirect
 * after the form (CSP3), so 'self' alone would block the way back to the app.
 */
function formTargets(ctx: KoaContextWithOIDC): string[] {
  const client = ctx.oidc.client;
  const uris = [...(client?.postLogoutRedirectUris ?? []), ...(client?.redirectUris ?? [])];
  return [...new Set(uris.map((uri) => URL.parse(uri)?.origin).filter((origin): origin is string => !!origin && origin !== 'null'))];
}

function pageOf(config: LogoutPageConfig, ctx: KoaContextWithOIDC): PageContext {
  const targets = formTargets(ctx).join(' ');
  for (const [name, value] of securityHeaderList(config)) {
    ctx.set(name, name === 'Content-Security-Policy' && targets ? value.replace('form-action ', `form-action ${targets} `) : value);
  }
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
  return {
    productName: config.productName,
    version: VERSION,
    requestId: providerRequests.get(ctx.req as never)?.requestId ?? null,
    t: translator(negotiateLocale(ctx.get('accept-language'), config.locale)),
    brand: brandFromConfig(config),
  };
}

/** The provider's form: `<form id="op.logoutForm" …>` with its xsrf field; the buttons below submit it. */
export function logoutSource(config: LogoutPageConfig) {
  return async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
    const page = pageOf(config, ctx);
    const { t } = page;
    const app = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
    const question = app ? t('oidcLogout.questionApp', { app, product: config.productName }) : t('oidcLogout.question', { product: config.productName });
    ctx.body = String(
      await layout({
        ...page,
        title: t('oidcLogout.title'),
        body: html`<h1>${t('oidcLogout.title')}</h1>
<p>${question}</p>
${raw(form)}
<p><button class="button primary" type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>${t('oidcLogout.yes')}</button></p>
<p><button class="button" type="submit" form="op.logoutForm">${t('oidcLogout.no')}</button></p>`,
      }),
    );
  };
}

export function postLogoutSuccessSource(config: LogoutPageConfig) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const page = pageOf(config, ctx);
    const { t } = page;
    ctx.body = String(
      await layout({
        ...page,
        title: t('oidcLogout.doneTitle'),
        body: html`<h1>${t('oidcLogout.doneTitle')}</h1>
<p>${t('oidcLogout.done')}</p>
<p><a class="button primary" href="/auth/sign-in">${t('errorPage.backToSignIn')}</a></p>`,
      }),
    );
  };
}
