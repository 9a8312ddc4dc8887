// PostgreSQL backend on a pg pool: its statements (statements.ts), migrations
// and the executor the shared logic (store/logic/) runs on, awaiting each
// statement. Races are settled by the database: single
// conditional UPDATEs, ON CONFLICT, row locks with SKIP LOCKED, and advisory
// locks where two transactions must see each other's rows.

import pg from 'pg';
import { auditValues, type Row } from '../rows.ts';
import { storeLogic, type Driver, type Param, type StatementName, type Step, type Work } from '../logic/index.ts';
import { checkNotNewer } from '../schema-version.ts';
import type { Store } from '../store.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { insertAuditSql, LOCK, SQL } from './statements.ts';

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

  const driver: Driver = {
    read: (work) => drive(pool, work),
    transaction: (work) => transaction((client) => drive(client, work)),
    // Each statement commits on its own: a single conditional statement needs no BEGIN.
    write: (work) => drive(pool, work),
    isUniqueViolation,
  };

  return {
    kind: 'postgres',

    async migrate() {
      return transaction(async (client) => {
        // Instances starting together queue here; the first applies, the rest find nothing to do.
        await client.query(LOCK, [`latchkey.migrate:${schema ?? ''}`]);
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
      await pool.query('SELECT 1');
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },

    ...storeLogic(driver),
  };
}

/** The executor: one step of the shared logic (logic/steps.ts), on this pool or transaction's client. */
async function execute(db: Queryable, step: Step): Promise<unknown> {
  switch (step.kind) {
    case 'run':
      return (await query(db, step.name, step.params)).rowCount ?? 0;
    case 'get':
      return (await query(db, step.name, step.params)).rows[0];
    case 'all':
      return (await query(db, step.name, step.params)).rows;
    case 'tuple':
      return (await db.query<unknown[]>({ name: `latchkey_${step.name}`, text: SQL[step.name], values: [...step.params], rowMode: 'array' })).rows[0];
    case 'audit':
      // One multi-row INSERT for the batch (not prepared: its shape varies with the count).
      await db.query(insertAuditSql(step.events.length), step.events.flatMap(auditValues));
      return undefined;
    case 'lock':
      await db.query(LOCK, [step.key]);
      return undefined;
    case 'select': {
      const { sql, params } = step.build((n) => `$${n}`);
      return (await db.query<Row>(sql, params)).rows;
    }
  }
}

/** Each statement runs as a named (server-side prepared) statement; pg sends booleans and text[] as they are. */
function query(db: Queryable, name: StatementName, params: readonly Param[]): Promise<pg.QueryResult<Row>> {
  return db.query<Row>({ name: `latchkey_${name}`, text: SQL[name], values: [...params] });
}

/** Runs the work to its end, awaiting each statement; inside a transaction, on its one client. */
async function drive<T>(db: Queryable, work: Work<T>): Promise<T> {
  let next = work.next();
  while (!next.done) next = work.next(await execute(db, next.value));
  return next.value;
}
