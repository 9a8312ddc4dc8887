// `npm run build`: what is published is compiled JavaScript (issue #14), because
// Node refuses to strip types under node_modules. tsc (tsconfig.build.json) emits
// src/ into dist/ with declarations and source maps; the files the code reads at
// run time (src/pages/assets/*, src/core/breached-passwords.txt: every file under
// src/ that is not TypeScript) are copied beside it, at the same relative paths,
// so `import.meta.dirname` finds them from src/ and from dist/ alike.
//
//   node scripts/build.ts             clean build
//   node scripts/build.ts --if-stale  build only when src/ or a tsconfig changed since the last build
//                                     (npm start, npm run migrate: a fresh clone or an edit is never served stale)
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
/** Written last: a build that failed half-way is never taken for a finished one. */
const stamp = join(dist, '.built');
const inputs = [src, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), fileURLToPath(import.meta.url)];

/** Every file and folder under `path` (a folder's time changes when a file in it is added or removed). */
function newestChange(path: string): number {
  const own = statSync(path).mtimeMs;
  if (!statSync(path).isDirectory()) return own;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), own);
}

function isStale(): boolean {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return inputs.some((input) => newestChange(input) > built);
}

function nonTypeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function build(): void {
  rmSync(dist, { recursive: true, force: true }); // a module removed from src/ must not linger in dist/
  const tsc = join(dirname(fileURLToPath(import.meta.resolve('typescript/package.json'))), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  const assets = nonTypeScriptFiles(src);
  for (const file of assets) cpSync(file, join(dist, relative(src, file)));
  chmodSync(join(dist, 'cli', 'main.js'), 0o755); // the `latchkey` bin
  writeFileSync(stamp, '');
  // stderr: `npm pack --json` (which runs this as prepack) keeps stdout for its JSON.
  console.error(`latchkey: built dist/ (${assets.length} assets copied)`);
}

if (!process.argv.includes('--if-stale') || isStale()) build();
