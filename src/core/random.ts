// The random source. Every random value the core, the mail composition and the
// sessions make (ids, bearer secrets, codes, approval numbers, recovery codes,
// TOTP secrets) comes from the Random of the context (src/context.ts), so a test
// can pass a seeded one and get the same ids twice. Nonces inside the crypto
// primitives (AES-GCM IVs in crypto.ts seal, Argon2id salts in passwords.ts)
// stay with the CSPRNG: a replayed source must never repeat a nonce.
import { randomInt, randomUUID } from 'node:crypto';
import { randomBuffer, randomToken } from './crypto.ts';

export interface Random {
  /** A version 4 UUID: the id of a row. */
  uuid(): string;
  /** `bytes` random bytes, base64url (32 bytes → 43 characters): a bearer secret. */
  token(bytes: number): string;
  /** `bytes` random bytes, in a Buffer of their own. */
  bytes(bytes: number): Buffer;
  /** A uniform integer in [min, max). */
  int(min: number, max: number): number;
}

/** Node's CSPRNG (bytes handed out from crypto.ts's pool); what createLatchkey uses unless given another. */
export const nodeRandom: Random = {
  uuid: () => randomUUID(),
  token: (bytes) => randomToken(bytes),
  bytes: (bytes) => randomBuffer(bytes),
  int: (min, max) => randomInt(min, max),
};
