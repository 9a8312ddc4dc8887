// Clients registered by an operator at run time (issue #15): the admin API
// (`/admin/clients`) and the CLI (`latchkey clients`) share this code. Latchkey
// makes the secret (256 random bits), shows it once and stores it sealed; the
// provider finds these clients through its adapter, so a removed client is gone
// at once on every instance, with its grants, codes and tokens. Clients of the
// clients file stay in memory and cannot be changed here.

import type { ClientMetadata } from 'oidc-provider';
import { auditEvent, type RequestContext } from '../core/audit.ts';
import { randomToken, seal, unseal } from '../core/crypto.ts';
import type { OidcStore, StoredOidcClient } from '../store/oidc-store.ts';
import { checkOidcClient } from './clients.ts';

/**
 * A made client id: 16 random bytes, base64url, never starting with "-" (one in
 * 32 would, and `latchkey clients remove -Abc…` reads as an option).
 */
function newClientId(): string {
  for (;;) {
    const id = randomToken(16);
    if (!id.startsWith('-')) return id;
  }
}

export interface ClientRegistryDeps {
  store: Pick<OidcStore, 'addOidcClient' | 'findOidcClient' | 'listOidcClients' | 'removeOidcClient'>;
  /** deriveKey(secret, 'oidc-seal'). */
  sealKey: Buffer;
  now: () => number;
  production: boolean;
  /** Ids of the clients file's clients: taken, and not managed here. */
  fileClientIds: ReadonlySet<string>;
}

export type Actor = 'admin_api' | 'cli';

/** What an operator sees of a client: never its secret (but once, when Latchkey makes it). */
export interface ClientView {
  clientId: string;
  metadata: ClientMetadata;
  firstParty: boolean;
  source: 'store' | 'file';
  createdAt: string | null;
}

export type RegisterResult =
  | { ok: true; client: ClientView; clientSecret: string | null }
  | { ok: false; code: 'invalid_request'; problems: string[] }
  | { ok: false; code: 'client_exists' };

export async function registerClient(deps: ClientRegistryDeps, input: unknown, actor: Actor, context: RequestContext): Promise<RegisterResult> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, code: 'invalid_request', problems: ['body: must be a JSON object of client metadata'] };
  const fields = input as Record<string, unknown>;
  if ('client_secret' in fields) return { ok: false, code: 'invalid_request', problems: ['client_secret: Latchkey makes the secret and shows it once'] };
  const clientId = fields.client_id ?? newClientId();
  const method = fields.token_endpoint_auth_method ?? 'client_secret_basic';
  const checked = checkOidcClient({ ...fields, client_id: clientId, token_endpoint_auth_method: method }, deps.production, false);
  if (!checked.ok) return { ok: false, code: 'invalid_request', problems: checked.problems };
  const { metadata, firstParty } = checked.client;
  if (deps.fileClientIds.has(metadata.client_id)) return { ok: false, code: 'client_exists' };
  const clientSecret = metadata.token_endpoint_auth_method === 'none' ? null : randomToken(32);
  const stored: StoredOidcClient = {
    clientId: metadata.client_id,
    metadata: JSON.stringify(metadata),
    secretSealed: clientSecret === null ? null : seal(deps.sealKey, clientSecret),
    firstParty,
    createdAt: deps.now(),
  };
  const event = auditEvent(context, { type: 'oidc.client_added', outcome: 'success', at: stored.createdAt, reason: actor });
  if (!(await deps.store.addOidcClient(stored, [event]))) return { ok: false, code: 'client_exists' };
  return { ok: true, client: view(stored), clientSecret };
}

export async function listClients(deps: ClientRegistryDeps, fileClients: ReadonlyArray<{ metadata: ClientMetadata; firstParty: boolean }>): Promise<ClientView[]> {
  const fromFile: ClientView[] = fileClients.map((c) => ({
    clientId: c.metadata.client_id,
    metadata: withoutSecret(c.metadata),
    firstParty: c.firstParty,
    source: 'file',
    createdAt: null,
  }));
  return [...fromFile, ...(await deps.store.listOidcClients()).map(view)];
}

/** not_found also for a client of the file (it is changed in the file). */
export async function removeClient(deps: ClientRegistryDeps, clientId: unknown, actor: Actor, context: RequestContext): Promise<boolean> {
  if (typeof clientId !== 'string' || clientId.length > 200 || deps.fileClientIds.has(clientId)) return false;
  const event = auditEvent(context, { type: 'oidc.client_removed', outcome: 'success', at: deps.now(), reason: actor });
  return deps.store.removeOidcClient(clientId, [event]);
}

/** The provider's view of a stored client (its adapter's Client model): the metadata with the secret unsealed. */
export async function providerClient(deps: { store: Pick<OidcStore, 'findOidcClient'>; sealKey: Buffer }, clientId: string): Promise<ClientMetadata | undefined> {
  const stored = await deps.store.findOidcClient(clientId);
  if (!stored) return undefined;
  const metadata = JSON.parse(stored.metadata) as ClientMetadata;
  return {
    ...metadata,
    first_party: stored.firstParty,
    ...(stored.secretSealed === null ? {} : { client_secret: unseal(deps.sealKey, stored.secretSealed) }),
  };
}

function view(stored: StoredOidcClient): ClientView {
  return {
    clientId: stored.clientId,
    metadata: JSON.parse(stored.metadata) as ClientMetadata,
    firstParty: stored.firstParty,
    source: 'store',
    createdAt: new Date(stored.createdAt).toISOString(),
  };
}

function withoutSecret(metadata: ClientMetadata): ClientMetadata {
  const { client_secret: _secret, ...rest } = metadata;
  return rest;
}
