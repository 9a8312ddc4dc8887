// Issue #12: `latchkey outbox` run from the wrong folder created ./data/secret
// and an empty database, then printed a stack trace. Commands that read (and
// the account commands, which must not make a second, empty database) now refuse,
// name what they looked for and the setting, and leave the folder as it was.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const main = join(import.meta.dirname, '../../src/cli/main.ts');

/** Runs the CLI in `cwd` with no LATCHKEY_* variable: a new operator in the wrong folder. */
async function cliIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LATCHKEY_') && name !== 'NODE_ENV'));
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { cwd, env: { ...clean, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the CLI in a folder with no database', () => {
  const commands = [
    ['outbox'],
    ['audit', '--request-id', 'abcdef123456'],
    ['users', 'list'],
    ['users', 'find', 'someone@example.com'],
    ['users', 'create', 'someone@example.com'],
    ['sessions', 'revoke', '--user', 'someone@example.com'],
  ];

  for (const args of commands) {
    it(`latchkey ${args.join(' ')}: refuses, says where it looked and which setting to change, and creates nothing`, async () => {
      const empty = mkdtempSync(join(tmpdir(), 'latchkey-wrong-folder-'));
      const result = await cliIn(empty, args);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`no Latchkey database at ${join(empty, 'data', 'latchkey.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(result.stderr, /LATCHKEY_DATABASE_URL/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(readdirSync(empty), [], 'no ./data, no secret, no database');
    });
  }

  it('says so when the file is there but holds no Latchkey schema, and leaves it alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-wrong-folder-'));
    writeFileSync(join(dir, 'other.db'), '');
    const result = await cliIn(dir, ['outbox'], { LATCHKEY_DATABASE_URL: 'sqlite:other.db' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /has no Latchkey schema[\s\S]*latchkey migrate/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    assert.deepEqual(readdirSync(dir).filter((name) => !name.startsWith('other.db')), []);
  });
});
