// The one narrow storage interface. Every method is one atomic statement or one
// transaction; security properties (single use, attempt caps, retiring older
// tokens) live in these statements, not in read-then-write code above them.
// Each backend (sqlite/, postgres/) passes the same conformance suite.

import type { AuditEvent, AuditEventType, StoredAuditEvent } from '../core/audit.ts';
import type { AuthMethod, FirstFactorKind, Session, TokenPurpose, TokenRecord, User } from '../core/types.ts';
import type { OidcStore } from './oidc-store.ts';
import type { PasskeyStore, PasskeyUse } from './passkey-store.ts';

export type { OidcRecord, OidcSigningKey, OidcStore, StoredOidcRecord } from './oidc-store.ts';
export type { Passkey, PasskeyCeremony, PasskeyChallenge, PasskeySettings, PasskeyStore, PasskeyUse, RemovePasskeyResult, SignInRequirements } from './passkey-store.ts';

export type ConsumeFailure = 'not_found' | 'expired' | 'used' | 'replaced' | 'locked';

export type ConsumeResult =
  | { ok: true; token: TokenRecord }
  | { ok: false; reason: ConsumeFailure; token: TokenRecord | null };

export interface ConsumeTokenInput {
  /** Look the token up by the SHA-256 of the link token, or by id (code path). */
  lookup: { tokenHash: string } | { tokenId: string };
  purpose: TokenPurpose;
  now: number;
  /**
   * The token is alive while code_attempts <= attemptLimit. The link path passes
   * maxCodeAttempts - 1 (five wrong codes kill the link); the code path has
   * already reserved its own attempt, so it passes maxCodeAttempts.
   */
  attemptLimit: number;
}

export interface NewOutboxMessage {
  id: string;
  createdAt: number;
  requestId: string | null;
  /** Canonical recipient address, kept in clear for operators. */
  recipient: string;
  /** Encrypted message (subject, text, html): it holds a live link, so never plain. */
  payload: string;
}

export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'dead';

export interface OutboxMessage extends NewOutboxMessage {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  sentAt: number | null;
}

export interface NewSession {
  id: string;
  /** SHA-256 of the cookie value, base64url. */
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
  /** How this sign-in was done (RFC 8176 values). */
  amr: AuthMethod[];
  /** When its holder last signed in (recent-sign-in checks): createdAt unless given (a step-up keeps the old session's). */
  authenticatedAt?: number;
}

export interface SignInInput {
  email: string;
  /** Known when the token was issued; null means "find or create by email". */
  userId: string | null;
  allowSignup: boolean;
  newUserId: string;
  now: number;
  session: NewSession;
  /** Appended in the same transaction; events with userId null get the user's id. */
  events: AuditEvent[];
  /** Appended first, in the same transaction, only when this call creates the user. */
  createdUserEvent?: AuditEvent;
  /** False when the first factor did not prove the address (a password): it is not marked verified. Default true. */
  emailProven?: boolean;
}

export interface SignInResult {
  user: User;
  session: Session;
  createdUser: boolean;
}

export interface AuditQuery {
  requestId?: string;
  userId?: string;
  /** The canonical address; matched against the stored auditEmail(address). */
  email?: string;
  type?: AuditEventType;
  since?: number;
  limit?: number;
}

/** A fixed-window counter of the store-backed rate limiter (the fallback while Redis is unreachable). */
export interface RateCounter {
  points: number;
  /** Epoch ms; null: never expires. */
  expiresAt: number | null;
}

/** An account's TOTP: from the start of enrolment (enabledAt null) until it is switched off. */
export interface TotpRecord {
  userId: string;
  /** The base32 secret, sealed by core/totp.ts (AES-256-GCM, key derived from the server secret). */
  secretSealed: string;
  createdAt: number;
  /** Null while enrolment waits for its first code. */
  enabledAt: number | null;
  /** The newest time step accepted; a code of this step or older is refused (replay). */
  lastUsedStep: number | null;
  /** Magic-link and email-code sign-in also ask for TOTP (default once TOTP is on). */
  emailSignInRequiresTotp: boolean;
}

