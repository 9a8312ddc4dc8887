// What Latchkey counts (requests, sign-in steps, session checks, refusals,
// mail), exposed in the Prometheus text format at /metrics (core/prometheus.ts).
// prom-client is loaded at the first scrape, not at startup (issue #14 item 5):
// most servers are never scraped. Until then each observation waits as a call
// to replay, so the first scrape shows exactly what an eager registry would;
// past PENDING_LIMIT of them the registry is loaded without a scrape, which
// bounds what waits.
import type { RouteName } from '../route-table.ts';
import type { OutboxSummary } from '../store/store.ts';
import type { BuildInfo } from '../version.ts';
import type { PrometheusMetrics } from './prometheus.ts';

/** The observations, as the request logger, the policy, the outbox and the OpenID Connect provider make them. */
export interface MetricsRecorder {
  /**
   * One finished HTTP request: `name` is its route in the table (null when no
   * route matched), `route` the pattern its labels carry; `errorCode` is the
   * stable code of an error answer.
   */
  request(name: RouteName | null, method: string, route: string, status: number, seconds: number, errorCode: string | undefined): void;
  sessionCheck(valid: boolean): void;
  policyDenied(reason: string): void;
  mailAttempt(result: 'sent' | 'retrying' | 'dead'): void;
  /** OpenID Connect (issue #15): `client` is a registered client id or 'unknown'; `outcome` 'success' or the OAuth error code. */
  oidcRequest(endpoint: 'authorization' | 'token', client: string, outcome: string): void;
  /** Forward-auth (issue #16): one decision by outcome ('allowed' or the denial's reason, core/policy-access.ts). */
  forwardAuth(outcome: string): void;
  /** Passkeys (issue #17): a ceremony `started`, or its end: 'success' or the refusal's reason code. */
  passkeyCeremony(ceremony: 'registration' | 'authentication', outcome: string): void;
  /** Step-up (issues #16/#17): a session stepped up, by the method that proved it. */
  stepUp(method: 'totp' | 'recovery_code' | 'passkey'): void;
}

export interface Scrape {
  contentType: string;
  body: string;
}

export interface Metrics extends MetricsRecorder {
  /** The Prometheus exposition of everything observed so far (loads prom-client the first time). */
  scrape(): Promise<Scrape>;
}

/** Observations that may wait for the registry; at this many it is loaded without a scrape (a few hundred KB at most). */
export const PENDING_LIMIT = 2000;

export function createMetrics(build: BuildInfo, outbox: () => Promise<OutboxSummary>, now: () => number): Metrics {
  let prometheus: PrometheusMetrics | null = null;
  let loading: Promise<PrometheusMetrics> | null = null;
  let pending: Array<(to: MetricsRecorder) => void> = [];

  const load = (): Promise<PrometheusMetrics> =>
    (loading ??= import('./prometheus.ts').then(
      ({ createPrometheusMetrics }) => {
        const loaded = createPrometheusMetrics(build, outbox, now);
        for (const replay of pending) replay(loaded);
        pending = [];
        prometheus = loaded;
        return loaded;
      },
      (error: unknown) => {
        loading = null; // the next scrape tries again, and answers the error
        throw error;
      },
    ));
  const wait = (replay: (to: MetricsRecorder) => void) => {
    // Past four times the limit (a registry that cannot load) the oldest waiting observations go first.
    if (pending.length >= PENDING_LIMIT * 4) pending.shift();
    pending.push(replay);
    if (pending.length === PENDING_LIMIT) load().catch(() => {}); // the scrape reports a failed load
  };

  return {
    request(name, method, route, status, seconds, errorCode) {
      if (prometheus) prometheus.request(name, method, route, status, seconds, errorCode);
      else wait((to) => to.request(name, method, route, status, seconds, errorCode));
    },
    sessionCheck(valid) {
      if (prometheus) prometheus.sessionCheck(valid);
      else wait((to) => to.sessionCheck(valid));
    },
    policyDenied(reason) {
      if (prometheus) prometheus.policyDenied(reason);
      else wait((to) => to.policyDenied(reason));
    },
    mailAttempt(result) {
      if (prometheus) prometheus.mailAttempt(result);
      else wait((to) => to.mailAttempt(result));
    },
    oidcRequest(endpoint, client, outcome) {
      if (prometheus) prometheus.oidcRequest(endpoint, client, outcome);
      else wait((to) => to.oidcRequest(endpoint, client, outcome));
    },
    forwardAuth(outcome) {
      if (prometheus) prometheus.forwardAuth(outcome);
      else wait((to) => to.forwardAuth(outcome));
    },
    passkeyCeremony(ceremony, outcome) {
      if (prometheus) prometheus.passkeyCeremony(ceremony, outcome);
      else wait((to) => to.passkeyCeremony(ceremony, outcome));
    },
    stepUp(method) {
      if (prometheus) prometheus.stepUp(method);
      else wait((to) => to.stepUp(method));
    },
    async scrape() {
      const { registry } = prometheus ?? (await load());
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
