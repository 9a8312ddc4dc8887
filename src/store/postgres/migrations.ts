// PostgreSQL schema, as numbered migrations applied in order by migrate() inside
// one transaction. Never edit a shipped migration: add the next one (and bump
// SCHEMA_VERSION). Times are BIGINT epoch milliseconds, parsed to numbers by the pool.

import type { Migration } from '../schema-version.ts';

export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  email_verified BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  user_agent TEXT,
  ip TEXT
);
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
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT,
  retired_at BIGINT,
  code_attempts INTEGER NOT NULL DEFAULT 0 CHECK (code_attempts >= 0),
  request_ip TEXT,
  request_user_agent TEXT
);
-- findLatestToken and the retiring update in issueToken.
CREATE INDEX tokens_email_purpose_created ON tokens (email, purpose, created_at);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  request_id TEXT,
  recipient TEXT NOT NULL,
  payload TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  sent_at BIGINT,
  claimed_by TEXT,
  lease_until BIGINT
);
-- claimOutbox: due queued rows, and sending rows whose lease ran out.
CREATE INDEX outbox_status_next_attempt ON outbox (status, next_attempt_at);
CREATE INDEX outbox_status_lease ON outbox (status, lease_until);

CREATE TABLE audit_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  at BIGINT NOT NULL,
  request_id TEXT,
  user_id TEXT,
  email TEXT,
  ip TEXT,
  user_agent TEXT
);
-- listAudit filters, each ordered by time for newest first.
CREATE INDEX audit_events_request ON audit_events (request_id, at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_email ON audit_events (email, at);
CREATE INDEX audit_events_type_at ON audit_events (type, at);
CREATE INDEX audit_events_at ON audit_events (at);

-- Append-only, even for someone holding a raw connection (short of dropping the trigger).
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
`,
  },
  // Slots reserved so concurrent work lands in a fixed order; each is filled by its issue.
  { version: 2, name: 'hybrid accounts (issue #5)', sql: '' },
  { version: 3, name: 'operations (issue #6)', sql: '' },
  { version: 4, name: 'abuse resistance (issue #4)', sql: '' },
];
