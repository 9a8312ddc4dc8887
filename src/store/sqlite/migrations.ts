// SQLite schema, as numbered migrations applied in order by migrate(). Never
// edit a shipped migration: add the next one (and bump SCHEMA_VERSION).
// Times are epoch milliseconds; STRICT tables reject values of the wrong type.

import type { Migration } from '../schema-version.ts';
import { PASSKEYS_MIGRATION } from './migration-passkeys.ts';
import { OIDC_ACCOUNT_MIGRATION, OIDC_MIGRATION } from './migration-oidc.ts';

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  email_verified INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  user_agent TEXT,
  ip TEXT
) STRICT;
-- listSessions: by user, newest first; also serves the foreign key.
CREATE INDEX sessions_user_created ON sessions (user_id, created_at);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  code_hash TEXT NOT NULL,
  email TEXT NOT NULL,
  user_id TEXT,
  flow_hash TEXT,
  redirect_to TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER,
  retired_at INTEGER,
  code_attempts INTEGER NOT NULL DEFAULT 0 CHECK (code_attempts >= 0),
  request_ip TEXT,
  request_user_agent TEXT
) STRICT;
-- findLatestToken and the retiring update in issueToken.
CREATE INDEX tokens_email_purpose_created ON tokens (email, purpose, created_at);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  request_id TEXT,
  recipient TEXT NOT NULL,
  payload TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  sent_at INTEGER,
  claimed_by TEXT,
  lease_until INTEGER
) STRICT;
-- claimOutbox: due queued rows, and sending rows whose lease ran out.
CREATE INDEX outbox_status_next_attempt ON outbox (status, next_attempt_at);
CREATE INDEX outbox_status_lease ON outbox (status, lease_until);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  at INTEGER NOT NULL,
  request_id TEXT,
  user_id TEXT,
  email TEXT,
  ip TEXT,
  user_agent TEXT
) STRICT;
-- listAudit filters; each index ends in at (and the implicit rowid) for newest first.
CREATE INDEX audit_events_request ON audit_events (request_id, at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_email ON audit_events (email, at);
CREATE INDEX audit_events_type_at ON audit_events (type, at);
CREATE INDEX audit_events_at ON audit_events (at);

-- Append-only, even for someone holding a raw connection.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
`,
  },
  // Slots reserved so concurrent work lands in a fixed order; each is filled by its issue.
  {
    version: 2,
    name: 'hybrid accounts (issue #5)',
    sql: `
-- Optional passwords (src/core/passwords.ts): an Argon2id PHC string, NULL when
-- the account has none. password_changed_at: when it was last set or removed.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;

-- When the session last proved who it is (its sign-in, or the password entered
-- again); sensitive changes need this within the last 10 minutes.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET authenticated_at = created_at;

-- Email change tokens name the other address of the change (src/core/email-change.ts).
ALTER TABLE tokens ADD COLUMN other_email TEXT;
-- Retiring every unused token of an account (password reset, email change, disabling).
CREATE INDEX tokens_user ON tokens (user_id) WHERE user_id IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'operations (issue #6)',
    sql: `
-- Disabled accounts: no sign-in, no mail, no session (admin API, latchkey users disable).
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- Retention is the one way audit events leave: pruneAudit writes the cut-off
-- here inside its transaction, and only rows older than it may be deleted.
CREATE TABLE audit_prune (before INTEGER NOT NULL) STRICT;
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_prune WHERE OLD.at < audit_prune.before)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
`,
  },
  {
    version: 4,
    name: 'abuse resistance (issue #4)',
    sql: `
-- Fixed-window rate-limit counters: the limiter's shared fallback while Redis is
-- unreachable (src/core/store-limiter.ts). Keys are HMACs, never addresses.
CREATE TABLE rate_limit_counters (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL,
  expires_at INTEGER
) STRICT;
-- pruneRateCounters.
CREATE INDEX rate_limit_counters_expires ON rate_limit_counters (expires_at);
`,
  },
  {
    version: 5,
    name: 'totp and recovery codes (issue #5)',
    sql: `
-- TOTP (src/core/totp.ts): one row per account from the start of enrolment;
-- enabled_at stays NULL until a first code confirms it. The secret is sealed
-- (AES-256-GCM, key derived from the server secret). last_used_step is the
-- newest accepted time step: a code of that step or older is refused (replay).
CREATE TABLE user_totp (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret_sealed TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  enabled_at INTEGER,
  last_used_step INTEGER,
  email_sign_in_requires_totp INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Single-use recovery codes, stored as HMACs (src/core/recovery-codes.ts).
CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
) STRICT;

-- A first factor verified, the second still owed (src/core/second-factor.ts):
-- the cookie value is stored as SHA-256 only; the row is deleted when used.
CREATE TABLE pending_second_factors (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  first_factor TEXT NOT NULL CHECK (first_factor IN ('link', 'code', 'password')),
  redirect_to TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0)
) STRICT;
-- Expired rows of a user are swept when the user gets a new one; also serves the foreign key.
CREATE INDEX pending_second_factors_user ON pending_second_factors (user_id, expires_at);
`,
  },
  {
    version: 6,
    name: 'audit policy version (issue #6)',
    sql: `
-- Which rules decided each event (core/policy-version.ts), stamped at write time.
ALTER TABLE audit_events ADD COLUMN policy_version INTEGER;
`,
  },
  {
    version: 7,
    name: 'cross-device approval (issue #4)',
    sql: `
-- LATCHKEY_CROSS_DEVICE_APPROVAL (src/core/cross-device.ts): one row per sign-in
-- request, keyed by the SHA-256 of the waiting browser's flow cookie. The number
-- is shown only in that browser; the other device picks among choices, fixed at
-- creation so reloading the link page reveals nothing. state moves once:
-- pending -> approved | refused, approved -> completed (the waiting browser's session).
CREATE TABLE cross_device_approvals (
  flow_hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES tokens(id),
  number INTEGER NOT NULL CHECK (number BETWEEN 10 AND 99),
  choices TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'completed')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER
) STRICT;
`,
  },
  {
    version: 8,
    name: 'password reset held by the second factor (issue #12 finding 4)',
    sql: `
-- A reset of an account with TOTP on changes nothing until the second factor
-- passes: the new PHC string waits in the pending step and is applied when it completes.
ALTER TABLE pending_second_factors ADD COLUMN password_hash TEXT;
`,
  },
  {
    version: 9,
    name: 'sign-in requests found by the browser that asked (issue #12 finding 10)',
    sql: `
-- What a browser asked for, keyed by the SHA-256 of its flow cookie (a random id
-- only it holds): the check-email page, "send a new link" and the resend notice
-- find it by that, never by an address a client names. Also written for a silently
-- throttled request, so its page looks like a sent one. Rows live 24 hours.
CREATE TABLE sign_in_flows (
  flow_hash TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  redirect_to TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_flows_expires ON sign_in_flows (expires_at);
`,
  },
  OIDC_MIGRATION,
  {
    version: 11,
    name: 'how each session was signed in (issue #15 amr, #16 secondFactor, #17 passkeys)',
    sql: `
-- The authentication methods of the sign-in that made the session, RFC 8176
-- values separated by spaces ("email", "pwd", "pwd otp", "email otp"; passkeys
-- add "hwk"/"swk" with "user"). Sessions made before this migration are unknown
-- (''): they count as single-factor everywhere.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
`,
  },
  OIDC_ACCOUNT_MIGRATION,
  PASSKEYS_MIGRATION,
];
