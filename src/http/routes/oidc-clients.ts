// The admin API's OpenID Connect clients (issue #15): POST /admin/clients
// registers one (the secret is in this answer only), GET lists them (never a
// secret), DELETE removes one with its grants and tokens. Behind the admin
// bearer check of routes/admin.ts; only with LATCHKEY_OIDC_CLIENTS and
// LATCHKEY_ADMIN_TOKEN set.

import type { Hono } from 'hono';
import { errorMessage } from '../../i18n/catalog.ts';
import { listClients, registerClient, removeClient } from '../../oidc/client-registry.ts';
import type { OidcProvider } from '../../oidc/provider.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { jsonError, markErrorAnswer } from '../errors.ts';
import { readBody, requestContext } from '../request.ts';

export function oidcClientRoutes(app: Hono<AppEnv>, deps: HttpDeps, oidc: OidcProvider): void {
  if (!deps.config.adminToken) return;

  app.post('/admin/clients', async (c) => {
    const result = await registerClient(oidc.registry, await readBody(c), 'admin_api', requestContext(c));
    if (result.ok) {
      c.header('Cache-Control', 'no-store');
      return c.json({ client: result.client, clientSecret: result.clientSecret }, 201);
    }
    if (result.code === 'client_exists') return jsonError(c, 'client_exists');
    // The problems name fields and rules, never a value the operator sent.
    markErrorAnswer(c, 'invalid_request');
    const error = { code: 'invalid_request', message: errorMessage('invalid_request'), requestId: c.get('requestId') ?? null, problems: result.problems };
    return c.json({ error }, 400);
  });

  app.get('/admin/clients', async (c) => c.json({ clients: await listClients(oidc.registry, oidc.fileClients) }));

  app.delete('/admin/clients/:clientId', async (c) => {
    const removed = await removeClient(oidc.registry, c.req.param('clientId'), 'admin_api', requestContext(c));
    return removed ? c.body(null, 204) : jsonError(c, 'not_found');
  });
}
