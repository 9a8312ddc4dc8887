// Builders for the conformance suite: valid records with random secrets, so
// each case states only the fields it is about.

import { randomBytes, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { AuditEvent, AuditEventType } from '../../core/audit.ts';
import { auditEmail } from '../audit-email.ts';
import type { TokenRecord } from '../../core/types.ts';
import type { NewOutboxMessage, NewSession, SignInInput, Store } from '../store.ts';

/** Registers one case that gets a fresh, migrated, empty store (closed afterwards). */
export type StoreTest = (title: string, body: (store: Store, t: TestContext) => Promise<void>) => void;

export interface ConformanceHooks {
  /** Runs SQL on the store's own database, around the Store interface (append-only check). */
  rawSql?: (store: Store, sql: string) => Promise<void>;
}

export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;

export function hash(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenRecord(fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: randomUUID(),
    purpose: 'sign_in',
    tokenHash: hash(),
    codeHash: hash(),
    email: 'ada@example.com',
    userId: null,
    otherEmail: null,
    flowHash: hash(),
    redirectTo: '/after',
    createdAt: T0,
    expiresAt: T0 + 15 * MINUTE,
    consumedAt: null,
    retiredAt: null,
    codeAttempts: 0,
    requestIp: '203.0.113.7',
    requestUserAgent: 'Conformance/1.0',
    ...fields,
  };
}

export function outboxMessage(fields: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return {
    id: randomUUID(),
    createdAt: T0,
    requestId: randomUUID(),
    recipient: 'ada@example.com',
    payload: `sealed:${hash()}`,
    ...fields,
  };
}

/** An event as core/audit.ts makes it: `email` names the address, the event holds its auditEmail hash. */
export function event(type: AuditEventType, fields: Partial<AuditEvent> = {}): AuditEvent {
  const { email, ...rest } = fields;
  return {
    type,
    outcome: 'success',
    reason: null,
    at: T0,
    requestId: null,
    userId: null,
    ip: '198.51.100.2',
    userAgent: 'Conformance/1.0',
    ...rest,
    email: email ? auditEmail(email) : null,
  };
}

export function newSession(fields: Partial<NewSession> = {}): NewSession {
  return {
    id: randomUUID(),
    tokenHash: hash(),
    createdAt: T0,
    expiresAt: T0 + 30 * 24 * 60 * MINUTE,
    userAgent: 'Conformance/1.0',
    ip: '203.0.113.7',
    amr: ['email'],
    ...fields,
  };
}

export function signInInput(fields: Partial<SignInInput> = {}): SignInInput {
  return {
    email: 'ada@example.com',
    userId: null,
    allowSignup: true,
    newUserId: randomUUID(),
    now: T0,
    session: newSession(),
    events: [],
    ...fields,
  };
}

/** Signs a user in (creating them when new) and returns the user's id and the session. */
export async function signedIn(store: Store, email: string, session: Partial<NewSession> = {}) {
  const result = await store.signIn(signInInput({ email, session: newSession(session), now: session.createdAt ?? T0 }));
  if (!result) throw new Error('conformance: sign-in with open signup returned null');
  return result;
}

/** Queues a message the way the app does: issued with a token. */
export async function queueMessage(store: Store, fields: Partial<NewOutboxMessage> = {}): Promise<NewOutboxMessage> {
  const message = outboxMessage(fields);
  await store.issueToken(tokenRecord({ email: `${message.id}@example.com`, createdAt: message.createdAt }), message, []);
  return message;
}

/** A stored event as it was appended: without the store's id and policy-version stamp. */
export function withoutId<T extends { id: number; policyVersion?: number | null }>(row: T): Omit<T, 'id' | 'policyVersion'> {
  const { id: _id, policyVersion: _policyVersion, ...rest } = row;
  return rest;
}
