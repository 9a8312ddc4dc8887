// The one-time token engine, the only code that issues, hashes, expires and
// consumes a one-time token, for every purpose: sign-in, password reset, email
// verification, email change and its "this wasn't me" link. Callers differ only
// in what they do once a token is verified.
//
// A token is a bearer secret: 32 CSPRNG bytes in the link, only its SHA-256
// stored. The 6-digit code in the same email is stored as an HMAC keyed by the
// server secret and bound to purpose and token id, so a database leak does not
// let anyone brute-force 10^6 codes offline, and a code never fits another
// request. Each purpose has its own lifetime (configuration). Single use is a
// conditional update in the store; a token presented for another purpose is
// refused as unknown by the same statement. The judge of a token's state
// (tokenProblem) is the store's, since its statements enforce the same
// conditions (store/token-state.ts).

import type { AuditEvent } from './audit.ts';
import { constantTimeEqual, hmacSha256, sha256 } from './crypto.ts';
import type { ErrorCode } from './errors.ts';
import type { Random } from './random.ts';
import type { TokenPurpose, TokenRecord } from './types.ts';
import type { ConsumeFailure, NewOutboxMessage, Store } from '../store/store.ts';
import { tokenProblem } from '../store/token-state.ts';
import type { Context } from '../context.ts';

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^[0-9]{6}$/;

/** Seconds each purpose's token lives (LATCHKEY_TOKEN_TTL, LATCHKEY_PASSWORD_RESET_TTL, …). */
export type TokenTtls = Record<TokenPurpose, number>;

export interface IssueTokenInput {
  purpose: TokenPurpose;
  email: string;
  userId: string | null;
  /** Email change only: the other address of the change (see TokenRecord.otherEmail). */
  otherEmail?: string | null;
  flowHash: string | null;
  redirectTo: string | null;
  requestIp: string | null;
  requestUserAgent: string | null;
  /** Builds the outbox row from the fresh secrets; it is committed with the token. */
  mail: (secrets: { token: string; code: string; record: TokenRecord }) => NewOutboxMessage | null;
  events: AuditEvent[];
}

export type TokenFailure = ConsumeFailure | 'code_invalid';

export type VerifyResult =
  | { ok: true; record: TokenRecord }
  /**
   * `guessed`: a code was compared with a live token (an attempt was spent). Only
   * such a failure is a guess at the account's secret; one without a live token
   * guesses at nothing and must not count against the account (issue #12 finding 2).
   */
  | { ok: false; reason: TokenFailure; record: TokenRecord | null; guessed?: boolean };

