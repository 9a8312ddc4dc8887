// The provider's signing keys (issue #15 item 7): an RS256 key made at first
// start, kept sealed in the database so every instance signs and verifies with
// the same JWKS. Instances that start together agree on one key: the store takes
// one key per generation and the others' inserts do nothing.
// `latchkey keys rotate` adds the next generation, which signs from then on;
// an older key stays in the JWKS until everything it signed has expired (an
// id_token or logout token lives at most ID_TOKEN_TTL_SECONDS after the key that
// replaced it took over), then it is no longer published. Running instances
// pick the new key up within KEY_CHECK_INTERVAL_MS (provider.ts).

import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { seal, unseal } from '../core/crypto.ts';
import type { Random } from '../core/random.ts';
import type { OidcSigningKey, OidcStore } from '../store/oidc-store.ts';

export interface SigningJwk extends JsonWebKey {
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

export interface SigningKeyDeps {
  store: Pick<OidcStore, 'addOidcSigningKey' | 'listOidcSigningKeys'>;
  /** deriveKey(secret, 'oidc-seal'). */
  sealKey: Buffer;
  now: () => number;
  random: Pick<Random, 'token'>;
}

/** Seconds an id_token (and a logout token) lives: what a retired key may still have signed. */
export const ID_TOKEN_TTL_SECONDS = 3600;
/** A retired key is published this long after its successor took over: the longest token, plus clock skew. */
export const RETIRED_KEY_KEPT_MS = (ID_TOKEN_TTL_SECONDS + 300) * 1000;
/** How often a running instance looks for a rotated key. */
export const KEY_CHECK_INTERVAL_MS = 60_000;

/**
 * The keys to publish, newest first (the provider signs with the first): the
 * newest, and each older one while the key that replaced it is younger than
 * RETIRED_KEY_KEPT_MS.
 */
export function publishedKeys(stored: readonly OidcSigningKey[], now: number): OidcSigningKey[] {
  const newestFirst = [...stored].sort((a, b) => b.generation - a.generation);
  return newestFirst.filter((_key, i) => i === 0 || now - newestFirst[i - 1]!.createdAt < RETIRED_KEY_KEPT_MS);
}

/** The private JWKs to publish, newest first. Makes the first key when there is none. */
export async function loadSigningKeys(deps: SigningKeyDeps): Promise<SigningJwk[]> {
  let stored = await deps.store.listOidcSigningKeys();
  if (stored.length === 0) {
    await deps.store.addOidcSigningKey(newSigningKey(deps, 1));
    stored = await deps.store.listOidcSigningKeys();
  }
  return publishedKeys(stored, deps.now()).map((key) => JSON.parse(unseal(deps.sealKey, key.sealedJwk)) as SigningJwk);
}

/** `latchkey keys rotate`: the next generation's key (it signs from now on); its kid, or null when another rotation won the race. */
export async function rotateSigningKey(deps: SigningKeyDeps): Promise<string | null> {
  const stored = await deps.store.listOidcSigningKeys();
  const generation = Math.max(0, ...stored.map((key) => key.generation)) + 1;
  const key = newSigningKey(deps, generation);
  return (await deps.store.addOidcSigningKey(key)) ? key.kid : null;
}

function newSigningKey(deps: Pick<SigningKeyDeps, 'sealKey' | 'now' | 'random'>, generation: number): OidcSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = deps.random.token(16);
  const jwk: SigningJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, generation, alg: 'RS256', createdAt: deps.now(), sealedJwk: seal(deps.sealKey, JSON.stringify(jwk)) };
}
