// `latchkey clients add|list|remove`: the admin API's OpenID Connect clients
// (issue #15), straight on the store (same code: oidc/client-registry.ts),
// audited with reason "cli". The secret Latchkey makes is printed once; it is
// sealed with a key derived from LATCHKEY_SECRET, so run this with the server's
// environment.
import { parseArgs } from 'node:util';
import { resolveConfig } from '../config.ts';
import { deriveKey } from '../core/crypto.ts';
import { listClients, registerClient, removeClient, type ClientRegistryDeps, type ClientView } from '../oidc/client-registry.ts';
import { loadOidcClients, type OidcClient } from '../oidc/clients.ts';
import { openExistingStore } from './store.ts';

export const CLIENTS_USAGE = `Usage: latchkey clients add --redirect-uri URI [--redirect-uri URI …] [--post-logout-redirect-uri URI …] [--name NAME] [--id CLIENT_ID] [--public] [--first-party] [--json]
       latchkey clients list [--json]
       latchkey clients remove CLIENT_ID`;

const CLI_CONTEXT = { requestId: null, ip: null, userAgent: 'latchkey-cli' };

function describe(client: ClientView): string {
  const kind = client.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential';
  const name = client.metadata.client_name ? `"${client.metadata.client_name}"  ` : '';
  return `${client.clientId}  ${name}${kind}${client.firstParty ? ', first party' : ''}  (${client.source})  ${(client.metadata.redirect_uris ?? []).join(' ')}`;
}

export async function clients(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      name: { type: 'string' },
      id: { type: 'string' },
      public: { type: 'boolean', default: false },
      'first-party': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const [action, clientId] = positionals;
  const valid = (action === 'add' && positionals.length === 1) || (action === 'list' && positionals.length === 1) || (action === 'remove' && clientId && positionals.length === 2);
  if (!valid) {
    console.error(CLIENTS_USAGE);
    return 2;
  }
  const config = resolveConfig({}, env);
  const fileClients: OidcClient[] = config.oidcClientsFile ? loadOidcClients(config.oidcClientsFile, config.production) : [];
  if (!config.oidcClientsFile) console.error('latchkey clients: note: LATCHKEY_OIDC_CLIENTS is unset, so the server runs no OpenID Connect provider (a file with [] turns it on)');
  const { store } = await openExistingStore(env);
  const registry: ClientRegistryDeps = {
    store,
    sealKey: deriveKey(config.secret, 'oidc-seal'),
    now: Date.now,
    production: config.production,
    fileClientIds: new Set(fileClients.map((c) => c.metadata.client_id)),
  };
  try {
    if (action === 'list') {
      const listed = await listClients(registry, fileClients);
      if (values.json) out(JSON.stringify({ clients: listed }));
      else if (listed.length === 0) out('no clients');
      else listed.forEach((c) => out(describe(c)));
      return 0;
    }
    if (action === 'remove') {
      if (await removeClient(registry, clientId, 'cli', CLI_CONTEXT)) {
        out(`removed ${clientId}, with its grants and tokens`);
        return 0;
      }
      console.error(`latchkey clients: no client ${clientId} in the database${registry.fileClientIds.has(clientId!) ? ' (it is in the clients file: change it there)' : ''}`);
      return 1;
    }
    const input = {
      ...(values.id === undefined ? {} : { client_id: values.id }),
      ...(values.name === undefined ? {} : { client_name: values.name }),
      redirect_uris: values['redirect-uri'] ?? [],
      ...(values['post-logout-redirect-uri'] ? { post_logout_redirect_uris: values['post-logout-redirect-uri'] } : {}),
      ...(values.public ? { token_endpoint_auth_method: 'none' } : {}),
      first_party: values['first-party'],
    };
    const result = await registerClient(registry, input, 'cli', CLI_CONTEXT);
    if (!result.ok) {
      const problems = result.code === 'client_exists' ? [`client_id: ${values.id} is taken`] : result.problems;
      for (const problem of problems) console.error(`latchkey clients: ${problem}`);
      return 1;
    }
    if (values.json) out(JSON.stringify({ client: result.client, clientSecret: result.clientSecret }));
    else {
      out(describe(result.client));
      out(result.clientSecret === null ? 'public client: no secret (it must use PKCE)' : `client_secret: ${result.clientSecret}`);
      if (result.clientSecret !== null) out('Store it now: it is not shown again.');
    }
    return 0;
  } finally {
    await store.close();
  }
}