/** A verified first factor waiting for its second (core/second-factor.ts). */
export interface PendingSecondFactor {
  /** SHA-256 of the cookie value. */
  tokenHash: string;
  userId: string;
  /** The account's canonical address when the first factor was verified. */
  email: string;
  firstFactor: FirstFactorKind;
  /** Already checked against the redirect policy. */
  redirectTo: string | null;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  /**
   * A password reset waiting for the second factor (issue #12 finding 4): the
   * new PHC string, set (and every session revoked) only when the step
   * completes. Null: an ordinary sign-in.
   */
  passwordHash: string | null;
}

/** What the second factor proved: a TOTP time step (replay-checked) or a recovery code (single use). */
/** What completes the step: a TOTP step, a recovery code, or a passkey of the step's account (issue #17: its counter moves forward in the same transaction). */
export type SecondFactorProof = { totpStep: number } | { recoveryCodeHash: string } | { passkey: PasskeyUse };

export interface CompleteSecondFactorInput {
  tokenHash: string;
  proof: SecondFactorProof;
  now: number;
  session: NewSession;
  /** Marked verified when it is still the account's address (the first factor was an email). */
  verifiedEmail: string | null;
  /**
   * A step-up (core/step-up.ts): this live session of the account is revoked in
   * the same transaction as the new one is created (`pending_gone` when it is no longer live).
   */
  replacesSessionId?: string | null;
  events: AuditEvent[];
}

export type CompleteSecondFactorResult =
  | { ok: true; user: User; session: Session }
  /** pending_gone: used, expired or never there. proof_refused: the step was not newer, or the code is used or unknown. */
  | { ok: false; reason: 'pending_gone' | 'proof_refused' };

/** An account's password (core/passwords.ts): an Argon2id PHC string and when it was set. */
export interface StoredPassword {
  passwordHash: string;
  changedAt: number;
}

export interface SetPasswordInput {
  userId: string;
  /** The new PHC string; null removes the password. */
  passwordHash: string | null;
  now: number;
  /** Every other session of the account is revoked; null revokes them all (and any pending second factor). */
  keepSessionId: string | null;
  /** Marked verified when it is still the account's address (a password reset proved it). */
  verifiedEmail: string | null;
  /** The "your password was changed" notice, committed with the change. */
  mail: NewOutboxMessage | null;
  events: AuditEvent[];
}

export interface ChangeEmailInput {
  userId: string;
  /** The account's address when the change was asked for: a change from any other is stale. */
  fromEmail: string;
  toEmail: string;
  now: number;
  /** The confirming browser's session when it is this account's; every other session is revoked. */
  keepSessionId: string | null;
  events: AuditEvent[];
}

export type ChangeEmailResult =
  | { ok: true; user: User }
  /** taken: another account has the address. stale: the account is gone, disabled, or no longer has fromEmail. */
  | { ok: false; reason: 'taken' | 'stale' };

export interface UndoEmailChangeInput {
  userId: string;
  /**
   * The address the change was asked from (the cancel link went there). The
   * account goes back to it from whatever address it is on now: a later change
   * (a second one, or its own undo) must not defeat the first owner's link
   * (issue #12 finding 3).
   */
  restoreEmail: string;
  /**
   * When the cancel link was issued. "This wasn't me" links issued before it
   * (earlier changes of a chain, mailed to earlier owners) stay alive; it retires
   * every later one. The first owner always wins.
   */
  cancelIssuedAt: number;
  /**
   * TOTP enrolled (or being enrolled) since then may be the intruder's and is
   * removed; an older one is the owner's (it cannot sign in alone). Passkeys
   * are all removed, whatever their age.
   */
  removeSecondFactorsSince: number;
  now: number;
  events: AuditEvent[];
}

export interface UndoEmailChangeResult {
  user: User;
  /** The account had moved to another address and is back on the one the link was sent to. */
  restored: boolean;
  passwordRemoved: boolean;
  totpRemoved: boolean;
  /** Every passkey of the account, deleted: a passkey signs in alone, whenever it was added (issue #17 review F2, round 2). */
  passkeysRemoved: number;
}

