// The OpenID Connect provider's models and signing keys (issue #15): the logic
// of OidcStore, written once for both backends.

import type { User } from '../../core/types.ts';
import { toUser, type Row } from '../rows.ts';
import type { AuditEvent } from '../../core/audit.ts';
import type { OidcRecord, OidcSigningKey, OidcStore, StoredOidcClient, StoredOidcRecord } from '../oidc-store.ts';
import { all, appendEvents, get, run, type Driver, type Work } from './steps.ts';

export function oidcStore(db: Driver): OidcStore {
  return {
    upsertOidcRecord: async (r) => void (await db.write(upsert(r))),
    findOidcRecord: (model, idHash, now) => db.read(find('oidcRecord', [model, idHash, now])),
    findOidcRecordByUid: (model, uid, now) => db.read(findWithId('oidcRecordByUid', [model, uid, now])),
    findOidcRecordByUserCode: (model, hash, now) => db.read(findWithId('oidcRecordByUserCode', [model, hash, now])),
    consumeOidcRecord: async (model, idHash, now) => (await db.write(run('consumeOidcRecord', [now, model, idHash]))) === 1,
    destroyOidcRecord: async (model, idHash) => (await db.write(run('destroyOidcRecord', [model, idHash]))) === 1,
    revokeOidcGrant: (model, grantId) => db.write(run('revokeOidcGrant', [model, grantId])),
    listOidcGrants: (accountId, now) => db.read(listGrants(accountId, now)),
    listOidcClientsOfAccount: async (accountId, now) => (await db.read(all('oidcClientsOfAccount', [accountId, now]))).map((row) => String(row.client_id)),
    revokeOidcAccess: (accountId, clientId, events) => db.transaction(revokeAccess(accountId, clientId, events)),
    pruneOidcRecords: (now) => db.write(run('pruneOidcRecords', [now])),
    addOidcSigningKey: async (k) =>
      (await db.write(run('insertOidcKey', [k.kid, k.generation, k.alg, k.createdAt, k.sealedJwk]))) === 1,
    listOidcSigningKeys: () => db.read(listKeys()),
    findOidcAccount: (userId) => db.read(findAccount(userId)),
    addOidcClient: (client, events) => db.transaction(addClient(client, events)),
    findOidcClient: (clientId) => db.read(findClient(clientId)),
    listOidcClients: () => db.read(listClients()),
    removeOidcClient: (clientId, events) => db.transaction(removeClient(clientId, events)),
  };
}

function* upsert(r: OidcRecord): Work<number> {
  return yield* run('upsertOidcRecord', [r.model, r.idHash, r.payload, r.grantId, r.uid, r.userCodeHash, r.expiresAt, r.clientId, r.accountId]);
}

function* listGrants(accountId: string, now: number): Work<Array<{ clientId: string; payload: string }>> {
  const rows = yield* all('oidcGrantsOfAccount', [accountId, now]);
  return rows.map((row) => ({ clientId: String(row.client_id), payload: String(row.payload) }));
}

function* revokeAccess(accountId: string, clientId: string, events: AuditEvent[]): Work<number> {
  const removed = yield* run('revokeOidcAccess', [accountId, clientId]);
  if (removed > 0) yield* appendEvents(events);
  return removed;
}

function toRecord(row: Row): StoredOidcRecord {
  if (typeof row.payload !== 'string') throw new TypeError('store: column payload is not text');
  return { payload: row.payload, consumedAt: row.consumed_at == null ? null : Number(row.consumed_at) };
}

function* find(name: 'oidcRecord', params: [string, string, number]): Work<StoredOidcRecord | null> {
  const row = yield* get(name, params);
  return row ? toRecord(row) : null;
}

function* findWithId(
  name: 'oidcRecordByUid' | 'oidcRecordByUserCode',
  params: [string, string, number],
): Work<(StoredOidcRecord & { idHash: string }) | null> {
  const row = yield* get(name, params);
  return row ? { ...toRecord(row), idHash: String(row.id_hash) } : null;
}

function* listKeys(): Work<OidcSigningKey[]> {
  const rows = yield* all('oidcKeys', []);
  return rows.map((row) => ({
    kid: String(row.kid),
    generation: Number(row.generation),
    alg: String(row.alg),
    createdAt: Number(row.created_at),
    sealedJwk: String(row.sealed_jwk),
  }));
}

function* findAccount(userId: string): Work<User | null> {
  const row = yield* get('userById', [userId]);
  const user = row ? toUser(row) : null;
  return user && !user.disabled ? user : null;
}

function toClient(row: Row): StoredOidcClient {
  return {
    clientId: String(row.client_id),
    metadata: String(row.metadata),
    secretSealed: row.secret_sealed == null ? null : String(row.secret_sealed),
    firstParty: row.first_party === true || row.first_party === 1,
    createdAt: Number(row.created_at),
  };
}

function* addClient(c: StoredOidcClient, events: AuditEvent[]): Work<boolean> {
  const added = (yield* run('insertOidcClient', [c.clientId, c.metadata, c.secretSealed, c.firstParty, c.createdAt])) === 1;
  if (added) yield* appendEvents(events);
  return added;
}

function* findClient(clientId: string): Work<StoredOidcClient | null> {
  const row = yield* get('oidcClientById', [clientId]);
  return row ? toClient(row) : null;
}

function* listClients(): Work<StoredOidcClient[]> {
  return (yield* all('oidcClients', [])).map(toClient);
}

function* removeClient(clientId: string, events: AuditEvent[]): Work<boolean> {
  const removed = (yield* run('deleteOidcClient', [clientId])) === 1;
  if (!removed) return false;
  yield* run('deleteOidcClientRecords', [clientId]);
  yield* appendEvents(events);
  return true;
}
