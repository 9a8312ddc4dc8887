// One JSON log line per request. Only the route pattern is logged, never the
// raw URL: /auth/verify?token=… would put a live bearer secret in the logs.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from './env.ts';

export function requestLogger(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: routePath(c, -1),
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        userId: c.get('userId'),
      },
      'request',
    );
  };
}