/** What the operator's reset of an account's second factors took away (core/second-factor-reset.ts). */
export interface ResetSecondFactorsResult {
  user: User;
  totpRemoved: boolean;
  passkeysRemoved: number;
  passwordRemoved: boolean;
  sessionsRevoked: number;
}

export type ApprovalState = 'pending' | 'approved' | 'refused' | 'completed';

/**
 * Cross-device approval of one sign-in request (core/cross-device.ts,
 * LATCHKEY_CROSS_DEVICE_APPROVAL): the waiting browser shows `number`, the
 * device that opened the link picks one of `choices`.
 */
/** What a browser asked for (issue #12 finding 10), found only by the SHA-256 of its flow cookie. */
export interface SignInFlow {
  flowHash: string;
  /** Canonical address asked for. */
  email: string;
  /** The checked redirect, kept by a resend. */
  redirectTo: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface CrossDeviceApproval {
  /** SHA-256 of the waiting browser's flow cookie (the token's flowHash). */
  flowHash: string;
  tokenId: string;
  /** 10–99, shown only in the waiting browser. */
  number: number;
  /** Three numbers, `number` among them, fixed at creation: reloading the link page shows the same three. */
  choices: number[];
  state: ApprovalState;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
}

/** What an operator needs to see that mail is flowing (admin API, CLI, /metrics). */
export interface OutboxSummary {
  queued: number;
  /** Queued again after a failed attempt (lastError tells why). */
  retrying: number;
  sending: number;
  sent: number;
  dead: number;
  /** createdAt of the oldest message not yet sent (queued or sending), or null. */
  oldestUnsentAt: number | null;
  /** Newest first: messages that failed at least once and are not sent (payload never included). */
  troubled: Array<Omit<OutboxMessage, 'payload'>>;
}

/** The database itself: schema, health, shutdown. */
export interface StoreLifecycle {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; running it twice changes nothing. Returns how many ran. */
  migrate(): Promise<number>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** The newest migration applied to this database (0 before the first). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

/** One-time tokens (core/tokens.ts). */
export interface TokenStore {
  /**
   * One transaction: retire the unused, unretired tokens of the same email and
   * purpose (retiredAt = token.createdAt), insert the token, the outbox row (if
   * any) and the events.
   */
  issueToken(token: TokenRecord, mail: NewOutboxMessage | null, events: AuditEvent[]): Promise<void>;
  /** Read-only look-up by link-token hash (the GET verify page must not consume). */
  findToken(tokenHash: string): Promise<TokenRecord | null>;
  /** Newest token (by createdAt) for this address and purpose, whatever its state. */
  findLatestToken(email: string, purpose: TokenPurpose): Promise<TokenRecord | null>;
  /** Conditional update: consumed at most once, however many callers race. */
  consumeToken(input: ConsumeTokenInput): Promise<ConsumeResult>;
  /**
   * Atomically count one code attempt (code_attempts + 1 where code_attempts < max
   * and the token is unconsumed and unretired). Returns the new count, or null
   * when no attempt is left (or the token is consumed/retired).
   */
  reserveCodeAttempt(tokenId: string, maxCodeAttempts: number): Promise<number | null>;
}

/** Sessions, from the sign-in that creates one to its revocation. */
export interface SessionStore {
  /**
   * One transaction: find the user (by id, else by email), create it when absent
   * and allowed, mark the email verified, insert the session, append the events.
   * Returns null (and writes nothing but the events) when there is no user and
   * signup is closed, or when the account is disabled.
   */
  signIn(input: SignInInput): Promise<SignInResult | null>;
  /** Unrevoked session by cookie hash, with its user. Expiry is judged by the caller. */
  findSession(tokenHash: string): Promise<{ session: Session; user: User } | null>;
  /** Sets last_seen_at = now. */
  touchSession(sessionId: string, now: number): Promise<void>;
  /** Unrevoked sessions of the user whose absolute expiry is after now, newest first. */
  listSessions(userId: string, now: number): Promise<Session[]>;
  /** Revokes one session of this user; false when it is not theirs or already revoked. */
  revokeSession(sessionId: string, userId: string, now: number, events: AuditEvent[]): Promise<boolean>;
  /** Revokes every session of the account; returns how many. */
  /** The operator's sign-out everywhere: every session and every app grant and token of the account; the count of sessions. */
  revokeUserSessions(userId: string, now: number, events: AuditEvent[]): Promise<number>;
  /** The session proved who it is again (password): authenticatedAt = now. false when revoked or not this user's. */
  reauthenticateSession(sessionId: string, userId: string, now: number, events: AuditEvent[]): Promise<boolean>;
}

/** Accounts: the user rows, their address and its verification (issue #5). */
export interface AccountStore {
  findUserByEmail(email: string): Promise<User | null>;
  /**
   * One page of accounts in address order, after `afterEmail` (null: from the
   * start): keyset paging on the unique email index, so a page costs the same
   * however deep it is and accounts created meanwhile are neither skipped nor repeated.
   */
  listUsers(query: { limit: number; afterEmail: string | null }): Promise<User[]>;
  /** Creates an account (admin); null when the address is taken. */
  createUser(user: { id: string; email: string; now: number }, events: AuditEvent[]): Promise<User | null>;
  /**
   * One transaction: disable (disabledAt set) or enable (null) the account. Disabling
   * also revokes every session and retires every unused token of the account.
   * false when it was already in that state (nothing written).
   */
  setUserDisabled(userId: string, disabledAt: number | null, now: number, events: AuditEvent[]): Promise<boolean>;
  /** Marks the address verified while it is still the account's; appends the events when it is. */
  markEmailVerified(userId: string, email: string, events: AuditEvent[]): Promise<boolean>;
  /**
   * One transaction: switches the account from fromEmail to toEmail (verified),
   * revokes every session but keepSessionId, retires the account's unused
   * tokens except "this wasn't me" links, appends the events. Refused, with
   * nothing written, when toEmail is taken or the account moved on.
   */
  changeEmail(input: ChangeEmailInput): Promise<ChangeEmailResult>;
  /**
   * One transaction ("this wasn't me"): back to restoreEmail from any other
   * address (while restoreEmail is free), every session and pending second
   * factor revoked, every unused token retired but the cancel links issued
   * before cancelIssuedAt, the password removed
   * (an intruder may have set it; the owner can set a new one by reset), TOTP
   * enrolled since removeSecondFactorsSince and every passkey removed
   * ("email sign-in also asks for a passkey" with them, when none is left), every
   * OpenID Connect grant and token of the account revoked, the events appended.
   * Null when the account is gone.
   */
  undoEmailChange(input: UndoEmailChangeInput): Promise<UndoEmailChangeResult | null>;
  /**
   * One transaction (the operator's recovery path): TOTP off and its recovery
   * codes deleted, every passkey deleted, both "email sign-in also asks for…"
   * settings cleared, the password removed, every session and pending second
   * factor revoked, every unused token retired (but "this wasn't me" links),
   * every OpenID Connect grant and token of the account revoked, the events
   * appended. Afterwards only an email link signs in (alone). Null when the
   * account is gone.
   */
  resetSecondFactors(userId: string, now: number, events: AuditEvent[]): Promise<ResetSecondFactorsResult | null>;
}

/** Passwords (issue #5). */
export interface PasswordStore {
  /**
   * The account of this address with its password hash (null: none set), or
   * null when there is no account. One query whatever the answer: the password
   * sign-in must take the same time for every address.
   */
  findPasswordByEmail(email: string): Promise<{ user: User; passwordHash: string | null } | null>;
  getPassword(userId: string): Promise<StoredPassword | null>;
  /** Conditional: the same password under new parameters; false when the hash changed meanwhile. */
  rehashPassword(userId: string, oldHash: string, newHash: string): Promise<boolean>;
  /**
   * One transaction: sets (or removes) the password of an enabled account,
   * revokes its sessions (all, or all but keepSessionId), retires its unused
   * tokens except "this wasn't me" links, marks verifiedEmail verified while it
   * is the account's address, queues the mail and appends the events. Null
   * (nothing written) when the account is gone or disabled.
   */
  setPassword(input: SetPasswordInput): Promise<User | null>;
}

/** Two-factor: TOTP, recovery codes, the pending second factor (issue #5). */
export interface SecondFactorStore {
  getTotp(userId: string): Promise<TotpRecord | null>;
  /**
   * Stores a new, not yet enabled secret, replacing an unconfirmed one. Returns
   * false and writes nothing when TOTP is already on.
   */
  startTotpEnrolment(userId: string, secretSealed: string, now: number, events: AuditEvent[]): Promise<boolean>;
  /**
   * One transaction: switches the unconfirmed secret on (lastUsedStep = step),
   * replaces the recovery codes, appends the events. false (nothing written)
   * when there is no unconfirmed secret.
   */
  enableTotp(input: { userId: string; step: number; now: number; recoveryCodeHashes: string[]; events: AuditEvent[] }): Promise<boolean>;
  /** Conditional: lastUsedStep = step when TOTP is on and step is newer. true: this caller's code counts (once). */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  /** One transaction: deletes the TOTP row and every recovery code, appends the events. false: TOTP was not on. */
  disableTotp(userId: string, events: AuditEvent[]): Promise<boolean>;
  /** false when TOTP is not on. */
  setEmailSignInRequiresTotp(userId: string, value: boolean, events: AuditEvent[]): Promise<boolean>;
  /** One transaction: replaces every recovery code of the account (only while TOTP is on; else false). */
  replaceRecoveryCodes(userId: string, codeHashes: string[], now: number, events: AuditEvent[]): Promise<boolean>;
  /** Unused recovery codes left. */
  countRecoveryCodes(userId: string): Promise<number>;
  /** Conditional: marks the code used. true for exactly one caller, however many race. */
  consumeRecoveryCode(userId: string, codeHash: string, now: number, events: AuditEvent[]): Promise<boolean>;
  /** One transaction: deletes the account's expired pending rows, inserts this one, appends the events. */
  createPendingSecondFactor(pending: PendingSecondFactor, events: AuditEvent[]): Promise<void>;
  /** Read-only, whatever its state (expiry is judged by the caller). */
  findPendingSecondFactor(tokenHash: string): Promise<PendingSecondFactor | null>;
  /** Atomically counts one attempt while attempts < max and it has not expired; the new count, or null. */
  reserveSecondFactorAttempt(tokenHash: string, max: number, now: number): Promise<number | null>;
  /**
   * One transaction: deletes the unexpired pending row (one caller wins), applies
   * the proof (the TOTP step must be newer than lastUsedStep; the recovery code
   * must be unused, and is marked used), applies a held password reset (the
   * password set, every session and pending step of the account revoked, its
   * tokens but cancel links retired; pending_gone when the account is disabled),
   * marks the email verified when asked, inserts the session and appends the
   * events. Any refusal rolls everything back.
   */
  completeSecondFactor(input: CompleteSecondFactorInput): Promise<CompleteSecondFactorResult>;
}

/** The mail outbox (mail/outbox.ts): queued in the transaction of the change it reports, sent by workers. */
export interface OutboxStore {
  /** Queues a message that no token or account change carries (security notices), with its events, in one transaction. */
  queueMail(mail: NewOutboxMessage, events: AuditEvent[]): Promise<void>;
  /**
   * Claims up to `limit` messages that are due: queued with nextAttemptAt <= now,
   * or sending with an expired lease (a worker died). Sets status 'sending',
   * the lease and the claimant. Two workers never claim the same row.
   */
  claimOutbox(workerId: string, now: number, limit: number, leaseMs: number): Promise<OutboxMessage[]>;
  /**
   * Marks these messages sent (those still claimed by this worker), clears their
   * payloads and appends the events, in one transaction: the outbox records the
   * sends that finish together in one commit.
   */
  markOutboxSent(ids: string[], workerId: string, now: number, events: AuditEvent[]): Promise<void>;
  /**
   * Records a failed attempt: attempts + 1, lastError, and either back to queued
   * at nextAttemptAt, or 'dead' (payload cleared) when nextAttemptAt is null.
   */
  markOutboxFailed(
    id: string,
    workerId: string,
    error: string,
    nextAttemptAt: number | null,
    events: AuditEvent[],
  ): Promise<void>;
  /**
   * Hands back messages this worker claimed but did not start sending (it is
   * shutting down, or their lease is too short to start): queued again and due
   * at once, attempts unchanged, so any worker takes them without waiting for the
   * lease. Rows no longer claimed by this worker are left alone. Returns how many.
   */
  releaseOutbox(ids: string[], workerId: string): Promise<number>;
  getOutboxMessage(id: string): Promise<OutboxMessage | null>;
  /** Counts by state, the oldest unsent message, and up to `limit` troubled messages. */
  outboxSummary(limit: number): Promise<OutboxSummary>;
}

/** Rate-limit counters: shared by every instance on this database while Redis is away. */
export interface RateCounterStore {
  /**
   * Adds `points` in one atomic statement. A missing or expired counter starts
   * over at `points`, expiring at now + durationMs (never when durationMs is 0);
   * `reset` starts it over whatever its state. Returns the counter after the change.
   */
  hitRateCounter(key: string, points: number, durationMs: number, reset: boolean, now: number): Promise<RateCounter>;
  /** The counter, or null when missing or expired. */
  getRateCounter(key: string, now: number): Promise<RateCounter | null>;
  /** false when there was no such counter. */
  deleteRateCounter(key: string): Promise<boolean>;
  /** Deletes expired counters; returns how many. */
  pruneRateCounters(now: number): Promise<number>;
}

/** Cross-device approval (issue #4): shared by every instance, so any of them may answer the poll. */
export interface ApprovalStore {
  /** Inserts a pending approval (its token must exist). */
  createApproval(approval: CrossDeviceApproval): Promise<void>;
  /** Read-only, whatever its state (expiry is judged by the caller). */
  findApproval(flowHash: string): Promise<CrossDeviceApproval | null>;
  /**
   * Conditional, once: pending → approved (or refused) while unexpired and
   * still for this token; decidedAt = now; appends the events when it changed.
   * true for exactly one caller however many race: the other device gets a single pick.
   */
  decideApproval(input: { flowHash: string; tokenId: string; approve: boolean; now: number; events: AuditEvent[] }): Promise<boolean>;
  /** Conditional, once: approved → completed while unexpired. true for exactly one caller (the waiting browser's session). */
  completeApproval(flowHash: string, now: number): Promise<boolean>;
}

/** Sign-in flows (issue #12 finding 10): what a browser asked for, by its flow cookie's hash. */
export interface SignInFlowStore {
  /** Records the flow (first write wins) and drops expired ones in the same transaction. */
  recordSignInFlow(flow: SignInFlow): Promise<void>;
  /** The live flow of this cookie hash, or null. */
  findSignInFlow(flowHash: string, now: number): Promise<SignInFlow | null>;
}

/** Audit (append-only: the only delete is retention). */
export interface AuditStore {
  appendAudit(events: AuditEvent[]): Promise<void>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<StoredAuditEvent[]>;
  /** Retention: deletes audit events older than `before` (the only delete the audit trail allows). */
  pruneAudit(before: number): Promise<number>;
}

/**
 * The one narrow storage interface, one part per aggregate. Every method is one
 * atomic statement or one transaction, its logic written once (store/logic/)
 * and run by each backend's executor.
 */
export interface Store
  extends StoreLifecycle,
    TokenStore,
    SessionStore,
    AccountStore,
    PasswordStore,
    SecondFactorStore,
    OutboxStore,
    RateCounterStore,
    ApprovalStore,
    SignInFlowStore,
    AuditStore,
    OidcStore,
    PasskeyStore {}

/** Everything but the lifecycle: what store/logic/ builds over a backend's driver. */
export type StoreLogic = Omit<Store, keyof StoreLifecycle>;
