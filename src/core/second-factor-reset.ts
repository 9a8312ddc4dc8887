// The operator's recovery path (issue #17 review): someone who lost their
// authenticator app, their recovery codes and their passkeys, or whose account
// an intruder locked with a second factor of their own, asks whoever runs the
// service. `latchkey users reset-second-factor EMAIL` and
// `POST /admin/users/second-factor/reset {email}` take every second factor
// away in one transaction (store resetSecondFactors), with the password they
// guarded, every emailed link still out and every app's token, and sign the
// account out everywhere, its apps told by back-channel logout (core/apps-logout.ts); only an emailed link then signs in (alone), and the
// person sets a password, a passkey or TOTP again. The account's address is told, within the policy's
// notice cap like every security notice: a reset nobody asked for is how an
// owner learns of a social-engineered operator.

import type { AdminActor, AdminResult } from './admin.ts';
import { appsOfAccount, signOutApps, type AppsLogoutContext } from './apps-logout.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { User } from './types.ts';
import type { Context } from '../context.ts';

export interface SecondFactorReset {
  user: User;
  totpRemoved: boolean;
  passkeysRemoved: number;
  /** The password goes too: the second factor guarded it, and left alone it would sign in alone. */
  passwordRemoved: boolean;
  sessionsRevoked: number;
}

export async function resetSecondFactor(
  ctx: Pick<Context, 'store' | 'now' | 'securityNotices'> & Pick<AppsLogoutContext, 'appsLogout'>,
  email: unknown,
  actor: AdminActor,
  context: RequestContext,
): Promise<AdminResult<SecondFactorReset>> {
  const canonical = canonicalizeEmail(email);
  if (!canonical.ok) return { ok: false, code: 'invalid_email' };
  const user = await ctx.store.findUserByEmail(canonical.email);
  if (!user) return { ok: false, code: 'not_found' };
  const at = ctx.now();
  const events = [
    auditEvent(context, { type: 'second_factor.reset', outcome: 'success', reason: actor, at, userId: user.id, email: user.email }),
    auditEvent(context, { type: 'session.revoked', outcome: 'success', reason: actor, at, userId: user.id, email: user.email }),
  ];
  // Read first: the reset deletes every grant and token of the account, and with them the list of its apps.
  const apps = await appsOfAccount(ctx, user.id);
  const reset = await ctx.store.resetSecondFactors(user.id, at, events);
  if (!reset) return { ok: false, code: 'not_found' };
  await signOutApps(ctx, user.id, apps, context);
  // After the commit, like every notice: it carries no secret and no link that signs in.
  await ctx.securityNotices(reset.user, 'second_factor_reset', context);
  return { ok: true, value: reset };
}
