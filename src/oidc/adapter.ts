// The storage adapter oidc-provider asks for (its find/upsert/consume/destroy/
// revokeByGrantId/findByUid/findByUserCode contract), as a thin layer over the
// Store's OidcStore. The provider's id of an opaque token (a code, an access or
// refresh token) is the token value itself, and some payloads hold another
// one (an Interaction names its Session's cookie value), so records are keyed
// by the SHA-256 of the id and their payloads are sealed (AES-256-GCM, a key
// derived from the server secret): the database holds no usable token.

import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { seal, sha256, unseal } from '../core/crypto.ts';
import type { OidcStore, StoredOidcRecord } from '../store/oidc-store.ts';

export type AdapterStore = Pick<
  OidcStore,
  | 'upsertOidcRecord'
  | 'findOidcRecord'
  | 'findOidcRecordByUid'
  | 'findOidcRecordByUserCode'
  | 'consumeOidcRecord'
  | 'destroyOidcRecord'
  | 'revokeOidcGrant'
>;

export interface AdapterDeps {
  store: AdapterStore;
  /** deriveKey(secret, 'oidc-seal'). */
  sealKey: Buffer;
  now: () => number;
  /** The provider's Client model: clients registered at run time (client-registry.ts), read-only. */
  findClient: (clientId: string) => Promise<AdapterPayload | undefined>;
}

const NOTHING = async () => undefined;

export function oidcAdapter(deps: AdapterDeps): AdapterFactory {
  return (model: string): Adapter => {
    // Clients are registered by the operator, never by the provider (dynamic registration is off).
    if (model === 'Client') {
      return { find: deps.findClient, upsert: NOTHING, findByUid: NOTHING, findByUserCode: NOTHING, consume: NOTHING, destroy: NOTHING, revokeByGrantId: NOTHING };
    }
    const open = (record: StoredOidcRecord | null): AdapterPayload | undefined => {
      if (!record) return undefined;
      const payload = JSON.parse(unseal(deps.sealKey, record.payload)) as AdapterPayload;
      // The contract: a consumed record reads back with a truthy `consumed` (epoch seconds, as the provider counts).
      return record.consumedAt === null ? payload : { ...payload, consumed: Math.floor(record.consumedAt / 1000) };
    };
    return {
      async upsert(id, payload, expiresIn) {
        await deps.store.upsertOidcRecord({
          model,
          idHash: sha256(id),
          payload: seal(deps.sealKey, JSON.stringify(payload)),
          grantId: typeof payload.grantId === 'string' ? payload.grantId : null,
          clientId: typeof payload.clientId === 'string' ? payload.clientId : null,
          accountId: typeof payload.accountId === 'string' ? payload.accountId : null,
          uid: model === 'Session' && typeof payload.uid === 'string' ? payload.uid : null,
          userCodeHash: typeof payload.userCode === 'string' ? sha256(payload.userCode) : null,
          expiresAt: typeof expiresIn === 'number' ? deps.now() + expiresIn * 1000 : null,
        });
      },
      find: async (id) => open(await deps.store.findOidcRecord(model, sha256(id), deps.now())),
      findByUid: async (uid) => open(await deps.store.findOidcRecordByUid(model, uid, deps.now())),
      findByUserCode: async (userCode) => open(await deps.store.findOidcRecordByUserCode(model, sha256(userCode), deps.now())),
      async consume(id) {
        await deps.store.consumeOidcRecord(model, sha256(id), deps.now());
      },
      async destroy(id) {
        await deps.store.destroyOidcRecord(model, sha256(id));
      },
      async revokeByGrantId(grantId) {
        await deps.store.revokeOidcGrant(model, grantId);
      },
    };
  };
}
