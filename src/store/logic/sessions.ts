// Sessions, from the sign-in that creates one to its revocation: the logic of
// SessionStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import type { Session, User } from '../../core/types.ts';
import { newSessionRecord, sessionValues, toSession, toSessionLookup, toUser, withUserId } from '../rows.ts';
import type { SessionStore, SignInInput, SignInResult } from '../store.ts';
import { all, appendEvents, get, run, type Driver, type Work } from './steps.ts';

export function sessionStore(db: Driver): SessionStore {
  return {
    signIn: (input) => db.transaction(signIn(input)),
    findSession: (tokenHash) => db.read(findSession(tokenHash)),
    touchSession: async (sessionId, now) => void (await db.write(run('touchSession', [now, sessionId]))),
    listSessions: (userId, now) => db.read(listSessions(userId, now)),
    revokeSession: (sessionId, userId, now, events) => db.transaction(revokeSession(sessionId, userId, now, events)),
    revokeUserSessions: (userId, now, events) => db.transaction(revokeUserSessions(userId, now, events)),
    reauthenticateSession: (sessionId, userId, now, events) => db.transaction(reauthenticateSession(sessionId, userId, now, events)),
  };
}

function* signIn(input: SignInInput): Work<SignInResult | null> {
  // Locked (PostgreSQL): a disabling or a sign-out everywhere racing this sign-in either waits for its
  // session and revokes it, or commits first and this sign-in sees the account disabled.
  let row = input.userId !== null ? yield* get('signInUserById', [input.userId]) : undefined;
  row ??= yield* get('signInUserByEmail', [input.email]);
  let createdUser = false;
  if (!row) {
    if (!input.allowSignup) {
      yield* appendEvents(input.events);
      return null;
    }
    // A concurrent first sign-in with the same address waits on the unique index (PostgreSQL), then finds its user.
    createdUser = (yield* run('insertUser', [input.newUserId, input.email, input.now])) === 1;
    row = yield* get('userByEmail', [input.email]);
    if (!row) throw new Error('store: user vanished during sign-in');
  }
  const user = toUser(row);
  if (user.disabled) return null; // the caller records the refusal
  // Only the address the token was mailed to has been proven.
  if (input.emailProven !== false && user.email === input.email && !user.emailVerified) {
    yield* run('verifyEmail', [user.id]);
    user.emailVerified = true;
  }
  yield* run('insertSession', sessionValues(input.session, user.id));
  const created = createdUser && input.createdUserEvent ? [input.createdUserEvent] : [];
  yield* appendEvents(withUserId([...created, ...input.events], user.id));
  return { user, session: newSessionRecord(input.session, user.id), createdUser };
}

/** The session check, on every authenticated request: one row as an array, mapped by position (rows.ts toSessionLookup). */
function* findSession(tokenHash: string): Work<{ session: Session; user: User } | null> {
  // A step yielded directly, not through tuple(): one generator fewer on the hottest path.
  const row = (yield { kind: 'tuple', name: 'sessionLookup', params: [tokenHash] }) as unknown[] | undefined;
  return row ? toSessionLookup(row) : null;
}

function* listSessions(userId: string, now: number): Work<Session[]> {
  return (yield* all('listSessions', [userId, now])).map(toSession);
}

function* revokeSession(sessionId: string, userId: string, now: number, events: AuditEvent[]): Work<boolean> {
  const revoked = (yield* run('revokeSession', [now, sessionId, userId])) === 1;
  if (revoked) yield* appendEvents(events);
  return revoked;
}

function* revokeUserSessions(userId: string, now: number, events: AuditEvent[]): Work<number> {
  // After any second-factor completion (a step-up's rotation) holding the account's row: its new session is seen.
  yield* get('lockUser', [userId]);
  const revoked = yield* run('revokeUserSessions', [now, userId]);
  // The operator's "sign out everywhere" ends the apps' access too: a refresh token (offline_access) of a
  // public client, which has no back-channel logout, would outlive every session (review of this stop, finding 3).
  yield* run('revokeOidcRecordsOfAccount', [userId]);
  yield* appendEvents(withUserId(events, userId));
  return revoked;
}

function* reauthenticateSession(sessionId: string, userId: string, now: number, events: AuditEvent[]): Work<boolean> {
  const done = (yield* run('reauthenticateSession', [now, sessionId, userId])) === 1;
  if (done) yield* appendEvents(withUserId(events, userId));
  return done;
}
