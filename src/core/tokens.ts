// The one-time token engine, shared by every purpose (sign-in now; password
// reset, email change and verification later). A token is a bearer secret: 32
// CSPRNG bytes in the link, only its SHA-256 stored. The 6-digit code in the same
// email is stored as an HMAC keyed by the server secret, so a database leak does
// not let anyone brute-force 10^6 codes offline.

import { randomInt, randomUUID } from 'node:crypto';
import type { AuditEvent } from './audit.ts';
import { constantTimeEqual, hmacSha256, randomToken, sha256 } from './crypto.ts';
import type { TokenPurpose, TokenRecord } from './types.ts';
import type { ConsumeFailure, NewOutboxMessage, Store } from '../store/store.ts';

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^[0-9]{6}$/;

export interface IssueTokenInput {
  purpose: TokenPurpose;
  email: string;
  userId: string | null;
  flowHash: string | null;
  redirectTo: string | null;
  ttlSeconds: number;
  requestIp: string | null;
  requestUserAgent: string | null;
  /** Builds the outbox row from the fresh secrets; it is committed with the token. */
  mail: (secrets: { token: string; code: string; record: TokenRecord }) => NewOutboxMessage | null;
  events: AuditEvent[];
}

export type TokenFailure = ConsumeFailure | 'code_invalid';

export type VerifyResult =
  | { ok: true; record: TokenRecord }
  | { ok: false; reason: TokenFailure; record: TokenRecord | null };

export interface TokenEngine {
  issue(input: IssueTokenInput, now: number): Promise<{ record: TokenRecord }>;
  /** Read-only: what the GET page may show without consuming. */
  peek(token: string): Promise<TokenRecord | null>;
  consumeLink(token: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
  consumeCode(email: string, code: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
}

export function generateCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

export function createTokenEngine(store: Store, codeKey: Buffer, maxCodeAttempts: number): TokenEngine {
  // Bound to purpose and token id so a code can never be replayed against another request.
  const hashCode = (purpose: TokenPurpose, tokenId: string, code: string) =>
    hmacSha256(codeKey, `${purpose}:${tokenId}:${code}`);

  return {
    async issue(input, now) {
      const token = randomToken(32);
      const code = generateCode();
      const id = randomUUID();
      const record: TokenRecord = {
        id,
        purpose: input.purpose,
        tokenHash: sha256(token),
        codeHash: hashCode(input.purpose, id, code),
        email: input.email,
        userId: input.userId,
        flowHash: input.flowHash,
        redirectTo: input.redirectTo,
        createdAt: now,
        expiresAt: now + input.ttlSeconds * 1000,
        consumedAt: null,
        retiredAt: null,
        codeAttempts: 0,
        requestIp: input.requestIp,
        requestUserAgent: input.requestUserAgent,
      };
      await store.issueToken(record, input.mail({ token, code, record }), input.events);
      return { record };
    },

    async peek(token) {
      if (!LINK_TOKEN.test(token)) return null;
      return store.findToken(sha256(token));
    },

    async consumeLink(token, purpose, now) {
      if (!LINK_TOKEN.test(token)) return { ok: false, reason: 'not_found', record: null };
      const result = await store.consumeToken({
        lookup: { tokenHash: sha256(token) },
        purpose,
        now,
        attemptLimit: maxCodeAttempts - 1,
      });
      return result.ok ? { ok: true, record: result.token } : { ok: false, reason: result.reason, record: result.token };
    },

    async consumeCode(email, code, purpose, now) {
      const record = await store.findLatestToken(email, purpose);
      if (!record) return { ok: false, reason: 'code_invalid', record: null };
      if (!CODE.test(code)) return { ok: false, reason: 'code_invalid', record };
      if (record.consumedAt !== null) return { ok: false, reason: 'used', record };
      if (record.expiresAt <= now) return { ok: false, reason: 'expired', record };
      // Count the attempt before comparing, so parallel guesses cannot exceed the cap.
      const attempts = await store.reserveCodeAttempt(record.id, maxCodeAttempts);
      if (attempts === null) return { ok: false, reason: 'locked', record };
      if (!constantTimeEqual(hashCode(purpose, record.id, code), record.codeHash)) {
        return { ok: false, reason: attempts >= maxCodeAttempts ? 'locked' : 'code_invalid', record };
      }
      const result = await store.consumeToken({ lookup: { tokenId: record.id }, purpose, now, attemptLimit: maxCodeAttempts });
      return result.ok ? { ok: true, record: result.token } : { ok: false, reason: result.reason, record: result.token };
    },
  };
}
