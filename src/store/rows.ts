// Row ↔ domain mapping shared by both backends. Column names are identical;
// SQLite hands back 0/1 for booleans, PostgreSQL BIGINTs arrive as numbers
// (the pool's INT8 parser). Mapping checks types so a schema drift fails loudly
// instead of leaking `undefined` into the core.

import type { AuditEvent, AuditEventType, AuditOutcome, StoredAuditEvent } from '../core/audit.ts';
import type { Session, TokenPurpose, TokenRecord, User } from '../core/types.ts';
import type { AuditQuery, ConsumeResult, NewSession, OutboxMessage, OutboxStatus } from './store.ts';

export type Row = Record<string, unknown>;
export type SqlValue = string | number | null;

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`store: column ${column} is not text`);
  return value;
}

function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

function int(row: Row, column: string): number {
  const value = row[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new TypeError(`store: column ${column} is not a number`);
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
  };
}

export function toSession(row: Row): Session {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    createdAt: int(row, 'created_at'),
    lastSeenAt: int(row, 'last_seen_at'),
    expiresAt: int(row, 'expires_at'),
    userAgent: textOrNull(row, 'user_agent'),
    ip: textOrNull(row, 'ip'),
  };
}

export function toToken(row: Row): TokenRecord {
  return {
    id: text(row, 'id'),
    purpose: text(row, 'purpose') as TokenPurpose,
    tokenHash: text(row, 'token_hash'),
    codeHash: text(row, 'code_hash'),
    email: text(row, 'email'),
    userId: textOrNull(row, 'user_id'),
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
  };
}

// Insert column lists and their values, in the same order.

export const TOKEN_COLUMNS =
  'id, purpose, token_hash, code_hash, email, user_id, flow_hash, redirect_to, created_at, expires_at, ' +
  'consumed_at, retired_at, code_attempts, request_ip, request_user_agent';

export function tokenValues(t: TokenRecord): SqlValue[] {
  return [
    t.id, t.purpose, t.tokenHash, t.codeHash, t.email, t.userId, t.flowHash, t.redirectTo, t.createdAt, t.expiresAt,
    t.consumedAt, t.retiredAt, t.codeAttempts, t.requestIp, t.requestUserAgent,
  ];
}

export const SESSION_COLUMNS = 'id, user_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip';

export function sessionValues(s: NewSession, userId: string): SqlValue[] {
  return [s.id, userId, s.tokenHash, s.createdAt, s.createdAt, s.expiresAt, s.userAgent, s.ip];
}

export function newSessionRecord(s: NewSession, userId: string): Session {
  return { id: s.id, userId, createdAt: s.createdAt, lastSeenAt: s.createdAt, expiresAt: s.expiresAt, userAgent: s.userAgent, ip: s.ip };
}

export const AUDIT_COLUMNS = 'type, outcome, reason, at, request_id, user_id, email, ip, user_agent';

export function auditValues(e: AuditEvent): SqlValue[] {
  return [e.type, e.outcome, e.reason, e.at, e.requestId, e.userId, e.email, e.ip, e.userAgent];
}

export function withUserId(events: AuditEvent[], userId: string): AuditEvent[] {
  return events.map((e) => (e.userId === null ? { ...e, userId } : e));
}

/** Why the conditional consume matched no row, judged from the token as it is now. */
export function explainMiss(row: Row | undefined, purpose: string, now: number, attemptLimit: number): ConsumeResult {
  // A token of another purpose is reported as unknown, and not handed back.
  if (!row || row.purpose !== purpose) return { ok: false, reason: 'not_found', token: null };
  const token = toToken(row);
  if (token.consumedAt !== null) return { ok: false, reason: 'used', token };
  if (token.retiredAt !== null) return { ok: false, reason: 'replaced', token };
  if (token.expiresAt <= now) return { ok: false, reason: 'expired', token };
  if (token.codeAttempts > attemptLimit) return { ok: false, reason: 'locked', token };
  // Still alive: only a concurrent caller can have changed it between the two statements.
  return { ok: false, reason: 'used', token };
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
  if (query.email !== undefined) add('email =', query.email);
  if (query.type !== undefined) add('type =', query.type);
  if (query.since !== undefined) add('at >=', query.since);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', values };
}
