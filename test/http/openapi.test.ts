// openapi.json is written by hand: these checks keep it true to the code (the
// version, the error codes and their statuses, and the registered routes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import openapi from '../../openapi.json' with { type: 'json' };
import packageJson from '../../package.json' with { type: 'json' };
import { ERROR_CODES, errorStatus } from '../../src/core/errors.ts';
import { createLatchkey } from '../../src/latchkey.ts';
import { clientsFile } from '../oidc/harness.ts';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** "METHOD /path" for every operation in the document. */
function documentedOperations(): Set<string> {
  const operations = new Set<string>();
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) {
      if (HTTP_METHODS.has(method)) operations.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations;
}

describe('openapi.json', () => {
  it('has the version of package.json', () => {
    assert.equal(openapi.info.version, packageJson.version);
  });

  it('lists exactly the error codes of the registry', () => {
    const documented = [...openapi.components.schemas.ErrorCode.enum].sort();
    const known = [...ERROR_CODES].sort();
    assert.deepEqual(documented, known);
  });

  it('gives each error code the status the HTTP layer uses', () => {
    assert.deepEqual(openapi.components.schemas.ErrorCode['x-status'], Object.fromEntries(ERROR_CODES.map((code) => [code, errorStatus(code)])));
  });

  it('documents every route the app registers, with its method (and no others)', async () => {
    const latchkey = await createLatchkey({
      databaseUrl: 'sqlite::memory:',
      secret: 'x'.repeat(40),
      startWorker: false,
      logLevel: 'silent',
      // The admin API exists only with a token: register it so it is checked too.
      adminToken: 'a'.repeat(32),
      // And the OpenID Connect provider exists only with clients (issue #15).
      oidcClientsFile: clientsFile(),
    });
    try {
      const registered = new Set(
        latchkey.app.routes
          .filter((route) => route.method !== 'ALL') // middleware
          .map((route) => `${route.method.toUpperCase()} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
      );
      assert.ok(registered.size > 0, 'the app registered no routes');
      const documented = documentedOperations();
      const undocumented = [...registered].filter((operation) => !documented.has(operation));
      assert.deepEqual(undocumented, [], `routes missing from openapi.json: ${undocumented.join(', ')}`);
      // With no SMTP URL the dev mailbox is mounted too, so every documented route is registered here.
      const unknown = [...documented].filter((operation) => !registered.has(operation));
      assert.deepEqual(unknown, [], `openapi.json documents routes the app does not have: ${unknown.join(', ')}`);
    } finally {
      await latchkey.close();
    }
  });
});
