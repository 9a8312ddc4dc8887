// The examples (issue #14 item 4), each started by the one command of its
// README as a child process on the embedded defaults (SQLite in a fresh data
// folder, the dev mailbox), then used as a person would: a real sign-in, then
// the protected thing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumMissing, launchChromium } from '../browser/harness.ts';
import { Client, codeFrom } from '../support/http-client.ts';
import { assertGuarded, signInWithForms, signInWithJson, uniqueEmail, type SignInTarget } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The command in the README's first ```sh block that starts the example. */
function readmeCommand(example: string): string[] {
  const readme = readFileSync(join(ROOT, 'examples', example, 'README.md'), 'utf8');
  const command = /```sh\n(node [^\n]+)\n```/.exec(readme)?.[1];
  assert.ok(command, `examples/${example}/README.md shows the command that starts it`);
  return command.split(/\s+/);
}

function freePort(): Promise<number> {
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

interface RunningExample extends SignInTarget {
  url: string;
  stop(): Promise<void>;
}

async function startExample(example: string): Promise<RunningExample> {
  const [node, ...args] = readmeCommand(example);
  assert.equal(node, 'node');
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    // Only what the README's reader has: no LATCHKEY_* of this shell.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LATCHKEY_DATA_DIR: mkdtempSync(join(tmpdir(), `latchkey-example-${example}-`)), LATCHKEY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const check = () => output.includes('example listening on') && resolve();
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`examples/${example} exited (${code}) before listening:\n${output}`)));
  });
  const url = `http://localhost:${port}`;
  return {
    url,
    client: () => new Client(url),
    // The dev mailbox page, newest first: the plain text of the first message to the address (the outbox sends it just after the answer).
    mailText: async (email) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const page = await (await fetch(`${url}/dev/mailbox`)).text();
        const article = page.split('<article>').find((part) => part.includes(`<dd>${email}</dd>`));
        const text = article && /<pre>([\s\S]*?)<\/pre>/.exec(article)?.[1];
        if (text) return unescapeHtml(text);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no mail to ${email} in the dev mailbox:\n${output}`);
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('examples/express: an Express app with a protected page', () => {
  let example: RunningExample;
  before(async () => (example = await startExample('express')));
  after(() => example.stop());

  it('sends a visitor to sign in, and after the hosted pages, back to the dashboard', async () => {
    await assertGuarded(example, '/dashboard');
    const email = uniqueEmail('express-example');
    const browser = await signInWithForms(example, { email, redirectTo: '/dashboard' });
    const dashboard = await browser.request('/dashboard', { headers: { accept: 'text/html' } });
    assert.equal(dashboard.status, 200);
    assert.ok((await dashboard.text()).includes(`Signed in as <strong>${email}</strong>`));
  });
});

describe('examples/fastify: an API with a protected route', () => {
  let example: RunningExample;
  before(async () => (example = await startExample('fastify')));
  after(() => example.stop());

  it('answers 401 until a JSON sign-in, then tells who is signed in', async () => {
    const stranger = await example.client().request('/api/me');
    assert.equal(stranger.status, 401);
    assert.deepEqual(await (await example.client().request('/api/hello')).json(), { hello: 'anyone' });
    const client = await signInWithJson(example);
    const me = await client.request('/api/me');
    assert.equal(me.status, 200);
    assert.match(((await me.json()) as { user: { email: string } }).user.email, /^json\./);
  });
});

describe('examples/static: a static page on the JSON API, in Chromium', { skip: chromiumMissing }, () => {
  let example: RunningExample;
  before(async () => (example = await startExample('static')));
  after(() => example.stop());

  it('asks for a code, takes it, shows who is signed in, and signs out', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(10_000);
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      // Every answer but the signed-out one of GET /auth/session (401, how the page learns it) is a success.
      page.on('response', (response) => {
        const expected = response.status() === 401 && new URL(response.url()).pathname === '/auth/session';
        if (response.status() >= 400 && !expected) problems.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(example.url);
      await page.locator('#signed-out').waitFor();
      const email = uniqueEmail('static-example');
      await page.fill('#email', email);
      await page.click('#request button');
      await page.locator('#verify').waitFor();
      await page.fill('#code', codeFrom(await example.mailText(email)));
      await page.click('#verify button');
      await page.locator('#signed-in').waitFor();
      assert.equal(await page.textContent('#who'), email);
      await page.click('#sign-out');
      await page.locator('#signed-out').waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
