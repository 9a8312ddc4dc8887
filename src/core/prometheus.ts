// The Prometheus registry behind Metrics (core/metrics.ts), one per Latchkey
// instance so two instances in one process (tests, an app mounting two) never
// mix counts. Loaded by metrics.ts at the first scrape (or once enough events
// wait), never at startup: prom-client is not needed by a server nobody scrapes.
// Labels are closed sets: route patterns, status codes, reason codes. Never an
// address, a token or a raw path.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteName } from '../route-table.ts';
import type { OutboxSummary } from '../store/store.ts';
import type { BuildInfo } from '../version.ts';
import type { MetricsRecorder } from './metrics.ts';

/** The routes (by name, src/route-table.ts) whose outcome is a sign-in step, and the step each one is. */
const SIGN_IN_STEPS: Partial<Record<RouteName, string>> = {
  verify: 'link',
  signInCode: 'code',
  signInPassword: 'password',
  secondFactor: 'second_factor',
  passkeySignIn: 'passkey',
};

export interface PrometheusMetrics extends MetricsRecorder {
  readonly registry: Registry;
}

export function createPrometheusMetrics(build: BuildInfo, outbox: () => Promise<OutboxSummary>, now: () => number): PrometheusMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({});
  const requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and method',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const signInRequests = new Counter({
    name: 'latchkey_sign_in_requests_total',
    help: 'Sign-in emails requested (accepted answers; silent throttling included, as the requester sees it)',
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'latchkey_sign_ins_total',
    help: 'Sign-in steps by step (link, code, password, second_factor), outcome and reason code',
    labelNames: ['step', 'outcome', 'reason'],
    registers: [registry],
  });
  const denied = new Counter({
    name: 'latchkey_policy_denied_total',
    help: 'Requests the policy refused (rate limits, cross-site, delays) by reason code',
    labelNames: ['reason'],
    registers: [registry],
  });
  const sessionChecks = new Counter({
    name: 'latchkey_session_validations_total',
    help: 'Session cookie checks by result',
    labelNames: ['result'],
    registers: [registry],
  });
  const mail = new Counter({
    name: 'latchkey_mail_attempts_total',
    help: 'Outbox delivery attempts by result (sent, retrying, dead)',
    labelNames: ['result'],
    registers: [registry],
  });
  const oidc = new Counter({
    name: 'latchkey_oidc_requests_total',
    help: 'OpenID Connect authorization and token requests by endpoint, registered client (or unknown) and outcome (success or the OAuth error code)',
    labelNames: ['endpoint', 'client', 'outcome'],
    registers: [registry],
  });
  const passkeys = new Counter({
    name: 'latchkey_passkey_ceremonies_total',
    help: 'Passkey ceremonies (registration, authentication) by outcome: started, success, or the refusal reason',
    labelNames: ['ceremony', 'outcome'],
    registers: [registry],
  });
  const stepUps = new Counter({
    name: 'latchkey_step_ups_total',
    help: 'Sessions stepped up ("confirm it\'s you") by the method that proved the second factor: totp, recovery_code, passkey',
    labelNames: ['method'],
    registers: [registry],
  });
  const forwardAuth = new Counter({
    name: 'latchkey_forward_auth_decisions_total',
    help: 'Forward-auth decisions by outcome: allowed, unauthenticated, no_rule, not_listed, second_factor_required, untrusted_proxy, original_url_invalid',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Read from the store at scrape time, so every instance reports the shared outbox.
  let summary: Promise<OutboxSummary> | null = null;
  const fresh = () => (summary ??= outbox().finally(() => setTimeout(() => (summary = null), 1000).unref()));
  new Gauge({
    name: 'latchkey_outbox_messages',
    help: 'Outbox messages by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const s = await fresh();
      for (const state of ['queued', 'retrying', 'sending', 'sent', 'dead'] as const) this.set({ state }, s[state]);
    },
  });
  new Gauge({
    name: 'latchkey_outbox_oldest_unsent_age_seconds',
    help: 'Age of the oldest message not yet sent (0 when none)',
    registers: [registry],
    async collect() {
      const s = await fresh();
      this.set(s.oldestUnsentAt === null ? 0 : Math.max(0, (now() - s.oldestUnsentAt) / 1000));
    },
  });
  new Gauge({
    name: 'latchkey_build_info',
    help: 'Version, schema version and build commit of this instance (value is always 1)',
    labelNames: ['version', 'schema', 'commit'],
    registers: [registry],
  }).set({ version: build.version, schema: String(build.schema), commit: build.commit }, 1);

  // Pre-bound children: the session check is the hot path.
  const valid = sessionChecks.labels('valid');
  const invalid = sessionChecks.labels('invalid');

  return {
    registry,
    request(name, method, route, status, seconds, errorCode) {
      requests.labels(method, route, String(status)).inc();
      latency.labels(method, route).observe(seconds);
      if (name === null) return;
      if (name === 'signInEmail' && status === 202) signInRequests.inc();
      const step = SIGN_IN_STEPS[name];
      if (step) {
        const ok = status < 400;
        signIns.labels(step, ok ? 'succeeded' : 'failed', ok ? 'none' : (errorCode ?? `http_${status}`)).inc();
      }
    },
    sessionCheck(ok) {
      (ok ? valid : invalid).inc();
    },
    policyDenied(reason) {
      denied.labels(reason).inc();
    },
    mailAttempt(result) {
      mail.labels(result).inc();
    },
    oidcRequest(endpoint, client, outcome) {
      oidc.labels(endpoint, client, outcome).inc();
    },
    forwardAuth(outcome) {
      forwardAuth.labels(outcome).inc();
    },
    passkeyCeremony(ceremony, outcome) {
      passkeys.labels(ceremony, outcome).inc();
    },
    stepUp(method) {
      stepUps.labels(method).inc();
    },
  };
}
