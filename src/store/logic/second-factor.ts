// Two-factor (issue #5): TOTP, recovery codes and the pending second factor.
// The logic of SecondFactorStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import {
  newSessionRecord,
  pendingSecondFactorValues,
  Refusal,
  sessionValues,
  toPendingSecondFactor,
  toTotp,
  toUser,
  withUserId,
} from '../rows.ts';
import type {
  CompleteSecondFactorInput,
  CompleteSecondFactorResult,
  PendingSecondFactor,
  SecondFactorProof,
  SecondFactorStore,
  TotpRecord,
} from '../store.ts';
import { appendEvents, get, lock, run, type Driver, type Work } from './steps.ts';

export function secondFactorStore(db: Driver): SecondFactorStore {
  return {
    getTotp: (userId) => db.read(getTotp(userId)),
    startTotpEnrolment: (userId, secretSealed, now, events) =>
      db.transaction(changed('startTotpEnrolment', [userId, secretSealed, now], events)),
    enableTotp: (input) => db.transaction(enableTotp(input)),
    useTotpStep: async (userId, step) => (await db.write(run('useTotpStep', [step, userId]))) === 1,
    disableTotp: (userId, events) => db.transaction(disableTotp(userId, events)),
    setEmailSignInRequiresTotp: (userId, value, events) =>
      db.transaction(changed('setEmailSignInRequiresTotp', [value, userId], events)),
    replaceRecoveryCodes: (userId, codeHashes, now, events) => db.transaction(replaceRecoveryCodes(userId, codeHashes, now, events)),
    countRecoveryCodes: (userId) => db.read(countRecoveryCodes(userId)),
    consumeRecoveryCode: (userId, codeHash, now, events) =>
      db.transaction(changed('consumeRecoveryCode', [now, userId, codeHash], events)),
    createPendingSecondFactor: (pending, events) => db.transaction(createPendingSecondFactor(pending, events)),
    findPendingSecondFactor: (tokenHash) => db.read(findPendingSecondFactor(tokenHash)),
    reserveSecondFactorAttempt: (tokenHash, max, now) => db.write(reserveSecondFactorAttempt(tokenHash, max, now)),
    async completeSecondFactor(input) {
      try {
        return await db.transaction(completeSecondFactor(input));
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason };
        throw error;
      }
    },
  };
}

/** One conditional statement; the events are appended when it changed the one row. */
function* changed(
  name: 'startTotpEnrolment' | 'setEmailSignInRequiresTotp' | 'consumeRecoveryCode',
  params: (string | number | boolean)[],
  events: AuditEvent[],
): Work<boolean> {
  const done = (yield* run(name, params)) === 1;
  if (done) yield* appendEvents(events);
  return done;
}

function* getTotp(userId: string): Work<TotpRecord | null> {
  const row = yield* get('totpByUser', [userId]);
  return row ? toTotp(row) : null;
}

function* enableTotp(input: { userId: string; step: number; now: number; recoveryCodeHashes: string[]; events: AuditEvent[] }): Work<boolean> {
  if ((yield* run('enableTotp', [input.now, input.step, input.userId])) !== 1) return false;
  yield* run('deleteRecoveryCodes', [input.userId]);
  yield* run('insertRecoveryCodes', [input.userId, input.recoveryCodeHashes, input.now]);
  yield* appendEvents(input.events);
  return true;
}

function* disableTotp(userId: string, events: AuditEvent[]): Work<boolean> {
  // The account's row before the TOTP row, as a completion takes them (no deadlock when it turns the passkey setting off).
  yield* get('lockUser', [userId]);
  // The passkeys' lock (logic/passkeys.ts): a concurrent removal of the last passkey sees TOTP on or off, not half.
  yield* lock(`passkeys:${userId}`);
  const row = yield* get('disableTotp', [userId]);
  yield* run('deleteRecoveryCodes', [userId]);
  const wasOn = row !== undefined && row.enabled_at !== null;
  if (!wasOn) return false;
  yield* appendEvents(events);
  // Issue #17 F4: "email sign-in also asks for a passkey or authenticator code" holds while the
  // account has one of them; with no passkey left and TOTP now off it is turned off here, audited.
  if ((yield* run('dropPasskeyRequirementIfNone', [userId])) === 1) {
    yield* appendEvents(events.slice(0, 1).map((event) => ({ ...event, type: 'passkey.settings_changed' as const, reason: 'off_totp_disabled' })));
  }
  return true;
}

