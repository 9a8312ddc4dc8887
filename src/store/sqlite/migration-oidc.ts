// Migrations 10 and 12 of the SQLite schema: the OpenID Connect provider's models, its
// signing keys and its clients (issue #15). A module of its own because it is the
// provider's schema (read with src/store/logic/oidc.ts); migrations.ts lists it in order.

import type { Migration } from '../schema-version.ts';

export const OIDC_MIGRATION: Migration = {
  version: 10,
  name: 'OpenID Connect provider models and signing keys (issue #15)',
  sql: `
-- oidc-provider's models (src/oidc/adapter.ts). The ids of its opaque tokens
-- (codes, access and refresh tokens) are the token values, so rows are keyed by
-- the SHA-256 of the id and the payload is stored without it. Expiry is judged
-- on every read; expired rows are pruned.
CREATE TABLE oidc_records (
  model TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  client_id TEXT,
  uid TEXT,
  user_code_hash TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id_hash)
) STRICT;
CREATE INDEX oidc_records_grant ON oidc_records (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_records_client ON oidc_records (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX oidc_records_uid ON oidc_records (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_records_user_code ON oidc_records (user_code_hash) WHERE user_code_hash IS NOT NULL;
CREATE INDEX oidc_records_expires ON oidc_records (expires_at);
-- The provider's signing keys, sealed; one per generation, so instances that
-- start together agree on the first key (the loser's insert does nothing).
CREATE TABLE oidc_signing_keys (
  kid TEXT PRIMARY KEY,
  generation INTEGER NOT NULL UNIQUE,
  alg TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sealed_jwk TEXT NOT NULL
) STRICT;
-- Clients registered by the admin API or the CLI (the clients file is read at
-- start and kept in memory). The secret, made by Latchkey, is sealed.
CREATE TABLE oidc_clients (
  client_id TEXT PRIMARY KEY,
  metadata TEXT NOT NULL,
  secret_sealed TEXT,
  first_party INTEGER NOT NULL CHECK (first_party IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;
`,
};

/** Migration 12: the account of a record, for "Apps with access" (issue #15 item 5). */
export const OIDC_ACCOUNT_MIGRATION: Migration = {
  version: 12,
  name: 'OpenID Connect records by account: apps with access (issue #15)',
  sql: `
-- The account a grant, code or token belongs to: the account page lists the
-- apps with a grant, and revoking one deletes every record of that account and
-- client. Null for records made before (and for models without an account).
ALTER TABLE oidc_records ADD COLUMN account_id TEXT;
CREATE INDEX oidc_records_account ON oidc_records (account_id, client_id) WHERE account_id IS NOT NULL;
`,
};
