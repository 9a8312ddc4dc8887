// What the OpenID Connect provider (src/oidc/, issue #15) keeps in the Store:
// its models (sessions, interactions, grants, codes, tokens, …) and its signing
// keys. oidc-provider's ids of opaque tokens ARE the token values, so a model
// is found only by the SHA-256 of its id (like our own tokens), and its payload
// is sealed (src/oidc/adapter.ts).

import type { AuditEvent } from '../core/audit.ts';
import type { User } from '../core/types.ts';

/** One model instance as the provider saves it. */
export interface OidcRecord {
  /** The provider's model name: 'Session', 'AuthorizationCode', 'AccessToken', … */
  model: string;
  /** SHA-256 of the provider's id, base64url. */
  idHash: string;
  /** The payload, sealed by the adapter (it may name other token values). */
  payload: string;
  /** The grant it belongs to (revokeByGrantId), or null. */
  grantId: string | null;
  /** The client it belongs to (removing the client deletes it), or null. */
  clientId: string | null;
  /** The account it belongs to (a grant, code or token: "Apps with access" and its revoke), or null. */
  accountId: string | null;
  /** A Session's uid (findByUid), or null. */
  uid: string | null;
  /** SHA-256 of a DeviceCode's user code (findByUserCode), or null. */
  userCodeHash: string | null;
  /** Epoch ms; null: no expiry. */
  expiresAt: number | null;
}

export interface StoredOidcRecord {
  payload: string;
  /** Epoch ms when it was consumed (a used code, a rotated refresh token), or null. */
  consumedAt: number | null;
}

/** A signing key of the provider, sealed (AES-256-GCM, key derived from the server secret). */
export interface OidcSigningKey {
  kid: string;
  /** 1 for the key made at first start; each rotation the next number. One key per generation. */
  generation: number;
  alg: string;
  createdAt: number;
  /** The private JWK, sealed. */
  sealedJwk: string;
}

/** A client registered by the admin API or the CLI (the clients file stays in memory). */
export interface StoredOidcClient {
  clientId: string;
  /** The client's RFC 7591 metadata without its secret, as JSON. */
  metadata: string;
  /** The client secret, sealed; null for a public client. */
  secretSealed: string | null;
  firstParty: boolean;
  createdAt: number;
}

/** The provider's storage (issue #15): every instance on this database sees the same models and keys. */
export interface OidcStore {
  /** Inserts or replaces the record (a consumed record stays consumed). */
  upsertOidcRecord(record: OidcRecord): Promise<void>;
  /** The unexpired record, or null. */
  findOidcRecord(model: string, idHash: string, now: number): Promise<StoredOidcRecord | null>;
  findOidcRecordByUid(model: string, uid: string, now: number): Promise<(StoredOidcRecord & { idHash: string }) | null>;
  findOidcRecordByUserCode(model: string, userCodeHash: string, now: number): Promise<(StoredOidcRecord & { idHash: string }) | null>;
  /** Conditional: marks it consumed at `now`. true for exactly one caller, however many race. */
  consumeOidcRecord(model: string, idHash: string, now: number): Promise<boolean>;
  /** false when there was no such record. */
  destroyOidcRecord(model: string, idHash: string): Promise<boolean>;
  /** Deletes every record of this model in the grant; returns how many. */
  revokeOidcGrant(model: string, grantId: string): Promise<number>;
  /** The account's live grants (model Grant), oldest first: the client and the sealed payload. */
  listOidcGrants(accountId: string, now: number): Promise<Array<{ clientId: string; payload: string }>>;
  /**
   * The clients with a live record (grant, code, token) of the account, by client id, at most 200:
   * the apps an account-wide sign-out sends a back-channel logout token to (src/oidc/backchannel.ts).
   */
  listOidcClientsOfAccount(accountId: string, now: number): Promise<string[]>;
  /**
   * One transaction: deletes every record (grant, code, token) of this account
   * and client, and appends the events when there was one. Returns how many.
   */
  revokeOidcAccess(accountId: string, clientId: string, events: AuditEvent[]): Promise<number>;
  /** Deletes expired records; returns how many. */
  pruneOidcRecords(now: number): Promise<number>;
  /** Adds a key; false (nothing written) when its generation already has one (another instance made it first). */
  addOidcSigningKey(key: OidcSigningKey): Promise<boolean>;
  /** Every key, newest generation first. */
  listOidcSigningKeys(): Promise<OidcSigningKey[]>;
  /** Inserts the client with its event; false (nothing written) when the client id is taken. */
  addOidcClient(client: StoredOidcClient, events: AuditEvent[]): Promise<boolean>;
  findOidcClient(clientId: string): Promise<StoredOidcClient | null>;
  /** Every stored client, by client id. */
  listOidcClients(): Promise<StoredOidcClient[]>;
  /** One transaction: deletes the client, every record (grant, code, token) of it, appends the events. false: no such client. */
  removeOidcClient(clientId: string, events: AuditEvent[]): Promise<boolean>;
  /** The account a token or session names, while it exists and is enabled (a disabled account's tokens are dead). */
  findOidcAccount(userId: string): Promise<User | null>;
}
