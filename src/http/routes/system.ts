// Health, version, the OpenAPI document and the static page assets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brandStylesheet } from '../../pages/brand-stylesheet.ts';
import { iconSvg } from '../../pages/icon.ts';
import { urlFor } from '../../route-table.ts';
import { SCHEMA_VERSION } from '../../store/schema-version.ts';
import { buildInfo } from '../../version.ts';
import type { HttpDeps } from '../env.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { metricsEndpoint } from './metrics.ts';

const assetsDir = join(import.meta.dirname, '../../pages/assets');
const CSS = 'text/css; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const STATIC_ASSETS: Record<string, { body: string; type: string }> = {
  'style.css': { body: readFileSync(join(assetsDir, 'style.css'), 'utf8'), type: CSS },
  'verify.js': { body: readFileSync(join(assetsDir, 'verify.js'), 'utf8'), type: JS },
  'sign-in.js': { body: readFileSync(join(assetsDir, 'sign-in.js'), 'utf8'), type: JS },
  'check-email.js': { body: readFileSync(join(assetsDir, 'check-email.js'), 'utf8'), type: JS },
  'resend.js': { body: readFileSync(join(assetsDir, 'resend.js'), 'utf8'), type: JS },
  'approval.js': { body: readFileSync(join(assetsDir, 'approval.js'), 'utf8'), type: JS },
  'recovery-codes.js': { body: readFileSync(join(assetsDir, 'recovery-codes.js'), 'utf8'), type: JS },
  'passkeys.js': { body: readFileSync(join(assetsDir, 'passkeys.js'), 'utf8'), type: JS },
  // Issue #17: @simplewebauthn/browser's own UMD bundle (global SimpleWebAuthnBrowser), read from the
  // installed package, so src/, dist/ and an installed Latchkey serve the version package-lock.json pins.
  'simplewebauthn-browser.js': { body: readFileSync(simpleWebAuthnBundle(), 'utf8'), type: JS },
};

function simpleWebAuthnBundle(): string {
  // The package exports only its modules; the bundle sits beside them (esm/index.js → dist/bundle/).
  return fileURLToPath(new URL('../dist/bundle/index.umd.min.js', import.meta.resolve('@simplewebauthn/browser')));
}

export function systemRoutes(deps: HttpDeps): Endpoints {
  // brand.css carries the configured accent, so pages need no inline style (strict CSP).
  const brand = deps.brand;
  const icon = { body: iconSvg(brand), type: 'image/svg+xml' };
  const ASSETS = { ...STATIC_ASSETS, 'brand.css': { body: brandStylesheet(brand), type: CSS }, 'icon.svg': icon };

  // Issue #12: the bare address was a 404. It is the sign-in page (which knows what to do with a signed-in person).
  const home: Handler = (c) => c.redirect(urlFor('signIn'), 302);
  // And /favicon.ico a 404 on every page; browsers and tools that still ask for it get the SVG icon.
  const favicon: Handler = (c) => {
    c.header('Content-Type', icon.type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(icon.body);
  };
  const health: Handler = async (c) => {
    try {
      await deps.store.ping();
      return c.json({ status: 'ok' });
    } catch (error) {
      deps.logger.warn({ err: error, requestId: c.get('requestId') }, 'health check: store unreachable');
      return c.json({ status: 'unavailable' }, 503);
    }
  };

  // Liveness says the process answers; readiness says this instance can serve
  // sign-ins: the store answers at the schema this code expects, and mail can leave.
  let mailChecked: { at: number; ok: boolean } | null = null;
  const readiness: Handler = async (c) => {
    const checks: Record<string, string> = {};
    try {
      const applied = await deps.store.schemaVersion();
      checks.store = 'ok';
      checks.schema = applied === SCHEMA_VERSION ? 'ok' : `at ${applied}, expected ${SCHEMA_VERSION}`;
    } catch {
      checks.store = 'unreachable';
      checks.schema = 'unknown';
    }
    if (deps.mailer.kind === 'dev') checks.mail = 'ok (dev mailbox)';
    else {
      // An SMTP handshake per probe would be a load of its own: the answer is kept 30 s.
      if (!mailChecked || deps.now() - mailChecked.at > 30_000) mailChecked = { at: deps.now(), ok: await deps.mailer.check() };
      checks.mail = mailChecked.ok ? 'ok' : 'smtp unreachable';
    }
    const ready = Object.values(checks).every((value) => value.startsWith('ok'));
    if (!ready) deps.logger.warn({ requestId: c.get('requestId'), checks }, 'not ready');
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  };

  const asset: Handler = (c) => {
    const name = c.req.param('name') ?? '';
    const found = Object.hasOwn(ASSETS, name) ? ASSETS[name as keyof typeof ASSETS] : undefined;
    if (!found) return c.notFound();
    c.header('Content-Type', found.type);
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(found.body);
  };

  return {
    home,
    favicon,
    health,
    ready: readiness,
    version: (c) => c.json(buildInfo()),
    // Read at the first request, not at startup (issue #14 item 5); the module cache keeps it.
    openapi: async (c) => c.json((await import('../../../openapi.json', { with: { type: 'json' } })).default),
    asset,
    // /metrics: here unless LATCHKEY_METRICS_LISTEN gives it a listener of its own (issue #12 finding 9).
    ...(deps.config.metricsListen ? {} : { metrics: metricsEndpoint(deps) }),
  };
}
