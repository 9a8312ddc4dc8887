// The provider's error page (oidc-provider's renderError): Latchkey's own error
// page, in the browser's language, under Latchkey's CSP, for a request the
// provider refuses before it may redirect (an unknown client, an unregistered
// redirect_uri). The protocol's own error code is shown as a code, for the app's
// administrator; its description is not (it may echo request text).

import type { KoaContextWithOIDC } from 'oidc-provider';
import { brandFromConfig } from '../branding.ts';
import type { LatchkeyConfig } from '../config.ts';
import { negotiateLocale, translator } from '../i18n/catalog.ts';
import { securityHeaderList } from '../http/security.ts';
import { errorPage } from '../pages/error-page.ts';
import { VERSION } from '../version.ts';
import { providerRequests } from './audit.ts';

type PageConfig = Parameters<typeof securityHeaderList>[0] & Pick<LatchkeyConfig, 'productName' | 'logoUrl' | 'accentColor' | 'supportEmail' | 'locale'>;

export function renderProviderError(config: PageConfig) {
  return async (ctx: KoaContextWithOIDC, out: { error: string }): Promise<void> => {
    const t = translator(negotiateLocale(ctx.get('accept-language'), config.locale));
    const requestId = providerRequests.get(ctx.req as never)?.requestId ?? null;
    for (const [name, value] of securityHeaderList(config)) ctx.set(name, value);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    const page = await errorPage(
      { productName: config.productName, version: VERSION, requestId, t, brand: brandFromConfig(config) },
      { code: 'oidc_request_invalid' },
    );
    // The protocol error (e.g. invalid_redirect_uri) is a fixed token from the provider: shown for the app's administrator.
    const code = /^[a-z_]{1,64}$/.test(out.error) ? out.error : 'invalid_request';
    ctx.body = String(page).replace('</main>', `<p class="hint small">OpenID Connect: <code>${code}</code></p>\n</main>`);
  };
}
