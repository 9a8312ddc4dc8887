// The account's passkeys (issue #17): the list the account page and the API
// show, renaming, and removing (a change to how the account signs in: a recent
// sign-in, the hourly share of changes, and a notice).

import { auditEvent, type RequestContext } from './audit.ts';
import { authenticatorName, cleanPasskeyName } from './passkey-names.ts';
import type { PasskeyContext, PasskeyResult } from './passkey-registration.ts';
import { admitNotice } from './security-notices.ts';
import type { Session, User } from './types.ts';
import type { Passkey } from '../store/store.ts';

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Synced (a passkey provider keeps a copy): it survives the loss of one device. */
  backedUp: boolean;
  /** The authenticator model, when its AAGUID is a known one. */
  authenticator: string | null;
}

export function passkeyView(passkey: Passkey): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt,
    backedUp: passkey.backedUp,
    authenticator: authenticatorName(passkey.aaguid),
  };
}

export async function listPasskeys(ctx: Pick<PasskeyContext, 'store'>, userId: string): Promise<PasskeyView[]> {
  return (await ctx.store.listPasskeys(userId)).map(passkeyView);
}

/** A name is no change to how the account signs in: no recent sign-in, no notice. */
export async function renamePasskey(
  ctx: Pick<PasskeyContext, 'store' | 'now'>,
  user: User,
  input: { id: string; name: unknown },
  context: RequestContext,
): Promise<PasskeyResult<object>> {
  const name = cleanPasskeyName(input.name);
  if (name === null) return { ok: false, code: 'invalid_request' };
  const event = auditEvent(context, { type: 'passkey.renamed', outcome: 'success', at: ctx.now(), userId: user.id, email: user.email });
  return (await ctx.store.renamePasskey(user.id, input.id, name, [event])) ? { ok: true } : { ok: false, code: 'passkey_not_found' };
}

/**
 * Removing one. Refused (passkey_last_way_in) when email sign-in asks for a
 * passkey and this is the last one with TOTP off: the email link alone would
 * then lead to a step nobody can complete.
 */
export async function removePasskey(
  ctx: Pick<PasskeyContext, 'store' | 'now' | 'policy' | 'securityNotices'>,
  user: User,
  session: Session,
  id: string,
  context: RequestContext,
): Promise<PasskeyResult<object>> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) return { ok: false, code: 'rate_limited' };
  if (!(await admitNotice(ctx, user, 'passkey_removed', context))) return { ok: false, code: 'rate_limited' };
  const event = auditEvent(context, { type: 'passkey.removed', outcome: 'success', at: ctx.now(), userId: user.id, email: user.email });
  const removed = await ctx.store.removePasskey(user.id, id, [event]);
  if (removed === 'not_found') return { ok: false, code: 'passkey_not_found' };
  if (removed === 'last_way_in') return { ok: false, code: 'passkey_last_way_in' };
  await ctx.securityNotices(user, 'passkey_removed', context, { admitted: true });
  return { ok: true };
}

/**
 * "Email sign-in also asks for a passkey (or the TOTP code)": a change to how
 * the account signs in (recent sign-in, hourly changes, a notice). On needs a
 * passkey; off needs nothing more than the recent sign-in (with it on, this
 * session already proved a passkey or TOTP).
 */
export async function setEmailSignInRequiresPasskey(
  ctx: Pick<PasskeyContext, 'store' | 'now' | 'policy' | 'securityNotices'>,
  user: User,
  session: Session,
  value: boolean,
  context: RequestContext,
): Promise<PasskeyResult<object>> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) return { ok: false, code: 'rate_limited' };
  const kind = value ? 'email_sign_in_requires_passkey' : 'email_sign_in_without_passkey';
  if (!(await admitNotice(ctx, user, kind, context))) return { ok: false, code: 'rate_limited' };
  const event = auditEvent(context, { type: 'passkey.settings_changed', outcome: 'success', reason: value ? 'on' : 'off', at: ctx.now(), userId: user.id, email: user.email });
  if (await ctx.store.setEmailSignInRequiresPasskey(user.id, value, [event])) {
    await ctx.securityNotices(user, kind, context, { admitted: true });
    return { ok: true };
  }
  // Unchanged is no error; on without a passkey is.
  return value && (await ctx.store.getPasskeySettings(user.id)).passkeys === 0 ? { ok: false, code: 'passkey_not_found' } : { ok: true };
}
