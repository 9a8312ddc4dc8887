// The forward-auth decision (issue #16): may this session open this URL behind
// the operator's proxy? Part of the policy (core/policy.ts builds it and it
// carries POLICY_VERSION); the rules come from core/access-rules.ts.
//
// Every decision is audited, within bounds, because it runs on every request a
// proxy forwards (a page and its forty assets are forty-one decisions):
// - a denial is a `forward_auth.denied` event, reason `<code>:<host>`, within the
//   policy's denial bound (per reason and client IP, and per account, per minute:
//   core/denial-audit.ts); past it the metrics still count every one;
// - an allowance is a `forward_auth.allowed` event, reason `rule_<n>:<host>`, once
//   per session and rule per ALLOWED_AUDIT_WINDOW_MS in each instance (a map of
//   at most ALLOWED_AUDIT_ENTRIES entries in memory, the oldest dropped first):
//   the trail says who opened which app, hour by hour, not each of their requests.
//   Keyed by rule, not host: under a `*.` rule a session could invent a host per
//   request and write a row for each (review of issue #16, finding 5); the host
//   named is the first one of the window.

import type { Store } from '../store/store.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { ruleAllows, type AccessRules } from './access-rules.ts';
import type { DenialAudit } from './denial-audit.ts';
import { POLICY_VERSION } from './policy-version.ts';
import { isMultiFactor, type AuthMethod } from './types.ts';

/** Why a forward-auth request was answered as it was. */
export type AccessReason =
  | 'allowed'
  /** The request to the endpoint did not come from LATCHKEY_TRUSTED_PROXIES: its forwarded headers are not believed. */
  | 'untrusted_proxy'
  /** The original URL is missing, too long or malformed. */
  | 'original_url_invalid'
  /** No rule matches the host and path (the default is deny). */
  | 'no_rule'
  /** A rule matches and there is no valid session: sign in first. */
  | 'unauthenticated'
  /** The rule that matches does not list the account, its domain or "*". */
  | 'not_listed'
  /** The rule asks for a second factor (TOTP or a passkey) this session did not pass. */
  | 'second_factor_required';

export interface AccessRequest {
  /**
   * The original URL's host and path (normalized: core/access-rules.ts), or why
   * there is none. `paths`: every reading of the path an app may serve
   * (pathReadings); the request is allowed only when each one is.
   */
  target: { host: string; path: string; paths?: readonly string[] } | { problem: 'untrusted_proxy' | 'original_url_invalid' };
  /** The session the request carried; `amr`: how it signed in (RFC 8176, core/types.ts). */
  session: { id: string; userId: string; email: string; amr: readonly AuthMethod[] } | null;
}

export interface AccessDecision {
  allow: boolean;
  reason: AccessReason;
  policyVersion: number;
  /** The rule that decided (its number in the file, from 1), or null. */
  rule: number | null;
}

/**
 * "Passed TOTP or a passkey" (issue #16): TOTP or a recovery code after the
 * first factor, a passkey with user verification (isMultiFactor), or a passkey
 * on top of a mailed link or password. A session older than migration 11 (amr
 * []) passed none.
 */
function passedSecondFactor(amr: readonly AuthMethod[]): boolean {
  if (isMultiFactor(amr)) return true;
  return (amr.includes('hwk') || amr.includes('swk')) && (amr.includes('email') || amr.includes('pwd'));
}
export const ALLOWED_AUDIT_WINDOW_MS = 3_600_000;
const ALLOWED_AUDIT_ENTRIES = 10_000;

export interface AccessPolicyDeps {
  rules: AccessRules | null;
  store: Pick<Store, 'appendAudit'>;
  denials: DenialAudit;
  now: () => number;
}

export type CheckAccess = (request: AccessRequest, context: RequestContext) => Promise<AccessDecision>;

export function createAccessPolicy(deps: AccessPolicyDeps): CheckAccess {
  const lastAllowedAudit = new Map<string, number>();

  async function audited(decision: AccessDecision, request: AccessRequest, context: RequestContext): Promise<AccessDecision> {
    const host = 'host' in request.target ? request.target.host : null;
    const email = request.session?.email ?? null;
    if (!decision.allow) {
      const detail = host === null ? decision.reason : `${decision.reason}:${host}`;
      await deps.denials.record(decision.reason, context, email, 'forward_auth.denied', detail);
      return decision;
    }
    // At most one row per session and rule (at most 1000 rules) per window.
    const key = `${request.session!.id} ${decision.rule}`;
    const now = deps.now();
    const last = lastAllowedAudit.get(key);
    if (last !== undefined && now - last < ALLOWED_AUDIT_WINDOW_MS) return decision;
    // Re-inserted at the end, so the first entry is always the oldest one to drop.
    lastAllowedAudit.delete(key);
    if (lastAllowedAudit.size >= ALLOWED_AUDIT_ENTRIES) lastAllowedAudit.delete(lastAllowedAudit.keys().next().value!);
    lastAllowedAudit.set(key, now);
    await deps.store.appendAudit([
      auditEvent(context, { type: 'forward_auth.allowed', outcome: 'success', reason: `rule_${decision.rule}:${host}`, at: now, userId: request.session!.userId, email }),
    ]);
    return decision;
  }

  const decide = (reason: AccessReason, rule: number | null = null): AccessDecision => ({ allow: reason === 'allowed', reason, policyVersion: POLICY_VERSION, rule });

  function judge(host: string, path: string, session: AccessRequest['session']): AccessDecision {
    // First match decides; no rule (or no rules file at all): deny.
    const rule = deps.rules?.match(host, path) ?? null;
    if (rule === null) return decide('no_rule');
    if (session === null) return decide('unauthenticated', rule.number);
    if (!ruleAllows(rule, session.email)) return decide('not_listed', rule.number);
    if (rule.secondFactor && !passedSecondFactor(session.amr)) return decide('second_factor_required', rule.number);
    return decide('allowed', rule.number);
  }

  return async (request, context) => {
    const { target, session } = request;
    if (!('host' in target)) return audited(decide(target.problem), request, context);
    // Every reading must allow (review of issue #16, finding 4); the first refusal, in reading order, answers.
    const decisions = (target.paths ?? [target.path]).map((path) => judge(target.host, path, session));
    return audited(decisions.find((decision) => !decision.allow) ?? decisions[0]!, request, context);
  };
}
