// A tiny software authenticator for server tests (issue #17): real ES256 keys
// from node:crypto, real CBOR attestation objects ("none" format) and real
// signed assertions, so @simplewebauthn/server verifies them exactly as it
// verifies a browser's. Every part a test may want wrong is a parameter: the
// origin, the RP ID, the challenge, the counter, the user-verified flag.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Minimal CBOR (RFC 8949): unsigned and negative integers, byte and text strings, maps. */
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const out = Buffer.alloc(3);
  out[0] = (major << 5) | 25;
  out.writeUInt16BE(length, 1);
  return out;
}
function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface CeremonyOptions {
  origin?: string;
  rpId?: string;
  /** Overrides the challenge of the options (a replay, a forged one). */
  challenge?: string;
  userVerified?: boolean;
}

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  counter: number;
  /** Set at registration: the user handle the server gave. */
  userHandle: string | null = null;
  backedUp: boolean;
  /**
   * The key registered: ES256, or one the server must refuse (registration only; assertions sign
   * ES256): ES384 (COSE -35), or ML-DSA-44 (-48, a made-up public key: "none" attestation checks none).
   */
  readonly #keyType: 'ES256' | 'ES384' | 'ML-DSA-44';

  constructor(options: { counter?: number; backedUp?: boolean; keyType?: 'ES256' | 'ES384' | 'ML-DSA-44' } = {}) {
    this.#keyType = options.keyType ?? 'ES256';
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: this.#keyType === 'ES384' ? 'P-384' : 'P-256' });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.counter = options.counter ?? 0;
    this.backedUp = options.backedUp ?? true;
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  #flags(userVerified: boolean, attested: boolean): number {
    return FLAG_UP | (userVerified ? FLAG_UV : 0) | (this.backedUp ? FLAG_BE | FLAG_BS : 0) | (attested ? FLAG_AT : 0);
  }

  #coseKey(): Buffer {
    // AKP key type (7), ML-DSA-44's public key is 1312 bytes.
    if (this.#keyType === 'ML-DSA-44') return cbor(new Map<Cbor, Cbor>([[1, 7], [3, -48], [-1, randomBytes(1312)]]));
    const jwk = this.#publicKey.export({ format: 'jwk' });
    const es256 = this.#keyType === 'ES256';
    return cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, es256 ? -7 : -35],
        [-1, es256 ? 1 : 2],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** The browser's answer to registration options (`{ options }` as the server sent them). */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string, opts: CeremonyOptions = {}) {
    const rpId = opts.rpId ?? options.rp.id ?? new URL(origin).hostname;
    this.userHandle = options.user.id;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.#flags(opts.userVerified ?? true, true)]),
      counter,
      Buffer.alloc(16), // AAGUID: all zeros, as a software or privacy-minded authenticator says
      idLength,
      this.credentialId,
      this.#coseKey(),
    ]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const clientDataJSON = this.#clientData('webauthn.create', opts.challenge ?? options.challenge, opts.origin ?? origin);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** The browser's answer to sign-in options; the counter moves forward by one first (unless `counter` is given). */
  authenticate(options: { challenge: string; rpId?: string }, origin: string, opts: CeremonyOptions & { counter?: number; userHandle?: string | null } = {}) {
    const rpId = opts.rpId ?? options.rpId ?? new URL(origin).hostname;
    this.counter = opts.counter ?? this.counter + 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([this.#flags(opts.userVerified ?? true, false)]), counter]);
    const clientDataJSON = this.#clientData('webauthn.get', opts.challenge ?? options.challenge, opts.origin ?? origin);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.#privateKey);
    const userHandle = opts.userHandle === undefined ? this.userHandle : opts.userHandle;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(userHandle ? { userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}
