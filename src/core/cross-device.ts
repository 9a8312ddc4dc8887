// Cross-device approval (LATCHKEY_CROSS_DEVICE_APPROVAL=on), number matching as
// authenticator apps do it. The browser that asked shows a two-digit number; a
// link opened anywhere else shows who asked (device, IP, time) and three numbers,
// and only the right pick lets the *waiting* browser take the session. The
// device that opened the link never gets one, so a person who did not start the
// sign-in cannot approve an attacker's request by reflex: they would have to
// read the number off the attacker's screen. One pick: a wrong number or "this
// wasn't me" spends the token, and the whole request (link and code) is dead.
//
// State lives in the store (one row per request, keyed by the waiting browser's
// flow cookie hash), so any instance can answer the poll. The token stays
// unconsumed until the waiting browser completes; it then consumes it by id.

import { auditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { emailFactor, finishFirstFactor, rejectToken, type FirstFactorContext, type VerifyOutcome } from './first-factor.ts';
import type { Random } from './random.ts';
import { tokenErrorCode } from './tokens.ts';
import type { TokenRecord } from './types.ts';
import type { CrossDeviceApproval } from '../store/store.ts';
import type { Context } from '../context.ts';

/** Finding a request's approval: off unless LATCHKEY_CROSS_DEVICE_APPROVAL is on. */
type ApprovalContext = Pick<Context, 'crossDeviceApproval' | 'store'>;

export type ApprovalView = 'pending' | 'approved' | 'refused' | 'completed' | 'expired';

/** Three distinct two-digit numbers, the right one at a random place among them. */
export function approvalNumbers(random: Random): { number: number; choices: number[] } {
  const choices: number[] = [];
  while (choices.length < 3) {
    const candidate = random.int(10, 100);
    if (!choices.includes(candidate)) choices.push(candidate);
  }
  return { number: choices[random.int(0, 3)]!, choices };
}

/** Called with every sign-in request of a browser (a flow cookie): the number its waiting page shows. */
export async function startApproval(ctx: ApprovalContext & Pick<Context, 'random'>, record: TokenRecord, now: number): Promise<void> {
  if (!ctx.crossDeviceApproval || record.flowHash === null) return;
  const { number, choices } = approvalNumbers(ctx.random);
  await ctx.store.createApproval({
    flowHash: record.flowHash,
    tokenId: record.id,
    number,
    choices,
    state: 'pending',
    createdAt: now,
    expiresAt: record.expiresAt,
    decidedAt: null,
  });
}

export function approvalView(approval: CrossDeviceApproval, now: number): ApprovalView {
  if ((approval.state === 'pending' || approval.state === 'approved') && approval.expiresAt <= now) return 'expired';
  return approval.state;
}

/** The waiting browser's approval (by the SHA-256 of its flow cookie), if approval is on. */
export async function waitingApproval(ctx: ApprovalContext, flowHash: string | null): Promise<CrossDeviceApproval | null> {
  if (!ctx.crossDeviceApproval || flowHash === null) return null;
  return ctx.store.findApproval(flowHash);
}

/** The approval started for this request (any state), if approval is on. */
export async function approvalOfToken(ctx: ApprovalContext, record: TokenRecord): Promise<CrossDeviceApproval | null> {
  if (!ctx.crossDeviceApproval || record.flowHash === null) return null;
  const approval = await ctx.store.findApproval(record.flowHash);
  return approval && approval.tokenId === record.id ? approval : null;
}

/** The approval a link belongs to, while it still awaits a pick on another device. */
export async function pendingApprovalOf(ctx: ApprovalContext, record: TokenRecord, now: number): Promise<CrossDeviceApproval | null> {
  const approval = await approvalOfToken(ctx, record);
  return approval && approvalView(approval, now) === 'pending' ? approval : null;
}

/**
 * Whether the request's session belongs to its waiting browser alone: an
 * approval was started for it and is not over (pending, or approved and not yet
 * taken). Approving must not hand the session to the device that opened the
 * link, by the link or by the code (issue #12 finding 11).
 */
export async function heldForWaitingBrowser(ctx: ApprovalContext, record: TokenRecord, now: number): Promise<boolean> {
  const approval = await approvalOfToken(ctx, record);
  const view = approval ? approvalView(approval, now) : null;
  return view === 'pending' || view === 'approved';
}

export type DecisionResult = { ok: true; outcome: 'approved' | 'refused' | 'mismatch' } | { ok: false; code: ErrorCode };

/**
 * The other device's one pick: a number, or "this wasn't me" (`refuse`). The
 * policy compares the number; every answer but the right number spends the token.
 */
export async function decideApproval(
  ctx: ApprovalContext & Pick<Context, 'policy' | 'now' | 'tokens'>,
  input: { token: string; number: number | null; refuse: boolean },
  context: RequestContext,
): Promise<DecisionResult> {
  if (!(await ctx.policy.checkVerify({ verifier: 'link', account: null }, context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const shown = await ctx.tokens.inspect(input.token, 'sign_in', now);
  if (!shown.ok) {
    await rejectToken(ctx, 'token.rejected', tokenErrorCode(shown.reason), shown.record, context, now);
    return { ok: false, code: tokenErrorCode(shown.reason) };
  }
  const record = shown.record;
  const approval = await pendingApprovalOf(ctx, record, now);
  // Decided already (one pick), or a request made without approval: nothing to pick.
  if (!approval) return { ok: false, code: 'token_used' };
  const approve =
    !input.refuse && (await ctx.policy.checkApprovalNumber({ expected: approval.number, chosen: input.number, email: record.email }, context)).allow;
  const reason = approve ? null : input.refuse ? 'not_me' : 'wrong_number';
  const event = auditEvent(context, {
    type: approve ? 'approval.granted' : 'approval.refused',
    outcome: approve ? 'success' : 'failure',
    reason,
    at: now,
    userId: record.userId,
    email: record.email,
  });
  if (!(await ctx.store.decideApproval({ flowHash: approval.flowHash, tokenId: record.id, approve, now, events: [event] }))) {
    return { ok: false, code: 'token_used' };
  }
  if (approve) return { ok: true, outcome: 'approved' };
  // Spent, so neither the link nor the code can finish this request anywhere.
  await ctx.tokens.consumeLink(input.token, 'sign_in', now);
  return { ok: true, outcome: input.refuse ? 'refused' : 'mismatch' };
}

/** The waiting browser takes the session of an approved request, once. */
export async function completeApproval(ctx: FirstFactorContext & Pick<Context, 'crossDeviceApproval' | 'now' | 'tokens'>, flowHash: string | null, context: RequestContext): Promise<VerifyOutcome> {
  const approval = await waitingApproval(ctx, flowHash);
  const now = ctx.now();
  if (!approval) return { ok: false, code: 'token_invalid' };
  const view = approvalView(approval, now);
  if (view === 'pending') return { ok: false, code: 'approval_pending' };
  if (view === 'refused') return { ok: false, code: 'approval_refused' };
  if (view === 'expired') return { ok: false, code: 'token_expired' };
  if (view === 'completed' || !(await ctx.store.completeApproval(approval.flowHash, now))) return { ok: false, code: 'token_used' };
  const result = await ctx.tokens.consumeApproved(approval.tokenId, 'sign_in', now);
  if (!result.ok) return rejectToken(ctx, 'token.rejected', tokenErrorCode(result.reason), result.record, context, now);
  return finishFirstFactor(ctx, emailFactor('link', result.record, context, now), context, now);
}
