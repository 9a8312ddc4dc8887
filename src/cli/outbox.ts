// `latchkey outbox [--json]`: is mail flowing? Counts by state, the age of the
// oldest unsent message, and the messages that failed (with their last error).
import { parseArgs } from 'node:util';
import { openExistingStore } from './store.ts';

export async function outbox(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true });
  const { store } = await openExistingStore(env);
  try {
    const summary = await store.outboxSummary(20);
    if (values.json) {
      out(JSON.stringify(summary));
      return 0;
    }
    const age = summary.oldestUnsentAt === null ? 'none' : `${Math.round((Date.now() - summary.oldestUnsentAt) / 1000)} s`;
    out(`queued ${summary.queued}  retrying ${summary.retrying}  sending ${summary.sending}  sent ${summary.sent}  dead ${summary.dead}  oldest unsent: ${age}`);
    for (const m of summary.troubled) {
      const next = m.status === 'dead' ? 'gave up' : `next try ${new Date(m.nextAttemptAt).toISOString()}`;
      out(`${m.status.padEnd(7)} ${m.id}  to ${m.recipient}  attempts ${m.attempts}  ${next}  last error: ${m.lastError ?? ''}  request ${m.requestId ?? ''}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
