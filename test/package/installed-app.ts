// The package as a user gets it (issue #14): `npm pack` of this repository, and
// the tarball installed with `npm install --offline` into a fresh app in a
// temporary folder, from the npm cache that `npm ci` filled. The app starts with
// the lockfile scripts/locked-app.ts writes (this repository's locked production
// dependencies): without it npm would want the newest version in every range,
// which that cache does not hold; the Dockerfile installs the same way.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { writeLockedApp } from '../../scripts/locked-app.ts';

export const repositoryRoot = join(import.meta.dirname, '../..');

export interface RunResult {
  /** The exit code; -1 when a signal ended the process. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface Packed {
  tarball: string;
  files: string[];
  entryCount: number;
  size: number;
  unpackedSize: number;
}

export interface InstalledApp {
  /** Holds the tarball and the app; removed after the suite. */
  base: string;
  /** The app: package.json (type: module), node_modules/latchkey. */
  dir: string;
  packed: Packed;
  /** Output of `npm install`. */
  install: RunResult;
}

/**
 * The environment of a user's shell: none of this run's LATCHKEY_* settings,
 * NODE_ENV or test-runner variables, and this Node (24) first on PATH, so
 * `npx`, npm and the bin's `#!/usr/bin/env` line find it.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('LATCHKEY_') && !['NODE_ENV', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT'].includes(name),
  );
  return { ...Object.fromEntries(kept), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

/** Runs a command to its end; never throws for a non-zero exit. */
export function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? userEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** `npm pack` (its prepack script builds dist/ first). */
async function pack(into: string): Promise<Packed> {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', into], { cwd: repositoryRoot });
  if (packed.code !== 0) throw new Error(`npm pack failed (exit ${packed.code}):\n${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[]; entryCount: number; size: number; unpackedSize: number }[];
  if (!info) throw new Error(`npm pack printed no package:\n${packed.stdout}`);
  return { tarball: join(into, info.filename), files: info.files.map((file) => file.path), entryCount: info.entryCount, size: info.size, unpackedSize: info.unpackedSize };
}

/**
 * Packs, then installs the tarball into a new app. Without the dependencies in
 * the npm cache the suite is skipped with the reason, except under CI=true
 * (.ci/run runs `npm ci` first, which fills it).
 */
export async function installPackedApp(): Promise<{ app: InstalledApp } | { skip: string }> {
  const base = mkdtempSync(join(tmpdir(), 'latchkey-package-'));
  const packed = await pack(base);
  const dir = join(base, 'app');
  writeLockedApp(dir, 'latchkey-user-app');
  const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', packed.tarball], { cwd: dir });
  if (install.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    if (/ENOTCACHED/.test(install.stderr) && process.env.CI !== 'true') {
      const missing = /request to (\S+) failed/.exec(install.stderr)?.[1] ?? 'a dependency';
      return { skip: `the npm cache lacks ${missing} (run npm ci first); required when CI=true` };
    }
    throw new Error(`npm install --offline of the tarball failed (exit ${install.code}):\n${install.stderr}`);
  }
  return { app: { base, dir, packed, install } };
}
