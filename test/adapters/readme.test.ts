// The README's "Library mode" shows the Express and node:http mounts; these are
// those very snippets, run as written (Node strips their types) from the
// repository root on the embedded defaults, and signed in through.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startChildApp, type ChildApp } from './child-app.ts';
import { signInWithJson } from './harness.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const LIBRARY_MODE = README.slice(README.indexOf('## Library mode'), README.indexOf('\n## ', README.indexOf('## Library mode') + 1));

/** The one ```ts block of the Library mode section that imports `module`. */
function snippet(module: string): string {
  const blocks = [...LIBRARY_MODE.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const found = blocks.filter((block) => block.includes(`from '${module}'`));
  assert.equal(found.length, 1, `one snippet imports ${module}`);
  return found[0]!;
}

for (const module of ['latchkey/express', 'latchkey/node']) {
  describe(`README: the ${module} snippet`, () => {
    let app: ChildApp;
    before(async () => {
      app = await startChildApp(`readme-${module.replace('/', '-')}`, ['--conditions=latchkey-source', '--input-type=module-typescript', '-e', snippet(module)], {
        baseUrlInEnv: true,
      });
    });
    after(() => app.stop());

    it('serves the sign-in and guards /me', async () => {
      const stranger = await app.client().request('/me', { headers: { accept: 'application/json' } });
      assert.equal(stranger.status, 401);
      const client = await signInWithJson(app);
      const me = await client.request('/me');
      assert.equal(me.status, 200);
      assert.match(((await me.json()) as { email: string }).email, /^json\./);
    });
  });
}