export interface TokenEngine {
  /** The lifetime of this purpose's tokens, in seconds (mail says when they expire). */
  ttlSeconds(purpose: TokenPurpose): number;
  issue(input: IssueTokenInput, now: number): Promise<{ record: TokenRecord }>;
  /** Read-only, any purpose: what the sign-in link check may look at before consuming. */
  peek(token: string): Promise<TokenRecord | null>;
  /** Read-only: would this link be accepted for `purpose` now? What a GET page may show without consuming. */
  inspect(token: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
  consumeLink(token: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
  /**
   * By id, for a request whose link was approved on another device
   * (core/cross-device.ts): the waiting browser never holds the link token.
   */
  consumeApproved(tokenId: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
  consumeCode(email: string, code: string, purpose: TokenPurpose, now: number): Promise<VerifyResult>;
}

export function generateCode(random: Random): string {
  return random.int(0, 1_000_000).toString().padStart(6, '0');
}

const FAILURE_CODES: Record<TokenFailure, ErrorCode> = {
  not_found: 'token_invalid',
  expired: 'token_expired',
  used: 'token_used',
  replaced: 'token_replaced',
  locked: 'code_locked',
  code_invalid: 'code_invalid',
};

/** The public error code of a refused token, the same for every purpose. */
export function tokenErrorCode(reason: TokenFailure): ErrorCode {
  return FAILURE_CODES[reason];
}

/** A typed code that is refused speaks of the code, not of a link the person never opened (issue #12). */
const CODE_FAILURE_CODES: Record<TokenFailure, ErrorCode> = {
  ...FAILURE_CODES,
  not_found: 'code_invalid',
  expired: 'code_expired',
  used: 'code_used',
  replaced: 'code_replaced',
};

/** The public error code of a refused typed code. */
export function codeErrorCode(reason: TokenFailure): ErrorCode {
  return CODE_FAILURE_CODES[reason];
}

export function createTokenEngine(ctx: Pick<Context, 'store' | 'random'>, codeKey: Buffer, maxCodeAttempts: number, ttls: TokenTtls): TokenEngine {
  const { store, random } = ctx;
  // Bound to purpose and token id so a code can never be replayed against another request.
  const hashCode = (purpose: TokenPurpose, tokenId: string, code: string) =>
    hmacSha256(codeKey, `${purpose}:${tokenId}:${code}`);
  // reserveCodeAttempt never counts past maxCodeAttempts: a link is never locked by wrong codes.
  const linkAttemptLimit = maxCodeAttempts;
  const result = (consumed: Awaited<ReturnType<Store['consumeToken']>>): VerifyResult =>
    consumed.ok ? { ok: true, record: consumed.token } : { ok: false, reason: consumed.reason, record: consumed.token };

  return {
    ttlSeconds: (purpose) => ttls[purpose],

    async issue(input, now) {
      const token = random.token(32);
      const code = generateCode(random);
      const id = random.uuid();
      const record: TokenRecord = {
        id,
        purpose: input.purpose,
        tokenHash: sha256(token),
        codeHash: hashCode(input.purpose, id, code),
        email: input.email,
        userId: input.userId,
        otherEmail: input.otherEmail ?? null,
        flowHash: input.flowHash,
        redirectTo: input.redirectTo,
        createdAt: now,
        expiresAt: now + ttls[input.purpose] * 1000,
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

    async inspect(token, purpose, now) {
      const record = LINK_TOKEN.test(token) ? await store.findToken(sha256(token)) : null;
      const problem = tokenProblem(record, purpose, now, linkAttemptLimit);
      if (problem === null && record) return { ok: true, record };
      return { ok: false, reason: problem ?? 'not_found', record: problem === 'not_found' ? null : record };
    },

    async consumeLink(token, purpose, now) {
      if (!LINK_TOKEN.test(token)) return { ok: false, reason: 'not_found', record: null };
      return result(await store.consumeToken({ lookup: { tokenHash: sha256(token) }, purpose, now, attemptLimit: linkAttemptLimit }));
    },

    async consumeApproved(tokenId, purpose, now) {
      return result(await store.consumeToken({ lookup: { tokenId }, purpose, now, attemptLimit: linkAttemptLimit }));
    },

    async consumeCode(email, code, purpose, now) {
      const record = await store.findLatestToken(email, purpose);
      if (!record) return { ok: false, reason: 'code_invalid', record: null };
      if (!CODE.test(code)) return { ok: false, reason: 'code_invalid', record };
      const problem = tokenProblem(record, purpose, now, maxCodeAttempts - 1);
      if (problem) return { ok: false, reason: problem, record };
      // Count the attempt before comparing, so parallel guesses cannot exceed the cap.
      const attempts = await store.reserveCodeAttempt(record.id, maxCodeAttempts);
      if (attempts === null) return { ok: false, reason: 'locked', record };
      if (!constantTimeEqual(hashCode(purpose, record.id, code), record.codeHash)) {
        return { ok: false, reason: attempts >= maxCodeAttempts ? 'locked' : 'code_invalid', record, guessed: true };
      }
      return result(await store.consumeToken({ lookup: { tokenId: record.id }, purpose, now, attemptLimit: maxCodeAttempts }));
    },
  };
}
