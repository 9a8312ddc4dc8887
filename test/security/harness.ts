// The target of the attack suite: a real Latchkey over HTTP with the product's
// default limits (not the relaxed ones of the flow tests), a real SMTP sink, and
// helpers that say what the attacker saw and what mail really left.
import assert from 'node:assert/strict';
import { resolveConfig, type RateLimits } from '../../src/config.ts';
import type { CreateLatchkeyOptions } from '../../src/latchkey.ts';
import type { Store } from '../../src/store/store.ts';
import type { Client } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import { startSmtpSink, type ParsedMessage, type SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend, type Backend } from '../support/stores.ts';

/** The shipped defaults, read from the configuration itself. */
export const DEFAULT_LIMITS: RateLimits = resolveConfig({ secret: 'x'.repeat(32) }).limits;

export interface Target {
  server: TestServer;
  sink: SmtpSink;
  store: Store;
  clock: TestClock;
  /** Delivers everything queued so far; afterwards "no mail" is a fact, not a hope. */
  settle(): Promise<void>;
  mailsTo(email: string): ParsedMessage[];
  close(): Promise<void>;
}

export async function startTarget(
  options: Partial<CreateLatchkeyOptions> & { backend?: Backend; limits?: Partial<RateLimits>; smtpDelayMs?: number } = {},
): Promise<Target> {
  const { backend = sqliteBackend, limits, smtpDelayMs, ...rest } = options;
  const sink = await startSmtpSink({ delayMs: smtpDelayMs });
  const store = await backend.open();
  assert.ok(store, `${backend.name} store unavailable`);
  const clock = new TestClock();
  const server = await startTestServer({ smtpUrl: sink.url, now: clock.now, ...rest, store, limits: { ...DEFAULT_LIMITS, ...limits } });
  return {
    server,
    sink,
    store,
    clock,
    async settle() {
      for (;;) {
        const { sent, failed } = await server.latchkey.outbox.runOnce();
        if (sent + failed === 0) return;
      }
    },
    mailsTo: (email) => sink.messages.filter((m) => m.to === email || m.envelopeTo.includes(email)),
    async close() {
      await server.close();
      await store.close();
      await sink.close();
    },
  };
}

let counter = 0;
export const address = (label: string, domain = 'example.com') => `${label}.${Date.now()}.${++counter}@${domain}`;

export async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

export function askForMail(client: Client, email: unknown, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return client.request('/auth/sign-in/email', { method: 'POST', json: { email, ...extra }, headers });
}

/** A 202 that is indistinguishable from every other 202. */
export async function assertAccepted(response: Response): Promise<void> {
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), { status: 'sent' });
}

/** The generic 429: a fixed body, no count, no precise Retry-After. */
export async function assertRateLimited(response: Response): Promise<void> {
  assert.equal(response.status, 429);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'rate_limited');
  assert.equal(body.error.message, 'Too many requests. Wait a little and try again.');
  assert.equal(response.headers.get('retry-after'), null);
  for (const name of response.headers.keys()) assert.doesNotMatch(name, /ratelimit|remaining/i);
}

/** An existing account (as if it had signed in before), made directly in the store. */
export async function createAccount(target: Target, email: string): Promise<void> {
  const now = target.clock.now();
  await target.store.signIn({
    email,
    userId: null,
    allowSignup: true,
    newUserId: crypto.randomUUID(),
    now,
    session: { id: crypto.randomUUID(), tokenHash: crypto.randomUUID(), createdAt: now, expiresAt: now + 1000, userAgent: null, ip: null, amr: ['email'] },
    events: [],
  });
}

/** What an observer can compare: status, body, and every header but the per-request ones. */
export async function observable(response: Response): Promise<{ status: number; body: string; headers: string[] }> {
  const headers: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === 'date' || name === 'x-request-id') continue;
    // Cookie values are random per request; their names and attributes are what could differ.
    if (name === 'set-cookie') headers.push(...response.headers.getSetCookie().map((c) => `set-cookie: ${c.replace(/=[^;]*/, '=…')}`));
    else headers.push(`${name}: ${value}`);
  }
  return { status: response.status, body: await response.text(), headers: headers.sort() };
}
