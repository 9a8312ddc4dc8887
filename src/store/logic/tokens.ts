// One-time tokens: the logic of TokenStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import type { TokenRecord } from '../../core/types.ts';
import { explainMiss, toToken, tokenValues } from '../rows.ts';
import type { ConsumeResult, ConsumeTokenInput, NewOutboxMessage, TokenStore } from '../store.ts';
import { appendEvents, get, lock, run, type Driver, type Work } from './steps.ts';
import { insertOutbox } from './outbox.ts';

export function tokenStore(db: Driver): TokenStore {
  return {
    issueToken: (token, mail, events) => db.transaction(issueToken(token, mail, events)),
    findToken: (tokenHash) => db.read(findToken('tokenByHash', tokenHash)),
    findLatestToken: (email, purpose) => db.read(findToken('latestToken', email, purpose)),
    consumeToken: (input) => db.write(consumeToken(input)),
    reserveCodeAttempt: (tokenId, maxCodeAttempts) => db.write(reserveCodeAttempt(tokenId, maxCodeAttempts)),
  };
}

function* issueToken(token: TokenRecord, mail: NewOutboxMessage | null, events: AuditEvent[]): Work<void> {
  // Issuers of one address and purpose take turns, so each sees (and retires) the previous token.
  yield* lock(`latchkey.issue:${token.purpose}:${token.email}`);
  yield* run('retireTokens', [token.createdAt, token.email, token.purpose]);
  yield* run('insertToken', tokenValues(token));
  if (mail) yield* insertOutbox(mail);
  yield* appendEvents(events);
}

function* findToken(name: 'tokenByHash' | 'latestToken', ...params: string[]): Work<TokenRecord | null> {
  const row = yield* get(name, params);
  return row ? toToken(row) : null;
}

function* consumeToken({ lookup, purpose, now, attemptLimit }: ConsumeTokenInput): Work<ConsumeResult> {
  const [consume, select, key] =
    'tokenHash' in lookup
      ? (['consumeByHash', 'tokenByHash', lookup.tokenHash] as const)
      : (['consumeById', 'tokenById', lookup.tokenId] as const);
  const consumed = yield* get(consume, [now, key, purpose, attemptLimit]);
  if (consumed) return { ok: true, token: toToken(consumed) };
  return explainMiss(yield* get(select, [key]), purpose, now, attemptLimit);
}

function* reserveCodeAttempt(tokenId: string, maxCodeAttempts: number): Work<number | null> {
  const row = yield* get('reserveAttempt', [tokenId, maxCodeAttempts]);
  return row ? Number(row.code_attempts) : null;
}
