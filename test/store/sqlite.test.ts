// The Store conformance suite on SQLite, each case on its own temp-file database,
// plus what only a file-backed backend has: directories, reopening, WAL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runStoreConformance } from '../../src/store/conformance.ts';
import { tokenRecord } from '../../src/store/conformance/fixtures.ts';
import { SCHEMA_VERSION } from '../../src/store/schema-version.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'latchkey-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
const paths = new Map<Store, string>();

function freshPath(): string {
  return join(root, `db-${++count}`, 'latchkey.db');
}

async function freshStore(): Promise<Store> {
  const path = freshPath();
  const store = await openSqliteStore(path);
  await store.migrate();
  paths.set(store, path);
  return store;
}

/** `count` tokens written at once: one turn, one group commit, `count` rows. */
async function writeTokens(store: Store, prefix: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => store.issueToken(tokenRecord({ email: `${prefix}${i}@example.com` }), null, [])));
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(50);
}

function withRawDb<T>(path: string, work: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

runStoreConformance('sqlite', freshStore, {
  rawSql: async (store, sql) => withRawDb(paths.get(store) ?? '', (db) => void db.exec(sql)),
});

describe('sqlite store: files and migrations', () => {
  it('creates missing parent directories and applies each migration once, across reopening', async () => {
    const path = join(root, 'nested', 'deeper', 'latchkey.db');
    const first = await openSqliteStore(path);
    assert.equal(await first.migrate(), SQLITE_MIGRATIONS.length);
    const token = tokenRecord();
    await first.issueToken(token, null, []);
    await first.close();

    const reopened = await openSqliteStore(path);
    assert.equal(await reopened.migrate(), 0);
    assert.deepEqual(await reopened.findToken(token.tokenHash), token);
    await reopened.close();
    const versions = withRawDb(path, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').all());
    assert.deepEqual(versions.map((row) => row.version), SQLITE_MIGRATIONS.map((m) => m.version));
  });

  it('numbers its migrations 1..SCHEMA_VERSION', () => {
    assert.deepEqual(
      SQLITE_MIGRATIONS.map((m) => m.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('refuses a database migrated by a newer Latchkey', async () => {
    const store = await freshStore();
    withRawDb(paths.get(store) ?? '', (db) => db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(SCHEMA_VERSION + 1));
    await assert.rejects(store.migrate(), /newer/);
    await store.close();
  });

  it('runs in WAL mode', async () => {
    const store = await freshStore();
    const path = paths.get(store) ?? '';
    assert.equal(withRawDb(path, (db) => db.prepare('PRAGMA journal_mode').get()?.journal_mode), 'wal');
    await store.close();
  });

  it('checkpoints the WAL on its own thread under a write load: the database file takes the writes while the store is idle', async () => {
    const store = await freshStore();
    const path = paths.get(store) ?? '';
    const before = statSync(path).size;
    // Many rows in one second, far fewer pages than SQLite's auto-checkpoint (1000): only the background thread moves them into the file.
    await writeTokens(store, 'wal', 300);
    await waitUntil(() => statSync(path).size > before);
    assert.ok(statSync(path).size > before, 'the rows reached the database file without a checkpoint on the request thread');
    await store.close();
    const reopened = await openSqliteStore(path);
    assert.equal((await reopened.findLatestToken('wal299@example.com', 'sign_in'))?.email, 'wal299@example.com');
    await reopened.close();
  });

  it('a few writes start no thread (issue #14: its memory is not worth it), and a load after a quiet spell starts it again', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path, { backgroundCheckpoints: { stopAfterQuietSeconds: 1 } });
    await store.migrate();
    const before = statSync(path).size;
    await writeTokens(store, 'few', 40);
    await sleep(2500); // two looks at the write rate
    assert.equal(statSync(path).size, before, 'a light load leaves its rows in the WAL for SQLite\'s own auto-checkpoint');
    await writeTokens(store, 'load', 300);
    await waitUntil(() => statSync(path).size > before);
    const afterLoad = statSync(path).size;
    assert.ok(afterLoad > before, 'a load starts the thread');
    await sleep(3000); // quiet: the thread stops
    await writeTokens(store, 'again', 1000);
    await waitUntil(() => statSync(path).size > afterLoad);
    assert.ok(statSync(path).size > afterLoad, 'the next load starts it again');
    await store.close();
  });

  it('group commit: writes of one turn share a commit, each is committed when its promise settles, and a failing one rolls back alone', async () => {
    const store = await freshStore();
    const path = paths.get(store) ?? '';
    const good = Array.from({ length: 20 }, (_, i) => tokenRecord({ email: `group${i}@example.com` }));
    const duplicate = { ...tokenRecord({ email: 'dup@example.com' }), id: good[0]!.id }; // same primary key: refused
    const results = await Promise.allSettled([...good.slice(0, 10), duplicate, ...good.slice(10)].map((t) => store.issueToken(t, null, [])));
    assert.deepEqual(results.map((r) => r.status).filter((s) => s === 'rejected').length, 1);
    assert.equal(results[10]?.status, 'rejected', 'the duplicate fails');
    // Another connection sees exactly the twenty: committed before anyone was answered, the failed write gone.
    const rows = withRawDb(path, (db) => db.prepare("SELECT email FROM tokens WHERE email LIKE 'group%' OR email = 'dup@example.com'").all());
    assert.equal(rows.length, 20);
    await store.close();
  });

  it('two stores on one file in one process write in the same turn without waiting on each other', async () => {
    const path = freshPath();
    const a = await openSqliteStore(path);
    await a.migrate();
    const b = await openSqliteStore(path);
    // Before group commits knew of each other, the second waited on a lock the first held until this very turn ended: "database is locked".
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).issueToken(tokenRecord({ email: `both${i}@example.com` }), null, [])),
    );
    assert.equal((await a.findLatestToken('both9@example.com', 'sign_in'))?.email, 'both9@example.com');
    assert.equal((await b.findLatestToken('both8@example.com', 'sign_in'))?.email, 'both8@example.com');
    await a.close();
    await b.close();
  });

  it('works in memory', async () => {
    const store = await openSqliteStore(':memory:');
    assert.equal(await store.migrate(), SQLITE_MIGRATIONS.length);
    await store.ping();
    await store.close();
  });
});
