// The one narrow storage interface. Every method is one atomic statement or one
// transaction; security properties (single use, attempt caps, retiring older
// tokens) live in these statements, not in read-then-write code above them.
// Each backend (sqlite/, postgres/) passes the same conformance suite.

import type { AuditEvent, AuditEventType, StoredAuditEvent } from '../core/audit.ts';
import type { Session, TokenPurpose, TokenRecord, User } from '../core/types.ts';

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
}

export interface SignInResult {
  user: User;
  session: Session;
  createdUser: boolean;
}

export interface AuditQuery {
  requestId?: string;
  userId?: string;
  email?: string;
  type?: AuditEventType;
  since?: number;
  limit?: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; running it twice changes nothing. Returns how many ran. */
  migrate(): Promise<number>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  // One-time tokens
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

  // Users and sessions
  findUserByEmail(email: string): Promise<User | null>;
  /**
   * One transaction: find the user (by id, else by email), create it when absent
   * and allowed, mark the email verified, insert the session, append the events.
   * Returns null (and writes nothing but the events) when there is no user and
   * signup is closed.
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

  // Outbox
  /**
   * Claims up to `limit` messages that are due: queued with nextAttemptAt <= now,
   * or sending with an expired lease (a worker died). Sets status 'sending',
   * the lease and the claimant. Two workers never claim the same row.
   */
  claimOutbox(workerId: string, now: number, limit: number, leaseMs: number): Promise<OutboxMessage[]>;
  /** Marks sent (only if still claimed by this worker), clears the payload, appends events. */
  markOutboxSent(id: string, workerId: string, now: number, events: AuditEvent[]): Promise<void>;
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
  getOutboxMessage(id: string): Promise<OutboxMessage | null>;

  // Audit (append-only: there is no update or delete here)
  appendAudit(events: AuditEvent[]): Promise<void>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<StoredAuditEvent[]>;
}
