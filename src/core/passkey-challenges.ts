// The challenges of passkey ceremonies (issue #17, WebAuthn Level 3 §13.4.3):
// 32 random bytes from the context's random source, alive 5 minutes, answered
// once. They are bound to the browser that asked by a cookie of their own (a
// random value; the store keeps its SHA-256), and a registration also to the
// session that asked; the store keeps only the SHA-256 of the challenge, which
// @simplewebauthn/server compares through `expectedChallenge` as a function.

import { sha256 } from './crypto.ts';
import type { ErrorCode } from './errors.ts';
import type { PasskeyCeremony, PasskeyChallenge } from '../store/store.ts';
import type { Context } from '../context.ts';

/** ≤ 5 minutes (the issue's bound); also the browser's timeout for the ceremony. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 300;
const BROWSER_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The relying party, fixed at startup (src/passkey-rp-id.ts): null when passkeys are unavailable. */
export interface PasskeySettings {
  /** The RP ID: the base URL's host or LATCHKEY_PASSKEY_RP_ID. */
  rpId: string;
  /** Shown by the authenticator: the product name. */
  rpName: string;
  /** The only origin an answer may come from: the base URL's. */
  origin: string;
}

export interface IssuedChallenge {
  /** The challenge to send (base64url of 32 random bytes). */
  challenge: Uint8Array<ArrayBuffer>;
  /** The browser's cookie value: the one it had, or a new one. Never stored or logged. */
  browserToken: string;
}

/** A fresh challenge for this browser, replacing any earlier one of the same ceremony. */
export async function issuePasskeyChallenge(
  ctx: Pick<Context, 'store' | 'random' | 'now'>,
  input: { ceremony: PasskeyCeremony; browserToken: string | null | undefined; userId: string | null; sessionId: string | null },
): Promise<IssuedChallenge & { store: (challengeBase64Url: string) => Promise<void> }> {
  const browserToken = input.browserToken && BROWSER_TOKEN.test(input.browserToken) ? input.browserToken : ctx.random.token(32);
  const challenge = new Uint8Array(ctx.random.bytes(32));
  const now = ctx.now();
  return {
    challenge,
    browserToken,
    store: async (challengeBase64Url) => {
      const record: PasskeyChallenge = {
        browserHash: sha256(browserToken),
        ceremony: input.ceremony,
        challengeHash: sha256(challengeBase64Url),
        userId: input.userId,
        sessionId: input.sessionId,
        createdAt: now,
        expiresAt: now + PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
      };
      await ctx.store.savePasskeyChallenge(record);
    },
  };
}

/**
 * Whether this browser already holds a live challenge of the ceremony: new
 * options then replace that row instead of adding one, so the policy does not
 * charge them to the client IP's bucket (the sign-in page's autofill asks on
 * every view; behind one office address, reloads would otherwise use it up).
 */
export async function holdsPasskeyChallenge(
  ctx: Pick<Context, 'store' | 'now'>,
  ceremony: PasskeyCeremony,
  browserToken: string | null | undefined,
): Promise<boolean> {
  if (!browserToken || !BROWSER_TOKEN.test(browserToken)) return false;
  return ctx.store.holdsPasskeyChallenge(sha256(browserToken), ceremony, ctx.now());
}

/**
 * Takes this browser's challenge of the ceremony (one answer per challenge,
 * whatever the outcome), or says why there is none to answer.
 */
export async function takePasskeyChallenge(
  ctx: Pick<Context, 'store' | 'now'>,
  ceremony: PasskeyCeremony,
  browserToken: string | null | undefined,
): Promise<{ ok: true; challenge: PasskeyChallenge } | { ok: false; code: ErrorCode }> {
  if (!browserToken || !BROWSER_TOKEN.test(browserToken)) return { ok: false, code: 'passkey_challenge_invalid' };
  const challenge = await ctx.store.takePasskeyChallenge(sha256(browserToken), ceremony);
  if (!challenge) return { ok: false, code: 'passkey_challenge_invalid' };
  if (ctx.now() >= challenge.expiresAt) return { ok: false, code: 'passkey_challenge_expired' };
  return { ok: true, challenge };
}

/** What @simplewebauthn/server calls with the challenge the browser signed. */
export function matchesChallenge(challenge: PasskeyChallenge): (signed: string) => boolean {
  return (signed) => typeof signed === 'string' && signed.length <= 128 && sha256(signed) === challenge.challengeHash;
}
