// SQLite backend on node:sqlite: its statements (statements.ts), migrations and
// the executor the shared logic (store/logic/) runs on. DatabaseSync is
// synchronous and the logic is driven here without awaiting, so each method
// runs start to finish without yielding: no interleaving inside this process.
// Other processes on the same file are kept out by BEGIN IMMEDIATE (the write
// lock is taken up front) and by the conditional UPDATEs themselves.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { auditValues, type SqlValue } from '../rows.ts';
import { storeLogic, type Driver, type Param, type Step, type StatementName, type Work } from '../logic/index.ts';
import { checkNotNewer } from '../schema-version.ts';
import type { Store } from '../store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { AUTO_CHECKPOINT_PAGES, checkpointUnderLoad, type CheckpointerOptions } from './checkpointer.ts';
import { groupCommit } from './group-commit.ts';
import { INSERT_AUDIT, SQL } from './statements.ts';

export interface SqliteStoreOptions {
  /** WAL checkpoints on a thread of their own under a write load (checkpointer.ts); default on for a database file. */
  backgroundCheckpoints?: boolean | CheckpointerOptions;
}

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true });
  // No mmap: every mapped page of a growing database counts in the process's RSS
  // (hundreds of MB in the bench), while reads through the OS page cache measured
  // the same session-check throughput within the bench's noise.
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 0;',
  );
  // Under a write load, checkpoints belong off the thread that answers requests;
  // while that thread runs, this connection never checkpoints (and does again when it stops).
  const background = options.backgroundCheckpoints ?? true;
  const checkpointer =
    path !== ':memory:' && background !== false ? checkpointUnderLoad(db, path, background === true ? {} : background) : null;
  if (!checkpointer) db.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);

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
  // Rows as arrays, mapped by position (the session check, rows.ts toSessionLookup).
  const tuples = new Map<StatementName, StatementSync>();
  const tupleStatement = (name: StatementName): StatementSync => {
    let prepared = tuples.get(name);
    if (!prepared) {
      prepared = db.prepare(SQL[name]);
      prepared.setReturnArrays(true);
      tuples.set(name, prepared);
    }
    return prepared;
  };

  const { transaction, settled } = groupCommit(db);

  /** The executor: one step of the shared logic (logic/steps.ts), run now. */
  const execute = (step: Step): unknown => {
    switch (step.kind) {
      case 'run':
        return Number(statement(SQL[step.name]).run(...bind(step.params)).changes);
      case 'get':
        return statement(SQL[step.name]).get(...bind(step.params));
      case 'all':
        return statement(SQL[step.name]).all(...bind(step.params));
      case 'tuple':
        return tupleStatement(step.name).get(...(step.params as SqlValue[]));
      case 'audit':
        for (const event of step.events) statement(INSERT_AUDIT).run(...auditValues(event));
        return undefined;
      case 'lock':
        return undefined; // BEGIN IMMEDIATE holds the database's write lock until the group commits.
      case 'select': {
        const { sql, params } = step.build(() => '?');
        return statement(sql).all(...params);
      }
    }
  };
  /** Runs the work to its end without yielding to the event loop: no other JS interleaves with a transaction. */
  const drive = <T>(work: Work<T>): T => {
    let next = work.next();
    while (!next.done) next = work.next(execute(next.value));
    return next.value;
  };
  const driver: Driver = {
    read: async (work) => drive(work),
    // async: a failing statement rejects the caller's promise rather than throwing at the call.
    transaction: async (work) => transaction(() => drive(work)),
    write: async (work) => transaction(() => drive(work)),
    isUniqueViolation: (error) => (error as { errcode?: unknown } | null)?.errcode === SQLITE_CONSTRAINT_UNIQUE,
  };

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
      statement('SELECT 1').get();
    },

    async close() {
      await settled();
      await checkpointer?.stop();
      if (db.isOpen) db.close();
    },

    ...storeLogic(driver),
  };
}

/** SQLite binds booleans as 0/1 itself; a list (markSent, insertRecoveryCodes) goes in as a JSON array for json_each. */
function bind(params: readonly Param[]): SqlValue[] {
  return (params.some(Array.isArray) ? params.map((p) => (Array.isArray(p) ? JSON.stringify(p) : p)) : params) as SqlValue[];
}

/** SQLITE_CONSTRAINT_UNIQUE, the extended result code of a duplicate in a unique index. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;
