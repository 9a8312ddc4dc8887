// The store for the CLI commands that work on an existing deployment (audit,
// outbox, users, sessions). Issue #12: run from the wrong folder, they created
// ./data/secret and an empty database, then failed with a stack trace. They need
// no secret, so none is generated; a missing or empty database is refused with
// what was looked for and the setting that names it. Only `migrate` and `start`
// create a database.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, parseEnv } from '../config.ts';
import { describeDatabaseUrl, openStore, parseDatabaseUrl } from '../store/open.ts';
import type { Store } from '../store/store.ts';

/** The store, and where it is in words an operator can act on (a file path, or the URL without its password). */
export async function openExistingStore(env: Record<string, string | undefined>): Promise<{ store: Store; where: string }> {
  const databaseUrl = parseEnv(env).LATCHKEY_DATABASE_URL;
  const setting = env.LATCHKEY_DATABASE_URL ? `LATCHKEY_DATABASE_URL=${describeDatabaseUrl(databaseUrl)}` : `LATCHKEY_DATABASE_URL unset, so the default ${databaseUrl}`;
  let target;
  try {
    target = parseDatabaseUrl(databaseUrl);
  } catch (error) {
    throw new ConfigError(`LATCHKEY_DATABASE_URL: ${(error as Error).message}`);
  }
  if (target.kind === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
    throw new ConfigError(
      `no Latchkey database at ${resolve(target.path)} (${setting}, relative to ${process.cwd()}).\n` +
        '  Run this command where the server runs, or set LATCHKEY_DATABASE_URL to its database; nothing was created.',
    );
  }
  let store: Store;
  try {
    store = await openStore(databaseUrl);
  } catch (error) {
    throw new ConfigError(`cannot open the database ${describeDatabaseUrl(databaseUrl)} (${setting}): ${(error as Error).message}`);
  }
  const where = target.kind === 'sqlite' ? resolve(target.path) : describeDatabaseUrl(databaseUrl);
  let version: number;
  try {
    version = await store.schemaVersion();
  } catch (error) {
    await store.close();
    // SQLite: no migrations table; PostgreSQL: unreachable or no table. The driver's words name which.
    const reason = /no such table|does not exist/i.test((error as Error).message) ? null : (error as Error).message;
    throw new ConfigError(
      reason === null
        ? `the database at ${where} has no Latchkey schema (${setting}); is it the right one? \`latchkey migrate\` sets one up.`
        : `cannot read the database at ${where} (${setting}): ${reason}`,
    );
  }
  if (version === 0) {
    await store.close();
    throw new ConfigError(`the database at ${where} has no Latchkey schema (${setting}); is it the right one? \`latchkey migrate\` sets one up.`);
  }
  return { store, where };
}
