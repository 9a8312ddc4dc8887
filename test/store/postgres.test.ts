// The Store conformance suite on PostgreSQL, each case in its own schema
// (dropped afterwards), plus what only PostgreSQL has: concurrent migrations,
// the audit trigger, per-pool BIGINT parsing. Skipped when the server is not
// reachable, unless CI=true, where that is a failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { runStoreConformance } from '../../src/store/conformance.ts';
import { describeDatabaseUrl } from '../../src/store/open.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SCHEMA_VERSION } from '../../src/store/schema-version.ts';
import type { Store } from '../../src/store/store.ts';

const DATABASE_URL = process.env.LATCHKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRED = process.env.CI === 'true';

const unreachable = await checkReachable();
const schemas = new Map<Store, string>();
const created: string[] = [];

async function checkReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL not reachable at ${describeDatabaseUrl(DATABASE_URL)} (${(error as Error).message}); store suite skipped`;
  } finally {
    await client.end().catch(() => {});
  }
}

function newSchema(): string {
  const schema = `lk_test_${randomBytes(6).toString('hex')}`;
  created.push(schema);
  return schema;
}

async function withClient<T>(schema: string | null, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    if (schema) await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshStore(): Promise<Store | null> {
  if (unreachable) {
    if (REQUIRED) throw new Error(`${unreachable.replace('; store suite skipped', '')}; PostgreSQL is required when CI=true`);
    return null;
  }
  const schema = newSchema();
  const store = await openPostgresStore(DATABASE_URL, { schema });
  await store.migrate();
  schemas.set(store, schema);
  return store;
}

after(async () => {
  if (unreachable || created.length === 0) return;
  await withClient(null, async (client) => {
    for (const schema of created) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });
});

runStoreConformance('postgres', freshStore, {
  skipReason: () => unreachable,
  rawSql: async (store, sql) => withClient(schemas.get(store) ?? null, async (client) => void (await client.query(sql))),
});

describe('postgres store: migrations and schema', { skip: !REQUIRED && unreachable ? unreachable : false }, () => {
  it('instances migrating at once apply each migration exactly once', async () => {
    const schema = newSchema();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(DATABASE_URL, { schema })));
    try {
      const applied = await Promise.all(stores.map((store) => store.migrate()));
      assert.deepEqual(applied.sort(), [0, 0, POSTGRES_MIGRATIONS.length]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('numbers its migrations 1..SCHEMA_VERSION', () => {
    assert.deepEqual(
      POSTGRES_MIGRATIONS.map((m) => m.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('refuses a database migrated by a newer Latchkey', async () => {
    const store = await freshStore();
    assert.ok(store);
    try {
      await withClient(schemas.get(store) ?? null, (client) =>
        client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [SCHEMA_VERSION + 1]),
      );
      await assert.rejects(store.migrate(), /newer/);
    } finally {
      await store.close();
    }
  });

  it('the audit trigger also refuses TRUNCATE', async () => {
    const store = await freshStore();
    assert.ok(store);
    try {
      await assert.rejects(
        withClient(schemas.get(store) ?? null, (client) => client.query('TRUNCATE audit_events')),
        /append-only/,
      );
    } finally {
      await store.close();
    }
  });

  it('parses BIGINT as numbers for its own pool only', async () => {
    const store = await freshStore();
    assert.ok(store);
    try {
      await store.appendAudit([
        { type: 'mail.sent', outcome: 'success', reason: null, at: 1_700_000_000_000, requestId: null, userId: null, email: null, ip: null, userAgent: null },
      ]);
      const [stored] = await store.listAudit({});
      assert.equal(typeof stored?.id, 'number');
      assert.equal(stored?.at, 1_700_000_000_000);
      assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8)('42'), '42', 'the global INT8 parser is untouched');
    } finally {
      await store.close();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await assert.rejects(openPostgresStore(DATABASE_URL, { schema: 'x; DROP TABLE users' }), /invalid PostgreSQL schema name/);
  });
});
