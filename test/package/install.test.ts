// Issue #14: a new user packed Latchkey, installed the tarball into a fresh app,
// and `import { createLatchkey } from 'latchkey'` failed (Node strips no types
// under node_modules), as did `npx latchkey start` and every other command. Here
// the tarball is installed as a user installs it (test/package/installed-app.ts)
// and used the four ways a user uses it: imported from ESM and TypeScript, a
// sign-in through the library API, `npx latchkey start` and a sign-in over
// HTTP, and every CLI command from the installed bin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSmtpSink } from '../support/smtp-sink.ts';
import { startInstalledServer } from './installed-server.ts';
import { installPackedApp, repositoryRoot, run, userEnv } from './installed-app.ts';

const { version } = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { version: string };
const tokenIn = (text: string) => /\/auth\/verify\?token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

describe('the npm package, installed from its tarball into a fresh app (issue #14)', async () => {
  const setup = await installPackedApp();
  if ('skip' in setup) {
    it(`skipped: ${setup.skip}`, { skip: setup.skip }, () => {});
    return;
  }
  const { app } = setup;
  const installed = join(app.dir, 'node_modules', 'latchkey');
  after(() => rmSync(app.base, { recursive: true, force: true }));
  cpSync(join(import.meta.dirname, 'user-app'), app.dir, { recursive: true });

  it('the tarball holds the compiled package and the documents, none of the repository tooling', (t) => {
    const { files, entryCount, size, unpackedSize } = app.packed;
    t.diagnostic(`tarball: ${entryCount} files, ${(size / 1000).toFixed(1)} kB packed, ${(unpackedSize / 1000).toFixed(1)} kB unpacked`);
    const needed = ['package.json', 'README.md', 'LICENSE', 'SECURITY.md', 'CHANGELOG.md', 'openapi.json', 'docs/deploy.md'];
    const compiled = ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/cli/main.js', 'dist/store/sqlite/checkpointer-thread.js'];
    compiled.push(...['node', 'express', 'fastify'].flatMap((name) => [`dist/adapters/${name}.js`, `dist/adapters/${name}.d.ts`]));
    const assets = ['dist/pages/assets/style.css', 'dist/pages/assets/sign-in.js', 'dist/core/breached-passwords.txt'];
    for (const file of [...needed, ...compiled, ...assets]) assert.ok(files.includes(file), `${file} is in the tarball`);
    const tooling = files.filter(
      (file) =>
        /^(src|test|bench|scripts|examples|\.ci)\//.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
        file.startsWith('dist/store/conformance') ||
        file === 'dist/.built',
    );
    assert.deepEqual(tooling, []);
  });

  it('installing ran no build (there is nothing to build with), and nothing installed refers to a .ts module', () => {
    // Had npm run the `prepare` script, `node scripts/build.ts` would have failed the install: scripts/ is not shipped.
    assert.equal(existsSync(join(installed, 'scripts')), false);
    assert.equal(existsSync(join(installed, 'src')), false);
    const javascript = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    assert.ok(javascript.length > 50, `${javascript.length} compiled modules`);
    // Imports, dynamic imports and worker URLs: Node would refuse a .ts under node_modules.
    const importsTypeScript = /(?:\bfrom\s*['"]|\bimport\(\s*['"`]|new URL\(\s*['"`])[^'"`]*\.ts['"`]/;
    assert.deepEqual(javascript.filter((file) => importsTypeScript.test(readFileSync(join(installed, 'dist', file), 'utf8'))), []);
  });

  it('(a) imports from ESM: import { createLatchkey } from "latchkey", and the adapters from latchkey/node, /express, /fastify', async () => {
    const result = await run(process.execPath, ['esm.js'], { cwd: app.dir });
    assert.equal(result.code, 0, result.stderr);
    const functions = { createLatchkey: 'function', toNodeHandler: 'function', latchkeyExpress: 'function', latchkeyFastify: 'function' };
    assert.deepEqual(JSON.parse(result.stdout), { ...functions, VERSION: version });
  });

  it('(a) type-checks a TypeScript app against the declarations, and rejects a type error', async () => {
    const tsc = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const compilerOptions = {
      target: 'es2024',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      // A Node app has @types/node; this one takes the repository's. Everything else resolves from node_modules/latchkey.
      typeRoots: [join(repositoryRoot, 'node_modules', '@types')],
      types: ['node'],
    };
    writeFileSync(join(app.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
    writeFileSync(join(app.dir, 'tsconfig.type-error.json'), JSON.stringify({ compilerOptions, files: ['type-error.ts'] }));
    const typed = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app.dir });
    assert.equal(typed.code, 0, `typed.ts type-checks (its @ts-expect-error lines prove the types are not any):\n${typed.stdout}`);
    const wrong = await run(process.execPath, [tsc, '-p', 'tsconfig.type-error.json'], { cwd: app.dir });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /type-error\.ts\(7,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it('(b) signs in through the library API: requestSignIn → mail over SMTP → verify(token) → session → getSession', async () => {
    const sink = await startSmtpSink();
    const email = `library.${Date.now()}@example.com`;
    const child = spawn(process.execPath, ['library-sign-in.js'], {
      cwd: app.dir,
      env: userEnv({ SMTP_URL: sink.url, EMAIL: email, SECRET: 'a-test-secret-of-more-than-32-bytes-for-the-package' }),
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const died = exited.then((code) => Promise.reject(new Error(`library-sign-in.js exited (${code}) before any mail:\n${stderr}`)));
      const message = await Promise.race([sink.waitFor((m) => m.to === email, 15_000), died]);
      const token = tokenIn(message.text);
      assert.ok(token, 'the mail carries a sign-in link');
      child.stdin.end(`${token}\n`);
      assert.equal(await exited, 0, stderr);
      const [requested, verified, session, replayed] = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(requested, { step: 'requested', result: { ok: true, email, throttled: false } });
      assert.deepEqual(verified, { step: 'verified', ok: true, status: 'signed_in', email, hasSessionToken: true });
      assert.equal(session?.email, email);
      assert.equal(session?.matches, true, 'getSession finds the session verify created');
      assert.deepEqual(replayed?.outcome, { ok: false, code: 'token_used' }, 'the link works once');
    } finally {
      child.kill();
      await sink.close();
    }
  });

  it('(c) `npx latchkey start` serves on its embedded defaults, and a person signs in over HTTP', async () => {
    const port = await freePort();
    const server = await startInstalledServer(app.dir, port);
    try {
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.match(await (await fetch(`${base}/auth/sign-in`)).text(), /<form/, 'the hosted sign-in page');
      const style = await fetch(`${base}/auth/assets/style.css`);
      assert.equal(style.status, 200, 'the page assets ship beside the compiled code');
      assert.match(style.headers.get('content-type') ?? '', /text\/css/);

      const email = `http.${Date.now()}@example.com`;
      const asked = await fetch(`${base}/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      assert.equal(asked.status, 202);
      const token = await server.tokenFromMailbox(email);
      const verified = await fetch(`${base}/auth/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      assert.equal(verified.status, 200);
      const cookie = verified.headers.getSetCookie().find((line) => line.startsWith('latchkey_session='))?.split(';')[0];
      assert.ok(cookie, 'a session cookie');
      const session = await fetch(`${base}/auth/session`, { headers: { cookie } });
      assert.equal(session.status, 200);
      assert.equal(((await session.json()) as { user: { email: string } }).user.email, email);
      assert.ok(existsSync(join(app.dir, 'data', 'latchkey.db')), "SQLite under the app's ./data");
    } finally {
      // Stopped gracefully on SIGTERM (npx's own exit code is the signal's, not the server's).
      assert.match(await server.stop(), /"msg":"latchkey stopped"/);
    }
  });

  it('(d) every CLI command runs from the installed bin and exits as documented', async () => {
    const bin = join(app.dir, 'node_modules', '.bin', 'latchkey');
    const cli = (...args: string[]) => run(bin, args, { cwd: app.dir });
    const expect = async (args: string[], code: number, output: RegExp) => {
      const result = await cli(...args);
      assert.equal(result.code, code, `latchkey ${args.join(' ')}: ${result.stderr}`);
      assert.match(`${result.stdout}${result.stderr}`, output, `latchkey ${args.join(' ')}`);
      return result.stdout;
    };
    await expect(['--help'], 0, /Usage: latchkey <command>[\s\S]*preview-email/);
    await expect([], 1, /Usage: latchkey <command>/);
    await expect(['no-such-command'], 2, /unknown command "no-such-command"/);
    await expect(['--version'], 0, new RegExp(`^latchkey ${version.replace(/\./g, '\\.')} \\(schema \\d+, commit unknown\\)`));
    await expect(['migrate'], 0, /sqlite:\.\/data\/latchkey\.db: 0 migration\(s\) applied, schema up to date/);
    await expect(['users', 'list'], 0, /http\.\d+@example\.com {2}id \S+ {2}active {2}verified/);
    await expect(['users'], 2, /Usage: latchkey users list/);
    await expect(['users', 'create', 'new.user@example.com'], 0, /new\.user@example\.com[\s\S]*\ncreated/);
    await expect(['users', 'find', 'new.user@example.com'], 0, /new\.user@example\.com {2}id/);
    await expect(['users', 'disable', 'new.user@example.com'], 0, /disabled; every session revoked/);
    await expect(['users', 'enable', 'new.user@example.com'], 0, /\nenabled/);
    await expect(['users', 'find', 'nobody@example.com'], 1, /no account for nobody@example\.com/);
    const signedIn = /(http\.\d+@example\.com)/.exec(await cli('users', 'list').then((r) => r.stdout))?.[1] ?? '';
    await expect(['sessions', 'revoke', '--user', signedIn], 0, /revoked 1 session\(s\)/);
    await expect(['audit', '--user', signedIn, '--since', '1h'], 0, /sign_in\.requested[\s\S]*session\.created/);
    await expect(['audit', '--type', 'no.such_event'], 2, /unknown event type/);
    const outbox = await expect(['outbox', '--json'], 0, /"sent":1/);
    assert.equal((JSON.parse(outbox) as { dead: number }).dead, 0);
    await expect(['outbox'], 0, /sent 1 {2}dead 0/);
    await expect(['preview-email', '--out', 'mail-preview', '--locale', 'en'], 0, /mail-preview/);
    assert.ok(existsSync(join(app.dir, 'mail-preview', 'index.html')));
    await expect(['preview-email', '--locale', 'xx'], 2, /unknown locale "xx"/);
  });

  it('the bin also runs from a global install: a symlink in PREFIX/bin, the package and its dependencies under PREFIX/lib', async () => {
    // The layout `npm install --global` makes (which cannot resolve offline without a lockfile).
    const prefix = join(app.base, 'global');
    const globalPackage = join(prefix, 'lib', 'node_modules', 'latchkey');
    cpSync(installed, globalPackage, { recursive: true });
    mkdirSync(join(globalPackage, 'node_modules'));
    for (const name of readdirSync(join(app.dir, 'node_modules')).filter((n) => n !== 'latchkey' && !n.startsWith('.'))) {
      symlinkSync(join(app.dir, 'node_modules', name), join(globalPackage, 'node_modules', name));
    }
    mkdirSync(join(prefix, 'bin'));
    symlinkSync('../lib/node_modules/latchkey/dist/cli/main.js', join(prefix, 'bin', 'latchkey'));
    const elsewhere = join(app.base, 'elsewhere');
    mkdirSync(elsewhere);
    const env = userEnv();
    const result = await run('latchkey', ['--version'], { cwd: elsewhere, env: { ...env, PATH: `${join(prefix, 'bin')}:${env.PATH}` } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^latchkey ${version.replace(/\./g, '\\.')} `));
  });
});
