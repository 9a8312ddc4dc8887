// The backends every store-backed suite runs on. PostgreSQL is skipped with a
// message when unreachable, and required when CI=true.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

export const POSTGRES_URL = process.env.LATCHKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty store; null when the backend is unavailable (and not required). */
  open(): Promise<Store | null>;
  /** Why it is skipped, once known. */
  skipReason: string | null;
}

let postgresReachable: Promise<string | null> | undefined;

function checkPostgres(): Promise<string | null> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      const reason = `PostgreSQL not reachable at ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//…@')} (${(error as Error).message})`;
      if (process.env.CI === 'true') throw new Error(`${reason}; it is required when CI=true`);
      return reason;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  skipReason: null,
  async open() {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'latchkey-test-')), 'latchkey.db'));
    await store.migrate();
    return store;
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  skipReason: null,
  async open() {
    const reason = await checkPostgres();
    if (reason) {
      postgresBackend.skipReason = reason;
      return null;
    }
    const schema = `lk_test_${Math.random().toString(36).slice(2, 10)}`;
    const store = await openPostgresStore(POSTGRES_URL, { schema });
    await store.migrate();
    const close = store.close.bind(store);
    // Each test store lives in its own schema; drop it when the store closes.
    return Object.assign(store, {
      close: async () => {
        await close();
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
      },
    });
  },
};

export const BACKENDS: Backend[] = [sqliteBackend, postgresBackend];

/** Decides up front whether a backend runs, so node:test can mark the suite skipped. */
export async function backendSkip(backend: Backend): Promise<string | false> {
  if (backend.name === 'sqlite') return false;
  const reason = await checkPostgres();
  return reason ?? false;
}
