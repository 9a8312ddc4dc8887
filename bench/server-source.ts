// Which server the bench starts: the compiled one when dist/ has been built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const COMPILED = new URL('../dist/cli/start.js', import.meta.url);

/** The compiled `start` module's URL, or null when dist/ has not been built. */
export function compiledServer(): string | null {
  return existsSync(fileURLToPath(COMPILED)) ? COMPILED.href : null;
}

export const serverSource = (): string => (compiledServer() ? 'compiled dist/' : 'TypeScript sources');
