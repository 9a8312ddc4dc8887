// Accounts: the user rows, their address and its verification. The logic of
// AccountStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import type { User } from '../../core/types.ts';
import { toUser, withUserId } from '../rows.ts';
import type {
  AccountStore,
  ChangeEmailInput,
  ChangeEmailResult,
  ResetSecondFactorsResult,
  UndoEmailChangeInput,
  UndoEmailChangeResult,
} from '../store.ts';
import { all, appendEvents, get, lock, run, type Driver, type Work } from './steps.ts';

export function accountStore(db: Driver): AccountStore {
  return {
    findUserByEmail: (email) => db.read(findUserByEmail(email)),
    listUsers: ({ limit, afterEmail }) => db.read(listUsers(limit, afterEmail)),
    createUser: (user, events) => db.transaction(createUser(user, events)),
    setUserDisabled: (userId, disabledAt, now, events) => db.transaction(setUserDisabled(userId, disabledAt, now, events)),
    markEmailVerified: (userId, email, events) => db.transaction(markEmailVerified(userId, email, events)),
    async changeEmail(input) {
      try {
        return await db.transaction(changeEmail(input));
      } catch (error) {
        // Taken by a sign-in that committed between the check and the update: the unique index decides.
        if (db.isUniqueViolation(error)) return { ok: false, reason: 'taken' };
        throw error;
      }
    },
    async undoEmailChange(input) {
      try {
        return await db.transaction(undoEmailChange(input, true));
      } catch (error) {
        // The old address was taken meanwhile: still sign out everywhere, without switching back.
        if (db.isUniqueViolation(error)) return db.transaction(undoEmailChange(input, false));
        throw error;
      }
    },
    resetSecondFactors: (userId, now, events) => db.transaction(resetSecondFactors(userId, now, events)),
  };
}

function* findUserByEmail(email: string): Work<User | null> {
  const row = yield* get('userByEmail', [email]);
  return row ? toUser(row) : null;
}

function* listUsers(limit: number, afterEmail: string | null): Work<User[]> {
  return (yield* all('listUsers', [afterEmail ?? '', limit])).map((row) => toUser(row));
}

function* createUser(user: { id: string; email: string; now: number }, events: AuditEvent[]): Work<User | null> {
  if ((yield* run('createUser', [user.id, user.email, user.now])) === 0) return null;
  yield* appendEvents(withUserId(events, user.id));
  return toUser((yield* get('userById', [user.id]))!);
}

function* setUserDisabled(userId: string, disabledAt: number | null, now: number, events: AuditEvent[]): Work<boolean> {
  const row = yield* get('userById', [userId]);
  if (!row || (yield* run('setUserDisabled', [disabledAt, userId])) === 0) return false;
  if (disabledAt !== null) {
    yield* run('revokeUserSessions', [now, userId]);
    // A sign-in at its second step dies too: completed later, its session would outlive the disabling.
    yield* run('deletePendingSecondFactors', [userId]);
    yield* run('retireUserTokens', [now, userId, String(row.email)]);
  }
  yield* appendEvents(withUserId(events, userId));
  return true;
}

function* markEmailVerified(userId: string, email: string, events: AuditEvent[]): Work<boolean> {
  const marked = (yield* run('markEmailVerified', [userId, email])) === 1;
  if (marked) yield* appendEvents(withUserId(events, userId));
  return marked;
}

function* changeEmail(input: ChangeEmailInput): Work<ChangeEmailResult> {
  // SQLite holds the write lock from BEGIN IMMEDIATE; PostgreSQL's unique index settles a race (above).
  if (yield* get('userByEmail', [input.toEmail])) return { ok: false, reason: 'taken' };
  const row = yield* get('changeEmail', [input.toEmail, input.userId, input.fromEmail]);
  if (!row) return { ok: false, reason: 'stale' };
  if (input.keepSessionId === null) yield* run('revokeUserSessions', [input.now, input.userId]);
  else yield* run('revokeOtherSessions', [input.now, input.userId, input.keepSessionId]);
  yield* run('deletePendingSecondFactors', [input.userId]);
  yield* run('retireAccountTokens', [input.now, input.userId, input.toEmail]);
  yield* appendEvents(withUserId(input.events, input.userId));
  return { ok: true, user: toUser(row) };
}

