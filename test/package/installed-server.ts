// `npx latchkey start` in the app that installed the tarball, as a user types it:
// embedded defaults (SQLite under ./data, the dev mailbox, a generated secret),
// only PORT chosen, and the base URL that goes with it.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { userEnv } from './installed-app.ts';

export interface InstalledServer {
  /** The sign-in token of the newest mail to `email` in GET /dev/mailbox (mail leaves through the outbox, so it may take a moment). */
  tokenFromMailbox(email: string): Promise<string>;
  /** SIGTERM to npx and the server it started; resolves with everything they printed once both have exited. */
  stop(): Promise<string>;
}

export async function startInstalledServer(dir: string, port: number): Promise<InstalledServer> {
  const env = userEnv({ PORT: String(port), HOST: '127.0.0.1', LATCHKEY_BASE_URL: `http://localhost:${port}` });
  // Its own process group: npx does not pass SIGTERM on to the command it runs, so the group is signalled.
  const child = spawn('npx', ['--no', 'latchkey', 'start'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': every process writing to the pipes (npx and the server it started) has exited.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };

  const started = await Promise.race([
    (async () => {
      while (!output.includes('"msg":"latchkey started"')) await sleep(50);
      return true;
    })(),
    closed.then(() => false),
    sleep(60_000).then(() => false),
  ]);
  if (!started) {
    signalGroup('SIGKILL');
    throw new Error(`npx latchkey start did not start:\n${output}`);
  }

  return {
    async tokenFromMailbox(email) {
      for (let attempt = 0; attempt < 200; attempt++) {
        const page = await (await fetch(`http://127.0.0.1:${port}/dev/mailbox`)).text();
        const message = page.split('<article>').find((part) => part.includes(`<dd>${email}</dd>`));
        const token = message && /\/auth\/verify\?token=([A-Za-z0-9_-]{43})/.exec(message)?.[1];
        if (token) return token;
        await sleep(50);
      }
      throw new Error(`no mail to ${email} in the dev mailbox`);
    },
    async stop() {
      signalGroup('SIGTERM');
      const stopped = await Promise.race([closed.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) signalGroup('SIGKILL');
      await closed;
      return output;
    },
  };
}
