// Passkeys (issue #17): the logic of PasskeyStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import type { User } from '../../core/types.ts';
import { toUser, type Row } from '../rows.ts';
import type { Passkey, PasskeyCeremony, PasskeyChallenge, PasskeyStore } from '../passkey-store.ts';
import { all, appendEvents, get, run, type Driver, type Work } from './steps.ts';

export function passkeyStore(db: Driver): PasskeyStore {
  return {
    savePasskeyChallenge: (challenge) => db.transaction(saveChallenge(challenge)),
    takePasskeyChallenge: (browserHash, ceremony) => db.write(takeChallenge(browserHash, ceremony)),
    addPasskey: (passkey, events) => db.transaction(addPasskey(passkey, events)),
    findPasskeyByCredentialId: (credentialId) => db.read(findByCredentialId(credentialId)),
    listPasskeys: (userId) => db.read(listPasskeys(userId)),
    usePasskey: async (use) =>
      (await db.write(run('usePasskey', [use.counter, use.backedUp, use.now, use.id]))) === 1,
    renamePasskey: (userId, id, name, events) => db.transaction(changed('renamePasskey', [name, id, userId], events)),
    removePasskey: (userId, id, events) => db.transaction(changed('deletePasskey', [id, userId], events)),
  };
}

function* changed(name: 'renamePasskey' | 'deletePasskey', params: string[], events: AuditEvent[]): Work<boolean> {
  const done = (yield* run(name, params)) === 1;
  if (done) yield* appendEvents(events);
  return done;
}

function* saveChallenge(c: PasskeyChallenge): Work<void> {
  yield* run('prunePasskeyChallenges', [c.createdAt]);
  yield* run('upsertPasskeyChallenge', [c.browserHash, c.ceremony, c.challengeHash, c.userId, c.sessionId, c.createdAt, c.expiresAt]);
}

function* takeChallenge(browserHash: string, ceremony: PasskeyCeremony): Work<PasskeyChallenge | null> {
  const row = yield* get('takePasskeyChallenge', [browserHash, ceremony]);
  if (!row) return null;
  return {
    browserHash: String(row.browser_hash),
    ceremony: row.ceremony === 'registration' ? 'registration' : 'authentication',
    challengeHash: String(row.challenge_hash),
    userId: row.user_id == null ? null : String(row.user_id),
    sessionId: row.session_id == null ? null : String(row.session_id),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

function* addPasskey(p: Passkey, events: AuditEvent[]): Work<boolean> {
  const inserted = yield* run('insertPasskey', [
    p.id,
    p.userId,
    p.credentialId,
    p.publicKey,
    p.counter,
    JSON.stringify(p.transports),
    p.deviceType,
    p.backedUp,
    p.aaguid,
    p.name,
    p.createdAt,
  ]);
  if (inserted !== 1) return false;
  yield* appendEvents(events);
  return true;
}

function* findByCredentialId(credentialId: string): Work<{ passkey: Passkey; user: User } | null> {
  const row = yield* get('passkeyByCredentialId', [credentialId]);
  return row ? { passkey: toPasskey(row), user: toUser(row, 'u_') } : null;
}

function* listPasskeys(userId: string): Work<Passkey[]> {
  return (yield* all('passkeysOfUser', [userId])).map(toPasskey);
}

function toPasskey(row: Row): Passkey {
  const transports: unknown = JSON.parse(String(row.transports));
  return {
    id: String(row.id),
    userId: String(row.user_id),
    credentialId: String(row.credential_id),
    publicKey: String(row.public_key),
    counter: Number(row.counter),
    transports: Array.isArray(transports) ? transports.map(String) : [],
    deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: row.backed_up === true || Number(row.backed_up) === 1,
    aaguid: String(row.aaguid),
    name: String(row.name),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
  };
}
