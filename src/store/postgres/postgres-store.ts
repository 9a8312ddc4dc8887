// PostgreSQL backend on a pg pool. Races are settled by the database: single
// conditional UPDATEs, ON CONFLICT, row locks with SKIP LOCKED, and advisory
// locks where two transactions must see each other's rows.

import pg from 'pg';
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
  toToken,
  toTotp,
  toUser,
  tokenValues,
  withUserId,
  type Row,
  type SqlValue,
} from '../rows.ts';
import { checkNotNewer } from '../schema-version.ts';
import type { CompleteSecondFactorResult, Store } from '../store.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { insertAuditSql, SQL, type StatementName } from './statements.ts';

export interface PostgresStoreOptions {
  /** Schema holding Latchkey's tables (created by migrate when missing); default: the server's search_path. */
  schema?: string;
  /** Pool size. */
  max?: number;
}

type Queryable = pg.Pool | pg.PoolClient;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// BIGINT (epoch ms, audit ids) as numbers, for this pool only: pg's global parsers stay untouched.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`postgres store: BIGINT ${value} is beyond a safe integer`);
  return parsed;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  const quotedSchema = schema === undefined ? null : pg.escapeIdentifier(schema);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    onConnect: quotedSchema ? async (client) => void (await client.query(`SET search_path TO ${quotedSchema}`)) : undefined,
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  let closed = false;

  // pg also sends booleans and text[] (releaseOutbox, hitRateCounter).
  const query = async (db: Queryable, name: StatementName, values: (SqlValue | boolean | string[])[] = []): Promise<pg.QueryResult<Row>> =>
    db.query<Row>({ name: `latchkey_${name}`, text: SQL[name], values });
  const first = async (db: Queryable, name: StatementName, values: (SqlValue | boolean | string[])[]): Promise<Row | undefined> =>
    (await query(db, name, values)).rows[0];

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection that could not roll back is discarded, not returned to the pool.
      client.release(broken);
    }
  };

  const appendEvents = async (db: Queryable, events: AuditEvent[]): Promise<void> => {
    if (events.length) await db.query(insertAuditSql(events.length), events.flatMap(auditValues));
  };

  return {
    kind: 'postgres',

    async migrate() {
      return transaction(async (client) => {
        // Instances starting together queue here; the first applies, the rest find nothing to do.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`latchkey.migrate:${schema ?? ''}`]);
        if (quotedSchema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        const applied = rows.map((row) => row.version);
        checkNotNewer(applied);
        let count = 0;
        for (const migration of POSTGRES_MIGRATIONS) {
          if (applied.includes(migration.version)) continue;
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [migration.version, Date.now()]);
          count++;
        }
        return count;
      });
    },

    async ping() {
      await query(pool, 'ping');
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },

    async issueToken(token, mail, events) {
      await transaction(async (client) => {
        await query(client, 'lockIssuer', [`latchkey.issue:${token.purpose}:${token.email}`]);
        await query(client, 'retireTokens', [token.createdAt, token.email, token.purpose]);
        await query(client, 'insertToken', tokenValues(token));
        if (mail) await query(client, 'insertOutbox', [mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload]);
        await appendEvents(client, events);
      });
    },

    async findToken(tokenHash) {
      const row = await first(pool, 'tokenByHash', [tokenHash]);
      return row ? toToken(row) : null;
    },

    async findLatestToken(email, purpose) {
      const row = await first(pool, 'latestToken', [email, purpose]);
      return row ? toToken(row) : null;
    },

    async consumeToken({ lookup, purpose, now, attemptLimit }) {
      const [consume, select, key] =
        'tokenHash' in lookup
          ? (['consumeByHash', 'tokenByHash', lookup.tokenHash] as const)
          : (['consumeById', 'tokenById', lookup.tokenId] as const);
      const consumed = await first(pool, consume, [now, key, purpose, attemptLimit]);
      if (consumed) return { ok: true, token: toToken(consumed) };
      return explainMiss(await first(pool, select, [key]), purpose, now, attemptLimit);
    },

    async reserveCodeAttempt(tokenId, maxCodeAttempts) {
      const row = await first(pool, 'reserveAttempt', [tokenId, maxCodeAttempts]);
      return row ? Number(row.code_attempts) : null;
    },

    async findUserByEmail(email) {
      const row = await first(pool, 'userByEmail', [email]);
      return row ? toUser(row) : null;
    },

    async listUsers({ limit, afterEmail }) {
      return (await query(pool, 'listUsers', [afterEmail ?? '', limit])).rows.map((row) => toUser(row));
    },

    async createUser(user, events) {
      return transaction(async (client) => {
        if ((await query(client, 'createUser', [user.id, user.email, user.now])).rowCount === 0) return null;
        await appendEvents(client, withUserId(events, user.id));
        return toUser((await first(client, 'userById', [user.id]))!);
      });
    },

    async setUserDisabled(userId, disabledAt, now, events) {
      return transaction(async (client) => {
        const row = await first(client, 'userById', [userId]);
        if (!row || (await query(client, 'setUserDisabled', [disabledAt, userId])).rowCount === 0) return false;
        if (disabledAt !== null) {
          await query(client, 'revokeUserSessions', [now, userId]);
          await query(client, 'retireUserTokens', [now, userId, String(row.email)]);
        }
        await appendEvents(client, withUserId(events, userId));
        return true;
      });
    },

    async revokeUserSessions(userId, now, events) {
      return transaction(async (client) => {
        const revoked = (await query(client, 'revokeUserSessions', [now, userId])).rowCount ?? 0;
        await appendEvents(client, withUserId(events, userId));
        return revoked;
      });
    },

    async pruneAudit(before) {
      return transaction(async (client) => {
        await query(client, 'auditPruneSetting', [String(before)]);
        return (await query(client, 'auditPrune', [before])).rowCount ?? 0;
      });
    },

    async signIn(input) {
      return transaction(async (client) => {
        let row = input.userId !== null ? await first(client, 'userById', [input.userId]) : undefined;
        row ??= await first(client, 'userByEmail', [input.email]);
        let createdUser = false;
        if (!row) {
          if (!input.allowSignup) {
            await appendEvents(client, input.events);
            return null;
          }
          createdUser = (await query(client, 'insertUser', [input.newUserId, input.email, input.now])).rowCount === 1;
          row = await first(client, 'userByEmail', [input.email]);
          if (!row) throw new Error('postgres store: user vanished during sign-in');
        }
        const user = toUser(row);
        if (user.disabled) return null; // the caller records the refusal
        // Only the address the token was mailed to has been proven.
        if (input.emailProven !== false && user.email === input.email && !user.emailVerified) {
          await query(client, 'verifyEmail', [user.id]);
          user.emailVerified = true;
        }
        await query(client, 'insertSession', sessionValues(input.session, user.id));
        const created = createdUser && input.createdUserEvent ? [input.createdUserEvent] : [];
        await appendEvents(client, withUserId([...created, ...input.events], user.id));
        return { user, session: newSessionRecord(input.session, user.id), createdUser };
      });
    },

    async findSession(tokenHash) {
      const row = await first(pool, 'sessionByHash', [tokenHash]);
      return row ? { session: toSession(row), user: toUser(row, 'u_') } : null;
    },

    async touchSession(sessionId, now) {
      await query(pool, 'touchSession', [now, sessionId]);
    },

    async listSessions(userId, now) {
      return (await query(pool, 'listSessions', [userId, now])).rows.map(toSession);
    },

    async revokeSession(sessionId, userId, now, events) {
      return transaction(async (client) => {
        const revoked = (await query(client, 'revokeSession', [now, sessionId, userId])).rowCount === 1;
        if (revoked) await appendEvents(client, events);
        return revoked;
      });
    },

    async claimOutbox(workerId, now, limit, leaseMs) {
      const { rows } = await query(pool, 'claimOutbox', [workerId, now + leaseMs, now, limit]);
      return rows.map(toOutbox).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
    },

    async markOutboxSent(ids, workerId, now, events) {
      if (ids.length === 0 && events.length === 0) return;
      await transaction(async (client) => {
        await query(client, 'markSent', [now, ids, workerId]);
        await appendEvents(client, events);
      });
    },

    async markOutboxFailed(id, workerId, error, nextAttemptAt, events) {
      await transaction(async (client) => {
        if (nextAttemptAt === null) await query(client, 'markDead', [error, id, workerId]);
        else await query(client, 'markRetry', [error, nextAttemptAt, id, workerId]);
        await appendEvents(client, events);
      });
    },

    async queueMail(mail, events) {
      await transaction(async (client) => {
        await query(client, 'insertOutbox', [mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload]);
        await appendEvents(client, events);
      });
    },

    async getOutboxMessage(id) {
      const row = await first(pool, 'outboxById', [id]);
      return row ? toOutbox(row) : null;
    },

    async outboxSummary(limit) {
      const [counts, troubled] = await Promise.all([query(pool, 'outboxCounts'), query(pool, 'outboxTroubled', [limit])]);
      return toOutboxSummary(counts.rows, troubled.rows);
    },

    async schemaVersion() {
      return Number((await first(pool, 'schemaVersion', []))?.version ?? 0);
    },

    async releaseOutbox(ids, workerId) {
      if (ids.length === 0) return 0;
      return (await query(pool, 'releaseOutbox', [ids, workerId])).rowCount ?? 0;
    },

    async hitRateCounter(key, points, durationMs, reset, now) {
      const row = await first(pool, 'hitRateCounter', [key, points, durationMs > 0 ? now + durationMs : null, reset, now]);
      if (!row) throw new Error('postgres store: rate counter upsert returned nothing');
      return toRateCounter(row);
    },

    async getRateCounter(key, now) {
      const row = await first(pool, 'getRateCounter', [key, now]);
      return row ? toRateCounter(row) : null;
    },

    async deleteRateCounter(key) {
      return (await query(pool, 'deleteRateCounter', [key])).rowCount === 1;
    },

    async pruneRateCounters(now) {
      return (await query(pool, 'pruneRateCounters', [now])).rowCount ?? 0;
    },

    async getTotp(userId) {
      const row = await first(pool, 'totpByUser', [userId]);
      return row ? toTotp(row) : null;
    },

    async startTotpEnrolment(userId, secretSealed, now, events) {
      return transaction(async (client) => {
        const started = (await query(client, 'startTotpEnrolment', [userId, secretSealed, now])).rowCount === 1;
        if (started) await appendEvents(client, events);
        return started;
      });
    },

    async enableTotp({ userId, step, now, recoveryCodeHashes, events }) {
      return transaction(async (client) => {
        if ((await query(client, 'enableTotp', [now, step, userId])).rowCount !== 1) return false;
        await query(client, 'deleteRecoveryCodes', [userId]);
        await query(client, 'insertRecoveryCodes', [userId, recoveryCodeHashes, now]);
        await appendEvents(client, events);
        return true;
      });
    },

    async useTotpStep(userId, step) {
      return (await query(pool, 'useTotpStep', [step, userId])).rowCount === 1;
    },

    async disableTotp(userId, events) {
      return transaction(async (client) => {
        const row = await first(client, 'disableTotp', [userId]);
        await query(client, 'deleteRecoveryCodes', [userId]);
        const wasOn = row !== undefined && row.enabled_at !== null;
        if (wasOn) await appendEvents(client, events);
        return wasOn;
      });
    },

    async setEmailSignInRequiresTotp(userId, value, events) {
      return transaction(async (client) => {
        const changed = (await query(client, 'setEmailSignInRequiresTotp', [value, userId])).rowCount === 1;
        if (changed) await appendEvents(client, events);
        return changed;
      });
    },

    async replaceRecoveryCodes(userId, codeHashes, now, events) {
      return transaction(async (client) => {
        if (!(await first(client, 'lockTotpEnabled', [userId]))) return false;
        await query(client, 'deleteRecoveryCodes', [userId]);
        await query(client, 'insertRecoveryCodes', [userId, codeHashes, now]);
        await appendEvents(client, events);
        return true;
      });
    },

    async countRecoveryCodes(userId) {
      return Number((await first(pool, 'countRecoveryCodes', [userId]))?.unused ?? 0);
    },

    async consumeRecoveryCode(userId, codeHash, now, events) {
      return transaction(async (client) => {
        const used = (await query(client, 'consumeRecoveryCode', [now, userId, codeHash])).rowCount === 1;
        if (used) await appendEvents(client, events);
        return used;
      });
    },

    async createPendingSecondFactor(pending, events) {
      await transaction(async (client) => {
        await query(client, 'sweepPendingSecondFactors', [pending.userId, pending.createdAt]);
        await query(client, 'insertPendingSecondFactor', pendingSecondFactorValues(pending));
        await appendEvents(client, events);
      });
    },

    async findPendingSecondFactor(tokenHash) {
      const row = await first(pool, 'pendingSecondFactorByHash', [tokenHash]);
      return row ? toPendingSecondFactor(row) : null;
    },

    async reserveSecondFactorAttempt(tokenHash, max, now) {
      const row = await first(pool, 'reserveSecondFactorAttempt', [tokenHash, max, now]);
      return row ? Number(row.attempts) : null;
    },

    async completeSecondFactor(input): Promise<CompleteSecondFactorResult> {
      try {
        return await transaction(async (client) => {
          const row = await first(client, 'takePendingSecondFactor', [input.tokenHash, input.now]);
          if (!row) throw new Refusal('pending_gone');
          const { userId, passwordHash } = toPendingSecondFactor(row);
          const proof = input.proof;
          const proved =
            'totpStep' in proof
              ? (await query(client, 'useTotpStep', [proof.totpStep, userId])).rowCount === 1
              : (await query(client, 'consumeRecoveryCode', [input.now, userId, proof.recoveryCodeHash])).rowCount === 1;
          if (!proved) throw new Refusal('proof_refused');
          const userRow = await first(client, 'userById', [userId]);
          if (!userRow) throw new Refusal('pending_gone');
          const user = toUser(userRow);
          if (passwordHash) {
            // The held reset, now that the second factor passed (issue #12 finding 4).
            if (!(await first(client, 'setPassword', [passwordHash, input.now, userId]))) throw new Refusal('pending_gone');
            await query(client, 'revokeUserSessions', [input.now, userId]);
            await query(client, 'deletePendingSecondFactors', [userId]);
            await query(client, 'retireAccountTokens', [input.now, userId, user.email]);
          }
          if (input.verifiedEmail !== null && user.email === input.verifiedEmail && !user.emailVerified) {
            await query(client, 'verifyEmail', [user.id]);
            user.emailVerified = true;
          }
          await query(client, 'insertSession', sessionValues(input.session, user.id));
          await appendEvents(client, withUserId(input.events, user.id));
          return { ok: true as const, user, session: newSessionRecord(input.session, user.id) };
        });
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason };
        throw error;
      }
    },

    async findPasswordByEmail(email) {
      const row = await first(pool, 'userByEmail', [email]);
      return row ? { user: toUser(row), passwordHash: row.password_hash === null ? null : String(row.password_hash) } : null;
    },

    async getPassword(userId) {
      const row = await first(pool, 'passwordOf', [userId]);
      return row ? { passwordHash: String(row.password_hash), changedAt: Number(row.password_changed_at) } : null;
    },

    async rehashPassword(userId, oldHash, newHash) {
      return (await query(pool, 'rehashPassword', [newHash, userId, oldHash])).rowCount === 1;
    },

    async setPassword(input) {
      return transaction(async (client) => {
        const row = await first(client, 'setPassword', [input.passwordHash, input.now, input.userId]);
        if (!row) return null;
        const user = toUser(row);
        if (input.keepSessionId === null) {
          await query(client, 'revokeUserSessions', [input.now, input.userId]);
          await query(client, 'deletePendingSecondFactors', [input.userId]);
        } else {
          await query(client, 'revokeOtherSessions', [input.now, input.userId, input.keepSessionId]);
        }
        await query(client, 'retireAccountTokens', [input.now, input.userId, user.email]);
        if (input.verifiedEmail !== null && (await query(client, 'markEmailVerified', [input.userId, input.verifiedEmail])).rowCount === 1) {
          user.emailVerified = true;
        }
        const mail = input.mail;
        if (mail) await query(client, 'insertOutbox', [mail.id, mail.createdAt, mail.requestId, mail.recipient, mail.payload]);
        await appendEvents(client, withUserId(input.events, input.userId));
        return user;
      });
    },

    async markEmailVerified(userId, email, events) {
      return transaction(async (client) => {
        const marked = (await query(client, 'markEmailVerified', [userId, email])).rowCount === 1;
        if (marked) await appendEvents(client, withUserId(events, userId));
        return marked;
      });
    },

    async changeEmail(input) {
      try {
        return await transaction(async (client) => {
          if (await first(client, 'userByEmail', [input.toEmail])) return { ok: false as const, reason: 'taken' as const };
          const row = await first(client, 'changeEmail', [input.toEmail, input.userId, input.fromEmail]);
          if (!row) return { ok: false as const, reason: 'stale' as const };
          if (input.keepSessionId === null) await query(client, 'revokeUserSessions', [input.now, input.userId]);
          else await query(client, 'revokeOtherSessions', [input.now, input.userId, input.keepSessionId]);
          await query(client, 'deletePendingSecondFactors', [input.userId]);
          await query(client, 'retireAccountTokens', [input.now, input.userId, input.toEmail]);
          await appendEvents(client, withUserId(input.events, input.userId));
          return { ok: true as const, user: toUser(row) };
        });
      } catch (error) {
        // Taken by a sign-in that committed between the check and the update: the unique index decides.
        if (isUniqueViolation(error)) return { ok: false, reason: 'taken' };
        throw error;
      }
    },

    async undoEmailChange(input) {
      const undo = (restore: boolean) =>
        transaction(async (client) => {
          const row = await first(client, 'lockUser', [input.userId]);
          if (!row) return null;
          const current = String(row.email);
          // Back to the link's address from wherever later changes took it, while nobody else has it.
          const restored =
            restore &&
            current !== input.restoreEmail &&
            !(await first(client, 'userByEmail', [input.restoreEmail])) &&
            (await query(client, 'changeEmail', [input.restoreEmail, input.userId, current])).rowCount === 1;
          await query(client, 'revokeUserSessions', [input.now, input.userId]);
          await query(client, 'deletePendingSecondFactors', [input.userId]);
          // Every token, later "this wasn't me" links included; an earlier owner's link stays (issue #12 finding 3).
          await query(client, 'retireTokensButEarlierCancels', [input.now, input.userId, restored ? input.restoreEmail : current, input.cancelIssuedAt]);
          const passwordRemoved = (await query(client, 'dropPassword', [input.now, input.userId])).rowCount === 1;
          const totpRemoved = ((await query(client, 'dropTotpSince', [input.userId, input.removeTotpSince])).rowCount ?? 0) > 0;
          if (totpRemoved) await query(client, 'deleteRecoveryCodes', [input.userId]);
          await appendEvents(client, withUserId(input.events, input.userId));
          const user = toUser((await first(client, 'userById', [input.userId]))!);
          return { user, restored, passwordRemoved, totpRemoved };
        });
      try {
        return await undo(true);
      } catch (error) {
        // The old address was taken meanwhile: still sign out everywhere, without switching back.
        if (isUniqueViolation(error)) return undo(false);
        throw error;
      }
    },

    async reauthenticateSession(sessionId, userId, now, events) {
      return transaction(async (client) => {
        const done = (await query(client, 'reauthenticateSession', [now, sessionId, userId])).rowCount === 1;
        if (done) await appendEvents(client, withUserId(events, userId));
        return done;
      });
    },

    async createApproval(approval) {
      await query(pool, 'insertApproval', approvalValues(approval));
    },

    async findApproval(flowHash) {
      const row = await first(pool, 'approvalByFlow', [flowHash]);
      return row ? toApproval(row) : null;
    },

    async recordSignInFlow(flow) {
      await transaction(async (client) => {
        await query(client, 'pruneSignInFlows', [flow.createdAt]);
        await query(client, 'insertSignInFlow', [flow.flowHash, flow.email, flow.redirectTo, flow.createdAt, flow.expiresAt]);
      });
    },

    async findSignInFlow(flowHash, now) {
      const row = await first(pool, 'signInFlowByHash', [flowHash, now]);
      return row ? toSignInFlow(row) : null;
    },

    async decideApproval({ flowHash, tokenId, approve, now, events }) {
      return transaction(async (client) => {
        const decided = (await query(client, 'decideApproval', [approve ? 'approved' : 'refused', now, flowHash, tokenId])).rowCount === 1;
        if (decided) await appendEvents(client, events);
        return decided;
      });
    },

    async completeApproval(flowHash, now) {
      return (await query(pool, 'completeApproval', [flowHash, now])).rowCount === 1;
    },

    async appendAudit(events) {
      await appendEvents(pool, events);
    },

    async listAudit(filter) {
      const { where, values } = auditWhere(filter, (n) => `$${n}`);
      const sql = `SELECT * FROM audit_events ${where} ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`;
      const { rows } = await pool.query<Row>(sql, [...values, auditLimit(filter.limit)]);
      return rows.map(toAudit);
    },
  };
}
