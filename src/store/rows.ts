// Row ↔ domain mapping shared by both backends. Column names are identical;
// SQLite hands back 0/1 for booleans, PostgreSQL BIGINTs arrive as numbers
// (the pool's INT8 parser). Mapping checks types so a schema drift fails loudly
// instead of leaking `undefined` into the core.

import { POLICY_VERSION } from '../core/policy-version.ts';
import type { AuditEvent, AuditEventType, AuditOutcome, StoredAuditEvent } from '../core/audit.ts';
import { auditEmail } from './audit-email.ts';
import type { AuthMethod, FirstFactorKind, Session, TokenPurpose, TokenRecord, User } from '../core/types.ts';
import type {
  ApprovalState,
  AuditQuery,
  ConsumeResult,
  CrossDeviceApproval,
  NewSession,
  OutboxMessage,
  OutboxStatus,
  OutboxSummary,
  PendingSecondFactor,
  RateCounter,
  SignInFlow,
  TotpRecord,
} from './store.ts';
import { tokenProblem } from './token-state.ts';

export type Row = Record<string, unknown>;
export type SqlValue = string | number | null;

function asText(value: unknown, column: string): string {
  if (typeof value !== 'string') throw new TypeError(`store: column ${column} is not text`);
  return value;
}

function asInt(value: unknown, column: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`store: column ${column} is not a number`);
}

function text(row: Row, column: string): string {
  return asText(row[column], column);
}

function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

function int(row: Row, column: string): number {
  return asInt(row[column], column);
}

function intOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column);
}

function bool(row: Row, column: string): boolean {
  const value = row[column];
  if (typeof value === 'boolean') return value;
  return int(row, column) !== 0;
}

/** `prefix` reads a user joined under aliased columns (u_id, u_email…). */
export function toUser(row: Row, prefix = ''): User {
  return {
    id: text(row, `${prefix}id`),
    email: text(row, `${prefix}email`),
    emailVerified: bool(row, `${prefix}email_verified`),
    createdAt: int(row, `${prefix}created_at`),
    // The session join filters disabled accounts out and does not select the column.
    disabled: row[`${prefix}disabled_at`] !== null && row[`${prefix}disabled_at`] !== undefined,
  };
}

/**
 * A session and its user from one positional row (each backend's statements.sessionLookup):
 * the session check runs on every authenticated request, and an array row saves
 * building an object with named keys per row (measured: about a third of the query's cost).
 */
export function toSessionLookup(values: readonly unknown[]): { session: Session; user: User } {
  const str = (i: number) => asText(values[i], SESSION_LOOKUP_COLUMNS[i]!);
  const num = (i: number) => asInt(values[i], SESSION_LOOKUP_COLUMNS[i]!);
  const userId = str(1);
  return {
    session: {
      id: str(0),
      userId,
      createdAt: num(2),
      lastSeenAt: num(3),
      expiresAt: num(4),
      authenticatedAt: num(5),
      userAgent: values[6] === null ? null : str(6),
      ip: values[7] === null ? null : str(7),
      amr: toAmr(str(8)),
    },
    // The lookup's join filters disabled accounts out.
    // email_verified: 0/1 from SQLite, a boolean from PostgreSQL.
    user: { id: userId, email: str(9), emailVerified: values[10] === true || (values[10] !== false && num(10) !== 0), createdAt: num(11), disabled: false },
  };
}

/** The order of statements.sessionLookup's columns (named for the error messages). */
const SESSION_LOOKUP_COLUMNS = ['id', 'user_id', 'created_at', 'last_seen_at', 'expires_at', 'authenticated_at', 'user_agent', 'ip', 'amr', 'email', 'email_verified', 'user_created_at'] as const;

export function toSession(row: Row): Session {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    createdAt: int(row, 'created_at'),
    lastSeenAt: int(row, 'last_seen_at'),
    expiresAt: int(row, 'expires_at'),
    authenticatedAt: int(row, 'authenticated_at'),
    userAgent: textOrNull(row, 'user_agent'),
    ip: textOrNull(row, 'ip'),
    amr: toAmr(text(row, 'amr')),
  };
}

/** The stored space-separated methods ('' for sessions older than migration 11). */
function toAmr(stored: string): AuthMethod[] {
  return stored === '' ? [] : (stored.split(' ') as AuthMethod[]);
}

