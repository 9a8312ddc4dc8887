// Health, version, the OpenAPI document and the static page assets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import openapi from '../../../openapi.json' with { type: 'json' };
import type { AppEnv, HttpDeps } from '../env.ts';

const assetsDir = join(import.meta.dirname, '../../pages/assets');
const ASSETS: Record<string, { body: string; type: string }> = {
  'style.css': { body: readFileSync(join(assetsDir, 'style.css'), 'utf8'), type: 'text/css; charset=utf-8' },
  'verify.js': { body: readFileSync(join(assetsDir, 'verify.js'), 'utf8'), type: 'text/javascript; charset=utf-8' },
};

export function systemRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  app.get('/healthz', async (c) => {
    try {
      await deps.store.ping();
      return c.json({ status: 'ok' });
    } catch (error) {
      deps.logger.warn({ err: error, requestId: c.get('requestId') }, 'health check: store unreachable');
      return c.json({ status: 'unavailable' }, 503);
    }
  });

  app.get('/version', (c) => c.json({ version: deps.version }));

  app.get('/openapi.json', (c) => c.json(openapi));

  app.get('/auth/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return c.notFound();
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(asset.body);
  });
}
