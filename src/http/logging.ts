// One JSON log line and one metrics observation per request, from one timing.
// Only the route's name (src/route-table.ts) and pattern are logged and
// labelled, never the raw URL: /auth/verify?token=… would put a live bearer
// secret in the logs.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { Metrics } from '../core/metrics.ts';
import { routeNamed } from '../route-table.ts';
import type { AppEnv } from './env.ts';

/** The header @hono/node-server's RESPONSE_ALREADY_SENT carries. */
const ALREADY_SENT = 'x-hono-already-sent';

export function requestLogger(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    // The route whose handler answered (a provider route answers before the middleware registered after it).
    const route = routePath(c);
    const name = routeNamed(c.req.method, route);
    // The OpenID Connect provider answers on Node's response itself (http/routes/oidc.ts): its status is there.
    // A route that built its whole header set as a plain object (headersFinal: the session check, forward-auth)
    // is never that one, and asking its headers would make the Node adapter build a Headers instance for it.
    const sentByNode = !c.get('headersFinal') && c.res.headers.has(ALREADY_SENT);
    const status = sentByNode ? (c.env?.outgoing?.statusCode ?? c.res.status) : c.res.status;
    const errorCode = c.get('errorCode');
    metrics.request(name, c.req.method, route, status, ms / 1000, errorCode);
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route,
        routeName: name ?? undefined,
        status,
        durationMs: Math.round(ms * 100) / 100,
        userId: c.get('userId'),
        ...(errorCode ? { error: errorCode } : {}),
      },
      'request',
    );
  };
}
