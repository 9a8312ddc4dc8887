// The SQLite backend's statements, one place to read them against the indexes
// in migrations.ts. Positional parameters; the store passes them in order.

import { AUDIT_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS } from '../rows.ts';

const TOKEN_ALIVE = 'consumed_at IS NULL AND retired_at IS NULL';

export const SQL = {
  retireTokens: `UPDATE tokens SET retired_at = ? WHERE email = ? AND purpose = ? AND ${TOKEN_ALIVE}`,
  insertToken: `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (${marks(15)})`,
  tokenByHash: 'SELECT * FROM tokens WHERE token_hash = ?',
  tokenById: 'SELECT * FROM tokens WHERE id = ?',
  // Ties on created_at (same millisecond) go to the token still alive.
  latestToken: `SELECT * FROM tokens WHERE email = ? AND purpose = ?
    ORDER BY created_at DESC, (${TOKEN_ALIVE}) DESC LIMIT 1`,
  consumeByHash: `UPDATE tokens SET consumed_at = ?
    WHERE token_hash = ? AND purpose = ? AND ${TOKEN_ALIVE} AND expires_at > ? AND code_attempts <= ? RETURNING *`,
  consumeById: `UPDATE tokens SET consumed_at = ?
    WHERE id = ? AND purpose = ? AND ${TOKEN_ALIVE} AND expires_at > ? AND code_attempts <= ? RETURNING *`,
  reserveAttempt: `UPDATE tokens SET code_attempts = code_attempts + 1
    WHERE id = ? AND code_attempts < ? AND ${TOKEN_ALIVE} RETURNING code_attempts`,

  userById: 'SELECT * FROM users WHERE id = ?',
  userByEmail: 'SELECT * FROM users WHERE email = ?',
  insertUser: `INSERT INTO users (id, email, email_verified, created_at) VALUES (?, ?, 0, ?)
    ON CONFLICT (email) DO NOTHING`,
  verifyEmail: 'UPDATE users SET email_verified = 1 WHERE id = ?',

  insertSession: `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${marks(8)})`,
  sessionByHash: `SELECT s.*, u.id AS u_id, u.email AS u_email, u.email_verified AS u_email_verified, u.created_at AS u_created_at
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = ? AND s.revoked_at IS NULL`,
  touchSession: 'UPDATE sessions SET last_seen_at = ? WHERE id = ?',
  listSessions: `SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
    ORDER BY created_at DESC, id DESC`,
  revokeSession: 'UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',

  insertOutbox: `INSERT INTO outbox (id, created_at, request_id, recipient, payload, status, attempts, next_attempt_at)
    VALUES (?, ?, ?, ?, ?, 'queued', 0, ?)`,
  outboxById: 'SELECT * FROM outbox WHERE id = ?',
  claimOutbox: `UPDATE outbox SET status = 'sending', claimed_by = ?, lease_until = ?
    WHERE id IN (
      SELECT id FROM outbox
      WHERE (status = 'queued' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)
      ORDER BY next_attempt_at LIMIT ?)
    RETURNING *`,
  markSent: `UPDATE outbox SET status = 'sent', sent_at = ?, payload = NULL, lease_until = NULL
    WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
  markRetry: `UPDATE outbox SET status = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
      claimed_by = NULL, lease_until = NULL
    WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
  markDead: `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, payload = NULL, lease_until = NULL
    WHERE id = ? AND claimed_by = ? AND status = 'sending'`,

  insertAudit: `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${marks(9)})`,
} as const;

function marks(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
