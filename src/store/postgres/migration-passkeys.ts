// Migration 13 (issue #17): passkeys and their challenges. Kept beside
// migrations.ts, which lists it, so each file stays one readable page.
import type { Migration } from '../schema-version.ts';

export const PASSKEYS_MIGRATION: Migration = {
  version: 13,
  name: 'Passkeys and their challenges (issue #17)',
  sql: `
-- One row per WebAuthn credential; the credential ID is unique in the deployment.
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  counter BIGINT NOT NULL,
  transports TEXT NOT NULL,
  device_type TEXT NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up BOOLEAN NOT NULL,
  aaguid TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);
-- A ceremony in progress: keyed by the SHA-256 of the asking browser's cookie,
-- the challenge kept only as its SHA-256; taken (deleted) by its answer.
CREATE TABLE passkey_challenges (
  browser_hash TEXT NOT NULL,
  ceremony TEXT NOT NULL CHECK (ceremony IN ('registration', 'authentication')),
  challenge_hash TEXT NOT NULL,
  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  session_id TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (browser_hash, ceremony)
);
CREATE INDEX passkey_challenges_expires ON passkey_challenges (expires_at);
-- "Email sign-in also asks for my passkey (or authenticator code)": the account's choice.
ALTER TABLE users ADD COLUMN email_sign_in_requires_passkey BOOLEAN NOT NULL DEFAULT FALSE;
`,
};
