// The provider's signing keys (issue #15): an RS256 key made at first start,
// kept sealed in the database so every instance signs and verifies with the
// same JWKS. Instances that start together agree on one key: the store takes
// one key per generation and the others' inserts do nothing.
// Rotation (`latchkey keys rotate`: generation + 1, older keys kept in the JWKS
// until what they signed has expired) is a later slice of #15.

import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { randomToken, seal, unseal } from '../core/crypto.ts';
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
}

/** The private JWKs, newest first (the provider signs with the first). Makes the first key when there is none. */
export async function loadSigningKeys(deps: SigningKeyDeps): Promise<SigningJwk[]> {
  let stored = await deps.store.listOidcSigningKeys();
  if (stored.length === 0) {
    await deps.store.addOidcSigningKey(newSigningKey(deps.sealKey, 1, deps.now()));
    stored = await deps.store.listOidcSigningKeys();
  }
  return stored.map((key) => JSON.parse(unseal(deps.sealKey, key.sealedJwk)) as SigningJwk);
}

function newSigningKey(sealKey: Buffer, generation: number, createdAt: number): OidcSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomToken(16);
  const jwk: SigningJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, generation, alg: 'RS256', createdAt, sealedJwk: seal(sealKey, JSON.stringify(jwk)) };
}
