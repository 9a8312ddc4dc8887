// package.json is the single source of truth for the version; the schema
// version comes from the store (store/schema-version.ts) and the commit from the
// build: LATCHKEY_BUILD_COMMIT when the image was built without .git, else git.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { SCHEMA_VERSION } from './store/schema-version.ts';

export const VERSION: string = packageJson.version;
export const PRODUCT = 'Latchkey';

export interface BuildInfo {
  version: string;
  schema: number;
  commit: string;
}

let commit: string | undefined;

function buildCommit(): string {
  const fromEnv = process.env.LATCHKEY_BUILD_COMMIT?.trim();
  if (fromEnv && /^[0-9a-f]{7,40}$/i.test(fromEnv)) return fromEnv.slice(0, 12).toLowerCase();
  try {
    const packageRoot = join(import.meta.dirname, '..');
    const [topLevel = '', head = ''] = execFileSync('git', ['rev-parse', '--show-toplevel', '--short=12', 'HEAD'], {
      cwd: packageRoot,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    })
      .toString()
      .trim()
      .split('\n');
    // Installed under node_modules, git would answer with the commit of the app around it.
    if (realpathSync(topLevel) !== realpathSync(packageRoot)) return 'unknown';
    return head || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Computed once per process (git is asked at most once). */
export function buildInfo(): BuildInfo {
  commit ??= buildCommit();
  return { version: VERSION, schema: SCHEMA_VERSION, commit };
}
