// How the policy's refusals reach the audit trail without letting a refused
// client fill the database (issue #12 finding 8: one client wrote ~7,000 rows in
// 5 s). Per key, the first few denials of a minute are stored one by one; the
// rest are only counted (the policy's onDenied metric sees every one) and one
// policy.denials_suppressed event says that it happened. Keys: reason + client
// IP (IPv6 by its /64) and, when the denial names an account, reason + account,
// so neither one client trying many addresses nor many clients trying one
// address escape the bound. The counters are the limiter backend's, so with
// Redis the bound holds across instances.
import type { RateLimits } from '../config.ts';
import type { Store } from '../store/store.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { rateLimitSubject } from './client-ip.ts';
import type { LimiterBackend } from './limiters.ts';
import type { PolicyReason } from './policy.ts';

const MINUTE = 60;

export interface DenialAudit {
  /**
   * Stores the denial, or counts it when its key had its share this minute.
   * `type`: forward-auth refusals (issue #16) are their own event, bounded alike
   * (keyed by `reason`), stored with `detail` as their reason (`no_rule:app.example.com`).
   */
  record(reason: PolicyReason | string, context: RequestContext, email: string | null, type?: 'policy.denied' | 'forward_auth.denied', detail?: string): Promise<void>;
}

export function createDenialAudit(deps: {
  limits: Pick<RateLimits, 'deniedAuditEventsPerKeyPerMinute'>;
  backend: LimiterBackend;
  store: Pick<Store, 'appendAudit'>;
  now: () => number;
  /** The policy's keyed HMAC, so the limiter never holds an address or IP in clear. */
  key: (kind: string, value: string | null) => string;
}): DenialAudit {
  const stored = deps.backend.bucket('denial-audit', deps.limits.deniedAuditEventsPerKeyPerMinute, MINUTE);
  // Counts the suppressed ones so that only the first of a minute writes the summary.
  const suppressed = deps.backend.bucket('denial-suppressed', Number.MAX_SAFE_INTEGER, MINUTE);

  return {
    async record(reason, context, email, type = 'policy.denied', detail = reason) {
      const kind = type === 'policy.denied' ? reason : `${type}:${reason}`;
      const keys = [deps.key(`denial:${kind}:ip`, rateLimitSubject(context.ip))];
      if (email !== null) keys.push(deps.key(`denial:${kind}:account`, email));
      // Every key counts the denial, even when an earlier one is already full.
      const room = await Promise.all(keys.map((key) => stored.take(key)));
      const full = keys.find((_, i) => !room[i]);
      if (full === undefined) {
        await deps.store.appendAudit([auditEvent(context, { type, outcome: 'failure', reason: detail, at: deps.now(), email })]);
        return;
      }
      if ((await suppressed.add(full)) !== 1) return;
      await deps.store.appendAudit([
        auditEvent(context, { type: 'policy.denials_suppressed', outcome: 'failure', reason: kind, at: deps.now(), email }),
      ]);
    },
  };
}
