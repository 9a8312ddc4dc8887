// Which server the bench starts: the compiled one when dist/ has been built.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMPILED = new URL('../dist/cli/start.js', import.meta.url);
const BIN = new URL('../dist/cli/main.js', import.meta.url);

/** The compiled `start` module's URL, or null when dist/ has not been built. */
export function compiledServer(): string | null {
  return existsSync(fileURLToPath(COMPILED)) ? COMPILED.href : null;
}

export const serverSource = (): string => (compiledServer() ? 'compiled dist/' : 'TypeScript sources');

/**
 * The script and arguments of the server under test: the `latchkey` bin itself
 * (`dist/cli/main.js start`, as an installed package runs it) when built, so no
 * TypeScript is loaded and its RSS is what users get; else bench/server.ts.
 */
export function serverArgs(): string[] {
  return compiledServer() ? [fileURLToPath(BIN), 'start'] : [join(import.meta.dirname, 'server.ts')];
}
