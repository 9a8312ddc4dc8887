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
import type { Store } from '../store.ts';
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

  const query = async (db: Queryable, name: StatementName, values: SqlValue[] = []): Promise<pg.QueryResult<Row>> =>
    db.query<Row>({ name: `latchkey_${name}`, text: SQL[name], values });
  const first = async (db: Queryable, name: StatementName, values: SqlValue[]): Promise<Row | undefined> =>
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
        // Only the address the token was mailed to has been proven.
        if (user.email === input.email && !user.emailVerified) {
          await query(client, 'verifyEmail', [user.id]);
          user.emailVerified = true;
        }
        await query(client, 'insertSession', sessionValues(input.session, user.id));
        await appendEvents(client, withUserId(input.events, user.id));
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

    async markOutboxSent(id, workerId, now, events) {
      await transaction(async (client) => {
        await query(client, 'markSent', [now, id, workerId]);
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

    async getOutboxMessage(id) {
      const row = await first(pool, 'outboxById', [id]);
      return row ? toOutbox(row) : null;
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
