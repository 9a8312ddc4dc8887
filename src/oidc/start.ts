// Starts the OpenID Connect provider (issue #15) when LATCHKEY_OIDC_CLIENTS names
// a clients file: the clients validated, the signing keys loaded (the first made
// and stored sealed at first start), the provider configured. Null otherwise:
// no discovery document, no endpoints, and oidc-provider is never loaded.

import type { Context } from '../context.ts';
import { deriveKey } from '../core/crypto.ts';
import { auditProviderEvents, awaitWritesBeforeAnswer } from './audit.ts';
import { limitClientFailures } from './client-limits.ts';
import { loadOidcClients } from './clients.ts';
import { loadSigningKeys } from './keys.ts';
import type { OidcProvider, OidcProviderDeps } from './provider.ts';

export interface StartOidcDeps extends Pick<Context, 'config' | 'store' | 'now' | 'logger' | 'policy' | 'metrics' | 'random'> {
  latchkeySession: OidcProviderDeps['latchkeySession'];
  sessionCookie: OidcProviderDeps['sessionCookie'];
}

export async function startOidcProvider(deps: StartOidcDeps): Promise<OidcProvider | null> {
  const { config } = deps;
  if (!config.oidcClientsFile) return null;
  // oidc-provider and Koa take about 40 MB of RSS: loaded only when the provider is on (issue #14 item 5).
  const { createOidcProvider } = await import('./provider.ts');
  const clients = loadOidcClients(config.oidcClientsFile, config.production);
  const keyDeps = { store: deps.store, sealKey: deriveKey(config.secret, 'oidc-seal'), now: deps.now, random: deps.random };
  return createOidcProvider({
    config,
    store: deps.store,
    clients,
    keys: await loadSigningKeys(keyDeps),
    reloadKeys: () => loadSigningKeys(keyDeps),
    now: deps.now,
    onError: (error) => deps.logger.warn({ err: String(error) }, 'oidc: a back-channel logout or its audit row failed'),
    latchkeySession: deps.latchkeySession,
    sessionCookie: deps.sessionCookie,
    // Every provider built (at start, and after a key rotation) gets the same wiring.
    onBuilt: (provider) => {
      awaitWritesBeforeAnswer(provider);
      auditProviderEvents(provider, {
        store: deps.store,
        metrics: deps.metrics,
        now: deps.now,
        onError: (error) => deps.logger.warn({ err: String(error) }, 'oidc: audit event not written'),
      });
      limitClientFailures(provider, deps.policy, (error) => deps.logger.warn({ err: String(error) }, 'oidc: client limit not recorded'));
    },
  });
}
