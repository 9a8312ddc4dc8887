// An app started as a person starts it (a `node …` command from the repository
// root, as a child process) on the embedded defaults: a fresh data folder for
// SQLite and the secret, mail in the dev mailbox, read back from /dev/mailbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../support/http-client.ts';
import type { SignInTarget } from './harness.ts';

export const ROOT = join(import.meta.dirname, '../..');

export interface ChildApp extends SignInTarget {
  url: string;
  /** The fresh LATCHKEY_DATA_DIR it was started with. */
  dataDir: string;
  stop(): Promise<void>;
}

/** The command in an example README's first ```sh block that starts the example, split into words. */
export function readmeCommand(example: string): string[] {
  const readme = readFileSync(join(ROOT, 'examples', example, 'README.md'), 'utf8');
  const command = /```sh\n(node [^\n]+)\n```/.exec(readme)?.[1];
  assert.ok(command, `examples/${example}/README.md shows the command that starts it`);
  return command.split(/\s+/);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

const unescapeHtml = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `node <args>` from the repository root with PORT and a fresh
 * LATCHKEY_DATA_DIR (and LATCHKEY_BASE_URL naming that port, for an app that
 * reads only the environment; `env` adds more); ready once /healthz answers.
 * The dev mailbox is read at `mailbox` (default: the app's own).
 */
export async function startChildApp(
  label: string,
  args: string[],
  options: { baseUrlInEnv?: boolean; env?: Record<string, string>; mailbox?: string; port?: number } = {},
): Promise<ChildApp> {
  const port = options.port ?? (await freePort());
  const url = `http://localhost:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), `latchkey-${label}-`));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // Only what a person's shell would have: none of this process's LATCHKEY_* variables.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: 'warn', ...(options.baseUrlInEnv ? { LATCHKEY_BASE_URL: url } : {}), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  // Ready when it answers; a start that fails says why (its output) instead of timing out.
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode}) before serving:\n${output}`);
    const healthy = await fetch(`${url}/healthz`).then((response) => response.ok, () => false);
    if (healthy) break;
    if (attempt === 600) {
      await stop();
      throw new Error(`${label} did not serve /healthz:\n${output}`);
    }
    await pause(50);
  }
  const mailbox = options.mailbox ?? url;
  return {
    url,
    dataDir,
    client: () => new Client(url),
    // The dev mailbox page, newest first: the plain text of the first message to the address (the outbox sends it just after the answer).
    mailText: async (email) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const page = await (await fetch(`${mailbox}/dev/mailbox`)).text();
        const article = page.split('<article>').find((part) => part.includes(`<dd>${email}</dd>`));
        const text = article && /<pre>([\s\S]*?)<\/pre>/.exec(article)?.[1];
        if (text) return unescapeHtml(text);
        await pause(50);
      }
      assert.fail(`no mail to ${email} in the dev mailbox of ${label}:\n${output}`);
    },
    stop,
  };
}
