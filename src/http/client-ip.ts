// Resolves the client address once per request (core/client-ip.ts decides whose
// X-Forwarded-For to believe); rate limits and the audit trail read it.
import type { MiddlewareHandler } from 'hono';
import { clientIp, trustedProxies } from '../core/client-ip.ts';
import type { AppEnv } from './env.ts';

export function clientIpMiddleware(proxies: readonly string[]): MiddlewareHandler<AppEnv> {
  const trusted = trustedProxies(proxies);
  return async (c, next) => {
    const socket = c.env?.incoming?.socket?.remoteAddress ?? null;
    c.set('clientIp', clientIp(socket, c.req.header('x-forwarded-for') ?? null, trusted));
    await next();
  };
}
