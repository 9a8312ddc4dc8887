// Which backend a LATCHKEY_DATABASE_URL opens, and how it is shown in logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDatabaseUrl, openStore, parseDatabaseUrl } from '../../src/store/open.ts';

describe('parseDatabaseUrl', () => {
  it('sends postgres:// and postgresql:// to PostgreSQL, unchanged', () => {
    for (const url of ['postgres://lk:pw@db:5432/lk', 'postgresql://db/lk?sslmode=require', 'POSTGRES://db/lk']) {
      assert.deepEqual(parseDatabaseUrl(url), { kind: 'postgres', url });
    }
  });

  it('maps sqlite:, file: and plain paths to SQLite files', () => {
    const cases: Array<[string, string]> = [
      ['sqlite:///srv/lk.db', '/srv/lk.db'],
      ['sqlite:./data/x.db', './data/x.db'],
      ['sqlite:data/x.db', 'data/x.db'],
      ['sqlite::memory:', ':memory:'],
      ['file:///srv/lk.db', '/srv/lk.db'],
      ['file://localhost/srv/lk%20db.db', '/srv/lk db.db'],
      ['file:data/x.db', 'data/x.db'],
      ['/var/lib/latchkey/lk.db', '/var/lib/latchkey/lk.db'],
      ['./lk.db', './lk.db'],
      ['lk.db', 'lk.db'],
      [':memory:', ':memory:'],
    ];
    for (const [url, path] of cases) assert.deepEqual(parseDatabaseUrl(url), { kind: 'sqlite', path }, url);
  });

  it('refuses other schemes, hosts in sqlite URLs and empty values, without echoing secrets', () => {
    assert.throws(() => parseDatabaseUrl('mysql://root:hunter2@db/lk'), (error: Error) => {
      assert.match(error.message, /unsupported database URL scheme "mysql:"/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    assert.throws(() => parseDatabaseUrl('sqlite://data/x.db'), /host is not supported/);
    assert.throws(() => parseDatabaseUrl('sqlite:'), /names no file/);
    assert.throws(() => parseDatabaseUrl('  '), /empty/);
  });
});

describe('openStore', () => {
  it('opens SQLite for sqlite::memory:', async () => {
    const store = await openStore('sqlite::memory:');
    assert.equal(store.kind, 'sqlite');
    assert.equal(await store.migrate() > 0, true);
    await store.close();
  });

  it('rejects an unsupported scheme', async () => {
    await assert.rejects(openStore('mysql://db/lk'), /unsupported database URL scheme/);
  });
});

describe('describeDatabaseUrl', () => {
  it('masks passwords, in the userinfo or in the query', () => {
    assert.equal(describeDatabaseUrl('postgres://lk:s3cret@db:5432/lk'), 'postgres://lk:***@db:5432/lk');
    assert.equal(describeDatabaseUrl('postgres://db/lk?user=lk&password=s3cret'), 'postgres://db/lk?user=lk&password=***');
    assert.doesNotMatch(describeDatabaseUrl('postgres://lk:p@ss#w/rd@db/lk'), /ss|rd@/);
  });

  it('leaves URLs without secrets as written', () => {
    for (const url of ['postgres://lk@db/lk', 'sqlite:./data/lk.db', 'file:data/lk.db', '/srv/lk.db']) {
      assert.equal(describeDatabaseUrl(url), url);
    }
  });
});
