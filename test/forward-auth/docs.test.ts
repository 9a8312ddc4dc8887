// The configs in docs/forward-auth.md are the files the proxy suites run (issue #16: tested copy-paste configs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DOCS } from './harness.ts';

it('docs/forward-auth.md shows nginx.conf and the Caddyfile exactly as the suites run them', () => {
  const page = readFileSync(join(DOCS, '../forward-auth.md'), 'utf8');
  for (const [file, fence] of [['nginx.conf', 'nginx'], ['Caddyfile', 'caddy']] as const) {
    const text = readFileSync(join(DOCS, file), 'utf8').trimEnd();
    assert.ok(page.includes(`\`\`\`${fence}\n${text}\n\`\`\``), `${file} is not shown verbatim in docs/forward-auth.md`);
  }
});
