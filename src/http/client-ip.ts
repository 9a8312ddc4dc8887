// Resolves the client address once per request (core/client-ip.ts decides whose
// X-Forwarded-For to believe); rate limits and the audit trail read it.
import type { Context, MiddlewareHandler } from 'hono';
import { clientIp, normalizeIp, type TrustedProxies } from '../core/client-ip.ts';
import type { AppEnv } from './env.ts';

/** The socket's peer address (null without a socket: library calls, app.request in tests). */
export function peerAddress(c: Context<AppEnv>): string | null {
  const peer = c.env?.incoming?.socket?.remoteAddress;
  return typeof peer === 'string' ? peer : null;
}

/** Whether the peer is one of LATCHKEY_TRUSTED_PROXIES, whose headers (X-Forwarded-For, X-Request-Id) we believe. */
export function fromTrustedProxy(c: Context<AppEnv>, trusted: TrustedProxies): boolean {
  const peer = peerAddress(c);
  return peer !== null && trusted.has(normalizeIp(peer));
}

export function clientIpMiddleware(trusted: TrustedProxies): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('clientIp', clientIp(peerAddress(c), c.req.header('x-forwarded-for') ?? null, trusted));
    await next();
  };
}