function* undoEmailChange(input: UndoEmailChangeInput, restore: boolean): Work<UndoEmailChangeResult | null> {
  const row = yield* get('lockUser', [input.userId]);
  if (!row) return null;
  const current = String(row.email);
  // Back to the link's address from wherever later changes took it, while nobody else has it.
  const restored =
    restore &&
    current !== input.restoreEmail &&
    !(yield* get('userByEmail', [input.restoreEmail])) &&
    (yield* run('changeEmail', [input.restoreEmail, input.userId, current])) === 1;
  yield* run('revokeUserSessions', [input.now, input.userId]);
  yield* run('deletePendingSecondFactors', [input.userId]);
  // Every token, later "this wasn't me" links included; an earlier owner's link stays (issue #12 finding 3).
  yield* run('retireTokensButEarlierCancels', [input.now, input.userId, restored ? input.restoreEmail : current, input.cancelIssuedAt]);
  const passwordRemoved = (yield* run('dropPassword', [input.now, input.userId])) === 1;
  const totpRemoved = (yield* run('dropTotpSince', [input.userId, input.removeSecondFactorsSince])) > 0;
  if (totpRemoved) yield* run('deleteRecoveryCodes', [input.userId]);
  // An intruder's passkey is a way back in that outlives every session (issue #17 review F2), and unlike
  // TOTP it signs in alone, so its age proves nothing (review round 2, finding 4): every passkey goes, and
  // the owner, signed in by email again, adds theirs anew. Locked like removePasskey, so a concurrent
  // "email sign-in asks for a passkey" cannot dangle.
  yield* lock(`passkeys:${input.userId}`);
  const passkeysRemoved = yield* run('dropPasskeysSince', [input.userId, 0]);
  // With the intruder's TOTP gone too, a requirement it held (no passkey left) would wait for the owner's next passkey.
  if (passkeysRemoved > 0 || totpRemoved) yield* run('dropPasskeyRequirementIfNone', [input.userId]);
  // An app's refresh token (offline_access) outlives every session: the intruder's goes too.
  yield* run('revokeOidcRecordsOfAccount', [input.userId]);
  yield* appendEvents(withUserId(input.events, input.userId));
  return { user: toUser((yield* get('userById', [input.userId]))!), restored, passwordRemoved, totpRemoved, passkeysRemoved };
}

function* resetSecondFactors(userId: string, now: number, events: AuditEvent[]): Work<ResetSecondFactorsResult | null> {
  const row = yield* get('lockUser', [userId]);
  if (!row) return null;
  yield* lock(`passkeys:${userId}`);
  // Deleting the TOTP row clears "email sign-in also asks for TOTP" with it.
  const totpRemoved = (yield* get('disableTotp', [userId])) !== undefined;
  yield* run('deleteRecoveryCodes', [userId]);
  const passkeysRemoved = yield* run('dropPasskeysSince', [userId, 0]);
  yield* run('dropPasskeyRequirementIfNone', [userId]);
  // The second factor guarded the password too: left, it would sign in alone (an intruder may have set it,
  // or it was phished). Then only the mailbox gets in, as the reset promises; the person sets a new one.
  const passwordRemoved = (yield* run('dropPassword', [now, userId])) === 1;
  const sessionsRevoked = yield* run('revokeUserSessions', [now, userId]);
  yield* run('deletePendingSecondFactors', [userId]);
  // Links mailed before the reset were held back by the second step; after it they would sign in alone.
  yield* run('retireAccountTokens', [now, userId, String(row.email)]);
  // An app's refresh token (offline_access) outlives every session.
  yield* run('revokeOidcRecordsOfAccount', [userId]);
  yield* appendEvents(withUserId(events, userId));
  return { user: toUser(row), totpRemoved, passkeysRemoved, passwordRemoved, sessionsRevoked };
}
