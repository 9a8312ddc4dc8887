// `node scripts/locked-app.ts DIR`: makes DIR an app ready to install the packed
// tarball (`npm install --omit=dev latchkey-X.tgz`) with the dependency versions
// this repository locks and tests: a package.json and a package-lock.json holding
// package-lock.json's production entries. Without that lock npm resolves the
// newest version in every range: versions the suite has not run, and, offline,
// ones the cache `npm ci` filled does not hold. The Dockerfile and the package
// test (test/package/installed-app.ts) both start from it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
}

/** Writes package.json (type: module) and the pinned package-lock.json into `dir`. */
export function writeLockedApp(dir: string, name = 'latchkey-app'): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, object> = { '': { name } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.devOptional) packages[path] = entry;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/locked-app.ts DIR');
    process.exit(2);
  }
  writeLockedApp(dir);
}
