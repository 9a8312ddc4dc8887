// How long sign-in mail waited in the outbox: sent_at - created_at for the rows
// of one run, read straight from the database after the outbox has drained.
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { parseDatabaseUrl } from '../src/store/open.ts';

export async function outboxLatency(
  databaseUrl: string,
  since: number,
  sinkCount: () => number,
  sinkBefore: number,
  /** How long to wait for the outbox to drain first. */
  waitMs = 10_000,
): Promise<{ p50: number; p99: number; max: number; delivered: number; sent: number; unsent: number }> {
  const query = async (sql: string): Promise<Array<Record<string, unknown>>> => {
    const target = parseDatabaseUrl(databaseUrl);
    if (target.kind === 'sqlite') {
      const db = new DatabaseSync(target.path, { readOnly: true });
      try {
        return db.prepare(sql).all() as Array<Record<string, unknown>>;
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  // Let the worker drain what the run queued (bounded, so a backlog shows as a figure: `unsent`).
  let unsent = 0;
  for (const until = Date.now() + waitMs; ; ) {
    const [row] = await query(`SELECT count(*) AS n FROM outbox WHERE status IN ('queued', 'sending') AND created_at >= ${since}`);
    unsent = Number(row?.n);
    if (unsent === 0 || Date.now() >= until) break;
    await sleep(100);
  }
  const rows = await query(`SELECT sent_at - created_at AS ms FROM outbox WHERE created_at >= ${since} AND status = 'sent' ORDER BY 1`);
  const values = rows.map((r) => Number(r.ms));
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(values.length * q))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: values[values.length - 1] ?? 0, delivered: sinkCount() - sinkBefore, sent: values.length, unsent };
}
