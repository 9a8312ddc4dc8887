import type { Context } from 'hono';
import { negotiateLocale, translator } from '../i18n/catalog.ts';
import type { PageContext } from '../pages/context.ts';
import { csrfToken } from './csrf-token.ts';
import type { AppEnv, HttpDeps } from './env.ts';

/** `sets.csrfCookie` false: a page answered for another host (forward-auth's 403, passed on by the proxy) sets no cookie and has no form. */
export function pageContext(c: Context<AppEnv>, deps: HttpDeps, sets: { csrfCookie: boolean } = { csrfCookie: true }): PageContext {
  const locale = negotiateLocale(c.req.header('accept-language'), deps.config.locale);
  // The same URL answers in another language for another Accept-Language.
  if (deps.config.locale === 'auto') c.header('Vary', 'Accept-Language', { append: true });
  const page = {
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
  if (sets.csrfCookie) return page;
  const { productName, version, requestId, t, brand } = page;
  return { productName, version, requestId, t, brand };
}
