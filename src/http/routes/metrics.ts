// Prometheus. Labels hold route patterns and reason codes only, never an
// address or a secret. Still, the counters move with what people do (a reset
// mail is sent only to a real account), so they are not for the public
// (issue #12 finding 9): with LATCHKEY_METRICS_TOKEN a bearer is required, and
// with LATCHKEY_METRICS_LISTEN they leave the public listener for one that
// serves nothing else (metricsApp).
import { Hono } from 'hono';
import { constantTimeEqual, sha256 } from '../../core/crypto.ts';
import { ROUTES } from '../../route-table.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { jsonError } from '../errors.ts';
import { mountRoute, type Handler } from '../route-groups.ts';

export function metricsEndpoint(deps: Pick<HttpDeps, 'config' | 'metrics'>): Handler {
  const metricsToken = deps.config.metricsToken ? sha256(deps.config.metricsToken) : null;
  return async (c) => {
    if (metricsToken) {
      const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      // Digests of equal length: the comparison time says nothing about the token.
      if (!constantTimeEqual(sha256(given), metricsToken)) return jsonError(c, 'unauthenticated');
    }
    const { body, contentType } = await deps.metrics.scrape();
    return c.body(body, 200, { 'Content-Type': contentType });
  };
}

/** The app of the LATCHKEY_METRICS_LISTEN listener: /metrics and nothing else. */
export function createMetricsApp(deps: Pick<HttpDeps, 'config' | 'metrics'>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoute(app, { metrics: [] }, ROUTES.metrics, metricsEndpoint(deps));
  app.notFound((c) => c.text('Not found', 404));
  return app;
}
