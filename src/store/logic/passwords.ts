// Passwords: the logic of PasswordStore, written once for both backends.

import type { User } from '../../core/types.ts';
import { toUser, withUserId } from '../rows.ts';
import type { PasswordStore, SetPasswordInput, StoredPassword } from '../store.ts';
import { appendEvents, get, run, type Driver, type Work } from './steps.ts';
import { insertOutbox } from './outbox.ts';

export function passwordStore(db: Driver): PasswordStore {
  return {
    findPasswordByEmail: (email) => db.read(findPasswordByEmail(email)),
    getPassword: (userId) => db.read(getPassword(userId)),
    rehashPassword: async (userId, oldHash, newHash) => (await db.write(run('rehashPassword', [newHash, userId, oldHash]))) === 1,
    setPassword: (input) => db.transaction(setPassword(input)),
  };
}

function* findPasswordByEmail(email: string): Work<{ user: User; passwordHash: string | null } | null> {
  const row = yield* get('userByEmail', [email]);
  return row ? { user: toUser(row), passwordHash: row.password_hash === null ? null : String(row.password_hash) } : null;
}

function* getPassword(userId: string): Work<StoredPassword | null> {
  const row = yield* get('passwordOf', [userId]);
  return row ? { passwordHash: String(row.password_hash), changedAt: Number(row.password_changed_at) } : null;
}

function* setPassword(input: SetPasswordInput): Work<User | null> {
  const row = yield* get('setPassword', [input.passwordHash, input.now, input.userId]);
  if (!row) return null;
  const user = toUser(row);
  if (input.keepSessionId === null) {
    yield* run('revokeUserSessions', [input.now, input.userId]);
    yield* run('deletePendingSecondFactors', [input.userId]);
  } else {
    yield* run('revokeOtherSessions', [input.now, input.userId, input.keepSessionId]);
  }
  yield* run('retireAccountTokens', [input.now, input.userId, user.email]);
  if (input.verifiedEmail !== null && (yield* run('markEmailVerified', [input.userId, input.verifiedEmail])) === 1) {
    user.emailVerified = true;
  }
  if (input.mail) yield* insertOutbox(input.mail);
  yield* appendEvents(withUserId(input.events, input.userId));
  return user;
}
