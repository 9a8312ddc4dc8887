// The forward-auth proxy cookie (review of issue #16, finding 2). With
// LATCHKEY_COOKIE_DOMAIN every protected app receives the cookies of its
// domain, so the cookie that goes there must not be the session: its value is
// `<hash>.<mac>`, the stored SHA-256 of the session cookie and an HMAC of it
// under deriveKey(secret, 'forward-auth-cookie'). Only the forward-auth
// endpoints accept it (the session API reads the host-only session cookie
// alone); the hash is no session cookie and cannot be turned into one.
// Written and cleared wherever the session cookie is.
import type { Context } from 'hono';
import { constantTimeEqual, hmacSha256, sha256 } from '../core/crypto.ts';
import { validateSessionHash, type ValidSession } from '../core/sessions.ts';
import { clearCookie, readCookie, writeCookie } from './cookies.ts';
import type { AppEnv, HttpDeps } from './env.ts';

/** base64url SHA-256 (43), a dot, base64url HMAC-SHA-256 (43): the shape is checked before any work. */
const PROXY_VALUE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

function proxyValue(key: Buffer, sessionToken: string): string {
  const tokenHash = sha256(sessionToken);
  return `${tokenHash}.${hmacSha256(key, tokenHash)}`;
}

/** The session cookie, and with LATCHKEY_COOKIE_DOMAIN the proxy cookie beside it, both living `maxAgeSeconds` (the session's own lifetime). */
export function writeSessionCookies(c: Context<AppEnv>, deps: Pick<HttpDeps, 'cookies' | 'proxyCookieKey'>, sessionToken: string, maxAgeSeconds: number): void {
  const names = deps.cookies;
  writeCookie(c, names, names.session, sessionToken, maxAgeSeconds);
  if (names.proxy !== null) writeCookie(c, names, names.proxy, proxyValue(deps.proxyCookieKey, sessionToken), maxAgeSeconds);
}

/** Both cookies go together (the proxy cookie with its Domain). */
export function clearSessionCookies(c: Context<AppEnv>, deps: Pick<HttpDeps, 'cookies'>): void {
  const names = deps.cookies;
  clearCookie(c, names, names.session);
  if (names.proxy !== null) clearCookie(c, names, names.proxy);
}

/** The session behind this request's proxy cookie (same expiry, revocation and disabled rules as the session cookie), or null. */
export async function proxyCookieSession(c: Context<AppEnv>, deps: HttpDeps): Promise<ValidSession | null> {
  const names = deps.cookies;
  if (names.proxy === null) return null;
  const value = readCookie(c, names.proxy);
  const parts = value === undefined ? null : PROXY_VALUE.exec(value);
  if (!parts || !constantTimeEqual(parts[2]!, hmacSha256(deps.proxyCookieKey, parts[1]!))) return null;
  return validateSessionHash(deps.store, deps.sessions, parts[1]!, deps.now());
}
