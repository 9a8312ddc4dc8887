// The SQLite backend's statements, one place to read them against the indexes
// in migrations.ts. Keyed by the names the shared logic yields (store/logic/steps.ts),
// with the PostgreSQL statements' parameters in the same order: ?n where one is used twice.

import type { StatementName } from '../logic/steps.ts';
import { APPROVAL_COLUMNS, AUDIT_COLUMNS, PENDING_SECOND_FACTOR_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS } from '../rows.ts';

const TOKEN_ALIVE = 'consumed_at IS NULL AND retired_at IS NULL';
const OIDC_ALIVE = '(expires_at IS NULL OR expires_at > ?3)';

export const SQL = {
  retireTokens: `UPDATE tokens SET retired_at = ? WHERE email = ? AND purpose = ? AND ${TOKEN_ALIVE}`,
  insertToken: `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (${marks(16)})`,
  tokenByHash: 'SELECT * FROM tokens WHERE token_hash = ?',
  tokenById: 'SELECT * FROM tokens WHERE id = ?',
  // Ties on created_at (same millisecond) go to the token still alive.
  latestToken: `SELECT * FROM tokens WHERE email = ? AND purpose = ?
    ORDER BY created_at DESC, (${TOKEN_ALIVE}) DESC LIMIT 1`,
  consumeByHash: `UPDATE tokens SET consumed_at = ?1
    WHERE token_hash = ?2 AND purpose = ?3 AND ${TOKEN_ALIVE} AND expires_at > ?1 AND code_attempts <= ?4 RETURNING *`,
  consumeById: `UPDATE tokens SET consumed_at = ?1
    WHERE id = ?2 AND purpose = ?3 AND ${TOKEN_ALIVE} AND expires_at > ?1 AND code_attempts <= ?4 RETURNING *`,
  reserveAttempt: `UPDATE tokens SET code_attempts = code_attempts + 1
    WHERE id = ? AND code_attempts < ? AND ${TOKEN_ALIVE} RETURNING code_attempts`,

  userById: 'SELECT * FROM users WHERE id = ?',
  userByEmail: 'SELECT * FROM users WHERE email = ?',
  // One writer at a time already: the same reads as userById / userByEmail.
  signInUserById: 'SELECT * FROM users WHERE id = ?',
  signInUserByEmail: 'SELECT * FROM users WHERE email = ?',
  // BEGIN IMMEDIATE already holds the database's write lock (PostgreSQL locks the row).
  lockUser: 'SELECT * FROM users WHERE id = ?',
  // Keyset paging on the unique email index (listUsers).
  listUsers: 'SELECT * FROM users WHERE email > ? ORDER BY email LIMIT ?',
  insertUser: `INSERT INTO users (id, email, email_verified, created_at) VALUES (?, ?, 0, ?)
    ON CONFLICT (email) DO NOTHING`,
  verifyEmail: 'UPDATE users SET email_verified = 1 WHERE id = ?',

  insertSession: `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${marks(10)})`,
  /** The hot path: the columns of SESSION_LOOKUP_COLUMNS (store/rows.ts), in order, read as an array. */
  sessionLookup: `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.authenticated_at, s.user_agent, s.ip, s.amr,
      u.email, u.email_verified, u.created_at
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = ? AND s.revoked_at IS NULL AND u.disabled_at IS NULL`,
  touchSession: 'UPDATE sessions SET last_seen_at = ? WHERE id = ?',
  listSessions: `SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
    ORDER BY created_at DESC, id DESC`,
  revokeSession: 'UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',
  revokeUserSessions: 'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL',
  retireUserTokens: `UPDATE tokens SET retired_at = ? WHERE (user_id = ? OR email = ?) AND ${TOKEN_ALIVE}`,
  setUserDisabled: 'UPDATE users SET disabled_at = ? WHERE id = ?2 AND (disabled_at IS NULL) = (?1 IS NOT NULL)',
  createUser: `INSERT INTO users (id, email, email_verified, created_at) VALUES (?, ?, 0, ?) ON CONFLICT (email) DO NOTHING`,
  auditPruneOpen: 'INSERT INTO audit_prune (before) VALUES (?)',
  auditPrune: 'DELETE FROM audit_events WHERE at < ?',
  auditPruneClose: 'DELETE FROM audit_prune',

  insertOutbox: `INSERT INTO outbox (id, created_at, request_id, recipient, payload, status, attempts, next_attempt_at)
    VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?2)`,
  outboxById: 'SELECT * FROM outbox WHERE id = ?',
  outboxCounts: `SELECT status, attempts > 0 AS retried, count(*) AS n, min(created_at) AS oldest FROM outbox GROUP BY 1, 2`,
  outboxTroubled: `SELECT * FROM outbox WHERE status <> 'sent' AND attempts > 0 ORDER BY created_at DESC, id DESC LIMIT ?`,
  schemaVersion: 'SELECT coalesce(max(version), 0) AS version FROM schema_migrations',
  claimOutbox: `UPDATE outbox SET status = 'sending', claimed_by = ?1, lease_until = ?2
    WHERE id IN (
      SELECT id FROM outbox
      WHERE (status = 'queued' AND next_attempt_at <= ?3) OR (status = 'sending' AND lease_until <= ?3)
      ORDER BY next_attempt_at LIMIT ?4)
    RETURNING *`,
  markSent: `UPDATE outbox SET status = 'sent', sent_at = ?, payload = NULL, lease_until = NULL
    WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? AND status = 'sending'`,
  markRetry: `UPDATE outbox SET status = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
      claimed_by = NULL, lease_until = NULL
    WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
  markDead: `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, payload = NULL, lease_until = NULL
    WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
  // Back to queued without counting an attempt; next_attempt_at is already due.
  releaseOutbox: `UPDATE outbox SET status = 'queued', claimed_by = NULL, lease_until = NULL
    WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? AND status = 'sending'`,

  // rate-limiter-flexible's fixed window in one statement: an expired counter (or reset) starts over.
  hitRateCounter: `INSERT INTO rate_limit_counters (key, points, expires_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (key) DO UPDATE SET
      points = CASE WHEN ?4 OR expires_at <= ?5 THEN excluded.points ELSE points + excluded.points END,
      expires_at = CASE WHEN ?4 OR expires_at <= ?5 THEN excluded.expires_at ELSE expires_at END
    RETURNING points, expires_at`,
  getRateCounter: 'SELECT points, expires_at FROM rate_limit_counters WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
  deleteRateCounter: 'DELETE FROM rate_limit_counters WHERE key = ?',
  pruneRateCounters: 'DELETE FROM rate_limit_counters WHERE expires_at <= ?',

  // Two-factor (issue #5). TOTP replay and recovery-code single use live in these conditions.
  totpByUser: 'SELECT * FROM user_totp WHERE user_id = ?',
  // Replaces an unconfirmed secret, never an enabled one (the WHERE leaves it untouched).
  startTotpEnrolment: `INSERT INTO user_totp (user_id, secret_sealed, created_at) VALUES (?, ?, ?)
    ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at,
      last_used_step = NULL, email_sign_in_requires_totp = 1
    WHERE user_totp.enabled_at IS NULL`,
  enableTotp: 'UPDATE user_totp SET enabled_at = ?, last_used_step = ? WHERE user_id = ? AND enabled_at IS NULL',
  useTotpStep: `UPDATE user_totp SET last_used_step = ?1
    WHERE user_id = ?2 AND enabled_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < ?1)`,
  disableTotp: 'DELETE FROM user_totp WHERE user_id = ? RETURNING enabled_at',
  setEmailSignInRequiresTotp: 'UPDATE user_totp SET email_sign_in_requires_totp = ? WHERE user_id = ? AND enabled_at IS NOT NULL',
  // BEGIN IMMEDIATE already holds the write lock: a concurrent disableTotp cannot slip in (PostgreSQL: FOR UPDATE).
  lockTotpEnabled: 'SELECT 1 AS on_ FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL',
  deleteRecoveryCodes: 'DELETE FROM recovery_codes WHERE user_id = ?',
  // ?2: the hashes as a JSON array (sqlite-store.ts binds lists as JSON), one row each, in order.
  insertRecoveryCodes: 'INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT ?1, value, ?3 FROM json_each(?2)',
  countRecoveryCodes: 'SELECT count(*) AS unused FROM recovery_codes WHERE user_id = ? AND used_at IS NULL',
  consumeRecoveryCode: 'UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL',
  sweepPendingSecondFactors: 'DELETE FROM pending_second_factors WHERE user_id = ? AND expires_at <= ?',
  insertPendingSecondFactor: `INSERT INTO pending_second_factors (${PENDING_SECOND_FACTOR_COLUMNS}) VALUES (${marks(9)})`,
  pendingSecondFactorByHash: 'SELECT * FROM pending_second_factors WHERE token_hash = ?',
  reserveSecondFactorAttempt: `UPDATE pending_second_factors SET attempts = attempts + 1
    WHERE token_hash = ? AND attempts < ? AND expires_at > ? RETURNING attempts`,
  // Deleting is the single use: one caller gets the row back.
  takePendingSecondFactor: 'DELETE FROM pending_second_factors WHERE token_hash = ? AND expires_at > ? RETURNING *',

  // Passwords, email verification and email change (issue #5).
  passwordOf: 'SELECT password_hash, password_changed_at FROM users WHERE id = ? AND password_hash IS NOT NULL',
  setPassword: 'UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ? AND disabled_at IS NULL RETURNING *',
  // Only while the hash is still the one that was verified: a password set meanwhile wins.
  rehashPassword: 'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?',
  revokeOtherSessions: 'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?',
  // Every unused token of the account but the "this wasn't me" links: the owner's undo outlives what an intruder does next.
  // "This wasn't me": every live token but the cancel links of earlier changes (issue #12 finding 3).
  retireTokensButEarlierCancels: `UPDATE tokens SET retired_at = ? WHERE (user_id = ? OR email = ?) AND NOT (purpose = 'email_change_cancel' AND created_at < ?) AND ${TOKEN_ALIVE}`,
  retireAccountTokens: `UPDATE tokens SET retired_at = ? WHERE (user_id = ? OR email = ?) AND purpose <> 'email_change_cancel' AND ${TOKEN_ALIVE}`,
  deletePendingSecondFactors: 'DELETE FROM pending_second_factors WHERE user_id = ?',
  markEmailVerified: 'UPDATE users SET email_verified = 1 WHERE id = ? AND email = ?',
  changeEmail: 'UPDATE users SET email = ?, email_verified = 1 WHERE id = ? AND email = ? AND disabled_at IS NULL RETURNING *',
  dropPassword: 'UPDATE users SET password_hash = NULL, password_changed_at = ? WHERE id = ? AND password_hash IS NOT NULL',
  dropTotpSince: 'DELETE FROM user_totp WHERE user_id = ? AND (enabled_at IS NULL OR enabled_at >= ?) RETURNING user_id',
  reauthenticateSession: 'UPDATE sessions SET authenticated_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',

  // Cross-device approval (issue #4): each state change is one conditional UPDATE, so it happens once.
  insertApproval: `INSERT INTO cross_device_approvals (${APPROVAL_COLUMNS}) VALUES (${marks(8)})`,
  approvalByFlow: 'SELECT * FROM cross_device_approvals WHERE flow_hash = ?',
  insertSignInFlow: `INSERT INTO sign_in_flows (flow_hash, email, redirect_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (flow_hash) DO NOTHING`,
  pruneSignInFlows: 'DELETE FROM sign_in_flows WHERE expires_at <= ?',
  signInFlowByHash: 'SELECT * FROM sign_in_flows WHERE flow_hash = ? AND expires_at > ?',
  decideApproval: `UPDATE cross_device_approvals SET state = ?1, decided_at = ?2
    WHERE flow_hash = ?3 AND token_id = ?4 AND state = 'pending' AND expires_at > ?2`,
  completeApproval: `UPDATE cross_device_approvals SET state = 'completed'
    WHERE flow_hash = ? AND state = 'approved' AND expires_at > ?`,

  // OpenID Connect provider (issue #15): its models by the SHA-256 of their id; expiry judged on every read.
  upsertOidcRecord: `INSERT INTO oidc_records (model, id_hash, payload, grant_id, uid, user_code_hash, expires_at, client_id, account_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload,
    grant_id = excluded.grant_id, client_id = excluded.client_id, account_id = excluded.account_id, uid = excluded.uid, user_code_hash = excluded.user_code_hash, expires_at = excluded.expires_at`,
  oidcRecord: `SELECT payload, consumed_at FROM oidc_records WHERE model = ?1 AND id_hash = ?2 AND ${OIDC_ALIVE}`,
  oidcRecordByUid: `SELECT id_hash, payload, consumed_at FROM oidc_records WHERE model = ?1 AND uid = ?2 AND ${OIDC_ALIVE}`,
  oidcRecordByUserCode: `SELECT id_hash, payload, consumed_at FROM oidc_records WHERE model = ?1 AND user_code_hash = ?2 AND ${OIDC_ALIVE}`,
  consumeOidcRecord: 'UPDATE oidc_records SET consumed_at = ? WHERE model = ? AND id_hash = ? AND consumed_at IS NULL',
  destroyOidcRecord: 'DELETE FROM oidc_records WHERE model = ? AND id_hash = ?',
  revokeOidcGrant: 'DELETE FROM oidc_records WHERE model = ? AND grant_id = ?',
  oidcGrantsOfAccount: `SELECT client_id, payload FROM oidc_records WHERE model = 'Grant' AND account_id = ?1
    AND client_id IS NOT NULL AND (expires_at IS NULL OR expires_at > ?2) ORDER BY client_id`,
  revokeOidcAccess: 'DELETE FROM oidc_records WHERE account_id = ? AND client_id = ?',
  // The apps an account-wide sign-out tells (back-channel logout): any live grant, code or token of the account.
  oidcClientsOfAccount: `SELECT DISTINCT client_id FROM oidc_records WHERE account_id = ?1
    AND client_id IS NOT NULL AND (expires_at IS NULL OR expires_at > ?2) ORDER BY client_id LIMIT 200`,
  // "This wasn't me" and the operator's second-factor reset: every grant, code and token of the account, for every app.
  revokeOidcRecordsOfAccount: 'DELETE FROM oidc_records WHERE account_id = ?',
  pruneOidcRecords: 'DELETE FROM oidc_records WHERE expires_at <= ?',
  insertOidcKey: `INSERT INTO oidc_signing_keys (kid, generation, alg, created_at, sealed_jwk) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING`,
  oidcKeys: 'SELECT * FROM oidc_signing_keys ORDER BY generation DESC',
  insertOidcClient: `INSERT INTO oidc_clients (client_id, metadata, secret_sealed, first_party, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (client_id) DO NOTHING`,
  oidcClientById: 'SELECT * FROM oidc_clients WHERE client_id = ?',
  oidcClients: 'SELECT * FROM oidc_clients ORDER BY client_id',
  deleteOidcClient: 'DELETE FROM oidc_clients WHERE client_id = ?',
  deleteOidcClientRecords: 'DELETE FROM oidc_records WHERE client_id = ?',
  // Passkeys (issue #17): challenges by the hash of the browser's cookie, taken once; credentials unique per deployment.
  prunePasskeyChallenges: 'DELETE FROM passkey_challenges WHERE expires_at <= ?',
  upsertPasskeyChallenge: `INSERT INTO passkey_challenges (browser_hash, ceremony, challenge_hash, user_id, session_id, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (browser_hash, ceremony) DO UPDATE SET challenge_hash = excluded.challenge_hash,
    user_id = excluded.user_id, session_id = excluded.session_id, created_at = excluded.created_at, expires_at = excluded.expires_at`,
  passkeyChallengeLive: 'SELECT 1 AS live FROM passkey_challenges WHERE browser_hash = ? AND ceremony = ? AND expires_at > ?',
  takePasskeyChallenge: 'DELETE FROM passkey_challenges WHERE browser_hash = ? AND ceremony = ? RETURNING *',
  insertPasskey: `INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, aaguid, name, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING`,
  sessionLive: 'SELECT 1 AS live FROM sessions WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?',
  passkeyCount: 'SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?',
  passkeyByCredentialId: `SELECT p.*, u.id AS u_id, u.email AS u_email, u.email_verified AS u_email_verified,
    u.created_at AS u_created_at, u.disabled_at AS u_disabled_at FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_id = ?`,
  passkeysOfUser: 'SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id',
  usePasskey: `UPDATE passkeys SET counter = ?1, backed_up = ?2, last_used_at = ?3
    WHERE id = ?4 AND (counter < ?1 OR (counter = 0 AND ?1 = 0))`,
  // The same, for the passkey that completes a second-factor step: only the step's account's (issue #17 F3).
  usePasskeyOfUser: `UPDATE passkeys SET counter = ?1, backed_up = ?2, last_used_at = ?3
    WHERE id = ?4 AND user_id = ?5 AND (counter < ?1 OR (counter = 0 AND ?1 = 0))`,
  renamePasskey: 'UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?',
  deletePasskey: 'DELETE FROM passkeys WHERE id = ? AND user_id = ?',
  // Everything finishFirstFactor decides with, in one statement (issue #13: one read per returning sign-in).
  signInRequirements: `SELECT u.email_sign_in_requires_passkey AS required, (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys,
    t.enabled_at AS totp_enabled_at, t.email_sign_in_requires_totp AS email_requires_totp
    FROM users u LEFT JOIN user_totp t ON t.user_id = u.id WHERE u.id = ?`,
  setEmailSignInRequiresPasskey: `UPDATE users SET email_sign_in_requires_passkey = ?1
    WHERE id = ?2 AND email_sign_in_requires_passkey <> ?1 AND (?1 = 0 OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?2))`,
  // "This wasn't me" (created since the change) and the operator's reset (?2 = 0: every one).
  dropPasskeysSince: 'DELETE FROM passkeys WHERE user_id = ? AND created_at >= ?',
  // With no passkey left, "email sign-in also asks for a passkey" would dangle: it goes too.
  dropPasskeyRequirementIfNone: `UPDATE users SET email_sign_in_requires_passkey = 0
    WHERE id = ?1 AND email_sign_in_requires_passkey = 1 AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1)`,
} as const satisfies Record<StatementName, string>;

/** One event per row (prepared once; SQLite inserts are cheap and the transaction commits them together). */
export const INSERT_AUDIT = `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${marks(10)})`;

function marks(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
