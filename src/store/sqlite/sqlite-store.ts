// SQLite backend on node:sqlite. DatabaseSync is synchronous, so each method
// runs start to finish without yielding: no interleaving inside this process.
// Other processes on the same file are kept out by BEGIN IMMEDIATE (the write
// lock is taken up front) and by the conditional UPDATEs themselves.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { AuditEvent } from '../../core/audit.ts';
import {
  auditLimit,
  auditValues,
  auditWhere,
  explainMiss,
  newSessionRecord,
  sessionValues,
  toAudit,
  toOutbox,
  toSession,
  toToken,
  toUser,
  tokenValues,
  withUserId,
  type Row,
  type SqlValue,
} from '../rows.ts';
import { checkNotNewer } from '../schema-version.ts';
import type { ConsumeResult, Store } from '../store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { SQL } from './statements.ts';

export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');

  // Prepared on first use (tables exist only after migrate), then reused: the
  // session look-up runs on every authenticated request.
  const statements = new Map<string, StatementSync>();
  const statement = (sql: string): StatementSync => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = db.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const all = (sql: string, ...values: SqlValue[]): Row[] => statement(sql).all(...values);
  const get = (sql: string, ...values: SqlValue[]): Row | undefined => statement(sql).get(...values);
  const run = (sql: string, ...values: SqlValue[]): number => Number(statement(sql).run(...values).changes);

  const transaction = <T>(work: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };

  const appendEvents = (events: AuditEvent[]): void => {
    for (const event of events) run(SQL.insertAudit, ...auditValues(event));
  };

  const findUser = (id: string | null, email: string) =>
    (id !== null ? get(SQL.userById, id) : undefined) ?? get(SQL.userByEmail, email);

  return {
    kind: 'sqlite',

    async migrate() {
      return transaction(() => {
        db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
        const applied = db.prepare('SELECT version FROM schema_migrations').all().map((row) => Number(row.version));
        checkNotNewer(applied);
        let count = 0;
        for (const migration of SQLITE_MIGRATIONS) {
          if (applied.includes(migration.version)) continue;
          db.exec(migration.sql);
          db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, Date.now());
          count++;
        }
        return count;
      });
    },

    async ping() {
      if (!db.isOpen) throw new Error('sqlite store is closed');
      get('SELECT 1');
    },

    async close() {
      if (db.isOpen) db.close();
    },

    async issueToken(token, mail, events) {
      transaction(() => {
        run(SQL.retireTokens, token.createdAt, token.email, token.purpose);
        run(SQL.insertToken, ...tokenValues(token));
        if (mail) run(SQL.insertOutbox, mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload, mail.createdAt);
        appendEvents(events);
      });
    },

    async findToken(tokenHash) {
      const row = get(SQL.tokenByHash, tokenHash);
      return row ? toToken(row) : null;
    },

    async findLatestToken(email, purpose) {
      const row = get(SQL.latestToken, email, purpose);
      return row ? toToken(row) : null;
    },

    async consumeToken({ lookup, purpose, now, attemptLimit }): Promise<ConsumeResult> {
      const [consumeSql, selectSql, key] =
        'tokenHash' in lookup
          ? [SQL.consumeByHash, SQL.tokenByHash, lookup.tokenHash]
          : [SQL.consumeById, SQL.tokenById, lookup.tokenId];
      const consumed = all(consumeSql, now, key, purpose, now, attemptLimit)[0];
      if (consumed) return { ok: true, token: toToken(consumed) };
      return explainMiss(get(selectSql, key), purpose, now, attemptLimit);
    },

    async reserveCodeAttempt(tokenId, maxCodeAttempts) {
      const row = all(SQL.reserveAttempt, tokenId, maxCodeAttempts)[0];
      return row ? Number(row.code_attempts) : null;
    },

    async findUserByEmail(email) {
      const row = get(SQL.userByEmail, email);
      return row ? toUser(row) : null;
    },

    async signIn(input) {
      return transaction(() => {
        let row = findUser(input.userId, input.email);
        let createdUser = false;
        if (!row) {
          if (!input.allowSignup) {
            appendEvents(input.events);
            return null;
          }
          createdUser = run(SQL.insertUser, input.newUserId, input.email, input.now) === 1;
          row = get(SQL.userByEmail, input.email);
          if (!row) throw new Error('sqlite store: user vanished during sign-in');
        }
        const user = toUser(row);
        // Only the address the token was mailed to has been proven.
        if (user.email === input.email && !user.emailVerified) {
          run(SQL.verifyEmail, user.id);
          user.emailVerified = true;
        }
        run(SQL.insertSession, ...sessionValues(input.session, user.id));
        appendEvents(withUserId(input.events, user.id));
        return { user, session: newSessionRecord(input.session, user.id), createdUser };
      });
    },

    async findSession(tokenHash) {
      const row = get(SQL.sessionByHash, tokenHash);
      return row ? { session: toSession(row), user: toUser(row, 'u_') } : null;
    },

    async touchSession(sessionId, now) {
      run(SQL.touchSession, now, sessionId);
    },

    async listSessions(userId, now) {
      return all(SQL.listSessions, userId, now).map(toSession);
    },

    async revokeSession(sessionId, userId, now, events) {
      return transaction(() => {
        const revoked = run(SQL.revokeSession, now, sessionId, userId) === 1;
        if (revoked) appendEvents(events);
        return revoked;
      });
    },

    async claimOutbox(workerId, now, limit, leaseMs) {
      return all(SQL.claimOutbox, workerId, now + leaseMs, now, now, limit)
        .map(toOutbox)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
    },

    async markOutboxSent(id, workerId, now, events) {
      transaction(() => {
        run(SQL.markSent, now, id, workerId);
        appendEvents(events);
      });
    },

    async markOutboxFailed(id, workerId, error, nextAttemptAt, events) {
      transaction(() => {
        if (nextAttemptAt === null) run(SQL.markDead, error, id, workerId);
        else run(SQL.markRetry, error, nextAttemptAt, id, workerId);
        appendEvents(events);
      });
    },

    async getOutboxMessage(id) {
      const row = get(SQL.outboxById, id);
      return row ? toOutbox(row) : null;
    },

    async appendAudit(events) {
      if (events.length) transaction(() => appendEvents(events));
    },

    async listAudit(query) {
      const { where, values } = auditWhere(query, () => '?');
      const sql = `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT ?`;
      return all(sql, ...values, auditLimit(query.limit)).map(toAudit);
    },
  };
}
