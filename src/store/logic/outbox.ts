// The mail outbox: the logic of OutboxStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import { toOutbox, toOutboxSummary } from '../rows.ts';
import type { NewOutboxMessage, OutboxMessage, OutboxStore, OutboxSummary } from '../store.ts';
import { all, appendEvents, get, run, type Driver, type Work } from './steps.ts';

export function outboxStore(db: Driver): OutboxStore {
  return {
    queueMail: (mail, events) => db.transaction(queueMail(mail, events)),
    claimOutbox: (workerId, now, limit, leaseMs) => db.write(claimOutbox(workerId, now, limit, leaseMs)),
    async markOutboxSent(ids, workerId, now, events) {
      if (ids.length === 0 && events.length === 0) return;
      await db.transaction(markOutboxSent(ids, workerId, now, events));
    },
    markOutboxFailed: (id, workerId, error, nextAttemptAt, events) =>
      db.transaction(markOutboxFailed(id, workerId, error, nextAttemptAt, events)),
    async releaseOutbox(ids, workerId) {
      if (ids.length === 0) return 0;
      return db.write(run('releaseOutbox', [ids, workerId]));
    },
    getOutboxMessage: (id) => db.read(getOutboxMessage(id)),
    outboxSummary: (limit) => db.read(outboxSummary(limit)),
  };
}

/** The outbox row of a mail committed with the change it reports (tokens, passwords). */
export function* insertOutbox(mail: NewOutboxMessage): Work<void> {
  yield* run('insertOutbox', [mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload]);
}

function* queueMail(mail: NewOutboxMessage, events: AuditEvent[]): Work<void> {
  yield* insertOutbox(mail);
  yield* appendEvents(events);
}

function* claimOutbox(workerId: string, now: number, limit: number, leaseMs: number): Work<OutboxMessage[]> {
  const rows = yield* all('claimOutbox', [workerId, now + leaseMs, now, limit]);
  return rows.map(toOutbox).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
}

function* markOutboxSent(ids: string[], workerId: string, now: number, events: AuditEvent[]): Work<void> {
  yield* run('markSent', [now, ids, workerId]);
  yield* appendEvents(events);
}

function* markOutboxFailed(id: string, workerId: string, error: string, nextAttemptAt: number | null, events: AuditEvent[]): Work<void> {
  if (nextAttemptAt === null) yield* run('markDead', [error, id, workerId]);
  else yield* run('markRetry', [error, nextAttemptAt, id, workerId]);
  yield* appendEvents(events);
}

function* getOutboxMessage(id: string): Work<OutboxMessage | null> {
  const row = yield* get('outboxById', [id]);
  return row ? toOutbox(row) : null;
}

function* outboxSummary(limit: number): Work<OutboxSummary> {
  return toOutboxSummary(yield* all('outboxCounts', []), yield* all('outboxTroubled', [limit]));
}
