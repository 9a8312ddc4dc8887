import type { Context } from 'hono';
import { negotiateLocale, translator } from '../i18n/catalog.ts';
import type { PageContext } from '../pages/context.ts';
import { csrfToken } from './csrf-token.ts';
import type { AppEnv, HttpDeps } from './env.ts';

export function pageContext(c: Context<AppEnv>, deps: HttpDeps): PageContext {
  const locale = negotiateLocale(c.req.header('accept-language'), deps.config.locale);
  // The same URL answers in another language for another Accept-Language.
  if (deps.config.locale === 'auto') c.header('Vary', 'Accept-Language', { append: true });
  return {
    productName: deps.config.productName,
    version: deps.version,
    requestId: c.get('requestId') ?? null,
    t: translator(locale),
    brand: deps.brand,
    // Read only when a page is rendered: a JSON answer gets no CSRF cookie.
    get csrfToken() {
      return csrfToken(c, deps);
    },
  };
}
