// Picks the backend from LATCHKEY_DATABASE_URL: postgres:// or postgresql:// for
// PostgreSQL; sqlite:, file: or a plain path for SQLite.

import { fileURLToPath } from 'node:url';
import type { Store } from './store.ts';

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

const EXPECTED = 'expected postgres://, postgresql://, sqlite:, file: or a file path';

export async function openStore(databaseUrl: string): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  // Each backend (and its driver) loads only when chosen: pg is ~10 MB of memory an SQLite server never needs.
  if (target.kind === 'postgres') return (await import('./postgres/postgres-store.ts')).openPostgresStore(target.url);
  return (await import('./sqlite/sqlite-store.ts')).openSqliteStore(target.path);
}

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const url = databaseUrl.trim();
  if (url === '') throw new Error(`database URL is empty (${EXPECTED})`);
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  // No scheme (or a one-letter Windows drive) is a plain path; so is ':memory:'.
  if (scheme === undefined || scheme.length === 1) return { kind: 'sqlite', path: url };
  if (scheme === 'sqlite' || scheme === 'file') return { kind: 'sqlite', path: sqlitePath(scheme, url.slice(scheme.length + 1)) };
  // Only the scheme is echoed: the rest may hold a password.
  throw new Error(`unsupported database URL scheme "${scheme}:" (${EXPECTED})`);
}

function sqlitePath(scheme: string, rest: string): string {
  if (rest === ':memory:' || rest === '//:memory:') return ':memory:';
  if (rest.startsWith('//')) {
    // URL form, sqlite:///srv/lk.db → /srv/lk.db; a host other than localhost is refused.
    try {
      return fileURLToPath(`file:${rest}`);
    } catch {
      throw new Error(`${scheme}: URL with a host is not supported: use ${scheme}:///absolute/path or ${scheme}:relative/path`);
    }
  }
  if (rest === '') throw new Error(`${scheme}: database URL names no file`);
  return rest;
}

/** The URL with any password masked, for logs and messages. */
export function describeDatabaseUrl(databaseUrl: string): string {
  return (
    databaseUrl
      // Up to the last '@': a password may hold an unescaped '@', '/' or '#' that URL parsing would split on.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:).*@/is, '$1***@')
      .replace(/([?&][^=&#]*(?:pass|secret)[^=&#]*=)[^&#]*/gi, '$1***')
  );
}
