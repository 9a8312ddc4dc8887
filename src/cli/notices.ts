// Security notices from a CLI command (`users reset-second-factor`): the mail is
// composed and sealed here, with keys derived from LATCHKEY_SECRET, and queued
// in the outbox, which the running server's worker sends (it polls). So, like
// `clients add`, run it with the server's environment: another secret seals a
// mail the server cannot open. The notice cap is the policy's, on the server's
// limiter backend when LATCHKEY_REDIS_URL is set.
import { pino } from 'pino';
import { resolveConfig } from '../config.ts';
import { createContext } from '../context.ts';
import { openLimiters } from '../core/open-limiters.ts';
import { nodeRandom } from '../core/random.ts';
import type { SecurityNotices } from '../core/security-notices.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Store } from '../store/store.ts';

/** This process only queues; the server's outbox worker sends. */
const QUEUE_ONLY: Mailer = {
  kind: 'smtp',
  send: () => Promise.reject(new Error('latchkey CLI: mail is queued for the server to send, not sent from here')),
  check: () => Promise.resolve(false),
  close: () => Promise.resolve(),
};

export async function openCliNotices(
  env: Record<string, string | undefined>,
  store: Store,
): Promise<{ securityNotices: SecurityNotices; close(): Promise<void> }> {
  const config = resolveConfig({}, env);
  const logger = pino({ level: 'silent' });
  const limiters = await openLimiters(config, logger, store, Date.now);
  await limiters.ready;
  const ctx = createContext({ config, now: Date.now, random: nodeRandom, logger, store, mailer: QUEUE_ONLY, limiters: limiters.backend, mailQueued: () => {} });
  return { securityNotices: ctx.securityNotices, close: () => limiters.close() };
}
