// Recovery codes: ten single-use codes for a lost authenticator, shown once.
// Each is 80 random bits in Crockford base32 ("7k2m-q9x4-…"), stored only as an
// HMAC keyed by a key derived from the server secret and bound to the account,
// and consumed by a conditional update, so one code signs in once however many
// requests race.

import { auditEvent, type RequestContext } from './audit.ts';
import { hmacSha256 } from './crypto.ts';
import type { Random } from './random.ts';
import { admitNotice } from './security-notices.ts';
import type { TotpContext, TotpResult } from './totp.ts';
import type { Session, User } from './types.ts';

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32: no i, l, o, u, so what is read aloud or retyped survives.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 16;
const GROUP = 4;
const NORMALIZED = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);

function generateRecoveryCode(random: Random): string {
  // 32 symbols divide 256 evenly: taking 5 bits of each byte is unbiased.
  const chars = [...random.bytes(LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
  return chars.replace(new RegExp(`(.{${GROUP}})(?=.)`, 'g'), '$1-');
}

export function generateRecoveryCodes(random: Random, count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => generateRecoveryCode(random));
}

/** As typed: any case, spaces or dashes anywhere, o for 0 and i/l for 1. Null when it cannot be a code. */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return NORMALIZED.test(code) ? code : null;
}

export function hashRecoveryCode(key: Buffer, userId: string, normalized: string): string {
  return hmacSha256(key, `${userId}:${normalized}`);
}

/** New codes replace every old one (used or not); needs a recent sign-in. Shown once by the caller. */
export async function regenerateRecoveryCodes(
  ctx: TotpContext,
  user: User,
  session: Session,
  context: RequestContext,
): Promise<TotpResult<{ recoveryCodes: string[] }>> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  if (!(await admitNotice(ctx, user, 'recovery_codes_regenerated', context))) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const recoveryCodes = generateRecoveryCodes(ctx.random);
  const hashes = recoveryCodes.map((code) => hashRecoveryCode(ctx.twoFactor.recoveryCodeKey, user.id, normalizeRecoveryCode(code) ?? code));
  const event = auditEvent(context, { type: 'recovery_codes.generated', outcome: 'success', at: now, userId: user.id, email: user.email });
  if (!(await ctx.store.replaceRecoveryCodes(user.id, hashes, now, [event]))) return { ok: false, code: 'totp_not_enabled' };
  // The old codes are dead: the owner must hear of it (issue #12 finding 12).
  await ctx.securityNotices(user, 'recovery_codes_regenerated', context, { admitted: true });
  return { ok: true, recoveryCodes };
}
