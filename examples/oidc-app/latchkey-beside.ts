// The demo's Latchkey (when LATCHKEY_ISSUER is unset): `latchkey start` in a
// child process on http://localhost:3000, its data in the app's data folder,
// with a clients file that registers this app: a confidential, first-party
// client whose secret is made once (256 random bits) and kept beside it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LatchkeyBeside {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

const CLIENT_ID = 'example-app';
/** In this repository: the CLI's source (Node 24 runs it as it is). Elsewhere: the installed package's `latchkey` command. */
const REPOSITORY_CLI = join(import.meta.dirname, '../../src/cli/main.ts');

export async function startLatchkeyBeside(options: { appUrl: URL; port: number; dataDir: string }): Promise<LatchkeyBeside> {
  mkdirSync(options.dataDir, { recursive: true });
  const secretFile = join(options.dataDir, 'client-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const clientSecret = readFileSync(secretFile, 'utf8').trim();
  // The standard client metadata names (RFC 7591); rewritten at every start, so PORT may change.
  const clientsFile = join(options.dataDir, 'clients.json');
  const client = {
    client_id: CLIENT_ID,
    client_secret: clientSecret,
    client_name: 'Example app',
    redirect_uris: [new URL('/callback', options.appUrl).href],
    post_logout_redirect_uris: [new URL('/', options.appUrl).href],
    first_party: true,
  };
  writeFileSync(clientsFile, `${JSON.stringify([client], null, 2)}\n`, { mode: 0o600 });

  const issuer = new URL(`http://localhost:${options.port}`);
  const [command, ...args] = existsSync(REPOSITORY_CLI) ? [process.execPath, REPOSITORY_CLI] : ['latchkey'];
  const child = spawn(command!, [...args, 'start'], {
    env: {
      ...process.env,
      PORT: String(options.port),
      LATCHKEY_BASE_URL: issuer.origin,
      LATCHKEY_DATA_DIR: options.dataDir,
      LATCHKEY_DATABASE_URL: process.env.LATCHKEY_DATABASE_URL ?? `sqlite:${join(options.dataDir, 'latchkey.db')}`,
      LATCHKEY_OIDC_CLIENTS: clientsFile,
      LATCHKEY_LOG_LEVEL: process.env.LATCHKEY_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`Latchkey exited (${child.exitCode}) before it served ${issuer.origin}`);
    if (await fetch(new URL('/healthz', issuer)).then((response) => response.ok, () => false)) break;
    if (attempt === 600) {
      await stop();
      throw new Error(`Latchkey did not answer at ${issuer.origin} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { issuer, clientId: CLIENT_ID, clientSecret, stop };
}
