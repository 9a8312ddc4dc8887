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
  pendingSecondFactorValues,
  Refusal,
  sessionValues,
  approvalValues,
  toApproval,
  toSignInFlow,
  toAudit,
  toOutbox,
  toOutboxSummary,
  toPendingSecondFactor,
  toRateCounter,
  toSession,
  toSessionLookup,
  toToken,
  toTotp,
  toUser,
  tokenValues,
  withUserId,
  type Row,
  type SqlValue,
} from '../rows.ts';
import { checkNotNewer } from '../schema-version.ts';
import type { CompleteSecondFactorResult, ConsumeResult, Store } from '../store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { startCheckpointer } from './checkpointer.ts';
import { SQL } from './statements.ts';

export interface SqliteStoreOptions {
  /** WAL checkpoints on a thread of their own (checkpointer.ts); default true for a database file. */
  backgroundCheckpoints?: boolean;
}

/** One turn's writes on one connection (group commit, see transaction() below). */
interface Group {
  /** Settles after the commit; rejects when the group could not commit. */
  committed: Promise<void>;
  /**
   * Commits now (idempotent); normally called when the turn ends. With `lost`
   * (SQLite rolled the whole transaction back: I/O error, disk full) it ends the
   * group without committing, and every write of it fails with that error.
   */
  end(lost?: unknown): void;
}

/** Groups still open in this process, over every store. */
const OPEN_GROUPS = new Set<Group>();

