// The gate every "email me a link" request passes, whatever the purpose
// (sign-in, password reset): the per-IP bucket first (a malformed address still
// counts), then the address, then both reads for every address, known or not,
// so the work and the time are the same, then the per-address caps, which are
// silent (the same 202 as a sent mail, so throttling reveals nothing).
import type { RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { TokenPurpose, User } from './types.ts';
import type { Context } from '../context.ts';

export type MailRequestAdmission =
  | { ok: false; code: 'invalid_email' | 'rate_limited' }
  /** Over a per-address cap: answer as if sent, send nothing. */
  | { ok: true; throttled: true; email: string }
  | { ok: true; throttled: false; email: string; user: User | null; now: number };

export async function admitMailRequest(
  ctx: Pick<Context, 'policy' | 'store' | 'now'>,
  rawEmail: unknown,
  purpose: TokenPurpose,
  context: RequestContext,
): Promise<MailRequestAdmission> {
  if (!(await ctx.policy.checkMailRequest(context)).allow) return { ok: false, code: 'rate_limited' };
  const canonical = canonicalizeEmail(rawEmail);
  if (!canonical.ok) return { ok: false, code: 'invalid_email' };
  const email = canonical.email;
  const now = ctx.now();
  const user = await ctx.store.findUserByEmail(email);
  const latest = await ctx.store.findLatestToken(email, purpose);
  const decision = await ctx.policy.checkMail({ email, lastMailAt: latest?.createdAt ?? null, now }, context);
  if (!decision.allow) return decision.silent ? { ok: true, throttled: true, email } : { ok: false, code: 'rate_limited' };
  return { ok: true, throttled: false, email, user, now };
}
