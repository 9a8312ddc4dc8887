// Adding a passkey to the signed-in account (issue #17): the options (a
// challenge for this browser and session, the account's passkeys excluded,
// user verification required, a discoverable credential preferred) and the
// verification of the authenticator's answer by @simplewebauthn/server. Like
// every change to how an account signs in, it needs a sign-in of the last 10
// minutes, counts toward the account's hourly changes and mails a notice.

import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { webauthn } from './webauthn.ts';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { auditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { holdsPasskeyChallenge, issuePasskeyChallenge, matchesChallenge, PASSKEY_CHALLENGE_TTL_SECONDS, takePasskeyChallenge } from './passkey-challenges.ts';
import { authenticatorName, cleanPasskeyName } from './passkey-names.ts';
import { admitNotice } from './security-notices.ts';
import type { Session, User } from './types.ts';
import type { Passkey } from '../store/store.ts';
import type { Context } from '../context.ts';

/** What the passkey flows use. */
export type PasskeyContext = Pick<Context, 'store' | 'random' | 'now' | 'policy' | 'passkeys' | 'securityNotices' | 'metrics'>;

export type PasskeyResult<T> = ({ ok: true } & T) | { ok: false; code: ErrorCode };

/** The user handle of an account: its id's UTF-8 bytes (no address: the authenticator keeps it). */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

/** COSE algorithms offered and accepted: Ed25519 (-8), ES256 (-7), RS256 (-257). */
const PASSKEY_ALGORITHMS = [-8, -7, -257] as const;

async function recentlySignedIn(ctx: PasskeyContext, user: User, session: Session, context: RequestContext): Promise<boolean> {
  return (await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow;
}

export async function passkeyRegistrationOptions(
  ctx: PasskeyContext,
  input: { user: User; session: Session; browserToken: string | null | undefined },
  context: RequestContext,
): Promise<PasskeyResult<{ options: PublicKeyCredentialCreationOptionsJSON; browserToken: string }>> {
  const { user, session } = input;
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  if (!(await recentlySignedIn(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  const replacesOwnChallenge = await holdsPasskeyChallenge(ctx, 'registration', input.browserToken);
  if (!(await ctx.policy.checkPasskey({ step: 'options', replacesOwnChallenge }, context)).allow) return { ok: false, code: 'rate_limited' };
  const existing = await ctx.store.listPasskeys(user.id);
  if (!(await ctx.policy.checkPasskeyCount({ passkeys: existing.length, email: user.email }, context)).allow) {
    return { ok: false, code: 'passkey_limit_reached' };
  }
  const issued = await issuePasskeyChallenge(ctx, { ceremony: 'registration', browserToken: input.browserToken, userId: user.id, sessionId: session.id });
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: ctx.passkeys.rpName,
    rpID: ctx.passkeys.rpId,
    userName: user.email,
    userDisplayName: user.email,
    userID: userHandle(user.id),
    challenge: issued.challenge,
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    // The same authenticator twice would be one credential under two names.
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    // Ed25519, ES256, RS256: what authenticators ship. Not ML-DSA (the library's default offers it): Node's
    // verifier is experimental, and its 2.4 KB signatures would not fit the bounded answer.
    supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
  });
  await issued.store(options.challenge);
  ctx.metrics.passkeyCeremony('registration', 'started');
  return { ok: true, options, browserToken: issued.browserToken };
}

export interface RegisterPasskeyInput {
  user: User;
  session: Session;
  /** The browser's answer, shape-checked and bounded by the HTTP layer. */
  response: RegistrationResponseJSON;
  /** As typed (null: none): cleaned here. */
  name: unknown;
  /** "Chrome on Linux": used when neither the person nor the AAGUID names it. */
  defaultName: string;
  browserToken: string | null | undefined;
}

export async function registerPasskey(ctx: PasskeyContext, input: RegisterPasskeyInput, context: RequestContext): Promise<PasskeyResult<{ passkey: Passkey }>> {
  const { user, session } = input;
  if (!ctx.passkeys) return { ok: false, code: 'passkeys_unavailable' };
  const now = ctx.now();
  const refuse = async (code: ErrorCode, reason: string = code): Promise<{ ok: false; code: ErrorCode }> => {
    await ctx.store.appendAudit([auditEvent(context, { type: 'passkey.rejected', outcome: 'failure', reason, at: now, userId: user.id, email: user.email })]);
    ctx.metrics.passkeyCeremony('registration', reason);
    return { ok: false, code };
  };
  const taken = await takePasskeyChallenge(ctx, 'registration', input.browserToken);
  if (!taken.ok) return refuse(taken.code);
  // Another session's challenge (the same browser signed in again meanwhile) is not this one's.
  if (taken.challenge.sessionId !== session.id || taken.challenge.userId !== user.id) return refuse('passkey_challenge_invalid');
  if (!(await recentlySignedIn(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) return { ok: false, code: 'rate_limited' };
  // Asked again at the answer: another browser of the account may have added one since the options.
  const count = (await ctx.store.listPasskeys(user.id)).length;
  if (!(await ctx.policy.checkPasskeyCount({ passkeys: count, email: user.email }, context)).allow) return { ok: false, code: 'passkey_limit_reached' };
  // Over the notice cap the change waits rather than going unseen (admitNotice, issue #12 finding 12).
  if (!(await admitNotice(ctx, user, 'passkey_added', context))) return { ok: false, code: 'rate_limited' };
  let info;
  try {
    const verification = await (await webauthn()).verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: matchesChallenge(taken.challenge),
      expectedOrigin: ctx.passkeys.origin,
      expectedRPID: ctx.passkeys.rpId,
      requireUserVerification: true,
      // What the options offered and README promises (Ed25519, ES256, RS256); the library would accept more.
      supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
    });
    if (!verification.verified) return refuse('passkey_invalid');
    info = verification.registrationInfo;
  } catch {
    return refuse('passkey_invalid');
  }
  const passkey: Passkey = {
    id: ctx.random.uuid(),
    userId: user.id,
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: (info.credential.transports ?? []).map(String).slice(0, 8),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: cleanPasskeyName(input.name) ?? authenticatorName(info.aaguid) ?? cleanPasskeyName(input.defaultName) ?? 'Passkey',
    createdAt: now,
    lastUsedAt: null,
  };
  const event = auditEvent(context, { type: 'passkey.registered', outcome: 'success', reason: info.aaguid, at: now, userId: user.id, email: user.email });
  const added = await ctx.store.addPasskey(passkey, [event], { sessionId: session.id, now, maxPasskeys: ctx.policy.passkeysPerAccount });
  if (added === 'exists') return refuse('passkey_exists');
  // Signed out everywhere (an undo, an operator's reset) or at the cap while the ceremony ran: nothing written.
  if (added === 'session_gone') return refuse('unauthenticated', 'session_gone');
  if (added === 'limit_reached') return { ok: false, code: 'passkey_limit_reached' };
  ctx.metrics.passkeyCeremony('registration', 'success');
  await ctx.securityNotices(user, 'passkey_added', context, { admitted: true });
  return { ok: true, passkey };
}
