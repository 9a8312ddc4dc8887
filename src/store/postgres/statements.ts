// The PostgreSQL backend's statements, one place to read them against the
// indexes in migrations.ts. Each runs as a named (server-side prepared) statement.

import { AUDIT_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS } from '../rows.ts';

const TOKEN_ALIVE = 'consumed_at IS NULL AND retired_at IS NULL';

export const SQL = {
  // Serializes issuers of one address and purpose, so each sees (and retires) the previous token.
  lockIssuer: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  retireTokens: `UPDATE tokens SET retired_at = $1 WHERE email = $2 AND purpose = $3 AND ${TOKEN_ALIVE}`,
  insertToken: `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (${params(15)})`,
  tokenByHash: 'SELECT * FROM tokens WHERE token_hash = $1',
  tokenById: 'SELECT * FROM tokens WHERE id = $1',
  // Ties on created_at (same millisecond) go to the token still alive.
  latestToken: `SELECT * FROM tokens WHERE email = $1 AND purpose = $2
    ORDER BY created_at DESC, (${TOKEN_ALIVE}) DESC LIMIT 1`,
  consumeByHash: `UPDATE tokens SET consumed_at = $1
    WHERE token_hash = $2 AND purpose = $3 AND ${TOKEN_ALIVE} AND expires_at > $1 AND code_attempts <= $4 RETURNING *`,
  consumeById: `UPDATE tokens SET consumed_at = $1
    WHERE id = $2 AND purpose = $3 AND ${TOKEN_ALIVE} AND expires_at > $1 AND code_attempts <= $4 RETURNING *`,
  reserveAttempt: `UPDATE tokens SET code_attempts = code_attempts + 1
    WHERE id = $1 AND code_attempts < $2 AND ${TOKEN_ALIVE} RETURNING code_attempts`,

  userById: 'SELECT * FROM users WHERE id = $1',
  userByEmail: 'SELECT * FROM users WHERE email = $1',
  // A concurrent first sign-in with the same address waits here, then finds its user.
  insertUser: `INSERT INTO users (id, email, email_verified, created_at) VALUES ($1, $2, FALSE, $3)
    ON CONFLICT (email) DO NOTHING`,
  verifyEmail: 'UPDATE users SET email_verified = TRUE WHERE id = $1',

  insertSession: `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${params(8)})`,
  sessionByHash: `SELECT s.*, u.id AS u_id, u.email AS u_email, u.email_verified AS u_email_verified, u.created_at AS u_created_at
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
  touchSession: 'UPDATE sessions SET last_seen_at = $1 WHERE id = $2',
  listSessions: `SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
    ORDER BY created_at DESC, id DESC`,
  revokeSession: 'UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL',

  insertOutbox: `INSERT INTO outbox (id, created_at, request_id, recipient, payload, status, attempts, next_attempt_at)
    VALUES ($1, $2, $3, $4, $5, 'queued', 0, $2)`,
  outboxById: 'SELECT * FROM outbox WHERE id = $1',
  // SKIP LOCKED: a row another worker is claiming right now is left to it.
  claimOutbox: `UPDATE outbox SET status = 'sending', claimed_by = $1, lease_until = $2
    WHERE id IN (
      SELECT id FROM outbox
      WHERE (status = 'queued' AND next_attempt_at <= $3) OR (status = 'sending' AND lease_until <= $3)
      ORDER BY next_attempt_at LIMIT $4
      FOR UPDATE SKIP LOCKED)
    RETURNING *`,
  markSent: `UPDATE outbox SET status = 'sent', sent_at = $1, payload = NULL, lease_until = NULL
    WHERE id = $2 AND claimed_by = $3 AND status = 'sending'`,
  markRetry: `UPDATE outbox SET status = 'queued', attempts = attempts + 1, last_error = $1, next_attempt_at = $2,
      claimed_by = NULL, lease_until = NULL
    WHERE id = $3 AND claimed_by = $4 AND status = 'sending'`,
  markDead: `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1, payload = NULL, lease_until = NULL
    WHERE id = $2 AND claimed_by = $3 AND status = 'sending'`,

  ping: 'SELECT 1',
} as const;

export type StatementName = keyof typeof SQL;

/** One multi-row INSERT for a batch of events (not prepared: its shape varies with the count). */
export function insertAuditSql(count: number): string {
  const width = AUDIT_COLUMNS.split(',').length;
  const rows = Array.from({ length: count }, (_, row) => `(${params(width, row * width)})`);
  return `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES ${rows.join(', ')}`;
}

function params(count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => `$${offset + i + 1}`).join(', ');
}
