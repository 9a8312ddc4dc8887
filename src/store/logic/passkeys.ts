// Passkeys (issue #17): the logic of PasskeyStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import type { User } from '../../core/types.ts';
import { toUser, type Row } from '../rows.ts';
import type { AddPasskeyGuard, AddPasskeyResult, Passkey, PasskeyCeremony, PasskeyChallenge, PasskeySettings, PasskeyStore, RemovePasskeyResult, SignInRequirements } from '../passkey-store.ts';
import { all, appendEvents, get, lock, run, type Driver, type Work } from './steps.ts';

export function passkeyStore(db: Driver): PasskeyStore {
  return {
    savePasskeyChallenge: (challenge) => db.transaction(saveChallenge(challenge)),
    holdsPasskeyChallenge: async (browserHash, ceremony, now) => (await db.read(get('passkeyChallengeLive', [browserHash, ceremony, now]))) !== undefined,
    takePasskeyChallenge: (browserHash, ceremony) => db.write(takeChallenge(browserHash, ceremony)),
    addPasskey: (passkey, events, guard) => db.transaction(addPasskey(passkey, events, guard)),
    findPasskeyByCredentialId: (credentialId) => db.read(findByCredentialId(credentialId)),
    listPasskeys: (userId) => db.read(listPasskeys(userId)),
    usePasskey: async (use) =>
      (await db.write(run('usePasskey', [use.counter, use.backedUp, use.now, use.id]))) === 1,
    renamePasskey: async (userId, id, name, events) => {
      return db.transaction(changed(run('renamePasskey', [name, id, userId]), events));
    },
    async removePasskey(userId, id, events) {
      try {
        return await db.transaction(removePasskey(userId, id, events));
      } catch (error) {
        if (error instanceof LastWayIn) return 'last_way_in';
        throw error;
      }
    },
    getPasskeySettings: (userId) => db.read(settings(userId)),
    getSignInRequirements: (userId) => db.read(signInRequirements(userId)),
    setEmailSignInRequiresPasskey: (userId, value, events) =>
      db.transaction(function* () {
        yield* lock(`passkeys:${userId}`);
        return yield* changed(run('setEmailSignInRequiresPasskey', [value, userId]), events);
      }()),
  };
}

/** Thrown inside the transaction so the delete rolls back. */
class LastWayIn extends Error {}

function* changed(statement: Work<number>, events: AuditEvent[]): Work<boolean> {
  const done = (yield* statement) === 1;
  if (done) yield* appendEvents(events);
  return done;
}

const flag = (value: unknown) => value === true || Number(value ?? 0) === 1;

export function* signInRequirements(userId: string): Work<SignInRequirements> {
  const row = yield* get('signInRequirements', [userId]);
  const totpEnabled = row?.totp_enabled_at !== null && row?.totp_enabled_at !== undefined;
  return {
    totpEnabled,
    emailSignInRequiresTotp: totpEnabled && flag(row?.email_requires_totp),
    emailSignInRequiresPasskey: flag(row?.required),
    passkeys: Number(row?.passkeys ?? 0),
  };
}

function* settings(userId: string): Work<PasskeySettings> {
  const { emailSignInRequiresPasskey, passkeys, totpEnabled } = yield* signInRequirements(userId);
  return { emailSignInRequiresPasskey, passkeys, totpEnabled };
}

function* removePasskey(userId: string, id: string, events: AuditEvent[]): Work<RemovePasskeyResult> {
  // Serialized per account (PostgreSQL), so two removals cannot both see "one left".
  yield* lock(`passkeys:${userId}`);
  if ((yield* run('deletePasskey', [id, userId])) !== 1) return 'not_found';
  const left = yield* settings(userId);
  if (left.emailSignInRequiresPasskey && left.passkeys === 0 && !left.totpEnabled) throw new LastWayIn();
  yield* appendEvents(events);
  return 'removed';
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

function* addPasskey(p: Passkey, events: AuditEvent[], guard: AddPasskeyGuard | undefined): Work<AddPasskeyResult> {
  if (guard) {
    // The lock "this wasn't me" and the operator's reset take: after them, the session is seen revoked.
    yield* lock(`passkeys:${p.userId}`);
    if (!(yield* get('sessionLive', [guard.sessionId, p.userId, guard.now]))) return 'session_gone';
    if (Number((yield* get('passkeyCount', [p.userId]))?.n ?? 0) >= guard.maxPasskeys) return 'limit_reached';
  }
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
  if (inserted !== 1) return 'exists';
  yield* appendEvents(events);
  return 'added';
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
