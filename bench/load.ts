// The load generator, run as its own process so it does not share a core's
// event loop with the server under test. Input: a JSON spec file; output: one
// JSON line with the autocannon figures.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** A fixed body, or a list cycled through so each request is distinct. */
  body?: string;
  bodies?: string[];
  /** `{n}` in this template is replaced by a counter (distinct addresses). */
  bodyTemplate?: string;
  /** Requests per second across all connections (a steady offered load); unset means as fast as possible. */
  overallRate?: number;
  /** Exactly this many requests, however long they take (durationSeconds is then ignored). */
  amount?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  total: number;
}

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadSpec;
let counter = 0;
const bodies = spec.bodies;

const instance = autocannon(
  {
    url: spec.url,
    method: spec.method,
    connections: spec.connections,
    duration: spec.durationSeconds,
    headers: spec.headers,
    body: spec.body,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    ...(spec.amount ? { amount: spec.amount, timeout: 600 } : {}),
    requests: [
      {
        setupRequest: (request) => {
          if (bodies) request.body = bodies[counter++ % bodies.length];
          else if (spec.bodyTemplate) request.body = spec.bodyTemplate.replace('{n}', String(counter++));
          return request;
        },
      },
    ],
  },
  (error, result) => {
    if (error) throw error;
    const output: LoadResult = {
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      total: result.requests.total,
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  },
);
process.once('SIGTERM', () => instance.stop());