export function toToken(row: Row): TokenRecord {
  return {
    id: text(row, 'id'),
    purpose: text(row, 'purpose') as TokenPurpose,
    tokenHash: text(row, 'token_hash'),
    codeHash: text(row, 'code_hash'),
    email: text(row, 'email'),
    userId: textOrNull(row, 'user_id'),
    otherEmail: textOrNull(row, 'other_email'),
    flowHash: textOrNull(row, 'flow_hash'),
    redirectTo: textOrNull(row, 'redirect_to'),
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
    consumedAt: intOrNull(row, 'consumed_at'),
    retiredAt: intOrNull(row, 'retired_at'),
    codeAttempts: int(row, 'code_attempts'),
    requestIp: textOrNull(row, 'request_ip'),
    requestUserAgent: textOrNull(row, 'request_user_agent'),
  };
}

export function toOutbox(row: Row): OutboxMessage {
  return {
    id: text(row, 'id'),
    createdAt: int(row, 'created_at'),
    requestId: textOrNull(row, 'request_id'),
    recipient: text(row, 'recipient'),
    // Cleared once sent or dead; the interface types it as a string.
    payload: textOrNull(row, 'payload') ?? '',
    status: text(row, 'status') as OutboxStatus,
    attempts: int(row, 'attempts'),
    nextAttemptAt: int(row, 'next_attempt_at'),
    lastError: textOrNull(row, 'last_error'),
    sentAt: intOrNull(row, 'sent_at'),
  };
}

export function toRateCounter(row: Row): RateCounter {
  return { points: int(row, 'points'), expiresAt: intOrNull(row, 'expires_at') };
}

export function toTotp(row: Row): TotpRecord {
  return {
    userId: text(row, 'user_id'),
    secretSealed: text(row, 'secret_sealed'),
    createdAt: int(row, 'created_at'),
    enabledAt: intOrNull(row, 'enabled_at'),
    lastUsedStep: intOrNull(row, 'last_used_step'),
    emailSignInRequiresTotp: bool(row, 'email_sign_in_requires_totp'),
  };
}

export function toApproval(row: Row): CrossDeviceApproval {
  return {
    flowHash: text(row, 'flow_hash'),
    tokenId: text(row, 'token_id'),
    number: int(row, 'number'),
    choices: text(row, 'choices').split(',').map(Number),
    state: text(row, 'state') as ApprovalState,
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
    decidedAt: intOrNull(row, 'decided_at'),
  };
}

export function toSignInFlow(row: Row): SignInFlow {
  return {
    flowHash: text(row, 'flow_hash'),
    email: text(row, 'email'),
    redirectTo: textOrNull(row, 'redirect_to'),
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
  };
}

export const APPROVAL_COLUMNS = 'flow_hash, token_id, number, choices, state, created_at, expires_at, decided_at';

export function approvalValues(a: CrossDeviceApproval): SqlValue[] {
  return [a.flowHash, a.tokenId, a.number, a.choices.join(','), a.state, a.createdAt, a.expiresAt, a.decidedAt];
}

export function toPendingSecondFactor(row: Row): PendingSecondFactor {
  return {
    tokenHash: text(row, 'token_hash'),
    userId: text(row, 'user_id'),
    email: text(row, 'email'),
    firstFactor: text(row, 'first_factor') as FirstFactorKind,
    redirectTo: textOrNull(row, 'redirect_to'),
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
    attempts: int(row, 'attempts'),
    passwordHash: textOrNull(row, 'password_hash'),
  };
}

export const PENDING_SECOND_FACTOR_COLUMNS = 'token_hash, user_id, email, first_factor, redirect_to, created_at, expires_at, attempts, password_hash';

export function pendingSecondFactorValues(p: PendingSecondFactor): SqlValue[] {
  return [p.tokenHash, p.userId, p.email, p.firstFactor, p.redirectTo, p.createdAt, p.expiresAt, p.attempts, p.passwordHash];
}

export function toAudit(row: Row): StoredAuditEvent {
  return {
    id: int(row, 'id'),
    type: text(row, 'type') as AuditEventType,
    outcome: text(row, 'outcome') as AuditOutcome,
    reason: textOrNull(row, 'reason'),
    at: int(row, 'at'),
    requestId: textOrNull(row, 'request_id'),
    userId: textOrNull(row, 'user_id'),
    email: textOrNull(row, 'email'),
    ip: textOrNull(row, 'ip'),
    userAgent: textOrNull(row, 'user_agent'),
    policyVersion: intOrNull(row, 'policy_version'),
  };
}

// Insert column lists and their values, in the same order.

export const TOKEN_COLUMNS =
  'id, purpose, token_hash, code_hash, email, user_id, flow_hash, redirect_to, created_at, expires_at, ' +
  'consumed_at, retired_at, code_attempts, request_ip, request_user_agent, other_email';

