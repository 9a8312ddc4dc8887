// The URL a proxy asks about (forward-auth, issue #16). Each endpoint reads only
// the headers its proxy always writes itself, never a fallback: nginx's
// auth-request `X-Original-URL` (the documented config sets it), Caddy's and
// Traefik's forward-auth `X-Forwarded-Proto`, `-Host` and `-Uri`. Caddy and
// Traefik pass every other header of the client's request on, and nginx passes
// the client's X-Forwarded-*: a fallback to the other set would let a client
// write the URL that is decided about (the Caddy suite caught exactly that).
// Believed only from LATCHKEY_TRUSTED_PROXIES; every header bounded before it is parsed.
import type { Context } from 'hono';
import type { TrustedProxies } from '../core/client-ip.ts';
import { normalizeHost, pathReadings } from '../core/access-rules.ts';
import { fromTrustedProxy } from './client-ip.ts';
import type { AppEnv } from './env.ts';

/** Longer than any URL a browser keeps in its address bar for long; the redirect after sign-in is bounded tighter (core/redirects.ts). */
const MAX_URL_LENGTH = 8192;
const MAX_HOST_LENGTH = 260;
/** scheme://host[:port]/path[?query]: no userinfo, no escapes or other characters in the host, no fragment. */
const ORIGINAL_URL = /^https?:\/\/[A-Za-z0-9.-]{1,260}(:[0-9]{1,5})?\/[^#\s]*$/;

export type OriginalUrl =
  | {
      /** Normalized for the rules (core/access-rules.ts). */
      host: string;
      path: string;
      /** Every reading of the path an app may serve (core/access-rules.ts pathReadings), `path` first. */
      paths: readonly string[];
      /** As the browser asked for it: where to come back to after signing in. */
      href: string;
    }
  | { problem: 'untrusted_proxy' | 'original_url_invalid' };

function parsed(value: string): OriginalUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'original_url_invalid' };
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return { problem: 'original_url_invalid' };
  const host = normalizeHost(url.host);
  const paths = pathReadings(url.pathname);
  return host === null || paths === null ? { problem: 'original_url_invalid' } : { host, path: paths[0]!, paths, href: url.href };
}

/** nginx auth_request: `X-Original-URL: $scheme://$http_host$request_uri`. */
export function originalUrlNginx(c: Context<AppEnv>, proxies: TrustedProxies): OriginalUrl {
  if (!fromTrustedProxy(c, proxies)) return { problem: 'untrusted_proxy' };
  const original = c.req.header('x-original-url');
  // nginx builds it from the client's Host ($http_host): the authority must be a plain host[:port] and
  // the rest a path, or a Host like "app.example.com:443#" would hand the rules another path than the app's.
  return original !== undefined && original.length <= MAX_URL_LENGTH && ORIGINAL_URL.test(original) ? parsed(original) : { problem: 'original_url_invalid' };
}

/** Caddy forward_auth, Traefik forwardAuth: `X-Forwarded-Proto`, `-Host`, `-Uri`. */
export function originalUrlForwarded(c: Context<AppEnv>, proxies: TrustedProxies): OriginalUrl {
  if (!fromTrustedProxy(c, proxies)) return { problem: 'untrusted_proxy' };
  const proto = c.req.header('x-forwarded-proto');
  const host = c.req.header('x-forwarded-host');
  const uri = c.req.header('x-forwarded-uri') ?? '/';
  // One value each: a list ("https, http") means more than one proxy wrote it, and which one is unknown.
  if ((proto !== 'https' && proto !== 'http') || host === undefined || host.length > MAX_HOST_LENGTH || host.includes(',')) {
    return { problem: 'original_url_invalid' };
  }
  // No '#': a browser never sends one, and Caddy passes "/public#/../admin" on to an app that may read past it.
  if (uri.length > MAX_URL_LENGTH || !uri.startsWith('/') || uri.startsWith('//') || uri.includes('#')) return { problem: 'original_url_invalid' };
  // The host must be a host: "evil.org/x@app.example.com" would otherwise be parsed as a path of evil.org.
  if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(host)) return { problem: 'original_url_invalid' };
  return parsed(`${proto}://${host}${uri}`);
}
