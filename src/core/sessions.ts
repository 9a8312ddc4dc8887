// Sessions: a fresh 32-byte random cookie value at every sign-in (never derived
// from the sign-in token), stored as SHA-256 only. Idle and absolute expiry are
// judged here, on the server, whatever the cookie's own Max-Age says.

import { sha256 } from './crypto.ts';
import type { AuthMethod, Session, User } from './types.ts';
import type { NewSession, Store } from '../store/store.ts';
import type { Context } from '../context.ts';

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at is written at most this often: the session check is the hot path. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionPolicy {
  ttlSeconds: number;
  idleTtlSeconds: number;
}

export interface ValidSession {
  session: Session;
  user: User;
}

export function newSession(
  ctx: Pick<Context, 'random' | 'sessions'>,
  now: number,
  client: { userAgent: string | null; ip: string | null },
  amr: AuthMethod[],
): { token: string; record: NewSession } {
  const token = ctx.random.token(32);
  return {
    token,
    record: {
      id: ctx.random.uuid(),
      tokenHash: sha256(token),
      createdAt: now,
      expiresAt: now + ctx.sessions.ttlSeconds * 1000,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      amr,
    },
  };
}

/** The session's effective end: the earlier of absolute and idle expiry. */
export function sessionEndsAt(session: Session, policy: SessionPolicy): number {
  return Math.min(session.expiresAt, session.lastSeenAt + policy.idleTtlSeconds * 1000);
}

export async function validateSession(
  store: Store,
  policy: SessionPolicy,
  cookieValue: string | undefined | null,
  now: number,
): Promise<ValidSession | null> {
  if (!cookieValue || !COOKIE_VALUE.test(cookieValue)) return null;
  return validateSessionHash(store, policy, sha256(cookieValue), now);
}

/**
 * The same check from the stored hash of the cookie value (validateSession's
 * second half): the forward-auth proxy cookie carries the hash, sealed by an
 * HMAC (http/proxy-cookie.ts), never the session cookie itself. Revoked
 * sessions and disabled accounts are not found; idle and absolute expiry judged here.
 */
export async function validateSessionHash(store: Store, policy: SessionPolicy, tokenHash: string, now: number): Promise<ValidSession | null> {
  const found = await store.findSession(tokenHash);
  if (!found || now >= sessionEndsAt(found.session, policy)) return null;
  if (now - found.session.lastSeenAt >= TOUCH_INTERVAL_MS) {
    await store.touchSession(found.session.id, now);
    found.session = { ...found.session, lastSeenAt: now };
  }
  return found;
}
