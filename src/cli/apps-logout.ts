// Back-channel logout from the CLI (`users disable`, `users reset-second-factor`,
// `sessions revoke`): the command runs without the server, so it builds the
// OpenID Connect provider in its own process, from the server's environment
// (LATCHKEY_SECRET unseals the signing keys in the database, LATCHKEY_OIDC_CLIENTS
// names the file clients), and sends the logout tokens itself, after the
// action's commit, like the admin API. Only when the account has an app to tell:
// oidc-provider is loaded then and not before. Without LATCHKEY_OIDC_CLIENTS
// nothing is sent and stderr says so; the action stands either way.
import type { AppsLogout } from '../core/apps-logout.ts';
import type { RequestContext } from '../core/audit.ts';
import { deriveKey } from '../core/crypto.ts';
import { nodeRandom } from '../core/random.ts';
import { resolveConfig } from '../config.ts';
import type { Store } from '../store/store.ts';

export function cliAppsLogout(env: Record<string, string | undefined>, store: Store, warn: (line: string) => void): AppsLogout {
  return async (userId, clientIds, context) => {
    // Asked before the configuration is resolved: without it, nothing (no development secret) is made here.
    if (!env.LATCHKEY_OIDC_CLIENTS) {
      warn(`latchkey: no back-channel logout sent to ${clientIds.join(', ')}: LATCHKEY_OIDC_CLIENTS is unset (run with the server's environment)`);
      return;
    }
    // The action is committed: a provider that cannot be built here is reported, never thrown.
    await sendFromHere(env, store, userId, clientIds, context, warn).catch((error: unknown) =>
      warn(`latchkey: no back-channel logout sent to ${clientIds.join(', ')}: ${String(error)}`),
    );
  };
}

async function sendFromHere(
  env: Record<string, string | undefined>,
  store: Store,
  userId: string,
  clientIds: readonly string[],
  context: RequestContext,
  warn: (line: string) => void,
): Promise<void> {
  const config = resolveConfig({}, env);
  if (!config.oidcClientsFile) return;
  const [{ createOidcProvider }, { loadOidcClients }, { loadSigningKeys }] = await Promise.all([
    import('../oidc/provider.ts'),
    import('../oidc/clients.ts'),
    import('../oidc/keys.ts'),
  ]);
  const keyDeps = { store, sealKey: deriveKey(config.secret, 'oidc-seal'), now: Date.now, random: nodeRandom };
  const oidc = createOidcProvider({
    config,
    store,
    clients: loadOidcClients(config.oidcClientsFile, config.production),
    keys: await loadSigningKeys(keyDeps),
    now: Date.now,
    onError: (error) => warn(`latchkey: back-channel logout failed (audited): ${String(error)}`),
    // No browser here: nothing is authorized from this provider.
    latchkeySession: async () => null,
    sessionCookie: { clearing: [] },
  });
  await oidc.appsLogout(userId, clientIds, context);
}