/** SQLite's own default: checkpoint on commit once the WAL holds this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000;

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true });
  // No mmap: every mapped page of a growing database counts in the process's RSS
  // (hundreds of MB in the bench), while reads through the OS page cache measured
  // the same session-check throughput within the bench's noise.
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 0;',
  );
  // Checkpoints belong off the thread that answers requests; while that thread
  // runs, this connection never checkpoints (and does again if it stops).
  const checkpointer =
    path !== ':memory:' && options.backgroundCheckpoints !== false
      ? startCheckpointer(path, () => {
          if (db.isOpen) db.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
        })
      : null;
  db.exec(`PRAGMA wal_autocheckpoint = ${checkpointer ? 0 : AUTO_CHECKPOINT_PAGES}`);

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
  // The session check, on every authenticated request: rows as arrays, mapped by position (rows.ts toSessionLookup).
  let lookup: StatementSync | undefined;
  const sessionLookup = (): StatementSync => {
    if (!lookup) {
      lookup = db.prepare(SQL.sessionLookup);
      lookup.setReturnArrays(true);
    }
    return lookup;
  };
  const all = (sql: string, ...values: SqlValue[]): Row[] => statement(sql).all(...values);
  const get = (sql: string, ...values: SqlValue[]): Row | undefined => statement(sql).get(...values);
  const run = (sql: string, ...values: SqlValue[]): number => Number(statement(sql).run(...values).changes);

  // Group commit. node:sqlite is synchronous, so each write runs start to end
  // before the next begins; the writes of every request handled in one turn of
  // the event loop share one transaction, committed (setImmediate) before any of
  // them is answered. Each write is a savepoint of its own, so one that fails
  // rolls back alone. A commit (WAL frames, their syscalls) was most of a write's
  // cost; under load it is now paid once per turn, not once per request (bench).
  // Reads on this connection see the group's writes at once: to this process the
  // order is the same, and nobody is answered before the commit.
  let open: Group | null = null;
  const begin = (): Group => {
    // Another store of this process holds its group's write lock until its turn
    // ends; waiting for it here would block that very turn. Commit it now.
    for (const other of OPEN_GROUPS) other.end();
    db.exec('BEGIN IMMEDIATE');
    let ended = false;
    let failure: unknown = null;
    const group: Group = {
      end(lost) {
        if (ended) return;
        ended = true;
        OPEN_GROUPS.delete(group);
        if (open === group) open = null;
        if (lost) return void (failure = lost);
        try {
          db.exec('COMMIT');
        } catch (error) {
          failure = error;
          if (db.isTransaction) db.exec('ROLLBACK');
        }
      },
      committed: new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        group.end();
        if (failure) throw failure;
      }),
    };
    OPEN_GROUPS.add(group);
    return (open = group);
  };
  const transaction = <T>(work: () => T): Promise<T> => {
    const group = open ?? begin();
    db.exec('SAVEPOINT write');
    let result: T;
    try {
      result = work();
      db.exec('RELEASE write');
    } catch (error) {
      if (db.isTransaction) {
        db.exec('ROLLBACK TO write');
        db.exec('RELEASE write');
      } else {
        group.end(error);
      }
      throw error;
    }
    return group.committed.then(() => result);
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
      await open?.committed.catch(() => {});
      await checkpointer?.stop();
      if (db.isOpen) db.close();
    },

    async issueToken(token, mail, events) {
      await transaction(() => {
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
      return transaction((): ConsumeResult => {
        const consumed = all(consumeSql, now, key, purpose, now, attemptLimit)[0];
        if (consumed) return { ok: true, token: toToken(consumed) };
        return explainMiss(get(selectSql, key), purpose, now, attemptLimit);
      });
    },

    async reserveCodeAttempt(tokenId, maxCodeAttempts) {
      const row = (await transaction(() => all(SQL.reserveAttempt, tokenId, maxCodeAttempts)))[0];
      return row ? Number(row.code_attempts) : null;
    },

    async findUserByEmail(email) {
      const row = get(SQL.userByEmail, email);
      return row ? toUser(row) : null;
    },

    async listUsers({ limit, afterEmail }) {
      return all(SQL.listUsers, afterEmail ?? '', limit).map((row) => toUser(row));
    },

    async createUser(user, events) {
      return transaction(() => {
        if (run(SQL.createUser, user.id, user.email, user.now) === 0) return null;
        appendEvents(withUserId(events, user.id));
        return toUser(get(SQL.userById, user.id)!);
      });
    },

    async setUserDisabled(userId, disabledAt, now, events) {
      return transaction(() => {
        const row = get(SQL.userById, userId);
        if (!row || run(SQL.setUserDisabled, disabledAt, userId, disabledAt) === 0) return false;
        if (disabledAt !== null) {
          run(SQL.revokeUserSessions, now, userId);
          run(SQL.retireUserTokens, now, userId, String(row.email));
        }
        appendEvents(withUserId(events, userId));
        return true;
      });
    },

    async revokeUserSessions(userId, now, events) {
      return transaction(() => {
        const revoked = run(SQL.revokeUserSessions, now, userId);
        appendEvents(withUserId(events, userId));
        return revoked;
      });
    },

    async pruneAudit(before) {
      return transaction(() => {
        run(SQL.auditPruneOpen, before);
        const deleted = run(SQL.auditPrune, before);
        run(SQL.auditPruneClose);
        return deleted;
      });
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
        if (user.disabled) return null; // the caller records the refusal
        // Only the address the token was mailed to has been proven.
        if (input.emailProven !== false && user.email === input.email && !user.emailVerified) {
          run(SQL.verifyEmail, user.id);
          user.emailVerified = true;
        }
        run(SQL.insertSession, ...sessionValues(input.session, user.id));
        const created = createdUser && input.createdUserEvent ? [input.createdUserEvent] : [];
        appendEvents(withUserId([...created, ...input.events], user.id));
        return { user, session: newSessionRecord(input.session, user.id), createdUser };
      });
    },

    async findSession(tokenHash) {
      const row = sessionLookup().get(tokenHash) as unknown[] | undefined;
      return row ? toSessionLookup(row) : null;
    },

    async touchSession(sessionId, now) {
      await transaction(() => run(SQL.touchSession, now, sessionId));
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
      return (await transaction(() => all(SQL.claimOutbox, workerId, now + leaseMs, now, now, limit)))
        .map(toOutbox)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
    },

    async markOutboxSent(ids, workerId, now, events) {
      if (ids.length === 0 && events.length === 0) return;
      await transaction(() => {
        run(SQL.markSent, now, JSON.stringify(ids), workerId);
        appendEvents(events);
      });
    },

    async markOutboxFailed(id, workerId, error, nextAttemptAt, events) {
      await transaction(() => {
        if (nextAttemptAt === null) run(SQL.markDead, error, id, workerId);
        else run(SQL.markRetry, error, nextAttemptAt, id, workerId);
        appendEvents(events);
      });
    },

    async queueMail(mail, events) {
      await transaction(() => {
        run(SQL.insertOutbox, mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload, mail.createdAt);
        appendEvents(events);
      });
    },

    async getOutboxMessage(id) {
      const row = get(SQL.outboxById, id);
      return row ? toOutbox(row) : null;
    },

    async outboxSummary(limit) {
      return toOutboxSummary(all(SQL.outboxCounts), all(SQL.outboxTroubled, limit));
    },

    async schemaVersion() {
      return Number(get(SQL.schemaVersion)?.version ?? 0);
    },

    async releaseOutbox(ids, workerId) {
      if (ids.length === 0) return 0;
      return transaction(() => run(SQL.releaseOutbox, JSON.stringify(ids), workerId));
    },

    async hitRateCounter(key, points, durationMs, reset, now) {
      const flag = reset ? 1 : 0;
      const row = await transaction(() => get(SQL.hitRateCounter, key, points, durationMs > 0 ? now + durationMs : null, flag, now, flag, now));
      if (!row) throw new Error('sqlite store: rate counter upsert returned nothing');
      return toRateCounter(row);
    },

    async getRateCounter(key, now) {
      const row = get(SQL.getRateCounter, key, now);
      return row ? toRateCounter(row) : null;
    },

    async deleteRateCounter(key) {
      return (await transaction(() => run(SQL.deleteRateCounter, key))) === 1;
    },

    async pruneRateCounters(now) {
      return transaction(() => run(SQL.pruneRateCounters, now));
    },

    async getTotp(userId) {
      const row = get(SQL.totpByUser, userId);
      return row ? toTotp(row) : null;
    },

    async startTotpEnrolment(userId, secretSealed, now, events) {
      return transaction(() => {
        const started = run(SQL.startTotpEnrolment, userId, secretSealed, now) === 1;
        if (started) appendEvents(events);
        return started;
      });
    },

    async enableTotp({ userId, step, now, recoveryCodeHashes, events }) {
      return transaction(() => {
        if (run(SQL.enableTotp, now, step, userId) !== 1) return false;
        run(SQL.deleteRecoveryCodes, userId);
        for (const codeHash of recoveryCodeHashes) run(SQL.insertRecoveryCode, userId, codeHash, now);
        appendEvents(events);
        return true;
      });
    },

    async useTotpStep(userId, step) {
      return (await transaction(() => run(SQL.useTotpStep, step, userId, step))) === 1;
    },

    async disableTotp(userId, events) {
      return transaction(() => {
        const row = get(SQL.disableTotp, userId);
        run(SQL.deleteRecoveryCodes, userId);
        const wasOn = row !== undefined && row.enabled_at !== null;
        if (wasOn) appendEvents(events);
        return wasOn;
      });
    },

    async setEmailSignInRequiresTotp(userId, value, events) {
      return transaction(() => {
        const changed = run(SQL.setEmailSignInRequiresTotp, value ? 1 : 0, userId) === 1;
        if (changed) appendEvents(events);
        return changed;
      });
    },

    async replaceRecoveryCodes(userId, codeHashes, now, events) {
      return transaction(() => {
        if (!get(SQL.totpEnabled, userId)) return false;
        run(SQL.deleteRecoveryCodes, userId);
        for (const codeHash of codeHashes) run(SQL.insertRecoveryCode, userId, codeHash, now);
        appendEvents(events);
        return true;
      });
    },

    async countRecoveryCodes(userId) {
      return Number(get(SQL.countRecoveryCodes, userId)?.unused ?? 0);
    },

    async consumeRecoveryCode(userId, codeHash, now, events) {
      return transaction(() => {
        const used = run(SQL.consumeRecoveryCode, now, userId, codeHash) === 1;
        if (used) appendEvents(events);
        return used;
      });
    },

    async createPendingSecondFactor(pending, events) {
      await transaction(() => {
        run(SQL.sweepPendingSecondFactors, pending.userId, pending.createdAt);
        run(SQL.insertPendingSecondFactor, ...pendingSecondFactorValues(pending));
        appendEvents(events);
      });
    },

    async findPendingSecondFactor(tokenHash) {
      const row = get(SQL.pendingSecondFactorByHash, tokenHash);
      return row ? toPendingSecondFactor(row) : null;
    },

    async reserveSecondFactorAttempt(tokenHash, max, now) {
      const row = (await transaction(() => all(SQL.reserveSecondFactorAttempt, tokenHash, max, now)))[0];
      return row ? Number(row.attempts) : null;
    },

    async completeSecondFactor(input): Promise<CompleteSecondFactorResult> {
      try {
        return transaction(() => {
          const row = get(SQL.takePendingSecondFactor, input.tokenHash, input.now);
          if (!row) throw new Refusal('pending_gone');
          const { userId, passwordHash } = toPendingSecondFactor(row);
          const proof = input.proof;
          const proved =
            'totpStep' in proof
              ? run(SQL.useTotpStep, proof.totpStep, userId, proof.totpStep) === 1
              : run(SQL.consumeRecoveryCode, input.now, userId, proof.recoveryCodeHash) === 1;
          if (!proved) throw new Refusal('proof_refused');
          const userRow = get(SQL.userById, userId);
          if (!userRow) throw new Refusal('pending_gone');
          const user = toUser(userRow);
          if (passwordHash) {
            // The held reset, now that the second factor passed (issue #12 finding 4).
            if (run(SQL.setPassword, passwordHash, input.now, userId) !== 1) throw new Refusal('pending_gone');
            run(SQL.revokeUserSessions, input.now, userId);
            run(SQL.deletePendingSecondFactors, userId);
            run(SQL.retireAccountTokens, input.now, userId, user.email);
          }
          if (input.verifiedEmail !== null && user.email === input.verifiedEmail && !user.emailVerified) {
            run(SQL.verifyEmail, user.id);
            user.emailVerified = true;
          }
          run(SQL.insertSession, ...sessionValues(input.session, user.id));
          appendEvents(withUserId(input.events, user.id));
          return { ok: true as const, user, session: newSessionRecord(input.session, user.id) };
        });
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason };
        throw error;
      }
    },

    async findPasswordByEmail(email) {
      const row = get(SQL.userByEmail, email);
      return row ? { user: toUser(row), passwordHash: row.password_hash === null ? null : String(row.password_hash) } : null;
    },

    async getPassword(userId) {
      const row = get(SQL.passwordOf, userId);
      return row ? { passwordHash: String(row.password_hash), changedAt: Number(row.password_changed_at) } : null;
    },

    async rehashPassword(userId, oldHash, newHash) {
      return (await transaction(() => run(SQL.rehashPassword, newHash, userId, oldHash))) === 1;
    },

    async setPassword(input) {
      return transaction(() => {
        if (run(SQL.setPassword, input.passwordHash, input.now, input.userId) !== 1) return null;
        const user = toUser(get(SQL.userById, input.userId)!);
        if (input.keepSessionId === null) {
          run(SQL.revokeUserSessions, input.now, input.userId);
          run(SQL.deletePendingSecondFactors, input.userId);
        } else {
          run(SQL.revokeOtherSessions, input.now, input.userId, input.keepSessionId);
        }
        run(SQL.retireAccountTokens, input.now, input.userId, user.email);
        if (input.verifiedEmail !== null && run(SQL.markEmailVerified, input.userId, input.verifiedEmail) === 1) user.emailVerified = true;
        const mail = input.mail;
        if (mail) run(SQL.insertOutbox, mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload, mail.createdAt);
        appendEvents(withUserId(input.events, input.userId));
        return user;
      });
    },

    async markEmailVerified(userId, email, events) {
      return transaction(() => {
        const marked = run(SQL.markEmailVerified, userId, email) === 1;
        if (marked) appendEvents(withUserId(events, userId));
        return marked;
      });
    },

    async changeEmail(input) {
      return transaction(() => {
        // BEGIN IMMEDIATE holds the write lock: nobody takes the address between this read and the update.
        if (get(SQL.userByEmail, input.toEmail)) return { ok: false as const, reason: 'taken' as const };
        if (run(SQL.changeEmail, input.toEmail, input.userId, input.fromEmail) !== 1) return { ok: false as const, reason: 'stale' as const };
        if (input.keepSessionId === null) run(SQL.revokeUserSessions, input.now, input.userId);
        else run(SQL.revokeOtherSessions, input.now, input.userId, input.keepSessionId);
        run(SQL.deletePendingSecondFactors, input.userId);
        run(SQL.retireAccountTokens, input.now, input.userId, input.toEmail);
        appendEvents(withUserId(input.events, input.userId));
        return { ok: true as const, user: toUser(get(SQL.userById, input.userId)!) };
      });
    },

    async undoEmailChange(input) {
      return transaction(() => {
        const row = get(SQL.userById, input.userId);
        if (!row) return null;
        const current = String(row.email);
        // Back to the link's address from wherever later changes took it, while nobody else has it.
        const restored =
          current !== input.restoreEmail && !get(SQL.userByEmail, input.restoreEmail) && run(SQL.changeEmail, input.restoreEmail, input.userId, current) === 1;
        run(SQL.revokeUserSessions, input.now, input.userId);
        run(SQL.deletePendingSecondFactors, input.userId);
        // Every token, later "this wasn't me" links included; an earlier owner's link stays (issue #12 finding 3).
        run(SQL.retireTokensButEarlierCancels, input.now, input.userId, restored ? input.restoreEmail : current, input.cancelIssuedAt);
        const passwordRemoved = run(SQL.dropPassword, input.now, input.userId) === 1;
        const totpRemoved = get(SQL.dropTotpSince, input.userId, input.removeTotpSince) !== undefined;
        if (totpRemoved) run(SQL.deleteRecoveryCodes, input.userId);
        appendEvents(withUserId(input.events, input.userId));
        return { user: toUser(get(SQL.userById, input.userId)!), restored, passwordRemoved, totpRemoved };
      });
    },

    async reauthenticateSession(sessionId, userId, now, events) {
      return transaction(() => {
        const done = run(SQL.reauthenticateSession, now, sessionId, userId) === 1;
        if (done) appendEvents(withUserId(events, userId));
        return done;
      });
    },

    async createApproval(approval) {
      await transaction(() => run(SQL.insertApproval, ...approvalValues(approval)));
    },

    async findApproval(flowHash) {
      const row = get(SQL.approvalByFlow, flowHash);
      return row ? toApproval(row) : null;
    },

    async recordSignInFlow(flow) {
      transaction(() => {
        run(SQL.pruneSignInFlows, flow.createdAt);
        run(SQL.insertSignInFlow, flow.flowHash, flow.email, flow.redirectTo, flow.createdAt, flow.expiresAt);
      });
    },

    async findSignInFlow(flowHash, now) {
      const row = get(SQL.signInFlowByHash, flowHash, now);
      return row ? toSignInFlow(row) : null;
    },

    async decideApproval({ flowHash, tokenId, approve, now, events }) {
      return transaction(() => {
        const decided = run(SQL.decideApproval, approve ? 'approved' : 'refused', now, flowHash, tokenId, now) === 1;
        if (decided) appendEvents(events);
        return decided;
      });
    },

    async completeApproval(flowHash, now) {
      return (await transaction(() => run(SQL.completeApproval, flowHash, now))) === 1;
    },

    async appendAudit(events) {
      if (events.length) await transaction(() => appendEvents(events));
    },

    async listAudit(query) {
      const { where, values } = auditWhere(query, () => '?');
      const sql = `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT ?`;
      return all(sql, ...values, auditLimit(query.limit)).map(toAudit);
    },
  };
}
