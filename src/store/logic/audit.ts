// The audit trail: the logic of AuditStore, written once for both backends.

import type { AuditEvent } from '../../core/audit.ts';
import { auditLimit, auditWhere, toAudit } from '../rows.ts';
import type { AuditStore } from '../store.ts';
import { appendEvents, run, select, type Driver, type Work } from './steps.ts';

export function auditStore(db: Driver): AuditStore {
  return {
    async appendAudit(events: AuditEvent[]) {
      if (events.length) await db.write(appendEvents(events));
    },
    listAudit: async (query) =>
      (
        await db.read(
          select((param) => {
            const { where, values } = auditWhere(query, param);
            const sql = `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT ${param(values.length + 1)}`;
            return { sql, params: [...values, auditLimit(query.limit)] };
          }),
        )
      ).map(toAudit),
    pruneAudit: (before) => db.transaction(pruneAudit(before)),
  };
}

/** Retention: the audit table refuses deletes but those of rows older than the bound opened here (the trigger of both migrations). */
function* pruneAudit(before: number): Work<number> {
  yield* run('auditPruneOpen', [before]);
  const deleted = yield* run('auditPrune', [before]);
  yield* run('auditPruneClose', []);
  return deleted;
}
