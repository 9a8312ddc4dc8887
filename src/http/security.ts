// Security headers on every response. The pages carry no inline script or
// style, so the CSP can be strict. form-action must allow the redirect origins
// and the hosts the forward-auth rules protect (issue #16), or the 303 after a
// form POST to an allowlisted or protected app would be blocked (the browser
// suite through nginx met exactly that).
//
// The header set is computed once at start. Most answers get it in one pass
// after the handler; the hot path (GET /auth/session) builds its Response with
// the whole set as a plain object (finalJson), because every Headers.set() on a
// finished Response costs more than the session look-up itself.
import type { Context, MiddlewareHandler } from 'hono';
import type { LatchkeyConfig } from '../config.ts';
import type { AppEnv } from './env.ts';
import { urlFor } from '../route-table.ts';

export type HeaderList = readonly (readonly [name: string, value: string])[];

export function contentSecurityPolicy(config: LatchkeyConfig): string {
  // A configured logo may live on another origin (LATCHKEY_LOGO_URL).
  const images = ["'self'", 'data:', ...(config.logoUrl ? [new URL(config.logoUrl).origin] : [])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${images.join(' ')}`,
    "connect-src 'self'",
    `form-action ${["'self'", ...config.allowedRedirectOrigins, ...protectedSources(config)].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The protected hosts as CSP sources, on the base URL's scheme (core/redirects.ts never downgrades), any port. */
function protectedSources(config: LatchkeyConfig): string[] {
  const hosts = new Set(config.accessRules?.rules.map((rule) => rule.host) ?? []);
  return [...hosts].map((host) => `${config.baseUrl.protocol}//${host}:*`);
}

export function securityHeaderList(config: LatchkeyConfig): HeaderList {
  const list: [string, string][] = [
    ['Content-Security-Policy', contentSecurityPolicy(config)],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['X-Frame-Options', 'SAMEORIGIN'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Origin-Agent-Cluster', '?1'],
    ['X-DNS-Prefetch-Control', 'off'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
  ];
  if (config.baseUrl.protocol === 'https:') list.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return list;
}

const ASSETS = urlFor('asset', { name: '' });
/** The site icon at the path browsers ask for by themselves (issue #12) is a static asset too. */
const FAVICON = urlFor('favicon');

/**
 * Adds the security headers, X-Request-Id and `Cache-Control: no-store` (auth
 * answers carry addresses, sessions and tokens that no cache may keep, ASVS 5.0
 * 14.3.2; static assets are the exception). A header a route set itself (the dev
 * mailbox's CSP, an asset's Cache-Control) is kept.
 */
export function responseHeaders(config: LatchkeyConfig): MiddlewareHandler<AppEnv> {
  const list = securityHeaderList(config);
  return async (c, next) => {
    await next();
    if (c.get('headersFinal')) return;
    const headers = c.res.headers;
    for (const [name, value] of list) if (!headers.has(name)) headers.set(name, value);
    headers.set('X-Request-Id', c.get('requestId'));
    if (!c.req.path.startsWith(ASSETS) && c.req.path !== FAVICON) headers.set('Cache-Control', 'no-store');
  };
}

/**
 * A JSON answer with its complete header set as one plain object, so that
 * neither Hono nor the Node adapter builds a Headers instance. Only for routes
 * that set no cookie or other header of their own.
 */
export function finalJsonFactory(config: LatchkeyConfig) {
  const base: Record<string, string> = Object.fromEntries(securityHeaderList(config));
  base['Cache-Control'] = 'no-store';
  base['Content-Type'] = 'application/json';
  return (c: Context<AppEnv>, body: unknown, status = 200): Response => {
    c.set('headersFinal', true);
    const headers = { ...base, 'X-Request-Id': c.get('requestId') };
    return new Response(JSON.stringify(body), { status, headers });
  };
}