function* replaceRecoveryCodes(userId: string, codeHashes: string[], now: number, events: AuditEvent[]): Work<boolean> {
  // Locked (PostgreSQL FOR UPDATE): a concurrent disableTotp waits, so codes are never stored for an account without TOTP.
  if (!(yield* get('lockTotpEnabled', [userId]))) return false;
  yield* run('deleteRecoveryCodes', [userId]);
  yield* run('insertRecoveryCodes', [userId, codeHashes, now]);
  yield* appendEvents(events);
  return true;
}

function* countRecoveryCodes(userId: string): Work<number> {
  return Number((yield* get('countRecoveryCodes', [userId]))?.unused ?? 0);
}

function* createPendingSecondFactor(pending: PendingSecondFactor, events: AuditEvent[]): Work<void> {
  yield* run('sweepPendingSecondFactors', [pending.userId, pending.createdAt]);
  yield* run('insertPendingSecondFactor', pendingSecondFactorValues(pending));
  yield* appendEvents(events);
}

function* findPendingSecondFactor(tokenHash: string): Work<PendingSecondFactor | null> {
  const row = yield* get('pendingSecondFactorByHash', [tokenHash]);
  return row ? toPendingSecondFactor(row) : null;
}

function* reserveSecondFactorAttempt(tokenHash: string, max: number, now: number): Work<number | null> {
  const row = yield* get('reserveSecondFactorAttempt', [tokenHash, max, now]);
  return row ? Number(row.attempts) : null;
}

/** Spends what completes the step: a TOTP step, a recovery code, or a passkey's use; false when refused. */
function* spendProof(proof: SecondFactorProof, userId: string, now: number): Work<boolean> {
  if ('totpStep' in proof) return (yield* run('useTotpStep', [proof.totpStep, userId])) === 1;
  if ('recoveryCodeHash' in proof) return (yield* run('consumeRecoveryCode', [now, userId, proof.recoveryCodeHash])) === 1;
  // Issue #17 F3: the step's account's passkey (it may have been removed meanwhile), its counter moving forward.
  const use = proof.passkey;
  return (yield* run('usePasskeyOfUser', [use.counter, use.backedUp, use.now, use.id, userId])) === 1;
}

/** Any refusal throws, so the transaction rolls everything back (the caller turns it into a value). */
function* completeSecondFactor(input: CompleteSecondFactorInput): Work<CompleteSecondFactorResult> {
  // The account's row first (PostgreSQL: FOR UPDATE), as a disabling, "this wasn't me", the operator's reset and
  // the revocation of every session take it: otherwise one of them, waiting on the old session's row lock here,
  // would miss the session this inserts (its snapshot predates it), which then outlives the sign-out.
  const peeked = yield* get('pendingSecondFactorByHash', [input.tokenHash]);
  if (!peeked || !(yield* get('lockUser', [String(peeked.user_id)]))) throw new Refusal('pending_gone');
  const row = yield* get('takePendingSecondFactor', [input.tokenHash, input.now]);
  if (!row) throw new Refusal('pending_gone');
  const { userId, passwordHash } = toPendingSecondFactor(row);
  // A step-up rotates the session: the old one ends here, or (revoked meanwhile) nothing happens.
  if (input.replacesSessionId && (yield* run('revokeSession', [input.now, input.replacesSessionId, userId])) !== 1) throw new Refusal('pending_gone');
  const proved = yield* spendProof(input.proof, userId, input.now);
  if (!proved) throw new Refusal('proof_refused');
  const userRow = yield* get('userById', [userId]);
  if (!userRow) throw new Refusal('pending_gone');
  const user = toUser(userRow);
  // Disabled since the first factor: no session (it would come alive when the account is enabled again).
  if (user.disabled) throw new Refusal('pending_gone');
  if (passwordHash) {
    // The held reset, now that the second factor passed (issue #12 finding 4).
    if (!(yield* get('setPassword', [passwordHash, input.now, userId]))) throw new Refusal('pending_gone');
    yield* run('revokeUserSessions', [input.now, userId]);
    yield* run('deletePendingSecondFactors', [userId]);
    yield* run('retireAccountTokens', [input.now, userId, user.email]);
  }
  if (input.verifiedEmail !== null && user.email === input.verifiedEmail && !user.emailVerified) {
    yield* run('verifyEmail', [user.id]);
    user.emailVerified = true;
  }
  yield* run('insertSession', sessionValues(input.session, user.id));
  yield* appendEvents(withUserId(input.events, user.id));
  return { ok: true, user, session: newSessionRecord(input.session, user.id) };
}
