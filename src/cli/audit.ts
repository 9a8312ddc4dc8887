// `latchkey audit`: "what happened to this request?" from the terminal, straight
// from the store (the server need not be running).
//
//   latchkey audit --request-id 4f0c…            every event of one request, in order
//   latchkey audit --user someone@example.com --since 1h
//   latchkey audit --type policy.denied --since 24h --json
import { parseArgs } from 'node:util';
import { AUDIT_EVENT_TYPES, type AuditEventType, type StoredAuditEvent } from '../core/audit.ts';
import { canonicalizeEmail } from '../core/email.ts';
import { openExistingStore } from './store.ts';
import type { AuditQuery } from '../store/store.ts';

export const AUDIT_USAGE = `Usage: latchkey audit [--request-id ID] [--user EMAIL] [--type TYPE] [--since 1h|30m|2d] [--limit N] [--json]`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "1h", "7d" → milliseconds; null when malformed. */
export function parseSince(value: string): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(value.trim());
  return match ? Number(match[1]) * UNITS[match[2]!]! : null;
}

export async function audit(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'request-id': { type: 'string' },
      user: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const query: AuditQuery = { limit: values.limit ? Number(values.limit) : 200 };
  if (values['request-id']) query.requestId = values['request-id'];
  if (values.type) {
    if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(values.type)) {
      console.error(`latchkey audit: unknown event type "${values.type}"; one of: ${AUDIT_EVENT_TYPES.join(', ')}`);
      return 2;
    }
    query.type = values.type as AuditEventType;
  }
  if (values.since) {
    const ms = parseSince(values.since);
    if (ms === null) {
      console.error(`latchkey audit: --since takes a number and a unit (s, m, h, d), e.g. 1h\n${AUDIT_USAGE}`);
      return 2;
    }
    query.since = Date.now() - ms;
  }
  if (!Number.isInteger(query.limit) || query.limit! < 1) {
    console.error(`latchkey audit: --limit takes a positive whole number\n${AUDIT_USAGE}`);
    return 2;
  }

  const { store, where } = await openExistingStore(env);
  try {
    if (values.user) {
      // Events about an address are found by the address (requests) and by the account (everything after).
      const email = canonicalizeEmail(values.user);
      if (!email.ok) {
        console.error(`latchkey audit: "${values.user}" is not a valid address`);
        return 2;
      }
      const user = await store.findUserByEmail(email.email);
      const byEmail = await store.listAudit({ ...query, email: email.email });
      const byUser = user ? await store.listAudit({ ...query, userId: user.id }) : [];
      const merged = new Map([...byEmail, ...byUser].map((e) => [e.id, e]));
      print([...merged.values()], values.json, out);
    } else {
      const events = await store.listAudit(query);
      print(events, values.json, out);
      // With --json the explanation goes to stderr, so stdout stays one event per line.
      if (events.length === 0 && query.requestId) explainNoEvents(query.requestId, where, values.json ? (line) => console.error(line) : out);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Issue #12: "no events" for the request ID of an error page was a dead end.
 * Every error answer leaves an `error.answered` event unless its IP was over
 * LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR; the log line of every request has the ID.
 */
function explainNoEvents(requestId: string, where: string, out: (line: string) => void): void {
  out(`checked: the audit trail in ${where}, every event type, for request ID ${requestId}`);
  out('not there when: the request succeeded without changing anything (a page view), its IP passed');
  out('  LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR error answers in the hour, the events are older than');
  out('  LATCHKEY_AUDIT_RETENTION_DAYS, or this is another database than the server\'s (LATCHKEY_DATABASE_URL)');
  out(`look next: the server's log, one JSON line per request: "requestId":"${requestId}" (route, status, error code)`);
}

function print(events: StoredAuditEvent[], json: boolean, out: (line: string) => void): void {
  // The store answers newest first; a story reads oldest first.
  const ordered = [...events].sort((a, b) => a.at - b.at || a.id - b.id);
  if (json) {
    for (const e of ordered) out(JSON.stringify({ ...e, at: new Date(e.at).toISOString() }));
    return;
  }
  if (ordered.length === 0) {
    out('no events');
    return;
  }
  const rows = ordered.map((e) => [
    new Date(e.at).toISOString(),
    e.type,
    e.outcome,
    e.reason ?? '',
    // The trail keeps a hash of the address; its start is enough to tell events apart.
    e.email ? `${e.email.slice(0, 10)}…` : '',
    e.userId ?? '',
    e.ip ?? '',
    e.requestId ?? '',
  ]);
  const header = ['time', 'type', 'outcome', 'reason', 'email hash', 'user', 'ip', 'request'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  out(line(header));
  for (const row of rows) out(line(row));
}