export function tokenValues(t: TokenRecord): SqlValue[] {
  return [
    t.id, t.purpose, t.tokenHash, t.codeHash, t.email, t.userId, t.flowHash, t.redirectTo, t.createdAt, t.expiresAt,
    t.consumedAt, t.retiredAt, t.codeAttempts, t.requestIp, t.requestUserAgent, t.otherEmail,
  ];
}

export const SESSION_COLUMNS = 'id, user_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip, authenticated_at, amr';

// A new session was authenticated when it was created (its sign-in), unless it carries over an earlier time (a step-up).
export function sessionValues(s: NewSession, userId: string): SqlValue[] {
  return [s.id, userId, s.tokenHash, s.createdAt, s.createdAt, s.expiresAt, s.userAgent, s.ip, s.authenticatedAt ?? s.createdAt, s.amr.join(' ')];
}

export function newSessionRecord(s: NewSession, userId: string): Session {
  return {
    id: s.id,
    userId,
    createdAt: s.createdAt,
    lastSeenAt: s.createdAt,
    expiresAt: s.expiresAt,
    authenticatedAt: s.authenticatedAt ?? s.createdAt,
    userAgent: s.userAgent,
    ip: s.ip,
    amr: [...s.amr],
  };
}

export const AUDIT_COLUMNS = 'type, outcome, reason, at, request_id, user_id, email, ip, user_agent, policy_version';

export function auditValues(e: AuditEvent): SqlValue[] {
  // Stamped at write time: the rules in force when the event was recorded decided it.
  return [e.type, e.outcome, e.reason, e.at, e.requestId, e.userId, e.email, e.ip, e.userAgent, POLICY_VERSION];
}

export function withUserId(events: AuditEvent[], userId: string): AuditEvent[] {
  return events.map((e) => (e.userId === null ? { ...e, userId } : e));
}

/** Why the conditional consume matched no row, judged from the token as it is now (by the engine's one judge). */
export function explainMiss(row: Row | undefined, purpose: TokenPurpose, now: number, attemptLimit: number): ConsumeResult {
  const token = row ? toToken(row) : null;
  const problem = tokenProblem(token, purpose, now, attemptLimit);
  // A token of another purpose is reported as unknown, and not handed back.
  if (problem === 'not_found' || token === null) return { ok: false, reason: 'not_found', token: null };
  // Still alive: only a concurrent caller can have changed it between the two statements.
  return { ok: false, reason: problem ?? 'used', token };
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;

export function auditLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_AUDIT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 0), MAX_AUDIT_LIMIT);
}

/** WHERE clause for listAudit; `param(n)` spells the n-th placeholder (1-based). */
export function auditWhere(query: AuditQuery, param: (n: number) => string): { where: string; values: SqlValue[] } {
  const clauses: string[] = [];
  const values: SqlValue[] = [];
  const add = (sql: string, value: SqlValue) => {
    values.push(value);
    clauses.push(`${sql} ${param(values.length)}`);
  };
  if (query.requestId !== undefined) add('request_id =', query.requestId);
  if (query.userId !== undefined) add('user_id =', query.userId);
  // Events hold auditEmail(address); the query names the address.
  if (query.email !== undefined) add('email =', auditEmail(query.email));
  if (query.type !== undefined) add('type =', query.type);
  if (query.since !== undefined) add('at >=', query.since);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', values };
}

/** Thrown inside a transaction to roll it back with an expected refusal (completeSecondFactor). */
export class Refusal extends Error {
  readonly reason: 'pending_gone' | 'proof_refused';
  constructor(reason: 'pending_gone' | 'proof_refused') {
    super(reason);
    this.reason = reason;
  }
}

/** One summary from both backends' `outboxCounts` and `outboxTroubled` rows. */
export function toOutboxSummary(counts: Row[], troubled: Row[]): OutboxSummary {
  const summary: OutboxSummary = { queued: 0, retrying: 0, sending: 0, sent: 0, dead: 0, oldestUnsentAt: null, troubled: [] };
  for (const row of counts) {
    const status = String(row.status) as OutboxStatus;
    const n = Number(row.n);
    const retried = row.retried === true || Number(row.retried) === 1;
    if (status === 'queued' && retried) summary.retrying += n;
    else if (status === 'queued' || status === 'sending' || status === 'sent' || status === 'dead') summary[status] += n;
    if ((status === 'queued' || status === 'sending') && row.oldest !== null && row.oldest !== undefined) {
      const oldest = Number(row.oldest);
      summary.oldestUnsentAt = summary.oldestUnsentAt === null ? oldest : Math.min(summary.oldestUnsentAt, oldest);
    }
  }
  summary.troubled = troubled.map((row) => {
    const { payload: _payload, ...rest } = toOutbox(row);
    return rest;
  });
  return summary;
}
