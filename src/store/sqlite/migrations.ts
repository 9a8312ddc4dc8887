// SQLite schema, as numbered migrations applied in order by migrate(). Never
// edit a shipped migration: add the next one (and bump SCHEMA_VERSION).
// Times are epoch milliseconds; STRICT tables reject values of the wrong type.

import type { Migration } from '../schema-version.ts';

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
  { version: 2, name: 'hybrid accounts (issue #5)', sql: '' },
  { version: 3, name: 'operations (issue #6)', sql: '' },
  { version: 4, name: 'abuse resistance (issue #4)', sql: '' },
];
